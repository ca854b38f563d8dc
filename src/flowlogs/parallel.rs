//! Files in parallel with output in file order: worker threads claim files
//! in order and stream results through small bounded channels; the calling
//! thread consumes file 0's results, then file 1's, … Memory stays bounded
//! (a few messages per worker) and the lowest unfinished file is always being
//! worked on, so the consumer always makes progress.

use std::ops::ControlFlow;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crossbeam_channel::{Receiver, bounded, unbounded};

/// Messages buffered per file before its worker waits for the consumer.
const PER_FILE_BACKLOG: usize = 4;

/// Runs `work(i, emit)` for every `i < n` on `threads` threads and hands each
/// emitted message to `consume(i, msg)` on the calling thread, in order of
/// `i` and, within a file, of emission. `emit` returns false once the consumer
/// stopped (`consume` returned `Break`); work should then return. With
/// `threads <= 1` everything runs on the calling thread.
pub fn run_ordered<T, W, C>(n: usize, threads: usize, work: W, mut consume: C)
where
    T: Send,
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
                return;
            }
        }
        return;
    }
    let next = Mutex::new(0usize);
    let stop = AtomicBool::new(false);
    let (claims_tx, claims_rx) = unbounded::<(usize, Receiver<T>)>();
    std::thread::scope(|scope| {
        for _ in 0..threads.min(n) {
            let claims_tx = claims_tx.clone();
            let (next, stop, work) = (&next, &stop, &work);
            scope.spawn(move || {
                loop {
                    let (i, tx) = {
                        let mut guard = next.lock().unwrap_or_else(|p| p.into_inner());
                        if *guard >= n || stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let i = *guard;
                        *guard += 1;
                        let (tx, rx) = bounded(PER_FILE_BACKLOG);
                        if claims_tx.send((i, rx)).is_err() {
                            return;
                        }
                        (i, tx)
                    };
                    work(i, &mut |msg| tx.send(msg).is_ok());
                }
            });
        }
        drop(claims_tx);
        'files: for (i, rx) in claims_rx.iter() {
            for msg in rx.iter() {
                if consume(i, msg).is_break() {
                    stop.store(true, Ordering::Relaxed);
                    break 'files;
                }
            }
        }
        // Dropping the receivers makes every pending `emit` return false.
        drop(claims_rx);
    });
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
        return run_ordered(n, 1, work, consume);
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = bounded::<(usize, T)>(PER_FILE_BACKLOG * threads);
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

    #[test]
    fn order_is_kept_for_any_thread_count() {
        for threads in [1, 2, 3, 8] {
            let mut seen = Vec::new();
            run_ordered(
                20,
                threads,
                |i, emit| {
                    for j in 0..(i % 5) * 7 {
                        if !emit((i, j)) {
                            return;
                        }
                    }
                },
                |i, msg| {
                    assert_eq!(i, msg.0);
                    seen.push(msg);
                    ControlFlow::Continue(())
                },
            );
            let want: Vec<_> = (0..20)
                .flat_map(|i| (0..(i % 5) * 7).map(move |j| (i, j)))
                .collect();
            assert_eq!(seen, want, "threads {threads}");
        }
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
    fn stopping_early_ends_the_workers() {
        let mut got = 0;
        run_ordered(
            100,
            4,
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
