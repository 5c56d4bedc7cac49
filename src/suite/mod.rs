//! Policy tests: `*.tests` files beside the policies (see
//! `grammar/tests.pest`), run against a [`PolicySet`], with coverage of the
//! compiled decision tree: which leaves and branches no test reaches, which
//! rules never decide, and a ready-to-paste test for each gap.

use pest::Parser as _;
use serde_json::Value;

pub use crate::diagnostics::SuiteError;

use crate::compile::{DecisionTree, Node, NodeId};
use crate::model::{Atom, AtomSet, FactId};
use crate::source::{SourceFile, SourceMap, Span};
use crate::PolicySet;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/tests.pest"]
struct TestsParser;

/// The tests of one or more files.
#[derive(Clone, Debug, Default)]
pub struct Suite {
    pub tests: Vec<TestCase>,
}

#[derive(Clone, Debug)]
pub struct TestCase {
    pub name: String,
    /// The `test "name"` line.
    pub span: Span,
    /// `file:line` of the test.
    pub location: String,
    pub policy: Option<(String, Span)>,
    /// The facts as written; `Err` holds serde_json's complaint.
    pub facts: Result<Value, String>,
    pub facts_span: Span,
    pub expect: Expect,
    pub expect_span: Span,
}

/// What a test expects.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// A decision, and optionally the rule (`file:line`, or its end) that makes it.
    Decision {
        decision: String,
        rule: Option<String>,
    },
    /// An error with this code.
    Error { code: String },
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

/// Reads and parses the tests of a `.tests` file, of the `*.tests` files of a
/// directory, or, for a `.policy` file, of the `.tests` file beside it.
pub fn from_path(path: &std::path::Path) -> Result<(SourceMap, Suite), crate::Report> {
    let tests_path = if path.extension().is_some_and(|e| e == "policy") {
        path.with_extension("tests")
    } else {
        path.to_path_buf()
    };
    let files = crate::files::read_files(
        &tests_path,
        crate::files::FileKind::Tests,
        crate::Limits::MAX_POLICY_BYTES,
    )
    .map_err(|errors| {
        crate::Report::new(
            SourceMap::new(),
            errors.into_iter().map(crate::Problem::from).collect(),
        )
    })?;
    from_sources(files)
}

/// The tests of the built-in multichannel pack.
pub fn builtin() -> Result<(SourceMap, Suite), crate::Report> {
    from_sources(crate::builtin::TESTS.iter().copied())
}

/// Parses test files given as (name, text) pairs.
pub fn from_sources<N: Into<String>, T: Into<String>>(
    files: impl IntoIterator<Item = (N, T)>,
) -> Result<(SourceMap, Suite), crate::Report> {
    let mut sources = SourceMap::new();
    let mut problems: Vec<crate::Problem> = Vec::new();
    for (name, text) in files {
        let (name, text) = (name.into(), text.into());
        let size = text.len();
        if size > crate::Limits::MAX_POLICY_BYTES || sources.add(name.clone(), text).is_none() {
            let limit = crate::Limits::MAX_POLICY_BYTES;
            problems.push(
                crate::LoadError::TooLarge {
                    path: name,
                    size,
                    limit,
                    help: format!("test files add up to at most {limit} bytes"),
                }
                .into(),
            );
        }
    }
    if !problems.is_empty() {
        return Err(crate::Report::new(sources, problems));
    }
    match parse(&sources) {
        Ok(suite) => Ok((sources, suite)),
        Err(errors) => Err(crate::Report::new(
            sources,
            errors.into_iter().map(crate::Problem::from).collect(),
        )),
    }
}

/// Parses the test files in `sources` (every file of the map is a test file).
pub fn parse(sources: &SourceMap) -> Result<Suite, Vec<SuiteError>> {
    let mut suite = Suite::default();
    let mut errors = Vec::new();
    for (_, file) in sources.files() {
        match parse_file(sources, file) {
            Ok(tests) => suite.tests.extend(tests),
            Err(mut file_errors) => errors.append(&mut file_errors),
        }
    }
    if errors.is_empty() {
        Ok(suite)
    } else {
        Err(errors)
    }
}

fn parse_file(sources: &SourceMap, file: &SourceFile) -> Result<Vec<TestCase>, Vec<SuiteError>> {
    let pairs = TestsParser::parse(Rule::tests_file, &file.text).map_err(|err| {
        let pos = match err.location {
            pest::error::InputLocation::Pos(pos) => pos,
            pest::error::InputLocation::Span((start, _)) => start,
        };
        let rest = file.text.get(pos..).unwrap_or_default();
        let found = match rest.chars().next() {
            None => String::from("the end of the file"),
            Some('\n' | '\r') => String::from("the end of the line"),
            Some(_) => {
                let token: String = rest
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .take(24)
                    .collect();
                format!("`{token}`")
            }
        };
        let expected = match &err.variant {
            pest::error::ErrorVariant::ParsingError { positives, .. } => describe(positives),
            pest::error::ErrorVariant::CustomError { message } => message.clone(),
        };
        let len = match rest.find(char::is_whitespace) {
            Some(0) | None => rest.chars().next().map_or(0, char::len_utf8),
            Some(end) => end,
        };
        vec![SuiteError::Syntax {
            expected,
            found,
            span: file.span(pos, pos + len),
        }]
    })?;
    let mut tests = Vec::new();
    let mut errors = Vec::new();
    for pair in pairs.flatten().filter(|p| p.as_rule() == Rule::test) {
        match test_case(sources, file, pair) {
            Ok(test) => tests.push(test),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(tests)
    } else {
        Err(errors)
    }
}

fn describe(positives: &[Rule]) -> String {
    let mut words: Vec<&str> = positives
        .iter()
        .map(|rule| match rule {
            Rule::kw_test | Rule::test => "`test \"NAME\"`",
            Rule::string | Rule::string_inner => "a quoted name",
            Rule::kw_facts | Rule::facts_clause => "`facts {...}`",
            Rule::json_object => "a JSON object",
            Rule::kw_expect | Rule::expect_clause => "`expect ...`",
            Rule::kw_policy | Rule::policy_clause => "`policy NAME`",
            Rule::ident | Rule::expect_decision => "a decision",
            Rule::kw_error | Rule::expect_error => "`error CODE`",
            Rule::code => "a diagnostic code such as `verdict::facts::missing`",
            Rule::kw_rule => "`rule FILE:LINE`",
            Rule::location => "a rule location such as `channels.policy:6`",
            Rule::EOI => "the end of the file",
            _ => "something else",
        })
        .collect();
    words.dedup();
    if words.is_empty() {
        words.push("something else");
    }
    crate::diagnostics::words::join_or(&words)
}

fn test_case(
    sources: &SourceMap,
    file: &SourceFile,
    pair: pest::iterators::Pair<'_, Rule>,
) -> Result<TestCase, Vec<SuiteError>> {
    let pest_span = pair.as_span();
    let mut name = String::new();
    let mut span = file.span(pest_span.start(), pest_span.end());
    let mut policy: Option<(String, Span)> = None;
    let mut facts: Option<(Result<Value, String>, Span)> = None;
    let mut expect: Option<(Expect, Span)> = None;
    let mut errors = Vec::new();
    let to_span =
        |p: &pest::iterators::Pair<'_, Rule>| file.span(p.as_span().start(), p.as_span().end());
    for child in pair.into_inner() {
        let child_span = to_span(&child);
        match child.as_rule() {
            Rule::string => {
                name = child
                    .clone()
                    .into_inner()
                    .next()
                    .map(|inner| unescape(inner.as_str()))
                    .unwrap_or_default();
                span = span.start_only().to(child_span);
            }
            Rule::policy_clause => {
                let value = child.into_inner().find(|p| p.as_rule() == Rule::ident);
                if let Some(previous) = &policy {
                    errors.push(duplicate(&name, "policy", previous.1, child_span));
                }
                policy = value.map(|v| (v.as_str().to_string(), to_span(&v)));
            }
            Rule::facts_clause => {
                let json = child
                    .into_inner()
                    .find(|p| p.as_rule() == Rule::json_object);
                if let Some(previous) = &facts {
                    errors.push(duplicate(&name, "facts", previous.1, child_span));
                }
                if let Some(json) = json {
                    let parsed = serde_json::from_str::<Value>(json.as_str())
                        .map_err(|e| crate::facts::json_error_message(&e));
                    facts = Some((parsed, child_span));
                }
            }
            Rule::expect_clause => {
                if let Some(previous) = &expect {
                    errors.push(duplicate(&name, "expect", previous.1, child_span));
                }
                let inner = child
                    .into_inner()
                    .find(|p| matches!(p.as_rule(), Rule::expect_error | Rule::expect_decision));
                let parsed = inner.map(|inner| match inner.as_rule() {
                    Rule::expect_error => Expect::Error {
                        code: inner
                            .into_inner()
                            .find(|p| p.as_rule() == Rule::code)
                            .map(|p| p.as_str().to_string())
                            .unwrap_or_default(),
                    },
                    _ => {
                        let mut decision = String::new();
                        let mut rule = None;
                        for part in inner.into_inner() {
                            match part.as_rule() {
                                Rule::ident => decision = part.as_str().to_string(),
                                Rule::location => rule = Some(part.as_str().to_string()),
                                _ => {}
                            }
                        }
                        Expect::Decision { decision, rule }
                    }
                });
                if let Some(parsed) = parsed {
                    expect = Some((parsed, child_span));
                }
            }
            _ => {}
        }
    }
    let location = sources.location(span);
    let Some((facts, facts_span)) = facts else {
        errors.push(SuiteError::Incomplete {
            name,
            clause: "facts",
            span,
            help: "add a line `facts {...}` with the facts as a JSON object",
        });
        return Err(errors);
    };
    let Some((expect, expect_span)) = expect else {
        errors.push(SuiteError::Incomplete {
            name,
            clause: "expect",
            span,
            help: "add a line `expect DECISION` or `expect error CODE`",
        });
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(TestCase {
        name,
        span,
        location,
        policy,
        facts,
        facts_span,
        expect,
        expect_span,
    })
}

fn duplicate(name: &str, clause: &'static str, first: Span, again: Span) -> SuiteError {
    SuiteError::DuplicateClause {
        name: name.to_string(),
        clause,
        first,
        again,
    }
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            },
            (c, false) => out.push(c),
        }
    }
    out
}

/// What a test got.
#[derive(Clone, Debug, PartialEq)]
pub enum Got {
    Decision {
        decision: String,
        rule: Option<String>,
    },
    /// The errors, in order: (code, message).
    Errors(Vec<(String, String)>),
}

impl std::fmt::Display for Got {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Got::Decision {
                decision,
                rule: Some(rule),
            } => write!(f, "{decision} (rule {rule})"),
            Got::Decision {
                decision,
                rule: None,
            } => write!(f, "{decision} (no rule applies)"),
            Got::Errors(errors) => {
                let parts: Vec<String> = errors
                    .iter()
                    .map(|(code, message)| format!("{code}: {message}"))
                    .collect();
                write!(f, "error {}", parts.join("; "))
            }
        }
    }
}

/// The result of one test.
#[derive(Clone, Debug)]
pub struct TestResult {
    pub name: String,
    pub location: String,
    pub passed: bool,
    pub expected: Expect,
    pub got: Got,
}

/// The results of a suite, with coverage of each policy's tree.
#[derive(Clone, Debug)]
pub struct SuiteResult {
    pub results: Vec<TestResult>,
    pub coverage: Vec<Coverage>,
}

impl SuiteResult {
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed).count()
    }

    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }

    /// Covered items over all items, over every policy, in percent. A policy
    /// without a tree counts as not covered at all.
    pub fn coverage_percent(&self) -> f64 {
        if self.coverage.iter().any(|c| c.no_tree) {
            return 0.0;
        }
        let total: usize = self.coverage.iter().map(|c| c.total).sum();
        let covered: usize = self.coverage.iter().map(|c| c.covered).sum();
        if total == 0 {
            100.0
        } else {
            100.0 * covered as f64 / total as f64
        }
    }
}

/// How much of one policy's tree the tests reach. The items are the tree's
/// leaves and its branches (a test node with one of its distinct children).
#[derive(Clone, Debug)]
pub struct Coverage {
    pub policy: String,
    pub total: usize,
    pub covered: usize,
    /// `file:line` of each rule that no test saw decide.
    pub rules_never_fired: Vec<String>,
    /// One entry per uncovered item (leaves first, then branches).
    pub gaps: Vec<Gap>,
    /// The policy has no decision tree (too large), so coverage is not measured.
    pub no_tree: bool,
}

/// A part of the tree no test reaches, and a test that would.
#[derive(Clone, Debug)]
pub struct Gap {
    /// What the test would reach that no test does: leaves (their decision
    /// and rule) and branches (`request.target = partner`).
    pub reaches: Vec<String>,
    /// A ready-to-paste test case in the test file format.
    pub test: String,
}

/// Runs the suite. Errors are about the suite itself (a test naming a policy
/// the set does not have).
pub fn run(set: &PolicySet, suite: &Suite) -> Result<SuiteResult, Vec<SuiteError>> {
    let trees = set.trees();
    let mut errors = Vec::new();
    let mut results = Vec::new();
    let mut routes: Vec<Vec<Vec<NodeId>>> = vec![Vec::new(); trees.len()];
    for test in &suite.tests {
        let index = match &test.policy {
            Some((name, span)) => match trees.iter().position(|t| &t.policy.name == name) {
                Some(i) => i,
                None => {
                    let names: Vec<&str> = trees.iter().map(|t| t.policy.name.as_str()).collect();
                    errors.push(SuiteError::UnknownPolicy {
                        name: name.clone(),
                        span: *span,
                        help: crate::diagnostics::words::did_you_mean(name, names.iter().copied())
                            .unwrap_or_else(|| format!("the policies are {}", names.join(", "))),
                    });
                    continue;
                }
            },
            None if trees.len() == 1 => 0,
            None => {
                errors.push(SuiteError::WhichPolicy {
                    name: test.name.clone(),
                    count: trees.len(),
                    span: test.span,
                });
                continue;
            }
        };
        let Some(tree) = trees.get(index) else {
            continue;
        };
        let got = match &test.facts {
            Err(message) => Got::Errors(vec![(
                String::from("verdict::facts::syntax"),
                format!("facts are not valid JSON: {message}"),
            )]),
            Ok(facts) => match crate::eval::decide(tree, facts) {
                Ok(rule) => {
                    if let (Some(route), Some(routes)) =
                        (crate::eval::route(tree, facts), routes.get_mut(index))
                    {
                        routes.push(route);
                    }
                    let rule = rule.and_then(|r| tree.policy.rule(r));
                    Got::Decision {
                        decision: rule
                            .map_or(tree.policy.otherwise.as_str(), |r| r.verdict.as_str())
                            .to_string(),
                        rule: rule.map(|r| r.location.clone()),
                    }
                }
                Err(errors) => Got::Errors(
                    errors
                        .iter()
                        .map(|e| {
                            let code = miette::Diagnostic::code(e)
                                .map(|c| c.to_string())
                                .unwrap_or_default();
                            (code, e.to_string())
                        })
                        .collect(),
                ),
            },
        };
        results.push(TestResult {
            name: test.name.clone(),
            location: test.location.clone(),
            passed: passes(&test.expect, &got),
            expected: test.expect.clone(),
            got,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let coverage = trees
        .iter()
        .zip(&routes)
        .map(|(tree, routes)| coverage(tree, routes, trees.len() > 1))
        .collect();
    Ok(SuiteResult { results, coverage })
}

fn passes(expect: &Expect, got: &Got) -> bool {
    match (expect, got) {
        (
            Expect::Decision { decision, rule },
            Got::Decision {
                decision: d,
                rule: r,
            },
        ) => {
            decision == d
                && match (rule, r) {
                    (None, _) => true,
                    // A location matches the rule's whole `file:line` or its end.
                    (Some(want), Some(have)) => have == want || have.ends_with(&format!("/{want}")),
                    (Some(_), None) => false,
                }
        }
        (Expect::Error { code }, Got::Errors(errors)) => errors.iter().any(|(c, _)| c == code),
        _ => false,
    }
}

/// `name_policy`: the suggested tests must say which policy they test.
fn coverage(tree: &DecisionTree, routes: &[Vec<NodeId>], name_policy: bool) -> Coverage {
    if tree.scan.is_some() {
        return Coverage {
            policy: tree.policy.name.clone(),
            total: 0,
            covered: 0,
            rules_never_fired: Vec::new(),
            gaps: Vec::new(),
            no_tree: true,
        };
    }
    let mut seen_nodes = vec![false; tree.nodes.len()];
    let mut seen_branches: Vec<(NodeId, NodeId)> = Vec::new();
    for route in routes {
        for node in route {
            if let Some(seen) = seen_nodes.get_mut(node.0 as usize) {
                *seen = true;
            }
        }
        for pair in route.windows(2) {
            if let [from, to] = pair {
                if !seen_branches.contains(&(*from, *to)) {
                    seen_branches.push((*from, *to));
                }
            }
        }
    }
    let mut total = 0;
    let mut covered = 0;
    let mut gaps = Vec::new();
    // Leaves first: a missing leaf is a decision no test checks.
    for (i, node) in tree.nodes.iter().enumerate() {
        if let Node::Leaf(rule) = node {
            total += 1;
            if seen_nodes.get(i).copied().unwrap_or(false) {
                covered += 1;
            } else if let Some(path) = path_to(tree, NodeId(i as u32), None) {
                gaps.push(Gap {
                    reaches: vec![tree.leaf_label(*rule)],
                    test: suggest_test(tree, &path, name_policy),
                });
            }
        }
    }
    for (i, node) in tree.nodes.iter().enumerate() {
        if let Node::Test { fact, edges } = node {
            for (child, label) in tree.grouped_edges(*fact, edges) {
                total += 1;
                let from = NodeId(i as u32);
                if seen_branches.contains(&(from, child)) {
                    covered += 1;
                } else if let Some(path) = path_to(tree, from, Some(child)) {
                    let path_name = tree
                        .policy
                        .fact(*fact)
                        .map(|f| f.path_string())
                        .unwrap_or_default();
                    gaps.push(Gap {
                        reaches: vec![format!("{path_name} = {label}")],
                        test: suggest_test(tree, &path, name_policy),
                    });
                }
            }
        }
    }
    let fired: Vec<&str> = routes
        .iter()
        .filter_map(|route| route.last())
        .filter_map(|leaf| match tree.node(*leaf) {
            Some(Node::Leaf(Some(rule))) => tree.policy.rule(*rule).map(|r| r.location.as_str()),
            _ => None,
        })
        .collect();
    let rules_never_fired = tree
        .policy
        .rules
        .iter()
        .filter(|r| r.is_satisfiable() && !fired.contains(&r.location.as_str()))
        .map(|r| r.location.clone())
        .collect();
    // One suggested test often closes several gaps (a leaf and the branch
    // into it): list it once, naming them all.
    let mut merged: Vec<Gap> = Vec::new();
    for gap in gaps {
        match merged.iter_mut().find(|g| g.test == gap.test) {
            Some(existing) => existing.reaches.extend(gap.reaches),
            None => merged.push(gap),
        }
    }
    Coverage {
        policy: tree.policy.name.clone(),
        total,
        covered,
        rules_never_fired,
        gaps: merged,
        no_tree: false,
    }
}

/// The constraints on a path from the root through `target` (and then its
/// `child`, if given) down to a leaf, taking the first branch where free.
fn path_to(
    tree: &DecisionTree,
    target: NodeId,
    child: Option<NodeId>,
) -> Option<Vec<(FactId, AtomSet)>> {
    let mut path = Vec::new();
    let mut dead = vec![false; tree.nodes.len()];
    if !descend(tree, tree.root, target, &mut path, &mut dead) {
        return None;
    }
    let mut node = target;
    if let Some(child) = child {
        let Some(Node::Test { fact, edges }) = tree.node(target) else {
            return None;
        };
        path.push((*fact, atoms_to(edges, child)));
        node = child;
    }
    while let Some(Node::Test { fact, edges }) = tree.node(node) {
        let first = *edges.first()?;
        path.push((*fact, atoms_to(edges, first)));
        node = first;
    }
    Some(path)
}

/// Depth-first search from `node` to `target`, recording the constraints.
/// `dead` marks nodes already known not to lead there, so each node is
/// searched once.
fn descend(
    tree: &DecisionTree,
    node: NodeId,
    target: NodeId,
    path: &mut Vec<(FactId, AtomSet)>,
    dead: &mut [bool],
) -> bool {
    if node == target {
        return true;
    }
    // Children come before parents in the node list, so a target with a
    // larger index than `node` is not below it.
    if target.0 > node.0 || dead.get(node.0 as usize).copied().unwrap_or(true) {
        return false;
    }
    let Some(Node::Test { fact, edges }) = tree.node(node) else {
        return false;
    };
    let mut tried: Vec<NodeId> = Vec::new();
    for edge in edges.iter() {
        if tried.contains(edge) {
            continue;
        }
        tried.push(*edge);
        path.push((*fact, atoms_to(edges, *edge)));
        if descend(tree, *edge, target, path, dead) {
            return true;
        }
        path.pop();
    }
    if let Some(d) = dead.get_mut(node.0 as usize) {
        *d = true;
    }
    false
}

fn atoms_to(edges: &[NodeId], child: NodeId) -> AtomSet {
    AtomSet::from_atoms(
        edges.len() as u32,
        edges
            .iter()
            .enumerate()
            .filter(|(_, e)| **e == child)
            .map(|(a, _)| a as Atom),
    )
}

/// A test case, in the test file format, for facts that follow `path`.
fn suggest_test(tree: &DecisionTree, path: &[(FactId, AtomSet)], name_policy: bool) -> String {
    let policy = &tree.policy;
    // Prefer a present value to "absent" where both would do.
    let assignment: Vec<(FactId, Atom)> = path
        .iter()
        .filter_map(|(fact, set)| {
            let absent = policy.fact(*fact).and_then(|f| f.absent_atom());
            let atom = set
                .iter()
                .find(|a| Some(*a) != absent)
                .or_else(|| set.first())?;
            Some((*fact, atom))
        })
        .collect();
    let facts = policy.facts_json(&assignment);
    let words: Vec<String> = assignment
        .iter()
        .filter_map(|(fact, atom)| {
            let fact = policy.fact(*fact)?;
            Some(format!("{} {}", fact.name, fact.describe_atom(*atom)))
        })
        .collect();
    let (decision, rule) = match crate::eval::decide(tree, &facts) {
        Ok(Some(rule)) => match policy.rule(rule) {
            Some(r) => (r.verdict.as_str().to_string(), Some(r.location.clone())),
            None => (policy.otherwise.as_str().to_string(), None),
        },
        _ => (policy.otherwise.as_str().to_string(), None),
    };
    // The file name alone is enough to name the rule, and survives moves.
    let expect = match rule {
        Some(rule) => format!(
            "{decision} rule {}",
            rule.rsplit('/').next().unwrap_or(&rule)
        ),
        None => decision.clone(),
    };
    let policy_line = if name_policy {
        format!("  policy {}\n", policy.name)
    } else {
        String::new()
    };
    format!(
        "test \"{decision} when {}\"\n{policy_line}  facts {facts}\n  expect {expect}\n",
        words.join(", ").replace('"', "'")
    )
}
