//! The series only the live appliance has, registered in the same registry
//! as the packet-path counters ([`crate::metrics::Metrics`]): receive
//! counters per listener, per-VNI counters (bounded label set), queue
//! depth, worker progress, sampled stage latencies, output health, build
//! info. Names follow Prometheus conventions (`_total` counters, seconds
//! and bytes as base units).

use prometheus::{
    HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};

use crate::metrics::Metrics;
use crate::receive::ListenerCounters;

/// Live-only series.
#[derive(Clone)]
pub struct LiveMetrics {
    /// Datagrams received, by listener.
    pub datagrams: IntCounterVec,
    /// UDP payload bytes received, by listener.
    pub bytes: IntCounterVec,
    /// Datagrams cut because they exceeded a receive slot, by listener.
    pub truncated: IntCounterVec,
    /// Datagrams the kernel dropped (receive buffer full), by listener.
    pub kernel_dropped: IntCounterVec,
    /// Failed receive calls, by listener.
    pub receive_errors: IntCounterVec,
    /// Receive buffer granted per socket, by listener.
    pub receive_buffer: IntGaugeVec,
    /// Packets decoded, by VNI (bounded).
    pub vni_packets: IntCounterVec,
    /// Datagram bytes of those packets, by VNI (bounded).
    pub vni_bytes: IntCounterVec,
    /// Batches waiting in each worker's queue.
    pub queue_depth: IntGaugeVec,
    /// Batches each worker queue holds at most.
    pub queue_capacity: IntGauge,
    /// Batches processed, by worker.
    pub worker_batches: IntCounterVec,
    /// Sampled per-stage latencies.
    pub stage_seconds: HistogramVec,
    /// Output write failures.
    pub output_errors: IntCounter,
    /// Records lost because the output could not be written.
    pub records_lost: IntCounter,
    /// Output reopenings (SIGHUP).
    pub output_reopens: IntCounter,
    /// 1 when /healthz answers 200.
    pub healthy: IntGauge,
}

fn reg<T: prometheus::core::Collector + Clone + 'static>(r: &Registry, c: T) -> T {
    r.register(Box::new(c.clone())).expect("registered once");
    c
}

fn counter_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    reg(
        r,
        IntCounterVec::new(Opts::new(name, help), labels).expect("valid"),
    )
}

fn gauge_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    reg(
        r,
        IntGaugeVec::new(Opts::new(name, help), labels).expect("valid"),
    )
}

const LISTENER: &[&str] = &["tunnel", "listen"];

impl LiveMetrics {
    /// Registers the live series in `m`'s registry (once per registry).
    pub fn register(m: &Metrics) -> Self {
        let r = &m.registry;
        let build = gauge_vec(
            r,
            "vxtap_build_info",
            "vxtap build: version label, value 1",
            &["version"],
        );
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        let lm = LiveMetrics {
            datagrams: counter_vec(
                r,
                "vxtap_received_datagrams_total",
                "UDP datagrams received",
                LISTENER,
            ),
            bytes: counter_vec(
                r,
                "vxtap_received_bytes_total",
                "UDP payload bytes received",
                LISTENER,
            ),
            truncated: counter_vec(
                r,
                "vxtap_received_truncated_total",
                "Datagrams larger than a receive slot (9216 bytes), cut and still decoded",
                LISTENER,
            ),
            kernel_dropped: counter_vec(
                r,
                "vxtap_kernel_dropped_total",
                "Datagrams the kernel dropped because the socket receive buffer was full (SO_RXQ_OVFL)",
                LISTENER,
            ),
            receive_errors: counter_vec(
                r,
                "vxtap_receive_errors_total",
                "Failed receive calls",
                LISTENER,
            ),
            receive_buffer: gauge_vec(
                r,
                "vxtap_receive_buffer_bytes",
                "Receive buffer granted to each socket (SO_RCVBUF)",
                LISTENER,
            ),
            vni_packets: counter_vec(
                r,
                "vxtap_vni_packets_total",
                "Packets decoded per VNI (the first serve.max-vni-labels VNIs; the rest under vni=\"other\")",
                &["vni"],
            ),
            vni_bytes: counter_vec(
                r,
                "vxtap_vni_bytes_total",
                "Datagram bytes per VNI (bounded like vxtap_vni_packets_total)",
                &["vni"],
            ),
            queue_depth: gauge_vec(
                r,
                "vxtap_queue_depth_batches",
                "Batches waiting in a worker's queue",
                &["worker"],
            ),
            queue_capacity: reg(
                r,
                IntGauge::new(
                    "vxtap_queue_capacity_batches",
                    "Batches a worker queue holds (256 packets each)",
                )
                .expect("valid"),
            ),
            worker_batches: counter_vec(
                r,
                "vxtap_worker_batches_total",
                "Batches processed by a flow worker",
                &["worker"],
            ),
            stage_seconds: reg(
                r,
                HistogramVec::new(
                    HistogramOpts::new(
                        "vxtap_stage_seconds",
                        "Sampled latency of a pipeline stage (1 batch in 16): decode = decap+dispatch of one receive batch, queue = arrival to worker, flow = one worker batch, output = one record write",
                    )
                    .buckets(prometheus::exponential_buckets(1e-6, 4.0, 12).expect("valid")),
                    &["stage"],
                )
                .expect("valid"),
            ),
            output_errors: reg(
                r,
                IntCounter::new("vxtap_output_errors_total", "Output write failures")
                    .expect("valid"),
            ),
            records_lost: reg(
                r,
                IntCounter::new(
                    "vxtap_records_lost_total",
                    "Records lost because the output could not be written",
                )
                .expect("valid"),
            ),
            output_reopens: reg(
                r,
                IntCounter::new(
                    "vxtap_output_reopens_total",
                    "Output reopenings (SIGHUP)",
                )
                .expect("valid"),
            ),
            healthy: reg(
                r,
                IntGauge::new("vxtap_healthy", "1 when /healthz answers 200, else 0")
                    .expect("valid"),
            ),
        };
        for s in ["decode", "queue", "flow", "output"] {
            lm.stage_seconds.with_label_values(&[s]);
        }
        lm
    }

    /// The counters of one listener.
    pub fn listener(&self, tunnel: &str, listen: &str) -> ListenerCounters {
        let l = [tunnel, listen];
        ListenerCounters {
            datagrams: self.datagrams.with_label_values(&l),
            bytes: self.bytes.with_label_values(&l),
            truncated: self.truncated.with_label_values(&l),
            kernel_dropped: self.kernel_dropped.with_label_values(&l),
            errors: self.receive_errors.with_label_values(&l),
        }
    }
}
