//! Source files and spans: every file verdict reads (policies and facts) gets a
//! place in one [`SourceMap`], so a [`Span`] is two `u32`s that name a file and a
//! range within it at once, and a diagnostic can point into several files.

use std::fmt;
use std::sync::Arc;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// A range of bytes in a [`SourceMap`]: the offsets are global, so a span also
/// says which file it is in.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Span {
    /// The first byte's global offset.
    pub start: u32,
    /// The global offset just past the last byte.
    pub end: u32,
}

impl Span {
    /// The span from `start` up to `end`.
    pub fn new(start: u32, end: u32) -> Span {
        Span { start, end }
    }

    /// The empty span where this one starts.
    pub fn start_only(self) -> Span {
        Span::new(self.start, self.start)
    }

    /// The smallest span that covers both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// How many bytes the span covers.
    pub fn len(self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    /// Whether the span covers no byte.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

impl From<Span> for SourceSpan {
    fn from(span: Span) -> SourceSpan {
        SourceSpan::new((span.start as usize).into(), span.len() as usize)
    }
}

/// A value with the span it was read from. Equality ignores the span, so
/// syntax trees compare by meaning.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(node: T, span: Span) -> Spanned<T> {
        Spanned { node, span }
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

/// One file's name and text, placed at `base` in its map.
#[derive(Debug)]
pub struct SourceFile {
    /// The file's name, as diagnostics show it.
    pub name: String,
    /// Its text (a byte-order mark blanked, so offsets stay put).
    pub text: String,
    base: u32,
    /// Whether the text began with a byte-order mark: its three blanks are
    /// no column.
    bom: bool,
    /// The offset of each line's first byte, for line numbers in O(log n).
    line_starts: Vec<u32>,
}

impl SourceFile {
    /// A file whose first byte is at the global offset `base`. A
    /// byte-order mark is no content: blanks take its place, which keeps
    /// every offset where it was.
    pub fn new(name: impl Into<String>, text: impl Into<String>, base: u32) -> SourceFile {
        let mut text = text.into();
        let bom = text.starts_with('\u{feff}');
        if bom {
            text.replace_range(..'\u{feff}'.len_utf8(), BOM_BLANKS);
        }
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i as u32 + 1))
            .collect();
        SourceFile {
            name: name.into(),
            text,
            base,
            bom,
            line_starts,
        }
    }

    /// The global span of the byte range `start..end` of this file.
    pub fn span(&self, start: usize, end: usize) -> Span {
        let at = |offset: usize| {
            self.base
                .saturating_add(u32::try_from(offset).unwrap_or(u32::MAX))
        };
        Span::new(at(start), at(end))
    }

    /// The first global offset of this file.
    pub fn base(&self) -> u32 {
        self.base
    }

    /// The text a span covers, if the span lies in this file.
    pub fn slice(&self, span: Span) -> Option<&str> {
        let start = span.start.checked_sub(self.base)? as usize;
        let end = span.end.checked_sub(self.base)? as usize;
        self.text.get(start..end)
    }

    /// The length in bytes of the line that holds a global offset.
    pub fn line_length(&self, offset: u32) -> usize {
        let local = (offset.saturating_sub(self.base) as usize).min(self.text.len());
        let start = self
            .text
            .get(..local)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i + 1);
        let end = self
            .text
            .get(local..)
            .and_then(|t| t.find('\n'))
            .map_or(self.text.len(), |i| local + i);
        end - start
    }

    /// The 1-based line and column of a global offset in this file; the
    /// column counts characters, as editors do.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let local = (offset.saturating_sub(self.base) as usize).min(self.text.len());
        let line = self
            .line_starts
            .partition_point(|start| *start as usize <= local);
        let start = line
            .checked_sub(1)
            .and_then(|i| self.line_starts.get(i))
            .map_or(0, |s| *s as usize);
        let mut from = start;
        if self.bom && start == 0 {
            from = local.min(BOM_BLANKS.len());
        }
        let column = self
            .text
            .get(from..local)
            .map_or(local - from, |before| before.chars().count());
        (line.max(1), column + 1)
    }
}

/// Identifies a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// The files of one run, each at its own range of global offsets. Cloning is
/// cheap: the files are shared.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<Arc<SourceFile>>,
}

/// What a byte-order mark is replaced with: as many blanks as its bytes.
const BOM_BLANKS: &str = "   ";

/// The largest total size of the files in one map: spans are `u32`s.
pub const MAX_TOTAL_SOURCE_BYTES: usize = (u32::MAX / 2) as usize;

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file; returns `None` when the map would outgrow its `u32` offsets.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> Option<FileId> {
        let base = self.end();
        self.push(Arc::new(SourceFile::new(
            name,
            text,
            u32::try_from(base).ok()?,
        )))
    }

    /// Where a file added next would start: one past the end of the last.
    pub fn end(&self) -> usize {
        self.files
            .last()
            .map_or(0, |f| f.base as usize + f.text.len() + 1)
    }

    /// Adds a file made beforehand with [`SourceFile::new`], shared with
    /// whoever made it: how a [`Workspace`](crate::Workspace) keeps an
    /// unchanged file, and every span into it, from one check to the next.
    /// `None` when the file starts before the end of the last one (offsets
    /// must grow file by file) or ends past the offsets spans can hold.
    pub fn push(&mut self, file: Arc<SourceFile>) -> Option<FileId> {
        let end = file.base as usize + file.text.len() + 1;
        if (file.base as usize) < self.end() || end > MAX_TOTAL_SOURCE_BYTES {
            return None;
        }
        let id = FileId(u32::try_from(self.files.len()).ok()?);
        self.files.push(file);
        Some(id)
    }

    /// The file `id` names, if it is in this map.
    pub fn file(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize).map(|f| &**f)
    }

    /// The files, in the order they were added.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), &**f))
    }

    /// The file that holds a global offset.
    pub fn file_at(&self, offset: u32) -> Option<&SourceFile> {
        let index = self.files.partition_point(|f| f.base <= offset);
        let file = self.files.get(index.checked_sub(1)?)?;
        (offset as usize <= file.base as usize + file.text.len()).then_some(&**file)
    }

    /// `file:line` of the start of a span, for one-line summaries.
    pub fn location(&self, span: Span) -> String {
        match self.file_at(span.start) {
            Some(file) => {
                let (line, _) = file.line_col(span.start);
                format!("{}:{}", file.name, line)
            }
            None => String::from("<unknown>"),
        }
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> Option<&str> {
        self.file_at(span.start)?.slice(span)
    }
}

/// How many lines may lie between two labels' snippets for them to be
/// shown as one.
const BRIDGED_LINES: usize = 3;

impl SourceCode for SourceMap {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let start = u32::try_from(span.offset()).map_err(|_| MietteError::OutOfBounds)?;
        let file = self.file_at(start).ok_or(MietteError::OutOfBounds)?;
        let local = SourceSpan::new((span.offset() - file.base as usize).into(), span.len());
        if local.offset() + local.len() > file.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        // miette finds lines by reading from the start of the text it is
        // given: give it only the lines around the span, found by binary
        // search, so that rendering many diagnostics of a large file costs
        // in proportion to the diagnostics, not to the file. Lines before
        // the window are added back to the line numbers.
        let line_of = |offset: usize| {
            file.line_starts
                .partition_point(|start| *start as usize <= offset)
                .saturating_sub(1)
        };
        let first = line_of(local.offset()).saturating_sub(context_lines_before);
        let last = line_of(local.offset() + local.len())
            .saturating_add(context_lines_after)
            .saturating_add(2);
        let from = file
            .line_starts
            .get(first)
            .map_or(0, |start| *start as usize);
        let to = file
            .line_starts
            .get(last)
            .map_or(file.text.len(), |start| *start as usize);
        let lines = file.text.get(from..to).ok_or(MietteError::OutOfBounds)?;
        let within = SourceSpan::new((local.offset() - from).into(), local.len());
        let contents = lines.read_span(&within, context_lines_before, context_lines_after)?;
        let global = SourceSpan::new(
            (contents.span().offset() + from + file.base as usize).into(),
            contents.span().len(),
        );
        // miette counts the column it shows in a header in bytes; editors
        // count characters (and no byte-order mark).
        let column = if context_lines_before == 0 {
            file.line_col(start).1 - 1
        } else {
            contents.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            file.name.clone(),
            contents.data(),
            global,
            contents.line() + first,
            column,
            // miette merges two labels' snippets into one when the first
            // one's `line + line_count` reaches the second's line. Read from
            // a whole text, `line_count` counts every line from the text's
            // start, so labels merged whenever the second was less than
            // twice as far down the file as the first: a rule at line 1,400
            // and the rules covering it from line 1,000 made one snippet of
            // 400 lines. Counting the window's lines, and a few more, merges
            // snippets at most that many lines apart (the lines between are
            // shown: easier to read than a second header), and shows the
            // others apart.
            contents
                .line_count()
                .saturating_sub(contents.line())
                .saturating_add(BRIDGED_LINES),
        )))
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}
