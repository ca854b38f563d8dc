//! `vxtap serve`: the live appliance. The packet path runs on plain
//! threads ([`crate::pipeline::Live`]); this module adds the edges on one
//! small current-thread tokio runtime: the HTTP endpoints ([`http`]), the
//! health verdict ([`health`], refreshed twice a second) and signals —
//! `SIGTERM`/`SIGINT` stop receiving, drain, flush every open flow and close
//! files atomically; `SIGHUP` reopens the outputs without stopping packets
//! and reloads the rules (compiled off the packet path, then swapped in
//! atomically; a rule set that fails to load keeps the running one).

pub mod health;
pub mod http;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::signal::unix::{SignalKind, signal};

use crate::metrics::Metrics;
use crate::pipeline::{Live, LiveError, LiveOptions, LiveReport};
use health::{Health, HealthConfig, HealthMonitor};

/// How often the health verdict is refreshed.
pub const HEALTH_EVERY: Duration = Duration::from_millis(500);

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The packet path.
    pub live: LiveOptions,
    /// `/metrics` and `/healthz` listen address.
    pub http: SocketAddr,
    /// Health thresholds.
    pub health: HealthConfig,
    /// Rule files and directories reloaded on `SIGHUP` (empty: no detection).
    pub rule_paths: Vec<std::path::PathBuf>,
    /// The configuration rules are reloaded with (`[rules.vars]`).
    pub config: crate::config::Config,
}

/// Why `serve` could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The HTTP address is taken.
    #[error(
        "cannot listen for HTTP on TCP {addr}: the address is in use by another process; \
         stop it or choose another address (--http or serve.http in the config)"
    )]
    HttpInUse {
        /// The address.
        addr: SocketAddr,
    },
    /// Another HTTP listener error.
    #[error("cannot listen for HTTP on TCP {addr}: {source}")]
    Http {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The runtime or the signal handlers could not start.
    #[error("cannot start the control runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The packet path.
    #[error(transparent)]
    Live(#[from] LiveError),
}

/// Where things listen once started (passed to the caller's `ready`).
#[derive(Debug, Clone)]
pub struct Started {
    /// The tunnel listeners.
    pub listeners: Vec<crate::pipeline::live::ListenerInfo>,
    /// The HTTP address actually bound.
    pub http: SocketAddr,
}

/// Runs until `SIGTERM` or `SIGINT`, then shuts down cleanly. `ready` is
/// called once everything listens and the signal handlers are in place.
pub fn run(
    opts: &ServeOptions,
    metrics: &Metrics,
    ready: impl FnOnce(&Started),
) -> Result<LiveReport, ServeError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .thread_name("vxtap-control")
        .build()
        .map_err(ServeError::Runtime)?;
    let http = std::net::TcpListener::bind(opts.http).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AddrInUse {
            ServeError::HttpInUse { addr: opts.http }
        } else {
            ServeError::Http {
                addr: opts.http,
                source,
            }
        }
    })?;
    let http_addr = http.local_addr().unwrap_or(opts.http);
    http.set_nonblocking(true)
        .map_err(|source| ServeError::Http {
            addr: opts.http,
            source,
        })?;
    let (mut term, mut int, mut hup) = {
        let _guard = rt.enter();
        (
            signal(SignalKind::terminate()).map_err(ServeError::Runtime)?,
            signal(SignalKind::interrupt()).map_err(ServeError::Runtime)?,
            signal(SignalKind::hangup()).map_err(ServeError::Runtime)?,
        )
    };
    let live = Live::start(&opts.live, metrics)?;
    let probe = live.probe();
    let state = Arc::new(http::HttpState {
        probe: probe.clone(),
        health: Mutex::new(Health::Ok),
    });
    ready(&Started {
        listeners: live.listeners.clone(),
        http: http_addr,
    });
    let health_cfg = opts.health;
    rt.block_on(async {
        let listener =
            tokio::net::TcpListener::from_std(http).map_err(|source| ServeError::Http {
                addr: http_addr,
                source,
            })?;
        tokio::spawn(http::serve(listener, state.clone()));
        let st = state.clone();
        tokio::spawn(async move {
            let mut monitor = HealthMonitor::new(health_cfg);
            let mut tick = tokio::time::interval(HEALTH_EVERY);
            loop {
                tick.tick().await;
                let h = monitor.observe(Instant::now(), &st.probe.snapshot());
                st.probe.live.healthy.set(h.is_ok() as i64);
                if let Ok(mut g) = st.health.lock() {
                    *g = h;
                }
            }
        });
        loop {
            tokio::select! {
                _ = term.recv() => break,
                _ = int.recv() => break,
                _ = hup.recv() => {
                    probe.reopen();
                    reload_rules(&probe, &opts.rule_paths, &opts.config);
                }
            }
        }
        Ok::<(), ServeError>(())
    })?;
    drop(rt);
    Ok(live.shutdown()?)
}

/// Loads the rule files again on a thread of its own and swaps the new set
/// in; the workers pick it up at their next batch. A failure (unreadable
/// path) keeps the running set and is counted and reported.
fn reload_rules(
    probe: &crate::pipeline::LiveProbe,
    paths: &[std::path::PathBuf],
    cfg: &crate::config::Config,
) {
    let Some(handle) = probe.rules.clone() else {
        return;
    };
    let (paths, cfg, metrics) = (paths.to_vec(), cfg.clone(), probe.metrics.clone());
    let spawned = std::thread::Builder::new()
        .name("vxtap-rules-reload".into())
        .spawn(
            move || match crate::cli::rules::load_rule_set(&paths, &cfg, false) {
                Ok(set) => {
                    let n = set.sigs.len();
                    let generation = handle.replace(set);
                    metrics.rules_loaded.set(n as i64);
                    metrics.rule_loads.with_label_values(&["ok"]).inc();
                    eprintln!("vxtap serve: rules reloaded: {n} rules (generation {generation})");
                }
                Err(e) => {
                    metrics.rule_loads.with_label_values(&["failed"]).inc();
                    eprintln!("vxtap serve: rules not reloaded, the running set stays: {e:#}");
                }
            },
        );
    if let Err(e) = spawned {
        eprintln!("vxtap serve: cannot start the rule reload: {e}");
    }
}
