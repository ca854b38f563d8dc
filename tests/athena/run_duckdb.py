#!/usr/bin/env python3
"""Runs deploy/athena's SQL on DuckDB and requires the counts `vxtap correlate`
gives on the same data: vxtap's Parquet output (of the derived test's
filtered capture) against AWS's Parquet logs (the derived test's, written in
AWS's schema by pyarrow, plus AWS's sample ../shared/flowlogs/s3-example).
Also checks that tables.sql's column types are those of both datasets'
Parquet files.

Usage: run_duckdb.py --vxtap BIN --work DIR
"""
import argparse
import collections
import glob
import json
import os
import re
import subprocess
import sys

import duckdb
import pyarrow.parquet as pq

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "correlate"))
import derived  # noqa: E402

SAMPLE = "tests/data/flowlogs/s3-example"
TYPES = {("INT32", "None"): "int", ("INT64", "None"): "bigint", ("BYTE_ARRAY", "String"): "string"}


def fail(msg):
    print(f"athena-duckdb: FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


def ddl_columns(text):
    tables = {}
    for m in re.finditer(r"CREATE EXTERNAL TABLE IF NOT EXISTS (\w+) \((.*?)\)\s*PARTITIONED", text, re.S):
        tables[m.group(1)] = dict(re.findall(r"`(\w+)` (\w+)", m.group(2)))
    return tables


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vxtap", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    d = derived.derive(a.vxtap, a.work)
    aws_files = sorted(glob.glob(os.path.join(d["aws_parquet"], "**", "*.parquet"), recursive=True))
    aws_files += sorted(glob.glob(os.path.join(SAMPLE, "**", "*.parquet"), recursive=True))
    obs_files = sorted(glob.glob(os.path.join(d["observed_parquet"], "**", "*.parquet"), recursive=True))
    if len(aws_files) < 2 or not obs_files:
        fail("missing Parquet inputs")

    ddl = ddl_columns(open("deploy/athena/tables.sql").read())
    for table, files in (("vpc_flow_logs", aws_files), ("vxtap_flow_logs", obs_files)):
        cols = ddl.get(table) or fail(f"{table} not in tables.sql")
        for f in files:
            for c in pq.ParquetFile(f).schema:
                t = TYPES.get((str(c.physical_type), str(c.logical_type)))
                if cols.get(c.name) != t:
                    fail(f"{f}: column {c.name} ({c.physical_type}) is `{cols.get(c.name)}` in tables.sql, want `{t}`")

    report = os.path.join(a.work, "report-parquet")
    args = [a.vxtap, "correlate", "--quiet", "--config", d["config"], "--report", report,
            "--flowlogs", *aws_files, "--observed", d["observed_parquet"]]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"vxtap correlate exited {p.returncode}: {p.stderr}")
    s = json.load(open(os.path.join(report, "summary.json")))

    con = duckdb.connect()
    lit = lambda fs: "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in fs) + "]"
    con.execute(f"CREATE VIEW vpc_flow_logs AS SELECT * FROM read_parquet({lit(aws_files)}, union_by_name = true, hive_partitioning = false)")
    con.execute(f"CREATE VIEW vxtap_flow_logs AS SELECT * FROM read_parquet({lit(obs_files)}, hive_partitioning = false)")
    sql = open("deploy/athena/correlate.sql").read()
    rows = con.execute(sql).fetchall()

    total = collections.Counter()
    per = collections.defaultdict(collections.Counter)
    reasons = collections.defaultdict(collections.Counter)
    for category, iface, reason, n in rows:
        total[category] += n
        per[iface][category] += n
        if reason:
            reasons[category][reason] += n
    for k in ("matched", "logged_not_mirrored", "mirrored_not_logged", "rejected"):
        if total[k] != s[k]:
            fail(f"{k}: SQL {total[k]}, vxtap correlate {s[k]}")
    for iface, counts in s["interfaces"].items():
        for k in ("matched", "logged_not_mirrored", "mirrored_not_logged", "rejected"):
            if per[iface][k] != counts[k]:
                fail(f"{iface} {k}: SQL {per[iface][k]}, vxtap correlate {counts[k]}")
    lnm = collections.Counter(s["logged_not_mirrored_reasons"])
    merged = lnm.pop("mirror-filter", 0) + lnm.pop("unknown", 0)
    if merged:
        lnm["mirror-filter-or-unknown"] = merged
    if reasons["logged_not_mirrored"] != lnm:
        fail(f"logged_not_mirrored reasons: SQL {dict(reasons['logged_not_mirrored'])}, vxtap {dict(lnm)}")
    if reasons["mirrored_not_logged"] != collections.Counter(s["mirrored_not_logged_reasons"]):
        fail(f"mirrored_not_logged reasons: SQL {dict(reasons['mirrored_not_logged'])}, vxtap {s['mirrored_not_logged_reasons']}")
    if s["matched"] == 0 or s["logged_not_mirrored"] == 0 or s["mirrored_not_logged"] == 0 or s["rejected"] == 0:
        fail(f"a category is empty, the comparison would prove little: {total}")
    print(f"athena-duckdb: ok: SQL and vxtap correlate agree: {dict(total)}; "
          f"{len(s['interfaces'])} interfaces; reasons {dict(reasons['logged_not_mirrored'])} / "
          f"{dict(reasons['mirrored_not_logged'])}")


if __name__ == "__main__":
    main()
