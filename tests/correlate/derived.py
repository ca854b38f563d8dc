#!/usr/bin/env python3
"""The derived correlation test (issue 9): real mirror captures, vxtap's own
records, and "AWS" flow logs derived from them with planted differences. The
report of `vxtap correlate` must find exactly the planted differences and no
others. Every expectation below is computed by this script from what it
planted; nothing is typed in after running vxtap.

Planted (all in AWS's logs unless said otherwise):
  * mirror-filter gap: the capture is filtered (inner UDP port 53 removed,
    in Python, before vxtap sees it) and the config gets a [[mirror-filter]]
    whose rules reject UDP port 53; AWS still logs those flows;
  * REJECTed flows added (external sources, v8 reject-reason on some);
  * a NODATA window: one interface's records of one minute replaced by one
    NODATA record (vxtap saw that traffic: mirrored, not logged);
  * AWS's clock 30 s ahead of vxtap's on every record;
  * bytes 3 % higher on every AWS record;
  * some records with start/end in milliseconds (must still match);
  * an interface that is not mirrored at all (its records copied from a
    mirrored one, under another interface id);
  * one malformed line (counted, located, skipped; exit code 1);
  * EVE alerts: some on logged flows (enriched with the interface's VPC and
    action), one on a flow AWS never logged (not enriched).

Usage: derived.py --vxtap BIN --work DIR
Also importable: `derive(vxtap, work)` returns the paths and expectations
(tests/athena/run_duckdb.py reuses them).
"""
import argparse
import collections
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys

CAPTURE = "tests/data/pcaps/mirror/mirror-multisession.pcap"
ACCOUNT = "123456789012"
REGION = "us-east-1"
TOLERANCE = 60
SHIFT = 30
BYTES_FACTOR = 1.03
ENIS = {1: "eni-0a000000000000001", 2: "eni-0b000000000000002", 3: "eni-0c000000000000003"}
NOT_MIRRORED = "eni-0d000000000000099"
VPC = {ENIS[1]: "vpc-0aaa", ENIS[2]: "vpc-0aaa", ENIS[3]: "vpc-0bbb", NOT_MIRRORED: "vpc-0ccc"}
AWS_FORMAT = ["version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
              "protocol", "packets", "bytes", "start", "end", "action", "log-status", "vpc-id",
              "subnet-id", "instance-id", "az-id", "reject-reason"]
INT_FIELDS = {"version", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end"}


class PlantError(Exception):
    pass


def run(cmd, ok=(0,)):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode not in ok:
        raise PlantError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr[-2000:]}")
    return p


# --- the mirror filter, applied to the capture ------------------------------

def is_dns_udp(inner):
    """Inner Ethernet frame of a mirrored packet: (drop?, fragment id key).
    UDP with port 53 on either side, first fragments included; later
    fragments are handled through the id of their first fragment."""
    off = 12
    et = struct.unpack_from("!H", inner, off)[0]
    while et in (0x8100, 0x88A8) and len(inner) >= off + 6:
        off += 4
        et = struct.unpack_from("!H", inner, off)[0]
    ip = inner[off + 2:]
    if et == 0x0800 and len(ip) >= 20:
        ihl = (ip[0] & 15) * 4
        proto = ip[9]
        flags_off = struct.unpack_from("!H", ip, 6)[0]
        frag_off = flags_off & 0x1FFF
        mf = flags_off & 0x2000
        fid = ("4", ip[12:16], ip[16:20], struct.unpack_from("!H", ip, 4)[0])
        if proto != 17:
            return False, None
        if frag_off == 0 and len(ip) >= ihl + 4:
            sp, dp = struct.unpack_from("!HH", ip, ihl)
            return 53 in (sp, dp), (fid if mf else None)
        return None, fid
    if et == 0x86DD and len(ip) >= 40:
        nh, pos = ip[6], 40
        fid = None
        if nh == 44 and len(ip) >= 48:
            nh = ip[40]
            frag_off = struct.unpack_from("!H", ip, 42)[0] >> 3
            fid = ("6", ip[8:24], ip[24:40], ip[44:48])
            pos = 48
            if frag_off != 0:
                return None, fid
        if nh == 17 and len(ip) >= pos + 4:
            sp, dp = struct.unpack_from("!HH", ip, pos)
            return 53 in (sp, dp), fid
    return False, None


def filter_capture(src, dst):
    """Copies a classic pcap of VXLAN-mirrored Ethernet frames without the
    packets a mirror filter rejecting UDP port 53 would not mirror."""
    data = open(src, "rb").read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    out = [data[:24]]
    pos, dropped, kept = 24, 0, 0
    dropped_frags = set()
    while pos + 16 <= len(data):
        incl = struct.unpack_from(endian + "I", data, pos + 8)[0]
        frame = data[pos + 16: pos + 16 + incl]
        rec = data[pos: pos + 16 + incl]
        pos += 16 + incl
        drop = False
        # outer Ethernet / IPv4 / UDP 4789 / VXLAN
        if len(frame) > 14 + 20 + 8 + 8 + 14 and frame[12:14] == b"\x08\x00" and frame[23] == 17:
            ihl = (frame[14] & 15) * 4
            udp = 14 + ihl
            if struct.unpack_from("!H", frame, udp + 2)[0] == 4789:
                verdict, fid = is_dns_udp(frame[udp + 16:])
                if verdict is None:
                    drop = fid in dropped_frags
                else:
                    drop = verdict
                    if drop and fid is not None:
                        dropped_frags.add(fid)
        if drop:
            dropped += 1
        else:
            kept += 1
            out.append(rec)
    with open(dst, "wb") as f:
        f.write(b"".join(out))
    return kept, dropped


# --- vxtap's records --------------------------------------------------------

def read_text_tree(root):
    recs = []
    for d, _, names in os.walk(root):
        for n in sorted(names):
            if not n.endswith(".log.gz"):
                continue
            with gzip.open(os.path.join(d, n), "rt") as f:
                header = f.readline().split()
                for line in f:
                    r = dict(zip(header, line.rstrip("\n").split(" ")))
                    for k in INT_FIELDS & r.keys():
                        if r[k] != "-":
                            r[k] = int(r[k])
                    recs.append(r)
    return recs


def key(r):
    return (r["interface-id"], int(r["protocol"]), r["srcaddr"], r["dstaddr"], int(r["srcport"]), int(r["dstport"]))


def overlaps(a, b, tol=TOLERANCE):
    return a["start"] <= b["end"] + tol and b["start"] <= a["end"] + tol


def is_dns(r):
    return r["protocol"] == 17 and 53 in (r["srcport"], r["dstport"])


def config_text():
    lines = []
    for vni, eni in ENIS.items():
        lines += ["[[session]]", f"vni = {vni}", f'account-id = "{ACCOUNT}"', f'interface-id = "{eni}"',
                  f'vpc-id = "{VPC[eni]}"', f'subnet-id = "subnet-0{vni}"', f'instance-id = "i-0{vni}"',
                  f'az-id = "use1-az{vni}"', f'region = "{REGION}"', 'flow-log-id = "fl-0vxtap"', ""]
    lines += ["[[mirror-filter]]", 'id = "tmf-0nodns"']
    n = 0
    for direction in ("ingress", "egress"):
        for side in ("source-port-range", "destination-port-range"):
            n += 10
            lines += ["[[mirror-filter.rule]]", f"rule-number = {n}", f'traffic-direction = "{direction}"',
                      'rule-action = "reject"', "protocol = 17", f"{side} = [53, 53]", ""]
        lines += ["[[mirror-filter.rule]]", "rule-number = 1000", f'traffic-direction = "{direction}"',
                  'rule-action = "accept"', ""]
    return "\n".join(lines) + "\n"


def aws_row(r, eni, **over):
    vni = next((v for v, e in ENIS.items() if e == eni), 9)
    row = {"version": 8, "account-id": ACCOUNT, "interface-id": eni, "srcaddr": r["srcaddr"],
           "dstaddr": r["dstaddr"], "srcport": r["srcport"], "dstport": r["dstport"], "protocol": r["protocol"],
           "packets": r["packets"], "bytes": int(round(r["bytes"] * BYTES_FACTOR)),
           "start": r["start"] + SHIFT, "end": r["end"] + SHIFT, "action": "ACCEPT", "log-status": "OK",
           "vpc-id": VPC[eni], "subnet-id": f"subnet-0{vni}", "instance-id": f"i-0{vni}",
           "az-id": f"use1-az{vni}", "reject-reason": None}
    row.update(over)
    return row


def write_aws(rows, root, bad_line, parquet_root=None):
    """AWS's S3 layout: gzip text with a header line, one object per 5
    minutes by `end`; optionally the same records as Parquet (AWS's schema)."""
    by_slot = collections.defaultdict(list)
    for r in rows:
        end = r["end"] // 1000 if r["end"] > 99_999_999_999 else r["end"]
        by_slot[end // 300 * 300].append(r)
    files = []
    import datetime
    for i, (slot, rs) in enumerate(sorted(by_slot.items())):
        t = datetime.datetime.fromtimestamp(slot, datetime.timezone.utc)
        d = os.path.join(root, "AWSLogs", ACCOUNT, "vpcflowlogs", REGION, t.strftime("%Y/%m/%d"))
        os.makedirs(d, exist_ok=True)
        name = f"{ACCOUNT}_vpcflowlogs_{REGION}_fl-0aws_{t.strftime('%Y%m%dT%H%MZ')}_{i:08x}.log.gz"
        path = os.path.join(d, name)
        lines = [" ".join(AWS_FORMAT)]
        for r in rs:
            lines.append(" ".join("-" if r[f] is None else str(r[f]) for f in AWS_FORMAT))
        if i == 1 and bad_line:
            lines.insert(3, bad_line)
        with gzip.open(path, "wt") as f:
            f.write("\n".join(lines) + "\n")
        files.append(path)
        if parquet_root:
            import pyarrow as pa
            import pyarrow.parquet as pq
            d2 = d.replace(root, parquet_root, 1)
            os.makedirs(d2, exist_ok=True)
            cols = {}
            for f in AWS_FORMAT:
                typ = pa.int64() if f in ("packets", "bytes", "start", "end") else \
                    pa.int32() if f in INT_FIELDS else pa.string()
                cols[f.replace("-", "_")] = pa.array([r[f] for r in rs], type=typ)
            pq.write_table(pa.table(cols), os.path.join(d2, name.replace(".log.gz", ".log.parquet")),
                           compression="gzip", use_dictionary=False)
    return files


def derive(vxtap, work):
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)
    cfg = os.path.join(work, "sessions.toml")
    with open(cfg, "w") as f:
        f.write(config_text())
    replay = [vxtap, "replay", "--config", cfg, "--interval", "60", "--quiet"]
    full_out = os.path.join(work, "full")
    run(replay + [CAPTURE, "--out", full_out])
    filtered = os.path.join(work, "filtered.pcap")
    kept, dropped = filter_capture(CAPTURE, filtered)
    if dropped == 0:
        raise PlantError("the capture has no UDP port 53 packet to filter")
    obs_text = os.path.join(work, "observed-text")
    obs_parquet = os.path.join(work, "observed-parquet")
    run(replay + [filtered, "--out", obs_text])
    run(replay + [filtered, "--out", obs_parquet, "--output-format", "parquet", "--hive-partitions"])

    full = read_text_tree(full_out)
    observed = read_text_tree(obs_text)
    canon = lambda rs: sorted(tuple(sorted(r.items())) for r in rs)
    if canon(observed) != canon([r for r in full if not is_dns(r)]):
        raise PlantError("vxtap's records of the filtered capture are not those of the full capture minus UDP 53")

    # NODATA: the first minute of an interface whose records can be removed
    # from AWS's log without another AWS record of the same key overlapping
    # them, and that leaves the interface other (matched) records.
    nodata = None
    for eni2 in ENIS.values():
        obs2 = [r for r in observed if r["interface-id"] == eni2]
        for w in sorted({r["start"] // 60 * 60 for r in obs2}):
            in_w = [r for r in obs2 if w <= r["start"] < w + 60]
            keys_w = {key(r) for r in in_w}
            rest = [r for r in full if r["interface-id"] == eni2 and not (w <= r["start"] < w + 60)
                    and key(r) in keys_w]
            shifted = [dict(r, start=r["start"] + SHIFT, end=r["end"] + SHIFT) for r in rest]
            if 2 <= len(in_w) < len(obs2) and not any(
                    overlaps(a, o) for a in shifted for o in in_w if key(a) == key(o)):
                nodata = w
                break
        if nodata is not None:
            break
    if nodata is None:
        raise PlantError("no minute of any interface can be turned into a NODATA window")

    aws, tags = [], []
    for i, r in enumerate(full):
        if r["interface-id"] == eni2 and nodata <= r["start"] < nodata + 60:
            continue
        row = aws_row(r, r["interface-id"])
        if i % 17 == 0:  # milliseconds, as flowlogs_reader has seen
            row["start"] *= 1000
            row["end"] *= 1000
        aws.append(row)
        tags.append(("logged_not_mirrored", "mirror-filter") if is_dns(r) else ("matched", None))
    aws.append({**aws_row(obs2[0], eni2), "srcaddr": None, "dstaddr": None, "srcport": None, "dstport": None,
                "protocol": None, "packets": None, "bytes": None, "start": nodata + SHIFT,
                "end": nodata + SHIFT + 59, "action": None, "log-status": "NODATA", "version": 8})
    tags.append(("nodata", None))
    eni1 = [r for r in observed if r["interface-id"] == ENIS[1]]
    t0 = eni1[0]["start"]
    for n, port in enumerate([22, 23, 3389, 445, 1433, 23]):
        src = f"198.51.100.{1 + n % 5}"
        aws.append(aws_row({"srcaddr": src, "dstaddr": eni1[0]["dstaddr"], "srcport": 40000 + n,
                            "dstport": port, "protocol": 6, "packets": 1 + n, "bytes": 40 * (1 + n),
                            "start": t0 + 60 * n, "end": t0 + 60 * n + 1}, ENIS[1],
                           bytes=40 * (1 + n), action="REJECT", **({"reject-reason": "BPA"} if n % 2 else {})))
        tags.append(("logged_not_mirrored", "reject"))
    eni3 = [r for r in full if r["interface-id"] == ENIS[3]]
    for r in eni3[:7]:
        aws.append(aws_row(r, NOT_MIRRORED))
        tags.append(("logged_not_mirrored", "interface-not-mirrored"))
    bad = f"8 {ACCOUNT} {ENIS[1]} 10.0.0.1 this line is damaged"
    aws_text = os.path.join(work, "aws-text")
    aws_parquet = os.path.join(work, "aws-parquet")
    write_aws(aws, aws_text, bad, aws_parquet)

    # EVE alerts: on three matched flows of interface 1 (one written from the
    # reply's point of view) and one on a flow that exists nowhere.
    matched_eni1 = [r for r, t in zip(aws, tags) if t[0] == "matched" and r["interface-id"] == ENIS[1]
                    and r["protocol"] in (6, 17) and r["start"] < 99_999_999_999]
    picks = matched_eni1[:3]
    import datetime
    eve_path = os.path.join(work, "eve.json")
    with open(eve_path, "w") as f:
        for n, r in enumerate(picks + [dict(picks[0], srcaddr="203.0.113.77")]):
            ts = datetime.datetime.fromtimestamp(r["start"] - SHIFT, datetime.timezone.utc)
            s, d, sp, dp = r["srcaddr"], r["dstaddr"], r["srcport"], r["dstport"]
            if n == 1:
                s, d, sp, dp = d, s, dp, sp
            f.write(json.dumps({"timestamp": ts.strftime("%Y-%m-%dT%H:%M:%S.000000+0000"), "event_type": "alert",
                                "src_ip": s, "src_port": sp, "dest_ip": d, "dest_port": dp,
                                "proto": "TCP" if r["protocol"] == 6 else "UDP",
                                "alert": {"signature_id": 9000 + n, "signature": "derived test alert"}}) + "\n")
        f.write('{"event_type": "flow", "src_ip": "10.0.0.1"}\n')

    # Expectations, from what was planted.
    exp = {"matched": 0, "logged_not_mirrored": 0, "mirrored_not_logged": 0, "rejected": 0, "nodata": 1}
    per = collections.defaultdict(lambda: collections.Counter())
    lnm_reasons, mnl_reasons = collections.Counter(), collections.Counter()
    lnm_rows, mnl_rows = collections.Counter(), collections.Counter()
    for r, (cat, reason) in zip(aws, tags):
        if cat == "nodata":
            continue
        exp[cat] += 1
        per[r["interface-id"]][cat] += 1
        if r["action"] == "REJECT":
            exp["rejected"] += 1
            per[r["interface-id"]]["rejected"] += 1
        if cat == "logged_not_mirrored":
            lnm_reasons[reason] += 1
            s = r["start"] // 1000 if r["start"] > 99_999_999_999 else r["start"]
            lnm_rows[key(r) + (s, reason)] += 1
    for r in observed:
        if r["interface-id"] == eni2 and nodata <= r["start"] < nodata + 60:
            exp["mirrored_not_logged"] += 1
            per[eni2]["mirrored_not_logged"] += 1
            mnl_reasons["aws-nodata-window"] += 1
            mnl_rows[key(r) + (r["start"], "aws-nodata-window")] += 1
    return {
        "config": cfg, "aws_text": aws_text, "aws_parquet": aws_parquet, "observed_text": obs_text,
        "observed_parquet": obs_parquet, "eve": eve_path, "expected": exp,
        "per_interface": {k: dict(v) for k, v in per.items()},
        "lnm_reasons": dict(lnm_reasons), "mnl_reasons": dict(mnl_reasons),
        "lnm_rows": lnm_rows, "mnl_rows": mnl_rows, "alerts_enriched": 3, "alerts": 4,
        "eve_vpc": VPC[ENIS[1]], "planted_packets_dropped": dropped,
    }


def rows(path, reason_key="reason"):
    c = collections.Counter()
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            c[(r["interface-id"], r["protocol"], r["srcaddr"], r["dstaddr"], r["srcport"], r["dstport"],
               r["start"], r[reason_key])] += 1
    return c


def check_report(d, report, aws, observed, label):
    def fail(msg):
        raise AssertionError(f"{label}: {msg}")
    s = json.load(open(os.path.join(report, "summary.json")))
    e = d["expected"]
    for k in ("matched", "logged_not_mirrored", "mirrored_not_logged", "rejected", "nodata"):
        if s[k] != e[k]:
            fail(f"{k}: report {s[k]}, planted {e[k]}")
    if s["logged_not_mirrored_reasons"] != d["lnm_reasons"]:
        fail(f"logged_not_mirrored reasons {s['logged_not_mirrored_reasons']} != planted {d['lnm_reasons']}")
    if s["mirrored_not_logged_reasons"] != d["mnl_reasons"]:
        fail(f"mirrored_not_logged reasons {s['mirrored_not_logged_reasons']} != planted {d['mnl_reasons']}")
    for eni, counts in d["per_interface"].items():
        got = s["interfaces"].get(eni)
        if got is None:
            fail(f"interface {eni} missing")
        for k, v in counts.items():
            if got[k] != v:
                fail(f"{eni} {k}: report {got[k]}, planted {v}")
    for eni, got in s["interfaces"].items():
        for k in ("matched", "logged_not_mirrored", "mirrored_not_logged", "rejected"):
            if got[k] != d["per_interface"].get(eni, {}).get(k, 0):
                fail(f"{eni} {k}: report {got[k]}, nothing planted")
    if s["interfaces"][NOT_MIRRORED]["vpc_id"] != VPC[NOT_MIRRORED]:
        fail("interface metadata not taken from AWS's records")
    if s["deltas"]["clock_offset_s"][0] != -SHIFT:
        fail(f"median clock offset {s['deltas']['clock_offset_s']} != -{SHIFT}")
    p50 = s["deltas"]["bytes"]["p50_pct"]
    if not (-3.5 <= p50 <= -2.5):
        fail(f"median byte delta {p50} % is not about {100 / BYTES_FACTOR - 100:.1f} %")
    got = rows(os.path.join(report, "logged_not_mirrored.jsonl"))
    want = collections.Counter({(k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]): v for k, v in d["lnm_rows"].items()})
    if got != want:
        fail(f"logged_not_mirrored rows differ: extra {list((got - want).items())[:3]}, missing {list((want - got).items())[:3]}")
    got = rows(os.path.join(report, "mirrored_not_logged.jsonl"))
    if got != d["mnl_rows"]:
        fail(f"mirrored_not_logged rows differ: extra {list((got - d['mnl_rows']).items())[:3]}, missing {list((d['mnl_rows'] - got).items())[:3]}")
    n_rejected = sum(1 for _ in open(os.path.join(report, "rejected.jsonl")))
    if n_rejected != e["rejected"]:
        fail(f"rejected.jsonl has {n_rejected} rows")
    errors = [json.loads(l) for l in open(os.path.join(report, "errors.jsonl"))]
    if len(errors) != 1 or errors[0]["kind"] != "field-count" or errors[0]["line"] != 4:
        fail(f"the one damaged line is not reported as field-count at line 4: {errors}")
    if s["inputs"]["errors"] != {"field-count": 1} or s["inputs"]["skipped"]:
        fail(f"input problems {s['inputs']['errors']} / {s['inputs']['skipped']}")
    if s["inputs"]["late_records"] != 0:
        fail("late records")
    eve = [json.loads(l) for l in open(os.path.join(report, "eve-enriched.json"))]
    enriched = [a for a in eve if "aws" in a]
    if len(eve) != d["alerts"] or len(enriched) != d["alerts_enriched"]:
        fail(f"{len(eve)} alerts, {len(enriched)} enriched")
    for a in enriched:
        if a["aws"]["vpc-id"] != d["eve_vpc"] or a["aws"]["action"] != "ACCEPT" or a["aws"]["interface-id"] != ENIS[1]:
            fail(f"alert enriched wrongly: {a['aws']}")
    return s


def correlate(vxtap, d, aws, observed, report):
    p = run([vxtap, "correlate", "--flowlogs", aws, "--observed", observed, "--config", d["config"],
             "--eve", d["eve"], "--report", report], ok=(1,))
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vxtap", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    d = derive(a.vxtap, a.work)
    report = os.path.join(a.work, "report")
    p = correlate(a.vxtap, d, d["aws_text"], d["observed_text"], report)
    s = check_report(d, report, d["aws_text"], d["observed_text"], "text")
    print(p.stdout)
    print(f"derived: ok: {s['matched']} matched, {s['logged_not_mirrored']} logged-not-mirrored "
          f"{s['logged_not_mirrored_reasons']}, {s['mirrored_not_logged']} mirrored-not-logged, "
          f"{s['rejected']} rejected; {d['planted_packets_dropped']} packets filtered from the capture")


if __name__ == "__main__":
    try:
        main()
    except (PlantError, AssertionError) as e:
        print(f"derived: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
