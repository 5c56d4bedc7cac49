//! Lowering: pest's pairs into the typed AST, one function per grammar rule.
//!
//! The grammar guarantees the shape of every pair handed to these functions
//! (which children exist, and in which order). Rather than unwrap, each
//! function matches the children it expects and falls back to
//! [`missing`](Lower::missing), which reports a syntax error should the grammar and this
//! file ever disagree.

use pest::iterators::{Pair, Pairs};

use super::Rule;
use crate::ast::*;
use crate::diagnostics::SyntaxError;
use crate::source::{SourceFile, Span, Spanned};

type Result<T> = std::result::Result<T, SyntaxError>;

/// The keywords a declared value cannot be: rules could not name it.
/// (`true` and `false` may be values: they read as such.)
pub(super) const RESERVED: &[&str] = &[
    "can",
    "cannot",
    "not",
    "and",
    "or",
    "in",
    "because",
    "see",
    "when",
    "fact",
    "outcome",
    "otherwise",
    "policy",
];

struct Lower<'a> {
    file: &'a SourceFile,
}

pub(super) fn file(file: &SourceFile, mut pairs: Pairs<'_, Rule>) -> Result<File> {
    let lower = Lower { file };
    let Some(root) = pairs.next() else {
        return Err(lower.missing(Span::default(), "a policy file"));
    };
    let root_span = lower.span(&root);
    let mut policy = None;
    let mut items = Vec::new();
    for pair in root.into_inner() {
        match pair.as_rule() {
            Rule::policy_decl => policy = Some(lower.policy(pair)?),
            Rule::EOI => {}
            _ => items.push(lower.item(pair)?),
        }
    }
    let policy = policy.ok_or_else(|| lower.missing(root_span, "`policy NAME`"))?;
    Ok(File { policy, items })
}

impl Lower<'_> {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let span = pair.as_span();
        self.file.span(span.start(), span.end())
    }

    /// The error for a child the grammar promised but the tree lacks.
    fn missing(&self, span: Span, what: &str) -> SyntaxError {
        SyntaxError::Unexpected {
            expected: what.to_string(),
            found: String::from("nothing"),
            span,
            label: String::from("here"),
            help: Some(String::from(
                "this is a bug in verdict's parser: please report it with this file",
            )),
            unclosed: None,
        }
    }

    fn ident(&self, pair: &Pair<'_, Rule>) -> Ident {
        Spanned::new(pair.as_str().into(), self.span(pair))
    }

    fn policy(&self, pair: Pair<'_, Rule>) -> Result<PolicyHeader> {
        let span = self.span(&pair);
        let mut name = None;
        let mut doc = None;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::ident => name = Some(self.ident(&child)),
                Rule::text => doc = Some(self.text(child)),
                _ => {}
            }
        }
        Ok(PolicyHeader {
            name: name.ok_or_else(|| self.missing(span, "a policy name"))?,
            doc,
        })
    }

    fn item(&self, pair: Pair<'_, Rule>) -> Result<Item> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::otherwise_decl => {
                let mut name = None;
                let mut doc = None;
                for child in pair.into_inner() {
                    match child.as_rule() {
                        Rule::ident => name = Some(self.ident(&child)),
                        Rule::text => doc = Some(self.text(child)),
                        _ => {}
                    }
                }
                let name = name.ok_or_else(|| self.missing(span, "a decision"))?;
                Ok(Item::Otherwise(name, doc))
            }
            Rule::first_match => Ok(Item::FirstMatch(At(span))),
            Rule::strict_facts => Ok(Item::StrictFacts(At(span))),
            Rule::priority_decl => Ok(Item::Priority(
                pair.into_inner()
                    .filter(|p| p.as_rule() == Rule::ident)
                    .map(|p| self.ident(&p))
                    .collect(),
                At(span),
            )),
            Rule::fact_decl => self.fact(pair).map(|decl| Item::Fact(Box::new(decl))),
            Rule::outcome_decl => self.outcome(pair).map(Item::Outcome),
            Rule::set_decl => {
                let (mut name, mut values, mut doc) = (None, None, None);
                for child in pair.into_inner() {
                    match child.as_rule() {
                        Rule::ident => name = Some(self.ident(&child)),
                        Rule::value_set => values = Some(self.value_set(child)?),
                        Rule::text => doc = Some(self.text(child)),
                        _ => {}
                    }
                }
                Ok(Item::Set(Box::new(SetDecl {
                    name: name.ok_or_else(|| self.missing(span, "a set name"))?,
                    values: values.ok_or_else(|| self.missing(span, "a value set"))?,
                    doc,
                })))
            }
            Rule::when_block => self.when(pair).map(Item::When),
            Rule::rule => self.rule(pair).map(Item::Rule),
            _ => Err(self.missing(span, "an item")),
        }
    }

    fn fact(&self, pair: Pair<'_, Rule>) -> Result<FactDecl> {
        let span = self.span(&pair);
        let (mut name, mut ty, mut path, mut optional, mut default, mut doc) =
            (None, None, None, None, None, None);
        let mut ordered = false;
        let mut collection = None;
        let mut sensitive = None;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::ident => name = Some(self.ident(&child)),
                Rule::fact_type => {
                    collection = child
                        .clone()
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::set_of)
                        .map(|p| At(self.span(&p)));
                    ordered = child
                        .clone()
                        .into_inner()
                        .flat_map(|t| t.into_inner())
                        .any(|p| p.as_rule() == Rule::ordered_values);
                    ty = Some(self.fact_type(child)?);
                }
                Rule::path => path = Some(self.path(child)?),
                Rule::local_type => {
                    let local = self.local_type(child)?;
                    // A part of a datetime is read from that datetime's path.
                    path = Some(Spanned::new(Vec::new(), local.span));
                    ty = Some(local);
                }
                Rule::fact_option => {
                    for option in child.into_inner() {
                        match option.as_rule() {
                            Rule::kw_optional => optional = Some(self.span(&option)),
                            Rule::kw_sensitive => sensitive = Some(At(self.span(&option))),
                            Rule::default_clause => {
                                let literal =
                                    option.into_inner().find(|p| p.as_rule() == Rule::literal);
                                if let Some(literal) = literal {
                                    default = Some(self.literal(literal)?);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                Rule::text => doc = Some(self.text(child)),
                _ => {}
            }
        }
        Ok(FactDecl {
            name: name.ok_or_else(|| self.missing(span, "a fact name"))?,
            ty: ty.ok_or_else(|| self.missing(span, "a type"))?,
            path: path.ok_or_else(|| self.missing(span, "a path"))?,
            optional: optional.map(At),
            default,
            doc,
            span: At(span),
            ordered,
            collection,
            sensitive,
        })
    }

    fn fact_type(&self, pair: Pair<'_, Rule>) -> Result<Spanned<FactType>> {
        let span = self.span(&pair);
        let inner = pair
            .into_inner()
            .find(|p| p.as_rule() != Rule::set_of)
            .ok_or_else(|| self.missing(span, "a type"))?;
        let ty = match inner.as_rule() {
            Rule::kw_bool => FactType::Bool,
            Rule::kw_number => FactType::Number,
            Rule::kw_string => FactType::String,
            Rule::kw_date => FactType::Date,
            Rule::kw_datetime => FactType::DateTime,
            Rule::kw_duration => FactType::Duration,
            _ => {
                let values: Vec<Ident> = inner
                    .into_inner()
                    .flat_map(|p| match p.as_rule() {
                        Rule::ordered_values => p.into_inner().collect::<Vec<_>>(),
                        _ => vec![p],
                    })
                    .filter(|p| p.as_rule() == Rule::ident)
                    .map(|p| self.ident(&p))
                    .collect();
                if let Some(reserved) = values.iter().find(|v| RESERVED.contains(&v.node.as_str()))
                {
                    return Err(SyntaxError::Unexpected {
                        expected: String::from("a value"),
                        found: format!("`{}`, a keyword", reserved.node),
                        span: reserved.span,
                        label: String::from("a keyword cannot be a value"),
                        help: Some(format!(
                            "no rule could name this value, since `{0}` is a keyword: rename it, as in `{0}-value`, or choose another word",
                            reserved.node
                        )),
                        unclosed: None,
                    });
                }
                FactType::Enum(values)
            }
        };
        Ok(Spanned::new(ty, span))
    }

    /// `time of day of now in "Europe/Berlin"`, `weekday of now in "..."`.
    fn local_type(&self, pair: Pair<'_, Rule>) -> Result<Spanned<FactType>> {
        let span = self.span(&pair);
        let (mut weekday, mut of, mut zone) = (false, None, None);
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::kw_weekday => weekday = true,
                Rule::ident => of = Some(self.ident(&child)),
                Rule::string => {
                    let zone_span = self.span(&child);
                    zone = Some(Spanned::new(self.string(child), zone_span));
                }
                _ => {}
            }
        }
        Ok(Spanned::new(
            FactType::Local {
                weekday,
                of: of.ok_or_else(|| self.missing(span, "a datetime fact"))?,
                zone: zone.ok_or_else(|| self.missing(span, "a time zone"))?,
            },
            span,
        ))
    }

    fn path(&self, pair: Pair<'_, Rule>) -> Result<Spanned<Vec<String>>> {
        let span = self.span(&pair);
        let mut keys = Vec::new();
        for key in pair.into_inner() {
            let Some(inner) = key.into_inner().next() else {
                return Err(self.missing(span, "a key"));
            };
            keys.push(match inner.as_rule() {
                Rule::string => self.string(inner),
                _ => inner.as_str().to_string(),
            });
        }
        Ok(Spanned::new(keys, span))
    }

    fn outcome(&self, pair: Pair<'_, Rule>) -> Result<OutcomeDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut doc = None;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::ident => name = Some(self.ident(&child)),
                Rule::text => doc = Some(self.text(child)),
                _ => {}
            }
        }
        Ok(OutcomeDecl {
            name: name.ok_or_else(|| self.missing(span, "an outcome name"))?,
            doc,
            span: At(span),
        })
    }

    fn when(&self, pair: Pair<'_, Rule>) -> Result<WhenBlock> {
        let span = self.span(&pair);
        let mut conditions = Vec::new();
        let mut items = Vec::new();
        for child in pair.into_inner() {
            match child.as_rule() {
                kind if is_term(kind) => conditions.push(self.term(child)?),
                Rule::rule => items.push(BlockItem::Rule(self.rule(child)?)),
                Rule::when_block => items.push(BlockItem::When(self.when(child)?)),
                _ => {}
            }
        }
        Ok(WhenBlock {
            conditions,
            items,
            span: At(span),
        })
    }

    fn rule(&self, pair: Pair<'_, Rule>) -> Result<crate::ast::Rule> {
        let span = self.span(&pair);
        let mut conditions = Vec::new();
        let mut before_verdict = 0;
        let mut verdict = None;
        let mut because = None;
        let mut see = Vec::new();
        let mut name = None;
        // The rule's own span ends with its last condition, not its clauses.
        let mut line_end = span.start;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::rule_name => {
                    if let Some(ident) = child.into_inner().find(|p| p.as_rule() == Rule::ident) {
                        name = Some(self.ident(&ident));
                    }
                }
                kind if is_term(kind) => {
                    line_end = line_end.max(self.span(&child).end);
                    let term = self.term(child)?;
                    conditions.push(term);
                    if verdict.is_none() {
                        before_verdict += 1;
                    }
                }
                Rule::verdict => {
                    let vspan = self.span(&child);
                    line_end = line_end.max(vspan.end);
                    let mark = match child.into_inner().next().map(|p| p.as_rule()) {
                        Some(Rule::kw_can) => VerdictMark::Can,
                        Some(Rule::kw_cannot) => VerdictMark::Cannot,
                        _ => VerdictMark::Arrow,
                    };
                    verdict = Some(Spanned::new(mark, vspan));
                }
                Rule::because => {
                    because = child
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::text)
                        .map(|text| self.text(text));
                }
                Rule::see => {
                    see.extend(
                        child
                            .into_inner()
                            .filter(|p| p.as_rule() == Rule::string)
                            .map(|s| Spanned::new(self.string(s.clone()), self.span(&s))),
                    );
                }
                _ => {}
            }
        }
        // A vector grows by doubling: in a file of 100,000 rules the room
        // past the last condition is megabytes.
        conditions.shrink_to_fit();
        Ok(crate::ast::Rule {
            name,
            conditions,
            before_verdict,
            verdict: verdict.ok_or_else(|| self.missing(span, "a verdict"))?,
            clauses: RuleClauses::of(because, see),
            span: At(Span::new(span.start, line_end)),
        })
    }

    /// One condition: `inner` is a pair of a rule [`is_term`] accepts (the
    /// grammar's `term` is silent, so that each word is one pair).
    fn term(&self, inner: Pair<'_, Rule>) -> Result<Condition> {
        let span = self.span(&inner);
        match inner.as_rule() {
            Rule::negated => {
                let term = inner
                    .into_inner()
                    .find(|p| is_term(p.as_rule()))
                    .ok_or_else(|| self.missing(span, "a condition"))?;
                Ok(Condition::Not(Box::new(self.term(term)?), At(span)))
            }
            Rule::group => {
                let mut alternatives = Vec::new();
                for alternative in inner.into_inner() {
                    if alternative.as_rule() != Rule::alternative {
                        continue;
                    }
                    let terms = alternative
                        .into_inner()
                        .filter(|p| is_term(p.as_rule()))
                        .map(|term| self.term(term))
                        .collect::<Result<Vec<_>>>()?;
                    alternatives.push(terms);
                }
                Ok(Condition::Group(Box::new(alternatives), At(span)))
            }
            Rule::value_set => Ok(Condition::Set(Box::new(self.value_set(inner)?))),
            Rule::has_test => {
                let mut fact = None;
                let mut quantifier = Spanned::new(Quantifier::One, span);
                let mut values = None;
                for child in inner.into_inner() {
                    match child.as_rule() {
                        Rule::ident => fact = Some(self.ident(&child)),
                        Rule::quantifier => {
                            let which = match child.clone().into_inner().next().map(|p| p.as_rule())
                            {
                                Some(Rule::kw_all) => Quantifier::All,
                                Some(Rule::kw_none) => Quantifier::None,
                                _ => Quantifier::Any,
                            };
                            quantifier = Spanned::new(which, self.span(&child));
                        }
                        Rule::kw_has if quantifier.node == Quantifier::One => {
                            quantifier = Spanned::new(Quantifier::One, self.span(&child));
                        }
                        Rule::set_literal => values = Some(HasValues::One(self.literal(child)?)),
                        Rule::value_set => {
                            values = Some(HasValues::Set(SetRef::Values(self.value_set(child)?)))
                        }
                        Rule::set_name => {
                            if let Some(name) =
                                child.into_inner().find(|p| p.as_rule() == Rule::ident)
                            {
                                values = Some(HasValues::Set(SetRef::Named(self.ident(&name))));
                            }
                        }
                        _ => {}
                    }
                }
                Ok(Condition::Has(Box::new(HasTest {
                    fact: fact.ok_or_else(|| self.missing(span, "a fact name"))?,
                    quantifier,
                    values: values.ok_or_else(|| self.missing(span, "a value"))?,
                })))
            }
            Rule::affix_test => {
                let mut fact = None;
                let mut end = None;
                let mut text = None;
                let mut words_start = None;
                for child in inner.into_inner() {
                    match child.as_rule() {
                        Rule::ident => fact = Some(self.ident(&child)),
                        Rule::kw_starts => {
                            end = Some(StringEnd::Start);
                            words_start = Some(self.span(&child));
                        }
                        Rule::kw_ends => {
                            end = Some(StringEnd::End);
                            words_start = Some(self.span(&child));
                        }
                        Rule::kw_with => {
                            words_start = words_start.map(|start| start.to(self.span(&child)));
                        }
                        Rule::string => {
                            text = Some(Spanned::new(self.string(child.clone()), self.span(&child)))
                        }
                        _ => {}
                    }
                }
                Ok(Condition::Affix(Box::new(AffixTest {
                    fact: fact.ok_or_else(|| self.missing(span, "a fact name"))?,
                    end: Spanned::new(
                        end.ok_or_else(|| self.missing(span, "`starts with` or `ends with`"))?,
                        words_start.unwrap_or(span),
                    ),
                    text: text.ok_or_else(|| self.missing(span, "a quoted string"))?,
                })))
            }
            Rule::in_test => {
                let mut fact = None;
                let mut negated = false;
                let mut set = None;
                for child in inner.into_inner() {
                    match child.as_rule() {
                        Rule::ident => fact = Some(self.ident(&child)),
                        Rule::kw_not => negated = true,
                        Rule::value_set => set = Some(SetRef::Values(self.value_set(child)?)),
                        Rule::set_name => {
                            if let Some(name) =
                                child.into_inner().find(|p| p.as_rule() == Rule::ident)
                            {
                                set = Some(SetRef::Named(self.ident(&name)));
                            }
                        }
                        _ => {}
                    }
                }
                Ok(Condition::In(Box::new(InTest {
                    fact: fact.ok_or_else(|| self.missing(span, "a fact name"))?,
                    negated,
                    set: set.ok_or_else(|| self.missing(span, "a value set"))?,
                })))
            }
            Rule::comparison => {
                let mut fact = None;
                let mut op = None;
                let mut value = None;
                let mut offset = None;
                for child in inner.into_inner() {
                    match child.as_rule() {
                        Rule::ident => fact = Some(self.ident(&child)),
                        Rule::compare_op => {
                            let symbol = match child.as_str() {
                                "!=" => CompareOp::Ne,
                                "<=" => CompareOp::Le,
                                ">=" => CompareOp::Ge,
                                "<" | "before" => CompareOp::Lt,
                                ">" | "after" => CompareOp::Gt,
                                _ => CompareOp::Eq,
                            };
                            op = Some(Spanned::new(symbol, self.span(&child)));
                        }
                        Rule::literal => value = Some(self.literal(child)?),
                        Rule::offset => {
                            let offset_span = self.span(&child);
                            let mut sign = 1.0;
                            let mut amount = None;
                            for part in child.into_inner() {
                                match part.as_rule() {
                                    Rule::minus => sign = -1.0,
                                    Rule::duration => amount = Some(self.duration(part)?),
                                    _ => {}
                                }
                            }
                            let (n, unit) =
                                amount.ok_or_else(|| self.missing(offset_span, "a duration"))?;
                            offset = Some(Spanned::new(
                                Literal::Time(TimeLit::Duration(sign * n, unit)),
                                offset_span,
                            ));
                        }
                        _ => {}
                    }
                }
                Ok(Condition::Compare(Box::new(Comparison {
                    fact: fact.ok_or_else(|| self.missing(span, "a fact name"))?,
                    op: op.ok_or_else(|| self.missing(span, "a comparison"))?,
                    value: value.ok_or_else(|| self.missing(span, "a value"))?,
                    offset,
                })))
            }
            Rule::within_test => {
                let mut idents = Vec::new();
                let mut distance = None;
                for child in inner.into_inner() {
                    match child.as_rule() {
                        Rule::ident => idents.push(self.ident(&child)),
                        Rule::duration => {
                            let at = self.span(&child);
                            let (n, unit) = self.duration(child)?;
                            distance =
                                Some(Spanned::new(Literal::Time(TimeLit::Duration(n, unit)), at));
                        }
                        _ => {}
                    }
                }
                let mut idents = idents.into_iter();
                Ok(Condition::Within(Box::new(WithinTest {
                    fact: idents
                        .next()
                        .ok_or_else(|| self.missing(span, "a fact name"))?,
                    distance: distance.ok_or_else(|| self.missing(span, "a duration"))?,
                    other: idents
                        .next()
                        .ok_or_else(|| self.missing(span, "a fact name"))?,
                })))
            }
            // A word is atomic: its text is the name.
            _ => Ok(Condition::Word(self.ident(&inner))),
        }
    }

    fn value_set(&self, pair: Pair<'_, Rule>) -> Result<Spanned<Vec<Spanned<Literal>>>> {
        let span = self.span(&pair);
        let values = pair
            .into_inner()
            .filter(|p| p.as_rule() == Rule::set_literal)
            .map(|p| self.literal(p))
            .collect::<Result<_>>()?;
        Ok(Spanned::new(values, span))
    }

    fn literal(&self, pair: Pair<'_, Rule>) -> Result<Spanned<Literal>> {
        let span = self.span(&pair);
        let inner = pair
            .into_inner()
            .next()
            .ok_or_else(|| self.missing(span, "a value"))?;
        let literal = match inner.as_rule() {
            Rule::number => {
                let text = inner.as_str();
                match text.parse::<f64>() {
                    Ok(n) if n.is_finite() => Literal::Number(n),
                    _ => {
                        return Err(SyntaxError::BadNumber {
                            text: super::error::shorten(text),
                            span,
                        })
                    }
                }
            }
            Rule::string => Literal::String(self.string(inner)),
            Rule::date => Literal::Time(TimeLit::Date(inner.as_str().to_string())),
            Rule::datetime => Literal::Time(TimeLit::DateTime(inner.as_str().to_string())),
            Rule::clock => Literal::Time(TimeLit::Clock(inner.as_str().to_string())),
            Rule::duration => {
                let (n, unit) = self.duration(inner)?;
                Literal::Time(TimeLit::Duration(n, unit))
            }
            Rule::kw_true => Literal::Bool(true),
            Rule::kw_false => Literal::Bool(false),
            _ => Literal::Word(inner.as_str().into()),
        };
        Ok(Spanned::new(literal, span))
    }

    /// `14 days`: the amount and the unit.
    fn duration(&self, pair: Pair<'_, Rule>) -> Result<(f64, String)> {
        let span = self.span(&pair);
        let (mut amount, mut unit) = (None, None);
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::number => {
                    let text = part.as_str();
                    match text.parse::<f64>() {
                        Ok(n) if n.is_finite() => amount = Some(n),
                        _ => {
                            return Err(SyntaxError::BadNumber {
                                text: super::error::shorten(text),
                                span,
                            })
                        }
                    }
                }
                Rule::time_unit => unit = Some(part.as_str().to_string()),
                _ => {}
            }
        }
        Ok((
            amount.ok_or_else(|| self.missing(span, "an amount"))?,
            unit.ok_or_else(|| self.missing(span, "a unit"))?,
        ))
    }

    /// A `text`: its strings joined by single spaces.
    fn text(&self, pair: Pair<'_, Rule>) -> Spanned<String> {
        let span = self.span(&pair);
        let parts: Vec<String> = pair
            .into_inner()
            .filter(|p| p.as_rule() == Rule::string)
            .map(|p| self.string(p))
            .collect();
        Spanned::new(parts.join(" "), span)
    }

    fn string(&self, pair: Pair<'_, Rule>) -> String {
        let raw = pair
            .into_inner()
            .next()
            .map(|inner| inner.as_str())
            .unwrap_or_default();
        unescape(raw)
    }
}

/// A string's text between its quotes with its escapes read: `\n` and
/// `\t` are a line break and a tab, `\"` and `\\` the character itself.
pub(super) fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// The rules that are one condition: the alternatives of the grammar's
/// silent `term`.
fn is_term(kind: Rule) -> bool {
    matches!(
        kind,
        Rule::negated
            | Rule::group
            | Rule::value_set
            | Rule::comparison
            | Rule::in_test
            | Rule::has_test
            | Rule::affix_test
            | Rule::within_test
            | Rule::word
    )
}
