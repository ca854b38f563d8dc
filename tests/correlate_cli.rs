//! `vxtap correlate` end to end. The derived test (`tests/correlate/derived.py`)
//! builds AWS flow logs from vxtap's own records of a real mirror capture with
//! planted differences and requires the report to find exactly those; the
//! others cover usage errors and the join without a config.

use std::path::Path;
use std::process::Command;

fn vxtap() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vxtap"))
}

fn python(script: &str, work: &Path) -> String {
    let out = Command::new("python3")
        .arg(script)
        .arg("--vxtap")
        .arg(env!("CARGO_BIN_EXE_vxtap"))
        .arg("--work")
        .arg(work)
        .output()
        .expect("python3 (with pyarrow and duckdb, as .ci/run installs them)");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script}:\n{text}");
    text
}

/// vxtap's output of `mirror-basic.pcap` in `dir/obs`.
fn replay_mirror_basic(dir: &Path) -> std::path::PathBuf {
    let obs = dir.join("obs");
    let st = vxtap()
        .args([
            "replay",
            "tests/data/pcaps/mirror/mirror-basic.pcap",
            "--quiet",
            "--out",
        ])
        .arg(&obs)
        .status()
        .unwrap();
    assert!(st.success());
    obs
}

#[test]
fn derived_differences_are_found_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let text = python("tests/correlate/derived.py", dir.path());
    assert!(text.contains("derived: ok"), "{text}");
}

#[test]
fn without_config_joins_on_the_other_keys() {
    let dir = tempfile::tempdir().unwrap();
    let obs = replay_mirror_basic(dir.path());
    let report = dir.path().join("report");
    let out = vxtap()
        .args(["correlate", "--quiet", "--flowlogs"])
        .arg(&obs)
        .arg("--observed")
        .arg(&obs)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("summary.json")).unwrap()).unwrap();
    // The same log on both sides: everything matches, nothing else.
    assert_eq!(s["join_by_interface"], false);
    assert!(s["matched"].as_u64().unwrap() > 0);
    assert_eq!(s["matched"], s["inputs"]["aws_records"]);
    assert_eq!(s["logged_not_mirrored"], 0);
    assert_eq!(s["mirrored_not_logged"], 0);
    for f in [
        "matched.jsonl",
        "logged_not_mirrored.jsonl",
        "mirrored_not_logged.jsonl",
        "rejected.jsonl",
        "errors.jsonl",
        "index.html",
    ] {
        assert!(report.join(f).is_file(), "{f}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&report)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn usage_errors_exit_2_and_say_what() {
    let dir = tempfile::tempdir().unwrap();
    let out = vxtap()
        .args(["correlate", "--flowlogs"])
        .arg(dir.path())
        .arg("--observed")
        .arg(dir.path())
        .arg("--report")
        .arg(dir.path().join("r"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no AWS flow-log objects found"), "{err}");
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        "[[mirror-filter]]\n[[mirror-filter.rule]]\nrule-number = 0\ntraffic-direction = \"ingress\"\nrule-action = \"accept\"\n",
    )
    .unwrap();
    let out = vxtap()
        .args([
            "correlate",
            "--flowlogs",
            "x",
            "--observed",
            "y",
            "--config",
        ])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mirror-filter[0].rule[0].rule-number"),
        "{err}"
    );
}

#[test]
fn athena_sql_on_duckdb_agrees_with_correlate() {
    let dir = tempfile::tempdir().unwrap();
    let text = python("tests/athena/run_duckdb.py", dir.path());
    assert!(text.contains("athena-duckdb: ok"), "{text}");
}

/// The counts a page shows: the cards (`<b data-count=…>`) and each
/// interface row's cells.
type Cards = Vec<(String, u64)>;
type InterfaceCells = Vec<(String, String, u64)>;

fn page_counts(dom: &str) -> (Cards, InterfaceCells) {
    let mut cards = Vec::new();
    let mut rows = Vec::new();
    let num = |s: &str| s.split('<').next().unwrap().trim().parse::<u64>().unwrap();
    for part in dom.split("<b data-count=\"").skip(1) {
        let (k, rest) = part.split_once("\">").unwrap();
        cards.push((k.to_string(), num(rest)));
    }
    for part in dom.split("<tr data-interface=\"").skip(1) {
        let (iface, rest) = part.split_once('"').unwrap();
        let row = rest.split("</tr>").next().unwrap();
        for cell in row.split("data-count=\"").skip(1) {
            let (k, rest) = cell.split_once("\">").unwrap();
            rows.push((iface.to_string(), k.to_string(), num(rest)));
        }
    }
    (cards, rows)
}

#[test]
fn html_report_renders_in_headless_chromium_with_the_summary_counts() {
    let dir = tempfile::tempdir().unwrap();
    python("tests/correlate/derived.py", dir.path());
    let report = dir.path().join("report");
    let url = format!("file://{}", report.join("index.html").display());
    let chromium = |args: &[&str]| {
        Command::new("chromium")
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
            ])
            .args(args)
            .arg(&url)
            .output()
            .expect("chromium (Debian's package; .ci/run installs it)")
    };
    let out = chromium(&["--enable-logging=stderr", "--v=0", "--dump-dom"]);
    assert!(out.status.success());
    let dom = String::from_utf8(out.stdout).unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    // The page has no script and loads nothing: any console message or
    // failed load is a defect.
    for line in log.lines() {
        assert!(
            !line.contains("CONSOLE")
                && !line.contains("net::ERR")
                && !line.contains("Failed to load"),
            "chromium reported: {line}"
        );
    }
    assert!(
        dom.contains("<svg id=\"timeline\""),
        "no timeline in the rendered page"
    );
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("summary.json")).unwrap()).unwrap();
    let (cards, rows) = page_counts(&dom);
    assert_eq!(cards.len(), 4, "{cards:?}");
    for (k, n) in &cards {
        assert_eq!(s[k].as_u64(), Some(*n), "card {k}");
    }
    let ifaces = s["interfaces"].as_object().unwrap();
    assert_eq!(rows.len(), ifaces.len() * 4, "{rows:?}");
    for (iface, k, n) in &rows {
        assert_eq!(ifaces[iface][k].as_u64(), Some(*n), "{iface} {k}");
    }
    // Screenshot kept as a test artifact.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("correlate-report");
    std::fs::create_dir_all(&shots).unwrap();
    let png = shots.join("index.png");
    let _ = std::fs::remove_file(&png);
    let shot = format!("--screenshot={}", png.display());
    let out = chromium(&["--window-size=1200,2600", &shot]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let len = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(len > 10_000, "screenshot {} has {len} bytes", png.display());
    std::fs::copy(report.join("index.html"), shots.join("index.html")).unwrap();
}

/// vxtap records without interface-id are mapped through the config's VNIs;
/// a VNI the config does not map is reported (summary, warning, exit 1), not guessed.
#[test]
fn vnis_are_mapped_by_the_config_and_unmapped_ones_reported() {
    let dir = tempfile::tempdir().unwrap();
    let sessions = |n: u32| {
        (1..=n)
            .map(|v| format!("[[session]]\nvni = {v}\ninterface-id = \"eni-{v:017x}\"\n"))
            .collect::<String>()
    };
    let full = dir.path().join("full.toml");
    std::fs::write(&full, sessions(3)).unwrap();
    let partial = dir.path().join("partial.toml");
    std::fs::write(&partial, sessions(2)).unwrap();
    let replay = |args: &[&str], out: &Path| {
        let st = vxtap()
            .args([
                "replay",
                "tests/data/pcaps/mirror/mirror-multisession.pcap",
                "--quiet",
            ])
            .args(args)
            .arg("--out")
            .arg(out)
            .status()
            .unwrap();
        assert!(st.success());
    };
    let aws = dir.path().join("aws");
    replay(&["--config", full.to_str().unwrap()], &aws);
    let obs = dir.path().join("obs");
    replay(
        &[
            "--log-format",
            "${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${vni}",
        ],
        &obs,
    );
    let report = dir.path().join("report");
    let out = vxtap()
        .args(["correlate", "--quiet", "--config"])
        .arg(&partial)
        .arg("--flowlogs")
        .arg(&aws)
        .arg("--observed")
        .arg(&obs)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("summary.json")).unwrap()).unwrap();
    let unmapped = s["inputs"]["unmapped_vnis"]["3"].as_u64().unwrap();
    assert!(unmapped > 0);
    assert_eq!(
        s["inputs"]["skipped"]["vni-without-interface"].as_u64(),
        Some(unmapped)
    );
    assert!(
        s["warnings"].to_string().contains("VNI(s) 3"),
        "{}",
        s["warnings"]
    );
    // VNIs 1 and 2 are joined on their interfaces; VNI 3's AWS records have no
    // mirrored counterpart left, and are not guessed onto another interface.
    let i1 = &s["interfaces"]["eni-00000000000000001"];
    assert_eq!(i1["logged_not_mirrored"], 0);
    assert_eq!(i1["mirrored_not_logged"], 0);
    assert!(i1["matched"].as_u64().unwrap() > 0);
    let i3 = &s["interfaces"]["eni-00000000000000003"];
    assert_eq!(i3["matched"], 0);
    assert_eq!(i3["logged_not_mirrored"], i3["aws_records"]);
    assert_eq!(s["mirrored_not_logged"], 0);
}

#[test]
fn lenient_aws_input_is_repaired_and_counted() {
    // vxtap's own flow logs of a mirror capture as the AWS side, rewritten
    // with CRLF line endings and tabs: skipped line by line in the strict
    // default, read with --lenient as the clean log (everything matches).
    let dir = tempfile::tempdir().unwrap();
    let obs = replay_mirror_basic(dir.path());
    let aws = dir.path().join("aws");
    std::fs::create_dir_all(&aws).unwrap();
    let mut objects = 0;
    for entry in walk(&obs) {
        let name = entry.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".log.gz") {
            continue;
        }
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::MultiGzDecoder::new(std::fs::File::open(&entry).unwrap()),
            &mut text,
        )
        .unwrap();
        let messy = text.replace(' ', "\t").replace('\n', "\r\n");
        std::fs::write(aws.join(format!("{objects}.log")), messy).unwrap();
        objects += 1;
    }
    assert!(objects > 0);
    let run = |lenient: bool| {
        let report = dir.path().join(format!("report-{lenient}"));
        let mut cmd = vxtap();
        cmd.args(["correlate", "--quiet", "--flowlogs"])
            .arg(&aws)
            .arg("--observed")
            .arg(&obs)
            .arg("--report")
            .arg(&report);
        if lenient {
            cmd.arg("--lenient");
        }
        let out = cmd.output().unwrap();
        let s: serde_json::Value =
            serde_json::from_slice(&std::fs::read(report.join("summary.json")).unwrap()).unwrap();
        (out.status.code(), s)
    };
    let (code, strict) = run(false);
    assert_ne!(code, Some(0));
    assert_eq!(strict["inputs"]["aws_records"], 0);
    assert!(strict["inputs"].get("repaired").is_none());
    let (code, s) = run(true);
    assert_eq!(code, Some(0), "{s}");
    assert!(s["matched"].as_u64().unwrap() > 0);
    assert_eq!(s["matched"], s["inputs"]["aws_records"]);
    assert_eq!(s["logged_not_mirrored"], 0);
    assert_eq!(s["mirrored_not_logged"], 0);
    let repaired = &s["inputs"]["repaired"];
    assert!(repaired["crlf"].as_u64().unwrap() > 0, "{repaired}");
    assert!(repaired["whitespace"].as_u64().unwrap() > 0, "{repaired}");
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}
