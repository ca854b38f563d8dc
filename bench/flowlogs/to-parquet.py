#!/usr/bin/env python3
"""Writes a text flow-log object (header line, space-separated) as a Parquet
object in AWS's flow-log schema: columns named as the fields with `-` -> `_`,
INT32/INT64/STRING as AWS documents them, `-` as NULL, Gzip compression inside
the file (as AWS delivers Parquet), Parquet format 1.0 with PLAIN encoding
like ../shared/flowlogs/s3-example's object (flowlogs_reader's Parquet reader
does not read dictionary pages). Used by bench/flowlogs/run.sh (PARQUET=1).

    python3 bench/flowlogs/to-parquet.py TEXT OUT.log.parquet

Needs pyarrow.
"""
import sys

import pyarrow as pa
import pyarrow.csv as pc
import pyarrow.parquet as pq

INT32 = {"version", "srcport", "dstport", "protocol", "tcp_flags", "traffic_path"}
INT64 = {"packets", "bytes", "start", "end"}


def main(src, out):
    with open(src) as f:
        names = f.readline().split()
    cols = [n.replace("-", "_") for n in names]
    types = {c: pa.int32() if c in INT32 else pa.int64() if c in INT64 else pa.string() for c in cols}
    table = pc.read_csv(
        src,
        read_options=pc.ReadOptions(column_names=cols, skip_rows=1),
        parse_options=pc.ParseOptions(delimiter=" "),
        convert_options=pc.ConvertOptions(column_types=types, null_values=["-"], strings_can_be_null=True),
    )
    pq.write_table(table, out, compression="gzip", use_dictionary=False, version="1.0", data_page_version="1.0")
    print(f"{out}: {table.num_rows} rows, {len(cols)} columns")


if __name__ == "__main__":
    main(*sys.argv[1:])
