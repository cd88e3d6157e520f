//! Error types: what went wrong while operating the ledger, and where damage was found.

use std::io;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Why a record, checkpoint or file was judged bad.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Reason {
    /// The bytes at this offset do not start with the record magic.
    #[error("bad magic: not the start of a record")]
    BadMagic,
    /// The length field announces more payload than allowed.
    #[error("payload length {len} exceeds the limit of {max}")]
    TooLarge {
        /// Announced payload length.
        len: u64,
        /// Limit in force.
        max: u64,
    },
    /// The file ends inside the record.
    #[error("record truncated: the file ends inside it")]
    Truncated,
    /// The stored CRC does not match the record's bytes.
    #[error("CRC mismatch")]
    CrcMismatch,
    /// The stored chain hash does not follow from the previous one and this payload.
    #[error("chain hash mismatch")]
    ChainMismatch,
    /// A record (or segment file name) carries an unexpected sequence number.
    #[error("sequence gap: expected {expected}, found {found}")]
    SeqGap {
        /// The sequence number that should have come next.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// A checkpoint's signature does not verify under its key.
    #[error("checkpoint at seq {seq} has a bad signature")]
    BadCheckpointSignature {
        /// The checkpoint's sequence number.
        seq: u64,
    },
    /// A checkpoint was signed by a key other than the expected one.
    #[error("checkpoint at seq {seq} was signed by another key")]
    CheckpointKeyMismatch {
        /// The checkpoint's sequence number.
        seq: u64,
    },
    /// A checkpoint's hash differs from the chain hash of the record at its seq.
    #[error("checkpoint at seq {seq} does not match the chain hash at that seq")]
    CheckpointMismatch {
        /// The checkpoint's sequence number.
        seq: u64,
    },
    /// A checkpoint names a record past the end of the log (records were lost).
    #[error("checkpoint at seq {seq} is beyond the end of the log (last seq {last_seq})")]
    CheckpointBeyondEnd {
        /// The checkpoint's sequence number.
        seq: u64,
        /// The last record in the log.
        last_seq: u64,
    },
    /// The file could not be read (only reported by [`verify`](crate::verify)).
    #[error("I/O error: {message}")]
    Io {
        /// Kind of the underlying error.
        kind: io::ErrorKind,
        /// Its message.
        message: String,
    },
}

impl Reason {
    /// Damage a crash can leave at the end of an append-only file: anything
    /// that fails before the CRC is confirmed. A CRC-valid record with a wrong
    /// seq or hash was written that way, so it is never a torn write.
    pub(crate) fn may_be_torn_write(&self) -> bool {
        matches!(
            self,
            Reason::BadMagic | Reason::TooLarge { .. } | Reason::Truncated | Reason::CrcMismatch
        )
    }
}

/// Errors from operating a [`Ledger`](crate::Ledger).
#[derive(Debug, Error)]
pub enum LedgerError {
    /// A file-system operation failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// File or directory involved.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: io::Error,
    },
    /// The log is damaged in a way recovery must not repair; the relay must refuse to start.
    #[error("ledger corrupt: {} at offset {offset}{}: {reason}", .segment.display(), seq_note(*.seq))]
    Corrupt {
        /// The damaged file (a segment, or the checkpoint log).
        segment: PathBuf,
        /// Byte offset of the bad record in that file.
        offset: u64,
        /// Sequence number of the bad record, where known.
        seq: Option<u64>,
        /// What is wrong.
        reason: Reason,
    },
    /// An entry's payload exceeds `max_payload`; nothing of the batch was written.
    #[error("payload of entry {index} is {len} bytes, over the limit of {max}")]
    PayloadTooLarge {
        /// Position of the entry in the batch.
        index: usize,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Another `Ledger` (in this or another process) holds the directory.
    #[error("ledger directory {} is locked by another writer", .0.display())]
    Locked(PathBuf),
    /// An earlier write failed, so what is on disk is unknown; reopen to recover.
    #[error("an earlier write failed; reopen the ledger to recover")]
    Poisoned,
    /// A snapshot was offered for a seq the log does not have yet.
    #[error("snapshot at seq {seq} is beyond the end of the log (last seq {last_seq})")]
    SnapshotBeyondEnd {
        /// Seq the snapshot claims.
        seq: u64,
        /// Last record in the log.
        last_seq: u64,
    },
    /// The batch is durable, but the automatic checkpoint after it failed.
    #[error("records {}..={} are committed, but the checkpoint after them failed", .committed.start(), .committed.end())]
    CheckpointFailed {
        /// The seqs the batch was given; they are on disk.
        committed: RangeInclusive<u64>,
        /// Why the checkpoint failed.
        #[source]
        source: Box<LedgerError>,
    },
}

impl LedgerError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        LedgerError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The first problem [`verify`](crate::verify) found.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{} at offset {offset}{}: {reason}", .file.display(), seq_note(*.seq))]
pub struct VerifyError {
    /// Sequence number of the bad record or checkpoint, where known.
    pub seq: Option<u64>,
    /// The file holding it (a segment, or the checkpoint log).
    pub file: PathBuf,
    /// Byte offset of the bad record in that file.
    pub offset: u64,
    /// What is wrong.
    pub reason: Reason,
}

impl VerifyError {
    /// A read failure on `file`.
    pub(crate) fn io(file: &Path, e: &io::Error) -> Self {
        VerifyError {
            seq: None,
            file: file.to_path_buf(),
            offset: 0,
            reason: Reason::Io {
                kind: e.kind(),
                message: e.to_string(),
            },
        }
    }
}

/// " (seq N)" when the seq is known.
fn seq_note(seq: Option<u64>) -> String {
    seq.map(|s| format!(" (seq {s})")).unwrap_or_default()
}
