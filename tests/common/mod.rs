//! Helpers shared by the integration tests: the only callers of the library
//! in them, so that fixtures are loaded and rendered one way.

#![allow(dead_code)] // each test crate uses a part of these helpers

use std::path::Path;

use verdict::{PolicySet, Report};

/// The width diagnostics are rendered at in snapshots.
pub const WIDTH: usize = 100;

/// A path relative to the crate root, as snapshots show it.
pub fn relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Loads a policy fixture: one `.policy` file, or a directory of them.
pub fn load(path: &Path) -> Result<PolicySet, Report> {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .expect("fixture directory is readable")
            .map(|e| e.expect("fixture entry is readable").path())
            .collect();
        entries.sort();
        PolicySet::from_sources(entries.iter().map(|p| {
            let text = std::fs::read_to_string(p).expect("fixture is UTF-8");
            (relative(p), text)
        }))
    } else {
        let text = std::fs::read_to_string(path).expect("fixture is UTF-8");
        PolicySet::from_sources([(relative(path), text)])
    }
}

/// Every diagnostic of loading a fixture, rendered, errors and warnings alike.
pub fn diagnostics(path: &Path) -> String {
    match load(path) {
        Ok(set) => set.warnings().render(WIDTH),
        Err(report) => report.render(WIDTH),
    }
}

/// The built-in pack.
pub fn pack() -> PolicySet {
    PolicySet::builtin().expect("the built-in pack compiles")
}

/// Every combination of the multichannel pack's declared values, with
/// `request.target` and `partner.designated_admin` also absent: 3,024
/// complete facts objects.
pub fn pack_combinations() -> Vec<serde_json::Value> {
    let mut all = Vec::new();
    for b in ["license", "usage"] {
        for c in [
            "Direct",
            "Advisor",
            "Open",
            "EA",
            "CSP",
            "ThirdParty",
            "Syndication",
        ] {
            for r in ["direct", "indirect_provider", "reseller"] {
                for a in [
                    "support",
                    "transfer",
                    "migrate",
                    "invite",
                    "own_relationship",
                    "delegated_admin",
                ] {
                    for t in [None, Some("partner"), Some("customer"), Some("reseller")] {
                        for d in [None, Some(true), Some(false)] {
                            let mut facts = serde_json::json!({
                                "subscription": { "billing": b, "channel": c },
                                "partner": { "role": r },
                                "request": { "action": a },
                            });
                            if let Some(t) = t {
                                facts["request"]["target"] = t.into();
                            }
                            if let Some(d) = d {
                                facts["partner"]["designated_admin"] = d.into();
                            }
                            all.push(facts);
                        }
                    }
                }
            }
        }
    }
    all
}
