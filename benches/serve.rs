//! `verdict serve` under load, on loopback: the release binary serves the
//! built-in pack, pinned to one core where `taskset` exists, while this
//! process sends requests from the other core over keep-alive connections,
//! for a fixed time per endpoint. It reports requests per second and the
//! median and 99th-percentile latency of:
//!
//! - `GET /health/live`, the trivial endpoint: what the server and HTTP
//!   cost without a decision;
//! - `POST /v1/decide` with valid facts;
//! - `POST /v1/decide` with facts that do not decide (a misspelt value).
//!
//! Run with `cargo bench --bench serve` (it builds the release binary
//! first). Bounded: 4 connections, 3 s per endpoint, loopback only.

// A benchmark reports; it may unwrap what it prepared itself.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 4;
const DURATION: Duration = Duration::from_secs(3);

const VALID: &str = r#"{"partner": {"role": "reseller"}, "request": {"action": "invite"}}"#;
const INVALID: &str = r#"{"partner": {"role": "resellr"}, "request": {"action": "invite"}}"#;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let built = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet"])
        .current_dir(root)
        .status()
        .unwrap();
    assert!(built.success());
    let binary = root.join("target/release/verdict");
    let pinned = Command::new("taskset").arg("--version").output().is_ok();
    let mut server = if pinned {
        Command::new("taskset")
            .args(["-c", "0"])
            .arg(&binary)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    } else {
        Command::new(&binary)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut first = String::new();
    BufReader::new(server.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let address = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_string();
    if pinned {
        // This process on the other core.
        let _ = Command::new("taskset")
            .args(["-p", "-c", "1", &std::process::id().to_string()])
            .stdout(Stdio::null())
            .status();
    }
    println!(
        "verdict serve on {address}{}, {CONNECTIONS} keep-alive connections, {} s per endpoint",
        if pinned {
            " (server on core 0, load on core 1)"
        } else {
            ""
        },
        DURATION.as_secs()
    );
    println!("| endpoint | requests/s | median | p99 |");
    println!("|---|---:|---:|---:|");
    let trivial = run(&address, "GET", "/health/live", "", 200);
    report("GET /health/live", &trivial);
    let valid = run(&address, "POST", "/v1/decide", VALID, 200);
    report("POST /v1/decide, valid facts", &valid);
    let invalid = run(&address, "POST", "/v1/decide", INVALID, 422);
    report("POST /v1/decide, facts that do not decide", &invalid);
    println!();
    println!(
        "decide reaches {:.0} % of the trivial endpoint's requests per second; an invalid request costs {:.2}x a valid one (median latency)",
        100.0 * rate(&valid) / rate(&trivial),
        median(&invalid).as_secs_f64() / median(&valid).as_secs_f64()
    );
    let _ = server.kill();
    let _ = server.wait();
}

/// Every request's latency, over all connections.
struct Run {
    latencies: Vec<Duration>,
    elapsed: Duration,
}

fn run(address: &str, method: &str, path: &str, body: &str, expect: u16) -> Run {
    let start = Instant::now();
    let threads: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let address = address.to_string();
            let request = format!(
                "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            std::thread::spawn(move || {
                let stream = TcpStream::connect(&address).unwrap();
                stream.set_nodelay(true).unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                let mut latencies = Vec::new();
                let until = Instant::now() + DURATION;
                while Instant::now() < until {
                    let sent = Instant::now();
                    writer.write_all(request.as_bytes()).unwrap();
                    let status = read_response(&mut reader);
                    latencies.push(sent.elapsed());
                    assert_eq!(status, expect);
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    latencies.sort();
    Run {
        latencies,
        elapsed: start.elapsed(),
    }
}

/// Reads one response (headers, then `Content-Length` bytes); its status.
fn read_response(reader: &mut BufReader<TcpStream>) -> u16 {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let status = line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    status
}

fn rate(run: &Run) -> f64 {
    run.latencies.len() as f64 / run.elapsed.as_secs_f64()
}

fn median(run: &Run) -> Duration {
    run.latencies[run.latencies.len() / 2]
}

fn report(name: &str, run: &Run) {
    let p99 = run.latencies[run.latencies.len() * 99 / 100];
    println!(
        "| {name} | {:.0} | {:.0} µs | {:.0} µs |",
        rate(run),
        median(run).as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6
    );
}
