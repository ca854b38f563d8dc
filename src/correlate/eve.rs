//! EVE alerts (Suricata's, or vxtap's IDS writing the same schema) enriched
//! with what AWS's flow logs say about their flow: the alert's JSON plus an
//! `aws` object (interface, account, VPC, subnet, instance, AZ, region,
//! action, the AWS record). An alert joins an AWS record of the same flow in
//! either direction (protocol, addresses, ports) whose `[start, end]`,
//! widened by the tolerance, holds the alert's timestamp; the first such
//! record (in the join's decision order) wins.
//!
//! Alerts are held in memory (alerts are few next to flow records); other
//! event types are not copied. Lines that are not JSON objects are counted
//! with their line number.

use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono::DateTime;
use hashbrown::HashMap;
use serde_json::{Map, Value};

use super::model::{Entry, FlowKey, IfaceInfo};

/// Direction-free flow key: protocol and the two endpoints in order.
type SymKey = (u8, (IpAddr, u16), (IpAddr, u16));

fn sym(protocol: u8, a: (IpAddr, u16), b: (IpAddr, u16)) -> SymKey {
    if a <= b {
        (protocol, a, b)
    } else {
        (protocol, b, a)
    }
}

struct Alert {
    json: Map<String, Value>,
    ts: u64,
    aws: Option<Value>,
}

/// A bad EVE line.
#[derive(Debug, Clone)]
pub struct EveError {
    /// File.
    pub path: PathBuf,
    /// 1-based line.
    pub line: u64,
    /// What is wrong.
    pub detail: String,
}

/// The alerts of an EVE file, indexed by flow.
#[derive(Default)]
pub struct EveIndex {
    alerts: Vec<Alert>,
    by_flow: HashMap<SymKey, Vec<u32>>,
    /// Bad lines.
    pub errors: Vec<EveError>,
    /// Bad lines in all (errors keeps the first 100).
    pub error_count: u64,
    /// Events that are not alerts (skipped).
    pub other_events: u64,
}

/// EVE's `proto` names (Suricata writes names for known protocols, numbers otherwise).
fn proto_number(v: &Value) -> Option<u8> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u8::try_from(n).ok()),
        Value::String(s) => match s.as_str() {
            "TCP" => Some(6),
            "UDP" => Some(17),
            "ICMP" => Some(1),
            "IPv6-ICMP" | "ICMPv6" => Some(58),
            "SCTP" => Some(132),
            "GRE" => Some(47),
            "ESP" => Some(50),
            other => other.parse().ok(),
        },
        _ => None,
    }
}

impl EveIndex {
    /// Reads the alerts of `path`.
    pub fn load(path: &Path) -> std::io::Result<Self> {
        let mut idx = EveIndex::default();
        let reader = BufReader::new(std::fs::File::open(path)?);
        for (n, line) in reader.split(b'\n').enumerate() {
            let line = line?;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match idx.parse(&line) {
                Ok(true) => {}
                Ok(false) => idx.other_events += 1,
                Err(detail) => {
                    idx.error_count += 1;
                    if idx.errors.len() < 100 {
                        idx.errors.push(EveError {
                            path: path.to_owned(),
                            line: n as u64 + 1,
                            detail,
                        });
                    }
                }
            }
        }
        Ok(idx)
    }

    /// Parses one line; `Ok(false)` for events other than alerts.
    fn parse(&mut self, line: &[u8]) -> Result<bool, String> {
        let v: Value = serde_json::from_slice(line).map_err(|e| format!("not JSON: {e}"))?;
        let Value::Object(json) = v else {
            return Err("not a JSON object".into());
        };
        if json.get("event_type").and_then(Value::as_str) != Some("alert") {
            return Ok(false);
        }
        let field = |k: &str| json.get(k).ok_or_else(|| format!("alert without `{k}`"));
        let ts = field("timestamp")?
            .as_str()
            .and_then(|t| DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f%z").ok())
            .and_then(|t| u64::try_from(t.timestamp()).ok())
            .ok_or("`timestamp` is not an EVE time (2023-11-14T22:13:20.000000+0000)")?;
        let addr = |k: &str| -> Result<IpAddr, String> {
            field(k)?
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("`{k}` is not an IP address"))
        };
        let (src, dst) = (addr("src_ip")?, addr("dest_ip")?);
        let proto = proto_number(field("proto")?).ok_or("`proto` is not a protocol")?;
        // ICMP alerts carry no ports; AWS writes 0 for them.
        let port = |k: &str| {
            json.get(k)
                .and_then(Value::as_u64)
                .and_then(|p| u16::try_from(p).ok())
                .unwrap_or(0)
        };
        let key = sym(proto, (src, port("src_port")), (dst, port("dest_port")));
        let id = self.alerts.len() as u32;
        self.alerts.push(Alert {
            json,
            ts,
            aws: None,
        });
        self.by_flow.entry(key).or_default().push(id);
        Ok(true)
    }

    /// Alerts read.
    pub fn alerts(&self) -> usize {
        self.alerts.len()
    }

    /// Alerts that got an `aws` object.
    pub fn enriched(&self) -> usize {
        self.alerts.iter().filter(|a| a.aws.is_some()).count()
    }

    /// Offers an AWS record decided by the join to the alerts of its flow.
    pub fn offer(&mut self, key: &FlowKey, e: &Entry, iface: &IfaceInfo, tol: u64, source: &str) {
        if self.alerts.is_empty() {
            return;
        }
        let k = sym(key.protocol, (key.src, key.sport), (key.dst, key.dport));
        let Some(ids) = self.by_flow.get(&k) else {
            return;
        };
        for &id in ids {
            let a = &mut self.alerts[id as usize];
            if a.aws.is_some()
                || a.ts.saturating_add(tol) < e.start
                || a.ts > e.end.saturating_add(tol)
            {
                continue;
            }
            let s = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
            a.aws = Some(serde_json::json!({
                "interface-id": if iface.name == "-" { Value::Null } else { Value::String(iface.name.clone()) },
                "account-id": s(&iface.account_id),
                "vpc-id": s(&iface.vpc_id),
                "subnet-id": s(&iface.subnet_id),
                "instance-id": s(&iface.instance_id),
                "az-id": s(&iface.az_id),
                "region": s(&iface.region),
                "action": e.action.map(|a| match a {
                    crate::flowlogs::Action::Accept => "ACCEPT",
                    crate::flowlogs::Action::Reject => "REJECT",
                }),
                "reject-reason": e.reject_reason.as_deref(),
                "record": {
                    "srcaddr": key.src.to_string(),
                    "dstaddr": key.dst.to_string(),
                    "srcport": key.sport,
                    "dstport": key.dport,
                    "protocol": key.protocol,
                    "packets": e.packets,
                    "bytes": e.bytes,
                    "start": e.start,
                    "end": e.end,
                    "source": source,
                },
                "community_id": key.community_id(),
            }));
        }
    }

    /// Writes every alert, with its `aws` object when one was found, as JSON lines.
    pub fn write(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        for a in &self.alerts {
            let mut json = a.json.clone();
            if let Some(aws) = &a.aws {
                json.insert("aws".into(), aws.clone());
            }
            serde_json::to_writer(&mut *out, &Value::Object(json))?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::model::Side;

    #[test]
    fn alerts_join_either_direction_within_tolerance() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("eve.json");
        std::fs::write(
            &p,
            concat!(
                r#"{"timestamp":"2023-11-14T22:13:40.123456+0000","event_type":"alert","src_ip":"192.0.2.9","src_port":443,"dest_ip":"10.0.1.10","dest_port":40000,"proto":"TCP","alert":{"signature_id":1}}"#,
                "\n",
                r#"{"timestamp":"2023-11-14T23:13:40.000000+0000","event_type":"alert","src_ip":"192.0.2.9","src_port":443,"dest_ip":"10.0.1.10","dest_port":40000,"proto":"TCP","alert":{"signature_id":2}}"#,
                "\n",
                r#"{"timestamp":"2023-11-14T22:13:40+0000","event_type":"flow","src_ip":"1.1.1.1"}"#,
                "\nnot json\n",
                r#"{"timestamp":"yesterday","event_type":"alert","src_ip":"1.1.1.1","dest_ip":"2.2.2.2","proto":"TCP"}"#,
                "\n"
            ),
        )
        .unwrap();
        let mut idx = EveIndex::load(&p).unwrap();
        assert_eq!((idx.alerts(), idx.other_events, idx.error_count), (2, 1, 2));
        assert_eq!(idx.errors[0].line, 4);
        assert!(
            idx.errors[1].detail.contains("timestamp"),
            "{:?}",
            idx.errors[1]
        );
        let key = FlowKey {
            iface: 1,
            protocol: 6,
            src: "10.0.1.10".parse().unwrap(),
            dst: "192.0.2.9".parse().unwrap(),
            sport: 40000,
            dport: 443,
        };
        let e = Entry {
            side: Side::Aws,
            start: 1_700_000_030,
            end: 1_700_000_089,
            packets: 5,
            bytes: 500,
            action: Some(crate::flowlogs::Action::Accept),
            reject_reason: None,
            ingress: None,
            file: 0,
            line: 3,
        };
        let iface = IfaceInfo {
            name: "eni-1".into(),
            vpc_id: Some("vpc-1".into()),
            ..IfaceInfo::default()
        };
        idx.offer(&key, &e, &iface, 60, "f:3");
        assert_eq!(idx.enriched(), 1);
        let mut out = Vec::new();
        idx.write(&mut out).unwrap();
        let lines: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["aws"]["vpc-id"], "vpc-1");
        assert_eq!(lines[0]["aws"]["action"], "ACCEPT");
        assert_eq!(lines[0]["alert"]["signature_id"], 1);
        assert!(lines[1].get("aws").is_none());
    }
}
