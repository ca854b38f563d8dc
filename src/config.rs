//! Configuration (TOML, serde): tunnel ports, flow-table limits, output,
//! and the map from mirror session (VNI, optionally + mirror source
//! address) to AWS metadata. Every default is documented on its field;
//! unknown keys are errors that name the key and line.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use hashbrown::HashMap;
use serde::Deserialize;

use crate::flow::{FlowConfig, FlowRecord};
use crate::wire::Addr;

/// A configuration error, located.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// TOML syntax or a key/type error (the message names key, line and column).
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// toml's located message.
        message: String,
    },
    /// A value out of its allowed range.
    #[error("{path}: key `{key}`: {what}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Dotted key.
        key: String,
        /// What is wrong and what is allowed.
        what: String,
    },
}

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Tunnel ports.
    #[serde(default)]
    pub decap: DecapSection,
    /// Flow table.
    #[serde(default)]
    pub flow: FlowSection,
    /// Output.
    #[serde(default)]
    pub output: OutputSection,
    /// Worker threads (default: available cores).
    pub workers: Option<usize>,
    /// The live appliance (`vxtap serve`).
    #[serde(default)]
    pub serve: ServeSection,
    /// Mirror sessions: `[[session]]` tables.
    #[serde(default, rename = "session")]
    pub sessions: Vec<SessionConfig>,
    /// Traffic mirror filters in AWS's terms (`[[mirror-filter]]`), used by
    /// `vxtap correlate` to explain traffic logged but not mirrored.
    #[serde(default, rename = "mirror-filter")]
    pub mirror_filters: Vec<crate::correlate::filter::MirrorFilter>,
    /// IDS rules: `[rules]`.
    #[serde(default)]
    pub rules: RulesSection,
    /// EVE output: `[eve]`.
    #[serde(default)]
    pub eve: EveSection,
}

/// `[eve]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EveSection {
    /// Event types written to eve.json, as Suricata's `eve-log.types`:
    /// any of `alert`, `http`, `dns`, `tls`, `ssh` (default `["alert"]`;
    /// transaction events are opt-in).
    pub types: Option<Vec<String>>,
}

impl EveSection {
    /// The types (validated by [`Config::parse`]; an unknown name here
    /// falls back to the default).
    pub fn types(&self) -> crate::output::eve_tx::EveTypes {
        match &self.types {
            Some(t) => crate::output::eve_tx::EveTypes::from_names(t).unwrap_or_default(),
            None => crate::output::eve_tx::EveTypes::default(),
        }
    }
}

/// `[rules]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RulesSection {
    /// `[rules.vars]`: `address-groups` and `port-groups` tables overriding
    /// Suricata's stock values (names without `$`; the others keep their
    /// defaults, see [`crate::detect::rule::vars`]).
    pub vars: Option<crate::detect::RuleVars>,
    /// Rule files and directories (`serve` loads them at start and again
    /// on SIGHUP; `replay --rules` adds to them).
    #[serde(default)]
    pub files: Vec<std::path::PathBuf>,
    /// Track TCP connections picked up without their SYN (Suricata's
    /// `stream.midstream`, default false).
    pub midstream: Option<bool>,
    /// Bytes reassembled per TCP direction (Suricata's
    /// `stream.reassembly.depth`, default 1 MiB; 0: unlimited).
    pub stream_depth: Option<u32>,
    /// Reassembly memory for all workers together (default 256 MiB).
    pub stream_memcap: Option<usize>,
    /// Flows tracked by detection, all workers together (default 1,048,576).
    pub max_flows: Option<usize>,
}

impl RulesSection {
    /// Detection settings: Suricata's defaults overlaid with this section.
    pub fn ids_config(&self) -> crate::ids::IdsConfig {
        let mut c = crate::ids::IdsConfig::default();
        if let Some(m) = self.midstream {
            c.midstream = m;
        }
        if let Some(d) = self.stream_depth {
            c.stream.depth = d;
        }
        if let Some(m) = self.stream_memcap {
            c.stream_memcap = m;
        }
        if let Some(m) = self.max_flows {
            c.max_flows = m;
        }
        c
    }

    /// The effective variables: stock values overlaid with `[rules.vars]`.
    pub fn vars(&self) -> crate::detect::RuleVars {
        match &self.vars {
            Some(o) => crate::detect::RuleVars::with_overrides(o),
            None => crate::detect::RuleVars::default(),
        }
    }
}

/// `[decap]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DecapSection {
    /// UDP ports decapsulated as VXLAN (default `[4789]`, at most 4).
    #[serde(default = "default_vxlan")]
    pub vxlan_ports: Vec<u16>,
    /// UDP ports decapsulated as GENEVE (default `[6081]`, at most 4).
    #[serde(default = "default_geneve")]
    pub geneve_ports: Vec<u16>,
}

fn default_vxlan() -> Vec<u16> {
    vec![4789]
}
fn default_geneve() -> Vec<u16> {
    vec![6081]
}

impl Default for DecapSection {
    fn default() -> Self {
        DecapSection {
            vxlan_ports: default_vxlan(),
            geneve_ports: default_geneve(),
        }
    }
}

/// `[flow]`: see [`FlowConfig`] for each default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FlowSection {
    /// Aggregation interval, 1..=600 s (default 600).
    pub interval: Option<u64>,
    /// Flows per worker (default 1,000,000).
    pub max_flows: Option<usize>,
    /// Grace for late packets, seconds (default 30).
    pub grace: Option<u64>,
    /// TCP idle timeout, seconds (default 600).
    pub tcp_timeout: Option<u64>,
    /// UDP idle timeout, seconds (default 300).
    pub udp_timeout: Option<u64>,
    /// Other protocols' idle timeout, seconds (default 300).
    pub other_timeout: Option<u64>,
}

/// `[output]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OutputSection {
    /// `${…}` log format (default: AWS's default format).
    pub log_format: Option<String>,
    /// Uncompressed bytes after which a delivery file is closed early (default 64 MiB).
    pub max_file_bytes: Option<u64>,
    /// Objects written: `text` (default), `parquet` or `both`.
    pub format: Option<crate::output::OutputFormat>,
    /// Hive-compatible partition directories (default false).
    pub hive_partitions: Option<bool>,
    /// Where `vxtap serve` writes the S3 layout (default `out`; `replay` takes `--out`).
    pub dir: Option<PathBuf>,
}

/// `[serve]`: listeners, threads, queues, HTTP and health thresholds of
/// `vxtap serve`. Every default is on its field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServeSection {
    /// UDP listen addresses for VXLAN (default `["0.0.0.0:4789"]`; add
    /// `"[::]:4789"` for IPv6).
    #[serde(default = "default_vxlan_listen")]
    pub vxlan: Vec<SocketAddr>,
    /// UDP listen addresses for GENEVE (default `["0.0.0.0:6081"]`; `[]` for none).
    #[serde(default = "default_geneve_listen")]
    pub geneve: Vec<SocketAddr>,
    /// `/metrics` and `/healthz` (default `0.0.0.0:9090`; also the NLB health-check port).
    #[serde(default = "default_http")]
    pub http: SocketAddr,
    /// Sockets and receive threads per listen address, sharing the port
    /// with SO_REUSEPORT (default 1).
    #[serde(default = "one")]
    pub receive_threads: usize,
    /// Receive buffer asked for each socket, bytes (default 33554432 =
    /// 32 MiB; the kernel caps it at net.core.rmem_max unless vxtap has
    /// CAP_NET_ADMIN: see deploy/sysctl-vxtap.conf).
    #[serde(default = "default_receive_buffer")]
    pub receive_buffer_bytes: usize,
    /// Batches of 256 packets each worker queue holds before the receiver
    /// drops (counted as queue_full) (default 64).
    #[serde(default = "default_queue_batches")]
    pub queue_batches: usize,
    /// Chunks of up to 1024 records queued for the output thread; when
    /// they are all taken (output slower than the flow stage), workers wait,
    /// and then the receiver drops (default 64).
    #[serde(default = "default_output_queue")]
    pub output_queue_chunks: usize,
    /// Seconds a worker may sit on queued batches without progress before
    /// /healthz says 503 (default 5).
    #[serde(default = "default_stall")]
    pub stall_seconds: u64,
    /// Seconds the queues may stay full (dropping) before /healthz says 503
    /// (default 5).
    #[serde(default = "default_stall")]
    pub queue_full_seconds: u64,
    /// Most VNIs with their own vxtap_vni_* series; the rest count under
    /// vni="other" (default 256).
    #[serde(default = "default_vni_labels")]
    pub max_vni_labels: usize,
}

fn default_vxlan_listen() -> Vec<SocketAddr> {
    vec![SocketAddr::from(([0, 0, 0, 0], 4789))]
}
fn default_geneve_listen() -> Vec<SocketAddr> {
    vec![SocketAddr::from(([0, 0, 0, 0], 6081))]
}
fn default_http() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 9090))
}
fn one() -> usize {
    1
}
fn default_receive_buffer() -> usize {
    32 << 20
}
fn default_queue_batches() -> usize {
    crate::dispatch::QUEUE_BATCHES
}
fn default_output_queue() -> usize {
    64
}
fn default_stall() -> u64 {
    5
}
fn default_vni_labels() -> usize {
    256
}

impl Default for ServeSection {
    fn default() -> Self {
        ServeSection {
            vxlan: default_vxlan_listen(),
            geneve: default_geneve_listen(),
            http: default_http(),
            receive_threads: 1,
            receive_buffer_bytes: default_receive_buffer(),
            queue_batches: default_queue_batches(),
            output_queue_chunks: default_output_queue(),
            stall_seconds: default_stall(),
            queue_full_seconds: default_stall(),
            max_vni_labels: default_vni_labels(),
        }
    }
}

/// One `[[session]]`: what AWS knows about a mirror session's source ENI.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SessionConfig {
    /// The session's VNI.
    pub vni: u32,
    /// Restrict to packets from this mirror source (outer source address).
    pub mirror_source: Option<IpAddr>,
    /// The ENI's addresses besides the mirror source (for flow-direction).
    #[serde(default)]
    pub addresses: Vec<IpAddr>,
    /// AWS metadata.
    #[serde(flatten)]
    pub meta: SessionMeta,
}

/// AWS metadata of a session, rendered as-is (`-` when absent).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[allow(missing_docs)]
pub struct SessionMeta {
    pub account_id: Option<String>,
    pub interface_id: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    pub instance_id: Option<String>,
    pub region: Option<String>,
    pub az_id: Option<String>,
    pub sublocation_type: Option<String>,
    pub sublocation_id: Option<String>,
    /// Flow-log id used in delivered file names (default `fl-vxtap`).
    pub flow_log_id: Option<String>,
    pub ecs_cluster_arn: Option<String>,
    pub ecs_cluster_name: Option<String>,
    pub ecs_container_instance_arn: Option<String>,
    pub ecs_container_instance_id: Option<String>,
    pub ecs_container_id: Option<String>,
    pub ecs_second_container_id: Option<String>,
    pub ecs_service_name: Option<String>,
    pub ecs_task_definition_arn: Option<String>,
    pub ecs_task_arn: Option<String>,
    pub ecs_task_id: Option<String>,
    /// The ENI's own addresses (filled from `addresses`), not a TOML key.
    #[serde(skip)]
    pub eni_addresses: Vec<Addr>,
}

impl SessionMeta {
    /// `flow-direction` of a record: ingress when the destination is one of
    /// the interface's addresses (the mirror source plus configured ones),
    /// egress when the source is, `-` otherwise.
    pub fn direction(&self, r: &FlowRecord) -> &'static str {
        let is_eni =
            |a: crate::wire::Addr| r.mirror_src == Some(a) || self.eni_addresses.contains(&a);
        if is_eni(r.dst) {
            "ingress"
        } else if is_eni(r.src) {
            "egress"
        } else {
            "-"
        }
    }
}

/// VNI (+ mirror source) → metadata, looked up once per record.
#[derive(Debug, Clone, Default)]
pub struct SessionMap {
    exact: HashMap<(u32, Addr), SessionMeta>,
    by_vni: HashMap<u32, SessionMeta>,
    unknown: SessionMeta,
}

impl SessionMap {
    /// Builds the map from `[[session]]` tables.
    pub fn new(sessions: &[SessionConfig]) -> Self {
        let mut m = SessionMap::default();
        for s in sessions {
            let mut meta = s.meta.clone();
            meta.eni_addresses = s.addresses.iter().map(|&a| Addr::from(a)).collect();
            match s.mirror_source {
                Some(src) => {
                    m.exact.insert((s.vni, Addr::from(src)), meta);
                }
                None => {
                    m.by_vni.insert(s.vni, meta);
                }
            }
        }
        m
    }

    /// The metadata of a record's session (`-` everywhere when unknown).
    pub fn lookup(&self, vni: Option<u32>, mirror_src: Option<Addr>) -> &SessionMeta {
        let Some(vni) = vni else { return &self.unknown };
        if let Some(m) = mirror_src.and_then(|src| self.exact.get(&(vni, src))) {
            return m;
        }
        self.by_vni.get(&vni).unwrap_or(&self.unknown)
    }
}

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates configuration text (`path` only names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        let invalid = |key: &str, what: String| ConfigError::Invalid {
            path: path.to_owned(),
            key: key.into(),
            what,
        };
        if let Some(i) = cfg.flow.interval.filter(|i| !(1..=600).contains(i)) {
            return Err(invalid(
                "flow.interval",
                format!("{i} is outside 1..=600 seconds"),
            ));
        }
        if cfg.flow.max_flows == Some(0) {
            return Err(invalid("flow.max-flows", "must be at least 1".into()));
        }
        if cfg.workers == Some(0) {
            return Err(invalid("workers", "must be at least 1".into()));
        }
        let sv = &cfg.serve;
        for (key, v, range) in [
            ("serve.receive-threads", sv.receive_threads, 1..=64),
            ("serve.queue-batches", sv.queue_batches, 1..=65_536),
            (
                "serve.output-queue-chunks",
                sv.output_queue_chunks,
                1..=65_536,
            ),
            (
                "serve.receive-buffer-bytes",
                sv.receive_buffer_bytes,
                4096..=(1 << 31) - 1,
            ),
        ] {
            if !range.contains(&v) {
                return Err(invalid(
                    key,
                    format!("{v} is outside {}..={}", range.start(), range.end()),
                ));
            }
        }
        for (key, v) in [
            ("serve.stall-seconds", sv.stall_seconds),
            ("serve.queue-full-seconds", sv.queue_full_seconds),
        ] {
            if v == 0 {
                return Err(invalid(key, "must be at least 1 second".into()));
            }
        }
        if let Err(e) =
            crate::decap::DecapConfig::new(&cfg.decap.vxlan_ports, &cfg.decap.geneve_ports)
        {
            return Err(invalid("decap", e));
        }
        for (i, s) in cfg.sessions.iter().enumerate() {
            if s.vni > 0xFF_FFFF {
                return Err(invalid(
                    &format!("session[{i}].vni"),
                    format!("{} does not fit in 24 bits", s.vni),
                ));
            }
        }
        if let Err((key, what)) = crate::correlate::filter::validate(&cfg.mirror_filters) {
            return Err(invalid(&key, what));
        }
        if let Some(t) = &cfg.eve.types {
            crate::output::eve_tx::EveTypes::from_names(t)
                .map_err(|e| invalid("eve.types", e.to_string()))?;
        }
        if let Some(f) = &cfg.output.log_format {
            crate::output::LogFormat::parse(f)
                .map_err(|e| invalid("output.log-format", e.to_string()))?;
        }
        Ok(cfg)
    }

    /// Detection settings: `[rules]` over Suricata's defaults, and the EVE
    /// types of `[eve]`.
    pub fn ids_config(&self) -> crate::ids::IdsConfig {
        let mut c = self.rules.ids_config();
        c.eve_types = self.eve.types();
        c
    }

    /// The flow-stage settings with defaults filled in.
    pub fn flow_config(&self) -> FlowConfig {
        let d = FlowConfig::default();
        FlowConfig {
            interval: self.flow.interval.unwrap_or(d.interval),
            max_flows: self.flow.max_flows.unwrap_or(d.max_flows),
            grace: self.flow.grace.unwrap_or(d.grace),
            tcp_timeout: self.flow.tcp_timeout.unwrap_or(d.tcp_timeout),
            udp_timeout: self.flow.udp_timeout.unwrap_or(d.udp_timeout),
            other_timeout: self.flow.other_timeout.unwrap_or(d.other_timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_and_lookup() {
        let cfg = Config::parse(
            r#"
[flow]
interval = 60

[[session]]
vni = 1
account-id = "123456789012"
interface-id = "eni-0123456789abcdef0"
region = "us-east-1"

[[session]]
vni = 1
mirror-source = "10.0.9.9"
interface-id = "eni-other"
"#,
            Path::new("t.toml"),
        )
        .unwrap();
        assert_eq!(cfg.flow_config().interval, 60);
        let m = SessionMap::new(&cfg.sessions);
        assert_eq!(
            m.lookup(Some(1), None).interface_id.as_deref(),
            Some("eni-0123456789abcdef0")
        );
        let src = Addr::v4([10, 0, 9, 9]);
        assert_eq!(
            m.lookup(Some(1), Some(src)).interface_id.as_deref(),
            Some("eni-other")
        );
        assert_eq!(m.lookup(Some(2), None), &SessionMeta::default());
        assert_eq!(m.lookup(None, None), &SessionMeta::default());
    }

    #[test]
    fn rule_vars_override() {
        let cfg = Config::parse(
            "[rules.vars.address-groups]\nHOME_NET = \"[10.9.0.0/16]\"\n",
            Path::new("r.toml"),
        )
        .unwrap();
        let v = cfg.rules.vars();
        assert_eq!(v.address("HOME_NET"), Some("[10.9.0.0/16]"));
        assert_eq!(v.address("EXTERNAL_NET"), Some("!$HOME_NET"));
        assert_eq!(v.port("HTTP_PORTS"), Some("80"));
        assert_eq!(
            Config::default().rules.vars(),
            crate::detect::RuleVars::default()
        );
    }

    #[test]
    fn errors_name_key_and_line() {
        let e = Config::parse(
            "[flow]\ninterval = 60\nintervall = 5\n",
            Path::new("x.toml"),
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("x.toml") && msg.contains("line 3") && msg.contains("intervall"),
            "{msg}"
        );
        let e = Config::parse("[flow]\ninterval = 601\n", Path::new("x.toml")).unwrap_err();
        assert!(e.to_string().contains("flow.interval"), "{e}");
        let e = Config::parse("[[session]]\nvni = 16777216\n", Path::new("x.toml")).unwrap_err();
        assert!(e.to_string().contains("session[0].vni"), "{e}");
    }

    #[test]
    fn eve_types_are_validated() {
        let cfg =
            Config::parse("[eve]\ntypes = [\"alert\", \"dns\"]\n", Path::new("x.toml")).unwrap();
        let t = cfg.ids_config().eve_types;
        assert!(t.alert && t.dns && !t.http && !t.tls && !t.ssh);
        assert!(!Config::default().ids_config().eve_types.any_tx());
        let e = Config::parse(
            "[eve]\ntypes = [\"alert\", \"flow\"]\n",
            Path::new("x.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("eve.types") && e.contains("`flow`"), "{e}");
    }
}
