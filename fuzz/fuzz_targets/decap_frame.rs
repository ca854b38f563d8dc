//! Fuzzes decapsulation and inner decoding: the first byte picks the link
//! type (any pcap linktype number vxtap knows), the next four an on-wire
//! length (so TSO zero-length handling sees captured < original), the rest
//! is the frame. Every decoded packet is also turned into its flow key, as
//! dispatch does. Nothing may panic, and `decode_frame` (with its fast
//! path) must give exactly what the general decoder gives. Frames that are
//! not IP for the flow stage also go through `decode_carried` (PPPoE, MPLS).
//!
//! Run: `cargo +nightly fuzz run decap_frame tests/data/pcaps` (seeds: any
//! frames; libFuzzer mutates them) — or without nightly:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run decap_frame -- -max_total_time=600`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vxtap::decap::{DecapConfig, DecapError, decode_carried, decode_frame, decode_general};
use vxtap::flow::{Endpoint, FlowKey};
use vxtap::wire::link::LinkType;

/// The pcap linktype numbers vxtap reads, and one it does not.
const LINKS: [u32; 9] = [0, 1, 101, 228, 229, 113, 276, 12, 147];

fuzz_target!(|data: &[u8]| {
    if data.len() < 5 {
        return;
    }
    let Some(link) = LinkType::from_pcap(LINKS[data[0] as usize % LINKS.len()]) else {
        return;
    };
    let orig_len = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
    let frame = &data[5..];
    for cfg in [
        DecapConfig::default(),
        DecapConfig::new(&[4789, 8472], &[6081, 4790]).expect("valid ports"),
    ] {
        let decoded = decode_frame(&cfg, link, frame, orig_len);
        assert_eq!(decoded, decode_general(&cfg, link, frame, orig_len));
        if decoded == Err(DecapError::NonIp) {
            let _ = decode_carried(&cfg, link, frame, orig_len);
        }
        if let Ok(p) = decoded {
            let (key, dir) = FlowKey::of(
                p.vni,
                p.protocol,
                Endpoint {
                    addr: p.src,
                    port: p.src_port,
                },
                Endpoint {
                    addr: p.dst,
                    port: p.dst_port,
                },
            );
            let _ = (key.symmetric_hash(), key.endpoints(dir), p.ip.len());
        }
    }
});
