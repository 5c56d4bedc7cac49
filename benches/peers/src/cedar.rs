//! Cedar, with cedar-policy: `Authorizer::is_authorized` over a `PolicySet`,
//! no entities and no schema; the facts are the request's context, as they
//! are in JSON (`context.subscription.billing`, ...). The prepared input is
//! a `Request` (its context built before timing); from JSON text is
//! `Context::from_json_str` + `Request::new`.
//!
//! Cedar decides only allow or deny, so the mapping is: every rule of the
//! pack is one policy, annotated with the decision it makes
//! (`@decision("manual-migrate")`) and its row of the rules document
//! (`@row("3")`); rules that deny are `forbid`, every other rule (allow and
//! the named outcomes) is `permit`. The rows do not overlap, so at most one
//! policy is satisfied, and it is the one Cedar reports as determining the
//! decision; the decision is read from its annotations, and no determining
//! policy means "none". Optional facts are guarded with `has`
//! (`context.request has target && context.request.target == "partner"`).
//!
//! A generated rule set is one `permit` per rule, with Cedar's default ids
//! `policy0`, `policy1`, ... in rule order; Cedar has no order among
//! policies, so the first match is the smallest index among the
//! determining policies, and "none" is a deny.

use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request, Response,
};
use serde_json::Value;
use verdict::testing::workloads::{value_name, PackDecision, PackOutcome, Scale};

use crate::Engine;

const PACK: &str = r#"
@decision("deny") @row("1")
forbid (principal, action, resource) when {
  context.subscription.billing == "license" &&
  context.subscription.channel == "CSP" &&
  context.request.action == "transfer" &&
  context.request has target && context.request.target == "partner"
};

@decision("request-relationship") @row("2")
permit (principal, action, resource) when {
  context.subscription.billing == "license" &&
  ["Direct", "Advisor", "Open", "EA", "ThirdParty"].contains(context.subscription.channel) &&
  context.request.action == "support"
};

@decision("manual-migrate") @row("3")
permit (principal, action, resource) when {
  context.subscription.billing == "usage" &&
  ["Direct", "Advisor", "Open", "EA", "ThirdParty"].contains(context.subscription.channel) &&
  ["support", "migrate"].contains(context.request.action)
};

@decision("allow") @row("4")
permit (principal, action, resource) when {
  context.subscription.billing == "usage" &&
  context.subscription.channel == "CSP" &&
  context.request.action == "transfer" &&
  context.request has target && context.request.target == "partner"
};

@decision("allow") @row("5")
permit (principal, action, resource) when {
  context.partner.role == "indirect_provider" && context.request.action == "invite"
};

@decision("deny") @row("6")
forbid (principal, action, resource) when {
  context.partner.role == "reseller" && context.request.action == "invite"
};

@decision("allow") @row("7")
permit (principal, action, resource) when {
  context.partner.role == "indirect_provider" && context.request.action == "own_relationship"
};

@decision("deny") @row("8")
forbid (principal, action, resource) when {
  context.partner.role == "reseller" && context.request.action == "own_relationship"
};

@decision("allow") @row("9")
permit (principal, action, resource) when {
  context.partner.role == "reseller" && context.request.action == "delegated_admin" &&
  context.partner has designated_admin && context.partner.designated_admin
};

@decision("deny") @row("10")
forbid (principal, action, resource) when {
  context.partner.role == "reseller" && context.request.action == "delegated_admin" &&
  !(context.partner has designated_admin && context.partner.designated_admin)
};
"#;

/// The Cedar text of a generated rule set: one `permit` per rule.
fn scale_cedar(scale: &Scale) -> String {
    let mut text = String::new();
    for tests in &scale.rules {
        let conditions: Vec<String> = tests
            .iter()
            .map(|(f, v)| format!("context.f{f} == \"{}\"", value_name(*f, *v)))
            .collect();
        text.push_str(&format!(
            "permit (principal, action, resource) when {{ {} }};\n",
            conditions.join(" && ")
        ));
    }
    text
}

/// A policy set and what every request shares: the principal, action and
/// resource (which no policy tests) and the empty entity store.
pub struct Cedar<O> {
    authorizer: Authorizer,
    policies: PolicySet,
    entities: Entities,
    principal: EntityUid,
    action: EntityUid,
    resource: EntityUid,
    answer: fn(&PolicySet, &Response) -> Result<O, String>,
}

impl<O> Cedar<O> {
    pub(crate) fn load(
        text: &str,
        answer: fn(&PolicySet, &Response) -> Result<O, String>,
    ) -> Result<Self, String> {
        let uid = |text: &str| EntityUid::from_str(text).map_err(|e| e.to_string());
        Ok(Cedar {
            authorizer: Authorizer::new(),
            policies: PolicySet::from_str(text).map_err(|e| e.to_string())?,
            entities: Entities::empty(),
            principal: uid(r#"Partner::"acting""#)?,
            action: uid(r#"Action::"decide""#)?,
            resource: uid(r#"Subscription::"subject""#)?,
            answer,
        })
    }

    pub(crate) fn request(&self, context: Context) -> Result<Request, String> {
        Request::new(
            self.principal.clone(),
            self.action.clone(),
            self.resource.clone(),
            context,
            None,
        )
        .map_err(|e| e.to_string())
    }

    /// Fails on evaluation errors, which Cedar reports beside a decision
    /// (it skips a policy whose condition errs).
    pub(crate) fn authorize(&self, request: &Request) -> Result<O, String> {
        let response = self
            .authorizer
            .is_authorized(request, &self.policies, &self.entities);
        if let Some(error) = response.diagnostics().errors().next() {
            return Err(error.to_string());
        }
        (self.answer)(&self.policies, &response)
    }
}

/// The pack's answer: the annotations of the determining policy.
fn pack_outcome(policies: &PolicySet, response: &Response) -> Result<PackOutcome, String> {
    let Some(id) = response.diagnostics().reason().next() else {
        return Ok(PackOutcome {
            decision: PackDecision::None,
            row: 0,
        });
    };
    let decision = policies
        .annotation(id, "decision")
        .and_then(PackDecision::from_name);
    let row = policies
        .annotation(id, "row")
        .and_then(|row| row.parse().ok());
    match (decision, row) {
        (Some(decision), Some(row)) => Ok(PackOutcome { decision, row }),
        _ => Err(format!("policy {id} lacks @decision or @row")),
    }
}

/// A generated rule set's answer: the smallest satisfied policy's index.
fn scale_rule(_: &PolicySet, response: &Response) -> Result<Option<usize>, String> {
    if response.decision() == Decision::Deny {
        return Ok(None);
    }
    smallest_policy(response)
}

/// The smallest index among the policies that determined the decision
/// (Cedar's default ids `policy0`, `policy1`, ...); `None` when none did.
pub(crate) fn smallest_policy(response: &Response) -> Result<Option<usize>, String> {
    let mut first = None;
    for id in response.diagnostics().reason() {
        let name: &str = id.as_ref();
        let i: usize = name
            .strip_prefix("policy")
            .and_then(|i| i.parse().ok())
            .ok_or_else(|| format!("unexpected policy id {id}"))?;
        first = Some(first.map_or(i, |f: usize| f.min(i)));
    }
    Ok(first)
}

impl Cedar<PackOutcome> {
    pub fn pack() -> Result<Self, String> {
        Cedar::load(PACK, pack_outcome)
    }
}

impl Cedar<Option<usize>> {
    pub fn scale(scale: &Scale) -> Result<Self, String> {
        Cedar::load(&scale_cedar(scale), scale_rule)
    }
}

impl<O: PartialEq + std::fmt::Debug> Engine for Cedar<O> {
    type Input = Request;
    type Output = O;

    fn prepare(&self, facts: &Value) -> Result<Request, String> {
        let context = Context::from_json_value(facts.clone(), None).map_err(|e| e.to_string())?;
        self.request(context)
    }

    fn decide(&mut self, request: &Request) -> Result<O, String> {
        self.authorize(request)
    }

    fn decide_text(&mut self, text: &str) -> Result<O, String> {
        let context = Context::from_json_str(text, None).map_err(|e| e.to_string())?;
        self.authorize(&self.request(context)?)
    }
}
