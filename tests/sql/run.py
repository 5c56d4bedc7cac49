"""Runs a query verdict compiled over facts in a real SQL engine.

    run.py ENGINE SCHEMA.sql QUERY.sql FACTS.ndjson

ENGINE is `duckdb`, `datafusion` or `postgres`. The facts (one JSON
object per line, each with a `verdict_row` number) are loaded into DuckDB
with the types SCHEMA.sql declares, as `read_json` reads them; DataFusion
gets the same table as Arrow. For `postgres`, a PostgreSQL server (from
the `pgserver` package) starts in a temporary directory, SCHEMA.sql is
PostgreSQL's own (composite types for nested facts), and each line is
loaded with `jsonb_populate_record`. Prints one JSON object per row, in
row order, with the query's `*_decision`, `*_rule` and `*_error` columns.
"""

import json
import sys

import duckdb


def postgres(schema_path, query_path, facts_path):
    import tempfile

    import pgserver
    import psycopg

    with tempfile.TemporaryDirectory() as data:
        server = pgserver.get_server(data, cleanup_mode="stop")
        try:
            with psycopg.connect(server.get_uri(), autocommit=True) as con:
                con.execute(open(schema_path).read())
                con.execute("ALTER TABLE facts ADD COLUMN verdict_row BIGINT")
                with open(facts_path) as lines, con.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO facts SELECT * FROM jsonb_populate_record(NULL::facts, %s::jsonb)",
                        [(line,) for line in lines if line.strip()],
                    )
                cur = con.execute(open(query_path).read())
                names = [c.name for c in cur.description]
                rows = cur.fetchall()
        finally:
            server.cleanup()
    return names, rows


def flatten(node, prefix=""):
    """A facts object as a flat one, each leaf's key its dotted path."""
    out = {}
    for key, value in node.items():
        path = prefix + key
        if isinstance(value, dict):
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out


def main():
    engine, schema_path, query_path, facts_path = sys.argv[1:5]
    # `ENGINE-flat`: the table's columns are named by the facts' paths.
    if engine.endswith("-flat"):
        import tempfile

        engine = engine.removesuffix("-flat")
        flat = tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False)
        with open(facts_path) as lines, flat:
            for line in lines:
                if line.strip():
                    flat.write(json.dumps(flatten(json.loads(line))) + "\n")
        facts_path = flat.name
    if engine == "postgres":
        names, rows = postgres(schema_path, query_path, facts_path)
        print_rows(names, rows)
        return
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
    print_rows(names, rows)


def print_rows(names, rows):
    wanted = [i for i, n in enumerate(names) if n == "verdict_row" or n.endswith(("_decision", "_rule", "_error"))]
    picked = [{names[i]: row[i] for i in wanted} for row in rows]
    picked.sort(key=lambda r: r["verdict_row"])
    for row in picked:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
