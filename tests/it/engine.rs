//! The engine a service holds: reloads that swap a set in only when it
//! loads, watching a directory, and what it tells about reloads.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use verdict::{Engine, Limits, Reload};

fn tempdir(name: &str) -> PathBuf {
    crate::common::tempdir(&format!("engine-{name}"))
}

fn write(path: &Path, text: &str) {
    crate::common::write_replacing(path, text);
}

/// Polls `check` every 10 ms until it holds, for at most 20 s; how long it
/// took.
fn eventually(what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if check() {
            return start.elapsed();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{what} did not happen within 20 s");
}

const DOORS: &str =
    "policy doors\nfact role: {staff guest} at user.role\nstaff can\nguest cannot\n";

fn guest(engine: &Engine) -> String {
    let snapshot = engine.snapshot();
    let facts = serde_json::json!({"user": {"role": "guest"}});
    let decisions = snapshot.policies.decide(&facts).unwrap();
    decisions[0].decision.to_string()
}

#[test]
fn a_watched_engine_swaps_in_good_edits_and_keeps_the_last_good_set() {
    let dir = tempdir("watch");
    let file = dir.join("doors.policy");
    write(&file, DOORS);
    let engine = Engine::load(&dir, &Limits::default()).unwrap();
    let heard: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = Arc::clone(&heard);
    engine.on_reload(move |reload| {
        let said = match reload {
            Reload::Swapped { revision } => format!("swapped {revision}"),
            Reload::Unchanged => String::from("unchanged"),
            Reload::Failed(failed) => format!("failed {}", failed.report.data().log_line()),
        };
        log.lock().unwrap().push(said);
    });
    let watching = engine.watch(Duration::from_millis(200)).unwrap();
    assert_eq!(guest(&engine), "deny");
    let first = engine.revision();
    // A clone is the same engine.
    let clone = engine.clone();

    write(&file, &DOORS.replace("guest cannot", "guest can"));
    let took = eventually("the good edit is swapped in", || guest(&clone) == "allow");
    eprintln!("a good edit decided after {took:?} (200 ms of it the debounce)");
    assert_ne!(engine.revision(), first);
    assert_eq!(engine.status().reloads, 1);

    let good = engine.revision();
    write(&file, &DOORS.replace("guest cannot", "guest cann"));
    eventually("the failed reload is kept", || {
        engine.status().last_failure.is_some()
    });
    assert_eq!(engine.revision(), good, "the last good set serves on");
    assert_eq!(guest(&engine), "allow");
    let status = engine.status();
    assert_eq!(status.failed_reloads, 1);
    let report = &status.last_failure.unwrap().report;
    // Diagnostics name the file relative to the root.
    assert!(
        report.data().log_line().contains("(doors.policy:4:"),
        "{}",
        report.data().log_line()
    );

    write(&file, DOORS);
    eventually("the fixed edit is swapped in", || guest(&engine) == "deny");
    assert!(engine.status().last_failure.is_none());

    let heard = heard.lock().unwrap().clone();
    assert_eq!(heard.len(), 3, "{heard:?}");
    assert!(heard[0].starts_with("swapped "));
    assert!(heard[1].starts_with("failed error verdict::"), "{heard:?}");
    assert!(heard[2].starts_with("swapped "));

    // Dropping the watch stops it: later edits are not loaded.
    drop(watching);
    let last = engine.revision();
    write(&file, &DOORS.replace("guest cannot", "guest can"));
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(engine.revision(), last);
    assert!(matches!(engine.reload(), Reload::Swapped { .. }));
}

#[test]
fn an_engine_made_from_a_set_never_reloads() {
    let engine = Engine::from_policies(verdict::PolicySet::builtin().unwrap());
    assert!(engine.root().is_none());
    assert!(matches!(engine.reload(), Reload::Unchanged));
    assert!(engine.watch(Duration::from_millis(200)).is_err());
    assert_eq!(
        engine.revision(),
        verdict::PolicySet::builtin().unwrap().revision()
    );
}
