#!/usr/bin/env bash
# bench/ids/probes.sh — where vxtap's packet/stream inspection differs from Suricata 7.0.10's,
# capture by capture: both engines replay each capture with the same probe rules
# (bench/ids/probes.rules, or RULES=FILE), and their alerts are compared by
# (sid, pcap_cnt, pkt_src). Not a timed benchmark: a fidelity survey.
#
#   bench/ids/probes.sh                          # every capture of ../shared/pcaps/plain
#   bench/ids/probes.sh CAPTURE...               # these captures
#   RULES=tests/data/ids/tls-stream/probe.rules bench/ids/probes.sh ...
#
# Prints one line per capture: EQUAL and the alert count, or both counts, the
# number of differing keys and the first few ((sid, pcap_cnt, pkt_src), suricata, vxtap);
# then the number of equal captures. Needs suricata and target/release/vxtap.
set -euo pipefail
cd "$(dirname "$0")/../.."
VX=${VX:-target/release/vxtap}
RULES=${RULES:-bench/ids/probes.rules}
[ $# -gt 0 ] || set -- ../shared/pcaps/plain/*
equal=0; total=0
for f in "$@"; do
  d=$(mktemp -d); mkdir "$d/s" "$d/v"
  timeout 120 suricata -r "$f" -S "$RULES" -k none --runmode single -l "$d/s" >/dev/null 2>&1 || true
  timeout 120 "$VX" replay "$f" --rules "$RULES" --workers 1 --out "$d/v" --quiet >/dev/null 2>&1 || true
  line=$(python3 - "$d" "$f" <<'PY'
import collections, json, os, sys
d, f = sys.argv[1], sys.argv[2]
def keys(p):
    c = collections.Counter()
    try:
        for l in open(p):
            e = json.loads(l)
            if e.get("event_type") == "alert":
                c[(e["alert"]["signature_id"], e.get("pcap_cnt", (e.get("tunnel") or {}).get("pcap_cnt")), e.get("pkt_src"))] += 1
    except FileNotFoundError:
        pass
    return c
s, v = keys(d + "/s/eve.json"), keys(d + "/v/eve.json")
diff = [(k, s[k], v[k]) for k in sorted(set(s) | set(v), key=str) if s[k] != v[k]]
name = os.path.basename(f)
if diff:
    print(name, "suricata", sum(s.values()), "vxtap", sum(v.values()), "keys-differ", len(diff), diff[:4])
else:
    print(name, "EQUAL", sum(s.values()))
PY
)
  echo "$line"
  total=$((total + 1))
  case "$line" in *" EQUAL "*) equal=$((equal + 1)) ;; esac
  rm -rf "$d"
done
echo "equal: $equal of $total captures"
