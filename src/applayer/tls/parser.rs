//! TLS wire format: record headers, handshake message headers, and the
//! ClientHello / ServerHello bodies (RFC 5246, RFC 8446), plus the SSLv2
//! ClientHello. Pure functions over complete messages; every length is
//! checked, nothing panics.

/// Record content types.
pub mod content {
    /// change_cipher_spec.
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    /// alert.
    pub const ALERT: u8 = 21;
    /// handshake.
    pub const HANDSHAKE: u8 = 22;
    /// application_data.
    pub const APPLICATION_DATA: u8 = 23;
    /// heartbeat.
    pub const HEARTBEAT: u8 = 24;
}

/// Handshake message types.
pub mod hs {
    /// client_hello.
    pub const CLIENT_HELLO: u8 = 1;
    /// server_hello.
    pub const SERVER_HELLO: u8 = 2;
    /// certificate.
    pub const CERTIFICATE: u8 = 11;
    /// server_key_exchange.
    pub const SERVER_KEY_EXCHANGE: u8 = 12;
    /// certificate_request.
    pub const CERTIFICATE_REQUEST: u8 = 13;
    /// server_hello_done.
    pub const SERVER_HELLO_DONE: u8 = 14;
    /// client_key_exchange.
    pub const CLIENT_KEY_EXCHANGE: u8 = 16;

    /// Whether Suricata 7 knows the message type (`SupportedHandshakeType`:
    /// hello_request 0, client/server hello, new_session_ticket 4,
    /// certificate 11 to client_key_exchange 16, finished 20,
    /// certificate_url 21, certificate_status 22); others are
    /// `invalid_handshake_message`.
    pub fn known(kind: u8) -> bool {
        matches!(kind, 0..=2 | 4 | 11..=16 | 20..=22)
    }
}

/// SSLv2 message types.
pub mod sslv2 {
    /// ERROR.
    pub const ERROR: u8 = 0;
    /// CLIENT-HELLO.
    pub const CLIENT_HELLO: u8 = 1;
    /// SERVER-HELLO.
    pub const SERVER_HELLO: u8 = 4;
}

/// Extension types vxtap reads.
pub mod ext {
    /// server_name.
    pub const SERVER_NAME: u16 = 0;
    /// supported_groups (elliptic_curves).
    pub const SUPPORTED_GROUPS: u16 = 10;
    /// ec_point_formats.
    pub const EC_POINT_FORMATS: u16 = 11;
    /// application_layer_protocol_negotiation.
    pub const ALPN: u16 = 16;
    /// supported_versions.
    pub const SUPPORTED_VERSIONS: u16 = 43;
}

/// A record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// Content type.
    pub content_type: u8,
    /// Record version.
    pub version: u16,
    /// Fragment length.
    pub len: usize,
}

/// Record header size.
pub const RECORD_HEADER_LEN: usize = 5;
/// Largest record fragment allowed (2^14 + 2048, TLSCiphertext).
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;

/// Parses a record header (`None` when fewer than 5 bytes).
pub fn record_header(b: &[u8]) -> Option<RecordHeader> {
    let h = b.get(..RECORD_HEADER_LEN)?;
    Some(RecordHeader {
        content_type: h[0],
        version: u16::from_be_bytes([h[1], h[2]]),
        len: u16::from_be_bytes([h[3], h[4]]) as usize,
    })
}

/// A bounds-checked reader.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    b: &'a [u8],
}

/// A message ended before one of its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Short;

impl<'a> Reader<'a> {
    /// A reader over `b`.
    pub fn new(b: &'a [u8]) -> Self {
        Reader { b }
    }
    /// Bytes left.
    pub fn rest(&self) -> &'a [u8] {
        self.b
    }
    /// Whether nothing is left.
    pub fn is_empty(&self) -> bool {
        self.b.is_empty()
    }
    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Short> {
        if self.b.len() < n {
            return Err(Short);
        }
        let (a, r) = self.b.split_at(n);
        self.b = r;
        Ok(a)
    }
    /// One byte.
    pub fn u8(&mut self) -> Result<u8, Short> {
        Ok(self.take(1)?[0])
    }
    /// A big-endian u16.
    pub fn u16(&mut self) -> Result<u16, Short> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    /// A big-endian u24.
    pub fn u24(&mut self) -> Result<usize, Short> {
        let b = self.take(3)?;
        Ok((b[0] as usize) << 16 | (b[1] as usize) << 8 | b[2] as usize)
    }
    /// A vector with a 1-byte length.
    pub fn vec8(&mut self) -> Result<&'a [u8], Short> {
        let n = self.u8()? as usize;
        self.take(n)
    }
    /// A vector with a 2-byte length.
    pub fn vec16(&mut self) -> Result<&'a [u8], Short> {
        let n = self.u16()? as usize;
        self.take(n)
    }
    /// A vector with a 3-byte length.
    pub fn vec24(&mut self) -> Result<&'a [u8], Short> {
        let n = self.u24()?;
        self.take(n)
    }
}

/// GREASE values (RFC 8701): JA3 leaves them out.
pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

/// What a ClientHello or ServerHello says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hello {
    /// Legacy version field.
    pub version: u16,
    /// Cipher suites (ClientHello) or the chosen one (ServerHello).
    pub ciphers: Vec<u16>,
    /// Extension types in order.
    pub extensions: Vec<u16>,
    /// supported_groups.
    pub groups: Vec<u16>,
    /// ec_point_formats.
    pub point_formats: Vec<u8>,
    /// server_name host names.
    pub sni: Vec<Vec<u8>>,
    /// supported_versions (client: offered; server: the chosen one).
    pub supported_versions: Vec<u16>,
    /// ALPN protocols.
    pub alpn: Vec<Vec<u8>>,
    /// Session id.
    pub session_id: Vec<u8>,
    /// Anomalies: an SNI entry of another type, a bad SNI length, several
    /// server_name extensions.
    pub sni_invalid_type: bool,
    /// The SNI list or name length does not fit.
    pub sni_invalid_length: bool,
    /// More than one server_name extension.
    pub multiple_sni: bool,
}

/// Parses a ClientHello body (after the 4-byte handshake header).
pub fn client_hello(body: &[u8]) -> Result<Hello, Short> {
    let mut r = Reader::new(body);
    let mut h = Hello {
        version: r.u16()?,
        ..Hello::default()
    };
    r.take(32)?;
    h.session_id = r.vec8()?.to_vec();
    let mut cs = Reader::new(r.vec16()?);
    while let Ok(c) = cs.u16() {
        h.ciphers.push(c);
    }
    r.vec8()?; // compression methods
    if r.is_empty() {
        return Ok(h);
    }
    extensions(&mut Reader::new(r.vec16()?), &mut h, true)?;
    Ok(h)
}

/// Parses a ServerHello body. A TLS 1.3 draft ServerHello (version
/// 0x7fxx, or 0x0304 in the version field) has neither session id nor
/// compression method, as Suricata reads it.
pub fn server_hello(body: &[u8]) -> Result<Hello, Short> {
    let mut r = Reader::new(body);
    let mut h = Hello {
        version: r.u16()?,
        ..Hello::default()
    };
    r.take(32)?;
    let draft = h.version >> 8 == 0x7f || h.version == 0x0304;
    if !draft {
        h.session_id = r.vec8()?.to_vec();
    }
    h.ciphers.push(r.u16()?);
    if !draft {
        r.u8()?; // compression method
    }
    if r.is_empty() {
        return Ok(h);
    }
    extensions(&mut Reader::new(r.vec16()?), &mut h, false)?;
    Ok(h)
}

fn extensions(r: &mut Reader<'_>, h: &mut Hello, client: bool) -> Result<(), Short> {
    while !r.is_empty() {
        let t = r.u16()?;
        let data = r.vec16()?;
        h.extensions.push(t);
        let mut d = Reader::new(data);
        match t {
            ext::SERVER_NAME if client => {
                if !h.sni.is_empty() || h.sni_invalid_type || h.sni_invalid_length {
                    h.multiple_sni = true;
                }
                let Ok(list) = d.vec16() else {
                    h.sni_invalid_length = true;
                    continue;
                };
                let mut l = Reader::new(list);
                while !l.is_empty() {
                    let (Ok(kind), Ok(name)) = (l.u8(), l.vec16()) else {
                        h.sni_invalid_length = true;
                        break;
                    };
                    if kind == 0 {
                        h.sni.push(name.to_vec());
                    } else {
                        h.sni_invalid_type = true;
                    }
                }
            }
            ext::SUPPORTED_GROUPS => {
                if let Ok(g) = d.vec16() {
                    let mut g = Reader::new(g);
                    while let Ok(v) = g.u16() {
                        h.groups.push(v);
                    }
                }
            }
            ext::EC_POINT_FORMATS => {
                if let Ok(f) = d.vec8() {
                    h.point_formats.extend_from_slice(f);
                }
            }
            ext::ALPN => {
                if let Ok(list) = d.vec16() {
                    let mut l = Reader::new(list);
                    while let Ok(p) = l.vec8() {
                        h.alpn.push(p.to_vec());
                    }
                }
            }
            ext::SUPPORTED_VERSIONS => {
                if client {
                    if let Ok(v) = d.vec8() {
                        let mut v = Reader::new(v);
                        while let Ok(x) = v.u16() {
                            h.supported_versions.push(x);
                        }
                    }
                } else if let Ok(x) = d.u16() {
                    h.supported_versions.push(x);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// An SSLv2 ClientHello (after the 2-byte record header): version and
/// cipher specs.
pub fn sslv2_client_hello(msg: &[u8]) -> Result<(u16, Vec<u32>), Short> {
    match msg.split_first() {
        Some((&sslv2::CLIENT_HELLO, rest)) => sslv2_client_hello_body(rest),
        _ => Err(Short),
    }
}

/// An SSLv2 ClientHello after its message type byte: version and cipher
/// specs.
pub fn sslv2_client_hello_body(msg: &[u8]) -> Result<(u16, Vec<u32>), Short> {
    let mut r = Reader::new(msg);
    let version = r.u16()?;
    let cs_len = r.u16()? as usize;
    let _sid_len = r.u16()?;
    let _chal_len = r.u16()?;
    let cs = r.take(cs_len)?;
    let specs = cs
        .chunks_exact(3)
        .map(|c| (c[0] as u32) << 16 | (c[1] as u32) << 8 | c[2] as u32)
        .collect();
    Ok((version, specs))
}

/// The certificates of a Certificate message (TLS 1.2 and earlier: a
/// 3-byte list of 3-byte-prefixed DER certificates).
pub fn certificates(body: &[u8]) -> Result<Vec<&[u8]>, Short> {
    let mut r = Reader::new(body);
    let mut list = Reader::new(r.vec24()?);
    let mut out = Vec::new();
    while !list.is_empty() {
        out.push(list.vec24()?);
    }
    Ok(out)
}

/// The JA3 (`client`) or JA3S string of a hello, GREASE left out.
pub fn ja3_string(h: &Hello, client: bool) -> String {
    fn join<T: std::fmt::Display>(v: impl Iterator<Item = T>) -> String {
        v.map(|x| x.to_string()).collect::<Vec<_>>().join("-")
    }
    let ciphers = join(h.ciphers.iter().filter(|c| !is_grease(**c)));
    let exts = join(h.extensions.iter().filter(|c| !is_grease(**c)));
    if client {
        let groups = join(h.groups.iter().filter(|c| !is_grease(**c)));
        let formats = join(h.point_formats.iter());
        format!("{},{ciphers},{exts},{groups},{formats}", h.version)
    } else {
        format!("{},{ciphers},{exts}", h.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::applayer::test_hex as hex;

    /// A ClientHello body: TLS 1.2, ciphers GREASE 0a0a + c02f + 009c,
    /// extensions SNI "a.io", groups (1a1a, 001d), point formats (0),
    /// ALPN h2, supported_versions (0304, 0303).
    fn ch() -> Vec<u8> {
        let mut b = hex("0303");
        b.extend([0u8; 32]);
        b.extend(hex("00 0006 0a0a c02f 009c 01 00"));
        let exts = hex("0000 0009 0007 00 0004 612e696f
             000a 0006 0004 1a1a 001d
             000b 0002 01 00
             0010 0005 0003 026832
             002b 0005 04 0304 0303");
        b.extend((exts.len() as u16).to_be_bytes());
        b.extend(exts);
        b
    }

    #[test]
    fn client_hello_fields_and_ja3() {
        let h = client_hello(&ch()).unwrap();
        assert_eq!(h.sni, vec![b"a.io".to_vec()]);
        assert_eq!(h.alpn, vec![b"h2".to_vec()]);
        assert_eq!(h.supported_versions, vec![0x0304, 0x0303]);
        assert_eq!(ja3_string(&h, true), "771,49199-156,0-10-11-16-43,29,0");
    }

    #[test]
    fn every_truncation_is_short_not_a_panic() {
        let b = ch();
        for n in 0..b.len() {
            let _ = client_hello(&b[..n]);
            let _ = server_hello(&b[..n]);
            let _ = certificates(&b[..n]);
            let _ = sslv2_client_hello(&b[..n]);
        }
        assert!(client_hello(&b[..40]).is_err());
    }

    #[test]
    fn grease() {
        assert!(is_grease(0x0a0a) && is_grease(0xfafa) && !is_grease(0x0a1a) && !is_grease(0x1301));
    }

    #[test]
    fn sni_anomalies() {
        let mut b = hex("0303");
        b.extend([0u8; 32]);
        b.extend(hex("00 0002 c02f 01 00"));
        let exts = hex("0000 0007 0005 01 0002 6161 0000 0003 00ffff");
        b.extend((exts.len() as u16).to_be_bytes());
        b.extend(exts);
        let h = client_hello(&b).unwrap();
        assert!(h.sni_invalid_type && h.sni_invalid_length && h.multiple_sni);
    }
}
