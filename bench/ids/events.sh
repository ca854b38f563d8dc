#!/usr/bin/env bash
# bench/ids/events.sh — IDS alert comparison with the event rules: vxtap against Suricata 7.0.10,
# per sid, same capture, same rule file, same HOME_NET (issue 8: ≥ 99 % of alerts equal).
#
#   bench/ids/events.sh                    # the bench capture (bench/work/ids/bench.pcap)
#   bench/ids/events.sh --samples          # plus ../shared captures with HTTP/DNS/TLS anomalies
#   bench/ids/events.sh PCAP...            # these captures instead of the bench capture
#   bench/ids/events.sh --build            # cargo build --release first
#   bench/ids/events.sh --size 300M        # size of the bench capture when it is built [300M]
#
# Rules (bench/work/ids/events/rules.rules, one file for both engines): the ET Open rules vxtap
# enforces completely (`vxtap rules check ../shared/rules/et-open --write-loaded`, as run.sh) plus
# the rules vxtap loads from Suricata's own app-layer-events, http-events, dns-events and
# tls-events rules (`vxtap rules check FILE --write-loaded`; how many of each load is printed).
# Engines: `vxtap replay --rules R --workers 1` and Suricata through ../shared/tools/oracle-alerts
# (`suricata -r --runmode single -k none`, /etc/suricata/suricata.yaml, HOME_NET
# [192.168.0.0/16,10.0.0.0/8,172.16.0.0/12] = vxtap's default), both eve.json alert events counted
# by the same oracle-alerts --eve code.
# Output per capture: the per-sid table (sid, msg, vxtap, suricata; sids where either alerted), the
# totals and the share of alerts equal, defined as
#   agreement = Σ_sid min(vxtap, suricata) / Σ_sid max(vxtap, suricata)
# (1.0 only when every sid has the same count; an extra and a missing alert both count against),
# and the simple ratio Σ vxtap / Σ suricata. Written to bench/work/ids/events/results.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

. bench/ids/lib.sh
SAMPLES=0
declare -a PCAPS=()
while [ $# -gt 0 ]; do
  ids_opt "$@"
  if [ "$OPT_WORDS" -gt 0 ]; then shift "$OPT_WORDS"; continue; fi
  case "$1" in
    --samples) SAMPLES=1; shift ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) PCAPS+=("$1"); shift ;;
  esac
done
ids_prepare
SURIRULES=$SHARED/rules/suricata
ORACLE=$SHARED/tools/oracle-alerts
E=$W/events
mkdir -p "$E"

if [ ${#PCAPS[@]} -eq 0 ]; then
  ids_bench_capture
  PCAPS=("$BENCH")
fi
if [ "$SAMPLES" = 1 ]; then
  # Captures where Suricata raises HTTP / DNS / TLS app-layer events (non-empty event counts).
  for c in plain/sv-http-range-file.pcap plain/sv-http-mime-truncated.pcap \
           plain/sv-file-match-crossed_http-multipart-post.pcap \
           plain/sv-http-post-data-decompression.pcap plain/cs-http_espn.pcapng \
           plain/sv-bug-1450-04_tls_DER-incomplete-header.pcap plain/sv-dns-tcp-ts-gap.pcap; do
    [ -s "$SHARED/pcaps/$c" ] && PCAPS+=("$SHARED/pcaps/$c")
  done
  for d in "$SHARED"/acceptance/*/; do
    if grep -qs 'app-layer-event' "$d/test.rules" && [ -s "$d/input.pcap" ]; then
      PCAPS+=("$d/input.pcap")
    fi
  done
fi

# The rule file: ET rules vxtap enforces + what vxtap loads of the four event files.
R=$E/rules.rules
ids_et_rules --if-missing
cp "$W/rules.rules" "$R"
declare -a LOADLINES=()
for f in app-layer-events http-events dns-events tls-events; do
  "$VX" rules check "$SURIRULES/$f.rules" --classification "$ET/classification.config" \
    --write-loaded "$E/$f.loaded" --json > "$E/$f.check.json" || true
  LOADLINES+=("$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print("%s.rules: %d of %d loaded, %d unsupported, %d failed" % (sys.argv[2], d["loaded"], d["total"], d["unsupported"], d["failed"]))' "$E/$f.check.json" "$f")")
  cat "$E/$f.loaded" >> "$R"
done
cp "$ET/classification.config" "$E/classification.config"
NET=$(grep -c '^alert\|^pass\|^drop\|^reject' "$W/rules.rules" || true)
NALL=$(grep -c '^alert\|^pass\|^drop\|^reject' "$R" || true)
SETS=(--set "classification-file=$E/classification.config"
      --set "reference-config-file=$SURIRULES/reference.config")

{
  echo "### IDS alerts with the event rules, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "* rules: \`$R\`, $NALL rules: $NET ET Open rules vxtap enforces (\`vxtap rules check $ET --write-loaded\`) and"
  for l in "${LOADLINES[@]}"; do echo "  * $l (\`vxtap rules check $SURIRULES/${l%%.rules*}.rules --write-loaded\`)"; done
  echo "* vxtap: \`$VX replay PCAP --rules $R --workers 1\`; Suricata: \`$ORACLE PCAP -S $R\` (suricata -r --runmode single -k none, /etc/suricata/suricata.yaml)"
  echo "* agreement = Σ min(vxtap, suricata) / Σ max(vxtap, suricata) over sids; ratio = Σ vxtap / Σ suricata"
  echo
} > "$E/results.md"

n=0
for P in "${PCAPS[@]}"; do
  n=$((n + 1))
  name=$(basename "$(dirname "$P")")/$(basename "$P")
  O=$E/run.$n
  rm -rf "$O" && mkdir -p "$O/vx" "$O/suri"
  echo "== $name" >&2
  "$VX" replay "$P" --rules "$R" --out "$O/vx" --workers 1 -q > "$O/vx.log" 2>&1 \
    || { echo "vxtap failed on $P: see $O/vx.log" >&2; tail -3 "$O/vx.log" >&2; }
  "$ORACLE" "$P" -S "$R" -q --keep-logs "$O/suri" "${SETS[@]}" > "$O/suri.json" 2> "$O/suri.log" \
    || { echo "oracle-alerts failed on $P: see $O/suri.log" >&2; tail -3 "$O/suri.log" >&2; }
  "$ORACLE" --eve "$O/vx/eve.json" > "$O/vx.json" 2>/dev/null || echo '{"sids":{}}' > "$O/vx.json"
  python3 - "$name" "$O/vx.json" "$O/suri.json" "$R" <<'PY' | tee -a "$E/results.md"
import json, re, sys
name, vxf, suf, rules = sys.argv[1:]
def sids(p):
    try:
        return {int(k): v for k, v in json.load(open(p)).get("sids", {}).items()}
    except (OSError, ValueError):
        return {}
vx, su = sids(vxf), sids(suf)
msg = {}
for line in open(rules, encoding="utf-8", errors="replace"):
    m = re.search(r'msg\s*:\s*"((?:[^"\\]|\\.)*)"', line)
    s = re.search(r'(?:^|[;(\s])sid\s*:\s*(\d+)\s*;', line)
    if m and s:
        msg[int(s.group(1))] = m.group(1)
allsids = sorted(set(vx) | set(su))
tv, ts = sum(vx.values()), sum(su.values())
mn = sum(min(vx.get(s, 0), su.get(s, 0)) for s in allsids)
mx = sum(max(vx.get(s, 0), su.get(s, 0)) for s in allsids)
diff = [s for s in allsids if vx.get(s, 0) != su.get(s, 0)]
print(f"#### {name}")
print()
print("| sid | msg | vxtap | suricata |")
print("|---:|---|---:|---:|")
for s in allsids:
    mark = "" if vx.get(s, 0) == su.get(s, 0) else " **≠**"
    print(f"| {s} | {msg.get(s, '?')[:70]} | {vx.get(s, 0)} | {su.get(s, 0)}{mark} |")
print()
agree = mn / mx if mx else 1.0
ratio = tv / ts if ts else (1.0 if tv == 0 else float("inf"))
print(f"totals: vxtap {tv}, suricata {ts}; {len(allsids)} sids alerted, {len(diff)} differ; "
      f"agreement {agree:.4f} ({mn} of {mx}); ratio {ratio:.4f}")
print()
with open(sys.argv[2] + ".sum", "w") as fh:
    fh.write(f"{tv} {ts} {mn} {mx} {len(diff)}\n")
PY
done
if [ "$n" -gt 1 ]; then
  cat "$E"/run.*/vx.json.sum | awk '{v += $1; s += $2; mn += $3; mx += $4; d += $5}
    END {printf "all %d captures: vxtap %d, suricata %d alerts; agreement %.4f (%d of %d); ratio %.4f; %d differing (capture, sid) pairs\n",
         NR, v, s, (mx ? mn / mx : 1), mn, mx, (s ? v / s : 1), d}' | tee -a "$E/results.md"
fi
echo "(written to $E/results.md)" >&2
