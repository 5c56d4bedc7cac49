//! Name resolution and typing: bare words to facts, literals to typed
//! values, each fact's domain of atoms, and the facts and values no rule
//! uses. `reduce` then turns the resolved conditions into atom sets.

use std::collections::HashMap;

use crate::ast::{self, CompareOp, Condition, Literal, StringEnd, TimeLit, VerdictMark};
use crate::diagnostics::words;
use crate::diagnostics::CheckError;
use crate::model::*;
use crate::source::Span;

/// A resolved, typed literal.
#[derive(Clone, Debug)]
pub(super) enum Lit {
    Enum(u32),
    Bool(bool),
    Num(f64),
    Str(String),
}

/// A resolved condition on one fact.
#[derive(Clone, Debug)]
pub(super) enum Pred {
    /// The fact has one of these values.
    Is(FactId, Vec<Lit>),
    /// The number compares so with a constant.
    Cmp(FactId, CompareOp, f64),
    /// The value of an ordered enum compares so with the value at this
    /// index of its declaration.
    Rank(FactId, CompareOp, u32),
    /// The string starts (or ends) with this text.
    Affix(FactId, StringEnd, String),
    Not(Box<Pred>),
    /// `(A B or C)`: holds when every condition of one alternative does;
    /// each alternative with where it is written.
    Any(Vec<Alternative>),
    /// An empty value set: holds for no facts.
    Never,
}

/// One alternative of a group: its conditions, each with where it is
/// written, and where the whole alternative is.
#[derive(Clone, Debug)]
pub(super) struct Alternative {
    pub(super) preds: Vec<(Pred, Span)>,
    pub(super) span: Span,
}

/// The declared outcomes, with their names indexed for lookups.
pub(super) struct Outcomes<'a> {
    pub(super) list: &'a [Outcome],
    pub(super) names: std::collections::HashSet<&'a str>,
}

impl<'a> Outcomes<'a> {
    pub(super) fn new(list: &'a [Outcome]) -> Outcomes<'a> {
        Outcomes {
            list,
            names: list.iter().map(|o| o.name.as_str()).collect(),
        }
    }
}

/// A rule with its verdict resolved and its conditions typed, each with
/// where it is written.
pub(super) struct ResolvedRule {
    pub(super) verdict: Verdict,
    pub(super) preds: Vec<(Pred, Span)>,
}

/// A fact declaration as far as resolution needs it.
struct FactInfo<'a> {
    decl: &'a ast::FactDecl,
    kind: Kind,
    default: Option<Lit>,
    /// Constants the rules compare a number with, or strings they test.
    numbers: Vec<f64>,
    strings: Vec<String>,
    /// Texts the rules test strings to start or end with.
    prefixes: Vec<String>,
    suffixes: Vec<String>,
    /// Whether some rule has a condition on the fact.
    used: bool,
    /// For enum facts: which values some rule names.
    mentioned: Vec<bool>,
    /// For enum facts (and weekdays): each value's atom, its first place
    /// in the declaration, found at once however many values there are.
    positions: HashMap<&'a str, u32>,
    /// A `set of` fact: rules test what its array holds.
    collection: bool,
    /// The values are in order (`{bronze < silver < gold}`, weekdays).
    ordered: bool,
    /// `default now`: absent means the evaluation time.
    now: bool,
    /// A part of a datetime fact in a zone, once the zone and the fact are
    /// known.
    local: Option<(Local, FactId)>,
    /// Where the value is read: the declared path, or a local part's
    /// datetime's.
    path: Vec<String>,
}

/// A fact the rules derive from declared ones, numbered after them: a
/// value tested in a `set of` fact's array (see [`FactType::Has`]), or a
/// relation between two facts (see [`FactType::Relation`]).
enum Derived {
    Has {
        of: FactId,
        value: serde_json::Value,
    },
    Relation {
        relation: Relation,
        /// How it reads: `requester = owner`.
        name: String,
        span: Span,
    },
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Enum,
    Bool,
    Number,
    String,
    Time(TimeKind),
}

impl Kind {
    /// With its article, for messages: "an enum".
    fn name(self) -> &'static str {
        match self {
            Kind::Enum => "an enum",
            Kind::Bool => "a bool",
            Kind::Number => "a number",
            Kind::String => "a string",
            Kind::Time(kind) => kind.name(),
        }
    }
}

/// A time of `kind` as a policy writes it, for help lines.
fn time_example(kind: TimeKind) -> &'static str {
    match kind {
        TimeKind::Date => "2026-12-01",
        TimeKind::DateTime => "2026-12-01T10:30:00Z",
        TimeKind::Duration => "14 days",
        TimeKind::Clock => "09:30",
    }
}

/// The keywords a rule's words may be typos of.
const RULE_KEYWORDS: [&str; 12] = [
    "not", "can", "cannot", "when", "because", "see", "has", "within", "before", "after",
    "between", "and",
];

pub(super) struct Resolver<'a, 'o> {
    facts: Vec<FactInfo<'a>>,
    by_name: HashMap<&'a str, FactId>,
    /// Enum value → the enum facts that have it.
    values: HashMap<&'a str, Vec<FactId>>,
    /// The named sets, in declaration order, each with whether a rule uses it.
    sets: Vec<(&'a ast::SetDecl, bool)>,
    /// The facts rules derive from declared ones; derived fact `i` is the
    /// fact `facts.len() + i`.
    derived: Vec<Derived>,
    /// Names a bare word may be a typo of besides values, bool facts and
    /// sets: the policy's name and its outcomes (see
    /// [`other_names`](Self::other_names)).
    policy_name: String,
    outcome_names: Vec<String>,
    out: &'o mut Vec<CheckError>,
}

impl<'a, 'o> Resolver<'a, 'o> {
    pub(super) fn new(
        decls: &[&'a ast::FactDecl],
        sets: &[&'a ast::SetDecl],
        out: &'o mut Vec<CheckError>,
    ) -> Self {
        let mut resolver = Resolver {
            facts: Vec::new(),
            by_name: HashMap::new(),
            values: HashMap::new(),
            sets: sets.iter().map(|set| (*set, false)).collect(),
            derived: Vec::new(),
            policy_name: String::new(),
            outcome_names: Vec::new(),
            out,
        };
        for decl in decls {
            let id = FactId(resolver.facts.len() as u32);
            let kind = match &decl.ty.node {
                ast::FactType::Enum(values) => {
                    let mut seen: HashMap<&str, &ast::Ident> = HashMap::new();
                    for value in values {
                        if let Some(first) = seen.get(value.node.as_str()) {
                            resolver.out.push(CheckError::Duplicate {
                                what: "value",
                                name: value.node.to_string(),
                                first: first.span,
                                again: value.span,
                                help: "list each value once",
                            });
                            continue;
                        }
                        seen.insert(value.node.as_str(), value);
                        // A set fact's values are never bare words: they
                        // say nothing of what the array holds.
                        if decl.collection.is_none() {
                            resolver
                                .values
                                .entry(value.node.as_str())
                                .or_default()
                                .push(id);
                        }
                    }
                    Kind::Enum
                }
                ast::FactType::Bool => Kind::Bool,
                ast::FactType::Number => Kind::Number,
                ast::FactType::String => Kind::String,
                ast::FactType::Date => Kind::Time(TimeKind::Date),
                ast::FactType::DateTime => Kind::Time(TimeKind::DateTime),
                ast::FactType::Duration => Kind::Time(TimeKind::Duration),
                ast::FactType::Local { weekday: true, .. } => {
                    for day in WEEKDAYS {
                        resolver.values.entry(day).or_default().push(id);
                    }
                    Kind::Enum
                }
                ast::FactType::Local { weekday: false, .. } => Kind::Time(TimeKind::Clock),
            };
            let now = matches!(
                (&decl.default, kind),
                (Some(default), Kind::Time(TimeKind::Date | TimeKind::DateTime))
                    if default.node == Literal::Word("now".into())
            );
            resolver.by_name.insert(decl.name.node.as_str(), id);
            let names: Vec<&str> = match &decl.ty.node {
                ast::FactType::Enum(values) => values.iter().map(|v| v.node.as_str()).collect(),
                ast::FactType::Local { weekday: true, .. } => WEEKDAYS.to_vec(),
                _ => Vec::new(),
            };
            let mut positions = HashMap::with_capacity(names.len());
            for (i, name) in names.into_iter().enumerate() {
                positions.entry(name).or_insert(i as u32);
            }
            resolver.facts.push(FactInfo {
                decl,
                kind,
                default: None,
                numbers: Vec::new(),
                strings: Vec::new(),
                prefixes: Vec::new(),
                suffixes: Vec::new(),
                used: false,
                mentioned: Vec::new(),
                positions,
                collection: decl.collection.is_some(),
                ordered: decl.ordered
                    || matches!(decl.ty.node, ast::FactType::Local { weekday: true, .. }),
                now,
                local: None,
                path: decl.path.node.clone(),
            });
            if let (Some(collection), Kind::Time(kind)) = (decl.collection, kind) {
                resolver.out.push(CheckError::BadTime {
                    message: format!(
                        "set fact `{}` cannot hold {}s",
                        decl.name.node,
                        kind.name().trim_start_matches("a ")
                    ),
                    span: collection.0.to(decl.ty.span),
                    label: "a set of times",
                    help: String::from(
                        "sets hold values, strings or numbers; declare each time a fact of its own",
                    ),
                });
                continue;
            }
            if let (Some(collection), Kind::Bool) = (decl.collection, kind) {
                resolver.out.push(CheckError::BadSetFact {
                    fact: decl.name.node.to_string(),
                    problem: "cannot hold bools",
                    span: collection.0.to(decl.ty.span),
                    help: "an array of `true` and `false` says little: declare the bools it stands for, each a fact of its own",
                });
            }
            if let (Some(_), Some(default)) = (decl.collection, &decl.default) {
                resolver.out.push(CheckError::BadSetFact {
                    fact: decl.name.node.to_string(),
                    problem: "cannot have a default",
                    span: default.span,
                    help: "write `optional` instead: an absent set fact then holds nothing",
                });
                continue;
            }
            if let (Some(optional), Some(default)) = (decl.optional, &decl.default) {
                resolver.out.push(CheckError::OptionalWithDefault {
                    name: decl.name.node.to_string(),
                    optional: optional.0,
                    default: default.span,
                });
            }
            if let (Some(default), false) = (&decl.default, now) {
                let lit = resolver.literal(id, default);
                if let Some(info) = resolver.facts.get_mut(id.0 as usize) {
                    info.default = lit;
                }
            }
        }
        resolver.check_set_names();
        resolver.resolve_locals();
        resolver
    }

    /// Ties each `time of day of` and `weekday of` fact to its datetime
    /// fact and its zone.
    fn resolve_locals(&mut self) {
        for index in 0..self.facts.len() {
            let Some(info) = self.facts.get(index) else {
                continue;
            };
            let decl = info.decl;
            let ast::FactType::Local { weekday, of, zone } = &decl.ty.node else {
                continue;
            };
            let Some(base) = self.fact_named(of) else {
                continue;
            };
            let Some(base_info) = self.info(base) else {
                continue;
            };
            let base_kind = base_info.kind;
            if base_kind != Kind::Time(TimeKind::DateTime) || base_info.collection {
                let part = if *weekday { "weekday" } else { "time of day" };
                self.out.push(CheckError::BadTime {
                    message: format!(
                        "`{}` is the {part} of `{}`, which is {}, not a datetime",
                        decl.name.node,
                        of.node,
                        if base_info.collection {
                            "a set"
                        } else {
                            base_kind.name()
                        }
                    ),
                    span: of.span,
                    label: "not a datetime",
                    help: format!(
                        "a {part} is taken of an instant: declare `{}` as `datetime` (RFC 3339 with an offset, such as \"2026-12-01T10:30:00Z\")",
                        of.node
                    ),
                });
                continue;
            }
            let Some(tz) = Local::zone(&zone.node) else {
                let names: Vec<String> =
                    jiff::tz::db().available().map(|n| n.to_string()).collect();
                let help = words::did_you_mean(&zone.node, names.iter().map(String::as_str))
                    .unwrap_or_else(|| {
                        String::from("name an IANA time zone, such as \"Europe/Berlin\" or \"America/New_York\"")
                    });
                self.out.push(CheckError::BadTime {
                    message: format!("`{}` is not a time zone", zone.node),
                    span: zone.span,
                    label: "unknown time zone",
                    help,
                });
                continue;
            };
            let path = self.fact_path(base);
            if let Some(info) = self.facts.get_mut(index) {
                info.local = Some((
                    Local {
                        part: if *weekday {
                            LocalPart::Weekday
                        } else {
                            LocalPart::Clock
                        },
                        zone: zone.node.clone(),
                        tz,
                    },
                    base,
                ));
                info.path = path;
            }
        }
    }

    /// A set's name is a word of the rules: it may not also be a fact's
    /// name or a value.
    fn check_set_names(&mut self) {
        for (set, _) in &self.sets {
            let name = set.name.node.as_str();
            let taken = self
                .by_name
                .get(name)
                .and_then(|id| self.facts.get(id.0 as usize))
                .map(|info| ("fact", info.decl.name.span))
                .or_else(|| {
                    let id = self.values.get(name)?.first()?;
                    let info = self.facts.get(id.0 as usize)?;
                    let ast::FactType::Enum(values) = &info.decl.ty.node else {
                        return None;
                    };
                    let value = values.iter().find(|v| v.node == name)?;
                    Some(("value", value.span))
                });
            if let Some((what, first)) = taken {
                self.out.push(CheckError::Duplicate {
                    what: if what == "fact" {
                        "name of a fact and a set"
                    } else {
                        "name of a value and a set"
                    },
                    name: name.to_string(),
                    first,
                    again: set.name.span,
                    help: "a set's name stands for its values in rules: name it differently",
                });
            }
        }
    }

    /// The named set called `name`, marked as used.
    fn set_named(&mut self, name: &str) -> Option<&'a ast::SetDecl> {
        let (set, used) = self
            .sets
            .iter_mut()
            .find(|(set, _)| set.name.node == name)?;
        *used = true;
        Some(*set)
    }

    fn info(&self, id: FactId) -> Option<&FactInfo<'a>> {
        self.facts.get(id.0 as usize)
    }

    fn enum_values(&self, id: FactId) -> Vec<&'a str> {
        match self.info(id).map(|f| &f.decl.ty.node) {
            Some(ast::FactType::Enum(values)) => values.iter().map(|v| v.node.as_str()).collect(),
            Some(ast::FactType::Local { weekday: true, .. }) => WEEKDAYS.to_vec(),
            _ => Vec::new(),
        }
    }

    /// How many values enum fact `id` declares (weekdays: 7).
    fn enum_count(&self, id: FactId) -> u32 {
        match self.info(id).map(|f| &f.decl.ty.node) {
            Some(ast::FactType::Enum(values)) => values.len() as u32,
            Some(ast::FactType::Local { weekday: true, .. }) => WEEKDAYS.len() as u32,
            _ => 0,
        }
    }

    /// Value `i` of enum fact `id`.
    fn enum_value(&self, id: FactId, i: u32) -> Option<&'a str> {
        match self.info(id).map(|f| &f.decl.ty.node) {
            Some(ast::FactType::Enum(values)) => values.get(i as usize).map(|v| v.node.as_str()),
            Some(ast::FactType::Local { weekday: true, .. }) => WEEKDAYS.get(i as usize).copied(),
            _ => None,
        }
    }

    /// The atom of value `word` of enum fact `id`.
    fn enum_position(&self, id: FactId, word: &str) -> Option<u32> {
        self.info(id)?.positions.get(word).copied()
    }

    fn fact_path(&self, id: FactId) -> Vec<String> {
        self.info(id).map_or_else(Vec::new, |f| f.path.clone())
    }

    fn fact_name(&self, id: FactId) -> &'a str {
        self.info(id).map_or("", |f| f.decl.name.node.as_str())
    }

    /// Resolves one rule; `None` when it has errors (already reported).
    pub(super) fn rule(
        &mut self,
        shared: &[&ast::Condition],
        rule: &ast::Rule,
        outcomes: &Outcomes<'_>,
    ) -> Option<ResolvedRule> {
        let errors_before = self.out.len();
        let (verdict, after) = match rule.verdict.node {
            VerdictMark::Can => (Some(Verdict::Allow), rule.after()),
            VerdictMark::Cannot => (Some(Verdict::Deny), rule.after()),
            VerdictMark::Arrow => self.outcome(rule, outcomes),
        };
        let mut preds = Vec::new();
        let conditions: Vec<&Condition> = shared
            .iter()
            .copied()
            .chain(rule.before())
            .chain(after)
            .collect();
        let habits = self.habit_words(&conditions);
        for (condition, habit) in conditions.into_iter().zip(habits) {
            if habit {
                continue;
            }
            if let Some(pred) = self.condition(condition) {
                preds.push((pred, condition.span()));
            }
        }
        for (pred, _) in &preds {
            self.mark_used(pred);
        }
        let verdict = verdict?;
        (self.out.len() == errors_before).then_some(ResolvedRule { verdict, preds })
    }

    /// Words written from the habit of other languages, `and` between
    /// conditions and `is` between a fact and its value: one error for
    /// each kind in a rule, with the fix, and the conditions they touch
    /// are not resolved (and so not reported again). Unless a policy
    /// declares them as values.
    fn habit_words(&mut self, conditions: &[&Condition]) -> Vec<bool> {
        let mut skip = vec![false; conditions.len()];
        let word_at = |i: usize| match conditions.get(i) {
            Some(Condition::Word(w)) => Some(w),
            _ => None,
        };
        let mut said_and = false;
        for i in 0..conditions.len() {
            let Some(word) = word_at(i) else { continue };
            let text = word.node.as_str();
            if self.values.contains_key(text) || self.by_name.contains_key(text) {
                continue;
            }
            // `and` is a keyword (it continues a rule on the next line) and
            // never reaches here; `AND` and `And` are words.
            if text.eq_ignore_ascii_case("and") {
                if !said_and {
                    self.out.push(CheckError::UnknownWord {
                        word: text.to_string(),
                        span: word.span,
                        help: Some(String::from(
                            "the conditions of a rule all hold, without `and`: remove it, as in `eu weight <= 30 can`; `and` only starts a line that continues the conditions of the line above",
                        )),
                    });
                    said_and = true;
                }
                if let Some(flag) = skip.get_mut(i) {
                    *flag = true;
                }
            } else if matches!(text, "is" | "equals" | "eq") {
                let fact = i
                    .checked_sub(1)
                    .and_then(word_at)
                    .filter(|f| self.by_name.contains_key(f.node.as_str()));
                let value = word_at(i + 1);
                if let (Some(fact), Some(value)) = (fact, value) {
                    self.out.push(CheckError::UnknownWord {
                        word: text.to_string(),
                        span: word.span,
                        help: Some(format!(
                            "compare with `=`: write `{} = {}`, or the value alone: `{}`",
                            fact.node, value.node, value.node
                        )),
                    });
                    for j in i - 1..=i + 1 {
                        if let Some(flag) = skip.get_mut(j) {
                            *flag = true;
                        }
                    }
                }
            }
        }
        skip
    }

    /// The outcome named after `->` (the longest run of leading words that
    /// names one), and the conditions after it.
    fn outcome<'r>(
        &mut self,
        rule: &'r ast::Rule,
        outcomes: &Outcomes<'_>,
    ) -> (Option<Verdict>, &'r [Condition]) {
        let words = rule.words_after_verdict();
        for take in (1..=words.len()).rev() {
            let Some(taken) = words.get(..take) else {
                continue;
            };
            let joined: Vec<&str> = taken.iter().map(|w| w.node.as_str()).collect();
            let name = joined.join("-");
            let verdict = match name.as_str() {
                "allow" => Some(Verdict::Allow),
                "deny" => Some(Verdict::Deny),
                _ => outcomes
                    .names
                    .contains(name.as_str())
                    .then(|| Verdict::Outcome(name.clone())),
            };
            if verdict.is_some() {
                return (verdict, rule.after().get(take..).unwrap_or_default());
            }
        }
        match words.first() {
            None => self.out.push(CheckError::MissingOutcome {
                span: rule.verdict.span,
            }),
            Some(first) => {
                // Label the longest run of words that looks like a known outcome.
                let names = outcome_names(outcomes.list);
                let mut found = None;
                for take in (1..=words.len()).rev() {
                    let taken: Vec<&ast::Ident> = words.iter().take(take).copied().collect();
                    let joined: Vec<&str> = taken.iter().map(|w| w.node.as_str()).collect();
                    if let Some(help) =
                        words::did_you_mean(&joined.join("-"), names.iter().copied())
                    {
                        let span = taken.iter().fold(first.span, |span, w| span.to(w.span));
                        found = Some((joined.join(" "), span, help));
                        break;
                    }
                }
                let (name, span, help) = found.unwrap_or_else(|| {
                    (
                        first.node.to_string(),
                        first.span,
                        declare_outcome_help(&first.node),
                    )
                });
                self.out.push(CheckError::UnknownOutcome {
                    name,
                    span,
                    expected: "not `allow`, `deny` or a declared outcome",
                    help: Some(help),
                });
            }
        }
        (None, &[])
    }

    fn condition(&mut self, condition: &Condition) -> Option<Pred> {
        // A set fact is tested only for what it holds.
        let scalar_only = match condition {
            Condition::Compare(test) => Some((&test.fact, test.op.node.symbol(), test.op.span)),
            Condition::In(test) => Some((&test.fact, "in", test.fact.span)),
            Condition::Affix(test) => Some((&test.fact, test.end.node.words(), test.end.span)),
            Condition::Within(test) => Some((&test.fact, "within", test.fact.span)),
            _ => None,
        };
        if let Some((fact, op, span)) = scalar_only {
            if let Some(id) = self.by_name.get(fact.node.as_str()).copied() {
                if self.info(id).is_some_and(|info| info.collection) {
                    self.bad_collection_operator(id, fact, op, span);
                    return None;
                }
            }
        }
        match condition {
            Condition::Has(test) => {
                let ast::HasTest {
                    fact,
                    quantifier,
                    values,
                } = &**test;
                self.has(fact, quantifier, values, condition.span())
            }
            Condition::Word(word) => self.word(word),
            Condition::Set(set) => self.bare_set(set),
            Condition::Not(inner, _) => self.condition(inner).map(|p| Pred::Not(Box::new(p))),
            Condition::Group(alternatives, _) => {
                // Resolve every alternative, so that all their errors show.
                let mut resolved = Vec::new();
                let mut failed = false;
                for alternative in alternatives.iter() {
                    let mut preds = Vec::new();
                    for condition in alternative {
                        match self.condition(condition) {
                            Some(pred) => preds.push((pred, condition.span())),
                            None => failed = true,
                        }
                    }
                    let span = alternative
                        .iter()
                        .map(Condition::span)
                        .reduce(Span::to)
                        .unwrap_or_default();
                    resolved.push(Alternative { preds, span });
                }
                (!failed).then_some(Pred::Any(resolved))
            }
            Condition::Within(test) => {
                let ast::WithinTest {
                    fact,
                    distance,
                    other,
                } = &**test;
                self.within(fact, distance, other, condition.span())
            }
            Condition::Compare(test) => {
                let ast::Comparison {
                    fact,
                    op,
                    value,
                    offset,
                } = &**test;
                let id = self.fact_named(fact)?;
                // A word that names a declared fact compares two facts.
                if let Literal::Word(word) = &value.node {
                    if let Some(other) = self.by_name.get(word.as_str()).copied() {
                        let ident = ast::Ident::new(word.clone(), value.span);
                        return self.compare_facts(
                            (id, fact),
                            op,
                            (other, &ident),
                            offset.as_ref(),
                            condition.span(),
                        );
                    }
                }
                if let Some(offset) = offset {
                    self.out.push(CheckError::BadTime {
                        message: format!("`{}` moves a fact, not a constant", offset.node),
                        span: offset.span,
                        label: "an offset after a constant",
                        help: format!(
                            "write the constant itself, moved: `{} {} VALUE`; an offset follows a fact, as in `{} {} other + {}`",
                            fact.node,
                            op.node.symbol(),
                            fact.node,
                            op.node.symbol(),
                            offset.node
                        ),
                    });
                    return None;
                }
                let info = self.info(id)?;
                let (kind, ordered) = (info.kind, info.ordered);
                let allowed = match kind {
                    Kind::Number | Kind::Time(_) => true,
                    Kind::Enum if ordered => true,
                    _ => matches!(op.node, CompareOp::Eq | CompareOp::Ne),
                };
                if !allowed {
                    let help = match kind {
                        Kind::Enum => format!(
                            "`{}` takes `=`, `!=` and `in {{...}}`; to compare, declare `{{{}}}`",
                            fact.node,
                            self.enum_values(id).join(" < ")
                        ),
                        _ => format!("`{}` takes `=`, `!=` and `in {{...}}`", fact.node),
                    };
                    self.out.push(CheckError::BadOperator {
                        op: op.node.symbol(),
                        fact: fact.node.to_string(),
                        ty: kind.name(),
                        span: op.span,
                        declared: self.info(id)?.decl.name.span,
                        help,
                    });
                    return None;
                }
                let lit = self.literal(id, value)?;
                let pred = match (op.node, lit) {
                    (CompareOp::Eq, lit) => Pred::Is(id, vec![lit]),
                    (CompareOp::Ne, lit) => Pred::Not(Box::new(Pred::Is(id, vec![lit]))),
                    (op, Lit::Num(n)) => Pred::Cmp(id, op, n),
                    (op, Lit::Enum(i)) => Pred::Rank(id, op, i),
                    (_, lit) => Pred::Is(id, vec![lit]),
                };
                Some(pred)
            }
            Condition::Affix(test) => {
                let ast::AffixTest { fact, end, text } = &**test;
                let id = self.fact_named(fact)?;
                let info = self.info(id)?;
                match info.kind {
                    Kind::String => {
                        if let Some(info) = self.facts.get_mut(id.0 as usize) {
                            let texts = match end.node {
                                StringEnd::Start => &mut info.prefixes,
                                StringEnd::End => &mut info.suffixes,
                            };
                            if !text.node.is_empty() && !texts.contains(&text.node) {
                                texts.push(text.node.clone());
                            }
                        }
                        Some(Pred::Affix(id, end.node, text.node.clone()))
                    }
                    // An enum's values are known: the test picks those it holds for.
                    Kind::Enum => {
                        let values = self.enum_values(id);
                        let lits = values
                            .iter()
                            .enumerate()
                            .filter(|(_, v)| match end.node {
                                StringEnd::Start => v.starts_with(text.node.as_str()),
                                StringEnd::End => v.ends_with(text.node.as_str()),
                            })
                            .map(|(i, _)| Lit::Enum(i as u32))
                            .collect();
                        Some(Pred::Is(id, lits))
                    }
                    kind => {
                        self.out.push(CheckError::BadOperator {
                            op: end.node.words(),
                            fact: fact.node.to_string(),
                            ty: kind.name(),
                            span: end.span,
                            declared: info.decl.name.span,
                            help: format!(
                                "`{}` tests strings and enum values; `{}` takes {}",
                                end.node.words(),
                                fact.node,
                                match kind {
                                    Kind::Number =>
                                        "`=`, `!=`, `<`, `<=`, `>`, `>=` and `in {...}`",
                                    _ => "`=`, `!=` and `in {...}`",
                                }
                            ),
                        });
                        None
                    }
                }
            }
            Condition::In(test) => {
                let ast::InTest { fact, negated, set } = &**test;
                let id = self.fact_named(fact)?;
                let values = match set {
                    ast::SetRef::Values(values) => values,
                    ast::SetRef::Named(name) => match self.set_named(&name.node) {
                        Some(set) => &set.values,
                        // `team in teams`: the value is an item of a set fact's array.
                        None if self.is_collection(&name.node) => {
                            let pred = self.member(fact, name, condition.span())?;
                            return Some(if *negated {
                                Pred::Not(Box::new(pred))
                            } else {
                                pred
                            });
                        }
                        None => {
                            self.unknown_set(name);
                            return None;
                        }
                    },
                };
                let lits: Option<Vec<Lit>> =
                    values.node.iter().map(|v| self.literal(id, v)).collect();
                let pred = Pred::Is(id, lits?);
                Some(if *negated {
                    Pred::Not(Box::new(pred))
                } else {
                    pred
                })
            }
        }
    }

    /// Records that a rule reads a fact, and which enum values it names.
    fn mark_used(&mut self, pred: &Pred) {
        match pred {
            Pred::Not(inner) => self.mark_used(inner),
            Pred::Any(alternatives) => {
                for alternative in alternatives {
                    for (pred, _) in &alternative.preds {
                        self.mark_used(pred);
                    }
                }
            }
            Pred::Never => {}
            Pred::Cmp(id, _, _) | Pred::Affix(id, _, _) => {
                if let Some(info) = self.facts.get_mut(id.0 as usize) {
                    info.used = true;
                }
            }
            Pred::Rank(id, op, index) => {
                // Every value on the compared side is named, as a range.
                let count = self.enum_count(*id);
                if let Some(info) = self.facts.get_mut(id.0 as usize) {
                    info.used = true;
                    info.mentioned
                        .resize(info.mentioned.len().max(count as usize), false);
                    for i in (0..count).filter(|i| op.holds(f64::from(*i), f64::from(*index))) {
                        if let Some(m) = info.mentioned.get_mut(i as usize) {
                            *m = true;
                        }
                    }
                }
            }
            Pred::Is(id, lits) => {
                if let Some(info) = self.facts.get_mut(id.0 as usize) {
                    info.used = true;
                    for lit in lits {
                        if let Lit::Enum(i) = lit {
                            let i = *i as usize;
                            if info.mentioned.len() <= i {
                                info.mentioned.resize(i + 1, false);
                            }
                            if let Some(m) = info.mentioned.get_mut(i) {
                                *m = true;
                            }
                        }
                    }
                }
            }
        }
    }

    /// Whether `name` is a declared set fact.
    fn is_collection(&self, name: &str) -> bool {
        self.by_name
            .get(name)
            .and_then(|id| self.info(*id))
            .is_some_and(|info| info.collection)
    }

    /// `left OP right` between two declared facts of one type.
    fn compare_facts(
        &mut self,
        (left, left_name): (FactId, &ast::Ident),
        op: &crate::source::Spanned<CompareOp>,
        (right, right_name): (FactId, &ast::Ident),
        offset: Option<&crate::source::Spanned<Literal>>,
        whole: Span,
    ) -> Option<Pred> {
        if self.local_in_relation([(left, left_name), (right, right_name)], whole) {
            return None;
        }
        let (left_info, right_info) = (self.info(left)?, self.info(right)?);
        // A word that is also one of the left fact's values is ambiguous.
        if self.enum_position(left, &right_name.node).is_some() {
            self.out.push(CheckError::AmbiguousWord {
                what: "word",
                word: right_name.node.to_string(),
                facts: format!(
                    "a value of `{}` or the fact `{}`",
                    left_name.node, right_name.node
                ),
                span: right_name.span,
                help: format!(
                    "for the value, quote it: `{} {} \"{}\"`; for the fact, rename one of them",
                    left_name.node,
                    op.node.symbol(),
                    right_name.node
                ),
            });
            return None;
        }
        let (left_kind, right_kind) = (left_info.kind, right_info.kind);
        let right_collection = right_info.collection;
        let textual = |k: Kind| matches!(k, Kind::Enum | Kind::String);
        let same_type = left_kind == right_kind || (textual(left_kind) && textual(right_kind));
        if right_collection || !same_type {
            let help = if right_collection {
                format!(
                    "`{}` is a set fact: to ask whether it holds the value, write `{} in {}`",
                    right_name.node, left_name.node, right_name.node
                )
            } else {
                String::from("compare facts of one type: numbers with numbers, bools with bools, strings and values with strings and values")
            };
            self.out.push(CheckError::Incomparable {
                left: left_name.node.to_string(),
                left_ty: left_kind.name(),
                right: right_name.node.to_string(),
                right_ty: if right_collection {
                    "a set"
                } else {
                    right_kind.name()
                },
                span: whole,
                help,
            });
            return None;
        }
        let ordered = !matches!(op.node, CompareOp::Eq | CompareOp::Ne);
        if ordered && !matches!(left_kind, Kind::Number | Kind::Time(_)) {
            self.out.push(CheckError::BadOperator {
                op: op.node.symbol(),
                fact: left_name.node.to_string(),
                ty: left_kind.name(),
                span: op.span,
                declared: left_info.decl.name.span,
                help: String::from(
                    "two facts compare with `<`, `<=`, `>` and `>=` when they are numbers or times; other facts take `=` and `!=`",
                ),
            });
            return None;
        }
        let shift = match offset {
            Some(offset) => self.offset_units(left_kind, offset)?,
            None => 0.0,
        };
        for id in [left, right] {
            if let Some(info) = self.facts.get_mut(id.0 as usize) {
                info.used = true;
            }
        }
        // One fact per relation: `!=` is `not =`, `>` and `>=` swap the
        // facts (and the offset's sign: `a > b + d` is `b < a - d`).
        let (relation_op, a, b, shift, negate) = match op.node {
            CompareOp::Eq | CompareOp::Ne => {
                let negate = op.node == CompareOp::Ne;
                if left <= right {
                    (RelationOp::Eq, left, right, shift, negate)
                } else {
                    (RelationOp::Eq, right, left, -shift, negate)
                }
            }
            CompareOp::Lt => (RelationOp::Lt, left, right, shift, false),
            CompareOp::Le => (RelationOp::Le, left, right, shift, false),
            CompareOp::Gt => (RelationOp::Lt, right, left, -shift, false),
            CompareOp::Ge => (RelationOp::Le, right, left, -shift, false),
        };
        let relation = Relation {
            op: relation_op,
            left: a,
            right: b,
            paths: (self.fact_path(a), self.fact_path(b)),
            offset: shift,
            time: match left_kind {
                Kind::Time(kind) => Some(kind),
                _ => None,
            },
        };
        let name = relation.describe(self.fact_name(a), self.fact_name(b));
        let fact = self.relation_fact(relation, name, whole);
        let pred = Pred::Is(fact, vec![Lit::Bool(true)]);
        Some(if negate {
            Pred::Not(Box::new(pred))
        } else {
            pred
        })
    }

    /// An offset or a distance in the unit of facts of `kind`: days for
    /// dates, seconds for other times; `None` (reported) when it is not a
    /// duration, moves something that is not a time, or splits a day.
    fn offset_units(
        &mut self,
        kind: Kind,
        offset: &crate::source::Spanned<Literal>,
    ) -> Option<f64> {
        let Kind::Time(time) = kind else {
            self.out.push(CheckError::BadTime {
                message: format!(
                    "`{}` moves a time, and these facts are {}s",
                    offset.node,
                    kind.name()
                        .trim_start_matches("a ")
                        .trim_start_matches("an ")
                ),
                span: offset.span,
                label: "a duration on facts that are not times",
                help: String::from(
                    "offsets and distances apply to dates, datetimes, durations and times of day",
                ),
            });
            return None;
        };
        let seconds = match &offset.node {
            Literal::Time(TimeLit::Duration(amount, unit)) => duration_seconds(*amount, unit),
            _ => None,
        }?;
        if time != TimeKind::Date {
            return Some(seconds);
        }
        let days = seconds / DAY;
        if days.fract() != 0.0 {
            self.out.push(CheckError::BadTime {
                message: format!("dates move by whole days, and `{}` is not", offset.node),
                span: offset.span,
                label: "part of a day",
                help: String::from("write whole days or weeks, as in `+ 14 days`; for hours, declare the facts as `datetime`"),
            });
            return None;
        }
        Some(days)
    }

    /// `fact within 14 days of other`: two times at most that far apart.
    fn within(
        &mut self,
        fact: &ast::Ident,
        distance: &crate::source::Spanned<Literal>,
        other: &ast::Ident,
        whole: Span,
    ) -> Option<Pred> {
        let left = self.fact_named(fact)?;
        let right = self.fact_named(other)?;
        if self.local_in_relation([(left, fact), (right, other)], whole) {
            return None;
        }
        let (left_info, right_info) = (self.info(left)?, self.info(right)?);
        let (left_kind, right_kind) = (left_info.kind, right_info.kind);
        if left_kind != right_kind || right_info.collection || !matches!(left_kind, Kind::Time(_)) {
            self.out.push(CheckError::Incomparable {
                left: fact.node.to_string(),
                left_ty: left_kind.name(),
                right: other.node.to_string(),
                right_ty: if right_info.collection {
                    "a set"
                } else {
                    right_kind.name()
                },
                span: whole,
                help: String::from(
                    "`within` measures between two times of one type: dates with dates, datetimes with datetimes",
                ),
            });
            return None;
        }
        let units = self.offset_units(left_kind, distance)?;
        if units < 0.0 {
            self.out.push(CheckError::BadTime {
                message: format!("a distance cannot be negative, and `{}` is", distance.node),
                span: distance.span,
                label: "negative",
                help: String::from(
                    "write how far apart the times may be, as in `within 14 days of`",
                ),
            });
            return None;
        }
        for id in [left, right] {
            if let Some(info) = self.facts.get_mut(id.0 as usize) {
                info.used = true;
            }
        }
        let (a, b) = (left.min(right), left.max(right));
        let relation = Relation {
            op: RelationOp::Within,
            left: a,
            right: b,
            paths: (self.fact_path(a), self.fact_path(b)),
            offset: units,
            time: match left_kind {
                Kind::Time(kind) => Some(kind),
                _ => None,
            },
        };
        let name = relation.describe(self.fact_name(a), self.fact_name(b));
        let fact = self.relation_fact(relation, name, whole);
        Some(Pred::Is(fact, vec![Lit::Bool(true)]))
    }

    /// The error for a relation that takes a local part (a time of day or
    /// a weekday) as one of its facts; `true` when there is one.
    fn local_in_relation(&mut self, sides: [(FactId, &ast::Ident); 2], whole: Span) -> bool {
        for (id, name) in sides {
            let Some(info) = self.info(id) else { continue };
            if matches!(info.decl.ty.node, ast::FactType::Local { .. }) {
                self.out.push(CheckError::BadTime {
                    message: format!(
                        "`{}` is a part of a datetime, and compares with constants only",
                        name.node
                    ),
                    span: whole,
                    label: "a part of a datetime related to another fact",
                    help: String::from(
                        "compare the datetimes themselves (`start < end + 2 hours`), or the part with a constant (`clock < 17:00`)",
                    ),
                });
                return true;
            }
        }
        false
    }

    /// `value in set` for a scalar fact and a set fact: whether the array
    /// holds the value.
    fn member(&mut self, value: &ast::Ident, set: &ast::Ident, whole: Span) -> Option<Pred> {
        let left = self.fact_named(value)?;
        let right = self.fact_named(set)?;
        if self.local_in_relation([(left, value), (right, set)], whole) {
            return None;
        }
        let (left_info, right_info) = (self.info(left)?, self.info(right)?);
        let textual = |k: Kind| matches!(k, Kind::Enum | Kind::String);
        let fits = !left_info.collection
            && right_info.collection
            && (left_info.kind == right_info.kind
                || (textual(left_info.kind) && textual(right_info.kind)));
        if !fits {
            let help = if left_info.collection {
                format!(
                    "`{}` is a set fact itself: test what it holds with `has`",
                    value.node
                )
            } else {
                String::from("an item of a set of values or strings is a value or a string; of a set of numbers, a number")
            };
            let (left_ty, right_ty) = (left_info.kind.name(), right_info.kind.name());
            self.out.push(CheckError::Incomparable {
                left: value.node.to_string(),
                left_ty: if left_info.collection {
                    "a set"
                } else {
                    left_ty
                },
                right: set.node.to_string(),
                right_ty,
                span: whole,
                help,
            });
            return None;
        }
        for id in [left, right] {
            if let Some(info) = self.facts.get_mut(id.0 as usize) {
                info.used = true;
            }
        }
        let name = format!("{} in {}", value.node, set.node);
        let fact = self.relation_fact(
            Relation {
                op: RelationOp::In,
                left,
                right,
                paths: (self.fact_path(left), self.fact_path(right)),
                offset: 0.0,
                time: None,
            },
            name,
            whole,
        );
        Some(Pred::Is(fact, vec![Lit::Bool(true)]))
    }

    /// The error for an operator other than `has` on a set fact.
    fn bad_collection_operator(
        &mut self,
        id: FactId,
        fact: &ast::Ident,
        op: &'static str,
        span: Span,
    ) {
        let example = self
            .enum_values(id)
            .first()
            .map_or("VALUE", |v| v)
            .to_string();
        let declared = self.info(id).map_or(fact.span, |info| info.decl.name.span);
        self.out.push(CheckError::BadOperator {
            op,
            fact: fact.node.to_string(),
            ty: "a set",
            span,
            declared,
            help: format!(
                "test what the array holds: `{0} has {example}`, `{0} has any of {{...}}`, `{0} has all of {{...}}` or `{0} has none of {{...}}`",
                fact.node
            ),
        });
    }

    /// `fact has VALUE`, `has any of`, `has all of`, `has none of`: one
    /// feature fact per value, combined.
    fn has(
        &mut self,
        fact: &ast::Ident,
        quantifier: &crate::source::Spanned<ast::Quantifier>,
        values: &ast::HasValues,
        whole: Span,
    ) -> Option<Pred> {
        let id = self.fact_named(fact)?;
        let info = self.info(id)?;
        if !info.collection {
            let (ty, declared) = (info.kind.name(), info.decl.name.span);
            self.out.push(CheckError::BadOperator {
                op: "has",
                fact: fact.node.to_string(),
                ty,
                span: quantifier.span,
                declared,
                help: format!(
                    "`has` tests what a set fact's array holds; declare one as `fact {}: set of ... at ...`",
                    fact.node
                ),
            });
            return None;
        }
        // `roles has required_role`: a scalar fact's value in the array.
        if let ast::HasValues::One(value) = values {
            if let Literal::Word(word) = &value.node {
                let is_value = self.enum_position(id, word).is_some();
                if let (false, Some(_)) = (is_value, self.by_name.get(word.as_str())) {
                    let scalar = ast::Ident::new(word.clone(), value.span);
                    return self.member(&scalar, fact, whole);
                }
            }
        }
        let written: Vec<(&crate::source::Spanned<Literal>, Span)> = match values {
            // One value: the whole condition is what it tests.
            ast::HasValues::One(value) => vec![(value, whole)],
            ast::HasValues::Set(ast::SetRef::Values(set)) => {
                set.node.iter().map(|v| (v, v.span)).collect()
            }
            ast::HasValues::Set(ast::SetRef::Named(name)) => match self.set_named(&name.node) {
                Some(set) => set.values.node.iter().map(|v| (v, name.span)).collect(),
                None => {
                    self.unknown_set(name);
                    return None;
                }
            },
        };
        let mut preds = Vec::new();
        for (value, span) in written {
            let lit = self.literal(id, value)?;
            let feature = self.feature(id, &lit);
            preds.push((Pred::Is(feature, vec![Lit::Bool(true)]), span));
        }
        if let Some(info) = self.facts.get_mut(id.0 as usize) {
            info.used = true;
        }
        let one_each = |preds: Vec<(Pred, Span)>| {
            preds
                .into_iter()
                .map(|(pred, span)| Alternative {
                    preds: vec![(pred, span)],
                    span,
                })
                .collect::<Vec<_>>()
        };
        Some(match quantifier.node {
            ast::Quantifier::One | ast::Quantifier::Any if preds.is_empty() => Pred::Never,
            ast::Quantifier::One | ast::Quantifier::Any => Pred::Any(one_each(preds)),
            ast::Quantifier::All => Pred::Any(vec![Alternative {
                preds,
                span: quantifier.span,
            }]),
            ast::Quantifier::None => Pred::Not(Box::new(Pred::Any(one_each(preds)))),
        })
    }

    /// The feature fact for `lit` in the array of the set fact `of`.
    fn feature(&mut self, of: FactId, lit: &Lit) -> FactId {
        let value = match lit {
            Lit::Enum(i) => serde_json::Value::String(
                self.enum_value(of, *i)
                    .map_or_else(String::new, str::to_string),
            ),
            Lit::Str(s) => serde_json::Value::String(s.clone()),
            Lit::Num(n) => crate::model::number_value(*n),
            Lit::Bool(b) => serde_json::Value::Bool(*b),
        };
        if let Lit::Enum(i) = lit {
            if let Some(info) = self.facts.get_mut(of.0 as usize) {
                let i = *i as usize;
                if info.mentioned.len() <= i {
                    info.mentioned.resize(i + 1, false);
                }
                if let Some(m) = info.mentioned.get_mut(i) {
                    *m = true;
                }
            }
        }
        let index =
            match self.derived.iter().position(
                |d| matches!(d, Derived::Has { of: o, value: v } if *o == of && *v == value),
            ) {
                Some(index) => index,
                None => {
                    self.derived.push(Derived::Has { of, value });
                    self.derived.len() - 1
                }
            };
        FactId((self.facts.len() + index) as u32)
    }

    /// The derived fact for a relation, written `name` at `span`.
    fn relation_fact(&mut self, relation: Relation, name: String, span: Span) -> FactId {
        let index = match self
            .derived
            .iter()
            .position(|d| matches!(d, Derived::Relation { relation: r, .. } if *r == relation))
        {
            Some(index) => index,
            None => {
                self.derived.push(Derived::Relation {
                    relation,
                    name,
                    span,
                });
                self.derived.len() - 1
            }
        };
        FactId((self.facts.len() + index) as u32)
    }

    /// Tells the resolver the policy's name and outcomes, so that a bare
    /// word a typo away from one of them (or naming one) is told so.
    pub(super) fn other_names(&mut self, policy: &str, outcomes: &[crate::model::Outcome]) {
        self.policy_name = policy.to_string();
        self.outcome_names = outcomes.iter().map(|o| o.name.clone()).collect();
    }

    fn fact_named(&mut self, name: &ast::Ident) -> Option<FactId> {
        if let Some(id) = self.by_name.get(name.node.as_str()) {
            return Some(*id);
        }
        let help = words::did_you_mean(&name.node, self.by_name.keys().copied()).or_else(|| {
            self.values
                .get(name.node.as_str())
                .and_then(|ids| ids.first())
                .map(|id| {
                    format!(
                        "`{}` is a value of `{}`, not a fact",
                        name.node,
                        self.fact_name(*id)
                    )
                })
        });
        self.out.push(CheckError::UnknownFact {
            name: name.node.to_string(),
            span: name.span,
            help: help.or_else(|| Some(String::from("declare it: `fact NAME: TYPE at JSON.PATH`"))),
        });
        None
    }

    /// The error for an `in` test naming a set that is not declared.
    fn unknown_set(&mut self, name: &ast::Ident) {
        let names: Vec<&str> = self
            .sets
            .iter()
            .map(|(s, _)| s.name.node.as_str())
            .collect();
        let help = words::did_you_mean(&name.node, names.iter().copied()).unwrap_or_else(|| {
            format!(
                "declare it: `set {} = {{...}}`, or write the values: `in {{...}}`",
                name.node
            )
        });
        self.out.push(CheckError::UnknownSet {
            name: name.node.to_string(),
            span: name.span,
            help,
        });
    }

    fn word(&mut self, word: &ast::Ident) -> Option<Pred> {
        let text = word.node.as_str();
        // A set's name stands for its values, as a bare value set does.
        if let Some(set) = self.set_named(text) {
            return self.bare_set(&set.values);
        }
        let mut candidates: Vec<(FactId, Pred)> = Vec::new();
        if let Some(id) = self.by_name.get(text) {
            if self.info(*id).is_some_and(|f| f.kind == Kind::Bool) {
                candidates.push((*id, Pred::Is(*id, vec![Lit::Bool(true)])));
            }
        }
        for id in self.values.get(text).cloned().unwrap_or_default() {
            let index = self.enum_position(id, text).unwrap_or(0);
            candidates.push((id, Pred::Is(id, vec![Lit::Enum(index)])));
        }
        match candidates.len() {
            1 => candidates.pop().map(|(_, pred)| pred),
            0 => {
                self.out.push(CheckError::UnknownWord {
                    word: text.to_string(),
                    span: word.span,
                    help: Some(self.unknown_word_help(text)),
                });
                None
            }
            _ => {
                let mut meanings = Vec::new();
                let mut rewrites = Vec::new();
                for (id, _) in &candidates {
                    let fact = self.fact_name(*id);
                    if self.info(*id).is_some_and(|f| f.kind == Kind::Bool) {
                        meanings.push(format!("the bool fact `{fact}`"));
                        rewrites.push(format!("`{fact} = true`"));
                    } else {
                        meanings.push(format!("a value of `{fact}`"));
                        rewrites.push(format!("`{fact} = {text}`"));
                    }
                }
                self.out.push(CheckError::AmbiguousWord {
                    what: "word",
                    word: text.to_string(),
                    facts: words::join_or(&meanings),
                    span: word.span,
                    help: format!("name the fact: write {}", words::join_or(&rewrites)),
                });
                None
            }
        }
    }

    fn unknown_word_help(&self, text: &str) -> String {
        // A value of a set fact says nothing alone: what holds it?
        let holder = self.facts.iter().find(|info| {
            info.collection
                && matches!(&info.decl.ty.node, ast::FactType::Enum(values) if values.iter().any(|v| v.node == text))
        });
        if let Some(info) = holder {
            return format!(
                "`{text}` is a value of the set fact `{0}`: write `{0} has {text}`",
                info.decl.name.node
            );
        }
        if let Some(id) = self.by_name.get(text) {
            let example = self
                .enum_values(*id)
                .first()
                .map_or("VALUE", |v| v)
                .to_string();
            return format!(
                "`{text}` is a fact, not a value: compare it, as in `{text} = {example}`"
            );
        }
        if self.outcome_names.iter().any(|o| o == text) {
            return format!(
                "`{text}` is an outcome: a rule decides it after its conditions, as in `-> {text}`"
            );
        }
        if text == self.policy_name {
            return format!(
                "`{text}` is the policy's name, not a value or a fact: a condition names a value or a bool fact"
            );
        }
        // A keyword the parser read as a word: `nto` for `not`.
        if text.chars().count() >= 3 {
            if let Some(keyword) = RULE_KEYWORDS
                .into_iter()
                .find(|k| strsim::damerau_levenshtein(text, k) == 1)
            {
                return format!(
                    "did you mean `{keyword}`? `{text}` is not a keyword, a value or a fact"
                );
            }
        }
        // The closest of every name a condition's word may be a typo of;
        // what it is says what to write.
        let mut known: Vec<(&str, &str)> = Vec::new();
        known.extend(self.values.keys().map(|v| (*v, "value")));
        for fact in &self.facts {
            let what = if fact.kind == Kind::Bool {
                "bool fact"
            } else {
                "fact"
            };
            known.push((fact.decl.name.node.as_str(), what));
        }
        known.extend(
            self.sets
                .iter()
                .map(|(set, _)| (set.name.node.as_str(), "set")),
        );
        known.extend(self.outcome_names.iter().map(|o| (o.as_str(), "outcome")));
        known.push((self.policy_name.as_str(), "policy"));
        let closest = words::closest(text, known.iter().map(|(name, _)| *name));
        let what = closest.and_then(|c| known.iter().find(|(name, _)| *name == c));
        match what {
            Some((name, "value" | "bool fact" | "set")) => format!("did you mean `{name}`?"),
            Some((name, "fact")) => {
                let id = self.by_name.get(name).copied();
                let kind = id.and_then(|id| self.facts.get(id.0 as usize)).map(|f| f.kind);
                let example = match (kind, id) {
                    (Some(Kind::Number), _) => String::from("> 0"),
                    (Some(Kind::String), _) => String::from("= \"text\""),
                    (Some(Kind::Time(kind)), _) => String::from(match kind {
                        TimeKind::Date => "before 2026-01-01",
                        TimeKind::DateTime => "before 2026-01-01T00:00:00Z",
                        TimeKind::Duration => "> 14 days",
                        TimeKind::Clock => ">= 09:00",
                    }),
                    (_, Some(id)) => match self.enum_values(id).first() {
                        Some(value) => format!("= {value}"),
                        None => String::from("= VALUE"),
                    },
                    _ => String::from("= VALUE"),
                };
                format!("did you mean the fact `{name}`? compare it, as in `{name} {example}`")
            }
            Some((name, "outcome")) => format!(
                "did you mean the outcome `{name}`? a rule decides it after its conditions: `-> {name}`"
            ),
            Some((name, _)) => format!(
                "did you mean `{name}`, the policy's name? a condition names a value or a bool fact, not the policy"
            ),
            None => String::from("a bare word must be a value of a declared fact (`fact NAME: {...} at PATH`) or the name of a bool fact"),
        }
    }

    fn bare_set(
        &mut self,
        set: &crate::source::Spanned<Vec<crate::source::Spanned<Literal>>>,
    ) -> Option<Pred> {
        let mut words = Vec::new();
        for value in &set.node {
            match &value.node {
                Literal::Word(w) => words.push((w.as_str(), value.span)),
                _ => {
                    self.out.push(CheckError::BareSet { span: set.span });
                    return None;
                }
            }
        }
        if words.is_empty() {
            return Some(Pred::Never);
        }
        let mut common: Option<Vec<FactId>> = None;
        let mut unknown = false;
        for (word, span) in &words {
            let facts = self.values.get(word).cloned().unwrap_or_default();
            if facts.is_empty() {
                self.out.push(CheckError::UnknownWord {
                    word: word.to_string(),
                    span: *span,
                    help: Some(self.unknown_word_help(word)),
                });
                unknown = true;
                continue;
            }
            common = Some(match common {
                None => facts,
                Some(c) => c.into_iter().filter(|id| facts.contains(id)).collect(),
            });
        }
        if unknown {
            return None;
        }
        let common = common.unwrap_or_default();
        match common.as_slice() {
            [id] => {
                let lits = words
                    .iter()
                    .filter_map(|(w, _)| self.enum_position(*id, w))
                    .map(Lit::Enum)
                    .collect();
                Some(Pred::Is(*id, lits))
            }
            [] => {
                let mut facts: Vec<String> = Vec::new();
                for (word, _) in &words {
                    for id in self.values.get(word).cloned().unwrap_or_default() {
                        let name = format!("`{}`", self.fact_name(id));
                        if !facts.contains(&name) {
                            facts.push(name);
                        }
                    }
                }
                self.out.push(CheckError::MixedSet {
                    facts: words::join_and(&facts),
                    span: set.span,
                });
                None
            }
            several => {
                let facts: Vec<&str> = several.iter().map(|id| self.fact_name(*id)).collect();
                let text = set_text(&words);
                let rewrites: Vec<String> =
                    facts.iter().map(|f| format!("`{f} in {text}`")).collect();
                self.out.push(CheckError::AmbiguousWord {
                    what: "value set",
                    word: text.clone(),
                    facts: words::join_or(
                        &facts
                            .iter()
                            .map(|f| format!("values of `{f}`"))
                            .collect::<Vec<_>>(),
                    ),
                    span: set.span,
                    help: format!("name the fact: write {}", words::join_or(&rewrites)),
                });
                None
            }
        }
    }

    /// Types a literal against a fact; records numbers and strings the fact's
    /// domain must tell apart.
    fn literal(&mut self, id: FactId, value: &crate::source::Spanned<Literal>) -> Option<Lit> {
        let info = self.info(id)?;
        let fact = info.decl.name.node.clone();
        let declared = info.decl.name.span;
        let kind = info.kind;
        let mismatch = |expected: String, help: Option<String>| CheckError::TypeMismatch {
            fact: fact.to_string(),
            value: value.node.to_string(),
            span: value.span,
            expected,
            declared,
            help,
        };
        match (kind, &value.node) {
            (Kind::Enum, Literal::Word(_) | Literal::String(_)) => {
                let w = value.node.text().unwrap_or_default();
                match self.enum_position(id, w) {
                    Some(i) => Some(Lit::Enum(i)),
                    None => {
                        let values = self.enum_values(id);
                        let help = words::did_you_mean(w, values.iter().copied()).or_else(|| {
                            Some(format!("`{fact}` is one of {}", set_text_of(&values)))
                        });
                        self.out
                            .push(mismatch(String::from("not in the declared set"), help));
                        None
                    }
                }
            }
            (Kind::Bool, Literal::Bool(b)) => Some(Lit::Bool(*b)),
            // `true` and `false` may be values of an enum fact too.
            (Kind::Enum, Literal::Bool(b))
                if self
                    .enum_position(id, if *b { "true" } else { "false" })
                    .is_some() =>
            {
                let word = if *b { "true" } else { "false" };
                self.enum_position(id, word).map(Lit::Enum)
            }
            (Kind::Number, Literal::Number(n)) => {
                if let Some(info) = self.facts.get_mut(id.0 as usize) {
                    info.numbers.push(*n);
                }
                Some(Lit::Num(*n))
            }
            (Kind::String, Literal::String(s)) => {
                if let Some(info) = self.facts.get_mut(id.0 as usize) {
                    if !info.strings.contains(s) {
                        info.strings.push(s.clone());
                    }
                }
                Some(Lit::Str(s.clone()))
            }
            (Kind::Time(kind), Literal::Time(lit)) => {
                let parsed = match (kind, lit) {
                    (TimeKind::Date, TimeLit::Date(t))
                    | (TimeKind::DateTime, TimeLit::DateTime(t))
                    | (TimeKind::Clock, TimeLit::Clock(t)) => Some(kind.parse(t).ok_or(t)),
                    (TimeKind::Duration, TimeLit::Duration(n, unit)) => {
                        duration_seconds(*n, unit).map(Ok)
                    }
                    _ => None,
                };
                match parsed {
                    Some(Ok(x)) => {
                        if let Some(info) = self.facts.get_mut(id.0 as usize) {
                            info.numbers.push(x);
                        }
                        Some(Lit::Num(x))
                    }
                    Some(Err(text)) => {
                        self.out.push(CheckError::BadTime {
                            message: format!("`{text}` is not {}", kind.name()),
                            span: value.span,
                            label: "no such time",
                            help: format!(
                                "write a real one, as in `{}`{}",
                                time_example(kind),
                                match kind {
                                    TimeKind::DateTime => " (an offset or `Z` is required)",
                                    TimeKind::Clock => " (from 00:00 to 23:59:59)",
                                    _ => "",
                                }
                            ),
                        });
                        None
                    }
                    None => {
                        self.out.push(mismatch(
                            format!("expected {}", kind.name()),
                            Some(format!("write it as `{}`", time_example(kind))),
                        ));
                        None
                    }
                }
            }
            (Kind::Time(kind), _) => {
                let help = match &value.node {
                    Literal::Word(w) if w == "now" => format!(
                        "`now` is a default: declare `fact NAME: {} at PATH default now` and compare with that fact",
                        if kind == TimeKind::Date { "date" } else { "datetime" }
                    ),
                    _ => format!("write it as `{}`", time_example(kind)),
                };
                self.out
                    .push(mismatch(format!("expected {}", kind.name()), Some(help)));
                None
            }
            (Kind::String, Literal::Word(w)) => {
                self.out.push(mismatch(
                    String::from("expected a quoted string"),
                    Some(format!("quote it: `\"{w}\"`")),
                ));
                None
            }
            (kind, written) => {
                let (expected, help) = match kind {
                    Kind::Enum => {
                        let values = self.enum_values(id);
                        (
                            format!("expected one of {}", set_text_of(&values)),
                            format!("`{fact}` is one of {}: write one of them", set_text_of(&values)),
                        )
                    }
                    Kind::Bool => (
                        String::from("expected `true` or `false`"),
                        match written {
                            Literal::String(text) if text == "true" || text == "false" => {
                                format!("drop the quotes: `{text}`")
                            }
                            Literal::Word(w) if matches!(w.to_lowercase().as_str(), "yes" | "on" | "y" | "t") => {
                                String::from("write `true`")
                            }
                            Literal::Word(w) if matches!(w.to_lowercase().as_str(), "no" | "off" | "n" | "f") => {
                                String::from("write `false`")
                            }
                            _ => format!("`{fact}` is a bool: write `{fact}` alone for true, `not {fact}` for false"),
                        },
                    ),
                    Kind::Number => (
                        String::from("expected a number"),
                        match written {
                            Literal::String(text) if text.trim().parse::<f64>().is_ok() => {
                                format!("drop the quotes: `{}`", text.trim())
                            }
                            _ => String::from("write a number as JSON does, as in `30` or `2.5`"),
                        },
                    ),
                    Kind::String => (
                        String::from("expected a quoted string"),
                        format!("quote it: `\"{written}\"`"),
                    ),
                    Kind::Time(kind) => (
                        format!("expected {}", kind.name()),
                        format!("write it as `{}`", time_example(kind)),
                    ),
                };
                self.out.push(mismatch(expected, Some(help)));
                None
            }
        }
    }

    /// The facts with their domains, now that every literal is known; and
    /// the facts and values no rule uses (meaningful only when every rule
    /// resolved).
    pub(super) fn finish(self) -> (Vec<Fact>, Vec<CheckError>) {
        let mut findings = Vec::new();
        for (set, used) in &self.sets {
            if !used {
                findings.push(CheckError::UnusedSet {
                    name: set.name.node.to_string(),
                    span: set.name.span,
                });
            }
        }
        // A datetime is read where a part of it is.
        let mut used: Vec<bool> = self.facts.iter().map(|info| info.used).collect();
        for info in self.facts.iter().filter(|info| info.used) {
            if let Some((_, base)) = &info.local {
                if let Some(flag) = used.get_mut(base.0 as usize) {
                    *flag = true;
                }
            }
        }
        for (info, used) in self.facts.iter().zip(used) {
            if !used {
                findings.push(CheckError::UnusedFact {
                    name: info.decl.name.node.to_string(),
                    span: info.decl.name.span,
                });
                continue;
            }
            if let ast::FactType::Enum(values) = &info.decl.ty.node {
                let unused: Vec<&ast::Ident> = values
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !info.mentioned.get(*i).copied().unwrap_or(false))
                    .map(|(_, v)| v)
                    .collect();
                if let Some(first) = unused.first() {
                    let names: Vec<String> =
                        unused.iter().map(|v| format!("`{}`", v.node)).collect();
                    let values = match names.as_slice() {
                        [one] => format!("the value {one}"),
                        _ => format!("the values {}", words::join_and(&names)),
                    };
                    findings.push(CheckError::UnusedValue {
                        fact: info.decl.name.node.to_string(),
                        values,
                        spans: unused
                            .iter()
                            .map(|v| miette::LabeledSpan::at(v.span, "never named by a rule"))
                            .collect(),
                        at: first.span,
                    });
                }
            }
        }
        let mut facts: Vec<Fact> = self
            .facts
            .iter()
            .map(|info| {
                let points = || {
                    let mut points = info.numbers.clone();
                    if let Some(Lit::Num(n)) = &info.default {
                        points.push(*n);
                    }
                    points.sort_by(f64::total_cmp);
                    points.dedup();
                    points
                };
                let ty = match (&info.decl.ty.node, info.kind) {
                    (_, _) if info.collection => FactType::Set(element_of(info)),
                    (_, kind) if info.local.is_some() => {
                        let (local, base) = info.local.clone()?;
                        let ty = match kind {
                            Kind::Time(time) => FactType::Time(time, points()),
                            _ => FactType::Enum(WEEKDAYS.iter().map(|d| d.to_string()).collect()),
                        };
                        FactType::Local(Box::new(LocalFact { local, base, ty }))
                    }
                    (_, Kind::Time(kind)) => FactType::Time(kind, points()),
                    (ast::FactType::Enum(values), _) => FactType::Enum(value_names(values)),
                    (_, Kind::Bool) => FactType::Bool,
                    (_, Kind::Number) => FactType::Number(points()),
                    _ => FactType::String(Box::new(Strings {
                        literals: info.strings.clone(),
                        prefixes: info.prefixes.clone(),
                        suffixes: info.suffixes.clone(),
                    })),
                };
                let presence = match &info.default {
                    _ if info.now => Presence::Now,
                    Some(lit) => Presence::Default(atom_of(&ty, lit)),
                    // An absent set fact holds nothing.
                    None if info.decl.optional.is_some() && info.collection => Presence::Default(0),
                    None if info.decl.optional.is_some() => Presence::Optional,
                    None => Presence::Required,
                };
                Some(Fact {
                    name: info.decl.name.node.to_string(),
                    path: info.path.clone(),
                    span: info.decl.name.span.to(info.decl.path.span),
                    index: ValueIndex::of(&ty),
                    ty,
                    presence,
                    doc: info.decl.doc.as_ref().map(|d| d.node.clone()),
                    sensitive: info.decl.sensitive.is_some(),
                    default: match (&info.default, &info.decl.default) {
                        (Some(_), Some(literal)) if !info.now => {
                            default_json(&literal.node).map(Box::new)
                        }
                        _ => None,
                    },
                })
            })
            .collect::<Option<Vec<Fact>>>()
            .unwrap_or_default();
        // A part of a datetime is absent, or takes its default, as the
        // datetime does.
        let bases: Vec<Fact> = facts.clone();
        for fact in &mut facts {
            let FactType::Local(local) = &fact.ty else {
                continue;
            };
            let Some(base) = bases.get(local.base.0 as usize) else {
                continue;
            };
            fact.presence = match base.presence {
                Presence::Optional => Presence::Optional,
                Presence::Default(atom) => base
                    .representative(atom)
                    .and_then(|value| fact.classify(&value).ok())
                    .map_or(Presence::Required, Presence::Default),
                Presence::Required | Presence::Now => Presence::Required,
            };
        }
        // Each value rules test a set fact for: a fact at the same path;
        // each relation: a fact read from its two facts.
        let declared = facts.clone();
        for derived in &self.derived {
            match derived {
                Derived::Has { of, value } => {
                    let (Some(info), Some(base)) =
                        (self.facts.get(of.0 as usize), declared.get(of.0 as usize))
                    else {
                        continue;
                    };
                    facts.push(Fact {
                        ty: FactType::Has(element_of(info), Box::new(value.clone())),
                        index: ValueIndex::default(),
                        ..base.clone()
                    });
                }
                Derived::Relation {
                    relation,
                    name,
                    span,
                } => {
                    let (Some(left), Some(right)) = (
                        declared.get(relation.left.0 as usize),
                        declared.get(relation.right.0 as usize),
                    ) else {
                        continue;
                    };
                    // Absent when either fact is.
                    let optional = [left, right]
                        .iter()
                        .any(|f| f.presence == Presence::Optional);
                    facts.push(Fact {
                        name: name.clone(),
                        path: left.path.clone(),
                        span: *span,
                        ty: FactType::Relation(Box::new(relation.clone())),
                        presence: if optional {
                            Presence::Optional
                        } else {
                            Presence::Required
                        },
                        index: ValueIndex::default(),
                        doc: None,
                        // How two values compare can tell of a sensitive one.
                        sensitive: left.sensitive || right.sensitive,
                        default: None,
                    });
                }
            }
        }
        (facts, findings)
    }
}

/// The declared values, each once.
fn value_names(values: &[ast::Ident]) -> Vec<String> {
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    values
        .iter()
        .filter(|v| seen.insert(v.node.as_str()))
        .map(|v| v.node.to_string())
        .collect()
}

/// What the array of a `set of` fact holds.
fn element_of(info: &FactInfo<'_>) -> Element {
    match (&info.decl.ty.node, info.kind) {
        (ast::FactType::Enum(values), _) => Element::Enum(value_names(values)),
        (_, Kind::Number) => Element::Number,
        _ => Element::String,
    }
}

/// The atom of a typed literal in its fact's domain.
pub(super) fn atom_of(ty: &FactType, lit: &Lit) -> Atom {
    match (ty, lit) {
        (FactType::Number(points) | FactType::Time(_, points), Lit::Num(n)) => {
            number_atom(points, *n)
        }
        (FactType::Local(local), lit) => atom_of(&local.ty, lit),
        (FactType::String(strings), Lit::Str(s)) => strings
            .literals
            .iter()
            .position(|l| l == s)
            .map_or_else(|| strings.other_atom(s.as_bytes()), |i| i as Atom),
        (_, Lit::Enum(i)) => *i,
        (_, Lit::Bool(b)) => Atom::from(*b),
        _ => 0,
    }
}

/// Resolves `otherwise NAME`.
pub(super) fn verdict_named(
    name: &str,
    span: Span,
    outcomes: &[Outcome],
    out: &mut Vec<CheckError>,
) -> Option<Verdict> {
    match name {
        "allow" => Some(Verdict::Allow),
        "deny" => Some(Verdict::Deny),
        _ if outcomes.iter().any(|o| o.name == name) => Some(Verdict::Outcome(name.to_string())),
        _ => {
            let mut names = outcome_names(outcomes);
            names.push("none");
            out.push(CheckError::UnknownOutcome {
                name: name.to_string(),
                span,
                expected: "not `none`, `allow`, `deny` or a declared outcome",
                help: words::did_you_mean(name, names.iter().copied())
                    .or_else(|| Some(declare_outcome_help(name))),
            });
            None
        }
    }
}

fn outcome_names(outcomes: &[Outcome]) -> Vec<&str> {
    let mut names: Vec<&str> = vec!["allow", "deny"];
    names.extend(outcomes.iter().map(|o| o.name.as_str()));
    names
}

fn declare_outcome_help(name: &str) -> String {
    format!("declare it: `outcome {name} \"what it means\"`")
}

fn set_text(words: &[(&str, Span)]) -> String {
    set_text_of(&words.iter().map(|(w, _)| *w).collect::<Vec<_>>())
}

fn set_text_of(words: &[&str]) -> String {
    format!("{{{}}}", words.join(" "))
}

/// A declared default as the JSON a client sends for it: a value or text
/// as a string, a number, a bool, a date or time as its text, a duration in
/// ISO 8601 (`P14D`, `PT2H`); `None` for a unit with no fixed length.
fn default_json(literal: &ast::Literal) -> Option<serde_json::Value> {
    use serde_json::Value;
    Some(match literal {
        ast::Literal::Word(_) | ast::Literal::String(_) => Value::from(literal.text()?),
        ast::Literal::Number(n) => serde_json::Number::from_f64(*n).map(Value::Number)?,
        ast::Literal::Bool(b) => Value::Bool(*b),
        ast::Literal::Time(ast::TimeLit::Date(text))
        | ast::Literal::Time(ast::TimeLit::DateTime(text))
        | ast::Literal::Time(ast::TimeLit::Clock(text)) => Value::from(text.as_str()),
        // In the form facts give it (`PT1H30M` for `1.5 hours`).
        ast::Literal::Time(ast::TimeLit::Duration(amount, unit)) => {
            Value::from(TimeKind::Duration.render(crate::model::duration_seconds(*amount, unit)?)?)
        }
    })
}
