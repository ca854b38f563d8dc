//! Inflates a gzip file PASSES times the way vxtap reads one (flate2's
//! MultiGzDecoder over a 256 KiB BufReader, 256 KiB reads) and prints the
//! bytes per pass; the caller times the process (bench/flowlogs/inflate.sh).

use std::io::{BufReader, Read};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(passes)) = (args.next(), args.next()) else {
        eprintln!("usage: inflate-bench FILE.gz PASSES");
        std::process::exit(2);
    };
    let passes: usize = passes.parse().expect("PASSES: a number");
    let gz = std::fs::read(&path).expect("read the gzip file");
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0usize;
    for _ in 0..passes {
        let mut d =
            flate2::read::MultiGzDecoder::new(BufReader::with_capacity(256 * 1024, &gz[..]));
        loop {
            let n = d.read(&mut buf).expect("inflate");
            if n == 0 {
                break;
            }
            total += n;
        }
    }
    println!("{} bytes per pass", total / passes.max(1));
}
