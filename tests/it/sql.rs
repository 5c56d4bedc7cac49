//! `verdict sql` decides exactly as `verdict eval` does, on real engines:
//! DuckDB and DataFusion run the compiled query over every combination of
//! a policy's facts (each declared value, an undeclared one, and missing)
//! and thousands of random rows with missing values and missing objects,
//! and every row must match the library's decision, rule and error.
//!
//! The engines are Python packages, installed by this test into a virtual
//! environment under the target directory the first time it runs (pinned
//! versions, from PyPI). A machine without Python 3 fails the test with a
//! message saying so: it never skips.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{json, Map, Value};
use verdict::PolicySet;

const PACKAGES: [&str; 6] = [
    "duckdb==2.0.1",
    "datafusion==55.0.0",
    "pyarrow==26.0.1",
    "pgserver==0.1.4",
    "psycopg==3.3.9",
    "psycopg-binary==3.3.9",
];
const SPARK: [&str; 1] = ["pyspark==4.0.1"];

/// The Python of a virtual environment with DuckDB, DataFusion and a
/// PostgreSQL server (pgserver's).
fn engines() -> &'static Path {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    venv(
        &PYTHON,
        "sql-engines",
        &PACKAGES,
        "import duckdb, datafusion, pyarrow",
    )
}

/// The Python of a virtual environment with pyspark (Spark runs on the
/// machine's Java).
fn spark() -> &'static Path {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    venv(&PYTHON, "sql-spark", &SPARK, "import pyspark")
}

/// A virtual environment under the target directory with `packages`,
/// made the first time (`ready` is the import that tells it is there).
fn venv(
    cell: &'static OnceLock<Result<PathBuf, String>>,
    name: &str,
    packages: &[&str],
    ready: &str,
) -> &'static Path {
    let python = cell.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        let python = dir.join("bin/python");
        let is_ready = |python: &Path| {
            Command::new(python)
                .args(["-c", ready])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if is_ready(&python) {
            return Ok(python);
        }
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .output()
            .map_err(|e| format!("the SQL tests need Python 3 (`python3 -m venv`): {e}"))?;
        if !made.status.success() {
            return Err(format!(
                "python3 -m venv failed: {}",
                String::from_utf8_lossy(&made.stderr)
            ));
        }
        let installed = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(packages)
            .output()
            .map_err(|e| format!("pip: {e}"))?;
        if !installed.status.success() || !is_ready(&python) {
            return Err(format!(
                "pip install {} failed: {}",
                packages.join(" "),
                String::from_utf8_lossy(&installed.stderr)
            ));
        }
        Ok(python)
    });
    match python {
        Ok(python) => python,
        Err(why) => panic!("{why}"),
    }
}

fn insert(facts: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = facts;
    for key in parents {
        node = node
            .entry(key.clone())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .unwrap();
    }
    node.insert(last.clone(), value);
}

/// Every combination of the pools when there are at most `max`, then
/// `random` rows drawn from them, some with a whole object missing.
fn rows(set: &PolicySet, max: usize, random: usize) -> Vec<Value> {
    // Each fact's sample values, and `None`: missing.
    let pools: Vec<(Vec<String>, Vec<Option<Value>>)> = verdict::testing::fact_samples(set)
        .into_iter()
        .map(|f| {
            let mut values: Vec<Option<Value>> = f.values.into_iter().map(Some).collect();
            values.push(None);
            (f.keys, values)
        })
        .collect();
    let build = |choice: &dyn Fn(usize, usize) -> usize| {
        let mut row = Map::new();
        for (i, (path, values)) in pools.iter().enumerate() {
            if let Some(Some(value)) = values.get(choice(i, values.len())) {
                insert(&mut row, path, value.clone());
            }
        }
        row
    };
    let total = pools
        .iter()
        .try_fold(1usize, |n, (_, v)| n.checked_mul(v.len()));
    let mut out = Vec::new();
    if total.is_some_and(|t| t <= max) {
        let total = total.unwrap_or(0);
        for n in 0..total {
            let rest = std::cell::Cell::new(n);
            let row = build(&|_, len| {
                let pick = rest.get() % len;
                rest.set(rest.get() / len);
                pick
            });
            out.push(Value::Object(row));
        }
    }
    // A small linear congruential generator: the same rows every run.
    let mut state: u64 = 0x5eed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let tops: Vec<String> = pools
        .iter()
        .filter_map(|(p, _)| p.first().cloned())
        .collect();
    for _ in 0..random {
        let picks: Vec<usize> = pools.iter().map(|_| next()).collect();
        let mut row = build(&|i, len| picks.get(i).copied().unwrap_or(0) % len);
        if next() % 4 == 0 {
            if let Some(top) = tops.get(next() % tops.len().max(1)) {
                // A missing object, or a `null` one, which is absent too.
                match next() % 2 {
                    0 => row.remove(top),
                    _ => row.insert(top.clone(), Value::Null),
                };
            }
        }
        out.push(Value::Object(row));
    }
    out
}

/// What the library decides for a row: per policy, the decision and rule,
/// or the text of every error (which the SQL's error path must be in).
fn expected(set: &PolicySet, facts: &Value) -> Result<Vec<(String, Option<String>)>, String> {
    match set.decide(facts) {
        Ok(decisions) => Ok(decisions
            .iter()
            .map(|d| {
                (
                    d.decision.to_string(),
                    d.rule_name.or(d.rule).map(String::from),
                )
            })
            .collect()),
        Err(report) => Err(report
            .problems()
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

/// Runs `query` in `engine` over `rows` and checks every row against the
/// library.
fn differential(set: &PolicySet, engine: &str, schema: &str, query: &str, rows: &[Value]) {
    let dir = write_job(engine, schema, query, rows);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(engines())
        .arg(root.join("tests/sql/run.py"))
        .arg(engine)
        .arg(dir.join("schema.sql"))
        .arg(dir.join("query.sql"))
        .arg(dir.join("facts.ndjson"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{engine} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let by_rule = query.contains("verdict_0_r0");
    check(
        set,
        engine,
        rows,
        &String::from_utf8(output.stdout).unwrap(),
        by_rule,
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A directory with the rows (each numbered `verdict_row`), the schema and
/// the query of one run.
fn write_job(engine: &str, schema: &str, query: &str, rows: &[Value]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "sql-{engine}-{}-{}",
        std::process::id(),
        query.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let lines: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut row = row.clone();
            row.as_object_mut()
                .unwrap()
                .insert(String::from("verdict_row"), json!(i));
            row.to_string()
        })
        .collect();
    std::fs::write(dir.join("facts.ndjson"), lines.join("\n") + "\n").unwrap();
    std::fs::write(dir.join("schema.sql"), schema).unwrap();
    std::fs::write(dir.join("query.sql"), query).unwrap();
    dir
}

/// Checks an engine's output, one JSON object per row in row order,
/// against the library's decisions (`by_rule`: of a query written rule by
/// rule).
fn check(set: &PolicySet, engine: &str, rows: &[Value], stdout: &str, by_rule: bool) {
    let results: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), rows.len(), "{engine}: one result per row");
    let names: Vec<String> = set.policies().map(|p| p.name().to_string()).collect();
    let mut decided = 0;
    for (row, result) in rows.iter().zip(&results) {
        let column = |policy: &str, what: &str| result.get(format!("{policy}_{what}")).cloned();
        match expected(set, row) {
            Ok(decisions) => {
                decided += 1;
                for (name, (decision, rule)) in names.iter().zip(decisions) {
                    let got = (
                        column(name, "decision"),
                        column(name, "rule"),
                        column(name, "error"),
                    );
                    let want = (
                        Some(json!(decision)),
                        Some(rule.map_or(Value::Null, Value::String)),
                        Some(Value::Null),
                    );
                    assert_eq!(got, want, "{engine} on {row}");
                }
            }
            Err(errors) => {
                // A query written rule by rule names an unknown fact the
                // first rule that may hold needs, which need not be the
                // one the whole tree reads first: any fact `validate`
                // finds unknown in the row.
                let errors = match by_rule {
                    false => errors,
                    true => match set.validate(row) {
                        Err(report) => report
                            .problems()
                            .iter()
                            .map(|p| p.to_string())
                            .collect::<Vec<_>>()
                            .join("\n"),
                        Ok(()) => errors,
                    },
                };
                let undecided = names.iter().any(|name| {
                    column(name, "decision") == Some(Value::Null)
                        && column(name, "error")
                            .and_then(|e| e.as_str().map(String::from))
                            .is_some_and(|path| {
                                // A part of a date-time (`weekday of
                                // request.time in ...`) is unknown where the
                                // date-time is, and the query names that.
                                errors.contains(&format!("`{path}`"))
                                    || errors.contains(&format!(" of {path} in "))
                            })
                });
                assert!(
                    undecided,
                    "{engine} on {row}: the library fails with\n{errors}\nand the query gives {result}"
                );
            }
        }
    }
    assert!(decided > 0, "no row was decided");
}

/// The evaluation time of every test: the library's and the query's.
fn now() -> verdict::Timestamp {
    "2026-12-07T10:00:00Z".parse().unwrap()
}

fn options(dialect: verdict::sql::Dialect) -> verdict::sql::Options {
    verdict::sql::Options {
        dialect,
        now: Some(now()),
        ..verdict::sql::Options::default()
    }
}

/// Both engines decide every row of the policies at `dir` as verdict does.
fn decides_in_both_engines(set: &PolicySet, max: usize, random: usize) {
    let duckdb = options(verdict::sql::Dialect::DuckDb);
    let schema = verdict::sql::schema(set, &duckdb).unwrap();
    let query = verdict::sql::query(set, &duckdb).unwrap();
    let rows = rows(set, max, random);
    differential(set, "duckdb", &schema, &query, &rows);
    let datafusion = options(verdict::sql::Dialect::DataFusion);
    let query = verdict::sql::query(set, &datafusion).unwrap();
    differential(set, "datafusion", &schema, &query, &rows);
    // Written rule by rule, it decides alike.
    let rules = verdict::sql::Options {
        shape: verdict::sql::Shape::Rules,
        ..duckdb
    };
    let query = verdict::sql::query(set, &rules).unwrap();
    differential(set, "duckdb", &schema, &query, &rows);
}

#[test]
fn the_pack_decides_in_duckdb_as_in_verdict() {
    let set = PolicySet::builtin().unwrap();
    let rows = rows(&set, 50_000, 3_000);
    let options = options(verdict::sql::Dialect::DuckDb);
    let schema = verdict::sql::schema(&set, &options).unwrap();
    let query = verdict::sql::query(&set, &options).unwrap();
    differential(&set, "duckdb", &schema, &query, &rows);
    // The expressions alone, in a query of one's own.
    let exprs = verdict::sql::expressions(&set, &options).unwrap();
    let own = format!("SELECT t.*,\n{exprs}FROM facts AS t");
    differential(&set, "duckdb", &schema, &own, &rows);
}

#[test]
fn the_pack_decides_in_datafusion_as_in_verdict() {
    let set = PolicySet::builtin().unwrap();
    let rows = rows(&set, 50_000, 3_000);
    let duckdb = options(verdict::sql::Dialect::DuckDb);
    let schema = verdict::sql::schema(&set, &duckdb).unwrap();
    let options = options(verdict::sql::Dialect::DataFusion);
    let query = verdict::sql::query(&set, &options).unwrap();
    differential(&set, "datafusion", &schema, &query, &rows);
}

/// Every construct of the language that `verdict sql` compiles decides in
/// both engines as in verdict; the one it refuses is `strict facts`, which
/// a table cannot keep, with its diagnostic.
#[test]
fn every_construct_decides_in_both_engines_as_in_verdict() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/language");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut compiled = Vec::new();
    let mut refused = Vec::new();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let set = PolicySet::from_path(&dir).unwrap().evaluated_at(now());
        if let Err(report) = verdict::sql::query(&set, &options(verdict::sql::Dialect::DuckDb)) {
            refused.push((name, report.render(100)));
            continue;
        }
        decides_in_both_engines(&set, 20_000, 1_000);
        compiled.push(name);
    }
    let refused_names: Vec<&str> = refused.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(refused_names, ["strict"], "{refused:#?}");
    for (_, rendered) in &refused {
        assert!(rendered.contains("verdict::sql::unsupported"), "{rendered}");
    }
    assert!(compiled.len() >= 9, "{compiled:?}");
}

/// The example packs (refunds: dates, `default now`, relations with
/// offsets, priorities; document access: relations, sets, a date-time's
/// local time of day and weekday) decide in both engines as in verdict.
#[test]
fn the_example_packs_decide_in_both_engines_as_in_verdict() {
    for pack in ["refunds", "document-access"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("policies/examples")
            .join(pack);
        let set = PolicySet::from_path(&dir).unwrap().evaluated_at(now());
        decides_in_both_engines(&set, 20_000, 4_000);
    }
}

/// Every spelling of a time the grammar allows, and its near misses
/// (jiff's other forms, impossible days, out-of-range fields), reads in
/// SQL as verdict reads it: each text is one row.
#[test]
fn time_texts_read_in_sql_as_in_verdict() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sql/time-texts");
    let set = PolicySet::from_path(&dir).unwrap().evaluated_at(now());
    let texts = std::fs::read_to_string(dir.join("texts.json")).unwrap();
    let texts: Map<String, Value> = serde_json::from_str(&texts).unwrap();
    let mut rows = Vec::new();
    for (key, list) in &texts {
        for text in list.as_array().unwrap() {
            // The other facts at a value that leaves the row to this one.
            let mut row = json!({"date": "2026-12-07", "datetime": "2026-12-07T10:00:00Z", "duration": "P1D"});
            row[key.as_str()] = text.clone();
            rows.push(row);
        }
    }
    assert!(rows.len() > 100, "{}", rows.len());
    let duckdb = options(verdict::sql::Dialect::DuckDb);
    let schema = verdict::sql::schema(&set, &duckdb).unwrap();
    for dialect in [
        verdict::sql::Dialect::DuckDb,
        verdict::sql::Dialect::DataFusion,
    ] {
        let query = verdict::sql::query(&set, &options(dialect)).unwrap();
        let engine = if dialect == verdict::sql::Dialect::DuckDb {
            "duckdb"
        } else {
            "datafusion"
        };
        differential(&set, engine, &schema, &query, &rows);
    }
}

/// What `verdict sql` prints, for a reader: the query (each leaf's rule in
/// a comment), the expressions alone, the table it reads; and the
/// diagnostic for a policy it cannot compile.
#[test]
fn the_cli_prints_a_query_a_reader_can_follow() {
    let bin = env!("CARGO_BIN_EXE_verdict");
    let run = |args: &[&str]| {
        let output = Command::new(bin)
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    };
    let policies = "tests/fixtures/language/continued-lines";
    insta::assert_snapshot!("query", run(&["sql", "--policies", policies]));
    insta::assert_snapshot!(
        "datafusion_flat_expressions",
        run(&[
            "sql",
            "--policies",
            policies,
            "--dialect",
            "datafusion",
            "--columns",
            "flat",
            "--expr"
        ])
    );
    insta::assert_snapshot!(
        "schema",
        run(&[
            "sql",
            "--policies",
            policies,
            "--schema",
            "--from",
            "parcels"
        ])
    );
    insta::assert_snapshot!(
        "spark_schema_and_query",
        run(&[
            "sql",
            "--policies",
            policies,
            "--dialect",
            "spark",
            "--schema"
        ]) + &run(&["sql", "--policies", policies, "--dialect", "spark"])
    );
    insta::assert_snapshot!(
        "postgres_schema_and_query",
        run(&[
            "sql",
            "--policies",
            policies,
            "--dialect",
            "postgres",
            "--schema"
        ]) + &run(&["sql", "--policies", policies, "--dialect", "postgres"])
    );
    insta::assert_snapshot!(
        "unsupported",
        run(&["sql", "--policies", "tests/fixtures/language/strict"])
    );
}

/// A policy decided by rule scan, its tree past the budget, is written
/// rule by rule, from each rule's own small tree; past the budget for
/// those too, it is refused.
#[test]
fn a_policy_without_a_tree_is_written_rule_by_rule() {
    let fixture = "tests/fixtures/language/continued-lines";
    // Enough for each rule's tree, not for the policy's.
    let limits = verdict::Limits {
        tree_budget: 2_000,
        ..verdict::Limits::default()
    };
    let set = PolicySet::from_path_with(fixture, &limits).unwrap();
    let duckdb = options(verdict::sql::Dialect::DuckDb);
    let query = verdict::sql::query(&set, &duckdb).unwrap();
    assert!(query.contains("__verdict_0_r0"), "{query}");
    let schema = verdict::sql::schema(&set, &duckdb).unwrap();
    differential(&set, "duckdb", &schema, &query, &rows(&set, 20_000, 1_000));

    let limits = verdict::Limits {
        tree_budget: 2,
        ..verdict::Limits::default()
    };
    let set = PolicySet::from_path_with(fixture, &limits).unwrap();
    let report = verdict::sql::query(&set, &duckdb).unwrap_err();
    insta::assert_snapshot!(report.render(100));
}

/// A `first match` policy of 1,000 generated rules has a tree of about
/// 340,000 nodes, which would be about 700 MB of SQL written node by node:
/// it is written rule by rule, a few megabytes, and decides alike in both
/// engines.
#[test]
fn a_policy_with_a_huge_tree_is_written_rule_by_rule() {
    let text = verdict::testing::workloads::Scale::generate(1_000).text;
    let set = PolicySet::from_sources([("scale.policy", text)]).unwrap();
    let duckdb = options(verdict::sql::Dialect::DuckDb);
    let query = verdict::sql::query(&set, &duckdb).unwrap();
    assert!(query.len() < 8 << 20, "{} bytes", query.len());
    let schema = verdict::sql::schema(&set, &duckdb).unwrap();
    let rows = rows(&set, 0, 2_000);
    differential(&set, "duckdb", &schema, &query, &rows);
    let query = verdict::sql::query(&set, &options(verdict::sql::Dialect::DataFusion)).unwrap();
    differential(&set, "datafusion", &schema, &query, &rows);
}

/// Spark SQL, in local mode through `examples/spark/decide.py` (the
/// example users run, in the form that checks rows), decides the pack and
/// the example packs as verdict does: every combination of the pack's
/// facts, and random rows of the examples', times and zones included.
#[test]
fn spark_decides_as_verdict_does() {
    let mut sets = vec![PolicySet::builtin().unwrap()];
    for pack in ["refunds", "document-access"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("policies/examples")
            .join(pack);
        sets.push(PolicySet::from_path(&dir).unwrap().evaluated_at(now()));
    }
    // One Spark session decides every set's rows: its start is most of
    // the time.
    let jobs: Vec<(PathBuf, Vec<Value>)> = sets
        .iter()
        .map(|set| {
            let spark = options(verdict::sql::Dialect::Spark);
            let schema = verdict::sql::schema(set, &spark).unwrap();
            let query = verdict::sql::query(set, &spark).unwrap();
            let rows = rows(set, 25_000, 1_000);
            (write_job("spark", &schema, &query, &rows), rows)
        })
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(spark())
        .arg(root.join("examples/spark/decide.py"))
        .arg("--check")
        .args(jobs.iter().map(|(dir, _)| dir))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "spark failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for (set, (dir, rows)) in sets.iter().zip(&jobs) {
        let results = std::fs::read_to_string(dir.join("results.ndjson")).unwrap();
        check(set, "spark", rows, &results, false);
        std::fs::remove_dir_all(dir).ok();
    }
}

/// PostgreSQL, a real server started by the test's runner (pgserver's
/// build, from PyPI), decides the pack, every language fixture and the
/// example packs as verdict does, nested facts as composite types; and,
/// with DuckDB too, a flat table of the pack's facts, each column named by
/// its path.
#[test]
fn postgres_decides_as_verdict_does() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sets = vec![PolicySet::builtin().unwrap()];
    for pack in ["refunds", "document-access"] {
        let dir = root.join("policies/examples").join(pack);
        sets.push(PolicySet::from_path(&dir).unwrap().evaluated_at(now()));
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fixtures/language"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.ends_with("strict"))
        .collect();
    dirs.sort();
    for dir in dirs {
        sets.push(PolicySet::from_path(&dir).unwrap().evaluated_at(now()));
    }
    for set in &sets {
        let postgres = options(verdict::sql::Dialect::Postgres);
        let schema = verdict::sql::schema(set, &postgres).unwrap();
        let query = verdict::sql::query(set, &postgres).unwrap();
        let rows = rows(set, 5_000, 500);
        differential(set, "postgres", &schema, &query, &rows);
    }
    let pack = &sets[0];
    let rows = rows(pack, 5_000, 500);
    for (dialect, engine) in [
        (verdict::sql::Dialect::Postgres, "postgres-flat"),
        (verdict::sql::Dialect::DuckDb, "duckdb-flat"),
    ] {
        let flat = verdict::sql::Options {
            columns: verdict::sql::Columns::Flat,
            ..options(dialect)
        };
        let schema = verdict::sql::schema(pack, &flat).unwrap();
        let query = verdict::sql::query(pack, &flat).unwrap();
        differential(pack, engine, &schema, &query, &rows);
    }
}

/// A rule of many `or`s has a small tree whose subtrees are shared, and
/// written rule by rule, inline, it doubles with each `or`: the estimate
/// counts the copies, `auto` keeps the whole tree, which is far shorter,
/// and both shapes decide as verdict does.
#[test]
fn a_rule_of_many_ors_keeps_its_tree() {
    let mut text = String::from("policy ors\notherwise deny\n");
    let mut terms = Vec::new();
    for i in 0..10 {
        text.push_str(&format!(
            "fact x{i}: bool at x{i}\nfact y{i}: bool at y{i}\n"
        ));
        terms.push(format!("x{i} y{i}"));
    }
    text.push_str(&format!("({}) can\n", terms.join(" or ")));
    let set = PolicySet::from_sources([("ors.policy", text)]).unwrap();
    let duckdb = options(verdict::sql::Dialect::DuckDb);
    let by_rule = verdict::sql::Options {
        shape: verdict::sql::Shape::Rules,
        ..duckdb.clone()
    };
    let auto = verdict::sql::query(&set, &duckdb).unwrap();
    let rules = verdict::sql::query(&set, &by_rule).unwrap();
    assert!(!auto.contains("__verdict_0_r0"), "auto wrote the rules");
    assert!(
        auto.len() * 10 < rules.len(),
        "{} and {}",
        auto.len(),
        rules.len()
    );
    let schema = verdict::sql::schema(&set, &duckdb).unwrap();
    let rows = rows(&set, 0, 1_000);
    differential(&set, "duckdb", &schema, &auto, &rows);
    differential(&set, "duckdb", &schema, &rules, &rows);
}

/// PostgreSQL keeps 63 bytes of a name, so a policy whose
/// `<policy>_decision` would be longer is refused, not cut short.
#[test]
fn postgres_refuses_a_policy_name_it_would_cut() {
    let name = "a".repeat(60);
    let text = format!("policy {name}\nfact k: {{a b}} at k\nk = a can\n");
    let set = PolicySet::from_sources([("long.policy", text)]).unwrap();
    let report = verdict::sql::query(&set, &options(verdict::sql::Dialect::Postgres)).unwrap_err();
    let rendered = report.render(100);
    assert!(rendered.contains("verdict::sql::unsupported"), "{rendered}");
    assert!(rendered.contains("63 bytes"), "{rendered}");
    assert!(verdict::sql::query(&set, &options(verdict::sql::Dialect::DuckDb)).is_ok());
}
