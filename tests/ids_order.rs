//! The host-pair gate of FTP expectation lookups in a replay with several
//! workers (`src/dispatch/gate.rs`): a lookup waits for the other workers
//! only when a packet that could belong to an FTP control channel between
//! the same two hosts went to another worker before it. Captures and the
//! script that writes them: `tests/data/ids/order/` (each TCP direction's
//! first data of a flow of unknown protocol is looked up once, as
//! Suricata's protocol-expectation step: 8 sessions with data both ways
//! make 16 lookups). That the answers stay Suricata's at every worker
//! count is `tests/ids_applayer.rs`' FTP case.

use std::path::{Path, PathBuf};
mod common;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ids/order")
        .join(name)
}

/// `order_waits`, `order_wait_timeouts` and `order_skips` of a replay.
fn order(pcaps: &[&Path], workers: usize) -> (u64, u64, u64) {
    let (run, _out, prom) = common::replay_with_metrics(pcaps, &data("test.rules"), workers);
    assert!(run.status.success(), "{run:?}");
    let m = |e: &str| common::metric(&prom, &format!("vxtap_detect_total{{event=\"{e}\"}}"));
    (m("order_waits"), m("order_wait_timeouts"), m("order_skips"))
}

#[test]
fn lookups_of_pairs_without_ftp_never_wait() {
    let plain = data("gate-plain.pcap");
    for workers in [2, 3, 4, 8] {
        assert_eq!(order(&[&plain], workers), (0, 0, 16), "{workers} workers");
    }
}

/// After an FTP control session between the same hosts, the sessions
/// that hash to another worker than the control session's look up only
/// once every other worker reached their packet; none gives up.
#[test]
fn lookups_after_an_ftp_opening_of_the_pair_are_ordered() {
    let ftp = data("gate-ftp.pcap");
    for workers in [2, 3, 4, 8] {
        let (_, timeouts, skips) = order(&[&ftp], workers);
        assert_eq!(timeouts, 0, "{workers} workers");
        assert!(
            skips < 16,
            "{workers} workers: {skips} of 16 lookups skipped"
        );
    }
    // The plain sessions replayed after it (their hosts armed by the
    // first capture) wait too; before it, they do not.
    let plain = data("gate-plain.pcap");
    let (_, _, skips) = order(&[&ftp, &plain], 4);
    assert!(skips < 16, "{skips}");
    let (_, _, skips) = order(&[&plain, &ftp], 4);
    assert!(skips >= 16, "{skips}");
}
