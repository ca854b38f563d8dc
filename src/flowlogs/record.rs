//! Typed flow-log records: a borrowed view ([`Record`]) that costs no
//! allocation per record, and an owned copy ([`OwnedRecord`]) for callers that
//! keep records.
//!
//! Every value keeps the span of its original text, so a record renders back
//! byte for byte; the typed value (integer, address, absent) sits beside it.

use std::net::IpAddr;
use std::sync::Arc;

use super::fields::{FieldId, MILLIS_THRESHOLD};
use super::layout::SourceInfo;
use super::schema::Schema;

/// The typed value of one field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// `-`: not applicable or not computable.
    Absent,
    /// An integer field (ports, protocol, counters, times, version, flags).
    Int(u64),
    /// An address field.
    Addr(IpAddr),
    /// Text (ids, enumerations, unknown fields): see the span.
    Text,
}

/// A value and the span of its text in the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Byte offset of the first character.
    pub start: u32,
    /// Byte offset after the last character.
    pub end: u32,
    /// The typed value.
    pub value: Value,
}

/// `action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Permitted by security groups and network ACLs.
    Accept,
    /// Rejected.
    Reject,
}

/// `log-status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogStatus {
    /// Data logged normally.
    Ok,
    /// No traffic in the capture window.
    NoData,
    /// Some records of the window were skipped.
    SkipData,
}

/// `flow-direction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Into the interface.
    Ingress,
    /// Out of the interface.
    Egress,
}

/// One record, borrowed from the reader: valid until the next call.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    pub(crate) schema: &'a Arc<Schema>,
    /// The record's bytes: valid UTF-8 (every reader checks a line once,
    /// before typing it), kept as bytes so that handing a record out costs
    /// no second check; `&str` views are made only where asked for.
    pub(crate) text: &'a [u8],
    pub(crate) slots: &'a [Slot],
    pub(crate) prefix: Option<&'a str>,
    pub(crate) line: u64,
    pub(crate) source: &'a Arc<SourceInfo>,
}

impl<'a> Record<'a> {
    /// The columns of this record.
    pub fn schema(&self) -> &'a Schema {
        self.schema
    }

    /// 1-based line (Parquet: row; subscription payload: event) it came from.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The record as written (for CloudWatch exports, without the timestamp prefix).
    pub fn text(&self) -> &'a str {
        as_str(self.text)
    }

    /// [`Record::text`] as bytes (no UTF-8 check).
    pub fn text_bytes(&self) -> &'a [u8] {
        self.text
    }

    /// The CloudWatch export timestamp prefix (`2026-11-22T11:59:00.000Z`), if any.
    pub fn prefix(&self) -> Option<&'a str> {
        self.prefix
    }

    /// Where the record came from (file, S3 key fields).
    pub fn source(&self) -> &'a SourceInfo {
        self.source
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True for a record without columns (never produced by the reader).
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Typed value of column `i`.
    pub fn value_at(&self, i: usize) -> Value {
        self.slots[i].value
    }

    /// Text of column `i` as written (`-` for absent).
    pub fn text_at(&self, i: usize) -> &'a str {
        as_str(self.bytes_at(i))
    }

    /// [`Record::text_at`] as bytes (no UTF-8 check).
    #[inline]
    pub fn bytes_at(&self, i: usize) -> &'a [u8] {
        let s = self.slots[i];
        self.text
            .get(s.start as usize..s.end as usize)
            .unwrap_or_default()
    }

    /// Bytes of `field`; `None` if the format lacks it or it is `-`.
    #[inline]
    fn field_bytes(&self, field: FieldId) -> Option<&'a [u8]> {
        let i = self.schema.position(field)?;
        match self.slots[i].value {
            Value::Absent => None,
            _ => Some(self.bytes_at(i)),
        }
    }

    /// Typed value of `field`; `None` if the format lacks it.
    #[inline]
    pub fn get(&self, field: FieldId) -> Option<Value> {
        self.schema.position(field).map(|i| self.slots[i].value)
    }

    /// Text of `field`; `None` if the format lacks it or it is `-`.
    #[inline]
    pub fn str(&self, field: FieldId) -> Option<&'a str> {
        let i = self.schema.position(field)?;
        match self.slots[i].value {
            Value::Absent => None,
            _ => Some(self.text_at(i)),
        }
    }

    /// Integer value of `field` (raw, not normalised).
    #[inline]
    pub fn int(&self, field: FieldId) -> Option<u64> {
        match self.get(field)? {
            Value::Int(v) => Some(v),
            _ => None,
        }
    }

    /// Address value of `field`.
    #[inline]
    pub fn addr(&self, field: FieldId) -> Option<IpAddr> {
        match self.get(field)? {
            Value::Addr(a) => Some(a),
            _ => None,
        }
    }

    /// `version`.
    pub fn version(&self) -> Option<u64> {
        self.int(FieldId::Version)
    }
    /// `account-id` (text: it can have leading zeros or be `unknown`).
    pub fn account_id(&self) -> Option<&'a str> {
        self.str(FieldId::AccountId)
    }
    /// `interface-id`.
    pub fn interface_id(&self) -> Option<&'a str> {
        self.str(FieldId::InterfaceId)
    }
    /// `interface-id` as bytes (no UTF-8 check).
    pub fn interface_bytes(&self) -> Option<&'a [u8]> {
        self.field_bytes(FieldId::InterfaceId)
    }
    /// `srcaddr`.
    pub fn srcaddr(&self) -> Option<IpAddr> {
        self.addr(FieldId::Srcaddr)
    }
    /// `dstaddr`.
    pub fn dstaddr(&self) -> Option<IpAddr> {
        self.addr(FieldId::Dstaddr)
    }
    /// `pkt-srcaddr`.
    pub fn pkt_srcaddr(&self) -> Option<IpAddr> {
        self.addr(FieldId::PktSrcaddr)
    }
    /// `pkt-dstaddr`.
    pub fn pkt_dstaddr(&self) -> Option<IpAddr> {
        self.addr(FieldId::PktDstaddr)
    }
    /// `srcport`.
    pub fn srcport(&self) -> Option<u16> {
        self.int(FieldId::Srcport).map(|v| v as u16)
    }
    /// `dstport`.
    pub fn dstport(&self) -> Option<u16> {
        self.int(FieldId::Dstport).map(|v| v as u16)
    }
    /// `protocol`.
    pub fn protocol(&self) -> Option<u8> {
        self.int(FieldId::Protocol).map(|v| v as u8)
    }
    /// `packets`.
    pub fn packets(&self) -> Option<u64> {
        self.int(FieldId::Packets)
    }
    /// `bytes`.
    pub fn bytes(&self) -> Option<u64> {
        self.int(FieldId::Bytes)
    }
    /// `start` in Unix seconds (millisecond values divided by 1000).
    pub fn start(&self) -> Option<u64> {
        self.int(FieldId::Start).map(normalise_time)
    }
    /// `end` in Unix seconds (millisecond values divided by 1000).
    pub fn end(&self) -> Option<u64> {
        self.int(FieldId::End).map(normalise_time)
    }
    /// `tcp-flags`.
    pub fn tcp_flags(&self) -> Option<u64> {
        self.int(FieldId::TcpFlags)
    }
    /// `action`.
    pub fn action(&self) -> Option<Action> {
        match self.field_bytes(FieldId::Action)? {
            b"ACCEPT" => Some(Action::Accept),
            b"REJECT" => Some(Action::Reject),
            _ => None,
        }
    }
    /// `log-status`.
    pub fn log_status(&self) -> Option<LogStatus> {
        match self.field_bytes(FieldId::LogStatus)? {
            b"OK" => Some(LogStatus::Ok),
            b"NODATA" => Some(LogStatus::NoData),
            b"SKIPDATA" => Some(LogStatus::SkipData),
            _ => None,
        }
    }
    /// `flow-direction`.
    pub fn flow_direction(&self) -> Option<Direction> {
        match self.field_bytes(FieldId::FlowDirection)? {
            b"ingress" => Some(Direction::Ingress),
            b"egress" => Some(Direction::Egress),
            _ => None,
        }
    }

    /// An owned copy (two allocations).
    pub fn to_owned(&self) -> OwnedRecord {
        OwnedRecord {
            schema: Arc::clone(self.schema),
            text: self.text().into(),
            slots: self.slots.into(),
            prefix: self.prefix.map(Into::into),
            line: self.line,
            source: Arc::clone(self.source),
        }
    }
}

/// `bytes` as text. Records hold bytes that were checked to be UTF-8 when
/// their line was read, so this never falls back to the empty string for a
/// record a reader produced.
#[inline]
fn as_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// Seconds from a `start`/`end` value that may be in milliseconds
/// (see [`MILLIS_THRESHOLD`]).
#[inline]
pub const fn normalise_time(v: u64) -> u64 {
    if v > MILLIS_THRESHOLD { v / 1000 } else { v }
}

/// A record that owns its data.
#[derive(Clone, Debug)]
pub struct OwnedRecord {
    schema: Arc<Schema>,
    text: Box<str>,
    slots: Box<[Slot]>,
    prefix: Option<Box<str>>,
    line: u64,
    source: Arc<SourceInfo>,
}

impl OwnedRecord {
    /// The borrowed view with all accessors.
    pub fn as_record(&self) -> Record<'_> {
        Record {
            schema: &self.schema,
            text: self.text.as_bytes(),
            slots: &self.slots,
            prefix: self.prefix.as_deref(),
            line: self.line,
            source: &self.source,
        }
    }
}
