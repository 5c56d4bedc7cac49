//! The floor of the pack's benchmarks: its ten rows written by hand as a
//! `match` over a typed, serde-derived struct (an enum per fact), which
//! also serves as the facts of `decide_serialize`. Shared by
//! `benches/eval.rs` and `benches/peers`.

use serde::{Deserialize, Serialize};

use super::workloads::{PackDecision, PackOutcome};

/// The pack's facts as a caller would type them: an enum per fact.
#[derive(Deserialize, Serialize)]
pub struct TypedFacts {
    subscription: Subscription,
    partner: Partner,
    request: Request,
}

#[derive(Deserialize, Serialize)]
struct Subscription {
    billing: Billing,
    channel: Channel,
}

#[derive(Deserialize, Serialize)]
struct Partner {
    role: Role,
    #[serde(default)]
    designated_admin: bool,
}

#[derive(Deserialize, Serialize)]
struct Request {
    action: Action,
    target: Option<Target>,
}

#[derive(Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum Billing {
    License,
    Usage,
}

#[derive(Clone, Copy, Deserialize, Serialize)]
enum Channel {
    Direct,
    Advisor,
    Open,
    #[serde(rename = "EA")]
    Ea,
    #[serde(rename = "CSP")]
    Csp,
    ThirdParty,
    Syndication,
}

#[derive(Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
enum Role {
    Direct,
    IndirectProvider,
    Reseller,
}

#[derive(Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
enum Action {
    Support,
    Transfer,
    Migrate,
    Invite,
    OwnRelationship,
    DelegatedAdmin,
}

#[derive(Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum Target {
    Partner,
    Customer,
    Reseller,
}

/// The pack's facts in the shape a service's own request type often has:
/// sections and facts that may be missing as `Option`s left out when
/// `None` (`skip_serializing_if`), a flag left out when false, a fact as a
/// string borrowed from the request rather than an enum, and fields the
/// policy never reads. `benches/eval.rs` decides from it beside
/// [`TypedFacts`].
#[derive(Deserialize, Serialize)]
pub struct CallerFacts<'a> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subscription: Option<CallerSubscription>,
    #[serde(borrow)]
    partner: CallerPartner<'a>,
    request: CallerRequest,
    /// Read by the service, not by the policy.
    #[serde(default)]
    tenant: &'a str,
    #[serde(default)]
    attempt: u32,
}

#[derive(Deserialize, Serialize)]
struct CallerSubscription {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    billing: Option<Billing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    channel: Option<Channel>,
}

#[derive(Deserialize, Serialize)]
struct CallerPartner<'a> {
    role: &'a str,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    designated_admin: bool,
}

#[derive(Deserialize, Serialize)]
struct CallerRequest {
    action: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<Target>,
}

/// The pack's ten rows (`policies/multichannel/README.md`); at most one applies.
#[inline]
pub fn decide_pack(facts: &TypedFacts) -> PackOutcome {
    use Channel::{Advisor, Csp, Direct, Ea, Open, ThirdParty};
    use PackDecision::{Allow, Deny, ManualMigrate, RequestRelationship};
    let Subscription { billing, channel } = facts.subscription;
    let (decision, row) = match (
        billing,
        channel,
        facts.partner.role,
        facts.request.action,
        facts.request.target,
    ) {
        (Billing::License, Csp, _, Action::Transfer, Some(Target::Partner)) => (Deny, 1),
        (Billing::License, Direct | Advisor | Open | Ea | ThirdParty, _, Action::Support, _) => {
            (RequestRelationship, 2)
        }
        (
            Billing::Usage,
            Direct | Advisor | Open | Ea | ThirdParty,
            _,
            Action::Support | Action::Migrate,
            _,
        ) => (ManualMigrate, 3),
        (Billing::Usage, Csp, _, Action::Transfer, Some(Target::Partner)) => (Allow, 4),
        (_, _, Role::IndirectProvider, Action::Invite, _) => (Allow, 5),
        (_, _, Role::Reseller, Action::Invite, _) => (Deny, 6),
        (_, _, Role::IndirectProvider, Action::OwnRelationship, _) => (Allow, 7),
        (_, _, Role::Reseller, Action::OwnRelationship, _) => (Deny, 8),
        (_, _, Role::Reseller, Action::DelegatedAdmin, _) if facts.partner.designated_admin => {
            (Allow, 9)
        }
        (_, _, Role::Reseller, Action::DelegatedAdmin, _) => (Deny, 10),
        _ => (PackDecision::None, 0),
    };
    PackOutcome { decision, row }
}
