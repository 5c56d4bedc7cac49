//! The embedding API's contract: a compiled policy set is `Send + Sync`,
//! many threads evaluate it at once and get the same decisions as one
//! thread, and a set can be swapped for a new one while others evaluate.

use std::sync::{Arc, RwLock};

use serde_json::json;
use verdict::{Decision, PolicySet, Report};

/// Compile-time: the types a service shares across threads are Send + Sync.
#[test]
fn shared_types_are_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<PolicySet>();
    shared::<Decision>();
    shared::<Report>();
}

/// Sharing a set is cheap: the handle is one pointer (the compiled policies
/// sit behind a reference count) and the strict-facts switch, so cloning it
/// copies no policy.
#[test]
fn a_set_is_a_shared_handle() {
    assert!(std::mem::size_of::<PolicySet>() <= 2 * std::mem::size_of::<usize>());
    let set = PolicySet::builtin().unwrap();
    let clone = set.clone();
    // Both decide from the same compiled policies: their texts are one.
    let facts = json!({ "partner": { "role": "reseller" }, "request": { "action": "invite" } });
    let (a, b) = (set.decide(&facts).unwrap(), clone.decide(&facts).unwrap());
    assert!(std::ptr::eq(a[0].policy, b[0].policy));
}

fn facts(i: usize) -> serde_json::Value {
    use verdict::testing::workloads::{ACTIONS, CHANNELS, ROLES};
    let (actions, channels, roles) = (ACTIONS, CHANNELS, ROLES);
    json!({
        "subscription": { "billing": if i.is_multiple_of(2) { "license" } else { "usage" }, "channel": channels[i % 7] },
        "partner": { "role": roles[i % 3], "designated_admin": i.is_multiple_of(5) },
        "request": { "action": actions[i % 6], "target": "partner" },
    })
}

#[test]
fn many_threads_decide_as_one_does() {
    let set = Arc::new(PolicySet::builtin().unwrap());
    let expected: Vec<Vec<Decision>> = (0..2_000)
        .map(|i| {
            set.decide(&facts(i))
                .map(verdict::Decisions::into_owned)
                .unwrap()
        })
        .collect();
    let expected = Arc::new(expected);
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let set = Arc::clone(&set);
            let expected = Arc::clone(&expected);
            std::thread::spawn(move || {
                for i in (t..2_000).step_by(3) {
                    assert_eq!(
                        set.decide(&facts(i))
                            .map(verdict::Decisions::into_owned)
                            .unwrap(),
                        expected[i]
                    );
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
}

/// The hot swap of `examples/hot_swap.rs`: readers keep deciding while a
/// new set replaces the old; a set that fails to compile never replaces it.
#[test]
fn hot_swap_keeps_serving() {
    let current = Arc::new(RwLock::new(Arc::new(PolicySet::builtin().unwrap())));
    let invite = json!({ "partner": { "role": "reseller" }, "request": { "action": "invite" } });
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let current = Arc::clone(&current);
            let stop = Arc::clone(&stop);
            let invite = invite.clone();
            std::thread::spawn(move || {
                let mut seen = std::collections::BTreeSet::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // Hold the lock only to clone the Arc; evaluate without it.
                    let set = Arc::clone(&current.read().unwrap());
                    seen.insert(
                        set.decide(&invite)
                            .map(verdict::Decisions::into_owned)
                            .unwrap()[0]
                            .decision
                            .clone(),
                    );
                }
                seen
            })
        })
        .collect();
    // A broken edit does not replace the serving set.
    let broken = PolicySet::from_sources([("p.policy", "policy p\nfact a: {x} at a\nx open\n")]);
    assert!(broken.is_err());
    std::thread::sleep(std::time::Duration::from_millis(20));
    // A good edit does: resellers may now invite.
    let edited = PolicySet::from_sources([(
        "p.policy",
        "policy multichannel\nfact role: {direct indirect_provider reseller} at partner.role\nfact action: {invite other} at request.action\nreseller can invite\n",
    )])
    .unwrap();
    *current.write().unwrap() = Arc::new(edited);
    std::thread::sleep(std::time::Duration::from_millis(20));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut seen = std::collections::BTreeSet::new();
    for reader in readers {
        seen.extend(reader.join().unwrap());
    }
    assert!(seen.contains("allow"), "{seen:?}");
    assert_eq!(
        current
            .read()
            .unwrap()
            .decide(&invite)
            .map(verdict::Decisions::into_owned)
            .unwrap()[0]
            .decision,
        "allow"
    );
}

#[test]
fn evaluate_from_text_value_and_struct_agree() {
    #[derive(serde::Serialize)]
    struct Partner {
        role: String,
    }
    #[derive(serde::Serialize)]
    struct Request {
        action: String,
    }
    #[derive(serde::Serialize)]
    struct Facts {
        partner: Partner,
        request: Request,
    }
    let set = PolicySet::builtin().unwrap();
    let typed = Facts {
        partner: Partner {
            role: String::from("reseller"),
        },
        request: Request {
            action: String::from("own_relationship"),
        },
    };
    let value = serde_json::to_value(&typed).unwrap();
    let text = value.to_string();
    let a = set
        .decide_serialize(&typed)
        .map(verdict::Decisions::into_owned)
        .unwrap();
    let b = set
        .decide(&value)
        .map(verdict::Decisions::into_owned)
        .unwrap();
    let c = set
        .decide_json("facts.json", &text)
        .map(verdict::Decisions::into_owned)
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(b, c);
    assert_eq!(a[0].decision, "deny");
}

#[test]
fn errors_are_diagnostics_a_caller_can_inspect() {
    let set = PolicySet::builtin().unwrap();
    let report = set
        .decide_json("facts.json", r#"{"subscription":{"billing":"usage","channel":"csp"},"partner":{"role":"direct"},"request":{"action":"transfer","target":"partner"}}"#).map(verdict::Decisions::into_owned)
        .unwrap_err();
    use miette::Diagnostic;
    let problem = &report.problems()[0];
    assert_eq!(
        problem.code().unwrap().to_string(),
        "verdict::facts::not_in_set"
    );
    assert_eq!(problem.help().unwrap().to_string(), "did you mean `CSP`?");
    // Labels point into the facts text and the policy.
    assert_eq!(problem.labels().unwrap().count(), 2);
    // A report renders as miette would, or goes into a miette::Report.
    assert!(report.render(80).contains("not a declared value"));
    let _as_miette: miette::Report = miette::Report::new(report);
}

/// Facts picked from text while parsing read exactly as the parsed value:
/// repeated keys, nulls, non-objects on the way, arrays, escaped keys.
#[test]
fn text_and_value_agree_on_odd_json() {
    let set = PolicySet::builtin().unwrap();
    let cases = [
        r#"{"partner":{"role":"reseller"},"partner":{"role":"indirect_provider"},"request":{"action":"invite"}}"#,
        r#"{"partner":{"role":"reseller","designated_admin":true},"partner":{"role":"reseller"},"request":{"action":"delegated_admin"}}"#,
        r#"{"partner":null,"request":{"action":"invite"}}"#,
        r#"{"partner":"reseller","request":{"action":"invite"}}"#,
        r#"{"partner":[1,2],"request":{"action":"invite"}}"#,
        r#"{"part\u006eer":{"role":"reseller"},"request":{"action":"invite"}}"#,
        r#"{"partner":{"role":"reseller","designated_admin":null},"request":{"action":"delegated_admin"}}"#,
        r#"{"subscription":{"billing":"license","channel":"CSP"},"partner":{"role":"direct"},"request":{"action":"transfer","target":null}}"#,
        r#"{"extra":{"deep":[{"x":1}]},"partner":{"role":"indirect_provider"},"request":{"action":"own_relationship"}}"#,
        // Escapes in values, and surrogates, which the scanner leaves to serde_json.
        r#"{"partner":{"role":"re\u0073eller"},"request":{"action":"invite"}}"#,
        r#"{"partner":{"role":"reseller","x":"\ud83d\ude00"},"request":{"action":"invite"}}"#,
        r#"{"partner":{"role":"reseller","x":"\ud83d"},"request":{"action":"invite"}}"#,
        r#"{"partner":{"role":"reseller","x":"tab\tnew\nline\"quote\\"},"request":{"action":"invite"}}"#,
        // Numbers of every shape, where a fact is and where none is.
        r#"{"partner":{"role":"reseller","designated_admin":1},"request":{"action":"delegated_admin"}}"#,
        r#"{"x":[1e400],"partner":{"role":"reseller"},"request":{"action":"invite"}}"#,
        r#"{"x":[-0.0, 1E5, 12345678901234567890123, 0.1e-400],"partner":{"role":"reseller"},"request":{"action":"invite"}}"#,
        r#"{"x":01,"partner":{"role":"reseller"},"request":{"action":"invite"}}"#,
        r#"{"x":1.,"partner":{"role":"reseller"},"request":{"action":"invite"}}"#,
        r#"{"x":-,"partner":{"role":"reseller"},"request":{"action":"invite"}}"#,
        // Not JSON, or not quite.
        "{\"partner\":{\"role\":\"re\u{1}seller\"},\"request\":{\"action\":\"invite\"}}",
        r#"{"partner":{"role":"reseller"},"request":{"action":"invite"}} x"#,
        r#"{"partner":{"role":"reseller"},"request":{"action":"invite"},}"#,
        r#"{"partner":{"role":"reseller"} "request":{"action":"invite"}}"#,
        r#"{"partner":{"role":"reseller"},"request":{"action":"invite"}"#,
        r#"{"partner":{"role":"reseller"},"request":{"action":tru}}"#,
        "\u{feff}{\"partner\":{\"role\":\"reseller\"},\"request\":{\"action\":\"invite\"}}",
        r#"[{"partner":{"role":"reseller"}}]"#,
        r#""just a string""#,
        "",
    ];
    let deep = |levels: usize| {
        format!(
            r#"{{"partner":{{"role":"reseller"}},"request":{{"action":"invite"}},"x":{}{}}}"#,
            "[".repeat(levels - 1),
            "]".repeat(levels - 1)
        )
    };
    let deep: Vec<String> = [126, 127, 128].into_iter().map(deep).collect();
    for text in cases.iter().copied().chain(deep.iter().map(String::as_str)) {
        // A byte-order mark is skipped, as the facts docs promise.
        let json = text.strip_prefix('\u{feff}').unwrap_or(text);
        let Ok(value) = serde_json::from_str::<serde_json::Value>(json) else {
            // Not JSON to serde_json: not a decision from text either.
            let from_text = set
                .decide_json("facts.json", text)
                .map(verdict::Decisions::into_owned);
            assert!(from_text.is_err(), "{text}");
            continue;
        };
        let from_value = set
            .decide(&value)
            .map(verdict::Decisions::into_owned)
            .map_err(|r| r.render(80));
        let from_text = set
            .decide_json("facts.json", text)
            .map(verdict::Decisions::into_owned)
            .map_err(|r| r.render(80));
        // A key given twice on the way to a fact: a `Value` kept only the
        // last, the text still has both, and refuses to guess.
        if from_text
            .as_ref()
            .is_err_and(|r| r.contains("verdict::facts::repeated_key"))
        {
            continue;
        }
        assert_eq!(from_text.is_ok(), from_value.is_ok(), "{text}");
        if let (Ok(a), Ok(b)) = (&from_text, &from_value) {
            assert_eq!(a, b, "{text}");
        }
    }
}

/// `decide_serialize` decides as `decide` does on the `Value` the same
/// facts serialize to, also where JSON text might not carry a number
/// exactly: a float serde_json's best-effort reader takes one unit off,
/// an `f32` (widened in a `Value`, written short in text) and a 128-bit
/// integer.
#[test]
fn decide_serialize_agrees_with_the_value_on_numbers_text_would_change() {
    #[derive(serde::Serialize)]
    struct Facts<T> {
        x: T,
    }
    fn check<T: serde::Serialize>(rule: &str, x: T) {
        let text = format!("policy n\notherwise deny\nfact x: number at x\n{rule}\n");
        let set = PolicySet::from_sources([("n.policy", text.as_str())]).unwrap();
        let facts = Facts { x };
        let by_serialize = set
            .decide_serialize(&facts)
            .map(|d| d[0].decision.to_string());
        let by_value = match serde_json::to_value(&facts) {
            Ok(value) => set.decide(&value).map(|d| d[0].decision.to_string()),
            Err(_) => {
                assert!(
                    by_serialize.is_err(),
                    "{rule}: a Value cannot hold it, yet it decided"
                );
                return;
            }
        };
        assert_eq!(
            by_serialize.map_err(|r| r.render(80)),
            by_value.map_err(|r| r.render(80)),
            "{rule}"
        );
    }
    // serde_json's best-effort float reader takes this one's shortest
    // text for a number one unit off; verdict turns on `float_roundtrip`,
    // so it reads back exactly.
    let x = -0.0014061618971223917_f64;
    assert_eq!(serde_json::from_str::<f64>(&x.to_string()).unwrap(), x);
    check("x <= -0.0014061618971223917 can", x);
    check("x > 0.1 can", 0.1_f32);
    check("x > 0 can", u128::MAX);
    check("x < 0 can", i128::MIN);
    check("x > 0 can", 5_u128);
}

/// Asking why not a decision no policy makes is an error that lists the
/// set's own decisions and gives an example only from them.
#[test]
fn why_not_names_only_the_sets_own_decisions() {
    use miette::Diagnostic;
    let message_and_help = |report: Report| {
        let problem = &report.problems()[0];
        let help = problem.help().map(|h| h.to_string()).unwrap_or_default();
        (problem.to_string(), help)
    };
    let set = PolicySet::from_sources([(
        "doors.policy",
        "policy doors\noutcome wait-here\noutcome escort\nfact role: {staff guest} at role\nstaff can\nguest -> escort\n",
    )])
    .unwrap();
    let (message, help) = message_and_help(
        set.explain(&json!({ "role": "guest" }), Some("manual-migrate"))
            .unwrap_err(),
    );
    assert!(
        message.ends_with("they decide allow, deny, none, wait-here, escort"),
        "{message}"
    );
    assert!(help.ends_with("as `wait-here`"), "{help}");
    let set =
        PolicySet::from_sources([("p.policy", "policy p\nfact a: {x y} at a\nx can\n")]).unwrap();
    let (_, help) = message_and_help(
        set.explain(&json!({ "a": "x" }), Some("escort"))
            .unwrap_err(),
    );
    assert_eq!(help, "name one of these decisions");
    // A decision a policy can make explains fine.
    assert!(set.explain(&json!({ "a": "x" }), Some("deny")).is_ok());
}

/// Strict reading fails where a key no fact declares, or a declared fact
/// that does not fit, would otherwise be ignored; every way in agrees, and
/// facts that pass strictly decide as they do without it.
#[test]
fn strict_facts_fail_on_what_the_decision_ignores() {
    let lenient = PolicySet::builtin().unwrap();
    let strict = lenient.clone().strict_facts(true);
    let codes = |report: &Report| -> Vec<String> {
        report
            .problems()
            .iter()
            .filter_map(|p| miette::Diagnostic::code(p).map(|c| c.to_string()))
            .collect()
    };
    let cases = [
        (
            json!({ "partner": { "role": "reseller", "designatedAdmin": true }, "request": { "action": "invite" } }),
            Some("verdict::facts::unknown_key"),
        ),
        (
            json!({ "partner": { "role": "reseller", "designated_admin": "yes" }, "request": { "action": "invite" } }),
            Some("verdict::facts::wrong_type"),
        ),
        (
            json!({ "partner": { "role": "reseller" }, "request": { "action": "invite" }, "trace_id": "abc" }),
            Some("verdict::facts::unknown_key"),
        ),
        (
            json!({ "partner": { "role": "reseller" }, "request": { "action": "invite" } }),
            None,
        ),
    ];
    for (facts, expected) in cases {
        let text = facts.to_string();
        let relaxed = lenient.decide(&facts).unwrap().into_owned();
        let ways = [
            strict.decide(&facts).map(verdict::Decisions::into_owned),
            strict
                .decide_json("facts.json", &text)
                .map(verdict::Decisions::into_owned),
            strict
                .decide_serialize(&facts)
                .map(verdict::Decisions::into_owned),
            strict.trace(&facts).map(|d| {
                d.into_iter()
                    .map(|d| Decision { trace: None, ..d })
                    .collect()
            }),
        ];
        for way in ways {
            match (expected, way) {
                (Some(code), Err(report)) => assert_eq!(codes(&report), [code], "{facts}"),
                (None, Ok(decisions)) => assert_eq!(decisions, relaxed, "{facts}"),
                (expected, got) => panic!("{facts}: expected {expected:?}, got {got:?}"),
            }
        }
    }
}

/// A key given twice on the way to a declared fact is refused from text,
/// on the fast path too, however many declared keys share its object.
#[test]
fn a_repeated_declared_key_is_refused() {
    let mut policy = String::from("policy wide\notherwise deny\n");
    for i in 0..70 {
        policy.push_str(&format!("fact f{i}: bool at o.k{i} default false\n"));
    }
    policy.push_str("f0 can\nf69 can\n");
    let set = verdict::PolicySet::from_sources([("wide.policy", policy)]).unwrap();
    for key in ["k0", "k69"] {
        let text = format!(r#"{{"o": {{"{key}": true, "k1": false, "{key}": false}}}}"#);
        let report = set
            .decide_json("facts.json", &text)
            .map(verdict::Decisions::into_owned)
            .expect_err("a repeated key is refused");
        assert!(
            report.render(100).contains("verdict::facts::repeated_key"),
            "{}",
            report.render(100)
        );
    }
    // Once each, the same facts decide.
    let once = r#"{"o": {"k0": true, "k69": false}}"#;
    assert!(set.decide_json("facts.json", once).is_ok());
}

/// A loaded set keeps at most `Limits::warnings_per_code` warnings of one
/// code and counts the rest in one note on the first not kept; `verdict
/// check`, which lists them all in JSON, keeps every one.
#[test]
fn a_set_keeps_a_bounded_number_of_warnings_per_code() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("warnings-per-code");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("colours.policy");
    let text = "policy colours\nfact a: {a1 a2} at a\nfact b: {b1 b2} at b\nfact c: {c1 c2} at c\nfact d: {d1 d2} at d\na1 b1 c1 d1 can\n";
    std::fs::write(&path, text).unwrap();
    let limits = verdict::Limits {
        warnings_per_code: 2,
        ..verdict::Limits::default()
    };
    let set = verdict::PolicySet::from_path_with(&path, &limits).unwrap();
    let warnings = set.diagnostics();
    let codes: Vec<String> = warnings
        .problems()
        .iter()
        .filter_map(|p| miette::Diagnostic::code(p).map(|c| c.to_string()))
        .collect();
    assert_eq!(
        codes,
        [
            "verdict::unused_value",
            "verdict::unused_value",
            "verdict::more_warnings"
        ]
    );
    insta::assert_snapshot!(warnings
        .render(crate::common::WIDTH)
        .replace(&*dir.display().to_string(), "DIR"));

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["check", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let unused = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "verdict::unused_value")
        .count();
    assert_eq!(unused, 4, "check keeps every warning");
}

/// `validate` checks facts against every declaration without deciding:
/// optional and defaulted facts may be absent, required ones may not,
/// present ones must fit, and unread keys count only with strict facts.
#[test]
fn validate_checks_every_declaration_without_deciding() {
    let text = "policy shop\nfact tier: {basic pro} at customer.tier default basic\nfact vip: bool at customer.vip optional\nfact total: number at order.total\nfact country: {DE FR} at order.country\npro can\ntotal > 100 can\n";
    let set = verdict::PolicySet::from_sources([("shop.policy", text)]).unwrap();
    let codes = |result: Result<(), verdict::Report>| -> Vec<String> {
        match result {
            Ok(()) => Vec::new(),
            Err(report) => report
                .data()
                .diagnostics
                .into_iter()
                .filter_map(|d| d.code)
                .collect(),
        }
    };
    // Deciding reads only `tier` here; validating wants `total` and
    // `country` too.
    let facts = serde_json::json!({"customer": {"tier": "pro"}});
    assert!(set.decide(&facts).is_ok());
    assert_eq!(codes(set.validate(&facts)), ["verdict::facts::missing"]);
    let report = set.validate(&facts).unwrap_err();
    assert!(
        report
            .to_string()
            .contains("`order.total` and `order.country`"),
        "{report}"
    );
    let complete = r#"{"order": {"total": 120, "country": "DE"}, "extra": 1}"#;
    assert_eq!(
        codes(set.validate_json("facts.json", complete)),
        Vec::<String>::new()
    );
    assert_eq!(
        codes(
            set.clone()
                .strict_facts(true)
                .validate_json("facts.json", complete)
        ),
        ["verdict::facts::unknown_key"]
    );
    let unfit = r#"{"customer": {"tier": "gold", "vip": "yes"}, "order": {"total": "120", "country": "DE"}}"#;
    let found = codes(set.validate_json("facts.json", unfit));
    assert_eq!(
        found,
        [
            "verdict::facts::not_in_set",
            "verdict::facts::wrong_type",
            "verdict::facts::wrong_type"
        ],
        "{found:?}"
    );
    let report = set.validate_json("facts.json", unfit).unwrap_err();
    let labelled: Vec<usize> = report
        .data()
        .diagnostics
        .iter()
        .filter_map(|d| {
            d.labels
                .iter()
                .find(|l| l.file == "facts.json")
                .map(|l| l.column)
        })
        .collect();
    assert_eq!(labelled.len(), 3, "each problem is labelled in the facts");
    assert_eq!(
        codes(set.validate_json("facts.json", "[]")),
        ["verdict::facts::not_object"]
    );
}

/// A declared default is given as the JSON a client sends: in the facts'
/// schema and in `fact_details`, for every type that takes one.
#[test]
fn defaults_are_described_as_clients_send_them() {
    let text = "policy waits\nfact wait: duration at wait default 2 weeks\nfact start: date at start default 2026-01-01\nfact n: number at n default 3\nfact vip: bool at vip default false\nwait > 1 days can\nstart > 2025-06-01 n > 2 vip can\n";
    let set = verdict::PolicySet::from_sources([("waits.policy", text)]).unwrap();
    let schema = set.facts_schema();
    assert_eq!(schema["properties"]["wait"]["default"], "P14D");
    assert_eq!(schema["properties"]["start"]["default"], "2026-01-01");
    assert_eq!(schema["properties"]["n"]["default"], 3.0);
    assert_eq!(schema["properties"]["vip"]["default"], false);
    let policy = set.policies().next().unwrap();
    let details = policy.fact_details();
    let wait = details.iter().find(|f| f.name == "wait").unwrap();
    assert_eq!(
        (wait.ty.as_str(), wait.required, wait.default.clone()),
        ("duration", false, Some(serde_json::Value::from("P14D")))
    );
    // The default decides as the value it names does.
    let decided = set
        .decide(&serde_json::json!({"wait": "P14D", "start": "2026-01-01", "n": 3, "vip": false}))
        .unwrap()[0]
        .decision
        .to_string();
    let defaulted = set.decide(&serde_json::json!({})).unwrap()[0]
        .decision
        .to_string();
    assert_eq!(decided, defaulted);
}

/// `why_not` lists minimal changes only: no alternative changes every fact
/// another one changes and more. Checked for every combination of the
/// pack's facts and every decision the pack makes.
#[test]
fn why_not_lists_minimal_changes_only() {
    let pack = crate::common::pack();
    let decisions = pack.policies().next().unwrap().decisions();
    let mut alternatives = 0;
    for facts in crate::common::pack_combinations() {
        for wanted in &decisions {
            let Ok(explained) = pack.explain(&facts, Some(wanted)) else {
                continue;
            };
            let Some(why_not) = &explained[0].why_not else {
                continue;
            };
            let paths: Vec<Vec<&str>> = why_not
                .alternatives
                .iter()
                .map(|a| a.changes.iter().map(|c| c.path.as_str()).collect())
                .collect();
            alternatives += paths.len();
            for (i, a) in paths.iter().enumerate() {
                for (j, b) in paths.iter().enumerate() {
                    assert!(
                        i == j || !a.iter().all(|p| b.contains(p)),
                        "{b:?} contains {a:?} for {facts} and {wanted}"
                    );
                }
            }
        }
    }
    assert!(alternatives > 1_000, "{alternatives}");
}

/// A refusal from text is deferred: `decide_json` says at once that the
/// facts do not decide, and of what kind the problem is, and works out
/// which facts are wrong, where, and what would fit only when asked, on
/// whichever thread asks. What it then says is what the report built at
/// once says: `trace_json` (which builds its report at once) refuses each
/// of the pack's combinations with one mistake in the same words, labels
/// and helps.
#[test]
fn a_refusal_is_worked_out_when_asked_and_says_what_a_built_one_says() {
    let set = PolicySet::builtin().unwrap();
    let mut refused = 0;
    for (i, facts) in verdict::testing::workloads::pack_combinations()
        .into_iter()
        .enumerate()
    {
        let mut facts = facts;
        match i % 3 {
            0 => facts["subscription"]["channel"] = json!("direkt"),
            1 => facts["partner"]["designated_admin"] = json!("true"),
            _ => {
                facts["partner"].as_object_mut().unwrap().remove("role");
            }
        }
        let text = facts.to_string();
        let Err(report) = set.decide_json("facts.json", &text) else {
            continue;
        };
        refused += 1;
        assert!(report.is_deferred(), "{text}");
        assert!(report.has_errors());
        assert_eq!(report.kind(), Some(verdict::ErrorKind::UndecidableFacts));
        assert!(report.is_deferred(), "asking its kind works nothing out");
        let built = set.trace_json("facts.json", &text).unwrap_err();
        assert!(!built.is_deferred());
        // Every third report is worked out on another thread.
        let rendered = if i % 3 == 0 {
            std::thread::scope(|s| s.spawn(|| report.render(100)).join().unwrap())
        } else {
            report.render(100)
        };
        assert!(!report.is_deferred());
        assert_eq!(rendered, built.render(100), "{text}");
        assert_eq!(report.data(), built.data());
        assert_eq!(report.kind(), built.kind());
        assert_eq!(report.clone().render(100), rendered);
    }
    assert!(refused > 800, "{refused} refusals");
}

/// Odd places for a fact's value (its object `null`, a number, an array,
/// a key given as `null`, a string where an object belongs): text decides
/// or refuses exactly as the `Value` does, and a refusal, worked out when
/// asked, says what `trace_json`'s built report says.
#[test]
fn odd_facts_are_refused_from_text_as_from_the_value() {
    let set = PolicySet::builtin().unwrap();
    let request = r#""request": {"action": "transfer", "target": "customer"}"#;
    let subscription = r#""subscription": {"billing": "license", "channel": "Direct"}"#;
    for partner in [
        "null",
        "5",
        "[]",
        r#""reseller""#,
        "{}",
        r#"{"role": null}"#,
        r#"{"role": {"x": 1}}"#,
        r#"{"role": ["direct"]}"#,
        r#"{"role": "direct", "designated_admin": null}"#,
        r#"{"role": "direct", "designated_admin": 1}"#,
        r#"{"role": "indirect_provider"}"#,
    ] {
        for rest in [
            format!("{request}, {subscription}"),
            request.to_string(),
            String::new(),
        ] {
            let comma = if rest.is_empty() { "" } else { ", " };
            let text = format!(r#"{{"partner": {partner}{comma}{rest}}}"#);
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            let from_text = set.decide_json("facts.json", &text);
            let from_value = set.decide(&value);
            assert_eq!(
                from_text.as_ref().map(|d| d.clone().into_owned()).ok(),
                from_value.as_ref().map(|d| d.clone().into_owned()).ok(),
                "{text}"
            );
            if let Err(report) = from_text {
                let built = set.trace_json("facts.json", &text).unwrap_err();
                assert_eq!(report.render(100), built.render(100), "{text}");
            }
        }
    }
}

/// Facts the scanner does not read whole (not JSON, here) are refused with
/// a report built at once: only facts it read are deferred.
#[test]
fn facts_that_do_not_scan_are_reported_at_once() {
    let set = PolicySet::builtin().unwrap();
    let report = set.decide_json("f.json", "{\"partner\": ").unwrap_err();
    assert!(!report.is_deferred());
    assert_eq!(report.kind(), Some(verdict::ErrorKind::MalformedFacts));
}
