//! What the compiled tree tells about the rules: which never decide
//! (shadowed), which another rule makes redundant, and which combinations of
//! facts no rule decides (gaps).

use crate::check::{AtomSet, CheckError, CheckedRule, FactId, HitPolicy};

use super::{DecisionTree, Node, NodeId};

/// Shadowed and redundant rules, as warnings.
pub(super) fn rules_that_never_matter(tree: &DecisionTree) -> Vec<CheckError> {
    let policy = &tree.policy;
    let mut decides = vec![false; policy.rules.len()];
    for node in &tree.nodes {
        if let Node::Leaf(Some(rule)) = node {
            if let Some(d) = decides.get_mut(rule.0 as usize) {
                *d = true;
            }
        }
    }
    let mut warnings = Vec::new();
    for rule in policy.rules.iter().filter(|r| r.is_satisfiable()) {
        if let Some(by) = redundant_by(tree, rule) {
            warnings.push(CheckError::Redundant {
                span: rule.span,
                by: by.span,
                verdict: by.verdict.as_str().to_string(),
                help: "delete it; the other rule already decides the same",
            });
            continue;
        }
        if decides.get(rule.id.0 as usize).copied().unwrap_or(true) {
            continue;
        }
        let covering: Vec<&CheckedRule> = policy
            .rules
            .iter()
            .take_while(|earlier| earlier.id < rule.id)
            .filter(|earlier| crate::check::overlap(earlier, rule).is_some())
            .collect();
        let by = covering
            .iter()
            .map(|earlier| {
                let how = if covers(earlier, rule) {
                    "covers it"
                } else {
                    "covers part of it"
                };
                miette::LabeledSpan::at(
                    earlier.span,
                    format!("{how}, deciding `{}`", earlier.verdict.as_str()),
                )
            })
            .collect();
        let help = if covering.iter().any(|e| e.verdict != rule.verdict) {
            String::from("rule order decides here: move the rule above the rules that cover it, narrow them, or delete it")
        } else {
            String::from("earlier rules already decide the same for every case it matches: delete it, or narrow them")
        };
        warnings.push(CheckError::Shadowed {
            span: rule.span,
            by,
            help,
        });
    }
    warnings
}

/// A single other rule with the same decision that matches everything
/// `rule` matches, so that deleting `rule` changes no decision. Under
/// `first match` only an earlier rule qualifies (a later one could lose to
/// rules in between); of two rules that match exactly the same facts, the
/// later one is the redundant one.
fn redundant_by<'p>(tree: &'p DecisionTree, rule: &CheckedRule) -> Option<&'p CheckedRule> {
    tree.policy.rules.iter().find(|other| {
        other.id != rule.id
            && other.is_satisfiable()
            && other.verdict == rule.verdict
            && covers(other, rule)
            && (other.id < rule.id
                || (tree.policy.hit == HitPolicy::Unique
                    && !covers(rule, other)
                    // A rule that decides first with its own reason is not redundant.
                    && rule.because == other.because
                    && rule.see == other.see))
    })
}

/// Whether `wide` matches every facts object that `narrow` matches.
fn covers(wide: &CheckedRule, narrow: &CheckedRule) -> bool {
    wide.conditions.iter().all(|(fact, set)| {
        narrow
            .condition(*fact)
            .is_some_and(|narrow_set| narrow_set.is_subset(set))
            || set.is_full()
    })
}

/// How many gap regions `gaps` lists at most.
pub const MAX_GAPS: usize = 1_000;

impl DecisionTree {
    /// The regions of facts no rule decides (they get the policy's
    /// `otherwise`): one per path to a leaf without a rule, each as the set
    /// of allowed atoms of every fact tested on the way. At most
    /// [`MAX_GAPS`] regions; the bool says whether there were more.
    pub fn gaps(&self) -> (Vec<Vec<(FactId, AtomSet)>>, bool) {
        let mut found = Vec::new();
        let mut more = false;
        self.collect_gaps(self.root, &mut Vec::new(), &mut found, &mut more);
        (found, more)
    }

    fn collect_gaps(
        &self,
        node: NodeId,
        path: &mut Vec<(FactId, AtomSet)>,
        found: &mut Vec<Vec<(FactId, AtomSet)>>,
        more: &mut bool,
    ) {
        if *more {
            return;
        }
        match self.node(node) {
            Some(Node::Leaf(None)) => {
                if found.len() < MAX_GAPS {
                    found.push(path.clone());
                } else {
                    *more = true;
                }
            }
            Some(Node::Test { fact, edges }) => {
                let mut groups: Vec<(NodeId, AtomSet)> = Vec::new();
                for (atom, child) in edges.iter().enumerate() {
                    match groups.iter_mut().find(|(c, _)| c == child) {
                        Some((_, set)) => set.insert(atom as u32),
                        None => groups.push((
                            *child,
                            AtomSet::from_atoms(edges.len() as u32, [atom as u32]),
                        )),
                    }
                }
                for (child, set) in groups {
                    path.push((*fact, set));
                    self.collect_gaps(child, path, found, more);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// The gaps as one diagnostic: advice, or an error when `deny` is set.
    pub fn gaps_diagnostic(&self, deny: bool) -> Option<CheckError> {
        // Without a tree there are no regions to read gaps off.
        if self.scan.is_some() {
            return None;
        }
        let (gaps, more) = self.gaps();
        if gaps.is_empty() {
            return None;
        }
        let policy = &self.policy;
        let shown = 10;
        let mut help = String::from("no rule decides facts like these:");
        for region in gaps.iter().take(shown) {
            // Where a whole set of values behaves alike, say so after the example.
            let alike: Vec<String> = region
                .iter()
                .filter(|(_, set)| set.count() > 1)
                .filter_map(|(fact, set)| {
                    let fact = policy.fact(*fact)?;
                    Some(format!("{} {}", fact.path_string(), fact.describe_set(set)))
                })
                .collect();
            let example: Vec<(FactId, u32)> = region
                .iter()
                .filter_map(|(fact, set)| {
                    let absent = policy.fact(*fact).and_then(|f| f.absent_atom());
                    Some((
                        *fact,
                        set.iter()
                            .find(|a| Some(*a) != absent)
                            .or_else(|| set.first())?,
                    ))
                })
                .collect();
            help.push_str(&format!(
                "\n- {}",
                inline_json(&policy.facts_json(&example))
            ));
            if !alike.is_empty() {
                help.push_str(&format!("\n  (the same for {})", alike.join("; ")));
            }
        }
        let count = gaps.len();
        if count > shown || more {
            help.push_str(&format!(
                "\n- and {} more",
                if more {
                    format!("{}+", count - shown)
                } else {
                    (count - shown).to_string()
                }
            ));
        }
        Some(if deny {
            CheckError::GapsDenied {
                name: policy.name.clone(),
                kinds: kinds(count),
                span: policy.span,
                help,
            }
        } else {
            CheckError::Gaps {
                name: policy.name.clone(),
                otherwise: policy.otherwise.as_str().to_string(),
                kinds: kinds(count),
                span: policy.span,
                help,
            }
        })
    }
}

/// JSON on one line with a space after each `:` and `,`, so that long
/// objects wrap between values in a terminal.
pub fn inline_json(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        serde_json::Value::String(k.clone()),
                        inline_json(v)
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        serde_json::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline_json).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// "1 kind", "2 kinds".
fn kinds(count: usize) -> String {
    if count == 1 {
        String::from("1 kind")
    } else {
        format!("{count} kinds")
    }
}
