//! Read-only access to a log directory that a running writer may hold:
//! the checks of `open`, none of its repairs, and no lock.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;

use crate::error::LedgerError;
use crate::index::Segment;
use crate::options::LedgerOptions;
use crate::reader::{Records, View};
use crate::recover::{self, Truncation};

/// A read-only view of a log directory at the moment it was opened.
///
/// Opening takes no lock and modifies no file, so it works beside a running
/// [`Ledger`](crate::Ledger), in this process or another. The view is fixed
/// at open: records appended later are not returned; open a new reader to
/// see them.
///
/// A reader may return records of a batch that has been written but whose
/// `append_batch` has not returned yet (its sync is still running); a power
/// loss at that moment could still lose them, and the writer's next `open`
/// would then not have them.
pub struct LedgerReader {
    dir: PathBuf,
    max_payload: usize,
    segments: Vec<Segment>,
    last_seq: u64,
    head: [u8; 32],
    torn_tail: Option<Truncation>,
}

impl fmt::Debug for LedgerReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LedgerReader")
            .field("dir", &self.dir)
            .field("last_seq", &self.last_seq)
            .field("segments", &self.segments.len())
            .field("torn_tail", &self.torn_tail)
            .finish_non_exhaustive()
    }
}

impl LedgerReader {
    /// Scans `dir` without locking or repairing anything: checks magic, CRC,
    /// seq continuity and the chain for every record, and checkpoint
    /// signatures against `key` (a checkpoint signed by another key is an
    /// error).
    ///
    /// A torn or incomplete record at the very end of the last segment
    /// (exactly the damage [`Ledger::open`](crate::Ledger::open) would cut
    /// off: incomplete, bad magic, oversize length or CRC failure with no
    /// valid record after it) is not an error: a running writer may be in the
    /// middle of appending it. The reader stops before it and reports it in
    /// [`torn_tail`](Self::torn_tail). A torn last checkpoint is ignored the
    /// same way. Any other damage is [`LedgerError::Corrupt`], as for `open`,
    /// including a checkpoint past the readable end: a writer syncs records
    /// before it checkpoints them, and checkpoints are read first, so that
    /// means checkpointed records were lost, never that they are being
    /// written. A missing directory is an I/O error.
    pub fn open(
        dir: &Path,
        key: &VerifyingKey,
        opts: LedgerOptions,
    ) -> Result<LedgerReader, LedgerError> {
        // `check` treats a missing directory as an empty log; a reader must not.
        fs::read_dir(dir).map_err(|e| LedgerError::io(dir, e))?;
        let plan = recover::check(dir, key, &opts)?;
        Ok(LedgerReader {
            dir: dir.to_path_buf(),
            max_payload: opts.payload_limit(),
            segments: plan.segments,
            last_seq: plan.last_seq,
            head: plan.head,
            torn_tail: plan.truncated,
        })
    }

    /// Seq of the last readable record as of open (0 for an empty log).
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Chain hash after the last readable record (all zeros for an empty log).
    pub fn head_hash(&self) -> [u8; 32] {
        self.head
    }

    /// The directory read.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the readable log ended in a torn or incomplete record that was
    /// ignored, if it did: the last segment, the offset the reader stopped
    /// at, and the bytes after it. `open` would cut those bytes off.
    pub fn torn_tail(&self) -> Option<&Truncation> {
        self.torn_tail.as_ref()
    }

    /// Records with seq >= `from` up to [`last_seq`](Self::last_seq) as of
    /// open (records appended later are not returned), read from disk with
    /// CRC, seq and chain re-checked as by
    /// [`Ledger::read_from`](crate::Ledger::read_from).
    pub fn read_from(&self, from: u64) -> Result<Records<'_>, LedgerError> {
        Ok(self.view().records(from))
    }

    /// The newest snapshot at or below `seq` (and `last_seq`) that is intact
    /// and whose chain hash matches the log at its seq; damaged ones are
    /// skipped. As [`Ledger::snapshot_at_or_before`](crate::Ledger::snapshot_at_or_before).
    pub fn snapshot_at_or_before(&self, seq: u64) -> Result<Option<(u64, Vec<u8>)>, LedgerError> {
        self.view().snapshot_at_or_before(seq)
    }

    fn view(&self) -> View<'_> {
        View {
            dir: &self.dir,
            segments: &self.segments,
            max_payload: self.max_payload,
            last_seq: self.last_seq,
            head: self.head,
        }
    }
}
