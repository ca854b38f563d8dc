#!/usr/bin/env bash
# The flow-log fast path alone (src/flowlogs/fast.rs, addr.rs) over the
# bench object's 1M lines in memory, thread CPU time per line; see
# bench/flowlogs/fastpath/src/main.rs. The uncompressed text is made by
# bench/flowlogs/run.sh (or ab.sh).
#
#   bench/flowlogs/fastpath.sh            # 7 rounds
#   V=iae bench/flowlogs/fastpath.sh 5    # every column typed as text
set -euo pipefail
cd "$(dirname "$0")/../.."
PLAIN=bench/work/flowlogs/plain/one.log
[ -f "$PLAIN" ] || { echo "run bench/flowlogs/run.sh first (it makes $PLAIN)" >&2; exit 1; }
CARGO_TARGET_DIR=bench/work/fastpath cargo build --release --quiet --manifest-path bench/flowlogs/fastpath/Cargo.toml
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
bench/work/fastpath/release/fastpath-bench "$PLAIN" "${1:-7}"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
