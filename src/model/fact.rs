//! A declared fact: its path, its type, what its absence means, and how a
//! JSON value falls into one of its atoms.

use serde_json::Value;

use super::time::{Local, TimeKind};
use super::{Atom, AtomSet, FactId, Strings, ValueIndex};
use crate::source::Span;

/// JSON keys as a policy writes a path: `subscription.channel`, with keys
/// that are not plain words quoted (`door."kind of door"`).
pub fn path_text(keys: &[String]) -> String {
    let keys: Vec<String> = keys
        .iter()
        .map(|key| {
            let plain = !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if plain {
                key.clone()
            } else {
                serde_json::Value::String(key.clone()).to_string()
            }
        })
        .collect();
    keys.join(".")
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Fact {
    pub name: String,
    /// The JSON keys the value is read from, outermost first.
    pub path: Vec<String>,
    /// The declaration, from the name to the path.
    pub span: Span,
    pub ty: FactType,
    /// What a missing value means.
    pub presence: Presence,
    /// For enum and string facts of more than four values (or literals):
    /// the values by hash, so a value's atom is found with one hash and
    /// one comparison. Fewer are compared in turn.
    /// Made again from `ty` when the policy is read from the cache.
    #[serde(skip)]
    pub index: ValueIndex,
    /// The declaration's doc string, if it has one.
    pub doc: Option<String>,
    /// Declared `sensitive`: its value is kept out of decision logs.
    pub sensitive: bool,
    /// The declared `default VALUE` as a client would send it in JSON;
    /// `None` without one (and for `default now`).
    /// (Boxed: most facts have none, and a `Value` is four words.)
    #[serde(with = "json_text::optional")]
    pub default: Option<Box<Value>>,
}

impl Fact {
    /// The path as written: `subscription.channel`, with keys that are not
    /// plain words quoted (`door."kind of door"`).
    pub fn path_string(&self) -> String {
        match &self.ty {
            // A relation reads two paths: `request.user = doc.owner`.
            FactType::Relation(relation) => {
                relation.describe(&path_text(&relation.paths.0), &path_text(&relation.paths.1))
            }
            // A part of a datetime: `weekday of request.time in Europe/Berlin`.
            FactType::Local(local) => format!(
                "{} of {} in {}",
                match local.local.part {
                    super::LocalPart::Clock => "time of day",
                    super::LocalPart::Weekday => "weekday",
                },
                path_text(&self.path),
                local.local.zone
            ),
            _ => path_text(&self.path),
        }
    }

    /// Whether the policy declares this fact (rather than deriving it from
    /// facts it declares, as each value tested in a set fact's array is,
    /// and each relation between two facts).
    pub fn is_declared(&self) -> bool {
        !matches!(
            self.ty,
            FactType::Has(..) | FactType::Relation(_) | FactType::Local(_)
        )
    }

    /// How many atoms this fact's domain has.
    pub fn atom_count(&self) -> u32 {
        self.ty.value_atoms() + u32::from(self.presence == Presence::Optional)
    }

    /// The atom "absent", for optional facts.
    pub fn absent_atom(&self) -> Option<Atom> {
        (self.presence == Presence::Optional).then(|| self.ty.value_atoms())
    }

    /// The atom a JSON value falls in; `Err` says why the value does not fit.
    #[inline]
    pub fn classify(&self, value: &Value) -> Result<Atom, Misfit> {
        match value {
            Value::String(s) => self.classify_str(s),
            _ => self.ty.classify(value),
        }
    }

    /// [`classify`](Self::classify) for a string.
    #[inline(always)]
    pub fn classify_str(&self, s: &str) -> Result<Atom, Misfit> {
        self.classify_utf8(s.as_bytes())
    }

    /// [`classify_str`](Self::classify_str) for the bytes of a string.
    #[inline(always)]
    pub fn classify_utf8(&self, s: &[u8]) -> Result<Atom, Misfit> {
        match &self.ty {
            FactType::Enum(values) => self.index.get(values, s).ok_or(Misfit::NotInSet),
            FactType::String(strings) => Ok(self
                .index
                .get(&strings.literals, s)
                .unwrap_or_else(|| strings.other_atom(s))),
            FactType::Bool => Err(Misfit::Type {
                expected: "`true` or `false`",
            }),
            FactType::Number(_) => Err(Misfit::Type {
                expected: "a number",
            }),
            FactType::Set(element) | FactType::Has(element, _) => Err(Misfit::Type {
                expected: element.array_words(),
            }),
            FactType::Relation(_) => Err(Misfit::Type {
                expected: RELATION_READ,
            }),
            FactType::Time(kind, points) => std::str::from_utf8(s)
                .ok()
                .and_then(|s| kind.parse(s))
                .map(|x| number_atom(points, x))
                .ok_or(Misfit::Type {
                    expected: kind.expected(),
                }),
            FactType::Local(local) => {
                let text = std::str::from_utf8(s).map_err(|_| Misfit::Type {
                    expected: TimeKind::DateTime.expected(),
                })?;
                local.atom(text)
            }
        }
    }

    /// A JSON value inside `atom` (`None` for "absent"): witnesses and examples.
    pub fn representative(&self, atom: Atom) -> Option<Value> {
        self.ty.representative(atom)
    }

    /// Words for a set of atoms: `CSP`, `{Direct Advisor}`, `< 0 or >= 3`.
    /// Runs of neighbouring number atoms read as one interval.
    pub fn describe_set(&self, set: &AtomSet) -> String {
        let mut items: Vec<String> = Vec::new();
        let absent = self.absent_atom();
        if let Some((points, kind)) = self.ty.points() {
            let mut atoms = set.iter().filter(|a| Some(*a) != absent).peekable();
            while let Some(first) = atoms.next() {
                let mut last = first;
                while atoms.peek() == Some(&(last + 1)) {
                    last += 1;
                    atoms.next();
                }
                items.push(interval(points, kind, first, last));
            }
            if absent.is_some_and(|a| set.contains(a)) {
                items.push(String::from("absent"));
            }
            return items.join(" or ");
        }
        // Classes of strings are phrases: list them, as intervals are.
        if let FactType::String(strings) = &self.ty {
            if !strings.prefixes.is_empty() || !strings.suffixes.is_empty() {
                items = strings.describe_atoms(set.iter());
                if absent.is_some_and(|a| set.contains(a)) {
                    items.push(String::from("absent"));
                }
                return items.join(" or ");
            }
        }
        items.extend(set.iter().map(|a| self.describe_atom(a)));
        match items.as_slice() {
            [one] => one.clone(),
            _ => format!("{{{}}}", items.join(" ")),
        }
    }

    /// Words for an atom, for trees and traces: `CSP`, `> 10`, `absent`.
    pub fn describe_atom(&self, atom: Atom) -> String {
        if Some(atom) == self.absent_atom() {
            return String::from("absent");
        }
        self.ty.describe_atom(atom)
    }
}

/// What a missing value means.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Presence {
    /// A decision that depends on it cannot be made without it.
    Required,
    /// Absent is a value of its own: conditions on the fact do not hold,
    /// negated ones do.
    Optional,
    /// Absent means this atom.
    Default(Atom),
    /// Absent means the evaluation time (`default now`), which the caller
    /// gives or the clock tells; it is filled in before the facts are
    /// read, so a reader that still finds it absent treats it as required.
    Now,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum FactType {
    /// Atoms are the values, in declaration order.
    Enum(Vec<String>),
    /// Atom 0 is `false`, 1 is `true`.
    Bool,
    /// The constants the policy compares with, sorted. Atoms alternate
    /// between open intervals and the constants: `(-inf, t0)`, `t0`,
    /// `(t0, t1)`, ..., `(tn, inf)`.
    Number(Vec<f64>),
    /// The literals, prefixes and suffixes the policy tests; see [`Strings`]
    /// for the atoms.
    /// (Boxed, as are the other large variants, so that a fact of a
    /// small type stays small.)
    String(Box<Strings>),
    /// A `set of` fact: a JSON array of values of the element type. Rules
    /// test it only through [`Has`](FactType::Has) facts at the same path;
    /// it has one atom (an array that fits), and checks the array.
    Set(Element),
    /// Whether the array at the path holds the value: atom 0 no, 1 yes.
    /// One per value the rules test a `set of` fact for.
    Has(Element, #[serde(with = "json_text")] Box<Value>),
    /// Whether two declared facts relate so (`requester = owner`, `team in
    /// teams`): atom 0 no, 1 yes; absent when either is absent. Read from
    /// both facts, never from one path (see [`Relation`]).
    Relation(Box<Relation>),
    /// A date, date-time, duration or time of day, compared as a number of
    /// the kind's unit; atoms as for [`Number`](FactType::Number).
    Time(TimeKind, Vec<f64>),
    /// The local time of day or weekday of a date-time fact in a zone: read
    /// from that fact's path, the instant there falls in one of the atoms
    /// of [`LocalFact::ty`].
    Local(Box<LocalFact>),
}

/// A fact that is a part of a date-time fact's value in a zone.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LocalFact {
    pub local: Local,
    /// The date-time fact it is a part of.
    pub base: FactId,
    /// The part's own type: a [`TimeKind::Clock`] time, or an enum of the
    /// weekdays.
    pub ty: FactType,
}

impl LocalFact {
    /// The atom of the part of an instant given as RFC 3339 text.
    #[inline]
    pub fn atom(&self, text: &str) -> Result<Atom, Misfit> {
        let points = match &self.ty {
            FactType::Time(_, points) => points.as_slice(),
            _ => &[],
        };
        self.local.atom(text, points)
    }
}

/// What a relation's fact type says when a reader asks it to classify a
/// value: relations are read from two facts (`facts::read`), so the fast
/// readers, which read one path, give up on them.
const RELATION_READ: &str = "two facts";

/// How a relation compares its facts. `!=`, `>` and `>=` are written with
/// these (`not`, and the facts swapped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum RelationOp {
    /// The values are equal (numbers by value).
    Eq,
    /// The left number is below the right.
    Lt,
    /// The left number is at most the right.
    Le,
    /// The left value is an item of the right fact's array (a set fact).
    In,
    /// The left time is within the offset of the right, either way.
    Within,
}

impl RelationOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            RelationOp::Eq => "=",
            RelationOp::Lt => "<",
            RelationOp::Le => "<=",
            RelationOp::In => "in",
            RelationOp::Within => "within",
        }
    }
}

/// Two declared facts and how they relate.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Relation {
    pub op: RelationOp,
    pub left: FactId,
    pub right: FactId,
    /// The paths of both facts, for showing the relation.
    pub paths: (Vec<String>, Vec<String>),
    /// What the right side is offset by, in its unit: `returned <=
    /// delivered + 14 days` compares with the right value plus 14 (days);
    /// for `within`, how far apart the values may be.
    pub offset: f64,
    /// The kind of both facts when they are times: their values are text
    /// that is read as a number.
    pub time: Option<TimeKind>,
}

impl Relation {
    /// Whether `left` and `right` (present values that fit their facts)
    /// relate so.
    pub fn holds(&self, left: &Value, right: &Value) -> bool {
        self.holds_read((left, self.number(left)), (right, self.number(right)))
    }

    /// The number the relation compares of a value: a time's in its unit,
    /// a number's own; `None` for any other value.
    pub fn number(&self, value: &Value) -> Option<f64> {
        match (self.time, value) {
            (Some(kind), Value::String(s)) => kind.parse(s),
            (None, v) => v.as_f64(),
            _ => None,
        }
    }

    /// [`holds`](Self::holds), given each value with its
    /// [`number`](Self::number) read already.
    pub fn holds_read(&self, left: (&Value, Option<f64>), right: (&Value, Option<f64>)) -> bool {
        let ((left, a), (right, b)) = (left, right);
        let pair = a.zip(b);
        let offset = self.offset;
        match self.op {
            RelationOp::Eq => match pair {
                Some((a, b)) => a == b + offset,
                None => self.time.is_none() && left == right,
            },
            RelationOp::Lt => pair.is_some_and(|(a, b)| a < b + offset),
            RelationOp::Le => pair.is_some_and(|(a, b)| a <= b + offset),
            RelationOp::Within => pair.is_some_and(|(a, b)| (a - b).abs() <= offset),
            RelationOp::In => right.as_array().is_some_and(|items| {
                items.iter().any(|item| match (a, item.as_f64()) {
                    (Some(a), Some(b)) => a == b,
                    _ => left == item,
                })
            }),
        }
    }

    /// How the relation reads between the facts `left` and `right`:
    /// `returned <= delivered + 14 days`, `now within 2 hours of start`.
    pub fn describe(&self, left: &str, right: &str) -> String {
        let amount = |x: f64| match self.time {
            Some(TimeKind::Date) => super::time::duration_words(x * super::time::DAY),
            Some(_) => super::time::duration_words(x),
            None => number_value(x).to_string(),
        };
        match self.op {
            RelationOp::Within => format!("{left} within {} of {right}", amount(self.offset)),
            op if self.offset > 0.0 => {
                format!("{left} {} {right} + {}", op.symbol(), amount(self.offset))
            }
            op if self.offset < 0.0 => {
                format!("{left} {} {right} - {}", op.symbol(), amount(-self.offset))
            }
            op => format!("{left} {} {right}", op.symbol()),
        }
    }
}

/// What the values of a `set of` fact are.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Element {
    /// Declared values (as strings in JSON).
    Enum(Vec<String>),
    Number,
    String,
}

impl Element {
    /// The JSON a fact of this element type takes, in words.
    fn array_words(&self) -> &'static str {
        match self {
            Element::Enum(_) | Element::String => "an array of strings",
            Element::Number => "an array of numbers",
        }
    }

    /// The items of `value`, when it is an array whose every item fits.
    fn check_array<'v>(&self, value: &'v Value) -> Result<&'v [Value], Misfit> {
        let Value::Array(items) = value else {
            return Err(Misfit::Type {
                expected: self.array_words(),
            });
        };
        for item in items {
            let fits = match (self, item) {
                (Element::Enum(values), Value::String(s)) => {
                    if !values.iter().any(|v| v == s) {
                        return Err(Misfit::NotInSet);
                    }
                    true
                }
                (Element::String, Value::String(_)) => true,
                (Element::Number, Value::Number(n)) => n.as_f64().is_some_and(f64::is_finite),
                _ => false,
            };
            if !fits {
                return Err(Misfit::Type {
                    expected: self.array_words(),
                });
            }
        }
        Ok(items)
    }

    /// Whether an item of the array is the value a rule tests for.
    fn same(&self, item: &Value, wanted: &Value) -> bool {
        match (item, wanted) {
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            _ => item == wanted,
        }
    }
}

/// Why a JSON value does not fit a fact.
#[derive(Clone, Debug, PartialEq)]
pub enum Misfit {
    /// The JSON type is wrong: what was expected, in words.
    Type { expected: &'static str },
    /// An enum value outside the declared set.
    NotInSet,
}

impl FactType {
    /// Atoms for present values.
    pub fn value_atoms(&self) -> u32 {
        match self {
            FactType::Enum(values) => values.len() as u32,
            FactType::Bool => 2,
            FactType::Number(points) => 2 * points.len() as u32 + 1,
            FactType::String(strings) => strings.atoms(),
            FactType::Set(_) => 1,
            FactType::Has(..) | FactType::Relation(_) => 2,
            FactType::Time(_, points) => 2 * points.len() as u32 + 1,
            FactType::Local(local) => local.ty.value_atoms(),
        }
    }

    /// The number inside `atom` for facts compared as numbers (a constant,
    /// or a value inside an interval).
    pub fn atom_number(&self, atom: Atom) -> Option<f64> {
        let (points, _) = self.points()?;
        (atom < 2 * points.len() as u32 + 1).then(|| number_representative(points, atom))
    }

    /// The constants of a fact compared as numbers, and the kind of time
    /// they are (`None`: plain numbers).
    pub fn points(&self) -> Option<(&[f64], Option<TimeKind>)> {
        match self {
            FactType::Number(points) => Some((points, None)),
            FactType::Time(kind, points) => Some((points, Some(*kind))),
            FactType::Local(local) => local.ty.points(),
            _ => None,
        }
    }

    pub fn classify(&self, value: &Value) -> Result<Atom, Misfit> {
        match (self, value) {
            (FactType::Enum(values), Value::String(s)) => values
                .iter()
                .position(|v| v == s)
                .map(|i| i as Atom)
                .ok_or(Misfit::NotInSet),
            (FactType::Enum(_), _) => Err(Misfit::Type {
                expected: "a string",
            }),
            (FactType::Bool, Value::Bool(b)) => Ok(Atom::from(*b)),
            (FactType::Bool, _) => Err(Misfit::Type {
                expected: "`true` or `false`",
            }),
            (FactType::Number(points), Value::Number(n)) => match n.as_f64() {
                Some(x) if x.is_finite() => Ok(number_atom(points, x)),
                _ => Err(Misfit::Type {
                    expected: "a finite number",
                }),
            },
            (FactType::Number(_), _) => Err(Misfit::Type {
                expected: "a number",
            }),
            (FactType::String(strings), Value::String(s)) => Ok(strings
                .literals
                .iter()
                .position(|l| l == s)
                .map_or_else(|| strings.other_atom(s.as_bytes()), |i| i as Atom)),
            (FactType::String(_), _) => Err(Misfit::Type {
                expected: "a string",
            }),
            (FactType::Set(element), value) => element.check_array(value).map(|_| 0),
            (FactType::Has(element, wanted), value) => {
                let items = element.check_array(value)?;
                Ok(Atom::from(
                    items.iter().any(|item| element.same(item, wanted)),
                ))
            }
            (FactType::Relation(_), _) => Err(Misfit::Type {
                expected: RELATION_READ,
            }),
            (FactType::Time(kind, points), Value::String(s)) => kind
                .parse(s)
                .map(|x| number_atom(points, x))
                .ok_or(Misfit::Type {
                    expected: kind.expected(),
                }),
            (FactType::Time(kind, _), _) => Err(Misfit::Type {
                expected: kind.expected(),
            }),
            (FactType::Local(local), Value::String(s)) => local.atom(s),
            (FactType::Local(_), _) => Err(Misfit::Type {
                expected: TimeKind::DateTime.expected(),
            }),
        }
    }

    pub(crate) fn representative(&self, atom: Atom) -> Option<Value> {
        let i = atom as usize;
        match self {
            FactType::Enum(values) => values.get(i).map(|v| Value::String(v.clone())),
            FactType::Bool => (atom < 2).then_some(Value::Bool(atom == 1)),
            FactType::Number(points) => {
                if atom >= self.value_atoms() {
                    return None;
                }
                let x = number_representative(points, atom);
                Some(number_value(x))
            }
            FactType::String(strings) => strings.representative(atom).map(Value::String),
            FactType::Set(_) => (atom == 0).then(|| Value::Array(Vec::new())),
            FactType::Has(_, value) => match atom {
                0 => Some(Value::Array(Vec::new())),
                1 => Some(Value::Array(vec![Value::clone(value)])),
                _ => None,
            },
            // A relation has no value of its own: its facts have.
            FactType::Relation(_) => None,
            FactType::Time(kind, points) => {
                if atom >= self.value_atoms() {
                    return None;
                }
                let x = match points.is_empty() {
                    true => kind.anchor(),
                    false => number_representative(points, atom),
                };
                let x = match kind {
                    // A date between two constants: the first whole day.
                    TimeKind::Date if x.fract() != 0.0 => x.ceil(),
                    _ => x,
                };
                (number_atom(points, x) == atom)
                    .then(|| kind.render(x))
                    .flatten()
                    .map(Value::String)
            }
            // A part of a date-time is read from that date-time.
            FactType::Local(_) => None,
        }
    }

    fn describe_atom(&self, atom: Atom) -> String {
        let i = atom as usize;
        match self {
            FactType::Enum(values) => values.get(i).cloned().unwrap_or_default(),
            FactType::Bool => (atom == 1).to_string(),
            FactType::Number(_) | FactType::Time(..) => {
                let (points, kind) = self.points().unwrap_or_default();
                let below = |k: usize| points.get(k).map(|p| show_number(*p, kind));
                if i % 2 == 1 {
                    below(i / 2).unwrap_or_default()
                } else {
                    match (
                        i.checked_div(2)
                            .and_then(|k| k.checked_sub(1))
                            .and_then(below),
                        below(i / 2),
                    ) {
                        (None, None) => String::from("any number"),
                        (None, Some(hi)) => format!("< {hi}"),
                        (Some(lo), None) => format!("> {lo}"),
                        (Some(lo), Some(hi)) => format!("> {lo} and < {hi}"),
                    }
                }
            }
            FactType::String(strings) => strings.describe(atom),
            FactType::Set(_) => String::from("any array"),
            FactType::Local(local) => local.ty.describe_atom(atom),
            FactType::Relation(_) => {
                String::from(if atom == 1 { "holds" } else { "does not hold" })
            }
            FactType::Has(_, value) => {
                let shown = match &**value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if atom == 1 {
                    format!("has {shown}")
                } else {
                    format!("has no {shown}")
                }
            }
        }
    }
}

/// A constant as a policy writes it: `14`, `2026-12-01`, `14 days`.
pub fn show_number(x: f64, kind: Option<TimeKind>) -> String {
    match kind {
        Some(kind) => kind.show(x),
        None => number_value(x).to_string(),
    }
}

/// The numbers of the atoms `first..=last`, as an interval in words.
fn interval(points: &[f64], kind: Option<TimeKind>, first: Atom, last: Atom) -> String {
    let show = |k: usize| {
        points
            .get(k)
            .map(|p| show_number(*p, kind))
            .unwrap_or_default()
    };
    let (first, last) = (first as usize, last as usize);
    if first == last && first % 2 == 1 {
        return show(first / 2);
    }
    // An even atom 2k lies above point k-1; an odd atom 2k+1 is point k.
    let lower = if first % 2 == 1 {
        Some(format!(">= {}", show(first / 2)))
    } else {
        (first / 2).checked_sub(1).map(|k| format!("> {}", show(k)))
    };
    let upper = if last % 2 == 1 {
        Some(format!("<= {}", show(last / 2)))
    } else {
        (last / 2 < points.len()).then(|| format!("< {}", show(last / 2)))
    };
    match (lower, upper) {
        (None, None) => String::from("any number"),
        (Some(l), None) => l,
        (None, Some(u)) => u,
        (Some(l), Some(u)) => format!("{l} and {u}"),
    }
}

/// The atom of a number: intervals at even indices, the constants at odd ones.
pub fn number_atom(points: &[f64], x: f64) -> Atom {
    let below = points.partition_point(|p| *p < x);
    let is_point = points.get(below).is_some_and(|p| *p == x);
    (2 * below + usize::from(is_point)) as Atom
}

fn number_representative(points: &[f64], atom: Atom) -> f64 {
    let i = atom as usize;
    let k = i / 2;
    if i % 2 == 1 {
        return points.get(k).copied().unwrap_or(0.0);
    }
    // Prefer a whole number strictly inside the interval, for readable
    // witnesses; past 2^53 whole numbers are too sparse, so fall back to the
    // next representable value, which is inside whenever the interval is not
    // empty.
    match (k.checked_sub(1).and_then(|j| points.get(j)), points.get(k)) {
        (None, None) => 0.0,
        (None, Some(hi)) => Some((hi - 1.0).floor())
            .filter(|x| x < hi)
            .unwrap_or(hi.next_down()),
        (Some(lo), None) => Some((lo + 1.0).floor())
            .filter(|x| x > lo)
            .unwrap_or(lo.next_up()),
        (Some(lo), Some(hi)) => {
            let whole = lo.floor() + 1.0;
            let middle = lo + (hi - lo) / 2.0;
            if whole > *lo && whole < *hi {
                whole
            } else if middle > *lo && middle < *hi {
                middle
            } else {
                lo.next_up()
            }
        }
    }
}

/// A JSON number, written as an integer when it is one.
pub fn number_value(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// A JSON value in the policy cache, as its text: the cache's format is
/// not self-describing, and a `Value` can only be read from one that is.
mod json_text {
    use serde::{Deserialize as _, Deserializer, Serializer};
    use serde_json::Value;

    pub fn serialize<S: Serializer>(value: &impl AsRef<Value>, to: S) -> Result<S::Ok, S::Error> {
        to.serialize_str(&value.as_ref().to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<Box<Value>, D::Error> {
        let text = String::deserialize(from)?;
        serde_json::from_str(&text).map_err(serde::de::Error::custom)
    }

    pub mod optional {
        use serde::{Deserialize as _, Deserializer, Serialize as _, Serializer};
        use serde_json::Value;

        pub fn serialize<S: Serializer>(
            value: &Option<Box<Value>>,
            to: S,
        ) -> Result<S::Ok, S::Error> {
            value.as_ref().map(|value| value.to_string()).serialize(to)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            from: D,
        ) -> Result<Option<Box<Value>>, D::Error> {
            Option::<String>::deserialize(from)?
                .map(|text| serde_json::from_str(&text).map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}
