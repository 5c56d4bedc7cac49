"""Rows per second: the built-in pack's query in DuckDB against
`verdict eval --ndjson`, on the same generated subscriptions.

    python benches/sql/throughput.py VERDICT [ROWS] [MISSING]

VERDICT is the verdict binary (`target/release/verdict`); ROWS defaults to
10,000,000; MISSING, the share of values left out, to 0.1. Needs the `duckdb` package: the SQL tests install it into
`target/tmp/sql-engines` (run `cargo test --test it sql::` once, then use
`target/tmp/sql-engines/bin/python`). The rows are drawn at random from
each fact's declared values, with one value in ten missing (MISSING), so
that some rows are undecided. DuckDB decides them twice: from its table in
memory, and from the JSON lines file `verdict eval --ndjson` reads (with
`read_json`, so parsing the JSON is in both). Each is timed three times;
the best is reported.
"""

import os
import subprocess
import sys
import tempfile
import time

import duckdb


def best(runs, f):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


MISSING = float(sys.argv[3]) if len(sys.argv) > 3 else 0.1


def pick(values):
    listed = ", ".join(f"'{v}'" for v in values)
    # One in ten missing (the list's NULL), the rest uniform.
    return f"CASE WHEN random() < {MISSING} THEN NULL ELSE ([{listed}])[1 + floor(random() * {len(values)})::INT] END"


def main():
    verdict = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
    schema = subprocess.run([verdict, "sql", "--schema"], capture_output=True, text=True, check=True).stdout
    query = subprocess.run([verdict, "sql"], capture_output=True, text=True, check=True).stdout
    con = duckdb.connect()
    con.execute(schema)
    con.execute(f"""
        INSERT INTO facts SELECT
          struct_pack(billing := {pick(['license', 'usage'])},
                      channel := {pick(['Direct', 'Advisor', 'Open', 'EA', 'CSP', 'ThirdParty', 'Syndication'])}),
          struct_pack(role := {pick(['direct', 'indirect_provider', 'reseller'])},
                      designated_admin := CASE WHEN random() < 0.5 THEN TRUE ELSE FALSE END),
          struct_pack(action := {pick(['support', 'transfer', 'migrate', 'invite', 'own_relationship', 'delegated_admin'])},
                      target := {pick(['partner', 'customer', 'reseller'])})
        FROM range({rows})
    """)
    body = query.strip().rstrip(";")
    counted = f"SELECT multichannel_decision, count(*) FROM ({body}) GROUP BY ALL ORDER BY ALL"
    seconds = best(3, lambda: con.sql(counted).fetchall())
    print(f"DuckDB {duckdb.__version__}: {rows:,} rows in {seconds:.2f} s, {rows / seconds / 1e6:.1f} M rows/s")
    for decision, count in con.sql(counted).fetchall():
        print(f"  {decision}: {count:,}")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "facts.ndjson")
        con.execute(f"COPY facts TO '{path}' (FORMAT json)")
        size = os.path.getsize(path)
        columns = {name: ty for name, ty, *_ in con.execute("DESCRIBE facts").fetchall()}
        spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
        table = f"read_json('{path}', format = 'newline_delimited', columns = {spec})"
        from_file = subprocess.run(
            [verdict, "sql", "--from", table], capture_output=True, text=True, check=True
        ).stdout.strip().rstrip(";")
        counted = f"SELECT multichannel_decision, count(*) FROM ({from_file}) GROUP BY ALL"
        seconds = best(3, lambda: con.sql(counted).fetchall())
        print(f"DuckDB from the JSON lines file: {rows:,} rows in {seconds:.2f} s, {rows / seconds / 1e6:.1f} M rows/s")

        def run():
            with open(path, "rb") as facts, open(os.devnull, "wb") as out:
                # Exit 1 when some lines are undecided: every line is answered.
                subprocess.run([verdict, "eval", "--ndjson", "-"], stdin=facts, stdout=out, stderr=subprocess.DEVNULL)

        seconds = best(3, run)
        print(
            f"verdict eval --ndjson: {rows:,} lines ({size / 1e9:.2f} GB) in {seconds:.2f} s, {rows / seconds / 1e6:.1f} M lines/s"
        )


if __name__ == "__main__":
    main()
