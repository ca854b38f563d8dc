//! TLS certificate validity keywords — `tls_cert_notbefore`,
//! `tls_cert_notafter`, `tls_cert_expired`, `tls_cert_valid` — read and
//! matched as Suricata 7.0.10's `detect-tls-cert-validity.c` does: on the
//! server's first certificate (to-client direction), a certificate date of
//! 0 never matching.
//!
//! Values: `[<|>]DATE` or `DATE<>DATE`, where `<` and `>` include the date
//! itself, the range includes both ends and must grow, and a DATE is
//! either seconds since the epoch (digits only) or UTC `YYYY-MM[-DD[
//! HH[:MM[:SS]]]]` with a space or `T` before the hour (Suricata's
//! `strptime` patterns; a missing day is the 1st). `tls_cert_expired`
//! matches when the flow's time is past notAfter, `tls_cert_valid` when it
//! is not — notBefore is not read by either, as in Suricata.

use super::Builder;
use super::applayer::TxCond;
use crate::detect::signature::PacketMatch;

/// What one validity keyword checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// `tls_cert_notbefore` (`after` false) or `tls_cert_notafter`.
    Date {
        /// notAfter (else notBefore).
        after: bool,
        /// The comparison.
        cmp: DateCmp,
    },
    /// `tls_cert_expired`.
    Expired,
    /// `tls_cert_valid`.
    Valid,
}

/// A comparison of a certificate date (seconds since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateCmp {
    /// `DATE`.
    Eq(i64),
    /// `<DATE` (inclusive).
    AtMost(i64),
    /// `>DATE` (inclusive).
    AtLeast(i64),
    /// `A<>B` (inclusive).
    Between(i64, i64),
}

impl Validity {
    /// Whether a certificate valid from `not_before` to `not_after`
    /// satisfies it when the flow's time is `now_s` (all in seconds since
    /// the epoch).
    pub fn matches(&self, not_before: i64, not_after: i64, now_s: i64) -> bool {
        let epoch = match self {
            Validity::Date { after: false, .. } => not_before,
            _ => not_after,
        };
        if epoch == 0 {
            return false;
        }
        match *self {
            Validity::Date { cmp, .. } => match cmp {
                DateCmp::Eq(d) => epoch == d,
                DateCmp::AtMost(d) => epoch <= d,
                DateCmp::AtLeast(d) => epoch >= d,
                DateCmp::Between(a, b) => epoch >= a && epoch <= b,
            },
            Validity::Expired => now_s > epoch,
            Validity::Valid => now_s <= epoch,
        }
    }
}

/// Longest value Suricata copies out of its parse regex (a 20-byte buffer).
const MAX_VALUE_LEN: usize = 19;

/// Parses `[<|>]DATE` or `DATE<>DATE`.
pub fn parse(s: &str) -> Result<DateCmp, String> {
    let s = s.trim();
    let (mode, rest) = match s.as_bytes().first() {
        Some(b'<') if !s.starts_with("<>") => (Some('<'), &s[1..]),
        Some(b'>') => (Some('>'), &s[1..]),
        _ => (None, s),
    };
    let (v1, v2) = match rest.split_once("<>") {
        Some((a, b)) => (a, Some(b)),
        None => (rest, None),
    };
    let date = |v: &str| -> Result<i64, String> {
        let v = v.trim();
        if v.is_empty()
            || v.len() > MAX_VALUE_LEN
            || !v
                .bytes()
                .all(|c| (b' '..=b':').contains(&c) || c == b'T' || c == b'W')
        {
            return Err(format!(
                "`{v}` is not a date (YYYY-MM-DD[ HH:MM:SS] or epoch seconds)"
            ));
        }
        date_to_epoch(v)
            .ok_or_else(|| format!("`{v}` is not a date (YYYY-MM-DD[ HH:MM:SS] or epoch seconds)"))
    };
    let a = date(v1)?;
    match (mode, v2) {
        (Some(_), Some(_)) => Err("a range (`<>`) cannot also have `<` or `>`".into()),
        (None, Some(b)) => {
            let b = date(b)?;
            if b <= a {
                return Err("the second date of a range must be later than the first".into());
            }
            Ok(DateCmp::Between(a, b))
        }
        (Some('<'), None) => Ok(DateCmp::AtMost(a)),
        (Some(_), None) => Ok(DateCmp::AtLeast(a)),
        (None, None) => Ok(DateCmp::Eq(a)),
    }
}

/// Suricata's `DateStringToEpoch`: digits only are epoch seconds
/// (saturating like `strtol`), else the first of its patterns that takes
/// the whole string, in UTC.
fn date_to_epoch(s: &str) -> Option<i64> {
    if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) {
        return Some(s.parse::<i64>().unwrap_or(i64::MAX));
    }
    const PATTERNS: [&str; 10] = [
        "%Y-%m",
        "%Y-%m-%d",
        "%Y-%m-%d %H",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%H:%M",
        "%H:%M:%S",
    ];
    let tm = PATTERNS.iter().find_map(|p| strptime(s, p))?;
    // A time without a date is refused; a month without a day is its 1st.
    let (year, mon) = (tm.year?, tm.mon?);
    Some(mk_time_utc(
        year,
        mon,
        tm.mday.unwrap_or(1),
        tm.hour,
        tm.min,
        tm.sec,
    ))
}

/// The fields a pattern set (`None`: not in the pattern).
#[derive(Default)]
struct Tm {
    year: Option<i64>,
    mon: Option<i64>,
    mday: Option<i64>,
    hour: i64,
    min: i64,
    sec: i64,
}

/// glibc `strptime` for `%Y %m %d %H %M %S` and literal characters, the
/// whole of `s` consumed: a number skips leading spaces and reads at most
/// its width while the value can still grow within range.
fn strptime(s: &str, fmt: &str) -> Option<Tm> {
    let (mut rp, mut f) = (s.as_bytes(), fmt.as_bytes());
    let mut tm = Tm::default();
    while let Some((&c, rest)) = f.split_first() {
        f = rest;
        if c != b'%' {
            if c.is_ascii_whitespace() {
                while rp.first().is_some_and(u8::is_ascii_whitespace) {
                    rp = &rp[1..];
                }
            } else {
                rp = rp.strip_prefix(&[c])?;
            }
            continue;
        }
        let (&spec, rest) = f.split_first()?;
        f = rest;
        let (lo, hi, width) = match spec {
            b'Y' => (0, 9999, 4),
            b'm' => (1, 12, 2),
            b'd' => (1, 31, 2),
            b'H' => (0, 23, 2),
            b'M' => (0, 59, 2),
            b'S' => (0, 61, 2),
            _ => return None,
        };
        while rp.first() == Some(&b' ') {
            rp = &rp[1..];
        }
        let mut val: i64 = 0;
        let mut n = 0;
        while let Some(&d) = rp.first() {
            if !d.is_ascii_digit() || n == width || (n > 0 && val * 10 > hi) {
                break;
            }
            val = val * 10 + i64::from(d - b'0');
            rp = &rp[1..];
            n += 1;
        }
        if n == 0 || val < lo || val > hi {
            return None;
        }
        match spec {
            b'Y' => tm.year = Some(val),
            b'm' => tm.mon = Some(val - 1),
            b'd' => tm.mday = Some(val),
            b'H' => tm.hour = val,
            b'M' => tm.min = val,
            _ => tm.sec = val,
        }
    }
    rp.is_empty().then_some(tm)
}

/// Suricata's `SCMkTimeUtc` (`mon` from 0; days past the month's end roll
/// over, as there).
fn mk_time_utc(year: i64, mon: i64, mday: i64, hour: i64, min: i64, sec: i64) -> i64 {
    const MDAYS: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let year = year + mon / 12;
    let m = (mon % 12) as usize;
    let mut days = (year - 1970) * 365 + MDAYS[m];
    days += (year - 1968) / 4;
    days -= (year - 1900) / 100;
    days += (year - 1600) / 400;
    if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) && m < 2 {
        days -= 1;
    }
    days += mday - 1;
    ((days * 24 + hour) * 60 + min) * 60 + sec
}

fn value(v: Option<&str>) -> Result<&str, String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| "needs a date".into())
}

/// `tls_cert_notbefore` and `tls_cert_notafter`.
pub fn cert_date(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    let cmp = parse(value(v)?)?;
    let after = name == "tls_cert_notafter";
    push(b, Validity::Date { after, cmp });
    Ok(())
}

/// `tls_cert_expired` and `tls_cert_valid` (no value).
pub fn cert_state(b: &mut Builder, name: &str, v: Option<&str>) -> Result<(), String> {
    if v.is_some_and(|s| !s.trim().is_empty()) {
        return Err("takes no value".into());
    }
    push(
        b,
        if name == "tls_cert_expired" {
            Validity::Expired
        } else {
            Validity::Valid
        },
    );
    Ok(())
}

fn push(b: &mut Builder, v: Validity) {
    b.sig.matches.push(PacketMatch::Tx(TxCond::CertValidity(v)));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected epochs from `date -u -d '…' +%s` (GNU coreutils 9).
    #[test]
    fn dates() {
        for (s, epoch) in [
            ("2021-01-01", 1_609_459_200),
            ("2021-01", 1_609_459_200),
            ("2020-02-29 23:59:59", 1_583_020_799),
            ("2020-02-29T23:59:59", 1_583_020_799),
            ("2019-07-04 13", 1_562_245_200),
            ("2019-07-04T13:05", 1_562_245_500),
            ("1999-12-31", 946_598_400),
            ("1969-12-31", -86_400),
            ("2038-01-19 03:14:08", 2_147_483_648),
            ("1700000000", 1_700_000_000),
            ("  2021-1-5 ", 1_609_804_800),
        ] {
            assert_eq!(date_to_epoch(s.trim()), Some(epoch), "{s}");
        }
        // Suricata's SCMkTimeUtc rolls a day past the month's end over
        // (`date -u -d '2021-03-03' +%s`).
        assert_eq!(date_to_epoch("2021-02-31"), Some(1_614_729_600));
        // Digits only are epoch seconds, even a year (Suricata's StringIsEpoch).
        assert_eq!(date_to_epoch("2021"), Some(2021));
        for bad in [
            "12:30",
            "12:30:00",
            "2021-13-01",
            "2021-01-32",
            "2021/01/01",
            "",
        ] {
            assert_eq!(date_to_epoch(bad), None, "{bad}");
        }
    }

    #[test]
    fn values() {
        let d = 1_609_459_200;
        assert_eq!(parse("2021-01-01"), Ok(DateCmp::Eq(d)));
        assert_eq!(parse("<2021-01-01"), Ok(DateCmp::AtMost(d)));
        assert_eq!(parse(" > 2021-01-01 "), Ok(DateCmp::AtLeast(d)));
        assert_eq!(
            parse("2021-01-01<>2021-01-02"),
            Ok(DateCmp::Between(d, d + 86_400))
        );
        assert_eq!(
            parse("2021-01-01 <> 1609545600"),
            Ok(DateCmp::Between(d, d + 86_400))
        );
        for bad in [
            "<2021-01-01<>2022-01-01",
            "2022-01-01<>2021-01-01",
            "2021-01-01<>2021-01-01",
            "<>2021-01-01",
            "yesterday",
            "2021-01-01 00:00:00 UTC",
            "<",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matching() {
        let (nb, na) = (1_546_300_800, 1_577_836_800); // 2019-01-01 .. 2020-01-01
        let date = |after, cmp| Validity::Date { after, cmp };
        assert!(date(true, DateCmp::AtMost(1_609_459_200)).matches(nb, na, 0));
        assert!(!date(true, DateCmp::AtLeast(1_609_459_200)).matches(nb, na, 0));
        assert!(date(false, DateCmp::Eq(nb)).matches(nb, na, 0));
        assert!(date(true, DateCmp::AtMost(na)).matches(nb, na, 0));
        assert!(date(false, DateCmp::Between(nb, na)).matches(nb, na, 0));
        assert!(Validity::Expired.matches(nb, na, na + 1));
        assert!(!Validity::Expired.matches(nb, na, na));
        assert!(Validity::Valid.matches(nb, na, na));
        // notBefore is not read: a certificate not valid yet is "valid".
        assert!(Validity::Valid.matches(nb, na, nb - 1));
        // A date of 0 never matches.
        assert!(!date(false, DateCmp::AtMost(10)).matches(0, na, 0));
        assert!(!Validity::Valid.matches(nb, 0, 0));
    }
}
