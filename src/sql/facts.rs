//! A fact's atom as SQL: the number of the class of values its column's
//! value falls in, as `Fact::classify` finds it, or `NULL` when the fact
//! is unknown (missing and required, or a value it does not declare).

use serde_json::Value;

use super::time::Parts;
use super::{Columns, Dialect, Options};
use crate::model::{
    CheckedPolicy, Element, Fact, FactId, FactType, Presence, RelationOp, TimeKind,
};

/// The atom of fact `id` over the row aliased `t`; `Err` names what the
/// SQL cannot read yet.
pub(super) fn atom(
    policy: &CheckedPolicy,
    id: FactId,
    options: &Options,
    times: &Times,
) -> Result<String, String> {
    let fact = fact_of(policy, id)?;
    let dialect = options.dialect;
    let column = || dialect.path(&fact.path, options.columns);
    let absent = absent_atom(fact)?;
    let present = match &fact.ty {
        FactType::Enum(values) => {
            let v = column();
            let arms: String = values
                .iter()
                .enumerate()
                .map(|(i, value)| format!(" WHEN {} THEN {i}", options.dialect.string(value)))
                .collect();
            (v.clone(), format!("CASE {v}{arms} END"))
        }
        FactType::Bool => {
            let v = column();
            (
                v.clone(),
                format!("CASE {v} WHEN TRUE THEN 1 WHEN FALSE THEN 0 END"),
            )
        }
        FactType::Number(points) => {
            let v = column();
            let x = dialect.double(&v);
            (v, number_atom(dialect, &x, points, 0, points.len()))
        }
        FactType::String(strings) => {
            let v = column();
            let arms: String = strings
                .literals
                .iter()
                .enumerate()
                .map(|(i, literal)| {
                    format!(" WHEN {v} = {} THEN {i}", options.dialect.string(literal))
                })
                .collect();
            // Any other string's class: its longest prefix and its
            // longest suffix among those the rules test.
            let longest = |items: &[String], test: &dyn Fn(&str, &str) -> String| {
                let mut order: Vec<(usize, &String)> = items.iter().enumerate().collect();
                order.sort_by_key(|(_, item)| std::cmp::Reverse(item.len()));
                let arms: String = order
                    .iter()
                    .map(|(i, item)| {
                        format!(" WHEN {} THEN {}", test(&v, &dialect.string(item)), i + 1)
                    })
                    .collect();
                format!("(CASE{arms} ELSE 0 END)")
            };
            let mut other = strings.literals.len().to_string();
            if !strings.prefixes.is_empty() {
                other.push_str(&format!(
                    " + {} * {}",
                    longest(&strings.prefixes, &|v, p| dialect.starts_with(v, p)),
                    strings.suffixes.len() + 1
                ));
            }
            if !strings.suffixes.is_empty() {
                other.push_str(&format!(
                    " + {}",
                    longest(&strings.suffixes, &|v, p| dialect.ends_with(v, p))
                ));
            }
            let atom = if arms.is_empty() {
                other
            } else {
                format!("CASE{arms} ELSE {other} END")
            };
            (v, atom)
        }
        FactType::Set(element) => {
            let v = column();
            let fits = fits(element, &v, options);
            (v, format!("CASE WHEN {fits} THEN 0 END"))
        }
        FactType::Has(element, wanted) => {
            let v = column();
            let fits = fits(element, &v, options);
            let holds = dialect.contains(&v, &literal(wanted, options)?);
            (
                v,
                format!("CASE WHEN NOT {fits} THEN NULL WHEN {holds} THEN 1 ELSE 0 END"),
            )
        }
        FactType::Relation(relation) => {
            let side = |id: FactId| -> Result<Side, String> {
                let base = policy
                    .fact(id)
                    .ok_or_else(|| String::from("an unknown fact"))?;
                side(base, id, options, times)
            };
            let (left, right) = (side(relation.left)?, side(relation.right)?);
            let number = |id: FactId| {
                policy
                    .fact(id)
                    .is_some_and(|f| matches!(f.ty, FactType::Number(_) | FactType::Time(..)))
            };
            let offset = |r: &str| {
                if relation.offset == 0.0 {
                    r.to_string()
                } else {
                    format!("{r} + {}", number_literal(dialect, relation.offset))
                }
            };
            let (l, r) = (&left.value, &right.value);
            let holds = match relation.op {
                RelationOp::Eq if number(relation.left) && number(relation.right) => {
                    format!("{} = {}", dialect.double(l), offset(&dialect.double(r)))
                }
                RelationOp::Eq => format!("{l} = {r}"),
                RelationOp::Lt => format!("{} < {}", dialect.double(l), offset(&dialect.double(r))),
                RelationOp::Le => {
                    format!("{} <= {}", dialect.double(l), offset(&dialect.double(r)))
                }
                RelationOp::In => dialect.contains(r, l),
                RelationOp::Within => format!(
                    "abs({} - {}) <= {}",
                    dialect.double(l),
                    dialect.double(r),
                    number_literal(dialect, relation.offset)
                ),
            };
            let absent = absent.unwrap_or_else(|| String::from("NULL"));
            return Ok(format!(
                "CASE\n  WHEN {} OR {} THEN NULL\n  WHEN {} OR {} THEN {absent}\n  WHEN {holds} THEN 1\n  ELSE 0\nEND",
                left.unknown, right.unknown, left.absent, right.absent
            ));
        }
        FactType::Time(_, points) => {
            let parts = times.get(id)?;
            let x = parts.number(dialect);
            let atom = format!(
                "CASE WHEN {} IS NULL THEN NULL ELSE {} END",
                parts.whole,
                number_atom(dialect, &x, points, 0, points.len())
            );
            if fact.presence == Presence::Now {
                // A missing value is the evaluation time: the parts have it.
                return Ok(atom);
            }
            (column(), atom)
        }
        FactType::Local(local) => {
            let base = fact_of(policy, local.base)?;
            let parts = times.get(local.base)?;
            let zone = &local.local.zone;
            let part = match &local.ty {
                FactType::Time(_, points) => {
                    let x = super::time::clock(&parts, zone, dialect);
                    number_atom(dialect, &x, points, 0, points.len())
                }
                _ => super::time::weekday(&parts, zone, dialect),
            };
            let atom = format!(
                "CASE WHEN {} IS NULL THEN NULL ELSE {part} END",
                parts.whole
            );
            if base.presence == Presence::Now {
                return Ok(atom);
            }
            (dialect.path(&base.path, options.columns), atom)
        }
    };
    let (value, atom) = present;
    // An enum's or a bool's `CASE` has no arm for `NULL`, so gives `NULL`
    // for a missing value by itself; the others give it explicitly.
    let null_is_null = matches!(
        fact.ty,
        FactType::Enum(_) | FactType::Bool | FactType::Time(..) | FactType::Local(_)
    );
    Ok(match absent {
        Some(absent) => format!("CASE WHEN {value} IS NULL THEN {absent} ELSE {atom} END"),
        None if null_is_null => atom,
        None => format!("CASE WHEN {value} IS NULL THEN NULL ELSE {atom} END"),
    })
}

/// The path an error names when fact `id` is unknown: the fact's own, or
/// for a relation, the side that is unknown (the left one first, as
/// `facts::read` blames it), else the relation's.
pub(super) fn culprit(
    policy: &CheckedPolicy,
    id: FactId,
    options: &Options,
    times: &Times,
) -> Result<String, String> {
    let fact = fact_of(policy, id)?;
    let own = options.dialect.string(&fact.path_string());
    // A part of a date-time is unknown where the date-time is.
    if let FactType::Local(local) = &fact.ty {
        let base = fact_of(policy, local.base)?;
        return Ok(options.dialect.string(&base.path_string()));
    }
    let FactType::Relation(relation) = &fact.ty else {
        return Ok(own);
    };
    let mut arms = String::new();
    for id in [relation.left, relation.right] {
        let base = policy
            .fact(id)
            .ok_or_else(|| String::from("an unknown fact"))?;
        let side = side(base, id, options, times)?;
        arms.push_str(&format!(
            " WHEN {} THEN {}",
            side.unknown,
            options.dialect.string(&base.path_string())
        ));
    }
    Ok(format!("CASE{arms} ELSE {own} END"))
}

/// The parsed parts of the time facts the atoms read, by fact: columns
/// of the query's first step, or (for `--expr`) the expressions.
#[derive(Default)]
pub(super) struct Times {
    parts: std::collections::HashMap<FactId, Parts>,
}

impl Times {
    pub(super) fn insert(&mut self, id: FactId, parts: Parts) {
        self.parts.insert(id, parts);
    }

    fn get(&self, id: FactId) -> Result<Parts, String> {
        self.parts
            .get(&id)
            .cloned()
            .ok_or_else(|| String::from("a time fact read before it is parsed"))
    }
}

/// The declared time facts the atom of fact `id` reads: itself, the
/// date-time it takes a part of, or the two sides of a relation of times.
pub(super) fn times_read(policy: &CheckedPolicy, id: FactId) -> Vec<FactId> {
    match policy.fact(id).map(|f| &f.ty) {
        Some(FactType::Time(..)) => vec![id],
        Some(FactType::Local(local)) => vec![local.base],
        Some(FactType::Relation(relation)) if relation.time.is_some() => {
            vec![relation.left, relation.right]
        }
        _ => Vec::new(),
    }
}

/// The kind and column of the declared time fact `id`.
pub(super) fn time_fact(
    policy: &CheckedPolicy,
    id: FactId,
    options: &Options,
) -> Result<(TimeKind, String), String> {
    let fact = fact_of(policy, id)?;
    match &fact.ty {
        FactType::Time(TimeKind::Clock, _) => {
            Err(String::from("a time of day as a fact's own value"))
        }
        FactType::Time(kind, _) => Ok((*kind, options.dialect.path(&fact.path, options.columns))),
        _ => Err(String::from("a part of a fact that is not a date-time")),
    }
}

/// The parts of the time fact `id` from its fields (each read by
/// `field`): the evaluation time where it is missing and defaults to now.
pub(super) fn time_parts(
    policy: &CheckedPolicy,
    id: FactId,
    options: &Options,
    field: &dyn Fn(&str) -> String,
) -> Result<Parts, String> {
    let fact = fact_of(policy, id)?;
    let (kind, v) = time_fact(policy, id, options)?;
    let parsed = super::time::parts(kind, field);
    if fact.presence != Presence::Now {
        return Ok(parsed);
    }
    let now = super::time::now(kind, options.now, options.dialect)
        .ok_or_else(|| String::from("a duration that defaults to now"))?;
    Ok(Parts {
        whole: format!(
            "CASE WHEN {v} IS NULL THEN {} ELSE {} END",
            now.whole, parsed.whole
        ),
        nanos: format!(
            "CASE WHEN {v} IS NULL THEN {} ELSE {} END",
            now.nanos, parsed.nanos
        ),
    })
}

/// The fact `id` of `policy`.
fn fact_of(policy: &CheckedPolicy, id: FactId) -> Result<&Fact, String> {
    policy
        .fact(id)
        .ok_or_else(|| String::from("an unknown fact"))
}

/// The atom a missing value is: `None` when a missing value is unknown
/// (the atom expression is then `NULL` for it, as a `CASE` with no arm
/// for `NULL` is).
fn absent_atom(fact: &Fact) -> Result<Option<String>, String> {
    match &fact.presence {
        Presence::Required => Ok(None),
        Presence::Optional => Ok(fact.absent_atom().map(|a| a.to_string())),
        Presence::Default(atom) => Ok(Some(atom.to_string())),
        // Only times default to now, and their parts hold it.
        Presence::Now => Ok(None),
    }
}

/// One side of a relation: its value (the default's where one is missing),
/// and tests that it is unknown and that it is absent.
struct Side {
    value: String,
    unknown: String,
    absent: String,
}

fn side(fact: &Fact, id: FactId, options: &Options, times: &Times) -> Result<Side, String> {
    let v = options.dialect.path(&fact.path, options.columns);
    if let FactType::Time(kind, _) = &fact.ty {
        let parts = times.get(id)?;
        let number = parts.number(options.dialect);
        let misfit = format!("({v} IS NOT NULL AND {} IS NULL)", parts.whole);
        return Ok(match &fact.presence {
            // The parts hold the evaluation time where the value is missing.
            Presence::Required | Presence::Now => Side {
                unknown: format!("{} IS NULL", parts.whole),
                absent: String::from("FALSE"),
                value: number,
            },
            Presence::Optional => Side {
                unknown: misfit,
                absent: format!("{v} IS NULL"),
                value: number,
            },
            Presence::Default(atom) => {
                let default = fact
                    .default
                    .as_deref()
                    .cloned()
                    .or_else(|| fact.representative(*atom))
                    .and_then(|d| d.as_str().and_then(|text| kind.parse(text)))
                    .ok_or_else(|| String::from("a default without a value"))?;
                Side {
                    unknown: misfit,
                    absent: String::from("FALSE"),
                    value: format!(
                        "COALESCE({number}, {})",
                        number_literal(options.dialect, default)
                    ),
                }
            }
        });
    }
    let fits = match &fact.ty {
        FactType::Enum(values) => {
            let listed: Vec<String> = values.iter().map(|s| options.dialect.string(s)).collect();
            format!("{v} IN ({})", listed.join(", "))
        }
        FactType::Set(element) => fits(element, &v, options),
        FactType::Bool | FactType::Number(_) | FactType::String(_) => String::from("TRUE"),
        _ => return Err(String::from("a relation with a fact of this type")),
    };
    let misfit = format!("({v} IS NOT NULL AND NOT {fits})");
    Ok(match &fact.presence {
        Presence::Required => Side {
            unknown: format!("({v} IS NULL OR NOT {fits})"),
            absent: String::from("FALSE"),
            value: v,
        },
        Presence::Optional => Side {
            unknown: misfit,
            absent: format!("{v} IS NULL"),
            value: v,
        },
        Presence::Default(atom) => {
            // The declared default, or the value of the atom a missing
            // value means (an optional `set of` fact's is the empty list).
            let default = fact
                .default
                .as_deref()
                .cloned()
                .or_else(|| fact.representative(*atom))
                .ok_or_else(|| String::from("a default without a value"))?;
            Side {
                unknown: misfit,
                absent: String::from("FALSE"),
                value: format!("COALESCE({v}, {})", literal(&default, options)?),
            }
        }
        Presence::Now => return Err(String::from("a relation with a fact of this type")),
    })
}

/// Whether every item of the list `v` is a value of `element`.
fn fits(element: &Element, v: &str, options: &Options) -> String {
    let dialect = options.dialect;
    let no_nulls = dialect.no_nulls(v);
    match element {
        Element::Enum(values) => {
            let listed: Vec<String> = values.iter().map(|s| dialect.string(s)).collect();
            format!(
                "({no_nulls} AND {})",
                dialect.all_in(&dialect.list(&listed), v)
            )
        }
        Element::Number | Element::String => format!("({no_nulls})"),
    }
}

/// The atom of the number `x` among `points[lo..hi]`, as `number_atom`
/// finds it: a binary search written as nested `CASE`s, so a row makes
/// about log2 of the points' comparisons.
fn number_atom(dialect: Dialect, x: &str, points: &[f64], lo: usize, hi: usize) -> String {
    if hi - lo <= 4 {
        let mut out = String::from("CASE");
        for (i, p) in points.iter().enumerate().take(hi).skip(lo) {
            let p = number_literal(dialect, *p);
            out.push_str(&format!(
                " WHEN {x} < {p} THEN {} WHEN {x} = {p} THEN {}",
                2 * i,
                2 * i + 1
            ));
        }
        out.push_str(&format!(" ELSE {} END", 2 * hi));
        return out;
    }
    let mid = lo + (hi - lo) / 2;
    let Some(p) = points.get(mid) else {
        return String::from("NULL");
    };
    format!(
        "CASE WHEN {x} < {} THEN {} ELSE {} END",
        number_literal(dialect, *p),
        number_atom(dialect, x, points, lo, mid),
        number_atom(dialect, x, points, mid, hi)
    )
}

/// A double as SQL reads it back exactly.
fn number_literal(dialect: Dialect, x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        dialect.double(&format!("'{x:?}'"))
    }
}

/// A JSON scalar, or a list of them, as an SQL literal.
fn literal(value: &Value, options: &Options) -> Result<String, String> {
    match value {
        Value::Array(items) => {
            let items = items
                .iter()
                .map(|item| literal(item, options))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(options.dialect.list(&items))
        }
        Value::String(s) => Ok(options.dialect.string(s)),
        Value::Bool(b) => Ok(String::from(if *b { "TRUE" } else { "FALSE" })),
        Value::Number(n) => n
            .as_f64()
            .map(|x| number_literal(options.dialect, x))
            .ok_or_else(|| String::from("a number out of range")),
        _ => Err(String::from("a default that is an object or null")),
    }
}

/// `CREATE TABLE` for the facts the policies declare, as columns (or
/// nested structs) of their facts' types.
pub(super) fn schema(policies: &[&CheckedPolicy], options: &Options) -> String {
    // The declared paths and their types, in order, without repeats.
    let mut paths: Vec<(Vec<String>, String)> = Vec::new();
    for policy in policies {
        for fact in policy.facts.iter().filter(|f| f.is_declared()) {
            let ty = match &fact.ty {
                FactType::Enum(_) | FactType::String(_) => options.dialect.text_type().to_string(),
                FactType::Bool => String::from("BOOLEAN"),
                FactType::Number(_) => options.dialect.double_type().to_string(),
                FactType::Set(Element::Number) => {
                    options.dialect.list_type(options.dialect.double_type())
                }
                FactType::Set(_) => options.dialect.list_type(options.dialect.text_type()),
                // Times are the text JSON carries, read as verdict reads it.
                FactType::Time(..) => options.dialect.text_type().to_string(),
                // Derived facts are read from declared ones' columns.
                FactType::Has(..) | FactType::Relation(_) | FactType::Local(_) => continue,
            };
            if !paths.iter().any(|(p, _)| *p == fact.path) {
                paths.push((fact.path.clone(), ty));
            }
        }
    }
    let dialect = options.dialect;
    // PostgreSQL's structs are composite types, created first.
    let mut types: Vec<String> = Vec::new();
    let columns: Vec<String> = match options.columns {
        Columns::Flat => paths
            .iter()
            .map(|(path, ty)| format!("  {} {ty}", dialect.ident(&path.join("."))))
            .collect(),
        Columns::Nested => {
            let tree = Tree::of(&paths);
            tree.children
                .iter()
                .map(|(key, child)| {
                    let ty = child.ty(options, std::slice::from_ref(key), &mut types);
                    format!("  {} {ty}", dialect.ident(key))
                })
                .collect()
        }
    };
    // Spark needs a data source; Parquet is its default one.
    let using = match options.dialect {
        super::Dialect::Spark => " USING parquet",
        _ => "",
    };
    format!(
        "{}CREATE TABLE {} (\n{}\n){using};\n",
        types.concat(),
        options.table,
        columns.join(",\n")
    )
}

/// Paths as a tree of struct fields.
#[derive(Default)]
struct Tree {
    leaf: Option<String>,
    children: Vec<(String, Tree)>,
}

impl Tree {
    fn of(paths: &[(Vec<String>, String)]) -> Tree {
        let mut root = Tree::default();
        for (path, ty) in paths {
            let mut node = &mut root;
            for key in path {
                let at = match node.children.iter().position(|(k, _)| k == key) {
                    Some(at) => at,
                    None => {
                        node.children.push((key.clone(), Tree::default()));
                        node.children.len() - 1
                    }
                };
                node = match node.children.get_mut(at) {
                    Some((_, child)) => child,
                    None => return root,
                };
            }
            node.leaf = Some(ty.clone());
        }
        root
    }

    /// The type of the field at `path`; a composite type's `CREATE TYPE`
    /// goes to `types`, before the types that use it.
    fn ty(&self, options: &Options, path: &[String], types: &mut Vec<String>) -> String {
        match &self.leaf {
            Some(ty) if self.children.is_empty() => ty.clone(),
            _ => {
                let fields: Vec<(String, String)> = self
                    .children
                    .iter()
                    .map(|(key, child)| {
                        let mut inner = path.to_vec();
                        inner.push(key.clone());
                        (key.clone(), child.ty(options, &inner, types))
                    })
                    .collect();
                let dialect = options.dialect;
                if dialect != Dialect::Postgres {
                    return dialect.struct_type(&fields);
                }
                // `a.b_c` and `a_b.c` would both be `_a_b_c`: a number
                // keeps them apart.
                let mut name = format!("{}_{}", options.table, path.join("_"));
                let taken = format!("CREATE TYPE {} ", dialect.ident(&name));
                if types.iter().any(|t| t.starts_with(&taken)) {
                    name = format!("{name}_{}", types.len());
                }
                let name = dialect.ident(&name);
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(key, ty)| format!("  {} {ty}", dialect.ident(key)))
                    .collect();
                types.push(format!(
                    "CREATE TYPE {name} AS (\n{}\n);\n",
                    fields.join(",\n")
                ));
                name
            }
        }
    }
}
