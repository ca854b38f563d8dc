//! `decode-event` and `stream-event`: the packet raised a decoder or
//! stream event (names as Suricata 7's; see [`crate::detect::events`]).
//! An event Suricata knows but vxtap does not raise makes the rule
//! unsupported (`decode-event:<name>`), never silently dead; an unknown
//! name fails the rule, as in Suricata.

use super::Builder;
use crate::detect::events::{self, Lookup};
use crate::detect::signature::PacketMatch;

fn add(b: &mut Builder, keyword: &str, name: &str) -> Result<(), String> {
    match events::lookup(name) {
        Lookup::Raised(e) => {
            b.sig.matches.push(PacketMatch::Event(e));
            Ok(())
        }
        Lookup::NotRaised => {
            b.mark_unsupported(&format!("{keyword}:{name}"));
            Ok(())
        }
        Lookup::Unknown => Err(format!("unknown event `{name}`")),
    }
}

fn value(v: Option<&str>) -> Result<&str, String> {
    let s = v.map(str::trim).unwrap_or("");
    if s.is_empty() {
        return Err("needs an event name".into());
    }
    Ok(s)
}

/// `decode-event:<layer>.<event>` (`ipv6.exthdr_dupl_fh`). Stream events
/// are named with `stream-event`, as in Suricata.
pub fn decode_event(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    let ev = value(v)?;
    if ev.starts_with("stream.") {
        return Err(format!(
            "unknown event `{ev}` (stream events take `stream-event`)"
        ));
    }
    add(b, name, ev)
}

/// `stream-event:<event>` (`suspected_rst_inject`).
pub fn stream_event(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    let ev = value(v)?;
    add(b, name, &format!("stream.{ev}"))
}

#[cfg(test)]
mod tests {
    use crate::detect::events::Event;
    use crate::detect::load::Loader;
    use crate::detect::rule::vars::RuleVars;
    use crate::detect::signature::PacketMatch;

    #[test]
    fn raised_unsupported_and_unknown() {
        let vars = RuleVars::default();
        let mut l = Loader::new(&vars, None);
        l.add_text(
            "alert ip any any -> any any (decode-event:ipv6.exthdr_dupl_fh; sid:1;)\n\
             alert tcp any any -> any any (stream-event:suspected_rst_inject; sid:2;)\n\
             alert ip any any -> any any (decode-event:ppp.pkt_too_small; sid:3;)\n\
             alert ip any any -> any any (decode-event:ipv4.no_such; sid:4;)\n\
             alert ip any any -> any any (decode-event:stream.fin_syn; sid:5;)\n\
             alert ip any any -> any any (decode-event; sid:6;)\n",
            "t.rules",
        );
        let (set, r) = l.finish();
        let events: Vec<(u32, Event)> = set
            .sigs
            .iter()
            .flat_map(|s| {
                s.matches.iter().filter_map(move |m| match m {
                    PacketMatch::Event(e) => Some((s.sid, *e)),
                    _ => None,
                })
            })
            .collect();
        assert_eq!(
            events,
            [
                (1, Event::Ipv6ExthdrDuplFh),
                (2, Event::StreamSuspectedRstInject)
            ]
        );
        assert_eq!(r.unsupported, 1);
        let failed: Vec<Option<u32>> = r.failed.iter().map(|f| f.sid).collect();
        assert_eq!(failed, [Some(4), Some(5), Some(6)]);
    }
}
