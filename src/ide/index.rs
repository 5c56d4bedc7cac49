//! What each word of a policy set's files names: every declaration and
//! every use of a fact, value, outcome, named set, rule and policy, with its
//! place, grouped by policy across files. Built from the syntax trees with
//! the checker's rules for bare words (a fact's name, else a declared
//! value; after `->`, the longest run of words that names an outcome), so
//! that hover, go to definition, references and rename agree with `check`.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::ast::{
    self, BlockItem, Condition, FactType, HasValues, Item, Literal, SetRef, VerdictMark,
};
use crate::source::{SourceFile, Span};

/// A thing a word can name. Each belongs to a policy, by name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Symbol {
    /// A policy, named by `policy NAME` in its files and in tests.
    Policy(String),
    /// A declared fact.
    Fact {
        /// The policy's name.
        policy: String,
        /// The fact's name.
        name: String,
    },
    /// A declared value of an enum fact.
    Value {
        /// The policy's name.
        policy: String,
        /// The fact that declares it.
        fact: String,
        /// The value.
        value: String,
    },
    /// A declared outcome.
    Outcome {
        /// The policy's name.
        policy: String,
        /// The outcome's name.
        name: String,
    },
    /// A named set of values (`set eu = {...}`).
    Set {
        /// The policy's name.
        policy: String,
        /// The set's name.
        name: String,
    },
    /// A named rule (`name: conditions verdict`).
    Rule {
        /// The policy's name.
        policy: String,
        /// The rule's name.
        name: String,
    },
}

/// One place a symbol is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub file: String,
    pub range: Range<usize>,
    pub symbol: Symbol,
    /// Whether this is where it is declared.
    pub definition: bool,
}

/// A declared fact, as hover shows it.
#[derive(Clone, Debug)]
pub struct FactDecl {
    pub name: String,
    /// The declaration's text, as written.
    pub text: String,
    /// The JSON path it is read from.
    pub path: String,
    pub doc: Option<String>,
    /// Its declared values, for an enum fact.
    pub values: Vec<String>,
    /// `bool`, `number`, `{...}`, `set of ...`: the type in words.
    pub kind: String,
}

/// A declared outcome or named set, as hover shows it.
#[derive(Clone, Debug)]
pub struct OtherDecl {
    pub name: String,
    pub text: String,
    pub doc: Option<String>,
}

/// The declarations of one policy, over all of its files.
#[derive(Clone, Debug, Default)]
pub struct PolicyDecls {
    pub facts: BTreeMap<String, FactDecl>,
    /// Each declared value, with the facts that declare it (two facts may
    /// share a value).
    pub values: BTreeMap<String, Vec<String>>,
    pub outcomes: BTreeMap<String, OtherDecl>,
    pub sets: BTreeMap<String, OtherDecl>,
    pub rules: BTreeMap<String, String>,
    /// The policy's doc string.
    pub doc: Option<String>,
}

/// An item of a file's outline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutlineItem {
    /// What the outline shows: a declaration's or rule's name, a rule's
    /// first line, `when CONDITIONS`.
    pub name: String,
    /// What it is.
    pub kind: OutlineKind,
    /// The whole item.
    pub range: Range<usize>,
    /// Its name, or where it starts.
    pub selection: Range<usize>,
    /// A `when` block's rules and blocks.
    pub children: Vec<OutlineItem>,
}

/// What an outline item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutlineKind {
    /// The `policy` line.
    Policy,
    /// A fact declaration.
    Fact,
    /// An outcome declaration.
    Outcome,
    /// A named set.
    Set,
    /// A rule.
    Rule,
    /// A `when` block.
    When,
}

/// The index of a set of files.
#[derive(Clone, Debug, Default)]
pub struct Index {
    /// Every occurrence, by file, sorted by start.
    pub occurrences: BTreeMap<String, Vec<Occurrence>>,
    /// Each policy's declarations, by the policy's name.
    pub policies: BTreeMap<String, PolicyDecls>,
    /// Each policy file's outline.
    pub outlines: BTreeMap<String, Vec<OutlineItem>>,
    /// Each file's `when` blocks and multi-line items, for folding.
    pub folds: BTreeMap<String, Vec<Range<usize>>>,
}

impl Index {
    /// The index of `files`, each a parsed policy file with its source.
    pub fn build<'a>(files: impl IntoIterator<Item = (&'a SourceFile, &'a ast::File)>) -> Index {
        let files: Vec<(&SourceFile, &ast::File)> = files.into_iter().collect();
        let mut index = Index::default();
        // Declarations first, over every file of a policy, so that a fact
        // declared in one file is known in the others.
        for (source, file) in &files {
            let policy = index
                .policies
                .entry(file.policy.name.node.to_string())
                .or_default();
            declare(policy, source, file);
        }
        for (source, file) in &files {
            let name = file.policy.name.node.to_string();
            let Some(decls) = index.policies.get(&name) else {
                continue;
            };
            let mut walker = Walker {
                source,
                policy: &name,
                decls,
                found: Vec::new(),
                folds: Vec::new(),
            };
            let outline = walker.file(file);
            let Walker { found, folds, .. } = walker;
            index.add_occurrences(&source.name, found);
            index.outlines.insert(source.name.clone(), outline);
            index.folds.insert(source.name.clone(), folds);
        }
        index
    }

    /// Adds the occurrences found in a test file.
    pub fn add_tests(&mut self, source: &SourceFile, tests: &[ast::TestCase]) {
        let mut found = Vec::new();
        let policies: Vec<&String> = self.policies.keys().collect();
        for test in tests {
            let policy = match &test.policy {
                Some((name, span)) => {
                    if let Some(range) = local(source, *span) {
                        found.push(Occurrence {
                            file: source.name.clone(),
                            range,
                            symbol: Symbol::Policy(name.clone()),
                            definition: false,
                        });
                    }
                    Some(name.clone())
                }
                // Without `policy NAME`, a test is of the set's only policy.
                None => (policies.len() == 1)
                    .then(|| policies.first().map(|p| (*p).clone()))
                    .flatten(),
            };
            let Some(policy) = policy else { continue };
            let Some(decls) = self.policies.get(&policy) else {
                continue;
            };
            if let ast::Expect::Decision { decision, rule } = &test.expect {
                if decls.outcomes.contains_key(decision) {
                    if let Some(range) = local(source, test.expect_value_span) {
                        found.push(Occurrence {
                            file: source.name.clone(),
                            range,
                            symbol: Symbol::Outcome {
                                policy: policy.clone(),
                                name: decision.clone(),
                            },
                            definition: false,
                        });
                    }
                }
                if let (Some(rule), Some(span)) = (rule, test.expect_rule_span) {
                    if decls.rules.contains_key(rule) {
                        if let Some(range) = local(source, span) {
                            found.push(Occurrence {
                                file: source.name.clone(),
                                range,
                                symbol: Symbol::Rule {
                                    policy: policy.clone(),
                                    name: rule.clone(),
                                },
                                definition: false,
                            });
                        }
                    }
                }
            }
        }
        self.add_occurrences(&source.name, found);
    }

    fn add_occurrences(&mut self, file: &str, mut found: Vec<Occurrence>) {
        found.sort_by_key(|o| (o.range.start, o.range.end));
        self.occurrences
            .entry(file.to_string())
            .or_default()
            .extend(found);
    }

    /// The occurrences at `offset` in `file` (a word naming values of two
    /// facts is one occurrence of each).
    pub fn at(&self, file: &str, offset: usize) -> Vec<&Occurrence> {
        self.occurrences
            .get(file)
            .map(|all| {
                all.iter()
                    .filter(|o| o.range.start <= offset && offset <= o.range.end)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every occurrence of `symbol`, in file order.
    pub fn occurrences_of<'a>(
        &'a self,
        symbol: &'a Symbol,
    ) -> impl Iterator<Item = &'a Occurrence> {
        self.occurrences
            .values()
            .flatten()
            .filter(move |o| o.symbol == *symbol)
    }
}

/// The local byte range of a global span in `source`.
pub fn local(source: &SourceFile, span: Span) -> Option<Range<usize>> {
    let start = span.start.checked_sub(source.base())? as usize;
    let end = span.end.checked_sub(source.base())? as usize;
    (end <= source.text.len()).then_some(start..end)
}

/// Adds one file's declarations to its policy's.
fn declare(policy: &mut PolicyDecls, source: &SourceFile, file: &ast::File) {
    if let Some(doc) = &file.policy.doc {
        policy.doc.get_or_insert_with(|| doc.node.clone());
    }
    let text = |span: Span| source.slice(span).unwrap_or_default().to_string();
    let mut rules = Vec::new();
    for item in &file.items {
        match item {
            Item::Fact(fact) => {
                let values = match &fact.ty.node {
                    FactType::Enum(values) => values.iter().map(|v| v.node.to_string()).collect(),
                    _ => Vec::new(),
                };
                for value in &values {
                    let facts = policy.values.entry(value.clone()).or_default();
                    if !facts.iter().any(|f| *f == fact.name.node) {
                        facts.push(fact.name.node.to_string());
                    }
                }
                let kind = type_words(fact);
                policy
                    .facts
                    .entry(fact.name.node.to_string())
                    .or_insert(FactDecl {
                        name: fact.name.node.to_string(),
                        text: text(before_doc(fact.span.0, fact.doc.as_ref())),
                        path: fact.path.node.join("."),
                        doc: fact.doc.as_ref().map(|d| d.node.clone()),
                        values,
                        kind,
                    });
            }
            Item::Outcome(outcome) => {
                policy
                    .outcomes
                    .entry(outcome.name.node.to_string())
                    .or_insert(OtherDecl {
                        name: outcome.name.node.to_string(),
                        text: text(before_doc(outcome.span.0, outcome.doc.as_ref())),
                        doc: outcome.doc.as_ref().map(|d| d.node.clone()),
                    });
            }
            Item::Set(set) => {
                policy
                    .sets
                    .entry(set.name.node.to_string())
                    .or_insert(OtherDecl {
                        name: set.name.node.to_string(),
                        text: text(set.name.span.to(set.values.span)),
                        doc: set.doc.as_ref().map(|d| d.node.clone()),
                    });
            }
            Item::Rule(rule) => rules.push(rule),
            Item::When(block) => collect_rules(&block.items, &mut rules),
            _ => {}
        }
    }
    for rule in rules {
        if let Some(name) = &rule.name {
            policy
                .rules
                .entry(name.node.to_string())
                .or_insert_with(|| text(rule.span.0));
        }
    }
}

/// A declaration's span without its doc string, which hover shows as
/// text of its own.
fn before_doc(span: Span, doc: Option<&crate::source::Spanned<String>>) -> Span {
    match doc {
        Some(doc) if doc.span.start > span.start => Span::new(span.start, doc.span.start),
        _ => span,
    }
}

fn collect_rules<'a>(items: &'a [BlockItem], rules: &mut Vec<&'a ast::Rule>) {
    for item in items {
        match item {
            BlockItem::Rule(rule) => rules.push(rule),
            BlockItem::When(block) => collect_rules(&block.items, rules),
        }
    }
}

/// A fact's type in words: `bool`, `one of {a b}`, `set of number`.
fn type_words(fact: &ast::FactDecl) -> String {
    let ty = match &fact.ty.node {
        FactType::Enum(values) => {
            let values: Vec<&str> = values.iter().map(|v| v.node.as_str()).collect();
            let joiner = if fact.ordered { " < " } else { " " };
            format!("{{{}}}", values.join(joiner))
        }
        FactType::Bool => String::from("bool"),
        FactType::Number => String::from("number"),
        FactType::String => String::from("string"),
        FactType::Date => String::from("date"),
        FactType::DateTime => String::from("datetime"),
        FactType::Duration => String::from("duration"),
        FactType::Local { weekday, of, zone } => format!(
            "{} of {} in \"{}\"",
            if *weekday { "weekday" } else { "time of day" },
            of.node,
            zone.node
        ),
    };
    if fact.collection.is_some() {
        format!("set of {ty}")
    } else {
        ty
    }
}

/// Walks one file's items, recording occurrences, outline and folds.
struct Walker<'a> {
    source: &'a SourceFile,
    policy: &'a str,
    decls: &'a PolicyDecls,
    found: Vec<Occurrence>,
    folds: Vec<Range<usize>>,
}

impl Walker<'_> {
    fn push(&mut self, span: Span, symbol: Symbol, definition: bool) {
        if let Some(range) = local(self.source, span) {
            self.found.push(Occurrence {
                file: self.source.name.clone(),
                range,
                symbol,
                definition,
            });
        }
    }

    fn fact(&self, name: &str) -> Symbol {
        Symbol::Fact {
            policy: self.policy.to_string(),
            name: name.to_string(),
        }
    }

    fn outcome(&self, name: &str) -> Symbol {
        Symbol::Outcome {
            policy: self.policy.to_string(),
            name: name.to_string(),
        }
    }

    fn set(&self, name: &str) -> Symbol {
        Symbol::Set {
            policy: self.policy.to_string(),
            name: name.to_string(),
        }
    }

    fn value(&self, fact: &str, value: &str) -> Symbol {
        Symbol::Value {
            policy: self.policy.to_string(),
            fact: fact.to_string(),
            value: value.to_string(),
        }
    }

    fn file(&mut self, file: &ast::File) -> Vec<OutlineItem> {
        let name = &file.policy.name;
        self.push(name.span, Symbol::Policy(name.node.to_string()), true);
        let mut outline = Vec::new();
        if let Some(range) = local(self.source, name.span) {
            outline.push(OutlineItem {
                name: format!("policy {}", name.node),
                kind: OutlineKind::Policy,
                range: range.clone(),
                selection: range,
                children: Vec::new(),
            });
        }
        for item in &file.items {
            if let Some(entry) = self.item(item) {
                outline.push(entry);
            }
        }
        outline
    }

    fn outline(
        &self,
        name: String,
        kind: OutlineKind,
        whole: Span,
        selection: Span,
    ) -> Option<OutlineItem> {
        Some(OutlineItem {
            name,
            kind,
            range: local(self.source, whole)?,
            selection: local(self.source, selection)?,
            children: Vec::new(),
        })
    }

    fn item(&mut self, item: &Item) -> Option<OutlineItem> {
        match item {
            Item::Otherwise(decision, _) => {
                self.decision(decision);
                None
            }
            Item::Priority(decisions, _) => {
                for decision in decisions {
                    self.decision(decision);
                }
                None
            }
            Item::FirstMatch(_) | Item::StrictFacts(_) => None,
            Item::Fact(fact) => {
                self.push(fact.name.span, self.fact(&fact.name.node), true);
                match &fact.ty.node {
                    FactType::Enum(values) => {
                        for value in values {
                            let symbol = self.value(&fact.name.node, &value.node);
                            self.push(value.span, symbol, true);
                        }
                    }
                    FactType::Local { of, .. } => self.push(of.span, self.fact(&of.node), false),
                    _ => {}
                }
                self.fold(fact.span.0);
                self.outline(
                    fact.name.node.to_string(),
                    OutlineKind::Fact,
                    fact.span.0,
                    fact.name.span,
                )
            }
            Item::Outcome(outcome) => {
                self.push(outcome.name.span, self.outcome(&outcome.name.node), true);
                self.fold(outcome.span.0);
                self.outline(
                    outcome.name.node.to_string(),
                    OutlineKind::Outcome,
                    outcome.span.0,
                    outcome.name.span,
                )
            }
            Item::Set(set) => {
                self.push(set.name.span, self.set(&set.name.node), true);
                for value in &set.values.node {
                    self.bare_literal(value);
                }
                let end = set.doc.as_ref().map_or(set.values.span, |d| d.span);
                let whole = set.name.span.to(end);
                self.fold(whole);
                self.outline(
                    set.name.node.to_string(),
                    OutlineKind::Set,
                    whole,
                    set.name.span,
                )
            }
            Item::Rule(rule) => self.rule(rule),
            Item::When(block) => self.when(block),
        }
    }

    /// `otherwise DECISION`, `priority A > B`: an outcome, or a built-in.
    fn decision(&mut self, word: &ast::Ident) {
        if self.decls.outcomes.contains_key(word.node.as_str()) {
            self.push(word.span, self.outcome(&word.node), false);
        }
    }

    fn fold(&mut self, span: Span) {
        if let Some(range) = local(self.source, span) {
            let text = self.source.text.get(range.clone()).unwrap_or_default();
            if text.contains('\n') {
                self.folds.push(range);
            }
        }
    }

    fn when(&mut self, block: &ast::WhenBlock) -> Option<OutlineItem> {
        for condition in &block.conditions {
            self.condition(condition);
        }
        let mut children = Vec::new();
        for item in &block.items {
            let child = match item {
                BlockItem::Rule(rule) => self.rule(rule),
                BlockItem::When(inner) => self.when(inner),
            };
            children.extend(child);
        }
        self.fold(block.span.0);
        let header = block
            .conditions
            .iter()
            .map(Condition::span)
            .reduce(Span::to)
            .unwrap_or(block.span.0);
        let words = self
            .source
            .slice(header)
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let mut entry = self.outline(
            format!("when {words}"),
            OutlineKind::When,
            block.span.0,
            header,
        )?;
        entry.children = children;
        Some(entry)
    }

    fn rule(&mut self, rule: &ast::Rule) -> Option<OutlineItem> {
        if let Some(name) = &rule.name {
            let symbol = Symbol::Rule {
                policy: self.policy.to_string(),
                name: name.node.to_string(),
            };
            self.push(name.span, symbol, true);
        }
        for condition in rule.before() {
            self.condition(condition);
        }
        let mut after: &[Condition] = rule.after();
        if rule.verdict.node == VerdictMark::Arrow {
            after = self.arrow_outcome(rule);
        }
        for condition in after {
            self.condition(condition);
        }
        // The rule with its `because` and `see` lines.
        let whole = rule
            .because()
            .into_iter()
            .chain(rule.see())
            .map(|text| text.span)
            .fold(rule.span.0, |whole, text| whole.to(text));
        self.fold(whole);
        // A rule is shown by its name, or by its first line.
        let name = match &rule.name {
            Some(name) => name.node.to_string(),
            None => {
                let text = self.source.slice(rule.span.0).unwrap_or_default();
                let first = text.lines().next().unwrap_or_default().trim();
                first.chars().take(60).collect()
            }
        };
        let selection = rule.name.as_ref().map_or(rule.span.0, |n| n.span);
        self.outline(name, OutlineKind::Rule, whole, selection)
    }

    /// The outcome after `->`: the longest run of leading words that names
    /// one, joined with `-`, as the checker reads it. The conditions after
    /// it.
    fn arrow_outcome<'r>(&mut self, rule: &'r ast::Rule) -> &'r [Condition] {
        let after = rule.after();
        let words = rule.words_after_verdict();
        for take in (1..=words.len()).rev() {
            let Some(taken) = words.get(..take) else {
                continue;
            };
            let name = taken
                .iter()
                .map(|w| w.node.as_str())
                .collect::<Vec<_>>()
                .join("-");
            let builtin = matches!(name.as_str(), "allow" | "deny");
            if builtin || self.decls.outcomes.contains_key(&name) {
                if !builtin {
                    let span = taken
                        .iter()
                        .map(|w| w.span)
                        .reduce(Span::to)
                        .unwrap_or_default();
                    self.push(span, self.outcome(&name), false);
                }
                return after.get(take..).unwrap_or_default();
            }
        }
        after
    }

    fn condition(&mut self, condition: &Condition) {
        match condition {
            Condition::Word(word) => self.bare_word(word),
            Condition::Set(values) => {
                for value in &values.node {
                    self.bare_literal(value);
                }
            }
            Condition::Not(inner, _) => self.condition(inner),
            Condition::Group(alternatives, _) => {
                for condition in alternatives.iter().flatten() {
                    self.condition(condition);
                }
            }
            Condition::Has(test) => {
                let fact = &test.fact;
                self.push(fact.span, self.fact(&fact.node), false);
                match &test.values {
                    HasValues::One(value) => self.literal_of(&fact.node, value),
                    HasValues::Set(set) => self.set_ref(&fact.node, set),
                }
            }
            Condition::Affix(test) => self.push(test.fact.span, self.fact(&test.fact.node), false),
            Condition::Compare(test) => {
                self.push(test.fact.span, self.fact(&test.fact.node), false);
                self.literal_of(&test.fact.node, &test.value);
            }
            Condition::Within(test) => {
                self.push(test.fact.span, self.fact(&test.fact.node), false);
                self.push(test.other.span, self.fact(&test.other.node), false);
            }
            Condition::In(test) => {
                self.push(test.fact.span, self.fact(&test.fact.node), false);
                self.set_ref(&test.fact.node, &test.set);
            }
        }
    }

    /// A bare word: a bool fact's name, else a value of the facts that
    /// declare it.
    fn bare_word(&mut self, word: &ast::Ident) {
        if self.decls.facts.contains_key(word.node.as_str()) {
            self.push(word.span, self.fact(&word.node), false);
            return;
        }
        if let Some(facts) = self.decls.values.get(word.node.as_str()) {
            for fact in facts {
                let symbol = self.value(fact, &word.node);
                self.push(word.span, symbol, false);
            }
        }
    }

    fn bare_literal(&mut self, value: &crate::source::Spanned<Literal>) {
        if let Literal::Word(word) = &value.node {
            let ident = crate::source::Spanned::new(word.clone(), value.span);
            self.bare_word(&ident);
        }
    }

    /// A literal compared with `fact`: another fact, or one of its values.
    fn literal_of(&mut self, fact: &str, value: &crate::source::Spanned<Literal>) {
        let Literal::Word(word) = &value.node else {
            return;
        };
        if self.decls.facts.contains_key(word.as_str()) {
            self.push(value.span, self.fact(word), false);
        } else if self
            .decls
            .facts
            .get(fact)
            .is_some_and(|f| f.values.iter().any(|v| v == word))
        {
            self.push(value.span, self.value(fact, word), false);
        } else {
            self.bare_literal(value);
        }
    }

    fn set_ref(&mut self, fact: &str, set: &SetRef) {
        match set {
            SetRef::Values(values) => {
                for value in &values.node {
                    self.literal_of(fact, value);
                }
            }
            SetRef::Named(name) => self.push(name.span, self.set(&name.node), false),
        }
    }
}
