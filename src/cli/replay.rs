//! `vxtap replay`: offline replay of captures into flow-log records.

use std::process::ExitCode;

/// Arguments of `vxtap replay`.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {}

/// Runs `vxtap replay`.
pub fn run(_args: ReplayArgs) -> anyhow::Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}
