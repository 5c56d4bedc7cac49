//! The engine a user holds: policies loaded (`load`: files → parse → check
//! → compile, every problem in one [`Report`]), ready to decide for facts
//! in each form a caller has them (`decide`), the decisions they make
//! (`decision`), what a tool may read of each policy (`info`), and a
//! set re-checked as its files change (`workspace`).

mod cache;
mod decide;
mod decision;
mod info;
mod load;
mod schema;
mod workspace;

pub use cache::{CacheUse, PolicyCache};
pub(crate) use decision::decision_ref;
pub use decision::{Decision, DecisionRef, Decisions};
pub use info::{FactInfo, PolicyInfo};
pub(crate) use load::read_policy_files;
pub use workspace::Workspace;

use std::sync::Arc;

use crate::compile::DecisionTree;
use crate::diagnostics::{Problem, Report};
use crate::facts::{ObjectPaths, PathTrie};
use crate::limits::Limits;
use crate::model::{insert_at, now_text, TimeKind};
use crate::source::SourceMap;

/// Compiled policies, ready to decide.
///
/// A set is immutable once loaded. It is `Send + Sync`, and cloning it is
/// a reference count, not a copy: hand clones to threads or keep one in a
/// service's shared state, and swap in a newly loaded set to change the
/// policies.
///
/// ```
/// use verdict::PolicySet;
///
/// let policies = PolicySet::builtin().map_err(|report| report.render(80))?;
/// let shared = policies.clone(); // the same compiled policies, not a copy
/// let facts = serde_json::json!({
///     "partner": { "role": "reseller" },
///     "request": { "action": "invite" },
/// });
/// let worker = std::thread::spawn(move || {
///     shared.decide(&facts).map(|d| d[0].decision == "deny").unwrap_or(false)
/// });
/// assert!(worker.join().unwrap_or(false));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug)]
pub struct PolicySet {
    loaded: Arc<Loaded>,
    /// How the caller asked to decide; `None` for the defaults, so that a
    /// set stays two words wide.
    options: Option<Arc<Options>>,
}

/// How a caller asked a set to decide.
#[derive(Clone, Debug, Default)]
struct Options {
    /// Whether every policy reads facts strictly, as if it said `strict
    /// facts` (see [`PolicySet::strict_facts`]).
    strict: bool,
    /// The evaluation time, where the caller fixed it (see
    /// [`PolicySet::evaluated_at`]); else the clock's at each decision.
    now: Option<jiff::Timestamp>,
}

/// What a set holds, shared by its clones.
#[derive(Debug)]
struct Loaded {
    sources: SourceMap,
    /// The policies as loading compiled them: with their trees, or (when
    /// the trees are built in the background, or never) by rule scan.
    trees: Vec<DecisionTree>,
    /// The trees built in the background, with the warnings only a tree
    /// finds: once set, they decide instead of `trees` (see
    /// [`Loaded::trees`]).
    built: std::sync::OnceLock<(Vec<DecisionTree>, Vec<Problem>)>,
    /// Whether a background build was started and has not yet finished.
    building: bool,
    /// How each tree's facts are reached in a JSON object, by tree.
    paths: Vec<ObjectPaths>,
    warnings: Vec<Problem>,
    /// Every declared path, and each tree's fact → slot, for deciding from
    /// JSON text or a `Serialize` value without building a whole `Value`.
    /// `None` when one path is a prefix of another.
    picker: Option<(PathTrie, Vec<Vec<usize>>)>,
    limits: Limits,
    /// Every path the set's facts are read from, for strict reading.
    declared: Vec<Vec<String>>,
    /// Whether some policy says `strict facts`.
    strict_policies: bool,
    /// The paths of the facts that default to the evaluation time
    /// (`default now`), each with its kind.
    now_facts: Vec<(Vec<String>, TimeKind)>,
    /// By tree: whether values picked out of text tell exactly which of
    /// its facts are unknown (`eval::picks_exactly`), so that facts
    /// they leave undecided are refused without a `Value`.
    exact_picks: Vec<bool>,
}

impl Loaded {
    /// The trees that decide: those built in the background once they
    /// are, else those loading compiled. Both hold the same policies in
    /// the same order, and decide alike.
    fn trees(&self) -> &[DecisionTree] {
        match self.built.get() {
            Some((trees, _)) => trees,
            None => &self.trees,
        }
    }

    /// Whether the trees that decide are the ones reports are made from:
    /// no background build, or one that has finished.
    fn settled(&self) -> bool {
        !self.building || self.built.get().is_some()
    }

    /// The trees once any background build is done: what reports, traces
    /// and explanations are made from, so that they are the same however
    /// the set was loaded (waiting, the first time, for the build).
    fn settled_trees(&self) -> &[DecisionTree] {
        if self.building {
            &self.built.wait().0
        } else {
            &self.trees
        }
    }
}

impl PolicySet {
    /// The limits this set was loaded with, which also apply to the facts
    /// it decides for.
    pub fn limits(&self) -> &Limits {
        &self.loaded.limits
    }

    /// What loading found that does not stop the set from deciding, in
    /// the order found: [`warnings`](Self::warnings) and
    /// [`notes`](Self::notes) together, as `verdict check` lists them.
    pub fn diagnostics(&self) -> Report {
        let mut found = self.loaded.warnings.clone();
        if let Some((_, built)) = self.loaded.built.get() {
            found.extend(built.iter().cloned());
        }
        Report::new(self.loaded.sources.clone(), found)
    }

    /// The warnings loading found: suspicious, likely a mistake (rules
    /// that never match or never decide, conflicts a budget cut short,
    /// unused facts).
    ///
    /// ```
    /// let text = "policy p\nfact a: {x y} at a\nx can\ny cannot\n";
    /// let set = verdict::PolicySet::from_sources([("p.policy", text)]).map_err(|r| r.render(80))?;
    /// assert_eq!(set.warnings().problems().len(), 0);
    /// let text = "policy p\nfirst match\nfact a: {x y} at a\nx can\nx cannot\n";
    /// let set = verdict::PolicySet::from_sources([("p.policy", text)]).map_err(|r| r.render(80))?;
    /// let codes: Vec<_> = set.warnings().data().diagnostics.into_iter().filter_map(|d| d.code).collect();
    /// assert_eq!(codes, ["verdict::shadowed"]);
    /// let codes: Vec<_> = set.notes().data().diagnostics.into_iter().filter_map(|d| d.code).collect();
    /// assert_eq!(codes, ["verdict::unused_value"]);
    /// # Ok::<(), String>(())
    /// ```
    pub fn warnings(&self) -> Report {
        self.of_severity(miette::Severity::Warning)
    }

    /// The notes loading found: worth knowing, not wrong (values no rule
    /// names, a policy decided by rule scan, warnings not kept).
    pub fn notes(&self) -> Report {
        self.of_severity(miette::Severity::Advice)
    }

    fn of_severity(&self, severity: miette::Severity) -> Report {
        let (sources, mut problems) = self.diagnostics().into_parts();
        problems.retain(|p| miette::Diagnostic::severity(p) == Some(severity));
        Report::new(sources, problems)
    }

    /// A content hash of the set's policy files (their names and texts,
    /// in order): 16 hex digits that name this version of the policies, the
    /// same on every machine and in every process that loads the same
    /// files. A service reports it beside each decision, so a decision can
    /// be traced to the policies that made it.
    ///
    /// ```
    /// let a = verdict::PolicySet::builtin().map_err(|r| r.render(80))?;
    /// let b = verdict::PolicySet::builtin().map_err(|r| r.render(80))?;
    /// assert_eq!(a.revision(), b.revision());
    /// assert_eq!(a.revision().len(), 16);
    /// # Ok::<(), String>(())
    /// ```
    pub fn revision(&self) -> String {
        // FNV-1a, 64 bits: stable, and enough to tell versions apart (it is
        // no defence against someone forging a collision).
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |bytes: &[u8]| {
            for byte in bytes {
                hash ^= u64::from(*byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        for (_, file) in self.loaded.sources.files() {
            feed(file.name.as_bytes());
            feed(&[0]);
            feed(file.text.as_bytes());
            feed(&[0]);
        }
        format!("{hash:016x}")
    }

    /// Whether the decision trees are built: `false` only while a set
    /// loaded with [`TreeBuild::InBackground`](crate::TreeBuild::InBackground)
    /// still builds them, deciding by rule scan meanwhile (alike, only
    /// slower for large policies). Once `true`, it stays so, and
    /// [`warnings`](Self::warnings) holds what the trees found.
    ///
    /// ```
    /// use verdict::{Limits, PolicySet, TreeBuild};
    ///
    /// let limits = Limits { tree_build: TreeBuild::InBackground, ..Limits::default() };
    /// let policies = PolicySet::builtin_with(&limits).map_err(|r| r.render(80))?;
    /// // Deciding need not wait for the trees.
    /// let facts = serde_json::json!({"partner": {"role": "reseller"}, "request": {"action": "invite"}});
    /// assert_eq!(policies.decide(&facts).map_err(|r| r.render(80))?[0].decision, "deny");
    /// policies.wait_for_trees();
    /// assert!(policies.trees_built());
    /// # Ok::<(), String>(())
    /// ```
    pub fn trees_built(&self) -> bool {
        !self.loaded.building || self.loaded.built.get().is_some()
    }

    /// Waits until [`trees_built`](Self::trees_built). Deciding never
    /// needs to; reports, traces and explanations wait for the trees
    /// themselves, so that they read the same however the set was loaded.
    pub fn wait_for_trees(&self) {
        self.loaded.settled_trees();
    }

    /// The policies of the set, in the order they decide.
    pub fn policies(&self) -> impl ExactSizeIterator<Item = PolicyInfo<'_>> {
        self.loaded.trees().iter().map(PolicyInfo::new)
    }

    /// The policy files, which the spans of every diagnostic point into.
    pub fn sources(&self) -> &SourceMap {
        &self.loaded.sources
    }

    /// The same policies, each reading facts strictly (as if it said
    /// `strict facts`) when `strict` is true: every declared fact present
    /// must fit its declaration even where the decision does not read it,
    /// and a key beside the declared paths that no fact declares fails the
    /// decision (`verdict::facts::unknown_key`, with the declared key it is
    /// probably meant as). Strict reading takes the slower way through a
    /// `serde_json::Value`. A policy that says `strict facts` reads strictly
    /// whatever this says.
    ///
    /// ```
    /// let policies = verdict::PolicySet::builtin().map_err(|r| r.render(80))?.strict_facts(true);
    /// let facts = serde_json::json!({
    ///     "partner": { "role": "reseller", "designatedAdmin": true },
    ///     "request": { "action": "invite" },
    /// });
    /// let report = policies.decide(&facts).map(verdict::Decisions::into_owned).unwrap_err();
    /// assert!(report.render(80).contains("did you mean `designated_admin`?"));
    /// # Ok::<(), String>(())
    /// ```
    pub fn strict_facts(self, strict: bool) -> PolicySet {
        self.with_options(|options| options.strict = strict)
    }

    /// The same policies, with the options `change` makes.
    fn with_options(mut self, change: impl FnOnce(&mut Options)) -> PolicySet {
        let mut options = self.options.as_deref().cloned().unwrap_or_default();
        change(&mut options);
        self.options = Some(Arc::new(options));
        self
    }

    /// Whether the caller asked every policy to read facts strictly.
    fn strict(&self) -> bool {
        self.options.as_ref().is_some_and(|o| o.strict)
    }

    /// The same policies, deciding as of `now`: a fact declared `default
    /// now` that the facts leave out takes this instant (a `date` fact, its
    /// date in UTC). Without it, such a fact takes the clock's time when a
    /// decision is made. Fix it for reproducible decisions, tests and
    /// replays of past requests.
    ///
    /// ```
    /// let text = "policy hours\nfact now: datetime at request.time default now\n\
    ///             now before 2027-01-01T00:00:00Z can\n";
    /// let policies = verdict::PolicySet::from_sources([("hours.policy", text)])
    ///     .map_err(|r| r.render(80))?;
    /// let at: verdict::Timestamp = "2026-12-01T10:00:00Z".parse().map_err(|_| "a time")?;
    /// let decisions = policies.evaluated_at(at).decide(&serde_json::json!({}))
    ///     .map(verdict::Decisions::into_owned).map_err(|r| r.render(80))?;
    /// assert_eq!(decisions[0].decision, "allow");
    /// # Ok::<(), String>(())
    /// ```
    pub fn evaluated_at(self, now: jiff::Timestamp) -> PolicySet {
        self.with_options(|options| options.now = Some(now))
    }

    /// `facts` with the evaluation time at the path of each `default now`
    /// fact they leave out (or hold `null` at); the facts themselves when
    /// no policy has such a fact or the facts give every one.
    fn with_now<'f>(
        &self,
        facts: &'f serde_json::Value,
    ) -> std::borrow::Cow<'f, serde_json::Value> {
        self.with_now_at(facts, None)
    }

    /// [`with_now`](Self::with_now), out of the way of deciding for the
    /// sets whose policies do not read the time.
    #[cold]
    #[inline(never)]
    fn with_now_cold<'f>(
        &self,
        facts: &'f serde_json::Value,
    ) -> std::borrow::Cow<'f, serde_json::Value> {
        self.with_now(facts)
    }

    /// [`with_now`](Self::with_now), with the evaluation time `at` where
    /// given (a test's own `now`) over the set's.
    pub(crate) fn with_now_at<'f>(
        &self,
        facts: &'f serde_json::Value,
        at: Option<jiff::Timestamp>,
    ) -> std::borrow::Cow<'f, serde_json::Value> {
        use std::borrow::Cow;
        let missing = |path: &Vec<String>| {
            let mut node = facts;
            for key in path {
                match node.get(key) {
                    Some(next) => node = next,
                    None => return true,
                }
            }
            node.is_null()
        };
        if !facts.is_object() || !self.loaded.now_facts.iter().any(|(p, _)| missing(p)) {
            return Cow::Borrowed(facts);
        }
        let now = at
            .or_else(|| self.options.as_ref().and_then(|o| o.now))
            .unwrap_or_else(jiff::Timestamp::now);
        let mut filled = facts.clone();
        for (path, kind) in &self.loaded.now_facts {
            if missing(path) {
                if let Some(text) = now_text(*kind, now) {
                    insert_at(&mut filled, path, serde_json::Value::String(text));
                }
            }
        }
        Cow::Owned(filled)
    }

    /// Whether some policy of the set reads facts strictly.
    fn any_strict(&self) -> bool {
        self.strict() || self.loaded.strict_policies
    }

    /// The compiled trees, one per policy, for the tools of this crate.
    pub(crate) fn trees(&self) -> &[DecisionTree] {
        self.loaded.trees()
    }

    /// The trees once any background build is done (waiting for it): for
    /// the tools that read a tree's shape (diff, test coverage), whose
    /// output must not depend on timing.
    pub(crate) fn built_trees(&self) -> &[DecisionTree] {
        self.loaded.settled_trees()
    }
}
