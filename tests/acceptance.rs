//! The detection acceptance cases of `../shared/acceptance` (Suricata
//! 7.0.10 is the oracle, see its README): every case directory is run as a
//! user runs it,
//!
//! ```text
//! vxtap replay CASE/input.pcap --rules CASE/test.rules --out TMP --workers 1 --quiet
//! ```
//!
//! and the `alert` events of `TMP/eve.json` are counted per
//! `alert.signature_id` and compared with `expected.json`'s `sids`, every
//! sid, 0s included.
//!
//! Every case passes except those in [`KNOWN_FAILING`], each with the
//! reason; a listed case that starts passing fails the test too, so the
//! list stays honest (remove it from the list). `--workers 1` matches the
//! oracle's `--runmode single` (thresholds counted by one thread).
//!
//! `tests/ACCEPTANCE.md` holds the table of every case (family, pass or
//! fail, why, and the per-sid differences when it was written); the test
//! checks its pass/fail column against this run. Rewrite it with
//! `VXTAP_ACCEPTANCE_WRITE=1 cargo test --release --test acceptance`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
mod common;
use std::sync::Mutex;

/// Cases that do not pass yet, and why.
const KNOWN_FAILING: &[(&str, &str)] = &[];

fn acceptance() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/acceptance")
}

/// `INDEX.tsv`: (case, family) in file order.
fn index() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(acceptance().join("INDEX.tsv"))
        .expect("../shared/acceptance/INDEX.tsv (the shared acceptance cases)");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut f = l.split('\t');
            let case = f.next().unwrap().to_owned();
            let family = f.next().expect("INDEX.tsv: family column").to_owned();
            (case, family)
        })
        .collect()
}

/// Per-sid alert counts of an eve.json.
fn alerts(eve: &Path) -> BTreeMap<u64, u64> {
    let mut got = BTreeMap::new();
    let text = std::fs::read_to_string(eve).unwrap_or_default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {line}", eve.display()));
        if v["event_type"] == "alert" {
            let sid = v["alert"]["signature_id"]
                .as_u64()
                .unwrap_or_else(|| panic!("{}: alert without signature_id", eve.display()));
            *got.entry(sid).or_default() += 1;
        }
    }
    got
}

struct Outcome {
    case: String,
    family: String,
    /// sid → (expected, got) where they differ.
    diff: BTreeMap<u64, (u64, u64)>,
}

fn run_case(case: &str, family: &str) -> Outcome {
    let dir = acceptance().join(case);
    let exp: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).expect("expected.json"),
    )
    .expect("expected.json is JSON");
    let want: BTreeMap<u64, u64> = exp["sids"]
        .as_object()
        .expect("expected.json: sids")
        .iter()
        .map(|(k, v)| (k.parse().unwrap(), v.as_u64().unwrap()))
        .collect();
    let pcap = ["input.pcap", "input.pcapng"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{case}: no input.pcap"));
    let (run, out) = common::replay_with_rules(&pcap, &dir.join("test.rules"));
    // Exit 1 is allowed (some captures have frames vxtap reports as
    // undecodable); a crash or a usage error is not.
    let code = run.status.code();
    assert!(
        matches!(code, Some(0) | Some(1)),
        "{case}: vxtap replay exited {code:?}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let got = alerts(&out.path().join("eve.json"));
    let mut diff = BTreeMap::new();
    for (&sid, &w) in &want {
        let g = got.get(&sid).copied().unwrap_or(0);
        if g != w {
            diff.insert(sid, (w, g));
        }
    }
    for (&sid, &g) in &got {
        if !want.contains_key(&sid) {
            diff.insert(sid, (0, g));
        }
    }
    Outcome {
        case: case.to_owned(),
        family: family.to_owned(),
        diff,
    }
}

fn table(outcomes: &[Outcome]) -> String {
    let mut s = String::new();
    s.push_str(
        "# Detection acceptance: every case of `../shared/acceptance`\n\n\
         Written by `VXTAP_ACCEPTANCE_WRITE=1 cargo test --release --test acceptance`\n\
         (`tests/acceptance.rs`, which checks the pass/fail column on every run).\n\
         A case passes when vxtap's `eve.json` has exactly Suricata 7.0.10's alert\n\
         count for every sid of `expected.json` (0s included). Differences are\n\
         `sid: expected/got`.\n\n",
    );
    let mut fams: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for o in outcomes {
        let e = fams.entry(&o.family).or_default();
        e.1 += 1;
        if o.diff.is_empty() {
            e.0 += 1;
        }
    }
    let pass = outcomes.iter().filter(|o| o.diff.is_empty()).count();
    s.push_str(&format!("{pass} of {} cases pass.\n\n", outcomes.len()));
    s.push_str("| family | pass | cases |\n|---|---:|---:|\n");
    for (f, (p, n)) in &fams {
        s.push_str(&format!("| {f} | {p} | {n} |\n"));
    }
    s.push_str("\n| case | family | result | why | differences |\n|---|---|---|---|---|\n");
    let mut sorted: Vec<&Outcome> = outcomes.iter().collect();
    sorted.sort_by(|a, b| (&a.family, &a.case).cmp(&(&b.family, &b.case)));
    for o in sorted {
        let reason = KNOWN_FAILING
            .iter()
            .find(|(c, _)| *c == o.case)
            .map(|(_, r)| *r)
            .unwrap_or("");
        let diff: Vec<String> = o
            .diff
            .iter()
            .map(|(sid, (w, g))| format!("{sid}: {w}/{g}"))
            .collect();
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            o.case,
            o.family,
            if o.diff.is_empty() { "pass" } else { "fail" },
            if o.diff.is_empty() { "" } else { reason },
            diff.join(", ")
        ));
    }
    s
}

/// The (case, result) rows of a table written by [`table`].
fn results_of(md: &str) -> BTreeMap<String, String> {
    md.lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('|').map(str::trim).collect();
            (cols.len() >= 5 && (cols[3] == "pass" || cols[3] == "fail"))
                .then(|| (cols[1].to_owned(), cols[3].to_owned()))
        })
        .collect()
}

#[test]
fn acceptance_cases() {
    let cases = index();
    assert!(cases.len() >= 98, "INDEX.tsv lists {} cases", cases.len());
    for (c, _) in KNOWN_FAILING {
        assert!(
            cases.iter().any(|(k, _)| k == c),
            "KNOWN_FAILING names {c}, which is not a case"
        );
    }
    // Two replays at a time (each is one worker plus reader and writers).
    let next = Mutex::new(0usize);
    let outcomes = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some((case, family)) = cases.get(i) else {
                        break;
                    };
                    let o = run_case(case, family);
                    outcomes.lock().unwrap().push(o);
                }
            });
        }
    });
    let outcomes = outcomes.into_inner().unwrap();
    let md = table(&outcomes);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/ACCEPTANCE.md");
    if std::env::var_os("VXTAP_ACCEPTANCE_WRITE").is_some() {
        let tmp = path.with_extension("md.tmp");
        std::fs::write(&tmp, &md).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
    }
    let mut problems = Vec::new();
    for o in &outcomes {
        let listed = KNOWN_FAILING.iter().any(|(c, _)| *c == o.case);
        match (o.diff.is_empty(), listed) {
            (false, false) => problems.push(format!(
                "{} ({}) fails: {:?} (sid: (expected, got))",
                o.case, o.family, o.diff
            )),
            (true, true) => problems.push(format!(
                "{} ({}) passes now: remove it from KNOWN_FAILING",
                o.case, o.family
            )),
            _ => {}
        }
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if results_of(&committed) != results_of(&md) {
        problems.push(
            "tests/ACCEPTANCE.md's pass/fail column is out of date: rewrite it with \
             VXTAP_ACCEPTANCE_WRITE=1 cargo test --release --test acceptance"
                .to_owned(),
        );
    }
    let pass = outcomes.iter().filter(|o| o.diff.is_empty()).count();
    eprintln!("acceptance: {pass} of {} cases pass", outcomes.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
