//! Semantic diff: where two versions of a policy set decide differently.
//! Both versions' trees are walked together, splitting the facts on every
//! fact either tree tests, so each region of facts that reaches one leaf in
//! each tree is visited once. Regions where the decisions differ are the
//! diff; regions that differ in one fact only are merged. No solver is
//! needed: the trees make the space finite. Where facts are tied
//! (relations between facts, a datetime's local parts), the walk treats
//! each tie as a fact of its own, and a change counts only where facts
//! realized in its region are decided, by both versions, as it says.

use serde::Serialize;
use serde_json::Value;

use crate::compile::{DecisionTree, Node, NodeId};
use crate::model::{
    insert_at, number_atom, CheckedPolicy, Fact, FactType, Presence, Strings, ValueIndex,
};
use crate::policy_set::PolicySet;
use crate::source::SourceMap;

/// How two policy sets differ.
#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    /// Names of policies only the new set has.
    pub added: Vec<String>,
    /// Names of policies only the old set has.
    pub removed: Vec<String>,
    /// Names of policies that could not be compared: one version has no
    /// decision tree (it would be too large), or the trees together have
    /// more paths than a comparison visits.
    pub incomparable: Vec<String>,
    /// The regions of facts whose decision changes, by policy.
    pub changes: Vec<Change>,
}

impl Diff {
    /// Whether the two sets decide alike everywhere, for the same reasons
    /// and by the same rules (and have the same policies, all comparable).
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changes.is_empty()
            && self.incomparable.is_empty()
    }

    /// Whether anything differs that `kinds` gate on: policies added,
    /// removed or not compared, or a change of one of `kinds`.
    pub fn has(&self, kinds: &[ChangeKind]) -> bool {
        !self.added.is_empty()
            || !self.removed.is_empty()
            || !self.incomparable.is_empty()
            || self.changes.iter().any(|c| kinds.contains(&c.kind))
    }
}

/// A region of facts decided differently: another decision, the same
/// decision for another reason, or the same decision and reason by
/// another rule.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    /// The policy's name.
    pub policy: String,
    /// What changes there.
    pub kind: ChangeKind,
    /// The region, one entry per fact it constrains: `subscription.channel {CSP Syndication}`.
    pub when: Vec<String>,
    /// A facts object in the region.
    pub example: Value,
    /// What the old version decides there.
    pub old: Outcome,
    /// What the new version decides there.
    pub new: Outcome,
}

/// What changes in a region, from the most to the least visible to the
/// people a decision is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Another decision.
    Decision,
    /// The same decision, with another reason: the `because` text (or the
    /// outcome's, or `otherwise`'s) that the customer reads.
    Reason,
    /// The same decision and reason, made by another rule or by an edited
    /// one: a rule is known by its name, or else by its text (a rule that
    /// only moved to another line, or was reindented, is the same rule).
    Rule,
}

impl ChangeKind {
    /// The kinds, in order.
    pub const ALL: [ChangeKind; 3] = [ChangeKind::Decision, ChangeKind::Reason, ChangeKind::Rule];

    /// The kind's name, as JSON and `--fail-on` spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Decision => "decision",
            ChangeKind::Reason => "reason",
            ChangeKind::Rule => "rule",
        }
    }
}

/// What one version decides for a region.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcome {
    /// The decision, or `error` when a needed fact is missing or invalid in
    /// this version.
    pub decision: String,
    /// The deciding rule's location.
    pub rule: Option<String>,
    /// The deciding rule's name, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The reason a user is shown: the rule's `because` (or its outcome's
    /// text), or the policy's `otherwise` reason.
    pub reason: Option<String>,
}

/// Compares two policy sets, policy by policy (by name).
///
/// ```
/// use verdict::PolicySet;
///
/// let old = PolicySet::from_sources([("p.policy", "policy p\nfact a: {x y} at a\nx can\ny cannot\n")])
///     .map_err(|r| r.render(80))?;
/// let new = PolicySet::from_sources([("p.policy", "policy p\nfact a: {x y} at a\nx can\ny can\n")])
///     .map_err(|r| r.render(80))?;
/// let diff = verdict::diff::diff(&old, &new);
/// assert_eq!(diff.changes.len(), 1);
/// assert_eq!(diff.changes[0].when, ["a y"]);
/// assert_eq!((diff.changes[0].old.decision.as_str(), diff.changes[0].new.decision.as_str()), ("deny", "allow"));
/// # Ok::<(), String>(())
/// ```
pub fn diff(old: &PolicySet, new: &PolicySet) -> Diff {
    let mut diff = Diff {
        added: Vec::new(),
        removed: Vec::new(),
        incomparable: Vec::new(),
        changes: Vec::new(),
    };
    for tree in new.built_trees() {
        if !old
            .built_trees()
            .iter()
            .any(|t| t.policy.name == tree.policy.name)
        {
            diff.added.push(tree.policy.name.clone());
        }
    }
    for old_tree in old.built_trees() {
        match new
            .built_trees()
            .iter()
            .find(|t| t.policy.name == old_tree.policy.name)
        {
            None => diff.removed.push(old_tree.policy.name.clone()),
            Some(new_tree) if old_tree.scan.is_some() || new_tree.scan.is_some() => {
                diff.incomparable.push(old_tree.policy.name.clone());
            }
            Some(new_tree) => {
                match diff_trees((old_tree, old.sources()), (new_tree, new.sources())) {
                    Some(changes) => diff.changes.extend(changes),
                    // Never report "no change" from a walk that did not finish.
                    None => diff.incomparable.push(old_tree.policy.name.clone()),
                }
            }
        }
    }
    diff
}

/// How one version reads a joint atom: one of its atoms, or unusable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Atom(u32),
    Unknown,
}

/// A class of values of one path that both versions treat alike.
#[derive(Clone, Debug)]
struct JointAtom {
    /// A value in the class; `None` for "absent".
    value: Option<Value>,
    /// Words for its values that are not numbers.
    labels: Vec<String>,
    /// Its numbers, as atoms of the joint number domain.
    numbers: Vec<u32>,
    old: Side,
    new: Side,
}

/// What a fact reads: its path, and for a value tested in a set fact's
/// array, that value (each such value is a fact of its own).
type FactKey = (Vec<String>, Option<Value>);

fn key_of(fact: &Fact) -> FactKey {
    let element = match &fact.ty {
        FactType::Has(_, value) => Some(Value::clone(value)),
        // A relation or a local part is matched by what it reads and how:
        // `request.user = doc.owner`, `weekday of request.time in Europe/Berlin`.
        FactType::Relation(_) | FactType::Local(_) => {
            return (vec![String::from(TIED), fact.path_string()], None)
        }
        _ => None,
    };
    (fact.path.clone(), element)
}

/// The first key of a tied fact's [`FactKey`], which no JSON path has.
const TIED: &str = "\u{0}tied";

/// A path either version reads, with the joint classes of its values.
struct JointFact {
    path: Vec<String>,
    key: FactKey,
    shown: String,
    atoms: Vec<JointAtom>,
    /// The number domain both versions' constants split, to describe numbers as intervals.
    numbers: Option<Fact>,
}

impl JointFact {
    /// Words for a set of joint atoms: `{Direct CSP}`, `> 2.5 and <= 2.7`.
    fn describe(&self, atoms: &[usize]) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut numbers: Vec<u32> = Vec::new();
        for atom in atoms.iter().filter_map(|a| self.atoms.get(*a)) {
            numbers.extend(&atom.numbers);
            parts.extend(atom.labels.iter().cloned());
        }
        if let (Some(fact), false) = (&self.numbers, numbers.is_empty()) {
            let set = crate::model::AtomSet::from_atoms(fact.atom_count(), numbers);
            parts.insert(0, fact.describe_set(&set));
        }
        match parts.as_slice() {
            [one] => one.clone(),
            _ => format!("{{{}}}", parts.join(" ")),
        }
    }
}

/// The most regions one comparison visits, to bound its cost.
const MAX_REGIONS: usize = 200_000;

/// The regions that change, or `None` when there are too many to visit.
fn diff_trees(
    (old, old_sources): (&DecisionTree, &SourceMap),
    (new, new_sources): (&DecisionTree, &SourceMap),
) -> Option<Vec<Change>> {
    let facts = joint_facts(&old.policy, &new.policy);
    let mut walk = Walk {
        old,
        new,
        identities: (identities(old, old_sources), identities(new, new_sources)),
        facts: &facts,
        changes: Vec::new(),
        visited: 0,
    };
    let mut region: Vec<Option<Vec<usize>>> = vec![None; facts.len()];
    walk.descend(Some(old.root()), Some(new.root()), &mut region);
    if walk.visited > MAX_REGIONS {
        return None;
    }
    merge(walk.changes, &facts, old, new)
}

/// What makes each rule of a version the rule it is, by rule id: its name,
/// or else its text with runs of blanks made one (so that a rule moved to
/// another line, or reindented, is the same rule).
fn identities(tree: &DecisionTree, sources: &SourceMap) -> Vec<String> {
    tree.policy
        .rules
        .iter()
        .map(|rule| match &rule.name {
            Some(name) => format!("name {name}"),
            None => {
                let text = sources.slice(rule.span).unwrap_or_default();
                let words: Vec<&str> = text.split_whitespace().collect();
                format!("text {}", words.join(" "))
            }
        })
        .collect()
}

/// Both versions' facts, matched by JSON path (and by the value tested, for
/// a set fact's array).
fn joint_facts(old: &CheckedPolicy, new: &CheckedPolicy) -> Vec<JointFact> {
    let mut keys: Vec<FactKey> = Vec::new();
    for fact in old.facts.iter().chain(&new.facts) {
        let key = key_of(fact);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys.into_iter()
        .map(|key| {
            let old_fact = old.facts.iter().find(|f| key_of(f) == key);
            let new_fact = new.facts.iter().find(|f| key_of(f) == key);
            let path = key.0.clone();
            let mut values: Vec<Value> = Vec::new();
            for fact in [old_fact, new_fact].into_iter().flatten() {
                for value in representatives(fact, old_fact, new_fact) {
                    if !values.contains(&value) {
                        values.push(value);
                    }
                }
            }
            let numbers = number_domain(old_fact, new_fact);
            let strings = string_domain(old_fact, new_fact);
            let mut atoms: Vec<JointAtom> = Vec::new();
            for value in values.into_iter().map(Some).chain([None]) {
                let old_side = side(old_fact, value.as_ref());
                let new_side = side(new_fact, value.as_ref());
                let mut labels = Vec::new();
                let mut in_numbers = Vec::new();
                let has = old_fact
                    .or(new_fact)
                    .filter(|f| matches!(f.ty, FactType::Has(..)));
                let relation = old_fact
                    .or(new_fact)
                    .is_some_and(|f| matches!(f.ty, FactType::Relation(_)));
                match (&value, &numbers) {
                    (None, _) => labels.push(String::from("absent")),
                    (Some(Value::Bool(holds)), _) if relation => {
                        labels.push(String::from(if *holds { "holds" } else { "does not hold" }))
                    }
                    // What the array holds, in the words of the test.
                    (Some(value), _) if has.is_some() => {
                        if let Some(fact) = has {
                            labels.push(match fact.classify(value) {
                                Ok(atom) => fact.describe_atom(atom),
                                Err(_) => value.to_string(),
                            });
                        }
                    }
                    (Some(Value::Number(n)), Some(FactType::Number(points))) => {
                        in_numbers.push(number_atom(points, n.as_f64().unwrap_or(0.0)));
                    }
                    (Some(Value::String(s)), Some(FactType::Time(kind, points))) => {
                        match kind.parse(s) {
                            Some(x) => in_numbers.push(number_atom(points, x)),
                            None => labels.push(s.clone()),
                        }
                    }
                    // Strings read as both versions' tests tell them apart.
                    (Some(Value::String(s)), _) => match &strings {
                        Some(strings) => labels.push(
                            strings.describe(
                                strings
                                    .literals
                                    .iter()
                                    .position(|l| l == s)
                                    .map_or_else(|| strings.other_atom(s.as_bytes()), |i| i as u32),
                            ),
                        ),
                        None => labels.push(s.clone()),
                    },
                    (Some(v), _) => labels.push(v.to_string()),
                }
                // Values both versions treat alike are one class. Absent
                // read as a value in both (a default) is that value: the
                // class is `false`, not `{false absent}`.
                match atoms
                    .iter_mut()
                    .find(|a| a.old == old_side && a.new == new_side)
                {
                    Some(atom) => {
                        let read = (old_side, new_side) != (Side::Unknown, Side::Unknown);
                        if value.is_none() && atom.value.is_some() && read {
                            labels.clear();
                        }
                        atom.labels.extend(labels);
                        atom.numbers.extend(in_numbers);
                    }
                    None => atoms.push(JointAtom {
                        value,
                        labels,
                        numbers: in_numbers,
                        old: old_side,
                        new: new_side,
                    }),
                }
            }
            let numbers = numbers.and_then(|ty| {
                old_fact.or(new_fact).map(|f| Fact {
                    index: ValueIndex::of(&ty),
                    ty,
                    presence: Presence::Required,
                    ..f.clone()
                })
            });
            let shown = old_fact
                .or(new_fact)
                .map(Fact::path_string)
                .unwrap_or_default();
            JointFact {
                path,
                key,
                shown,
                atoms,
                numbers,
            }
        })
        .collect()
}

/// The number domain split by both versions' constants, if either version
/// reads the path as a number.
fn number_domain(old: Option<&Fact>, new: Option<&Fact>) -> Option<FactType> {
    let mut points: Vec<f64> = Vec::new();
    let mut any = false;
    let mut time = None;
    for f in [old, new].into_iter().flatten() {
        let ty = match &f.ty {
            // A local time of day: its own times.
            FactType::Local(local) => &local.ty,
            ty => ty,
        };
        match ty {
            FactType::Number(p) => points.extend(p),
            // A time compares as a number of its unit.
            FactType::Time(kind, p) if time.is_none_or(|k| k == *kind) => {
                points.extend(p);
                time = Some(*kind);
            }
            _ => continue,
        }
        any = true;
    }
    points.sort_by(f64::total_cmp);
    points.dedup();
    any.then(|| match time {
        Some(kind) => FactType::Time(kind, points),
        None => FactType::Number(points),
    })
}

/// The string domain that tells apart what either version's tests do, if
/// either version reads the path as a string.
fn string_domain(old: Option<&Fact>, new: Option<&Fact>) -> Option<Strings> {
    [old, new]
        .into_iter()
        .flatten()
        .filter_map(|f| match &f.ty {
            FactType::String(strings) => Some(strings),
            _ => None,
        })
        .fold(None, |joint: Option<Strings>, strings| {
            Some(match joint {
                Some(joint) => joint.joined(strings),
                None => Strings::clone(strings),
            })
        })
}

/// Values of a fact that tell apart every atom of both versions.
fn representatives(fact: &Fact, old: Option<&Fact>, new: Option<&Fact>) -> Vec<Value> {
    match &fact.ty {
        FactType::Number(_) | FactType::Time(..) => {
            let Some(ty) = number_domain(old, new) else {
                return Vec::new();
            };
            let joint = Fact {
                ty,
                presence: Presence::Required,
                index: ValueIndex::default(),
                ..fact.clone()
            };
            (0..joint.ty.value_atoms())
                .filter_map(|a| joint.representative(a))
                .collect()
        }
        FactType::String(_) => {
            let joint = FactType::String(Box::new(string_domain(old, new).unwrap_or_default()));
            (0..joint.value_atoms())
                .filter_map(|a| joint.representative(a))
                .collect()
        }
        // A relation holds or not.
        FactType::Relation(_) => vec![Value::Bool(false), Value::Bool(true)],
        // A local part: its own values (times of day, weekdays).
        FactType::Local(local) => match number_domain(old, new) {
            Some(joint) => (0..joint.value_atoms())
                .filter_map(|a| joint.representative(a))
                .collect(),
            None => (0..local.ty.value_atoms())
                .filter_map(|a| local.ty.representative(a))
                .collect(),
        },
        _ => (0..fact.ty.value_atoms())
            .filter_map(|a| fact.representative(a))
            .collect(),
    }
}

/// How one version reads a value of the path (`None`: absent).
fn side(fact: Option<&Fact>, value: Option<&Value>) -> Side {
    let Some(fact) = fact else {
        // A version that does not declare the path never reads it.
        return Side::Atom(0);
    };
    match value {
        None => match (&fact.presence, fact.absent_atom()) {
            (Presence::Default(atom), _) => Side::Atom(*atom),
            (_, Some(atom)) => Side::Atom(atom),
            _ => Side::Unknown,
        },
        Some(value) => match (&fact.ty, value) {
            (FactType::Relation(_), Value::Bool(holds)) => Side::Atom(u32::from(*holds)),
            (FactType::Local(local), value) => {
                local.ty.classify(value).map_or(Side::Unknown, Side::Atom)
            }
            (FactType::Number(points), Value::Number(n)) => n
                .as_f64()
                .map_or(Side::Unknown, |x| Side::Atom(number_atom(points, x))),
            _ => fact.classify(value).map_or(Side::Unknown, Side::Atom),
        },
    }
}

/// A region found to change: the joint atoms allowed per fact (`None`: any).
type Region = Vec<Option<Vec<usize>>>;

/// Where both trees are: a node of each, `None` for "error".
type Pair = (Option<NodeId>, Option<NodeId>);

struct Walk<'a> {
    old: &'a DecisionTree,
    new: &'a DecisionTree,
    /// Each version's [`identities`].
    identities: (Vec<String>, Vec<String>),
    facts: &'a [JointFact],
    changes: Vec<(Region, Outcome, Outcome)>,
    visited: usize,
}

impl Walk<'_> {
    /// `None` as a node means "error": a needed fact was unusable.
    fn descend(&mut self, old: Option<NodeId>, new: Option<NodeId>, region: &mut Region) {
        self.visited += 1;
        if self.visited > MAX_REGIONS {
            return;
        }
        let old_test = old.and_then(|n| test_of(self.old, n));
        let new_test = new.and_then(|n| test_of(self.new, n));
        // Split on the fact the old tree tests, else on the new tree's.
        let key = match (&old_test, &new_test) {
            (Some((fact, _)), _) => self.old.policy.fact(*fact).map(key_of),
            (None, Some((fact, _))) => self.new.policy.fact(*fact).map(key_of),
            (None, None) => None,
        };
        let Some(key) = key else {
            let old_outcome = outcome(self.old, old);
            let new_outcome = outcome(self.new, new);
            let identity = |tree: &DecisionTree, node: Option<NodeId>, ids: &'_ [String]| match node
                .and_then(|n| tree.node(n))
            {
                Some(Node::Leaf(Some(rule))) => ids.get(rule.0 as usize).cloned(),
                _ => None,
            };
            let another_rule = identity(self.old, old, &self.identities.0)
                != identity(self.new, new, &self.identities.1);
            if old_outcome.decision != new_outcome.decision
                || old_outcome.reason != new_outcome.reason
                || another_rule
            {
                self.changes
                    .push((region.clone(), old_outcome, new_outcome));
            }
            return;
        };
        let Some(index) = self.facts.iter().position(|f| f.key == key) else {
            return;
        };
        let Some(joint) = self.facts.get(index) else {
            return;
        };
        let mut allowed: Vec<usize> = match region.get(index).cloned().flatten() {
            Some(allowed) => allowed,
            None => (0..joint.atoms.len()).collect(),
        };
        // The values tested in one array are absent together or not at
        // all: keep the region to what one array can be.
        if joint.key.1.is_some() {
            let absent_of = |fact: &JointFact| fact.atoms.iter().position(|a| a.value.is_none());
            let mut must_be_absent = false;
            let mut must_be_present = false;
            for (other, chosen) in self.facts.iter().zip(region.iter()) {
                let (Some(chosen), true) =
                    (chosen, other.key.1.is_some() && other.path == joint.path)
                else {
                    continue;
                };
                let absent = absent_of(other);
                must_be_absent |= chosen.iter().all(|a| Some(*a) == absent);
                must_be_present |= !chosen.iter().any(|a| Some(*a) == absent);
            }
            let absent = absent_of(joint);
            if must_be_absent {
                allowed.retain(|a| Some(*a) == absent);
            }
            if must_be_present {
                allowed.retain(|a| Some(*a) != absent);
            }
            if allowed.is_empty() {
                return;
            }
        }
        // Group the joint atoms by where they lead in both trees.
        let mut branches: Vec<(Pair, Vec<usize>)> = Vec::new();
        for a in allowed {
            let Some(atom) = joint.atoms.get(a) else {
                continue;
            };
            let next_old = step(self.old, old, &old_test, &key, atom.old);
            let next_new = step(self.new, new, &new_test, &key, atom.new);
            match branches
                .iter_mut()
                .find(|(to, _)| *to == (next_old, next_new))
            {
                Some((_, atoms)) => atoms.push(a),
                None => branches.push(((next_old, next_new), vec![a])),
            }
        }
        let saved = region.get(index).cloned().flatten();
        for ((next_old, next_new), atoms) in branches {
            if let Some(slot) = region.get_mut(index) {
                *slot = Some(atoms);
            }
            self.descend(next_old, next_new, region);
        }
        if let Some(slot) = region.get_mut(index) {
            *slot = saved;
        }
    }
}

fn test_of(tree: &DecisionTree, node: NodeId) -> Option<(crate::model::FactId, Vec<NodeId>)> {
    match tree.node(node)? {
        Node::Test { fact, edges } => Some((*fact, edges.to_vec())),
        Node::Leaf(_) => None,
    }
}

/// Where a tree goes from `node` for a joint atom of the fact `key`: on if
/// the node tests that fact, staying put otherwise; `None` when the value
/// is unusable.
fn step(
    tree: &DecisionTree,
    node: Option<NodeId>,
    test: &Option<(crate::model::FactId, Vec<NodeId>)>,
    key: &FactKey,
    side: Side,
) -> Option<NodeId> {
    let node = node?;
    match test {
        Some((fact, edges)) if tree.policy.fact(*fact).is_some_and(|f| key_of(f) == *key) => {
            match side {
                Side::Atom(atom) => edges.get(atom as usize).copied(),
                Side::Unknown => None,
            }
        }
        _ => Some(node),
    }
}

fn outcome(tree: &DecisionTree, node: Option<NodeId>) -> Outcome {
    match node.and_then(|n| tree.node(n)) {
        Some(Node::Leaf(rule)) => outcome_of_rule(tree, *rule),
        _ => Outcome::error(),
    }
}

impl Outcome {
    /// A needed fact was missing or invalid.
    fn error() -> Outcome {
        Outcome {
            decision: String::from("error"),
            rule: None,
            name: None,
            reason: None,
        }
    }
}

/// Merges regions with the same outcomes that differ in one fact only, then
/// describes each.
fn merge(
    mut found: Vec<(Region, Outcome, Outcome)>,
    facts: &[JointFact],
    old: &DecisionTree,
    new: &DecisionTree,
) -> Option<Vec<Change>> {
    loop {
        let mut merged = false;
        'outer: for i in 0..found.len() {
            for j in (i + 1)..found.len() {
                let (Some(a), Some(b)) = (found.get(i), found.get(j)) else {
                    continue;
                };
                if a.1 != b.1 || a.2 != b.2 {
                    continue;
                }
                let differing: Vec<usize> = (0..facts.len())
                    .filter(|k| a.0.get(*k) != b.0.get(*k))
                    .collect();
                if let [k] = differing.as_slice() {
                    let union = match (
                        a.0.get(*k).cloned().flatten(),
                        b.0.get(*k).cloned().flatten(),
                    ) {
                        (Some(mut x), Some(y)) => {
                            x.extend(y);
                            x.sort_unstable();
                            x.dedup();
                            Some(x)
                        }
                        _ => None,
                    };
                    let mut region = a.0.clone();
                    if let Some(slot) = region.get_mut(*k) {
                        *slot = union;
                    }
                    let entry = (region, a.1.clone(), a.2.clone());
                    found.remove(j);
                    if let Some(slot) = found.get_mut(i) {
                        *slot = entry;
                    }
                    merged = true;
                    break 'outer;
                }
            }
        }
        if !merged {
            break;
        }
    }
    let policy = old.policy.name.clone();
    // Relations and local parts tie facts together, which the joint walk
    // treats as independent: a change found there must be met by real
    // facts, found by realizing the region in one version and confirmed by
    // deciding them in both. A region one version cannot realize holds no
    // facts at all, so it is no change; one that is realizable but
    // unconfirmed leaves the policies not compared (`None`).
    let tied = old.policy.has_ties() || new.policy.has_ties();
    let mut examples: Vec<Option<Value>> = Vec::new();
    if tied {
        let mut kept = Vec::new();
        for (region, old_outcome, new_outcome) in found {
            match confirm(&region, facts, old, new, (&old_outcome, &new_outcome)) {
                Confirmed::Example(example) => {
                    kept.push((region, old_outcome, new_outcome));
                    examples.push(Some(example));
                }
                Confirmed::Empty => {}
                Confirmed::Unsure => return None,
            }
        }
        found = kept;
    }
    let mut examples = examples.into_iter();
    let changes = found
        .into_iter()
        .map(|(region, old_outcome, new_outcome)| {
            let mut when = Vec::new();
            let mut example = Value::Object(serde_json::Map::new());
            for (fact, allowed) in facts.iter().zip(&region) {
                let Some(allowed) = allowed else { continue };
                let words = fact.describe(allowed);
                when.push(format!("{} {words}", fact.shown));
                // The first present value of the region, if any.
                let value = allowed
                    .iter()
                    .filter_map(|a| fact.atoms.get(*a))
                    .find_map(|a| a.value.clone());
                if let (Some(value), false) = (value, fact.key.0.first().is_some_and(|k| k == TIED))
                {
                    insert_at(&mut example, &fact.path, value);
                }
            }
            let kind = if old_outcome.decision != new_outcome.decision {
                ChangeKind::Decision
            } else if old_outcome.reason != new_outcome.reason {
                ChangeKind::Reason
            } else {
                ChangeKind::Rule
            };
            Change {
                policy: policy.clone(),
                kind,
                when,
                example: examples.next().flatten().unwrap_or(example),
                old: old_outcome,
                new: new_outcome,
            }
        })
        .collect::<Vec<Change>>();
    // Decisions first, then reasons, then rules; within each, what differs
    // for complete facts before what differs because a version cannot
    // decide (a needed fact missing or invalid there).
    let mut changes = changes;
    changes.sort_by_key(|c| {
        (
            c.kind,
            c.old.decision == "error" || c.new.decision == "error",
        )
    });
    Some(changes)
}

/// What realizing a change's region found.
enum Confirmed {
    /// Facts in the region that both versions decide as the change says.
    Example(Value),
    /// No facts are in the region.
    Empty,
    /// Facts are in it, but none found confirm the change.
    Unsure,
}

/// Realizes `region` in one version's facts, then in the other's as near
/// those facts as it can, and keeps the two together where both versions
/// decide them as `outcomes`; first from the old version, then from the new.
fn confirm(
    region: &Region,
    facts: &[JointFact],
    old: &DecisionTree,
    new: &DecisionTree,
    outcomes: (&Outcome, &Outcome),
) -> Confirmed {
    let decided = |tree: &DecisionTree, example: &Value| match crate::eval::decide(tree, example) {
        Ok(rule) => outcome_of_rule(tree, rule),
        Err(_) => Outcome::error(),
    };
    let regions = [
        own_region(region, facts, old, true),
        own_region(region, facts, new, false),
    ];
    for (first, second) in [(0, 1), (1, 0)] {
        let (Some(first_region), Some(second_region)) = (regions.get(first), regions.get(second))
        else {
            continue;
        };
        let trees = [old, new];
        let (Some(first_tree), Some(second_tree)) = (trees.get(first), trees.get(second)) else {
            continue;
        };
        let Some(mut example) = first_tree.policy.realize(first_region) else {
            return Confirmed::Empty;
        };
        let Some(near) = second_tree
            .policy
            .realize_near(second_region, Some(&example))
        else {
            return Confirmed::Empty;
        };
        overlay(&mut example, near);
        if decided(old, &example) == *outcomes.0 && decided(new, &example) == *outcomes.1 {
            return Confirmed::Example(example);
        }
    }
    Confirmed::Unsure
}

/// Writes every value of `over` into `base`, object by object.
fn overlay(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (key, value) in over {
                match base.get_mut(&key) {
                    Some(slot) => overlay(slot, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

/// A joint region in one version's facts: each fact the region constrains,
/// with the atoms of that version its joint atoms fall in.
fn own_region(
    region: &Region,
    facts: &[JointFact],
    tree: &DecisionTree,
    is_old: bool,
) -> Vec<(crate::model::FactId, crate::model::AtomSet)> {
    let mut own = Vec::new();
    for (i, fact) in tree.policy.facts.iter().enumerate() {
        let key = key_of(fact);
        let Some(k) = facts.iter().position(|f| f.key == key) else {
            continue;
        };
        let (Some(Some(allowed)), Some(joint)) = (region.get(k), facts.get(k)) else {
            continue;
        };
        let atoms = allowed.iter().filter_map(|a| {
            let atom = joint.atoms.get(*a)?;
            match if is_old { atom.old } else { atom.new } {
                Side::Atom(atom) => Some(atom),
                Side::Unknown => None,
            }
        });
        own.push((
            crate::model::FactId(i as u32),
            crate::model::AtomSet::from_atoms(fact.atom_count(), atoms),
        ));
    }
    own
}

/// What a tree decides when `rule` (or its `otherwise`) decides.
fn outcome_of_rule(tree: &DecisionTree, rule: Option<crate::model::RuleId>) -> Outcome {
    match rule.and_then(|r| tree.policy.rule(r)) {
        Some(rule) => Outcome {
            decision: rule.verdict.as_str().to_string(),
            rule: Some(rule.location.clone()),
            name: rule.name.clone(),
            reason: rule.reason.clone(),
        },
        None => Outcome {
            decision: tree.policy.otherwise.as_str().to_string(),
            rule: None,
            name: None,
            reason: tree.policy.otherwise_reason.clone(),
        },
    }
}
