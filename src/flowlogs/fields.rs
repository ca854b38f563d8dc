//! The table of flow-log fields: name, version that introduced it, and type.
//!
//! Adding a field is one line in the `fields!` invocation below. Sources:
//! `../shared/flowlogs/FORMAT.md` §2 (VPC fields v2–v8, the newer
//! `resource-id`/`encryption-status`, and the Transit Gateway v6 fields).

/// How the text of a field is typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// Unsigned decimal integer (u64).
    Int,
    /// Unix time in seconds (u64). Values above [`MILLIS_THRESHOLD`] are
    /// milliseconds (seen by flowlogs_reader) and are normalised to seconds
    /// by the typed accessors and the JSON writer.
    Time,
    /// Port number 0–65535.
    Port,
    /// IANA protocol number 0–255.
    Protocol,
    /// IPv4 or IPv6 address.
    Addr,
    /// One of a fixed set of values.
    Enum(&'static [&'static str]),
    /// Free text (ids, ARNs, names; also fields this table does not know).
    Text,
}

impl FieldKind {
    /// True for kinds written as JSON integers.
    pub const fn is_integer(self) -> bool {
        matches!(self, Self::Int | Self::Time | Self::Port | Self::Protocol)
    }
}

/// Start/end values above this are taken as milliseconds: 10^11 seconds is
/// the year 5138, 10^11 milliseconds is 1973.
pub const MILLIS_THRESHOLD: u64 = 99_999_999_999;

/// Values of `action`.
pub const ACTIONS: &[&str] = &["ACCEPT", "REJECT"];
/// Values of `log-status`.
pub const LOG_STATUSES: &[&str] = &["OK", "NODATA", "SKIPDATA"];
/// Values of `type`.
pub const TRAFFIC_TYPES: &[&str] = &["IPv4", "IPv6", "EFA"];
/// Values of `flow-direction`.
pub const DIRECTIONS: &[&str] = &["ingress", "egress"];
/// Values of `sublocation-type`.
pub const SUBLOCATION_TYPES: &[&str] = &["wavelength", "outpost", "localzone"];

/// One row of the field table.
#[derive(Clone, Copy, Debug)]
pub struct FieldDef {
    /// Identifier (its discriminant is the row index).
    pub id: FieldId,
    /// AWS name as written in headers and `${…}` formats.
    pub name: &'static str,
    /// Flow-log version that introduced the field.
    pub version: u8,
    /// How its text is typed.
    pub kind: FieldKind,
    /// True for Transit Gateway flow-log fields.
    pub tgw: bool,
}

macro_rules! fields {
    ($( $id:ident = $name:literal, $ver:literal, $kind:expr, $tgw:literal; )*) => {
        /// A known flow-log field.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum FieldId { $( #[doc = $name] $id, )* }

        /// Every known field, indexed by `FieldId as usize`.
        pub const FIELDS: &[FieldDef] = &[
            $( FieldDef { id: FieldId::$id, name: $name, version: $ver, kind: $kind, tgw: $tgw }, )*
        ];
    };
}

use FieldKind::{Addr, Enum, Int, Port, Protocol, Text, Time};

fields! {
    Version = "version", 2, Int, false;
    AccountId = "account-id", 2, Text, false;
    InterfaceId = "interface-id", 2, Text, false;
    Srcaddr = "srcaddr", 2, Addr, false;
    Dstaddr = "dstaddr", 2, Addr, false;
    Srcport = "srcport", 2, Port, false;
    Dstport = "dstport", 2, Port, false;
    Protocol = "protocol", 2, Protocol, false;
    Packets = "packets", 2, Int, false;
    Bytes = "bytes", 2, Int, false;
    Start = "start", 2, Time, false;
    End = "end", 2, Time, false;
    Action = "action", 2, Enum(ACTIONS), false;
    LogStatus = "log-status", 2, Enum(LOG_STATUSES), false;
    VpcId = "vpc-id", 3, Text, false;
    SubnetId = "subnet-id", 3, Text, false;
    InstanceId = "instance-id", 3, Text, false;
    TcpFlags = "tcp-flags", 3, Int, false;
    Type = "type", 3, Enum(TRAFFIC_TYPES), false;
    PktSrcaddr = "pkt-srcaddr", 3, Addr, false;
    PktDstaddr = "pkt-dstaddr", 3, Addr, false;
    Region = "region", 4, Text, false;
    AzId = "az-id", 4, Text, false;
    SublocationType = "sublocation-type", 4, Enum(SUBLOCATION_TYPES), false;
    SublocationId = "sublocation-id", 4, Text, false;
    PktSrcAwsService = "pkt-src-aws-service", 5, Text, false;
    PktDstAwsService = "pkt-dst-aws-service", 5, Text, false;
    FlowDirection = "flow-direction", 5, Enum(DIRECTIONS), false;
    TrafficPath = "traffic-path", 5, Int, false;
    ResourceType = "resource-type", 6, Text, true;
    TgwId = "tgw-id", 6, Text, true;
    TgwAttachmentId = "tgw-attachment-id", 6, Text, true;
    TgwSrcVpcAccountId = "tgw-src-vpc-account-id", 6, Text, true;
    TgwDstVpcAccountId = "tgw-dst-vpc-account-id", 6, Text, true;
    TgwSrcVpcId = "tgw-src-vpc-id", 6, Text, true;
    TgwDstVpcId = "tgw-dst-vpc-id", 6, Text, true;
    TgwSrcSubnetId = "tgw-src-subnet-id", 6, Text, true;
    TgwDstSubnetId = "tgw-dst-subnet-id", 6, Text, true;
    TgwSrcEni = "tgw-src-eni", 6, Text, true;
    TgwDstEni = "tgw-dst-eni", 6, Text, true;
    TgwSrcAzId = "tgw-src-az-id", 6, Text, true;
    TgwDstAzId = "tgw-dst-az-id", 6, Text, true;
    TgwPairAttachmentId = "tgw-pair-attachment-id", 6, Text, true;
    PacketsLostNoRoute = "packets-lost-no-route", 6, Int, true;
    PacketsLostBlackhole = "packets-lost-blackhole", 6, Int, true;
    PacketsLostMtuExceeded = "packets-lost-mtu-exceeded", 6, Int, true;
    PacketsLostTtlExpired = "packets-lost-ttl-expired", 6, Int, true;
    EcsClusterArn = "ecs-cluster-arn", 7, Text, false;
    EcsClusterName = "ecs-cluster-name", 7, Text, false;
    EcsContainerInstanceArn = "ecs-container-instance-arn", 7, Text, false;
    EcsContainerInstanceId = "ecs-container-instance-id", 7, Text, false;
    EcsContainerId = "ecs-container-id", 7, Text, false;
    EcsSecondContainerId = "ecs-second-container-id", 7, Text, false;
    EcsServiceName = "ecs-service-name", 7, Text, false;
    EcsTaskDefinitionArn = "ecs-task-definition-arn", 7, Text, false;
    EcsTaskArn = "ecs-task-arn", 7, Text, false;
    EcsTaskId = "ecs-task-id", 7, Text, false;
    RejectReason = "reject-reason", 8, Text, false;
    ResourceId = "resource-id", 9, Text, false;
    EncryptionStatus = "encryption-status", 9, Int, false;
}

/// Number of known fields.
pub const FIELD_COUNT: usize = FIELDS.len();

/// The default format (all version-2 fields in table order).
pub const DEFAULT_FORMAT: &[FieldId] = &[
    FieldId::Version,
    FieldId::AccountId,
    FieldId::InterfaceId,
    FieldId::Srcaddr,
    FieldId::Dstaddr,
    FieldId::Srcport,
    FieldId::Dstport,
    FieldId::Protocol,
    FieldId::Packets,
    FieldId::Bytes,
    FieldId::Start,
    FieldId::End,
    FieldId::Action,
    FieldId::LogStatus,
];

impl FieldId {
    /// The row of this field in [`FIELDS`].
    pub const fn def(self) -> &'static FieldDef {
        &FIELDS[self as usize]
    }

    /// The AWS name.
    pub const fn name(self) -> &'static str {
        self.def().name
    }

    /// The field called `name` (exact AWS spelling), if known.
    pub fn from_name(name: &str) -> Option<Self> {
        FIELDS.iter().find(|d| d.name == name).map(|d| d.id)
    }

    /// The field of a Parquet column (`log_status` → `log-status`).
    pub fn from_parquet_column(column: &str) -> Option<Self> {
        FIELDS
            .iter()
            .find(|d| {
                d.name.len() == column.len()
                    && d.name
                        .bytes()
                        .zip(column.bytes())
                        .all(|(a, b)| a == b || (a == b'-' && b == b'_'))
            })
            .map(|d| d.id)
    }
}

/// The known field that `name` is a misspelling of, ignoring `-`/`_` and
/// case (`src-port` → `srcport`, `logstatus` → `log-status`). Such names are
/// rejected even outside `--strict`: they are typos, not new fields.
pub fn near_miss(name: &str) -> Option<FieldId> {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != '-' && *c != '_')
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let wanted = squash(name);
    FIELDS
        .iter()
        .find(|d| d.name != name && squash(d.name) == wanted)
        .map(|d| d.id)
}

/// True if `name` could be a field name AWS adds later: lowercase ASCII
/// letters, digits and single hyphens, starting with a letter.
pub fn is_name_shaped(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && !name.ends_with('-')
        && !name.contains("--")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_index_the_table() {
        for (i, d) in FIELDS.iter().enumerate() {
            assert_eq!(d.id as usize, i, "{}", d.name);
            assert_eq!(FieldId::from_name(d.name), Some(d.id));
        }
    }

    #[test]
    fn parquet_columns_map_to_fields() {
        assert_eq!(
            FieldId::from_parquet_column("log_status"),
            Some(FieldId::LogStatus)
        );
        assert_eq!(FieldId::from_parquet_column("end"), Some(FieldId::End));
        assert_eq!(
            FieldId::from_parquet_column("pkt_src_aws_service"),
            Some(FieldId::PktSrcAwsService)
        );
        assert_eq!(FieldId::from_parquet_column("log_statu"), None);
    }

    #[test]
    fn near_misses_are_typos_of_known_fields() {
        assert_eq!(near_miss("src-port"), Some(FieldId::Srcport));
        assert_eq!(near_miss("logstatus"), Some(FieldId::LogStatus));
        assert_eq!(near_miss("Log_Status"), Some(FieldId::LogStatus));
        assert_eq!(near_miss("srcport"), None);
        assert_eq!(near_miss("instance-tag"), None);
    }

    #[test]
    fn name_shape() {
        assert!(is_name_shaped("instance-tag"));
        assert!(is_name_shaped("az-id"));
        assert!(!is_name_shaped("-"));
        assert!(!is_name_shaped("2"));
        assert!(!is_name_shaped("Version"));
        assert!(!is_name_shaped("a--b"));
        assert!(!is_name_shaped("${version}"));
    }
}
