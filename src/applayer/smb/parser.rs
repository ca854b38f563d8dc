//! SMB wire formats: the NetBIOS session service record header, the SMB1
//! and SMB2/3 message headers and the bodies of the commands the state
//! uses (tree connect, create, read, write, ioctl, trans). Pure functions
//! over byte slices; offsets inside a message are relative to its SMB
//! header, as the protocol defines them. `None` means too short or
//! inconsistent; nothing panics on any input.

/// NBSS record header length.
pub const NBSS_HEADER_LEN: usize = 4;
/// NBSS type of a session message (carries SMB).
pub const NBSS_SESSION_MESSAGE: u8 = 0x00;
/// SMB1 header length.
pub const SMB1_HEADER_LEN: usize = 32;
/// SMB2 header length.
pub const SMB2_HEADER_LEN: usize = 64;

/// An NBSS record header: type and length of the body.
pub fn nbss(h: &[u8]) -> Option<(u8, usize)> {
    let h = h.get(..NBSS_HEADER_LEN)?;
    let len = ((h[1] as usize & 1) << 16) | (h[2] as usize) << 8 | h[3] as usize;
    Some((h[0], len))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// `len` bytes at `off` of `msg`.
fn slice(msg: &[u8], off: usize, len: usize) -> Option<&[u8]> {
    msg.get(off..off.checked_add(len)?)
}

/// UTF-16LE to UTF-8 (lossy), up to a NUL.
pub fn utf16(b: &[u8]) -> Vec<u8> {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|u| *u != 0)
        .collect();
    String::from_utf16_lossy(&units).into_bytes()
}

/// Bytes up to a NUL.
pub fn cstr(b: &[u8]) -> &[u8] {
    let n = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    &b[..n]
}

/// SMB1 commands the state looks into.
pub mod smb1_cmd {
    /// SMB_COM_CLOSE.
    pub const CLOSE: u8 = 0x04;
    /// SMB_COM_TRANSACTION.
    pub const TRANS: u8 = 0x25;
    /// SMB_COM_READ_ANDX.
    pub const READ_ANDX: u8 = 0x2e;
    /// SMB_COM_WRITE_ANDX.
    pub const WRITE_ANDX: u8 = 0x2f;
    /// SMB_COM_NEGOTIATE.
    pub const NEGOTIATE: u8 = 0x72;
    /// SMB_COM_SESSION_SETUP_ANDX.
    pub const SESSION_SETUP_ANDX: u8 = 0x73;
    /// SMB_COM_TREE_CONNECT_ANDX.
    pub const TREE_CONNECT_ANDX: u8 = 0x75;
    /// SMB_COM_NT_CREATE_ANDX.
    pub const NT_CREATE_ANDX: u8 = 0xa2;
    /// No further AndX command.
    pub const NO_ANDX: u8 = 0xff;
}

/// An SMB1 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Smb1Header {
    /// Command.
    pub command: u8,
    /// NT status.
    pub status: u32,
    /// Flags (0x80: reply).
    pub flags: u8,
    /// Flags2 (0x8000: strings are UTF-16).
    pub flags2: u16,
    /// Tree id.
    pub tid: u16,
    /// Process id (low 16 bits).
    pub pid: u16,
    /// User id (the session).
    pub uid: u16,
    /// Multiplex id.
    pub mid: u16,
}

impl Smb1Header {
    /// A reply (server → client).
    pub fn is_reply(&self) -> bool {
        self.flags & 0x80 != 0
    }

    /// Strings are UTF-16LE.
    pub fn unicode(&self) -> bool {
        self.flags2 & 0x8000 != 0
    }
}

/// Parses an SMB1 header (`msg` starts with `\xffSMB`).
pub fn smb1_header(msg: &[u8]) -> Option<Smb1Header> {
    if msg.get(..4)? != b"\xffSMB" || msg.len() < SMB1_HEADER_LEN {
        return None;
    }
    Some(Smb1Header {
        command: msg[4],
        status: le32(msg, 5)?,
        flags: msg[9],
        flags2: le16(msg, 10)?,
        tid: le16(msg, 24)?,
        pid: le16(msg, 26)?,
        uid: le16(msg, 28)?,
        mid: le16(msg, 30)?,
    })
}

/// One SMB1 command block: its parameter words and data bytes, and where
/// its data bytes start in the message.
#[derive(Debug, Clone, Copy)]
pub struct Smb1Block<'a> {
    /// Parameter words (`word_count * 2` bytes).
    pub words: &'a [u8],
    /// Data bytes.
    pub bytes: &'a [u8],
    /// Offset of `bytes` in the message.
    pub bytes_offset: usize,
}

/// The command block at `off` of an SMB1 message.
pub fn smb1_block(msg: &[u8], off: usize) -> Option<Smb1Block<'_>> {
    let wc = *msg.get(off)? as usize;
    let words = slice(msg, off + 1, wc * 2)?;
    let bc_at = off + 1 + wc * 2;
    let bc = le16(msg, bc_at)? as usize;
    // A byte count past the message end is cut to what is there.
    let bytes_offset = bc_at + 2;
    let end = (bytes_offset + bc).min(msg.len());
    let bytes = msg.get(bytes_offset..end)?;
    Some(Smb1Block {
        words,
        bytes,
        bytes_offset,
    })
}

/// The AndX next command and its block offset, for AndX commands.
pub fn smb1_andx(words: &[u8]) -> Option<(u8, usize)> {
    Some((*words.first()?, le16(words, 2)? as usize))
}

/// A string of an SMB1 data area starting at message offset `off`
/// (UTF-16 strings are aligned on 2 bytes from the header start).
pub fn smb1_string(msg: &[u8], mut off: usize, end: usize, unicode: bool) -> Vec<u8> {
    let end = end.min(msg.len());
    if unicode {
        if off % 2 == 1 {
            off += 1;
        }
        msg.get(off..end).map(utf16).unwrap_or_default()
    } else {
        msg.get(off..end)
            .map(|b| cstr(b).to_vec())
            .unwrap_or_default()
    }
}

/// SMB1 TREE_CONNECT_ANDX request: the path.
pub fn smb1_tree_connect_path(msg: &[u8], h: &Smb1Header, b: &Smb1Block) -> Option<Vec<u8>> {
    let pw_len = le16(b.words, 6)? as usize;
    let off = b.bytes_offset.checked_add(pw_len)?;
    let end = b.bytes_offset + b.bytes.len();
    (off <= end).then(|| smb1_string(msg, off, end, h.unicode()))
}

/// SMB1 TREE_CONNECT_ANDX response: the service (`IPC`, `A:`, …).
pub fn smb1_tree_connect_service(b: &Smb1Block) -> Vec<u8> {
    cstr(b.bytes).to_vec()
}

/// SMB1 NT_CREATE_ANDX request: the file name.
pub fn smb1_create_name(msg: &[u8], h: &Smb1Header, b: &Smb1Block) -> Option<Vec<u8>> {
    let name_len = le16(b.words, 5)? as usize;
    let end = b.bytes_offset + b.bytes.len();
    let mut off = b.bytes_offset;
    if h.unicode() && off % 2 == 1 {
        off += 1;
    }
    let stop = off.checked_add(name_len)?.min(end);
    let raw = msg.get(off..stop)?;
    Some(if h.unicode() {
        utf16(raw)
    } else {
        cstr(raw).to_vec()
    })
}

/// SMB1 NT_CREATE_ANDX response: the fid.
pub fn smb1_create_fid(b: &Smb1Block) -> Option<u16> {
    le16(b.words, 5)
}

/// SMB1 WRITE_ANDX request: fid, file offset and the data.
pub fn smb1_write<'a>(msg: &'a [u8], b: &Smb1Block) -> Option<(u16, u64, &'a [u8], usize)> {
    let fid = le16(b.words, 4)?;
    let mut offset = le32(b.words, 6)? as u64;
    let len = (le16(b.words, 18)? as usize) << 16 | le16(b.words, 20)? as usize;
    let data_off = le16(b.words, 22)? as usize;
    if b.words.len() >= 28 {
        offset |= (le32(b.words, 24)? as u64) << 32;
    }
    let avail = msg.len().saturating_sub(data_off).min(len);
    Some((fid, offset, slice(msg, data_off, avail)?, len))
}

/// SMB1 READ_ANDX request: fid and file offset.
pub fn smb1_read_request(b: &Smb1Block) -> Option<(u16, u64)> {
    let fid = le16(b.words, 4)?;
    let mut offset = le32(b.words, 6)? as u64;
    if b.words.len() >= 24 {
        offset |= (le32(b.words, 20)? as u64) << 32;
    }
    Some((fid, offset))
}

/// SMB1 READ_ANDX response: the data (and its announced length).
pub fn smb1_read_response<'a>(msg: &'a [u8], b: &Smb1Block) -> Option<(&'a [u8], usize)> {
    let len_low = le16(b.words, 10)? as usize;
    let data_off = le16(b.words, 12)? as usize;
    let len_high = le16(b.words, 14).unwrap_or(0) as usize;
    let len = len_high << 16 | len_low;
    let avail = msg.len().saturating_sub(data_off).min(len);
    Some((slice(msg, data_off, avail)?, len))
}

/// SMB1 TRANSACTION request to a named pipe (`TransactNmPipe`, setup
/// function 0x26): fid and the data. Other functions give `None`.
pub fn smb1_trans_pipe_request<'a>(msg: &'a [u8], b: &Smb1Block) -> Option<(u16, &'a [u8])> {
    let data_count = le16(b.words, 22)? as usize;
    let data_off = le16(b.words, 24)? as usize;
    let setup_count = *b.words.get(26)? as usize;
    if setup_count < 2 || le16(b.words, 28)? != 0x26 {
        return None;
    }
    let fid = le16(b.words, 30)?;
    Some((fid, slice(msg, data_off, data_count)?))
}

/// SMB1 TRANSACTION response: the data.
pub fn smb1_trans_response<'a>(msg: &'a [u8], b: &Smb1Block) -> Option<&'a [u8]> {
    let data_count = le16(b.words, 12)? as usize;
    let data_off = le16(b.words, 14)? as usize;
    slice(msg, data_off, data_count)
}

/// SMB2 commands the state looks into.
pub mod smb2_cmd {
    /// NEGOTIATE.
    pub const NEGOTIATE: u16 = 0x00;
    /// SESSION_SETUP.
    pub const SESSION_SETUP: u16 = 0x01;
    /// TREE_CONNECT.
    pub const TREE_CONNECT: u16 = 0x03;
    /// CREATE.
    pub const CREATE: u16 = 0x05;
    /// CLOSE.
    pub const CLOSE: u16 = 0x06;
    /// READ.
    pub const READ: u16 = 0x08;
    /// WRITE.
    pub const WRITE: u16 = 0x09;
    /// IOCTL.
    pub const IOCTL: u16 = 0x0b;
    /// GET_INFO.
    pub const GET_INFO: u16 = 0x10;
    /// SET_INFO.
    pub const SET_INFO: u16 = 0x11;
}

/// FSCTL_PIPE_TRANSCEIVE: an IOCTL carrying named pipe data.
pub const FSCTL_PIPE_TRANSCEIVE: u32 = 0x0011_c017;

/// An SMB2 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Smb2Header {
    /// NT status.
    pub status: u32,
    /// Command.
    pub command: u16,
    /// Flags (0x1: response, 0x2: async).
    pub flags: u32,
    /// Offset of the next compounded message (0: last).
    pub next_command: u32,
    /// Message id.
    pub message_id: u64,
    /// Tree id (0 for async messages).
    pub tree_id: u32,
    /// Session id.
    pub session_id: u64,
}

impl Smb2Header {
    /// A response (server → client).
    pub fn is_response(&self) -> bool {
        self.flags & 1 != 0
    }
}

/// Parses an SMB2 header (`msg` starts with `\xfeSMB`).
pub fn smb2_header(msg: &[u8]) -> Option<Smb2Header> {
    if msg.get(..4)? != b"\xfeSMB" || msg.len() < SMB2_HEADER_LEN {
        return None;
    }
    let flags = le32(msg, 16)?;
    Some(Smb2Header {
        status: le32(msg, 8)?,
        command: le16(msg, 12)?,
        flags,
        next_command: le32(msg, 20)?,
        message_id: le64(msg, 24)?,
        tree_id: if flags & 2 != 0 { 0 } else { le32(msg, 36)? },
        session_id: le64(msg, 40)?,
    })
}

/// A 16-byte SMB2 file id.
pub type FileId = [u8; 16];

fn file_id(b: &[u8], at: usize) -> Option<FileId> {
    b.get(at..at + 16)?.try_into().ok()
}

/// SMB2 TREE_CONNECT request: the path (UTF-16 → UTF-8).
pub fn smb2_tree_connect_path(msg: &[u8]) -> Option<Vec<u8>> {
    let off = le16(msg, 64 + 4)? as usize;
    let len = le16(msg, 64 + 6)? as usize;
    slice(msg, off, len).map(utf16)
}

/// SMB2 TREE_CONNECT response: the share type (1 disk, 2 pipe, 3 print).
pub fn smb2_share_type(msg: &[u8]) -> Option<u8> {
    msg.get(64 + 2).copied()
}

/// SMB2 CREATE request: the name.
pub fn smb2_create_name(msg: &[u8]) -> Option<Vec<u8>> {
    let off = le16(msg, 64 + 44)? as usize;
    let len = le16(msg, 64 + 46)? as usize;
    slice(msg, off, len).map(utf16)
}

/// SMB2 CREATE response: the file id.
pub fn smb2_create_file_id(msg: &[u8]) -> Option<FileId> {
    file_id(msg, 64 + 64)
}

/// SMB2 WRITE request: file id, offset, data (what the message holds of
/// it) and the announced length.
pub fn smb2_write(msg: &[u8]) -> Option<(FileId, u64, &[u8], usize)> {
    let data_off = le16(msg, 64 + 2)? as usize;
    let len = le32(msg, 64 + 4)? as usize;
    let offset = le64(msg, 64 + 8)?;
    let fid = file_id(msg, 64 + 16)?;
    let avail = msg.len().saturating_sub(data_off).min(len);
    Some((fid, offset, slice(msg, data_off, avail)?, len))
}

/// SMB2 READ request: file id and offset.
pub fn smb2_read_request(msg: &[u8]) -> Option<(FileId, u64)> {
    Some((file_id(msg, 64 + 16)?, le64(msg, 64 + 8)?))
}

/// SMB2 READ response: data and its announced length.
pub fn smb2_read_response(msg: &[u8]) -> Option<(&[u8], usize)> {
    let data_off = *msg.get(64 + 2)? as usize;
    let len = le32(msg, 64 + 4)? as usize;
    let avail = msg.len().saturating_sub(data_off).min(len);
    Some((slice(msg, data_off, avail)?, len))
}

/// SMB2 IOCTL request or response: control code, file id, and the input
/// (request) or output (response) data.
pub fn smb2_ioctl(msg: &[u8], response: bool) -> Option<(u32, FileId, &[u8])> {
    let code = le32(msg, 64 + 4)?;
    let fid = file_id(msg, 64 + 8)?;
    let (off_at, cnt_at) = if response { (32, 36) } else { (24, 28) };
    let off = le32(msg, 64 + off_at)? as usize;
    let cnt = le32(msg, 64 + cnt_at)? as usize;
    let data = if cnt == 0 {
        &[][..]
    } else {
        slice(msg, off, cnt)?
    };
    Some((code, fid, data))
}

/// SMB1 command names as Suricata's EVE writes them.
pub fn smb1_command_name(c: u8) -> &'static str {
    match c {
        0x00 => "SMB1_COMMAND_CREATE_DIRECTORY",
        0x01 => "SMB1_COMMAND_DELETE_DIRECTORY",
        0x02 => "SMB1_COMMAND_OPEN",
        0x03 => "SMB1_COMMAND_CREATE",
        0x04 => "SMB1_COMMAND_CLOSE",
        0x05 => "SMB1_COMMAND_FLUSH",
        0x06 => "SMB1_COMMAND_DELETE",
        0x07 => "SMB1_COMMAND_RENAME",
        0x08 => "SMB1_COMMAND_QUERY_INFORMATION",
        0x09 => "SMB1_COMMAND_SET_INFORMATION",
        0x0a => "SMB1_COMMAND_READ",
        0x0b => "SMB1_COMMAND_WRITE",
        0x0c => "SMB1_COMMAND_LOCK_BYTE_RANGE",
        0x0d => "SMB1_COMMAND_UNLOCK_BYTE_RANGE",
        0x0e => "SMB1_COMMAND_CREATE_TEMPORARY",
        0x0f => "SMB1_COMMAND_CREATE_NEW",
        0x10 => "SMB1_COMMAND_CHECK_DIRECTORY",
        0x11 => "SMB1_COMMAND_PROCESS_EXIT",
        0x12 => "SMB1_COMMAND_SEEK",
        0x13 => "SMB1_COMMAND_LOCK_AND_READ",
        0x14 => "SMB1_COMMAND_WRITE_AND_UNLOCK",
        0x1a => "SMB1_COMMAND_READ_RAW",
        0x1d => "SMB1_COMMAND_WRITE_RAW",
        0x24 => "SMB1_COMMAND_LOCKING_ANDX",
        0x25 => "SMB1_COMMAND_TRANS",
        0x26 => "SMB1_COMMAND_TRANS_SECONDARY",
        0x27 => "SMB1_COMMAND_IOCTL",
        0x2b => "SMB1_COMMAND_ECHO",
        0x2d => "SMB1_COMMAND_OPEN_ANDX",
        0x2e => "SMB1_COMMAND_READ_ANDX",
        0x2f => "SMB1_COMMAND_WRITE_ANDX",
        0x32 => "SMB1_COMMAND_TRANS2",
        0x33 => "SMB1_COMMAND_TRANS2_SECONDARY",
        0x34 => "SMB1_COMMAND_FIND_CLOSE2",
        0x70 => "SMB1_COMMAND_TREE_CONNECT",
        0x71 => "SMB1_COMMAND_TREE_DISCONNECT",
        0x72 => "SMB1_COMMAND_NEGOTIATE_PROTOCOL",
        0x73 => "SMB1_COMMAND_SESSION_SETUP_ANDX",
        0x74 => "SMB1_COMMAND_LOGOFF_ANDX",
        0x75 => "SMB1_COMMAND_TREE_CONNECT_ANDX",
        0x80 => "SMB1_COMMAND_QUERY_INFO_DISK",
        0x81 => "SMB1_COMMAND_SEARCH",
        0xa0 => "SMB1_COMMAND_NT_TRANS",
        0xa1 => "SMB1_COMMAND_NT_TRANS_SECONDARY",
        0xa2 => "SMB1_COMMAND_NT_CREATE_ANDX",
        0xa4 => "SMB1_COMMAND_NT_CANCEL",
        0xa5 => "SMB1_COMMAND_NT_RENAME",
        _ => "SMB1_COMMAND_UNKNOWN",
    }
}

/// SMB2 command names as Suricata's EVE writes them.
pub fn smb2_command_name(c: u16) -> &'static str {
    match c {
        0x00 => "SMB2_COMMAND_NEGOTIATE_PROTOCOL",
        0x01 => "SMB2_COMMAND_SESSION_SETUP",
        0x02 => "SMB2_COMMAND_SESSION_LOGOFF",
        0x03 => "SMB2_COMMAND_TREE_CONNECT",
        0x04 => "SMB2_COMMAND_TREE_DISCONNECT",
        0x05 => "SMB2_COMMAND_CREATE",
        0x06 => "SMB2_COMMAND_CLOSE",
        0x07 => "SMB2_COMMAND_FLUSH",
        0x08 => "SMB2_COMMAND_READ",
        0x09 => "SMB2_COMMAND_WRITE",
        0x0a => "SMB2_COMMAND_LOCK",
        0x0b => "SMB2_COMMAND_IOCTL",
        0x0c => "SMB2_COMMAND_CANCEL",
        0x0d => "SMB2_COMMAND_KEEPALIVE",
        0x0e => "SMB2_COMMAND_FIND",
        0x0f => "SMB2_COMMAND_CHANGE_NOTIFY",
        0x10 => "SMB2_COMMAND_GET_INFO",
        0x11 => "SMB2_COMMAND_SET_INFO",
        0x12 => "SMB2_COMMAND_OPLOCK_BREAK",
        _ => "SMB2_COMMAND_UNKNOWN",
    }
}
