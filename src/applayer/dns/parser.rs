//! DNS wire format (RFC 1035): header, questions, resource records, and
//! names with compression pointers. Pure functions over one message; no
//! state, no I/O, never a panic.
//!
//! Names are decoded as Suricata 7.0.10 does (`rust/src/dns/parser.rs`):
//! labels joined by `.` as raw bytes (no escaping), cut at
//! [`MAX_NAME_LEN`] bytes (flag `truncated`), a pointer to itself ends the
//! name (flag `infinite_loop`), and more than [`MAX_LABELS`] labels or
//! pointers end it (flag `too_many_labels`): a pointer loop costs at most
//! 256 steps.

/// Header size.
pub const HEADER_LEN: usize = 12;
/// Longest decoded name kept (Suricata's `MAX_NAME_LEN`).
pub const MAX_NAME_LEN: usize = 1025;
/// Labels and pointers followed per name before giving up (Suricata: 255).
pub const MAX_LABELS: usize = 255;
/// Records kept per message (all sections together). A 64 KiB message
/// holds at most ~10 000 records of 6 bytes; the cap bounds the decoded
/// names' memory (each up to [`MAX_NAME_LEN`]). Records past it are
/// skipped and the message is flagged `capped`.
pub const MAX_RECORDS: usize = 512;

/// Why a message could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// The message ends before what its header announces.
    Truncated,
    /// A length or pointer is invalid (label type 0x40/0x80, pointer past
    /// the end).
    Malformed,
}

/// The fixed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    /// Transaction id.
    pub id: u16,
    /// The 16 flag bits (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode).
    pub flags: u16,
    /// Question count.
    pub qdcount: u16,
    /// Answer count.
    pub ancount: u16,
    /// Authority count.
    pub nscount: u16,
    /// Additional count.
    pub arcount: u16,
}

impl Header {
    /// Parses the 12-byte header.
    pub fn parse(msg: &[u8]) -> Result<Header, ParseError> {
        let h = msg.get(..HEADER_LEN).ok_or(ParseError::Truncated)?;
        let w = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
        Ok(Header {
            id: w(0),
            flags: w(2),
            qdcount: w(4),
            ancount: w(6),
            nscount: w(8),
            arcount: w(10),
        })
    }

    /// QR bit: a response.
    pub fn is_response(&self) -> bool {
        self.flags & 0x8000 != 0
    }

    /// Opcode (4 bits).
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0xf) as u8
    }

    /// Response code (4 bits).
    pub fn rcode(&self) -> u8 {
        (self.flags & 0xf) as u8
    }

    /// The reserved Z bit (0x0040).
    pub fn z(&self) -> bool {
        self.flags & 0x0040 != 0
    }
}

/// Anomalies met while decoding a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NameFlags {
    /// Longer than [`MAX_NAME_LEN`]: cut.
    pub truncated: bool,
    /// A compression pointer to itself.
    pub infinite_loop: bool,
    /// More than [`MAX_LABELS`] labels and pointers.
    pub too_many_labels: bool,
}

impl NameFlags {
    fn merge(&mut self, o: NameFlags) {
        self.truncated |= o.truncated;
        self.infinite_loop |= o.infinite_loop;
        self.too_many_labels |= o.too_many_labels;
    }
}

/// Decodes the name at `off` of `msg` into `out` (cleared first); returns
/// the offset after the name in the message (after the first pointer when
/// one was followed).
pub fn parse_name(
    msg: &[u8],
    off: usize,
    out: &mut Vec<u8>,
    flags: &mut NameFlags,
) -> Result<usize, ParseError> {
    out.clear();
    let mut pos = off;
    let mut after: Option<usize> = None;
    let mut count = 0usize;
    // Suricata stops at the end of the data: the name ends there.
    while let Some(&len) = msg.get(pos) {
        if len == 0 {
            pos += 1;
            break;
        }
        match len & 0xc0 {
            0 => {
                let label = msg
                    .get(pos + 1..pos + 1 + len as usize)
                    .ok_or(ParseError::Truncated)?;
                if !flags.truncated {
                    if !out.is_empty() {
                        out.push(b'.');
                    }
                    out.extend_from_slice(label);
                }
                pos += 1 + len as usize;
            }
            0xc0 => {
                let lo = *msg.get(pos + 1).ok_or(ParseError::Truncated)?;
                let target = (((len & 0x3f) as usize) << 8) | lo as usize;
                if target > msg.len() {
                    return Err(ParseError::Malformed);
                }
                let rest = pos + 2;
                if after.is_none() {
                    after = Some(rest);
                }
                if target == pos {
                    flags.infinite_loop = true;
                    break;
                }
                pos = target;
            }
            _ => return Err(ParseError::Malformed),
        }
        count += 1;
        if count > MAX_LABELS {
            flags.too_many_labels = true;
            break;
        }
        if out.len() > MAX_NAME_LEN {
            out.truncate(MAX_NAME_LEN);
            flags.truncated = true;
        }
    }
    Ok(after.unwrap_or(pos))
}

/// Skips the name at `off` without decoding it (structure check for the
/// protocol probe); `None` when it runs past the message or is invalid.
pub fn skip_name(msg: &[u8], off: usize) -> Option<usize> {
    let mut pos = off;
    for _ in 0..=MAX_LABELS {
        let len = *msg.get(pos)?;
        match len & 0xc0 {
            0 if len == 0 => return Some(pos + 1),
            0 => {
                pos += 1 + len as usize;
                if pos > msg.len() {
                    return None;
                }
            }
            0xc0 => return (pos + 2 <= msg.len()).then_some(pos + 2),
            _ => return None,
        }
    }
    None
}

/// One question.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    /// Decoded name (labels joined by `.`, raw bytes).
    pub name: Vec<u8>,
    /// Query type.
    pub rrtype: u16,
    /// Query class.
    pub rrclass: u16,
}

/// One resource record (answer, authority or additional).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    /// Owner name.
    pub name: Vec<u8>,
    /// Type.
    pub rrtype: u16,
    /// Class.
    pub rrclass: u16,
    /// Time to live.
    pub ttl: u32,
    /// Raw RDATA bytes.
    pub rdata: Vec<u8>,
    /// RDATA decoded as a name, for types whose data is a name (CNAME, NS,
    /// PTR, MX's exchange, SOA's mname, SRV's target).
    pub rdata_name: Option<Vec<u8>>,
    /// SOA: the second name and the five counters after it (EVE logs them).
    pub soa: Option<Soa>,
}

/// The part of an SOA record after its first name (`mname` is
/// [`Record::rdata_name`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Soa {
    /// The responsible mailbox, decoded against the message.
    pub rname: Vec<u8>,
    /// serial, refresh, retry, expire, minimum.
    pub numbers: [u32; 5],
}

/// A parsed message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// Header.
    pub header: Header,
    /// Questions.
    pub queries: Vec<Query>,
    /// Answer section.
    pub answers: Vec<Record>,
    /// Authority section.
    pub authorities: Vec<Record>,
    /// Name anomalies over the whole message.
    pub name_flags: NameFlags,
    /// More than [`MAX_RECORDS`] records: the rest were not kept.
    pub capped: bool,
}

/// Record types whose RDATA is (or starts with, after a preference) a name.
fn rdata_name_offset(rrtype: u16) -> Option<usize> {
    match rrtype {
        2 | 5 | 12 | 6 | 39 => Some(0), // NS, CNAME, PTR, SOA mname, DNAME
        15 => Some(2),                  // MX: preference, exchange
        33 => Some(6),                  // SRV: priority, weight, port, target
        _ => None,
    }
}

/// Parses a whole message. Questions are required; a message whose
/// answer sections are cut keeps what parsed before the cut and reports
/// `Truncated` only when the questions themselves are cut (Suricata
/// parses requests through the questions and responses through the
/// answers and authorities; additional records are not kept).
pub fn parse_message(msg: &[u8]) -> Result<Message, ParseError> {
    let header = Header::parse(msg)?;
    let mut m = Message {
        header,
        ..Message::default()
    };
    let mut off = HEADER_LEN;
    let mut kept = 0usize;
    for _ in 0..header.qdcount {
        let mut name = Vec::new();
        off = parse_name(msg, off, &mut name, &mut m.name_flags)?;
        let f = msg.get(off..off + 4).ok_or(ParseError::Truncated)?;
        off += 4;
        if kept < MAX_RECORDS {
            kept += 1;
            m.queries.push(Query {
                name,
                rrtype: u16::from_be_bytes([f[0], f[1]]),
                rrclass: u16::from_be_bytes([f[2], f[3]]),
            });
        } else {
            m.capped = true;
        }
    }
    if !header.is_response() {
        return Ok(m);
    }
    for (count, answers) in [(header.ancount, true), (header.nscount, false)] {
        for _ in 0..count {
            let (next, rec) = parse_record(msg, off, &mut m.name_flags)?;
            off = next;
            if kept < MAX_RECORDS {
                kept += 1;
                if answers {
                    m.answers.push(rec);
                } else {
                    m.authorities.push(rec);
                }
            } else {
                m.capped = true;
            }
        }
    }
    Ok(m)
}

fn parse_record(
    msg: &[u8],
    off: usize,
    flags: &mut NameFlags,
) -> Result<(usize, Record), ParseError> {
    let mut rec = Record::default();
    let off = parse_name(msg, off, &mut rec.name, flags)?;
    let f = msg.get(off..off + 10).ok_or(ParseError::Truncated)?;
    rec.rrtype = u16::from_be_bytes([f[0], f[1]]);
    rec.rrclass = u16::from_be_bytes([f[2], f[3]]);
    rec.ttl = u32::from_be_bytes([f[4], f[5], f[6], f[7]]);
    let rdlen = u16::from_be_bytes([f[8], f[9]]) as usize;
    let start = off + 10;
    let rdata = msg.get(start..start + rdlen).ok_or(ParseError::Truncated)?;
    rec.rdata = rdata.to_vec();
    if let Some(skip) = rdata_name_offset(rec.rrtype)
        && rdlen > skip
    {
        let mut name = Vec::new();
        let mut nf = NameFlags::default();
        // The name may point anywhere in the message: decode against it.
        if let Ok(next) = parse_name(msg, start + skip, &mut name, &mut nf) {
            flags.merge(nf);
            rec.rdata_name = Some(name);
            if rec.rrtype == 6 {
                rec.soa = parse_soa_rest(msg, next, start + rdlen, flags);
            }
        }
    }
    Ok((start + rdlen, rec))
}

/// SOA after `mname`: `rname`, then five 32-bit counters, all before
/// `end` (the end of the RDATA); `None` when they do not fit.
fn parse_soa_rest(msg: &[u8], off: usize, end: usize, flags: &mut NameFlags) -> Option<Soa> {
    let mut rname = Vec::new();
    let mut nf = NameFlags::default();
    let off = parse_name(msg, off, &mut rname, &mut nf).ok()?;
    let n = msg.get(off..off + 20).filter(|_| off + 20 <= end)?;
    flags.merge(nf);
    let w = |i: usize| u32::from_be_bytes([n[i], n[i + 1], n[i + 2], n[i + 3]]);
    Some(Soa {
        rname,
        numbers: [w(0), w(4), w(8), w(12), w(16)],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::applayer::test_hex as hex;

    /// Query for www.google.com A, from
    /// ../shared/acceptance/dns-detect-query-01/input.pcap style (id 0x1234).
    fn query() -> Vec<u8> {
        hex("1234 0100 0001 0000 0000 0000 03777777 06676f6f676c65 03636f6d 00 0001 0001")
    }

    #[test]
    fn header_fields() {
        let h = Header::parse(&query()).unwrap();
        assert_eq!(h.id, 0x1234);
        assert!(!h.is_response());
        assert_eq!(h.opcode(), 0);
        assert!(!h.z());
        assert_eq!(h.qdcount, 1);
    }

    #[test]
    fn question_name() {
        let m = parse_message(&query()).unwrap();
        assert_eq!(m.queries.len(), 1);
        assert_eq!(m.queries[0].name, b"www.google.com");
        assert_eq!(m.queries[0].rrtype, 1);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let q = query();
        for n in 0..q.len() {
            assert!(parse_message(&q[..n]).is_err(), "cut at {n}");
        }
    }

    #[test]
    fn compression_pointer_in_answer() {
        // Response: question www.google.com, answer name = pointer to 12,
        // CNAME data = "x" + pointer to 16 (google.com).
        let mut m =
            hex("1234 8180 0001 0001 0000 0000 03777777 06676f6f676c65 03636f6d 00 0001 0001");
        m.extend(hex("c00c 0005 0001 0000003c 0004 0178 c010"));
        let p = parse_message(&m).unwrap();
        assert_eq!(p.answers[0].name, b"www.google.com");
        assert_eq!(p.answers[0].ttl, 60);
        assert_eq!(
            p.answers[0].rdata_name.as_deref(),
            Some(&b"x.google.com"[..])
        );
    }

    /// The authority SOA of the NXDOMAIN answer (id 0xcc4c) in
    /// ../shared/acceptance/bug-2158/input.pcap, frame 10: `mname` and
    /// `rname` both end in pointers into the message.
    #[test]
    fn soa_names_and_counters() {
        let m = hex(
            "cc4c 8183 0001 0000 0001 0000 0b736f667475706461746573 04696e666f 00 0001 0001 \
             c018 0006 0001 00000383 0030 026130 04696e666f 0b6166696c6961732d6e7374 c018 \
             036e6f63 c036 77dde56c 00000e10 00000708 00093a80 00000e10",
        );
        let p = parse_message(&m).unwrap();
        let a = &p.authorities[0];
        assert_eq!(a.name, b"info");
        assert_eq!(
            a.rdata_name.as_deref(),
            Some(&b"a0.info.afilias-nst.info"[..])
        );
        let soa = a.soa.as_ref().unwrap();
        assert_eq!(soa.rname, b"noc.afilias-nst.info");
        assert_eq!(soa.numbers, [2011030892, 3600, 1800, 604800, 3600]);
        // Counters cut short: no SOA part, the record itself still parses.
        let mut cut = m.clone();
        // RDLENGTH's low byte: header 12, question 18 + 4, owner 2, type,
        // class 2 + 2, TTL 4.
        cut[45] -= 4;
        cut.truncate(cut.len() - 4);
        let p = parse_message(&cut).unwrap();
        assert_eq!(p.authorities[0].soa, None);
    }

    #[test]
    fn srv_target_is_decoded() {
        // _sip._udp.x SRV 10 60 5060 a.x (target via a pointer to "x").
        let mut m = hex("0001 8180 0001 0001 0000 0000 045f736970045f75647001780000210001");
        m.extend(hex("c00c 0021 0001 0000003c 000a 000a 003c 13c4 0161 c016"));
        let p = parse_message(&m).unwrap();
        assert_eq!(p.answers[0].rdata_name.as_deref(), Some(&b"a.x"[..]));
        assert_eq!(&p.answers[0].rdata[..6], &hex("000a 003c 13c4")[..]);
    }

    #[test]
    fn self_pointer_is_an_infinite_loop_flag() {
        // Question name is a pointer to itself (offset 12).
        let m = hex("0001 0100 0001 0000 0000 0000 c00c 0001 0001");
        let p = parse_message(&m).unwrap();
        assert!(p.name_flags.infinite_loop);
        assert_eq!(p.queries[0].name, b"");
    }

    #[test]
    fn two_pointer_loop_is_bounded() {
        // Name at 12: label "a" then pointer to 12 → loops via labels.
        let m = hex("0001 0100 0001 0000 0000 0000 0161 c00c 0001 0001");
        let p = parse_message(&m).unwrap();
        assert!(p.name_flags.too_many_labels);
        assert!(p.queries[0].name.len() <= MAX_NAME_LEN);
    }

    #[test]
    fn long_name_is_truncated() {
        // 20 labels of 63 bytes = 1279 bytes > 1025.
        let mut m = hex("0001 0100 0001 0000 0000 0000");
        for _ in 0..20 {
            m.push(63);
            m.extend([b'a'; 63]);
        }
        m.extend(hex("00 0001 0001"));
        let p = parse_message(&m).unwrap();
        assert!(p.name_flags.truncated);
        assert_eq!(p.queries[0].name.len(), MAX_NAME_LEN);
    }

    #[test]
    fn reserved_label_type_is_malformed() {
        let m = hex("0001 0100 0001 0000 0000 0000 4000 0001 0001");
        assert_eq!(parse_message(&m), Err(ParseError::Malformed));
        let m = hex("0001 0100 0001 0000 0000 0000 ffff 0001 0001");
        assert_eq!(parse_message(&m), Err(ParseError::Malformed));
    }

    #[test]
    fn skip_name_matches_parse() {
        let q = query();
        let mut n = Vec::new();
        let end = parse_name(&q, 12, &mut n, &mut NameFlags::default()).unwrap();
        assert_eq!(skip_name(&q, 12), Some(end));
        assert_eq!(skip_name(&q[..20], 12), None);
    }
}
