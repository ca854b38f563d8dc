//! The closing of a TCP session as Suricata 7.0.10's stream engine tracks
//! it (`stream-tcp.c`): one state for the whole session, moved by each
//! packet's flags, direction and sequence number.
//!
//! Its one use in detection is Suricata's `StreamTcpReassembleRawCheckLimit`:
//! once the session state is past `TIME_WAIT` (`LAST_ACK`, `CLOSE_WAIT`,
//! `CLOSING`, `CLOSED`), every packet inspects its direction's acknowledged
//! stream bytes whatever their amount. The order of the states is
//! Suricata's (`enum TcpState`), so the client's FIN forces that at once
//! (`CLOSE_WAIT`) while the server's FIN does not (`FIN_WAIT1`, then
//! `FIN_WAIT2` and `TIME_WAIT` until the last acknowledgement closes it).
//!
//! Transitions (client: the side that opened the connection):
//!
//! | state | packet | next state |
//! |---|---|---|
//! | open | FIN from the client | `CLOSE_WAIT` |
//! | open | FIN from the server | `FIN_WAIT1` |
//! | `FIN_WAIT1` | FIN+ACK | `TIME_WAIT` |
//! | `FIN_WAIT1` | FIN without ACK | `CLOSING` |
//! | `FIN_WAIT1` | ACK at its sender's next sequence number | `FIN_WAIT2` |
//! | `FIN_WAIT2` | FIN | `TIME_WAIT` |
//! | `CLOSING` | ACK at its sender's next sequence number (or one past it) | `TIME_WAIT` |
//! | `CLOSE_WAIT` | FIN from the server | `LAST_ACK` |
//! | `LAST_ACK` | ACK from the client at its next sequence number (or one past) | `CLOSED` |
//! | `TIME_WAIT` | ACK at its sender's next sequence number (or one past) | `CLOSED` |
//! | any | RST | `CLOSED` |
//!
//! A FIN is only taken when it does not start before its sender's next
//! sequence number (Suricata's `FIN_OUT_OF_WINDOW` / `*_FIN_WRONG_SEQ`),
//! and, as there, a sender's next sequence number never counts its FIN.

/// TCP flag bits used here.
const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;

/// Suricata's TCP session states from the handshake's end on, in its
/// order (`stream-tcp-private.h`): comparisons mean what they mean there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum CloseState {
    /// Before any FIN (`TCP_NONE` up to `TCP_ESTABLISHED`).
    #[default]
    Open,
    /// The server sent FIN.
    FinWait1,
    /// The server's FIN, then an in-order ACK.
    FinWait2,
    /// Both sent FIN (the server first).
    TimeWait,
    /// Both sent FIN (the client first).
    LastAck,
    /// The client sent FIN.
    CloseWait,
    /// FIN without ACK while in `FIN_WAIT1`.
    Closing,
    /// Closed by the last acknowledgement or a reset.
    Closed,
}

/// The closing state of one TCP session: 20 bytes in its flow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionClose {
    state: CloseState,
    /// Next sequence number of each side (0: client, 1: server), without
    /// its FIN (Suricata's `next_seq`).
    next: [Option<u32>; 2],
}

/// `a` at or after `b` in sequence space.
fn seq_geq(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) >= 0
}

impl SessionClose {
    /// A session with nothing seen yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The state after the packets seen so far.
    pub fn state(&self) -> CloseState {
        self.state
    }

    /// Whether raw stream inspection no longer waits for a full chunk:
    /// Suricata's `ssn->state > TCP_TIME_WAIT`.
    pub fn forces_raw(&self) -> bool {
        self.state > CloseState::TimeWait
    }

    /// Whether the session counts as closed for the flow timeout
    /// (Suricata's `FLOW_STATE_CLOSED`: `LAST_ACK`, `TIME_WAIT`, `CLOSED`).
    pub fn flow_closed(&self) -> bool {
        matches!(
            self.state,
            CloseState::LastAck | CloseState::TimeWait | CloseState::Closed
        )
    }

    /// A new SYN from the client on a closed port pair: a new session.
    pub fn reopen(&mut self) {
        *self = Self::default();
    }

    /// One TCP packet from side `from` (0 client → server, 1 server →
    /// client) with its flags, sequence number and payload length.
    pub fn packet(&mut self, from: usize, flags: u8, seq: u32, payload_len: u32) {
        let from = from.min(1);
        let expected = self.next[from];
        // Sequence number checks pass while the side's next one is unknown.
        let at_next = expected.is_none_or(|n| seq == n || seq == n.wrapping_add(1));
        let fin_ok = expected.is_none_or(|n| seq_geq(seq, n));
        let (fin, ack) = (flags & FIN != 0, flags & ACK != 0);
        use CloseState::*;
        self.state = match self.state {
            _ if flags & RST != 0 => Closed,
            _ if flags & SYN != 0 => self.state,
            Open if fin && fin_ok => {
                if from == 0 {
                    CloseWait
                } else {
                    FinWait1
                }
            }
            FinWait1 if fin && fin_ok => {
                if ack {
                    TimeWait
                } else {
                    Closing
                }
            }
            FinWait1 if ack && !fin && expected.is_none_or(|n| seq == n) => FinWait2,
            FinWait2 if fin && fin_ok => TimeWait,
            Closing if ack && !fin && at_next => TimeWait,
            CloseWait if fin && from == 1 && fin_ok => LastAck,
            LastAck if ack && !fin && from == 0 && at_next => Closed,
            TimeWait if ack && !fin && at_next => Closed,
            s => s,
        };
        let span = payload_len.wrapping_add((flags & SYN != 0) as u32);
        let end = seq.wrapping_add(span);
        if self.next[from].is_none_or(|n| seq_geq(end, n)) {
            self.next[from] = Some(end);
        }
    }
}
