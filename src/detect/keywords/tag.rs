//! `tag`: Suricata 7.0.10 logs the packets that follow a match (of the
//! session, or of the source/destination host, for a count of packets,
//! bytes or seconds) as EVE `packet` events carrying the raw packet
//! (`tagged-packets: yes` of the stock `suricata.yaml`); the alerts do not
//! change (measured on `tests/data/ids/keywords/tag.pcap`: the alerts of the
//! tagging rules only, no alert for the tagged packets). vxtap writes no
//! packet events, so the keyword is checked as Suricata parses it and its
//! rule alerts as Suricata's does; the tagged packets are not logged.

use super::Builder;

/// `tag:session|host[,COUNT,packets|bytes|seconds[,src|dst]]`, with
/// Suricata's regex
/// `^\s*(host|session)\s*(,\s*(\d+)\s*,\s*(packets|bytes|seconds)\s*(,\s*(src|dst))?\s*)?$`.
pub fn tag(_: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    const USAGE: &str = "expected session|host[,COUNT,packets|bytes|seconds[,src|dst]]";
    let v = v.unwrap_or("").trim();
    let mut parts = v.split(',').map(str::trim);
    match parts.next() {
        Some("session" | "host") => {}
        _ => return Err(format!("`{v}`: {USAGE}")),
    }
    let count = parts.next();
    let metric = parts.next();
    let dir = parts.next();
    if parts.next().is_some() {
        return Err(format!("`{v}`: {USAGE}"));
    }
    match (count, metric) {
        (None, None) => {}
        (Some(c), Some("packets" | "bytes" | "seconds"))
            if !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()) =>
        {
            c.parse::<u32>()
                .map_err(|_| format!("tag count `{c}` is out of range"))?;
        }
        _ => return Err(format!("`{v}`: {USAGE}")),
    }
    match dir {
        None | Some("src" | "dst") => Ok(()),
        Some(d) => Err(format!("`{d}` is not a direction (src, dst)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::rule::parse::test_builder;

    #[test]
    fn tag_as_suricata_parses_it() {
        let ok = |v: &str| tag(&mut test_builder(), "tag", Some(v));
        // The forms of ET Open and of Suricata's DetectTagTestParse*.
        for good in [
            "session,5,packets",
            " session, 20, packets",
            "session,300,seconds",
            "host, 200, bytes, src",
            "host, 3, packets, dst",
            "session",
            "host",
        ] {
            assert!(ok(good).is_ok(), "{good}");
        }
        for bad in [
            "flow,5,packets",
            "session,5",
            "session,five,packets",
            "session,5,frames",
            "host,3,packets,both",
            "session,5,packets,src,x",
            "session,-1,packets",
            "",
        ] {
            assert!(ok(bad).is_err(), "{bad}");
        }
    }
}
