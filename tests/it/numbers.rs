//! Numbers a policy writes and numbers facts hold are the same numbers, to
//! the last bit: a rule `price = 1.6047802727761427` applies to facts
//! holding `1.6047802727761427`, whether they arrive as JSON text, as a
//! parsed `Value` or as a serialized struct.

use serde_json::Value;
use verdict::PolicySet;

/// Finite numbers of every magnitude, from fixed random bits, written as
/// their shortest round-trip text (which is also JSON).
fn numbers(count: usize) -> Vec<f64> {
    let mut bits: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut found = Vec::with_capacity(count);
    while found.len() < count {
        bits ^= bits << 13;
        bits ^= bits >> 7;
        bits ^= bits << 17;
        let x = f64::from_bits(bits);
        if x.is_finite() && x != 0.0 {
            found.push(x);
        }
        // Half of them near 1, where prices live.
        let near_one = f64::from_bits((bits >> 12) | 0x3FF0_0000_0000_0000);
        found.push(near_one);
    }
    found.truncate(count);
    found
}

#[derive(serde::Serialize)]
struct Item {
    price: f64,
}

#[derive(serde::Serialize)]
struct Facts {
    item: Item,
}

#[test]
fn every_number_a_policy_writes_is_the_number_facts_hold() {
    let numbers = numbers(400);
    // 1.6047802727761427 is one that serde_json, without
    // `float_roundtrip`, reads as 1.6047802727761429.
    assert!(numbers.len() == 400);
    let mut policy = String::from("policy prices\nfact price: number at item.price\n");
    for x in numbers.iter().chain([&1.6047802727761427]) {
        policy.push_str(&format!("price = {x:?} can\n"));
    }
    policy.push_str("otherwise deny\n");
    let set = PolicySet::from_sources([("prices.policy", policy.as_str())])
        .unwrap_or_else(|r| panic!("{}", r.render(100)));
    for &x in numbers.iter().chain([&1.6047802727761427]) {
        let text = format!(r#"{{"item": {{"price": {x:?}}}}}"#);
        let value: Value = serde_json::from_str(&text).unwrap();
        let by_text = set.decide_json("facts.json", &text).unwrap();
        let by_value = set.decide(&value).unwrap();
        let by_serialize = set
            .decide_serialize(&Facts {
                item: Item { price: x },
            })
            .unwrap();
        for (how, decisions) in [
            ("text", &by_text),
            ("value", &by_value),
            ("serialize", &by_serialize),
        ] {
            assert_eq!(
                decisions[0].decision.to_string(),
                "allow",
                "{x:?} as {how}: {text}"
            );
        }
    }
}
