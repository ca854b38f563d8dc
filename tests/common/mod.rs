//! Helpers shared by the integration tests.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `vxtap replay PCAP --rules RULES --out TMP --workers 1 --quiet`
/// (one worker, as the Suricata oracles' `--runmode single`); returns the
/// process output and the output directory.
#[allow(dead_code)] // Not every test binary replays with one worker.
pub fn replay_with_rules(pcap: &Path, rules: &Path) -> (Output, tempfile::TempDir) {
    replay_with_workers(pcap, rules, 1)
}

/// [`replay_with_rules`] with `workers` flow workers.
#[allow(dead_code)] // Not every test binary replays with several workers.
pub fn replay_with_workers(
    pcap: &Path,
    rules: &Path,
    workers: usize,
) -> (Output, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_vxtap"))
        .arg("replay")
        .arg(pcap)
        .arg("--rules")
        .arg(rules)
        .arg("--out")
        .arg(out.path())
        .args(["--workers", &workers.to_string(), "--quiet"])
        .output()
        .unwrap();
    (run, out)
}
