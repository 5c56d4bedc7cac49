"""Decide a dataset of facts with Spark SQL, from the query `verdict sql` writes.

    python decide.py --generate 1000000 [--policies DIR] [--verdict BIN] [--out DIR]
    python decide.py --check DIR [DIR ...]

The first form is the whole job, end to end, in Spark's local mode:

1. asks `verdict sql --dialect spark` for the query and the table's schema;
2. generates a dataset of N facts rows (Parquet) by recombining the values
   of the sample facts files (`examples/*.json` by default): each row takes
   each fact's value from a random sample, or leaves it out;
3. decides every row with Spark SQL and writes the rows with their
   `<policy>_decision`, `<policy>_rule` and `<policy>_error` columns as
   Parquet under --out, then prints how many rows each decision got.

On a cluster, the same query runs unchanged: create the table from the
schema over your data (`CREATE TABLE facts (...) USING parquet LOCATION
'...'`, or a view of your own with the facts' paths as struct fields), and
run the query with `spark.sql`. Nothing of verdict runs on the executors:
the decision tree is the query.

The second form is the one the tests use (tests/it/sql.rs): each DIR holds
`facts.ndjson` (one JSON object per line, each with a `verdict_row`
number), `schema.sql` and `query.sql`; in one Spark session, it loads the
lines with the schema's types, runs the query, and writes
`DIR/results.ndjson`, one JSON object per row in the order of the rows'
numbers, with the query's `*_decision`, `*_rule` and `*_error` columns.

Needs pyspark (`pip install pyspark`) and Java 17 or later.
"""

import argparse
import glob
import json
import os
import random
import subprocess
import sys
import time


def spark_session(zone=None):
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master("local[2]")
        .appName("verdict")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if zone:
        builder = builder.config("spark.sql.session.timeZone", zone)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def columns_of(schema_sql):
    """The column list of `verdict sql --schema`'s CREATE TABLE, as the DDL
    string `DataFrameReader.schema` takes."""
    start = schema_sql.index("(") + 1
    end = schema_sql.rindex(")")
    return " ".join(line.strip() for line in schema_sql[start:end].splitlines()).strip()


def run_query(spark, query):
    # spark.sql takes one statement, without the closing semicolon.
    return spark.sql(query.strip().rstrip(";"))


def decided_columns(frame):
    return [c for c in frame.columns if c.endswith(("_decision", "_rule", "_error"))]


def check_rows(dirs):
    # A session zone far from UTC: the query's times must not depend on it.
    spark = spark_session(zone="Pacific/Chatham")
    for job in dirs:
        schema = open(os.path.join(job, "schema.sql")).read()
        ddl = columns_of(schema) + ", verdict_row BIGINT"
        spark.read.schema(ddl).json(os.path.join(job, "facts.ndjson")).createOrReplaceTempView("facts")
        result = run_query(spark, open(os.path.join(job, "query.sql")).read())
        wanted = ["verdict_row"] + decided_columns(result)
        rows = result.select(*wanted).orderBy("verdict_row").collect()
        with open(os.path.join(job, "results.ndjson"), "w") as out:
            for row in rows:
                out.write(json.dumps(row.asDict()) + "\n")
    spark.stop()


def sample_values(paths):
    """Each JSON path's values over the sample facts files."""
    values = {}

    def walk(prefix, node):
        if isinstance(node, dict):
            for key, child in node.items():
                walk(prefix + (key,), child)
        else:
            values.setdefault(prefix, [])
            if node not in values[prefix]:
                values[prefix].append(node)

    for path in paths:
        with open(path) as f:
            walk((), json.load(f))
    return values


def generate(values, count, out_path, seed=7):
    rng = random.Random(seed)
    keys = sorted(values)
    with open(out_path, "w") as out:
        for _ in range(count):
            row = {}
            for key in keys:
                # A fact is left out one time in five.
                if rng.random() < 0.2:
                    continue
                node = row
                for part in key[:-1]:
                    node = node.setdefault(part, {})
                node[key[-1]] = rng.choice(values[key])
            out.write(json.dumps(row) + "\n")


def whole_job(args):
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    verdict = args.verdict or os.path.join(root, "target", "release", "verdict")
    policies = ["--policies", args.policies] if args.policies else []

    def verdict_sql(*extra):
        return subprocess.run(
            [verdict, "sql", "--dialect", "spark", *policies, *extra],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    schema, query = verdict_sql("--schema"), verdict_sql()
    samples = args.samples or sorted(glob.glob(os.path.join(root, "examples", "*.json")))
    os.makedirs(args.out, exist_ok=True)
    lines = os.path.join(args.out, "facts.ndjson")
    started = time.time()
    generate(sample_values(samples), args.generate, lines)
    print(f"generated {args.generate} rows in {time.time() - started:.1f} s", file=sys.stderr)

    spark = spark_session()
    parquet = os.path.join(args.out, "facts.parquet")
    spark.read.schema(columns_of(schema)).json(lines).write.mode("overwrite").parquet(parquet)
    spark.read.parquet(parquet).createOrReplaceTempView("facts")
    started = time.time()
    result = run_query(spark, query)
    decided = os.path.join(args.out, "decided.parquet")
    result.write.mode("overwrite").parquet(decided)
    seconds = time.time() - started
    print(
        f"decided {args.generate} rows in {seconds:.1f} s ({args.generate / seconds:,.0f} rows/s), written to {decided}",
        file=sys.stderr,
    )
    counts = spark.read.parquet(decided).groupBy(*[c for c in decided_columns(result) if c.endswith("_decision")]).count()
    for row in counts.orderBy("count", ascending=False).collect():
        print(json.dumps(row.asDict()))
    spark.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--generate", type=int, help="generate this many rows and decide them")
    parser.add_argument("--policies", help="the policies (default: the built-in pack)")
    parser.add_argument("--verdict", help="the verdict binary (default: target/release/verdict)")
    parser.add_argument("--samples", nargs="*", help="facts files to recombine (default: examples/*.json)")
    parser.add_argument("--out", default="target/spark", help="where the dataset and the decisions go")
    parser.add_argument(
        "--check",
        nargs="+",
        metavar="DIR",
        help="directories of facts.ndjson, schema.sql and query.sql to decide into results.ndjson",
    )
    args = parser.parse_args()
    if args.generate:
        whole_job(args)
    elif args.check:
        check_rows(args.check)
    else:
        parser.error("give --generate N, or --check DIR ...")


if __name__ == "__main__":
    main()
