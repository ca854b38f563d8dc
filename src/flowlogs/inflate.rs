//! Decompression on its own thread: a helper thread inflates a gzip stream
//! into a few recycled blocks handed over a bounded channel, so that
//! inflating one object overlaps with parsing it (two cores on one file).
//!
//! Blocks are handed over whole ([`Inflated::next_block`]): the line reader
//! splits lines in the block the thread wrote, and moves only the partial
//! line at a block's end into the [`HEAD`] bytes kept free before the next
//! block's data, so inflated bytes are not copied again. [`Read`] is there
//! too, for readers that want a byte stream (a JSON payload).
//!
//! Guarantees: memory is bounded ([`BLOCKS`] blocks of [`HEAD`] + [`BLOCK`]
//! bytes); bytes come out in order, and a read error comes after every byte
//! read before it (a truncated gzip yields what was readable, then the
//! error); dropping the reader ends the thread at its next block. A read
//! error ends the stream, except from a reader started by
//! [`Inflated::spawn_resuming`] (a Parquet object's rows, which go on
//! after a row group's lost rows).

use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};

use crossbeam_channel::{Receiver, Sender, bounded};

/// Bytes per block handed from the helper thread to the reader.
pub const BLOCK: usize = 256 * 1024;
/// Blocks in flight (filled and waiting, or being read).
pub const BLOCKS: usize = 4;
/// Bytes kept free before the data of each block, where a reader may move
/// the unfinished end of the previous block (at most a line).
pub const HEAD: usize = 64 * 1024 + 64;

/// Inflate threads now running.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Number of inflate threads running now (started and not yet ended).
pub fn running() -> usize {
    RUNNING.load(Ordering::Relaxed)
}

/// The consuming end: reads the blocks the helper thread inflated.
pub struct Inflated {
    filled: Option<Receiver<io::Result<Vec<u8>>>>,
    empty: Option<Sender<Vec<u8>>>,
    thread: Option<JoinHandle<()>>,
    block: Vec<u8>,
    pos: usize,
    done: bool,
    /// Read errors do not end the stream ([`Inflated::spawn_resuming`]).
    resumes: bool,
}

impl Inflated {
    /// Starts a thread reading `inner` (a decoder) to its end or first
    /// error. `Err` gives `inner` back when no thread could be started.
    pub fn spawn<R: Read + Send + 'static>(inner: R) -> Result<Self, R> {
        Self::spawn_with(inner, |r| r)
    }

    /// [`Inflated::spawn`] for a reader that goes on after a read error
    /// (until it reads 0 bytes): the thread reads on after sending an
    /// error, and [`Inflated::next_block`] gives the blocks after it.
    pub fn spawn_resuming<R: Read + Send + 'static>(inner: R) -> Result<Self, R> {
        Self::start(inner, |r| r, true)
    }

    /// Starts a thread that makes its decoder with `make(seed)` and reads
    /// it as [`Inflated::spawn`] does: for decoders that must stay on the
    /// thread that made them (not `Send`). `Err` gives `seed` back when no
    /// thread could be started.
    pub fn spawn_with<T, R>(seed: T, make: fn(T) -> R) -> Result<Self, T>
    where
        T: Send + 'static,
        R: Read + 'static,
    {
        Self::start(seed, make, false)
    }

    fn start<T, R>(seed: T, make: fn(T) -> R, resumes: bool) -> Result<Self, T>
    where
        T: Send + 'static,
        R: Read + 'static,
    {
        let (filled_tx, filled) = bounded(BLOCKS - 1);
        let (empty, empty_rx) = bounded(BLOCKS);
        // The seed moves into the thread only once it exists.
        let (start_tx, start_rx) = bounded::<T>(1);
        RUNNING.fetch_add(1, Ordering::Relaxed);
        let spawned = thread::Builder::new()
            .name("vxtap-inflate".into())
            .spawn(move || {
                if let Ok(seed) = start_rx.recv() {
                    pump(make(seed), &filled_tx, &empty_rx, resumes);
                }
                RUNNING.fetch_sub(1, Ordering::Relaxed);
            });
        let Ok(thread) = spawned else {
            RUNNING.fetch_sub(1, Ordering::Relaxed);
            return Err(seed);
        };
        if let Err(e) = start_tx.send(seed) {
            return Err(e.into_inner());
        }
        Ok(Self {
            filled: Some(filled),
            empty: Some(empty),
            thread: Some(thread),
            block: Vec::new(),
            pos: 0,
            done: false,
            resumes,
        })
    }
}

/// The helper thread's loop: fill a block, send it, repeat; a read error is
/// sent after the bytes read before it, and ends the loop unless `resumes`.
fn pump<R: Read>(
    mut inner: R,
    filled: &Sender<io::Result<Vec<u8>>>,
    empty: &Receiver<Vec<u8>>,
    resumes: bool,
) {
    loop {
        let mut block = empty.try_recv().unwrap_or_default();
        block.resize(HEAD + BLOCK, 0);
        let mut len = HEAD;
        let mut failure = None;
        let mut eof = false;
        while len < HEAD + BLOCK {
            match inner.read(&mut block[len..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        block.truncate(len);
        if len > HEAD && filled.send(Ok(block)).is_err() {
            return; // The reader is gone.
        }
        if let Some(e) = failure
            && (filled.send(Err(e)).is_err() || !resumes)
        {
            return;
        }
        if eof {
            return;
        }
    }
}

impl Inflated {
    /// The next block (its data from [`HEAD`] on, never empty), `None` at
    /// the end, or the read error (after which `None` follows, unless the
    /// reader resumes: [`Inflated::spawn_resuming`]).
    pub fn next_block(&mut self) -> Option<io::Result<Vec<u8>>> {
        if self.done {
            return None;
        }
        match self.filled.as_ref()?.recv() {
            Ok(Ok(block)) => Some(Ok(block)),
            Ok(Err(e)) => {
                self.done = !self.resumes;
                Some(Err(e))
            }
            // The thread ended after its last block.
            Err(_) => {
                self.done = true;
                None
            }
        }
    }

    /// Hands a block the caller is done with back to the thread, to be
    /// filled again (dropped if the thread has ended or has enough).
    pub fn recycle(&mut self, used: Vec<u8>) {
        if let Some(empty) = &self.empty
            && used.capacity() > 0
        {
            let _ = empty.try_send(used);
        }
    }
}

impl Read for Inflated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos < self.block.len() {
                let n = buf.len().min(self.block.len() - self.pos);
                buf[..n].copy_from_slice(&self.block[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if buf.is_empty() {
                return Ok(0);
            }
            let used = std::mem::take(&mut self.block);
            self.recycle(used);
            match self.next_block() {
                Some(Ok(next)) => {
                    self.block = next;
                    self.pos = HEAD;
                }
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
    }
}

impl Drop for Inflated {
    /// Closes the channels (the thread's next send fails and it returns),
    /// then waits for the thread: no thread outlives its reader.
    fn drop(&mut self) {
        self.filled = None;
        self.empty = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(r: &mut impl Read) -> (Vec<u8>, Option<io::ErrorKind>) {
        let mut out = Vec::new();
        let mut buf = [0u8; 7777];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return (out, Some(e.kind())),
            }
        }
    }

    #[test]
    fn bytes_come_out_in_order() {
        let data: Vec<u8> = (0..3 * BLOCK + 12345).map(|i| (i % 251) as u8).collect();
        let mut r = Inflated::spawn(io::Cursor::new(data.clone())).ok().unwrap();
        assert_eq!(read_all(&mut r), (data, None));
        let mut empty = Inflated::spawn(io::empty()).ok().unwrap();
        assert_eq!(read_all(&mut empty), (vec![], None));
    }

    #[test]
    fn an_error_comes_after_the_bytes_before_it() {
        let data: Vec<u8> = (0..BLOCK + 100).map(|i| (i % 7) as u8).collect();
        let failing = io::Cursor::new(data.clone()).chain(Fail);
        let mut r = Inflated::spawn(failing).ok().unwrap();
        assert_eq!(read_all(&mut r), (data, Some(io::ErrorKind::UnexpectedEof)));
        // And nothing after the error.
        assert_eq!(r.read(&mut [0u8; 10]).unwrap(), 0);
    }

    #[test]
    fn dropping_the_reader_ends_the_thread() {
        // An endless source: the thread must stop once the reader is gone
        // (drop joins it, so this test would hang otherwise).
        let mut r = Inflated::spawn(io::repeat(b'x')).ok().unwrap();
        let mut buf = [0u8; 100];
        assert_eq!(r.read(&mut buf).unwrap(), 100);
        drop(r);
    }

    struct Fail;
    impl Read for Fail {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::UnexpectedEof, "cut"))
        }
    }
}
