//! Running a suite: each test's facts decided by its policy, the decision
//! (or the errors) compared with what the test expects, and the routes the
//! tests take through each tree, for coverage.

use super::coverage::{coverage, Coverage};
use super::{Expect, Suite, TestCase};
use crate::compile::{DecisionTree, NodeId};
use crate::diagnostics::words;
use crate::diagnostics::{Problem, Report, SuiteError, DECIDING_CODES};
use crate::eval;
use crate::model::{CheckedPolicy, CheckedRule};
use crate::policy_set::PolicySet;

/// What a test got: a decision, or errors.
#[derive(Clone, Debug, PartialEq)]
pub enum Actual {
    /// A decision.
    Decision {
        /// The decision (`allow`, `deny`, an outcome or `none`).
        decision: String,
        /// The deciding rule's location; `None` when no rule applies.
        rule: Option<String>,
        /// The deciding rule's name, when it has one.
        rule_name: Option<String>,
    },
    /// The errors, in order: (code, message).
    Errors(Vec<(String, String)>),
}

impl std::fmt::Display for Actual {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actual::Decision {
                decision,
                rule: Some(rule),
                rule_name: Some(name),
            } => write!(f, "{decision} (rule {name}, {rule})"),
            Actual::Decision {
                decision,
                rule: Some(rule),
                rule_name: None,
            } => write!(f, "{decision} (rule {rule})"),
            Actual::Decision {
                decision,
                rule: None,
                ..
            } => write!(f, "{decision} (no rule applies)"),
            Actual::Errors(errors) => {
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
    /// The test's name.
    pub name: String,
    /// Where the test is (`file:line`).
    pub location: String,
    /// Whether it got what it expects.
    pub passed: bool,
    /// What it expects.
    pub expected: Expect,
    /// What it got.
    pub actual: Actual,
}

/// The results of a suite, with coverage of each policy's tree.
#[derive(Clone, Debug)]
pub struct SuiteResult {
    /// Each test's result, in the order of the files and the tests.
    pub results: Vec<TestResult>,
    /// Each policy's coverage, in the set's order.
    pub coverage: Vec<Coverage>,
}

impl SuiteResult {
    /// How many tests passed.
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed).count()
    }

    /// How many tests failed.
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

/// Runs the suite. Errors are about the suite itself (a test naming a policy
/// the set does not have), with the suite's sources to render them.
///
/// ```
/// let policies = verdict::PolicySet::builtin().map_err(|r| r.render(80))?;
/// let suite = verdict::suite::from_sources([(
///     "invite.tests",
///     "test \"resellers use their provider's invitation\"\n  facts {\"partner\": {\"role\": \"reseller\"}, \"request\": {\"action\": \"invite\"}}\n  expect deny rule indirect.policy:10\n",
/// )])
/// .map_err(|r| r.render(80))?;
/// let result = verdict::suite::run(&policies, &suite).map_err(|r| r.render(80))?;
/// assert_eq!((result.passed(), result.failed()), (1, 0));
/// # Ok::<(), String>(())
/// ```
pub fn run(set: &PolicySet, suite: &Suite) -> Result<SuiteResult, Report> {
    let trees = set.built_trees();
    // Every test is checked against its policy before any runs.
    let mut errors = Vec::new();
    let mut policies = Vec::new();
    for test in &suite.tests {
        match policy_of(trees, test) {
            Ok(index) => {
                if let Some(tree) = trees.get(index) {
                    errors.extend(check_expectation(&tree.policy, test));
                }
                policies.push(index);
            }
            Err(error) => errors.push(error),
        }
    }
    if !errors.is_empty() {
        let problems = errors.into_iter().map(Problem::from).collect();
        return Err(Report::new(suite.sources.clone(), problems));
    }
    let mut results = Vec::new();
    let mut routes: Vec<Vec<Vec<NodeId>>> = vec![Vec::new(); trees.len()];
    for (test, index) in suite.tests.iter().zip(policies) {
        let Some(tree) = trees.get(index) else {
            continue;
        };
        let got = match &test.facts {
            Err(message) => Actual::Errors(vec![(
                String::from("verdict::facts::syntax"),
                format!("facts are not valid JSON: {message}"),
            )]),
            Ok(given) => {
                // The evaluation time fills facts declared `default now`.
                let filled = set.with_now_at(given, test.now);
                let facts = &*filled;
                match eval::decide(tree, facts).and_then(|rule| {
                    // A policy that reads strictly fails on what it finds besides.
                    let strict = set.strict_errors(tree, facts);
                    if strict.is_empty() {
                        Ok(rule)
                    } else {
                        Err(strict)
                    }
                }) {
                    Ok(rule) => {
                        if let (Some(route), Some(routes)) =
                            (eval::route(tree, facts), routes.get_mut(index))
                        {
                            routes.push(route);
                        }
                        let rule = rule.and_then(|r| tree.policy.rule(r));
                        Actual::Decision {
                            decision: rule
                                .map_or(tree.policy.otherwise.as_str(), |r| r.verdict.as_str())
                                .to_string(),
                            rule: rule.map(|r| r.location.clone()),
                            rule_name: rule.and_then(|r| r.name.clone()),
                        }
                    }
                    Err(errors) => Actual::Errors(
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
                }
            }
        };
        results.push(TestResult {
            name: test.name.clone(),
            location: test.location.clone(),
            passed: passes(&test.expect, &got),
            expected: test.expect.clone(),
            actual: got,
        });
    }
    let coverage = trees
        .iter()
        .zip(&routes)
        .map(|(tree, routes)| coverage(tree, routes, trees.len() > 1))
        .collect();
    Ok(SuiteResult { results, coverage })
}

/// The index of the policy a test is about: the one it names, or the
/// set's only one.
fn policy_of(trees: &[DecisionTree], test: &TestCase) -> Result<usize, SuiteError> {
    match &test.policy {
        Some((name, span)) => trees
            .iter()
            .position(|t| &t.policy.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = trees.iter().map(|t| t.policy.name.as_str()).collect();
                SuiteError::UnknownPolicy {
                    name: name.clone(),
                    span: *span,
                    help: words::did_you_mean(name, names.iter().copied())
                        .unwrap_or_else(|| format!("the policies are {}", names.join(", "))),
                }
            }),
        None if trees.len() == 1 => Ok(0),
        None => Err(SuiteError::WhichPolicy {
            name: test.name.clone(),
            count: trees.len(),
            span: test.span,
        }),
    }
}

/// What is wrong with what a test expects of `policy`: a decision it never
/// makes, a rule it does not have, a code deciding never reports.
fn check_expectation(policy: &CheckedPolicy, test: &TestCase) -> Vec<SuiteError> {
    let mut errors = Vec::new();
    match &test.expect {
        Expect::Decision { decision, rule } => {
            let decisions = policy.decisions();
            if !decisions.contains(&decision.as_str()) {
                errors.push(SuiteError::UnknownDecision {
                    name: test.name.clone(),
                    decision: decision.clone(),
                    policy: policy.name.clone(),
                    span: test.expect_value_span,
                    help: words::did_you_mean(decision, decisions.iter().copied()).unwrap_or_else(
                        || format!("policy `{}` decides {}", policy.name, decisions.join(", ")),
                    ),
                });
            }
            if let Some(wanted) = rule {
                if !policy.rules.iter().any(|r| names_rule(wanted, r)) {
                    errors.push(SuiteError::UnknownRule {
                        name: test.name.clone(),
                        rule: wanted.clone(),
                        policy: policy.name.clone(),
                        span: test.expect_rule_span.unwrap_or(test.expect_span),
                        help: unknown_rule_help(policy, wanted),
                    });
                }
            }
        }
        Expect::Error { code } => {
            if !DECIDING_CODES.contains(&code.as_str()) {
                errors.push(SuiteError::UnknownCode {
                    name: test.name.clone(),
                    code: code.clone(),
                    span: test.expect_value_span,
                    help: words::did_you_mean(code, DECIDING_CODES.iter().copied()).unwrap_or_else(
                        || format!("deciding reports {}", words::join_or(DECIDING_CODES)),
                    ),
                });
            }
        }
    }
    errors
}

/// Whether a test's `rule ...` names `rule`: by its name, its whole
/// `file:line`, or the end of it after a `/`.
fn names_rule(wanted: &str, rule: &CheckedRule) -> bool {
    rule.name.as_deref() == Some(wanted)
        || rule.location == wanted
        || rule.location.ends_with(&format!("/{wanted}"))
}

/// The closest rule to one a test names: by place, the lines the rules of
/// that file start on; by name, the closest name.
fn unknown_rule_help(policy: &CheckedPolicy, wanted: &str) -> String {
    if let Some((file, _)) = wanted.rsplit_once(':') {
        let lines: Vec<&str> = policy
            .rules
            .iter()
            .filter_map(|r| r.location.rsplit_once(':'))
            .filter(|(path, _)| *path == file || path.ends_with(&format!("/{file}")))
            .map(|(_, line)| line)
            .collect();
        if !lines.is_empty() {
            return format!(
                "the rules of `{file}` start on lines {}",
                words::join_and(&lines)
            );
        }
    }
    let names = policy.rules.iter().filter_map(|r| r.name.as_deref());
    words::did_you_mean(wanted, names).unwrap_or_else(|| {
        String::from("name a rule by its place (`file.policy:LINE`, the line its conditions start on) or by the name written before its conditions (`name: ...`)")
    })
}

fn passes(expect: &Expect, got: &Actual) -> bool {
    match (expect, got) {
        (
            Expect::Decision { decision, rule },
            Actual::Decision {
                decision: d,
                rule: r,
                rule_name,
            },
        ) => {
            decision == d
                && match (rule, r) {
                    (None, _) => true,
                    // A rule is named by its name, its whole `file:line` or its end.
                    (Some(want), Some(have)) => {
                        rule_name.as_deref() == Some(want.as_str())
                            || have == want
                            || have.ends_with(&format!("/{want}"))
                    }
                    (Some(_), None) => false,
                }
        }
        (Expect::Error { code }, Actual::Errors(errors)) => errors.iter().any(|(c, _)| c == code),
        _ => false,
    }
}
