//! `verdict lsp`: a language server over stdio for `.policy` and `.tests`
//! files, built on `verdict::ide`.
//!
//! It uses rust-analyzer's `lsp-server`: a synchronous loop over
//! crossbeam channels. verdict's analysis is CPU-bound and fast, so an
//! async runtime would buy nothing, while the explicit loop makes the two
//! things an editor needs plain: edits that queue up while a check runs
//! are all applied before the next check (diagnostics are published only
//! when no message waits), and an edit older than the document's version
//! is dropped.
//!
//! A document's policy set is its folder: the folder's `*.policy` and
//! `*.tests` files are read from disk, and the open documents take the
//! place of their files. Positions are in the encoding the client offers
//! first among UTF-8, UTF-16 and UTF-32 (UTF-16 if it says none).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::{
    notification::{self, Notification as _},
    request::{self, Request as _},
    CodeActionKind, CodeActionParams, CompletionItemKind, CompletionParams,
    DiagnosticRelatedInformation, DiagnosticSeverity, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, DocumentFormattingParams,
    DocumentSymbolParams, FoldingRangeParams, GotoDefinitionParams, HoverParams, InitializeParams,
    Location, NumberOrString, Position, PositionEncodingKind, PrepareRenameResponse,
    PublishDiagnosticsParams, ReferenceParams, RenameParams, SemanticTokenType,
    SemanticTokensParams, TextDocumentPositionParams, Uri,
};
use serde_json::{json, Value};
use verdict::ide::{Analysis, CompletionKind, FileDiagnostic, Highlight, OutlineItem, OutlineKind};

#[derive(clap::Args)]
pub struct Args {
    /// Speak over stdin and stdout (the only way; accepted because editors pass it)
    #[arg(long)]
    stdio: bool,
}

pub fn run(_args: Args) -> ExitCode {
    let (connection, io_threads) = Connection::stdio();
    let result = serve(&connection);
    drop(connection);
    let joined = io_threads.join();
    match (result, joined) {
        (Ok(()), Ok(())) => ExitCode::SUCCESS,
        (Err(error), _) => {
            errln!("verdict lsp: {error}");
            ExitCode::from(1)
        }
        (_, Err(error)) => {
            errln!("verdict lsp: {error}");
            ExitCode::from(1)
        }
    }
}

/// Runs the server on `connection` until the client says `exit` or goes.
pub fn serve(connection: &Connection) -> Result<(), String> {
    let (id, params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let params: InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let encoding = Encoding::negotiate(&params);
    let result = json!({
        "capabilities": capabilities(encoding),
        "serverInfo": {"name": "verdict", "version": env!("CARGO_PKG_VERSION")},
    });
    connection
        .initialize_finish(id, result)
        .map_err(|e| e.to_string())?;
    let mut server = Server::new(encoding);
    while let Ok(message) = connection.receiver.recv() {
        match message {
            Message::Request(request) => {
                if connection
                    .handle_shutdown(&request)
                    .map_err(|e| e.to_string())?
                {
                    return Ok(());
                }
                let response = server.request(request);
                send(connection, response.into())?;
                for note in std::mem::take(&mut server.outbox) {
                    send(connection, note.into())?;
                }
            }
            // `exit` before `shutdown` is the client giving up (exit 1).
            Message::Notification(note) if note.method == notification::Exit::METHOD => {
                return Err(String::from("the client sent `exit` without `shutdown`"));
            }
            Message::Notification(note) => server.notification(note),
            Message::Response(_) => {}
        }
        // Edits that arrived meanwhile are applied first: one check for all.
        if connection.receiver.is_empty() {
            for note in server.publish() {
                send(connection, note.into())?;
            }
        }
    }
    Ok(())
}

fn send(connection: &Connection, message: Message) -> Result<(), String> {
    connection
        .sender
        .send(message)
        .map_err(|_| String::from("the client has gone"))
}

/// What positions count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
    Utf32,
}

impl Encoding {
    fn negotiate(params: &InitializeParams) -> Encoding {
        let offered = params
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.clone())
            .unwrap_or_default();
        for kind in offered {
            match kind.as_str() {
                "utf-8" => return Encoding::Utf8,
                "utf-16" => return Encoding::Utf16,
                "utf-32" => return Encoding::Utf32,
                _ => {}
            }
        }
        Encoding::Utf16
    }

    fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
            Encoding::Utf32 => PositionEncodingKind::UTF32,
        }
    }

    fn units(self, c: char) -> u32 {
        match self {
            Encoding::Utf8 => c.len_utf8() as u32,
            Encoding::Utf16 => c.len_utf16() as u32,
            Encoding::Utf32 => 1,
        }
    }

    fn count(self, text: &str) -> u32 {
        text.chars().map(|c| self.units(c)).sum()
    }
}

/// The semantic token types, in the legend's order ([`Highlight`] maps
/// into it).
const TOKEN_TYPES: &[&str] = &[
    "keyword",
    "property",
    "enumMember",
    "event",
    "type",
    "function",
    "namespace",
    "string",
    "number",
    "comment",
    "operator",
];

fn token_type(highlight: Highlight) -> u32 {
    match highlight {
        Highlight::Keyword => 0,
        Highlight::Fact => 1,
        Highlight::Value => 2,
        Highlight::Outcome => 3,
        Highlight::Set => 4,
        Highlight::Rule => 5,
        Highlight::Policy => 6,
        Highlight::String => 7,
        Highlight::Number => 8,
        Highlight::Comment => 9,
        Highlight::Operator => 10,
        _ => 0,
    }
}

fn capabilities(encoding: Encoding) -> Value {
    let legend: Vec<SemanticTokenType> = TOKEN_TYPES
        .iter()
        .map(|t| SemanticTokenType::new(t))
        .collect();
    json!({
        "positionEncoding": encoding.kind(),
        "textDocumentSync": {"openClose": true, "change": 2, "save": false},
        "hoverProvider": true,
        // `->` asks for the decisions at once; a space would ask too often.
        "completionProvider": {"triggerCharacters": [">", "{"]},
        "definitionProvider": true,
        "referencesProvider": true,
        "renameProvider": {"prepareProvider": true},
        "documentFormattingProvider": true,
        "documentSymbolProvider": true,
        "foldingRangeProvider": true,
        "codeActionProvider": {"codeActionKinds": [CodeActionKind::QUICKFIX]},
        "codeLensProvider": {"resolveProvider": false},
        "executeCommandProvider": {"commands": [EVALUATE]},
        "semanticTokensProvider": {
            "legend": {"tokenTypes": legend, "tokenModifiers": []},
            "full": true,
        },
    })
}

/// The command a code lens runs: decide for a facts file beside the
/// policy and show the decision.
const EVALUATE: &str = "verdict.evaluate";

/// At most this many facts files get a lens each.
const MAX_LENSES: usize = 5;

/// Line starts of a text, to turn byte offsets into positions and back.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
    encoding: Encoding,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str, encoding: Encoding) -> Lines<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines {
            text,
            starts,
            encoding,
        }
    }

    fn position(&self, offset: usize) -> Position {
        let offset = floor_boundary(self.text, offset);
        let line = self
            .starts
            .partition_point(|s| *s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or_default();
        let before = self.text.get(start..offset).unwrap_or_default();
        Position::new(line as u32, self.encoding.count(before))
    }

    fn range(&self, range: &Range<usize>) -> lsp_types::Range {
        lsp_types::Range::new(self.position(range.start), self.position(range.end))
    }

    /// The byte offset of a position; past a line's end is its end, past
    /// the last line is the text's end.
    fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return self.text.len();
        };
        let end = self
            .starts
            .get(position.line as usize + 1)
            .map_or(self.text.len(), |next| next - 1);
        let line = self.text.get(start..end).unwrap_or_default();
        let mut units = 0;
        for (i, c) in line.char_indices() {
            if units >= position.character {
                return start + i;
            }
            units += self.encoding.units(c);
        }
        end
    }
}

fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// An open document.
struct Document {
    version: i32,
    /// The folder whose set it belongs to.
    folder: String,
}

/// The server's state: one analysis per folder, the open documents, and
/// what was last published for each file.
pub struct Server {
    encoding: Encoding,
    folders: BTreeMap<String, Analysis>,
    documents: BTreeMap<String, Document>,
    published: BTreeMap<String, Vec<lsp_types::Diagnostic>>,
    /// Folders edited since their diagnostics were last published.
    dirty: Vec<String>,
    /// Notifications a request gave rise to (a decision shown), sent
    /// after its response.
    outbox: Vec<Notification>,
}

impl Server {
    pub fn new(encoding: Encoding) -> Server {
        Server {
            encoding,
            folders: BTreeMap::new(),
            documents: BTreeMap::new(),
            published: BTreeMap::new(),
            dirty: Vec::new(),
            outbox: Vec::new(),
        }
    }

    fn mark(&mut self, folder: &str) {
        if !self.dirty.iter().any(|f| f == folder) {
            self.dirty.push(folder.to_string());
        }
    }

    pub fn notification(&mut self, note: Notification) {
        match note.method.as_str() {
            notification::DidOpenTextDocument::METHOD => {
                let Ok(params) = serde_json::from_value::<DidOpenTextDocumentParams>(note.params)
                else {
                    return;
                };
                let name = file_name(&params.text_document.uri);
                let folder = folder_of(&name);
                let analysis = self.folders.entry(folder.clone()).or_default();
                // The files on disk, for those not open in the editor.
                for (disk_name, text) in read_folder(&folder) {
                    if !self.documents.contains_key(&disk_name) && disk_name != name {
                        analysis.set_file(disk_name, text);
                    }
                }
                analysis.set_file(name.clone(), params.text_document.text);
                self.documents.insert(
                    name,
                    Document {
                        version: params.text_document.version,
                        folder: folder.clone(),
                    },
                );
                self.mark(&folder);
            }
            notification::DidChangeTextDocument::METHOD => {
                let Ok(params) = serde_json::from_value::<DidChangeTextDocumentParams>(note.params)
                else {
                    return;
                };
                let name = file_name(&params.text_document.uri);
                let Some(document) = self.documents.get_mut(&name) else {
                    return;
                };
                // An edit older than what we have is stale.
                if params.text_document.version <= document.version {
                    return;
                }
                document.version = params.text_document.version;
                let folder = document.folder.clone();
                let Some(analysis) = self.folders.get_mut(&folder) else {
                    return;
                };
                let mut text = analysis.file_text(&name).unwrap_or_default().to_string();
                for change in params.content_changes {
                    match change.range {
                        Some(range) => {
                            let lines = Lines::new(&text, self.encoding);
                            let start = lines.offset(range.start);
                            let end = lines.offset(range.end).max(start);
                            text.replace_range(start..end, &change.text);
                        }
                        None => text = change.text,
                    }
                }
                analysis.set_file(name, text);
                self.mark(&folder);
            }
            notification::DidCloseTextDocument::METHOD => {
                let Ok(params) = serde_json::from_value::<DidCloseTextDocumentParams>(note.params)
                else {
                    return;
                };
                let name = file_name(&params.text_document.uri);
                let Some(document) = self.documents.remove(&name) else {
                    return;
                };
                let Some(analysis) = self.folders.get_mut(&document.folder) else {
                    return;
                };
                // The file as it is on disk takes the editor's place.
                match std::fs::read_to_string(&name) {
                    Ok(text) => analysis.set_file(name, text),
                    Err(_) => analysis.remove_file(&name),
                }
                self.mark(&document.folder);
            }
            _ => {}
        }
    }

    /// The diagnostics of every file of the edited folders whose
    /// diagnostics changed since they were last published.
    pub fn publish(&mut self) -> Vec<Notification> {
        let mut out = Vec::new();
        for folder in std::mem::take(&mut self.dirty) {
            let Some(analysis) = self.folders.get_mut(&folder) else {
                continue;
            };
            let texts: BTreeMap<String, String> = analysis
                .file_names()
                .into_iter()
                .filter_map(|n| analysis.file_text(&n).map(|t| (n.clone(), t.to_string())))
                .collect();
            let all = analysis.diagnostics().clone();
            let mut seen = Vec::new();
            for (file, diagnostics) in &all {
                let Some(text) = texts.get(file) else {
                    continue;
                };
                let converted: Vec<lsp_types::Diagnostic> = diagnostics
                    .iter()
                    .map(|d| self.diagnostic(d, text, &texts))
                    .collect();
                seen.push(file.clone());
                if self.published.get(file) == Some(&converted) {
                    continue;
                }
                let Some(uri) = uri_of(file) else { continue };
                let version = self.documents.get(file).map(|d| d.version);
                out.push(publish(uri, converted.clone(), version));
                self.published.insert(file.clone(), converted);
            }
            // Files gone from the folder: clear what was shown.
            let gone: Vec<String> = self
                .published
                .keys()
                .filter(|f| folder_of(f) == folder && !seen.contains(f))
                .cloned()
                .collect();
            for file in gone {
                self.published.remove(&file);
                if let Some(uri) = uri_of(&file) {
                    out.push(publish(uri, Vec::new(), None));
                }
            }
        }
        out
    }

    fn diagnostic(
        &self,
        d: &FileDiagnostic,
        text: &str,
        texts: &BTreeMap<String, String>,
    ) -> lsp_types::Diagnostic {
        let lines = Lines::new(text, self.encoding);
        let message = match &d.help {
            Some(help) => format!("{}\nhelp: {help}", d.message),
            None => d.message.clone(),
        };
        let related: Vec<DiagnosticRelatedInformation> = d
            .related
            .iter()
            .filter_map(|(place, message)| {
                let text = texts.get(&place.file)?;
                let lines = Lines::new(text, self.encoding);
                Some(DiagnosticRelatedInformation {
                    location: Location::new(uri_of(&place.file)?, lines.range(&place.range)),
                    message: message.clone(),
                })
            })
            .collect();
        lsp_types::Diagnostic {
            range: lines.range(&d.range),
            severity: Some(match d.severity {
                verdict::Severity::Error => DiagnosticSeverity::ERROR,
                verdict::Severity::Warning => DiagnosticSeverity::WARNING,
                _ => DiagnosticSeverity::INFORMATION,
            }),
            code: d.code.clone().map(NumberOrString::String),
            source: Some(String::from("verdict")),
            message,
            related_information: (!related.is_empty()).then_some(related),
            ..lsp_types::Diagnostic::default()
        }
    }

    /// Answers a request; an unknown method is `MethodNotFound`.
    pub fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        match self.answer(request) {
            Ok(result) => Response::new_ok(id, result),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }

    fn answer(&mut self, request: Request) -> Result<Value, (ErrorCode, String)> {
        let Request { method, params, .. } = request;
        let bad = |e: serde_json::Error| (ErrorCode::InvalidParams, e.to_string());
        match method.as_str() {
            request::HoverRequest::METHOD => {
                let params: HoverParams = serde_json::from_value(params).map_err(bad)?;
                let Some((analysis, name, offset)) = self.at(&params.text_document_position_params)
                else {
                    return Ok(Value::Null);
                };
                let Some(hover) = analysis.hover(&name, offset) else {
                    return Ok(Value::Null);
                };
                let range = self.range_in(&name, &hover.range);
                Ok(json!({
                    "contents": {"kind": "markdown", "value": hover.markdown},
                    "range": range,
                }))
            }
            request::Completion::METHOD => {
                let params: CompletionParams = serde_json::from_value(params).map_err(bad)?;
                let Some((analysis, name, offset)) = self.at(&params.text_document_position) else {
                    return Ok(Value::Null);
                };
                let items: Vec<lsp_types::CompletionItem> = analysis
                    .completions(&name, offset)
                    .into_iter()
                    .map(|c| {
                        let kind = match c.kind {
                            CompletionKind::Keyword => CompletionItemKind::KEYWORD,
                            CompletionKind::Fact => CompletionItemKind::FIELD,
                            CompletionKind::Value => CompletionItemKind::ENUM_MEMBER,
                            CompletionKind::Outcome => CompletionItemKind::EVENT,
                            CompletionKind::Set => CompletionItemKind::CONSTANT,
                            CompletionKind::Policy => CompletionItemKind::MODULE,
                            CompletionKind::Type => CompletionItemKind::TYPE_PARAMETER,
                            _ => CompletionItemKind::TEXT,
                        };
                        lsp_types::CompletionItem {
                            label: c.label,
                            kind: Some(kind),
                            detail: c.detail,
                            documentation: c.documentation.map(|doc| {
                                lsp_types::Documentation::MarkupContent(lsp_types::MarkupContent {
                                    kind: lsp_types::MarkupKind::Markdown,
                                    value: doc,
                                })
                            }),
                            ..lsp_types::CompletionItem::default()
                        }
                    })
                    .collect();
                Ok(json!(items))
            }
            request::GotoDefinition::METHOD => {
                let params: GotoDefinitionParams = serde_json::from_value(params).map_err(bad)?;
                let Some((analysis, name, offset)) = self.at(&params.text_document_position_params)
                else {
                    return Ok(Value::Null);
                };
                let places = analysis.definition(&name, offset);
                Ok(json!(self.locations(&places)))
            }
            request::References::METHOD => {
                let params: ReferenceParams = serde_json::from_value(params).map_err(bad)?;
                let Some((analysis, name, offset)) = self.at(&params.text_document_position) else {
                    return Ok(Value::Null);
                };
                let places = analysis.references(&name, offset, params.context.include_declaration);
                Ok(json!(self.locations(&places)))
            }
            request::PrepareRenameRequest::METHOD => {
                let params: TextDocumentPositionParams =
                    serde_json::from_value(params).map_err(bad)?;
                let Some((analysis, name, offset)) = self.at(&params) else {
                    return Ok(Value::Null);
                };
                match analysis.prepare_rename(&name, offset) {
                    Some(range) => Ok(json!(PrepareRenameResponse::Range(
                        self.range_in(&name, &range)
                    ))),
                    None => Ok(Value::Null),
                }
            }
            request::Rename::METHOD => {
                let params: RenameParams = serde_json::from_value(params).map_err(bad)?;
                let Some((analysis, name, offset)) = self.at(&params.text_document_position) else {
                    return Ok(Value::Null);
                };
                let edits = analysis
                    .rename(&name, offset, &params.new_name)
                    .map_err(|why| (ErrorCode::InvalidRequest, why))?;
                Ok(json!(self.workspace_edit(&edits)))
            }
            request::Formatting::METHOD => {
                let params: DocumentFormattingParams =
                    serde_json::from_value(params).map_err(bad)?;
                let name = file_name(&params.text_document.uri);
                let Some(analysis) = self.analysis_of(&name) else {
                    return Ok(Value::Null);
                };
                let Some(text) = analysis.file_text(&name).map(str::to_string) else {
                    return Ok(Value::Null);
                };
                match analysis.format(&name) {
                    Some(formatted) if formatted != text => {
                        let whole = Lines::new(&text, self.encoding).range(&(0..text.len()));
                        Ok(json!([{"range": whole, "newText": formatted}]))
                    }
                    _ => Ok(json!([])),
                }
            }
            request::DocumentSymbolRequest::METHOD => {
                let params: DocumentSymbolParams = serde_json::from_value(params).map_err(bad)?;
                let name = file_name(&params.text_document.uri);
                let Some(analysis) = self.analysis_of(&name) else {
                    return Ok(Value::Null);
                };
                let outline = analysis.outline(&name);
                let text = analysis.file_text(&name).unwrap_or_default().to_string();
                let lines = Lines::new(&text, self.encoding);
                Ok(json!(outline
                    .iter()
                    .map(|item| symbol(item, &lines))
                    .collect::<Vec<_>>()))
            }
            request::FoldingRangeRequest::METHOD => {
                let params: FoldingRangeParams = serde_json::from_value(params).map_err(bad)?;
                let name = file_name(&params.text_document.uri);
                let Some(analysis) = self.analysis_of(&name) else {
                    return Ok(Value::Null);
                };
                let folds = analysis.folds(&name);
                let text = analysis.file_text(&name).unwrap_or_default().to_string();
                let lines = Lines::new(&text, self.encoding);
                let ranges: Vec<Value> = folds
                    .iter()
                    .map(|r| (lines.position(r.start).line, lines.position(r.end).line))
                    .filter(|(start, end)| end > start)
                    .map(|(start, end)| json!({"startLine": start, "endLine": end}))
                    .collect();
                Ok(json!(ranges))
            }
            request::SemanticTokensFullRequest::METHOD => {
                let params: SemanticTokensParams = serde_json::from_value(params).map_err(bad)?;
                let name = file_name(&params.text_document.uri);
                let Some(analysis) = self.analysis_of(&name) else {
                    return Ok(Value::Null);
                };
                let tokens = analysis.highlights(&name);
                let text = analysis.file_text(&name).unwrap_or_default().to_string();
                let lines = Lines::new(&text, self.encoding);
                let mut data = Vec::with_capacity(tokens.len() * 5);
                let (mut line, mut column) = (0u32, 0u32);
                for (range, highlight) in tokens {
                    let start = lines.position(range.start);
                    let end = lines.position(range.end);
                    if end.line != start.line {
                        continue;
                    }
                    // Tokens come in order, so the deltas do not go back.
                    let delta_line = start.line.saturating_sub(line);
                    let delta_start = if delta_line == 0 {
                        start.character.saturating_sub(column)
                    } else {
                        start.character
                    };
                    data.extend([
                        delta_line,
                        delta_start,
                        end.character.saturating_sub(start.character),
                        token_type(highlight),
                        0,
                    ]);
                    (line, column) = (start.line, start.character);
                }
                Ok(json!({"data": data}))
            }
            request::CodeActionRequest::METHOD => {
                let params: CodeActionParams = serde_json::from_value(params).map_err(bad)?;
                let name = file_name(&params.text_document.uri);
                let encoding = self.encoding;
                let Some(analysis) = self.analysis_of(&name) else {
                    return Ok(Value::Null);
                };
                let text = analysis.file_text(&name).unwrap_or_default().to_string();
                let lines = Lines::new(&text, encoding);
                let range = lines.offset(params.range.start)..lines.offset(params.range.end);
                let fixes = analysis.fixes(&name, range);
                let actions: Vec<Value> = fixes
                    .iter()
                    .map(|fix| {
                        json!({
                            "title": fix.title,
                            "kind": CodeActionKind::QUICKFIX,
                            "isPreferred": fixes.len() == 1,
                            "edit": self.workspace_edit(&fix.edits),
                        })
                    })
                    .collect();
                Ok(json!(actions))
            }
            request::CodeLensRequest::METHOD => {
                let params: lsp_types::CodeLensParams =
                    serde_json::from_value(params).map_err(bad)?;
                let name = file_name(&params.text_document.uri);
                if !name.ends_with(".policy") || self.analysis_of(&name).is_none() {
                    return Ok(json!([]));
                }
                // A lens on the first line per facts file beside the policy.
                let top = lsp_types::Range::new(Position::new(0, 0), Position::new(0, 0));
                let lenses: Vec<Value> = facts_files(&folder_of(&name))
                    .into_iter()
                    .take(MAX_LENSES)
                    .map(|facts| {
                        let shown = facts.rsplit('/').next().unwrap_or(&facts).to_string();
                        json!({
                            "range": top,
                            "command": {
                                "title": format!("▶ Evaluate on {shown}"),
                                "command": EVALUATE,
                                "arguments": [params.text_document.uri.as_str(), facts],
                            },
                        })
                    })
                    .collect();
                Ok(json!(lenses))
            }
            request::ExecuteCommand::METHOD => {
                let params: lsp_types::ExecuteCommandParams =
                    serde_json::from_value(params).map_err(bad)?;
                if params.command != EVALUATE {
                    return Err((
                        ErrorCode::InvalidParams,
                        format!("verdict has no command `{}`", params.command),
                    ));
                }
                let argument = |i: usize| params.arguments.get(i).and_then(Value::as_str);
                let (Some(document), Some(facts)) = (argument(0), argument(1)) else {
                    return Err((
                        ErrorCode::InvalidParams,
                        format!(
                            "`{EVALUATE}` takes a policy document's URI and a facts file's path"
                        ),
                    ));
                };
                let name = Uri::from_str(document)
                    .map(|uri| file_name(&uri))
                    .map_err(|e| (ErrorCode::InvalidParams, e.to_string()))?;
                let shown = facts.rsplit('/').next().unwrap_or(facts).to_string();
                let answer = match (self.analysis_of(&name), std::fs::read_to_string(facts)) {
                    (None, _) => Err(format!("{name} is not open")),
                    (_, Err(error)) => Err(format!("cannot read {facts}: {error}")),
                    (Some(analysis), Ok(text)) => analysis.decide(&shown, &text),
                };
                let (kind, message, result) = match answer {
                    Ok(decisions) => {
                        let said: Vec<String> = decisions
                            .iter()
                            .map(|d| {
                                // The rule's file by its name: the folder is the set's.
                                let at = d
                                    .rule
                                    .as_deref()
                                    .map(|at| at.rsplit('/').next().unwrap_or(at));
                                let rule = match (&d.rule_name, at) {
                                    (Some(name), Some(at)) => format!(" (rule {name}, {at})"),
                                    (None, Some(at)) => format!(" (rule {at})"),
                                    _ => String::from(" (no rule applies)"),
                                };
                                let reason = d
                                    .reason
                                    .as_ref()
                                    .map_or(String::new(), |r| format!(": {r}"));
                                format!("{} decides {}{rule}{reason}", d.policy, d.decision)
                            })
                            .collect();
                        (
                            lsp_types::MessageType::INFO,
                            format!("{shown}: {}", said.join("; ")),
                            json!(decisions),
                        )
                    }
                    Err(error) => (
                        lsp_types::MessageType::ERROR,
                        format!("{shown}: {error}"),
                        Value::Null,
                    ),
                };
                self.outbox.push(Notification::new(
                    notification::ShowMessage::METHOD.to_string(),
                    lsp_types::ShowMessageParams { typ: kind, message },
                ));
                Ok(result)
            }
            _ => Err((
                ErrorCode::MethodNotFound,
                format!("verdict does not answer `{method}`"),
            )),
        }
    }

    fn analysis_of(&mut self, name: &str) -> Option<&mut Analysis> {
        let folder = self.documents.get(name)?.folder.clone();
        self.folders.get_mut(&folder)
    }

    /// The analysis, file name and byte offset of a position in an open
    /// document.
    fn at(
        &mut self,
        params: &TextDocumentPositionParams,
    ) -> Option<(&mut Analysis, String, usize)> {
        let name = file_name(&params.text_document.uri);
        let encoding = self.encoding;
        let analysis = self.analysis_of(&name)?;
        let text = analysis.file_text(&name)?;
        let offset = Lines::new(text, encoding).offset(params.position);
        Some((analysis, name, offset))
    }

    /// A byte range of a file as a protocol range.
    fn range_in(&self, file: &str, range: &Range<usize>) -> lsp_types::Range {
        let text = self
            .documents
            .get(file)
            .and_then(|d| self.folders.get(&d.folder))
            .or_else(|| self.folders.get(&folder_of(file)))
            .and_then(|a| a.file_text(file))
            .unwrap_or_default();
        Lines::new(text, self.encoding).range(range)
    }

    fn locations(&self, places: &[verdict::ide::FileRange]) -> Vec<Location> {
        places
            .iter()
            .filter_map(|p| {
                Some(Location::new(
                    uri_of(&p.file)?,
                    self.range_in(&p.file, &p.range),
                ))
            })
            .collect()
    }

    /// A workspace edit, as JSON: `{"changes": {uri: [edits]}}` (lsp-types
    /// keys its map by `Uri`, which clippy counts as a mutable key), or,
    /// when an edit is to a file that does not exist yet (a new test
    /// file), `documentChanges` that create it first.
    fn workspace_edit(&self, edits: &[verdict::ide::TextEdit]) -> Value {
        let creates: Vec<&verdict::ide::TextEdit> = edits
            .iter()
            .filter(|e| e.file.starts_with('/') && !Path::new(&e.file).exists())
            .collect();
        if !creates.is_empty() {
            let mut changes = Vec::new();
            for edit in edits {
                let Some(uri) = uri_of(&edit.file) else {
                    continue;
                };
                if creates.iter().any(|c| c.file == edit.file) {
                    changes.push(json!({"kind": "create", "uri": uri.as_str(), "options": {"ignoreIfExists": true}}));
                }
                changes.push(json!({
                    "textDocument": {"uri": uri.as_str(), "version": null},
                    "edits": [lsp_types::TextEdit::new(self.range_in(&edit.file, &edit.range), edit.new_text.clone())],
                }));
            }
            return json!({ "documentChanges": changes });
        }
        let mut changes: BTreeMap<String, Vec<lsp_types::TextEdit>> = BTreeMap::new();
        for edit in edits {
            let Some(uri) = uri_of(&edit.file) else {
                continue;
            };
            changes
                .entry(uri.as_str().to_string())
                .or_default()
                .push(lsp_types::TextEdit::new(
                    self.range_in(&edit.file, &edit.range),
                    edit.new_text.clone(),
                ));
        }
        json!({ "changes": changes })
    }
}

fn publish(
    uri: Uri,
    diagnostics: Vec<lsp_types::Diagnostic>,
    version: Option<i32>,
) -> Notification {
    let params = PublishDiagnosticsParams::new(uri, diagnostics, version);
    Notification::new(notification::PublishDiagnostics::METHOD.to_string(), params)
}

fn symbol(item: &OutlineItem, lines: &Lines<'_>) -> Value {
    use lsp_types::SymbolKind;
    let kind = match item.kind {
        OutlineKind::Policy => SymbolKind::MODULE,
        OutlineKind::Fact => SymbolKind::FIELD,
        OutlineKind::Outcome => SymbolKind::EVENT,
        OutlineKind::Set => SymbolKind::CONSTANT,
        OutlineKind::Rule => SymbolKind::FUNCTION,
        OutlineKind::When => SymbolKind::NAMESPACE,
        _ => SymbolKind::NULL,
    };
    json!({
        "name": item.name,
        "kind": kind,
        "range": lines.range(&item.range),
        "selectionRange": lines.range(&item.selection),
        "children": item.children.iter().map(|c| symbol(c, lines)).collect::<Vec<_>>(),
    })
}

/// The name a document has in its analysis: its path for a `file:` URI,
/// else the URI itself.
fn file_name(uri: &Uri) -> String {
    let text = uri.as_str();
    match text.strip_prefix("file://") {
        Some(rest) => {
            // `file:///C:/...` on Windows, `file:///home/...` elsewhere.
            let path = percent_decode(rest);
            match path.strip_prefix('/') {
                Some(windows) if windows.get(1..2) == Some(":") => windows.to_string(),
                _ => path,
            }
        }
        None => text.to_string(),
    }
}

/// The folder of a file name: its set is the folder's files.
fn folder_of(name: &str) -> String {
    match Path::new(name).parent() {
        Some(parent) if name.starts_with('/') || name.get(1..2) == Some(":") => {
            parent.to_string_lossy().into_owned()
        }
        // A document that is no file (`untitled:`) is a set of its own.
        _ => name.to_string(),
    }
}

fn uri_of(name: &str) -> Option<Uri> {
    if name.starts_with('/') || name.get(1..2) == Some(":") {
        let mut uri = String::from("file://");
        if !name.starts_with('/') {
            uri.push('/');
        }
        for byte in name.bytes() {
            if byte.is_ascii_alphanumeric() || b"/-._~:".contains(&byte) {
                uri.push(byte as char);
            } else {
                uri.push_str(&format!("%{byte:02X}"));
            }
        }
        Uri::from_str(&uri).ok()
    } else {
        Uri::from_str(name).ok()
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(value) = hex {
                out.push(value);
                i += 3;
                continue;
            }
        }
        out.push(byte);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `*.json` files of a folder, by path, in order: the facts files a
/// code lens evaluates the policy on.
fn facts_files(folder: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json") && path.is_file())
        .filter_map(|path| path.to_str().map(str::to_string))
        .collect();
    files.sort();
    files
}

/// The `*.policy` and `*.tests` files of a folder, as text; files that
/// cannot be read, or are larger than a policy may be, are left out (the
/// check says so for files it is given).
fn read_folder(folder: &str) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let path: PathBuf = entry.path();
        let wanted = path
            .extension()
            .is_some_and(|e| e == "policy" || e == "tests");
        let small = entry
            .metadata()
            .is_ok_and(|m| m.is_file() && m.len() <= verdict::Limits::MAX_POLICY_BYTES as u64);
        if !wanted || !small {
            continue;
        }
        if let (Some(name), Ok(text)) = (path.to_str(), std::fs::read_to_string(&path)) {
            files.push((name.to_string(), text));
        }
    }
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_in_each_encoding() {
        let text = "a\nTür 𝄞 x\n";
        let x = text.find('x').unwrap_or_default();
        for (encoding, character) in [
            (Encoding::Utf8, 10),
            (Encoding::Utf16, 7),
            (Encoding::Utf32, 6),
        ] {
            let lines = Lines::new(text, encoding);
            assert_eq!(lines.position(x), Position::new(1, character));
            assert_eq!(lines.offset(Position::new(1, character)), x);
        }
        let lines = Lines::new(text, Encoding::Utf16);
        // Past a line's end is its end; past the last line, the text's.
        assert_eq!(lines.offset(Position::new(0, 40)), 1);
        assert_eq!(lines.offset(Position::new(9, 0)), text.len());
    }

    #[test]
    fn an_edit_to_a_new_file_creates_it_first() {
        let server = Server::new(Encoding::Utf16);
        let edit = verdict::ide::TextEdit {
            file: String::from("/nonexistent-verdict-folder/returns.tests"),
            range: 0..0,
            new_text: String::from("test \"t\"\n"),
        };
        let change = server.workspace_edit(&[edit]);
        let uri = "file:///nonexistent-verdict-folder/returns.tests";
        assert_eq!(
            change,
            json!({"documentChanges": [
                {"kind": "create", "uri": uri, "options": {"ignoreIfExists": true}},
                {"textDocument": {"uri": uri, "version": null}, "edits": [
                    {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "newText": "test \"t\"\n"}
                ]},
            ]})
        );
    }

    #[test]
    fn file_uris_and_names() {
        let uri = Uri::from_str("file:///tmp/my%20policies/a.policy");
        assert_eq!(
            uri.as_ref().ok().map(file_name).as_deref(),
            Some("/tmp/my policies/a.policy")
        );
        assert_eq!(folder_of("/tmp/my policies/a.policy"), "/tmp/my policies");
        assert_eq!(
            uri_of("/tmp/my policies/a.policy").map(|u| u.as_str().to_string()),
            Some(String::from("file:///tmp/my%20policies/a.policy"))
        );
        assert_eq!(folder_of("untitled:Untitled-1"), "untitled:Untitled-1");
    }
}
