//! `flow`, `flow.age` and `stream_size`, evaluated against the flow facts
//! the caller supplies in [`FlowInfo`] (vxtap's flow table and stream
//! tracker know them; detection does not track flows itself).

use super::Builder;
use crate::detect::signature::PacketMatch;
use crate::detect::uint::Uint;

/// What the flow stage knows about the packet's flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlowInfo {
    /// The packet goes from the client (flow initiator) to the server.
    pub to_server: bool,
    /// TCP: the three-way handshake completed (or the flow was picked up
    /// midstream with traffic both ways); UDP and others: packets were
    /// seen in both directions.
    pub established: bool,
    /// Seconds since the flow's first packet.
    pub age_secs: u64,
    /// TCP: bytes the client and the server have sent (sequence space
    /// covered), when tracked.
    pub stream_sizes: Option<(u64, u64)>,
    /// The application protocol detected (flow and per direction).
    pub app: super::applayer::FlowApp,
}

/// A parsed `flow` keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlowMatch {
    /// `established` (true) / `not_established` (false).
    pub established: Option<bool>,
    /// `to_server`/`from_client` (true) or `to_client`/`from_server` (false).
    pub to_server: Option<bool>,
    /// `only_stream` (true) / `no_stream` (false).
    pub stream: Option<bool>,
}

impl FlowMatch {
    /// Whether the flow facts satisfy the keyword; `stream` says whether
    /// the inspected data is the reassembled stream.
    pub fn matches(&self, f: &FlowInfo, stream: bool) -> bool {
        self.established.is_none_or(|e| e == f.established)
            && self.to_server.is_none_or(|t| t == f.to_server)
            && self.stream.is_none_or(|s| s == stream)
    }
}

fn set<T: PartialEq + Copy>(slot: &mut Option<T>, v: T, what: &str) -> Result<(), String> {
    match *slot {
        Some(old) if old != v => Err(format!("conflicting options ({what})")),
        _ => {
            *slot = Some(v);
            Ok(())
        }
    }
}

/// `flow:opt[,opt…]`.
pub fn flow(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    let s = v.filter(|s| !s.is_empty()).ok_or("needs a value")?;
    let mut m = FlowMatch::default();
    for opt in s.split(',').map(str::trim) {
        match opt {
            "established" => set(&mut m.established, true, "established")?,
            "not_established" => set(&mut m.established, false, "established")?,
            "stateless" => {}
            "to_server" | "from_client" => set(&mut m.to_server, true, "direction")?,
            "to_client" | "from_server" => set(&mut m.to_server, false, "direction")?,
            "only_stream" => set(&mut m.stream, true, "stream")?,
            "no_stream" => set(&mut m.stream, false, "stream")?,
            "only_frag" | "no_frag" => b.mark_unsupported(&format!("{name}:{opt}")),
            _ => return Err(format!("unknown option `{opt}`")),
        }
    }
    b.sig.matches.push(PacketMatch::Flow(m));
    Ok(())
}

/// `flow.age:<uint>` seconds.
pub fn flow_age(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let u = Uint::parse(v.ok_or("needs a value")?, u32::MAX as u64)?;
    b.sig.matches.push(PacketMatch::FlowAge(u));
    Ok(())
}

/// `stream_size:server|client|both|either,<op>,<value>`.
pub fn stream_size(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    let s = v.ok_or("needs a value")?;
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let [side, op, value] = parts[..] else {
        return Err("expected side,operator,value".into());
    };
    let side = match side {
        "server" => 0,
        "client" => 1,
        "both" => 2,
        "either" => 3,
        _ => return Err(format!("unknown side `{side}`")),
    };
    if !matches!(op, "<" | ">" | "=" | "!=" | "<=" | ">=") {
        return Err(format!("unknown operator `{op}`"));
    }
    let cmp = Uint::parse(&format!("{op}{value}"), u32::MAX as u64)?;
    b.sig.matches.push(PacketMatch::StreamSize { side, cmp });
    Ok(())
}

/// Evaluates `stream_size` on the flow facts.
pub fn stream_size_matches(side: u8, cmp: &Uint, f: &FlowInfo) -> bool {
    let Some((client, server)) = f.stream_sizes else {
        return false;
    };
    match side {
        0 => cmp.matches(server),
        1 => cmp.matches(client),
        2 => cmp.matches(server) && cmp.matches(client),
        _ => cmp.matches(server) || cmp.matches(client),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &str) -> Result<FlowMatch, String> {
        let mut b = crate::detect::rule::parse::test_builder();
        flow(&mut b, "flow", Some(v))?;
        match b.sig.matches.pop() {
            Some(PacketMatch::Flow(m)) => Ok(m),
            _ => unreachable!(),
        }
    }

    #[test]
    fn flow_options() {
        let m = parse("established,to_server").unwrap();
        let est_ts = FlowInfo {
            to_server: true,
            established: true,
            ..Default::default()
        };
        assert!(m.matches(&est_ts, false));
        assert!(!m.matches(
            &FlowInfo {
                to_server: false,
                ..est_ts
            },
            false
        ));
        assert!(!m.matches(
            &FlowInfo {
                established: false,
                ..est_ts
            },
            false
        ));
        let s = parse("from_server, only_stream").unwrap();
        let tc = FlowInfo {
            to_server: false,
            ..est_ts
        };
        assert!(s.matches(&tc, true) && !s.matches(&tc, false));
        assert!(
            parse("stateless")
                .unwrap()
                .matches(&FlowInfo::default(), false)
        );
        assert!(parse("to_server,to_client").is_err());
        assert!(parse("bogus").is_err());
    }

    #[test]
    fn stream_size_sides() {
        let f = FlowInfo {
            stream_sizes: Some((100, 2000)),
            ..Default::default()
        };
        let lt = Uint::parse("<1111", u32::MAX as u64).unwrap();
        assert!(!stream_size_matches(0, &lt, &f));
        assert!(stream_size_matches(1, &lt, &f));
        assert!(!stream_size_matches(2, &lt, &f));
        assert!(stream_size_matches(3, &lt, &f));
        assert!(!stream_size_matches(3, &lt, &FlowInfo::default()));
    }
}
