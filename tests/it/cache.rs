//! The policy cache (`PolicyCache`): a set read back from its entry decides
//! as a fresh one, and an entry that is not whole, not this format or not
//! made from exactly the files being loaded is never used.

use std::path::{Path, PathBuf};

use verdict::{CacheUse, Limits, PolicyCache, PolicySet};

use crate::common;

/// The entry files of a cache directory.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|listing| listing.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    found.sort();
    found
}

fn files(text: &str) -> Vec<(String, String)> {
    vec![("doors.policy".to_string(), text.to_string())]
}

const DOORS: &str = "policy doors\nfact role: {staff guest} at role\nstaff can\nguest cannot\n";

fn decide(set: &PolicySet, role: &str) -> String {
    let facts = serde_json::json!({ "role": role });
    match set.decide(&facts) {
        Ok(decisions) => decisions[0].decision.to_string(),
        Err(report) => report.render(80),
    }
}

/// Every folder of policies with tests: read back from the cache, each
/// set passes its tests as the fresh set does, with the same coverage (so
/// the same trees), and the built-in pack decides every combination of its
/// facts alike, reports included.
#[test]
fn a_set_from_the_cache_decides_as_a_fresh_one() {
    let cache = PolicyCache::new(common::tempdir("cache-decides"));
    let limits = Limits::default();
    let mut folders = vec![
        PathBuf::from("policies/multichannel"),
        PathBuf::from("policies/examples/refunds"),
        PathBuf::from("policies/examples/document-access"),
    ];
    let mut language: Vec<PathBuf> = std::fs::read_dir("tests/fixtures/language")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            std::fs::read_dir(p)
                .unwrap()
                .any(|f| f.unwrap().path().extension().is_some_and(|x| x == "tests"))
        })
        .collect();
    language.sort();
    assert!(language.len() >= 10, "{language:?}");
    folders.extend(language);
    for folder in &folders {
        let fresh = PolicySet::from_root_with(folder, &limits).unwrap();
        let (stored, how) = cache.load_root(folder, &limits);
        assert_eq!(how, CacheUse::Stored, "{folder:?}");
        let (cached, how) = cache.load_root(folder, &limits);
        assert_eq!(how, CacheUse::Hit, "{folder:?}");
        let suite = verdict::suite::from_path(folder).unwrap();
        let results = [fresh, stored.unwrap(), cached.unwrap()].map(|set| {
            let result = verdict::suite::run(&set, &suite).unwrap();
            (result.passed(), result.failed(), result.coverage_percent())
        });
        assert_eq!(results[0], results[1], "{folder:?}");
        assert_eq!(results[0], results[2], "{folder:?}");
        assert_eq!(results[0].1, 0, "{folder:?}");
    }

    let fresh = PolicySet::from_root_with("policies/multichannel", &limits).unwrap();
    let (cached, how) = cache.load_root("policies/multichannel", &limits);
    assert_eq!(how, CacheUse::Hit);
    let cached = cached.unwrap();
    for facts in common::pack_combinations() {
        let text = facts.to_string();
        let a = fresh.decide_json("facts.json", &text).map(|d| d.to_vec());
        let b = cached.decide_json("facts.json", &text).map(|d| d.to_vec());
        match (a, b) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
            (Err(a), Err(b)) => assert_eq!(a.render(80), b.render(80), "{text}"),
            (a, b) => panic!("{text}: fresh {a:?}, from the cache {b:?}"),
        }
    }
}

/// An edited file has an entry of its own; the entry of the files as
/// they were stays, for an undo.
#[test]
fn an_edit_makes_a_new_entry() {
    let dir = common::tempdir("cache-edit");
    let cache = PolicyCache::new(&dir);
    let limits = Limits::default();
    assert_eq!(cache.load(files(DOORS), &limits).1, CacheUse::Stored);
    let edited = DOORS.replace("guest cannot", "guest can");
    let (set, how) = cache.load(files(&edited), &limits);
    assert_eq!(how, CacheUse::Stored);
    assert_eq!(decide(&set.unwrap(), "guest"), "allow");
    assert_eq!(entries(&dir).len(), 2);
    let (set, how) = cache.load(files(DOORS), &limits);
    assert_eq!(how, CacheUse::Hit);
    assert_eq!(decide(&set.unwrap(), "guest"), "deny");
}

/// A damaged entry (a byte changed, cut short, emptied, another file in
/// its place) is a miss: the files are loaded afresh and the entry
/// written again whole.
#[test]
fn a_damaged_entry_is_never_used() {
    let dir = common::tempdir("cache-damaged");
    let cache = PolicyCache::new(&dir);
    let limits = Limits::default();
    assert_eq!(cache.load(files(DOORS), &limits).1, CacheUse::Stored);
    let entry = entries(&dir).pop().unwrap();
    let whole = std::fs::read(&entry).unwrap();
    let mut flipped = whole.clone();
    // A byte of the payload: the rule `guest cannot` is near the end.
    let last = flipped.len() - 3;
    flipped[last] ^= 0x01;
    let damages: Vec<(&str, Vec<u8>)> = vec![
        ("a byte changed", flipped),
        ("cut short", whole[..whole.len() / 2].to_vec()),
        ("emptied", Vec::new()),
        ("another file", b"not an entry at all".to_vec()),
        ("another format", {
            let mut other = whole.clone();
            other[8] ^= 0xff;
            other
        }),
    ];
    for (damage, bytes) in damages {
        std::fs::write(&entry, bytes).unwrap();
        let (set, how) = cache.load(files(DOORS), &limits);
        assert_eq!(how, CacheUse::Stored, "{damage}");
        assert_eq!(decide(&set.unwrap(), "guest"), "deny", "{damage}");
        assert_eq!(std::fs::read(&entry).unwrap(), whole, "{damage}");
        assert_eq!(
            cache.load(files(DOORS), &limits).1,
            CacheUse::Hit,
            "{damage}"
        );
    }
}

/// An entry found under the name of other files (as if their hashes
/// collided) is not theirs: the files it holds are compared whole.
#[test]
fn an_entry_of_other_files_is_not_used() {
    let dir = common::tempdir("cache-collision");
    let cache = PolicyCache::new(&dir);
    let limits = Limits::default();
    let edited = DOORS.replace("guest cannot", "guest can");
    assert_eq!(cache.load(files(DOORS), &limits).1, CacheUse::Stored);
    let doors = entries(&dir).pop().unwrap();
    assert_eq!(cache.load(files(&edited), &limits).1, CacheUse::Stored);
    let edited_entry = entries(&dir).into_iter().find(|e| *e != doors).unwrap();
    std::fs::copy(&doors, &edited_entry).unwrap();
    let (set, how) = cache.load(files(&edited), &limits);
    assert_eq!(how, CacheUse::Stored);
    assert_eq!(decide(&set.unwrap(), "guest"), "allow");
}

/// Processes that load the same files at once each get their set, and
/// leave one whole entry and no temporary file.
#[test]
fn writers_at_once_leave_one_whole_entry() {
    let dir = common::tempdir("cache-writers");
    let text = verdict::testing::workloads::Shape::FirstMatch.policy(300);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let dir = dir.clone();
                let text = text.clone();
                scope.spawn(move || {
                    let cache = PolicyCache::new(dir);
                    let (set, how) =
                        cache.load(vec![("scale.policy".into(), text)], &Limits::default());
                    assert!(set.is_ok());
                    how
                })
            })
            .collect();
        for handle in handles {
            let how = handle.join().unwrap();
            assert!(matches!(how, CacheUse::Stored | CacheUse::Hit), "{how:?}");
        }
    });
    let found = entries(&dir);
    assert_eq!(found.len(), 1, "{found:?}");
    let cache = PolicyCache::new(&dir);
    let (_, how) = cache.load(vec![("scale.policy".into(), text)], &Limits::default());
    assert_eq!(how, CacheUse::Hit);
}

/// The cache keeps the entries used last, and no more.
#[test]
fn the_oldest_entries_go() {
    let dir = common::tempdir("cache-evict");
    let cache = PolicyCache::new(&dir);
    let limits = Limits::default();
    let total = PolicyCache::MAX_ENTRIES + 4;
    for i in 0..total {
        let text = format!("{DOORS}# version {i}\n");
        assert_eq!(cache.load(files(&text), &limits).1, CacheUse::Stored);
    }
    assert_eq!(entries(&dir).len(), PolicyCache::MAX_ENTRIES);
    // The last one written is kept.
    let last = format!("{DOORS}# version {}\n", total - 1);
    assert_eq!(cache.load(files(&last), &limits).1, CacheUse::Hit);
}

/// A temporary file a killed writer left goes once it is an hour old;
/// one a writer may still be writing stays.
#[test]
fn temporary_files_left_behind_go() {
    let dir = common::tempdir("cache-temporary");
    std::fs::create_dir_all(&dir).unwrap();
    let stale = dir.join(".0123456789abcdef.4242.17.tmp");
    let fresh = dir.join(".fedcba9876543210.4343.18.tmp");
    std::fs::write(&stale, "half an entry").unwrap();
    std::fs::write(&fresh, "half an entry").unwrap();
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    let cache = PolicyCache::new(&dir);
    assert_eq!(
        cache.load(files(DOORS), &Limits::default()).1,
        CacheUse::Stored
    );
    assert!(!stale.exists());
    assert!(fresh.exists());
}

/// A set that does not load is not stored; a cache that cannot be
/// written says why, and the set loads all the same.
#[test]
fn failures_and_unwritable_caches() {
    let dir = common::tempdir("cache-failures");
    let cache = PolicyCache::new(&dir);
    let limits = Limits::default();
    let (set, how) = cache.load(files("policy doors\nstaf can\n"), &limits);
    assert!(set.is_err());
    assert_eq!(how, CacheUse::Failed);
    assert!(entries(&dir).is_empty());

    // A file where the directory should be.
    let blocked = dir.join("blocked");
    std::fs::write(&blocked, "a file").unwrap();
    let cache = PolicyCache::new(blocked.join("verdict"));
    let (set, how) = cache.load(files(DOORS), &limits);
    assert_eq!(decide(&set.unwrap(), "staff"), "allow");
    let CacheUse::NotStored(reason) = how else {
        panic!("{how:?}");
    };
    assert_eq!(reason, "not a directory");
}

/// `verdict eval --cache`: the same answer from the entry, one entry in
/// `$VERDICT_CACHE_DIR`; and a warning, with the answer, when the cache
/// cannot be written.
#[test]
fn eval_with_the_cache() {
    let dir = common::tempdir("cache-cli");
    let run = |cache_dir: &Path| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_verdict"))
            .args([
                "eval",
                "--cache",
                "--policies",
                "policies/multichannel",
                "examples/license-csp-transfer.json",
            ])
            .env("VERDICT_CACHE_DIR", cache_dir)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let first = run(&dir);
    let second = run(&dir);
    assert_eq!(first.0, Some(0), "{first:?}");
    assert_eq!(first, second);
    assert!(first.1.contains("multichannel: deny"), "{first:?}");
    assert_eq!(entries(&dir).len(), 1);

    // Run from the temporary directory and name the cache relative to
    // it, so that the warning (wrapped at 80 columns) reads the same
    // wherever the repository is checked out.
    std::fs::write(dir.join("blocked"), "a file").unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_verdict"))
        .current_dir(&dir)
        .arg("eval")
        .arg("--cache")
        .arg("--policies")
        .arg(root.join("policies/multichannel"))
        .arg(root.join("examples/license-csp-transfer.json"))
        .env("VERDICT_CACHE_DIR", "blocked")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.replace(&format!("{}/", root.display()), ""), first.1);
    let stderr = String::from_utf8(output.stderr).unwrap();
    insta::assert_snapshot!("eval_cache_unwritable", stderr);
}

/// Numbers the cache keeps as JSON (a default, a value a set is tested
/// for) come back to the last bit: 1.6047802727761427 is one that a
/// best-effort float reader takes for 1.6047802727761429.
#[test]
fn numbers_come_back_from_the_cache_to_the_last_bit() {
    let cache = PolicyCache::new(common::tempdir("cache-numbers"));
    let limits = Limits::default();
    let policy = "policy prices\n\
        fact price: number at item.price default 1.6047802727761427\n\
        fact sizes: set of number at item.sizes optional\n\
        outcome exact\n\
        outcome listed\n\
        first match\n\
        price = 1.6047802727761427 -> exact\n\
        sizes has 1.6047802727761427 -> listed\n\
        otherwise deny\n";
    let files = vec![("prices.policy".to_string(), policy.to_string())];
    assert_eq!(cache.load(files.clone(), &limits).1, CacheUse::Stored);
    let (cached, how) = cache.load(files, &limits);
    assert_eq!(how, CacheUse::Hit);
    let cached = cached.unwrap_or_else(|r| panic!("{}", r.render(80)));
    let decide = |facts: &str| {
        let decisions = cached.decide_json("facts.json", facts).unwrap();
        decisions[0].decision.to_string()
    };
    assert_eq!(decide(r#"{"item": {}}"#), "exact");
    assert_eq!(
        decide(r#"{"item": {"price": 2, "sizes": [1.6047802727761427]}}"#),
        "listed"
    );
}
