//! vxtap: a traffic-mirroring packet inspection appliance.
//!
//! AWS VPC Traffic Mirroring delivers copies of an interface's packets
//! VXLAN-encapsulated on UDP 4789 (a Gateway Load Balancer sends GENEVE on
//! 6081). vxtap reads them from captures (or, later, sockets), strips the
//! mirror tunnel, rebuilds flows on worker threads and writes records with
//! the exact semantics of AWS VPC Flow Logs; with rules, it inspects the
//! same packets with Suricata's rule language and writes EVE alerts.
//!
//! The packet path, one module per stage, dependencies pointing downstream:
//!
//! ```text
//! capture  → decap  → dispatch → flow  → output
//! (files)    (wire)   (hash,     (table,  (flow-log text, S3 layout)
//! receive             batches)   records)
//! (sockets)                   → ids    → output::eve
//!                               (detect, stream, defrag)
//! ```
#![deny(unsafe_code)]

pub mod applayer;
pub mod capture;
pub mod cli;
pub mod config;
pub mod correlate;
pub mod decap;
pub mod defrag;
pub mod detect;
pub mod dispatch;
pub mod flow;
pub mod flowlogs;
pub mod ids;
pub mod metrics;
pub mod output;
pub mod pipeline;
pub mod receive;
pub mod send;
pub mod serve;
pub mod stream;
pub mod wire;
