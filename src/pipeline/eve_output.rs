//! The EVE output thread: alert events from the workers, the mirror
//! session's interface id added from the session map, one JSON object per
//! line in `eve.json` (written under a temporary name and renamed into
//! place at the end of the run).

use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::Receiver;

use crate::config::SessionMap;
use crate::metrics::Metrics;
use crate::output::eve::{AlertEvent, EveError, EveFile};

/// What the EVE thread wrote.
#[derive(Debug, Clone, Default)]
pub struct EveReport {
    /// Alerts written.
    pub alerts: u64,
    /// Where.
    pub path: Option<PathBuf>,
}

/// Starts the EVE thread on an already created file (so an unwritable
/// path fails the start, before any packet is read).
pub(crate) fn spawn_eve(
    file: EveFile,
    rx: Receiver<Vec<AlertEvent>>,
    sessions: SessionMap,
    metrics: Metrics,
) -> std::io::Result<JoinHandle<Result<EveReport, EveError>>> {
    std::thread::Builder::new()
        .name("vxtap-eve".into())
        .spawn(move || {
            let mut file = file;
            for batch in rx.iter() {
                for mut ev in batch {
                    if let Some(m) = ev.mirror.as_mut() {
                        let meta = sessions.lookup(m.vni, m.mirror_src);
                        m.interface_id = meta.interface_id.as_deref().map(Arc::from);
                    }
                    file.write(&ev)?;
                    metrics.alerts_written.inc();
                }
            }
            let alerts = file.alerts();
            let path = file.close()?;
            Ok(EveReport {
                alerts,
                path: Some(path),
            })
        })
}
