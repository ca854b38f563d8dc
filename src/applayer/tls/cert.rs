//! X.509 certificates of the server's chain, decoded with `x509-parser`
//! (the crate Suricata 7's own `rust/src/x509` uses, so subject and issuer
//! strings are formatted the same way) into the fields rules inspect.

use sha1::{Digest, Sha1};
use x509_parser::error::X509Error;
use x509_parser::prelude::{FromDer, X509Certificate};

/// Largest certificate decoded (bytes of DER); bigger ones are kept raw
/// for `tls.certs` but not decoded, and raise `certificate_invalid_length`.
pub const MAX_CERT_LEN: usize = 64 * 1024;

/// The fields of one certificate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cert {
    /// `tls.cert_subject`: the subject as x509-parser formats it
    /// (`C=US, O=Org, CN=name`).
    pub subject: String,
    /// `tls.cert_issuer`.
    pub issuer: String,
    /// `tls.cert_serial`: serial bytes as upper-case hex pairs joined by `:`.
    pub serial: String,
    /// `tls.cert_fingerprint`: SHA-1 of the DER, lower-case hex pairs
    /// joined by `:`.
    pub fingerprint: String,
    /// notBefore, seconds since the epoch.
    pub not_before: i64,
    /// notAfter, seconds since the epoch.
    pub not_after: i64,
    /// Subject alternative DNS names.
    pub san: Vec<String>,
}

/// Why a certificate was not decoded: Suricata 7's `X509DecodeError`,
/// mapped from x509-parser's error as its `rust/src/x509/mod.rs` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertError {
    /// The DER ended early (nom `Incomplete`), or longer than
    /// [`MAX_CERT_LEN`] (vxtap's cap).
    InvalidLength,
    /// Bad version.
    InvalidVersion,
    /// Bad serial.
    InvalidSerial,
    /// Bad algorithm identifier.
    InvalidAlgorithmIdentifier,
    /// Bad name.
    InvalidX509Name,
    /// Bad date.
    InvalidDate,
    /// Bad extensions.
    InvalidExtensions,
    /// DER structure error.
    InvalidDer,
    /// Any other decoding error.
    InvalidCert,
}

impl CertError {
    /// The TLS event Suricata raises for it.
    pub fn event(self) -> super::TlsEvent {
        use super::TlsEvent as E;
        match self {
            CertError::InvalidLength => E::CertificateInvalidLength,
            CertError::InvalidVersion => E::CertificateInvalidVersion,
            CertError::InvalidSerial => E::CertificateInvalidSerial,
            CertError::InvalidAlgorithmIdentifier => E::CertificateInvalidAlgorithmidentifier,
            CertError::InvalidX509Name => E::CertificateInvalidX509name,
            CertError::InvalidDate => E::CertificateInvalidDate,
            CertError::InvalidExtensions => E::CertificateInvalidExtensions,
            CertError::InvalidDer => E::CertificateInvalidDer,
            CertError::InvalidCert => E::InvalidCertificate,
        }
    }

    fn of(e: &x509_parser::nom::Err<X509Error>) -> Self {
        use x509_parser::nom::Err;
        match e {
            Err::Incomplete(_) => CertError::InvalidLength,
            Err::Error(e) | Err::Failure(e) => match e {
                X509Error::InvalidVersion => CertError::InvalidVersion,
                X509Error::InvalidSerial => CertError::InvalidSerial,
                X509Error::InvalidAlgorithmIdentifier => CertError::InvalidAlgorithmIdentifier,
                X509Error::InvalidX509Name => CertError::InvalidX509Name,
                X509Error::InvalidDate => CertError::InvalidDate,
                X509Error::InvalidExtensions => CertError::InvalidExtensions,
                X509Error::Der(_) => CertError::InvalidDer,
                _ => CertError::InvalidCert,
            },
        }
    }
}

/// Hex pairs joined by `:`.
pub fn colon_hex(b: &[u8], upper: bool) -> String {
    let mut s = String::with_capacity(b.len() * 3);
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        if upper {
            s.push_str(&format!("{x:02X}"));
        } else {
            s.push_str(&format!("{x:02x}"));
        }
    }
    s
}

/// Decodes one DER certificate.
pub fn decode(der: &[u8]) -> Result<Cert, CertError> {
    if der.len() > MAX_CERT_LEN {
        return Err(CertError::InvalidLength);
    }
    let (_, x) = X509Certificate::from_der(der).map_err(|e| CertError::of(&e))?;
    let tbs = &x.tbs_certificate;
    let san = tbs
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|s| {
            s.value
                .general_names
                .iter()
                .filter_map(|g| match g {
                    x509_parser::extensions::GeneralName::DNSName(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Cert {
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        serial: colon_hex(tbs.raw_serial(), true),
        fingerprint: colon_hex(&Sha1::digest(der), false),
        not_before: tbs.validity.not_before.timestamp(),
        not_after: tbs.validity.not_after.timestamp(),
        san,
    })
}
