//! A fact's atom as SQL: the number of the class of values its column's
//! value falls in, as `Fact::classify` finds it, or `NULL` when the fact
//! is unknown (missing and required, or a value it does not declare).

use serde_json::Value;

use super::{quote, Columns, Options};
use crate::diagnostics::SqlError;
use crate::model::{CheckedPolicy, Element, Fact, FactId, FactType, Presence, RelationOp};

/// The atom of fact `id` over the row aliased `t`; `Err` names what the
/// SQL cannot read yet.
pub(super) fn atom(
    policy: &CheckedPolicy,
    id: FactId,
    options: &Options,
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
                .map(|(i, value)| format!(" WHEN {} THEN {i}", quote(value)))
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
            let x = format!("CAST({v} AS DOUBLE)");
            (v, number_atom(&x, points, 0, points.len()))
        }
        FactType::String(strings) => {
            let v = column();
            let arms: String = strings
                .literals
                .iter()
                .enumerate()
                .map(|(i, literal)| format!(" WHEN {v} = {} THEN {i}", quote(literal)))
                .collect();
            // Any other string's class: its longest prefix and its
            // longest suffix among those the rules test.
            let longest = |items: &[String], test: &str| {
                let mut order: Vec<(usize, &String)> = items.iter().enumerate().collect();
                order.sort_by_key(|(_, item)| std::cmp::Reverse(item.len()));
                let arms: String = order
                    .iter()
                    .map(|(i, item)| format!(" WHEN {test}({v}, {}) THEN {}", quote(item), i + 1))
                    .collect();
                format!("(CASE{arms} ELSE 0 END)")
            };
            let mut other = strings.literals.len().to_string();
            if !strings.prefixes.is_empty() {
                other.push_str(&format!(
                    " + {} * {}",
                    longest(&strings.prefixes, "starts_with"),
                    strings.suffixes.len() + 1
                ));
            }
            if !strings.suffixes.is_empty() {
                other.push_str(&format!(" + {}", longest(&strings.suffixes, "ends_with")));
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
            if relation.time.is_some() || relation.op == RelationOp::Within {
                return Err(String::from("a relation between times"));
            }
            let side = |id: FactId| -> Result<Side, String> {
                let base = policy
                    .fact(id)
                    .ok_or_else(|| String::from("an unknown fact"))?;
                side(base, options)
            };
            let (left, right) = (side(relation.left)?, side(relation.right)?);
            let number = |id: FactId| {
                policy
                    .fact(id)
                    .is_some_and(|f| matches!(f.ty, FactType::Number(_)))
            };
            let offset = |r: &str| {
                if relation.offset == 0.0 {
                    r.to_string()
                } else {
                    format!("{r} + {}", number_literal(relation.offset))
                }
            };
            let (l, r) = (&left.value, &right.value);
            let holds = match relation.op {
                RelationOp::Eq if number(relation.left) && number(relation.right) => format!(
                    "CAST({l} AS DOUBLE) = {}",
                    offset(&format!("CAST({r} AS DOUBLE)"))
                ),
                RelationOp::Eq => format!("{l} = {r}"),
                RelationOp::Lt => format!(
                    "CAST({l} AS DOUBLE) < {}",
                    offset(&format!("CAST({r} AS DOUBLE)"))
                ),
                RelationOp::Le => format!(
                    "CAST({l} AS DOUBLE) <= {}",
                    offset(&format!("CAST({r} AS DOUBLE)"))
                ),
                RelationOp::In => dialect.contains(r, l),
                RelationOp::Within => return Err(String::from("a relation between times")),
            };
            let absent = absent.unwrap_or_else(|| String::from("NULL"));
            return Ok(format!(
                "CASE\n  WHEN {} OR {} THEN NULL\n  WHEN {} OR {} THEN {absent}\n  WHEN {holds} THEN 1\n  ELSE 0\nEND",
                left.unknown, right.unknown, left.absent, right.absent
            ));
        }
        FactType::Time(..) => return Err(String::from("a date, date-time or duration fact")),
        FactType::Local(_) => {
            return Err(String::from("the time of day or weekday of a date-time"))
        }
    };
    let (value, atom) = present;
    // An enum's or a bool's `CASE` has no arm for `NULL`, so gives `NULL`
    // for a missing value by itself; the others give it explicitly.
    let null_is_null = matches!(fact.ty, FactType::Enum(_) | FactType::Bool);
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
) -> Result<String, String> {
    let fact = fact_of(policy, id)?;
    let own = quote(&fact.path_string());
    let FactType::Relation(relation) = &fact.ty else {
        return Ok(own);
    };
    let mut arms = String::new();
    for id in [relation.left, relation.right] {
        let base = policy
            .fact(id)
            .ok_or_else(|| String::from("an unknown fact"))?;
        let side = side(base, options)?;
        arms.push_str(&format!(
            " WHEN {} THEN {}",
            side.unknown,
            quote(&base.path_string())
        ));
    }
    Ok(format!("CASE{arms} ELSE {own} END"))
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
        Presence::Now => Err(String::from("a fact whose default is `now`")),
    }
}

/// One side of a relation: its value (the default's where one is missing),
/// and tests that it is unknown and that it is absent.
struct Side {
    value: String,
    unknown: String,
    absent: String,
}

fn side(fact: &Fact, options: &Options) -> Result<Side, String> {
    let v = options.dialect.path(&fact.path, options.columns);
    let fits = match &fact.ty {
        FactType::Enum(values) => {
            let listed: Vec<String> = values.iter().map(|s| quote(s)).collect();
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
                .clone()
                .or_else(|| fact.representative(*atom))
                .ok_or_else(|| String::from("a default without a value"))?;
            Side {
                unknown: misfit,
                absent: String::from("FALSE"),
                value: format!("COALESCE({v}, {})", literal(&default, options)?),
            }
        }
        Presence::Now => return Err(String::from("a fact whose default is `now`")),
    })
}

/// Whether every item of the list `v` is a value of `element`.
fn fits(element: &Element, v: &str, options: &Options) -> String {
    match element {
        Element::Enum(values) => {
            let listed: Vec<String> = values.iter().map(|s| quote(s)).collect();
            options.dialect.all_in(&options.dialect.list(&listed), v)
        }
        Element::Number | Element::String => String::from("TRUE"),
    }
}

/// The atom of the number `x` among `points[lo..hi]`, as `number_atom`
/// finds it: a binary search written as nested `CASE`s, so a row makes
/// about log2 of the points' comparisons.
fn number_atom(x: &str, points: &[f64], lo: usize, hi: usize) -> String {
    if hi - lo <= 4 {
        let mut out = String::from("CASE");
        for (i, p) in points.iter().enumerate().take(hi).skip(lo) {
            let p = number_literal(*p);
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
        number_literal(*p),
        number_atom(x, points, lo, mid),
        number_atom(x, points, mid, hi)
    )
}

/// A double as SQL reads it back exactly.
fn number_literal(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("CAST('{x:?}' AS DOUBLE)")
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
        Value::String(s) => Ok(quote(s)),
        Value::Bool(b) => Ok(String::from(if *b { "TRUE" } else { "FALSE" })),
        Value::Number(n) => n
            .as_f64()
            .map(number_literal)
            .ok_or_else(|| String::from("a number out of range")),
        _ => Err(String::from("a default that is an object or null")),
    }
}

/// `CREATE TABLE` for the facts the policies declare, as columns (or
/// nested structs) of their facts' types.
pub(super) fn schema(
    policies: &[&CheckedPolicy],
    options: &Options,
) -> Result<String, Vec<SqlError>> {
    // The declared paths and their types, in order, without repeats.
    let mut paths: Vec<(Vec<String>, String)> = Vec::new();
    let mut problems = Vec::new();
    for policy in policies {
        for fact in policy.facts.iter().filter(|f| f.is_declared()) {
            let ty = match &fact.ty {
                FactType::Enum(_) | FactType::String(_) => String::from("VARCHAR"),
                FactType::Bool => String::from("BOOLEAN"),
                FactType::Number(_) => String::from("DOUBLE"),
                FactType::Set(Element::Number) => options.dialect.list_type("DOUBLE"),
                FactType::Set(_) => options.dialect.list_type("VARCHAR"),
                _ => {
                    problems.push(SqlError::Unsupported {
                        policy: policy.name.clone(),
                        dialect: options.dialect.name(),
                        construct: String::from("a date, date-time or duration fact"),
                        span: fact.span,
                        label: String::from("declared here"),
                        help: String::from(
                            "decide these rows with `verdict eval --ndjson`, or leave the fact out of the policies you compile to SQL",
                        ),
                    });
                    continue;
                }
            };
            if !paths.iter().any(|(p, _)| *p == fact.path) {
                paths.push((fact.path.clone(), ty));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let dialect = options.dialect;
    let columns: Vec<String> = match options.columns {
        Columns::Flat => paths
            .iter()
            .map(|(path, ty)| format!("  {} {ty}", dialect.ident(&path.join("."))))
            .collect(),
        Columns::Nested => {
            let tree = Tree::of(&paths);
            tree.children
                .iter()
                .map(|(key, child)| format!("  {} {}", dialect.ident(key), child.ty(options)))
                .collect()
        }
    };
    Ok(format!(
        "CREATE TABLE {} (\n{}\n);\n",
        options.table,
        columns.join(",\n")
    ))
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

    fn ty(&self, options: &Options) -> String {
        match &self.leaf {
            Some(ty) if self.children.is_empty() => ty.clone(),
            _ => {
                let fields: Vec<String> = self
                    .children
                    .iter()
                    .map(|(key, child)| {
                        format!("{} {}", options.dialect.ident(key), child.ty(options))
                    })
                    .collect();
                format!("STRUCT({})", fields.join(", "))
            }
        }
    }
}
