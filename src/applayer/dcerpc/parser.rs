//! DCE/RPC connection-oriented PDUs (C706 chapter 12, MS-RPCE): the
//! 16-byte common header and the bodies of BIND / ALTER_CONTEXT,
//! BIND_ACK / ALTER_CONTEXT_RESP, REQUEST and RESPONSE. Pure functions
//! over one whole PDU (`frag_length` bytes); integers follow the PDU's
//! data representation (`drep[0] & 0x10`: little endian, else big).
//!
//! Every function returns `None` on a body too short for what it
//! announces; nothing panics on any input.

/// Length of the common header.
pub const HEADER_LEN: usize = 16;

/// PDU types (`PTYPE`).
pub mod ptype {
    /// REQUEST.
    pub const REQUEST: u8 = 0;
    /// RESPONSE.
    pub const RESPONSE: u8 = 2;
    /// FAULT.
    pub const FAULT: u8 = 3;
    /// BIND.
    pub const BIND: u8 = 11;
    /// BIND_ACK.
    pub const BIND_ACK: u8 = 12;
    /// BIND_NAK.
    pub const BIND_NAK: u8 = 13;
    /// ALTER_CONTEXT.
    pub const ALTER_CONTEXT: u8 = 14;
    /// ALTER_CONTEXT_RESP.
    pub const ALTER_CONTEXT_RESP: u8 = 15;
    /// AUTH3.
    pub const AUTH3: u8 = 16;
}

/// `pfc_flags`: first fragment.
pub const PFC_FIRST_FRAG: u8 = 0x01;
/// `pfc_flags`: last fragment.
pub const PFC_LAST_FRAG: u8 = 0x02;
/// `pfc_flags`: an object UUID follows the request header.
pub const PFC_OBJECT_UUID: u8 = 0x80;

/// Length of the REQUEST body header (alloc_hint, p_cont_id, opnum).
pub const REQUEST_HEADER_LEN: usize = 8;
/// Length of the RESPONSE body header (alloc_hint, p_cont_id,
/// cancel_count, reserved).
pub const RESPONSE_HEADER_LEN: usize = 8;

/// The common header of a connection-oriented PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// `rpc_vers` (5).
    pub version: u8,
    /// `rpc_vers_minor` (0 or 1).
    pub version_minor: u8,
    /// `PTYPE`.
    pub ptype: u8,
    /// `pfc_flags`.
    pub flags: u8,
    /// `packed_drep[0]`: bit 0x10 set means little-endian integers.
    pub drep0: u8,
    /// Length of the whole PDU, header included.
    pub frag_len: u16,
    /// Length of the authentication verifier.
    pub auth_len: u16,
    /// `call_id`.
    pub call_id: u32,
}

impl Header {
    /// Whether integers are little endian.
    pub fn little_endian(&self) -> bool {
        self.drep0 & 0x10 != 0
    }
}

/// Reads integers in one byte order from a slice, never past its end.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    le: bool,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8], le: bool) -> Self {
        Reader { data, pos: 0, le }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.data.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        let b: [u8; 2] = self.take(2)?.try_into().ok()?;
        Some(if self.le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        let b: [u8; 4] = self.take(4)?.try_into().ok()?;
        Some(if self.le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    /// A UUID in the wire's byte order, returned in canonical (RFC 4122,
    /// big-endian) byte order, as `dce_iface` compares it.
    pub(crate) fn uuid(&mut self) -> Option<[u8; 16]> {
        let raw: [u8; 16] = self.take(16)?.try_into().ok()?;
        let mut u = raw;
        if self.le {
            u[0..4].reverse();
            u[4..6].reverse();
            u[6..8].reverse();
        }
        Some(u)
    }
}

/// Parses the 16-byte common header (any version; the caller checks it).
pub fn header(data: &[u8]) -> Option<Header> {
    let h = data.get(..HEADER_LEN)?;
    let mut r = Reader::new(&h[8..], h[4] & 0x10 != 0);
    Some(Header {
        version: h[0],
        version_minor: h[1],
        ptype: h[2],
        flags: h[3],
        drep0: h[4],
        frag_len: r.u16()?,
        auth_len: r.u16()?,
        call_id: r.u32()?,
    })
}

/// One presentation context of a BIND / ALTER_CONTEXT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextItem {
    /// `p_cont_id`.
    pub ctxid: u16,
    /// Abstract syntax (interface) UUID, canonical byte order.
    pub uuid: [u8; 16],
    /// Interface major version.
    pub version: u16,
    /// Interface minor version.
    pub version_minor: u16,
}

/// Parses the context items of a BIND / ALTER_CONTEXT body (`body`: the
/// bytes after the common header). A truncated list yields the items
/// that fit and `false`.
pub fn bind(body: &[u8], le: bool) -> (Vec<ContextItem>, bool) {
    let mut r = Reader::new(body, le);
    let mut items = Vec::new();
    // max_xmit_frag, max_recv_frag, assoc_group_id.
    if r.take(8).is_none() {
        return (items, false);
    }
    let Some(n) = r.u8() else {
        return (items, false);
    };
    if r.take(3).is_none() {
        return (items, false);
    }
    for _ in 0..n {
        let item = (|| {
            let ctxid = r.u16()?;
            let n_transfer = r.u8()?;
            r.u8()?;
            let uuid = r.uuid()?;
            let version = r.u16()?;
            let version_minor = r.u16()?;
            // Each transfer syntax: UUID and a 32-bit version.
            r.take(20usize.checked_mul(n_transfer as usize)?)?;
            Some(ContextItem {
                ctxid,
                uuid,
                version,
                version_minor,
            })
        })();
        match item {
            Some(i) => items.push(i),
            None => return (items, false),
        }
    }
    (items, true)
}

/// One result of a BIND_ACK / ALTER_CONTEXT_RESP, in the order of the
/// bind's context items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckResult {
    /// 0 acceptance, 1 user rejection, 2 provider rejection,
    /// 3 negotiate ack (bind-time feature negotiation).
    pub result: u16,
    /// Reason of a rejection.
    pub reason: u16,
}

/// Parses the result list of a BIND_ACK / ALTER_CONTEXT_RESP body.
pub fn bind_ack(body: &[u8], le: bool) -> Option<Vec<AckResult>> {
    let mut r = Reader::new(body, le);
    r.take(8)?;
    let sec_addr_len = r.u16()? as usize;
    r.take(sec_addr_len)?;
    // The result list is aligned on 4 bytes (from the PDU start; the
    // header and the 8 fixed bytes are 24, a multiple of 4).
    let pad = (4 - (2 + sec_addr_len) % 4) % 4;
    r.take(pad)?;
    let n = r.u8()?;
    r.take(3)?;
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let result = r.u16()?;
        let reason = r.u16()?;
        r.take(20)?;
        out.push(AckResult { result, reason });
    }
    Some(out)
}

/// The REQUEST body header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// `p_cont_id`.
    pub ctxid: u16,
    /// Operation number.
    pub opnum: u16,
    /// Bytes of the body before the stub data (8, or 24 with an object
    /// UUID).
    pub stub_offset: usize,
}

/// Parses a REQUEST body header (`flags`: the header's `pfc_flags`).
pub fn request(body: &[u8], le: bool, flags: u8) -> Option<Request> {
    let mut r = Reader::new(body, le);
    r.u32()?;
    let ctxid = r.u16()?;
    let opnum = r.u16()?;
    if flags & PFC_OBJECT_UUID != 0 {
        r.take(16)?;
    }
    Some(Request {
        ctxid,
        opnum,
        stub_offset: r.pos(),
    })
}

/// The `p_cont_id` of a RESPONSE body.
pub fn response_ctxid(body: &[u8], le: bool) -> Option<u16> {
    let mut r = Reader::new(body, le);
    r.u32()?;
    r.u16()
}

/// The canonical text of a UUID (lower-case, dashed).
pub fn uuid_string(u: &[u8; 16]) -> String {
    let h: Vec<String> = u.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        h[0..4].concat(),
        h[4..6].concat(),
        h[6..8].concat(),
        h[8..10].concat(),
        h[10..16].concat()
    )
}

/// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (any case), the same
/// without dashes, or either after `urn:uuid:`, into canonical bytes, as a
/// rule's `dce_iface` names an interface (the forms Suricata 7.0.10
/// accepts; braces are refused as there).
pub fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let s = s.strip_prefix("urn:uuid:").unwrap_or(s);
    let groups: Vec<&str> = s.split('-').collect();
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    if lens != [8, 4, 4, 4, 12] && lens != [32] {
        return None;
    }
    let hex = groups.concat();
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}
