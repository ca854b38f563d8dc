# bench/ids/lib.sh — sourced by bench/ids/run.sh and bench/ids/events.sh (from the repository
# root): the options, paths and preparation both share.
#
#   VX SHARED ET W     vxtap binary, ../shared, the ET Open rules, the work folder (gitignored)
#   SIZE BUILD         --size N (size of the bench capture when it is built, 300M) and --build
#   ids_opt "$@"       takes --size N / --build: sets OPT_WORDS to the words used (0: neither)
#   ids_prepare        cargo build --release with --build; suricata must be installed
#   ids_bench_capture  $BENCH = $W/bench.pcap, built once by make-bench-pcap --size $SIZE
#   ids_et_rules       $W/rules.rules: the ET Open rules vxtap enforces completely
#                      (`vxtap rules check $ET --write-loaded`); --if-missing keeps an existing one
VX=target/release/vxtap
SHARED=../shared
ET=$SHARED/rules/et-open
W=bench/work/ids
SIZE=300M
BUILD=0
BENCH=$W/bench.pcap

ids_opt() {
  case "$1" in
    --size) SIZE=$2; OPT_WORDS=2 ;;
    --build) BUILD=1; OPT_WORDS=1 ;;
    *) OPT_WORDS=0 ;;
  esac
}

ids_prepare() {
  if [ "$BUILD" = 1 ]; then cargo build --release; fi
  mkdir -p "$W"
  command -v suricata >/dev/null || { echo "suricata missing: $SHARED/tools/install-peers --only suricata" >&2; exit 2; }
}

ids_bench_capture() {
  if [ ! -s "$BENCH" ]; then
    echo "== building $BENCH (make-bench-pcap --size $SIZE)" >&2
    "$SHARED/tools/make-bench-pcap" "$BENCH" --size "$SIZE" >&2
    echo "$SIZE" > "$W/bench.size"
  fi
}

ids_et_rules() {
  if [ "${1:-}" = --if-missing ] && [ -s "$W/rules.rules" ]; then return 0; fi
  "$VX" rules check "$ET" --write-loaded "$W/rules.rules" --json > "$W/check.json" || true
}
