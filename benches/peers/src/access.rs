//! The third workload: the document-access example pack
//! (`policies/examples/document-access`), in every engine. It reads a set
//! of roles, compares facts with each other (`requester = owner`, `team in
//! teams`) and takes the time of day and weekday of the request in
//! `Europe/Berlin`; denies override grants. The inputs are
//! `workloads::access_requests`.
//!
//! The common answer is the deciding rule, as its index in [`RULES`]
//! (`None`: no rule applies, which denies). Where several rules match,
//! verdict's `priority deny > allow` picks the first deny in source order,
//! else the first grant: every engine answers the same way.
//!
//! How each engine says it:
//! - **Rust** (the floor): a typed struct, the rules as boolean
//!   expressions; the local time from jiff, the zone looked up once.
//! - **Rego**: `denies` and `allows` as sets of rule indices, the answer
//!   the smallest deny, else the smallest grant; the local time from
//!   `time.parse_rfc3339_ns`, `time.clock` and `time.weekday` in the zone.
//! - **Cedar**: one `forbid` or `permit` per rule, with the default ids
//!   `policy0`, ... in [`RULES`] order; Cedar's forbid overrides permit, and
//!   the answer is the smallest determining policy. Cedar has no time
//!   zones, so the caller computes the local minutes and weekday (with
//!   jiff) into the context, in `prepare` and, timed, in `decide_text`: the
//!   workaround verdict's `time of day of ... in "Europe/Berlin"` saves.
//! - **Zen**: a decision table, hit policy `first`, the denies' rows
//!   first; input columns are expressions (`d(request.time,
//!   "Europe/Berlin").hour()`), and a rule with an `or` across columns is
//!   two rows with the same output.

use cedar_policy::{Context, Request};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use regorus::Value as RegoValue;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use zen_engine::model::GraphContent;
use zen_engine::{Decision, Variable};

use crate::Engine;

/// The pack's rules by name, in source order.
pub const RULES: [&str; 12] = [
    "public-read",
    "viewers",
    "team-read",
    "owners",
    "editors",
    "admins",
    "auditors",
    "no-mfa",
    "unmanaged",
    "after-hours",
    "secret-export",
    "delete-own",
];

/// The deciding rule's index in [`RULES`]; `None`: no rule applies.
pub type AccessOutcome = Option<usize>;

const ZONE: &str = "Europe/Berlin";

// ------------------------------------------------------------------ verdict

/// verdict, loading the example pack from the repository.
pub struct Verdict {
    set: verdict::PolicySet,
}

impl Verdict {
    pub fn load() -> Result<Self, String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let set = verdict::PolicySet::from_path(root.join("policies/examples/document-access"))
            .map_err(|r| r.render(100))?;
        Ok(Verdict { set })
    }

    fn answer(decisions: &verdict::Decisions<'_>) -> Result<AccessOutcome, String> {
        let decision = decisions.first().ok_or("no decision")?;
        match decision.rule_name {
            None => Ok(None),
            Some(name) => RULES
                .iter()
                .position(|r| *r == name)
                .map(Some)
                .ok_or_else(|| format!("unknown rule {name}")),
        }
    }
}

impl Engine for Verdict {
    type Input = Value;
    type Output = AccessOutcome;

    fn prepare(&self, facts: &Value) -> Result<Value, String> {
        Ok(facts.clone())
    }

    fn decide(&mut self, facts: &Value) -> Result<AccessOutcome, String> {
        Verdict::answer(&self.set.decide(facts).map_err(|r| r.render(100))?)
    }

    fn decide_text(&mut self, text: &str) -> Result<AccessOutcome, String> {
        Verdict::answer(
            &self
                .set
                .decide_json("facts.json", text)
                .map_err(|r| r.render(100))?,
        )
    }
}

// --------------------------------------------------------------- Rust floor

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
enum Class {
    Public,
    Internal,
    Confidential,
    Secret,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Action {
    Read,
    Edit,
    Share,
    Delete,
    Export,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Role {
    Viewer,
    Editor,
    Admin,
    Auditor,
}

#[derive(Deserialize)]
pub struct Typed {
    request: TypedRequest,
    user: TypedUser,
    document: TypedDocument,
    #[serde(default)]
    session: TypedSession,
}

#[derive(Deserialize)]
struct TypedRequest {
    action: Action,
    time: String,
}

#[derive(Deserialize)]
struct TypedUser {
    id: String,
    #[serde(default)]
    roles: Vec<Role>,
    team: Option<String>,
}

#[derive(Deserialize)]
struct TypedDocument {
    owner: String,
    classification: Class,
    teams: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
struct TypedSession {
    #[serde(default)]
    mfa: bool,
    #[serde(default)]
    managed_device: bool,
}

/// The rules written by hand.
pub struct Floor {
    zone: TimeZone,
}

impl Floor {
    pub fn load() -> Result<Self, String> {
        Ok(Floor {
            zone: TimeZone::get(ZONE).map_err(|e| e.to_string())?,
        })
    }

    fn decide_typed(&self, f: &Typed) -> Result<AccessOutcome, String> {
        let time: Timestamp = f.request.time.parse().map_err(|e| format!("{e}"))?;
        let local = self.zone.to_datetime(time);
        let minutes = i32::from(local.hour()) * 60 + i32::from(local.minute());
        let weekend = local.weekday().to_monday_one_offset() >= 6;
        let action = f.request.action;
        let class = f.document.classification;
        let has = |role: Role| f.user.roles.contains(&role);
        let owner = f.user.id == f.document.owner;
        let in_team = match (&f.user.team, &f.document.teams) {
            (Some(team), Some(teams)) => teams.contains(team),
            _ => false,
        };
        let writes = matches!(
            action,
            Action::Edit | Action::Share | Action::Delete | Action::Export
        );
        let denies = [
            class >= Class::Confidential && !f.session.mfa,
            writes && !f.session.managed_device,
            class >= Class::Confidential && (weekend || minutes < 8 * 60 || minutes >= 20 * 60),
            class == Class::Secret && action == Action::Export,
            action == Action::Delete && !owner && !has(Role::Admin),
        ];
        if let Some(i) = denies.iter().position(|d| *d) {
            return Ok(Some(7 + i));
        }
        let grants = [
            action == Action::Read && class == Class::Public,
            action == Action::Read
                && (has(Role::Viewer) || has(Role::Editor))
                && class <= Class::Internal,
            action == Action::Read && in_team && class <= Class::Confidential,
            owner && action != Action::Export,
            matches!(action, Action::Edit | Action::Share)
                && has(Role::Editor)
                && (in_team || class <= Class::Internal),
            has(Role::Admin)
                && matches!(
                    action,
                    Action::Read | Action::Edit | Action::Share | Action::Delete
                ),
            matches!(action, Action::Read | Action::Export) && has(Role::Auditor),
        ];
        Ok(grants.iter().position(|g| *g))
    }
}

impl Engine for Floor {
    type Input = Typed;
    type Output = AccessOutcome;

    fn prepare(&self, facts: &Value) -> Result<Typed, String> {
        Typed::deserialize(facts).map_err(|e| e.to_string())
    }

    fn decide(&mut self, facts: &Typed) -> Result<AccessOutcome, String> {
        self.decide_typed(facts)
    }

    fn decide_text(&mut self, text: &str) -> Result<AccessOutcome, String> {
        let facts: Typed = serde_json::from_str(text).map_err(|e| e.to_string())?;
        self.decide_typed(&facts)
    }
}

// --------------------------------------------------------------------- Rego

const REGO: &str = r#"package access

import rego.v1

writes := {"edit", "share", "delete", "export"}

rank := {"public": 0, "internal": 1, "confidential": 2, "secret": 3}

class := rank[input.document.classification]

roles := {r | some r in object.get(input.user, "roles", [])}

owner if input.user.id == input.document.owner

in_team if input.user.team in input.document.teams

ns := time.parse_rfc3339_ns(input.request.time)

clock := time.clock([ns, "Europe/Berlin"])

minutes := (clock[0] * 60) + clock[1]

after_hours if time.weekday([ns, "Europe/Berlin"]) in {"Saturday", "Sunday"}

after_hours if minutes < 480

after_hours if minutes >= 1200

allows contains 0 if {
	input.request.action == "read"
	class == 0
}

allows contains 1 if {
	input.request.action == "read"
	some r in {"viewer", "editor"}
	r in roles
	class <= 1
}

allows contains 2 if {
	input.request.action == "read"
	in_team
	class <= 2
}

allows contains 3 if {
	owner
	input.request.action != "export"
}

allows contains 4 if {
	input.request.action in {"edit", "share"}
	"editor" in roles
	in_team
}

allows contains 4 if {
	input.request.action in {"edit", "share"}
	"editor" in roles
	class <= 1
}

allows contains 5 if {
	"admin" in roles
	input.request.action in {"read", "edit", "share", "delete"}
}

allows contains 6 if {
	input.request.action in {"read", "export"}
	"auditor" in roles
}

denies contains 7 if {
	class >= 2
	not input.session.mfa
}

denies contains 8 if {
	input.request.action in writes
	not input.session.managed_device
}

denies contains 9 if {
	class >= 2
	after_hours
}

denies contains 10 if {
	class == 3
	input.request.action == "export"
}

denies contains 11 if {
	input.request.action == "delete"
	not owner
	not "admin" in roles
}

default rule := -1

rule := min(denies) if count(denies) > 0

rule := min(allows) if {
	count(denies) == 0
	count(allows) > 0
}
"#;

/// The tree-walking interpreter of regorus.
pub struct Rego {
    engine: regorus::Engine,
}

impl Rego {
    pub fn load() -> Result<Self, String> {
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("access.rego".into(), REGO.into())
            .map_err(|e| e.to_string())?;
        Ok(Rego { engine })
    }

    fn eval(&mut self) -> Result<AccessOutcome, String> {
        let value = self
            .engine
            .eval_rule("data.access.rule".into())
            .map_err(|e| e.to_string())?;
        let i = value.as_i64().map_err(|e| format!("{e}: {value}"))?;
        Ok(usize::try_from(i).ok())
    }
}

impl Engine for Rego {
    type Input = RegoValue;
    type Output = AccessOutcome;

    fn prepare(&self, facts: &Value) -> Result<RegoValue, String> {
        RegoValue::from_json_str(&facts.to_string()).map_err(|e| e.to_string())
    }

    fn decide(&mut self, input: &RegoValue) -> Result<AccessOutcome, String> {
        self.engine.set_input(input.clone());
        self.eval()
    }

    fn decide_text(&mut self, text: &str) -> Result<AccessOutcome, String> {
        self.engine
            .set_input_json(text)
            .map_err(|e| e.to_string())?;
        self.eval()
    }
}

// -------------------------------------------------------------------- Cedar

/// One policy per rule, in [`RULES`] order (ids `policy0` ...). Optional
/// facts are guarded with `has`.
const CEDAR: &str = r#"
permit (principal, action, resource) when {
  context.action == "read" && context.class == "public"
};
permit (principal, action, resource) when {
  context.action == "read" &&
  (context.roles.contains("viewer") || context.roles.contains("editor")) &&
  ["public", "internal"].contains(context.class)
};
permit (principal, action, resource) when {
  context.action == "read" &&
  context has team && context has teams && context.teams.contains(context.team) &&
  ["public", "internal", "confidential"].contains(context.class)
};
permit (principal, action, resource) when {
  context.requester == context.owner && context.action != "export"
};
permit (principal, action, resource) when {
  ["edit", "share"].contains(context.action) && context.roles.contains("editor") &&
  ((context has team && context has teams && context.teams.contains(context.team)) ||
   ["public", "internal"].contains(context.class))
};
permit (principal, action, resource) when {
  context.roles.contains("admin") && ["read", "edit", "share", "delete"].contains(context.action)
};
permit (principal, action, resource) when {
  ["read", "export"].contains(context.action) && context.roles.contains("auditor")
};
forbid (principal, action, resource) when {
  ["confidential", "secret"].contains(context.class) && !context.mfa
};
forbid (principal, action, resource) when {
  ["edit", "share", "delete", "export"].contains(context.action) && !context.managed
};
forbid (principal, action, resource) when {
  ["confidential", "secret"].contains(context.class) &&
  (context.weekday >= 6 || context.minutes < 480 || context.minutes >= 1200)
};
forbid (principal, action, resource) when {
  context.class == "secret" && context.action == "export"
};
forbid (principal, action, resource) when {
  context.action == "delete" && context.requester != context.owner &&
  !context.roles.contains("admin")
};
"#;

/// cedar-policy, with the context flattened and the local time computed by
/// the caller.
pub struct Cedar {
    cedar: crate::cedar::Cedar<AccessOutcome>,
    zone: TimeZone,
}

impl Cedar {
    pub fn load() -> Result<Self, String> {
        Ok(Cedar {
            cedar: crate::cedar::Cedar::load(CEDAR, |_, response| {
                crate::cedar::smallest_policy(response)
            })?,
            zone: TimeZone::get(ZONE).map_err(|e| e.to_string())?,
        })
    }

    /// The request's context: the facts flattened, and the local minutes
    /// and weekday (1 Monday ... 7 Sunday) the policies compare.
    fn request(&self, facts: &Value) -> Result<Request, String> {
        let time: Timestamp = facts["request"]["time"]
            .as_str()
            .ok_or("no request.time")?
            .parse()
            .map_err(|e| format!("{e}"))?;
        let local = self.zone.to_datetime(time);
        let mut context = Map::new();
        context.insert("action".into(), facts["request"]["action"].clone());
        context.insert("requester".into(), facts["user"]["id"].clone());
        context.insert(
            "roles".into(),
            facts["user"].get("roles").cloned().unwrap_or(json!([])),
        );
        if let Some(team) = facts["user"].get("team") {
            context.insert("team".into(), team.clone());
        }
        context.insert("owner".into(), facts["document"]["owner"].clone());
        context.insert("class".into(), facts["document"]["classification"].clone());
        if let Some(teams) = facts["document"].get("teams") {
            context.insert("teams".into(), teams.clone());
        }
        let session = &facts["session"];
        context.insert(
            "mfa".into(),
            json!(session.get("mfa").and_then(Value::as_bool).unwrap_or(false)),
        );
        context.insert(
            "managed".into(),
            json!(session
                .get("managed_device")
                .and_then(Value::as_bool)
                .unwrap_or(false)),
        );
        context.insert(
            "minutes".into(),
            json!(i32::from(local.hour()) * 60 + i32::from(local.minute())),
        );
        context.insert(
            "weekday".into(),
            json!(local.weekday().to_monday_one_offset()),
        );
        let context =
            Context::from_json_value(Value::Object(context), None).map_err(|e| e.to_string())?;
        self.cedar.request(context)
    }
}

impl Engine for Cedar {
    type Input = Request;
    type Output = AccessOutcome;

    fn prepare(&self, facts: &Value) -> Result<Request, String> {
        self.request(facts)
    }

    fn decide(&mut self, request: &Request) -> Result<AccessOutcome, String> {
        self.cedar.authorize(request)
    }

    fn decide_text(&mut self, text: &str) -> Result<AccessOutcome, String> {
        let facts: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        self.cedar.authorize(&self.request(&facts)?)
    }
}

// ---------------------------------------------------------------------- Zen

/// The table's input columns: (column id, expression).
const ZEN_INPUTS: [(&str, &str); 9] = [
    ("action", "request.action"),
    ("class", "document.classification"),
    ("roles", "user.roles ?? []"),
    ("owner", "user.id == document.owner"),
    ("team", "contains(document.teams ?? [], user.team ?? \"\")"),
    ("mfa", "session.mfa == true"),
    ("managed", "session.managed_device == true"),
    ("hour", "d(request.time, \"Europe/Berlin\").hour()"),
    ("weekday", "d(request.time, \"Europe/Berlin\").weekday()"),
];

/// The table's rows, in the order the first hit must find them: each is
/// (rule index, cells); cells name a column and a unary test.
fn zen_rows() -> Vec<(usize, Vec<(&'static str, &'static str)>)> {
    let high = r#""confidential", "secret""#;
    vec![
        (7, vec![("class", high), ("mfa", "false")]),
        (
            8,
            vec![
                ("action", r#""edit", "share", "delete", "export""#),
                ("managed", "false"),
            ],
        ),
        (9, vec![("class", high), ("weekday", ">= 6")]),
        (9, vec![("class", high), ("hour", "< 8")]),
        (9, vec![("class", high), ("hour", ">= 20")]),
        (
            10,
            vec![("class", r#""secret""#), ("action", r#""export""#)],
        ),
        (
            11,
            vec![
                ("action", r#""delete""#),
                ("owner", "false"),
                ("roles", r#"not contains($, "admin")"#),
            ],
        ),
        (0, vec![("action", r#""read""#), ("class", r#""public""#)]),
        (
            1,
            vec![
                ("action", r#""read""#),
                ("roles", r#"contains($, "viewer") or contains($, "editor")"#),
                ("class", r#""public", "internal""#),
            ],
        ),
        (
            2,
            vec![
                ("action", r#""read""#),
                ("team", "true"),
                ("class", r#""public", "internal", "confidential""#),
            ],
        ),
        (3, vec![("owner", "true"), ("action", r#"$ != "export""#)]),
        (
            4,
            vec![
                ("action", r#""edit", "share""#),
                ("roles", r#"contains($, "editor")"#),
                ("team", "true"),
            ],
        ),
        (
            4,
            vec![
                ("action", r#""edit", "share""#),
                ("roles", r#"contains($, "editor")"#),
                ("class", r#""public", "internal""#),
            ],
        ),
        (
            5,
            vec![
                ("roles", r#"contains($, "admin")"#),
                ("action", r#""read", "edit", "share", "delete""#),
            ],
        ),
        (
            6,
            vec![
                ("action", r#""read", "export""#),
                ("roles", r#"contains($, "auditor")"#),
            ],
        ),
    ]
}

fn zen_graph() -> Value {
    let inputs: Vec<Value> = ZEN_INPUTS
        .iter()
        .map(|(id, field)| json!({ "id": id, "name": id, "field": field }))
        .collect();
    let rules: Vec<Value> = zen_rows()
        .into_iter()
        .enumerate()
        .map(|(n, (rule, cells))| {
            let mut row = Map::new();
            row.insert("_id".into(), json!(n.to_string()));
            for (column, test) in cells {
                row.insert(column.into(), json!(test));
            }
            row.insert("rule".into(), json!(format!("\"{rule}\"")));
            Value::Object(row)
        })
        .collect();
    crate::zen::graph(inputs, &["rule"], rules)
}

/// zen-engine, the table compiled once.
pub struct Zen {
    decision: Decision,
}

impl Zen {
    pub fn load() -> Result<Self, String> {
        let mut content: GraphContent =
            serde_json::from_value(zen_graph()).map_err(|e| e.to_string())?;
        content.compile();
        Ok(Zen {
            decision: Decision::from(content),
        })
    }

    fn evaluate(&self, input: Variable) -> Result<AccessOutcome, String> {
        let response =
            crate::zen::block_on(self.decision.evaluate(input)).map_err(|e| e.to_string())?;
        match response.result.dot("rule").and_then(|v| v.as_rc_str()) {
            None => Ok(None),
            Some(rule) => rule
                .parse()
                .map(Some)
                .map_err(|_| format!("not a rule: {}", response.result.to_value())),
        }
    }
}

impl Engine for Zen {
    type Input = Variable;
    type Output = AccessOutcome;

    fn prepare(&self, facts: &Value) -> Result<Variable, String> {
        Ok(Variable::from(facts.clone()))
    }

    fn decide(&mut self, input: &Variable) -> Result<AccessOutcome, String> {
        self.evaluate(input.clone())
    }

    fn decide_text(&mut self, text: &str) -> Result<AccessOutcome, String> {
        let facts: Variable = serde_json::from_str(text).map_err(|e| e.to_string())?;
        self.evaluate(facts)
    }
}
