//! What the checker and the compiler find wrong (errors) or suspicious
//! (warnings) in a policy. Every variant has a stable code, documented in
//! `docs/diagnostics.md`.

use miette::Diagnostic;
use thiserror::Error;

use crate::source::Span;

/// What the checker and the compiler find in a policy: errors, which stop
/// it from loading, warnings and notes (see [`is_error`](Self::is_error)).
#[derive(Clone, Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum CheckError {
    /// A fact, an outcome, a JSON path or an option declared twice.
    #[error("{what} `{name}` is declared twice")]
    #[diagnostic(code(verdict::duplicate))]
    Duplicate {
        /// What is declared twice: `fact`, `outcome`, `JSON path` or `option`.
        what: &'static str,
        /// The name as written.
        name: String,
        /// The first declaration.
        #[label("first declared here")]
        first: Span,
        /// The second declaration.
        #[label(primary, "declared again here")]
        again: Span,
        /// What to do about it.
        #[help]
        help: &'static str,
    },

    /// A bare word that is no value of any fact and no bool fact.
    #[error("unknown word `{word}`")]
    #[diagnostic(code(verdict::unknown_word))]
    UnknownWord {
        /// The word as written.
        word: String,
        /// Where it is written.
        #[label("not a value of any fact, nor a bool fact")]
        span: Span,
        /// What to do about it.
        #[help]
        help: Option<String>,
    },

    /// A bare word or value set that names values of more than one fact.
    #[error("ambiguous {what} `{word}`: it could mean {facts}")]
    #[diagnostic(code(verdict::ambiguous_word))]
    AmbiguousWord {
        /// "word" or "value set"
        what: &'static str,
        /// The word as written.
        word: String,
        /// The facts it could mean, listed.
        facts: String,
        /// Where it is written.
        #[label("which fact?")]
        span: Span,
        /// What to do about it.
        #[help]
        help: String,
    },

    /// A condition names a fact that is not declared.
    #[error("unknown fact `{name}`")]
    #[diagnostic(code(verdict::unknown_fact))]
    UnknownFact {
        /// The name as written.
        name: String,
        /// Where it is written.
        #[label("no fact of this name is declared")]
        span: Span,
        /// What to do about it.
        #[help]
        help: Option<String>,
    },

    /// A verdict names an outcome that is not declared.
    #[error("unknown outcome `{name}`")]
    #[diagnostic(code(verdict::unknown_outcome))]
    UnknownOutcome {
        /// The name as written.
        name: String,
        /// Where it is written.
        #[label("{expected}")]
        span: Span,
        /// What the label says belongs here.
        expected: &'static str,
        /// What to do about it.
        #[help]
        help: Option<String>,
    },

    /// An `in` test names a set that is not declared.
    #[error("unknown set `{name}`")]
    #[diagnostic(code(verdict::unknown_set))]
    UnknownSet {
        /// The name as written.
        name: String,
        /// Where it is written.
        #[label("no set of this name is declared")]
        span: Span,
        /// The closest set's name, or how to declare one.
        #[help]
        help: String,
    },

    /// `->` without the outcome it decides.
    #[error("`->` needs an outcome")]
    #[diagnostic(
        code(verdict::missing_outcome),
        help("name the decision after `->`: `allow`, `deny` or a declared outcome, as in `-> manual-migrate`")
    )]
    MissingOutcome {
        /// Where it is written.
        #[label("no outcome after this arrow")]
        span: Span,
    },

    /// A value that does not fit the fact it is compared with.
    #[error("`{value}` is not a value of `{fact}`")]
    #[diagnostic(code(verdict::type_mismatch))]
    TypeMismatch {
        /// The fact's name.
        fact: String,
        /// The value as written.
        value: String,
        /// Where it is written.
        #[label(primary, "{expected}")]
        span: Span,
        /// What the fact takes, in words.
        expected: String,
        /// The fact's declaration.
        #[label("`{fact}` is declared here")]
        declared: Span,
        /// What to do about it.
        #[help]
        help: Option<String>,
    },

    /// A `set of` declaration verdict cannot read as one: of bools, or with
    /// a default.
    #[error("set fact `{fact}` {problem}")]
    #[diagnostic(code(verdict::bad_set_fact))]
    BadSetFact {
        /// The fact's name.
        fact: String,
        /// What is wrong, in words.
        problem: &'static str,
        /// Where.
        #[label("here")]
        span: Span,
        /// What to do about it.
        #[help]
        help: &'static str,
    },

    /// A time the policy writes that is not one, a time zone that does not
    /// exist, or a time construct on a fact it does not apply to.
    #[error("{message}")]
    #[diagnostic(code(verdict::bad_time))]
    BadTime {
        /// What is wrong, in words.
        message: String,
        /// Where.
        #[label("{label}")]
        span: Span,
        /// The label, in words.
        label: &'static str,
        /// What to do about it.
        #[help]
        help: String,
    },

    /// Two facts compared whose types do not compare.
    #[error("`{left}` ({left_ty}) and `{right}` ({right_ty}) do not compare")]
    #[diagnostic(code(verdict::incomparable))]
    Incomparable {
        /// The left fact's name.
        left: String,
        /// Its type, in words.
        left_ty: &'static str,
        /// The right fact's name.
        right: String,
        /// Its type, in words.
        right_ty: &'static str,
        /// The comparison.
        #[label("not of one type")]
        span: Span,
        /// What to do about it.
        #[help]
        help: String,
    },

    /// A comparison that does not apply to the fact's type.
    #[error("`{op}` does not apply to `{fact}`, {ty} fact")]
    #[diagnostic(code(verdict::bad_operator))]
    BadOperator {
        /// The operator as written.
        op: &'static str,
        /// The fact's name.
        fact: String,
        /// The fact's type, in words.
        ty: &'static str,
        /// Where it is written.
        #[label("not for this fact")]
        span: Span,
        /// The fact's declaration.
        #[label("`{fact}` is declared here")]
        declared: Span,
        /// What to do about it.
        #[help]
        help: String,
    },

    /// A value set holding values of different facts.
    #[error("value set mixes values of {facts}")]
    #[diagnostic(
        code(verdict::mixed_set),
        help("a value set holds values of one fact; split it into one condition per fact")
    )]
    MixedSet {
        /// The facts whose values are mixed, listed.
        facts: String,
        /// Where it is written.
        #[label("these values belong to different facts")]
        span: Span,
    },

    /// A value set without a fact name, of values no enum fact declares.
    #[error("a value set without a fact name needs values of an enum fact")]
    #[diagnostic(code(verdict::bare_set), help("name the fact: `FACT in {{...}}`"))]
    BareSet {
        /// Where it is written.
        #[label("which fact?")]
        span: Span,
    },

    /// A fact declared both `optional` and with a default.
    #[error("fact `{name}` is both optional and has a default")]
    #[diagnostic(
        code(verdict::optional_default),
        help("a fact with a default is never absent: remove `optional`, or remove the default")
    )]
    OptionalWithDefault {
        /// The fact's name.
        name: String,
        /// Where `optional` is written.
        #[label("optional here")]
        optional: Span,
        /// Where the default is written.
        #[label("default here")]
        default: Span,
    },

    /// An outcome name that is reserved or not kebab-case.
    #[error("outcome name `{name}` {problem}")]
    #[diagnostic(code(verdict::bad_outcome_name))]
    BadOutcomeName {
        /// The outcome's name.
        name: String,
        /// What is wrong with it, in words.
        problem: &'static str,
        /// Where it is written.
        #[label("here")]
        span: Span,
        /// What to do about it.
        #[help]
        help: String,
    },

    /// Rules of a unique policy that decide differently for the same facts, with an example of such facts.
    #[error("conflicting rules: {verdicts}, for the same facts")]
    #[diagnostic(code(verdict::conflict))]
    Conflict {
        /// "one decides `allow`, another `deny`"
        verdicts: String,
        /// Each rule of the conflict, labelled with its decision.
        #[label(collection)]
        rules: Vec<miette::LabeledSpan>,
        /// The last rule of the conflict, for ordering diagnostics.
        at: Span,
        /// What to do about it.
        #[help]
        help: String,
    },

    /// More conflicts than are reported one by one (a note after the
    /// first ones, counting the pairs of rules in conflict past them).
    #[error("policy `{name}` has {more} more pairs of rules in conflict beyond the {shown} conflicts shown")]
    #[diagnostic(
        code(verdict::more_conflicts),
        severity(Advice),
        help("conflicts this many usually share a cause: fix the ones shown (or declare `first match` or `priority`) and check again")
    )]
    ConflictsNotShown {
        /// The policy's name.
        name: String,
        /// How many were shown.
        shown: usize,
        /// How many more pairs of rules are in conflict (none of them
        /// named together by a conflict shown).
        more: usize,
        /// Where the policy is written.
        #[label("this policy")]
        span: Span,
    },

    /// More warnings or notes of one code than a loaded set keeps
    /// ([`Limits::warnings_per_code`](crate::Limits::warnings_per_code)):
    /// a note after the ones kept.
    #[error("{more} more `{code}` than the {kept} kept")]
    #[diagnostic(
        code(verdict::more_warnings),
        severity(Advice),
        help("this many of one kind usually share a cause: fix the ones shown and check again; `verdict check` lists every one")
    )]
    WarningsNotKept {
        /// The code of the warnings not kept.
        code: String,
        /// How many of that code were kept.
        kept: usize,
        /// How many more pairs of rules are in conflict (none of them
        /// named together by a conflict shown).
        more: usize,
        /// The first one not kept.
        #[label("the first not kept")]
        span: Span,
    },

    /// Conflict detection ran out of its work budget (a warning): the
    /// policy may have conflicts that were not reported.
    #[error("conflict detection of policy `{name}` stopped at its work budget, after {found} conflicts: there may be more")]
    #[diagnostic(
        code(verdict::conflict_budget),
        severity(Warning),
        help("so many rules can match the same facts that comparing them all takes too long: `first match` or `priority` decides overlaps by order, and `when` blocks on shared conditions keep rules apart")
    )]
    ConflictBudget {
        /// The policy's name.
        name: String,
        /// How many conflicts were found before it stopped: those shown,
        /// then the pairs of rules counted past them.
        found: usize,
        /// Where the policy is written.
        #[label("this policy")]
        span: Span,
    },

    /// The search for facts that meet each rule's comparisons between
    /// facts ran out of its work budget (a warning): the rules not looked
    /// at are taken to be able to match.
    #[error("policy `{name}`: the search for rules whose comparisons between facts cannot all hold stopped at its work budget, {unchecked} rules before the end")]
    #[diagnostic(
        code(verdict::relations_budget),
        severity(Warning),
        help("the rules not looked at are taken to be able to match; look among them for comparisons that contradict each other (`a < b` with `b < a`), or raise `Limits::relations_budget` in a program embedding verdict")
    )]
    RelationsBudget {
        /// The policy's name.
        name: String,
        /// How many rules were not looked at.
        unchecked: usize,
        /// Where the policy is written.
        #[label("this policy")]
        span: Span,
    },

    /// `first match` and `priority` in one policy: they combine rules in two
    /// different ways.
    #[error("a policy combines its rules one way: `first match` or `priority`, not both")]
    #[diagnostic(
        code(verdict::hit_policy),
        help("keep `first match` for rule order to decide, or `priority` for the decisions' order to decide")
    )]
    TwoHitPolicies {
        /// Where `first match` is written.
        #[label("rule order decides")]
        first: Span,
        /// Where `priority` is written.
        #[label(primary, "the decisions' order decides")]
        again: Span,
    },

    /// A decision a rule makes that has no place in the policy's `priority`.
    #[error("decision `{decision}` has no place in `priority`")]
    #[diagnostic(code(verdict::unranked))]
    Unranked {
        /// The decision.
        decision: String,
        /// The first rule that makes it.
        #[label(primary, "decides `{decision}`")]
        rule: Span,
        /// The `priority` line.
        #[label("the decisions that win, first to last")]
        priority: Span,
        /// The line with the decision added.
        #[help]
        help: String,
    },

    /// A rule whose conditions can never all hold (a warning).
    #[error("rule can never match")]
    #[diagnostic(code(verdict::never_matches), severity(Warning))]
    NeverMatches {
        /// Where it is written.
        #[label(primary, "{label}")]
        span: Span,
        /// Why, in the words of the label.
        label: &'static str,
        /// The condition that contradicts it, when there is one.
        #[label("this condition")]
        other: Option<Span>,
        /// What to do about it.
        #[help]
        help: String,
    },

    /// An alternative of a group that can never hold, though the rule can
    /// match through another (a warning).
    #[error("alternative can never hold")]
    #[diagnostic(code(verdict::dead_alternative), severity(Warning))]
    DeadAlternative {
        /// The alternative, or the condition inside it that rules it out.
        #[label(primary, "{label}")]
        span: Span,
        /// Why, in the words of the label.
        label: &'static str,
        /// The condition it cannot hold together with, when there is one.
        #[label("{other_label}")]
        other: Option<Span>,
        /// The label of `other`.
        other_label: &'static str,
        /// What to do about it.
        #[help]
        help: &'static str,
    },

    /// A rule whose groups multiply out to too many ways to match.
    #[error("rule has more than {most} ways to match")]
    #[diagnostic(
        code(verdict::too_many_clauses),
        help("each group multiplies the ways the rule can match by its alternatives (and `not (...)` by its conditions): split the rule into several, or name a set for alternatives on one fact")
    )]
    TooManyClauses {
        /// The rule.
        #[label(primary, "its groups multiply out to more than {most} clauses")]
        span: Span,
        /// The most a rule may have.
        most: usize,
    },

    /// A rule that never decides, because earlier rules cover every case it matches (a warning).
    #[error("rule never decides: earlier rules cover every case it matches")]
    #[diagnostic(code(verdict::shadowed), severity(Warning))]
    Shadowed {
        /// Where it is written.
        #[label(primary, "never decides")]
        span: Span,
        /// The earlier rules that overlap it, each labelled with its decision.
        #[label(collection)]
        by: Vec<miette::LabeledSpan>,
        /// What to do about it.
        #[help]
        help: String,
    },

    /// A rule that never decides under a priority, because rules whose
    /// decisions rank higher match every case it matches (a warning).
    #[error("rule never decides: rules whose decisions come first in `priority` win wherever it matches")]
    #[diagnostic(code(verdict::outranked), severity(Warning))]
    Outranked {
        /// The rule.
        #[label(primary, "never decides")]
        span: Span,
        /// The rules that decide in its place, each labelled with its decision.
        #[label(collection)]
        by: Vec<miette::LabeledSpan>,
        /// What to do about it.
        #[help]
        help: String,
    },

    /// A rule another rule makes redundant: it decides the same wherever this one matches (a warning).
    #[error("rule is redundant: another rule decides the same for every case it matches")]
    #[diagnostic(code(verdict::redundant), severity(Warning))]
    Redundant {
        /// Where it is written.
        #[label(primary, "redundant")]
        span: Span,
        /// The rule that makes it redundant.
        #[label("decides `{verdict}` wherever the redundant rule matches")]
        by: Span,
        /// What that rule decides.
        verdict: String,
        /// What to do about it.
        #[help]
        help: &'static str,
    },

    /// A declared fact no rule reads (a warning).
    #[error("fact `{name}` is declared but no rule reads it")]
    #[diagnostic(
        code(verdict::unused_fact),
        severity(Warning),
        help("remove the declaration, or write the rules that need it")
    )]
    UnusedFact {
        /// The fact's name.
        name: String,
        /// Where it is written.
        #[label("never read")]
        span: Span,
    },

    /// A declared set no rule uses (a warning).
    #[error("set `{name}` is declared but no rule uses it")]
    #[diagnostic(
        code(verdict::unused_set),
        severity(Warning),
        help("remove the declaration, or write the rules that need it")
    )]
    UnusedSet {
        /// The set's name.
        name: String,
        /// Where it is declared.
        #[label("never used")]
        span: Span,
    },

    /// Declared values no rule mentions (a note).
    #[error("no rule mentions {values} of `{fact}`")]
    #[diagnostic(
        code(verdict::unused_value),
        severity(Advice),
        help("facts with these values are valid input and are decided like any value no rule names; remove values no input can have")
    )]
    UnusedValue {
        /// The fact's name.
        fact: String,
        /// The values no rule mentions, listed.
        values: String,
        /// Each such value, labelled.
        #[label(collection)]
        spans: Vec<miette::LabeledSpan>,
        /// The first such value, for ordering diagnostics.
        at: Span,
    },

    /// Kinds of facts no rule decides, which get the policy's `otherwise` (a note).
    #[error("policy `{name}` decides `{otherwise}` because no rule applies, for {kinds} of facts")]
    #[diagnostic(code(verdict::gaps), severity(Advice))]
    Gaps {
        /// The policy's name.
        name: String,
        /// What the policy decides when no rule applies.
        otherwise: String,
        /// "1 kind", "3 kinds"
        kinds: String,
        /// Where it is written.
        #[label("policy declared here")]
        span: Span,
        /// What to do about it.
        #[help]
        help: String,
    },

    /// Kinds of facts no rule decides, where every case must be decided by a rule (an error).
    #[error("policy `{name}` leaves {kinds} of facts to `otherwise` (gaps are errors here)")]
    #[diagnostic(code(verdict::gaps))]
    GapsDenied {
        /// The policy's name.
        name: String,
        /// How many kinds, in words (`3 kinds`).
        kinds: String,
        /// Where it is written.
        #[label("policy declared here")]
        span: Span,
        /// What to do about it.
        #[help]
        help: String,
    },

    /// A policy decided by scanning its rules, as its decision tree would be too large (a note).
    #[error("policy `{name}` is evaluated by scanning its {rules} rules: its decision tree would be too large")]
    #[diagnostic(code(verdict::no_tree), severity(Advice))]
    NoTree {
        /// The policy's name.
        name: String,
        /// How many rules the policy has.
        rules: usize,
        /// Where it is written.
        #[label("this policy")]
        span: Span,
        /// What the missing tree leaves out, and how to get one.
        #[help]
        help: String,
    },

    /// A file names a policy one typo away from its siblings' policy,
    /// and does not stand as a policy of its own.
    #[error("this file names policy `{name}`, but its siblings name `{other}`")]
    #[diagnostic(
        code(verdict::policy_name),
        help("the files of one policy name it alike: write `policy {other}` (as a policy of its own, `{name}` does not check)")
    )]
    PolicyName {
        /// The name this file gives.
        name: String,
        /// The name of the policy it is likely part of.
        other: String,
        /// Where this file names it.
        #[label(primary, "did you mean `{other}`?")]
        span: Span,
        /// Where a sibling names the other policy.
        #[label("`{other}` is named here")]
        other_span: Span,
    },

    /// A policy without rules (a warning).
    #[error("policy `{name}` has no rules")]
    #[diagnostic(
        code(verdict::no_rules),
        severity(Warning),
        help("every evaluation decides `{otherwise}`")
    )]
    NoRules {
        /// The policy's name.
        name: String,
        /// What every evaluation decides.
        otherwise: String,
        /// Where it is written.
        #[label("declared here")]
        span: Span,
    },
}

impl CheckError {
    /// Errors stop a policy from loading; warnings and notes do not. The
    /// severity is the one each variant declares.
    pub fn is_error(&self) -> bool {
        !matches!(
            self.severity(),
            Some(miette::Severity::Warning | miette::Severity::Advice)
        )
    }

    /// The span the diagnostic is mostly about, for sorting.
    pub fn primary_span(&self) -> Span {
        match self {
            CheckError::Duplicate { again: span, .. }
            | CheckError::UnknownWord { span, .. }
            | CheckError::AmbiguousWord { span, .. }
            | CheckError::UnknownFact { span, .. }
            | CheckError::UnknownOutcome { span, .. }
            | CheckError::MissingOutcome { span }
            | CheckError::TypeMismatch { span, .. }
            | CheckError::BadOperator { span, .. }
            | CheckError::BadSetFact { span, .. }
            | CheckError::BadTime { span, .. }
            | CheckError::Incomparable { span, .. }
            | CheckError::MixedSet { span, .. }
            | CheckError::BareSet { span, .. }
            | CheckError::OptionalWithDefault { optional: span, .. }
            | CheckError::BadOutcomeName { span, .. }
            | CheckError::Conflict { at: span, .. }
            | CheckError::NeverMatches { span, .. }
            | CheckError::DeadAlternative { span, .. }
            | CheckError::TooManyClauses { span, .. }
            | CheckError::Shadowed { span, .. }
            | CheckError::Outranked { span, .. }
            | CheckError::Redundant { span, .. }
            | CheckError::UnusedFact { span, .. }
            | CheckError::UnknownSet { span, .. }
            | CheckError::UnusedSet { span, .. }
            | CheckError::UnusedValue { at: span, .. }
            | CheckError::Gaps { span, .. }
            | CheckError::GapsDenied { span, .. }
            | CheckError::NoTree { span, .. }
            | CheckError::ConflictsNotShown { span, .. }
            | CheckError::WarningsNotKept { span, .. }
            | CheckError::ConflictBudget { span, .. }
            | CheckError::RelationsBudget { span, .. }
            | CheckError::NoRules { span, .. }
            | CheckError::PolicyName { span, .. }
            | CheckError::TwoHitPolicies { again: span, .. }
            | CheckError::Unranked { rule: span, .. } => *span,
        }
    }
}
