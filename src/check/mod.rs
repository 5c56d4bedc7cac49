//! Checking: the files of a policy set in, [`CheckedPolicy`]s and every
//! diagnostic out. The checker groups files by policy name, resolves each
//! bare word to a declared fact, checks types, reduces every rule to one set
//! of allowed atoms per fact (see [`crate::model`]), and looks for rules that can
//! never match and for rules that conflict (with a witness: facts that match
//! both). It reports every problem it finds, not just the first.

mod conflicts;
mod reduce;
mod resolve;

use crate::ast::{self, BlockItem, Item};
use crate::diagnostics::CheckError;
use crate::limits::Limits;
use crate::model::{
    AtomSet, CheckedPolicy, CheckedRule, FactId, FactType, HitPolicy, Outcome, RuleId, Verdict,
};
use crate::source::{SourceMap, Span};

/// What checking a policy set found.
#[derive(Debug, Default)]
pub struct Checked {
    /// The policies without errors (possibly with warnings).
    pub policies: Vec<CheckedPolicy>,
    /// Errors and warnings, in source order.
    pub diagnostics: Vec<CheckError>,
}

/// Checks parsed files; files that name the same policy form one policy.
/// Conflict detection and the search for facts that meet each rule's
/// comparisons between facts spend at most the budgets of `limits` per
/// policy ([`Limits::conflict_budget`], [`Limits::relations_budget`]).
pub fn check(sources: &SourceMap, files: &[ast::File], limits: &Limits) -> Checked {
    let files: Vec<&ast::File> = files.iter().collect();
    let results = group_by_policy(&files)
        .iter()
        .map(|group| {
            let group: Vec<&ast::File> = group
                .iter()
                .filter_map(|i| files.get(*i).copied())
                .collect();
            check_group(sources, &group, limits)
        })
        .collect();
    let (policies, diagnostics) = join(results);
    Checked {
        policies,
        diagnostics,
    }
}

/// The files grouped by the policy they name, as indices into `files`:
/// each group, and the files in it, in the order given.
pub fn group_by_policy(files: &[&ast::File]) -> Vec<Vec<usize>> {
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let name = file.policy.name.node.as_str();
        match groups.iter_mut().find(|(n, _)| *n == name) {
            Some((_, group)) => group.push(i),
            None => groups.push((name, vec![i])),
        }
    }
    groups.into_iter().map(|(_, group)| group).collect()
}

/// One policy checked on its own, before [`join`] weighs it against the
/// others: what a [`Workspace`](crate::Workspace) keeps from one check to
/// the next for a policy whose files did not change (`P` is what it keeps
/// of the policy).
#[derive(Clone, Debug)]
pub struct PolicyChecked<P> {
    pub name: String,
    pub policy: P,
    /// Its errors and warnings.
    pub diagnostics: Vec<CheckError>,
    /// How many of `diagnostics` are errors.
    pub errors: usize,
    /// Where each of its files says `policy NAME`, in file order.
    pub name_spans: Vec<Span>,
}

impl<P> PolicyChecked<P> {
    /// The same findings, with `f` of the policy.
    pub fn map<Q>(self, f: impl FnOnce(P) -> Q) -> PolicyChecked<Q> {
        PolicyChecked {
            name: self.name,
            policy: f(self.policy),
            diagnostics: self.diagnostics,
            errors: self.errors,
            name_spans: self.name_spans,
        }
    }
}

/// Checks the files of one policy.
pub fn check_group(
    sources: &SourceMap,
    group: &[&ast::File],
    limits: &Limits,
) -> PolicyChecked<CheckedPolicy> {
    let mut diagnostics = Vec::new();
    let policy = check_policy(sources, group, limits, &mut diagnostics);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    PolicyChecked {
        name: policy.name.clone(),
        policy,
        diagnostics,
        errors,
        name_spans: group.iter().map(|f| f.policy.name.span).collect(),
    }
}

/// Weighs the policies of a set against each other: the policies without
/// errors, and every diagnostic in source order.
///
/// A file that names a policy a typo away from another one, and fails on
/// its own, was meant to be part of that one: it gets one error on its
/// name, not every error of checking it alone, and the policy it belonged
/// to, which misses its rules, only repeats its errors.
pub fn join<P>(results: Vec<PolicyChecked<P>>) -> (Vec<P>, Vec<CheckError>) {
    let names: Vec<(&str, usize, Span)> = results
        .iter()
        .map(|r| {
            let span = r.name_spans.first().copied().unwrap_or_default();
            (r.name.as_str(), r.errors, span)
        })
        .collect();
    let misnamed = |name: &str, errors: usize| {
        (errors > 0)
            .then(|| {
                names.iter().find(|(other, other_errors, _)| {
                    *other != name
                        && *other_errors < errors
                        && strsim::damerau_levenshtein(name, other) <= 2
                })
            })
            .flatten()
            .map(|(other, _, span)| (other.to_string(), *span))
    };
    let siblings: Vec<Option<(String, Span)>> = names
        .iter()
        .map(|(name, errors, _)| misnamed(name, *errors))
        .collect();
    let targets: Vec<&str> = siblings
        .iter()
        .flatten()
        .map(|(other, _)| other.as_str())
        .collect();
    let only_errors: Vec<bool> = names
        .iter()
        .map(|(name, ..)| targets.contains(name))
        .collect();
    let mut policies = Vec::new();
    let mut diagnostics = Vec::new();
    for ((mut result, sibling), only_errors) in results.into_iter().zip(siblings).zip(only_errors) {
        if only_errors {
            result.diagnostics.retain(CheckError::is_error);
        }
        if let Some((other, other_span)) = sibling {
            for span in result.name_spans {
                diagnostics.push(CheckError::PolicyName {
                    name: result.name.clone(),
                    other: other.clone(),
                    span,
                    other_span,
                });
            }
            continue;
        }
        if result.errors == 0 {
            policies.push(result.policy);
        }
        diagnostics.extend(result.diagnostics);
    }
    diagnostics.sort_by_key(|d| d.primary_span());
    (policies, diagnostics)
}

/// A rule with the conditions of the `when` blocks around it.
struct FlatRule<'a> {
    shared: Vec<&'a ast::Condition>,
    rule: &'a ast::Rule,
}

fn flatten<'a>(shared: &[&'a ast::Condition], items: &'a [BlockItem], out: &mut Vec<FlatRule<'a>>) {
    for item in items {
        match item {
            BlockItem::Rule(rule) => out.push(FlatRule {
                shared: shared.to_vec(),
                rule,
            }),
            BlockItem::When(block) => {
                let mut inner = shared.to_vec();
                inner.extend(block.conditions.iter());
                flatten(&inner, &block.items, out);
            }
        }
    }
}

fn check_policy(
    sources: &SourceMap,
    files: &[&ast::File],
    limits: &Limits,
    out: &mut Vec<CheckError>,
) -> CheckedPolicy {
    let first = files.first().map(|f| &f.policy);
    let name = first.map(|p| p.name.node.to_string()).unwrap_or_default();
    let span = first.map(|p| p.name.span).unwrap_or_default();
    let doc = files
        .iter()
        .find_map(|f| f.policy.doc.as_ref())
        .map(|d| d.node.clone());

    // Options and declarations, in file order.
    let mut otherwise: Option<&ast::Ident> = None;
    let mut otherwise_reason: Option<String> = None;
    let mut first_match: Option<Span> = None;
    let mut strict: Option<Span> = None;
    let mut priority: Option<(&[ast::Ident], Span)> = None;
    let mut outcomes: Vec<Outcome> = Vec::new();
    // Outcome name → its index in `outcomes`, for duplicate checks.
    let mut outcome_spans: std::collections::HashMap<&str, usize> =
        std::collections::HashMap::new();
    let mut fact_decls: Vec<&ast::FactDecl> = Vec::new();
    // Declarations by name and by path, to find a repeated one at once.
    let mut fact_names: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut fact_paths: std::collections::HashMap<&[String], usize> =
        std::collections::HashMap::new();
    let mut set_decls: Vec<&ast::SetDecl> = Vec::new();
    let mut set_names: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut rules: Vec<FlatRule<'_>> = Vec::new();
    let mut dropped_values: std::collections::HashSet<String> = std::collections::HashSet::new();
    for file in files {
        for item in &file.items {
            match item {
                Item::Otherwise(word, reason) => match otherwise {
                    Some(previous) => out.push(CheckError::Duplicate {
                        what: "option",
                        name: String::from("otherwise"),
                        first: previous.span,
                        again: word.span,
                        help: "a policy has one `otherwise`: keep the one you mean",
                    }),
                    None => {
                        otherwise = Some(word);
                        otherwise_reason = reason.as_ref().map(|r| r.node.clone());
                    }
                },
                Item::FirstMatch(at) => match first_match {
                    Some(previous) => out.push(CheckError::Duplicate {
                        what: "option",
                        name: String::from("first match"),
                        first: previous,
                        again: at.0,
                        help: "say `first match` once per policy",
                    }),
                    None => first_match = Some(at.0),
                },
                Item::StrictFacts(at) => match strict {
                    Some(previous) => out.push(CheckError::Duplicate {
                        what: "option",
                        name: String::from("strict facts"),
                        first: previous,
                        again: at.0,
                        help: "say `strict facts` once per policy",
                    }),
                    None => strict = Some(at.0),
                },
                Item::Priority(decisions, at) => match priority {
                    Some((_, previous)) => out.push(CheckError::Duplicate {
                        what: "option",
                        name: String::from("priority"),
                        first: previous,
                        again: at.0,
                        help: "a policy has one `priority`: keep the one you mean",
                    }),
                    None => priority = Some((decisions.as_slice(), at.0)),
                },
                Item::Outcome(decl) => {
                    if let Some(previous) = outcome_spans
                        .get(decl.name.node.as_str())
                        .and_then(|i: &usize| outcomes.get(*i))
                    {
                        out.push(CheckError::Duplicate {
                            what: "outcome",
                            name: decl.name.node.to_string(),
                            first: previous.span,
                            again: decl.name.span,
                            help: "remove one of the declarations, or rename one",
                        });
                        continue;
                    }
                    check_outcome_name(&decl.name, out);
                    outcome_spans.insert(decl.name.node.as_str(), outcomes.len());
                    outcomes.push(Outcome {
                        name: decl.name.node.to_string(),
                        doc: decl.doc.as_ref().map(|d| d.node.clone()),
                        span: decl.name.span,
                    });
                }
                Item::Fact(decl) => {
                    if let Some(previous) = fact_names
                        .get(decl.name.node.as_str())
                        .and_then(|i| fact_decls.get(*i))
                    {
                        // Rules may use the values only the dropped
                        // declaration has: that is this error, not theirs.
                        if let ast::FactType::Enum(values) = &decl.ty.node {
                            dropped_values.extend(values.iter().map(|v| v.node.to_string()));
                        }
                        out.push(CheckError::Duplicate {
                            what: "fact",
                            name: decl.name.node.to_string(),
                            first: previous.name.span,
                            again: decl.name.span,
                            help: "remove one of the declarations, or rename one",
                        });
                        continue;
                    }
                    // A part of a datetime reads that datetime's path.
                    let local =
                        |f: &ast::FactDecl| matches!(f.ty.node, ast::FactType::Local { .. });
                    let same_path = || {
                        fact_paths
                            .get(decl.path.node.as_slice())
                            .and_then(|i| fact_decls.get(*i))
                    };
                    if let Some(previous) = (!local(decl)).then(same_path).flatten() {
                        out.push(CheckError::Duplicate {
                            what: "JSON path",
                            name: decl.path.node.join("."),
                            first: previous.path.span,
                            again: decl.path.span,
                            help: "two facts would read the same value; declare it once, and use that fact in every rule",
                        });
                        continue;
                    }
                    fact_names.insert(decl.name.node.as_str(), fact_decls.len());
                    if !local(decl) {
                        fact_paths.insert(decl.path.node.as_slice(), fact_decls.len());
                    }
                    fact_decls.push(decl);
                }
                Item::Set(decl) => match set_names
                    .get(decl.name.node.as_str())
                    .and_then(|i| set_decls.get(*i))
                {
                    Some(previous) => out.push(CheckError::Duplicate {
                        what: "set",
                        name: decl.name.node.to_string(),
                        first: previous.name.span,
                        again: decl.name.span,
                        help: "remove one of the declarations, or rename one",
                    }),
                    None => {
                        set_names.insert(decl.name.node.as_str(), set_decls.len());
                        set_decls.push(decl);
                    }
                },
                Item::Rule(rule) => rules.push(FlatRule {
                    shared: Vec::new(),
                    rule,
                }),
                Item::When(block) => {
                    let shared: Vec<&ast::Condition> = block.conditions.iter().collect();
                    flatten(&shared, &block.items, &mut rules);
                }
            }
        }
    }

    let otherwise = match otherwise {
        None => Verdict::None,
        Some(word) => match word.node.as_str() {
            "none" => Verdict::None,
            other => {
                resolve::verdict_named(other, word.span, &outcomes, out).unwrap_or(Verdict::None)
            }
        },
    };
    let hit = match (first_match, &priority) {
        (Some(first), Some((_, again))) => {
            out.push(CheckError::TwoHitPolicies {
                first,
                again: *again,
            });
            HitPolicy::First
        }
        (Some(_), None) => HitPolicy::First,
        (None, Some(_)) => HitPolicy::Priority,
        (None, None) => HitPolicy::Unique,
    };
    let ranked = match (hit, priority) {
        (HitPolicy::Priority, Some((decisions, _))) => ranked_decisions(decisions, &outcomes, out),
        _ => Vec::new(),
    };
    // A decision misspelt in `priority` is reported there, not again as
    // a decision without a place.
    let priority_resolved = priority.is_none_or(|(decisions, _)| decisions.len() == ranked.len());

    check_rule_names(&rules, out);
    let outcome_index = resolve::Outcomes::new(&outcomes);
    let mut resolver = resolve::Resolver::new(&fact_decls, &set_decls, out);
    resolver.other_names(&name, &outcomes);
    let resolved: Vec<_> = rules
        .iter()
        .map(|flat| resolver.rule(&flat.shared, flat.rule, &outcome_index))
        .collect();
    let (facts, unused) = resolver.finish();
    // A `when` block's conditions are resolved with each of its rules: one
    // mistake in them is one error, not one per rule.
    let mut seen = std::collections::HashSet::new();
    out.retain(|error| seen.insert((error.primary_span(), error.to_string())));
    out.retain(|error| !matches!(error, CheckError::UnknownWord { word, .. } if dropped_values.contains(word)));

    let mut checked_rules = Vec::new();
    for (flat, resolved) in rules.iter().zip(resolved) {
        let Some(resolved) = resolved else { continue };
        let id = RuleId(checked_rules.len() as u32);
        if let Some(rule) = reduce::reduce(id, flat.rule, resolved, &facts, sources, out) {
            checked_rules.push(rule);
        }
    }

    if let (HitPolicy::Priority, Some((_, at)), true) = (hit, priority, priority_resolved) {
        check_every_decision_ranked(&checked_rules, &ranked, at, out);
    }
    let order = evaluation_order(&checked_rules, &ranked);
    let mut policy = CheckedPolicy {
        name,
        doc,
        span,
        hit,
        strict: strict.is_some(),
        priority: ranked.into_iter().map(|(verdict, _)| verdict).collect(),
        order,
        otherwise,
        otherwise_reason,
        facts,
        outcomes,
        rules: checked_rules,
    };
    set_reasons(&mut policy);
    drop_unrealizable_clauses(&mut policy, limits.relations_budget, out);
    if policy.rules.is_empty() && rules.is_empty() {
        out.push(CheckError::NoRules {
            name: policy.name.clone(),
            otherwise: policy.otherwise.as_str().to_string(),
            span: policy.span,
        });
    }
    // These findings assume every rule resolved; after errors they would
    // only repeat them.
    if !out.iter().any(CheckError::is_error) {
        out.extend(unused);
        if policy.hit == HitPolicy::Unique {
            conflicts::find(&policy, limits.conflict_budget, out);
        }
    }
    policy.shrink_to_fit();
    policy
}

/// Relations between facts can rule out a clause whose atoms each look
/// possible (`a = b`, `b = c`, `a != c`): such clauses go, and a rule left
/// with none can never match. A clause that repeats another's conditions
/// takes its answer, and one that compares no facts needs no search; the
/// searches start while their steps together are under `budget` (each
/// ends within 200,000 steps). Past it, the clauses left are kept, and a
/// warning says how many rules were not looked at.
fn drop_unrealizable_clauses(policy: &mut CheckedPolicy, budget: usize, out: &mut Vec<CheckError>) {
    if !policy.needs_realizing() {
        return;
    }
    let mut work = 0;
    let mut unchecked = 0;
    let mut known: std::collections::HashMap<&[(FactId, AtomSet)], bool> =
        std::collections::HashMap::new();
    let realizable: Vec<Vec<bool>> = policy
        .rules
        .iter()
        .map(|rule| {
            let mut skipped = false;
            let keep = rule
                .clauses
                .iter()
                .map(|clause| {
                    let conditions = clause.conditions.as_slice();
                    if let Some(answer) = known.get(conditions) {
                        return *answer;
                    }
                    if work >= budget && ties_facts(policy, conditions) {
                        skipped = true;
                        return true;
                    }
                    let answer = policy.realize_counting(conditions, &mut work).is_some();
                    known.insert(conditions, answer);
                    answer
                })
                .collect();
            unchecked += usize::from(skipped);
            keep
        })
        .collect();
    if unchecked > 0 {
        out.push(CheckError::RelationsBudget {
            name: policy.name.clone(),
            unchecked,
            span: policy.span,
        });
    }
    for (rule, keep) in policy.rules.iter_mut().zip(realizable) {
        if keep.iter().all(|k| *k) {
            continue;
        }
        let mut keep = keep.into_iter();
        rule.clauses.retain(|_| keep.next().unwrap_or(true));
        if rule.clauses.is_empty() {
            out.push(CheckError::NeverMatches {
                span: rule.span,
                label: "no facts meet all of it",
                other: None,
                help: String::from(
                    "its comparisons between facts cannot all hold at once (as `a = b`, `b = c` and `a != c` cannot); remove one, or the rule",
                ),
            });
        }
    }
}

/// Each rule's reason as users are shown it: its `because`, or else the
/// text of the outcome it decides.
fn set_reasons(policy: &mut CheckedPolicy) {
    let docs: std::collections::HashMap<&str, &str> = policy
        .outcomes
        .iter()
        .filter_map(|o| Some((o.name.as_str(), o.doc.as_deref()?)))
        .collect();
    for rule in &mut policy.rules {
        rule.reason = rule.because.clone().or_else(|| match &rule.verdict {
            Verdict::Outcome(name) => docs.get(name.as_str()).map(|d| d.to_string()),
            _ => None,
        });
    }
}

/// Whether finding facts for `conditions` is a search: some condition is on
/// a comparison between facts or a part of a datetime, and rules some of
/// its values out.
fn ties_facts(policy: &CheckedPolicy, conditions: &[(FactId, AtomSet)]) -> bool {
    conditions.iter().any(|(fact, set)| {
        !set.is_full()
            && policy
                .fact(*fact)
                .is_some_and(|f| matches!(f.ty, FactType::Relation(_) | FactType::Local(_)))
    })
}

/// The decisions of a `priority` line, each resolved once, with where each
/// is written.
fn ranked_decisions(
    decisions: &[ast::Ident],
    outcomes: &[Outcome],
    out: &mut Vec<CheckError>,
) -> Vec<(Verdict, Span)> {
    let mut ranked: Vec<(Verdict, Span)> = Vec::new();
    for word in decisions {
        let Some(verdict) = resolve::verdict_named(&word.node, word.span, outcomes, out) else {
            continue;
        };
        match ranked.iter().find(|(v, _)| *v == verdict) {
            Some((_, first)) => out.push(CheckError::Duplicate {
                what: "decision in `priority`",
                name: word.node.to_string(),
                first: *first,
                again: word.span,
                help: "a decision has one place in `priority`: keep the one you mean",
            }),
            None => ranked.push((verdict, word.span)),
        }
    }
    ranked
}

/// Under a priority every decision a rule makes has a place in it, so that
/// any overlap has a winner: one error per decision without one, on its
/// first rule.
fn check_every_decision_ranked(
    rules: &[CheckedRule],
    ranked: &[(Verdict, Span)],
    priority: Span,
    out: &mut Vec<CheckError>,
) {
    let mut reported: Vec<&Verdict> = Vec::new();
    for rule in rules {
        if ranked.iter().any(|(v, _)| *v == rule.verdict) || reported.contains(&&rule.verdict) {
            continue;
        }
        reported.push(&rule.verdict);
        let mut line: Vec<&str> = ranked.iter().map(|(v, _)| v.as_str()).collect();
        line.push(rule.verdict.as_str());
        out.push(CheckError::Unranked {
            decision: rule.verdict.as_str().to_string(),
            rule: rule.span,
            priority,
            help: format!(
                "give it its place in the line, e.g. `priority {}`",
                line.join(" > ")
            ),
        });
    }
}

/// The order rules are tried in: source order, and under a priority
/// sorted (stably) by the rank of their decision.
fn evaluation_order(rules: &[CheckedRule], ranked: &[(Verdict, Span)]) -> Vec<RuleId> {
    let mut order: Vec<RuleId> = rules.iter().map(|r| r.id).collect();
    if !ranked.is_empty() {
        let rank = |id: &RuleId| {
            rules
                .get(id.0 as usize)
                .and_then(|r| ranked.iter().position(|(v, _)| *v == r.verdict))
                .unwrap_or(ranked.len())
        };
        order.sort_by_key(rank);
    }
    order
}

/// Each rule name is used once in a policy: tests and decisions name a rule
/// by it.
fn check_rule_names(rules: &[FlatRule<'_>], out: &mut Vec<CheckError>) {
    let mut seen: std::collections::HashMap<&str, Span> = std::collections::HashMap::new();
    for name in rules.iter().filter_map(|flat| flat.rule.name.as_ref()) {
        match seen.get(name.node.as_str()) {
            Some(first) => out.push(CheckError::Duplicate {
                what: "rule name",
                name: name.node.to_string(),
                first: *first,
                again: name.span,
                help: "a rule name names one rule of its policy: rename one of them",
            }),
            None => {
                seen.insert(name.node.as_str(), name.span);
            }
        }
    }
}

fn check_outcome_name(name: &ast::Ident, out: &mut Vec<CheckError>) {
    let text = name.node.as_str();
    let problem = if matches!(text, "allow" | "deny" | "none") {
        Some((
            "is reserved",
            format!("`{text}` is built in; name the outcome differently"),
        ))
    } else if text.chars().any(|c| c.is_ascii_uppercase() || c == '_') {
        let kebab = text.to_ascii_lowercase().replace('_', "-");
        Some((
            "is not kebab-case",
            format!("decisions are written in kebab-case: `{kebab}`"),
        ))
    } else {
        None
    };
    if let Some((problem, help)) = problem {
        out.push(CheckError::BadOutcomeName {
            name: text.to_string(),
            problem,
            span: name.span,
            help,
        });
    }
}
