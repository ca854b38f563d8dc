//! Inflates a gzip file PASSES times and prints the bytes per pass; the
//! caller times the process (bench/flowlogs/inflate.sh). With a flate2
//! backend: the way vxtap streams an object (flate2's MultiGzDecoder over a
//! 256 KiB BufReader, 256 KiB reads). With `libdeflate` (whole buffers
//! only): the object in memory, one call into one output buffer sized by
//! the gzip trailer (ISIZE), plus a CRC-32 of the output (what a reader must
//! compute to prove the object is a single member, as libdeflate's binding
//! does not say where the member ended). The output buffer is allocated
//! per pass, as reading one object pays for it (its page faults: ~116 MB of
//! fresh memory for the bench object); `REUSE=1` keeps one buffer for all
//! passes (what a reader of many objects on one thread could do).

#[cfg(not(feature = "libdeflate"))]
use std::io::{BufReader, Read};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(passes)) = (args.next(), args.next()) else {
        eprintln!("usage: inflate-bench FILE.gz PASSES");
        std::process::exit(2);
    };
    let passes: usize = passes.parse().expect("PASSES: a number");
    let gz = std::fs::read(&path).expect("read the gzip file");
    let total = inflate(&gz, passes);
    println!("{} bytes per pass", total / passes.max(1));
}

#[cfg(not(any(feature = "libdeflate", feature = "isal")))]
fn inflate(gz: &[u8], passes: usize) -> usize {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0usize;
    for _ in 0..passes {
        let mut d = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(256 * 1024, gz));
        loop {
            let n = d.read(&mut buf).expect("inflate");
            if n == 0 {
                break;
            }
            total += n;
        }
    }
    total
}

#[cfg(feature = "libdeflate")]
fn inflate(gz: &[u8], passes: usize) -> usize {
    let tail: [u8; 4] = gz[gz.len() - 4..].try_into().unwrap();
    let isize = u32::from_le_bytes(tail) as usize;
    let reuse = std::env::var_os("REUSE").is_some();
    let mut kept = vec![0u8; if reuse { isize } else { 0 }];
    let mut d = libdeflater::Decompressor::new();
    let mut total = 0usize;
    for _ in 0..passes {
        let mut fresh = Vec::new();
        let out = if reuse {
            &mut kept
        } else {
            fresh.resize(isize, 0u8);
            &mut fresh
        };
        let n = d.gzip_decompress(gz, out).expect("inflate");
        let crc = libdeflater::crc32(&out[..n]);
        assert_eq!(crc.to_le_bytes(), gz[gz.len() - 8..gz.len() - 4]);
        total += n;
    }
    total
}

#[cfg(feature = "isal")]
fn inflate(gz: &[u8], passes: usize) -> usize {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0usize;
    for _ in 0..passes {
        let mut d = isal::read::GzipDecoder::new(BufReader::with_capacity(256 * 1024, gz));
        loop {
            let n = d.read(&mut buf).expect("inflate");
            if n == 0 {
                break;
            }
            total += n;
        }
    }
    total
}
