//! Application-layer buffers: every sticky buffer (with Suricata 7's
//! aliases: `http_protocol`, `http_start`, `http_accept`, … are sticky
//! buffers there, not content modifiers), legacy content modifier
//! (`http_uri`, `http_header`, `http_client_body`, …) and pcre buffer flag
//! that reads a transaction, in ONE table
//! ([`AppBuf`]'s definitions) plus the function that reads each from a
//! transaction ([`AppBuf::fetch`]). Adding a buffer is one table row and
//! one `fetch` arm.
//!
//! Readiness follows Suricata's per-buffer progress: request/status line
//! buffers once the line is parsed, header buffers once the headers are
//! complete, bodies once their headers are (and again as the body grows).
//! A buffer that is absent or not ready yet does not match; the caller
//! re-inspects the transaction when it grows.

use crate::applayer::http::{HttpTx, Progress};
use crate::applayer::{AppProto, Direction};
use crate::detect::tx::Tx;

macro_rules! app_buffers {
    ($( $(#[$doc:meta])* $v:ident => $name:literal, [$($alias:literal),*], $modifier:expr, $pcre:expr, $proto:ident, $dir:expr; )*) => {
        /// An application-layer buffer.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum AppBuf { $($(#[$doc])* $v,)* }

        impl AppBuf {
            /// Every buffer, in table order (dense indices).
            pub const ALL: &'static [AppBuf] = &[$(AppBuf::$v,)*];

            /// The sticky buffer keyword (Suricata 7 name).
            pub fn keyword(self) -> &'static str {
                match self { $(AppBuf::$v => $name,)* }
            }

            /// Other sticky names (Suricata's older spellings).
            pub fn aliases(self) -> &'static [&'static str] {
                match self { $(AppBuf::$v => &[$($alias),*],)* }
            }

            /// The legacy content modifier moving the previous content here.
            pub fn modifier(self) -> Option<&'static str> {
                match self { $(AppBuf::$v => $modifier,)* }
            }

            /// The pcre flag selecting this buffer.
            pub fn pcre_flag(self) -> Option<char> {
                match self { $(AppBuf::$v => $pcre,)* }
            }

            /// The protocol whose transactions hold it (`file.data` is read
            /// from several; this is the one a rule defaults to).
            pub fn proto(self) -> AppProto {
                match self { $(AppBuf::$v => AppProto::$proto,)* }
            }

            /// The direction it is read in; `None`: both (the request's in
            /// to-server inspection, the response's in to-client).
            pub fn dir(self) -> Option<Direction> {
                match self { $(AppBuf::$v => $dir,)* }
            }
        }
    };
}

/// File data Suricata 7 waits for before inspecting `file.data` of a file
/// still open (its `FILEDATA_CONTENT_INSPECT_MIN_SIZE` default for
/// non-HTTP files): a small file is inspected whole, when it is closed.
pub const FILE_INSPECT_MIN_SIZE: usize = 32 * 1024;

const TS: Option<Direction> = Some(Direction::ToServer);
const TC: Option<Direction> = Some(Direction::ToClient);
const BOTH: Option<Direction> = None;

app_buffers! {
    /// Normalised request URI.
    HttpUri => "http.uri", [], Some("http_uri"), Some('U'), Http, TS;
    /// Request URI as sent.
    HttpUriRaw => "http.uri.raw", [], Some("http_raw_uri"), Some('I'), Http, TS;
    /// Request method.
    HttpMethod => "http.method", [], Some("http_method"), Some('M'), Http, TS;
    /// Protocol of the request or status line.
    HttpProtocol => "http.protocol", ["http_protocol"], None, None, Http, BOTH;
    /// Request line.
    HttpRequestLine => "http.request_line", ["http_request_line"], None, None, Http, TS;
    /// Start line and raw headers.
    HttpStart => "http.start", ["http_start"], None, None, Http, BOTH;
    /// Host (from the URI or header), normalised.
    HttpHost => "http.host", [], Some("http_host"), Some('W'), Http, TS;
    /// Host as sent.
    HttpHostRaw => "http.host.raw", [], Some("http_raw_host"), Some('Z'), Http, TS;
    /// Headers (`Name: value\r\n`, cookies left out).
    HttpHeader => "http.header", [], Some("http_header"), Some('H'), Http, BOTH;
    /// Headers as sent.
    HttpHeaderRaw => "http.header.raw", [], Some("http_raw_header"), Some('D'), Http, BOTH;
    /// Header names.
    HttpHeaderNames => "http.header_names", ["http_header_names"], None, None, Http, BOTH;
    /// Each request header line (multi-buffer).
    HttpRequestHeader => "http.request_header", [], None, None, Http, TS;
    /// Each response header line (multi-buffer).
    HttpResponseHeader => "http.response_header", [], None, None, Http, TC;
    /// User-Agent.
    HttpUserAgent => "http.user_agent", [], Some("http_user_agent"), Some('V'), Http, TS;
    /// Cookie / Set-Cookie.
    HttpCookie => "http.cookie", [], Some("http_cookie"), Some('C'), Http, BOTH;
    /// Accept.
    HttpAccept => "http.accept", ["http_accept"], None, None, Http, TS;
    /// Accept-Encoding.
    HttpAcceptEnc => "http.accept_enc", ["http_accept_enc"], None, None, Http, TS;
    /// Accept-Language.
    HttpAcceptLang => "http.accept_lang", ["http_accept_lang"], None, None, Http, TS;
    /// Referer.
    HttpReferer => "http.referer", ["http_referer"], None, None, Http, TS;
    /// Content-Type.
    HttpContentType => "http.content_type", ["http_content_type"], None, None, Http, BOTH;
    /// Content-Length.
    HttpContentLen => "http.content_len", ["http_content_len"], None, None, Http, BOTH;
    /// Connection.
    HttpConnection => "http.connection", ["http_connection"], None, None, Http, BOTH;
    /// Location.
    HttpLocation => "http.location", [], None, None, Http, TC;
    /// Server.
    HttpServer => "http.server", [], None, None, Http, TC;
    /// Request body (de-chunked).
    HttpRequestBody => "http.request_body", [], Some("http_client_body"), Some('P'), Http, TS;
    /// Status code.
    HttpStatCode => "http.stat_code", [], Some("http_stat_code"), Some('S'), Http, TC;
    /// Status message.
    HttpStatMsg => "http.stat_msg", [], Some("http_stat_msg"), Some('Y'), Http, TC;
    /// Status line.
    HttpResponseLine => "http.response_line", ["http_response_line"], None, None, Http, TC;
    /// Response body (de-chunked, decompressed).
    HttpResponseBody => "http.response_body", [], Some("http_server_body"), Some('Q'), Http, TC;
    /// File data: HTTP bodies (response to client, request to server),
    /// SMB files (written to server, read to client), the file of an
    /// ftp-data flow (in the direction it travels).
    FileData => "file.data", ["file_data"], None, None, Http, BOTH;
    /// Each question name of a DNS request (multi-buffer).
    DnsQuery => "dns.query", ["dns_query"], None, None, Dns, TS;
    /// ClientHello server name.
    TlsSni => "tls.sni", ["tls_sni"], None, None, Tls, TS;
    /// Leaf certificate subject.
    TlsCertSubject => "tls.cert_subject", ["tls_cert_subject"], None, None, Tls, TC;
    /// Leaf certificate issuer.
    TlsCertIssuer => "tls.cert_issuer", ["tls_cert_issuer"], None, None, Tls, TC;
    /// Leaf certificate serial.
    TlsCertSerial => "tls.cert_serial", ["tls_cert_serial"], None, None, Tls, TC;
    /// Leaf certificate SHA-1 fingerprint.
    TlsCertFingerprint => "tls.cert_fingerprint", ["tls_cert_fingerprint"], None, None, Tls, TC;
    /// Each certificate's DER (multi-buffer).
    TlsCerts => "tls.certs", [], None, None, Tls, TC;
    /// JA3 hash.
    Ja3Hash => "ja3.hash", ["ja3_hash"], None, None, Tls, TS;
    /// JA3 string.
    Ja3String => "ja3.string", ["ja3_string"], None, None, Tls, TS;
    /// JA3S hash.
    Ja3sHash => "ja3s.hash", [], None, None, Tls, TC;
    /// JA3S string.
    Ja3sString => "ja3s.string", [], None, None, Tls, TC;
    /// SSH protocol version of the banner.
    SshProto => "ssh.proto", ["ssh_proto"], None, None, Ssh, BOTH;
    /// SSH software version of the banner.
    SshSoftware => "ssh.software", ["ssh_software"], None, None, Ssh, BOTH;
    /// HASSH of the client.
    SshHassh => "ssh.hassh", [], None, None, Ssh, TS;
    /// HASSH string of the client.
    SshHasshString => "ssh.hassh.string", [], None, None, Ssh, TS;
    /// HASSH of the server.
    SshHasshServer => "ssh.hassh.server", [], None, None, Ssh, TC;
    /// HASSH string of the server.
    SshHasshServerString => "ssh.hassh.server.string", [], None, None, Ssh, TC;
    /// Each component of a Kerberos client name (multi-buffer).
    Krb5Cname => "krb5.cname", ["krb5_cname"], None, None, Krb5, TC;
    /// Each component of a Kerberos server name (multi-buffer).
    Krb5Sname => "krb5.sname", ["krb5_sname"], None, None, Krb5, TC;
    /// SMB tree path of a TREE_CONNECT to a disk share (not IPC).
    SmbShare => "smb.share", ["smb_share"], None, None, Smb, TS;
    /// SMB tree path of a TREE_CONNECT to the IPC share (named pipes), as
    /// Suricata reports it.
    SmbNamedPipe => "smb.named_pipe", ["smb_named_pipe"], None, None, Smb, TS;
    /// DCE/RPC stub data of a call: the request's to server, the
    /// response's to client (over TCP or SMB named pipes).
    DceStubData => "dce_stub_data", ["dcerpc.stub_data"], None, None, Dcerpc, BOTH;
}

impl AppBuf {
    /// Dense index.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The buffer a sticky keyword names.
    pub fn from_keyword(k: &str) -> Option<AppBuf> {
        AppBuf::ALL
            .iter()
            .copied()
            .find(|b| b.keyword() == k || b.aliases().contains(&k))
    }

    /// The buffer a legacy content modifier names.
    pub fn from_modifier(k: &str) -> Option<AppBuf> {
        AppBuf::ALL
            .iter()
            .copied()
            .find(|b| b.modifier() == Some(k))
    }

    /// The buffer a pcre flag names.
    pub fn from_pcre_flag(f: char) -> Option<AppBuf> {
        AppBuf::ALL
            .iter()
            .copied()
            .find(|b| b.pcre_flag() == Some(f))
    }

    /// Whether the buffer can be read in direction `dir`.
    pub fn in_dir(self, dir: Direction) -> bool {
        self.dir().is_none_or(|d| d == dir)
    }

    /// Calls `f` on each instance of this buffer in `tx` for an inspection
    /// in direction `dir` (one for most, each name/line/certificate for
    /// multi-buffers) until it returns true; returns whether one did. A
    /// buffer absent or not ready yet calls nothing. `scratch` holds
    /// buffers composed from several fields.
    pub fn fetch(
        self,
        tx: Tx<'_>,
        dir: Direction,
        scratch: &mut Vec<u8>,
        f: &mut dyn FnMut(&[u8]) -> bool,
    ) -> bool {
        if !self.in_dir(dir) {
            return false;
        }
        match tx {
            Tx::Http(t) => self.http(t, dir, scratch, f),
            Tx::Dns(t) => match self {
                AppBuf::DnsQuery => t.queries().any(f),
                _ => false,
            },
            Tx::Tls(t) => {
                let one = |v: Option<&[u8]>, f: &mut dyn FnMut(&[u8]) -> bool| v.is_some_and(f);
                let leaf = t.leaf();
                match self {
                    AppBuf::TlsSni => one(t.sni(), f),
                    AppBuf::TlsCertSubject => one(leaf.map(|c| c.subject.as_bytes()), f),
                    AppBuf::TlsCertIssuer => one(leaf.map(|c| c.issuer.as_bytes()), f),
                    AppBuf::TlsCertSerial => one(leaf.map(|c| c.serial.as_bytes()), f),
                    AppBuf::TlsCertFingerprint => one(leaf.map(|c| c.fingerprint.as_bytes()), f),
                    AppBuf::TlsCerts => t.certs_der.iter().any(|c| f(c)),
                    AppBuf::Ja3Hash => one(t.ja3_hash().as_deref().map(str::as_bytes), f),
                    AppBuf::Ja3String => one(t.ja3().as_deref().map(str::as_bytes), f),
                    AppBuf::Ja3sHash => one(t.ja3s_hash().as_deref().map(str::as_bytes), f),
                    AppBuf::Ja3sString => one(t.ja3s().as_deref().map(str::as_bytes), f),
                    _ => false,
                }
            }
            Tx::Ssh(t) => match self {
                AppBuf::SshProto => t.proto(dir).is_some_and(f),
                AppBuf::SshSoftware => t.software(dir).is_some_and(f),
                AppBuf::SshHassh => t.hassh().is_some_and(f),
                AppBuf::SshHasshString => t.hassh_string().is_some_and(f),
                AppBuf::SshHasshServer => t.hassh_server().is_some_and(f),
                AppBuf::SshHasshServerString => t.hassh_server_string().is_some_and(f),
                _ => false,
            },
            Tx::Krb5(t) => match self {
                AppBuf::Krb5Cname => t.cnames().any(f),
                AppBuf::Krb5Sname => t.snames().any(f),
                _ => false,
            },
            Tx::Smb(s, t) => match self {
                AppBuf::SmbShare => t.share().is_some_and(f),
                AppBuf::SmbNamedPipe => t.named_pipe().is_some_and(f),
                // A file transaction: the file's bytes in file order, in
                // the direction they travel (Suricata's file.data), once
                // the file is closed (or the flow ended) or holds
                // FILE_INSPECT_MIN_SIZE bytes, as Suricata defers it.
                AppBuf::FileData => t
                    .file
                    .and_then(|i| s.files().get(i))
                    .filter(|file| {
                        file.dir == dir
                            && !file.data().is_empty()
                            && (file.closed || file.data().len() >= FILE_INSPECT_MIN_SIZE)
                    })
                    .is_some_and(|file| f(file.data())),
                _ => false,
            },
            Tx::Dcerpc(_, t) => match self {
                AppBuf::DceStubData => t.stub_data(dir).is_some_and(f),
                _ => false,
            },
            Tx::Ftp { .. } => false,
            // The file of an ftp-data flow, in its direction, deferred as
            // SMB files are (ftp-download-passive: its 39-byte file alerts
            // once closed).
            Tx::FtpData(d) => {
                self == AppBuf::FileData
                    && d.direction() == dir
                    && d.file_data()
                        .is_some_and(|b| (d.closed() || b.len() >= FILE_INSPECT_MIN_SIZE) && f(b))
            }
        }
    }

    fn http(
        self,
        t: &HttpTx,
        dir: Direction,
        scratch: &mut Vec<u8>,
        f: &mut dyn FnMut(&[u8]) -> bool,
    ) -> bool {
        use AppBuf as B;
        let progress = match dir {
            Direction::ToServer => t.request_progress,
            Direction::ToClient => t.response_progress,
        };
        let line_ready = progress >= Progress::Headers;
        let headers_ready = progress >= Progress::Body;
        let header = |name: &[u8], f: &mut dyn FnMut(&[u8]) -> bool| {
            headers_ready && t.header(dir, name).is_some_and(f)
        };
        let nonempty = |b: &[u8], f: &mut dyn FnMut(&[u8]) -> bool| !b.is_empty() && f(b);
        match self {
            B::HttpUri => line_ready && nonempty(&t.uri, f),
            B::HttpUriRaw => line_ready && nonempty(&t.uri_raw, f),
            B::HttpMethod => line_ready && nonempty(&t.method, f),
            B::HttpRequestLine => line_ready && nonempty(&t.request_line, f),
            B::HttpProtocol => {
                let p = match dir {
                    Direction::ToServer => &t.protocol,
                    Direction::ToClient => &t.response_protocol,
                };
                line_ready && nonempty(p, f)
            }
            B::HttpStatCode => line_ready && nonempty(&t.status, f),
            B::HttpStatMsg => line_ready && nonempty(&t.status_msg, f),
            B::HttpResponseLine => line_ready && nonempty(&t.response_line, f),
            B::HttpStart => {
                headers_ready && {
                    t.start_into(dir, scratch);
                    f(scratch)
                }
            }
            B::HttpHost => {
                headers_ready && {
                    match t.host() {
                        Some(h) => {
                            scratch.clear();
                            scratch.extend_from_slice(&h);
                            f(scratch)
                        }
                        None => false,
                    }
                }
            }
            B::HttpHostRaw => headers_ready && t.host_raw().is_some_and(f),
            B::HttpHeader => {
                headers_ready && {
                    t.header_buffer_into(dir, scratch);
                    !scratch.is_empty() && f(scratch)
                }
            }
            B::HttpHeaderRaw => headers_ready && nonempty(t.headers_raw(dir), f),
            B::HttpHeaderNames => {
                headers_ready && !t.headers(dir).is_empty() && {
                    t.header_names_into(dir, scratch);
                    f(scratch)
                }
            }
            B::HttpRequestHeader | B::HttpResponseHeader => {
                headers_ready
                    && t.headers(dir).iter().any(|h| {
                        scratch.clear();
                        scratch.extend_from_slice(&h.name);
                        scratch.extend_from_slice(b": ");
                        scratch.extend_from_slice(&h.value);
                        f(scratch)
                    })
            }
            B::HttpUserAgent => header(b"user-agent", f),
            B::HttpCookie => match dir {
                Direction::ToServer => header(b"cookie", f),
                Direction::ToClient => header(b"set-cookie", f),
            },
            B::HttpAccept => header(b"accept", f),
            B::HttpAcceptEnc => header(b"accept-encoding", f),
            B::HttpAcceptLang => header(b"accept-language", f),
            B::HttpReferer => header(b"referer", f),
            B::HttpContentType => header(b"content-type", f),
            B::HttpContentLen => header(b"content-length", f),
            B::HttpConnection => header(b"connection", f),
            B::HttpLocation => header(b"location", f),
            B::HttpServer => header(b"server", f),
            B::HttpRequestBody => headers_ready && nonempty(&t.request_body, f),
            B::HttpResponseBody => headers_ready && nonempty(&t.response_body, f),
            B::FileData => {
                let body = match dir {
                    Direction::ToServer => &t.request_body,
                    Direction::ToClient => &t.response_body,
                };
                headers_ready && nonempty(body, f)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_unique_and_found() {
        let mut seen = std::collections::HashSet::new();
        for &b in AppBuf::ALL {
            assert!(seen.insert(b.keyword()));
            for a in b.aliases() {
                assert!(seen.insert(a));
            }
            assert_eq!(AppBuf::from_keyword(b.keyword()), Some(b));
            assert_eq!(b.index(), AppBuf::ALL.iter().position(|&x| x == b).unwrap());
        }
        assert_eq!(AppBuf::from_modifier("http_uri"), Some(AppBuf::HttpUri));
        assert_eq!(AppBuf::from_pcre_flag('P'), Some(AppBuf::HttpRequestBody));
        assert_eq!(AppBuf::from_keyword("dns_query"), Some(AppBuf::DnsQuery));
    }

    #[test]
    fn http_buffers_wait_for_progress() {
        let mut t = HttpTx::new(0);
        t.request_line = b"GET /a HTTP/1.1".to_vec();
        t.method = b"GET".to_vec();
        t.uri = b"/a".to_vec();
        t.uri_raw = b"/a".to_vec();
        t.request_headers.push(crate::applayer::http::Header {
            name: b"User-Agent".to_vec(),
            value: b"curl".to_vec(),
        });
        let mut s = Vec::new();
        let got = |b: AppBuf, t: &HttpTx, s: &mut Vec<u8>| {
            let mut seen = Vec::new();
            b.fetch(Tx::Http(t), Direction::ToServer, s, &mut |x| {
                seen.push(x.to_vec());
                false
            });
            seen
        };
        // Nothing before the line is parsed.
        assert!(got(AppBuf::HttpUri, &t, &mut s).is_empty());
        t.request_progress = Progress::Headers;
        assert_eq!(got(AppBuf::HttpUri, &t, &mut s), [b"/a".to_vec()]);
        // Headers only once complete.
        assert!(got(AppBuf::HttpUserAgent, &t, &mut s).is_empty());
        t.request_progress = Progress::Body;
        assert_eq!(got(AppBuf::HttpUserAgent, &t, &mut s), [b"curl".to_vec()]);
        assert_eq!(
            got(AppBuf::HttpHeader, &t, &mut s),
            [b"User-Agent: curl\r\n".to_vec()]
        );
        assert_eq!(
            got(AppBuf::HttpHeaderNames, &t, &mut s),
            [b"\r\nUser-Agent\r\n\r\n".to_vec()]
        );
        // Response buffers never in to-server inspection.
        assert!(!AppBuf::HttpStatCode.in_dir(Direction::ToServer));
    }

    #[test]
    fn krb5_names_are_multi_buffers_read_to_client() {
        // krb5-kerberoasting's TGS-REP (tshark: cname spotless, ticket
        // sname HTTP/dc-mantvydas.offense.local).
        let txs = crate::applayer::krb5::testdata::txs();
        let tx = &txs[1];
        let mut s = Vec::new();
        let got = |b: AppBuf, dir| {
            let mut seen = Vec::new();
            b.fetch(Tx::Krb5(tx), dir, &mut Vec::new(), &mut |x| {
                seen.push(x.to_vec());
                false
            });
            seen
        };
        assert_eq!(
            got(AppBuf::Krb5Sname, Direction::ToClient),
            [b"HTTP".to_vec(), b"dc-mantvydas.offense.local".to_vec()]
        );
        assert_eq!(
            got(AppBuf::Krb5Cname, Direction::ToClient),
            [b"spotless".to_vec()]
        );
        assert!(got(AppBuf::Krb5Sname, Direction::ToServer).is_empty());
        // Any component matching stops the search.
        let mut n = 0;
        assert!(
            AppBuf::Krb5Sname.fetch(Tx::Krb5(tx), Direction::ToClient, &mut s, &mut |x| {
                n += 1;
                x == b"HTTP"
            })
        );
        assert_eq!(n, 1);
        assert_eq!(AppBuf::from_keyword("krb5_sname"), Some(AppBuf::Krb5Sname));
    }

    // ../shared/acceptance/smb-named-pipe-ascii/input.pcap frames 11 and
    // 12 (TCP payloads, `tshark -x`): SMB1 TREE_CONNECT_ANDX of
    // \\127.0.0.1\IPC$ and its response (service "IPC").
    const SMB1_TREE_REQ: &str = "00000043ff534d427500000000184348000000000000000000000000ffff64060010030004ff0000000c0001001800005c5c3132372e302e302e315c49504324003f3f3f3f3f00";
    const SMB1_TREE_RESP: &str = "00000036ff534d427500000000984348000000000000000000000000010864060010030007ff0036000100ffff1f00ffff1f0005004950430000";

    fn all(b: AppBuf, tx: Tx<'_>, dir: Direction) -> Vec<Vec<u8>> {
        let mut seen = Vec::new();
        b.fetch(tx, dir, &mut Vec::new(), &mut |x| {
            seen.push(x.to_vec());
            false
        });
        seen
    }

    #[test]
    fn smb_tree_paths_are_named_pipe_or_share_to_server() {
        use crate::applayer::smb::SmbState;
        use crate::applayer::test_hex as hex;
        let tree = |service: &[u8]| {
            let mut s = SmbState::new();
            s.parse(Direction::ToServer, &hex(SMB1_TREE_REQ));
            let mut resp = hex(SMB1_TREE_RESP);
            let n = resp.len();
            resp[n - 5..n - 2].copy_from_slice(service);
            s.parse(Direction::ToClient, &resp);
            s
        };
        // Suricata 7.0.10's EVE for this capture: "named_pipe":"\\127.0.0.1\\IPC$".
        let s = tree(b"IPC");
        let tx = Tx::Smb(&s, &s.txs()[0]);
        let path = br"\127.0.0.1\IPC$".to_vec();
        assert_eq!(
            all(AppBuf::SmbNamedPipe, tx, Direction::ToServer),
            std::slice::from_ref(&path)
        );
        assert!(all(AppBuf::SmbShare, tx, Direction::ToServer).is_empty());
        // Read to server only, as Suricata registers them.
        assert!(all(AppBuf::SmbNamedPipe, tx, Direction::ToClient).is_empty());
        // The same tree as a disk share ("A:").
        let s = tree(b"A:\0");
        let tx = Tx::Smb(&s, &s.txs()[0]);
        assert_eq!(all(AppBuf::SmbShare, tx, Direction::ToServer), [path]);
        assert!(all(AppBuf::SmbNamedPipe, tx, Direction::ToServer).is_empty());
        assert_eq!(
            AppBuf::from_keyword("smb_named_pipe"),
            Some(AppBuf::SmbNamedPipe)
        );
        assert_eq!(AppBuf::from_keyword("smb_share"), Some(AppBuf::SmbShare));
    }

    #[test]
    fn dce_stub_data_per_direction() {
        use crate::applayer::dcerpc::{Carrier, DcerpcState};
        use crate::applayer::test_hex as hex;
        // ../shared/acceptance/dcerpc-issue-7187-01/input.pcap frames 7
        // and 8: REQUEST opnum 4 (stub 02000000) and its RESPONSE (over
        // TCP the stub includes the 8-byte response header, as Suricata's
        // stub_data_size of 20 shows).
        let mut s = DcerpcState::new(Carrier::Tcp);
        s.parse(
            Direction::ToServer,
            &hex("05000003100000001c00000001000000040000000000040002000000"),
        );
        s.parse(
            Direction::ToClient,
            &hex("050002031000000024000000010000000c000000000000000400000010000000c0e14a00"),
        );
        let tx = Tx::Dcerpc(&s, &s.txs()[0]);
        assert_eq!(
            all(AppBuf::DceStubData, tx, Direction::ToServer),
            [vec![2, 0, 0, 0]]
        );
        assert_eq!(
            all(AppBuf::DceStubData, tx, Direction::ToClient),
            [hex("0c000000000000000400000010000000c0e14a00")]
        );
        assert_eq!(
            AppBuf::from_keyword("dcerpc.stub_data"),
            Some(AppBuf::DceStubData)
        );
        // Not a buffer of other transactions.
        let ssh = crate::applayer::ssh::SshState::new();
        assert!(all(AppBuf::DceStubData, Tx::Ssh(&ssh), Direction::ToServer).is_empty());
    }
}
