#!/usr/bin/env python3
"""Bench input preparation for bench/correlate/run.sh (untimed):
split gen-flowlogs.py's one gzip file into AWS's S3 layout (one object per
5 minutes by `end`, as AWS delivers them, so `vxtap correlate` can stream),
write the same records as one Parquet file in AWS's schema (DuckDB's input),
and write a session config mapping the bench capture's VNIs 1-3 to three of
the generated interfaces.

Usage: prepare.py AWS_LOG_GZ OUT_DIR
"""
import collections
import datetime
import gzip
import os
import sys

import duckdb

src, out = sys.argv[1], sys.argv[2]
tree = os.path.join(out, "aws")
with gzip.open(src, "rt") as f:
    header = f.readline()
    names = header.split()
    i_end, i_if = names.index("end"), names.index("interface-id")
    slots = collections.defaultdict(list)
    enis = []
    for line in f:
        cols = line.split(" ")
        if cols[i_if] not in enis and len(enis) < 3:
            enis.append(cols[i_if])
        end = int(cols[i_end]) if cols[i_end] != "-" else 0
        slots[end // 300 * 300].append(line)
for n, (slot, lines) in enumerate(sorted(slots.items())):
    t = datetime.datetime.fromtimestamp(slot, datetime.timezone.utc)
    d = os.path.join(tree, "AWSLogs", "123456789012", "vpcflowlogs", "us-east-1", t.strftime("%Y/%m/%d"))
    os.makedirs(d, exist_ok=True)
    name = f"123456789012_vpcflowlogs_us-east-1_fl-0bench_{t.strftime('%Y%m%dT%H%MZ')}_{n:08x}.log.gz"
    with gzip.open(os.path.join(d, name), "wt", compresslevel=6) as g:
        g.write(header)
        g.writelines(lines)
ints32 = {"version", "srcport", "dstport", "protocol"}
ints64 = {"packets", "bytes", "start", "end"}
cols = ", ".join(
    f'CAST("{c}" AS {"INTEGER" if c in ints32 else "BIGINT" if c in ints64 else "VARCHAR"}) AS "{c.replace("-", "_")}"'
    for c in names)
duckdb.sql(f"COPY (SELECT {cols} FROM read_csv('{src}', delim=' ', header=true, nullstr='-', all_varchar=true)) "
           f"TO '{os.path.join(out, 'aws.parquet')}' (FORMAT PARQUET, COMPRESSION GZIP)")
with open(os.path.join(out, "sessions.toml"), "w") as f:
    for vni, eni in enumerate(enis, 1):
        f.write(f'[[session]]\nvni = {vni}\naccount-id = "123456789012"\ninterface-id = "{eni}"\nregion = "us-east-1"\n\n')
print(f"prepare: {len(slots)} S3 objects, interfaces {enis}")
