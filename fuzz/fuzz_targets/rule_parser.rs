//! Fuzzes the rule parser and loader (lexer, header, every keyword's
//! value parser, prefilter build), then runs whatever loaded on a TCP
//! packet whose payload is the input itself, so the inspection of
//! arbitrary rules on arbitrary bytes is fuzzed too.
//!
//! Run: `cargo +nightly fuzz run rule_parser ../shared/rules/suricata`
#![no_main]

use libfuzzer_sys::fuzz_target;
use vxtap::detect::load::Loader;
use vxtap::detect::{
    DetectCtx, FlowDetectState, FlowInfo, Input, Inspection, PacketView, RuleVars,
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let vars = RuleVars::default();
    let mut loader = Loader::new(&vars, None);
    loader.add_text(&text, "fuzz.rules");
    let (set, report) = loader.finish();
    assert_eq!(report.loaded + report.unsupported + report.failed.len(), report.total);
    if set.sigs.is_empty() {
        return;
    }
    // IPv4/TCP 10.0.0.1:1234 -> 192.0.2.1:80, PSH|ACK, payload = input.
    let mut pkt = vec![
        0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 192, 0, 2, 1, 0x04, 0xd2, 0, 80,
        0, 0, 0, 1, 0, 0, 0, 2, 0x50, 0x18, 0x20, 0, 0, 0, 0, 0,
    ];
    pkt.extend_from_slice(&data[..data.len().min(1400)]);
    let total = (pkt.len() as u16).to_be_bytes();
    pkt[2] = total[0];
    pkt[3] = total[1];
    let Ok(p) = PacketView::from_ip(&pkt) else { return };
    let info = FlowInfo {
        to_server: true,
        established: true,
        ..Default::default()
    };
    let mut ctx = DetectCtx::default();
    let mut flow = FlowDetectState::default();
    let mut out = Vec::new();
    for what in [Inspection::Packet, Inspection::Stream(data)] {
        let input = Input {
            packet: &p,
            flow: info,
            what,
            now_ns: 0,
        };
        set.inspect(&input, &mut flow, &mut ctx, &mut out);
    }
});
