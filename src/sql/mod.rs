//! Compiling policies to SQL: each policy's decision tree becomes
//! expressions that a query engine (DuckDB, DataFusion, Spark SQL,
//! PostgreSQL) evaluates over a table with one row per facts object,
//! deciding exactly as [`PolicySet::decide`] does.
//!
//! A fact at `a.b.c` is the struct field `a.b.c` of the row (a composite
//! type's field in PostgreSQL; or, with [`Columns::Flat`], the column
//! named `a.b.c`), with the type [`schema`] gives: text for enum and
//! string facts and for times, a boolean, a double, a list for `set of`
//! facts. A missing value is `NULL`, as JSON's `null` is absent. Times are
//! read from their text exactly as verdict reads them (module `time`).
//!
//! The tree's walk is written without repeating any subtree. For every
//! node, the query computes the least and the greatest rule a row can
//! reach from it, over every value its unknown facts (missing and
//! required, or not a declared value) could have: a known fact follows
//! its one edge, an unknown one all of them. The row is decided when both
//! are the same rule, as the evaluator decides (see `eval`); else its
//! error names the first unknown fact on its path. Every child appears
//! once in its parent's expression, so a subtree with one parent is
//! written inline, and a subtree several parents share is computed once,
//! as a column of its own in a common table expression.

mod dialect;
mod facts;
mod time;

pub use dialect::{Columns, Dialect};

use std::fmt::Write as _;

use crate::compile::{edges_by_child, DecisionTree, Node, NodeId};
use crate::diagnostics::{Problem, Report, SqlError};
use crate::model::{AtomSet, CheckedPolicy, FactId};
use crate::policy_set::PolicySet;

/// How to compile: the engine's dialect, where the facts are read from,
/// and how their paths map to columns.
#[derive(Clone, Debug)]
pub struct Options {
    /// The SQL dialect of the engine that runs the query.
    pub dialect: Dialect,
    /// Whether a fact's path is a nested struct field or a column named by
    /// the path.
    pub columns: Columns,
    /// The table (or view, or table function) the facts are read from.
    pub table: String,
    /// The evaluation time, which facts declared `default now` take where
    /// a row leaves them out (as [`PolicySet::evaluated_at`] gives it);
    /// `None` reads the engine's clock when the query runs.
    pub now: Option<jiff::Timestamp>,
    /// How the query walks each policy's decisions.
    pub shape: Shape,
}

/// How a query is written: from each policy's whole decision tree, or rule
/// by rule. Both decide alike; they differ in size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Shape {
    /// The whole tree, unless it would write more than about 8 MB of SQL
    /// or was not built within the tree budget: then rule by rule.
    #[default]
    Auto,
    /// Each node of the whole tree once: the shortest walk, and the
    /// query grows with the tree. A policy without a tree is written rule
    /// by rule.
    Tree,
    /// Each rule's own small tree, in the order rules are tried, and the
    /// first that may hold: the query grows with the rules.
    Rules,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            dialect: Dialect::DuckDb,
            columns: Columns::Nested,
            table: String::from("facts"),
            now: None,
            shape: Shape::Auto,
        }
    }
}

/// A query that reads every row of `options.table` and adds, for each
/// policy, the columns `<policy>_decision`, `<policy>_rule` (the rule's
/// name, or its `file:line`; `NULL` for the policy's `otherwise`) and
/// `<policy>_error` (the path of the first fact that leaves the row
/// undecided; `NULL` when it is decided).
///
/// ```
/// let policies = verdict::PolicySet::builtin().map_err(|r| r.render(80))?;
/// let sql = verdict::sql::query(&policies, &verdict::sql::Options::default())
///     .map_err(|r| r.render(80))?;
/// assert!(sql.contains("AS \"multichannel_decision\""));
/// # Ok::<(), String>(())
/// ```
pub fn query(set: &PolicySet, options: &Options) -> Result<String, Report> {
    let compiled = compile_each(set, options, false, MAX_QUERY_BYTES)?;
    let mut sql = header(set, options, "a query");
    let helpers: Vec<&str> = compiled
        .iter()
        .flat_map(|c| c.helpers.iter().map(String::as_str))
        .collect();
    let layers = compiled.iter().map(|c| c.layers.len()).max().unwrap_or(0);
    sql.push_str("WITH\n");
    let as_ = options.dialect.cte();
    let mut from = options.table.clone();
    // Where the last `SELECT` cannot leave the helpers out by name, the
    // table's own columns ride along in a struct, spread at the end.
    let row = options.dialect.ident("__verdict_row");
    let mut keep = match options.dialect.excludes() {
        true => String::new(),
        false => format!(",\n    {} AS {row}", options.dialect.whole_row()),
    };
    for (step, name) in ["verdict_texts", "verdict_values"].iter().enumerate() {
        let columns: String = compiled
            .iter()
            .filter_map(|c| c.steps.get(step))
            .flatten()
            .map(|(name, expr, about)| match about.is_empty() {
                true => format!(",\n{}", column(options.dialect, expr, name, 4)),
                false => format!(
                    ",\n    -- {about}\n{}",
                    column(options.dialect, expr, name, 4)
                ),
            })
            .collect();
        if !columns.is_empty() {
            let _ = writeln!(
                sql,
                "{name} {as_} (\n  SELECT\n    t.*{keep}{columns}\n  FROM {from} AS t\n),"
            );
            from = name.to_string();
            keep.clear();
        }
    }
    let _ = writeln!(
        sql,
        "{} {as_} (\n  SELECT\n    t.*{keep}{}\n  FROM {} AS t\n),",
        layer_name(0),
        compiled
            .iter()
            .flat_map(|c| c.atoms.iter())
            .map(|(name, expr, about)| format!(
                ",\n    -- {about}\n{}",
                column(options.dialect, expr, name, 4)
            ))
            .collect::<String>(),
        from
    );
    for layer in 1..=layers {
        let columns: String = compiled
            .iter()
            .filter_map(|c| c.layers.get(layer - 1))
            .flatten()
            .map(|(name, expr)| format!(",\n{}", column(options.dialect, expr, name, 4)))
            .collect();
        let _ = writeln!(
            sql,
            "{} {as_} (\n  SELECT\n    *{columns}\n  FROM {} AS t\n),",
            layer_name(layer),
            layer_name(layer - 1)
        );
    }
    // The last comma goes: the list of tables ends here.
    sql.truncate(sql.trim_end_matches([',', '\n']).len());
    sql.push('\n');
    let outputs: String = compiled
        .iter()
        .flat_map(|c| c.outputs.iter())
        .map(|(name, expr)| format!(",\n{}", column(options.dialect, expr, name, 2)))
        .collect();
    let quoted: Vec<String> = helpers.iter().map(|h| options.dialect.ident(h)).collect();
    let kept = match options.dialect.excludes() {
        true => format!("* EXCLUDE ({})", quoted.join(", ")),
        false => options.dialect.spread(&format!("t.{row}")),
    };
    let _ = writeln!(
        sql,
        "SELECT\n  {kept}{outputs}\nFROM {} AS t;",
        layer_name(layers)
    );
    Ok(sql)
}

/// The expressions of [`query`]'s columns alone, each followed by `AS` and
/// its name and separated by commas, for a `SELECT` list of your own over
/// a table aliased `t`. Every shared subtree is written out in each place
/// it is used, so for large trees [`query`] is much shorter.
pub fn expressions(set: &PolicySet, options: &Options) -> Result<String, Report> {
    let compiled = compile_each(set, options, true, MAX_QUERY_BYTES)?;
    let mut sql = header(set, options, "the expressions of a query's columns");
    let columns: Vec<String> = compiled
        .iter()
        .flat_map(|c| c.outputs.iter())
        .map(|(name, expr)| column(options.dialect, expr, name, 0))
        .collect();
    sql.push_str(&columns.join(",\n"));
    sql.push('\n');
    Ok(sql)
}

/// A `CREATE TABLE` statement for a table the query reads: one column (or
/// struct field) per declared fact path, of the type its fact has.
pub fn schema(set: &PolicySet, options: &Options) -> Result<String, Report> {
    let trees = set.built_trees();
    let policies: Vec<&CheckedPolicy> = trees.iter().map(|t| &*t.policy).collect();
    Ok(facts::schema(&policies, options))
}

/// A time fact's type, with its article: "a date".
fn kind_name(fact: &crate::model::Fact) -> &'static str {
    match &fact.ty {
        crate::model::FactType::Time(kind, _) => kind.name(),
        _ => "a time",
    }
}

/// The comment that opens the output.
fn header(set: &PolicySet, options: &Options, what: &str) -> String {
    let names: Vec<String> = set.policies().map(|p| format!("`{}`", p.name())).collect();
    let reads = match options.columns {
        Columns::Nested if options.dialect == Dialect::Postgres => {
            "a fact at a.b.c is the field c of the composite field b of the column a"
        }
        Columns::Nested => "a fact at a.b.c is the struct field a.b.c of a row",
        Columns::Flat => "a fact at a.b.c is the column \"a.b.c\"",
    };
    format!(
        "-- Compiled by verdict for {}: {what} that decides {} for every row of {};\n-- {reads}, and NULL is a missing value.\n",
        options.dialect.name(),
        names.join(", "),
        options.table
    )
}

fn layer_name(layer: usize) -> String {
    if layer == 0 {
        String::from("verdict_facts")
    } else {
        format!("verdict_nodes_{layer}")
    }
}

/// `expr AS "name"`, indented by `indent`.
fn column(dialect: Dialect, expr: &str, name: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let body = expr.replace('\n', &format!("\n{pad}"));
    format!("{pad}{body} AS {}", dialect.ident(name))
}

fn report(set: &PolicySet, problems: Vec<SqlError>) -> Report {
    Report::new(
        set.sources().clone(),
        problems.into_iter().map(Problem::from).collect(),
    )
}

/// One policy compiled: its fact atoms, its shared nodes by layer, its
/// output columns, and the names of every helper column.
struct Compiled {
    /// The time facts the atoms read, as columns computed before them
    /// (name, expression, what it reads): their texts' fields, then the
    /// parts computed from the fields.
    steps: [Vec<(String, String, String)>; 2],
    /// Each fact's atom column: its name, its expression, and what it
    /// reads, in words.
    atoms: Vec<(String, String, String)>,
    layers: Vec<Vec<(String, String)>>,
    outputs: Vec<(String, String)>,
    helpers: Vec<String>,
}

/// Each policy of `set` compiled; a policy whose query would take more
/// than `max_bytes` is refused.
fn compile_each(
    set: &PolicySet,
    options: &Options,
    inline: bool,
    max_bytes: usize,
) -> Result<Vec<Compiled>, Report> {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (index, tree) in set.built_trees().iter().enumerate() {
        let budget = set.limits().tree_budget;
        match compile_policy(index, tree, options, inline, max_bytes, budget) {
            Ok(compiled) => out.push(compiled),
            Err(mut errors) => problems.append(&mut errors),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(report(set, problems))
    }
}

/// What a node's three expressions compute: the least and the greatest
/// rule reachable (rules by index, the policy's `otherwise` after them),
/// and the path of the first unknown fact on the row's path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Least,
    Greatest,
    Error,
}

const PARTS: [Part; 3] = [Part::Least, Part::Greatest, Part::Error];

/// The largest query written, about: past it, a policy is refused with
/// `verdict::sql::too_large` rather than handed to an engine that would
/// spend minutes parsing it.
const MAX_QUERY_BYTES: usize = 64 << 20;

/// Past about this many bytes written node by node, a policy is written
/// rule by rule, which grows with its rules rather than its tree.
const RULE_BY_RULE_BYTES: usize = 8 << 20;

struct PolicyCompiler<'a> {
    tree: &'a DecisionTree,
    policy: &'a CheckedPolicy,
    options: &'a Options,
    /// Prefix of this policy's helper columns.
    prefix: String,
    /// Nodes computed as columns of their own (shared by several parents,
    /// and the root), with their layer; `None` for nodes written inline.
    materialized: Vec<Option<usize>>,
    /// Whether each fact's atom column is used.
    used: Vec<bool>,
    /// Each used fact's atom written out where it is read, instead of
    /// read from a column: for [`expressions`], which has no columns of
    /// its own.
    inline_atoms: Option<Vec<Option<String>>>,
    /// Each used fact's path as its error names it, as SQL.
    culprits: Vec<Option<String>>,
    /// About how many bytes the query's nodes take.
    estimate: usize,
}

fn compile_policy(
    index: usize,
    tree: &DecisionTree,
    options: &Options,
    inline: bool,
    max_bytes: usize,
    tree_budget: usize,
) -> Result<Compiled, Vec<SqlError>> {
    let policy = &*tree.policy;
    if policy.strict {
        return Err(vec![SqlError::Unsupported {
            policy: policy.name.clone(),
            dialect: options.dialect.name(),
            construct: String::from("`strict facts`"),
            span: policy.span,
            label: String::from("this policy reads facts strictly"),
            help: String::from(
                "a table's columns do not tell keys beside the declared paths apart, which `strict facts` refuses; drop `strict facts` to compile it",
            ),
        }]);
    }
    // PostgreSQL keeps 63 bytes of a name: longer output columns would
    // be cut short, and could come out alike.
    let longest = format!("{}_decision", policy.name);
    if options.dialect.short_names() && longest.len() > 63 {
        return Err(vec![SqlError::Unsupported {
            policy: policy.name.clone(),
            dialect: options.dialect.name(),
            construct: format!("a policy name of {} bytes", policy.name.len()),
            span: policy.span,
            label: String::from("this name, with `_decision`, is longer than 63 bytes"),
            help: String::from(
                "PostgreSQL cuts names at 63 bytes, so `<policy>_decision` would be cut short: rename the policy to at most 54 bytes",
            ),
        }]);
    }
    let mut compiler = PolicyCompiler::new(index, tree, options);
    compiler.plan(inline);
    // A policy whose whole tree was not built, or would write too large a
    // query, is written rule by rule: each rule's own small tree tells
    // whether it may hold and whether it surely holds.
    let mut by_rule = match options.shape {
        Shape::Tree => tree.scan.is_some(),
        Shape::Rules => true,
        Shape::Auto => tree.scan.is_some() || compiler.estimate > RULE_BY_RULE_BYTES,
    };
    let rule_trees: Vec<DecisionTree> = if by_rule {
        let built: Option<Vec<DecisionTree>> = policy
            .order
            .iter()
            .map(|id| crate::compile::rule_tree(&tree.policy, *id, tree_budget))
            .collect();
        match built {
            Some(trees) => trees,
            None => {
                return Err(vec![SqlError::NoTree {
                    policy: policy.name.clone(),
                    span: policy.span,
                    help: String::from(
                        "neither the policy's decision tree nor a rule's own was built within the tree budget: raise it (`Limits::tree_budget`), or split the rule's conditions over several rules",
                    ),
                }])
            }
        }
    } else {
        Vec::new()
    };
    let mut rules: Vec<PolicyCompiler> = Vec::new();
    if by_rule {
        let whole = (
            std::mem::replace(&mut compiler.materialized, vec![None; tree.nodes().len()]),
            std::mem::replace(&mut compiler.used, vec![false; policy.facts.len()]),
            std::mem::take(&mut compiler.estimate),
        );
        for rule_tree in &rule_trees {
            let mut rule = PolicyCompiler::new(index, rule_tree, options);
            rule.plan(true);
            // Its tree's least and greatest in its state, its error, and
            // its arms in the columns that pick the first rule that may
            // hold.
            compiler.estimate = compiler.estimate.saturating_add(rule.estimate + 300);
            for (used, fact) in compiler.used.iter_mut().zip(&rule.used) {
                *used |= *fact;
            }
            rules.push(rule);
        }
        // A rule's own tree is written inline, so one that shares much
        // (many `or`s) can be longer than the whole tree: `auto` keeps the
        // whole tree then, where it has one that fits.
        let (materialized, used, estimate) = whole;
        let fits = tree.scan.is_none() && estimate <= max_bytes;
        if options.shape == Shape::Auto && fits && compiler.estimate > estimate {
            by_rule = false;
            rules.clear();
            compiler.materialized = materialized;
            compiler.used = used;
            compiler.estimate = estimate;
        }
    }
    if compiler.estimate > max_bytes {
        let nodes: usize = match by_rule {
            true => rule_trees.iter().map(|t| t.nodes().len()).sum(),
            false => tree.nodes().len(),
        };
        return Err(vec![SqlError::TooLarge {
            policy: policy.name.clone(),
            size: bytes(compiler.estimate),
            limit: bytes(max_bytes),
            label: match by_rule {
                true => format!("its rules' own decision trees have {nodes} nodes"),
                false => format!("its decision tree has {nodes} nodes"),
            },
            span: policy.span,
            help: match by_rule {
                true => format!(
                    "the query is written rule by rule, each rule's own tree node by node, and these trees have {nodes} nodes; decide these rows with `verdict eval --ndjson`, or split the policy into smaller ones"
                ),
                false => format!(
                    "the query is written node by node from the decision tree, and this tree has {nodes} nodes; decide these rows with `verdict eval --ndjson`, or split the policy into smaller ones"
                ),
            },
        }]);
    }
    // The time facts the atoms read, parsed once: columns of their own
    // (or, written inline, the expressions).
    let mut times = facts::Times::default();
    let mut texts: Vec<(String, String, String)> = Vec::new();
    let mut values: Vec<(String, String, String)> = Vec::new();
    let mut problems = Vec::new();
    let mut parsed: Vec<FactId> = Vec::new();
    for fact in 0..policy.facts.len() {
        if !compiler.used.get(fact).copied().unwrap_or(false) {
            continue;
        }
        for base in facts::times_read(policy, FactId(fact as u32)) {
            if parsed.contains(&base) {
                continue;
            }
            parsed.push(base);
            let read = facts::time_fact(policy, base, options).and_then(|(kind, v)| {
                time::fields(kind, &v, options.dialect)
                    .ok_or_else(|| String::from("a time of day as a fact's own value"))
            });
            let fields = match read {
                Ok(fields) => fields,
                Err(construct) => {
                    problems.push(compiler.unsupported(base, construct));
                    continue;
                }
            };
            let about = policy.fact(base).map_or_else(String::new, |f| {
                format!(
                    "`{}` read as {}: {}",
                    f.name,
                    kind_name(f),
                    comment(&f.path_string())
                )
            });
            let column_of = |field: &str| format!("{}t{}_{field}", compiler.prefix, base.0);
            let field = |name: &str| -> String {
                if inline {
                    let expr = fields
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map_or_else(|| String::from("NULL"), |(_, e)| e.clone());
                    format!("({expr})")
                } else {
                    format!("t.{}", options.dialect.ident(&column_of(name)))
                }
            };
            match facts::time_parts(policy, base, options, &field) {
                Ok(parts) if inline => times.insert(base, parts),
                Ok(parts) => {
                    for (i, (name, expr)) in fields.iter().enumerate() {
                        let about = if i == 0 { about.clone() } else { String::new() };
                        texts.push((column_of(name), expr.clone(), about));
                    }
                    let whole = format!("{}w{}", compiler.prefix, base.0);
                    let nanos = format!("{}n{}", compiler.prefix, base.0);
                    values.push((whole.clone(), parts.whole, about.clone()));
                    values.push((nanos.clone(), parts.nanos, String::new()));
                    let read = |name: &str| format!("t.{}", options.dialect.ident(name));
                    times.insert(
                        base,
                        time::Parts {
                            whole: read(&whole),
                            nanos: read(&nanos),
                        },
                    );
                }
                Err(construct) => problems.push(compiler.unsupported(base, construct)),
            }
        }
    }
    // Each fact the tree tests, as its atom.
    let mut atoms: Vec<(String, String, String)> = Vec::new();
    let mut written: Vec<Option<String>> = vec![None; policy.facts.len()];
    for fact in 0..policy.facts.len() {
        if !compiler.used.get(fact).copied().unwrap_or(false) {
            continue;
        }
        let id = FactId(fact as u32);
        match facts::atom(policy, id, options, &times).and_then(|atom| {
            let culprit = facts::culprit(policy, id, options, &times)?;
            Ok((atom, culprit))
        }) {
            Ok((expr, culprit)) => {
                if let Some(slot) = compiler.culprits.get_mut(fact) {
                    *slot = Some(culprit);
                }
                if let Some(slot) = written.get_mut(fact) {
                    *slot = Some(format!("({})", indent(&expr, 2)));
                }
                let about = policy.fact(id).map_or_else(String::new, |f| {
                    format!("`{}`: {}", f.name, comment(&f.path_string()))
                });
                atoms.push((compiler.fact_column(id), expr, about));
            }
            Err(construct) => {
                // Two facts a rule reads alike (a weekday and a time of
                // day) are one diagnostic.
                let problem = compiler.unsupported(id, construct);
                if !problems.iter().any(|p: &SqlError| {
                    p.to_string() == problem.to_string() && span_of(p) == span_of(&problem)
                }) {
                    problems.push(problem);
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    for rule in &mut rules {
        rule.culprits.clone_from(&compiler.culprits);
        if inline {
            rule.inline_atoms = Some(written.clone());
        }
    }
    if inline {
        compiler.inline_atoms = Some(written);
    }
    let mut layers: Vec<Vec<(String, String)>> = Vec::new();
    if !inline && !by_rule {
        for (node, layer) in compiler.materialized.iter().enumerate() {
            let Some(layer) = *layer else { continue };
            while layers.len() < layer {
                layers.push(Vec::new());
            }
            let id = NodeId(node as u32);
            for part in PARTS {
                let expr = compiler.node_body(id, part);
                if let Some(list) = layers.get_mut(layer - 1) {
                    list.push((compiler.node_column(id, part), expr));
                }
            }
        }
    }
    let (least, greatest, error) = if by_rule {
        compiler.by_rule(&rules, inline, &mut layers)
    } else {
        let root = tree.root();
        (
            compiler.reference(root, Part::Least),
            compiler.reference(root, Part::Greatest),
            compiler.reference(root, Part::Error),
        )
    };
    let decided = |then: String| format!("CASE WHEN {least} = {greatest} THEN {then} END");
    let name = &policy.name;
    let outputs = vec![
        (
            format!("{name}_decision"),
            decided(compiler.labels(&least, true)),
        ),
        (
            format!("{name}_rule"),
            decided(compiler.labels(&least, false)),
        ),
        (
            format!("{name}_error"),
            format!("CASE WHEN {least} <> {greatest} THEN {error} END"),
        ),
    ];
    let mut helpers: Vec<String> = texts.iter().map(|(name, _, _)| name.clone()).collect();
    helpers.extend(values.iter().map(|(name, _, _)| name.clone()));
    helpers.extend(atoms.iter().map(|(name, _, _)| name.clone()));
    helpers.extend(layers.iter().flatten().map(|(name, _)| name.clone()));
    Ok(Compiled {
        steps: [texts, values],
        atoms: if inline { Vec::new() } else { atoms },
        layers,
        outputs,
        helpers,
    })
}

impl<'a> PolicyCompiler<'a> {
    fn new(index: usize, tree: &'a DecisionTree, options: &'a Options) -> PolicyCompiler<'a> {
        let policy = &*tree.policy;
        PolicyCompiler {
            tree,
            policy,
            options,
            prefix: format!("__verdict_{index}_"),
            materialized: vec![None; tree.nodes().len()],
            used: vec![false; policy.facts.len()],
            inline_atoms: None,
            culprits: vec![None; policy.facts.len()],
            estimate: 0,
        }
    }

    /// The root's three parts written rule by rule, from each rule's own
    /// tree (`rules`, in the order rules are tried): a rule's state is 0
    /// where it cannot hold whatever the unknown facts are, 2 where it
    /// holds whatever they are, and 1 between. The first rule that may
    /// hold is the least rule reached; the row is decided when that rule
    /// surely holds (every rule before it surely does not), exactly where
    /// the whole tree's least and greatest meet; else its error is that
    /// rule's. The states are columns of a layer of their own (written
    /// inline for `--expr`), the three parts columns of the next.
    fn by_rule(
        &self,
        rules: &[PolicyCompiler],
        inline: bool,
        layers: &mut Vec<Vec<(String, String)>>,
    ) -> (String, String, String) {
        let otherwise = self.policy.rules.len();
        let mut states: Vec<(String, String)> = Vec::new();
        for (k, rule) in rules.iter().enumerate() {
            let root = rule.tree.root();
            let id = self.policy.order.get(k).map_or(otherwise, |r| r.0 as usize);
            let state = format!(
                "CASE WHEN {} <> {id} THEN 0 WHEN {} = {id} THEN 2 ELSE 1 END",
                rule.reference(root, Part::Least),
                rule.reference(root, Part::Greatest)
            );
            states.push((format!("{}r{k}", self.prefix), state));
        }
        let state = |k: usize| -> String {
            match (inline, states.get(k)) {
                (true, Some((_, expr))) => format!("({expr})"),
                (false, Some((name, _))) => self.options.dialect.ident(name),
                _ => String::from("0"),
            }
        };
        let (mut least, mut greatest, mut error) = (
            String::from("CASE"),
            String::from("CASE"),
            String::from("CASE"),
        );
        for (k, rule) in rules.iter().enumerate() {
            let id = self.policy.order.get(k).map_or(otherwise, |r| r.0 as usize);
            let s = state(k);
            let label = self
                .policy
                .rules
                .get(id)
                .map_or_else(String::new, |r| comment(&rule_label(r)));
            let _ = write!(least, "\n  WHEN {s} > 0 THEN {id} /* {label} */");
            let _ = write!(
                greatest,
                "\n  WHEN {s} > 0 THEN CASE WHEN {s} = 2 THEN {id} ELSE -1 END"
            );
            let below = rule.reference(rule.tree.root(), Part::Error);
            let _ = write!(
                error,
                "\n  WHEN {s} = 1 THEN {}\n  WHEN {s} = 2 THEN NULL",
                indent(&below, 2)
            );
        }
        // A policy without rules always takes its `otherwise`.
        if rules.is_empty() {
            let otherwise = otherwise.to_string();
            return (otherwise.clone(), otherwise, String::from("NULL"));
        }
        let _ = write!(least, "\n  ELSE {otherwise}\nEND");
        let _ = write!(greatest, "\n  ELSE {otherwise}\nEND");
        error.push_str("\nEND");
        if inline {
            return (least, greatest, error);
        }
        layers.push(states);
        let parts = [
            (format!("{}least", self.prefix), least),
            (format!("{}greatest", self.prefix), greatest),
            (format!("{}error", self.prefix), error),
        ];
        let names: Vec<String> = parts
            .iter()
            .map(|(name, _)| self.options.dialect.ident(name))
            .collect();
        layers.push(parts.to_vec());
        match names.as_slice() {
            [l, g, e] => (l.clone(), g.clone(), e.clone()),
            _ => (
                String::from("NULL"),
                String::from("NULL"),
                String::from("NULL"),
            ),
        }
    }

    /// Chooses the nodes computed as columns, and their layers, and notes
    /// the facts the tree tests. Children come before their parents in
    /// the tree's nodes, so one pass in order gives every layer.
    fn plan(&mut self, inline: bool) {
        let nodes = &self.tree.nodes();
        let mut parents = vec![0u32; nodes.len()];
        let mut reachable = vec![false; nodes.len()];
        if let Some(r) = reachable.get_mut(self.tree.root().0 as usize) {
            *r = true;
        }
        // Parents come after children: walk down from the root first.
        for (i, node) in nodes.iter().enumerate().rev() {
            if !reachable.get(i).copied().unwrap_or(false) {
                continue;
            }
            if let Node::Test { fact, edges } = node {
                if let Some(used) = self.used.get_mut(fact.0 as usize) {
                    *used = true;
                }
                let children = edges_by_child(edges);
                // Each arm, in each of the three parts: the atom's column
                // twice, a test of atoms, the child.
                let column = self.fact_column(*fact).len() + 2;
                self.estimate = self
                    .estimate
                    .saturating_add(children.len().saturating_mul(3 * (2 * column + 60)));
                for (child, _) in children {
                    if let Some(p) = parents.get_mut(child.0 as usize) {
                        *p += 1;
                    }
                    if let Some(r) = reachable.get_mut(child.0 as usize) {
                        *r = true;
                    }
                }
            }
        }
        // The layer a node's expression needs: above every column it reads.
        let mut needs = vec![0usize; nodes.len()];
        // Written inline, a subtree is copied under each of its parents:
        // the bytes each node's three parts take with their copies.
        let mut written = vec![0usize; nodes.len()];
        for (i, node) in nodes.iter().enumerate() {
            if !reachable.get(i).copied().unwrap_or(false) {
                continue;
            }
            let Node::Test { fact, edges } = node else {
                continue;
            };
            let column = self.fact_column(*fact).len() + 2;
            let size = edges_by_child(edges)
                .iter()
                .map(|(child, _)| {
                    let below = written.get(child.0 as usize).copied().unwrap_or(0);
                    (3 * (2 * column + 60)).saturating_add(below)
                })
                .fold(0usize, usize::saturating_add);
            if let Some(w) = written.get_mut(i) {
                *w = size;
            }
            let below = edges_by_child(edges)
                .iter()
                .map(|(child, _)| {
                    let c = child.0 as usize;
                    match self.materialized.get(c).copied().flatten() {
                        Some(layer) => layer,
                        None => needs.get(c).copied().unwrap_or(0),
                    }
                })
                .max()
                .unwrap_or(0);
            if let Some(n) = needs.get_mut(i) {
                *n = below;
            }
            let shared = parents.get(i).copied().unwrap_or(0) >= 2;
            let root = i == self.tree.root().0 as usize;
            if !inline && (shared || root) {
                if let Some(m) = self.materialized.get_mut(i) {
                    *m = Some(below + 1);
                }
            }
        }
        if inline {
            let root = written.get(self.tree.root().0 as usize).copied();
            self.estimate = self.estimate.max(root.unwrap_or(0));
        }
    }

    fn fact_column(&self, fact: FactId) -> String {
        // By number too: the facts a `set of` fact's tests derive share
        // its name.
        let name = self.policy.fact(fact).map_or("", |f| f.name.as_str());
        if self.options.dialect.short_names() {
            return format!("{}f{}", self.prefix, fact.0);
        }
        format!("{}f{}_{name}", self.prefix, fact.0)
    }

    fn node_column(&self, node: NodeId, part: Part) -> String {
        let part = match part {
            Part::Least => "least",
            Part::Greatest => "greatest",
            Part::Error => "error",
        };
        format!("{}n{}_{part}", self.prefix, node.0)
    }

    /// A node's part as its parent reads it: its column, its leaf's
    /// constant, or its expression written out.
    fn reference(&self, node: NodeId, part: Part) -> String {
        if self
            .materialized
            .get(node.0 as usize)
            .copied()
            .flatten()
            .is_some()
        {
            return self.options.dialect.ident(&self.node_column(node, part));
        }
        self.node_body(node, part)
    }

    /// A node's part as an expression over its children's.
    fn node_body(&self, node: NodeId, part: Part) -> String {
        match self.tree.node(node) {
            None => String::from("NULL"),
            Some(Node::Leaf(rule)) => match part {
                Part::Error => String::from("NULL"),
                _ => self.leaf(*rule),
            },
            Some(Node::Test { fact, edges }) => {
                let atom = match &self.inline_atoms {
                    Some(atoms) => atoms
                        .get(fact.0 as usize)
                        .cloned()
                        .flatten()
                        .unwrap_or_else(|| String::from("NULL")),
                    None => self.options.dialect.ident(&self.fact_column(*fact)),
                };
                let children = edges_by_child(edges);
                if let [(only, _)] = children.as_slice() {
                    return self.reference(*only, part);
                }
                let culprit = self
                    .culprits
                    .get(fact.0 as usize)
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| String::from("NULL"));
                match part {
                    Part::Error => {
                        let mut out = format!("CASE\n  WHEN {atom} IS NULL THEN {culprit}");
                        for (child, atoms) in &children {
                            // A `CASE` gives `NULL` where no arm holds.
                            let below = self.reference(*child, part);
                            if below == "NULL" {
                                continue;
                            }
                            let _ = write!(
                                out,
                                "\n  WHEN {} THEN {}",
                                atoms_test(&atom, atoms),
                                indent(&below, 2)
                            );
                        }
                        out.push_str("\nEND");
                        out
                    }
                    Part::Least | Part::Greatest => {
                        let function = if part == Part::Least {
                            "LEAST"
                        } else {
                            "GREATEST"
                        };
                        let arms: Vec<String> = children
                            .iter()
                            .map(|(child, atoms)| {
                                format!(
                                    "CASE WHEN {atom} IS NULL OR {} THEN {} END",
                                    atoms_test(&atom, atoms),
                                    indent(&self.reference(*child, part), 2)
                                )
                            })
                            .collect();
                        format!("{function}(\n  {}\n)", arms.join(",\n  "))
                    }
                }
            }
        }
    }

    /// A leaf's number, with the rule it names in a comment.
    fn leaf(&self, rule: Option<crate::model::RuleId>) -> String {
        let otherwise = self.policy.rules.len();
        match rule.and_then(|r| self.policy.rules.get(r.0 as usize)) {
            Some(rule) => format!(
                "{} /* {}: {} */",
                rule.id.0,
                rule.verdict.as_str(),
                comment(&rule_label(rule))
            ),
            None => format!(
                "{otherwise} /* {}: no rule applies */",
                self.policy.otherwise.as_str()
            ),
        }
    }

    /// The decision (or with `decision` false, the rule) of the rule
    /// number `id` holds, as a `CASE` over the numbers.
    fn labels(&self, id: &str, decision: bool) -> String {
        let otherwise = self.policy.rules.len();
        let mut arms: Vec<(String, Vec<u32>)> = Vec::new();
        for rule in &self.policy.rules {
            let label = if decision {
                self.options.dialect.string(rule.verdict.as_str())
            } else {
                self.options.dialect.string(&rule_label(rule))
            };
            match arms.iter_mut().find(|(l, _)| *l == label) {
                Some((_, ids)) => ids.push(rule.id.0),
                None => arms.push((label, vec![rule.id.0])),
            }
        }
        let mut out = String::from("CASE");
        for (label, ids) in arms {
            let list: Vec<String> = ids.iter().map(u32::to_string).collect();
            let test = match list.as_slice() {
                [one] => format!("{id} = {one}"),
                _ => format!("{id} IN ({})", list.join(", ")),
            };
            let _ = write!(out, "\n  WHEN {test} THEN {label}");
        }
        if decision {
            let _ = write!(
                out,
                "\n  WHEN {id} = {otherwise} THEN {}",
                self.options.dialect.string(self.policy.otherwise.as_str())
            );
        }
        out.push_str("\nEND");
        out
    }

    /// The diagnostic for a fact the SQL cannot read, naming the first
    /// rule that tests it.
    fn unsupported(&self, fact: FactId, construct: String) -> SqlError {
        let rule = self.policy.rules.iter().find(|rule| {
            rule.clauses
                .iter()
                .any(|clause| clause.conditions.iter().any(|(f, _)| *f == fact))
        });
        let declared = self.policy.fact(fact);
        let (span, label) = match rule {
            Some(rule) => (rule.span, format!("rule {} tests it", rule_label(rule))),
            None => (
                declared.map_or(self.policy.span, |f| f.span),
                String::from("declared here"),
            ),
        };
        SqlError::Unsupported {
            policy: self.policy.name.clone(),
            dialect: self.options.dialect.name(),
            construct,
            span,
            label,
            help: String::from(
                "decide these rows with `verdict eval --ndjson`, or leave the rule out of the policies you compile to SQL",
            ),
        }
    }
}

/// Where a diagnostic points.
fn span_of(problem: &SqlError) -> crate::source::Span {
    match problem {
        SqlError::Unsupported { span, .. }
        | SqlError::NoTree { span, .. }
        | SqlError::TooLarge { span, .. } => *span,
    }
}

/// A rule as the `_rule` column names it: its name, or its `file:line`.
fn rule_label(rule: &crate::model::CheckedRule) -> String {
    rule.name.clone().unwrap_or_else(|| rule.location.clone())
}

/// A test that `atom` is one of `atoms`: runs of three or more as ranges.
fn atoms_test(atom: &str, atoms: &AtomSet) -> String {
    let list: Vec<u32> = atoms.iter().collect();
    let mut parts: Vec<String> = Vec::new();
    let mut singles: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(&first) = list.get(i) {
        let mut last = first;
        let mut j = i + 1;
        while list.get(j) == Some(&(last + 1)) {
            last += 1;
            j += 1;
        }
        if last - first >= 2 {
            parts.push(format!("{atom} BETWEEN {first} AND {last}"));
        } else {
            singles.extend((first..=last).map(|a| a.to_string()));
        }
        i = j;
    }
    match singles.as_slice() {
        [] => {}
        [one] => parts.push(format!("{atom} = {one}")),
        many => parts.push(format!("{atom} IN ({})", many.join(", "))),
    }
    match parts.as_slice() {
        [one] => one.clone(),
        _ => format!("({})", parts.join(" OR ")),
    }
}

/// Indents every line of `text` after the first by `by` spaces.
fn indent(text: &str, by: usize) -> String {
    text.replace('\n', &format!("\n{}", " ".repeat(by)))
}

/// A size in words: `741 MB`, `9 KB`.
fn bytes(n: usize) -> String {
    match n {
        n if n >= 1 << 20 => format!("{} MB", n >> 20),
        n => format!("{} KB", n.div_ceil(1 << 10)),
    }
}

/// Text safe inside a `/* */` comment.
fn comment(text: &str) -> String {
    text.replace("*/", "* /")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Past its limit, a query is refused before any SQL is written, with
    /// the size it would have had.
    #[test]
    fn a_query_past_the_limit_is_refused() {
        let text = include_str!("../../tests/fixtures/language/continued-lines/shipping.policy");
        let set = PolicySet::from_sources([("shipping.policy", text)]).map_err(|r| r.render(100));
        let Ok(set) = set else {
            panic!("the fixture loads")
        };
        let options = Options::default();
        let Err(report) = compile_each(&set, &options, false, 4 << 10) else {
            panic!("a query of more than 4 KB is refused")
        };
        insta::assert_snapshot!(report.render(100));
    }
}
