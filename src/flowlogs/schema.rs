//! The columns of one flow log: which field each space-separated position
//! holds. Built from a header line, a `${…}` format string, or a Parquet schema.

use super::error::{ErrorKind, LineError};
use super::fields::{self, DEFAULT_FORMAT, FIELD_COUNT, FieldId, FieldKind};

/// Most columns a schema may have (AWS formats have at most a few dozen);
/// keeps a hostile header from costing more than a bounded amount.
pub const MAX_COLUMNS: usize = 512;

/// One column of a schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// The name as written (AWS spelling).
    pub name: Box<str>,
    /// The known field, or `None` for a name this version does not know
    /// (kept as text unless `--strict`).
    pub field: Option<FieldId>,
    /// How values are typed.
    pub kind: FieldKind,
}

/// The ordered columns of a flow log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    columns: Vec<Column>,
    positions: [u16; FIELD_COUNT],
    header: Box<str>,
    /// Any Transit Gateway field present (asked once per record by `stats`).
    tgw: bool,
}

const ABSENT: u16 = u16::MAX;

impl Schema {
    /// A schema from field names in order. Rejects duplicates and names that
    /// misspell a known field; other unknown but well-formed names are kept
    /// as text columns unless `strict`.
    pub fn from_names<S: AsRef<str>>(names: &[S], strict: bool) -> Result<Self, LineError> {
        if names.is_empty() {
            return Err(LineError::new(
                ErrorKind::UnknownField,
                None,
                "no field names",
            ));
        }
        if names.len() > MAX_COLUMNS {
            return Err(LineError::new(
                ErrorKind::FieldCount,
                None,
                format!(
                    "{} field names, at most {MAX_COLUMNS} are supported",
                    names.len()
                ),
            ));
        }
        let mut columns = Vec::with_capacity(names.len());
        let mut positions = [ABSENT; FIELD_COUNT];
        let mut unknown = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let name = name.as_ref();
            if columns.iter().any(|c: &Column| &*c.name == name) {
                return Err(LineError::new(
                    ErrorKind::DuplicateField,
                    None,
                    format!("duplicate field name '{name}'"),
                ));
            }
            let field = FieldId::from_name(name);
            match field {
                Some(id) => positions[id as usize] = i as u16,
                None => {
                    if strict || !fields::is_name_shaped(name) || fields::near_miss(name).is_some()
                    {
                        unknown.push(name);
                    }
                }
            }
            let kind = field.map_or(FieldKind::Text, |id| id.def().kind);
            columns.push(Column {
                name: name.into(),
                field,
                kind,
            });
        }
        if !unknown.is_empty() {
            let list: Vec<String> = unknown
                .iter()
                .take(5)
                .map(|n| match fields::near_miss(n) {
                    Some(id) => format!("'{n}' (did you mean '{}'?)", id.name()),
                    None => format!("'{n}'"),
                })
                .collect();
            return Err(LineError::new(
                ErrorKind::UnknownField,
                None,
                format!("unknown field name(s): {}", list.join(", ")),
            ));
        }
        let header = names
            .iter()
            .map(|n| n.as_ref())
            .collect::<Vec<_>>()
            .join(" ")
            .into();
        let tgw = columns.iter().any(|c| c.field.is_some_and(|f| f.def().tgw));
        Ok(Self {
            columns,
            positions,
            header,
            tgw,
        })
    }

    /// The default format (version 2, 14 fields).
    pub fn default_format() -> Self {
        let names: Vec<&str> = DEFAULT_FORMAT.iter().map(|f| f.name()).collect();
        Self::from_names(&names, true).expect("the default format is valid")
    }

    /// A schema from an AWS `--log-format` string (`${version} ${srcaddr} …`)
    /// or from bare names separated by spaces.
    pub fn from_format_string(format: &str, strict: bool) -> Result<Self, LineError> {
        let mut names = Vec::new();
        for token in format.split_ascii_whitespace() {
            let name = match token.strip_prefix("${") {
                Some(rest) => rest.strip_suffix('}').ok_or_else(|| {
                    LineError::new(
                        ErrorKind::UnknownField,
                        None,
                        format!("unterminated '${{' in '{token}'"),
                    )
                })?,
                None => token,
            };
            names.push(name);
        }
        Self::from_names(&names, strict)
    }

    /// The columns in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// Always false: a schema has at least one column.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// The column holding `field`, if the format has it.
    #[inline]
    pub fn position(&self, field: FieldId) -> Option<usize> {
        let p = self.positions[field as usize];
        (p != ABSENT).then_some(p as usize)
    }

    /// The header line of this schema (names joined by single spaces).
    pub fn header_line(&self) -> &str {
        &self.header
    }

    /// The `${…}` format string of this schema.
    pub fn format_string(&self) -> String {
        self.columns
            .iter()
            .map(|c| format!("${{{}}}", c.name))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// True for a Transit Gateway flow log (any TGW-only field present).
    pub fn is_transit_gateway(&self) -> bool {
        self.tgw
    }

    /// The highest version among the known fields (what AWS writes in `version`).
    pub fn version(&self) -> u8 {
        self.columns
            .iter()
            .filter_map(|c| c.field)
            .map(|f| f.def().version)
            .max()
            .unwrap_or(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_format_has_14_columns() {
        let s = Schema::default_format();
        assert_eq!(s.len(), 14);
        assert_eq!(s.position(FieldId::LogStatus), Some(13));
        assert_eq!(s.position(FieldId::VpcId), None);
        assert!(s.header_line().starts_with("version account-id "));
        assert_eq!(s.version(), 2);
    }

    #[test]
    fn format_string_and_bare_names_agree() {
        let a = Schema::from_format_string("${version} ${srcaddr} ${log-status}", false).unwrap();
        let b = Schema::from_format_string("version srcaddr log-status", false).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.format_string(), "${version} ${srcaddr} ${log-status}");
    }

    #[test]
    fn duplicates_and_typos_are_rejected() {
        let e = Schema::from_names(&["srcaddr", "srcaddr"], false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::DuplicateField);
        let e = Schema::from_names(&["version", "src-port"], false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnknownField);
        assert!(e.detail.contains("did you mean 'srcport'"), "{}", e.detail);
        let e = Schema::from_format_string("${version", false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnknownField);
    }

    #[test]
    fn new_names_are_text_unless_strict() {
        let s = Schema::from_names(&["version", "instance-tag"], false).unwrap();
        assert_eq!(s.columns()[1].field, None);
        assert_eq!(s.columns()[1].kind, FieldKind::Text);
        let e = Schema::from_names(&["version", "instance-tag"], true).unwrap_err();
        assert_eq!(e.kind, ErrorKind::UnknownField);
    }

    #[test]
    fn too_many_columns_is_an_error_not_a_panic() {
        let names: Vec<String> = (0..MAX_COLUMNS + 1).map(|i| format!("f{i}")).collect();
        assert!(Schema::from_names(&names, false).is_err());
    }

    #[test]
    fn tgw_detection() {
        let s = Schema::from_names(&["version", "tgw-id", "srcaddr"], false).unwrap();
        assert!(s.is_transit_gateway());
        assert!(!Schema::default_format().is_transit_gateway());
    }
}
