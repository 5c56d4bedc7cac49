//! What differs between the SQL engines verdict compiles for: quoting,
//! list functions and literals, and how a fact's path names a column.

/// The SQL dialect of the engine that runs a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dialect {
    /// DuckDB (`read_json`, `read_parquet`, tables).
    DuckDb,
    /// Apache DataFusion.
    DataFusion,
    /// Apache Spark SQL (3.4 and later; ANSI mode or not).
    Spark,
    /// PostgreSQL (14 and later); nested facts are composite types.
    Postgres,
}

/// How a fact's path maps to the row's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Columns {
    /// `a.b.c` is the field `c` of the struct field `b` of the column `a`:
    /// the shape DuckDB's `read_json` and `read_parquet` give nested JSON.
    Nested,
    /// `a.b.c` is the column named `a.b.c`, for flat tables.
    Flat,
}

impl Dialect {
    /// The engine's name, for comments and diagnostics.
    pub fn name(self) -> String {
        String::from(match self {
            Dialect::DuckDb => "DuckDB",
            Dialect::DataFusion => "DataFusion",
            Dialect::Spark => "Spark",
            Dialect::Postgres => "PostgreSQL",
        })
    }

    /// A string literal.
    pub(crate) fn string(self, text: &str) -> String {
        match self {
            // Spark reads backslash escapes in literals, and `'a''b'` as
            // two literals side by side.
            Dialect::Spark => format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'")),
            _ => format!("'{}'", text.replace('\'', "''")),
        }
    }

    /// A quoted identifier.
    pub(crate) fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// The column (or struct field) a path names, in the table aliased `t`.
    pub(crate) fn path(self, keys: &[String], columns: Columns) -> String {
        match columns {
            // A composite's field is read as `(value).field`.
            Columns::Nested if self == Dialect::Postgres => {
                let mut out = String::from("t");
                for (i, key) in keys.iter().enumerate() {
                    out = match i {
                        0 => format!("t.{}", self.ident(key)),
                        _ => format!("({out}).{}", self.ident(key)),
                    };
                }
                out
            }
            Columns::Nested => {
                let quoted: Vec<String> = keys.iter().map(|k| self.ident(k)).collect();
                format!("t.{}", quoted.join("."))
            }
            Columns::Flat => format!("t.{}", self.ident(&keys.join("."))),
        }
    }

    /// A list literal of SQL literals.
    pub(crate) fn list(self, items: &[String]) -> String {
        match self {
            Dialect::DuckDb => format!("[{}]", items.join(", ")),
            Dialect::DataFusion => format!("make_array({})", items.join(", ")),
            Dialect::Spark => format!("array({})", items.join(", ")),
            // An empty array takes its type from where it is used.
            Dialect::Postgres if items.is_empty() => String::from("'{}'"),
            Dialect::Postgres => format!("ARRAY[{}]", items.join(", ")),
        }
    }

    /// Whether the list `list` holds the value `item`.
    pub(crate) fn contains(self, list: &str, item: &str) -> String {
        match self {
            Dialect::DuckDb => format!("list_contains({list}, {item})"),
            Dialect::DataFusion => format!("array_has({list}, {item})"),
            Dialect::Spark => format!("array_contains({list}, {item})"),
            Dialect::Postgres => format!("{item} = ANY({list})"),
        }
    }

    /// Whether the list `v` holds no `NULL` item (JSON's `null` in an
    /// array makes it no list of values, as `eval` reads it).
    pub(crate) fn no_nulls(self, v: &str) -> String {
        match self {
            Dialect::DuckDb => format!("list_count({v}) = len({v})"),
            Dialect::DataFusion | Dialect::Postgres => format!("array_position({v}, NULL) IS NULL"),
            Dialect::Spark => format!("size(array_compact({v})) = size({v})"),
        }
    }

    /// Whether every item of the list `items` is in the list `of`.
    pub(crate) fn all_in(self, of: &str, items: &str) -> String {
        match self {
            Dialect::DuckDb => format!("list_has_all({of}, {items})"),
            Dialect::DataFusion => format!("array_has_all({of}, {items})"),
            Dialect::Spark => format!("size(array_except({items}, {of})) = 0"),
            Dialect::Postgres => format!("{items} <@ {of}"),
        }
    }

    /// `x` as a double.
    pub(crate) fn double(self, x: &str) -> String {
        match self {
            Dialect::Postgres => format!("CAST({x} AS DOUBLE PRECISION)"),
            _ => format!("CAST({x} AS DOUBLE)"),
        }
    }

    /// `x` as a 64-bit integer, `NULL` when it is not one.
    pub(crate) fn int(self, x: &str) -> String {
        match self {
            // PostgreSQL has no TRY_CAST; its CASE casts only digits.
            Dialect::Postgres => {
                format!("CASE WHEN {x} ~ '^[0-9]{{1,18}}$' THEN CAST({x} AS BIGINT) END")
            }
            _ => format!("TRY_CAST({x} AS BIGINT)"),
        }
    }

    /// Whether the whole text `v` matches `pattern` (anchored; written
    /// without backslashes, so every dialect's string literal keeps it).
    pub(crate) fn matches(self, v: &str, pattern: &str) -> String {
        match self {
            Dialect::DuckDb => format!("regexp_full_match({v}, {})", self.string(pattern)),
            Dialect::DataFusion => format!("regexp_like({v}, {})", self.string(pattern)),
            // Java's `$` also matches before a last line break; `\z` only
            // at the end.
            Dialect::Spark => {
                let pattern = pattern
                    .strip_suffix('$')
                    .map_or_else(|| pattern.to_string(), |p| format!("{p}\\z"));
                format!("{v} RLIKE {}", self.string(&pattern))
            }
            Dialect::Postgres => format!("{v} ~ {}", self.string(pattern)),
        }
    }

    /// The text of group `i` of `pattern` in `v` (which matches it), `''`
    /// when the group takes no part in the match.
    pub(crate) fn group(self, v: &str, pattern: &str, i: usize) -> String {
        match self {
            Dialect::Spark => format!("regexp_extract({v}, {}, {i})", self.string(pattern)),
            Dialect::Postgres => format!(
                "COALESCE((regexp_match({v}, {}))[{i}], '')",
                self.string(pattern)
            ),
            // They replace the first match, the whole text, by the group.
            _ => format!("regexp_replace({v}, {}, '\\{i}')", self.string(pattern)),
        }
    }

    /// The engine's clock when the query runs, as whole seconds since the
    /// Unix epoch and the nanoseconds past them.
    pub(crate) fn clock(self) -> (String, String) {
        match self {
            Dialect::DuckDb => (
                String::from("(epoch_us(get_current_timestamp()) // 1000000)"),
                String::from("(epoch_us(get_current_timestamp()) % 1000000 * 1000)"),
            ),
            Dialect::DataFusion => (
                String::from("(CAST(now() AS BIGINT) / 1000000000)"),
                String::from("(CAST(now() AS BIGINT) % 1000000000)"),
            ),
            Dialect::Spark => (
                String::from("(unix_micros(current_timestamp()) div 1000000)"),
                String::from("(unix_micros(current_timestamp()) % 1000000 * 1000)"),
            ),
            Dialect::Postgres => (
                String::from("CAST(floor(extract(epoch FROM now())) AS BIGINT)"),
                String::from(
                    "CAST((extract(epoch FROM now()) - floor(extract(epoch FROM now()))) * 1000000000 AS BIGINT)",
                ),
            ),
        }
    }

    /// The instant `seconds` after the Unix epoch as the whole seconds
    /// its local date and time in the IANA zone `zone` would be in UTC:
    /// the local clock, in the engine's time zone database.
    pub(crate) fn local_seconds(self, seconds: &str, zone: &str) -> String {
        match self {
            Dialect::DuckDb => format!(
                "CAST(epoch(timezone({}, to_timestamp({seconds}))) AS BIGINT)",
                self.string(zone)
            ),
            Dialect::DataFusion => format!(
                "CAST(date_part('epoch', to_local_time(arrow_cast(arrow_cast(to_timestamp_seconds({seconds}), 'Timestamp(Second, Some(\"UTC\"))'), {}))) AS BIGINT)",
                self.string(&format!("Timestamp(Second, Some(\"{zone}\"))"))
            ),
            Dialect::Spark => format!(
                "unix_seconds(from_utc_timestamp(timestamp_seconds({seconds}), {}))",
                self.string(zone)
            ),
            Dialect::Postgres => format!(
                "CAST(extract(epoch FROM (to_timestamp({seconds}) AT TIME ZONE {})) AS BIGINT)",
                self.string(zone)
            ),
        }
    }

    /// Whether the text `v` starts with the literal `prefix`.
    pub(crate) fn starts_with(self, v: &str, prefix: &str) -> String {
        match self {
            Dialect::Spark => format!("startswith({v}, {prefix})"),
            _ => format!("starts_with({v}, {prefix})"),
        }
    }

    /// Whether the text `v` ends with the literal `suffix`.
    pub(crate) fn ends_with(self, v: &str, suffix: &str) -> String {
        match self {
            Dialect::Spark => format!("endswith({v}, {suffix})"),
            Dialect::Postgres => format!("right({v}, length({suffix})) = {suffix}"),
            _ => format!("ends_with({v}, {suffix})"),
        }
    }

    /// The type of text, for a schema.
    pub(crate) fn text_type(self) -> &'static str {
        match self {
            Dialect::Spark => "STRING",
            Dialect::Postgres => "TEXT",
            _ => "VARCHAR",
        }
    }

    /// The type of a double, for a schema.
    pub(crate) fn double_type(self) -> &'static str {
        match self {
            Dialect::Postgres => "DOUBLE PRECISION",
            _ => "DOUBLE",
        }
    }

    /// The type of a list of `item`s, for a schema.
    pub(crate) fn list_type(self, item: &str) -> String {
        match self {
            Dialect::Spark => format!("ARRAY<{item}>"),
            _ => format!("{item}[]"),
        }
    }

    /// The type of a struct of `fields` (each a name and a type).
    pub(crate) fn struct_type(self, fields: &[(String, String)]) -> String {
        match self {
            Dialect::Spark => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(name, ty)| format!("{}: {ty}", self.ident(name)))
                    .collect();
                format!("STRUCT<{}>", fields.join(", "))
            }
            _ => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(name, ty)| format!("{} {ty}", self.ident(name)))
                    .collect();
                format!("STRUCT({})", fields.join(", "))
            }
        }
    }

    /// Whether a query's last `SELECT` can leave out the helper columns
    /// by name (`* EXCLUDE (...)`); Spark cannot, so its query keeps the
    /// table's own columns in a struct and spreads that at the end.
    pub(crate) fn excludes(self) -> bool {
        !matches!(self, Dialect::Spark | Dialect::Postgres)
    }

    /// The row of the table aliased `t` as one value, for the query to
    /// keep where it cannot exclude its helper columns.
    pub(crate) fn whole_row(self) -> &'static str {
        match self {
            Dialect::Postgres => "t",
            _ => "struct(t.*)",
        }
    }

    /// The fields of the value `row` made by [`whole_row`](Self::whole_row),
    /// spread into columns.
    pub(crate) fn spread(self, row: &str) -> String {
        match self {
            Dialect::Postgres => format!("({row}).*"),
            _ => format!("{row}.*"),
        }
    }

    /// How a common table expression is introduced: PostgreSQL would
    /// inline each into the next, writing shared subtrees out once per
    /// use, so its are materialized.
    pub(crate) fn cte(self) -> &'static str {
        match self {
            Dialect::Postgres => "AS MATERIALIZED",
            _ => "AS",
        }
    }

    /// Whether identifiers are short (PostgreSQL keeps 63 bytes), so
    /// helper columns go by number alone.
    pub(crate) fn short_names(self) -> bool {
        self == Dialect::Postgres
    }
}
