//! `vxtap send`: replays a capture's mirror traffic as UDP datagrams, the
//! way AWS delivers it to a mirror target — for tests, demos and
//! benchmarks of `vxtap serve` (loopback).
//!
//! Tunnel frames (UDP to a VXLAN or GENEVE port) are sent as their UDP
//! payload exactly as captured (the VXLAN/GENEVE header first). Plain IP
//! frames are wrapped as AWS Traffic Mirroring does: a VXLAN header (flags
//! 0x08, the given VNI, reserved bytes 0) before the inner Ethernet frame
//! (VLAN tags removed; a synthetic Ethernet header for captures without
//! one). Non-IP frames are skipped (AWS mirrors only IP). The capture is
//! loaded into memory first so that pacing and `--loop` are exact.

use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::capture::{CaptureError, CaptureFile, expand_inputs};
use crate::decap::{self, DecapConfig, Tunnel};
use crate::receive::sys::SendBatch;
use crate::wire::ethernet::ethertype;
use crate::wire::link::{self, LinkType};

/// VXLAN header flags byte with the I (valid VNI) flag, as AWS sends it.
const VXLAN_FLAGS_I: u8 = 0x08;
/// MACs of the synthetic inner Ethernet header (locally administered).
const SYNTH_DST_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];
const SYNTH_SRC_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
/// Largest UDP payload sent (IPv4's limit).
const MAX_DATAGRAM: usize = 65_507;
/// Datagrams per `sendmmsg` call.
const SEND_BATCH: usize = 64;

/// What to send where.
#[derive(Debug, Clone)]
pub struct SendOptions {
    /// Captures (files or directories).
    pub inputs: Vec<PathBuf>,
    /// Where VXLAN datagrams (and wrapped plain packets) go.
    pub to: SocketAddr,
    /// Where GENEVE datagrams go (default: `to`).
    pub geneve_to: Option<SocketAddr>,
    /// Local address to send from (the mirror source `serve` sees).
    pub bind: Option<SocketAddr>,
    /// Datagrams per second; `None`: as fast as possible.
    pub rate: Option<u64>,
    /// Times the capture is sent.
    pub loops: u64,
    /// VNI of wrapped plain packets.
    pub vni: u32,
    /// Tunnel ports recognised in the capture.
    pub decap: DecapConfig,
}

/// Why sending failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// A capture could not be read.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// The socket could not be opened or used.
    #[error("{what} {addr}: {source}")]
    Socket {
        /// The step.
        what: &'static str,
        /// The address involved.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// What was sent.
#[derive(Debug, Default)]
pub struct SendReport {
    /// Datagrams the kernel accepted.
    pub datagrams: u64,
    /// Their bytes (UDP payload).
    pub bytes: u64,
    /// Per pass: VXLAN frames sent as captured.
    pub vxlan: u64,
    /// Per pass: GENEVE frames sent as captured.
    pub geneve: u64,
    /// Per pass: plain IP frames wrapped in VXLAN.
    pub wrapped: u64,
    /// Per pass: frames skipped (not IP, unreadable link type, too large).
    pub skipped: u64,
    /// Passes over the capture.
    pub loops: u64,
    /// Send calls that failed (for example: nothing listens, ICMP refused).
    pub errors: u64,
    /// Wall time of the sending.
    pub elapsed: Duration,
    /// Captures that stopped early (their packets before the damage are sent).
    pub capture_errors: Vec<CaptureError>,
}

/// The datagrams of a capture, in order, in one buffer.
#[derive(Debug, Default)]
pub struct Datagrams {
    bytes: Vec<u8>,
    /// (offset, length, tunnel) of each datagram in `bytes`.
    items: Vec<(usize, usize, Tunnel)>,
}

impl Datagrams {
    /// Number of datagrams.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Datagram `i` and its tunnel kind.
    pub fn get(&self, i: usize) -> (&[u8], Tunnel) {
        let (o, l, t) = self.items[i];
        (&self.bytes[o..o + l], t)
    }
}

/// Reads the captures into datagrams; counts go to `report`.
pub fn load(opts: &SendOptions, report: &mut SendReport) -> Result<Datagrams, SendError> {
    let mut d = Datagrams::default();
    for path in expand_inputs(&opts.inputs)? {
        let mut cap = match CaptureFile::open(&path) {
            Ok(c) => c,
            Err(e) => {
                report.capture_errors.push(e);
                continue;
            }
        };
        let res = cap.for_each(|f| {
            let Ok(lt) = f.link else {
                report.skipped += 1;
                return true;
            };
            let start = d.bytes.len();
            let tunnel =
                if let Some((t, _, payload)) = decap::tunnel_payload(&opts.decap, lt, f.data) {
                    d.bytes.extend_from_slice(payload);
                    match t {
                        Tunnel::Geneve => report.geneve += 1,
                        _ => report.vxlan += 1,
                    }
                    t
                } else if wrap_vxlan(lt, f.data, opts.vni, &mut d.bytes) {
                    report.wrapped += 1;
                    Tunnel::Vxlan
                } else {
                    report.skipped += 1;
                    return true;
                };
            let len = d.bytes.len() - start;
            if len > MAX_DATAGRAM {
                d.bytes.truncate(start);
                report.skipped += 1;
                return true;
            }
            d.items.push((start, len, tunnel));
            true
        });
        if let Err(e) = res {
            report.capture_errors.push(e);
        }
    }
    Ok(d)
}

/// Appends `VXLAN(vni) | Ethernet | IP packet` for a plain IP frame; false
/// (nothing appended) for anything else.
fn wrap_vxlan(lt: LinkType, frame: &[u8], vni: u32, out: &mut Vec<u8>) -> bool {
    let Ok(l2) = link::parse(lt, frame) else {
        return false;
    };
    if l2.ethertype != ethertype::IPV4 && l2.ethertype != ethertype::IPV6 {
        return false;
    }
    let vni = vni & 0xFF_FFFF;
    out.extend_from_slice(&[VXLAN_FLAGS_I, 0, 0, 0]);
    out.extend_from_slice(&(vni << 8).to_be_bytes());
    if lt == LinkType::Ethernet && frame.len() >= 12 {
        out.extend_from_slice(&frame[..12]); // the captured MACs
    } else {
        out.extend_from_slice(&SYNTH_DST_MAC);
        out.extend_from_slice(&SYNTH_SRC_MAC);
    }
    out.extend_from_slice(&l2.ethertype.to_be_bytes());
    out.extend_from_slice(l2.payload);
    true
}

/// Sends the datagrams `opts.loops` times at `opts.rate`.
pub fn send(
    opts: &SendOptions,
    data: &Datagrams,
    report: &mut SendReport,
) -> Result<(), SendError> {
    let to = opts.to;
    let geneve_to = opts.geneve_to.unwrap_or(to);
    let bind = opts.bind.unwrap_or_else(|| {
        if to.is_ipv6() {
            "[::]:0".parse().expect("literal")
        } else {
            "0.0.0.0:0".parse().expect("literal")
        }
    });
    let sock = std::net::UdpSocket::bind(bind).map_err(|source| SendError::Socket {
        what: "cannot bind",
        addr: bind,
        source,
    })?;
    let dests = [
        socket2::SockAddr::from(to),
        socket2::SockAddr::from(geneve_to),
    ];
    let mut batch = SendBatch::new(SEND_BATCH);
    let mut chunk: Vec<&[u8]> = Vec::with_capacity(SEND_BATCH);
    let started = Instant::now();
    let per_call = match opts.rate {
        // Small bursts at low rates so pacing stays smooth.
        Some(r) => ((r / 1000) as usize).clamp(1, SEND_BATCH),
        None => SEND_BATCH,
    };
    let mut sent_total = 0u64;
    for _ in 0..opts.loops {
        let mut i = 0;
        while i < data.len() {
            let (_, kind) = data.get(i);
            let dest = if kind == Tunnel::Geneve { 1 } else { 0 };
            chunk.clear();
            while i < data.len() && chunk.len() < per_call {
                let (p, t) = data.get(i);
                if (t == Tunnel::Geneve) != (dest == 1) {
                    break;
                }
                chunk.push(p);
                i += 1;
            }
            if let Some(rate) = opts.rate {
                let due = Duration::from_secs_f64(sent_total as f64 / rate as f64);
                let now = started.elapsed();
                if due > now {
                    std::thread::sleep(due - now);
                }
            }
            let mut off = 0;
            while off < chunk.len() {
                match batch.send(sock.as_fd(), &dests[dest], &chunk[off..]) {
                    Ok(n) => {
                        report.datagrams += n as u64;
                        report.bytes += chunk[off..off + n]
                            .iter()
                            .map(|p| p.len() as u64)
                            .sum::<u64>();
                        off += n.max(1);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => {
                        // Refused (nothing listens) or out of buffers: count it
                        // and move past the datagram that failed.
                        report.errors += 1;
                        off += 1;
                    }
                }
            }
            sent_total += chunk.len() as u64;
        }
        report.loops += 1;
    }
    report.elapsed = started.elapsed();
    Ok(())
}

impl SendReport {
    /// The one-line summary (stable `key=value` pairs).
    pub fn line(&self, opts: &SendOptions) -> String {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        format!(
            "sent datagrams={} bytes={} loops={} vxlan={} geneve={} wrapped={} skipped={} errors={} seconds={:.3} rate={:.0} to={}{}",
            self.datagrams,
            self.bytes,
            self.loops,
            self.vxlan,
            self.geneve,
            self.wrapped,
            self.skipped,
            self.errors,
            secs,
            self.datagrams as f64 / secs,
            opts.to,
            opts.geneve_to
                .filter(|g| *g != opts.to)
                .map(|g| format!(" geneve-to={g}"))
                .unwrap_or_default()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ipv4_is_wrapped_like_aws() {
        // Raw IPv4 header (20 bytes, UDP) without a payload.
        let ip = [
            0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        let mut out = Vec::new();
        assert!(wrap_vxlan(LinkType::Raw, &ip, 0x123456, &mut out));
        assert_eq!(&out[..8], &[0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0]);
        assert_eq!(&out[8..14], &SYNTH_DST_MAC);
        assert_eq!(&out[20..22], &[0x08, 0x00]);
        assert_eq!(&out[22..], &ip);
        // What serve makes of it.
        let src = crate::wire::Addr::v4([127, 0, 0, 1]);
        let p = decap::decode_datagram(Tunnel::Vxlan, &out, src).unwrap();
        assert_eq!((p.vni, p.ip_len, p.protocol), (Some(0x123456), 20, 17));
        // ARP is not mirrored.
        let mut arp = vec![0xff; 12];
        arp.extend_from_slice(&[0x08, 0x06]);
        arp.extend_from_slice(&[0; 28]);
        out.clear();
        assert!(!wrap_vxlan(LinkType::Ethernet, &arp, 1, &mut out));
        assert!(out.is_empty());
    }
}
