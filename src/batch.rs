//! Batch evaluation of NDJSON: one facts object per input line, one output
//! line per input line, in input order. A bad line yields an error object
//! with its line number and never stops the batch. Lines are read in chunks
//! and each chunk is decided on every core (rayon) before it is written, so
//! memory stays bounded by the chunk size, whatever the input's size.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::ops::Range;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::compile::DecisionTree;
use crate::diagnostics::{ProblemData, Severity};
use crate::model::RuleId;
use crate::policy_set::{DecisionRef, PolicySet};

/// About how many bytes of input are decided together: a block read in one
/// go, split at its last line end.
pub(crate) const CHUNK_BYTES: usize = 1 << 20;

/// How many lines one task decides: enough to outweigh scheduling, and
/// few enough that the cores finish a block at about the same moment (a
/// block's output waits for its last task).
const LINES_PER_TASK: usize = 64;

/// What a batch did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Input lines read (each got one output line).
    pub lines: u64,
    /// How often each decision was made (over every policy of the set).
    pub decisions: BTreeMap<String, u64>,
    /// Lines that yielded an error object.
    pub errors: u64,
    /// How long the batch took.
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
            "{} line{}: {}; {} error{}; {:.3} s, {:.0} lines/s",
            self.lines,
            if self.lines == 1 { "" } else { "s" },
            if kinds.is_empty() {
                String::from("no decisions")
            } else {
                kinds.join(", ")
            },
            self.errors,
            if self.errors == 1 { "" } else { "s" },
            seconds,
            rate
        )
    }
}

/// What the reader hands on: a block of whole lines, or a line too long
/// to keep.
enum Chunk {
    Lines(Block),
    /// A line longer than a facts document may be, which was counted
    /// rather than kept: its number and length.
    TooLong {
        number: u64,
        length: usize,
        /// Input bytes read so far, for progress.
        read: u64,
    },
}

/// Whole input lines as they were read, cut into tasks.
struct Block {
    /// The lines, each ending with a line end but perhaps the input's last.
    bytes: Vec<u8>,
    /// Where each task's lines start in `bytes`, and the number of its
    /// first line; a task runs to the next one's start.
    tasks: Vec<(usize, u64)>,
    /// How many lines the block holds.
    lines: u64,
    /// Input bytes read so far, for progress.
    read: u64,
}

/// What one task decided: output text, and counts for the summary.
#[derive(Default)]
struct Decided<'a> {
    output: Vec<u8>,
    /// How often each decision was made, by its text in the set.
    decisions: Vec<(&'a str, u64)>,
    errors: u64,
}

impl<'a> Decided<'a> {
    /// Counts one `kind` of decision.
    fn count(&mut self, kind: &'a str) {
        match self.decisions.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => self.decisions.push((kind, 1)),
        }
    }
}

/// Why a batch stopped before the end of its input: the input could not
/// be read, or the output written. Every line before that was answered.
#[derive(Debug)]
pub enum Failure {
    /// Reading the input failed.
    Input(std::io::Error),
    /// Writing the output failed (a closed pipe included).
    Output(std::io::Error),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Input(e) => write!(f, "cannot read the input: {e}"),
            Failure::Output(e) => write!(f, "cannot write the output: {e}"),
        }
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Failure::Input(e) | Failure::Output(e) => Some(e),
        }
    }
}

/// Sets of up to this many policies have a line's decisions copied from
/// [`Fragments`]; larger ones are serialized each time.
const FAST_POLICIES: usize = 16;

/// Decides every line of `input`, writing one JSON object per line to
/// `output`, in order: the decisions of a line that decides (as
/// `{"line": N, "decisions": [...]}`), or the errors of one that does not
/// (`{"line": N, "errors": [...]}`, each with its code and message).
/// `progress` is told how many bytes have been read so far. The summary
/// counts lines, decisions and errors.
///
/// ```
/// let policies = verdict::PolicySet::builtin().map_err(|r| r.render(80))?;
/// let input = concat!(
///     r#"{"partner": {"role": "reseller"}, "request": {"action": "invite"}}"#, "\n",
///     "not json\n",
/// );
/// let mut output = Vec::new();
/// let summary = verdict::batch::run(&policies, input.as_bytes(), &mut output, |_| {})
///     .map_err(|e| e.to_string())?;
/// assert_eq!((summary.lines, summary.errors), (2, 1));
/// let text = String::from_utf8(output).map_err(|e| e.to_string())?;
/// assert_eq!(text.lines().count(), 2);
/// # Ok::<(), String>(())
/// ```
///
/// Three stages overlap: a thread reads blocks of about 1 MiB of whole
/// lines and counts their lines, the calling thread decides each
/// block on every core (rayon), in tasks that split their own lines, and a
/// thread writes the results in order. The channels between them hold two
/// blocks each, which bounds memory; a decided block's buffer goes back to
/// the reader to be filled again.
pub fn run(
    set: &PolicySet,
    input: impl BufRead + Send,
    output: impl Write + Send,
    progress: impl FnMut(u64),
) -> Result<Summary, Failure> {
    run_observed(set, input, output, progress, &|_, _| {})
}

/// [`run`], telling `decided` of each line that decides: its number and
/// its text. It is called from the threads that decide, as lines are
/// decided, so not in order; a service logs decisions with it.
///
/// ```
/// let policies = verdict::PolicySet::builtin().map_err(|r| r.render(80))?;
/// let line = r#"{"partner": {"role": "reseller"}, "request": {"action": "invite"}}"#;
/// let input = format!("{line}\nnot json\n{line}\n");
/// let seen = std::sync::Mutex::new(Vec::new());
/// verdict::batch::run_observed(&policies, input.as_bytes(), std::io::sink(), |_| {}, &|n, text| {
///     seen.lock().map(|mut seen| seen.push((n, text.len()))).ok();
/// })
/// .map_err(|e| e.to_string())?;
/// let mut seen = seen.into_inner().map_err(|e| e.to_string())?;
/// seen.sort();
/// assert_eq!(seen, [(1, line.len()), (3, line.len())]);
/// # Ok::<(), String>(())
/// ```
pub fn run_observed(
    set: &PolicySet,
    mut input: impl BufRead + Send,
    mut output: impl Write + Send,
    mut progress: impl FnMut(u64),
    decided: &(dyn Fn(u64, &str) + Sync),
) -> Result<Summary, Failure> {
    let observer = decided;
    let start = Instant::now();
    let mut summary = Summary::default();
    // A line longer than a facts document may be is not kept whole.
    let max_line = set.limits().max_facts_bytes;
    let fragments = Fragments::new(set);
    let fragments = &fragments;
    std::thread::scope(|scope| {
        let (chunks_tx, chunks_rx) = std::sync::mpsc::sync_channel::<Chunk>(2);
        let (spare_tx, spare_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
        let (out_tx, out_rx) = std::sync::mpsc::sync_channel::<Vec<Vec<u8>>>(2);
        let (pieces_tx, pieces_rx) =
            std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(CHUNK_BYTES / PIECE_BYTES);
        // Reads whatever the input has, as soon as it has it, so that the
        // thread cutting blocks can tell a stalled input from a busy one.
        scope.spawn(move || loop {
            let piece = match input.fill_buf() {
                Ok([]) => break,
                Ok(buffer) => {
                    let take = buffer.len().min(PIECE_BYTES);
                    let piece = buffer.get(..take).unwrap_or_default().to_vec();
                    input.consume(take);
                    Ok(piece)
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
            let failed = piece.is_err();
            if pieces_tx.send(piece).is_err() || failed {
                break;
            }
        });
        let reader = scope.spawn(move || -> std::io::Result<()> {
            let mut feed = Feed::new(pieces_rx);
            let mut blocks = Blocks::new(max_line);
            while let Some(chunk) = blocks.next(&mut feed, spare_rx.try_recv().ok())? {
                if chunks_tx.send(chunk).is_err() {
                    break;
                }
            }
            Ok(())
        });
        let writer = scope.spawn(move || -> std::io::Result<()> {
            use std::sync::mpsc::TryRecvError;
            loop {
                // Flushed whenever no decided block is waiting: at once when
                // lines come slowly, about once a block when they pour in.
                let parts = match out_rx.try_recv() {
                    Ok(parts) => parts,
                    Err(TryRecvError::Empty) => {
                        output.flush()?;
                        match out_rx.recv() {
                            Ok(parts) => parts,
                            Err(_) => break,
                        }
                    }
                    Err(TryRecvError::Disconnected) => break,
                };
                for part in parts {
                    output.write_all(&part)?;
                }
            }
            output.flush()
        });
        for chunk in chunks_rx {
            let (decided, read) = match chunk {
                Chunk::Lines(block) => {
                    let bytes = &block.bytes;
                    let ends = block.tasks.iter().skip(1).map(|(start, _)| *start);
                    let tasks: Vec<(Range<usize>, u64)> = block
                        .tasks
                        .iter()
                        .zip(ends.chain([bytes.len()]))
                        .map(|((start, first), end)| (*start..end, *first))
                        .collect();
                    let decided: Vec<Decided> = tasks
                        .par_iter()
                        .map(|(range, first)| {
                            let lines = bytes.get(range.clone()).unwrap_or_default();
                            decide_lines(set, fragments, lines, *first, observer)
                        })
                        .collect();
                    summary.lines += block.lines;
                    // The reader may have a buffer already; then this one goes.
                    let _ = spare_tx.try_send(block.bytes);
                    (decided, block.read)
                }
                Chunk::TooLong {
                    number,
                    length,
                    read,
                } => {
                    let mut decided = Decided::default();
                    too_long(set, number, length, &mut decided);
                    summary.lines += 1;
                    (vec![decided], read)
                }
            };
            let mut parts = Vec::with_capacity(decided.len());
            for task in decided {
                summary.errors += task.errors;
                for (kind, n) in task.decisions {
                    match summary.decisions.get_mut(kind) {
                        Some(count) => *count += n,
                        None => {
                            summary.decisions.insert(kind.to_string(), n);
                        }
                    }
                }
                parts.push(task.output);
            }
            if out_tx.send(parts).is_err() {
                break;
            }
            progress(read);
        }
        drop(out_tx);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the writer thread failed")))
            .map_err(Failure::Output);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the reader thread failed")))
            .map_err(Failure::Input);
        written.and(read)
    })?;
    summary.elapsed = start.elapsed();
    Ok(summary)
}

/// How many bytes the input is read in at most at a time.
const PIECE_BYTES: usize = 1 << 16;

/// The input as the reading thread hands it on, piece by piece: a
/// [`BufRead`] that can also say whether more is there right now.
struct Feed {
    pieces: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    piece: Vec<u8>,
    at: usize,
    /// A read error seen while looking ahead, for the next read.
    pending: Option<std::io::Error>,
}

impl Feed {
    fn new(pieces: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>) -> Feed {
        Feed {
            pieces,
            piece: Vec::new(),
            at: 0,
            pending: None,
        }
    }

    /// Whether reading on would not wait: bytes are at hand, the input
    /// ended, or it failed. False when the input stalls, as a pipe whose
    /// writer is slow does.
    fn ready(&mut self) -> bool {
        use std::sync::mpsc::TryRecvError;
        if self.at < self.piece.len() {
            return true;
        }
        match self.pieces.try_recv() {
            Ok(Ok(piece)) => {
                self.piece = piece;
                self.at = 0;
                true
            }
            Ok(Err(e)) => {
                // Kept for the next read to report.
                self.pending = Some(e);
                true
            }
            Err(TryRecvError::Empty) => false,
            Err(TryRecvError::Disconnected) => true,
        }
    }
}

impl std::io::Read for Feed {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        if let (Some(to), Some(from)) = (buf.get_mut(..n), available.get(..n)) {
            to.copy_from_slice(from);
        }
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Feed {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        if self.at >= self.piece.len() {
            match self.pieces.recv() {
                Ok(Ok(piece)) => {
                    self.piece = piece;
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(e),
                // The reading thread is done: the end of the input.
                Err(_) => {
                    self.piece.clear();
                    self.at = 0;
                }
            }
        }
        Ok(self.piece.get(self.at..).unwrap_or_default())
    }

    fn consume(&mut self, amount: usize) {
        self.at = (self.at + amount).min(self.piece.len());
    }
}

/// Cuts input into blocks of whole lines.
struct Blocks {
    /// The start of a line that the last block ended inside.
    carry: Vec<u8>,
    /// Set while skipping a line too long to keep: its length so far.
    skipping: Option<usize>,
    max_line: usize,
    next_line: u64,
    read: u64,
    done: bool,
    /// A read error met after whole lines, reported once they are decided.
    failed: Option<std::io::Error>,
}

impl Blocks {
    fn new(max_line: usize) -> Blocks {
        Blocks {
            carry: Vec::new(),
            skipping: None,
            max_line,
            next_line: 1,
            read: 0,
            done: false,
            failed: None,
        }
    }

    /// The next chunk: the carried-over start of a line, then whole lines
    /// up to about [`CHUNK_BYTES`], read into `spare` if there is one; or
    /// a line too long to keep; `None` at the end.
    fn next(&mut self, input: &mut Feed, spare: Option<Vec<u8>>) -> std::io::Result<Option<Chunk>> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        if let Some(length) = self.skipping.take() {
            return self.skip_line(input, length).map(Some);
        }
        if self.done {
            return Ok(None);
        }
        let mut bytes =
            spare.unwrap_or_else(|| Vec::with_capacity(CHUNK_BYTES + (CHUNK_BYTES >> 4)));
        bytes.clear();
        bytes.extend_from_slice(&self.carry);
        self.carry.clear();
        // Where the unfinished last line starts (the carry has no line end).
        let mut line_start = 0;
        loop {
            // Whole lines go on when the block is full, and as soon as the
            // input stalls, so that a slow writer's lines are answered.
            if line_start > 0 && (bytes.len() >= CHUNK_BYTES || !input.ready()) {
                break;
            }
            let buffer = match input.fill_buf() {
                Ok(buffer) => buffer,
                // The whole lines read so far are answered first.
                Err(e) if line_start > 0 => {
                    self.failed = Some(e);
                    break;
                }
                Err(e) => return Err(e),
            };
            if buffer.is_empty() {
                self.done = true;
                break;
            }
            let room = CHUNK_BYTES.saturating_sub(bytes.len());
            let take = if room > 0 {
                room.min(buffer.len())
            } else {
                // A line longer than a block: read on to its end, but never
                // more than shows that it is too long to keep.
                let unfinished = bytes.len() - line_start;
                memchr::memchr(b'\n', buffer)
                    .map_or(buffer.len(), |end| end + 1)
                    .min(self.max_line.saturating_sub(unfinished).saturating_add(1))
            };
            let at = bytes.len();
            bytes.extend_from_slice(buffer.get(..take).unwrap_or_default());
            input.consume(take);
            self.read += take as u64;
            if let Some(end) = memchr::memrchr(b'\n', bytes.get(at..).unwrap_or_default()) {
                line_start = at + end + 1;
            }
            if bytes.len() - line_start > self.max_line {
                // Too long to keep: the next call counts the rest of it.
                self.skipping = Some(bytes.len() - line_start);
                bytes.truncate(line_start);
                break;
            }
        }
        // The unfinished last line goes on to the next block, or, at the
        // end of the input, is the last line.
        if !self.done && self.skipping.is_none() {
            self.carry
                .extend_from_slice(bytes.get(line_start..).unwrap_or_default());
            bytes.truncate(line_start);
        }
        if bytes.is_empty() {
            return match self.skipping.take() {
                Some(length) => self.skip_line(input, length).map(Some),
                None => Ok(None),
            };
        }
        // Lines are counted here, which is cheap, so that each task knows
        // the number of its first line; the tasks split them.
        let first = self.next_line;
        let mut tasks = vec![(0, first)];
        let mut lines: u64 = 0;
        for end in memchr::memchr_iter(b'\n', &bytes) {
            lines += 1;
            if lines.is_multiple_of(LINES_PER_TASK as u64) && end + 1 < bytes.len() {
                tasks.push((end + 1, first + lines));
            }
        }
        if bytes.last() != Some(&b'\n') {
            lines += 1;
        }
        self.next_line += lines;
        Ok(Some(Chunk::Lines(Block {
            bytes,
            tasks,
            lines,
            read: self.read,
        })))
    }

    /// Reads on to the end of a line too long to keep, `length` bytes of
    /// which were read, counting it.
    fn skip_line(&mut self, input: &mut impl BufRead, mut length: usize) -> std::io::Result<Chunk> {
        loop {
            let buffer = input.fill_buf()?;
            if buffer.is_empty() {
                self.done = true;
                break;
            }
            let (piece, taken) = match memchr::memchr(b'\n', buffer) {
                Some(end) => (end, end + 1),
                None => (buffer.len(), buffer.len()),
            };
            length += piece;
            input.consume(taken);
            self.read += taken as u64;
            if piece < taken {
                break;
            }
        }
        let number = self.next_line;
        self.next_line += 1;
        Ok(Chunk::TooLong {
            number,
            length,
            read: self.read,
        })
    }
}

/// Decides the lines of one task, numbered from `first`.
fn decide_lines<'a>(
    set: &'a PolicySet,
    fragments: &Fragments,
    bytes: &[u8],
    first: u64,
    observer: &(dyn Fn(u64, &str) + Sync),
) -> Decided<'a> {
    let mut decided = Decided {
        output: Vec::with_capacity(LINES_PER_TASK * 256),
        ..Decided::default()
    };
    let max_line = set.limits().max_facts_bytes;
    let mut rest = bytes;
    let mut number = first;
    while !rest.is_empty() {
        let (mut line, next) = match memchr::memchr(b'\n', rest) {
            Some(end) => (
                rest.get(..end).unwrap_or_default(),
                rest.get(end + 1..).unwrap_or_default(),
            ),
            None => (rest, &[][..]),
        };
        if line.len() > max_line {
            too_long(set, number, line.len(), &mut decided);
        } else {
            if let Some(without_cr) = line.strip_suffix(b"\r") {
                line = without_cr;
            }
            decide_line(set, fragments, number, line, &mut decided, observer);
        }
        number += 1;
        rest = next;
    }
    decided
}

/// The error object of a line `length` bytes long, past the limit.
fn too_long(set: &PolicySet, number: u64, length: usize, decided: &mut Decided) {
    let message = format!(
        "the line has {length} bytes; lines of up to {} bytes are read (`Limits::max_facts_bytes`)",
        set.limits().max_facts_bytes
    );
    let mut object = error("verdict::io::too_large", message);
    object.help = Some(String::from(
        "a line holds one facts object: pass only the facts the policies read",
    ));
    error_object(number, vec![object], decided);
}

fn error_object(number: u64, errors: Vec<ProblemData>, decided: &mut Decided) {
    #[derive(serde::Serialize)]
    struct Output {
        line: u64,
        errors: Vec<ProblemData>,
    }
    // Writing to a Vec fails only if serializing does, and these fields
    // are strings and numbers.
    let _ = serde_json::to_writer(
        &mut decided.output,
        &Output {
            line: number,
            errors,
        },
    );
    decided.output.push(b'\n');
    decided.errors += 1;
}

/// An error about a line as a whole, which points at nothing in it.
fn error(code: &str, message: String) -> ProblemData {
    ProblemData {
        code: Some(code.to_string()),
        severity: Severity::Error,
        message,
        help: None,
        labels: Vec::new(),
    }
}

/// Each policy's decisions as JSON, each written once and then copied:
/// most of a batch's output is the same few decisions over and over, and
/// writing a reason out escapes it byte by byte. By policy, then by rule
/// index plus one (zero: the policy's `otherwise`).
struct Fragments(Vec<Vec<std::sync::OnceLock<Box<[u8]>>>>);

impl Fragments {
    fn new(set: &PolicySet) -> Fragments {
        Fragments(
            set.trees()
                .iter()
                .map(|tree| {
                    let slots = tree.policy.rules.len() + 1;
                    std::iter::repeat_with(std::sync::OnceLock::new)
                        .take(slots)
                        .collect()
                })
                .collect(),
        )
    }

    /// The JSON of `rule`'s decision (`None`: the `otherwise`) in the
    /// policy at `index` of the set.
    #[inline]
    fn get(&self, index: usize, tree: &DecisionTree, rule: Option<RuleId>) -> &[u8] {
        let slot = rule.map_or(0, |r| r.0 as usize + 1);
        let write = || {
            // Writing to a Vec fails only if serializing does, and a
            // decision is strings.
            serde_json::to_vec(&crate::policy_set::decision_ref(&tree.policy, rule))
                .unwrap_or_default()
                .into_boxed_slice()
        };
        match self.0.get(index).and_then(|slots| slots.get(slot)) {
            Some(cell) => cell.get_or_init(write),
            None => &[],
        }
    }
}

/// Decides one line, writing its output line.
fn decide_line<'a>(
    set: &'a PolicySet,
    fragments: &Fragments,
    number: u64,
    raw: &[u8],
    decided: &mut Decided<'a>,
    observer: &(dyn Fn(u64, &str) + Sync),
) {
    let text = match std::str::from_utf8(raw) {
        Ok(text) => text,
        Err(e) => {
            let message = format!(
                "the line is not UTF-8 text: invalid byte at offset {}",
                e.valid_up_to()
            );
            let mut object = error("verdict::io::not_utf8", message);
            object.help = Some(String::from(
                "NDJSON is UTF-8 text: convert the input from its encoding, e.g. with `iconv -t UTF-8`",
            ));
            return error_object(number, vec![object], decided);
        }
    };
    if text.trim().is_empty() {
        let message = String::from("the line is empty; each line holds one facts object");
        let mut object = error("verdict::facts::syntax", message);
        object.help = Some(String::from(
            "remove the empty line: each line of the input gets one line of output, in order",
        ));
        return error_object(number, vec![object], decided);
    }
    // The usual way: the values picked from the text, the decisions copied
    // from their fragments. The output is what serializing `Output` below
    // writes, byte for byte.
    let policies = set.trees().len();
    if policies <= FAST_POLICIES {
        let start = decided.output.len();
        let output = &mut decided.output;
        let mut kinds: [&'a str; FAST_POLICIES] = [""; FAST_POLICIES];
        output.extend_from_slice(b"{\"line\":");
        push_number(output, number);
        output.extend_from_slice(b",\"decisions\":[");
        let picked = set.decide_picked_each(text, |index, tree, rule| {
            if index > 0 {
                output.push(b',');
            }
            output.extend_from_slice(fragments.get(index, tree, rule));
            if let Some(kind) = kinds.get_mut(index) {
                *kind = crate::policy_set::decision_ref(&tree.policy, rule).decision;
            }
        });
        if picked.is_some() {
            output.extend_from_slice(b"]}\n");
            for kind in kinds.iter().take(policies) {
                decided.count(kind);
            }
            observer(number, text);
            return;
        }
        // Not decided that way: the path that also says why.
        output.truncate(start);
    }
    match set.decide_json("line", text) {
        Ok(decisions) => {
            #[derive(serde::Serialize)]
            struct Output<'d, 'a> {
                line: u64,
                decisions: &'d [DecisionRef<'a>],
            }
            let _ = serde_json::to_writer(
                &mut decided.output,
                &Output {
                    line: number,
                    decisions: &decisions,
                },
            );
            decided.output.push(b'\n');
            for decision in decisions.iter() {
                decided.count(decision.decision);
            }
            observer(number, text);
        }
        Err(report) => failed_line(number, &report, decided),
    }
}

/// Writes `n` in decimal: what `write!` writes, without its formatting
/// machinery, which was a twentieth of a batch's time.
fn push_number(output: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        if let Some(digit) = digits.get_mut(at) {
            *digit = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    output.extend_from_slice(digits.get(at..).unwrap_or_default());
}

/// The error object of a line that does not decide: the diagnostics of
/// deciding it on its own, in the shape `check --format json` writes them,
/// labels in the line in a file named `line N` (the others point into the
/// policies).
fn failed_line(number: u64, report: &crate::diagnostics::Report, decided: &mut Decided) {
    let mut errors = report.data().diagnostics;
    let name = format!("line {number}");
    for label in errors.iter_mut().flat_map(|e| e.labels.iter_mut()) {
        if label.file == "line" {
            label.file.clone_from(&name);
        }
    }
    error_object(number, errors, decided);
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_written_as_write_writes_them() {
        for n in [0, 1, 9, 10, 99, 100, 1_000_007, u64::MAX - 1, u64::MAX] {
            let mut output = b"x".to_vec();
            super::push_number(&mut output, n);
            assert_eq!(output, format!("x{n}").into_bytes());
        }
    }
}
