//! The bare receive loop of `bench/serve/run.sh`: the same sockets
//! (`vxtap::receive::bind`: SO_REUSEPORT, receive buffer, drop counter),
//! the same 64-datagram `recvmmsg` batches and the same pause after a batch
//! that emptied the socket as `vxtap serve`, but it only
//! counts datagrams — the most this machine's loopback delivers to one
//! receive thread, the ceiling vxtap's own rate is compared with.
//!
//! ```text
//! cargo run --release --example bare_recv -- 127.0.0.1:0 [RECEIVE_BUFFER_BYTES]
//! ```
//! Prints `listening on ADDR`, then, once datagrams stop for one second,
//! `received=N bytes=B kernel_dropped=K seconds=S cpu_ticks=T` (S: first to
//! last datagram; T: user + system CPU time of the process in clock ticks,
//! from /proc/self/stat).

use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use vxtap::decap::Tunnel;
use vxtap::receive::sys::RecvBatch;
use vxtap::receive::{COALESCE, Listener, RECV_BATCH, bind};

fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:0".into())
        .parse()
        .expect("a socket address");
    let buffer = args.next().map_or(32 << 20, |b| b.parse().expect("bytes"));
    let mut b = bind(
        Listener {
            tunnel: Tunnel::Vxlan,
            addr,
        },
        1,
        buffer,
    )
    .expect("bind");
    println!("listening on {}", b.local);
    let sock = b.sockets.remove(0);
    let mut batch = RecvBatch::new(RECV_BATCH);
    let (mut n, mut bytes, mut kernel) = (0u64, 0u64, 0u32);
    let mut first: Option<Instant> = None;
    let mut last = Instant::now();
    loop {
        match batch.recv(sock.as_fd(), true) {
            Ok(got) => {
                last = Instant::now();
                first.get_or_insert(last);
                n += got as u64;
                for i in 0..got {
                    bytes += batch.received_len(i) as u64;
                    if let Some(k) = batch.kernel_drops(i) {
                        kernel = k;
                    }
                }
                if got < RECV_BATCH {
                    std::thread::sleep(COALESCE);
                }
            }
            Err(_) => {
                if first.is_some() && last.elapsed() > Duration::from_secs(1) {
                    break;
                }
            }
        }
    }
    let secs = first.map_or(0.0, |f| (last - f).as_secs_f64());
    println!(
        "received={n} bytes={bytes} kernel_dropped={kernel} seconds={secs:.3} cpu_ticks={}",
        cpu_ticks()
    );
}

/// utime + stime of this process (fields 14 and 15 of /proc/self/stat).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name (field 2) may hold spaces: count fields after its ')'.
    let rest = stat.rsplit_once(')').map_or("", |r| r.1);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)
}
