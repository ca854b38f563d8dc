//! Reads a real capture into the per-direction application bytes the
//! pipeline hands the app layer: UDP payloads as they are, TCP payloads
//! reassembled per direction by `vxtap::stream` (in capture order, each
//! newly contiguous piece as one chunk). Used by the `applayer_*` tests to
//! run the parsers on real traffic and compare with tshark.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use vxtap::applayer::{Direction, Transport};
use vxtap::capture::CaptureFile;
use vxtap::decap::{self, DecapConfig, Frag};
use vxtap::stream::{Budget, DirStream, Segment, StreamConfig};
use vxtap::wire::Addr;

/// The shared material (`../shared`).
pub fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// This crate's test data.
pub fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/applayer")
}

/// One piece of application bytes.
#[derive(Debug, Clone)]
pub struct Chunk {
    /// Flow number in order of first appearance.
    pub flow: usize,
    /// Transport.
    pub transport: Transport,
    /// The server's port, then the client's.
    pub ports: [u16; 2],
    /// Direction.
    pub dir: Direction,
    /// The bytes.
    pub data: Vec<u8>,
    /// Frame number that delivered them.
    pub frame: u64,
    /// The flow's two endpoints as "ip:port", sorted (matches the oracle
    /// files' flow key).
    pub endpoints: [String; 2],
}

type Key = (Option<u32>, u8, (Addr, u16), (Addr, u16));

struct FlowEntry {
    id: usize,
    /// The client's endpoint.
    client: (Addr, u16),
    server_port: u16,
    client_port: u16,
    endpoints: [String; 2],
    /// The client's SYN was seen.
    syn: bool,
    dirs: [DirStream; 2],
}

/// Every chunk of a capture (TCP and UDP flows, any tunnel decap handles).
pub fn chunks(path: &Path) -> Vec<Chunk> {
    let mut cap = CaptureFile::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let cfg = DecapConfig::default();
    let scfg = StreamConfig::default();
    let mut budget = Budget::new(1 << 30);
    let mut flows: HashMap<Key, FlowEntry> = HashMap::new();
    let mut out = Vec::new();
    cap.for_each(|f| {
        let Ok(link) = f.link else { return true };
        let Ok(p) = decap::decode_frame(&cfg, link, f.data, f.orig_len) else {
            return true;
        };
        if matches!(p.frag, Frag::Later { .. }) || !matches!(p.protocol, 6 | 17) {
            return true;
        }
        let l4 = &p.ip[p.l4_offset as usize..];
        let (a, b) = ((p.src, p.src_port), (p.dst, p.dst_port));
        let key: Key = (p.vni, p.protocol, a.min(b), a.max(b));
        let n = flows.len();
        let tcp_flags = p.tcp_flags.unwrap_or(0);
        let entry = flows.entry(key).or_insert_with(|| {
            // SYN+ACK first: the sender is the server.
            let client = if tcp_flags & 0x12 == 0x12 { b } else { a };
            let server = if client == a { b } else { a };
            let mut endpoints = [a, b].map(|(ip, port)| match ip.to_ip() {
                std::net::IpAddr::V4(v4) => format!("{v4}:{port}"),
                // Suricata's EVE spelling: eight groups of four digits.
                std::net::IpAddr::V6(v6) => {
                    let g: Vec<String> = v6.segments().iter().map(|x| format!("{x:04x}")).collect();
                    format!("{}:{port}", g.join(":"))
                }
            });
            endpoints.sort();
            FlowEntry {
                id: n,
                endpoints,
                syn: false,
                client,
                server_port: server.1,
                client_port: client.1,
                dirs: [DirStream::new(), DirStream::new()],
            }
        });
        let dir = if a == entry.client {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let ports = [entry.server_port, entry.client_port];
        if p.protocol == 17 {
            if let Some(payload) = l4.get(8..)
                && !payload.is_empty()
            {
                out.push(Chunk {
                    flow: entry.id,
                    transport: Transport::Udp,
                    ports,
                    dir,
                    data: payload.to_vec(),
                    frame: f.number,
                    endpoints: entry.endpoints.clone(),
                });
            }
            return true;
        }
        let Some(h) = l4.get(..20) else { return true };
        let seq = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
        let doff = (h[12] >> 4) as usize * 4;
        let syn = h[13] & 0x02 != 0;
        let payload = l4.get(doff..).unwrap_or(&[]);
        if syn && h[13] & 0x10 == 0 {
            entry.syn = true;
        }
        // Suricata's default (stream.midstream: false) gives no app layer to
        // a TCP flow picked up without its SYN.
        if !entry.syn {
            return true;
        }
        let ds = &mut entry.dirs[dir.index()];
        let added = ds.segment(&Segment { seq, syn, payload }, &scfg, &mut budget);
        if !added.new.is_empty() {
            out.push(Chunk {
                flow: entry.id,
                transport: Transport::Tcp,
                ports,
                dir,
                data: ds.data()[added.new].to_vec(),
                frame: f.number,
                endpoints: entry.endpoints.clone(),
            });
        }
        true
    })
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    out
}

/// Runs tshark with `args` on `pcap` and returns its stdout lines.
pub fn tshark(pcap: &Path, args: &[&str]) -> Vec<String> {
    let out = std::process::Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args(args)
        .output()
        .expect("tshark is installed (.ci/run installs it: ../shared/tools/install-peers --only tshark)");
    assert!(out.status.success(), "tshark failed on {}", pcap.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Reads a committed expected file: its `# ` lines (the command) skipped.
pub fn expected(name: &str) -> Vec<String> {
    let p = data().join(name);
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// Feeds every flow of `chunks` through protocol detection and, once it
/// names `want`, into a parser state made by `make`; `feed` hands it bytes
/// of one direction (on TCP, first everything seen before detection).
/// Returns the states by flow number.
pub fn run_parser<S>(
    chunks: &[Chunk],
    want: vxtap::applayer::AppProto,
    mut make: impl FnMut(&Chunk) -> S,
    mut feed: impl FnMut(&mut S, Direction, &[u8]),
) -> std::collections::BTreeMap<usize, S> {
    use vxtap::applayer::Prober;
    let mut probes: HashMap<usize, (Prober, [Vec<u8>; 2])> = HashMap::new();
    let mut states = std::collections::BTreeMap::new();
    for c in chunks {
        let (p, seen) = probes.entry(c.flow).or_insert_with(|| {
            (
                Prober::new(c.transport, c.ports[0], c.ports[1]),
                Default::default(),
            )
        });
        if let Some(s) = states.get_mut(&c.flow) {
            feed(s, c.dir, &c.data);
            continue;
        }
        let proto = match c.transport {
            Transport::Udp => p.feed(c.dir, &c.data),
            Transport::Tcp => {
                seen[c.dir.index()].extend_from_slice(&c.data);
                p.feed(c.dir, &seen[c.dir.index()])
            }
        };
        if proto != want {
            continue;
        }
        let mut s = make(c);
        match c.transport {
            Transport::Udp => feed(&mut s, c.dir, &c.data),
            Transport::Tcp => {
                // The other direction's earlier bytes first when they came
                // first in capture order is unknowable here; the request
                // side (to server) goes first, which is how clients speak.
                for d in [Direction::ToServer, Direction::ToClient] {
                    let bytes = std::mem::take(&mut seen[d.index()]);
                    if !bytes.is_empty() {
                        feed(&mut s, d, &bytes);
                    }
                }
            }
        }
        states.insert(c.flow, s);
    }
    states
}

/// Compares the lines a parser gave (`got`) with the oracle's (`want`) as
/// multisets. `known` lists where the oracle is not right: the start of
/// the lines, how many more lines we give (negative: fewer), and why; each
/// must account for exactly its difference, so a fixed oracle or parser
/// shows up. Panics with every other differing line.
pub fn assert_same_lines(
    label: &str,
    mut want: Vec<String>,
    mut got: Vec<String>,
    known: &[(&str, i64, &str)],
) {
    want.sort();
    got.sort();
    let count = |v: &[String], l: &String| v.iter().filter(|x| *x == l).count() as i64;
    let mut differ: Vec<String> = want
        .iter()
        .chain(got.iter())
        .filter(|l| count(&got, l) != count(&want, l))
        .map(|l| format!("{} ours, {} oracle: {l}", count(&got, l), count(&want, l)))
        .collect();
    differ.sort();
    differ.dedup();
    for (prefix, n, why) in known {
        let d: i64 = got.iter().filter(|l| l.starts_with(prefix)).count() as i64
            - want.iter().filter(|l| l.starts_with(prefix)).count() as i64;
        assert_eq!(d, *n, "{label}: known divergence changed ({why}): {prefix}");
        differ.retain(|l| {
            !l.split(" oracle: ")
                .nth(1)
                .is_some_and(|x| x.starts_with(prefix))
        });
    }
    assert!(differ.is_empty(), "{label}\n{}", differ.join("\n"));
}

/// The distinct captures (first column) of an oracle file's lines.
pub fn captures_of(lines: &[String]) -> Vec<String> {
    let mut caps: Vec<String> = lines
        .iter()
        .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
        .collect();
    caps.sort();
    caps.dedup();
    caps
}

use vxtap::applayer::dcerpc::parser as dce;

fn dcerpc_dash(v: Option<impl ToString>) -> String {
    v.map_or("-".to_owned(), |v| v.to_string())
}

/// The line `dcerpc.py` writes for a DCE/RPC transaction (`carrier`:
/// `tcp` or `smb`).
pub fn dcerpc_line(
    cap: &str,
    carrier: &str,
    endpoints: &[String; 2],
    tx: &vxtap::applayer::dcerpc::DcerpcTx,
) -> String {
    let is_req = tx.req_cmd == dce::ptype::REQUEST;
    let req_stub = is_req.then(|| {
        tx.stub_data(vxtap::applayer::Direction::ToServer)
            .map_or(0, <[u8]>::len)
    });
    let res_stub = (tx.resp_cmd == dce::ptype::RESPONSE && tx.frag_cnt[1] > 0).then(|| {
        tx.stub_data(vxtap::applayer::Direction::ToClient)
            .map_or(0, <[u8]>::len)
    });
    let ifaces: Vec<String> = tx
        .interfaces
        .iter()
        .map(|i| {
            format!(
                "{}/{}.{}/{}",
                dce::uuid_string(&i.uuid),
                i.version,
                i.version_minor,
                dcerpc_dash(i.ack_result)
            )
        })
        .collect();
    format!(
        "{cap}\t{carrier}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        endpoints[0],
        endpoints[1],
        tx.request_name(),
        tx.response_name(),
        tx.call_id,
        dcerpc_dash(tx.opnum().filter(|_| is_req)),
        dcerpc_dash(req_stub),
        dcerpc_dash(res_stub),
        if ifaces.is_empty() {
            "-".to_owned()
        } else {
            ifaces.join(",")
        }
    )
}

/// Runs `lines(capture, bytewise)` on every capture of the oracle file
/// `name` (at least `min_captures` of them), fed whole and byte by byte,
/// and compares with the oracle's lines ([`assert_same_lines`]).
pub fn check_oracle(
    name: &str,
    min_captures: usize,
    lines: impl Fn(&str, bool) -> Vec<String>,
    known: &[(&str, i64, &str)],
) {
    let want = expected(name);
    let caps = captures_of(&want);
    assert!(
        caps.len() >= min_captures,
        "{name}: {} captures",
        caps.len()
    );
    for bytewise in [false, true] {
        let got: Vec<String> = caps.iter().flat_map(|c| lines(c, bytewise)).collect();
        assert_same_lines(
            &format!("{name}, bytewise={bytewise}"),
            want.clone(),
            got,
            known,
        );
    }
}
