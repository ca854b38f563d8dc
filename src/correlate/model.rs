//! What the join works on: the join key of a record (interface, direction as
//! source → destination, 5-tuple), one record reduced to what the report
//! needs, and the interned interfaces with what is known about them.

use std::net::IpAddr;

use hashbrown::HashMap;

use crate::flowlogs::Action;

/// Which log a record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// AWS's VPC Flow Logs.
    Aws,
    /// vxtap's records of the mirrored traffic.
    Observed,
}

/// The join key: one direction of one flow on one interface. `iface` 0 is
/// "no interface" (joining on the other keys alone, without a config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowKey {
    /// Interned interface id.
    pub iface: u32,
    /// IANA protocol.
    pub protocol: u8,
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
}

impl FlowKey {
    /// The Community ID v1 of the flow (what Suricata and Zeek log). AWS
    /// records carry no ICMP type/code, so ICMP ids use type 0, code 0.
    pub fn community_id(&self) -> String {
        crate::flow::community_id(
            self.protocol,
            self.src.into(),
            self.dst.into(),
            self.sport,
            self.dport,
        )
    }
}

/// One record as the join keeps it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Which log.
    pub side: Side,
    /// First packet, Unix seconds (milliseconds normalised).
    pub start: u64,
    /// Last packet, Unix seconds.
    pub end: u64,
    /// Packets.
    pub packets: u64,
    /// Bytes.
    pub bytes: u64,
    /// `action` (vxtap writes ACCEPT).
    pub action: Option<Action>,
    /// v8 `reject-reason`, when given.
    pub reject_reason: Option<Box<str>>,
    /// `flow-direction`: true for ingress, false for egress.
    pub ingress: Option<bool>,
    /// Interned source file.
    pub file: u32,
    /// 1-based line (Parquet: row) in the file.
    pub line: u64,
}

/// What is known about one interface.
#[derive(Debug, Clone, Default)]
pub struct IfaceInfo {
    /// `eni-…`, or `-` for "no interface".
    pub name: String,
    /// account-id, vpc-id, subnet-id, instance-id, az-id, region: from AWS
    /// records when they carry them, else from the session config.
    pub account_id: Option<String>,
    /// VPC.
    pub vpc_id: Option<String>,
    /// Subnet.
    pub subnet_id: Option<String>,
    /// Instance.
    pub instance_id: Option<String>,
    /// Availability-zone id.
    pub az_id: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// A `[[session]]` of the config maps a VNI to this interface.
    pub in_config: bool,
    /// The ENI's own addresses (config), for flow direction.
    pub addresses: Vec<IpAddr>,
    /// AWS records of any status seen for it.
    pub aws_records: u64,
    /// AWS records with log-status OK and action ACCEPT.
    pub aws_accept: u64,
    /// vxtap records seen for it.
    pub observed_records: u64,
}

/// Interned interfaces; id 0 is `-`.
#[derive(Debug)]
pub struct Interfaces {
    ids: HashMap<String, u32>,
    /// Indexed by id.
    pub info: Vec<IfaceInfo>,
}

impl Default for Interfaces {
    fn default() -> Self {
        Interfaces {
            ids: HashMap::new(),
            info: vec![IfaceInfo {
                name: "-".into(),
                ..IfaceInfo::default()
            }],
        }
    }
}

impl Interfaces {
    /// The id of `name`, interning it on first sight.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.info.len() as u32;
        self.ids.insert(name.to_string(), id);
        self.info.push(IfaceInfo {
            name: name.to_string(),
            ..IfaceInfo::default()
        });
        id
    }

    /// Information of `id`.
    pub fn get(&self, id: u32) -> &IfaceInfo {
        &self.info[id as usize]
    }

    /// Mutable information of `id`.
    pub fn get_mut(&mut self, id: u32) -> &mut IfaceInfo {
        &mut self.info[id as usize]
    }

    /// The id of `name` if known.
    pub fn lookup(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }
}

/// Interned strings (file names) for compact entries.
#[derive(Debug, Default)]
pub struct Names {
    /// Indexed by id.
    pub names: Vec<String>,
}

impl Names {
    /// Adds a name, returning its id.
    pub fn push(&mut self, name: String) -> u32 {
        self.names.push(name);
        (self.names.len() - 1) as u32
    }
}
