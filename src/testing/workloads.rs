//! The two benchmark workloads, as JSON facts every engine decides alike:
//! the multichannel pack over every combination of fact values (and a
//! seeded mix of them), and generated `first match` rule sets of N rules.
//! Shared by the main crate's benches, its tests and `benches/peers`, so
//! that all of them use the same rules and facts.

use serde_json::{json, Map, Value};

/// xorshift64: a seed and a draw order give the same rules and inputs on
/// every machine.
pub struct Rng(pub u64);

impl Rng {
    /// A draw in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }
}

/// The values each fact of the multichannel pack takes; `None` is "absent".
/// `subscription.billing`:
pub const BILLINGS: [&str; 2] = ["license", "usage"];
/// `subscription.channel`:
pub const CHANNELS: [&str; 7] = [
    "Direct",
    "Advisor",
    "Open",
    "EA",
    "CSP",
    "ThirdParty",
    "Syndication",
];
/// `partner.role`:
pub const ROLES: [&str; 3] = ["direct", "indirect_provider", "reseller"];
/// `partner.designated_admin`:
pub const DESIGNATED_ADMINS: [Option<bool>; 3] = [None, Some(false), Some(true)];
/// `request.action`:
pub const ACTIONS: [&str; 6] = [
    "support",
    "transfer",
    "migrate",
    "invite",
    "own_relationship",
    "delegated_admin",
];
/// `request.target`:
pub const TARGETS: [Option<&str>; 4] = [None, Some("partner"), Some("customer"), Some("reseller")];

/// A decision of the multichannel pack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PackDecision {
    /// `allow`
    Allow,
    /// `deny`
    Deny,
    /// `request-relationship`
    RequestRelationship,
    /// `manual-migrate`
    ManualMigrate,
    /// `none`: no rule applies.
    None,
}

impl PackDecision {
    /// The decision named `name`, if it is one of the pack's.
    pub fn from_name(name: &str) -> Option<PackDecision> {
        match name {
            "allow" => Some(PackDecision::Allow),
            "deny" => Some(PackDecision::Deny),
            "request-relationship" => Some(PackDecision::RequestRelationship),
            "manual-migrate" => Some(PackDecision::ManualMigrate),
            "none" => Some(PackDecision::None),
            _ => None,
        }
    }
}

/// What an engine decided for the pack: the decision and the rule, as the
/// row of the rules table (`policies/multichannel/README.md`, rows 1 to 10;
/// 0 when no rule applies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackOutcome {
    /// The decision.
    pub decision: PackDecision,
    /// The row of the rule that made it, 0 for none.
    pub row: u8,
}

/// Every combination of the pack's fact values, each as a facts object:
/// 2 × 7 × 3 × 3 × 6 × 4 = 3,024.
pub fn pack_combinations() -> Vec<Value> {
    let mut all = Vec::new();
    for billing in BILLINGS {
        for channel in CHANNELS {
            for role in ROLES {
                for designated_admin in DESIGNATED_ADMINS {
                    for action in ACTIONS {
                        for target in TARGETS {
                            let mut partner = Map::new();
                            partner.insert("role".into(), json!(role));
                            if let Some(admin) = designated_admin {
                                partner.insert("designated_admin".into(), json!(admin));
                            }
                            let mut request = Map::new();
                            request.insert("action".into(), json!(action));
                            if let Some(target) = target {
                                request.insert("target".into(), json!(target));
                            }
                            all.push(json!({
                                "subscription": { "billing": billing, "channel": channel },
                                "partner": partner,
                                "request": request,
                            }));
                        }
                    }
                }
            }
        }
    }
    all
}

/// `count` combinations drawn with a seeded [`Rng`], repeats allowed.
pub fn pack_mix(combinations: &[Value], count: usize) -> Vec<Value> {
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    (0..count)
        .filter_map(|_| combinations.get(rng.below(combinations.len())).cloned())
        .collect()
}

/// A generated rule set and its inputs.
pub struct Scale {
    /// The number of rules.
    pub n: usize,
    /// The policy in verdict's language.
    pub text: String,
    /// Per rule, in order, its tests as (fact, value) indices: fact `f{f}`
    /// equals `f{f}v{v}`.
    pub rules: Vec<Vec<(usize, usize)>>,
    /// Per input, the value index of each fact f0..f5.
    pub inputs: Vec<[usize; FACTS]>,
}

/// The scaling workload's number of facts,
pub const FACTS: usize = 6;
/// of values per fact,
pub const VALUES: usize = 16;
/// and of inputs.
pub const INPUTS: usize = 10_000;

impl Scale {
    /// The rule set of `n` rules and its 10,000 inputs: seed
    /// `0x9E37_79B9_7F4A_7C15 ^ n`, rules drawn first, then the inputs, half
    /// of them aimed at a random rule.
    pub fn generate(n: usize) -> Scale {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ n as u64);
        let (text, rules) = generated(n, &mut rng);
        let inputs = (0..INPUTS)
            .map(|i| {
                let mut values = [0; FACTS];
                for value in &mut values {
                    *value = rng.below(VALUES);
                }
                if i % 2 == 0 {
                    if let Some(rule) = rules.get(rng.below(rules.len())) {
                        for (f, v) in rule {
                            if let Some(value) = values.get_mut(*f) {
                                *value = *v;
                            }
                        }
                    }
                }
                values
            })
            .collect();
        Scale {
            n,
            text,
            rules,
            inputs,
        }
    }

    /// The index of the first rule that `values` satisfy: the reference
    /// answer, without any engine.
    pub fn first_match(&self, values: &[usize; FACTS]) -> Option<usize> {
        self.rules.iter().position(|tests| {
            tests
                .iter()
                .all(|(f, v)| values.get(*f).is_some_and(|value| value == v))
        })
    }
}

/// The name of value `v` of fact `f`.
pub fn value_name(f: usize, v: usize) -> String {
    format!("f{f}v{v}")
}

/// An input as a facts object: `{"f0": "f0v3", ...}`.
pub fn scale_facts(values: &[usize; FACTS]) -> Value {
    let mut facts = Map::new();
    for (f, v) in values.iter().enumerate() {
        facts.insert(format!("f{f}"), json!(value_name(f, *v)));
    }
    Value::Object(facts)
}

/// The verdict policy text and the rules' tests, drawn from `rng`.
fn generated(n: usize, rng: &mut Rng) -> (String, Vec<Vec<(usize, usize)>>) {
    let mut text = String::from("policy scale\nfirst match\n");
    for f in 0..FACTS {
        let values: Vec<String> = (0..VALUES).map(|v| value_name(f, v)).collect();
        text.push_str(&format!("fact f{f}: {{{}}} at f{f}\n", values.join(" ")));
    }
    for i in 0..n {
        text.push_str(&format!("outcome r{i}\n"));
    }
    let mut rules = Vec::new();
    for i in 0..n {
        let k = 2 + rng.below(3);
        let mut facts: Vec<usize> = Vec::new();
        while facts.len() < k {
            let f = rng.below(FACTS);
            if !facts.contains(&f) {
                facts.push(f);
            }
        }
        let tests: Vec<(usize, usize)> = facts.iter().map(|f| (*f, rng.below(VALUES))).collect();
        let words: Vec<String> = tests.iter().map(|(f, v)| value_name(*f, *v)).collect();
        text.push_str(&format!("{} -> r{i}\n", words.join(" ")));
        rules.push(tests);
    }
    (text, rules)
}

/// The third workload: requests to the document-access example pack
/// (`policies/examples/document-access`), which reads a set of roles,
/// relations between facts (`requester = owner`, `team in teams`) and the
/// time of day and weekday of the request in Berlin. `count` requests
/// drawn with a seeded xorshift, over every action, subsets of the roles,
/// every classification, owners and teams that match or do not, MFA and
/// managed devices, and instants across a week of winter and summer time.
pub fn access_requests(count: usize) -> Vec<Value> {
    const ACTIONS: [&str; 5] = ["read", "edit", "share", "delete", "export"];
    const ROLES: [&str; 4] = ["viewer", "editor", "admin", "auditor"];
    const CLASSES: [&str; 4] = ["public", "internal", "confidential", "secret"];
    const PEOPLE: [&str; 3] = ["ann", "bob", "cyd"];
    const TEAMS: [&str; 3] = ["legal", "sales", "hr"];
    let mut rng = Rng(0x5eed_acce55);
    let mut requests = Vec::with_capacity(count);
    for _ in 0..count {
        let pick = |rng: &mut Rng, items: &[&str]| {
            items
                .get(rng.below(items.len()))
                .copied()
                .unwrap_or_default()
                .to_string()
        };
        let roles: Vec<&str> = ROLES
            .iter()
            .copied()
            .filter(|_| rng.below(3) == 0)
            .collect();
        let teams: Vec<&str> = TEAMS
            .iter()
            .copied()
            .filter(|_| rng.below(2) == 0)
            .collect();
        // A day in December (UTC+1) or in July (UTC+2), at any quarter hour.
        let (month, day) = if rng.below(2) == 0 { (12, 7) } else { (7, 6) };
        let time = format!(
            "2026-{month:02}-{:02}T{:02}:{:02}:00Z",
            day + rng.below(7),
            rng.below(24),
            15 * rng.below(4)
        );
        let mut user = Map::new();
        user.insert("id".into(), json!(pick(&mut rng, &PEOPLE)));
        if rng.below(4) != 0 {
            user.insert("roles".into(), json!(roles));
        }
        if rng.below(4) != 0 {
            user.insert("team".into(), json!(pick(&mut rng, &TEAMS)));
        }
        let mut document = Map::new();
        document.insert("owner".into(), json!(pick(&mut rng, &PEOPLE)));
        document.insert("classification".into(), json!(pick(&mut rng, &CLASSES)));
        if rng.below(4) != 0 {
            document.insert("teams".into(), json!(teams));
        }
        requests.push(json!({
            "request": { "action": pick(&mut rng, &ACTIONS), "time": time },
            "user": user,
            "document": document,
            "session": { "mfa": rng.below(2) == 0, "managed_device": rng.below(3) != 0 },
        }));
    }
    requests
}

/// The shapes of generated policy that once cost more than their size
/// (the reliability issue's list), for the scaling tests and benches: each
/// must load and check in time and memory about linear in its rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `first match`, one number fact, each rule testing a distinct number.
    Numbers,
    /// A unique policy, two enum facts of about √N values, each rule one
    /// pair: N disjoint rules, no conflicts.
    Disjoint,
    /// `first match`, one enum fact of N values, one rule per value.
    WideEnum,
    /// `first match`, N two-valued facts, rule i testing fact i.
    ManyFacts,
    /// [`Scale::generate`]'s rules: `first match` over 6 facts of 16
    /// values, each rule testing 2 to 4 of them.
    FirstMatch,
    /// A unique policy over 6 facts of 4 values, each rule testing 2: most
    /// pairs of rules overlap, so conflict detection meets its budget.
    Overlapping,
}

impl Shape {
    /// Every shape.
    pub const ALL: [Shape; 6] = [
        Shape::Numbers,
        Shape::Disjoint,
        Shape::WideEnum,
        Shape::ManyFacts,
        Shape::FirstMatch,
        Shape::Overlapping,
    ];

    /// The policy text of `n` rules of this shape.
    pub fn policy(self, n: usize) -> String {
        let mut rng = Rng(0x5ca1_ab1e ^ n as u64);
        let mut text = String::new();
        let verdict = |i: usize| if i.is_multiple_of(2) { "a" } else { "b" };
        let words = |prefix: &str, count: usize| {
            (0..count)
                .map(|i| format!("{prefix}{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        match self {
            Shape::Numbers => {
                text.push_str("policy numbers\nfirst match\nfact amount: number at amount\n");
                text.push_str("outcome a\noutcome b\n");
                for i in 0..n {
                    text.push_str(&format!("amount = {i} -> {}\n", verdict(i)));
                }
            }
            Shape::Disjoint => {
                let k = (n as f64).sqrt() as usize + 1;
                text.push_str("policy disjoint\n");
                text.push_str(&format!("fact x: {{{}}} at x\n", words("x", k)));
                text.push_str(&format!("fact y: {{{}}} at y\n", words("y", k)));
                text.push_str("outcome a\noutcome b\n");
                for i in 0..n {
                    text.push_str(&format!("x{} y{} -> {}\n", i / k, i % k, verdict(i)));
                }
            }
            Shape::WideEnum => {
                text.push_str("policy wide\nfirst match\n");
                text.push_str(&format!("fact x: {{{}}} at x\n", words("x", n)));
                text.push_str("outcome a\noutcome b\n");
                for i in 0..n {
                    text.push_str(&format!("x{i} -> {}\n", verdict(i)));
                }
            }
            Shape::ManyFacts => {
                text.push_str("policy facts\nfirst match\noutcome a\n");
                for f in 0..n {
                    text.push_str(&format!("fact f{f}: {{f{f}a f{f}b}} at f{f}\n"));
                }
                for f in 0..n {
                    text.push_str(&format!("f{f}a -> a\n"));
                }
            }
            Shape::FirstMatch => {
                let (generated, _) = generated(n, &mut rng);
                text = generated;
            }
            Shape::Overlapping => {
                text.push_str("policy overlap\n");
                for f in 0..6 {
                    text.push_str(&format!(
                        "fact f{f}: {{{}}} at f{f}\n",
                        words(&format!("f{f}v"), 4)
                    ));
                }
                text.push_str("outcome a\noutcome b\n");
                for i in 0..n {
                    let f = rng.below(6);
                    let g = (f + 1 + rng.below(5)) % 6;
                    text.push_str(&format!(
                        "f{f}v{} f{g}v{} -> {}\n",
                        rng.below(4),
                        rng.below(4),
                        verdict(i)
                    ));
                }
            }
        }
        text
    }
}
