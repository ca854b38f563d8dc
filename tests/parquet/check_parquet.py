#!/usr/bin/env python3
"""Checks vxtap's Parquet objects against AWS's Parquet flow-log schema with
independent readers (pyarrow, DuckDB):

1. every column of vxtap's objects that AWS also writes has AWS's name and
   type (the AWS sample under ../shared/flowlogs/s3-example is the oracle);
2. the AWS sample and vxtap's objects load into one DuckDB table (vxtap's
   rows inserted BY NAME into a table created from AWS's sample);
3. vxtap's Parquet rows equal its gzip text records (same run, --output-format
   both), `-` read as NULL, integers as integers;
4. Hive partition directories are read as partition columns by DuckDB.

Usage: check_parquet.py VXTAP_OUT_DIR AWS_SAMPLE_DIR
Exits non-zero with a message on the first difference.
"""
import glob
import gzip
import os
import sys

import duckdb
import pyarrow.parquet as pq


def fail(msg):
    print("check_parquet: " + msg, file=sys.stderr)
    sys.exit(1)


def files(root, suffix):
    return sorted(glob.glob(os.path.join(root, "**", "*" + suffix), recursive=True))


def type_of(field):
    return (str(field.physical_type), str(field.logical_type))


def main():
    out, sample = sys.argv[1], sys.argv[2]
    ours = files(out, ".log.parquet")
    theirs = files(sample, ".log.parquet")
    texts = files(out, ".log.gz")
    if not ours or not theirs or not texts:
        fail(f"missing inputs: {len(ours)} vxtap parquet, {len(theirs)} AWS parquet, {len(texts)} vxtap text")

    aws_schema = {c.name: type_of(c) for c in pq.ParquetFile(theirs[0]).schema}
    shared = 0
    for f in ours:
        pf = pq.ParquetFile(f)
        for c in pf.schema:
            if c.name in aws_schema:
                shared += 1
                if type_of(c) != aws_schema[c.name]:
                    fail(f"{f}: column {c.name} is {type_of(c)}, AWS writes {aws_schema[c.name]}")
            elif "-" in c.name:
                fail(f"{f}: column {c.name} keeps a '-' (AWS writes '_')")
        if pf.schema.column(0).max_definition_level != 1:
            fail(f"{f}: columns must be optional (NULL for '-')")
    if shared == 0:
        fail("no column shared with AWS's sample")

    con = duckdb.connect()
    con.execute("CREATE TABLE flows AS SELECT * FROM read_parquet(?)", [theirs])
    n_aws = con.execute("SELECT count(*) FROM flows").fetchone()[0]
    aws_cols = [r[0] for r in con.execute("DESCRIBE flows").fetchall()]
    # vxtap's extra columns (vni, community_id, …) are added to the table,
    # AWS's rows then read NULL there: one table for both.
    our_desc = con.execute("DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning=false)", [ours]).fetchall()
    for name, typ, *_rest in our_desc:
        if name not in aws_cols:
            con.execute(f'ALTER TABLE flows ADD COLUMN "{name}" {typ}')
    con.execute("INSERT INTO flows BY NAME SELECT * FROM read_parquet(?, hive_partitioning=false)", [ours])
    n_all = con.execute("SELECT count(*) FROM flows").fetchone()[0]

    # The text records of the same run, typed like the Parquet columns.
    int_cols = {r[0] for r in con.execute("DESCRIBE flows").fetchall() if r[1] in ("INTEGER", "BIGINT")}
    want = []
    for f in texts:
        with gzip.open(f, "rt") as fh:
            header = fh.readline().split()
            names = [h.replace("-", "_") for h in header]
            for line in fh:
                vals = line.rstrip("\n").split(" ")
                row = []
                for n, v in zip(names, vals):
                    row.append(None if v == "-" else int(v) if n in int_cols else v)
                want.append(tuple(row))
    if n_all - n_aws != len(want):
        fail(f"table has {n_all - n_aws} vxtap rows, the text objects {len(want)} records")
    cols = ", ".join(f'"{n}"' for n in names)
    got = con.execute(f"SELECT {cols} FROM read_parquet(?, hive_partitioning=false)", [ours]).fetchall()
    if sorted(got, key=repr) != sorted(want, key=repr):
        diff = set(got) ^ set(want)
        fail(f"Parquet rows differ from the text records, e.g. {sorted(diff, key=repr)[:3]}")

    hive = con.execute("DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning=true)", [ours]).fetchall()
    hive_cols = {r[0] for r in hive}
    if "/aws-service=vpcflowlogs/" in ours[0]:
        for p in ("aws-account-id", "aws-service", "aws-region", "year", "month", "day"):
            if p not in hive_cols:
                fail(f"partition column {p} not seen by DuckDB in {ours[0]}")
    print(f"check_parquet: ok: {len(ours)} vxtap objects, {len(want)} rows, {shared} column(s) typed as AWS's, "
          f"one table with {n_aws} AWS + {n_all - n_aws} vxtap rows")


if __name__ == "__main__":
    main()
