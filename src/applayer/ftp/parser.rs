//! FTP control-channel lines, pure: the command of a request line, the
//! data-connection announcements (PORT, EPRT requests; 227 PASV and 229
//! EPSV replies) and the preliminary-reply test, as Suricata 7 reads them.

use std::net::{IpAddr, Ipv4Addr};

macro_rules! commands {
    ($($v:ident => $name:literal,)*) => {
        /// An FTP command Suricata's FTP parser knows (RFC 959 and its
        /// extensions); `Unknown` for a reply with no request.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FtpCommand {
            $(
                #[doc = $name]
                $v,
            )*
            /// `AUTH TLS`.
            AuthTls,
            /// No request (the greeting) or a command not in the table.
            Unknown,
        }

        impl FtpCommand {
            /// The command's name, upper case (`"RETR"`, `"AUTH TLS"`).
            pub fn name(self) -> &'static str {
                match self {
                    $(FtpCommand::$v => $name,)*
                    FtpCommand::AuthTls => "AUTH TLS",
                    FtpCommand::Unknown => "UNKNOWN",
                }
            }

            fn from_word(w: &[u8]) -> Option<FtpCommand> {
                $(if w.eq_ignore_ascii_case($name.as_bytes()) {
                    return Some(FtpCommand::$v);
                })*
                None
            }
        }
    };
}

commands! {
    Abor => "ABOR", Acct => "ACCT", Adat => "ADAT", Allo => "ALLO", Appe => "APPE",
    Auth => "AUTH", Ccc => "CCC", Cdup => "CDUP", Conf => "CONF", Cwd => "CWD",
    Dele => "DELE", Enc => "ENC", Eprt => "EPRT", Epsv => "EPSV", Feat => "FEAT",
    Help => "HELP", Lang => "LANG", List => "LIST", Mdtm => "MDTM", Mic => "MIC",
    Mkd => "MKD", Mlsd => "MLSD", Mlst => "MLST", Mode => "MODE", Nlst => "NLST",
    Noop => "NOOP", Opts => "OPTS", Pass => "PASS", Pasv => "PASV", Pbsz => "PBSZ",
    Port => "PORT", Prot => "PROT", Pwd => "PWD", Quit => "QUIT", Rein => "REIN",
    Rest => "REST", Retr => "RETR", Rmd => "RMD", Rnfr => "RNFR", Rnto => "RNTO",
    Site => "SITE", Size => "SIZE", Smnt => "SMNT", Stat => "STAT", Stor => "STOR",
    Stou => "STOU", Stru => "STRU", Syst => "SYST", Type => "TYPE", User => "USER",
    Xcup => "XCUP", Xcwd => "XCWD", Xmkd => "XMKD", Xpwd => "XPWD", Xrmd => "XRMD",
}

/// The command of a request line (its first word, any case; `AUTH TLS`
/// told apart from other AUTH), or `None` when the word is not a command.
pub fn command(line: &[u8]) -> Option<FtpCommand> {
    let word = line.split(|&b| b == b' ').next().unwrap_or_default();
    let cmd = FtpCommand::from_word(word)?;
    if cmd == FtpCommand::Auth {
        let arg = args(line);
        if arg.len() >= 3 && arg[..3].eq_ignore_ascii_case(b"TLS") {
            return Some(FtpCommand::AuthTls);
        }
    }
    Some(cmd)
}

/// The arguments of a request line: what follows the first space.
pub fn args(line: &[u8]) -> &[u8] {
    match line.iter().position(|&b| b == b' ') {
        Some(p) => &line[p + 1..],
        None => &[],
    }
}

/// A decimal number of at most 5 digits (leading and trailing spaces
/// allowed), as a u32.
fn number(s: &[u8]) -> Option<u32> {
    let s = s.trim_ascii();
    if s.is_empty() || s.len() > 5 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter()
        .try_fold(0u32, |n, d| Some(n * 10 + u32::from(d - b'0')))
}

/// `h1,h2,h3,h4,p1,p2`: an IPv4 address and a port (each part ≤ 255).
fn host_port(s: &[u8]) -> Option<(Ipv4Addr, u16)> {
    let mut parts = [0u8; 6];
    let mut it = s.split(|&b| b == b',');
    for p in &mut parts {
        *p = u8::try_from(number(it.next()?)?).ok()?;
    }
    if it.next().is_some() {
        return None;
    }
    let port = u16::from(parts[4]) * 256 + u16::from(parts[5]);
    Some((Ipv4Addr::new(parts[0], parts[1], parts[2], parts[3]), port))
}

/// `PORT h1,h2,h3,h4,p1,p2`: the address and port the client listens on.
pub fn port_request(line: &[u8]) -> Option<(Ipv4Addr, u16)> {
    host_port(args(line))
}

/// `EPRT |af|addr|port|`: the address and port the client listens on.
pub fn eprt_request(line: &[u8]) -> Option<(Option<IpAddr>, u16)> {
    let arg = args(line).trim_ascii();
    let d = *arg.first()?;
    let mut f = arg[1..].split(|&b| b == d);
    let _af = f.next()?;
    let addr = std::str::from_utf8(f.next()?)
        .ok()
        .and_then(|a| a.parse::<IpAddr>().ok());
    let port = u16::try_from(number(f.next()?)?).ok()?;
    Some((addr, port))
}

/// `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)`: the server's address
/// and port.
pub fn pasv_reply(line: &[u8]) -> Option<(Ipv4Addr, u16)> {
    if !line.starts_with(b"227") {
        return None;
    }
    let open = line.iter().position(|&b| b == b'(')?;
    let close = open + line[open..].iter().position(|&b| b == b')')?;
    host_port(&line[open + 1..close])
}

/// `229 Entering Extended Passive Mode (|||port|)`: the server's port.
pub fn epsv_reply(line: &[u8]) -> Option<u16> {
    if !line.starts_with(b"229") {
        return None;
    }
    let start = line.windows(3).position(|w| w == b"|||")? + 3;
    let end = start + line[start..].iter().position(|&b| b == b'|')?;
    u16::try_from(number(&line[start..end])?).ok()
}

/// A positive preliminary reply (`1xx `): the command's transaction stays
/// open for the final reply.
pub fn is_preliminary(line: &[u8]) -> bool {
    matches!(line, [b'1', a, b, s, ..] if a.is_ascii_digit() && b.is_ascii_digit() && s.is_ascii_whitespace())
}

/// The reply code: the first three bytes when they are digits.
pub fn reply_code(line: &[u8]) -> Option<&[u8]> {
    line.get(..3).filter(|c| c.iter().all(u8::is_ascii_digit))
}
