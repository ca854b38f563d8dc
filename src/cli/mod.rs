//! Command-line interface: one file per subcommand, `anyhow` only at this edge.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod config;
pub mod correlate;
pub mod flowlogs;
pub mod replay;
pub mod rules;
pub mod send;
pub mod serve;

/// vxtap: AWS traffic-mirroring inspection — VXLAN/GENEVE decapsulation, flow logs, IDS.
#[derive(Debug, Parser)]
#[command(name = "vxtap", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay pcap/pcapng captures offline and write VPC-Flow-Log records.
    Replay(replay::ReplayArgs),
    /// Read AWS VPC Flow Logs (S3 text, gzip, Parquet, CloudWatch): parse or summarise.
    Flowlogs(flowlogs::FlowlogsArgs),
    /// Run the live appliance: receive VXLAN/GENEVE on UDP, write flow logs, serve /metrics and /healthz.
    Serve(serve::ServeArgs),
    /// Send a capture's mirror traffic as UDP datagrams (VXLAN/GENEVE as captured, plain packets wrapped).
    Send(send::SendArgs),
    /// Check a configuration file.
    Config(config::ConfigArgs),
    /// Join AWS VPC Flow Logs with vxtap's records: matched, logged-not-mirrored,
    /// mirrored-not-logged, REJECTs, enriched EVE alerts, an HTML report.
    Correlate(correlate::CorrelateArgs),
    /// IDS rules (Suricata 7 syntax): `check` what loads, what is not enforced yet, what fails.
    Rules(rules::RulesArgs),
}

/// Parses the command line, runs the command and turns its result into an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Replay(args) => replay::run(args),
        Command::Flowlogs(args) => flowlogs::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Send(args) => send::run(args),
        Command::Config(args) => config::run(args),
        Command::Correlate(args) => correlate::run(args),
        Command::Rules(args) => rules::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("vxtap: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// `--log-format` over the config's `output.log-format` over AWS's default.
pub(crate) fn log_format(
    flag: Option<&String>,
    cfg: &crate::config::Config,
) -> anyhow::Result<crate::output::LogFormat> {
    use anyhow::Context;
    match flag.or(cfg.output.log_format.as_ref()) {
        Some(f) => crate::output::LogFormat::parse(f).context("--log-format"),
        None => Ok(crate::output::LogFormat::default()),
    }
}

/// `--workers` over the config's `workers` over the available cores.
pub(crate) fn workers(flag: Option<u64>, cfg: &crate::config::Config) -> usize {
    flag.map(|w| w as usize).or(cfg.workers).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
