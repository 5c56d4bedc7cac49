//! Embedding verdict in a service: load the policies once at start-up,
//! decide per request, and render a diagnostic when the facts are wrong.
//!
//! Run it with `cargo run --example embed`.

use serde::Serialize;
use verdict::PolicySet;

/// The facts a request handler has, in its own types.
#[derive(Serialize)]
struct Facts {
    partner: Partner,
    request: Request,
}

#[derive(Serialize)]
struct Partner {
    role: String,
}

#[derive(Serialize)]
struct Request {
    action: String,
}

fn main() -> std::process::ExitCode {
    // Start-up: compile once. A broken policy stops the service here, with
    // every problem rendered, instead of on the first request.
    let policies = match PolicySet::builtin() {
        Ok(policies) => policies,
        Err(report) => {
            eprintln!("{}", report.render(100));
            return std::process::ExitCode::FAILURE;
        }
    };

    // Per request: deciding takes `&self`, and a clone of the set is a
    // reference count: hand one to each handler or thread, no lock needed.
    let handler = {
        let policies = policies.clone();
        move |role: &str, action: &str| {
            let facts = Facts {
                partner: Partner {
                    role: role.to_string(),
                },
                request: Request {
                    action: action.to_string(),
                },
            };
            policies
                .decide_serialize(&facts)
                .map(verdict::Decisions::into_owned)
        }
    };

    for (role, action) in [("indirect_provider", "invite"), ("reseller", "invite")] {
        match handler(role, action) {
            Ok(decisions) => {
                for d in decisions {
                    println!(
                        "{role} {action}: {} ({})",
                        d.decision,
                        d.reason.unwrap_or_default()
                    );
                }
            }
            Err(report) => eprintln!("{}", report.render(100)),
        }
    }

    // Facts from the outside, as JSON text: errors point into that text.
    let body = r#"{"partner": {"role": "resseller"}, "request": {"action": "invite"}}"#;
    match policies.decide_json("request body", body) {
        Ok(decisions) => {
            for d in decisions.iter() {
                println!("decided: {}", d.decision);
            }
        }
        Err(report) => {
            // In a service you might return `report.to_string()` to the
            // caller and log the rendered report.
            eprintln!("{}", report.render(100));
        }
    }
    std::process::ExitCode::SUCCESS
}
