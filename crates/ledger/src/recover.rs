//! Crash recovery on open: [`check`] decides between "torn tail, cut it
//! off" and "corrupt, refuse" without touching anything (the read-only
//! [`LedgerReader`](crate::LedgerReader) stops there), then [`repair`]
//! applies the cuts.

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;

use crate::checkpoint;
use crate::error::LedgerError;
use crate::files;
use crate::index::Segment;
use crate::options::LedgerOptions;
use crate::scan;
use crate::snapshot;

/// What [`Ledger::open`](crate::Ledger::open) had to repair; all empty after a clean shutdown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Torn tail cut from the last segment.
    pub truncated: Option<Truncation>,
    /// Torn tail cut from the checkpoint log.
    pub checkpoints_truncated: Option<Truncation>,
    /// Files removed: an empty trailing segment, temp files of interrupted snapshot writes.
    pub removed: Vec<PathBuf>,
}

impl Recovery {
    /// Whether nothing had to be repaired.
    pub fn is_clean(&self) -> bool {
        self.truncated.is_none() && self.checkpoints_truncated.is_none() && self.removed.is_empty()
    }
}

/// Bytes cut from the end of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncation {
    /// The file (a segment, or the checkpoint log).
    pub segment: PathBuf,
    /// New length: the end of the last good record.
    pub offset: u64,
    /// Bytes removed.
    pub bytes: u64,
}

/// The state of a recovered directory.
pub(crate) struct Recovered {
    pub segments: Vec<Segment>,
    pub last_seq: u64,
    pub head: [u8; 32],
    pub last_checkpoint_seq: u64,
    pub recovery: Recovery,
}

/// What [`check`] found: the good part of the directory, and the repairs
/// `open` would make. Computing it modifies nothing.
pub(crate) struct Plan {
    /// Segments with their valid records; an empty trailing segment is left out.
    pub segments: Vec<Segment>,
    pub last_seq: u64,
    pub head: [u8; 32],
    pub last_checkpoint_seq: u64,
    /// Torn tail of the last segment, to be cut.
    pub truncated: Option<Truncation>,
    /// Torn tail of the checkpoint log, to be cut.
    pub checkpoints_truncated: Option<Truncation>,
    /// An empty trailing segment (a crash right after rollover), to be removed.
    pub empty_segment: Option<PathBuf>,
}

/// Checks everything in `dir`, then repairs what a crash can leave behind.
/// Nothing is modified unless the whole directory passed the checks.
pub(crate) fn recover(
    dir: &Path,
    key: &VerifyingKey,
    opts: &LedgerOptions,
) -> Result<Recovered, LedgerError> {
    let plan = check(dir, key, opts)?;
    repair(dir, plan)
}

/// Checks everything in `dir` without modifying anything: decides between
/// "torn tail, to be cut" and "corrupt, refuse". Only the bytes of each file
/// present when it is read are looked at, so a writer appending meanwhile
/// shows up at worst as a torn tail.
pub(crate) fn check(
    dir: &Path,
    key: &VerifyingKey,
    opts: &LedgerOptions,
) -> Result<Plan, LedgerError> {
    let limit = opts.payload_limit();
    let cp_path = dir.join(files::CHECKPOINTS_FILE);
    // Checkpoints before segments: a checkpoint is written only after its
    // records are durable, so every record one covers is in the segments
    // read afterwards, even while a writer is appending.
    let loaded = checkpoint::load(&cp_path).map_err(|e| LedgerError::io(&cp_path, e))?;
    let mut checkpoints_truncated = None;
    if let Some(damage) = loaded.damage {
        if !damage.torn {
            return Err(LedgerError::Corrupt {
                segment: cp_path,
                offset: damage.offset,
                seq: None,
                reason: damage.reason,
            });
        }
        checkpoints_truncated = Some(Truncation {
            segment: cp_path.clone(),
            offset: damage.offset,
            bytes: loaded.file_len - damage.offset,
        });
    }
    let cp_corrupt = |entry: &checkpoint::Entry, reason| LedgerError::Corrupt {
        segment: cp_path.clone(),
        offset: entry.offset,
        seq: Some(entry.checkpoint.seq),
        reason,
    };
    for entry in &loaded.entries {
        entry
            .checkpoint
            .check(key)
            .map_err(|reason| cp_corrupt(entry, reason))?;
    }

    let expected = checkpoint::expectations(&loaded.entries);
    let scanned = scan::scan(dir, limit, &expected).map_err(|(p, e)| LedgerError::io(&p, e))?;
    let mut truncated = None;
    if let Some(f) = scanned.failure {
        let is_last = f.segment + 1 == scanned.total_segments;
        let torn = is_last
            && f.reason.may_be_torn_write()
            && !scan::valid_record_from(&f.path, f.offset, f.file_len)
                .map_err(|e| LedgerError::io(&f.path, e))?;
        if !torn {
            return Err(LedgerError::Corrupt {
                segment: f.path,
                offset: f.offset,
                seq: Some(f.seq),
                reason: f.reason,
            });
        }
        truncated = Some(Truncation {
            segment: f.path,
            offset: f.offset,
            bytes: f.file_len.saturating_sub(f.offset),
        });
    }
    // A checkpoint is written only after its records are durable, so one
    // past the end means acknowledged records were lost.
    if let Some((entry, reason)) = checkpoint::beyond_log(&loaded.entries, scanned.last_seq) {
        return Err(cp_corrupt(entry, reason));
    }

    let mut segments = scanned.segments;
    let mut empty_segment = None;
    if segments.last().is_some_and(|s| s.records == 0)
        && let Some(empty) = segments.pop()
    {
        empty_segment = Some(empty.path);
    }
    let last_checkpoint_seq = loaded
        .entries
        .iter()
        .map(|e| e.checkpoint.seq)
        .max()
        .unwrap_or(0);
    Ok(Plan {
        segments,
        last_seq: scanned.last_seq,
        head: scanned.head,
        last_checkpoint_seq,
        truncated,
        checkpoints_truncated,
        empty_segment,
    })
}

/// Applies the repairs of a [`Plan`] that [`check`] made for `dir`, and
/// removes temp files of interrupted snapshot writes. Needs the writer lock.
pub(crate) fn repair(dir: &Path, plan: Plan) -> Result<Recovered, LedgerError> {
    let mut recovery = Recovery {
        truncated: plan.truncated,
        checkpoints_truncated: plan.checkpoints_truncated,
        removed: Vec::new(),
    };
    for cut in [&recovery.checkpoints_truncated, &recovery.truncated]
        .into_iter()
        .flatten()
    {
        truncate(cut)?;
    }
    if let Some(empty) = plan.empty_segment {
        fs::remove_file(&empty).map_err(|e| LedgerError::io(&empty, e))?;
        files::sync_dir(dir).map_err(|e| LedgerError::io(dir, e))?;
        recovery.removed.push(empty);
    }
    let temps = snapshot::remove_temp_files(dir).map_err(|(p, e)| LedgerError::io(&p, e))?;
    recovery.removed.extend(temps);
    Ok(Recovered {
        segments: plan.segments,
        last_seq: plan.last_seq,
        head: plan.head,
        last_checkpoint_seq: plan.last_checkpoint_seq,
        recovery,
    })
}

/// Cuts a file back to `cut.offset` and makes that durable.
fn truncate(cut: &Truncation) -> Result<(), LedgerError> {
    let file = OpenOptions::new()
        .write(true)
        .open(&cut.segment)
        .map_err(|e| LedgerError::io(&cut.segment, e))?;
    file.set_len(cut.offset)
        .and_then(|()| file.sync_all())
        .map_err(|e| LedgerError::io(&cut.segment, e))
}
