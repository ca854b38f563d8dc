//! `vxtap` command-line entry point: parse flags, run, map the result to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    vxtap::cli::main()
}
