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
        })
    }

    /// A quoted identifier.
    pub(crate) fn ident(self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    /// The column (or struct field) a path names, in the table aliased `t`.
    pub(crate) fn path(self, keys: &[String], columns: Columns) -> String {
        match columns {
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
        }
    }

    /// Whether the list `list` holds the value `item`.
    pub(crate) fn contains(self, list: &str, item: &str) -> String {
        match self {
            Dialect::DuckDb => format!("list_contains({list}, {item})"),
            Dialect::DataFusion => format!("array_has({list}, {item})"),
        }
    }

    /// Whether every item of the list `items` is in the list `of`.
    pub(crate) fn all_in(self, of: &str, items: &str) -> String {
        match self {
            Dialect::DuckDb => format!("list_has_all({of}, {items})"),
            Dialect::DataFusion => format!("array_has_all({of}, {items})"),
        }
    }

    /// `x` as a 64-bit integer, `NULL` when it is not one.
    pub(crate) fn int(self, x: &str) -> String {
        format!("TRY_CAST({x} AS BIGINT)")
    }

    /// Whether the whole text `v` matches `pattern` (anchored; written
    /// without backslashes, so every dialect's string literal keeps it).
    pub(crate) fn matches(self, v: &str, pattern: &str) -> String {
        match self {
            Dialect::DuckDb => format!("regexp_full_match({v}, {})", super::quote(pattern)),
            Dialect::DataFusion => format!("regexp_like({v}, {})", super::quote(pattern)),
        }
    }

    /// The text of group `i` of `pattern` in `v` (which matches it), `''`
    /// when the group takes no part in the match.
    pub(crate) fn group(self, v: &str, pattern: &str, i: usize) -> String {
        // Both replace the first match, the whole text, by the group.
        format!("regexp_replace({v}, {}, '\\{i}')", super::quote(pattern))
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
        }
    }

    /// The instant `seconds` after the Unix epoch as the whole seconds
    /// its local date and time in the IANA zone `zone` would be in UTC:
    /// the local clock, in the engine's time zone database.
    pub(crate) fn local_seconds(self, seconds: &str, zone: &str) -> String {
        match self {
            Dialect::DuckDb => format!(
                "CAST(epoch(timezone({}, to_timestamp({seconds}))) AS BIGINT)",
                super::quote(zone)
            ),
            Dialect::DataFusion => format!(
                "CAST(date_part('epoch', to_local_time(arrow_cast(arrow_cast(to_timestamp_seconds({seconds}), 'Timestamp(Second, Some(\"UTC\"))'), {}))) AS BIGINT)",
                super::quote(&format!("Timestamp(Second, Some(\"{zone}\"))"))
            ),
        }
    }

    /// The type of a list of `item`s, for a schema.
    pub(crate) fn list_type(self, item: &str) -> String {
        format!("{item}[]")
    }
}
