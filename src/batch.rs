//! Batch evaluation of NDJSON: one facts object per input line, one output
//! line per input line, in input order. A bad line yields an error object
//! with its line number and never stops the batch. Lines are read in chunks
//! and each chunk is decided on every core (rayon) before it is written, so
//! memory stays bounded by the chunk size, whatever the input's size.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use std::time::{Duration, Instant};

use miette::Diagnostic;
use rayon::prelude::*;
use serde_json::Value;

use crate::{Decision, PolicySet};

/// How many lines are decided together.
pub const CHUNK_LINES: usize = 4_096;

/// What a batch did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub lines: u64,
    /// How often each decision was made (over every policy of the set).
    pub decisions: BTreeMap<String, u64>,
    /// Lines that yielded an error object.
    pub errors: u64,
    pub elapsed: Duration,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seconds = self.elapsed.as_secs_f64();
        let rate = if seconds > 0.0 {
            self.lines as f64 / seconds
        } else {
            0.0
        };
        let kinds: Vec<String> = self
            .decisions
            .iter()
            .map(|(d, n)| format!("{d} {n}"))
            .collect();
        write!(
            f,
            "{} lines: {}; {} errors; {:.3} s, {:.0} lines/s",
            self.lines,
            if kinds.is_empty() {
                String::from("no decisions")
            } else {
                kinds.join(", ")
            },
            self.errors,
            seconds,
            rate
        )
    }
}

/// One input line, as read.
enum Line {
    Text(String),
    NotUtf8(usize),
    TooLong(usize),
}

/// The outcome of one line: the decisions made, or errors.
enum Decided {
    Decisions(Vec<String>),
    Errors,
}

/// Decides every line of `input`, writing one JSON object per line to
/// `output`. `progress` is told how many bytes have been read so far.
///
/// Three stages overlap: a thread reads chunks of lines, the calling thread
/// decides each chunk on every core, and a thread writes the results. The
/// channels between them hold two chunks each, which bounds memory.
pub fn run(
    set: &PolicySet,
    mut input: impl BufRead + Send,
    mut output: impl Write + Send,
    mut progress: impl FnMut(u64),
) -> std::io::Result<Summary> {
    let start = Instant::now();
    let mut summary = Summary::default();
    std::thread::scope(|scope| {
        let (chunks_tx, chunks_rx) = std::sync::mpsc::sync_channel::<(Vec<Line>, u64)>(2);
        let (lines_tx, lines_rx) = std::sync::mpsc::sync_channel::<Vec<String>>(2);
        // A line longer than a facts document may be is not kept whole.
        let max_line = set.limits().max_facts_bytes;
        let reader = scope.spawn(move || -> std::io::Result<()> {
            let mut bytes_read = 0u64;
            loop {
                let mut chunk = Vec::with_capacity(CHUNK_LINES);
                while chunk.len() < CHUNK_LINES {
                    match read_line(&mut input, &mut bytes_read, max_line)? {
                        Some(line) => chunk.push(line),
                        None => break,
                    }
                }
                if chunk.is_empty() || chunks_tx.send((chunk, bytes_read)).is_err() {
                    return Ok(());
                }
            }
        });
        let writer = scope.spawn(move || -> std::io::Result<()> {
            for lines in lines_rx {
                for line in lines {
                    output.write_all(line.as_bytes())?;
                    output.write_all(b"\n")?;
                }
            }
            output.flush()
        });
        for (chunk, bytes_read) in chunks_rx {
            let first = summary.lines + 1;
            let decided: Vec<(String, Decided)> = chunk
                .par_iter()
                .enumerate()
                .map(|(i, line)| decide_line(set, first + i as u64, line))
                .collect();
            let mut lines = Vec::with_capacity(decided.len());
            for (text, outcome) in decided {
                summary.lines += 1;
                match outcome {
                    Decided::Decisions(decisions) => {
                        for d in decisions {
                            *summary.decisions.entry(d).or_default() += 1;
                        }
                    }
                    Decided::Errors => summary.errors += 1,
                }
                lines.push(text);
            }
            if lines_tx.send(lines).is_err() {
                break;
            }
            progress(bytes_read);
        }
        drop(lines_tx);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the writer thread failed")));
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the reader thread failed")));
        written.and(read)
    })?;
    summary.elapsed = start.elapsed();
    Ok(summary)
}

/// Reads one line without its line ending, keeping at most `max` bytes of
/// it (a longer line is only counted); `None` at the end of the input.
fn read_line(
    input: &mut impl BufRead,
    bytes_read: &mut u64,
    max: usize,
) -> std::io::Result<Option<Line>> {
    let mut bytes = Vec::new();
    let mut too_long = 0usize;
    let mut saw_any = false;
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            break;
        }
        saw_any = true;
        let (taken, done) = match buffer.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buffer.len(), false),
        };
        let content = buffer.get(..taken).unwrap_or_default();
        if too_long > 0 || bytes.len() + content.len() > max {
            too_long += content.len();
            too_long += bytes.len();
            bytes.clear();
        } else {
            bytes.extend_from_slice(content);
        }
        input.consume(taken);
        *bytes_read += taken as u64;
        if done {
            break;
        }
    }
    if !saw_any {
        return Ok(None);
    }
    if too_long > 0 {
        return Ok(Some(Line::TooLong(too_long)));
    }
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    Ok(Some(match String::from_utf8(bytes) {
        Ok(text) => Line::Text(text),
        Err(e) => Line::NotUtf8(e.utf8_error().valid_up_to()),
    }))
}

/// One error of a line, as written out.
#[derive(serde::Serialize)]
struct LineError {
    code: String,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<String>,
    /// For JSON syntax errors: the column in the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
}

fn error_object(number: u64, errors: Vec<LineError>) -> (String, Decided) {
    #[derive(serde::Serialize)]
    struct Output {
        line: u64,
        errors: Vec<LineError>,
    }
    let text = serde_json::to_string(&Output {
        line: number,
        errors,
    })
    .unwrap_or_default();
    (text, Decided::Errors)
}

fn error(code: &str, message: String) -> LineError {
    LineError {
        code: code.to_string(),
        message,
        help: None,
        column: None,
    }
}

/// Decides one line: the output line, and what it was.
fn decide_line(set: &PolicySet, number: u64, line: &Line) -> (String, Decided) {
    let text = match line {
        Line::Text(text) => text,
        Line::NotUtf8(offset) => {
            return error_object(
                number,
                vec![error(
                    "verdict::io::not_utf8",
                    format!("the line is not UTF-8 text: invalid byte at offset {offset}"),
                )],
            )
        }
        Line::TooLong(bytes) => {
            return error_object(
                number,
                vec![error(
                    "verdict::io::too_large",
                    format!(
                        "the line has {bytes} bytes; lines of up to {} bytes are read (`Limits::max_facts_bytes`)",
                        set.limits().max_facts_bytes
                    ),
                )],
            )
        }
    };
    if text.trim().is_empty() {
        return error_object(
            number,
            vec![error(
                "verdict::facts::syntax",
                String::from("the line is empty; each line holds one facts object"),
            )],
        );
    }
    let facts: Value = match serde_json::from_str(text) {
        Ok(facts) => facts,
        Err(e) => {
            let message = e.to_string();
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(m, _)| m);
            let mut object = error(
                "verdict::facts::syntax",
                format!("facts are not valid JSON: {message}"),
            );
            object.column = Some(e.column());
            return error_object(number, vec![object]);
        }
    };
    match set.evaluate(&facts) {
        Ok(decisions) => {
            #[derive(serde::Serialize)]
            struct Output<'a> {
                line: u64,
                decisions: &'a [Decision],
            }
            let text = serde_json::to_string(&Output {
                line: number,
                decisions: &decisions,
            })
            .unwrap_or_default();
            let kinds = decisions.into_iter().map(|d| d.decision).collect();
            (text, Decided::Decisions(kinds))
        }
        Err(report) => {
            let errors = report
                .problems
                .iter()
                .map(|problem| {
                    let mut object = error(
                        &problem.code().map(|c| c.to_string()).unwrap_or_default(),
                        problem.to_string(),
                    );
                    object.help = problem.help().map(|h| h.to_string());
                    object
                })
                .collect();
            error_object(number, errors)
        }
    }
}
