"""Runs a query verdict compiled over facts in a real SQL engine.

    run.py ENGINE SCHEMA.sql QUERY.sql FACTS.ndjson

ENGINE is `duckdb` or `datafusion`. The facts (one JSON object per line,
each with a `verdict_row` number) are loaded into DuckDB with the types
SCHEMA.sql declares, as `read_json` reads them; DataFusion gets the same
table as Arrow. Prints one JSON object per row, in row order, with the
query's `*_decision`, `*_rule` and `*_error` columns.
"""

import json
import sys

import duckdb


def main():
    engine, schema_path, query_path, facts_path = sys.argv[1:5]
    con = duckdb.connect()
    con.execute(open(schema_path).read())
    con.execute("ALTER TABLE facts ADD COLUMN verdict_row BIGINT")
    columns = {name: ty for name, ty, *_ in con.execute("DESCRIBE facts").fetchall()}
    con.execute(
        "INSERT INTO facts BY NAME SELECT * FROM read_json(?, format = 'newline_delimited', columns = ?)",
        [facts_path, columns],
    )
    query = open(query_path).read()
    if engine == "duckdb":
        result = con.sql(query)
        names = result.columns
        rows = result.fetchall()
    elif engine == "datafusion":
        import datafusion

        table = con.sql("SELECT * FROM facts").to_arrow_table()
        ctx = datafusion.SessionContext()
        ctx.register_record_batches("facts", [table.to_batches()])
        frame = ctx.sql(query.rstrip().rstrip(";"))
        out = frame.to_pydict()
        names = list(out.keys())
        rows = list(zip(*out.values())) if names else []
    else:
        raise SystemExit(f"unknown engine {engine}")
    wanted = [i for i, n in enumerate(names) if n == "verdict_row" or n.endswith(("_decision", "_rule", "_error"))]
    picked = [{names[i]: row[i] for i in wanted} for row in rows]
    picked.sort(key=lambda r: r["verdict_row"])
    for row in picked:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
