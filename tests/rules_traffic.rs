//! The ET Open rules vxtap enforces, run on every packet of every
//! acceptance capture (`../shared/acceptance/*/input.pcap`), on the packet
//! and as a stream chunk: nothing panics, every alert names a loaded rule,
//! and the run is deterministic (the same packets through fresh state give
//! the same alerts). Flow facts are fixed (established, a direction guessed
//! from the ports): this exercises the engine on real traffic; alert counts
//! against Suricata are the acceptance test of the wired pipeline.

use std::path::PathBuf;

use vxtap::capture::CaptureFile;
use vxtap::detect::load::{LoadOptions, load_paths};
use vxtap::detect::{DetectCtx, FlowDetectState, FlowInfo, Input, Inspection, PacketView};
use vxtap::wire::link;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

fn run_all(set: &vxtap::detect::RuleSet, pcaps: &[PathBuf]) -> (u64, Vec<u32>) {
    let mut ctx = DetectCtx::default();
    let mut out = Vec::new();
    let mut packets = 0u64;
    for pcap in pcaps {
        let mut flow = FlowDetectState::default();
        let mut cap = CaptureFile::open(pcap).unwrap();
        let _ = cap.for_each(|f| {
            let Ok(lt) = f.link else { return true };
            let Ok(l2) = link::parse(lt, f.data) else {
                return true;
            };
            let Ok(p) = PacketView::from_ip(l2.payload) else {
                return true;
            };
            packets += 1;
            let info = FlowInfo {
                to_server: p.dport < p.sport,
                established: true,
                age_secs: 1,
                stream_sizes: Some((100, 100)),
                ..FlowInfo::default()
            };
            for what in [Inspection::Packet, Inspection::Stream(p.payload())] {
                let input = Input {
                    packet: &p,
                    flow: info,
                    what,
                    now_ns: f.ts_ns,
                };
                set.inspect(&input, &mut flow, &mut ctx, &mut out);
            }
            true
        });
    }
    (packets, out.iter().map(|a| a.sid).collect())
}

#[test]
fn et_open_on_acceptance_captures() {
    let (set, report) =
        load_paths(&[root().join("rules/et-open")], &LoadOptions::default()).unwrap();
    assert!(report.failed.is_empty());
    let mut pcaps: Vec<PathBuf> = std::fs::read_dir(root().join("acceptance"))
        .unwrap()
        .filter_map(|e| {
            let p = e.ok()?.path().join("input.pcap");
            p.is_file().then_some(p)
        })
        .collect();
    pcaps.sort();
    assert!(pcaps.len() >= 90, "{} captures", pcaps.len());
    let (packets, alerts) = run_all(&set, &pcaps);
    assert!(packets > 10_000, "{packets} packets");
    for sid in &alerts {
        assert!(set.sigs.iter().any(|s| s.sid == *sid));
    }
    let (_, again) = run_all(&set, &pcaps);
    assert_eq!(alerts, again);
}
