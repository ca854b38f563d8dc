//! SSH wire formats, pure: the identification line (banner), the binary
//! packet header and the KEXINIT payload, and the HASSH string made from
//! it. No state, no allocation except the HASSH string.
//!
//! The banner is split as Suricata 7's `ssh_parse_banner` does: `SSH-`,
//! the protocol version up to the next `-` (at least one byte), then the
//! software version up to the first space, CR or LF — or, when that would
//! be empty or no such byte follows, the whole rest of the line.

/// Bytes of a binary packet header: packet_length (4), padding_length
/// (1), message code (1).
pub const RECORD_HEADER_LEN: usize = 6;

/// SSH_MSG_KEXINIT.
pub const MSG_KEXINIT: u8 = 20;
/// SSH_MSG_NEWKEYS: after it a direction's packets are encrypted.
pub const MSG_NEWKEYS: u8 = 21;

/// Where the first line of `buf` ends, as Suricata's `ssh_parse_line`:
/// a line ends at LF, CR LF, or a CR followed by anything else. Returns
/// `(line length, bytes consumed with the terminator)`, or `None` while
/// the end is not known (no terminator yet, or a CR that is the last
/// byte and might start CR LF).
pub fn find_eol(buf: &[u8]) -> Option<(usize, usize)> {
    let i = buf.iter().position(|&b| b == b'\n' || b == b'\r')?;
    if buf[i] == b'\n' {
        return Some((i, i + 1));
    }
    match buf.get(i + 1) {
        None => None,
        Some(b'\n') => Some((i, i + 2)),
        Some(_) => Some((i, i + 1)),
    }
}

/// The two parts of an identification line rules inspect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Banner<'a> {
    /// `protoversion` (`ssh.proto`), e.g. `2.0`.
    pub proto: &'a [u8],
    /// `softwareversion` (`ssh.software`), e.g. `OpenSSH_7.4`.
    pub software: &'a [u8],
}

/// Splits an identification line (without its terminator). `None` when
/// it is not `SSH-<proto>-...` with a non-empty proto.
pub fn parse_banner(line: &[u8]) -> Option<Banner<'_>> {
    let rest = line.strip_prefix(b"SSH-")?;
    let dash = rest.iter().position(|&b| b == b'-')?;
    if dash == 0 {
        return None;
    }
    let proto = &rest[..dash];
    let after = &rest[dash + 1..];
    let software = match after.iter().position(|b| b" \r\n".contains(b)) {
        Some(p) if p > 0 => &after[..p],
        // No delimiter, or one right away: Suricata's `rest` fallback.
        _ => after,
    };
    Some(Banner { proto, software })
}

/// A binary packet's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// packet_length: the bytes after this field (padding length, payload,
    /// padding); the MAC is not counted.
    pub pkt_len: u32,
    /// padding_length.
    pub padding_len: u8,
    /// The payload's first byte, the message code.
    pub msg_code: u8,
}

impl RecordHeader {
    /// Bytes after the header up to the end of the packet (message body
    /// and padding): `pkt_len - 2`.
    pub fn body_len(&self) -> u32 {
        self.pkt_len - 2
    }
}

/// Why a packet header is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordError {
    /// Fewer than [`RECORD_HEADER_LEN`] bytes.
    Incomplete,
    /// packet_length 0 or 1: it cannot hold the padding length and a
    /// message code (Suricata's `invalid_record`).
    Invalid,
}

/// Reads a packet header from the first [`RECORD_HEADER_LEN`] bytes.
pub fn record_header(buf: &[u8]) -> Result<RecordHeader, RecordError> {
    let h = buf
        .get(..RECORD_HEADER_LEN)
        .ok_or(RecordError::Incomplete)?;
    let pkt_len = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    if pkt_len <= 1 {
        return Err(RecordError::Invalid);
    }
    Ok(RecordHeader {
        pkt_len,
        padding_len: h[4],
        msg_code: h[5],
    })
}

/// The name-lists of an SSH_MSG_KEXINIT (RFC 4253 §7.1), borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KexInit<'a> {
    /// 16 random bytes.
    pub cookie: &'a [u8],
    /// kex_algorithms.
    pub kex: &'a [u8],
    /// server_host_key_algorithms.
    pub host_key: &'a [u8],
    /// encryption_algorithms_client_to_server.
    pub enc_c2s: &'a [u8],
    /// encryption_algorithms_server_to_client.
    pub enc_s2c: &'a [u8],
    /// mac_algorithms_client_to_server.
    pub mac_c2s: &'a [u8],
    /// mac_algorithms_server_to_client.
    pub mac_s2c: &'a [u8],
    /// compression_algorithms_client_to_server.
    pub comp_c2s: &'a [u8],
    /// compression_algorithms_server_to_client.
    pub comp_s2c: &'a [u8],
    /// languages_client_to_server.
    pub lang_c2s: &'a [u8],
    /// languages_server_to_client.
    pub lang_s2c: &'a [u8],
    /// first_kex_packet_follows.
    pub first_kex_follows: u8,
}

/// A `uint32` length then that many bytes.
fn string(buf: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = u32::from_be_bytes(buf.get(..4)?.try_into().ok()?) as usize;
    let s = buf.get(4..4usize.checked_add(len)?)?;
    Some((s, &buf[4 + len..]))
}

/// Parses a KEXINIT body: the bytes after the message code (padding may
/// follow; it is ignored, as the trailing reserved word need not be
/// checked beyond being present).
pub fn parse_kexinit(body: &[u8]) -> Option<KexInit<'_>> {
    let cookie = body.get(..16)?;
    let mut rest = &body[16..];
    let mut lists: [&[u8]; 10] = [&[]; 10];
    for l in &mut lists {
        let (s, r) = string(rest)?;
        *l = s;
        rest = r;
    }
    // first_kex_packet_follows (1) and the reserved uint32 (4).
    let tail = rest.get(..5)?;
    let [
        kex,
        host_key,
        enc_c2s,
        enc_s2c,
        mac_c2s,
        mac_s2c,
        comp_c2s,
        comp_s2c,
        lang_c2s,
        lang_s2c,
    ] = lists;
    Some(KexInit {
        cookie,
        kex,
        host_key,
        enc_c2s,
        enc_s2c,
        mac_c2s,
        mac_s2c,
        comp_c2s,
        comp_s2c,
        lang_c2s,
        lang_s2c,
        first_kex_follows: tail[0],
    })
}

/// The HASSH string of a KEXINIT: `kex;enc;mac;comp` with the
/// client-to-server lists for the client (`hassh`) and the
/// server-to-client lists for the server (`hasshServer`), as Suricata 7
/// and the HASSH reference compute them.
pub fn hassh_string(k: &KexInit<'_>, server: bool) -> Vec<u8> {
    let parts: [&[u8]; 4] = if server {
        [k.kex, k.enc_s2c, k.mac_s2c, k.comp_s2c]
    } else {
        [k.kex, k.enc_c2s, k.mac_c2s, k.comp_c2s]
    };
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        out.extend_from_slice(p);
    }
    out
}
