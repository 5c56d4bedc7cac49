//! The typed syntax trees of policy files and of test files, as written:
//! names are not yet resolved (that is the checker's job), and every node
//! keeps its span.

use serde_json::Value;

use compact_str::CompactString;

use crate::source::{Span, Spanned};

pub type Ident = Spanned<CompactString>;

/// A node's own span. Every `At` equals every other, so that syntax trees
/// compare by meaning, whatever their layout.
#[derive(Clone, Copy, Debug, Default)]
pub struct At(pub Span);

impl PartialEq for At {
    fn eq(&self, _: &At) -> bool {
        true
    }
}

/// One parsed `*.policy` file.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    pub policy: PolicyHeader,
    pub items: Vec<Item>,
}

/// `policy NAME "doc"`.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyHeader {
    pub name: Ident,
    pub doc: Option<Spanned<String>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `otherwise none "reason"`
    Otherwise(Ident, Option<Spanned<String>>),
    /// `first match`
    FirstMatch(At),
    /// `strict facts`
    StrictFacts(At),
    /// `priority deny > allow`: the decisions, the first winning.
    Priority(Vec<Ident>, At),
    Fact(Box<FactDecl>),
    Outcome(OutcomeDecl),
    Set(Box<SetDecl>),
    Rule(Rule),
    When(WhenBlock),
}

/// `fact channel: {Direct CSP} at subscription.channel optional "doc"`.
#[derive(Clone, Debug, PartialEq)]
pub struct FactDecl {
    pub name: Ident,
    pub ty: Spanned<FactType>,
    pub path: Spanned<Vec<String>>,
    pub optional: Option<At>,
    pub default: Option<Spanned<Literal>>,
    pub doc: Option<Spanned<String>>,
    pub span: At,
    /// The values are written in order (`{bronze < silver < gold}`), so the
    /// fact compares with `<`, `<=`, `>` and `>=`.
    pub ordered: bool,
    /// `set of TYPE`: the fact is a JSON array of such values.
    pub collection: Option<At>,
    /// `sensitive`: the value is kept out of decision logs.
    pub sensitive: Option<At>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FactType {
    /// A closed set of named values.
    Enum(Vec<Ident>),
    Bool,
    Number,
    String,
    Date,
    DateTime,
    Duration,
    /// `time of day of now in "Europe/Berlin"`, `weekday of now in ...`:
    /// a part of a datetime fact's value in a zone.
    Local {
        weekday: bool,
        of: Ident,
        zone: Spanned<String>,
    },
}

/// `outcome manual-migrate "text"`.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeDecl {
    pub name: Ident,
    pub doc: Option<Spanned<String>>,
    pub span: At,
}

/// `set eu = {AT BE BG} "the EU's member states"`.
#[derive(Clone, Debug, PartialEq)]
pub struct SetDecl {
    pub name: Ident,
    pub values: Spanned<Vec<Spanned<Literal>>>,
    pub doc: Option<Spanned<String>>,
}

/// The values an `in` test names: written out, or a named set.
#[derive(Clone, Debug, PartialEq)]
pub enum SetRef {
    Values(Spanned<Vec<Spanned<Literal>>>),
    Named(Ident),
}

impl SetRef {
    pub fn span(&self) -> Span {
        match self {
            SetRef::Values(values) => values.span,
            SetRef::Named(name) => name.span,
        }
    }
}

/// `when license { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct WhenBlock {
    pub conditions: Vec<Condition>,
    pub items: Vec<BlockItem>,
    pub span: At,
}

#[derive(Clone, Debug, PartialEq)]
pub enum BlockItem {
    Rule(Rule),
    When(WhenBlock),
}

/// Conditions with one verdict among them, and the texts a user is shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// `name:` before the conditions.
    pub name: Option<Ident>,
    /// The conditions written before the verdict, then what follows it
    /// (for `->`, the outcome's words first), in one list: a rule is one
    /// allocation, however its words fall around the verdict.
    pub conditions: Vec<Condition>,
    /// How many of `conditions` are written before the verdict.
    pub before_verdict: u32,
    pub verdict: Spanned<VerdictMark>,
    /// The `because` and `see` lines, if the rule has any.
    pub clauses: Option<Box<RuleClauses>>,
    pub span: At,
}

/// A rule's `because "..."` and `see "..."` lines, boxed apart from the
/// rule: a generated policy's rules often have none, and a rule without
/// them is then 88 bytes, not 136.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleClauses {
    pub because: Option<Spanned<String>>,
    pub see: Vec<Spanned<String>>,
}

impl RuleClauses {
    /// The clauses, boxed, or `None` when there are none.
    pub fn of(because: Option<Spanned<String>>, see: Vec<Spanned<String>>) -> Option<Box<Self>> {
        (because.is_some() || !see.is_empty()).then(|| Box::new(RuleClauses { because, see }))
    }
}

impl Rule {
    /// The conditions written before the verdict.
    pub fn before(&self) -> &[Condition] {
        let split = (self.before_verdict as usize).min(self.conditions.len());
        self.conditions.get(..split).unwrap_or_default()
    }

    /// What follows the verdict: for `->`, the outcome's words come first.
    pub fn after(&self) -> &[Condition] {
        let split = (self.before_verdict as usize).min(self.conditions.len());
        self.conditions.get(split..).unwrap_or_default()
    }

    /// The text of the rule's `because` line.
    pub fn because(&self) -> Option<&Spanned<String>> {
        self.clauses.as_ref()?.because.as_ref()
    }

    /// The texts of the rule's `see` lines.
    pub fn see(&self) -> &[Spanned<String>] {
        self.clauses.as_ref().map_or(&[], |clauses| &clauses.see)
    }

    /// The bare words right after the verdict: for `->`, the outcome is
    /// the longest run of them that names one (`-> manual migrate`).
    pub fn words_after_verdict(&self) -> Vec<&Ident> {
        self.after()
            .iter()
            .map_while(|c| match c {
                Condition::Word(w) => Some(w),
                _ => None,
            })
            .collect()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerdictMark {
    /// `can`: allow.
    Can,
    /// `cannot`: deny.
    Cannot,
    /// `->`: the outcome named by the words that follow.
    Arrow,
}

/// One condition of a rule. A bare word, the most common, is a word and a
/// span; the other kinds are boxed, so that a rule's list of conditions
/// holds 32 bytes a condition, whatever its kind.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// A bare word: a value of some fact, or a boolean fact's name.
    Word(Ident),
    /// `{Advisor Open EA}`: one of these values of one fact.
    Set(Box<Spanned<Vec<Spanned<Literal>>>>),
    /// `not CONDITION`
    Not(Box<Condition>, At),
    /// `(A B or C)`: alternatives, each conditions that all hold.
    // Boxed, so that a condition is 32 bytes: the box and the span fit
    // beside a word's inline text, the vector and the span do not.
    #[allow(clippy::box_collection)]
    Group(Box<Vec<Vec<Condition>>>, At),
    /// `fact has VALUE`, `fact has any of {...}`, ...
    Has(Box<HasTest>),
    /// `fact starts with "text"`, `fact ends with "text"`
    Affix(Box<AffixTest>),
    /// `fact OP value`, `fact OP other + 14 days`
    Compare(Box<Comparison>),
    /// `fact within 14 days of other`
    Within(Box<WithinTest>),
    /// `fact in {...}`, `fact not in {...}`, `fact in SET`
    In(Box<InTest>),
}

/// `fact has VALUE`, `fact has any of {...}`, `fact has all of NAME`,
/// `fact has none of {...}`
#[derive(Clone, Debug, PartialEq)]
pub struct HasTest {
    pub fact: Ident,
    pub quantifier: Spanned<Quantifier>,
    pub values: HasValues,
}

/// `fact starts with "text"`, `fact ends with "text"`
#[derive(Clone, Debug, PartialEq)]
pub struct AffixTest {
    pub fact: Ident,
    pub end: Spanned<StringEnd>,
    pub text: Spanned<String>,
}

/// `fact OP value`, and `fact OP other + 14 days` (the offset is a
/// duration, negative for `-`).
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub fact: Ident,
    pub op: Spanned<CompareOp>,
    pub value: Spanned<Literal>,
    pub offset: Option<Spanned<Literal>>,
}

/// `fact within 14 days of other`
#[derive(Clone, Debug, PartialEq)]
pub struct WithinTest {
    pub fact: Ident,
    pub distance: Spanned<Literal>,
    pub other: Ident,
}

/// `fact in {...}`, `fact not in {...}`, `fact in SET`
#[derive(Clone, Debug, PartialEq)]
pub struct InTest {
    pub fact: Ident,
    pub negated: bool,
    pub set: SetRef,
}

impl Condition {
    pub fn span(&self) -> Span {
        match self {
            Condition::Word(word) => word.span,
            Condition::Set(set) => set.span,
            Condition::Not(_, at) | Condition::Group(_, at) => at.0,
            Condition::Compare(test) => test
                .fact
                .span
                .to(test.offset.as_ref().map_or(test.value.span, |o| o.span)),
            Condition::Within(test) => test.fact.span.to(test.other.span),
            Condition::In(test) => test.fact.span.to(test.set.span()),
            Condition::Affix(test) => test.fact.span.to(test.text.span),
            Condition::Has(test) => test.fact.span.to(match &test.values {
                HasValues::One(value) => value.span,
                HasValues::Set(set) => set.span(),
            }),
        }
    }
}

/// How many of the listed values a `has` test wants in the array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantifier {
    /// `has VALUE`
    One,
    /// `has any of`
    Any,
    /// `has all of`
    All,
    /// `has none of`
    None,
}

/// The values of a `has` test: one, or a set (written or named).
#[derive(Clone, Debug, PartialEq)]
pub enum HasValues {
    One(Spanned<Literal>),
    Set(SetRef),
}

/// Which end of a string an affix test looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StringEnd {
    /// `starts with`
    Start,
    /// `ends with`
    End,
}

impl StringEnd {
    /// The words as written.
    pub fn words(self) -> &'static str {
        match self {
            StringEnd::Start => "starts with",
            StringEnd::End => "ends with",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    /// Whether `x OP y` holds.
    pub fn holds(self, x: f64, y: f64) -> bool {
        match self {
            CompareOp::Eq => x == y,
            CompareOp::Ne => x != y,
            CompareOp::Lt => x < y,
            CompareOp::Le => x <= y,
            CompareOp::Gt => x > y,
            CompareOp::Ge => x >= y,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A bare word: an enum value or an outcome name.
    Word(CompactString),
    String(String),
    Number(f64),
    Bool(bool),
    Time(TimeLit),
}

/// A time as a policy writes it; the checker reads it.
#[derive(Clone, Debug, PartialEq)]
pub enum TimeLit {
    /// `2026-12-01`
    Date(String),
    /// `2026-12-01T10:30:00Z`
    DateTime(String),
    /// `09:30`
    Clock(String),
    /// `14 days`: the amount and the unit as written.
    Duration(f64, String),
}

impl Literal {
    /// The text of a word or a string.
    pub fn text(&self) -> Option<&str> {
        match self {
            Literal::Word(word) => Some(word),
            Literal::String(text) => Some(text),
            _ => None,
        }
    }
}

impl std::fmt::Display for Literal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Literal::Word(w) => f.write_str(w),
            Literal::String(s) => write!(f, "{s:?}"),
            Literal::Number(n) => write!(f, "{n}"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Time(TimeLit::Date(t) | TimeLit::DateTime(t) | TimeLit::Clock(t)) => {
                f.write_str(t)
            }
            Literal::Time(TimeLit::Duration(n, unit)) => write!(f, "{n} {unit}"),
        }
    }
}

/// One test of a `.tests` file.
#[derive(Clone, Debug)]
pub struct TestCase {
    /// The test's name.
    pub name: String,
    /// The `test "name"` line.
    pub span: Span,
    /// `file:line` of the test.
    pub location: String,
    /// The policy the test names with `policy NAME`, and where.
    pub policy: Option<(String, Span)>,
    /// The facts as written; `Err` holds serde_json's complaint.
    pub facts: Result<Value, String>,
    /// The `facts` line.
    pub facts_span: Span,
    /// The evaluation time the test gives with `now TIME`.
    pub now: Option<jiff::Timestamp>,
    /// What the test expects.
    pub expect: Expect,
    /// The `expect` line.
    pub expect_span: Span,
    /// The decision or the code the `expect` line names.
    pub expect_value_span: Span,
    /// The rule the `expect` line names, if it names one.
    pub expect_rule_span: Option<Span>,
}

/// What a test expects.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// A decision, and optionally the rule that makes it: its `file:line`
    /// (or the end of it) or its name.
    Decision {
        /// The decision (`allow`, `deny`, an outcome or `none`).
        decision: String,
        /// The rule's location, or the end of it (`channels.policy:6`), or
        /// its name.
        rule: Option<String>,
    },
    /// An error with this code.
    Error {
        /// The diagnostic code (`verdict::facts::missing`).
        code: String,
    },
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expect::Decision {
                decision,
                rule: Some(rule),
            } => write!(f, "{decision} (rule {rule})"),
            Expect::Decision {
                decision,
                rule: None,
            } => f.write_str(decision),
            Expect::Error { code } => write!(f, "error {code}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large file's tree is mostly items and conditions, one per line
    /// and a few per line: their sizes are what parsing 200 MB costs
    /// (`docs/performance.md`, "A compact syntax tree").
    #[test]
    fn items_and_conditions_stay_small() {
        assert!(size_of::<Condition>() <= 32, "{}", size_of::<Condition>());
        assert!(size_of::<Item>() <= 88, "{}", size_of::<Item>());
        assert!(size_of::<Ident>() <= 32, "{}", size_of::<Ident>());
    }
}
