//! `index.html`: one self-contained page (inline CSS and SVG, no script, no
//! network) with the counts, reasons, a per-interface table, a timeline of
//! the categories, the delta distribution and the top REJECTed sources. Every
//! count carries a `data-count`/`data-interface` attribute so a test can
//! compare the page with summary.json.

use std::fmt::Write;

use super::report::{ReasonCounts, Summary};
use super::stats::TopRow;

/// Colours of the four categories (timeline, cards).
const COLOURS: [(&str, &str, &str); 4] = [
    ("matched", "Matched", "#2e7d32"),
    ("logged_not_mirrored", "Logged, not mirrored", "#ef6c00"),
    ("mirrored_not_logged", "Mirrored, not logged", "#1565c0"),
    ("rejected", "REJECT", "#c62828"),
];

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn opt(s: &Option<String>) -> String {
    esc(s.as_deref().unwrap_or("-"))
}

fn utc(t: u64) -> String {
    chrono::DateTime::from_timestamp(t as i64, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_else(|| t.to_string())
}

fn reasons_table(out: &mut String, title: &str, id: &str, r: &ReasonCounts) {
    let _ = write!(
        out,
        "<h3>{}</h3><table id=\"{id}\"><tr><th>reason</th><th>records</th></tr>",
        esc(title)
    );
    if r.is_empty() {
        out.push_str("<tr><td colspan=\"2\">none</td></tr>");
    }
    for (k, v) in r {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"n\" data-reason=\"{}\">{v}</td></tr>",
            esc(k),
            esc(k)
        );
    }
    out.push_str("</table>");
}

/// The timeline: per bucket, one bar per category side by side (empty
/// buckets stay empty, nothing is interpolated).
fn timeline_svg(s: &Summary) -> String {
    let rows = &s.timeline.rows;
    let (w, h, pad) = (900.0, 240.0, 40.0);
    let mut o = format!(
        "<svg id=\"timeline\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-label=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    if rows.is_empty() {
        o.push_str("<text x=\"20\" y=\"40\">no records</text></svg>");
        return o;
    }
    let bucket = s.timeline.bucket_s as f64;
    let t0 = rows[0][0] as f64;
    let t1 = rows[rows.len() - 1][0] as f64 + bucket;
    let max = rows
        .iter()
        .flat_map(|r| r[1..].iter().copied())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let scale = (w - 2.0 * pad) / (t1 - t0).max(1.0);
    let y = |v: f64| h - pad - v / max * (h - 2.0 * pad);
    let _ = write!(
        o,
        "<line x1=\"{pad}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"/><line x1=\"{pad}\" y1=\"{pad}\" x2=\"{pad}\" y2=\"{}\" stroke=\"#888\"/>",
        h - pad,
        w - pad,
        h - pad,
        h - pad
    );
    let _ = write!(
        o,
        "<text x=\"{pad}\" y=\"{}\" font-size=\"11\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text><text x=\"4\" y=\"{}\" font-size=\"11\">{}</text>",
        h - pad + 16.0,
        utc(t0 as u64),
        w - pad,
        h - pad + 16.0,
        utc(t1 as u64),
        pad + 4.0,
        max as u64
    );
    let bar_w = (bucket * scale / 4.0).max(0.5);
    for r in rows {
        let x0 = pad + (r[0] as f64 - t0) * scale;
        for (lane, (_, label, colour)) in COLOURS.iter().enumerate() {
            let v = r[lane + 1];
            if v == 0 {
                continue;
            }
            let top = y(v as f64);
            let _ = write!(
                o,
                "<rect x=\"{:.2}\" y=\"{top:.1}\" width=\"{bar_w:.2}\" height=\"{:.1}\" fill=\"{colour}\"><title>{} {}: {v}</title></rect>",
                x0 + lane as f64 * bar_w,
                (h - pad - top).max(0.5),
                utc(r[0]),
                esc(label)
            );
        }
    }
    for (lane, (_, label, colour)) in COLOURS.iter().enumerate() {
        let lx = pad + 10.0 + lane as f64 * 200.0;
        let _ = write!(
            o,
            "<rect x=\"{lx}\" y=\"8\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{}\" y=\"18\" font-size=\"12\">{}</text>",
            lx + 16.0,
            esc(label)
        );
    }
    let _ = write!(
        o,
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">records per {} s</text></svg>",
        w / 2.0,
        h - 6.0,
        s.timeline.bucket_s
    );
    o
}

/// Horizontal bars for a list of labelled counts.
fn bars_svg(id: &str, rows: &[(String, u64)], colour: &str) -> String {
    let (w, bar) = (700.0, 18.0);
    let h = 10.0 + rows.len() as f64 * (bar + 4.0);
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1) as f64;
    let mut o = format!(
        "<svg id=\"{id}\" viewBox=\"0 0 {w} {h}\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for (i, (label, n)) in rows.iter().enumerate() {
        let yy = 5.0 + i as f64 * (bar + 4.0);
        let bw = (*n as f64 / max * (w - 300.0)).max(if *n > 0 { 1.0 } else { 0.0 });
        let _ = write!(
            o,
            "<text x=\"200\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}</text><rect x=\"210\" y=\"{yy}\" width=\"{bw:.1}\" height=\"{bar}\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"12\">{n}</text>",
            yy + 13.0,
            esc(label),
            215.0 + bw,
            yy + 13.0
        );
    }
    o.push_str("</svg>");
    o
}

fn top_table(out: &mut String, id: &str, head: &str, rows: &[TopRow]) {
    let _ = write!(
        out,
        "<table id=\"{id}\"><tr><th>{}</th><th>records</th><th>packets</th></tr>",
        esc(head)
    );
    if rows.is_empty() {
        out.push_str("<tr><td colspan=\"3\">none</td></tr>");
    }
    for r in rows {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&r.key),
            r.records,
            r.packets
        );
    }
    out.push_str("</table>");
}

/// The page.
pub fn page(s: &Summary) -> String {
    let mut o = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>vxtap correlate report</title><style>\
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}\
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}.cards{display:flex;gap:1em;flex-wrap:wrap}\
.card{border-radius:6px;padding:.8em 1.2em;color:#fff;min-width:180px}.card b{display:block;font-size:2em}\
.warn{background:#fff3e0;border-left:4px solid #ef6c00;padding:.4em .8em;margin:.3em 0}\
</style></head><body><h1>vxtap correlate</h1>",
    );
    let _ = write!(
        o,
        "<p>AWS VPC Flow Logs joined with vxtap's records of the mirrored traffic by {}5-tuple and direction, over windows overlapping within ±{} s. AWS records: {}, vxtap records: {}.</p>",
        if s.join_by_interface {
            "interface, "
        } else {
            ""
        },
        s.tolerance_s,
        s.inputs.aws_records,
        s.inputs.observed_records
    );
    for w in &s.warnings {
        let _ = write!(o, "<div class=\"warn\">{}</div>", esc(w));
    }
    o.push_str("<div class=\"cards\">");
    let c = &s.counts;
    for ((key, label, colour), n, unit) in COLOURS
        .iter()
        .zip([
            (c.matched, "AWS records"),
            (c.logged_not_mirrored, "AWS records"),
            (c.mirrored_not_logged, "vxtap records"),
            (c.rejected, "AWS records"),
        ])
        .map(|(a, (n, u))| (a, n, u))
    {
        let _ = write!(
            o,
            "<div class=\"card\" style=\"background:{colour}\">{}<b data-count=\"{key}\">{n}</b>{unit}</div>",
            esc(label)
        );
    }
    o.push_str("</div><h2>Timeline</h2>");
    o.push_str(&timeline_svg(s));
    o.push_str("<h2>Why</h2>");
    reasons_table(
        &mut o,
        "Logged by AWS, not mirrored",
        "reasons-lnm",
        &s.logged_not_mirrored_reasons,
    );
    reasons_table(
        &mut o,
        "Mirrored, not logged by AWS",
        "reasons-mnl",
        &s.mirrored_not_logged_reasons,
    );
    o.push_str("<h2>Interfaces</h2><table id=\"interfaces\"><tr><th>interface</th><th>vpc</th><th>subnet</th><th>instance</th><th>az</th><th>matched</th><th>logged, not mirrored</th><th>mirrored, not logged</th><th>REJECT</th><th>NODATA</th></tr>");
    for (name, i) in &s.interfaces {
        let n = esc(name);
        let _ = write!(
            o,
            "<tr data-interface=\"{n}\"><td>{n}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\" data-count=\"matched\">{}</td><td class=\"n\" data-count=\"logged_not_mirrored\">{}</td><td class=\"n\" data-count=\"mirrored_not_logged\">{}</td><td class=\"n\" data-count=\"rejected\">{}</td><td class=\"n\">{}</td></tr>",
            opt(&i.vpc_id),
            opt(&i.subnet_id),
            opt(&i.instance_id),
            opt(&i.az_id),
            i.counts.matched,
            i.counts.logged_not_mirrored,
            i.counts.mirrored_not_logged,
            i.counts.rejected,
            i.counts.nodata
        );
    }
    o.push_str("</table><h2>Matched: bytes, vxtap − AWS</h2>");
    let d = &s.deltas;
    let _ = write!(
        o,
        "<p>{} groups, {} with equal bytes, {} with equal packets; median byte delta {} %, median clock offset {} s (vxtap − AWS).</p>",
        d.bytes.groups,
        d.bytes.exact,
        d.packets.exact,
        d.bytes.p50_pct.map_or("-".into(), |v| format!("{v:.1}")),
        d.clock_offset_s.0.map_or("-".into(), |v| v.to_string())
    );
    o.push_str(&bars_svg("bytes-delta", &d.bytes.buckets, "#2e7d32"));
    o.push_str("<h2>REJECTed traffic</h2>");
    let srcs: Vec<(String, u64)> = s
        .rejects
        .sources
        .iter()
        .take(10)
        .map(|r| (r.key.clone(), r.records))
        .collect();
    o.push_str(&bars_svg("reject-sources", &srcs, "#c62828"));
    top_table(&mut o, "top-rejected-sources", "source", &s.rejects.sources);
    top_table(
        &mut o,
        "top-rejected-ports",
        "protocol/port",
        &s.rejects.ports,
    );
    top_table(
        &mut o,
        "reject-reasons",
        "reject-reason",
        &s.rejects.reasons,
    );
    let i = &s.inputs;
    let _ = write!(
        o,
        "<h2>Inputs</h2><p>{} AWS object(s), {} vxtap object(s); {} bad line(s), {} record(s) left out, {} late; at most {} keys held at once.</p>",
        i.aws_files,
        i.observed_files,
        i.errors.values().sum::<u64>(),
        i.skipped.values().sum::<u64>(),
        i.late_records,
        i.peak_keys
    );
    o.push_str("<p>Rows: matched.jsonl, logged_not_mirrored.jsonl, mirrored_not_logged.jsonl, rejected.jsonl, status_windows.jsonl, errors.jsonl; numbers: summary.json.</p></body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            esc("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
