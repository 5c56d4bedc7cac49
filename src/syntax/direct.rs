//! The direct parser: the grammar of `grammar/verdict.pest`, written out by
//! hand as a recursive descent that builds the syntax tree as it goes, with
//! no token list in between.
//!
//! It only ever answers for a file it parses whole, and then with the very
//! tree pest and `lower` make, every span included. A file it does not
//! parse, or whose tree `lower` would refuse (a keyword declared as a
//! value, a number too large for a float, nesting past its depth), gets
//! `None`, and pest parses it again for the diagnostics. So the grammar
//! file stays the language's definition and the only source of syntax
//! errors; this file is its fast path (about eight times as fast, and
//! without the token list that held many times the text).
//!
//! Each function mirrors one grammar rule, in the rule's own order: a
//! choice tries its alternatives in turn and takes the first that matches
//! (a PEG never goes back into a choice it made), and between the parts of
//! a rule that is not atomic it skips blanks and comments, as pest does,
//! also before a part that then turns out absent. A function that fails
//! leaves the position where it found it. `syntax::tests` and the `parse`
//! fuzz target hold the two parsers to the same trees.

use crate::ast::*;
use crate::limits::Limits;
use crate::source::{SourceFile, Span, Spanned};

/// The whole file as pest and `lower` would make it, or `None` when they
/// would not (or the text is one this parser leaves to them).
pub(super) fn file(source: &SourceFile) -> Option<File> {
    let mut parser = Parser {
        text: source.text.as_bytes(),
        source,
        pos: 0,
        depth: 0,
        refused: false,
        rule_conditions: Vec::new(),
    };
    let file = parser.file()?;
    (!parser.refused).then_some(file)
}

/// The grammar's `keyword`: words that cannot be values, longer words
/// before their prefixes, in the grammar's order.
const KEYWORDS: &[&[u8]] = &[
    b"cannot",
    b"can",
    b"not",
    b"and",
    b"or",
    b"in",
    b"because",
    b"see",
    b"when",
    b"true",
    b"false",
    b"fact",
    b"outcome",
    b"otherwise",
    b"policy",
];

/// The grammar's `item_opener`: the words that open an item other than a
/// rule.
const ITEM_OPENERS: &[&[u8]] = &[
    b"otherwise",
    b"first",
    b"strict",
    b"priority",
    b"fact",
    b"outcome",
    b"set",
    b"when",
];

/// The grammar's `test_opener`: the words after a fact's name that open a
/// test (the operators are tried before them).
const TEST_WORDS: &[&[u8]] = &[
    b"not", b"in", b"has", b"starts", b"ends", b"within", b"before", b"after",
];

/// The grammar's `time_unit`, longer words first.
const TIME_UNITS: &[&[u8]] = &[
    b"weeks", b"week", b"days", b"day", b"hours", b"hour", b"minutes", b"minute", b"seconds",
    b"second",
];

/// `compare_op`'s symbols, in the grammar's order.
const COMPARE_SYMBOLS: &[(&[u8], CompareOp)] = &[
    (b"!=", CompareOp::Ne),
    (b"<=", CompareOp::Le),
    (b">=", CompareOp::Ge),
    (b"=", CompareOp::Eq),
    (b"<", CompareOp::Lt),
    (b">", CompareOp::Gt),
];

struct Parser<'a> {
    text: &'a [u8],
    source: &'a SourceFile,
    pos: usize,
    /// How deep `term`s and `when` blocks nest here.
    depth: usize,
    /// Set where pest's parse would go on but `lower` refuse the tree, or
    /// where this parser stops short of pest: the file is left to pest.
    refused: bool,
    /// Where a rule's conditions are gathered before they are copied into
    /// a list of their exact length: growing each rule's own list by
    /// doubling and trimming it costs a large file a fifth more memory.
    rule_conditions: Vec<Condition>,
}

/// A byte that may go on a word: `ASCII_ALPHANUMERIC | "_"`.
fn word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

impl Parser<'_> {
    // ------------------------------------------------------------ tokens

    fn byte(&self, at: usize) -> Option<u8> {
        self.text.get(at).copied()
    }

    fn span(&self, start: usize, end: usize) -> Span {
        self.source.span(start, end)
    }

    /// pest's `(skip ~ e)*` after a part already matched (and the skip
    /// after it): `item` again and again, each after a skip, until it
    /// fails; the position is left after the last that matched, the skip
    /// before the one that failed undone.
    fn repeated<T>(&mut self, item: impl FnMut(&mut Self) -> Option<T>) -> Vec<T> {
        let mut found = Vec::new();
        self.repeated_into(&mut found, item);
        found
    }

    /// [`Parser::repeated`], pushing onto `found`.
    fn repeated_into<T>(
        &mut self,
        found: &mut Vec<T>,
        mut item: impl FnMut(&mut Self) -> Option<T>,
    ) {
        loop {
            let before = self.pos;
            self.skip();
            match self.attempt(&mut item) {
                Some(next) => found.push(next),
                None => {
                    self.pos = before;
                    return;
                }
            }
        }
    }

    /// Runs `parse`, leaving the position where it was when it fails: a
    /// grammar rule that does not match consumes nothing.
    fn attempt<T>(&mut self, parse: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let start = self.pos;
        let found = parse(self);
        if found.is_none() {
            self.pos = start;
        }
        found
    }

    fn slice(&self, start: usize, end: usize) -> &str {
        self.source.text.get(start..end).unwrap_or_default()
    }

    /// Whether the text at `at` starts with `literal`.
    fn looking_at(&self, at: usize, literal: &[u8]) -> bool {
        self.text
            .get(at..)
            .is_some_and(|rest| rest.starts_with(literal))
    }

    /// Matches `literal` here, as a grammar string.
    fn token(&mut self, literal: &[u8]) -> bool {
        let found = self.looking_at(self.pos, literal);
        if found {
            self.pos += literal.len();
        }
        found
    }

    /// The grammar's `ident_char` at `at`: a word byte, or a `-` before one.
    fn ident_char(&self, at: usize) -> bool {
        match self.byte(at) {
            Some(b'-') => self.byte(at + 1).is_some_and(word_byte),
            Some(byte) => word_byte(byte),
            None => false,
        }
    }

    /// `WHITESPACE` and `COMMENT`, as pest skips them between the parts of
    /// a rule that is not atomic.
    fn skip(&mut self) {
        loop {
            match self.byte(self.pos) {
                Some(b' ' | b'\t') => self.pos += 1,
                Some(b'#') => {
                    while !matches!(self.byte(self.pos), None | Some(b'\n' | b'\r')) {
                        self.pos += 1;
                    }
                }
                _ => return,
            }
        }
    }

    /// `NEWLINE`: `\n`, `\r\n` or `\r`.
    fn nl(&mut self) -> bool {
        match self.byte(self.pos) {
            Some(b'\n') => self.pos += 1,
            Some(b'\r') if self.byte(self.pos + 1) == Some(b'\n') => self.pos += 2,
            Some(b'\r') => self.pos += 1,
            _ => return false,
        }
        true
    }

    /// `nl+` (skipping between the line breaks); `nl*` ignores the answer.
    fn nls(&mut self) -> bool {
        if !self.nl() {
            return false;
        }
        loop {
            let before = self.pos;
            self.skip();
            if !self.nl() {
                self.pos = before;
                return true;
            }
        }
    }

    /// The first literal of `words` the text here starts with, if it is
    /// not followed by an `ident_char` (the grammar's `(A | B) ~
    /// !ident_char`, which commits to the first literal that matches).
    fn word_of(&self, at: usize, words: &[&[u8]]) -> Option<usize> {
        let found = words.iter().find(|word| self.looking_at(at, word))?;
        (!self.ident_char(at + found.len())).then_some(found.len())
    }

    /// Whether `word` is at `at`, not followed by an `ident_char`.
    fn word_at(&self, at: usize, word: &[u8]) -> bool {
        self.looking_at(at, word) && !self.ident_char(at + word.len())
    }

    /// The first of `words` here as a `kw_` rule, consumed, with its value.
    fn kw_choice<T: Clone>(&mut self, words: &[(&[u8], T)]) -> Option<T> {
        words
            .iter()
            .find(|(word, _)| self.kw(word))
            .map(|(_, value)| value.clone())
    }

    /// The grammar's `keyword` at `at`.
    fn keyword_at(&self, at: usize) -> bool {
        self.word_of(at, KEYWORDS).is_some()
    }

    /// A `kw_` rule: `word` not followed by an `ident_char`.
    fn kw(&mut self, word: &[u8]) -> bool {
        let found = self.word_at(self.pos, word);
        if found {
            self.pos += word.len();
        }
        found
    }

    /// The end of an `ident` starting at `at`, if one does.
    fn ident_end(&self, at: usize) -> Option<usize> {
        if !self
            .byte(at)
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        {
            return None;
        }
        let mut end = at + 1;
        loop {
            match self.byte(end) {
                Some(b'-') if self.byte(end + 1).is_some_and(word_byte) => end += 2,
                Some(byte) if word_byte(byte) => end += 1,
                _ => return Some(end),
            }
        }
    }

    fn ident(&mut self) -> Option<Ident> {
        let start = self.pos;
        let end = self.ident_end(start)?;
        self.pos = end;
        Some(Spanned::new(
            self.slice(start, end).into(),
            self.span(start, end),
        ))
    }

    /// `!keyword ~ ident` (`word`, `set_name`, and a value in a set).
    fn plain_ident(&mut self) -> Option<Ident> {
        if self.keyword_at(self.pos) {
            return None;
        }
        self.ident()
    }

    /// `string`: the text between the quotes, escapes read; `None` leaves
    /// the position.
    fn string(&mut self) -> Option<Spanned<String>> {
        let start = self.pos;
        if self.byte(start) != Some(b'"') {
            return None;
        }
        let mut at = start + 1;
        loop {
            match self.byte(at) {
                Some(b'"') => break,
                Some(b'\\') if matches!(self.byte(at + 1), Some(b'"' | b'\\' | b'n' | b't')) => {
                    at += 2
                }
                None | Some(b'\\' | b'\n' | b'\r') => return None,
                Some(_) => at += 1,
            }
        }
        let text = super::lower::unescape(self.slice(start + 1, at));
        self.pos = at + 1;
        Some(Spanned::new(text, self.span(start, at + 1)))
    }

    /// `text`: strings, each may go on on the next line, joined by a space.
    /// Like every rule that is not atomic, it skips before its repeated
    /// part also when that part is absent: a text of one string ends
    /// after the blanks and comment that follow it.
    fn text(&mut self) -> Option<Spanned<String>> {
        let start = self.pos;
        let mut text = self.string()?.node;
        self.skip();
        let lines = self.repeated(|this| {
            if !this.nl() {
                return None;
            }
            this.skip();
            this.string()
        });
        for line in lines {
            text.push(' ');
            text.push_str(&line.node);
        }
        Some(Spanned::new(text, self.span(start, self.pos)))
    }

    /// `doc?` after a skip: `nl? ~ text`.
    fn doc(&mut self) -> Option<Spanned<String>> {
        let before = self.pos;
        self.nl();
        self.skip();
        let doc = self.text();
        if doc.is_none() {
            self.pos = before;
        }
        doc
    }

    /// `number`, as text; `None` leaves the position.
    fn number_end(&self, at: usize) -> Option<usize> {
        let digits = |mut i: usize| {
            let from = i;
            while self.byte(i).is_some_and(|b| b.is_ascii_digit()) {
                i += 1;
            }
            (i > from).then_some(i)
        };
        let mut end = at + usize::from(self.byte(at) == Some(b'-'));
        end = digits(end)?;
        if self.byte(end) == Some(b'.') {
            if let Some(after) = digits(end + 1) {
                end = after;
            }
        }
        if matches!(self.byte(end), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(self.byte(end + 1), Some(b'+' | b'-')));
            if let Some(after) = digits(end + 1 + sign) {
                end = after;
            }
        }
        (!self.ident_char(end)).then_some(end)
    }

    /// A number's value: a number too large for a float is `lower`'s
    /// error to give.
    fn number_value(&mut self, start: usize, end: usize) -> Option<f64> {
        match self.slice(start, end).parse::<f64>() {
            Ok(n) if n.is_finite() => Some(n),
            _ => {
                self.refused = true;
                None
            }
        }
    }

    /// `two_digits` at `at`.
    fn two_digits(&self, at: usize) -> bool {
        self.byte(at).is_some_and(|b| b.is_ascii_digit())
            && self.byte(at + 1).is_some_and(|b| b.is_ascii_digit())
    }

    /// `date_part`'s end.
    fn date_part(&self, at: usize) -> Option<usize> {
        let year = (at..at + 4).all(|i| self.byte(i).is_some_and(|b| b.is_ascii_digit()));
        (year
            && self.byte(at + 4) == Some(b'-')
            && self.two_digits(at + 5)
            && self.byte(at + 7) == Some(b'-')
            && self.two_digits(at + 8))
        .then_some(at + 10)
    }

    /// `clock_part`'s end.
    fn clock_part(&self, at: usize) -> Option<usize> {
        if !(self.two_digits(at) && self.byte(at + 2) == Some(b':') && self.two_digits(at + 3)) {
            return None;
        }
        if self.byte(at + 5) == Some(b':') && self.two_digits(at + 6) {
            return Some(at + 8);
        }
        Some(at + 5)
    }

    /// `("." ~ ASCII_DIGIT+)?`'s end.
    fn fraction(&self, at: usize) -> usize {
        if self.byte(at) != Some(b'.') {
            return at;
        }
        let mut end = at + 1;
        while self.byte(end).is_some_and(|b| b.is_ascii_digit()) {
            end += 1;
        }
        if end > at + 1 {
            end
        } else {
            at
        }
    }

    /// `datetime`'s end.
    fn datetime_end(&self, at: usize) -> Option<usize> {
        let date = self.date_part(at)?;
        if !matches!(self.byte(date), Some(b'T' | b't')) {
            return None;
        }
        let mut end = self.fraction(self.clock_part(date + 1)?);
        match self.byte(end) {
            Some(b'Z' | b'z') => end += 1,
            Some(b'+' | b'-')
                if self.two_digits(end + 1)
                    && self.byte(end + 3) == Some(b':')
                    && self.two_digits(end + 4) =>
            {
                end += 6
            }
            _ => return None,
        }
        (!self.ident_char(end)).then_some(end)
    }

    /// `date`'s end.
    fn date_end(&self, at: usize) -> Option<usize> {
        let end = self.date_part(at)?;
        (!self.ident_char(end) && self.byte(end) != Some(b':')).then_some(end)
    }

    /// `clock`'s end.
    fn clock_end(&self, at: usize) -> Option<usize> {
        let end = self.fraction(self.clock_part(at)?);
        (!self.ident_char(end)).then_some(end)
    }

    /// `duration`: `number ~ time_unit`, its amount and unit.
    fn duration(&mut self) -> Option<Spanned<(f64, String)>> {
        let start = self.pos;
        let number = self.number_end(start)?;
        self.pos = number;
        self.skip();
        let unit_start = self.pos;
        let Some(len) = self.word_of(unit_start, TIME_UNITS) else {
            self.pos = start;
            return None;
        };
        let Some(amount) = self.number_value(start, number) else {
            self.pos = start;
            return None;
        };
        self.pos = unit_start + len;
        let unit = self.slice(unit_start, self.pos).to_string();
        Some(Spanned::new((amount, unit), self.span(start, self.pos)))
    }

    /// `time_literal | number | string | kw_true | kw_false`, then `ident`
    /// for a `literal`, or `!keyword ~ ident` for a `set_literal`.
    fn value(&mut self, in_set: bool) -> Option<Spanned<Literal>> {
        let start = self.pos;
        let time = |this: &Self, end: usize, make: fn(String) -> TimeLit| {
            Some((Literal::Time(make(this.slice(start, end).to_string())), end))
        };
        let found = if let Some(end) = self.datetime_end(start) {
            time(self, end, TimeLit::DateTime)
        } else if let Some(end) = self.date_end(start) {
            time(self, end, TimeLit::Date)
        } else if let Some(end) = self.clock_end(start) {
            time(self, end, TimeLit::Clock)
        } else if let Some(duration) = self.duration() {
            let (n, unit) = duration.node;
            Some((Literal::Time(TimeLit::Duration(n, unit)), self.pos))
        } else if self.refused {
            None
        } else if let Some(end) = self.number_end(start) {
            self.number_value(start, end)
                .map(|n| (Literal::Number(n), end))
        } else if let Some(string) = self.string() {
            Some((Literal::String(string.node), self.pos))
        } else if self.kw(b"true") {
            Some((Literal::Bool(true), self.pos))
        } else if self.kw(b"false") {
            Some((Literal::Bool(false), self.pos))
        } else if in_set && self.keyword_at(start) {
            None
        } else {
            self.ident_end(start)
                .map(|end| (Literal::Word(self.slice(start, end).into()), end))
        };
        let (literal, end) = found?;
        self.pos = end;
        Some(Spanned::new(literal, self.span(start, end)))
    }

    // -------------------------------------------------------------- file

    /// `file = { SOI ~ nl* ~ policy_decl ~ (nl+ ~ item)* ~ nl* ~ EOI }`
    fn file(&mut self) -> Option<File> {
        self.skip();
        self.nls();
        self.skip();
        let policy = self.policy_decl()?;
        // At most an item a line: room made once, not by doubling, which
        // for a file of millions of items copies gigabytes into fresh
        // pages (the room no item takes is never touched, and is given
        // back below).
        let lines = memchr::memchr_iter(b'\n', self.text).count() + 1;
        let mut items = Vec::with_capacity(lines);
        loop {
            let before = self.pos;
            self.skip();
            if self.nls() {
                self.skip();
                if let Some(item) = self.item() {
                    items.push(item);
                    continue;
                }
            }
            self.pos = before;
            break;
        }
        self.skip();
        self.nls();
        self.skip();
        items.shrink_to_fit();
        (self.pos == self.text.len()).then_some(File { policy, items })
    }

    /// `policy_decl = { kw_policy ~ ident ~ doc? }`
    fn policy_decl(&mut self) -> Option<PolicyHeader> {
        let start = self.pos;
        if !self.kw(b"policy") {
            return None;
        }
        self.skip();
        let Some(name) = self.ident() else {
            self.pos = start;
            return None;
        };
        self.skip();
        let doc = self.doc();
        Some(PolicyHeader { name, doc })
    }

    /// `item`: an item its first word opens, else a rule.
    fn item(&mut self) -> Option<Item> {
        if self.word_of(self.pos, ITEM_OPENERS).is_some() {
            let opened = self
                .name_and_doc(b"otherwise")
                .map(|(name, doc, _)| Item::Otherwise(name, doc))
                .or_else(|| self.two_words(b"first", b"match").map(Item::FirstMatch))
                .or_else(|| self.two_words(b"strict", b"facts").map(Item::StrictFacts))
                .or_else(|| self.priority_decl())
                .or_else(|| self.fact_decl().map(|decl| Item::Fact(Box::new(decl))))
                .or_else(|| {
                    self.name_and_doc(b"outcome")
                        .map(|(name, doc, span)| Item::Outcome(OutcomeDecl { name, doc, span }))
                })
                .or_else(|| self.set_decl().map(|decl| Item::Set(Box::new(decl))))
                .or_else(|| self.when_block().map(Item::When));
            if opened.is_some() || self.refused {
                return opened;
            }
        }
        self.rule().map(Item::Rule)
    }

    /// `otherwise_decl` and `outcome_decl`: `kw ~ ident ~ doc?`.
    fn name_and_doc(&mut self, kw: &[u8]) -> Option<(Ident, Option<Spanned<String>>, At)> {
        let start = self.pos;
        if !self.kw(kw) {
            return None;
        }
        self.skip();
        let Some(name) = self.ident() else {
            self.pos = start;
            return None;
        };
        self.skip();
        let doc = self.doc();
        Some((name, doc, At(self.span(start, self.pos))))
    }

    /// `first_match` and `strict_facts`: two keywords.
    fn two_words(&mut self, first: &[u8], second: &[u8]) -> Option<At> {
        let start = self.pos;
        if !self.kw(first) {
            return None;
        }
        self.skip();
        if !self.kw(second) {
            self.pos = start;
            return None;
        }
        Some(At(self.span(start, self.pos)))
    }

    /// `priority_decl = { kw_priority ~ ident ~ (gt ~ ident)+ }`. pest
    /// writes `e+` as `e ~ e*`, so it skips after the first `> name` also
    /// when no other follows: the span of `priority a > b` ends past the
    /// blanks and comment after `b`, and of `priority a > b > c` at `c`.
    fn priority_decl(&mut self) -> Option<Item> {
        let start = self.pos;
        let names = self.attempt(Self::priority_names)?;
        Some(Item::Priority(names, At(self.span(start, self.pos))))
    }

    fn priority_names(&mut self) -> Option<Vec<Ident>> {
        if !self.kw(b"priority") {
            return None;
        }
        self.skip();
        let mut names = vec![self.ident()?];
        self.skip();
        names.push(self.greater_name()?);
        self.skip();
        names.extend(self.repeated(Self::greater_name));
        Some(names)
    }

    /// `gt ~ ident`.
    fn greater_name(&mut self) -> Option<Ident> {
        self.attempt(|this| {
            if !this.token(b">") {
                return None;
            }
            this.skip();
            this.ident()
        })
    }

    /// `fact_decl = { kw_fact ~ ident ~ colon ~ (local_type | fact_type ~
    /// kw_at ~ path ~ fact_option*) ~ doc? }`
    fn fact_decl(&mut self) -> Option<FactDecl> {
        self.attempt(Self::fact_decl_at)
    }

    fn fact_decl_at(&mut self) -> Option<FactDecl> {
        let start = self.pos;
        if !self.kw(b"fact") {
            return None;
        }
        self.skip();
        let name = self.ident()?;
        self.skip();
        if !self.token(b":") {
            return None;
        }
        self.skip();
        let mut decl = FactDecl {
            name,
            ty: Spanned::new(FactType::Bool, Span::default()),
            path: Spanned::new(Vec::new(), Span::default()),
            optional: None,
            default: None,
            doc: None,
            span: At(Span::default()),
            ordered: false,
            collection: None,
            sensitive: None,
        };
        if let Some(local) = self.local_type() {
            decl.path = Spanned::new(Vec::new(), local.span);
            decl.ty = local;
        } else {
            let ty_start = self.pos;
            let before = self.pos;
            if self.kw(b"set") {
                self.skip();
                if self.kw(b"of") {
                    decl.collection = Some(At(self.span(before, self.pos)));
                } else {
                    self.pos = before;
                }
            }
            self.skip();
            let ty = if self.byte(self.pos) == Some(b'{') {
                let (values, ordered) = self.enum_type()?;
                decl.ordered = ordered;
                FactType::Enum(values)
            } else {
                self.kw_choice(&[
                    (b"bool", FactType::Bool),
                    (b"number", FactType::Number),
                    (b"string", FactType::String),
                    (b"datetime", FactType::DateTime),
                    (b"date", FactType::Date),
                    (b"duration", FactType::Duration),
                ])?
            };
            decl.ty = Spanned::new(ty, self.span(ty_start, self.pos));
            self.skip();
            if !self.kw(b"at") {
                return None;
            }
            self.skip();
            decl.path = self.path()?;
            self.skip();
            // `fact_option*`: `kw_optional | default_clause | kw_sensitive`.
            self.repeated(|this| {
                let option_start = this.pos;
                if this.kw(b"optional") {
                    decl.optional = Some(At(this.span(option_start, this.pos)));
                } else if let Some(default) = this.default_clause() {
                    decl.default = Some(default);
                } else if this.kw(b"sensitive") {
                    decl.sensitive = Some(At(this.span(option_start, this.pos)));
                } else {
                    return None;
                }
                Some(())
            });
        }
        if self.refused {
            return None;
        }
        self.skip();
        decl.doc = self.doc();
        decl.span = At(self.span(start, self.pos));
        Some(decl)
    }

    /// `default_clause = { kw_default ~ literal }`: the literal.
    fn default_clause(&mut self) -> Option<Spanned<Literal>> {
        self.attempt(|this| {
            if !this.kw(b"default") {
                return None;
            }
            this.skip();
            this.value(false)
        })
    }

    /// `local_type = { (time_of_day | kw_weekday) ~ kw_of ~ ident ~ kw_in ~
    /// string }`
    fn local_type(&mut self) -> Option<Spanned<FactType>> {
        self.attempt(Self::local_type_at)
    }

    fn local_type_at(&mut self) -> Option<Spanned<FactType>> {
        let start = self.pos;
        let weekday = if self.kw(b"time") {
            self.skip();
            if !self.kw(b"of") {
                return None;
            }
            self.skip();
            if !self.kw(b"day") {
                return None;
            }
            false
        } else if self.kw(b"weekday") {
            true
        } else {
            return None;
        };
        self.skip();
        if !self.kw(b"of") {
            return None;
        }
        self.skip();
        let of = self.ident()?;
        self.skip();
        if !self.kw(b"in") {
            return None;
        }
        self.skip();
        let zone = self.string()?;
        Some(Spanned::new(
            FactType::Local { weekday, of, zone },
            self.span(start, self.pos),
        ))
    }

    /// `enum_type = { lbrace ~ nl* ~ (ordered_values | (ident ~ ","? ~
    /// nl*)*) ~ rbrace }`: the values, and whether they are ordered. A
    /// keyword among them is `lower`'s error to give.
    fn enum_type(&mut self) -> Option<(Vec<Ident>, bool)> {
        let start = self.pos;
        if !self.token(b"{") {
            return None;
        }
        self.skip();
        self.nls();
        self.skip();
        let (values, ordered) = match self.ordered_values() {
            Some(values) => (values, true),
            None => {
                let mut values = Vec::new();
                loop {
                    let before = self.pos;
                    if !values.is_empty() {
                        self.skip();
                    }
                    let Some(value) = self.ident() else {
                        self.pos = before;
                        break;
                    };
                    values.push(value);
                    self.skip();
                    self.token(b",");
                    self.skip();
                    self.nls();
                }
                (values, false)
            }
        };
        self.skip();
        if !self.token(b"}") {
            self.pos = start;
            return None;
        }
        if values
            .iter()
            .any(|v| super::lower::RESERVED.contains(&v.node.as_str()))
        {
            self.refused = true;
            return None;
        }
        Some((values, ordered))
    }

    /// `ordered_values = { ident ~ nl* ~ (lt ~ nl* ~ ident ~ nl*)+ }`
    fn ordered_values(&mut self) -> Option<Vec<Ident>> {
        let start = self.pos;
        let mut values = vec![self.ident()?];
        self.skip();
        self.nls();
        loop {
            let before = self.pos;
            self.skip();
            if self.token(b"<") {
                self.skip();
                self.nls();
                self.skip();
                if let Some(value) = self.ident() {
                    values.push(value);
                    self.skip();
                    self.nls();
                    continue;
                }
            }
            self.pos = before;
            break;
        }
        if values.len() < 2 {
            self.pos = start;
            return None;
        }
        Some(values)
    }

    /// `path = ${ path_key ~ ("." ~ path_key)* }`, with no blanks inside.
    fn path(&mut self) -> Option<Spanned<Vec<String>>> {
        let start = self.pos;
        let mut keys = vec![self.path_key()?];
        loop {
            let before = self.pos;
            if self.token(b".") {
                if let Some(key) = self.path_key() {
                    keys.push(key);
                    continue;
                }
            }
            self.pos = before;
            break;
        }
        Some(Spanned::new(keys, self.span(start, self.pos)))
    }

    /// `path_key = { key | string }`, `key = @{ (ASCII_ALPHANUMERIC | "_" |
    /// "-")+ }`.
    fn path_key(&mut self) -> Option<String> {
        let start = self.pos;
        let mut end = start;
        while self.byte(end).is_some_and(|b| word_byte(b) || b == b'-') {
            end += 1;
        }
        if end > start {
            self.pos = end;
            return Some(self.slice(start, end).to_string());
        }
        self.string().map(|s| s.node)
    }

    /// `set_decl = { kw_set ~ ident ~ eq ~ value_set ~ doc? }`
    fn set_decl(&mut self) -> Option<SetDecl> {
        self.attempt(Self::set_decl_at)
    }

    fn set_decl_at(&mut self) -> Option<SetDecl> {
        if !self.kw(b"set") {
            return None;
        }
        self.skip();
        let name = self.ident()?;
        self.skip();
        if !self.token(b"=") {
            return None;
        }
        self.skip();
        let values = self.value_set()?;
        self.skip();
        let doc = self.doc();
        Some(SetDecl { name, values, doc })
    }

    // ------------------------------------------------------------- rules

    /// `when_block = { kw_when ~ conditions ~ lbrace ~ nl* ~ (block_item ~
    /// nl+)* ~ block_item? ~ rbrace }`
    fn when_block(&mut self) -> Option<WhenBlock> {
        if !self.deeper() {
            return None;
        }
        let block = self.attempt(Self::when_block_at);
        self.depth -= 1;
        block
    }

    fn when_block_at(&mut self) -> Option<WhenBlock> {
        let start = self.pos;
        if !self.kw(b"when") {
            return None;
        }
        self.skip();
        let conditions = self.conditions()?;
        self.skip();
        if !self.token(b"{") {
            return None;
        }
        self.skip();
        self.nls();
        self.skip();
        let mut items = Vec::new();
        // `(block_item ~ nl+)*`, then `block_item?`.
        loop {
            let before = self.pos;
            if !items.is_empty() {
                self.skip();
            }
            let Some(item) = self.block_item() else {
                self.pos = before;
                break;
            };
            self.skip();
            if !self.nls() {
                // The last item, before the `}`.
                self.pos = before;
                break;
            }
            items.push(item);
        }
        if self.refused {
            return None;
        }
        self.skip();
        if let Some(item) = self.block_item() {
            items.push(item);
        }
        self.skip();
        if !self.token(b"}") {
            return None;
        }
        Some(WhenBlock {
            conditions,
            items,
            span: At(self.span(start, self.pos)),
        })
    }

    /// `block_item = _{ when_block | rule }`
    fn block_item(&mut self) -> Option<BlockItem> {
        if let Some(block) = self.when_block() {
            return Some(BlockItem::When(block));
        }
        if self.refused {
            return None;
        }
        self.rule().map(BlockItem::Rule)
    }

    /// `rule = { rule_name? ~ conditions? ~ verdict ~ term* ~ clause* }`
    fn rule(&mut self) -> Option<crate::ast::Rule> {
        self.attempt(Self::rule_at)
    }

    fn rule_at(&mut self) -> Option<crate::ast::Rule> {
        // A rule nested in this one's conditions (there is none in the
        // grammar) would find the list empty and gather its own.
        let mut conditions = std::mem::take(&mut self.rule_conditions);
        conditions.clear();
        let rule = self.rule_into(&mut conditions);
        self.rule_conditions = conditions;
        rule
    }

    fn rule_into(&mut self, conditions: &mut Vec<Condition>) -> Option<crate::ast::Rule> {
        let start = self.pos;
        let name = self.rule_name();
        self.skip();
        self.conditions_into(conditions);
        let before_verdict = u32::try_from(conditions.len()).unwrap_or(u32::MAX);
        if self.refused {
            return None;
        }
        self.skip();
        let verdict_start = self.pos;
        let mark = if self.kw(b"cannot") {
            VerdictMark::Cannot
        } else if self.kw(b"can") {
            VerdictMark::Can
        } else if self.token(b"->") {
            VerdictMark::Arrow
        } else {
            return None;
        };
        let verdict = Spanned::new(mark, self.span(verdict_start, self.pos));
        self.repeated_into(conditions, Self::term);
        // The rule's own span ends with its last term, not its clauses.
        let line_end = self.pos;
        if self.refused {
            return None;
        }
        // `term*` then `clause*`, each after a skip.
        self.skip();
        let mut because = None;
        let mut see = Vec::new();
        let mut clauses = 0;
        loop {
            let before_clause = self.pos;
            if clauses > 0 {
                self.skip();
            }
            self.nls();
            self.skip();
            if self.kw(b"because") {
                self.skip();
                if let Some(text) = self.text() {
                    because = Some(text);
                    clauses += 1;
                    continue;
                }
            } else if self.kw(b"see") {
                self.skip();
                if let Some(first) = self.string() {
                    see.push(first);
                    let more = self.repeated(|this| {
                        if !this.token(b",") {
                            return None;
                        }
                        this.skip();
                        this.string()
                    });
                    see.extend(more);
                    clauses += 1;
                    continue;
                }
            }
            self.pos = before_clause;
            break;
        }
        // Exactly as long as it needs to be; the gathering list is kept.
        let mut exact = Vec::with_capacity(conditions.len());
        exact.append(conditions);
        Some(crate::ast::Rule {
            name,
            conditions: exact,
            before_verdict,
            verdict,
            clauses: RuleClauses::of(because, see),
            span: At(self.span(start, line_end)),
        })
    }

    /// `rule_name = { !keyword ~ ident ~ colon }`
    fn rule_name(&mut self) -> Option<Ident> {
        self.attempt(|this| {
            let name = this.plain_ident()?;
            this.skip();
            this.token(b":").then_some(name)
        })
    }

    /// `conditions = _{ term ~ (and_next? ~ term)* }`, where `and_next = _{
    /// nl ~ and_word }` and `and_word = _{ "and " | "and\t" }`.
    fn conditions(&mut self) -> Option<Vec<Condition>> {
        let mut terms = Vec::new();
        self.conditions_into(&mut terms).then_some(terms)
    }

    /// [`Parser::conditions`], pushed onto `terms`; whether there was one.
    fn conditions_into(&mut self, terms: &mut Vec<Condition>) -> bool {
        let Some(first) = self.term() else {
            return false;
        };
        terms.push(first);
        self.repeated_into(terms, |this| {
            let line = this.pos;
            if this.nl() {
                this.skip();
                if !(this.token(b"and ") || this.token(b"and\t")) {
                    this.pos = line;
                }
            }
            this.skip();
            this.term()
        });
        true
    }

    /// One level deeper, or `false` (and the file left to pest) past the
    /// nesting the checks before parsing allow.
    fn deeper(&mut self) -> bool {
        if self.depth >= Limits::MAX_NESTING + 2 {
            self.refused = true;
            return false;
        }
        self.depth += 1;
        true
    }

    /// `term = _{ negated | group | value_set | fact_test | word }`
    fn term(&mut self) -> Option<Condition> {
        if self.refused || !self.deeper() {
            return None;
        }
        let term = self.term_at();
        self.depth -= 1;
        if self.refused {
            return None;
        }
        term
    }

    fn term_at(&mut self) -> Option<Condition> {
        let start = self.pos;
        // `negated = { kw_not ~ term }`
        if self.kw(b"not") {
            self.skip();
            if let Some(inner) = self.term() {
                return Some(Condition::Not(
                    Box::new(inner),
                    At(self.span(start, self.pos)),
                ));
            }
            self.pos = start;
        }
        match self.byte(start) {
            Some(b'(') => {
                if let Some(group) = self.group() {
                    return Some(group);
                }
            }
            Some(b'{') => {
                if let Some(set) = self.value_set() {
                    return Some(Condition::Set(Box::new(set)));
                }
            }
            _ => {}
        }
        if self.refused {
            return None;
        }
        // `fact_test = _{ &(ident ~ test_opener) ~ (comparison | in_test |
        // has_test | affix_test | within_test) }`
        let ident_end = self.ident_end(start)?;
        if self.test_opens(ident_end) {
            let test = self
                .comparison()
                .or_else(|| self.in_test())
                .or_else(|| self.has_test())
                .or_else(|| self.affix_test())
                .or_else(|| self.within_test());
            if test.is_some() || self.refused {
                return test;
            }
        }
        // `word = @{ !keyword ~ ident }`
        if self.keyword_at(start) {
            return None;
        }
        self.pos = ident_end;
        Some(Condition::Word(Spanned::new(
            self.slice(start, ident_end).into(),
            self.span(start, ident_end),
        )))
    }

    /// Whether a `test_opener` follows the name ending at `at`, after a skip.
    fn test_opens(&mut self, at: usize) -> bool {
        let start = self.pos;
        self.pos = at;
        self.skip();
        let here = self.pos;
        self.pos = start;
        COMPARE_SYMBOLS
            .iter()
            .any(|(symbol, _)| self.looking_at(here, symbol))
            || self.word_of(here, TEST_WORDS).is_some()
    }

    /// `group = { lparen ~ alternative ~ (kw_or ~ alternative)* ~ rparen }`,
    /// `alternative = { term+ }`.
    fn group(&mut self) -> Option<Condition> {
        let start = self.pos;
        if !self.token(b"(") {
            return None;
        }
        self.skip();
        let mut alternatives = Vec::new();
        match self.alternative() {
            Some(first) => alternatives.push(first),
            None => {
                self.pos = start;
                return None;
            }
        }
        alternatives.extend(self.repeated(|this| {
            if !this.kw(b"or") {
                return None;
            }
            this.skip();
            this.alternative()
        }));
        self.skip();
        if self.refused || !self.token(b")") {
            self.pos = start;
            return None;
        }
        Some(Condition::Group(
            Box::new(alternatives),
            At(self.span(start, self.pos)),
        ))
    }

    fn alternative(&mut self) -> Option<Vec<Condition>> {
        let mut terms = vec![self.term()?];
        terms.extend(self.repeated(Self::term));
        Some(terms)
    }

    /// `value_set = { set_open ~ nl* ~ (set_literal ~ ","? ~ nl*)* ~ rbrace }`
    fn value_set(&mut self) -> Option<Spanned<Vec<Spanned<Literal>>>> {
        let start = self.pos;
        if !self.token(b"{") {
            return None;
        }
        self.skip();
        self.nls();
        self.skip();
        let mut values = Vec::new();
        loop {
            let before = self.pos;
            if !values.is_empty() {
                self.skip();
            }
            let Some(value) = self.value(true) else {
                self.pos = before;
                break;
            };
            values.push(value);
            self.skip();
            self.token(b",");
            self.skip();
            self.nls();
        }
        self.skip();
        if self.refused || !self.token(b"}") {
            self.pos = start;
            return None;
        }
        Some(Spanned::new(values, self.span(start, self.pos)))
    }

    /// `value_set | set_name`, as an `in` or `has` test names its values.
    fn set_ref(&mut self) -> Option<SetRef> {
        if let Some(values) = self.value_set() {
            return Some(SetRef::Values(values));
        }
        if self.refused {
            return None;
        }
        self.plain_ident().map(SetRef::Named)
    }

    /// `comparison = { ident ~ compare_op ~ literal ~ offset? }`, `offset =
    /// { (plus | minus) ~ duration }`.
    fn comparison(&mut self) -> Option<Condition> {
        let start = self.pos;
        let fact = self.ident()?;
        self.skip();
        let op_start = self.pos;
        let op = COMPARE_SYMBOLS
            .iter()
            .find(|(symbol, _)| self.looking_at(op_start, symbol))
            .map(|&(symbol, op)| (symbol.len(), op))
            .or_else(|| {
                [
                    (b"before".as_slice(), CompareOp::Lt),
                    (b"after", CompareOp::Gt),
                ]
                .into_iter()
                .find(|(word, _)| self.word_at(op_start, word))
                .map(|(word, op)| (word.len(), op))
            });
        let Some((len, op)) = op else {
            self.pos = start;
            return None;
        };
        self.pos = op_start + len;
        let op = Spanned::new(op, self.span(op_start, self.pos));
        self.skip();
        let Some(value) = self.value(false) else {
            self.pos = start;
            return None;
        };
        self.skip();
        let offset_start = self.pos;
        let mut offset = None;
        let sign = match self.byte(offset_start) {
            Some(b'+') => Some(1.0),
            Some(b'-') => Some(-1.0),
            _ => None,
        };
        if let Some(sign) = sign {
            self.pos += 1;
            self.skip();
            match self.duration() {
                Some(duration) => {
                    let (n, unit) = duration.node;
                    offset = Some(Spanned::new(
                        Literal::Time(TimeLit::Duration(sign * n, unit)),
                        self.span(offset_start, self.pos),
                    ));
                }
                None => self.pos = offset_start,
            }
        }
        if self.refused {
            return None;
        }
        Some(Condition::Compare(Box::new(Comparison {
            fact,
            op,
            value,
            offset,
        })))
    }

    /// `in_test = { ident ~ kw_not? ~ kw_in ~ (value_set | set_name) }`
    fn in_test(&mut self) -> Option<Condition> {
        self.attempt(|this| {
            let fact = this.ident()?;
            this.skip();
            let negated = this.kw(b"not");
            this.skip();
            if !this.kw(b"in") {
                return None;
            }
            this.skip();
            let set = this.set_ref()?;
            Some(Condition::In(Box::new(InTest { fact, negated, set })))
        })
    }

    /// `has_test = { ident ~ kw_has ~ (quantifier ~ (value_set | set_name)
    /// | set_literal) }`, `quantifier = { (kw_any | kw_all | kw_none) ~
    /// kw_of }`.
    fn has_test(&mut self) -> Option<Condition> {
        self.attempt(Self::has_test_at)
    }

    fn has_test_at(&mut self) -> Option<Condition> {
        let fact = self.ident()?;
        self.skip();
        let has_start = self.pos;
        if !self.kw(b"has") {
            return None;
        }
        let has_span = self.span(has_start, self.pos);
        self.skip();
        let quantifier_start = self.pos;
        let which = self.kw_choice(&[
            (b"any", Quantifier::Any),
            (b"all", Quantifier::All),
            (b"none", Quantifier::None),
        ]);
        if let Some(which) = which {
            self.skip();
            if self.kw(b"of") {
                let quantifier = Spanned::new(which, self.span(quantifier_start, self.pos));
                self.skip();
                if let Some(set) = self.set_ref() {
                    return Some(Condition::Has(Box::new(HasTest {
                        fact,
                        quantifier,
                        values: HasValues::Set(set),
                    })));
                }
                if self.refused {
                    return None;
                }
            }
            self.pos = quantifier_start;
        }
        let value = self.value(true)?;
        Some(Condition::Has(Box::new(HasTest {
            fact,
            quantifier: Spanned::new(Quantifier::One, has_span),
            values: HasValues::One(value),
        })))
    }

    /// `affix_test = { ident ~ (kw_starts | kw_ends) ~ kw_with ~ string }`
    fn affix_test(&mut self) -> Option<Condition> {
        let start = self.pos;
        let fact = self.ident()?;
        self.skip();
        let words_start = self.pos;
        let end = self.kw_choice(&[(b"starts", StringEnd::Start), (b"ends", StringEnd::End)]);
        if let Some(end) = end {
            self.skip();
            if self.kw(b"with") {
                let words = self.span(words_start, self.pos);
                self.skip();
                if let Some(text) = self.string() {
                    return Some(Condition::Affix(Box::new(AffixTest {
                        fact,
                        end: Spanned::new(end, words),
                        text,
                    })));
                }
            }
        }
        self.pos = start;
        None
    }

    /// `within_test = { ident ~ kw_within ~ duration ~ kw_of ~ ident }`
    fn within_test(&mut self) -> Option<Condition> {
        self.attempt(Self::within_test_at)
    }

    fn within_test_at(&mut self) -> Option<Condition> {
        let fact = self.ident()?;
        self.skip();
        if !self.kw(b"within") {
            return None;
        }
        self.skip();
        let duration = self.duration()?;
        self.skip();
        if !self.kw(b"of") {
            return None;
        }
        self.skip();
        let other = self.ident()?;
        let (n, unit) = duration.node;
        Some(Condition::Within(Box::new(WithinTest {
            fact,
            distance: Spanned::new(Literal::Time(TimeLit::Duration(n, unit)), duration.span),
            other,
        })))
    }
}
