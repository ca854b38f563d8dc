//! `vxtap send`: replay a capture's mirror traffic as UDP datagrams.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;

use crate::decap::DecapConfig;
use crate::send::{SendOptions, SendReport, load, send};

/// Arguments of `vxtap send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// pcap/pcapng files or directories.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Where VXLAN payloads (and wrapped plain packets) go.
    #[arg(long)]
    pub to: SocketAddr,
    /// Where GENEVE payloads go. Default: --to.
    #[arg(long)]
    pub geneve_to: Option<SocketAddr>,
    /// Local address to send from: the mirror source serve sees (e.g. 127.0.0.2:0).
    #[arg(long)]
    pub bind: Option<SocketAddr>,
    /// Datagrams per second. Default: as fast as possible.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub rate: Option<u64>,
    /// Send the capture N times.
    #[arg(long = "loop", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub loops: u64,
    /// VNI of plain (untunnelled) packets, which are wrapped in VXLAN as AWS does.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=0xFF_FFFF))]
    pub vni: u32,
    /// UDP port recognised as VXLAN in the capture (repeatable, replaces 4789).
    #[arg(long = "vxlan-port")]
    pub vxlan_ports: Vec<u16>,
    /// UDP port recognised as GENEVE in the capture (repeatable, replaces 6081).
    #[arg(long = "geneve-port")]
    pub geneve_ports: Vec<u16>,
}

/// Runs `vxtap send`; the summary line goes to stdout.
pub fn run(args: SendArgs) -> anyhow::Result<ExitCode> {
    let vx = if args.vxlan_ports.is_empty() {
        vec![4789]
    } else {
        args.vxlan_ports.clone()
    };
    let gn = if args.geneve_ports.is_empty() {
        vec![6081]
    } else {
        args.geneve_ports.clone()
    };
    let decap = match DecapConfig::new(&vx, &gn) {
        Ok(d) => d,
        Err(e) => bail!("tunnel ports: {e}"),
    };
    let opts = SendOptions {
        inputs: args.inputs,
        to: args.to,
        geneve_to: args.geneve_to,
        bind: args.bind,
        rate: args.rate,
        loops: args.loops,
        vni: args.vni,
        decap,
    };
    let mut report = SendReport::default();
    let data = load(&opts, &mut report)?;
    for e in &report.capture_errors {
        eprintln!("vxtap: warning: {e}");
    }
    send(&opts, &data, &mut report)?;
    println!("{}", report.line(&opts));
    if report.errors > 0 {
        eprintln!(
            "vxtap send: {} send calls failed (is anything listening on {}?)",
            report.errors, opts.to
        );
    }
    Ok(if report.capture_errors.is_empty() && report.errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
