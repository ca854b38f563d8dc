//! Opening one object: gzip (any number of members, streamed), Parquet or
//! plain text, told apart by magic bytes, not by name; read errors of a gzip
//! stream mapped to "truncated" or "corrupt".

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::num::NonZero;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::error::{ErrorKind, LineError};
use super::gzip::GzMembers;
use super::inflate::{self, Inflated};

/// Read size for compressed input.
const GZ_BUF: usize = 256 * 1024;

/// Gzip objects at least this large (compressed) are inflated on a helper
/// thread while the caller parses, when a core is free for it (see
/// [`spare_core`]); smaller ones are not worth a thread.
pub const INFLATE_THREAD_MIN: u64 = 1 << 20;

/// Threads now reading a text object (one per open [`Reading`]).
static READERS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// True while this thread is marked by [`WaitsForOutput`].
    static MAY_WAIT: Cell<bool> = const { Cell::new(false) };
}

/// Marks the calling thread, for as long as it lives, as a worker whose
/// readers wait whenever they get ahead of the output (file order with
/// several threads): a large gzip object it opens gets an inflate thread
/// whether or not a core is spare now. While the reader waits, its inflate
/// thread soon waits too (its few blocks are full), so the cores go to the
/// file being written, which then runs as at `-j 1`: parsed on one core,
/// inflated on the other, blocks handed over in place. Without it, a file
/// opened while another is written would be inflated on its reading thread
/// and get its inflate thread only later ([`Deferred`], which copies each
/// block once more).
#[derive(Debug)]
pub struct WaitsForOutput(bool);

impl WaitsForOutput {
    /// Marks the calling thread.
    pub fn start() -> Self {
        Self(MAY_WAIT.with(|m| m.replace(true)))
    }
}

impl Drop for WaitsForOutput {
    fn drop(&mut self) {
        MAY_WAIT.with(|m| m.set(self.0));
    }
}

/// Marks the calling thread as reading a text object for as long as it
/// lives (held by each text reader), so that [`spare_core`] knows how many
/// cores the readers already keep busy.
#[derive(Debug)]
pub struct Reading(());

impl Reading {
    /// Counts one more reading thread.
    pub fn start() -> Self {
        READERS.fetch_add(1, Ordering::Relaxed);
        Self(())
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        READERS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The cores this process may run on (its CPU affinity and cgroup quota:
/// 1 under `taskset -c 0`).
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZero::get))
}

/// Threads reading plus the inflate threads running.
fn busy() -> usize {
    READERS.load(Ordering::Relaxed) + inflate::running()
}

/// True if one more inflate thread would have a core to itself beside the
/// threads reading (this one included: it is about to read) and the
/// inflate threads already running. Otherwise it could only
/// take turns with a reader on the same cores: the same work plus a
/// hand-over per block, so the object is inflated on the reading thread
/// instead (one pinned core, or `-j` at the number of cores), until a core
/// is free ([`Deferred`]). A thread marked by [`WaitsForOutput`] gets one
/// whenever the process has two cores.
pub(super) fn spare_core() -> bool {
    busy() + 2 <= cores() || (cores() >= 2 && MAY_WAIT.with(Cell::get))
}

/// [`spare_core`] for a thread already counted as reading.
fn spare_core_now() -> bool {
    busy() < cores()
}

/// A large gzip object inflated on its reading thread for want of a free
/// core. At each read it checks for one (the other readers finished: the
/// last objects of an unordered run or of `stats`), and then moves its
/// decoder to an inflate thread for the rest of the object: the same bytes
/// and errors, on two cores (each block is copied once more, into the
/// line reader's buffer).
struct Deferred<R> {
    inline: Option<R>,
    threaded: Option<Inflated>,
    /// Whether a core is free now ([`spare_core_now`]; tests choose).
    free: fn() -> bool,
}

impl<R: Read + Send + 'static> Read for Deferred<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.threaded.is_none()
            && (self.free)()
            && let Some(decoder) = self.inline.take()
        {
            match Inflated::spawn(decoder) {
                Ok(threaded) => self.threaded = Some(threaded),
                Err(decoder) => self.inline = Some(decoder),
            }
        }
        match (&mut self.threaded, &mut self.inline) {
            (Some(threaded), _) => threaded.read(buf),
            (None, Some(decoder)) => decoder.read(buf),
            (None, None) => Ok(0),
        }
    }
}

/// An opened object.
pub enum Opened {
    /// A byte stream of text (or of a JSON subscription payload).
    Stream {
        /// Decompressed bytes.
        reader: Box<dyn Read + Send>,
        /// True if gzip-compressed (read errors then mean a damaged stream).
        gzip: bool,
    },
    /// A large gzip object, inflated into blocks on a helper thread.
    Inflated(Inflated),
    /// A Parquet object.
    Parquet(File),
}

/// Opens `path` and sniffs its first bytes; a large gzip object is inflated
/// on a helper thread when a core is free for it ([`spare_core`]), or from
/// when one is ([`Deferred`]).
pub fn open(path: &Path) -> Result<Opened, LineError> {
    open_with(path, spare_core())
}

/// [`open`], with or without a helper thread for a large gzip object.
fn open_with(path: &Path, helper: bool) -> Result<Opened, LineError> {
    let io_err = |e: io::Error| LineError::new(ErrorKind::Io, None, format!("cannot read: {e}"));
    let mut file = File::open(path).map_err(io_err)?;
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < magic.len() {
        match file.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_err(e)),
        }
    }
    file.seek(SeekFrom::Start(0)).map_err(io_err)?;
    let magic = &magic[..got];
    if magic.starts_with(&[0x1f, 0x8b]) {
        let big = file.metadata().is_ok_and(|m| m.len() >= INFLATE_THREAD_MIN);
        // igzip's decoder stays on the thread that made it (not `Send`), so
        // with it every large object gets an inflate thread, spare core or
        // not: on one core the two take turns, a hand-over per 256 KiB.
        #[cfg(feature = "isal")]
        let file = if big {
            match Inflated::spawn_with(file, super::igzip::Gz::new) {
                Ok(threaded) => return Ok(Opened::Inflated(threaded)),
                Err(file) => file,
            }
        } else {
            file
        };
        let decoder = GzMembers::new(BufReader::with_capacity(GZ_BUF, file));
        if !big {
            return Ok(Opened::Stream {
                reader: Box::new(decoder),
                gzip: true,
            });
        }
        if helper {
            match Inflated::spawn(decoder) {
                Ok(threaded) => return Ok(Opened::Inflated(threaded)),
                Err(decoder) => {
                    return Ok(Opened::Stream {
                        reader: Box::new(decoder),
                        gzip: true,
                    });
                }
            }
        }
        Ok(Opened::Stream {
            reader: Box::new(Deferred {
                inline: Some(decoder),
                threaded: None,
                free: spare_core_now,
            }),
            gzip: true,
        })
    } else if magic == b"PAR1" {
        Ok(Opened::Parquet(file))
    } else {
        Ok(Opened::Stream {
            reader: Box::new(file),
            gzip: false,
        })
    }
}

/// The kind of a read error: for gzip streams, truncation (the data ends
/// before the end-of-stream marker) or corruption (bad header, bad deflate
/// data, CRC or size mismatch).
pub fn read_error(err: &io::Error, gzip: bool) -> LineError {
    if !gzip {
        return LineError::new(ErrorKind::Io, None, format!("read failed: {err}"));
    }
    if err.kind() == io::ErrorKind::UnexpectedEof {
        LineError::new(
            ErrorKind::GzipTruncated,
            None,
            format!("gzip: stream ended before the end-of-stream marker ({err})"),
        )
    } else if matches!(
        err.kind(),
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData
    ) {
        LineError::new(ErrorKind::GzipCorrupt, None, format!("gzip: {err}"))
    } else {
        LineError::new(ErrorKind::Io, None, format!("read failed: {err}"))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    /// `data` as one gzip member.
    pub(in crate::flowlogs) fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn read_all(bytes: &[u8]) -> (Vec<u8>, Option<ErrorKind>) {
        read_with(bytes, true)
    }

    /// The bytes and error of `bytes` opened with or without a helper
    /// thread (checked to be used exactly when asked for and large).
    fn read_with(bytes: &[u8], helper: bool) -> (Vec<u8>, Option<ErrorKind>) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, bytes).unwrap();
        let large = (helper || cfg!(feature = "isal"))
            && bytes.len() as u64 >= INFLATE_THREAD_MIN
            && bytes[..2] == [0x1f, 0x8b];
        let (mut reader, gzip): (Box<dyn Read>, bool) = match open_with(&p, helper) {
            Ok(Opened::Stream { reader, gzip }) if !large => (reader, gzip),
            Ok(Opened::Inflated(blocks)) if large => (Box::new(blocks), true),
            _ => panic!("not the stream asked for"),
        };
        let mut out = Vec::new();
        let err = reader
            .read_to_end(&mut out)
            .err()
            .map(|e| read_error(&e, gzip).kind);
        (out, err)
    }

    #[test]
    fn multi_member_gzip_is_read_whole() {
        let mut two = gz(b"a\n");
        two.extend(gz(b"b\n"));
        assert_eq!(read_all(&two), (b"a\nb\n".to_vec(), None));
        assert_eq!(read_all(b"plain\n"), (b"plain\n".to_vec(), None));
    }

    #[test]
    fn truncated_and_corrupt_gzip_are_told_apart() {
        let data: Vec<u8> = (0..5000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let full = gz(&data);
        assert_eq!(
            read_all(&full[..full.len() / 2]).1,
            Some(ErrorKind::GzipTruncated)
        );
        let mut bad_crc = full.clone();
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 0xff;
        assert_eq!(read_all(&bad_crc).1, Some(ErrorKind::GzipCorrupt));
    }

    #[test]
    fn large_gzip_goes_through_the_inflate_thread_with_the_same_results() {
        // Pseudo-random hex lines compress poorly: well above the threshold.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let data: Vec<u8> = (0..120_000)
            .flat_map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                format!("{x:016x}{:016x}\n", x.rotate_left(17)).into_bytes()
            })
            .collect();
        let full = gz(&data);
        assert!(full.len() as u64 >= INFLATE_THREAD_MIN, "{}", full.len());
        assert_eq!(read_all(&full), (data.clone(), None));
        // Without a spare core: the same, inflated on the reading thread.
        assert_eq!(read_with(&full, false), (data.clone(), None));
        let cut = &full[..full.len() / 3];
        assert_eq!(read_with(cut, false), read_with(cut, true));
        // Cut: what was readable comes out, then the truncation.
        let (got, err) = read_all(&full[..full.len() * 3 / 4]);
        assert_eq!(err, Some(ErrorKind::GzipTruncated));
        assert!(got.len() > data.len() / 2 && data.starts_with(&got));
        // Damaged in the middle: corrupt, with the bytes before the damage.
        let mut bad = full.clone();
        let n = bad.len();
        bad[n - 8] ^= 0xff;
        let (got, err) = read_all(&bad);
        assert_eq!(err, Some(ErrorKind::GzipCorrupt));
        assert!(data.starts_with(&got));
    }

    /// Bytes and error of `gz` read through [`Deferred`] whose core turns
    /// free at its `switch`-th read (never if 0), in reads of 7777 bytes.
    fn read_deferred(gz: &[u8], switch: usize) -> (Vec<u8>, Option<ErrorKind>, bool) {
        use std::sync::atomic::AtomicUsize;
        // One test at a time owns these (fn pointers capture nothing).
        static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
        static READS: AtomicUsize = AtomicUsize::new(0);
        static SWITCH: AtomicUsize = AtomicUsize::new(0);
        let _one = LOCK.lock().unwrap_or_else(|p| p.into_inner());
        READS.store(0, Ordering::SeqCst);
        SWITCH.store(switch, Ordering::SeqCst);
        fn free() -> bool {
            let n = READS.fetch_add(1, Ordering::SeqCst) + 1;
            let at = SWITCH.load(Ordering::SeqCst);
            at != 0 && n >= at
        }
        let mut r = Deferred {
            inline: Some(GzMembers::new(io::Cursor::new(gz.to_vec()))),
            threaded: None,
            free,
        };
        let (mut out, mut buf) = (Vec::new(), vec![0u8; 7777]);
        let err = loop {
            match r.read(&mut buf) {
                Ok(0) => break None,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => break Some(read_error(&e, true).kind),
            }
        };
        (out, err, r.threaded.is_some())
    }

    #[test]
    fn deferred_inflate_thread_gives_the_same_bytes_and_errors() {
        let data: Vec<u8> = (0..60_000)
            .flat_map(|i| format!("{i:08x} line {}\n", i * 7919 % 10007).into_bytes())
            .collect();
        let full = gz(&data);
        let mut bad = full.clone();
        let n = bad.len();
        bad[n - 8] ^= 0xff;
        for bytes in [&full[..], &full[..full.len() * 2 / 3], &bad[..]] {
            let inline = read_deferred(bytes, 0);
            assert!(!inline.2);
            for switch in [1, 2, 40] {
                let switched = read_deferred(bytes, switch);
                assert!(switched.2, "switched at read {switch}");
                assert_eq!((&switched.0, switched.1), (&inline.0, inline.1));
            }
        }
        assert_eq!(read_deferred(&full, 3).0, data);
        assert_eq!(
            read_deferred(&full[..full.len() / 2], 5).1,
            Some(ErrorKind::GzipTruncated)
        );
        assert_eq!(read_deferred(&bad, 5).1, Some(ErrorKind::GzipCorrupt));
    }

    #[test]
    fn parquet_magic() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.bin");
        std::fs::write(&p, b"PAR1....").unwrap();
        assert!(matches!(open(&p), Ok(Opened::Parquet(_))));
        assert_eq!(
            open(&dir.path().join("missing")).err().map(|e| e.kind),
            Some(ErrorKind::Io)
        );
    }
}
