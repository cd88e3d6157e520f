//! Offline verification of a ledger directory.

use std::fs;
use std::path::Path;

use ed25519_dalek::VerifyingKey;

use crate::checkpoint;
use crate::error::VerifyError;
use crate::files;
use crate::scan;

/// Payload limit when verifying: any length that fits the field and the file.
const VERIFY_PAYLOAD_LIMIT: usize = u32::MAX as usize;

/// What a successful [`verify`] covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records checked.
    pub records: u64,
    /// Seq of the last record (0 for an empty log).
    pub last_seq: u64,
    /// Chain hash after the last record.
    pub head_hash: [u8; 32],
    /// Checkpoints checked.
    pub checkpoints: u64,
    /// Segment files checked.
    pub segments: u64,
    /// Seq of the newest checkpoint; records after it are protected by the chain only.
    pub last_checkpoint: Option<u64>,
}

/// Offline verification of a directory: CRCs, hash chain, seq continuity,
/// checkpoint signatures (by `key`) and that each checkpoint's hash equals
/// the chain hash at its seq. Unlike `open`, a torn tail is reported, not
/// forgiven; run it on a copy or a stopped relay's directory.
pub fn verify(dir: &Path, key: &VerifyingKey) -> Result<VerifyReport, VerifyError> {
    fs::read_dir(dir).map_err(|e| VerifyError::io(dir, &e))?;
    let cp_path = dir.join(files::CHECKPOINTS_FILE);
    let loaded = checkpoint::load(&cp_path).map_err(|e| VerifyError::io(&cp_path, &e))?;
    let cp_error = |entry: &checkpoint::Entry, reason| VerifyError {
        seq: Some(entry.checkpoint.seq),
        file: cp_path.clone(),
        offset: entry.offset,
        reason,
    };
    for entry in &loaded.entries {
        entry
            .checkpoint
            .check(key)
            .map_err(|reason| cp_error(entry, reason))?;
    }
    if let Some(damage) = loaded.damage {
        return Err(VerifyError {
            seq: None,
            file: cp_path,
            offset: damage.offset,
            reason: damage.reason,
        });
    }

    let expected = checkpoint::expectations(&loaded.entries);
    let scanned = scan::scan(dir, VERIFY_PAYLOAD_LIMIT, &expected)
        .map_err(|(p, e)| VerifyError::io(&p, &e))?;
    if let Some(f) = scanned.failure {
        return Err(VerifyError {
            seq: Some(f.seq),
            file: f.path,
            offset: f.offset,
            reason: f.reason,
        });
    }
    if let Some((entry, reason)) = checkpoint::beyond_log(&loaded.entries, scanned.last_seq) {
        return Err(cp_error(entry, reason));
    }
    Ok(VerifyReport {
        records: scanned.last_seq,
        last_seq: scanned.last_seq,
        head_hash: scanned.head,
        checkpoints: loaded.entries.len() as u64,
        segments: scanned.total_segments as u64,
        last_checkpoint: loaded.entries.iter().map(|e| e.checkpoint.seq).max(),
    })
}
