//! The bare receive loop of `bench/serve/run.sh`: the same sockets
//! (`vxtap::receive::bind`: SO_REUSEPORT, receive buffer, drop counter) and
//! the same 64-datagram `recvmmsg` batches as `vxtap serve`, but it only
//! counts datagrams — the most this machine's loopback delivers to one
//! receive thread, the ceiling vxtap's own rate is compared with.
//!
//! ```text
//! cargo run --release --example bare_recv -- 127.0.0.1:0 [RECEIVE_BUFFER_BYTES]
//! ```
//! Prints `listening on ADDR`, then, once datagrams stop for one second,
//! `received=N bytes=B kernel_dropped=K seconds=S` (S: first to last datagram).

use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use vxtap::decap::Tunnel;
use vxtap::receive::sys::RecvBatch;
use vxtap::receive::{Listener, RECV_BATCH, bind};

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
            }
            Err(_) => {
                if first.is_some() && last.elapsed() > Duration::from_secs(1) {
                    break;
                }
            }
        }
    }
    let secs = first.map_or(0.0, |f| (last - f).as_secs_f64());
    println!("received={n} bytes={bytes} kernel_dropped={kernel} seconds={secs:.3}");
}
