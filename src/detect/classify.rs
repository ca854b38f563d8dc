//! `classification.config` (classtype → description, priority) and
//! `reference.config` (reference system → URL prefix), in Suricata's
//! format: `config classification: name,description,priority` and
//! `config reference: system URL`; `#` comments and blank lines skipped.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use super::error::{LoadError, Location};

/// One classtype.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassType {
    /// Description (EVE `alert.category`).
    pub description: String,
    /// Priority (EVE `alert.severity`).
    pub priority: u8,
}

/// The classtypes of a classification.config.
#[derive(Debug, Clone, Default)]
pub struct Classification {
    /// By short name.
    pub classes: HashMap<String, ClassType>,
    /// The file read.
    pub file: String,
}

impl Classification {
    /// Parses the text of a classification.config named `file`.
    pub fn parse(text: &str, file: &str) -> Result<Classification, LoadError> {
        let mut classes = HashMap::new();
        let f: Arc<str> = Arc::from(file);
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |what: &str| LoadError::Config {
                location: Location {
                    file: f.clone(),
                    line: n + 1,
                },
                what: what.to_owned(),
            };
            let rest = line.strip_prefix("config classification:").ok_or_else(|| {
                bad("expected `config classification: name,description,priority`")
            })?;
            let mut parts = rest.splitn(3, ',').map(str::trim);
            let (Some(name), Some(desc), Some(prio)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(bad("expected name,description,priority"));
            };
            let priority = prio
                .parse::<u8>()
                .ok()
                .filter(|&p| p >= 1)
                .ok_or_else(|| bad("priority must be a number 1..=255"))?;
            if name.is_empty() {
                return Err(bad("empty classtype name"));
            }
            classes.insert(
                name.to_owned(),
                ClassType {
                    description: desc.to_owned(),
                    priority,
                },
            );
        }
        Ok(Classification {
            classes,
            file: file.to_owned(),
        })
    }

    /// Reads and parses a file.
    pub fn load(path: &Path) -> Result<Classification, LoadError> {
        let text = read(path)?;
        Classification::parse(&text, &path.display().to_string())
    }
}

/// The reference systems of a reference.config.
#[derive(Debug, Clone, Default)]
pub struct References {
    /// System → URL prefix.
    pub systems: HashMap<String, String>,
    /// The file read.
    pub file: String,
}

impl References {
    /// Parses the text of a reference.config named `file`.
    pub fn parse(text: &str, file: &str) -> Result<References, LoadError> {
        let mut systems = HashMap::new();
        let f: Arc<str> = Arc::from(file);
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let rest = line
                .strip_prefix("config reference:")
                .ok_or_else(|| LoadError::Config {
                    location: Location {
                        file: f.clone(),
                        line: n + 1,
                    },
                    what: "expected `config reference: system URL`".into(),
                })?;
            let rest = rest.trim();
            let (sys, url) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            systems.insert(sys.to_ascii_lowercase(), url.trim().to_owned());
        }
        Ok(References {
            systems,
            file: file.to_owned(),
        })
    }

    /// Reads and parses a file.
    pub fn load(path: &Path) -> Result<References, LoadError> {
        let text = read(path)?;
        References::parse(&text, &path.display().to_string())
    }
}

fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|source| LoadError::Io {
            path: path.display().to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_suricata_format() {
        let c = Classification::parse(
            "# comment\n\nconfig classification: trojan-activity,A Network Trojan was detected,1\n",
            "c.config",
        )
        .unwrap();
        assert_eq!(c.classes["trojan-activity"].priority, 1);
        assert_eq!(
            c.classes["trojan-activity"].description,
            "A Network Trojan was detected"
        );
        let e = Classification::parse("config classification: a,b\n", "c.config").unwrap_err();
        assert!(e.to_string().starts_with("c.config:1:"), "{e}");
        let r = References::parse(
            "config reference: url http://\nconfig reference: cve http://cve/\n",
            "r",
        )
        .unwrap();
        assert_eq!(r.systems["cve"], "http://cve/");
        assert!(References::parse("junk", "r").is_err());
    }
}
