//! Limits on what verdict accepts: the sizes and depths past which input is
//! refused with a diagnostic, and the work compiling may spend, so that
//! hostile or accidental input costs bounded time and memory. The defaults
//! suit policies written by people and the facts of ordinary requests; a
//! service that takes facts from strangers can lower the facts limits, and
//! one that compiles generated policies can raise the tree budget.

/// Limits on input size and on compile work. `Limits::default()` is what
/// [`PolicySet::builtin`](crate::PolicySet::builtin),
/// [`from_path`](crate::PolicySet::from_path) and
/// [`from_sources`](crate::PolicySet::from_sources) use; the `_with`
/// constructors take others.
///
/// ```
/// use miette::Diagnostic;
/// use verdict::{Limits, PolicySet};
///
/// let limits = Limits {
///     max_facts_bytes: 64 * 1024,
///     max_facts_depth: 16,
///     ..Limits::default()
/// };
/// let policies = PolicySet::builtin_with(&limits).map_err(|r| r.render(80))?;
/// let deep = format!("{}{}", "[".repeat(20), "]".repeat(20));
/// let report = policies.decide_json("facts.json", &deep).map(verdict::Decisions::into_owned).unwrap_err();
/// let code = report.problems()[0].code().map(|c| c.to_string());
/// assert_eq!(code.as_deref(), Some("verdict::facts::too_deep"));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes of policy text in one set, all files together.
    /// Default 256 MiB; at most 1 GiB, because spans are 32-bit offsets
    /// shared by the policies and the facts of a run.
    pub max_policy_bytes: usize,
    /// How deeply `when` blocks, value sets and `not`s may nest in policy
    /// text. Default and most: [`Limits::MAX_NESTING`], because the parser
    /// recurses once per level; a larger value counts as that.
    pub max_nesting: usize,
    /// The work the compiler may spend on one policy's decision tree (rules
    /// put into the lists of atoms, summed over subproblems) before it
    /// evaluates the policy by rule scan instead, with the note
    /// `verdict::no_tree`. Default [`Limits::TREE_BUDGET`], a few seconds.
    /// It also caps the search that finds shadowed rules and gaps without a
    /// tree ([`TreeBuild::IfNeeded`]), which past its own smaller budget
    /// builds the tree instead.
    pub tree_budget: usize,
    /// The most bytes of one facts document (and of one NDJSON line).
    /// Default 64 MiB.
    pub max_facts_bytes: usize,
    /// How deeply objects and arrays may nest in a facts document. Default
    /// and most: [`Limits::MAX_FACTS_DEPTH`], the JSON parser's own limit;
    /// a larger value counts as that.
    pub max_facts_depth: usize,
    /// The work conflict detection may spend on one unique policy (pairs
    /// of rules compared, candidates looked at, and the steps of each
    /// search for facts that realize an overlap where facts are related or
    /// times are taken apart) before it stops with the
    /// warning `verdict::conflict_budget`. Default
    /// [`Limits::CONFLICT_BUDGET`], about a second. (Whatever the budget,
    /// at most 100 conflicts are reported one by one, then
    /// `verdict::more_conflicts` counts the pairs of rules in conflict
    /// past them; and a decision tree
    /// deeper than 400 tests is never built, the rules being scanned
    /// instead, because walking it would recurse that deep.)
    pub conflict_budget: usize,
    /// The work the checker may spend on one policy finding out whether
    /// each rule's comparisons between facts can all hold at once (`a = b`,
    /// `b = c` and `a != c` cannot): the steps of its searches for facts
    /// that meet them (a search under way when the budget is reached ends
    /// within 200,000 more). Past it, the rules not yet looked at are
    /// taken to be able to match, and the warning `verdict::relations_budget`
    /// says how many. Default [`Limits::RELATIONS_BUDGET`], about a second;
    /// a rule whose conditions repeat another's costs nothing more.
    pub relations_budget: usize,
    /// When a policy's decision tree is built. Default
    /// [`TreeBuild::AtLoad`]: loading returns with every tree built.
    pub tree_build: TreeBuild,
    /// The most warnings and notes of one code a loaded set keeps
    /// ([`PolicySet::warnings`](crate::PolicySet::warnings)), in the order
    /// found; the note `verdict::more_warnings` counts the rest of that
    /// code. Default [`Limits::WARNINGS_PER_CODE`]: a generated policy can
    /// have a shadowed rule or an unused value per rule, and a set holds its
    /// warnings as long as it decides. `usize::MAX` keeps every one, as
    /// `verdict check` does. Errors are always all reported.
    pub warnings_per_code: usize,
}

/// When loading builds the decision trees (see [`Limits::tree_build`]).
/// Until its tree is built a policy is decided by rule scan, which is
/// slower per decision for large policies but costs nothing to prepare;
/// [`AtLoad`](TreeBuild::AtLoad) and [`InBackground`](TreeBuild::InBackground)
/// decide and report alike.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TreeBuild {
    /// Loading builds every tree before it returns, and reports the
    /// warnings only a tree finds (`verdict::shadowed`,
    /// `verdict::outranked`) with the rest.
    #[default]
    AtLoad,
    /// Loading returns once the policies are checked; a thread builds the
    /// trees and they take over when all are built
    /// ([`PolicySet::trees_built`](crate::PolicySet::trees_built)). The
    /// tree's warnings join [`PolicySet::warnings`](crate::PolicySet::warnings)
    /// then. For a service that must answer while a large policy compiles,
    /// and for batches that start deciding at once.
    InBackground,
    /// No tree is built: every policy is decided by rule scan. For one
    /// decision, where building a large policy's tree costs more than it
    /// saves. Reports then come from the scan too, which names fewer of
    /// the unknown facts a decision depends on than a tree does; and where
    /// facts are missing, a scan that would have to try more than 4,096
    /// combinations of their values reports them as missing, where a tree
    /// may find that every combination decides alike.
    Never,
    /// A tree only where the warnings need one: loading reports what
    /// [`AtLoad`](TreeBuild::AtLoad) reports (shadowed and redundant rules,
    /// and [`PolicyInfo::gaps`](crate::PolicyInfo::gaps) later), found by
    /// searching each rule's region instead of building the tree, and
    /// decides by rule scan as [`Never`](TreeBuild::Never) does. A policy too
    /// costly to search, or whose facts are related (relations, dates), has
    /// its tree built, as a node list for the warnings and reports, not laid
    /// out for deciding (it decides by walking the nodes). For checking policies rather
    /// than deciding with them: `verdict check` loads so. A thousand
    /// `first match` rules over six facts load in a tenth of the time.
    /// Where rayon has a second thread, the gaps are searched beside the
    /// rules as the policy loads, for [`PolicyInfo::gaps`](crate::PolicyInfo::gaps)
    /// to read.
    IfNeeded,
}

impl Limits {
    /// The deepest nesting policy text can have.
    pub const MAX_NESTING: usize = 64;
    /// The default [`tree_budget`](Self::tree_budget), about two seconds of
    /// work: the generated 100,000-rule policy of the scaling benchmark
    /// takes about 40% of it.
    pub const TREE_BUDGET: usize = 250_000_000;
    /// The deepest nesting a facts document can have.
    pub const MAX_FACTS_DEPTH: usize = 127;
    /// The default [`conflict_budget`](Self::conflict_budget).
    pub const CONFLICT_BUDGET: usize = 50_000_000;
    /// The default [`relations_budget`](Self::relations_budget).
    pub const RELATIONS_BUDGET: usize = 50_000_000;
    /// The default [`warnings_per_code`](Self::warnings_per_code).
    pub const WARNINGS_PER_CODE: usize = 1_000;
    /// The most policy text a set can hold.
    pub const MAX_POLICY_BYTES: usize = 1 << 30;

    /// [`max_nesting`](Self::max_nesting), at most [`Limits::MAX_NESTING`].
    pub(crate) fn nesting(&self) -> usize {
        self.max_nesting.min(Limits::MAX_NESTING)
    }

    /// [`max_facts_depth`](Self::max_facts_depth), at most [`Limits::MAX_FACTS_DEPTH`].
    pub(crate) fn facts_depth(&self) -> usize {
        self.max_facts_depth.min(Limits::MAX_FACTS_DEPTH)
    }

    /// [`max_policy_bytes`](Self::max_policy_bytes), at most [`Limits::MAX_POLICY_BYTES`].
    pub(crate) fn policy_bytes(&self) -> usize {
        self.max_policy_bytes.min(Limits::MAX_POLICY_BYTES)
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_policy_bytes: 256 << 20,
            max_nesting: Limits::MAX_NESTING,
            tree_budget: Limits::TREE_BUDGET,
            max_facts_bytes: 64 << 20,
            max_facts_depth: Limits::MAX_FACTS_DEPTH,
            conflict_budget: Limits::CONFLICT_BUDGET,
            relations_budget: Limits::RELATIONS_BUDGET,
            tree_build: TreeBuild::AtLoad,
            warnings_per_code: Limits::WARNINGS_PER_CODE,
        }
    }
}
