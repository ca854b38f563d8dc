//! One capture file, read block by block from a reusable buffer (zero-copy:
//! frames borrow the reader's buffer). Classic pcap files go through the
//! crate's own record walker ([`super::legacy`]), pcapng (and the rare
//! "modified" pcap variant) through `pcap-parser`.

use std::fs::File;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError, create_reader};

use super::CaptureError;
use super::legacy::{self, BUFFER_CAPACITY, Header, LegacyReader, Stop, link_of};
use crate::wire::link::LinkType;

/// One captured frame, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Capture time, nanoseconds since the Unix epoch.
    pub ts_ns: u64,
    /// Link type, or the unsupported linktype number.
    pub link: Result<LinkType, u32>,
    /// Captured bytes.
    pub data: &'a [u8],
    /// Length on the wire (the capture's own snaplen cut, not the mirror's).
    pub orig_len: u32,
    /// 1-based frame number within the file.
    pub number: u64,
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    link: Result<LinkType, u32>,
    /// Timestamp units per second.
    units_per_sec: u64,
    /// Seconds added to every timestamp (`if_tsoffset`).
    offset_sec: i64,
}

/// Where the records come from.
enum Source {
    /// Classic pcap: our own walker; the header's interface.
    Legacy(Box<LegacyReader>, Interface),
    /// pcapng and other variants.
    Parser(Box<dyn PcapReaderIterator + Send>),
}

/// An open pcap or pcapng file.
pub struct CaptureFile {
    path: PathBuf,
    source: Source,
    interfaces: Vec<Interface>,
    legacy: Option<Interface>,
    frames: u64,
    last_ts_ns: u64,
}

impl std::fmt::Debug for CaptureFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureFile")
            .field("path", &self.path)
            .field("frames", &self.frames)
            .finish()
    }
}

impl CaptureFile {
    /// Opens a capture and recognises its format.
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        Self::open_with_chunk(path, legacy::READ_CHUNK)
    }

    /// [`open`](Self::open) reading classic pcap files `chunk` bytes at a
    /// time (tests use small chunks to put records across reads).
    fn open_with_chunk(path: &Path, chunk: usize) -> Result<Self, CaptureError> {
        let io = |source| CaptureError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = File::open(path).map_err(io)?;
        let mut start = [0u8; legacy::FILE_HEADER_LEN];
        let got = read_up_to(&mut file, &mut start).map_err(io)?;
        if Header::magic_matches(&start[..got]) {
            let Some(h) = Header::parse(&start[..got]) else {
                // A pcap magic number and a cut file header.
                return Err(CaptureError::NotACapture {
                    path: path.to_owned(),
                });
            };
            let iface = Interface {
                link: link_of(h.linktype),
                units_per_sec: if h.nanos { 1_000_000_000 } else { 1_000_000 },
                offset_sec: 0,
            };
            return Ok(Self::with_source(
                path,
                Source::Legacy(Box::new(LegacyReader::new(file, &start, &h, chunk)), iface),
            ));
        }
        file.rewind().map_err(io)?;
        Self::open_parser(path, file)
    }

    /// Reads `file` (at its start) through `pcap-parser`.
    fn open_parser(path: &Path, file: File) -> Result<Self, CaptureError> {
        let reader = create_reader(BUFFER_CAPACITY, file).map_err(|e| match e {
            PcapError::ReadError => CaptureError::Io {
                path: path.to_owned(),
                source: std::io::Error::other("read failed"),
            },
            _ => CaptureError::NotACapture {
                path: path.to_owned(),
            },
        })?;
        Ok(Self::with_source(path, Source::Parser(reader)))
    }

    fn with_source(path: &Path, source: Source) -> Self {
        CaptureFile {
            path: path.to_owned(),
            source,
            interfaces: Vec::new(),
            legacy: None,
            frames: 0,
            last_ts_ns: 0,
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Frames delivered so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Bytes of the file consumed so far (for progress).
    pub fn consumed(&self) -> usize {
        match &self.source {
            Source::Legacy(r, _) => r.consumed(),
            Source::Parser(r) => r.consumed(),
        }
    }

    /// Delivers every frame to `f` until the end of the file, the first
    /// damaged record, or `f` returning `false`.
    #[inline]
    pub fn for_each<F: FnMut(Frame<'_>) -> bool>(&mut self, f: F) -> Result<(), CaptureError> {
        match &mut self.source {
            Source::Legacy(r, iface) => {
                let iface = *iface;
                // scale_frac's divisor, once per file instead of per packet.
                let ns_per_unit = 1_000_000_000 / iface.units_per_sec.max(1);
                let frames = &mut self.frames;
                let last_ts_ns = &mut self.last_ts_ns;
                let mut f = f;
                let stop = r.for_each(|rec| {
                    let ts_ns = (rec.ts_sec as u64) * 1_000_000_000
                        + (rec.ts_frac as u64).saturating_mul(ns_per_unit);
                    *frames += 1;
                    *last_ts_ns = ts_ns;
                    f(Frame {
                        ts_ns,
                        link: iface.link,
                        data: rec.data,
                        orig_len: rec.orig_len,
                        number: *frames,
                    })
                });
                match stop {
                    Stop::End | Stop::Asked => Ok(()),
                    Stop::CutShort => Err(damaged(&self.path, self.frames, CUT_SHORT.into())),
                    Stop::Absurd => Err(damaged(&self.path, self.frames, absurd())),
                    Stop::Io(source) => Err(CaptureError::Io {
                        path: self.path.clone(),
                        source,
                    }),
                }
            }
            Source::Parser(_) => self.for_each_block(f),
        }
    }

    /// [`for_each`](Self::for_each) through `pcap-parser` (pcapng, modified pcap).
    fn for_each_block<F: FnMut(Frame<'_>) -> bool>(
        &mut self,
        mut f: F,
    ) -> Result<(), CaptureError> {
        let Source::Parser(reader) = &mut self.source else {
            return Ok(());
        };
        loop {
            match reader.next() {
                Ok((offset, block)) => {
                    let frame = match block {
                        PcapBlockOwned::LegacyHeader(h) => {
                            let units = if h.is_nanosecond_precision() {
                                1_000_000_000
                            } else {
                                1_000_000
                            };
                            self.legacy = Some(Interface {
                                link: link_of(h.network.0 as u32),
                                units_per_sec: units,
                                offset_sec: 0,
                            });
                            None
                        }
                        PcapBlockOwned::Legacy(b) => {
                            let iface = self.legacy.unwrap_or(Interface {
                                link: Ok(LinkType::Ethernet),
                                units_per_sec: 1_000_000,
                                offset_sec: 0,
                            });
                            let ts_ns = (b.ts_sec as u64) * 1_000_000_000
                                + scale_frac(b.ts_usec as u64, iface.units_per_sec);
                            Some(Frame {
                                ts_ns,
                                link: iface.link,
                                data: b.data,
                                orig_len: b.origlen,
                                number: self.frames + 1,
                            })
                        }
                        PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                            // Interface ids restart in every section.
                            self.interfaces.clear();
                            None
                        }
                        PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                            self.interfaces.push(Interface {
                                link: link_of(idb.linktype.0 as u32),
                                units_per_sec: tsresol_units(idb.if_tsresol),
                                offset_sec: idb.if_tsoffset,
                            });
                            None
                        }
                        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                            let Some(iface) = self.interfaces.get(epb.if_id as usize).copied()
                            else {
                                return Err(damaged(
                                    &self.path,
                                    self.frames,
                                    format!(
                                        "enhanced packet block names interface {} but only {} were described",
                                        epb.if_id,
                                        self.interfaces.len()
                                    ),
                                ));
                            };
                            let raw = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
                            let ts_ns = ts_to_ns(raw, iface.units_per_sec, iface.offset_sec);
                            Some(Frame {
                                ts_ns,
                                link: iface.link,
                                // `data` carries the block's 32-bit alignment padding.
                                data: &epb.data[..(epb.caplen as usize).min(epb.data.len())],
                                orig_len: epb.origlen,
                                number: self.frames + 1,
                            })
                        }
                        PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                            let link = self
                                .interfaces
                                .first()
                                .map(|i| i.link)
                                .unwrap_or(Ok(LinkType::Ethernet));
                            // No timestamp: the previous frame's time.
                            Some(Frame {
                                ts_ns: self.last_ts_ns,
                                link,
                                data: &spb.data[..(spb.origlen as usize).min(spb.data.len())],
                                orig_len: spb.origlen,
                                number: self.frames + 1,
                            })
                        }
                        PcapBlockOwned::NG(_) => None,
                    };
                    let go_on = match frame {
                        Some(fr) => {
                            self.frames += 1;
                            self.last_ts_ns = fr.ts_ns;
                            f(fr)
                        }
                        None => true,
                    };
                    // No shift per record: `refill` moves only the unread tail.
                    reader.consume_noshift(offset);
                    if !go_on {
                        return Ok(());
                    }
                }
                Err(PcapError::Eof) => return Ok(()),
                Err(PcapError::Incomplete(_)) => {
                    if reader.refill().is_err() {
                        return Err(CaptureError::Io {
                            path: self.path.clone(),
                            source: std::io::Error::other("read failed"),
                        });
                    }
                }
                Err(PcapError::UnexpectedEof) => {
                    return Err(damaged(&self.path, self.frames, CUT_SHORT.into()));
                }
                Err(PcapError::BufferTooSmall) => {
                    return Err(damaged(&self.path, self.frames, absurd()));
                }
                Err(PcapError::ReadError) => {
                    return Err(CaptureError::Io {
                        path: self.path.clone(),
                        source: std::io::Error::other("read failed"),
                    });
                }
                Err(e) => {
                    let what = format!("unparsable record ({})", short_error(&e));
                    return Err(damaged(&self.path, self.frames, what));
                }
            }
        }
    }
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

const CUT_SHORT: &str = "the file ends in the middle of a record (cut short)";

fn absurd() -> String {
    format!(
        "record length larger than {} MiB (absurd length: corrupt record header)",
        BUFFER_CAPACITY >> 20
    )
}

fn damaged(path: &Path, frames: u64, what: String) -> CaptureError {
    CaptureError::Damaged {
        path: path.to_owned(),
        packet: frames + 1,
        what,
        kept: frames,
    }
}

fn short_error<I>(e: &PcapError<I>) -> String {
    match e {
        PcapError::HeaderNotRecognized => "block type not recognised".into(),
        PcapError::NomError(_, k) => format!("{k:?}"),
        PcapError::OwnedNomError(_, k) => format!("{k:?}"),
        _ => "parse error".into(),
    }
}

/// Units per second of a pcapng `if_tsresol` (default 6 = µs). High bit set:
/// a negative power of 2; otherwise of 10. Absurd resolutions are clamped
/// so arithmetic cannot overflow.
fn tsresol_units(r: u8) -> u64 {
    let exp = (r & 0x7F) as u32;
    if r & 0x80 != 0 {
        1u64 << exp.min(63)
    } else {
        10u64.saturating_pow(exp.min(19))
    }
}

fn scale_frac(frac: u64, units_per_sec: u64) -> u64 {
    if units_per_sec == 1_000_000_000 {
        frac
    } else {
        frac.saturating_mul(1_000_000_000 / units_per_sec.max(1))
    }
}

fn ts_to_ns(raw: u64, units_per_sec: u64, offset_sec: i64) -> u64 {
    let units = units_per_sec.max(1) as u128;
    let ns = (raw as u128 / units) * 1_000_000_000 + (raw as u128 % units) * 1_000_000_000 / units;
    let ns = ns.min(u64::MAX as u128) as u64;
    let off = (offset_sec as i128) * 1_000_000_000;
    (ns as i128 + off).clamp(0, u64::MAX as i128) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn pcap(records: &[(u32, u32, &[u8])], nanos: bool, linktype: u32) -> Vec<u8> {
        let magic: u32 = if nanos { 0xa1b23c4d } else { 0xa1b2c3d4 };
        let mut v = magic.to_le_bytes().to_vec();
        v.extend_from_slice(&2u16.to_le_bytes());
        v.extend_from_slice(&4u16.to_le_bytes());
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&65535u32.to_le_bytes());
        v.extend_from_slice(&linktype.to_le_bytes());
        for (s, frac, data) in records {
            v.extend_from_slice(&s.to_le_bytes());
            v.extend_from_slice(&frac.to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(data);
        }
        v
    }

    /// (frame number, timestamp ns, captured length) of each frame, and how reading ended.
    type Read = (Vec<(u64, u64, usize)>, Result<(), CaptureError>);

    fn read_all(bytes: &[u8]) -> Read {
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        tmp.write_all(bytes).unwrap();
        let mut out = Vec::new();
        let res = CaptureFile::open(tmp.path()).and_then(|mut c| {
            c.for_each(|f| {
                out.push((f.number, f.ts_ns, f.data.len()));
                true
            })
        });
        (out, res)
    }

    /// Frames and ending as `pcap-parser` reads the file and as the
    /// classic-pcap walker reads it `chunk` bytes at a time.
    fn both_readers(path: &Path, chunk: usize) -> (String, String) {
        let read = |mut c: CaptureFile| {
            let mut out = String::new();
            let res = c.for_each(|f| {
                out.push_str(&format!(
                    "{} {} {:?} {} {:02x?}\n",
                    f.number, f.ts_ns, f.link, f.orig_len, f.data
                ));
                true
            });
            out.push_str(&format!("end: {res:?} after {} frames", c.frames()));
            out
        };
        let parser = CaptureFile::open_parser(path, File::open(path).unwrap()).map(read);
        let ours = CaptureFile::open_with_chunk(path, chunk).map(read);
        let show = |r: Result<String, CaptureError>| match r {
            Ok(s) => s,
            Err(e) => format!("open failed: {e:?}"),
        };
        (show(parser), show(ours))
    }

    /// Every classic pcap of the test data, read with chunks from 16 bytes
    /// (every record spans reads) to the default: the same frames, the same
    /// ending (damaged files included) as `pcap-parser`.
    #[test]
    fn classic_pcap_walker_agrees_with_pcap_parser() {
        let mut files = 0;
        let mut stack = vec![PathBuf::from("tests/data/pcaps")];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let mut magic = [0u8; 4];
                let n = read_up_to(&mut File::open(&p).unwrap(), &mut magic).unwrap();
                if !Header::magic_matches(&magic[..n]) {
                    continue;
                }
                files += 1;
                for chunk in [16, 1000, 65536, legacy::READ_CHUNK] {
                    let (parser, ours) = both_readers(&p, chunk);
                    assert!(
                        parser == ours,
                        "{} chunk {chunk}: pcap-parser\n{parser}\nours\n{ours}",
                        p.display()
                    );
                }
            }
        }
        assert!(files > 50, "only {files} classic pcap files found");
    }

    /// Damage at every byte: each prefix of a capture ends the same way in
    /// both readers (cut short after the same packet).
    #[test]
    fn every_prefix_agrees_with_pcap_parser() {
        let recs: Vec<(u32, u32, Vec<u8>)> = (0..5u8)
            .map(|i| (i as u32, i as u32 * 7, vec![i; 3 + i as usize * 5]))
            .collect();
        let refs: Vec<(u32, u32, &[u8])> = recs.iter().map(|(s, f, d)| (*s, *f, &d[..])).collect();
        let full = pcap(&refs, true, 1);
        let dir = tempfile::tempdir().unwrap();
        for cut in 0..=full.len() {
            let p = dir.path().join(format!("cut{cut}.pcap"));
            std::fs::write(&p, &full[..cut]).unwrap();
            for chunk in [16, 17, 64] {
                let (parser, ours) = both_readers(&p, chunk);
                // pcap-parser cannot tell an empty file from a missing
                // header: both are "not a capture" in either reader.
                let norm = |s: &str| s.replace(&p.display().to_string(), "P");
                assert_eq!(norm(&parser), norm(&ours), "cut at {cut}, chunk {chunk}");
            }
        }
    }

    #[test]
    fn big_endian_and_modified_pcap() {
        // Big-endian, nanoseconds: magic 0xa1b23c4d written big-endian.
        let mut v = 0xa1b2_3c4du32.to_be_bytes().to_vec();
        v.extend_from_slice(&2u16.to_be_bytes());
        v.extend_from_slice(&4u16.to_be_bytes());
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&65535u32.to_be_bytes());
        v.extend_from_slice(&1u32.to_be_bytes());
        for (s, frac, data) in [(10u32, 5u32, &[1u8, 2, 3][..]), (11, 0, &[4][..])] {
            v.extend_from_slice(&s.to_be_bytes());
            v.extend_from_slice(&frac.to_be_bytes());
            v.extend_from_slice(&(data.len() as u32).to_be_bytes());
            v.extend_from_slice(&(data.len() as u32 + 100).to_be_bytes());
            v.extend_from_slice(data);
        }
        let (f, r) = read_all(&v);
        r.unwrap();
        assert_eq!(f, vec![(1, 10_000_000_005, 3), (2, 11_000_000_000, 1)]);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("be.pcap");
        std::fs::write(&p, &v).unwrap();
        let (parser, ours) = both_readers(&p, 16);
        assert_eq!(parser, ours);
        // The "modified" variant (24-byte record headers) goes to pcap-parser.
        let mut m = 0xa1b2_cd34u32.to_le_bytes().to_vec();
        m.extend_from_slice(&v[4..24]);
        m[20..24].copy_from_slice(&1u32.to_le_bytes());
        m.extend_from_slice(&[10, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0]);
        m.extend_from_slice(&[0; 8]);
        m.extend_from_slice(&[0xAA, 0xBB]);
        let (f, r) = read_all(&m);
        r.unwrap();
        assert_eq!(f, vec![(1, 10_000_005_000, 2)]);
    }

    #[test]
    fn micro_and_nano_pcap() {
        let (f, r) = read_all(&pcap(&[(10, 5, &[1, 2, 3]), (11, 0, &[4])], false, 1));
        r.unwrap();
        assert_eq!(f, vec![(1, 10_000_005_000, 3), (2, 11_000_000_000, 1)]);
        let (f, r) = read_all(&pcap(&[(10, 5, &[1])], true, 101));
        r.unwrap();
        assert_eq!(f, vec![(1, 10_000_000_005, 1)]);
    }

    #[test]
    fn cut_short_keeps_earlier_packets() {
        let mut b = pcap(&[(1, 0, &[0; 40]), (2, 0, &[0; 40])], false, 1);
        b.truncate(b.len() - 10);
        let (f, r) = read_all(&b);
        assert_eq!(f.len(), 1);
        match r {
            Err(CaptureError::Damaged {
                packet: 2, kept: 1, ..
            }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn absurd_length() {
        let mut b = pcap(&[(1, 0, &[0; 40])], false, 1);
        b.extend_from_slice(&[
            1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f,
        ]);
        b.extend_from_slice(&[0; 100]);
        let (f, r) = read_all(&b);
        assert_eq!(f.len(), 1);
        let msg = r.unwrap_err().to_string();
        assert!(msg.contains("packet 2") && msg.contains("absurd"), "{msg}");
    }

    #[test]
    fn bad_magic_and_empty() {
        let (_, r) = read_all(b"this is not a capture at all");
        assert!(matches!(r, Err(CaptureError::NotACapture { .. })));
        let (f, r) = read_all(&pcap(&[], false, 1));
        r.unwrap();
        assert!(f.is_empty());
    }

    #[test]
    fn tsresol() {
        assert_eq!(tsresol_units(6), 1_000_000);
        assert_eq!(tsresol_units(9), 1_000_000_000);
        assert_eq!(tsresol_units(0x80 | 10), 1024);
        assert_eq!(ts_to_ns(1_500_000, 1_000_000, 0), 1_500_000_000);
        assert_eq!(ts_to_ns(1024 + 512, 1024, 2), 3_500_000_000);
        assert_eq!(ts_to_ns(u64::MAX, 1, 0), u64::MAX);
    }

    /// A little-endian pcapng block: type, total length, body padded to 32 bits, length again.
    fn ng_block(kind: u32, body: &[u8]) -> Vec<u8> {
        let padded = body.len().div_ceil(4) * 4;
        let total = (12 + padded) as u32;
        let mut v = kind.to_le_bytes().to_vec();
        v.extend_from_slice(&total.to_le_bytes());
        v.extend_from_slice(body);
        v.resize(8 + padded, 0);
        v.extend_from_slice(&total.to_le_bytes());
        v
    }

    #[test]
    fn pcapng_frames_exclude_alignment_padding() {
        let mut shb = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
        shb.extend_from_slice(&[1, 0, 0, 0]); // version 1.0
        shb.extend_from_slice(&u64::MAX.to_le_bytes()); // section length unknown
        let mut idb = 1u16.to_le_bytes().to_vec(); // Ethernet
        idb.extend_from_slice(&[0, 0]);
        idb.extend_from_slice(&0u32.to_le_bytes()); // snaplen
        let mut bytes = ng_block(0x0A0D_0D0A, &shb);
        bytes.extend(ng_block(1, &idb));
        for caplen in [5u32, 4, 1] {
            let mut epb = 0u32.to_le_bytes().to_vec(); // interface 0
            epb.extend_from_slice(&0u32.to_le_bytes());
            epb.extend_from_slice(&2_000_000u32.to_le_bytes()); // 2 s at µs resolution
            epb.extend_from_slice(&caplen.to_le_bytes());
            epb.extend_from_slice(&(caplen + 10).to_le_bytes());
            epb.extend(std::iter::repeat_n(0xAB, caplen as usize));
            bytes.extend(ng_block(6, &epb));
        }
        let (f, r) = read_all(&bytes);
        r.unwrap();
        assert_eq!(
            f,
            vec![
                (1, 2_000_000_000, 5),
                (2, 2_000_000_000, 4),
                (3, 2_000_000_000, 1)
            ]
        );
    }
}
