//! The writer: open with recovery, group-committed appends, checkpoints, snapshots.

use std::fmt;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::Write;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::chain;
use crate::checkpoint::Checkpoint;
use crate::error::LedgerError;
use crate::files;
use crate::index::Segment;
use crate::options::LedgerOptions;
use crate::reader::{Records, View};
use crate::record;
use crate::recover::{self, Recovery};
use crate::snapshot;

/// Encoded bytes buffered before a write to the segment file.
const FLUSH_AT: usize = 1 << 20;

/// An open, writable log in one directory; the single writer of that directory.
pub struct Ledger {
    dir: PathBuf,
    key: SigningKey,
    opts: LedgerOptions,
    /// All segments in seq order; the last one is the one appended to.
    segments: Vec<Segment>,
    /// Append handle of the last segment.
    active: Option<File>,
    checkpoints: File,
    last_seq: u64,
    head: [u8; 32],
    last_checkpoint_seq: u64,
    /// Set when a write failed: what is on disk is unknown until reopened.
    poisoned: bool,
    /// Reused encoding buffer.
    buf: Vec<u8>,
    /// Time spent in `fdatasync` during the last batch.
    last_sync: std::time::Duration,
    /// Held for the lifetime of the ledger; the OS lock keeps other writers out.
    _lock: File,
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ledger")
            .field("dir", &self.dir)
            .field("last_seq", &self.last_seq)
            .field("segments", &self.segments.len())
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

impl Ledger {
    /// Opens or creates the log in `dir`, recovering from a crash.
    pub fn open(
        dir: &Path,
        key: SigningKey,
        opts: LedgerOptions,
    ) -> Result<(Ledger, Recovery), LedgerError> {
        let created = !dir.exists();
        fs::create_dir_all(dir).map_err(|e| LedgerError::io(dir, e))?;
        if created {
            let parent = dir.parent().filter(|p| !p.as_os_str().is_empty());
            let parent = parent.unwrap_or(Path::new("."));
            files::sync_dir(parent).map_err(|e| LedgerError::io(parent, e))?;
        }
        let lock = lock_dir(dir)?;
        let recovered = recover::recover(dir, &key.verifying_key(), &opts)?;

        let cp_path = dir.join(files::CHECKPOINTS_FILE);
        let cp_existed = cp_path.exists();
        let checkpoints = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&cp_path)
            .map_err(|e| LedgerError::io(&cp_path, e))?;
        if !cp_existed {
            files::sync_dir(dir).map_err(|e| LedgerError::io(dir, e))?;
        }
        let active = match recovered.segments.last() {
            Some(seg) => Some(
                OpenOptions::new()
                    .append(true)
                    .open(&seg.path)
                    .map_err(|e| LedgerError::io(&seg.path, e))?,
            ),
            None => None,
        };
        let ledger = Ledger {
            dir: dir.to_path_buf(),
            key,
            opts,
            segments: recovered.segments,
            active,
            checkpoints,
            last_seq: recovered.last_seq,
            head: recovered.head,
            last_checkpoint_seq: recovered.last_checkpoint_seq,
            poisoned: false,
            buf: Vec::new(),
            last_sync: std::time::Duration::ZERO,
            _lock: lock,
        };
        Ok((ledger, recovered.recovery))
    }

    /// Group commit: appends all entries, then one `fdatasync`, and returns the
    /// seqs given (empty for an empty batch). Nothing is visible before it
    /// returns. On an I/O error the ledger refuses further writes; reopen it
    /// to learn which records reached the disk.
    pub fn append_batch(
        &mut self,
        entries: &[(i64, &[u8])],
    ) -> Result<RangeInclusive<u64>, LedgerError> {
        self.ensure_writable()?;
        let max = self.opts.payload_limit();
        // Checked up front so a rejected batch leaves no trace.
        if let Some((index, (_, payload))) =
            entries.iter().enumerate().find(|(_, (_, p))| p.len() > max)
        {
            return Err(LedgerError::PayloadTooLarge {
                index,
                len: payload.len(),
                max,
            });
        }
        let first = self.last_seq + 1;
        if entries.is_empty() {
            return Ok(first..=self.last_seq);
        }
        if let Err(e) = self.write_batch(entries) {
            self.poisoned = true;
            return Err(e);
        }
        let committed = first..=self.last_seq;
        let every = self.opts.checkpoint_every;
        if every > 0 && self.last_seq - self.last_checkpoint_seq >= every {
            let time = entries.last().map_or(0, |(t, _)| *t);
            if let Err(source) = self.checkpoint(time) {
                return Err(LedgerError::CheckpointFailed {
                    committed,
                    source: Box::new(source),
                });
            }
        }
        Ok(committed)
    }

    /// Encodes and writes `entries`, rolling segments as needed, and syncs.
    /// The index may run ahead of `last_seq` if this fails; readers stop at
    /// `last_seq` and the caller poisons the ledger, so that is harmless.
    fn write_batch(&mut self, entries: &[(i64, &[u8])]) -> Result<(), LedgerError> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        self.last_sync = std::time::Duration::ZERO;
        let mut seq = self.last_seq;
        let mut head = self.head;
        let mut unsynced = false;
        for &(time, payload) in entries {
            let max = self.opts.segment_max_bytes;
            let idx = match self.segments.last() {
                Some(s) if s.records == 0 || s.len < max => self.segments.len() - 1,
                _ => {
                    self.flush(&mut buf)?;
                    if unsynced {
                        // The old segment must be durable before the new one
                        // exists, or a crash could leave a hole mid-log.
                        self.sync_active()?;
                    }
                    self.start_segment(seq + 1)?
                }
            };
            seq += 1;
            head = chain::next(&head, seq, time, payload);
            let seg = &mut self.segments[idx];
            seg.push(seq, seg.len, record::encoded_len(payload.len()));
            record::encode_into(&mut buf, seq, time, payload, &head);
            unsynced = true;
            if buf.len() >= FLUSH_AT {
                self.flush(&mut buf)?;
            }
        }
        self.flush(&mut buf)?;
        self.sync_active()?;
        self.buf = buf;
        self.last_seq = seq;
        self.head = head;
        Ok(())
    }

    /// Writes buffered bytes to the active segment.
    fn flush(&mut self, buf: &mut Vec<u8>) -> Result<(), LedgerError> {
        if buf.is_empty() {
            return Ok(());
        }
        let path = self.active_path();
        let file = self.active.as_mut().ok_or_else(|| no_active(&path))?;
        file.write_all(buf).map_err(|e| LedgerError::io(&path, e))?;
        buf.clear();
        Ok(())
    }

    /// `fdatasync` of the active segment.
    fn sync_active(&mut self) -> Result<(), LedgerError> {
        let path = self.active_path();
        let file = self.active.as_ref().ok_or_else(|| no_active(&path))?;
        let started = std::time::Instant::now();
        let result = file.sync_data().map_err(|e| LedgerError::io(&path, e));
        self.last_sync += started.elapsed();
        result
    }

    /// Time the last `append_batch` spent waiting for `fdatasync`.
    pub fn last_sync_time(&self) -> std::time::Duration {
        self.last_sync
    }

    /// Path of the active segment, for error messages.
    fn active_path(&self) -> PathBuf {
        self.segments
            .last()
            .map_or_else(|| self.dir.clone(), |s| s.path.clone())
    }

    /// Creates the segment whose first record is `first_seq`, durably, and
    /// makes it active; returns its index.
    fn start_segment(&mut self, first_seq: u64) -> Result<usize, LedgerError> {
        let path = self.dir.join(files::segment_name(first_seq));
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .and_then(|f| f.sync_all().map(|()| f))
            .map_err(|e| LedgerError::io(&path, e))?;
        files::sync_dir(&self.dir).map_err(|e| LedgerError::io(&self.dir, e))?;
        self.active = Some(file);
        self.segments.push(Segment::new(first_seq, path));
        Ok(self.segments.len() - 1)
    }

    /// Seq of the last committed record (0 for an empty log).
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Chain hash after the last committed record (all zeros for an empty log).
    pub fn head_hash(&self) -> [u8; 32] {
        self.head
    }

    /// The directory this ledger lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key checkpoints are signed with, as [`verify`](crate::verify) expects it.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// Seq of the newest checkpoint (0 if none).
    pub fn last_checkpoint_seq(&self) -> u64 {
        self.last_checkpoint_seq
    }

    /// Committed records with seq >= `from`, in order, read from disk with
    /// CRC, seq and chain re-checked.
    pub fn read_from(&self, from: u64) -> Result<Records<'_>, LedgerError> {
        Ok(self.view().records(from))
    }

    /// Writes a signed checkpoint of the current head now.
    pub fn checkpoint(&mut self, time: i64) -> Result<(), LedgerError> {
        self.signed_head(time).map(|_| ())
    }

    /// Signs the current head now (a checkpoint, written like any other) and
    /// returns it, for a reader that fetches the records over the network.
    pub fn signed_head(&mut self, time: i64) -> Result<crate::SignedHead, LedgerError> {
        self.ensure_writable()?;
        let cp = Checkpoint::sign(&self.key, self.last_seq, time, self.head);
        let written = self
            .checkpoints
            .write_all(&cp.encode())
            .and_then(|()| self.checkpoints.sync_data());
        if let Err(e) = written {
            // A half-written checkpoint must not be followed by more.
            self.poisoned = true;
            return Err(LedgerError::io(&self.dir.join(files::CHECKPOINTS_FILE), e));
        }
        self.last_checkpoint_seq = self.last_seq;
        Ok(crate::SignedHead::from(&cp))
    }

    /// Durably stores a state snapshot taken at `seq` (temp file, fsync,
    /// rename, fsync directory) and drops all but the newest few.
    pub fn write_snapshot(&mut self, seq: u64, bytes: &[u8]) -> Result<(), LedgerError> {
        self.ensure_writable()?;
        if seq > self.last_seq {
            return Err(LedgerError::SnapshotBeyondEnd {
                seq,
                last_seq: self.last_seq,
            });
        }
        let hash = self.view().hash_at(seq)?;
        let io = |(p, e): snapshot::PathError| LedgerError::io(&p, e);
        snapshot::write(&self.dir, seq, &hash, bytes).map_err(io)?;
        snapshot::prune(&self.dir, self.opts.snapshots_kept).map_err(io)
    }

    /// The newest snapshot at or below `seq` that is intact and whose chain
    /// hash matches the log at its seq; damaged ones are skipped.
    pub fn snapshot_at_or_before(&self, seq: u64) -> Result<Option<(u64, Vec<u8>)>, LedgerError> {
        self.view().snapshot_at_or_before(seq)
    }

    /// The committed part of the log, for reading.
    fn view(&self) -> View<'_> {
        View {
            dir: &self.dir,
            segments: &self.segments,
            max_payload: self.opts.payload_limit(),
            last_seq: self.last_seq,
            head: self.head,
        }
    }

    /// Refuses writes after a failed one.
    fn ensure_writable(&self) -> Result<(), LedgerError> {
        if self.poisoned {
            Err(LedgerError::Poisoned)
        } else {
            Ok(())
        }
    }
}

/// Takes the directory's writer lock, failing fast if another writer has it.
fn lock_dir(dir: &Path) -> Result<File, LedgerError> {
    let path = dir.join(files::LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| LedgerError::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(LedgerError::Locked(dir.to_path_buf())),
        Err(TryLockError::Error(e)) => Err(LedgerError::io(&path, e)),
    }
}

/// The error for writing with no active segment, which `write_batch` never allows.
fn no_active(path: &Path) -> LedgerError {
    LedgerError::io(path, std::io::Error::other("no active segment"))
}
