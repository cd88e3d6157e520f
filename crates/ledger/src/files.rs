//! File names in a ledger directory and small file-system helpers.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// The append-only log of signed checkpoints.
pub(crate) const CHECKPOINTS_FILE: &str = "checkpoints.log";
/// Directory of state snapshots.
pub(crate) const SNAPSHOT_DIR: &str = "snapshots";
/// File locked by the single writer.
pub(crate) const LOCK_FILE: &str = "LOCK";
/// Suffix of a snapshot being written.
pub(crate) const TMP_SUFFIX: &str = ".tmp";

/// Digits in the zero-padded seq of a file name.
const SEQ_DIGITS: usize = 20;

/// `seg-{first_seq:020}.log`.
pub(crate) fn segment_name(first_seq: u64) -> String {
    format!("seg-{first_seq:020}.log")
}

/// `snap-{seq:020}.bin`.
pub(crate) fn snapshot_name(seq: u64) -> String {
    format!("snap-{seq:020}.bin")
}

/// The seq in a file name `{prefix}{20 digits}{suffix}`; anything else is not ours.
fn parse_seq_name(name: &str, prefix: &str, suffix: &str) -> Option<u64> {
    let digits = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
    if digits.len() != SEQ_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Files in `dir` named by seq (`{prefix}{seq}{suffix}`), sorted by seq.
/// A missing directory has none.
pub(crate) fn list_by_seq(
    dir: &Path,
    prefix: &str,
    suffix: &str,
) -> io::Result<Vec<(u64, PathBuf)>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        if let Some(seq) = name
            .to_str()
            .and_then(|n| parse_seq_name(n, prefix, suffix))
        {
            found.push((seq, entry.path()));
        }
    }
    found.sort_by_key(|(seq, _)| *seq);
    Ok(found)
}

/// Segment files in `dir`, in seq order.
pub(crate) fn list_segments(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    list_by_seq(dir, "seg-", ".log")
}

/// Snapshot files in `dir`, in seq order.
pub(crate) fn list_snapshots(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    list_by_seq(dir, "snap-", ".bin")
}

/// Makes creations, renames and removals in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
