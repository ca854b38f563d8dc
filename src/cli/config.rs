//! `vxtap config check FILE`: validate a configuration without starting.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;

/// Arguments of `vxtap config`.
#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

/// `vxtap config` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Parse and validate FILE; errors name the key and line (exit 2).
    Check {
        /// The TOML file.
        file: PathBuf,
    },
}

/// Runs `vxtap config`.
pub fn run(args: ConfigArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ConfigCommand::Check { file } => {
            let cfg = Config::load(&file)?;
            let list = |v: &[std::net::SocketAddr]| {
                v.iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            println!(
                "{}: ok: {} session(s); serve: vxlan [{}], geneve [{}], http {}, {} receive thread(s) per address, workers {}",
                file.display(),
                cfg.sessions.len(),
                list(&cfg.serve.vxlan),
                list(&cfg.serve.geneve),
                cfg.serve.http,
                cfg.serve.receive_threads,
                cfg.workers
                    .map_or_else(|| "= cores".to_string(), |w| w.to_string()),
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
