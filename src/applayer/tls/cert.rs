//! X.509 certificates of the server's chain, decoded with `x509-parser`
//! (the crate Suricata 7's own `rust/src/x509` uses, so subject and issuer
//! strings are formatted the same way) into the fields rules inspect.

use sha1::{Digest, Sha1};
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

/// Why a certificate was not decoded (Suricata's `certificate_invalid_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertError {
    /// Longer than [`MAX_CERT_LEN`].
    TooLong,
    /// Not valid DER X.509.
    InvalidDer,
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
        return Err(CertError::TooLong);
    }
    let (_, x) = X509Certificate::from_der(der).map_err(|_| CertError::InvalidDer)?;
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
