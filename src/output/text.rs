//! Numbers and addresses appended to a record line without `core::fmt`:
//! integers through `itoa`, IPv4 addresses octet by octet. `write!` costs a
//! dynamic `Display` call chain and padding logic per field, which perf
//! showed at about 6 % of a replay's CPU. IPv6 addresses (RFC 5952
//! compression) still go through the standard library's `Display`.

use std::fmt::Write;

use crate::wire::Addr;

/// Appends `v` in decimal.
#[inline]
pub(crate) fn push_u64(out: &mut String, v: u64) {
    let mut b = itoa::Buffer::new();
    out.push_str(b.format(v));
}

/// Appends `v` in decimal, left-padded with zeros to `width` digits.
#[inline]
pub(crate) fn push_u64_padded(out: &mut String, v: u64, width: usize) {
    let mut b = itoa::Buffer::new();
    let s = b.format(v);
    for _ in s.len()..width {
        out.push('0');
    }
    out.push_str(s);
}

/// Appends `ns` (nanoseconds since the epoch) as `seconds.nanoseconds`
/// with nine fraction digits.
#[inline]
pub(crate) fn push_seconds_nanos(out: &mut String, ns: u64) {
    push_u64(out, ns / 1_000_000_000);
    out.push('.');
    push_u64_padded(out, ns % 1_000_000_000, 9);
}

/// Appends an address as AWS writes it: IPv4 dotted quad, IPv6 in RFC 5952
/// compressed form.
#[inline]
pub(crate) fn push_addr(out: &mut String, a: &Addr) {
    if a.v6 {
        let _ = write!(out, "{a}");
        return;
    }
    let [w, x, y, z] = (a.bits() as u32).to_be_bytes();
    push_u8(out, w);
    out.push('.');
    push_u8(out, x);
    out.push('.');
    push_u8(out, y);
    out.push('.');
    push_u8(out, z);
}

#[inline(always)]
fn push_u8(out: &mut String, v: u8) {
    if v >= 100 {
        out.push(char::from(b'0' + v / 100));
        out.push(char::from(b'0' + v / 10 % 10));
    } else if v >= 10 {
        out.push(char::from(b'0' + v / 10));
    }
    out.push(char::from(b'0' + v % 10));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every IPv4 octet value and a spread of integers render exactly as
    /// the standard library's `Display` renders them (the previous
    /// implementation, and an independent one).
    #[test]
    fn same_text_as_display() {
        let mut out = String::new();
        for o in 0..=255u8 {
            for a in [
                [o, 0, 255, 9],
                [10, o, 99, 100],
                [1, 2, o, 3],
                [192, 168, 1, o],
            ] {
                out.clear();
                let addr = Addr::v4(a);
                push_addr(&mut out, &addr);
                assert_eq!(out, addr.to_ip().to_string());
            }
        }
        for v in [
            0u64,
            1,
            9,
            10,
            99,
            100,
            65535,
            1_418_530_010,
            u32::MAX as u64,
            u64::MAX,
        ] {
            out.clear();
            push_u64(&mut out, v);
            assert_eq!(out, v.to_string());
            out.clear();
            push_seconds_nanos(&mut out, v);
            assert_eq!(
                out,
                format!("{}.{:09}", v / 1_000_000_000, v % 1_000_000_000)
            );
        }
        for s in [
            "2001:db8::1:0:0:1",
            "::1",
            "::",
            "fe80::1:2",
            "::ffff:10.0.0.1",
        ] {
            let ip: std::net::IpAddr = s.parse().unwrap();
            out.clear();
            push_addr(&mut out, &Addr::from(ip));
            assert_eq!(out, ip.to_string());
        }
    }
}
