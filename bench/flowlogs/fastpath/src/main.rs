//! `fastpath-bench FILE [ROUNDS]`: parses every line of FILE (an uncompressed
//! flow-log object in the default v2 format, header first) with vxtap's
//! `fast::Plan` (fast.rs, addr.rs and fields.rs compiled as they are), ROUNDS times, and prints the thread CPU time per line of
//! each round and the least. `V=i`, `V=a`, `V=e` (or any mix) type integer,
//! address or enumeration columns as plain text instead, to see what each
//! kind costs. For an A/B of two versions of fast.rs, build this twice
//! (bench/flowlogs/fastpath.sh) from two checkouts and alternate the binaries.
#![allow(dead_code)]

#[path = "../../../../src/flowlogs/fields.rs"]
mod fields;
/// Stand-ins for the vxtap types fast.rs uses (same shapes; the real ones
/// need the rest of the flow-log module).
mod parse {
    pub const MAX_LINE: usize = 65536;
}
mod record {
    use std::net::IpAddr;
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Value {
        Absent,
        Int(u64),
        Addr(IpAddr),
        Text,
    }
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Slot {
        pub start: u32,
        pub end: u32,
        pub value: Value,
    }
}
mod schema {
    use super::fields::FieldKind;
    pub struct Column {
        pub kind: FieldKind,
    }
    pub struct Schema {
        pub cols: Vec<Column>,
        pub header: String,
    }
    impl Schema {
        pub fn columns(&self) -> &[Column] {
            &self.cols
        }
        pub fn header_line(&self) -> &str {
            &self.header
        }
    }
}
#[path = "../../../../src/flowlogs/addr.rs"]
mod addr;
#[path = "../../../../src/flowlogs/fast.rs"]
mod fast;

use fields::FieldKind::*;

/// CPU time of this thread, in seconds.
#[allow(unsafe_code)]
fn cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: fastpath-bench FILE [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args
        .next()
        .map_or(7, |s| s.parse().expect("ROUNDS: a number"));
    let data = std::fs::read(&path).expect("read FILE");
    const ACTIONS: &[&str] = &["ACCEPT", "REJECT"];
    const STATUSES: &[&str] = &["OK", "NODATA", "SKIPDATA"];
    let mut kinds = [
        Int,
        Text,
        Text,
        Addr,
        Addr,
        Port,
        Port,
        Protocol,
        Int,
        Int,
        Time,
        Time,
        Enum(ACTIONS),
        Enum(STATUSES),
    ];
    let v = std::env::var("V").unwrap_or_default();
    for k in kinds.iter_mut() {
        let as_text = match k {
            Int | Time | Port | Protocol => v.contains('i'),
            Addr => v.contains('a'),
            Enum(_) => v.contains('e'),
            Text => false,
        };
        if as_text {
            *k = Text;
        }
    }
    let schema = schema::Schema {
        cols: kinds.iter().map(|k| schema::Column { kind: *k }).collect(),
        header: "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status".into(),
    };
    let plan = fast::Plan::new(&schema);
    let mut slots = Vec::new();
    let mut best = f64::MAX;
    for _ in 0..rounds {
        let t = cpu();
        let (mut taken, mut other, mut pos, mut check) = (0u64, 0u64, 0usize, 0u64);
        while let Some(nl) = memchr::memchr(b'\n', &data[pos..]) {
            if plan.parse(&data[pos..pos + nl], &mut slots) {
                taken += 1;
                check += slots.last().map_or(0, |s| u64::from(s.end));
            } else {
                other += 1;
            }
            pos += nl + 1;
        }
        let dt = cpu() - t;
        best = best.min(dt);
        let lines = (taken + other).max(1) as f64;
        eprintln!(
            "{taken} lines taken, {other} not (check {check}): {:.1} ns/line",
            dt * 1e9 / lines
        );
    }
    let lines = data.iter().filter(|b| **b == b'\n').count().max(1) as f64;
    println!("least: {:.1} ns/line", best * 1e9 / lines);
}
