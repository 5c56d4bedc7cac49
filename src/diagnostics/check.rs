//! What the checker and the compiler find wrong (errors) or suspicious
//! (warnings) in a policy. Every variant has a stable code, documented in
//! `docs/diagnostics.md`.

use miette::Diagnostic;
use thiserror::Error;

use crate::source::Span;

#[derive(Clone, Debug, Error, Diagnostic)]
pub enum CheckError {
    #[error("{what} `{name}` is declared twice")]
    #[diagnostic(code(verdict::duplicate))]
    Duplicate {
        what: &'static str,
        name: String,
        #[label("first declared here")]
        first: Span,
        #[label(primary, "declared again here")]
        again: Span,
        #[help]
        help: &'static str,
    },

    #[error("unknown word `{word}`")]
    #[diagnostic(code(verdict::unknown_word))]
    UnknownWord {
        word: String,
        #[label("not a value of any fact, nor a bool fact")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    #[error("ambiguous {what} `{word}`: it could mean {facts}")]
    #[diagnostic(code(verdict::ambiguous_word))]
    AmbiguousWord {
        /// "word" or "value set"
        what: &'static str,
        word: String,
        facts: String,
        #[label("which fact?")]
        span: Span,
        #[help]
        help: String,
    },

    #[error("unknown fact `{name}`")]
    #[diagnostic(code(verdict::unknown_fact))]
    UnknownFact {
        name: String,
        #[label("no fact of this name is declared")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    #[error("unknown outcome `{name}`")]
    #[diagnostic(code(verdict::unknown_outcome))]
    UnknownOutcome {
        name: String,
        #[label("{expected}")]
        span: Span,
        expected: &'static str,
        #[help]
        help: Option<String>,
    },

    #[error("`->` needs an outcome")]
    #[diagnostic(
        code(verdict::missing_outcome),
        help("name the decision after `->`: `allow`, `deny` or a declared outcome, as in `-> manual-migrate`")
    )]
    MissingOutcome {
        #[label("no outcome after this arrow")]
        span: Span,
    },

    #[error("`{value}` is not a value of `{fact}`")]
    #[diagnostic(code(verdict::type_mismatch))]
    TypeMismatch {
        fact: String,
        value: String,
        #[label(primary, "{expected}")]
        span: Span,
        expected: String,
        #[label("`{fact}` is declared here")]
        declared: Span,
        #[help]
        help: Option<String>,
    },

    #[error("`{op}` does not apply to `{fact}`, {ty} fact")]
    #[diagnostic(code(verdict::bad_operator))]
    BadOperator {
        op: &'static str,
        fact: String,
        ty: &'static str,
        #[label("not for this fact")]
        span: Span,
        #[label("`{fact}` is declared here")]
        declared: Span,
        #[help]
        help: String,
    },

    #[error("value set mixes values of {facts}")]
    #[diagnostic(
        code(verdict::mixed_set),
        help("a value set holds values of one fact; split it into one condition per fact")
    )]
    MixedSet {
        facts: String,
        #[label("these values belong to different facts")]
        span: Span,
    },

    #[error("a value set without a fact name needs values of an enum fact")]
    #[diagnostic(code(verdict::bare_set), help("name the fact: `FACT in {{...}}`"))]
    BareSet {
        #[label("which fact?")]
        span: Span,
    },

    #[error("fact `{name}` is both optional and has a default")]
    #[diagnostic(
        code(verdict::optional_default),
        help("a fact with a default is never absent: remove `optional`, or remove the default")
    )]
    OptionalWithDefault {
        name: String,
        #[label("optional here")]
        optional: Span,
        #[label("default here")]
        default: Span,
    },

    #[error("outcome name `{name}` {problem}")]
    #[diagnostic(code(verdict::bad_outcome_name))]
    BadOutcomeName {
        name: String,
        problem: &'static str,
        #[label("here")]
        span: Span,
        #[help]
        help: String,
    },

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
        #[help]
        help: String,
    },

    #[error("rule can never match")]
    #[diagnostic(code(verdict::never_matches), severity(Warning))]
    NeverMatches {
        #[label(primary, "{label}")]
        span: Span,
        label: &'static str,
        #[label("this condition")]
        other: Option<Span>,
        #[help]
        help: String,
    },

    #[error("rule never decides: earlier rules cover every case it matches")]
    #[diagnostic(code(verdict::shadowed), severity(Warning))]
    Shadowed {
        #[label(primary, "never decides")]
        span: Span,
        /// The earlier rules that overlap it, each labelled with its decision.
        #[label(collection)]
        by: Vec<miette::LabeledSpan>,
        #[help]
        help: String,
    },

    #[error("rule is redundant: another rule decides the same for every case it matches")]
    #[diagnostic(code(verdict::redundant), severity(Warning))]
    Redundant {
        #[label(primary, "redundant")]
        span: Span,
        #[label("decides `{verdict}` wherever the redundant rule matches")]
        by: Span,
        verdict: String,
        #[help]
        help: &'static str,
    },

    #[error("fact `{name}` is declared but no rule reads it")]
    #[diagnostic(
        code(verdict::unused_fact),
        severity(Warning),
        help("remove the declaration, or write the rules that need it")
    )]
    UnusedFact {
        name: String,
        #[label("never read")]
        span: Span,
    },

    #[error("no rule mentions {values} of `{fact}`")]
    #[diagnostic(
        code(verdict::unused_value),
        severity(Advice),
        help("facts with these values are valid input and are decided like any value no rule names; remove values no input can have")
    )]
    UnusedValue {
        fact: String,
        values: String,
        #[label(collection)]
        spans: Vec<miette::LabeledSpan>,
        at: Span,
    },

    #[error("policy `{name}` decides `{otherwise}` because no rule applies, for {kinds} of facts")]
    #[diagnostic(code(verdict::gaps), severity(Advice))]
    Gaps {
        name: String,
        otherwise: String,
        /// "1 kind", "3 kinds"
        kinds: String,
        #[label("policy declared here")]
        span: Span,
        #[help]
        help: String,
    },

    #[error("policy `{name}` leaves {kinds} of facts to `otherwise` (gaps are errors here)")]
    #[diagnostic(code(verdict::gaps))]
    GapsDenied {
        name: String,
        kinds: String,
        #[label("policy declared here")]
        span: Span,
        #[help]
        help: String,
    },

    #[error("policy `{name}` is evaluated by scanning its {rules} rules: its decision tree would be too large")]
    #[diagnostic(
        code(verdict::no_tree),
        severity(Advice),
        help("decisions are the same, but take time in proportion to the rules, and tree-based tools (tree, coverage, diff, why-not, shadowed rules) do not apply; splitting the policy, or `when` blocks on its most common conditions, shrinks the tree")
    )]
    NoTree {
        name: String,
        rules: usize,
        #[label("this policy")]
        span: Span,
    },

    #[error("policy `{name}` has no rules")]
    #[diagnostic(
        code(verdict::no_rules),
        severity(Warning),
        help("every evaluation decides `{otherwise}`")
    )]
    NoRules {
        name: String,
        otherwise: String,
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
            | CheckError::MixedSet { span, .. }
            | CheckError::BareSet { span, .. }
            | CheckError::OptionalWithDefault { optional: span, .. }
            | CheckError::BadOutcomeName { span, .. }
            | CheckError::Conflict { at: span, .. }
            | CheckError::NeverMatches { span, .. }
            | CheckError::Shadowed { span, .. }
            | CheckError::Redundant { span, .. }
            | CheckError::UnusedFact { span, .. }
            | CheckError::UnusedValue { at: span, .. }
            | CheckError::Gaps { span, .. }
            | CheckError::GapsDenied { span, .. }
            | CheckError::NoTree { span, .. }
            | CheckError::NoRules { span, .. } => *span,
        }
    }
}
