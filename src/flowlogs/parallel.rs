//! Files in parallel with output in file order: worker threads claim files
//! in order and queue what they emit in a reorder buffer; the calling thread
//! consumes file 0's messages, then file 1's, … A worker ahead of the file
//! being consumed keeps going while the messages buffered for all files
//! stay within a byte cap ([`run_ordered`]'s `buffer`); at the cap it
//! sleeps. The file being consumed may always queue a few messages beyond
//! the cap, so the consumer always makes progress. The workers are marked
//! [`WaitsForOutput`]: their large gzip objects get an inflate thread
//! each, so that the file being consumed has two cores while the workers
//! ahead of it sleep.

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use crossbeam_channel::bounded;

use super::source::WaitsForOutput;

/// Messages the file being consumed may queue beyond the byte cap.
const HEAD_BACKLOG: usize = 8;
/// Messages of the file being consumed that wake a waiting consumer (it
/// then takes all that are queued): a wake-up per few blocks, not per block.
const CONSUMER_WAKE: usize = 4;
/// In [`run_unordered`], messages buffered per worker.
const PER_WORKER_BACKLOG: usize = 4;

/// Runs `work(i, emit)` for every `i < n` on `threads` threads and hands each
/// emitted message to `consume(i, msg)` on the calling thread, in order of
/// `i` and, within a file, of emission. `emit` returns false once the consumer
/// stopped (`consume` returned `Break`); work should then return. With
/// `threads <= 1` everything runs on the calling thread.
///
/// Memory: the messages waiting to be consumed weigh at most `buffer` bytes
/// as counted by `size` (a block's capacity, say), plus up to twice
/// `HEAD_BACKLOG` messages of the file being consumed (a batch being
/// consumed, a backlog queued); each worker also holds the message it is
/// emitting.
pub fn run_ordered<T, S, W, C>(
    n: usize,
    threads: usize,
    buffer: usize,
    size: S,
    work: W,
    consume: C,
) where
    T: Send,
    S: Fn(&T) -> usize + Sync,
    W: Fn(usize, &mut dyn FnMut(T) -> bool) + Sync,
    C: FnMut(usize, T) -> ControlFlow<()>,
{
    ordered(n, threads, buffer, size, work, consume);
}

/// A claimed file's queued messages (with their sizes) and whether its
/// worker has finished it.
struct Slot<T> {
    queue: VecDeque<(T, usize)>,
    done: bool,
}

/// The reorder buffer: the files from the one being consumed (`head`) to
/// the last claimed, oldest first.
struct Window<T> {
    slots: VecDeque<Slot<T>>,
    head: usize,
    /// The next file to claim.
    next: usize,
    /// Bytes queued in all slots, and the cap.
    buffered: usize,
    cap: usize,
    /// The most bytes ever queued (for tests).
    peak: usize,
    /// Emptied queues, reused by later claims.
    spare: Vec<VecDeque<(T, usize)>>,
    /// Workers of later files waiting for room; whether the head's worker
    /// waits for room in its backlog; whether the consumer waits for a
    /// message.
    ahead_waiting: usize,
    head_waits: bool,
    consumer_waits: bool,
    stopped: bool,
}

impl<T> Window<T> {
    /// Workers of later files that found the buffer full are woken once it
    /// has drained to three quarters of the cap (or their file is next):
    /// they then queue a quarter of the cap in one go rather than a block
    /// per block the consumer takes (a wake-up per 256 KiB).
    fn drained(&self) -> bool {
        self.buffered <= self.cap - self.cap / 4
    }
}

/// The window and the wake-ups: of the head's worker, of the workers ahead
/// of it, of the consumer.
struct Shared<T> {
    window: Mutex<Window<T>>,
    head_room: Condvar,
    ahead_room: Condvar,
    consumer: Condvar,
}

/// Marks file `.1` finished when dropped: also when its work panics, so
/// that the consumer is not left waiting for it (the panic then reaches the
/// caller when the threads' scope ends, instead of the run hanging).
struct Finish<'a, T>(&'a Shared<T>, usize);

impl<T> Drop for Finish<'_, T> {
    fn drop(&mut self) {
        self.0.finish(self.1);
    }
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, Window<T>> {
        self.window.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next file for a worker, or `None` when all are claimed or the
    /// consumer stopped.
    fn claim(&self, n: usize) -> Option<usize> {
        let mut w = self.lock();
        if w.next >= n || w.stopped {
            return None;
        }
        let i = w.next;
        w.next += 1;
        let queue = w.spare.pop().unwrap_or_default();
        w.slots.push_back(Slot { queue, done: false });
        if w.consumer_waits {
            self.consumer.notify_one();
        }
        Some(i)
    }

    /// Queues `msg` (of `bytes`) for file `i` once there is room: within the
    /// cap, or among the first few of the file being consumed. False if the
    /// consumer stopped.
    fn push(&self, i: usize, msg: T, bytes: usize) -> bool {
        let mut w = self.lock();
        loop {
            if w.stopped {
                return false;
            }
            let head = i == w.head;
            let at = i - w.head;
            let room =
                w.buffered + bytes <= w.cap || (head && w.slots[at].queue.len() < HEAD_BACKLOG);
            if room {
                w.slots[at].queue.push_back((msg, bytes));
                w.buffered += bytes;
                w.peak = w.peak.max(w.buffered);
                if head && w.consumer_waits && w.slots[at].queue.len() >= CONSUMER_WAKE {
                    self.consumer.notify_one();
                }
                return true;
            }
            if head {
                w.head_waits = true;
                w = self.head_room.wait(w).unwrap_or_else(|p| p.into_inner());
                w.head_waits = false;
            } else {
                w.ahead_waiting += 1;
                w = self.ahead_room.wait(w).unwrap_or_else(|p| p.into_inner());
                w.ahead_waiting -= 1;
            }
        }
    }

    /// Marks file `i` as finished by its worker.
    fn finish(&self, i: usize) {
        let mut w = self.lock();
        let at = i - w.head;
        w.slots[at].done = true;
        if at == 0 && w.consumer_waits {
            self.consumer.notify_one();
        }
    }

    /// Counts `consumed` bytes as gone, then swaps the queued messages of
    /// the file being consumed into the empty `batch`; returns that file,
    /// or `None` when every file was consumed.
    fn next_batch(
        &self,
        n: usize,
        consumed: usize,
        batch: &mut VecDeque<(T, usize)>,
    ) -> Option<usize> {
        let mut w = self.lock();
        w.buffered -= consumed;
        if w.ahead_waiting > 0 && w.drained() {
            self.ahead_room.notify_all();
        }
        loop {
            let head = w.head;
            if let Some(slot) = w.slots.front_mut() {
                if !slot.queue.is_empty() {
                    std::mem::swap(&mut slot.queue, batch);
                    if w.head_waits {
                        self.head_room.notify_one();
                    }
                    return Some(head);
                }
                if slot.done {
                    if let Some(slot) = w.slots.pop_front() {
                        w.spare.push(slot.queue);
                    }
                    w.head += 1;
                    // The next file's worker may wait among those ahead.
                    if w.ahead_waiting > 0 {
                        self.ahead_room.notify_all();
                    }
                    continue;
                }
            } else if w.head >= n {
                return None;
            }
            w.consumer_waits = true;
            w = self.consumer.wait(w).unwrap_or_else(|p| p.into_inner());
            w.consumer_waits = false;
        }
    }

    /// Stops the run: every waiting and later `push` returns false.
    fn stop(&self) {
        let mut w = self.lock();
        w.stopped = true;
        self.head_room.notify_all();
        self.ahead_room.notify_all();
    }
}

/// [`run_ordered`], returning the most bytes the buffer ever held.
fn ordered<T, S, W, C>(
    n: usize,
    threads: usize,
    buffer: usize,
    size: S,
    work: W,
    mut consume: C,
) -> usize
where
    T: Send,
    S: Fn(&T) -> usize + Sync,
    W: Fn(usize, &mut dyn FnMut(T) -> bool) + Sync,
    C: FnMut(usize, T) -> ControlFlow<()>,
{
    if threads <= 1 {
        let mut stopped = false;
        for i in 0..n {
            work(i, &mut |msg| {
                stopped |= consume(i, msg).is_break();
                !stopped
            });
            if stopped {
                break;
            }
        }
        return 0;
    }
    let shared = Shared {
        window: Mutex::new(Window {
            slots: VecDeque::new(),
            head: 0,
            next: 0,
            buffered: 0,
            cap: buffer,
            peak: 0,
            spare: Vec::new(),
            ahead_waiting: 0,
            head_waits: false,
            consumer_waits: false,
            stopped: false,
        }),
        head_room: Condvar::new(),
        ahead_room: Condvar::new(),
        consumer: Condvar::new(),
    };
    std::thread::scope(|scope| {
        for _ in 0..threads.min(n) {
            let (shared, work, size) = (&shared, &work, &size);
            scope.spawn(move || {
                let _ahead = WaitsForOutput::start();
                while let Some(i) = shared.claim(n) {
                    let _finish = Finish(shared, i);
                    work(i, &mut |msg| {
                        let bytes = size(&msg);
                        shared.push(i, msg, bytes)
                    });
                }
            });
        }
        // The bytes of a batch stay counted until it is consumed.
        let (mut batch, mut consumed) = (VecDeque::new(), 0);
        'files: while let Some(i) = shared.next_batch(n, consumed, &mut batch) {
            consumed = 0;
            while let Some((msg, bytes)) = batch.pop_front() {
                consumed += bytes;
                if consume(i, msg).is_break() {
                    shared.stop();
                    break 'files;
                }
            }
        }
    });
    shared.lock().peak
}

/// Like [`run_ordered`], but messages are consumed as soon as they are
/// emitted, whatever their file: no worker waits for an earlier file, so
/// throughput scales with threads. Within a file, order is kept.
pub fn run_unordered<T, W, C>(n: usize, threads: usize, work: W, mut consume: C)
where
    T: Send,
    W: Fn(usize, &mut dyn FnMut(T) -> bool) + Sync,
    C: FnMut(usize, T) -> ControlFlow<()>,
{
    if threads <= 1 {
        return run_ordered(n, 1, 0, |_| 0, work, consume);
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = bounded::<(usize, T)>(PER_WORKER_BACKLOG * threads);
    std::thread::scope(|scope| {
        for _ in 0..threads.min(n) {
            let tx = tx.clone();
            let (next, stop, work) = (&next, &stop, &work);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n || stop.load(Ordering::Relaxed) {
                        return;
                    }
                    work(i, &mut |msg| tx.send((i, msg)).is_ok());
                }
            });
        }
        drop(tx);
        for (i, msg) in rx.iter() {
            if consume(i, msg).is_break() {
                stop.store(true, Ordering::Relaxed);
                break;
            }
        }
        drop(rx);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the test workers emit: a block of output or an error.
    #[derive(Debug, PartialEq)]
    enum Msg {
        Data(usize, usize),
        Error(usize, usize),
    }

    /// File `i`'s messages: a few dozen blocks with an error after every
    /// seventh from some files.
    fn messages(i: usize) -> Vec<Msg> {
        (0..(i % 5) * 9)
            .map(|j| {
                if i % 3 == 1 && j % 7 == 3 {
                    Msg::Error(i, j)
                } else {
                    Msg::Data(i, j)
                }
            })
            .collect()
    }

    /// The messages consumed with `threads` and a cap of `buffer` bytes
    /// (every message weighs 100), and the peak the buffer held.
    fn run(n: usize, threads: usize, buffer: usize) -> (Vec<(usize, Msg)>, usize) {
        let mut seen = Vec::new();
        let peak = ordered(
            n,
            threads,
            buffer,
            |_| 100,
            |i, emit| {
                for m in messages(i) {
                    if !emit(m) {
                        return;
                    }
                }
            },
            |i, msg| {
                seen.push((i, msg));
                ControlFlow::Continue(())
            },
        );
        (seen, peak)
    }

    #[test]
    fn order_and_errors_are_kept_for_any_thread_count_and_cap() {
        let want: Vec<_> = (0..20)
            .flat_map(|i| messages(i).into_iter().map(move |m| (i, m)))
            .collect();
        assert!(want.iter().any(|(_, m)| matches!(m, Msg::Error(..))));
        for threads in [1, 2, 3, 8] {
            for buffer in [0, 250, 1000, 1 << 20] {
                let (seen, _) = run(20, threads, buffer);
                assert_eq!(seen, want, "threads {threads}, buffer {buffer}");
            }
        }
        assert!(run(0, 4, 100).0.is_empty());
    }

    #[test]
    fn buffered_bytes_never_exceed_the_cap_plus_the_backlog() {
        // A slow consumer: every worker runs ahead to the cap.
        for threads in [2, 4] {
            for buffer in [0, 1000, 5000] {
                let live = AtomicUsize::new(0);
                let most = AtomicUsize::new(0);
                let mut consumed = 0;
                let peak = ordered(
                    12,
                    threads,
                    buffer,
                    |_: &usize| 100,
                    |_, emit| {
                        for j in 0..200 {
                            let now = live.fetch_add(100, Ordering::SeqCst) + 100;
                            most.fetch_max(now, Ordering::SeqCst);
                            if !emit(j) {
                                return;
                            }
                        }
                    },
                    |_, _| {
                        std::thread::yield_now();
                        live.fetch_sub(100, Ordering::SeqCst);
                        consumed += 1;
                        ControlFlow::Continue(())
                    },
                );
                assert_eq!(consumed, 12 * 200);
                let cap = buffer + 2 * HEAD_BACKLOG * 100;
                assert!(peak <= cap, "peak {peak} cap {cap}");
                // Seen from outside: also the message each worker holds and
                // the one being consumed.
                let most = most.load(Ordering::SeqCst);
                assert!(most <= cap + (threads + 1) * 100, "{most}");
            }
        }
    }

    #[test]
    fn a_later_file_runs_to_its_end_while_an_earlier_one_is_written() {
        // File 0 emits a block, then waits until file 1 has emitted all of
        // its 50 blocks: with room for them in the buffer this ends; with a
        // few blocks per file only, it would never end.
        let finished = AtomicBool::new(false);
        let mut seen = Vec::new();
        ordered(
            2,
            2,
            64 * 100,
            |_| 100,
            |i, emit| {
                if i == 0 {
                    if !emit(0) {
                        return;
                    }
                    while !finished.load(Ordering::SeqCst) {
                        std::thread::yield_now();
                    }
                    emit(1);
                } else {
                    for j in 0..50 {
                        if !emit(j) {
                            return;
                        }
                    }
                    finished.store(true, Ordering::SeqCst);
                }
            },
            |i, j| {
                seen.push((i, j));
                ControlFlow::Continue(())
            },
        );
        let want: Vec<_> = [(0, 0), (0, 1)]
            .into_iter()
            .chain((0..50).map(|j| (1, j)))
            .collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn unordered_keeps_order_within_a_file_and_loses_nothing() {
        for threads in [1, 2, 4] {
            let mut seen: Vec<Vec<usize>> = vec![Vec::new(); 10];
            run_unordered(
                10,
                threads,
                |i, emit| {
                    for j in 0..100 * i {
                        if !emit(j) {
                            return;
                        }
                    }
                },
                |i, j| {
                    seen[i].push(j);
                    ControlFlow::Continue(())
                },
            );
            for (i, s) in seen.iter().enumerate() {
                assert_eq!(*s, (0..100 * i).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn a_panicking_worker_ends_the_run_instead_of_hanging_it() {
        for (threads, ordered) in [(1, true), (2, true), (2, false)] {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let run = std::panic::catch_unwind(|| {
                    let work = |i: usize, emit: &mut dyn FnMut(usize) -> bool| {
                        assert!(i != 1, "worker panics on file 1");
                        emit(i);
                    };
                    let consume = |_: usize, _: usize| ControlFlow::Continue(());
                    if ordered {
                        run_ordered(3, threads, 0, |_| 1, work, consume);
                    } else {
                        run_unordered(3, threads, work, consume);
                    }
                });
                let _ = tx.send(run.is_err());
            });
            let panicked = rx.recv_timeout(std::time::Duration::from_secs(60));
            assert_eq!(panicked, Ok(true), "threads {threads}, ordered {ordered}");
        }
    }

    #[test]
    fn stopping_early_ends_the_workers() {
        // Also those waiting for room at the cap.
        for buffer in [0, 1000, 1 << 30] {
            let mut got = 0;
            run_ordered(
                100,
                4,
                buffer,
                |_| 100,
                |_, emit| {
                    for j in 0..1_000_000 {
                        if !emit(j) {
                            return;
                        }
                    }
                },
                |_, _| {
                    got += 1;
                    if got == 10 {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                },
            );
            assert_eq!(got, 10);
        }
    }
}
