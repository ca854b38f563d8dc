//! The compiled rule set the workers share, and its atomic replacement
//! (`SIGHUP` in `serve`): workers look at a generation counter once per
//! batch and take the new set when it changed; no packet waits for a
//! reload, and no lock is taken per packet.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::detect::RuleSet;
use crate::output::eve::AlertInfo;

/// A rule set with what its alerts say about each rule.
#[derive(Clone)]
pub struct LoadedRules {
    /// The rules.
    pub set: Arc<RuleSet>,
    /// `alert` objects, one per rule of `set.sigs`.
    pub infos: Arc<[AlertInfo]>,
    /// Which load this is (starts at 1).
    pub generation: u64,
    /// The fingerprints the rules enable in EVE objects (JA3, HASSH).
    pub fp: crate::output::eve_tx::Fingerprints,
}

impl LoadedRules {
    /// Prepares a rule set's alert descriptions.
    pub fn new(set: RuleSet, generation: u64) -> Self {
        let infos: Vec<AlertInfo> = set.sigs.iter().map(alert_info).collect();
        let fp = crate::output::eve_tx::Fingerprints::of_buffers(
            set.sigs
                .iter()
                .flat_map(|s| s.buffers.iter().map(|b| &b.kind)),
        );
        LoadedRules {
            set: Arc::new(set),
            infos: infos.into(),
            generation,
            fp,
        }
    }
}

/// A rule's `alert` object: msg, classification, severity, metadata
/// grouped per key in rule order (Suricata's `{"key": ["v1", "v2"]}`).
fn alert_info(s: &crate::detect::Signature) -> AlertInfo {
    let mut metadata: Vec<(String, Vec<String>)> = Vec::new();
    for item in &s.metadata {
        let item = item.trim();
        let (k, v) = match item.split_once(char::is_whitespace) {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (item, ""),
        };
        if k.is_empty() {
            continue;
        }
        match metadata.iter_mut().find(|(key, _)| key == k) {
            Some((_, vals)) => vals.push(v.to_owned()),
            None => metadata.push((k.to_owned(), vec![v.to_owned()])),
        }
    }
    AlertInfo {
        gid: s.gid,
        signature_id: s.sid,
        rev: s.rev,
        signature: s.msg.clone(),
        category: s.category.clone().unwrap_or_else(|| Arc::from("")),
        severity: s.priority,
        metadata: metadata.into(),
    }
}

/// The current rule set, replaceable while workers run.
#[derive(Clone)]
pub struct RuleHandle {
    inner: Arc<Shared>,
}

impl std::fmt::Debug for RuleHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleHandle")
            .field("generation", &self.generation())
            .finish()
    }
}

struct Shared {
    current: Mutex<LoadedRules>,
    generation: AtomicU64,
}

impl RuleHandle {
    /// A handle holding `set` as generation 1.
    pub fn new(set: RuleSet) -> Self {
        RuleHandle {
            inner: Arc::new(Shared {
                current: Mutex::new(LoadedRules::new(set, 1)),
                generation: AtomicU64::new(1),
            }),
        }
    }

    /// The generation workers should be running.
    #[inline]
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// The current rule set.
    pub fn current(&self) -> LoadedRules {
        match self.inner.current.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Replaces the rule set; workers take it at their next batch.
    /// Returns the new generation.
    pub fn replace(&self, set: RuleSet) -> u64 {
        let mut g = match self.inner.current.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let generation = g.generation + 1;
        *g = LoadedRules::new(set, generation);
        self.inner.generation.store(generation, Ordering::Release);
        generation
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::RuleVars;
    use crate::detect::load::Loader;

    fn set(text: &str) -> RuleSet {
        let vars = RuleVars::default();
        let mut l = Loader::new(&vars, None);
        l.add_text(text, "t.rules");
        l.finish().0
    }

    #[test]
    fn metadata_grouped_per_key_in_rule_order() {
        let r =
            set("alert ip any any -> any any (msg:\"m\"; metadata:a 1, b 2, a 3; sid:5; rev:2;)");
        let l = LoadedRules::new(r, 1);
        let i = &l.infos[0];
        assert_eq!((i.signature_id, i.rev, &*i.signature), (5, 2, "m"));
        assert_eq!(
            &*i.metadata,
            &[
                ("a".to_owned(), vec!["1".to_owned(), "3".to_owned()]),
                ("b".to_owned(), vec!["2".to_owned()])
            ]
        );
    }

    #[test]
    fn replace_bumps_the_generation_workers_watch() {
        let h = RuleHandle::new(set("alert ip any any -> any any (sid:1;)"));
        let before = h.current();
        assert_eq!((h.generation(), before.generation), (1, 1));
        assert_eq!(h.replace(set("alert ip any any -> any any (sid:2;)")), 2);
        let now = h.current();
        assert_eq!((now.generation, now.set.sigs[0].sid), (2, 2));
        assert_eq!(before.set.sigs[0].sid, 1);
    }
}
