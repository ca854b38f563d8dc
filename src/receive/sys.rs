//! The crate's only unsafe code: batched UDP receive and send with
//! `recvmmsg(2)` / `sendmmsg(2)`, and the two socket options socket2 does
//! not wrap (`SO_RXQ_OVFL`, `SO_RCVBUFFORCE`).
//!
//! libc is called directly (no nix): these are four calls, and libc is
//! already in the dependency tree. Every buffer the kernel writes into is
//! owned by the batch struct, allocated once and reused for every call, so
//! receiving allocates nothing. Pointers handed to the kernel are rebuilt
//! right before each call from the owned vectors (never reallocated after
//! construction) and are not kept past it.
#![allow(unsafe_code)]

use std::io;
use std::mem::size_of;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::null_mut;

use libc::{c_int, c_uint, c_void, iovec, mmsghdr, sockaddr_storage, socklen_t};

/// Bytes of one receive slot: the UDP payload of a 9001-byte jumbo frame
/// (AWS's largest MTU) fits; larger datagrams are cut and flagged.
pub const SLOT_BYTES: usize = 9216;

/// Control-message room per datagram (u64 words, so the buffer is aligned
/// for `cmsghdr`): one `SO_RXQ_OVFL` counter needs 20 bytes.
const CTRL_WORDS: usize = 8;

/// All-zero values of plain C structs (integers and pointers only).
fn zeroed_storage() -> sockaddr_storage {
    // SAFETY: sockaddr_storage is a plain C struct of integers; all-zero
    // bytes are a valid value of it (family AF_UNSPEC).
    unsafe { std::mem::zeroed() }
}

fn zeroed_mmsghdr() -> mmsghdr {
    // SAFETY: mmsghdr holds integers and raw pointers only; all-zero bytes
    // are valid (null pointers, zero lengths). The pointers are set before
    // each call.
    unsafe { std::mem::zeroed() }
}

/// A reusable batch of receive slots for `recvmmsg(2)`.
pub struct RecvBatch {
    bufs: Vec<u8>,
    addrs: Vec<sockaddr_storage>,
    iovs: Vec<iovec>,
    ctrl: Vec<[u64; CTRL_WORDS]>,
    hdrs: Vec<mmsghdr>,
    got: usize,
}

impl RecvBatch {
    /// `slots` datagrams per call, [`SLOT_BYTES`] each.
    pub fn new(slots: usize) -> Self {
        let slots = slots.max(1);
        RecvBatch {
            bufs: vec![0; slots * SLOT_BYTES],
            addrs: vec![zeroed_storage(); slots],
            iovs: vec![
                iovec {
                    iov_base: null_mut(),
                    iov_len: 0,
                };
                slots
            ],
            ctrl: vec![[0; CTRL_WORDS]; slots],
            hdrs: (0..slots).map(|_| zeroed_mmsghdr()).collect(),
            got: 0,
        }
    }

    /// Receives up to one batch. `wait`: block until the first datagram
    /// (bounded by the socket's receive timeout), then take whatever else
    /// is queued (`MSG_WAITFORONE`); otherwise never block (`MSG_DONTWAIT`).
    pub fn recv(&mut self, fd: BorrowedFd<'_>, wait: bool) -> io::Result<usize> {
        let n = self.hdrs.len();
        for i in 0..n {
            self.iovs[i] = iovec {
                iov_base: self.bufs[i * SLOT_BYTES..].as_mut_ptr() as *mut c_void,
                iov_len: SLOT_BYTES,
            };
            let h = &mut self.hdrs[i];
            h.msg_len = 0;
            h.msg_hdr.msg_name = &mut self.addrs[i] as *mut sockaddr_storage as *mut c_void;
            h.msg_hdr.msg_namelen = size_of::<sockaddr_storage>() as socklen_t;
            h.msg_hdr.msg_iov = &mut self.iovs[i];
            h.msg_hdr.msg_iovlen = 1;
            h.msg_hdr.msg_control = self.ctrl[i].as_mut_ptr() as *mut c_void;
            h.msg_hdr.msg_controllen = (CTRL_WORDS * 8) as _;
            h.msg_hdr.msg_flags = 0;
        }
        let flags = if wait {
            libc::MSG_WAITFORONE
        } else {
            libc::MSG_DONTWAIT
        };
        // SAFETY: `hdrs` holds `n` initialised mmsghdr whose name, iovec and
        // control pointers were just set to buffers owned by `self` with the
        // lengths given (each iovec covers exactly its own SLOT_BYTES slot of
        // `bufs`); `self` is borrowed mutably for the call, so none of them
        // moves or is read meanwhile. The timeout pointer may be null.
        let r = unsafe {
            libc::recvmmsg(
                fd.as_raw_fd(),
                self.hdrs.as_mut_ptr(),
                n as c_uint,
                flags,
                null_mut(),
            )
        };
        if r < 0 {
            self.got = 0;
            return Err(io::Error::last_os_error());
        }
        self.got = r as usize;
        Ok(self.got)
    }

    /// Datagrams of the last call.
    pub fn len(&self) -> usize {
        self.got
    }

    /// Whether the last call received nothing.
    pub fn is_empty(&self) -> bool {
        self.got == 0
    }

    /// Bytes received of datagram `i` (at most [`SLOT_BYTES`]; see
    /// [`RecvBatch::truncated`] for a cut one).
    pub fn received_len(&self, i: usize) -> usize {
        self.hdrs[i].msg_len as usize
    }

    /// The received bytes of datagram `i` (at most [`SLOT_BYTES`]).
    pub fn payload(&self, i: usize) -> &[u8] {
        let len = self.received_len(i).min(SLOT_BYTES);
        &self.bufs[i * SLOT_BYTES..i * SLOT_BYTES + len]
    }

    /// Whether datagram `i` was larger than its slot (`MSG_TRUNC`).
    pub fn truncated(&self, i: usize) -> bool {
        self.hdrs[i].msg_hdr.msg_flags & libc::MSG_TRUNC != 0
    }

    /// The sender of datagram `i`.
    pub fn source(&self, i: usize) -> Option<SocketAddr> {
        let st = &self.addrs[i];
        if (self.hdrs[i].msg_hdr.msg_namelen as usize) < size_of::<libc::sa_family_t>() {
            return None;
        }
        match st.ss_family as c_int {
            libc::AF_INET => {
                // SAFETY: the kernel wrote a sockaddr_in here (its family
                // says so); sockaddr_storage is larger than and aligned for
                // every sockaddr type.
                let a = unsafe { &*(st as *const sockaddr_storage as *const libc::sockaddr_in) };
                Some(SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)),
                    u16::from_be(a.sin_port),
                )))
            }
            libc::AF_INET6 => {
                // SAFETY: as above, for sockaddr_in6.
                let a = unsafe { &*(st as *const sockaddr_storage as *const libc::sockaddr_in6) };
                Some(SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(a.sin6_addr.s6_addr),
                    u16::from_be(a.sin6_port),
                    a.sin6_flowinfo,
                    a.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }

    /// The socket's kernel drop counter (`SO_RXQ_OVFL`) as of datagram `i`:
    /// datagrams dropped because the receive buffer was full since the
    /// socket was opened (wrapping u32), when the option is on.
    pub fn kernel_drops(&self, i: usize) -> Option<u32> {
        let h = &self.hdrs[i].msg_hdr;
        // SAFETY: CMSG_FIRSTHDR/CMSG_NXTHDR only walk
        // msg_control..msg_control+msg_controllen, which the kernel set to
        // the bytes it wrote into this slot's `ctrl` buffer (owned by self,
        // u64-aligned); each header's data is read only after checking that
        // its length covers a u32, with an unaligned read.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(h);
            while !c.is_null() {
                if (*c).cmsg_level == libc::SOL_SOCKET
                    && (*c).cmsg_type == libc::SO_RXQ_OVFL
                    && (*c).cmsg_len as usize >= libc::CMSG_LEN(4) as usize
                {
                    return Some((libc::CMSG_DATA(c) as *const u32).read_unaligned());
                }
                c = libc::CMSG_NXTHDR(h, c);
            }
        }
        None
    }
}

/// A reusable batch of send headers for `sendmmsg(2)`.
pub struct SendBatch {
    iovs: Vec<iovec>,
    hdrs: Vec<mmsghdr>,
}

impl SendBatch {
    /// Room for `slots` datagrams per call.
    pub fn new(slots: usize) -> Self {
        let slots = slots.max(1);
        SendBatch {
            iovs: vec![
                iovec {
                    iov_base: null_mut(),
                    iov_len: 0,
                };
                slots
            ],
            hdrs: (0..slots).map(|_| zeroed_mmsghdr()).collect(),
        }
    }

    /// Datagrams per call.
    pub fn capacity(&self) -> usize {
        self.hdrs.len()
    }

    /// Sends the payloads (at most [`SendBatch::capacity`]) to `dest`;
    /// returns how many the kernel took (the rest should be sent again).
    pub fn send(
        &mut self,
        fd: BorrowedFd<'_>,
        dest: &socket2::SockAddr,
        payloads: &[&[u8]],
    ) -> io::Result<usize> {
        let n = payloads.len().min(self.hdrs.len());
        if n == 0 {
            return Ok(0);
        }
        for (i, p) in payloads[..n].iter().enumerate() {
            self.iovs[i] = iovec {
                iov_base: p.as_ptr() as *mut c_void,
                iov_len: p.len(),
            };
            let h = &mut self.hdrs[i];
            h.msg_len = 0;
            h.msg_hdr.msg_name = dest.as_ptr() as *mut c_void;
            h.msg_hdr.msg_namelen = dest.len();
            h.msg_hdr.msg_iov = &mut self.iovs[i];
            h.msg_hdr.msg_iovlen = 1;
            h.msg_hdr.msg_control = null_mut();
            h.msg_hdr.msg_controllen = 0;
            h.msg_hdr.msg_flags = 0;
        }
        // SAFETY: the first `n` headers point at `dest` (borrowed for the
        // call, its length given) and at iovecs covering exactly the
        // borrowed payload slices; sendmmsg only reads through these
        // pointers (the *mut casts are what the C signature wants), and
        // nothing is kept after it returns.
        let r = unsafe { libc::sendmmsg(fd.as_raw_fd(), self.hdrs.as_mut_ptr(), n as c_uint, 0) };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(r as usize)
    }
}

fn set_int_option(fd: BorrowedFd<'_>, name: c_int, value: c_int) -> io::Result<()> {
    // SAFETY: setsockopt reads exactly size_of::<c_int>() bytes from a
    // pointer to a live local c_int.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            name,
            &value as *const c_int as *const c_void,
            size_of::<c_int>() as socklen_t,
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Turns on `SO_RXQ_OVFL`: every received datagram then carries the
/// socket's count of datagrams dropped for lack of buffer space.
pub fn enable_drop_counter(fd: BorrowedFd<'_>) -> io::Result<()> {
    set_int_option(fd, libc::SO_RXQ_OVFL, 1)
}

/// `SO_RCVBUFFORCE`: a receive buffer above `net.core.rmem_max`; needs
/// `CAP_NET_ADMIN` (fails with `EPERM` otherwise).
pub fn force_receive_buffer(fd: BorrowedFd<'_>, bytes: usize) -> io::Result<()> {
    set_int_option(
        fd,
        libc::SO_RCVBUFFORCE,
        bytes.min(c_int::MAX as usize) as c_int,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;
    use std::os::fd::AsFd;

    /// Datagrams sent with sendmmsg come back whole through recvmmsg, with
    /// their sender, a cut flag for the oversized one and the drop counter.
    #[test]
    fn send_and_receive_batches() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        enable_drop_counter(rx.as_fd()).unwrap();
        rx.set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let dest = socket2::SockAddr::from(rx.local_addr().unwrap());
        let big = vec![7u8; SLOT_BYTES + 100];
        let payloads: Vec<&[u8]> = vec![b"one", b"two!", &big];
        let mut s = SendBatch::new(8);
        assert_eq!(s.send(tx.as_fd(), &dest, &payloads).unwrap(), 3);
        let mut b = RecvBatch::new(4);
        let mut got = Vec::new();
        while got.len() < 3 {
            let n = b.recv(rx.as_fd(), true).unwrap();
            for i in 0..n {
                got.push((
                    b.payload(i).to_vec(),
                    b.received_len(i),
                    b.truncated(i),
                    b.source(i),
                    b.kernel_drops(i),
                ));
            }
        }
        assert_eq!(got[0].0, b"one");
        assert_eq!(got[1].0, b"two!");
        assert_eq!(
            (got[2].0.len(), got[2].1, got[2].2),
            (SLOT_BYTES, SLOT_BYTES, true)
        );
        assert!(!got[0].2);
        for g in &got {
            assert_eq!(g.3, Some(tx.local_addr().unwrap()));
            assert_eq!(g.4, None, "the kernel adds the counter once it is non-zero");
        }
        // Nothing left: a non-blocking call says so at once.
        let e = b.recv(rx.as_fd(), false).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
    }

    /// Overflow a tiny receive buffer: the datagrams received plus the drop
    /// counter the next datagram carries account for every one sent.
    #[test]
    fn kernel_drop_counter() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket2::SockRef::from(&rx)
            .set_recv_buffer_size(4096)
            .unwrap();
        enable_drop_counter(rx.as_fd()).unwrap();
        rx.set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let dest = socket2::SockAddr::from(rx.local_addr().unwrap());
        let payload = [1u8; 1000];
        let mut s = SendBatch::new(50);
        let sent = 200;
        for _ in 0..sent / 50 {
            assert_eq!(
                s.send(tx.as_fd(), &dest, &[payload.as_slice(); 50])
                    .unwrap(),
                50
            );
        }
        let mut b = RecvBatch::new(64);
        let mut received = 0;
        while let Ok(n) = b.recv(rx.as_fd(), false) {
            received += n;
        }
        assert!(received < sent, "a 4 KiB buffer cannot hold 200 KB");
        s.send(tx.as_fd(), &dest, &[b"last".as_slice()]).unwrap();
        assert_eq!(b.recv(rx.as_fd(), true).unwrap(), 1);
        assert_eq!(b.payload(0), b"last");
        assert_eq!(b.kernel_drops(0), Some((sent - received) as u32));
    }

    #[test]
    fn ipv6_sources() {
        let rx = UdpSocket::bind("[::1]:0").expect("an IPv6 loopback (::1) for this test");
        let tx = UdpSocket::bind("[::1]:0").unwrap();
        let dest = socket2::SockAddr::from(rx.local_addr().unwrap());
        SendBatch::new(1)
            .send(tx.as_fd(), &dest, &[b"six".as_slice()])
            .unwrap();
        let mut b = RecvBatch::new(2);
        assert_eq!(b.recv(rx.as_fd(), true).unwrap(), 1);
        assert_eq!(b.payload(0), b"six");
        assert_eq!(b.source(0), Some(tx.local_addr().unwrap()));
    }
}
