//! Every kind of EVE alert vxtap writes validates against Suricata 7.0.10's
//! schema (`../shared/eve/schema-7.0.10.json`) extended by vxtap's object
//! (`docs/eve-vxtap.schema.json`), with Python's `jsonschema` (installed by
//! `.ci/run`). Without the `vxtap` object, an event validates against the
//! unmodified schema too.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use vxtap::output::eve::{
    AlertEvent, AlertInfo, Direction, EveFile, FlowSummary, MirrorContext, PktSrc, TunnelInfo,
};
use vxtap::wire::Addr;
use vxtap::wire::geneve::GwlbOptions;

fn a(s: &str) -> Addr {
    s.parse::<std::net::IpAddr>().unwrap().into()
}

fn events() -> Vec<AlertEvent> {
    let base = AlertEvent {
        ts_ns: 1_700_000_000_123_456_789,
        flow_id: 42,
        pcap_cnt: Some(3),
        src: a("10.0.1.10"),
        src_port: 40000,
        dst: a("93.184.216.34"),
        dst_port: 443,
        protocol: 6,
        icmp: None,
        alert: AlertInfo {
            gid: 1,
            signature_id: 2_100_498,
            rev: 7,
            signature: "GPL ATTACK_RESPONSE id check returned root".into(),
            category: "Potentially Bad Traffic".into(),
            severity: 2,
            metadata: Arc::from(vec![(
                "created_at".to_string(),
                vec!["2010_09_23".to_string()],
            )]),
        },
        app_proto: Some("tls"),
        app: None,
        tx_id: None,
        direction: Some(Direction::ToClient),
        pkt_src: PktSrc::Wire,
        flow: Some(FlowSummary {
            pkts_toserver: 3,
            pkts_toclient: 2,
            bytes_toserver: 300,
            bytes_toclient: 2000,
            start_ns: 1_700_000_000_000_000_000,
            src: a("10.0.1.10"),
            dst: a("93.184.216.34"),
            src_port: 40000,
            dst_port: 443,
        }),
        community_id: Some("1:LQU9qZlK+B5F3KDmev6m5PMibrg=".into()),
        tunnel: None,
        mirror: None,
    };
    let tunnelled = AlertEvent {
        pcap_cnt: None,
        pkt_src: PktSrc::Vxlan,
        tunnel: Some(TunnelInfo {
            src: a("10.0.1.10"),
            src_port: 65408,
            dst: a("10.0.0.100"),
            dst_port: 4789,
            protocol: 17,
            depth: 1,
            pcap_cnt: Some(3),
        }),
        mirror: Some(MirrorContext {
            vni: Some(7),
            interface_id: Some("eni-0a1b2c3d4e5f60718".into()),
            mirror_src: Some(a("10.0.1.10")),
            gwlb: GwlbOptions::default(),
        }),
        ..base.clone()
    };
    let icmp6 = AlertEvent {
        src: a("2001:db8::10"),
        dst: a("2001:db8:1::20"),
        protocol: 58,
        icmp: Some((128, 0)),
        app_proto: None,
        app: None,
        tx_id: None,
        direction: None,
        flow: None,
        community_id: None,
        pkt_src: PktSrc::Geneve,
        mirror: Some(MirrorContext {
            vni: Some(0),
            interface_id: None,
            mirror_src: Some(a("10.0.9.10")),
            gwlb: GwlbOptions {
                endpoint_id: Some(0x0ab1_c2d3_e4f5_6789),
                attachment_id: Some(1),
                flow_cookie: Some(0x1234_5678),
            },
        }),
        ..base.clone()
    };
    let stream = AlertEvent {
        pkt_src: PktSrc::StreamFlowTimeout,
        alert: AlertInfo {
            metadata: Arc::from(Vec::new()),
            category: "".into(),
            ..base.alert.clone()
        },
        ..base.clone()
    };
    vec![base, tunnelled, icmp6, stream]
}

const VALIDATE: &str = r#"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
plain = json.loads(json.dumps(schema))
schema["properties"]["vxtap"] = json.load(open(sys.argv[2]))
n = 0
for line in open(sys.argv[3]):
    event = json.loads(line)
    jsonschema.validate(event, schema)
    event.pop("vxtap", None)
    jsonschema.validate(event, plain)
    n += 1
print(n)
"#;

/// Validates every line of `eve` with [`VALIDATE`]; returns the count.
fn validate(eve: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema = root.join("../shared/eve/schema-7.0.10.json");
    assert!(
        schema.exists(),
        "{} missing: the shared material must sit beside the project",
        schema.display()
    );
    let out = Command::new("python3")
        .args(["-c", VALIDATE])
        .arg(&schema)
        .arg(root.join("docs/eve-vxtap.schema.json"))
        .arg(eve)
        .output()
        .expect("python3 (with jsonschema: pip install jsonschema, as .ci/run does)");
    assert!(
        out.status.success(),
        "schema validation failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// What `replay --rules` writes on the bundled capture validates too.
#[test]
fn a_real_runs_alerts_validate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_vxtap"))
        .arg("replay")
        .arg(root.join("pcaps/sample-mirror.pcap"))
        .arg("--rules")
        .arg(root.join("rules"))
        .arg("--out")
        .arg(dir.path())
        .arg("-q")
        .output()
        .unwrap();
    assert!(run.status.success());
    let n: usize = validate(&dir.path().join("eve.json")).parse().unwrap();
    assert!(n > 0);
}

#[test]
fn every_alert_kind_validates_against_suricatas_schema() {
    let dir = tempfile::tempdir().unwrap();
    let mut eve = EveFile::create(dir.path()).unwrap();
    let all = events();
    for e in &all {
        eve.write(e).unwrap();
    }
    let path = eve.close().unwrap();
    assert_eq!(validate(&path), all.len().to_string());
}
