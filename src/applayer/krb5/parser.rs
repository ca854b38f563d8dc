//! Kerberos 5 messages (RFC 4120 §5), pure: the fields Suricata 7 keeps
//! of KDC-REQ (AS-REQ 10, TGS-REQ 12), KDC-REP (AS-REP 11, TGS-REP 13) and
//! KRB-ERROR (30), read with the DER walker of `der.rs`.

use super::der::{self, APPLICATION, DerError, UNIVERSAL};

/// AS-REQ.
pub const AS_REQ: u32 = 10;
/// AS-REP.
pub const AS_REP: u32 = 11;
/// TGS-REQ.
pub const TGS_REQ: u32 = 12;
/// TGS-REP.
pub const TGS_REP: u32 = 13;
/// AP-REQ.
pub const AP_REQ: u32 = 14;
/// AP-REP.
pub const AP_REP: u32 = 15;
/// KRB-ERROR.
pub const KRB_ERROR: u32 = 30;

/// A PrincipalName: its type and components (`name-string`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Principal {
    /// name-type.
    pub name_type: i64,
    /// The components, e.g. `krbtgt`, `DOMAIN.LOCAL`.
    pub components: Vec<Vec<u8>>,
}

/// What a message holds that rules and EVE use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// The APPLICATION tag: 10, 11, 12, 13, 14, 15 or 30.
    pub tag: u32,
    /// Client name (requests: req-body cname; replies: cname; errors).
    pub cname: Option<Principal>,
    /// Realm (replies: crealm; requests: req-body realm; errors: crealm).
    pub realm: Option<Vec<u8>>,
    /// Server name (requests: req-body sname; replies: the ticket's sname;
    /// errors: sname).
    pub sname: Option<Principal>,
    /// Replies: the enc-part's etype (what the KDC chose for the reply).
    pub etype: Option<i64>,
    /// Replies: the ticket's enc-part etype (`krb5.ticket_encryption`).
    pub ticket_etype: Option<i64>,
    /// Requests: the etypes the client offers.
    pub req_etypes: Vec<i64>,
    /// Errors: error-code.
    pub error_code: Option<i64>,
}

/// Components kept per name (more are ignored).
pub const MAX_COMPONENTS: usize = 16;
/// Etypes kept per request.
pub const MAX_ETYPES: usize = 32;

/// Reads the APPLICATION tag of a message: `Ok(Some(tag))`, `Ok(None)` for
/// a TLV of another class (ignored, as Suricata does), `Err` when even the
/// header does not read (`malformed_data`).
pub fn message_tag(buf: &[u8]) -> Result<Option<u32>, DerError> {
    let (class, _, tag, _, _) = der::header(buf)?;
    Ok((class == APPLICATION).then_some(u32::from(tag)))
}

/// A KerberosString (GeneralString) or Realm from an explicit field.
fn string(field: &[u8]) -> Option<Vec<u8>> {
    der::expect(field, UNIVERSAL, 27).map(|(v, _)| v.to_vec())
}

fn principal(field: &[u8]) -> Option<Principal> {
    let f = der::fields(der::sequence(field)?);
    let name_type = der::integer(f[0]?)?;
    let list = der::sequence(f[1]?)?;
    let mut components = Vec::new();
    for t in der::items(list) {
        if t.class != UNIVERSAL || t.tag != 27 {
            return None;
        }
        if components.len() < MAX_COMPONENTS {
            components.push(t.value.to_vec());
        }
    }
    Some(Principal {
        name_type,
        components,
    })
}

/// EncryptedData's etype.
fn enc_etype(field: &[u8]) -> Option<i64> {
    der::integer(der::fields(der::sequence(field)?)[0]?)
}

/// Decodes a whole message (the APPLICATION TLV first). `None` when its
/// structure is not the RFC's (Suricata then keeps no transaction).
pub fn parse(buf: &[u8]) -> Option<Message> {
    let (app, _) = der::tlv(buf).ok()?;
    if app.class != APPLICATION {
        return None;
    }
    let tag = u32::from(app.tag);
    let f = der::fields(der::sequence(app.value)?);
    let mut m = Message {
        tag,
        ..Message::default()
    };
    match tag {
        AS_REQ | TGS_REQ => {
            // pvno [1] = 5, msg-type [2], req-body [4].
            if der::integer(f[1]?)? != 5 {
                return None;
            }
            let body = der::fields(der::sequence(f[4]?)?);
            m.cname = body[1].and_then(principal);
            m.realm = Some(string(body[2]?)?);
            m.sname = body[3].and_then(principal);
            let etypes = der::sequence(body[8]?)?;
            m.req_etypes = der::items(etypes)
                .filter_map(|t| der::int_of(&t))
                .take(MAX_ETYPES)
                .collect();
        }
        AS_REP | TGS_REP => {
            // pvno [0] = 5, crealm [3], cname [4], ticket [5], enc-part [6].
            if der::integer(f[0]?)? != 5 {
                return None;
            }
            m.realm = Some(string(f[3]?)?);
            m.cname = Some(principal(f[4]?)?);
            let (ticket, _) = der::expect(f[5]?, APPLICATION, 1)?;
            let t = der::fields(der::sequence(ticket)?);
            m.sname = Some(principal(t[2]?)?);
            m.ticket_etype = Some(enc_etype(t[3]?)?);
            m.etype = Some(enc_etype(f[6]?)?);
        }
        KRB_ERROR => {
            // pvno [0], error-code [6], crealm [7]?, cname [8]?, sname [10].
            if der::integer(f[0]?)? != 5 {
                return None;
            }
            m.error_code = Some(der::integer(f[6]?)?);
            m.realm = f[7].and_then(string);
            m.cname = f[8].and_then(principal);
            m.sname = Some(principal(f[10]?)?);
        }
        _ => {}
    }
    Some(m)
}

/// Whether an etype is weak or deprecated: everything but the AES and
/// Camellia profiles (17, 18, 19, 20, 25, 26), as Suricata 7's
/// `test_weak_encryption`.
pub fn is_weak(etype: i64) -> bool {
    !matches!(etype, 17 | 18 | 19 | 20 | 25 | 26)
}

/// The RFC 3961/Suricata name of an etype (`rc4-hmac`, …), for EVE and
/// `krb5.ticket_encryption` lists.
pub fn etype_name(etype: i64) -> Option<&'static str> {
    Some(match etype {
        0 => "null",
        1 => "des-cbc-crc",
        2 => "des-cbc-md4",
        3 => "des-cbc-md5",
        5 => "des3-cbc-md5",
        7 => "des3-cbc-sha1",
        9 => "dsaWithSHA1-CmsOID",
        10 => "md5WithRSAEncryption-CmsOID",
        11 => "sha1WithRSAEncryption-CmsOID",
        12 => "rc2CBC-EnvOID",
        13 => "rsaEncryption-EnvOID",
        14 => "rsaES-OAEP-ENV-OID",
        15 => "des-ede3-cbc-Env-OID",
        16 => "des3-cbc-sha1-kd",
        17 => "aes128-cts-hmac-sha1-96",
        18 => "aes256-cts-hmac-sha1-96",
        19 => "aes128-cts-hmac-sha256-128",
        20 => "aes256-cts-hmac-sha384-192",
        23 => "rc4-hmac",
        24 => "rc4-hmac-exp",
        25 => "camellia128-cts-cmac",
        26 => "camellia256-cts-cmac",
        65 => "subkey-keymaterial",
        -128 => "rc4-md4",
        -133 => "rc4-hmac-old-exp",
        _ => return None,
    })
}
