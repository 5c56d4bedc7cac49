//! `verdict sql`: the policies compiled to a query that a SQL engine runs
//! over a table of facts, deciding exactly as `verdict eval` does.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use super::{load, print_report};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DialectArg {
    /// DuckDB
    Duckdb,
    /// Apache DataFusion
    Datafusion,
    /// Apache Spark SQL
    Spark,
    /// PostgreSQL
    Postgres,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ColumnsArg {
    /// A fact at `a.b.c` is the nested struct field `a.b.c`
    Nested,
    /// A fact at `a.b.c` is the column named `a.b.c`
    Flat,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ShapeArg {
    /// The whole decision tree, unless its query would be too large: then rule by rule
    Auto,
    /// Each node of the decision tree once
    Tree,
    /// Each rule's own tree, in the order rules are tried
    Rules,
}

#[derive(clap::Args)]
pub struct Args {
    /// A `.policy` file or a directory of them [default: the current folder's
    /// `*.policy` files, or the built-in multichannel pack if it has none]
    #[arg(long = "policies", value_name = "PATH")]
    policies: Option<PathBuf>,
    /// The SQL engine the query is for
    #[arg(long, value_enum, default_value = "duckdb")]
    dialect: DialectArg,
    /// The table (or view, or table function) the facts are read from
    #[arg(long = "from", value_name = "TABLE", default_value = "facts")]
    from: String,
    /// How facts' paths map to columns
    #[arg(long, value_enum, default_value = "nested")]
    columns: ColumnsArg,
    /// Print only the columns' expressions, for a SELECT of your own over a table aliased `t`
    #[arg(long, conflicts_with = "schema")]
    expr: bool,
    /// Print a CREATE TABLE for the facts the query reads, with each fact's type
    #[arg(long)]
    schema: bool,
    /// The evaluation time, RFC 3339 (`2026-12-01T10:30:00Z`): what facts
    /// declared `default now` take where a row leaves them out [default:
    /// the engine's clock when the query runs]
    #[arg(long, value_name = "TIME", value_parser = super::evaluation_time)]
    now: Option<verdict::Timestamp>,
    /// How the query walks the decisions
    #[arg(long, value_enum, default_value = "auto")]
    shape: ShapeArg,
}

pub fn run(args: Args) -> ExitCode {
    let policies = match load(super::policies_path(args.policies.as_ref()).as_ref()) {
        Ok(policies) => policies,
        Err(report) => {
            print_report(&report);
            return ExitCode::from(1);
        }
    };
    let options = verdict::sql::Options {
        dialect: match args.dialect {
            DialectArg::Duckdb => verdict::sql::Dialect::DuckDb,
            DialectArg::Datafusion => verdict::sql::Dialect::DataFusion,
            DialectArg::Spark => verdict::sql::Dialect::Spark,
            DialectArg::Postgres => verdict::sql::Dialect::Postgres,
        },
        columns: match args.columns {
            ColumnsArg::Nested => verdict::sql::Columns::Nested,
            ColumnsArg::Flat => verdict::sql::Columns::Flat,
        },
        table: args.from,
        now: args.now,
        shape: match args.shape {
            ShapeArg::Auto => verdict::sql::Shape::Auto,
            ShapeArg::Tree => verdict::sql::Shape::Tree,
            ShapeArg::Rules => verdict::sql::Shape::Rules,
        },
    };
    let sql = if args.schema {
        verdict::sql::schema(&policies, &options)
    } else if args.expr {
        verdict::sql::expressions(&policies, &options)
    } else {
        verdict::sql::query(&policies, &options)
    };
    match sql {
        Ok(sql) => {
            out!("{sql}");
            ExitCode::SUCCESS
        }
        Err(report) => {
            print_report(&report);
            ExitCode::from(1)
        }
    }
}
