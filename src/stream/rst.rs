//! Suricata's "suspected RST injection" check for one TCP connection.
//!
//! An endpoint that sends a reset the other side accepts has closed the
//! connection; if the same endpoint then sends anything but another reset,
//! the reset was probably forged by a third party (an on-path injector),
//! and Suricata raises `stream.suspected_rst_inject` on that packet and
//! keeps inspecting the connection (suricata-verify `security-4710-02`).
//!
//! A reset is accepted as Suricata's default host-OS policy (`windows`,
//! stock `suricata.yaml`; `bsd` for IPv6, the same rule) accepts it: its
//! sequence number is exactly the next one expected from its sender. The
//! watch therefore tracks each side's next sequence number (SYN and FIN
//! count one, payload its length).

/// TCP flag bits used here.
const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;

/// Per-connection state: 16 bytes, kept in the flow's detection state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RstWatch {
    /// Next sequence number expected from each side (0: client, 1: server).
    next: [Option<u32>; 2],
    /// Side `i` sent a reset the other side accepted, and has not sent
    /// anything since.
    reset_by: [bool; 2],
}

/// `a` after `b` in sequence space.
fn seq_gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

impl RstWatch {
    /// A connection with nothing seen yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// One TCP packet from side `from` (0 client → server, 1 server →
    /// client) with its flags, sequence number and payload length; returns
    /// whether it raises `stream.suspected_rst_inject`.
    pub fn packet(&mut self, from: usize, flags: u8, seq: u32, payload_len: u32) -> bool {
        let from = from.min(1);
        let mut suspect = false;
        if flags & RST != 0 {
            if self.next[from] == Some(seq) {
                self.reset_by[from] = true;
            }
            return false;
        }
        if self.reset_by[from] {
            self.reset_by[from] = false;
            suspect = true;
        }
        let span = payload_len
            .wrapping_add((flags & SYN != 0) as u32)
            .wrapping_add((flags & FIN != 0) as u32);
        let end = seq.wrapping_add(span);
        match self.next[from] {
            Some(n) if !seq_gt(end, n) && flags & SYN == 0 => {}
            _ => self.next[from] = Some(end),
        }
        suspect
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACK: u8 = 0x10;
    const PSH: u8 = 0x08;

    fn inject(suspect: bool) -> bool {
        suspect
    }

    /// The packets of suricata-verify `security-4710-02` (seq numbers and
    /// lengths read with `tshark -r input.pcap -o tcp.relative_sequence_numbers:FALSE`):
    /// the client resets right after the handshake, then sends its
    /// request: packet 8 raises the event, and only it.
    #[test]
    fn security_4710_02_sequence() {
        let mut w = RstWatch::new();
        let pkts: [(usize, u8, u32, u32); 15] = [
            (0, SYN, 37273, 0),
            (1, SYN | ACK, 1638574942, 0),
            (1, SYN | ACK, 1638574942, 0),
            (1, SYN | ACK, 1638574942, 0),
            (1, SYN | ACK, 1638574942, 0),
            (0, ACK, 37274, 0),
            (0, RST | ACK, 37274, 0),
            (0, PSH | ACK, 37274, 54),
            (1, ACK, 1638574943, 0),
            (1, ACK, 1638574943, 154),
            (1, PSH | ACK, 1638575097, 614),
            (0, FIN | ACK, 37328, 0),
            (1, FIN | ACK, 1638575711, 0),
            (0, RST | ACK, 37329, 0),
            (1, FIN | PSH | ACK, 1638574943, 768),
        ];
        let mut raised = Vec::new();
        for (i, (d, f, s, l)) in pkts.into_iter().enumerate() {
            if inject(w.packet(d, f, s, l)) {
                raised.push(i + 1);
            }
        }
        assert_eq!(raised, [8]);
    }

    #[test]
    fn reset_with_wrong_seq_is_not_accepted() {
        let mut w = RstWatch::new();
        w.packet(0, SYN, 100, 0);
        w.packet(0, ACK, 101, 10);
        // Next expected from the client is 111; a reset at 105 is ignored.
        assert!(!inject(w.packet(0, RST, 105, 0)));
        assert!(!inject(w.packet(0, ACK, 111, 5)));
        // A reset at the right place, then more resets: not an injection;
        // then data: one event, once.
        assert!(!inject(w.packet(0, RST, 116, 0)));
        assert!(!inject(w.packet(0, RST, 116, 0)));
        assert!(inject(w.packet(0, ACK, 116, 1)));
        assert!(!inject(w.packet(0, ACK, 117, 1)));
    }

    #[test]
    fn reset_from_unknown_side_and_other_side_traffic() {
        let mut w = RstWatch::new();
        // Nothing seen from the server yet: its reset cannot be checked.
        assert!(!inject(w.packet(1, RST, 5, 0)));
        w.packet(0, SYN, u32::MAX, 0); // wraps: next is 0
        assert!(!inject(w.packet(0, RST, 0, 0)));
        // The other side talking after the reset is normal.
        assert!(!inject(w.packet(1, ACK, 9, 0)));
        assert!(inject(w.packet(0, ACK, 0, 0)));
        // Out-of-range side indexes are clamped, never panic.
        w.packet(7, ACK, 1, 1);
    }
}
