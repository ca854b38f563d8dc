//! The health check behind `/healthz` (what an NLB target-group check
//! asks): healthy while receive threads run, workers keep up and the output
//! can be written. Pure logic over [`Snapshot`]s taken twice a second, so
//! it is tested with plain values.

use std::time::{Duration, Instant};

use crate::pipeline::Snapshot;

/// Thresholds (config `[serve]`).
#[derive(Debug, Clone, Copy)]
pub struct HealthConfig {
    /// A worker with queued batches and no progress for this long is stalled.
    pub stall_after: Duration,
    /// Dropping packets (queues full, or the kernel's receive buffers) or a
    /// queue at capacity for this long is unhealthy.
    pub queue_full_after: Duration,
}

/// The verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// 200.
    Ok,
    /// 503 with the reasons.
    Unhealthy(Vec<String>),
}

impl Health {
    /// Whether it is [`Health::Ok`].
    pub fn is_ok(&self) -> bool {
        matches!(self, Health::Ok)
    }

    /// The response body.
    pub fn body(&self) -> String {
        match self {
            Health::Ok => "ok\n".into(),
            Health::Unhealthy(r) => format!("unhealthy: {}\n", r.join("; ")),
        }
    }
}

/// Remembers what the last snapshots showed.
#[derive(Debug)]
pub struct HealthMonitor {
    cfg: HealthConfig,
    /// Per worker: progress last seen and when it last changed.
    progress: Vec<(u64, Instant)>,
    drops: u64,
    full_since: Option<Instant>,
}

impl HealthMonitor {
    /// A monitor with nothing seen yet.
    pub fn new(cfg: HealthConfig) -> Self {
        HealthMonitor {
            cfg,
            progress: Vec::new(),
            drops: 0,
            full_since: None,
        }
    }

    /// Takes in a snapshot taken at `now` and says how things are.
    pub fn observe(&mut self, now: Instant, s: &Snapshot) -> Health {
        let mut reasons = Vec::new();
        if self.progress.len() != s.workers.len() {
            self.progress = s.workers.iter().map(|&(_, done)| (done, now)).collect();
        }
        let mut at_capacity = false;
        for (i, (&(queued, done), seen)) in s.workers.iter().zip(&mut self.progress).enumerate() {
            if done != seen.0 || queued == 0 {
                *seen = (done, now);
            }
            let idle = now.duration_since(seen.1);
            if queued > 0 && idle >= self.cfg.stall_after {
                reasons.push(format!(
                    "worker {i} stalled: {queued} batches queued, no progress for {:.1} s",
                    idle.as_secs_f64()
                ));
            }
            at_capacity |= queued >= s.queue_capacity && s.queue_capacity > 0;
        }
        let drops = s.queue_full_drops + s.kernel_drops;
        let dropping = drops > self.drops;
        self.drops = drops;
        if dropping || at_capacity {
            let since = *self.full_since.get_or_insert(now);
            let full_for = now.duration_since(since);
            if full_for >= self.cfg.queue_full_after {
                reasons.push(format!(
                    "overloaded for {:.1} s: queues full or dropping ({} dropped queue_full, {} dropped by the kernel so far)",
                    full_for.as_secs_f64(),
                    s.queue_full_drops,
                    s.kernel_drops
                ));
            }
        } else {
            self.full_since = None;
        }
        for r in &s.receivers_stopped {
            reasons.push(format!("receiver {r} stopped"));
        }
        if let Some(e) = &s.output_error {
            reasons.push(format!("output cannot be written: {e}"));
        }
        if reasons.is_empty() {
            Health::Ok
        } else {
            Health::Unhealthy(reasons)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> HealthConfig {
        HealthConfig {
            stall_after: Duration::from_secs(5),
            queue_full_after: Duration::from_secs(3),
        }
    }

    fn snap(workers: &[(usize, u64)], drops: u64) -> Snapshot {
        Snapshot {
            workers: workers.to_vec(),
            queue_capacity: 64,
            queue_full_drops: drops,
            ..Snapshot::default()
        }
    }

    #[test]
    fn idle_is_healthy_and_a_stuck_worker_is_not() {
        let t0 = Instant::now();
        let s = |secs| t0 + Duration::from_secs(secs);
        let mut m = HealthMonitor::new(cfg());
        assert_eq!(m.observe(s(0), &snap(&[(0, 0), (0, 0)], 0)), Health::Ok);
        // No traffic for a long time: nothing queued, still healthy.
        assert_eq!(m.observe(s(60), &snap(&[(0, 0), (0, 0)], 0)), Health::Ok);
        // Worker 1 has work and makes none of it for 5 s.
        assert!(m.observe(s(61), &snap(&[(0, 0), (3, 7)], 0)).is_ok());
        assert!(m.observe(s(65), &snap(&[(0, 0), (9, 7)], 0)).is_ok());
        let h = m.observe(s(66), &snap(&[(0, 0), (12, 7)], 0));
        assert_eq!(
            h,
            Health::Unhealthy(vec![
                "worker 1 stalled: 12 batches queued, no progress for 5.0 s".into()
            ])
        );
        assert!(h.body().starts_with("unhealthy: worker 1 stalled"));
        // It moves again.
        assert_eq!(m.observe(s(67), &snap(&[(0, 0), (4, 8)], 0)), Health::Ok);
    }

    #[test]
    fn queues_full_for_a_while() {
        let t0 = Instant::now();
        let s = |secs| t0 + Duration::from_secs(secs);
        let mut m = HealthMonitor::new(cfg());
        assert!(m.observe(s(0), &snap(&[(1, 1)], 0)).is_ok());
        // Drops grow at every look: full since t=1.
        assert!(m.observe(s(1), &snap(&[(64, 2)], 256)).is_ok());
        assert!(m.observe(s(3), &snap(&[(64, 3)], 512)).is_ok());
        let h = m.observe(s(4), &snap(&[(10, 4)], 768));
        assert!(
            matches!(&h, Health::Unhealthy(r) if r.len() == 1 && r[0].contains("overloaded for 3.0 s")),
            "{h:?}"
        );
        // A look without new drops and below capacity: recovered.
        assert!(m.observe(s(5), &snap(&[(2, 9)], 768)).is_ok());
        // Kernel drops count as overload too.
        let mut k = snap(&[(0, 9)], 768);
        for t in 6..=9 {
            k.kernel_drops += 100;
            let h = m.observe(s(t), &k);
            assert_eq!(h.is_ok(), t < 9, "at {t}: {h:?}");
        }
    }

    #[test]
    fn receivers_and_output() {
        let mut m = HealthMonitor::new(cfg());
        let mut sn = snap(&[(0, 0)], 0);
        sn.receivers_stopped = vec!["vxlan 0.0.0.0:4789".into()];
        sn.output_error = Some("out: Permission denied".into());
        let h = m.observe(Instant::now(), &sn);
        assert_eq!(
            h.body(),
            "unhealthy: receiver vxlan 0.0.0.0:4789 stopped; output cannot be written: out: Permission denied\n"
        );
    }
}
