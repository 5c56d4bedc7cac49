//! `verdict serve`: decisions over HTTP (axum on tokio), with the policies
//! reloaded when their files change (`--watch`). A reload swaps in the new
//! set only once it has loaded without errors; a failed one keeps the last
//! good set serving and is shown in `GET /v1/status` and on stderr.
//!
//! Every answer is JSON. Decisions have the shape of `eval --format json`
//! plus the `revision` of the policies that made them and a `decision_id`;
//! errors are the diagnostics document of `check --format json`, with an
//! HTTP status by kind (400 malformed JSON, 413 a body over the limit, 422
//! facts that do not decide, 404 an unknown policy or path).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use verdict::{Limits, PolicySet, Report, TreeBuild};

use super::print_report;

#[derive(clap::Args)]
pub struct Args {
    /// A `.policy` file or a directory of them [default: the current folder's
    /// `*.policy` files, or the built-in multichannel pack if it has none]
    #[arg(long, value_name = "PATH")]
    policies: Option<PathBuf>,
    /// The address to listen on (port 0: any free port, printed at start)
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8484")]
    addr: SocketAddr,
    /// Reload the policies when their files change (not the built-in pack, which does not change)
    #[arg(long)]
    watch: bool,
    /// The largest request body, in bytes (a batch streams: each of its
    /// lines is within the facts limit instead)
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    max_body: usize,
    /// Append a line of JSON per decision to FILE (`-`: standard output):
    /// its id, time, revision, policy, decision, rule and the facts it
    /// read, `sensitive` ones masked
    #[arg(long, value_name = "FILE")]
    decision_log: Option<PathBuf>,
    /// The longest reading a request and answering it may take, in
    /// seconds, before it is answered 408
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    timeout: u64,
}

/// The set serving and its revision.
type Served = verdict::Snapshot;

/// What a failed reload left behind.
#[derive(Clone, Serialize)]
struct FailedReload {
    /// The revision of the files that failed to load.
    at: String,
    diagnostics: verdict::ReportData,
}

struct Shared {
    /// The policies: loaded, reloaded and watched by the library's engine.
    engine: verdict::Engine,
    decisions: AtomicU64,
    metrics: Metrics,
    /// Makes decision ids unique across runs: the start time.
    seed: u64,
    /// Where decisions are logged, if anywhere.
    log: Option<DecisionLog>,
    /// Batches taken, to name each in the decision log.
    batches: AtomicU64,
}

/// The decision log: lines go to a writer thread, which flushes whenever
/// none waits, so that a line is on disk promptly and a busy server still
/// writes in large blocks. The channel is bounded: a log that cannot keep
/// up slows decisions down rather than lose lines.
struct DecisionLog {
    lines: std::sync::mpsc::SyncSender<String>,
}

impl DecisionLog {
    /// Opens `path` for appending (`-`: standard output) and starts the
    /// writer; the thread ends, flushed, once every sender is gone.
    fn open(path: &std::path::Path) -> std::io::Result<(DecisionLog, std::thread::JoinHandle<()>)> {
        use std::io::Write as _;
        let out: Box<dyn std::io::Write + Send> = if path.as_os_str() == "-" {
            Box::new(std::io::stdout())
        } else {
            Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            )
        };
        let (lines, rx) = std::sync::mpsc::sync_channel::<String>(4096);
        let thread = std::thread::Builder::new()
            .name(String::from("verdict-decision-log"))
            .spawn(move || {
                let mut out = std::io::BufWriter::new(out);
                let mut broken = false;
                while let Ok(line) = rx.recv() {
                    let mut next = Some(line);
                    while let Some(line) = next {
                        if !broken && writeln!(out, "{line}").is_err() {
                            broken = true;
                            errln!("verdict serve: the decision log cannot be written; decisions go on unlogged");
                        }
                        next = rx.try_recv().ok();
                    }
                    if !broken && out.flush().is_err() {
                        broken = true;
                        errln!("verdict serve: the decision log cannot be written; decisions go on unlogged");
                    }
                }
                let _ = out.flush();
            })?;
        Ok((DecisionLog { lines }, thread))
    }

    /// Logs each decision of one request: its facts read, masked where
    /// `sensitive`.
    fn write(&self, decision_id: &str, revision: &str, decisions: &[verdict::Decision]) {
        let time = verdict::Timestamp::now().to_string();
        for decision in decisions {
            let facts: Vec<verdict::explain::FactRead> = decision
                .trace
                .iter()
                .flatten()
                .map(verdict::explain::FactRead::masked)
                .collect();
            let record = serde_json::json!({
                "decision_id": decision_id,
                "time": time,
                "revision": revision,
                "policy": decision.policy,
                "decision": decision.decision,
                "rule": decision.rule,
                "rule_name": decision.rule_name,
                "facts": facts,
            });
            let _ = self.lines.send(record.to_string());
        }
    }
}

type AppState = Arc<Shared>;

pub fn run(mut args: Args) -> ExitCode {
    // Said once the server says where it listens: that stays its first line.
    let said;
    (args.policies, said) = super::policies_source(args.policies.as_ref());
    if args.watch && args.policies.is_none() {
        return super::usage_error(
            "serve",
            "`--watch` watches policy files, and the built-in pack has none: name them with `--policies PATH`, or run in their folder",
        );
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            errln!("verdict serve: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(serve(args, said))
}

/// Loads the policies into an engine: a directory's files named relative
/// to it, so that nothing of the server's file system reaches a client;
/// the trees are built in the background while the rule scan already
/// decides.
fn load(path: Option<&PathBuf>) -> Result<verdict::Engine, Report> {
    let limits = Limits {
        tree_build: TreeBuild::InBackground,
        ..Limits::default()
    };
    match path {
        Some(path) => verdict::Engine::load(path, &limits),
        None => PolicySet::builtin_with(&limits).map(verdict::Engine::from_policies),
    }
}

async fn serve(args: Args, said: Option<String>) -> ExitCode {
    let engine = match load(args.policies.as_ref()) {
        Ok(engine) => engine,
        Err(report) => {
            print_report(&report);
            return ExitCode::from(1);
        }
    };
    engine.on_reload(log_reload);
    let revision = engine.revision();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let (log, log_writer) = match args.decision_log.as_deref().map(DecisionLog::open) {
        None => (None, None),
        Some(Ok((log, writer))) => (Some(log), Some(writer)),
        Some(Err(e)) => {
            let path = args
                .decision_log
                .as_deref()
                .unwrap_or(std::path::Path::new("-"));
            errln!(
                "verdict serve: cannot open the decision log `{}`: {e}",
                path.display()
            );
            return ExitCode::from(1);
        }
    };
    let state = Arc::new(Shared {
        engine,
        decisions: AtomicU64::new(0),
        metrics: Metrics::default(),
        seed,
        log,
        batches: AtomicU64::new(0),
    });
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(e) => {
            errln!("verdict serve: cannot listen on {}: {e}", args.addr);
            return ExitCode::from(1);
        }
    };
    let address = listener
        .local_addr()
        .map_or_else(|_| args.addr.to_string(), |a| a.to_string());
    // Kept alive for as long as the server runs.
    let _watcher = if args.watch {
        match state.engine.watch(Duration::from_millis(200)) {
            Ok(watcher) => Some(watcher),
            Err(report) => {
                print_report(&report);
                return ExitCode::from(1);
            }
        }
    } else {
        None
    };
    let stop = match shutdown() {
        Ok(stop) => stop,
        Err(e) => {
            errln!("verdict serve: cannot handle signals: {e}");
            return ExitCode::from(1);
        }
    };
    errln!("verdict serve: listening on http://{address} (revision {revision})");
    if let Some(said) = said {
        errln!("verdict serve: {said}");
    }
    let app = router(state, args.max_body, Duration::from_secs(args.timeout));
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await;
    // Every request is answered and the router dropped: the log's writer
    // has its last lines, and ends once it has written them.
    if let Some(writer) = log_writer {
        let _ = writer.join();
    }
    match served {
        Ok(()) => {
            errln!("verdict serve: stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!("verdict serve: {e}");
            ExitCode::from(1)
        }
    }
}

/// Resolves on SIGINT or SIGTERM: the server then stops taking
/// connections and finishes the requests in flight. The handlers are
/// installed when this is called, before the server listens, so that a
/// signal that comes early is not the default one that kills the process.
fn shutdown() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = terminate.recv() => {},
                _ = interrupt.recv() => {},
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

fn router(state: AppState, max_body: usize, timeout: Duration) -> Router {
    // The time to read a request and answer it: a client that sends its
    // body too slowly is answered 408 and the connection freed. (A
    // decision itself takes microseconds and is not cut short.)
    let deadline = axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| async move {
            match tokio::time::timeout(timeout, next.run(request)).await {
                Ok(response) => response,
                Err(_) => plain_error(
                    StatusCode::REQUEST_TIMEOUT,
                    "verdict::serve::timeout",
                    format!(
                        "the request was not read and answered within {} s",
                        timeout.as_secs_f64()
                    ),
                    "send the whole request at once; `verdict serve --timeout` sets the limit",
                ),
            }
        },
    );
    Router::new()
        .route("/v1/decide", post(decide_all))
        .route("/v1/decide/{policy}", post(decide_one))
        .route("/v1/batch", post(batch))
        .route("/v1/validate", post(validate))
        .route("/v1/policies", get(policies))
        .route("/v1/schema", get(schema))
        .route("/openapi.json", get(openapi))
        .route("/metrics", get(metrics))
        .route("/v1/status", get(status))
        .route("/health/live", get(|| async { "ok\n" }))
        .route("/health/ready", get(ready))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(deadline)
        .with_state(state)
}

/// The set serving now (a reference count; the lock is held only to copy it).
fn current(state: &Shared) -> Option<Arc<Served>> {
    Some(state.engine.snapshot())
}

#[derive(Serialize)]
struct Decided<'a> {
    decisions: Vec<verdict::Decision>,
    revision: &'a str,
    decision_id: String,
}

async fn decide_all(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    decide(&state, body, None)
}

async fn decide_one(
    State(state): State<AppState>,
    Path(policy): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    decide(&state, body, Some(&policy))
}

fn decide(state: &Shared, body: Result<Bytes, BytesRejection>, policy: Option<&str>) -> Response {
    let start = std::time::Instant::now();
    let response = decide_timed(state, body, policy);
    state.metrics.observe(start.elapsed(), response.status());
    response
}

fn decide_timed(
    state: &Shared,
    body: Result<Bytes, BytesRejection>,
    policy: Option<&str>,
) -> Response {
    let Some(served) = current(state) else {
        return not_ready();
    };
    if let Some(name) = policy {
        if !served.policies.policies().any(|p| p.name() == name) {
            let names: Vec<String> = served
                .policies
                .policies()
                .map(|p| format!("`{}`", p.name()))
                .collect();
            return plain_error(
                StatusCode::NOT_FOUND,
                "verdict::serve::unknown_policy",
                format!("no policy is named `{name}`"),
                &format!("the policies are {}", names.join(", ")),
            );
        }
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_error(rejection),
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return not_utf8();
    };
    // A logged decision records the facts it read: the trace has them.
    let decided = match &state.log {
        None => served
            .policies
            .decide_json("request", text)
            .map(|decisions| decisions.iter().map(|d| d.into_owned()).collect()),
        Some(_) => served.policies.trace_json("request", text),
    };
    match decided {
        Ok(decisions) => {
            let mut decisions: Vec<verdict::Decision> = decisions
                .into_iter()
                .filter(|d| policy.is_none_or(|name| d.policy == name))
                .collect();
            state.metrics.decided(&decisions);
            let number = state.decisions.fetch_add(1, Ordering::Relaxed);
            let decision_id = format!("{:016x}-{number:x}", state.seed);
            if let Some(log) = &state.log {
                log.write(&decision_id, &served.revision, &decisions);
                for decision in &mut decisions {
                    decision.trace = None;
                }
            }
            let answer = Decided {
                decisions,
                revision: &served.revision,
                decision_id,
            };
            json(StatusCode::OK, &answer)
        }
        Err(report) => refused(&report),
    }
}

/// The answer to a body that is not UTF-8 text.
fn not_utf8() -> Response {
    plain_error(
        StatusCode::BAD_REQUEST,
        "verdict::io::not_utf8",
        String::from("the request body is not UTF-8 text"),
        "send the facts as JSON, which is UTF-8",
    )
}

/// The answer to a body that could not be read: too large, or cut off.
fn body_error(rejection: BytesRejection) -> Response {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return plain_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "verdict::io::too_large",
            String::from("the request body is larger than this server takes"),
            "send only the facts the policies read; `verdict serve --max-body` raises the limit",
        );
    }
    plain_error(
        rejection.status(),
        "verdict::serve::body",
        rejection.body_text(),
        "send the facts as one JSON object in the request body",
    )
}

/// The HTTP status of a report about a request's facts, by its kind: 400
/// when the body is not a JSON object verdict reads, 413 when it is too
/// large, 422 when the facts do not decide.
fn status_of(report: &verdict::Report) -> StatusCode {
    match report.kind() {
        Some(verdict::ErrorKind::TooLarge) => StatusCode::PAYLOAD_TOO_LARGE,
        Some(verdict::ErrorKind::MalformedFacts | verdict::ErrorKind::Io) => {
            StatusCode::BAD_REQUEST
        }
        Some(verdict::ErrorKind::Internal) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// The answer to facts refused: the report as data, with its status.
fn refused(report: &verdict::Report) -> Response {
    json(status_of(report), &report.data())
}

/// `POST /v1/validate`: whether the facts fit what the policies declare
/// (`PolicySet::validate_json`), without deciding: 200 with the revision,
/// or the diagnostics as a refused decision has them.
async fn validate(State(state): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
    let Some(served) = current(&state) else {
        return not_ready();
    };
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_error(rejection),
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return not_utf8();
    };
    match served.policies.validate_json("request", text) {
        Ok(()) => json(
            StatusCode::OK,
            &serde_json::json!({"valid": true, "revision": served.revision}),
        ),
        Err(report) => refused(&report),
    }
}

/// `POST /v1/batch`: one facts object per line in, one JSON object per
/// line out, in order (an error object for a line that does not decide),
/// as `eval --ndjson` writes them, streamed both ways: each line is
/// answered as soon as it has arrived and been decided, while the rest of
/// the body is still coming, and a batch has no size limit (each line is
/// within the facts limit).
async fn batch(State(state): State<AppState>, body: axum::body::Body) -> Response {
    use futures_util::StreamExt as _;
    let Some(served) = current(&state) else {
        return not_ready();
    };
    // The body's frames, handed to the batch's reader on its own thread.
    let (frames_tx, frames_rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(16);
    let mut frames = body.into_data_stream();
    tokio::spawn(async move {
        while let Some(frame) = frames.next().await {
            let frame = frame.map_err(std::io::Error::other);
            let failed = frame.is_err();
            if frames_tx.send(frame).await.is_err() || failed {
                break;
            }
        }
    });
    // The answers, each block as the batch writes it.
    let (answers_tx, answers_rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    // Its lines' decisions are logged as `BATCH.LINE`: the batch's id goes
    // back in a header.
    let batch_id = format!(
        "{:016x}-b{:x}",
        state.seed,
        state.batches.fetch_add(1, Ordering::Relaxed)
    );
    let logged = batch_id.clone();
    let counts = Arc::clone(&state);
    tokio::task::spawn_blocking(move || {
        let input = std::io::BufReader::new(FrameReader::new(frames_rx));
        // Dropped last: the answer ends only once the counts are in, so
        // that a client that reads `/metrics` next sees its batch there.
        let mut output = AnswerWriter {
            answers: answers_tx,
        };
        let policies = &served.policies;
        // A logged line is decided again with a trace, for the facts read.
        let log_line = |number: u64, text: &str| {
            if let (Some(log), Ok(decisions)) = (&counts.log, policies.trace_json("line", text)) {
                log.write(&format!("{logged}.{number}"), &served.revision, &decisions);
            }
        };
        let observer: &(dyn Fn(u64, &str) + Sync) = if counts.log.is_some() {
            &log_line
        } else {
            &|_, _| {}
        };
        let answered = verdict::batch::run_observed(policies, input, &mut output, |_| {}, observer);
        if let Ok(summary) = answered {
            counts
                .decisions
                .fetch_add(summary.lines - summary.errors, Ordering::Relaxed);
            let metrics = &counts.metrics;
            metrics
                .batch_lines
                .fetch_add(summary.lines, Ordering::Relaxed);
            metrics
                .batch_errors
                .fetch_add(summary.errors, Ordering::Relaxed);
        }
        drop(output);
    });
    let answers = futures_util::stream::unfold(answers_rx, |mut answers| async move {
        let block = answers.recv().await?;
        Some((Ok::<Bytes, std::io::Error>(block), answers))
    });
    (
        StatusCode::OK,
        [
            (axum::http::header::CONTENT_TYPE, "application/x-ndjson"),
            (
                axum::http::header::HeaderName::from_static("verdict-batch-id"),
                batch_id.as_str(),
            ),
        ],
        axum::body::Body::from_stream(answers),
    )
        .into_response()
}

/// A request body's frames as a reader, for the batch's reader thread:
/// blocks until the next frame arrives; the end of the body is the end.
struct FrameReader {
    frames: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
    current: Bytes,
}

impl FrameReader {
    fn new(frames: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>) -> FrameReader {
        FrameReader {
            frames,
            current: Bytes::new(),
        }
    }
}

impl std::io::Read for FrameReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.frames.blocking_recv() {
                Some(frame) => self.current = frame?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        let taken = self.current.split_to(n);
        if let Some(into) = buf.get_mut(..n) {
            into.copy_from_slice(&taken);
        }
        Ok(n)
    }
}

/// The batch's output as the response body: each write is sent on as it
/// is; a client gone is a broken pipe, which ends the batch.
struct AnswerWriter {
    answers: tokio::sync::mpsc::Sender<Bytes>,
}

impl std::io::Write for AnswerWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.answers
            .blocking_send(Bytes::copy_from_slice(buf))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `GET /v1/schema`: the JSON Schema of the facts the policies read.
async fn schema(State(state): State<AppState>) -> Response {
    match current(&state) {
        Some(served) => json(StatusCode::OK, &served.policies.facts_schema()),
        None => not_ready(),
    }
}

/// `GET /openapi.json`: every endpoint, with the facts' schema as the
/// body of the decision requests.
async fn openapi(State(state): State<AppState>) -> Response {
    let Some(served) = current(&state) else {
        return not_ready();
    };
    let mut facts = served.policies.facts_schema();
    if let Some(object) = facts.as_object_mut() {
        // OpenAPI 3.1 takes JSON Schema 2020-12 as its own dialect.
        object.remove("$schema");
    }
    let diagnostics = serde_json::json!({
        "description": "the diagnostics document of `verdict check --format json`",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Diagnostics"}}}
    });
    let decided = serde_json::json!({
        "description": "the decisions, with the revision of the policies that made them",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Decided"}}}
    });
    let facts_body = serde_json::json!({
        "required": true,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Facts"}}}
    });
    let document = serde_json::json!({
        "openapi": "3.1.0",
        "info": {
            "title": "verdict serve",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!("Decisions of the policies at revision {}.", served.revision),
        },
        "paths": {
            "/v1/decide": {"post": {
                "summary": "Decide for one facts object, with every policy",
                "requestBody": facts_body,
                "responses": {
                    "200": decided,
                    "400": diagnostics, "413": diagnostics, "422": diagnostics
                }
            }},
            "/v1/decide/{policy}": {"post": {
                "summary": "Decide for one facts object, with one policy",
                "parameters": [{"name": "policy", "in": "path", "required": true, "schema": {"type": "string"}}],
                "requestBody": facts_body,
                "responses": {
                    "200": decided,
                    "400": diagnostics, "404": diagnostics, "413": diagnostics, "422": diagnostics
                }
            }},
            "/v1/validate": {"post": {
                "summary": "Whether one facts object fits what the policies declare (types, values, required facts), without deciding",
                "requestBody": facts_body,
                "responses": {
                    "200": {"description": "the facts fit",
                            "content": {"application/json": {"schema": {
                                "type": "object",
                                "properties": {"valid": {"const": true}, "revision": {"type": "string"}}}}}},
                    "400": diagnostics, "413": diagnostics, "422": diagnostics
                }
            }},
            "/v1/batch": {"post": {
                "summary": "Decide for one facts object per line; one JSON object per line out, in order",
                "requestBody": {"required": true, "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
                "responses": {
                    "200": {"description": "one decision or error object per input line, each streamed as its line is decided",
                            "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}
                }
            }},
            "/v1/policies": {"get": {"summary": "The policies served, with their sizes",
                "responses": {"200": {"description": "the revision and each policy's name, rule and fact counts and tree size"}}}},
            "/v1/schema": {"get": {"summary": "The JSON Schema of the facts",
                "responses": {"200": {"description": "a JSON Schema (draft 2020-12)"}}}},
            "/v1/status": {"get": {"summary": "Readiness, revision, reloads and the last failed reload",
                "responses": {"200": {"description": "the server's status"}}}},
            "/metrics": {"get": {"summary": "Counters and the latency histogram, in Prometheus text",
                "responses": {"200": {"description": "Prometheus text exposition format",
                    "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
            "/health/live": {"get": {"summary": "Whether the process runs", "responses": {"200": {"description": "ok"}}}},
            "/health/ready": {"get": {"summary": "Whether a policy set serves",
                "responses": {"200": {"description": "ready"}, "503": diagnostics}}},
            "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}}
        },
        "components": {"schemas": {
            "Facts": facts,
            "Decided": {
                "type": "object",
                "required": ["decisions", "revision", "decision_id"],
                "properties": {
                    "decisions": {"type": "array", "items": {
                        "type": "object",
                        "required": ["policy", "decision", "rule", "reason", "see"],
                        "properties": {
                            "policy": {"type": "string"},
                            "decision": {"type": "string"},
                            "rule": {"type": ["string", "null"], "description": "`file:line` of the rule that decided; null for the policy's `otherwise`"},
                            "rule_name": {"type": "string"},
                            "reason": {"type": ["string", "null"]},
                            "see": {"type": "array", "items": {"type": "string"}}
                        }
                    }},
                    "revision": {"type": "string", "description": "a content hash of the policy files"},
                    "decision_id": {"type": "string"}
                }
            },
            "Diagnostics": {
                "type": "object",
                "required": ["diagnostics", "errors", "warnings", "notes", "column_unit"],
                "properties": {
                    "diagnostics": {"type": "array", "items": {
                        "type": "object",
                        "required": ["code", "severity", "message", "labels"],
                        "properties": {
                            "code": {"type": ["string", "null"]},
                            "severity": {"enum": ["error", "warning", "note"]},
                            "message": {"type": "string"},
                            "help": {"type": ["string", "null"]},
                            "labels": {"type": "array", "items": {"type": "object", "properties": {
                                "file": {"type": "string"},
                                "line": {"type": "integer"}, "column": {"type": "integer"},
                                "end_line": {"type": "integer"}, "end_column": {"type": "integer"},
                                "span": {"type": "object", "properties": {"start": {"type": "integer"}, "end": {"type": "integer"}}},
                                "message": {"type": ["string", "null"]},
                                "primary": {"type": "boolean"}
                            }}}
                        }
                    }},
                    "errors": {"type": "integer"}, "warnings": {"type": "integer"}, "notes": {"type": "integer"},
                    "column_unit": {"const": "character"}
                }
            }
        }}
    });
    json(StatusCode::OK, &document)
}

#[derive(Serialize)]
struct PolicyEntry<'a> {
    name: &'a str,
    rules: usize,
    facts: usize,
    /// `null` while the tree is built, or for a policy decided by rule scan.
    tree: Option<TreeEntry>,
}

#[derive(Serialize)]
struct TreeEntry {
    nodes: usize,
    depth: usize,
}

#[derive(Serialize)]
struct PolicyList<'a> {
    revision: &'a str,
    trees_built: bool,
    policies: Vec<PolicyEntry<'a>>,
}

async fn policies(State(state): State<AppState>) -> Response {
    let Some(served) = current(&state) else {
        return not_ready();
    };
    let list = PolicyList {
        revision: &served.revision,
        trees_built: served.policies.trees_built(),
        policies: served
            .policies
            .policies()
            .map(|p| PolicyEntry {
                name: p.name(),
                rules: p.rules().len(),
                facts: p.facts().len(),
                tree: p.tree().map(|t| TreeEntry {
                    nodes: t.nodes,
                    depth: t.depth,
                }),
            })
            .collect(),
    };
    json(StatusCode::OK, &list)
}

#[derive(Serialize)]
struct Status<'a> {
    ready: bool,
    revision: Option<&'a str>,
    /// Where the policies are read from (`null`: the built-in pack).
    policies: Option<String>,
    reloads: u64,
    decisions: u64,
    /// The last reload that failed since the last one that worked.
    failed_reload: Option<FailedReload>,
}

/// Counters for `GET /metrics`.
#[derive(Default)]
struct Metrics {
    /// Decisions by (policy, decision).
    decided: Mutex<std::collections::BTreeMap<(String, String), u64>>,
    /// Refused requests by HTTP status.
    refused: Mutex<std::collections::BTreeMap<u16, u64>>,
    /// Decision latency: a count per bucket of [`LATENCY_BUCKETS`], then
    /// the count past the last, the sum in nanoseconds, and the count.
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
    count: AtomicU64,
    /// Lines of `POST /v1/batch` answered, and of them errors.
    batch_lines: AtomicU64,
    batch_errors: AtomicU64,
}

/// The latency histogram's upper bounds, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.05, 0.25, 1.0,
];

impl Metrics {
    fn observe(&self, elapsed: Duration, status: StatusCode) {
        let seconds = elapsed.as_secs_f64();
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        if let Some(count) = self.buckets.get(bucket) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        if !status.is_success() {
            if let Ok(mut refused) = self.refused.lock() {
                *refused.entry(status.as_u16()).or_default() += 1;
            }
        }
    }

    fn decided(&self, decisions: &[verdict::Decision]) {
        if let Ok(mut decided) = self.decided.lock() {
            for d in decisions {
                *decided
                    .entry((d.policy.clone(), d.decision.clone()))
                    .or_default() += 1;
            }
        }
    }
}

/// A Prometheus label value: `\`, `"` and line breaks escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `GET /metrics`: Prometheus's text format.
async fn metrics(State(state): State<AppState>) -> Response {
    use std::fmt::Write as _;
    let metrics = &state.metrics;
    let mut out = String::new();
    out.push_str("# HELP verdict_decisions_total Decisions made, by policy and decision.\n");
    out.push_str("# TYPE verdict_decisions_total counter\n");
    if let Ok(decided) = metrics.decided.lock() {
        for ((policy, decision), count) in decided.iter() {
            let _ = writeln!(
                out,
                "verdict_decisions_total{{policy=\"{}\",decision=\"{}\"}} {count}",
                label(policy),
                label(decision)
            );
        }
    }
    out.push_str(
        "# HELP verdict_refused_total Decision requests answered with an error, by HTTP status.\n",
    );
    out.push_str("# TYPE verdict_refused_total counter\n");
    if let Ok(refused) = metrics.refused.lock() {
        for (status, count) in refused.iter() {
            let _ = writeln!(out, "verdict_refused_total{{status=\"{status}\"}} {count}");
        }
    }
    out.push_str("# HELP verdict_decision_seconds Time to answer a decision request.\n");
    out.push_str("# TYPE verdict_decision_seconds histogram\n");
    let mut cumulative = 0;
    for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
        cumulative += metrics
            .buckets
            .get(i)
            .map_or(0, |b| b.load(Ordering::Relaxed));
        let _ = writeln!(
            out,
            "verdict_decision_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
        );
    }
    let count = metrics.count.load(Ordering::Relaxed);
    let _ = writeln!(
        out,
        "verdict_decision_seconds_bucket{{le=\"+Inf\"}} {count}"
    );
    let sum = metrics.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
    let _ = writeln!(out, "verdict_decision_seconds_sum {sum}");
    let _ = writeln!(out, "verdict_decision_seconds_count {count}");
    out.push_str("# HELP verdict_batch_lines_total Lines of batches answered, by result.\n");
    out.push_str("# TYPE verdict_batch_lines_total counter\n");
    let lines = metrics.batch_lines.load(Ordering::Relaxed);
    let errors = metrics.batch_errors.load(Ordering::Relaxed);
    let _ = writeln!(
        out,
        "verdict_batch_lines_total{{result=\"decided\"}} {}",
        lines.saturating_sub(errors)
    );
    let _ = writeln!(
        out,
        "verdict_batch_lines_total{{result=\"error\"}} {errors}"
    );
    out.push_str("# HELP verdict_reloads_total Reloads of the policies, by result.\n");
    out.push_str("# TYPE verdict_reloads_total counter\n");
    let _ = writeln!(
        out,
        "verdict_reloads_total{{result=\"ok\"}} {}",
        state.engine.status().reloads
    );
    let _ = writeln!(
        out,
        "verdict_reloads_total{{result=\"failed\"}} {}",
        state.engine.status().failed_reloads
    );
    out.push_str(
        "# HELP verdict_revision_info The revision of the policies serving, as a label.\n",
    );
    out.push_str("# TYPE verdict_revision_info gauge\n");
    if let Some(served) = current(&state) {
        let _ = writeln!(
            out,
            "verdict_revision_info{{revision=\"{}\"}} 1",
            label(&served.revision)
        );
    }
    (
        StatusCode::OK,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

async fn status(State(state): State<AppState>) -> Response {
    let engine = state.engine.status();
    let failed = engine.last_failure.as_ref().map(|failed| FailedReload {
        at: failed
            .at
            .duration_since(std::time::UNIX_EPOCH)
            .map_or_else(|_| String::new(), |d| d.as_secs().to_string()),
        diagnostics: failed.report.data(),
    });
    let answer = Status {
        ready: true,
        revision: Some(engine.revision.as_str()),
        policies: state.engine.root().map(|p| p.display().to_string()),
        reloads: engine.reloads,
        decisions: state.decisions.load(Ordering::Relaxed),
        failed_reload: failed,
    };
    json(StatusCode::OK, &answer)
}

async fn ready(State(state): State<AppState>) -> Response {
    match current(&state) {
        Some(_) => (StatusCode::OK, "ready\n").into_response(),
        None => not_ready(),
    }
}

fn not_ready() -> Response {
    plain_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "verdict::serve::not_ready",
        String::from("no policies are loaded yet"),
        "try again once `GET /health/ready` answers 200",
    )
}

async fn not_found(uri: axum::http::Uri) -> Response {
    plain_error(
        StatusCode::NOT_FOUND,
        "verdict::serve::not_found",
        format!("nothing is served at `{}`", uri.path()),
        "the endpoints are `POST /v1/decide`, `POST /v1/decide/{policy}`, `POST /v1/batch`, `POST /v1/validate`, `GET /v1/policies`, `GET /v1/schema`, `GET /v1/status`, `GET /metrics`, `GET /openapi.json`, `GET /health/live` and `GET /health/ready`",
    )
}

fn json(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_string(value) {
        Ok(mut text) => {
            text.push('\n');
            (
                status,
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                text,
            )
                .into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// An error of the server's own, in the shape of the diagnostics document
/// (one error, no labels).
fn plain_error(status: StatusCode, code: &str, message: String, help: &str) -> Response {
    let document = verdict::ReportData {
        diagnostics: vec![verdict::ProblemData {
            code: Some(code.to_string()),
            severity: verdict::Severity::Error,
            message,
            help: Some(help.to_string()),
            labels: Vec::new(),
        }],
        errors: 1,
        warnings: 0,
        notes: 0,
        column_unit: verdict::COLUMN_UNIT,
    };
    json(status, &document)
}

/// Says in the log what a reload did: the new revision, or why the
/// edited policies do not load (the last good ones serving on).
fn log_reload(reload: &verdict::Reload) {
    match reload {
        verdict::Reload::Swapped { revision } => {
            errln!("verdict serve: reloaded, revision {revision}");
        }
        verdict::Reload::Unchanged => {}
        verdict::Reload::Failed(failed) => {
            let data = failed.report.data();
            errln!(
                "verdict serve: the edited policies do not load ({} errors); still serving the last good ones",
                data.errors
            );
            for problem in &data.diagnostics {
                errln!("  {}", problem.log_line());
            }
        }
    }
}

/// Every endpoint and every refusal, in-process: the router called as a
/// service, without a socket (`tests/it/serve.rs` runs the binary over
/// one).
#[cfg(test)]
mod tests {
    // A test fails loudly on purpose.
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;

    use super::*;

    const INVITE: &str = r#"{"partner": {"role": "reseller"}, "request": {"action": "invite"}}"#;

    fn app() -> Router {
        let policies = PolicySet::builtin().unwrap();
        let state = Arc::new(Shared {
            engine: verdict::Engine::from_policies(policies),
            decisions: AtomicU64::new(0),
            metrics: Metrics::default(),
            seed: 1,
            log: None,
            batches: AtomicU64::new(0),
        });
        router(state, 4096, Duration::from_secs(30))
    }

    /// One request: the status, the content type and the body.
    async fn call(app: &Router, method: &str, path: &str, body: &str) -> (u16, String, String) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::from(body.to_string()))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let kind = response
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, kind, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The codes of a diagnostics document.
    fn codes(body: &str) -> Vec<String> {
        let value: serde_json::Value = serde_json::from_str(body).unwrap();
        value["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["code"].as_str().map(str::to_string))
            .collect()
    }

    #[tokio::test]
    async fn every_endpoint_answers_in_process() {
        let app = app();
        let revision = PolicySet::builtin().unwrap().revision();

        let (status, kind, body) = call(&app, "POST", "/v1/decide", INVITE).await;
        assert_eq!((status, kind.as_str()), (200, "application/json"), "{body}");
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(answer["decisions"][0]["decision"], "deny");
        assert_eq!(answer["revision"], revision.as_str());
        assert_eq!(answer["decision_id"], "0000000000000001-0");
        let (status, _, body) = call(&app, "POST", "/v1/decide/multichannel", INVITE).await;
        assert_eq!(status, 200, "{body}");

        let (status, kind, body) =
            call(&app, "POST", "/v1/batch", &format!("{INVITE}\n{{}}\n")).await;
        assert_eq!((status, kind.as_str()), (200, "application/x-ndjson"));
        let lines: Vec<serde_json::Value> = body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{body}");
        assert_eq!(lines[1]["line"], 2);

        let complete = serde_json::json!({
            "request": {"action": "transfer", "target": "partner"},
            "subscription": {"channel": "Direct", "billing": "license"},
            "partner": {"role": "reseller", "designated_admin": true}
        });
        let (status, _, body) = call(&app, "POST", "/v1/validate", &complete.to_string()).await;
        assert_eq!(status, 200, "{body}");

        for (path, needle) in [
            ("/v1/policies", "\"multichannel\""),
            ("/v1/schema", "\"$schema\""),
            ("/openapi.json", "\"3.1.0\""),
            ("/v1/status", "\"ready\":true"),
            ("/metrics", "verdict_decisions_total"),
            ("/health/live", "ok"),
            ("/health/ready", "ready"),
        ] {
            let (status, _, body) = call(&app, "GET", path, "").await;
            assert_eq!(status, 200, "{path}: {body}");
            assert!(body.contains(needle), "{path}: {body}");
        }
    }

    #[tokio::test]
    async fn every_refusal_has_its_status_and_code_in_process() {
        let app = app();
        let huge = format!(r#"{{"pad": "{}"}}"#, "x".repeat(10_000));
        for (method, path, body, status, code) in [
            (
                "POST",
                "/v1/decide",
                r#"{"partner": "#,
                400,
                "verdict::facts::syntax",
            ),
            (
                "POST",
                "/v1/decide",
                "[1]",
                400,
                "verdict::facts::not_object",
            ),
            ("POST", "/v1/decide", "{}", 422, "verdict::facts::missing"),
            (
                "POST",
                "/v1/decide",
                r#"{"partner": {"role": "resellr"}}"#,
                422,
                "verdict::facts::not_in_set",
            ),
            (
                "POST",
                "/v1/decide",
                huge.as_str(),
                413,
                "verdict::io::too_large",
            ),
            (
                "POST",
                "/v1/decide/nope",
                INVITE,
                404,
                "verdict::serve::unknown_policy",
            ),
            ("POST", "/v1/validate", "{}", 422, "verdict::facts::missing"),
            (
                "POST",
                "/v1/validate",
                "[1]",
                400,
                "verdict::facts::not_object",
            ),
            ("GET", "/v2/nothing", "", 404, "verdict::serve::not_found"),
        ] {
            let (got, kind, answer) = call(&app, method, path, body).await;
            assert_eq!(
                (got, kind.as_str()),
                (status, "application/json"),
                "{path} {body:.40}: {answer}"
            );
            assert!(
                codes(&answer).iter().any(|c| c == code),
                "{code} for {path} {body:.40}: {answer}"
            );
        }
        // Bytes that are not UTF-8.
        let request = Request::builder()
            .method("POST")
            .uri("/v1/decide")
            .body(Body::from(vec![b'{', 0xff, b'}']))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status().as_u16(), 400);
        // Each refusal of a decision is counted by status.
        let (_, _, metrics) = call(&app, "GET", "/metrics", "").await;
        for expected in [
            "verdict_refused_total{status=\"400\"} 3",
            "verdict_refused_total{status=\"422\"} 2",
            "verdict_refused_total{status=\"413\"} 1",
        ] {
            assert!(metrics.contains(expected), "{expected} in\n{metrics}");
        }
    }
}
