//! The keyword registry: every rule option vxtap knows, in ONE table
//! ([`REGISTRY`]). Each entry names the keyword, says whether vxtap
//! enforces it, and points at its setup function, which parses the value
//! into the rule being built ([`Builder`]). Adding a keyword is one entry.
//!
//! A rule that uses a keyword marked not enforced is reported as
//! unsupported (by keyword) and never loaded in a weakened form. A keyword
//! missing from the table is an error ("unknown keyword"), as in Suricata.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::signature::{BufferList, Signature, Step, Val};

pub mod app;
pub mod applayer;
pub mod base64;
pub mod bits;
pub mod buffers;
pub mod byte;
pub mod content;
pub mod event;
pub mod flow;
pub mod header;
pub mod meta;
pub mod pcre;
pub mod tag;
pub mod threshold;
pub mod transforms;
pub mod validity;

use buffers::BufferKind;

/// Parses a keyword's value into the rule being built; `Err` says what is
/// wrong with the value.
pub type Setup = fn(&mut Builder, &str, Option<&str>) -> Result<(), String>;

/// One registry entry.
#[derive(Clone, Copy)]
pub struct Keyword {
    /// The keyword as written in rules.
    pub name: &'static str,
    /// Whether vxtap enforces it. `false`: rules using it are unsupported.
    pub enforced: bool,
    /// Value parser.
    pub setup: Setup,
}

const fn yes(name: &'static str, setup: Setup) -> Keyword {
    Keyword {
        name,
        enforced: true,
        setup,
    }
}

/// A keyword that selects a buffer vxtap does not produce yet (app layer):
/// the following content goes to a buffer that is never inspected.
const fn no_buffer(name: &'static str) -> Keyword {
    Keyword {
        name,
        enforced: false,
        setup: buffers::unsupported_buffer,
    }
}

/// A legacy content modifier moving the previous content to an app-layer
/// buffer (`http_uri`, …).
const fn no_modifier(name: &'static str) -> Keyword {
    Keyword {
        name,
        enforced: false,
        setup: content::unsupported_modifier,
    }
}

/// Any other keyword not enforced yet.
const fn no(name: &'static str) -> Keyword {
    Keyword {
        name,
        enforced: false,
        setup: meta::ignore,
    }
}

/// Every keyword vxtap knows.
pub static REGISTRY: &[Keyword] = &[
    // Meta (describe the rule; no condition).
    yes("msg", meta::msg),
    yes("sid", meta::sid),
    yes("rev", meta::rev),
    yes("gid", meta::gid),
    yes("classtype", meta::classtype),
    yes("reference", meta::reference),
    yes("metadata", meta::metadata),
    yes("priority", meta::priority),
    yes("target", meta::target),
    yes("noalert", meta::noalert),
    yes("tag", tag::tag),
    yes("prefilter", meta::ignore),
    yes("requires", meta::requires),
    // Payload inspection.
    yes("content", content::content),
    yes("nocase", content::nocase),
    yes("depth", content::depth),
    yes("offset", content::offset),
    yes("distance", content::distance),
    yes("within", content::within),
    yes("startswith", content::startswith),
    yes("endswith", content::endswith),
    yes("fast_pattern", content::fast_pattern),
    yes("rawbytes", content::rawbytes),
    yes("isdataat", content::isdataat),
    yes("bsize", content::bsize),
    yes("pcre", pcre::setup),
    yes("byte_test", byte::byte_test),
    yes("byte_jump", byte::byte_jump),
    yes("byte_extract", byte::byte_extract),
    yes("byte_math", byte::byte_math),
    yes("base64_decode", base64::base64_decode),
    yes("base64_data", base64::base64_data),
    // Buffers vxtap produces.
    yes("pkt_data", buffers::pkt_data),
    yes("ipv4.hdr", buffers::sticky),
    yes("ipv6.hdr", buffers::sticky),
    yes("tcp.hdr", buffers::sticky),
    yes("udp.hdr", buffers::sticky),
    yes("icmpv4.hdr", buffers::sticky),
    yes("icmpv6.hdr", buffers::sticky),
    // Transforms.
    yes("to_lowercase", transforms::setup),
    yes("to_uppercase", transforms::setup),
    yes("strip_whitespace", transforms::setup),
    yes("compress_whitespace", transforms::setup),
    yes("dotprefix", transforms::setup),
    yes("url_decode", transforms::setup),
    yes("xor", transforms::setup),
    yes("to_md5", transforms::setup),
    yes("to_sha1", transforms::setup),
    yes("to_sha256", transforms::setup),
    yes("pcrexform", transforms::setup),
    // Packet headers.
    yes("dsize", header::dsize),
    yes("ttl", header::setup),
    yes("tos", header::setup),
    yes("id", header::setup),
    yes("ip_proto", header::setup),
    yes("sameip", header::setup),
    yes("fragbits", header::setup),
    yes("fragoffset", header::setup),
    yes("flags", header::setup),
    yes("tcp.flags", header::setup),
    yes("window", header::setup),
    yes("seq", header::setup),
    yes("ack", header::setup),
    yes("tcp.mss", header::setup),
    yes("itype", header::setup),
    yes("icode", header::setup),
    yes("icmp_id", header::setup),
    yes("icmp_seq", header::setup),
    yes("icmpv6.mtu", header::setup),
    yes("ipopts", header::setup),
    yes("ipv4-csum", header::setup),
    yes("tcpv4-csum", header::setup),
    yes("tcpv6-csum", header::setup),
    yes("udpv4-csum", header::setup),
    yes("udpv6-csum", header::setup),
    yes("icmpv4-csum", header::setup),
    yes("icmpv6-csum", header::setup),
    // Flow and state.
    yes("flow", flow::flow),
    yes("flow.age", flow::flow_age),
    yes("stream_size", flow::stream_size),
    yes("flowbits", bits::flowbits),
    yes("hostbits", bits::hostbits),
    yes("xbits", bits::xbits),
    yes("flowint", bits::flowint),
    yes("decode-event", event::decode_event),
    yes("stream-event", event::stream_event),
    yes("threshold", threshold::threshold),
    yes("detection_filter", threshold::detection_filter),
    // Application layer (buffers are in `app.rs`'s table, see `lookup`).
    yes("uricontent", content::uricontent),
    yes("urilen", applayer::urilen),
    yes("app-layer-protocol", applayer::app_layer_protocol),
    yes("app-layer-event", applayer::app_layer_event),
    yes("ssl_version", applayer::ssl_version),
    yes("ssl_state", applayer::ssl_state),
    yes("tls.version", applayer::tls_version),
    yes("tls.subject", applayer::cert_field),
    yes("tls.issuerdn", applayer::cert_field),
    yes("tls.fingerprint", applayer::fingerprint),
    yes("tls.cert_chain_len", applayer::chain_len),
    yes("tls_cert_notbefore", validity::cert_date),
    yes("tls_cert_notafter", validity::cert_date),
    yes("tls_cert_expired", validity::cert_state),
    yes("tls_cert_valid", validity::cert_state),
    yes("dns.opcode", applayer::dns_opcode),
    yes("krb5_msg_type", applayer::krb5_msg_type),
    yes("krb5_err_code", applayer::krb5_err_code),
    yes("krb5.ticket_encryption", applayer::krb5_ticket_encryption),
    yes("dce_iface", applayer::dce_iface),
    yes("dcerpc.iface", applayer::dce_iface),
    yes("dce_opnum", applayer::dce_opnum),
    yes("ftpdata_command", applayer::ftpdata_command),
    yes("ftpbounce", applayer::ftpbounce),
    yes("dcerpc.opnum", applayer::dce_opnum),
    // Not enforced yet: application-layer buffers (sticky).
    no_buffer("http2.header_name"),
    no_buffer("http2.header"),
    no_buffer("file.name"),
    no_buffer("sip.method"),
    no_buffer("sip.uri"),
    // Not enforced yet: legacy content modifiers for app-layer buffers.
    no_modifier("http_raw_cookie"),
    // Not enforced yet: other keywords.
    no("asn1"),
    no("tls.store"),
    no("filestore"),
    no("filemagic"),
    no("fileext"),
    no("filename"),
    no("filemd5"),
    no("filesha1"),
    no("filesha256"),
    no("filesize"),
    no("dataset"),
    no("datarep"),
    no("lua"),
    no("luajit"),
    no("iprep"),
    no("replace"),
    no("config"),
    no("pktvar"),
    no("flowvar"),
    no("modbus"),
    no("dnp3_func"),
    no("dnp3_ind"),
    no("dnp3_obj"),
    no("dnp3_data"),
    no("enip_command"),
    no("cip_service"),
];

/// The registry entry for `name`: [`REGISTRY`], then the application-layer
/// buffers of [`app::AppBuf`] (sticky names, aliases, legacy modifiers).
pub fn lookup(name: &str) -> Option<&'static Keyword> {
    static MAP: OnceLock<HashMap<&'static str, &'static Keyword>> = OnceLock::new();
    static STICKY: Keyword = yes("<application-layer buffer>", buffers::sticky);
    static MODIFIER: Keyword = yes("<application-layer modifier>", buffers::modifier);
    MAP.get_or_init(|| {
        let mut m: HashMap<&'static str, &'static Keyword> =
            REGISTRY.iter().map(|k| (k.name, k)).collect();
        for &b in app::AppBuf::ALL {
            for n in std::iter::once(b.keyword()).chain(b.aliases().iter().copied()) {
                m.insert(n, &STICKY);
            }
            if let Some(n) = b.modifier() {
                m.insert(n, &MODIFIER);
            }
        }
        m
    })
    .get(name)
    .copied()
}

/// Where following content keywords go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cur {
    /// A buffer list of the rule.
    List(usize),
    /// A buffer vxtap does not produce: parsed for errors, then dropped.
    Unsupported,
    /// `base64_data`: the bytes `base64_decode` decoded.
    Base64,
}

/// Index of the scratch list that collects content for unsupported buffers.
pub(crate) const DUMMY: usize = usize::MAX;

/// Index of the list that collects the `base64_data` steps.
pub(crate) const BASE64: usize = usize::MAX - 1;

/// A rule under construction: setup functions add to it.
pub struct Builder {
    /// The rule so far (header filled, options being added).
    pub sig: Signature,
    cur: Option<Cur>,
    dummy: BufferList,
    /// The `base64_data` steps (moved into each `base64_decode` step when
    /// the rule is finished).
    pub(crate) base64: BufferList,
    /// Whether a `base64_decode` was seen.
    pub(crate) has_base64_decode: bool,
    /// The last content/pcre (list, step) for modifiers.
    pub(crate) last_pm: Option<(usize, usize)>,
    /// Byte variable names in definition order.
    pub(crate) var_names: Vec<String>,
    /// Not-enforced keywords seen, in order, without duplicates.
    pub unsupported: Vec<String>,
    /// `fast_pattern` given explicitly: (list, step).
    pub(crate) fast_pattern: Option<(usize, usize)>,
    /// Whether `sid` appeared.
    pub(crate) has_sid: bool,
    /// `requires` not met by Suricata 7.0.10 semantics.
    pub(crate) requires_unmet: Option<String>,
}

impl Builder {
    /// Starts from a rule whose header is parsed.
    pub fn new(sig: Signature) -> Self {
        Builder {
            sig,
            cur: None,
            dummy: BufferList {
                kind: BufferKind::Payload,
                transforms: Vec::new(),
                steps: Vec::new(),
            },
            base64: BufferList {
                kind: BufferKind::Payload,
                transforms: Vec::new(),
                steps: Vec::new(),
            },
            has_base64_decode: false,
            last_pm: None,
            var_names: Vec::new(),
            unsupported: Vec::new(),
            fast_pattern: None,
            has_sid: false,
            requires_unmet: None,
        }
    }

    /// Records a keyword vxtap does not enforce.
    pub fn mark_unsupported(&mut self, name: &str) {
        if !self.unsupported.iter().any(|u| u == name) {
            self.unsupported.push(name.to_owned());
        }
    }

    /// The list index of buffer `kind`, creating it when new.
    pub(crate) fn list_of(&mut self, kind: BufferKind) -> usize {
        if let Some(i) = self.sig.buffers.iter().position(|b| b.kind == kind) {
            return i;
        }
        self.sig.buffers.push(BufferList {
            kind,
            transforms: Vec::new(),
            steps: Vec::new(),
        });
        self.sig.buffers.len() - 1
    }

    /// Makes `kind` the current buffer (a sticky buffer keyword).
    pub(crate) fn select(&mut self, kind: BufferKind) -> Result<(), String> {
        self.leave_base64()?;
        let i = self.list_of(kind);
        self.cur = Some(Cur::List(i));
        Ok(())
    }

    /// Suricata refuses to switch away from `base64_data` (it is the last
    /// buffer of a rule).
    fn leave_base64(&self) -> Result<(), String> {
        if self.cur == Some(Cur::Base64) {
            return Err("no other buffer may follow `base64_data`".into());
        }
        Ok(())
    }

    /// `base64_data`: the following content keywords inspect the decoded
    /// bytes.
    pub(crate) fn select_base64(&mut self) -> Result<(), String> {
        if !self.has_base64_decode {
            return Err("`base64_data` without a `base64_decode` before it".into());
        }
        self.cur = Some(Cur::Base64);
        Ok(())
    }

    /// Appends a `base64_decode` step where Suricata puts it: the current
    /// sticky buffer, else the list of the previous content, else the
    /// payload.
    pub(crate) fn push_base64_decode(&mut self, step: Step) -> Result<(), String> {
        let l = match self.cur {
            Some(Cur::Base64) => return Err("`base64_decode` after `base64_data`".into()),
            Some(_) => self.current(),
            None => match self.last_pm {
                Some((l, _)) => l,
                None => self.current(),
            },
        };
        self.list_mut(l).steps.push(step);
        self.has_base64_decode = true;
        Ok(())
    }

    /// Makes an unsupported buffer current.
    pub(crate) fn select_unsupported(&mut self) -> Result<(), String> {
        self.leave_base64()?;
        self.cur = Some(Cur::Unsupported);
        self.dummy.steps.clear();
        self.dummy.transforms.clear();
        if self.last_pm.is_some_and(|(l, _)| l == DUMMY) {
            self.last_pm = None;
        }
        Ok(())
    }

    /// The current list index (the payload unless a sticky buffer was set).
    pub(crate) fn current(&mut self) -> usize {
        match self.cur {
            Some(Cur::List(i)) => i,
            Some(Cur::Unsupported) => DUMMY,
            Some(Cur::Base64) => BASE64,
            None => self.list_of(BufferKind::Payload),
        }
    }

    /// Whether a sticky buffer (not the default payload) is current.
    pub(crate) fn has_sticky(&self) -> bool {
        self.cur.is_some()
    }

    /// A list by index ([`DUMMY`] for the scratch list).
    pub(crate) fn list_mut(&mut self, i: usize) -> &mut BufferList {
        if i == DUMMY {
            &mut self.dummy
        } else if i == BASE64 {
            &mut self.base64
        } else {
            &mut self.sig.buffers[i]
        }
    }

    /// Appends a step to the list of `kind` (not changing the current
    /// buffer) and makes it the last content/pcre.
    pub(crate) fn push_step_to(&mut self, kind: BufferKind, step: Step) {
        let l = self.list_of(kind);
        self.sig.buffers[l].steps.push(step);
        self.last_pm = Some((l, self.sig.buffers[l].steps.len() - 1));
    }

    /// A legacy content modifier: moves the last content from the payload
    /// to the list of `kind`, keeping an explicit `fast_pattern` on it.
    pub(crate) fn move_last_to(&mut self, kind: BufferKind, name: &str) -> Result<(), String> {
        let (l, s) = self
            .last_pm
            .ok_or_else(|| format!("`{name}` needs a preceding content"))?;
        if l == DUMMY {
            // The content went to a buffer vxtap does not produce.
            return Ok(());
        }
        if l == BASE64 {
            return Err(format!("`{name}` cannot apply to a `base64_data` content"));
        }
        let from = self.sig.buffers[l].kind;
        if from == kind {
            return Ok(());
        }
        if from != BufferKind::Payload {
            return Err(format!(
                "`{name}` cannot apply to a content of sticky buffer `{}`",
                from.keyword()
            ));
        }
        if !matches!(self.sig.buffers[l].steps.get(s), Some(Step::Content(_))) {
            return Err(format!("`{name}` needs a preceding content"));
        }
        let step = self.sig.buffers[l].steps.remove(s);
        let t = self.list_of(kind);
        self.sig.buffers[t].steps.push(step);
        let ns = self.sig.buffers[t].steps.len() - 1;
        self.fast_pattern = match self.fast_pattern {
            Some((fl, fs)) if fl == l && fs == s => Some((t, ns)),
            Some((fl, fs)) if fl == l && fs > s => Some((fl, fs - 1)),
            other => other,
        };
        self.last_pm = Some((t, ns));
        Ok(())
    }

    /// Appends a step to the current list; returns (list, step).
    pub(crate) fn push_step(&mut self, step: Step) -> (usize, usize) {
        let l = self.current();
        let list = self.list_mut(l);
        list.steps.push(step);
        (l, list.steps.len() - 1)
    }

    /// The previous step of the current list, if any.
    pub(crate) fn has_previous_step(&mut self) -> bool {
        let l = self.current();
        !self.list_mut(l).steps.is_empty()
    }

    /// Defines a byte variable; returns its index.
    pub(crate) fn define_var(&mut self, name: &str) -> Result<usize, String> {
        if let Some(i) = self.var_names.iter().position(|n| n == name) {
            return Ok(i);
        }
        if self.var_names.len() >= 64 {
            return Err("too many byte variables (64 at most)".into());
        }
        self.var_names.push(name.to_owned());
        Ok(self.var_names.len() - 1)
    }

    /// A number, or the name of a byte variable defined earlier.
    pub(crate) fn val(&self, s: &str, min: i64, max: i64) -> Result<Val, String> {
        let s = s.trim();
        if s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            return self
                .var_names
                .iter()
                .position(|n| n == s)
                .map(Val::Var)
                .ok_or_else(|| format!("unknown byte variable `{s}`"));
        }
        let v: i64 = if let Some(h) = s.strip_prefix("0x") {
            i64::from_str_radix(h, 16).map_err(|_| format!("`{s}` is not a number"))?
        } else {
            s.parse().map_err(|_| format!("`{s}` is not a number"))?
        };
        if v < min || v > max {
            return Err(format!("{v} is outside {min}..={max}"));
        }
        Ok(Val::Lit(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_names_unique_and_found() {
        let mut seen = std::collections::HashSet::new();
        for k in REGISTRY {
            assert!(seen.insert(k.name), "duplicate {}", k.name);
            assert!(std::ptr::eq(lookup(k.name).unwrap(), k));
        }
        assert!(lookup("content").unwrap().enforced);
        assert!(lookup("http.uri").unwrap().enforced);
        assert!(lookup("http_uri").unwrap().enforced);
        assert!(lookup("smb.named_pipe").unwrap().enforced);
        assert!(!lookup("file.name").unwrap().enforced);
        for &b in app::AppBuf::ALL {
            assert!(
                !REGISTRY.iter().any(|k| k.name == b.keyword()),
                "{b:?} twice"
            );
        }
        assert!(lookup("no_such_keyword").is_none());
    }
}
