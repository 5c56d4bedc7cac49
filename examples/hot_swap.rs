//! Hot-swapping a policy set while requests keep being decided: readers take
//! the current set (a clone, which is a reference count, under a read lock
//! held for an instant) and decide without any lock; a reloader compiles the edited policies
//! and swaps them in only if they compile, so a broken edit never takes the
//! service down.
//!
//! Run it with `cargo run --example hot_swap`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde_json::json;
use verdict::PolicySet;

/// The set in service, swappable.
struct Current(RwLock<PolicySet>);

impl Current {
    fn get(&self) -> PolicySet {
        // A poisoned lock still holds a valid set: keep serving it.
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Compiles `files`; swaps them in if they compile, else keeps the old set.
    fn reload(&self, files: Vec<(String, String)>) -> Result<(), String> {
        let fresh = PolicySet::from_sources(files).map_err(|report| report.render(100))?;
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
    }
}

fn main() -> Result<(), String> {
    let current = Arc::new(Current(RwLock::new(
        PolicySet::builtin().map_err(|r| r.render(100))?,
    )));
    let stop = Arc::new(AtomicBool::new(false));
    let facts = json!({ "partner": { "role": "reseller" }, "request": { "action": "invite" } });

    let reader = {
        let (current, stop, facts) = (Arc::clone(&current), Arc::clone(&stop), facts.clone());
        std::thread::spawn(move || {
            let mut decisions = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let set = current.get();
                if let Some(d) = set.decide(&facts).ok().and_then(|d| d.first().copied()) {
                    if decisions.last().map(String::as_str) != Some(d.decision) {
                        decisions.push(d.decision.to_string());
                    }
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            decisions
        })
    };

    std::thread::sleep(Duration::from_millis(20));
    // An edit with a typo: rejected, the old set keeps serving.
    let broken = vec![(
        String::from("p.policy"),
        String::from("policy p\nfact role: {reseller} at partner.role\nreseler can\n"),
    )];
    if let Err(rendered) = current.reload(broken) {
        eprintln!("reload rejected, still serving the old set:\n{rendered}");
    }
    std::thread::sleep(Duration::from_millis(20));
    // A good edit: resellers may invite now.
    let good = vec![(
        String::from("p.policy"),
        String::from("policy multichannel\nfact role: {direct indirect_provider reseller} at partner.role\nfact action: {invite support} at request.action\nreseller can invite\n"),
    )];
    current.reload(good)?;
    std::thread::sleep(Duration::from_millis(20));
    stop.store(true, Ordering::Relaxed);
    let seen = reader
        .join()
        .map_err(|_| String::from("the reader panicked"))?;
    println!("the reader saw, in order: {}", seen.join(" → "));
    Ok(())
}
