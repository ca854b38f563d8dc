//! Typed, zero-copy views of the headers on the mirror path.
//!
//! Every view follows one contract: `new_checked` verifies that the bytes
//! hold at least the fixed header, after which no accessor can panic.
//! Views never copy; `payload()` borrows. Offsets live in each file's
//! private `field` module. Nothing here validates checksums: mirrored
//! packets routinely carry offloaded (wrong) ones.

pub mod addr;
pub mod ethernet;
pub mod geneve;
pub mod ipv4;
pub mod ipv6;
pub mod link;
pub mod transport;
pub mod vxlan;

pub use addr::Addr;

/// Why a header could not be viewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Fewer bytes than the fixed header needs.
    #[error("header truncated")]
    Truncated,
    /// A field holds a value the header cannot have (wrong version, bad length).
    #[error("malformed header")]
    Malformed,
}

/// Reads a big-endian `u16` at `off`; the caller has checked the length.
#[inline(always)]
pub(crate) fn be16(b: &[u8], off: usize) -> u16 {
    u16::from_be_bytes([b[off], b[off + 1]])
}

/// Reads a big-endian `u32` at `off`; the caller has checked the length.
#[inline(always)]
pub(crate) fn be32(b: &[u8], off: usize) -> u32 {
    u32::from_be_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}
