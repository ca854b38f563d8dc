//! `vxtap flowlogs parse` in file order with several threads: over a
//! directory of good, malformed and large objects, `-j2`/`-j4` with any
//! reorder buffer write the same stdout and stderr (errors in file and line
//! order) and exit with the same code as `-j1`.

mod flowlogs_common;

use std::io::Write;
use std::process::{Command, Output};

use flate2::{Compression, write::GzEncoder};
use flowlogs_common::data;

fn vxtap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vxtap"))
        .args(args)
        .output()
        .unwrap()
}

/// `lines` default-format records of pseudo-random values (they compress
/// poorly: well over the 1 MiB from which an object may get an inflate
/// thread), with a bad line after every `bad_every` (never if 0).
fn records(seed: u64, lines: usize, bad_every: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        x >> 16
    };
    let mut text = b"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n".to_vec();
    for i in 0..lines {
        let (a, b, c) = (next(), next(), next());
        let start = 1_795_000_000 + i as u64 % 600;
        let port = if bad_every > 0 && i % bad_every == bad_every - 1 {
            "http".to_string()
        } else {
            (c % 65536).to_string()
        };
        writeln!(
            text,
            "2 123456789012 eni-{:017x} 10.{}.{}.{} 172.{}.{}.{} {} {port} 6 {} {} {start} {} {} OK",
            a & 0xffff_ffff_ffff,
            a >> 40 & 255,
            a >> 32 & 255,
            a >> 24 & 255,
            16 + (b >> 40 & 15),
            b >> 32 & 255,
            b >> 24 & 255,
            b % 65536,
            c >> 40 & 0xfff,
            c >> 20 & 0xf_ffff,
            start + 60,
            if c & 8 == 0 { "ACCEPT" } else { "REJECT" },
        )
        .unwrap();
    }
    text
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn file_order_output_and_errors_do_not_depend_on_threads_or_the_buffer() {
    // Large objects: clean, with a bad line every 997 (more than the 20
    // errors printed per file), cut in the middle of the gzip stream; then
    // the corpus's S3 example and malformed objects, then one more large.
    let dir = tempfile::tempdir().unwrap();
    let (b, d) = (dir.path().join("b"), dir.path().join("d"));
    std::fs::create_dir(&b).unwrap();
    std::fs::create_dir(&d).unwrap();
    let big = gz(&records(1, 40_000, 0));
    assert!(big.len() > 1 << 20, "{}", big.len());
    std::fs::write(b.join("1-big.log.gz"), &big).unwrap();
    std::fs::write(b.join("2-bad-lines.log.gz"), gz(&records(2, 40_000, 997))).unwrap();
    let cut = gz(&records(3, 80_000, 0));
    std::fs::write(b.join("3-cut.log.gz"), &cut[..cut.len() * 2 / 3]).unwrap();
    std::fs::write(d.join("1-big.log.gz"), gz(&records(4, 40_000, 0))).unwrap();
    let paths = [
        b.display().to_string(),
        data().join("s3-example").display().to_string(),
        data().join("malformed").display().to_string(),
        d.display().to_string(),
    ];
    for mode in [
        &["--json"][..],
        &[],
        &["--output-format", "${srcaddr} ${dstport}"],
    ] {
        let run = |extra: &[&str]| {
            let mut args = vec!["flowlogs", "parse"];
            args.extend_from_slice(mode);
            args.extend_from_slice(extra);
            args.extend(paths.iter().map(String::as_str));
            vxtap(&args)
        };
        let one = run(&["-j", "1"]);
        let stderr = String::from_utf8_lossy(&one.stderr);
        assert_eq!(one.status.code(), Some(1), "{stderr}");
        assert!(one.stdout.len() > 2 << 20, "{}", one.stdout.len());
        assert!(stderr.contains("2-bad-lines.log.gz:998: "), "{stderr}");
        assert!(stderr.contains("more errors, only counted"), "{stderr}");
        assert!(stderr.contains("3-cut.log.gz: gzip"), "{stderr}");
        for threads in ["2", "4"] {
            for buffer in ["0", "300K", "64M"] {
                let many = run(&["-j", threads, "--reorder-buffer", buffer]);
                let what = format!("{mode:?} -j {threads} --reorder-buffer {buffer}");
                assert!(one.stdout == many.stdout, "stdout differs: {what}");
                assert_eq!(
                    String::from_utf8_lossy(&many.stderr),
                    stderr,
                    "stderr differs: {what}"
                );
                assert_eq!(one.status.code(), many.status.code(), "{what}");
            }
        }
    }
}

#[test]
fn a_bad_reorder_buffer_size_is_a_usage_error() {
    let out = vxtap(&["flowlogs", "parse", "--reorder-buffer", "lots", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a size"));
}
