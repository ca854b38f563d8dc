//! `threshold` and `detection_filter`: per-rule alert rate control keyed
//! by source, destination, rule or address pair. The parsed form is here;
//! the counters are [`crate::detect::state::ThresholdTable`].

use super::Builder;

/// `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdKind {
    /// Alert on the first `count` matches per window.
    Limit,
    /// Alert on every `count`-th match within a window.
    Threshold,
    /// Alert once per window, when the `count`-th match happens.
    Both,
    /// `detection_filter`: alert on every match after the first `count`
    /// in the window.
    DetectionFilter,
}

/// `track`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Track {
    /// Per source address.
    BySrc,
    /// Per destination address.
    ByDst,
    /// Per rule.
    ByRule,
    /// Per (source, destination) pair.
    ByBoth,
}

/// A parsed threshold or detection_filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    /// Type.
    pub kind: ThresholdKind,
    /// Tracking key.
    pub track: Track,
    /// Count.
    pub count: u32,
    /// Window in seconds.
    pub seconds: u32,
}

fn parse(v: Option<&str>, detection_filter: bool) -> Result<Threshold, String> {
    let s = v.ok_or("needs a value")?;
    let (mut kind, mut track, mut count, mut seconds) = (None, None, None, None);
    if detection_filter {
        kind = Some(ThresholdKind::DetectionFilter);
    }
    for part in s.split(',').map(str::trim) {
        let (k, val) = part
            .split_once(char::is_whitespace)
            .map(|(k, v)| (k, v.trim()))
            .ok_or_else(|| format!("`{part}`: expected `key value`"))?;
        match k {
            "type" if !detection_filter => {
                kind = Some(match val {
                    "limit" => ThresholdKind::Limit,
                    "threshold" => ThresholdKind::Threshold,
                    "both" => ThresholdKind::Both,
                    _ => return Err(format!("unknown type `{val}`")),
                })
            }
            "track" => {
                track = Some(match val {
                    "by_src" => Track::BySrc,
                    "by_dst" => Track::ByDst,
                    "by_rule" => Track::ByRule,
                    "by_both" => Track::ByBoth,
                    _ => return Err(format!("unknown track `{val}`")),
                })
            }
            "count" => {
                count = Some(
                    val.parse::<u32>()
                        .map_err(|_| format!("`{val}` is not a count"))?,
                )
            }
            "seconds" => {
                seconds = Some(
                    val.parse::<u32>()
                        .map_err(|_| format!("`{val}` is not a number of seconds"))?,
                )
            }
            _ => return Err(format!("unknown option `{k}`")),
        }
    }
    let t = Threshold {
        kind: kind.ok_or("missing `type`")?,
        track: track.ok_or("missing `track`")?,
        count: count.ok_or("missing `count`")?,
        seconds: seconds.ok_or("missing `seconds`")?,
    };
    if t.count == 0 && t.kind != ThresholdKind::DetectionFilter {
        return Err("count must be at least 1".into());
    }
    Ok(t)
}

/// `threshold:type T, track K, count N, seconds S`.
pub fn threshold(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    if b.sig.threshold.is_some() {
        return Err("given twice".into());
    }
    b.sig.threshold = Some(parse(v, false)?);
    Ok(())
}

/// `detection_filter:track K, count N, seconds S`.
pub fn detection_filter(b: &mut Builder, _: &str, v: Option<&str>) -> Result<(), String> {
    if b.sig.detection_filter.is_some() {
        return Err("given twice".into());
    }
    b.sig.detection_filter = Some(parse(v, true)?);
    Ok(())
}
