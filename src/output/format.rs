//! Log formats: AWS's `${field} ${field} …` strings, parsed once, rendered per record.

use super::fields::{FIELDS, Field};
use crate::config::SessionMeta;
use crate::flow::FlowRecord;

/// AWS's default format (version 2).
pub const DEFAULT_FORMAT: &str = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}";

/// A bad `--log-format`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// A `${name}` that is not a known field.
    #[error("unknown field ${{{name}}} in the log format; known fields: {known}")]
    UnknownField {
        /// The name.
        name: String,
        /// Every known name.
        known: String,
    },
    /// Text that is not `${name}` separated by single spaces.
    #[error(
        "log format must be ${{field}} names separated by single spaces, as AWS writes them; found {found:?}"
    )]
    Syntax {
        /// The offending token.
        found: String,
    },
    /// No field at all.
    #[error("the log format names no field")]
    Empty,
}

/// A parsed log format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFormat {
    fields: Vec<Field>,
    version: u8,
}

impl Default for LogFormat {
    fn default() -> Self {
        LogFormat::parse(DEFAULT_FORMAT).expect("the default format parses")
    }
}

impl LogFormat {
    /// Parses `${a} ${b} …`.
    pub fn parse(s: &str) -> Result<Self, FormatError> {
        let mut fields = Vec::new();
        for tok in s.split(' ') {
            let name = tok
                .strip_prefix("${")
                .and_then(|t| t.strip_suffix('}'))
                .ok_or_else(|| FormatError::Syntax {
                    found: tok.to_owned(),
                })?;
            let def = Field::by_name(name).ok_or_else(|| FormatError::UnknownField {
                name: name.to_owned(),
                known: FIELDS.iter().map(|d| d.name).collect::<Vec<_>>().join(" "),
            })?;
            fields.push(def.field);
        }
        if fields.is_empty() {
            return Err(FormatError::Empty);
        }
        // AWS: the highest version among the chosen fields, at least 2.
        let version = fields
            .iter()
            .map(|f| f.def().version)
            .max()
            .unwrap_or(2)
            .max(2);
        Ok(LogFormat { fields, version })
    }

    /// The fields in order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The `version` value written in records (highest version among the fields).
    pub fn version(&self) -> u8 {
        self.version
    }

    /// The header line AWS writes at the top of each S3 object.
    pub fn header(&self) -> String {
        self.fields
            .iter()
            .map(|f| f.def().name)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Appends one record line (with a newline) to `out`.
    pub fn render(&self, r: &FlowRecord, s: &SessionMeta, out: &mut String) {
        for (i, f) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            f.render(r, s, self.version, out);
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decap::Tunnel;
    use crate::wire::Addr;
    use crate::wire::geneve::GwlbOptions;

    fn rec() -> FlowRecord {
        FlowRecord {
            window: 1418530000,
            vni: Some(1),
            mirror_src: Some(Addr::v4([172, 31, 16, 139])),
            tunnel: Tunnel::Vxlan,
            gwlb: GwlbOptions::default(),
            src: Addr::v4([172, 31, 16, 139]),
            dst: Addr::v4([172, 31, 16, 21]),
            src_port: 20641,
            dst_port: 22,
            protocol: 6,
            packets: 20,
            bytes: 4249,
            first_ns: 1_418_530_010_000_000_000,
            last_ns: 1_418_530_070_500_000_000,
            tcp_flags: 3,
            community_id: "1:x".into(),
        }
    }

    #[test]
    fn default_format_renders_like_the_aws_documentation() {
        // First line of AWS's documented default-format example (../shared/flowlogs/samples/awsdocs-default-v2.log).
        let meta = SessionMeta {
            account_id: Some("123456789010".into()),
            interface_id: Some("eni-1235b8ca123456789".into()),
            ..SessionMeta::default()
        };
        let f = LogFormat::default();
        assert_eq!(
            f.header(),
            "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
        );
        let mut out = String::new();
        f.render(&rec(), &meta, &mut out);
        assert_eq!(
            out,
            "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n"
        );
    }

    #[test]
    fn custom_format_version_and_unknowns() {
        let f =
            LogFormat::parse("${version} ${vpc-id} ${tcp-flags} ${flow-direction} ${vni} ${first}")
                .unwrap();
        let mut out = String::new();
        f.render(&rec(), &SessionMeta::default(), &mut out);
        // The source is the mirror source (the ENI itself): egress.
        assert_eq!(out, "5 - 3 egress 1 1418530010.000000000\n");
        assert!(matches!(
            LogFormat::parse("${nope}"),
            Err(FormatError::UnknownField { .. })
        ));
        assert!(matches!(
            LogFormat::parse("${srcaddr}  ${dstaddr}"),
            Err(FormatError::Syntax { .. })
        ));
        assert!(matches!(
            LogFormat::parse("srcaddr"),
            Err(FormatError::Syntax { .. })
        ));
    }
}
