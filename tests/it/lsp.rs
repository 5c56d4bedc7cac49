//! `verdict lsp` end to end: the real binary, spoken to in JSON-RPC over
//! its stdin and stdout, on a copy of `tests/fixtures/lsp/` in a folder of
//! its own. The answers themselves are snapshotted in process by `ide`;
//! this checks that they reach a client, in its position encoding.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common;

/// How long a test waits for one message before it fails (a check is
/// milliseconds; this only bounds a hung server).
const PATIENCE: Duration = Duration::from_secs(60);

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_verdict"))
            .args(["lsp", "--stdio"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("verdict runs");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                reader.read_exact(&mut body).unwrap();
                let message: Value = serde_json::from_slice(&body).expect("JSON-RPC is JSON");
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            messages,
            next_id: 0,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its response (diagnostics that come
    /// meanwhile are kept for `diagnostics`).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let message = self.wait(|m| m["id"] == json!(id));
        assert!(message.get("error").is_none(), "{method} failed: {message}");
        message["result"].clone()
    }

    fn wait(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self
                .messages
                .recv_timeout(left)
                .expect("the server answers in time");
            if wanted(&message) {
                return message;
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let message = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        message["params"]["diagnostics"].as_array().unwrap().clone()
    }
}

fn uri(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}

#[test]
fn an_editor_session() {
    let dir = common::tempdir("lsp-session");
    for name in [
        "declarations.policy",
        "rules.policy",
        "returns.tests",
        "light-parcel.json",
    ] {
        std::fs::copy(format!("tests/fixtures/lsp/{name}"), dir.join(name)).unwrap();
    }
    let rules_path = dir.join("rules.policy");
    let rules_uri = uri(&rules_path);
    let rules = std::fs::read_to_string(&rules_path).unwrap();

    let mut client = Client::start();
    let init = client.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {
            "general": {"positionEncodings": ["utf-16"]}
        }}),
    );
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(init["serverInfo"]["name"], "verdict");
    client.notify("initialized", json!({}));

    // A typo after an umlaut in a comment: the column counts UTF-16 units.
    let broken = rules.replace("us cannot", "# Zürich\nuss cannot");
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": rules_uri, "languageId": "verdict", "version": 1, "text": broken}}),
    );
    let diagnostics = client.diagnostics(&rules_uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let problem = &diagnostics[0];
    assert_eq!(problem["code"], "verdict::unknown_word");
    assert_eq!(problem["severity"], 1);
    assert_eq!(
        problem["range"],
        json!({"start": {"line": 10, "character": 0}, "end": {"line": 10, "character": 3}})
    );
    assert!(problem["message"]
        .as_str()
        .unwrap()
        .contains("did you mean `us`?"));

    // The quick fix for it.
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": rules_uri}, "range": problem["range"], "context": {"diagnostics": [problem]}}),
    );
    assert_eq!(actions[0]["title"], "Replace `uss` with `us`");
    assert_eq!(
        actions[0]["edit"]["changes"][&rules_uri][0]["newText"],
        "us"
    );

    // An incremental edit fixes it: no diagnostics. A stale edit (an older
    // version) that would break it again is ignored.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": rules_uri, "version": 3}, "contentChanges": [
            {"range": problem["range"], "text": "us"}
        ]}),
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": rules_uri, "version": 2}, "contentChanges": [
            {"text": "policy returns\nnonsense nonsense\n"}
        ]}),
    );
    assert_eq!(client.diagnostics(&rules_uri), Vec::<Value>::new());

    // Hover on `weight`, declared in the other file.
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": rules_uri}, "position": {"line": 5, "character": 10}}),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("fact weight: number at parcel.weight"),
        "{text}"
    );

    // Formatting: nothing to do on a formatted file; fmt's layout as one
    // edit on a messy one.
    let format = json!({"textDocument": {"uri": rules_uri}, "options": {"tabSize": 2, "insertSpaces": true}});
    assert_eq!(
        client.request("textDocument/formatting", format.clone()),
        json!([])
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": rules_uri, "version": 4}, "contentChanges": [
            {"range": {"start": {"line": 10, "character": 2}, "end": {"line": 10, "character": 2}}, "text": "    "}
        ]}),
    );
    let edits = client.request("textDocument/formatting", format);
    assert_eq!(edits.as_array().unwrap().len(), 1);
    assert_eq!(
        edits[0]["newText"],
        rules.replace("us cannot", "# Zürich\nus cannot")
    );

    // After `->`, only decisions.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": rules_uri, "version": 5}, "contentChanges": [
            {"range": {"start": {"line": 13, "character": 0}, "end": {"line": 13, "character": 0}}, "text": "uk damaged -> "}
        ]}),
    );
    let items = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": rules_uri}, "position": {"line": 13, "character": 14}}),
    );
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["allow", "deny", "inspect", "refund-now"]);

    // Go to the definition of `nearby`, in the other file.
    let found = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": rules_uri}, "position": {"line": 2, "character": 17}}),
    );
    assert_eq!(found[0]["uri"], uri(&dir.join("declarations.policy")));
    assert_eq!(
        found[0]["range"]["start"],
        json!({"line": 17, "character": 4})
    );

    // Semantic tokens and symbols answer.
    let tokens = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": rules_uri}}),
    );
    assert!(tokens["data"].as_array().unwrap().len() > 50);
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": rules_uri}}),
    );
    assert_eq!(symbols[1]["name"], "when region in nearby");

    // A code lens per facts file beside the policy evaluates it, with the
    // policy as edited, and shows the decision.
    let lenses = client.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": rules_uri}}),
    );
    assert_eq!(lenses.as_array().unwrap().len(), 1, "{lenses}");
    let command = &lenses[0]["command"];
    assert_eq!(command["title"], "▶ Evaluate on light-parcel.json");
    let evaluate = json!({"command": command["command"], "arguments": command["arguments"]});
    // The half-written rule above keeps the policy from loading: said so.
    assert_eq!(
        client.request("workspace/executeCommand", evaluate.clone()),
        Value::Null
    );
    let shown = client.wait(|m| m["method"] == "window/showMessage");
    assert_eq!(shown["params"]["type"], 1);
    assert!(
        shown["params"]["message"]
            .as_str()
            .unwrap()
            .contains("do not load"),
        "{shown}"
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": rules_uri, "version": 6}, "contentChanges": [{"text": rules}]}),
    );
    let decisions = client.request("workspace/executeCommand", evaluate);
    assert_eq!(decisions[0]["decision"], "refund-now");
    let shown = client.wait(|m| m["method"] == "window/showMessage");
    assert_eq!(
        shown["params"]["message"],
        "light-parcel.json: returns decides refund-now (rule light, rules.policy:6): Light parcels are refunded at once."
    );

    // Shutdown and exit within a second (it takes a few milliseconds; the
    // second is the promise, generous even on a busy machine).
    let answer = client.request("shutdown", Value::Null);
    assert_eq!(answer, Value::Null);
    client.notify("exit", Value::Null);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = client.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "the server did not exit within a second"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(status.success(), "{status:?}");
}
