//! Typed errors of rule loading: every one names the file and line of the
//! rule and says what was wrong, so a person can fix the rule.

use std::fmt;
use std::sync::Arc;

/// Where a rule starts: file and 1-based line (the first line of a
/// multi-line rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file as given (or `<inline>` for rule text not read from a file).
    pub file: Arc<str>,
    /// 1-based line number.
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Why one rule could not be parsed. The message says what was wrong; the
/// loader adds the location ([`RuleError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The rule header (action, protocol, addresses, ports, direction) is wrong.
    #[error("header: {0}")]
    Header(String),
    /// The option list is malformed (no parentheses, unterminated option).
    #[error("options: {0}")]
    Options(String),
    /// A keyword's value is invalid.
    #[error("keyword `{keyword}`: {what}")]
    Keyword {
        /// The keyword as written.
        keyword: String,
        /// What is wrong with its value.
        what: String,
    },
    /// A keyword Suricata does not know.
    #[error("unknown keyword `{0}`")]
    UnknownKeyword(String),
    /// The rule as a whole is inconsistent (no sid, conflicting modifiers).
    #[error("{0}")]
    Rule(String),
}

impl ParseError {
    /// A keyword error.
    pub fn keyword(keyword: &str, what: impl Into<String>) -> Self {
        ParseError::Keyword {
            keyword: keyword.to_owned(),
            what: what.into(),
        }
    }
}

/// A rule that failed to parse, located.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {error}")]
pub struct RuleError {
    /// Where the rule starts.
    pub location: Location,
    /// The sid when it could be read before the error, for reports.
    pub sid: Option<u32>,
    /// What was wrong.
    #[source]
    pub error: ParseError,
}

/// A rule file or configuration file that could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The path could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line of classification.config / reference.config is malformed.
    #[error("{location}: {what}")]
    Config {
        /// Where.
        location: Location,
        /// What is wrong.
        what: String,
    },
}
