#!/usr/bin/env bash
# Inflate alone with each of flate2's backends: zlib-rs (pure Rust, what
# vxtap uses), zlib-ng (C, built with cmake) and miniz_oxide (pure Rust, its
# default), on the flow-log bench object made by bench/flowlogs/run.sh, each
# with flate2's runtime_detection as in vxtap (zlib-rs's AVX2 inflate,
# PCLMULQDQ CRC-32); and libdeflate (C, crate libdeflater, built by cc),
# which inflates whole buffers only: the object in one call into one
# buffer of its full size, allocated per pass (`libdeflate`) or kept for all
# passes (`libdeflate-reuse`: no page faults after the first pass); and
# ISA-L's igzip (crate isal-rs, bundled sources built by autotools and nasm),
# streamed through its io::Read gzip decoder as vxtap does. Prints
# CPU seconds (user+sys) per pass of each backend, RUNS alternating runs of
# PASSES passes, and their medians.
#
#   bench/flowlogs/inflate.sh          # needs cmake and a C compiler for zlib-ng
#   RUNS=5 PASSES=5 bench/flowlogs/inflate.sh
#   BACKENDS="zlib-rs miniz-oxide libdeflate" bench/flowlogs/inflate.sh   # without cmake
#   BACKENDS="zlib-rs isal" bench/flowlogs/inflate.sh   # needs nasm, autoconf, automake, libtool
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
PASSES=${PASSES:-5}
BACKENDS=${BACKENDS:-"zlib-rs isal zlib-ng miniz-oxide libdeflate libdeflate-reuse"}
GZ=$(find bench/work/flowlogs/one -name '*.log.gz' | head -1)
[ -n "$GZ" ] || { echo "run bench/flowlogs/run.sh first (it makes the object)" >&2; exit 1; }
feature() { echo "${1%-reuse}"; }
for backend in $BACKENDS; do
  CARGO_TARGET_DIR=bench/work/inflate-$(feature "$backend") cargo build --release --quiet \
    --manifest-path bench/flowlogs/inflate/Cargo.toml --features "$(feature "$backend")"
done
echo "object: $GZ ($(stat -c %s "$GZ") bytes); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A ALL
for _ in $(seq 1 "$RUNS"); do
  for backend in $BACKENDS; do
    t=$(mktemp)
    reuse=()
    [ "$backend" = "${backend%-reuse}" ] || reuse=(env REUSE=1)
    /usr/bin/time -f "%U %S" -o "$t" "${reuse[@]}" bench/work/inflate-$(feature "$backend")/release/inflate-bench "$GZ" "$PASSES" >/dev/null
    ALL[$backend]+="$(awk -v p="$PASSES" '{printf "%.3f", ($1 + $2) / p}' "$t") "
    rm -f "$t"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
for backend in $BACKENDS; do
  med=$(echo "${ALL[$backend]}" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  echo "$backend: CPU s per pass: ${ALL[$backend]}(median $med)"
done
