#!/usr/bin/env bash
# Same-load A/B of two vxtap builds on the flow-log bench object (made by
# bench/flowlogs/run.sh): the two binaries run alternately RUNS times per
# command under GNU time; prints each run and the median wall and CPU
# (user+sys) of each binary per command.
#
#   bench/flowlogs/ab.sh OLD_BIN NEW_BIN
#   RUNS=9 CMDS="count json" bench/flowlogs/ab.sh a/vxtap b/vxtap
#
# A binary of another commit: `git worktree add /tmp/old COMMIT && cargo
# build --release --manifest-path /tmp/old/Cargo.toml`.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -eq 2 ] || { echo "usage: $0 OLD_BIN NEW_BIN" >&2; exit 2; }
RUNS=${RUNS:-9}
CMDS=${CMDS:-"count json stats count-1core count-text"}
TREE=bench/work/flowlogs/one
PLAIN=bench/work/flowlogs/plain/one.log
[ -d "$TREE" ] || { echo "run bench/flowlogs/run.sh first (it makes the object)" >&2; exit 1; }
if [ ! -f "$PLAIN" ]; then
  mkdir -p "$(dirname "$PLAIN")"
  find "$TREE" -name '*.log.gz' -exec zcat {} + >"$PLAIN"
fi
args() {
  case $1 in
    count) echo "flowlogs parse -j1 --count $TREE" ;;
    json) echo "flowlogs parse -j1 --json $TREE" ;;
    stats) echo "flowlogs stats -j1 $TREE" ;;
    count-1core) echo "flowlogs parse -j1 --count $TREE" ;;
    count-text) echo "flowlogs parse -j1 --count $PLAIN" ;;
    *) echo "unknown command $1" >&2; exit 2 ;;
  esac
}
median() { sort -g | awk '{a[NR]=$1} END{print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "old: $1"
echo "new: $2"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for c in $CMDS; do
  pin=""
  [ "$c" = count-1core ] && pin="taskset -c 0"
  : >/tmp/ab.$$.old
  : >/tmp/ab.$$.new
  for _ in $(seq 1 "$RUNS"); do
    for side in old new; do
      bin=$1
      [ $side = new ] && bin=$2
      # shellcheck disable=SC2046
      /usr/bin/time -f "%e %U %S" -o /tmp/ab.$$.t $pin "$bin" $(args "$c") >/dev/null 2>&1 || true
      awk '{printf "%s %.2f\n", $1, $2 + $3}' /tmp/ab.$$.t >>/tmp/ab.$$.$side
    done
  done
  for side in old new; do
    w=$(cut -d' ' -f1 /tmp/ab.$$.$side | median)
    u=$(cut -d' ' -f2 /tmp/ab.$$.$side | median)
    echo "$c $side: median wall $w s, CPU $u s   (wall/CPU: $(tr '\n' ',' </tmp/ab.$$.$side | sed 's/,$//'))"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f /tmp/ab.$$.*
