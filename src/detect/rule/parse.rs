//! One rule's text → a [`Signature`] (every keyword enforced) or an
//! unsupported rule (the keywords vxtap does not enforce yet), or a
//! [`ParseError`] saying what is wrong.

use std::sync::Arc;

use super::address::IpSet;
use super::lexer;
use super::port::PortSet;
use super::vars::RuleVars;
use crate::applayer::AppProto;
use crate::detect::error::{Location, ParseError};
use crate::detect::keywords::app::AppBuf;
use crate::detect::keywords::buffers::BufferKind;
use crate::detect::keywords::{self, Builder};
use crate::detect::signature::{
    Action, FastPattern, PacketMatch, PayloadOn, Proto, Signature, Step, Val,
};

/// The outcome for a rule that parsed.
#[derive(Debug)]
pub enum Parsed {
    /// Every keyword is enforced: the rule is loaded.
    Loaded(Box<Signature>),
    /// Parsed, but uses keywords (or a protocol) vxtap does not enforce;
    /// the rule is left out, never loaded in a weaker form.
    Unsupported {
        /// The rule as far as it was built (for its sid and message).
        sig: Box<Signature>,
        /// What is not enforced (`http.uri`, `protocol http`, `pcre:U`, …).
        keywords: Vec<String>,
    },
}

/// Parses one rule. `location` is recorded in the signature.
pub fn parse_rule(text: &str, vars: &RuleVars, location: Location) -> Result<Parsed, ParseError> {
    let raw = lexer::split(text)?;
    let [action, proto, src, sport, dir, dst, dport] = raw.header;
    let action = Action::parse(action)
        .ok_or_else(|| ParseError::Header(format!("unknown action `{action}`")))?;
    let proto = Proto::parse(proto)
        .ok_or_else(|| ParseError::Header(format!("unknown protocol `{proto}`")))?;
    let bidirectional = match dir {
        "->" => false,
        "<>" => true,
        _ => {
            return Err(ParseError::Header(format!(
                "direction must be `->` or `<>`, found `{dir}`"
            )));
        }
    };
    let src = IpSet::parse(src, vars).map_err(|e| ParseError::Header(format!("source: {e}")))?;
    let dst =
        IpSet::parse(dst, vars).map_err(|e| ParseError::Header(format!("destination: {e}")))?;
    let sport =
        PortSet::parse(sport, vars).map_err(|e| ParseError::Header(format!("source port: {e}")))?;
    let dport = PortSet::parse(dport, vars)
        .map_err(|e| ParseError::Header(format!("destination port: {e}")))?;
    let sig = Signature {
        location,
        action,
        proto,
        src,
        sport,
        dst,
        dport,
        bidirectional,
        gid: 1,
        sid: 0,
        rev: 0,
        msg: Arc::from(""),
        classtype: None,
        category: None,
        priority: 3,
        priority_explicit: false,
        references: Vec::new(),
        metadata: Vec::new(),
        target: None,
        noalert: false,
        alproto: None,
        matches: Vec::new(),
        buffers: Vec::new(),
        post: Vec::new(),
        threshold: None,
        detection_filter: None,
        fast_pattern: None,
        nvars: 0,
        bit_names: Vec::new(),
        int_names: Vec::new(),
        payload_on: PayloadOn::Stream,
    };
    let mut b = Builder::new(sig);
    for opt in &raw.options {
        let kw = keywords::lookup(opt.name)
            .ok_or_else(|| ParseError::UnknownKeyword(opt.name.to_owned()))?;
        if !kw.enforced {
            b.mark_unsupported(opt.name);
        }
        (kw.setup)(&mut b, opt.name, opt.value).map_err(|e| ParseError::keyword(opt.name, e))?;
    }
    if !b.has_sid {
        return Err(ParseError::Rule("no `sid`".into()));
    }
    if let Proto::App(name) = &b.sig.proto {
        match AppProto::from_name(name) {
            Some(p) => b.sig.alproto = Some(p),
            None => {
                let k = format!("protocol {name}");
                b.mark_unsupported(&k);
            }
        }
    }
    finish(&mut b)?;
    if let Some(r) = b.requires_unmet.take() {
        b.mark_unsupported(&format!("requires {r}"));
    }
    let keywords = std::mem::take(&mut b.unsupported);
    if keywords.is_empty() {
        Ok(Parsed::Loaded(Box::new(b.sig)))
    } else {
        Ok(Parsed::Unsupported {
            sig: Box::new(b.sig),
            keywords,
        })
    }
}

/// Rule-level checks and compilation once every option is in.
fn finish(b: &mut Builder) -> Result<(), ParseError> {
    b.sig.nvars = b.var_names.len();
    // Payload lists emptied by legacy modifiers (every content moved to
    // its application-layer buffer) go.
    let mut i = 0;
    while i < b.sig.buffers.len() {
        let l = &b.sig.buffers[i];
        if l.kind == BufferKind::Payload && l.steps.is_empty() && l.transforms.is_empty() {
            b.sig.buffers.remove(i);
            b.fast_pattern = b.fast_pattern.map(|(fl, fs)| {
                if fl != keywords::DUMMY && fl > i {
                    (fl - 1, fs)
                } else {
                    (fl, fs)
                }
            });
        } else {
            i += 1;
        }
    }
    // A transaction rule reads one protocol's transactions.
    match b.sig.tx_proto() {
        Err((a, c)) => {
            return Err(ParseError::Rule(format!(
                "keywords of two protocols ({} and {})",
                a.name(),
                c.name()
            )));
        }
        Ok(Some(p)) => {
            // `file.data` is read from several protocols' files; `dce_*`
            // keywords read DCE/RPC over SMB too (`alert smb … dce_opnum`).
            let only_file_data = b
                .sig
                .buffers
                .iter()
                .all(|l| l.kind.app().is_none_or(|a| a == AppBuf::FileData))
                && !b
                    .sig
                    .matches
                    .iter()
                    .any(|m| matches!(m, PacketMatch::Tx(_)));
            let smb_dce = p == AppProto::Dcerpc;
            match b.sig.alproto {
                None => b.sig.alproto = Some(p),
                Some(h) if h != p && !only_file_data && !(h == AppProto::Smb && smb_dce) => {
                    return Err(ParseError::Rule(format!(
                        "`{}` keywords in a `{}` rule",
                        p.name(),
                        h.name()
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(None) => {}
    }
    // Suricata 7 rejects a rule that reads a transaction and also needs
    // the packet itself (dsize, header keywords, header buffers,
    // flow:no_stream, tcp-pkt): measured with 7.0.10, "Signature combines
    // packet specific matches (like dsize, flags, ttl) with stream / state
    // matching by matching on app layer proto".
    if b.sig.is_tx()
        && let Some(k) = b.sig.packet_specific()
    {
        return Err(ParseError::Rule(format!(
            "`{k}` (a packet-specific match) combined with application-layer keywords: \
             Suricata rejects such rules; split it in two"
        )));
    }
    // Drop empty lists (a sticky buffer with nothing after it is an error
    // in Suricata).
    if let Some(l) = b.sig.buffers.iter().find(|l| l.steps.is_empty()) {
        return Err(ParseError::Rule(format!(
            "sticky buffer `{}` has no content keyword after it",
            l.kind.keyword()
        )));
    }
    // The `base64_data` steps run inside every `base64_decode` step.
    if !b.base64.transforms.is_empty() {
        return Err(ParseError::Rule(
            "transforms cannot apply to `base64_data`".into(),
        ));
    }
    let mut base64 = std::mem::take(&mut b.base64.steps);
    for step in &mut base64 {
        if let Step::Content(c) = step {
            c.compile();
        }
    }
    for list in &mut b.sig.buffers {
        for step in &mut list.steps {
            match step {
                Step::Content(c) => c.compile(),
                Step::Base64Decode(d) => d.data = base64.clone(),
                _ => {}
            }
        }
    }
    // The fast pattern: explicit, else the longest positive content of a
    // list without transforms (Suricata picks the longest, most specific).
    let explicit = b.fast_pattern.filter(|&(l, _)| l != keywords::DUMMY);
    let mut best: Option<(usize, usize, usize)> = None; // (len, list, step)
    for (li, list) in b.sig.buffers.iter().enumerate() {
        if !list.transforms.is_empty() {
            continue;
        }
        for (si, step) in list.steps.iter().enumerate() {
            if let Step::Content(c) = step {
                if c.negated {
                    continue;
                }
                let len = c.fp_chop.map_or(c.pattern.len(), |(_, n)| n);
                if explicit.is_some_and(|e| e == (li, si)) {
                    best = Some((usize::MAX, li, si));
                } else if best.is_none_or(|(bl, _, _)| len > bl) {
                    best = Some((len, li, si));
                }
            }
        }
    }
    if let Some((_, li, si)) = best
        && let Step::Content(c) = &b.sig.buffers[li].steps[si]
    {
        let pattern = match c.fp_chop {
            Some((o, n)) => c.pattern[o..o + n].to_vec(),
            None => c.pattern.clone(),
        };
        let relative = c.distance.is_some() || c.within.is_some();
        let end = match (c.offset, c.depth) {
            _ if relative => None,
            (None, _) if c.startswith => Some(c.pattern.len()),
            (None, Some(Val::Lit(d))) => usize::try_from(d).ok(),
            (Some(Val::Lit(o)), Some(Val::Lit(d))) => usize::try_from(o.saturating_add(d)).ok(),
            _ => None,
        };
        b.sig.fast_pattern = Some(FastPattern {
            list: li,
            pattern,
            end,
        });
    }
    b.sig.payload_on = PayloadOn::of(&b.sig);
    Ok(())
}

/// A builder over an `alert ip any any -> any any` rule, for keyword tests.
#[cfg(test)]
pub(crate) fn test_builder() -> Builder {
    let p = parse_rule(
        "alert ip any any -> any any (sid:1;)",
        &RuleVars::default(),
        Location {
            file: Arc::from("<test>"),
            line: 1,
        },
    );
    match p {
        Ok(Parsed::Loaded(sig)) => Builder::new(*sig),
        _ => unreachable!(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc() -> Location {
        Location {
            file: Arc::from("t.rules"),
            line: 3,
        }
    }

    fn parse(t: &str) -> Result<Parsed, ParseError> {
        parse_rule(t, &RuleVars::default(), loc())
    }

    /// Where payload matches on a TCP stream, per keyword, as Suricata
    /// 7.0.10 decides it: with `content:"d2d3"`, which only the reassembled
    /// stream of `../shared/acceptance/tcp-fastopen-07` holds, `suricata -r
    /// input.pcap -S <each rule> -k none --runmode single` alerts for the
    /// rules expected `Stream` here and never for those expected `Packet`
    /// (the header keywords set `SIG_FLAG_REQUIRE_PACKET`).
    #[test]
    fn payload_on_follows_require_packet() {
        use crate::detect::signature::PayloadOn;
        let on = |opts: &str| {
            let t = format!(r#"alert tcp any any -> any any (content:"d2d3"; {opts} sid:1;)"#);
            match parse(&t).unwrap() {
                Parsed::Loaded(s) => s.payload_on,
                _ => panic!("{t} not loaded"),
            }
        };
        for opts in [
            "ttl:>0;",
            "tos:!1;",
            "id:59986;",
            "fragbits:!R;",
            "fragoffset:0;",
            "flags:A+;",
            "tcp.flags:A+;",
            "window:511;",
            "seq:98756183;",
            "ack:3635954823;",
            "tcp.mss:<2000;",
            "flow.age:0;",
            "dsize:>0;",
        ] {
            assert_eq!(on(opts), PayloadOn::Packet, "{opts}");
        }
        for opts in [
            "",
            "flow:established;",
            "flow:to_server;",
            "flowbits:isnotset,zz;",
            "tcpv4-csum:valid;",
            "ipv4-csum:valid;",
        ] {
            assert_eq!(on(opts), PayloadOn::Stream, "{opts}");
        }
        assert_eq!(on("stream_size:client,>,1;"), PayloadOn::Both);
    }

    #[test]
    fn loads_a_payload_rule() {
        let Parsed::Loaded(s) = parse(
            r#"drop tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (msg:"x \"y\""; flow:established,to_server; content:"GET"; depth:3; content:"evil"; nocase; distance:0; fast_pattern; sid:42; rev:2; classtype:trojan-activity; reference:url,example.com; metadata:created_at 2024_01_01, signature_severity Major;)"#,
        )
        .unwrap() else {
            panic!("not loaded")
        };
        assert_eq!((s.sid, s.rev, s.gid), (42, 2, 1));
        assert_eq!(&*s.msg, "x \"y\"");
        assert_eq!(s.action, Action::Drop);
        assert_eq!(s.buffers.len(), 1);
        assert_eq!(s.buffers[0].steps.len(), 2);
        assert_eq!(s.fast_pattern.as_ref().unwrap().pattern, b"evil");
        assert_eq!(s.metadata.len(), 2);
        assert_eq!(
            s.references[0],
            ("url".to_owned(), "example.com".to_owned())
        );
    }

    #[test]
    fn unsupported_is_reported_not_weakened() {
        let Parsed::Unsupported { keywords, .. } =
            parse(r#"alert pop3 any any -> any any (sip.uri; content:"/a"; pcre:"/x/K"; sid:1;)"#)
                .unwrap()
        else {
            panic!("loaded")
        };
        assert_eq!(keywords, ["sip.uri", "pcre:K", "protocol pop3"]);
    }

    #[test]
    fn errors_say_what() {
        for (t, needle) in [
            ("alert tcp any any -> any any (content:\"a\";)", "no `sid`"),
            (
                "alert tcp any any -> any any (foo:1; sid:1;)",
                "unknown keyword `foo`",
            ),
            ("blah tcp any any -> any any (sid:1;)", "unknown action"),
            ("alert tcp any any => any any (sid:1;)", "direction"),
            (
                "alert tcp any any -> any any (nocase; sid:1;)",
                "preceding content",
            ),
            (
                "alert tcp any any -> any any (content:\"ab\"; depth:1; sid:1;)",
                "smaller",
            ),
            (
                "alert tcp any any -> any any (content:\"a\"; depth:2; distance:1; sid:1;)",
                "cannot be mixed",
            ),
            (
                "alert tcp $NOPE any -> any any (sid:1;)",
                "undefined variable",
            ),
            (
                "alert tcp any any -> any any (pcre:\"/(/\"; sid:1;)",
                "does not compile",
            ),
            (
                "alert tcp any any -> any any (tcp.hdr; sid:1;)",
                "no content keyword",
            ),
            (
                "alert tcp any any -> any any (to_lowercase; content:\"a\"; sid:1;)",
                "sticky buffer",
            ),
        ] {
            let e = parse(t).unwrap_err().to_string();
            assert!(e.contains(needle), "{t}: {e}");
        }
    }

    /// Suricata 7.0.10 refuses these (`suricata -T`: "Signature combines
    /// packet specific matches (like dsize, flags, ttl) with stream / state
    /// matching"), dcerpc-issue-7187-01's question included: a rule mixing
    /// dsize with dce_* keywords never loads.
    #[test]
    fn packet_specific_keywords_with_transaction_keywords_fail() {
        for (opts, kw) in [
            ("dce_opnum:12; dsize:>0;", "dsize"),
            ("dce_stub_data; content:\"x\"; dsize:>0;", "dsize"),
            (
                "dce_iface:5d2b62aa-ee0a-4a95-91ae-b064fdb471fc; dsize:3;",
                "dsize",
            ),
            ("ttl:64; dce_opnum:1;", "ttl"),
            ("flags:S; http.uri; content:\"x\";", "flags"),
            ("flow:no_stream; http.uri; content:\"/\";", "flow:no_stream"),
            ("flow.age:1; dce_opnum:1;", "flow.age"),
            ("dce_opnum:1; tcp.hdr; content:\"x\";", "tcp.hdr"),
            ("urilen:>1; dsize:>0;", "dsize"),
        ] {
            let t = format!("alert tcp any any -> any any ({opts} sid:1;)");
            let e = parse(&t).unwrap_err().to_string();
            assert!(e.contains(kw) && e.contains("packet-specific"), "{t}: {e}");
        }
        let e = parse("alert tcp-pkt any any -> any any (http.uri; content:\"/\"; sid:1;)")
            .unwrap_err()
            .to_string();
        assert!(e.contains("tcp-pkt"), "{e}");
        // ... and loads these.
        for t in [
            "alert http any any -> any any (dsize:>0; sid:1;)",
            "alert tcp any any -> any any (icmp_seq:1; dce_opnum:1; sid:1;)",
            "alert tcp any any -> any any (tcpv4-csum:valid; dce_opnum:1; sid:1;)",
            "alert tcp any any -> any any (flow:only_stream; dce_opnum:1; sid:1;)",
            "alert tcp any any -> any any (dce_opnum:1; content:\"x\"; sid:1;)",
        ] {
            assert!(matches!(parse(t), Ok(Parsed::Loaded(_))), "{t}");
        }
    }

    /// `dce_*` keywords make a DCE/RPC rule; in an `alert smb` rule they
    /// read the DCE/RPC of its named pipes (Suricata 7.0.10 loads both and
    /// alerts on bug-5162's SMB flow with either).
    #[test]
    fn dce_keywords_in_tcp_dcerpc_and_smb_rules() {
        let proto = |t: &str| match parse(t) {
            Ok(Parsed::Loaded(s)) => s.alproto,
            other => panic!("{t}: {other:?}"),
        };
        for (t, want) in [
            (
                "alert tcp any any -> any any (dce_opnum:12; sid:1;)",
                AppProto::Dcerpc,
            ),
            (
                "alert dcerpc any any -> any any (dce_opnum:12; sid:1;)",
                AppProto::Dcerpc,
            ),
            (
                "alert smb any any -> any any (dce_opnum:12; sid:1;)",
                AppProto::Smb,
            ),
            (
                "alert tcp any any -> any any (smb.share; content:\"C$\"; dce_opnum:1; sid:1;)",
                AppProto::Smb,
            ),
            (
                "alert smb any any -> any any (file_data; content:\"X5O\"; sid:1;)",
                AppProto::Smb,
            ),
        ] {
            assert_eq!(proto(t), Some(want), "{t}");
        }
        let e = parse("alert http any any -> any any (dce_opnum:1; sid:1;)")
            .unwrap_err()
            .to_string();
        assert!(e.contains("dcerpc"), "{e}");
    }
}
