//! Every field a record can carry: AWS's VPC Flow Logs fields (v2–v8) and
//! vxtap's own. Adding a field means one line in [`FIELDS`] and one arm in
//! [`Field::render`] — nowhere else.

use super::text;
use crate::config::SessionMeta;
use crate::decap::Tunnel;
use crate::flow::FlowRecord;

/// A field of a flow-log record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Field {
    Version,
    AccountId,
    InterfaceId,
    SrcAddr,
    DstAddr,
    SrcPort,
    DstPort,
    Protocol,
    Packets,
    Bytes,
    Start,
    End,
    Action,
    LogStatus,
    VpcId,
    SubnetId,
    InstanceId,
    TcpFlags,
    Type,
    PktSrcAddr,
    PktDstAddr,
    Region,
    AzId,
    SublocationType,
    SublocationId,
    PktSrcAwsService,
    PktDstAwsService,
    FlowDirection,
    TrafficPath,
    EcsClusterArn,
    EcsClusterName,
    EcsContainerInstanceArn,
    EcsContainerInstanceId,
    EcsContainerId,
    EcsSecondContainerId,
    EcsServiceName,
    EcsTaskDefinitionArn,
    EcsTaskArn,
    EcsTaskId,
    RejectReason,
    // vxtap's own fields.
    Vni,
    MirrorSrcAddr,
    CommunityId,
    Tunnel,
    GwlbEndpointId,
    GwlbAttachmentId,
    GwlbFlowCookie,
    Window,
    First,
    Last,
}

/// Name, flow-log version (0 for vxtap's own fields) and what a field holds.
pub struct FieldDef {
    /// The field.
    pub field: Field,
    /// The name used in `${…}` formats and header lines.
    pub name: &'static str,
    /// AWS version that introduced it; 0 for vxtap extensions.
    pub version: u8,
    /// One-line description (shown by `--help-fields`).
    pub doc: &'static str,
}

macro_rules! defs {
    ($(($f:ident, $n:literal, $v:literal, $d:literal)),* $(,)?) => {
        /// The field table.
        pub const FIELDS: &[FieldDef] = &[$(FieldDef { field: Field::$f, name: $n, version: $v, doc: $d }),*];
    };
}

defs![
    (
        Version,
        "version",
        2,
        "flow-log version of the format (highest version among its fields)"
    ),
    (
        AccountId,
        "account-id",
        2,
        "account of the mirrored ENI (session config)"
    ),
    (
        InterfaceId,
        "interface-id",
        2,
        "mirrored ENI (session config)"
    ),
    (SrcAddr, "srcaddr", 2, "inner source address"),
    (DstAddr, "dstaddr", 2, "inner destination address"),
    (
        SrcPort,
        "srcport",
        2,
        "source port (0 without ports; fragments: their datagram's)"
    ),
    (DstPort, "dstport", 2, "destination port"),
    (Protocol, "protocol", 2, "IANA protocol number"),
    (Packets, "packets", 2, "packets in the window"),
    (
        Bytes,
        "bytes",
        2,
        "sum of inner IP lengths (original sizes, truncation does not shrink it)"
    ),
    (
        Start,
        "start",
        2,
        "Unix seconds of the first packet in the window"
    ),
    (
        End,
        "end",
        2,
        "Unix seconds of the last packet in the window"
    ),
    (
        Action,
        "action",
        2,
        "ACCEPT (mirrored traffic was delivered)"
    ),
    (LogStatus, "log-status", 2, "OK"),
    (VpcId, "vpc-id", 3, "VPC of the ENI (session config)"),
    (
        SubnetId,
        "subnet-id",
        3,
        "subnet of the ENI (session config)"
    ),
    (
        InstanceId,
        "instance-id",
        3,
        "instance of the ENI (session config)"
    ),
    (
        TcpFlags,
        "tcp-flags",
        3,
        "OR of FIN 1, SYN 2, RST 4, SYN-ACK 18 (0 for other protocols)"
    ),
    (Type, "type", 3, "IPv4 or IPv6"),
    (
        PktSrcAddr,
        "pkt-srcaddr",
        3,
        "packet source address (no NAT is visible in a mirror: = srcaddr)"
    ),
    (
        PktDstAddr,
        "pkt-dstaddr",
        3,
        "packet destination address (= dstaddr)"
    ),
    (Region, "region", 4, "region (session config)"),
    (AzId, "az-id", 4, "availability-zone id (session config)"),
    (
        SublocationType,
        "sublocation-type",
        4,
        "sublocation type (session config)"
    ),
    (
        SublocationId,
        "sublocation-id",
        4,
        "sublocation id (session config)"
    ),
    (
        PktSrcAwsService,
        "pkt-src-aws-service",
        5,
        "not known to a mirror: -"
    ),
    (
        PktDstAwsService,
        "pkt-dst-aws-service",
        5,
        "not known to a mirror: -"
    ),
    (
        FlowDirection,
        "flow-direction",
        5,
        "ingress/egress relative to the ENI's addresses, - when neither"
    ),
    (TrafficPath, "traffic-path", 5, "not known to a mirror: -"),
    (EcsClusterArn, "ecs-cluster-arn", 7, "session config"),
    (EcsClusterName, "ecs-cluster-name", 7, "session config"),
    (
        EcsContainerInstanceArn,
        "ecs-container-instance-arn",
        7,
        "session config"
    ),
    (
        EcsContainerInstanceId,
        "ecs-container-instance-id",
        7,
        "session config"
    ),
    (EcsContainerId, "ecs-container-id", 7, "session config"),
    (
        EcsSecondContainerId,
        "ecs-second-container-id",
        7,
        "session config"
    ),
    (EcsServiceName, "ecs-service-name", 7, "session config"),
    (
        EcsTaskDefinitionArn,
        "ecs-task-definition-arn",
        7,
        "session config"
    ),
    (EcsTaskArn, "ecs-task-arn", 7, "session config"),
    (EcsTaskId, "ecs-task-id", 7, "session config"),
    (
        RejectReason,
        "reject-reason",
        8,
        "mirrored traffic was accepted: -"
    ),
    (
        Vni,
        "vni",
        0,
        "vxtap: VXLAN/GENEVE VNI = the mirror session (- for plain packets)"
    ),
    (
        MirrorSrcAddr,
        "mirror-srcaddr",
        0,
        "vxtap: outer source address (mirrored ENI or GWLB)"
    ),
    (
        CommunityId,
        "community-id",
        0,
        "vxtap: Community ID v1 of the flow (as Suricata/Zeek log it)"
    ),
    (Tunnel, "tunnel", 0, "vxtap: vxlan, geneve or -"),
    (
        GwlbEndpointId,
        "gwlb-endpoint-id",
        0,
        "vxtap: GWLB endpoint id TLV, 16 hex digits"
    ),
    (
        GwlbAttachmentId,
        "gwlb-attachment-id",
        0,
        "vxtap: GWLB attachment id TLV, 16 hex digits"
    ),
    (
        GwlbFlowCookie,
        "gwlb-flow-cookie",
        0,
        "vxtap: GWLB flow cookie TLV, 8 hex digits"
    ),
    (
        Window,
        "window",
        0,
        "vxtap: start of the aggregation window, Unix seconds"
    ),
    (
        First,
        "first",
        0,
        "vxtap: first packet time, seconds.nanoseconds"
    ),
    (
        Last,
        "last",
        0,
        "vxtap: last packet time, seconds.nanoseconds"
    ),
];

impl Field {
    /// Looks a field up by its `${…}` name.
    pub fn by_name(name: &str) -> Option<&'static FieldDef> {
        FIELDS.iter().find(|d| d.name == name)
    }

    /// The definition of this field.
    pub fn def(self) -> &'static FieldDef {
        FIELDS
            .iter()
            .find(|d| d.field == self)
            .expect("every field is in FIELDS")
    }

    /// Appends the field's value (`-` when unknown) to `out`.
    pub fn render(self, r: &FlowRecord, s: &SessionMeta, version: u8, out: &mut String) {
        let _ = match self {
            Field::Version => num(out, version as u64),
            Field::AccountId => opt(out, &s.account_id),
            Field::InterfaceId => opt(out, &s.interface_id),
            Field::SrcAddr | Field::PktSrcAddr => addr(out, &r.src),
            Field::DstAddr | Field::PktDstAddr => addr(out, &r.dst),
            Field::SrcPort => num(out, r.src_port as u64),
            Field::DstPort => num(out, r.dst_port as u64),
            Field::Protocol => num(out, r.protocol as u64),
            Field::Packets => num(out, r.packets),
            Field::Bytes => num(out, r.bytes),
            Field::Start => num(out, r.start()),
            Field::End => num(out, r.end()),
            Field::Action => put(out, "ACCEPT"),
            Field::LogStatus => put(out, "OK"),
            Field::VpcId => opt(out, &s.vpc_id),
            Field::SubnetId => opt(out, &s.subnet_id),
            Field::InstanceId => opt(out, &s.instance_id),
            Field::TcpFlags => num(out, r.tcp_flags as u64),
            Field::Type => put(out, if r.src.v6 { "IPv6" } else { "IPv4" }),
            Field::Region => opt(out, &s.region),
            Field::AzId => opt(out, &s.az_id),
            Field::SublocationType => opt(out, &s.sublocation_type),
            Field::SublocationId => opt(out, &s.sublocation_id),
            Field::FlowDirection => put(out, s.direction(r)),
            Field::EcsClusterArn => opt(out, &s.ecs_cluster_arn),
            Field::EcsClusterName => opt(out, &s.ecs_cluster_name),
            Field::EcsContainerInstanceArn => opt(out, &s.ecs_container_instance_arn),
            Field::EcsContainerInstanceId => opt(out, &s.ecs_container_instance_id),
            Field::EcsContainerId => opt(out, &s.ecs_container_id),
            Field::EcsSecondContainerId => opt(out, &s.ecs_second_container_id),
            Field::EcsServiceName => opt(out, &s.ecs_service_name),
            Field::EcsTaskDefinitionArn => opt(out, &s.ecs_task_definition_arn),
            Field::EcsTaskArn => opt(out, &s.ecs_task_arn),
            Field::EcsTaskId => opt(out, &s.ecs_task_id),
            Field::PktSrcAwsService
            | Field::PktDstAwsService
            | Field::TrafficPath
            | Field::RejectReason => put(out, "-"),
            Field::Vni => match r.vni {
                Some(v) => num(out, v as u64),
                None => put(out, "-"),
            },
            Field::MirrorSrcAddr => match r.mirror_src {
                Some(a) => addr(out, &a),
                None => put(out, "-"),
            },
            Field::CommunityId => put(out, &r.community_id),
            Field::Tunnel => put(
                out,
                match r.tunnel {
                    Tunnel::None => "-",
                    Tunnel::Vxlan => "vxlan",
                    Tunnel::Geneve => "geneve",
                },
            ),
            Field::GwlbEndpointId => opt(out, &r.gwlb.endpoint_id.map(|v| format!("{v:016x}"))),
            Field::GwlbAttachmentId => opt(out, &r.gwlb.attachment_id.map(|v| format!("{v:016x}"))),
            Field::GwlbFlowCookie => opt(out, &r.gwlb.flow_cookie.map(|v| format!("{v:08x}"))),
            Field::Window => num(out, r.window),
            Field::First => {
                text::push_seconds_nanos(out, r.first_ns);
                Ok(())
            }
            Field::Last => {
                text::push_seconds_nanos(out, r.last_ns);
                Ok(())
            }
        };
    }
}

fn num(out: &mut String, v: u64) -> std::fmt::Result {
    text::push_u64(out, v);
    Ok(())
}

fn addr(out: &mut String, a: &crate::wire::Addr) -> std::fmt::Result {
    text::push_addr(out, a);
    Ok(())
}

fn put(out: &mut String, s: &str) -> std::fmt::Result {
    out.push_str(s);
    Ok(())
}

/// A configured or optional value, `-` when absent (AWS's spelling of unknown).
fn opt(out: &mut String, v: &Option<String>) -> std::fmt::Result {
    put(out, v.as_deref().unwrap_or("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_complete() {
        let mut names: Vec<_> = FIELDS.iter().map(|d| d.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), FIELDS.len());
        assert_eq!(
            Field::by_name("log-status").unwrap().field,
            Field::LogStatus
        );
        assert_eq!(Field::Vni.def().name, "vni");
        assert!(Field::by_name("nope").is_none());
    }
}
