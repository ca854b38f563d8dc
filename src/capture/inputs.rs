//! Expands the inputs of `replay` (files and directories) into a list of
//! captures in timestamp order.

use std::path::{Path, PathBuf};

use super::{CaptureError, CaptureFile};

/// File extensions taken from directories.
const EXTENSIONS: [&str; 4] = ["pcap", "pcapng", "cap", "dmp"];

/// Walks directories (recursively) for captures and orders every input by
/// the timestamp of its first frame (files without frames first, ties in
/// the order given). Files named explicitly are taken whatever their name.
pub fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, CaptureError> {
    let mut files = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|source| CaptureError::Io {
            path: input.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk(input, &mut files)?;
        } else {
            files.push(input.clone());
        }
    }
    let mut keyed: Vec<(u64, usize, PathBuf)> = files
        .into_iter()
        .enumerate()
        .map(|(i, p)| (first_timestamp(&p), i, p))
        .collect();
    keyed.sort();
    Ok(keyed.into_iter().map(|(_, _, p)| p).collect())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CaptureError> {
    let rd = std::fs::read_dir(dir).map_err(|source| CaptureError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            out.push(p);
        }
    }
    Ok(())
}

/// Timestamp of the first frame; 0 when unreadable or empty (errors are
/// reported when the file is replayed).
fn first_timestamp(path: &Path) -> u64 {
    let Ok(mut c) = CaptureFile::open(path) else {
        return 0;
    };
    let mut ts = 0;
    let _ = c.for_each(|f| {
        ts = f.ts_ns;
        false
    });
    ts
}
