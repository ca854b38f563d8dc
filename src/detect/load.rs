//! Loading rule files and directories: comments and commented-out rules
//! skipped, multi-line rules (trailing `\`) joined, every rule parsed on
//! its own so a broken one never stops the others, then the loaded ones
//! compiled into a [`RuleSet`]. The [`LoadReport`] counts what loaded,
//! what is unsupported (by keyword) and what failed (file:line, reason).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hashbrown::HashMap;

use super::classify::{Classification, References};
use super::engine::RuleSet;
use super::error::{LoadError, Location, ParseError, RuleError};
use super::rule::parse::{Parsed, parse_rule};
use super::rule::vars::RuleVars;
use super::signature::Signature;

/// What to load with.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Address and port variables.
    pub vars: RuleVars,
    /// classification.config; when `None`, one found in (or beside) the
    /// first given path is used, else classtypes are not checked.
    pub classification: Option<PathBuf>,
    /// reference.config, found the same way.
    pub reference: Option<PathBuf>,
    /// Keep the text of every loaded rule in [`LoadReport::loaded_rules`]
    /// (to run a peer on exactly the rules vxtap enforces).
    pub keep_loaded_text: bool,
}

/// What loading found.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Rule files read, in order.
    pub files: Vec<PathBuf>,
    /// Active rules (not commented out).
    pub total: usize,
    /// Rules loaded, every keyword enforced.
    pub loaded: usize,
    /// Rules left out because they use something not enforced.
    pub unsupported: usize,
    /// Unsupported rules per keyword (a rule counts once per keyword).
    pub unsupported_by_keyword: BTreeMap<String, usize>,
    /// Rules that failed to parse, with location and reason.
    pub failed: Vec<RuleError>,
    /// The classification.config used.
    pub classification: Option<String>,
    /// The reference.config used.
    pub reference: Option<String>,
    /// Rules with a prefilter pattern / without.
    pub prefilter: (usize, usize),
    /// Time to read, parse and compile.
    pub elapsed: Duration,
    /// The loaded rules' text (continuation lines joined), when asked for.
    pub loaded_rules: Vec<String>,
}

/// One rule's text with where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleText {
    /// 1-based first line.
    pub line: usize,
    /// The rule, continuation lines joined.
    pub text: String,
}

/// Splits a rule file into rules: `#` lines (comments, disabled rules)
/// and blank lines are skipped; a line ending in `\` continues on the next.
pub fn split_rules(content: &str) -> Vec<RuleText> {
    let mut out = Vec::new();
    let mut cur: Option<RuleText> = None;
    for (n, line) in content.lines().enumerate() {
        let t = line.trim();
        match cur.as_mut() {
            Some(r) => {
                if let Some(head) = t.strip_suffix('\\') {
                    r.text.push_str(head);
                } else {
                    r.text.push_str(t);
                    out.extend(cur.take());
                }
            }
            None => {
                if t.is_empty() || t.starts_with('#') {
                    continue;
                }
                if let Some(head) = t.strip_suffix('\\') {
                    cur = Some(RuleText {
                        line: n + 1,
                        text: head.to_owned(),
                    });
                } else {
                    out.push(RuleText {
                        line: n + 1,
                        text: t.to_owned(),
                    });
                }
            }
        }
    }
    out.extend(cur);
    out
}

/// Rule files under `paths`: files as given, directories walked
/// recursively for `*.rules` (sorted).
pub fn rule_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|source| LoadError::Io {
            path: p.display().to_string(),
            source,
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let rd = std::fs::read_dir(dir).map_err(|source| LoadError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    for e in rd {
        let e = e.map_err(|source| LoadError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let path = e.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "rules") {
            out.push(path);
        }
    }
    Ok(())
}

fn find_beside(paths: &[PathBuf], name: &str) -> Option<PathBuf> {
    paths.iter().find_map(|p| {
        let dir = if p.is_dir() { p.as_path() } else { p.parent()? };
        let c = dir.join(name);
        c.is_file().then_some(c)
    })
}

/// Accumulates parsed rules and the report.
pub struct Loader<'a> {
    vars: &'a RuleVars,
    classes: Option<&'a Classification>,
    sigs: Vec<Signature>,
    seen: HashMap<(u32, u32), Location>,
    /// Keep loaded rules' text in the report.
    pub keep_text: bool,
    /// The report so far.
    pub report: LoadReport,
}

impl<'a> Loader<'a> {
    /// A loader with these variables and (optionally) classtypes.
    pub fn new(vars: &'a RuleVars, classes: Option<&'a Classification>) -> Self {
        Loader {
            vars,
            classes,
            sigs: Vec::new(),
            seen: HashMap::new(),
            keep_text: false,
            report: LoadReport::default(),
        }
    }

    /// Parses every rule of `content` (named `file` in reports).
    pub fn add_text(&mut self, content: &str, file: &str) {
        let file: Arc<str> = Arc::from(file);
        for r in split_rules(content) {
            self.report.total += 1;
            let location = Location {
                file: file.clone(),
                line: r.line,
            };
            match parse_rule(&r.text, self.vars, location.clone()) {
                Ok(Parsed::Loaded(mut sig)) => {
                    if let Err(e) = self.classify(&mut sig) {
                        self.fail(location, Some(sig.sid), e);
                        continue;
                    }
                    let key = (sig.gid, sig.sid);
                    if let Some(first) = self.seen.get(&key) {
                        let e = ParseError::Rule(format!(
                            "duplicate signature {}:{} (first at {first})",
                            sig.gid, sig.sid
                        ));
                        self.fail(location, Some(sig.sid), e);
                        continue;
                    }
                    self.seen.insert(key, location);
                    self.report.loaded += 1;
                    if self.keep_text {
                        self.report.loaded_rules.push(r.text.clone());
                    }
                    self.sigs.push(*sig);
                }
                Ok(Parsed::Unsupported { mut sig, keywords }) => {
                    if let Err(e) = self.classify(&mut sig) {
                        self.fail(location, Some(sig.sid), e);
                        continue;
                    }
                    self.report.unsupported += 1;
                    for k in keywords {
                        *self.report.unsupported_by_keyword.entry(k).or_insert(0) += 1;
                    }
                }
                Err(error) => {
                    let sid = sid_of(&r.text);
                    self.fail(location, sid, error);
                }
            }
        }
    }

    fn fail(&mut self, location: Location, sid: Option<u32>, error: ParseError) {
        self.report.failed.push(RuleError {
            location,
            sid,
            error,
        });
    }

    fn classify(&self, sig: &mut Signature) -> Result<(), ParseError> {
        let (Some(ct), Some(classes)) = (&sig.classtype, self.classes) else {
            return Ok(());
        };
        let c = classes.classes.get(&**ct).ok_or_else(|| {
            ParseError::keyword(
                "classtype",
                format!("unknown classtype `{ct}` (not in {})", classes.file),
            )
        })?;
        if !sig.priority_explicit {
            sig.priority = c.priority;
        }
        sig.category = Some(Arc::from(c.description.as_str()));
        Ok(())
    }

    /// Compiles what loaded; the report gets the prefilter split.
    pub fn finish(self) -> (RuleSet, LoadReport) {
        let set = RuleSet::new(self.sigs);
        let mut report = self.report;
        report.prefilter = set.prefilter_stats();
        (set, report)
    }
}

/// Best-effort sid of a rule that failed, for reports.
fn sid_of(text: &str) -> Option<u32> {
    let i = text.find("sid:")?;
    let rest = text[i + 4..].trim_start();
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Loads rule files and directories into a compiled [`RuleSet`]. Only an
/// unreadable path or configuration file is an error; bad rules are in
/// the report.
pub fn load_paths(
    paths: &[PathBuf],
    opts: &LoadOptions,
) -> Result<(RuleSet, LoadReport), LoadError> {
    let start = Instant::now();
    let class_path = opts
        .classification
        .clone()
        .or_else(|| find_beside(paths, "classification.config"));
    let ref_path = opts
        .reference
        .clone()
        .or_else(|| find_beside(paths, "reference.config"));
    let classes = class_path
        .as_deref()
        .map(Classification::load)
        .transpose()?;
    let refs = ref_path.as_deref().map(References::load).transpose()?;
    let files = rule_files(paths)?;
    let mut loader = Loader::new(&opts.vars, classes.as_ref());
    loader.keep_text = opts.keep_loaded_text;
    for f in &files {
        let bytes = std::fs::read(f).map_err(|source| LoadError::Io {
            path: f.display().to_string(),
            source,
        })?;
        loader.add_text(&String::from_utf8_lossy(&bytes), &f.display().to_string());
    }
    let (set, mut report) = loader.finish();
    report.files = files;
    report.classification = classes.map(|c| c.file);
    report.reference = refs.map(|r| r.file);
    report.elapsed = start.elapsed();
    Ok((set, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_handles_comments_and_continuations() {
        let text = "# comment\n#alert tcp any any -> any any (sid:9;)\n\nalert tcp any any -> any any (msg:\\\n\"a\\\n\"; sid:1;)\nalert ip any any -> any any (sid:2;)\n";
        let r = split_rules(text);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].line, 4);
        assert_eq!(
            r[0].text,
            "alert tcp any any -> any any (msg:\"a\"; sid:1;)"
        );
        assert_eq!(r[1].line, 7);
    }

    #[test]
    fn bad_rules_do_not_stop_good_ones() {
        let vars = RuleVars::default();
        let mut l = Loader::new(&vars, None);
        l.add_text(
            "alert tcp any any -> any any (content:\"a\"; sid:1;)\n\
             alert tcp any any -> any any (content:\"a\" sid:2;)\n\
             alert sip any any -> any any (sip.uri; content:\"/x\"; sid:3;)\n\
             alert tcp any any -> any any (content:\"b\"; sid:1;)\n\
             alert udp any any -> any 53 (sid:4;)\n",
            "x.rules",
        );
        let (set, r) = l.finish();
        assert_eq!(
            (r.total, r.loaded, r.unsupported, r.failed.len()),
            (5, 2, 1, 2)
        );
        assert_eq!(set.sigs.len(), 2);
        assert_eq!(r.failed[0].location.to_string(), "x.rules:2");
        assert_eq!(r.failed[0].sid, Some(2));
        assert!(
            r.failed[1]
                .to_string()
                .contains("duplicate signature 1:1 (first at x.rules:1)")
        );
        assert_eq!(r.unsupported_by_keyword["sip.uri"], 1);
    }

    #[test]
    fn classtype_checked_and_priority_taken() {
        let vars = RuleVars::default();
        let c = Classification::parse("config classification: bad,Bad,1\n", "c.config").unwrap();
        let mut l = Loader::new(&vars, Some(&c));
        l.add_text(
            "alert ip any any -> any any (classtype:bad; sid:1;)\n\
             alert ip any any -> any any (classtype:nope; sid:2;)\n\
             alert ip any any -> any any (classtype:bad; priority:4; sid:3;)\n",
            "x.rules",
        );
        let (set, r) = l.finish();
        assert_eq!(r.failed.len(), 1);
        assert!(r.failed[0].to_string().contains("unknown classtype `nope`"));
        assert_eq!(set.sigs[0].priority, 1);
        assert_eq!(set.sigs[0].category.as_deref(), Some("Bad"));
        assert_eq!(set.sigs[1].priority, 4);
    }
}
