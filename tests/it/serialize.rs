//! `decide_serialize` picks the declared values while a caller's value is
//! serialized. Whatever the shape of that value, it must decide as
//! `decide` does on the `serde_json::Value` the same value serializes to,
//! or fail as that does: each test here is a shape serde maps in its own
//! way (enums, options, maps with other keys, repeated keys, values a
//! `Value` cannot hold, errors from the value's own `Serialize`).

use std::collections::BTreeMap;

use serde::ser::{Error as _, SerializeMap};
use serde::{Serialize, Serializer};
use verdict::PolicySet;

/// The decision (or the rendered errors) for `facts`, through
/// `decide_serialize` and through `to_value` then `decide`; they must
/// agree, and the decision is returned.
fn agree<T: Serialize>(set: &PolicySet, facts: &T) -> Result<String, String> {
    let by_serialize = set
        .decide_serialize(facts)
        .map(|d| format!("{} {:?}", d[0].decision, d[0].rule))
        .map_err(|r| r.render(80));
    let by_value = match serde_json::to_value(facts) {
        Ok(value) => set
            .decide(&value)
            .map(|d| format!("{} {:?}", d[0].decision, d[0].rule))
            .map_err(|r| r.render(80)),
        Err(_) => {
            assert!(
                by_serialize.is_err(),
                "a Value cannot hold it, yet it decided"
            );
            return by_serialize;
        }
    };
    assert_eq!(by_serialize, by_value);
    by_serialize
}

fn set(text: &str) -> PolicySet {
    PolicySet::from_sources([("t.policy", text)]).unwrap()
}

const CHANNELS: &str = "policy t
otherwise none
fact channel: {Direct CSP} at subscription.channel
fact seats: number at subscription.seats optional
CSP can
Direct cannot
";

#[test]
fn enum_variants_are_their_names() {
    #[derive(Serialize)]
    enum Channel {
        Direct,
        #[serde(rename = "CSP")]
        Csp,
    }
    #[derive(Serialize)]
    struct Subscription {
        channel: Channel,
    }
    #[derive(Serialize)]
    struct Facts {
        subscription: Subscription,
    }
    let set = set(CHANNELS);
    let facts = |channel| Facts {
        subscription: Subscription { channel },
    };
    assert!(agree(&set, &facts(Channel::Csp))
        .unwrap()
        .starts_with("allow"));
    assert!(agree(&set, &facts(Channel::Direct))
        .unwrap()
        .starts_with("deny"));
}

#[test]
fn options_and_skipped_fields_are_absent_or_null() {
    #[derive(Serialize)]
    struct Subscription {
        #[serde(skip_serializing_if = "Option::is_none")]
        channel: Option<&'static str>,
        seats: Option<u32>,
    }
    #[derive(Serialize)]
    struct Facts {
        subscription: Option<Subscription>,
    }
    let set = set(CHANNELS);
    // A required fact missing, under a present and under a `null` parent.
    assert!(agree(
        &set,
        &Facts {
            subscription: Some(Subscription {
                channel: None,
                seats: None
            })
        }
    )
    .is_err());
    assert!(agree(&set, &Facts { subscription: None }).is_err());
    assert!(agree(
        &set,
        &Facts {
            subscription: Some(Subscription {
                channel: Some("CSP"),
                seats: Some(3)
            })
        }
    )
    .unwrap()
    .starts_with("allow"));
}

#[test]
fn values_that_are_not_the_declared_kind_fail_alike() {
    #[derive(Serialize)]
    enum Shape {
        Unit,
        Newtype(&'static str),
        Tuple(u8, u8),
        Struct { a: u8 },
    }
    #[derive(Serialize)]
    struct Subscription<C, S> {
        channel: C,
        seats: S,
    }
    #[derive(Serialize)]
    struct Facts<C, S> {
        subscription: Subscription<C, S>,
    }
    fn facts<C, S>(channel: C, seats: S) -> Facts<C, S> {
        Facts {
            subscription: Subscription { channel, seats },
        }
    }
    let set = set(CHANNELS);
    // At a fact: variants with data, arrays, bytes, numbers, bools, chars.
    for channel in [
        Shape::Unit,
        Shape::Newtype("CSP"),
        Shape::Tuple(1, 2),
        Shape::Struct { a: 1 },
    ] {
        let _ = agree(&set, &facts(channel, 1));
    }
    assert!(agree(&set, &facts(vec!["CSP"], 1)).is_err());
    assert!(agree(&set, &facts(serde_bytes_like(b"CSP"), 1)).is_err());
    assert!(agree(&set, &facts(7, 1)).is_err());
    assert!(agree(&set, &facts(true, 1)).is_err());
    assert!(agree(&set, &facts('C', 1)).is_err());
    // A fact no rule reads on the way to the decision does not matter.
    assert!(agree(&set, &facts("CSP", "three")).is_ok());
    // A float that is not finite is `null` in a `Value`: absent.
    assert!(agree(&set, &facts("CSP", f64::NAN))
        .unwrap()
        .starts_with("allow"));
    // On the way to a fact: a scalar, an array, a variant with data.
    #[derive(Serialize)]
    struct Over<S> {
        subscription: S,
    }
    assert!(agree(&set, &Over { subscription: 5 }).is_err());
    assert!(agree(
        &set,
        &Over {
            subscription: [1, 2]
        }
    )
    .is_err());
    assert!(agree(
        &set,
        &Over {
            subscription: Shape::Struct { a: 1 }
        }
    )
    .is_err());
    assert!(agree(
        &set,
        &Over {
            subscription: Shape::Newtype("x")
        }
    )
    .is_err());
    // Facts that are not an object at all.
    assert!(agree(&set, &"CSP").is_err());
    assert!(agree(&set, &()).is_err());
    assert!(agree(&set, &vec![1, 2]).is_err());
}

/// Bytes, as `serde_bytes` would serialize them.
struct BytesLike(&'static [u8]);

impl Serialize for BytesLike {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

fn serde_bytes_like(bytes: &'static [u8]) -> BytesLike {
    BytesLike(bytes)
}

#[test]
fn a_newtype_variant_is_an_object_of_one_key() {
    #[derive(Serialize)]
    struct Inner {
        channel: &'static str,
    }
    #[derive(Serialize)]
    enum Facts {
        #[serde(rename = "subscription")]
        Subscription(Inner),
    }
    let set = set(CHANNELS);
    assert!(agree(&set, &Facts::Subscription(Inner { channel: "CSP" }))
        .unwrap()
        .starts_with("allow"));
}

#[test]
fn flattened_structs_and_maps_with_other_keys() {
    #[derive(Serialize)]
    struct Extra {
        channel: &'static str,
    }
    #[derive(Serialize)]
    struct Subscription {
        #[serde(flatten)]
        extra: Extra,
        // Off every declared path: keys serde_json writes as text.
        counts: BTreeMap<u32, u32>,
        flags: BTreeMap<bool, char>,
        tags: Vec<&'static str>,
    }
    #[derive(Serialize)]
    struct Facts {
        subscription: Subscription,
        other: BTreeMap<i64, Vec<Option<u8>>>,
    }
    let set = set(CHANNELS);
    let facts = Facts {
        subscription: Subscription {
            extra: Extra { channel: "Direct" },
            counts: BTreeMap::from([(1, 2), (3, 4)]),
            flags: BTreeMap::from([(true, 'x')]),
            tags: vec!["a", "b"],
        },
        other: BTreeMap::from([(-1, vec![None, Some(1)])]),
    };
    assert!(agree(&set, &facts).unwrap().starts_with("deny"));
}

#[test]
fn integer_keys_on_a_declared_path_are_their_text() {
    let set = set("policy t\notherwise none\nfact x: {a b} at m.\"5\"\na can\n");
    #[derive(Serialize)]
    struct Facts {
        m: BTreeMap<u8, &'static str>,
    }
    let facts = |key, value| Facts {
        m: BTreeMap::from([(key, value)]),
    };
    assert!(agree(&set, &facts(5, "a")).unwrap().starts_with("allow"));
    assert!(agree(&set, &facts(5, "b")).unwrap().starts_with("none"));
    assert!(agree(&set, &facts(6, "a")).is_err());
}

/// A map that writes its entries as given, repeats included.
struct Entries(Vec<(&'static str, serde_json::Value)>);

impl Serialize for Entries {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

#[test]
fn a_repeated_key_replaces_the_whole_value() {
    use serde_json::json;
    let set = set(CHANNELS);
    let cases = [
        // The last of two values of a fact.
        vec![
            ("subscription", json!({"channel": "Direct"})),
            ("subscription", json!({"channel": "CSP"})),
        ],
        // An object, then `null` or a scalar, in its place.
        vec![
            ("subscription", json!({"channel": "CSP"})),
            ("subscription", json!(null)),
        ],
        vec![
            ("subscription", json!({"channel": "CSP"})),
            ("subscription", json!(3)),
        ],
        // A scalar, then an object.
        vec![
            ("subscription", json!("x")),
            ("subscription", json!({"channel": "CSP", "seats": 2})),
        ],
        // The second object lacks a key the first had.
        vec![
            ("subscription", json!({"channel": "CSP", "seats": "many"})),
            ("subscription", json!({"channel": "CSP"})),
        ],
    ];
    let mut decided = 0;
    for entries in cases {
        decided += usize::from(agree(&set, &Entries(entries)).is_ok());
    }
    assert_eq!(decided, 3);
}

#[test]
fn what_a_value_cannot_hold_or_the_serializer_refuses() {
    struct Refuses;
    impl Serialize for Refuses {
        fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(S::Error::custom("no"))
        }
    }
    #[derive(Serialize)]
    struct Subscription<T> {
        channel: &'static str,
        extra: T,
    }
    #[derive(Serialize)]
    struct Facts<T> {
        subscription: Subscription<T>,
    }
    fn facts<T>(extra: T) -> Facts<T> {
        Facts {
            subscription: Subscription {
                channel: "CSP",
                extra,
            },
        }
    }
    let set = set(CHANNELS);
    // Off the declared paths, yet `to_value` fails: so must this.
    let err = agree(&set, &facts(Refuses)).unwrap_err();
    assert!(err.contains("do not serialize"), "{err}");
    assert!(agree(&set, &facts(u128::MAX)).is_err());
    assert!(agree(&set, &facts(BTreeMap::from([(vec![1], 1)]))).is_err());
    assert!(agree(&set, &facts(BTreeMap::from([((), 1)]))).is_err());
    // A 128-bit integer a `Value` holds, an `f32` and a float key: decided.
    assert!(agree(&set, &facts(5_u128)).is_ok());
    assert!(agree(&set, &facts(-5_i128)).is_ok());
    assert!(agree(&set, &facts(0.1_f32)).is_ok());
    assert!(agree(&set, &facts(FloatKey(1.5))).is_ok());
    // A float key that is not finite: refused.
    assert!(agree(&set, &facts(FloatKey(f64::NAN))).is_err());
}

/// A map of one float key.
struct FloatKey(f64);

impl Serialize for FloatKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(&self.0, &1)?;
        map.end()
    }
}

#[test]
fn numbers_at_a_fact_are_read_as_a_value_reads_them() {
    let set = set(
        "policy t\notherwise deny\nfact x: number at x\nx > 9007199254740992 can\nx < -0.5 can\n",
    );
    #[derive(Serialize)]
    struct Facts<T> {
        x: T,
    }
    for x in [9_007_199_254_740_993_u64, u64::MAX, 3] {
        let _ = agree(&set, &Facts { x });
    }
    for x in [i64::MIN, -1, 0] {
        let _ = agree(&set, &Facts { x });
    }
    for x in [-0.5_f64, -0.500_000_000_000_000_1, f64::INFINITY, 1e300] {
        let _ = agree(&set, &Facts { x });
    }
    for x in [-0.5_f32, f32::NAN, 16_777_217.0] {
        let _ = agree(&set, &Facts { x });
    }
    for x in [i128::MIN, -1, i128::from(u64::MAX), i128::MAX] {
        let _ = agree(&set, &Facts { x });
    }
}

#[test]
fn deep_values_decide_as_their_value_does() {
    // Deeper than the picker follows: the `Value` decides.
    let mut deep = serde_json::json!("CSP");
    for _ in 0..200 {
        deep = serde_json::json!([deep]);
    }
    #[derive(Serialize)]
    struct Facts {
        subscription: serde_json::Value,
        deep: serde_json::Value,
    }
    let set = set(CHANNELS);
    let facts = Facts {
        subscription: serde_json::json!({"channel": "CSP"}),
        deep,
    };
    assert!(agree(&set, &facts).unwrap().starts_with("allow"));
}

/// A policy set of more declared paths than one word of bits: the slots
/// past the 63rd are cleared by a repeated key like the others.
#[test]
fn repeated_keys_clear_slots_past_the_sixty_third() {
    use serde_json::json;
    for flags in [62, 63, 64, 70] {
        let mut text = String::from("policy t\notherwise none\n");
        for i in 0..flags {
            text.push_str(&format!("fact b{i}: bool at a.k{i} optional\n"));
        }
        text.push_str("fact t: {x y} at z.t optional\nt = x can\n");
        let set = set(&text);
        for second in [json!(null), json!({}), json!({"u": 1}), json!(7)] {
            let facts = Entries(vec![("z", json!({"t": "x"})), ("z", second)]);
            let decided = agree(&set, &facts);
            assert!(
                decided.as_ref().map_or(true, |d| d.starts_with("none")),
                "{flags} flags: {decided:?}"
            );
        }
    }
}

/// serde_json's raw JSON value serializes as a struct of its own name:
/// it is a value (here, the whole facts), not an object with one field.
#[test]
fn a_raw_json_value_is_its_json() {
    // Optional facts, so that reading them as absent would decide too.
    let set = set(&CHANNELS.replace(
        "at subscription.channel",
        "at subscription.channel optional",
    ));
    let raw = serde_json::value::RawValue::from_string(
        r#"{"subscription": {"channel": "CSP", "seats": 9}}"#.to_string(),
    )
    .unwrap();
    assert!(agree(&set, &raw).unwrap().starts_with("allow"));
    #[derive(Serialize)]
    struct Facts {
        subscription: Box<serde_json::value::RawValue>,
    }
    let facts = Facts {
        subscription: serde_json::value::RawValue::from_string(
            r#"{"channel": "Direct"}"#.to_string(),
        )
        .unwrap(),
    };
    assert!(agree(&set, &facts).unwrap().starts_with("deny"));
}

/// Strings short enough to keep inline and longer ones decide alike.
#[test]
fn strings_on_both_sides_of_the_inline_length() {
    let set = set(
        "policy t\notherwise none\nfact name: string at name\nname = \"fifteen-bytes-x\" can\nname = \"sixteen-bytes-xy\" cannot\n",
    );
    #[derive(Serialize)]
    struct Facts {
        name: String,
    }
    for (name, decision) in [
        ("fifteen-bytes-x", "allow"),
        ("sixteen-bytes-xy", "deny"),
        ("fifteen-bytes-y", "none"),
        ("a string a good deal longer than any slot", "none"),
        ("ünïcödé-ßtring", "none"),
    ] {
        let facts = Facts {
            name: name.to_string(),
        };
        assert!(agree(&set, &facts).unwrap().starts_with(decision), "{name}");
    }
}

/// Fields in another order than the policy declares its paths, fields it
/// does not declare between them, and an object with more declared keys
/// than are compared in turn (found by hash): every one lands at its fact.
#[test]
fn fields_in_any_order_among_many_declared_keys() {
    let mut text = String::from("policy t\notherwise none\n");
    for i in 0..40 {
        text.push_str(&format!("fact k{i}: {{yes no}} at f.k{i} optional\n"));
    }
    for i in 0..40 {
        text.push_str(&format!("k{i}-yes: k{i} = yes -> r{i}\n"));
        text.push_str(&format!("outcome r{i}\n"));
    }
    text.push_str("first match\n");
    let set = set(&text);
    #[derive(Serialize)]
    struct Inner {
        k39: &'static str,
        other: u32,
        k3: &'static str,
        k0: &'static str,
    }
    #[derive(Serialize)]
    struct Facts {
        g: u32,
        f: Inner,
    }
    let cases = [
        ("no", "no", "yes", "r3"),
        ("no", "yes", "no", "r0"),
        ("yes", "no", "no", "r39"),
        ("no", "no", "no", "none"),
    ];
    for (k39, k0, k3, decision) in cases {
        let facts = Facts {
            g: 1,
            f: Inner {
                k39,
                other: 2,
                k3,
                k0,
            },
        };
        assert!(
            agree(&set, &facts).unwrap().starts_with(decision),
            "{decision}"
        );
    }
    // A map's keys, in reverse order.
    for hit in [0, 17, 39] {
        let inner: BTreeMap<String, &str> = (0..40)
            .rev()
            .map(|i| (format!("k{i}"), if i == hit { "yes" } else { "no" }))
            .collect();
        let facts = BTreeMap::from([("f", inner)]);
        assert!(agree(&set, &facts)
            .unwrap()
            .starts_with(&format!("r{hit} ")));
    }
}
