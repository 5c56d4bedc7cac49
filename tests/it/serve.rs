//! `verdict serve` over a real socket: the binary listens on 127.0.0.1 at a
//! port the system picks, and each test talks HTTP/1.1 to it. Waits are
//! bounded polls (the test fails past the bound), never assertions on time.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A running server, stopped (SIGTERM, then kill) when dropped.
struct Server {
    child: Child,
    address: String,
    log: std::sync::mpsc::Receiver<String>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_verdict"))
            .arg("serve")
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("verdict serve starts");
        // The first line names the address; the rest is the log, kept for
        // the tests that read it.
        let stderr = child.stderr.take().expect("stderr is piped");
        let (tx, log) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let first = log
            .recv_timeout(Duration::from_secs(60))
            .expect("the server says where it listens");
        let address = first
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .to_string();
        Server {
            child,
            address,
            log,
        }
    }

    /// One request; the status and the body.
    fn request(&self, method: &str, path: &str, body: &[u8]) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.address).expect("the server accepts");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout set");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.address,
            body.len()
        );
        stream.write_all(head.as_bytes()).expect("request written");
        // A server that refuses a body (too large) may answer and close
        // before it is all written: its answer is what the test reads.
        let _ = stream.write_all(body);
        let mut response = Vec::new();
        // A server that refuses a large body may close before reading it.
        let _ = stream.read_to_end(&mut response);
        let response = String::from_utf8_lossy(&response).into_owned();
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status in {response:?}"));
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_string())
            .unwrap_or_default();
        (status, dechunk(&body))
    }

    fn json(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        let (status, text) = self.request(method, path, body.as_bytes());
        let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text:?}"));
        (status, value)
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the server did not stop on SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A body sent as chunks (`Transfer-Encoding: chunked`), joined.
fn dechunk(body: &str) -> String {
    let looks_chunked = body
        .split_once("\r\n")
        .is_some_and(|(size, _)| !size.is_empty() && size.chars().all(|c| c.is_ascii_hexdigit()));
    if !looks_chunked {
        return body.to_string();
    }
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size, 16) else {
            break;
        };
        if size == 0 {
            break;
        }
        out.push_str(after.get(..size).unwrap_or(after));
        rest = after.get(size + 2..).unwrap_or("");
    }
    out
}

fn codes(document: &Value) -> Vec<String> {
    document["diagnostics"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|d| d["code"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

const INVITE: &str = r#"{"partner": {"role": "reseller"}, "request": {"action": "invite"}}"#;

#[test]
fn every_endpoint_answers() {
    let server = Server::start(&["--max-body", "4096"]);
    let revision = verdict::PolicySet::builtin().unwrap().revision();

    let (status, answer) = server.json("POST", "/v1/decide", INVITE);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["decisions"][0]["decision"], "deny");
    assert_eq!(answer["decisions"][0]["policy"], "multichannel");
    assert_eq!(answer["revision"], revision.as_str());
    let first_id = answer["decision_id"].as_str().unwrap().to_string();
    let (_, again) = server.json("POST", "/v1/decide", INVITE);
    assert_ne!(again["decision_id"].as_str().unwrap(), first_id);

    let (status, one) = server.json("POST", "/v1/decide/multichannel", INVITE);
    assert_eq!(
        (status, one["decisions"].as_array().unwrap().len()),
        (200, 1)
    );
    let (status, unknown) = server.json("POST", "/v1/decide/nope", INVITE);
    assert_eq!(status, 404);
    assert_eq!(codes(&unknown), ["verdict::serve::unknown_policy"]);

    // Malformed JSON, facts that do not decide, a body over the limit,
    // bytes that are not UTF-8: each a diagnostics document.
    let (status, malformed) = server.json("POST", "/v1/decide", r#"{"partner": "#);
    assert_eq!(
        (status, codes(&malformed)),
        (400, vec![String::from("verdict::facts::syntax")])
    );
    assert_eq!(malformed["diagnostics"][0]["labels"][0]["file"], "request");
    let (status, undecided) =
        server.json("POST", "/v1/decide", r#"{"partner": {"role": "resellr"}}"#);
    assert_eq!(status, 422, "{undecided}");
    assert!(codes(&undecided)
        .iter()
        .all(|c| c.starts_with("verdict::facts::")));
    let huge = format!(r#"{{"pad": "{}"}}"#, "x".repeat(10_000));
    let (status, too_large) = server.json("POST", "/v1/decide", &huge);
    assert_eq!(
        (status, codes(&too_large)),
        (413, vec![String::from("verdict::io::too_large")])
    );
    let (status, text) = server.request("POST", "/v1/decide", b"{\"a\": \"\xff\"}");
    assert_eq!(status, 400, "{text}");

    // A batch: one answer per line, in order, an error object for a bad line.
    let lines = format!("{INVITE}\n{{}}\n{INVITE}\n");
    let (status, batch) = server.request("POST", "/v1/batch", lines.as_bytes());
    assert_eq!(status, 200);
    let answers: Vec<Value> = batch
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 3, "{batch}");
    assert_eq!(answers[0]["decisions"][0]["decision"], "deny");
    assert_eq!(answers[1]["line"], 2);
    assert!(answers[1]["errors"].is_array());
    assert_eq!(answers[2]["line"], 3);

    // Validation without deciding: facts that fit every declaration, and
    // facts with a value of the wrong type (and required facts missing).
    let complete = verdict::testing::workloads::pack_combinations()[0].to_string();
    let (status, fits) = server.json("POST", "/v1/validate", &complete);
    assert_eq!(
        (status, &fits["valid"]),
        (200, &Value::Bool(true)),
        "{fits}"
    );
    assert_eq!(fits["revision"], revision.as_str());
    let (status, unfit) = server.json(
        "POST",
        "/v1/validate",
        r#"{"partner": {"role": "reseller", "designated_admin": "yes"}}"#,
    );
    assert_eq!(status, 422, "{unfit}");
    let found = codes(&unfit);
    assert!(
        found.contains(&String::from("verdict::facts::wrong_type")),
        "{unfit}"
    );
    assert!(
        found.contains(&String::from("verdict::facts::missing")),
        "{unfit}"
    );
    let (status, malformed) = server.json("POST", "/v1/validate", "[1]");
    assert_eq!(
        (status, codes(&malformed)),
        (400, vec![String::from("verdict::facts::not_object")])
    );

    let (status, metrics) = server.request("GET", "/metrics", b"");
    assert_eq!(status, 200);
    for expected in [
        "verdict_decisions_total{policy=\"multichannel\",decision=\"deny\"} ",
        "verdict_refused_total{status=\"422\"} 1",
        "verdict_refused_total{status=\"413\"} 1",
        "verdict_decision_seconds_bucket{le=\"+Inf\"} ",
        "verdict_batch_lines_total{result=\"error\"} 1",
        "verdict_reloads_total{result=\"failed\"} 0",
    ] {
        assert!(metrics.contains(expected), "{expected} in\n{metrics}");
    }
    assert!(metrics.contains(&format!(
        "verdict_revision_info{{revision=\"{revision}\"}} 1"
    )));

    let (status, policies) = server.json("GET", "/v1/policies", "");
    assert_eq!(status, 200);
    assert_eq!(policies["revision"], revision.as_str());
    assert_eq!(policies["policies"][0]["name"], "multichannel");
    assert_eq!(policies["policies"][0]["facts"], 6);
    let (status, schema) = server.json("GET", "/v1/schema", "");
    assert_eq!(status, 200);
    assert_eq!(
        schema,
        verdict::PolicySet::builtin().unwrap().facts_schema()
    );
    let (status, openapi) = server.json("GET", "/openapi.json", "");
    assert_eq!((status, &openapi["openapi"]), (200, &Value::from("3.1.0")));
    for path in [
        "/v1/decide",
        "/v1/decide/{policy}",
        "/v1/batch",
        "/v1/validate",
        "/v1/policies",
        "/v1/schema",
        "/v1/status",
        "/metrics",
        "/health/live",
        "/health/ready",
    ] {
        assert!(
            openapi["paths"][path].is_object(),
            "{path} is not in /openapi.json"
        );
    }
    assert_eq!(
        openapi["components"]["schemas"]["Facts"]["properties"],
        schema["properties"]
    );
    let (status, state) = server.json("GET", "/v1/status", "");
    assert_eq!((status, &state["ready"]), (200, &Value::Bool(true)));
    assert!(state["decisions"].as_u64().unwrap() >= 3);
    assert_eq!(server.request("GET", "/health/live", b"").0, 200);
    assert_eq!(server.request("GET", "/health/ready", b"").0, 200);
    let (status, missing) = server.json("GET", "/v2/nothing", "");
    assert_eq!(
        (status, codes(&missing)),
        (404, vec![String::from("verdict::serve::not_found")])
    );
}

fn tempdir(name: &str) -> PathBuf {
    crate::common::tempdir(&format!("serve-{name}"))
}

fn write(path: &Path, text: &str) {
    crate::common::write_replacing(path, text);
}

/// Polls `check` every 50 ms until it holds, for at most 20 s.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not happen within 20 s");
}

const DOORS: &str =
    "policy doors\nfact role: {staff guest} at user.role\nstaff can\nguest cannot\n";

#[test]
fn a_good_edit_is_served_and_a_broken_one_keeps_the_last_good_set() {
    let dir = tempdir("reload");
    let file = dir.join("doors.policy");
    write(&file, DOORS);
    let server = Server::start(&["--policies", dir.to_str().unwrap(), "--watch"]);
    let guest = r#"{"user": {"role": "guest"}}"#;
    let (status, before) = server.json("POST", "/v1/decide", guest);
    assert_eq!(
        (status, &before["decisions"][0]["decision"]),
        (200, &Value::from("deny"))
    );
    // Rule locations name the file alone, not the server's path to it.
    assert_eq!(before["decisions"][0]["rule"], "doors.policy:4");
    let first = before["revision"].clone();

    // A good edit: guests may enter now.
    write(&file, &DOORS.replace("guest cannot", "guest can"));
    eventually("the edit is served", || {
        assert_eq!(server.request("GET", "/health/ready", b"").0, 200);
        let (_, answer) = server.json("POST", "/v1/decide", guest);
        answer["decisions"][0]["decision"] == "allow"
    });
    let (_, after) = server.json("POST", "/v1/decide", guest);
    assert_ne!(after["revision"], first);

    // A broken edit: the set that worked keeps serving; the status says why.
    write(&file, &DOORS.replace("guest cannot", "guest cann"));
    eventually("the failed reload is shown", || {
        let (_, state) = server.json("GET", "/v1/status", "");
        !state["failed_reload"].is_null()
    });
    let (_, state) = server.json("GET", "/v1/status", "");
    assert_eq!(state["revision"], after["revision"]);
    assert_eq!(
        state["failed_reload"]["diagnostics"]["diagnostics"][0]["code"],
        "verdict::syntax"
    );
    assert_eq!(
        state["failed_reload"]["diagnostics"]["diagnostics"][0]["labels"][0]["file"],
        "doors.policy"
    );
    let (status, still) = server.json("POST", "/v1/decide", guest);
    assert_eq!(
        (status, &still["decisions"][0]["decision"]),
        (200, &Value::from("allow"))
    );
    assert_eq!(server.request("GET", "/health/ready", b"").0, 200);
    // The log says so too.
    let logged: Vec<String> = server.log.try_iter().collect();
    assert!(
        logged
            .iter()
            .any(|l| l.contains("still serving the last good ones")),
        "{logged:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    // At once, as soon as it says where it listens: the handler is in
    // place by then (a signal before it would kill the process instead).
    let mut server = Server::start(&[]);
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    let mut server = Server::start(&[]);
    assert_eq!(server.request("GET", "/health/live", b"").0, 200);
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
}

#[test]
fn policies_that_do_not_load_are_not_served() {
    let dir = tempdir("broken");
    write(&dir.join("doors.policy"), "policy doors\nstaff cann\n");
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--policies",
            dir.to_str().unwrap(),
        ])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("verdict::"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--decision-log FILE`: a line of JSON per decision, with the id and
/// revision the client got, the rule and the facts read, a `sensitive`
/// fact's value masked; every line is in the file once the server stops.
#[test]
fn the_decision_log_has_every_decision_with_sensitive_facts_masked() {
    let dir = tempdir("decision-log");
    write(
        &dir.join("pay.policy"),
        "policy pay\nfirst match\nfact role: {staff contractor} at person.role\nfact salary: number at person.salary sensitive\ncontractor cannot\nsalary > 5000 cannot\nstaff can\n",
    );
    let log = dir.join("decisions.ndjson");
    let mut server = Server::start(&[
        "--policies",
        dir.to_str().unwrap(),
        "--decision-log",
        log.to_str().unwrap(),
    ]);
    let facts = r#"{"person": {"role": "staff", "salary": 7200}}"#;
    let (status, first) = server.json("POST", "/v1/decide", facts);
    assert_eq!(status, 200, "{first}");
    // The answer has no trace: the log has the facts.
    assert!(first["decisions"][0].get("trace").is_none(), "{first}");
    let (_, second) = server.json(
        "POST",
        "/v1/decide",
        r#"{"person": {"role": "contractor"}}"#,
    );
    let (status, _) = server.json("POST", "/v1/decide", "{}");
    assert_eq!(status, 422, "a refused request is no decision");
    // A batch's lines are logged as `BATCH.LINE`; a line that does not
    // decide is not.
    let lines = format!("{{}}\n{facts}\n");
    let (status, _) = server.request("POST", "/v1/batch", lines.as_bytes());
    assert_eq!(status, 200);
    assert!(server.terminate().success());

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    let batch_line = lines[2]["decision_id"].as_str().unwrap();
    assert!(batch_line.ends_with("-b0.2"), "{batch_line}");
    assert_eq!(lines[2]["facts"], lines[0]["facts"]);
    assert_eq!(lines[0]["decision_id"], first["decision_id"]);
    assert_eq!(lines[0]["revision"], first["revision"]);
    assert_eq!(lines[1]["decision_id"], second["decision_id"]);
    assert_eq!(lines[0]["policy"], "pay");
    assert_eq!(lines[0]["decision"], "deny");
    assert_eq!(lines[0]["rule"], "pay.policy:6");
    assert!(lines[0]["time"].as_str().unwrap().ends_with('Z'));
    let read: Vec<(&str, &Value)> = lines[0]["facts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["fact"].as_str().unwrap(), &f["value"]))
        .collect();
    assert!(read.contains(&("role", &Value::from("staff"))), "{read:?}");
    assert!(
        read.contains(&("salary", &Value::from("[masked]"))),
        "{read:?}"
    );
    // The masked value is nowhere in the log; a line's time and decision
    // id are left out of the search, since their digits could hold it.
    let without_ids: Vec<Value> = lines
        .iter()
        .map(|line| {
            let mut line = line.clone();
            if let Some(fields) = line.as_object_mut() {
                fields.remove("time");
                fields.remove("decision_id");
                fields.remove("revision");
            }
            line
        })
        .collect();
    let searched = serde_json::to_string(&without_ids).unwrap();
    assert!(!searched.contains("7200"), "{text}");
    assert!(!searched.contains("> 5000"), "{text}");
}

/// `--timeout`: a request whose body never arrives in full is answered
/// 408 once the time is up, and the server serves on.
#[test]
fn a_request_too_slow_is_answered_408() {
    let server = Server::start(&["--timeout", "1"]);
    let mut stream = TcpStream::connect(&server.address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "POST /v1/decide HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{{\"partner\"",
        server.address
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("verdict::serve::timeout"), "{response}");
    assert_eq!(server.request("GET", "/health/live", b"").0, 200);
}

/// `POST /v1/batch` streams: each line sent is answered before the next
/// is sent, while the request body is still open (chunked both ways).
#[test]
fn a_batch_is_answered_line_by_line_as_it_arrives() {
    let server = Server::start(&[]);
    let stream = TcpStream::connect(&server.address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let head = format!(
        "POST /v1/batch HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        server.address
    );
    writer.write_all(head.as_bytes()).unwrap();
    let mut send_chunk = |text: &str| {
        let chunk = format!("{:x}\r\n{text}\r\n", text.len());
        writer.write_all(chunk.as_bytes()).unwrap();
        writer.flush().unwrap();
    };
    // The next line of the answer: chunks are read until one ends a line.
    let mut pending = String::new();
    let mut headers_read = false;
    let mut next_line = |reader: &mut BufReader<TcpStream>| -> String {
        if !headers_read {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            assert!(line.starts_with("HTTP/1.1 200"), "{line}");
            while line != "\r\n" {
                line.clear();
                reader.read_line(&mut line).unwrap();
            }
            headers_read = true;
        }
        loop {
            if let Some(end) = pending.find('\n') {
                let line: String = pending.drain(..=end).collect();
                return line;
            }
            let mut size = String::new();
            reader.read_line(&mut size).unwrap();
            let size = usize::from_str_radix(size.trim(), 16).unwrap();
            assert!(size > 0, "the answer ended early");
            let mut data = vec![0; size + 2];
            reader.read_exact(&mut data).unwrap();
            pending.push_str(std::str::from_utf8(&data[..size]).unwrap());
        }
    };
    for expected in ["deny", "error", "deny"] {
        let line = if expected == "error" {
            "{}\n".to_string()
        } else {
            format!("{INVITE}\n")
        };
        send_chunk(&line);
        let answer: Value = serde_json::from_str(&next_line(&mut reader)).unwrap();
        if expected == "error" {
            assert!(answer["errors"].is_array(), "{answer}");
        } else {
            assert_eq!(answer["decisions"][0]["decision"], expected, "{answer}");
        }
    }
    writer.write_all(b"0\r\n\r\n").unwrap();
}
