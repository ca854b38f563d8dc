//! The EVE output thread: alert events from the workers, the mirror
//! session's interface id added from the session map, one JSON object per
//! line in `eve.json` (written under a temporary name and renamed into
//! place at the end of the run).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};

use crate::config::SessionMap;
use crate::metrics::Metrics;
use crate::output::eve::{EveError, EveEvent, EveFile, EveLog};

/// What the EVE thread wrote.
#[derive(Debug, Clone, Default)]
pub struct EveReport {
    /// Alerts written.
    pub alerts: u64,
    /// Transaction events written.
    pub tx_events: u64,
    /// Where.
    pub path: Option<PathBuf>,
}

/// Starts the EVE thread on an already created file (so an unwritable
/// path fails the start, before any packet is read).
pub(crate) fn spawn_eve(
    file: EveFile,
    rx: Receiver<Vec<EveEvent>>,
    sessions: SessionMap,
    metrics: Metrics,
) -> std::io::Result<JoinHandle<Result<EveReport, EveError>>> {
    std::thread::Builder::new()
        .name("vxtap-eve".into())
        .spawn(move || {
            let mut file = file;
            for batch in rx.iter() {
                for mut ev in batch {
                    enrich(&sessions, &mut ev);
                    file.write_event(&ev)?;
                    if let EveEvent::Alert(_) = ev {
                        metrics.alerts_written.inc();
                    }
                }
            }
            let (alerts, tx_events) = (file.alerts(), file.tx_events());
            let path = file.close()?;
            Ok(EveReport {
                alerts,
                tx_events,
                path: Some(path),
            })
        })
}

/// Adds what the session map knows about the event's mirror session.
fn enrich(sessions: &SessionMap, ev: &mut EveEvent) {
    if let Some(m) = ev.mirror_mut() {
        let meta = sessions.lookup(m.vni, m.mirror_src);
        m.interface_id = meta.interface_id.as_deref().map(Arc::from);
    }
}

/// Starts the live EVE thread: appends and flushes every batch, reopens
/// the file when `reopen` is set (`SIGHUP`), and keeps running through
/// write errors (the alerts of a failed batch are counted as lost and the
/// file is opened again for the next one).
pub(crate) fn spawn_eve_live(
    log: EveLog,
    rx: Receiver<Vec<EveEvent>>,
    sessions: SessionMap,
    metrics: Metrics,
    reopen: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<Result<EveReport, EveError>>> {
    std::thread::Builder::new()
        .name("vxtap-eve".into())
        .spawn(move || {
            let mut log = log;
            let mut broken = false;
            loop {
                let batch = match rx.recv_timeout(Duration::from_millis(200)) {
                    Ok(b) => Some(b),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => break,
                };
                if reopen.swap(false, Ordering::AcqRel) || broken {
                    match log.reopen() {
                        Ok(()) => broken = false,
                        Err(e) => {
                            broken = true;
                            eprintln!("vxtap: eve.json: {e}");
                        }
                    }
                }
                let Some(batch) = batch else { continue };
                let n = batch
                    .iter()
                    .filter(|e| matches!(e, EveEvent::Alert(_)))
                    .count() as u64;
                let res = batch.into_iter().try_for_each(|mut ev| {
                    enrich(&sessions, &mut ev);
                    log.write_event(&ev)
                });
                match res.and_then(|()| log.flush()) {
                    Ok(()) => metrics.alerts_written.inc_by(n),
                    Err(e) => {
                        metrics.alerts_lost.inc_by(n);
                        broken = true;
                        eprintln!("vxtap: eve.json: {e}");
                    }
                }
            }
            let (alerts, tx_events) = (log.alerts(), log.tx_events());
            let path = log.close()?;
            Ok(EveReport {
                alerts,
                tx_events,
                path: Some(path),
            })
        })
}
