//! Listening UDP sockets (socket2): one or more per listen address sharing
//! the port with `SO_REUSEPORT` (the kernel spreads senders over them), a
//! large receive buffer, a short receive timeout so the receive threads
//! see the clock and the stop flag, and the kernel drop counter on.

use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use super::sys;
use crate::decap::Tunnel;

/// How long a receive call waits before the thread looks at its clock and
/// stop flag again.
pub const RECV_TIMEOUT: Duration = Duration::from_millis(100);

/// A tunnel listen address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listener {
    /// What arrives there: VXLAN (4789) or GENEVE (6081).
    pub tunnel: Tunnel,
    /// Address and port (port 0: the kernel picks one).
    pub addr: SocketAddr,
}

/// A listener's open sockets.
#[derive(Debug)]
pub struct BoundListener {
    /// What was asked for.
    pub listener: Listener,
    /// The address actually bound (the real port when 0 was asked).
    pub local: SocketAddr,
    /// One socket per receive thread, all on `local`.
    pub sockets: Vec<Socket>,
    /// The receive buffer the kernel granted each socket (bytes, as
    /// `SO_RCVBUF` reports it).
    pub receive_buffer: usize,
    /// Whether the kernel drop counter (`SO_RXQ_OVFL`) is on.
    pub drop_counter: bool,
}

/// Why a listener could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// Another process holds the port.
    #[error(
        "cannot listen for {tunnel} on UDP {addr}: the address is in use by another process \
         (another vxtap serve?); stop it or choose another address (--{tunnel} or serve.{tunnel} in the config)"
    )]
    InUse {
        /// `vxlan` or `geneve`.
        tunnel: &'static str,
        /// The address.
        addr: SocketAddr,
    },
    /// Any other socket error.
    #[error("cannot listen for {tunnel} on UDP {addr}: {what}: {source}")]
    Socket {
        /// `vxlan` or `geneve`.
        tunnel: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The step that failed.
        what: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

fn new_socket(addr: SocketAddr) -> std::io::Result<Socket> {
    let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        // IPv4 gets its own listen address; `[::]` and `0.0.0.0` coexist.
        s.set_only_v6(true)?;
    }
    Ok(s)
}

/// Opens `sockets` sockets on the listener's address.
pub fn bind(
    l: Listener,
    sockets: usize,
    receive_buffer: usize,
) -> Result<BoundListener, ReceiveError> {
    let tunnel = l.tunnel.label();
    let fail = |what: &'static str, addr: SocketAddr| {
        move |source: std::io::Error| ReceiveError::Socket {
            tunnel,
            addr,
            what,
            source,
        }
    };
    let in_use = |addr: SocketAddr, e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            ReceiveError::InUse { tunnel, addr }
        } else {
            fail("bind", addr)(e)
        }
    };
    if l.addr.port() != 0 {
        // SO_REUSEPORT would let us share a port another process of the same
        // user already holds, splitting its traffic silently: bind once
        // without it first, so a taken port is an error.
        let probe = new_socket(l.addr).map_err(fail("socket", l.addr))?;
        probe.bind(&l.addr.into()).map_err(|e| in_use(l.addr, e))?;
    }
    let mut addr = l.addr;
    let mut out = Vec::with_capacity(sockets.max(1));
    let mut drop_counter = true;
    for i in 0..sockets.max(1) {
        let s = new_socket(addr).map_err(fail("socket", addr))?;
        s.set_reuse_port(true).map_err(fail("SO_REUSEPORT", addr))?;
        // Above net.core.rmem_max only with CAP_NET_ADMIN; otherwise the
        // kernel caps the plain option at rmem_max (deploy/sysctl raises it).
        if sys::force_receive_buffer(s.as_fd(), receive_buffer).is_err() {
            s.set_recv_buffer_size(receive_buffer)
                .map_err(fail("SO_RCVBUF", addr))?;
        }
        drop_counter &= sys::enable_drop_counter(s.as_fd()).is_ok();
        s.set_read_timeout(Some(RECV_TIMEOUT))
            .map_err(fail("SO_RCVTIMEO", addr))?;
        s.bind(&addr.into()).map_err(|e| in_use(addr, e))?;
        if i == 0 {
            // Port 0: the others join the port the kernel picked.
            addr = s
                .local_addr()
                .ok()
                .and_then(|a| a.as_socket())
                .unwrap_or(addr);
        }
        out.push(s);
    }
    let receive_buffer = out[0].recv_buffer_size().unwrap_or(0);
    Ok(BoundListener {
        listener: l,
        local: addr,
        sockets: out,
        receive_buffer,
        drop_counter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ephemeral_port_shared_by_all_sockets() {
        let l = Listener {
            tunnel: Tunnel::Vxlan,
            addr: "127.0.0.1:0".parse().unwrap(),
        };
        let b = bind(l, 3, 1 << 20).unwrap();
        assert_ne!(b.local.port(), 0);
        assert_eq!(b.sockets.len(), 3);
        for s in &b.sockets {
            assert_eq!(s.local_addr().unwrap().as_socket(), Some(b.local));
        }
        assert!(b.receive_buffer > 0);
        assert!(b.drop_counter);
    }

    #[test]
    fn a_taken_port_is_a_clear_error() {
        let other = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = other.local_addr().unwrap();
        let e = bind(
            Listener {
                tunnel: Tunnel::Geneve,
                addr,
            },
            1,
            1 << 20,
        )
        .unwrap_err();
        assert!(matches!(e, ReceiveError::InUse { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains(&addr.to_string()) && msg.contains("in use"),
            "{msg}"
        );
        // Even when the holder is a vxtap group with SO_REUSEPORT.
        let ours = bind(
            Listener {
                tunnel: Tunnel::Vxlan,
                addr: "127.0.0.1:0".parse().unwrap(),
            },
            2,
            1 << 20,
        )
        .unwrap();
        let again = bind(
            Listener {
                tunnel: Tunnel::Vxlan,
                addr: ours.local,
            },
            1,
            1 << 20,
        );
        assert!(matches!(again, Err(ReceiveError::InUse { .. })));
    }
}
