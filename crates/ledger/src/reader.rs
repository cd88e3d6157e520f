//! Reading committed records back from disk, re-checking CRC, seq and
//! chain, and finding snapshots that match the log; shared by [`Ledger`]
//! and [`LedgerReader`].
//!
//! [`Ledger`]: crate::Ledger
//! [`LedgerReader`]: crate::LedgerReader

use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::Path;

use crate::chain;
use crate::error::{LedgerError, Reason};
use crate::files;
use crate::index::{self, Segment};
use crate::record::{self, ReadError};
use crate::snapshot;

/// Read buffer per open segment.
const READ_BUF: usize = 256 << 10;

/// One record of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Position in the log, from 1 without gaps.
    pub seq: u64,
    /// Milliseconds since the Unix epoch, as given to `append_batch`.
    pub time: i64,
    /// Opaque payload bytes.
    pub payload: Vec<u8>,
    /// Chain hash `h_seq` after this record.
    pub hash: [u8; 32],
}

/// The committed part of a log directory, as far as it was checked.
pub(crate) struct View<'a> {
    pub dir: &'a Path,
    pub segments: &'a [Segment],
    pub max_payload: usize,
    /// Last committed seq: nothing after it is read.
    pub last_seq: u64,
    /// Chain hash of `last_seq`.
    pub head: [u8; 32],
}

impl<'a> View<'a> {
    /// Records with seq >= `from` up to `last_seq`.
    pub(crate) fn records(&self, from: u64) -> Records<'a> {
        Records::new(self.segments, self.max_payload, from, self.last_seq)
    }

    /// Chain hash of record `seq` (at most `last_seq`), read back from disk.
    pub(crate) fn hash_at(&self, seq: u64) -> Result<[u8; 32], LedgerError> {
        if seq == 0 {
            return Ok(chain::GENESIS);
        }
        if seq == self.last_seq {
            return Ok(self.head);
        }
        match self.records(seq).next() {
            Some(Ok(rec)) if rec.seq == seq => Ok(rec.hash),
            Some(Err(e)) => Err(e),
            _ => Err(LedgerError::Corrupt {
                segment: self
                    .segments
                    .last()
                    .map_or_else(|| self.dir.to_path_buf(), |s| s.path.clone()),
                offset: 0,
                seq: Some(seq),
                reason: Reason::Truncated,
            }),
        }
    }

    /// The newest snapshot at or below `seq` (and `last_seq`) that is intact
    /// and whose chain hash matches the log at its seq; damaged ones are skipped.
    pub(crate) fn snapshot_at_or_before(
        &self,
        seq: u64,
    ) -> Result<Option<(u64, Vec<u8>)>, LedgerError> {
        let limit = seq.min(self.last_seq);
        let dir = self.dir.join(files::SNAPSHOT_DIR);
        let list = files::list_snapshots(&dir).map_err(|e| LedgerError::io(&dir, e))?;
        for (at, path) in list.into_iter().rev().filter(|(at, _)| *at <= limit) {
            let Some((hash, body)) = snapshot::read_checked(&path, at) else {
                continue;
            };
            if hash == self.hash_at(at)? {
                return Ok(Some((at, body)));
            }
        }
        Ok(None)
    }
}

/// An open segment being read.
struct Cursor {
    reader: BufReader<File>,
    offset: u64,
}

/// Iterator over records `from..=end`, in order; stops after the first error.
pub struct Records<'a> {
    segments: &'a [Segment],
    max_payload: usize,
    /// Segment being read and where reading starts in it.
    seg: usize,
    start_offset: u64,
    cursor: Option<Cursor>,
    from: u64,
    end: u64,
    next_seq: u64,
    /// Chain hash before `next_seq`; unknown for the first record read after a seek.
    prev: Option<[u8; 32]>,
    done: bool,
}

impl<'a> Records<'a> {
    /// Records with `from <= seq <= end`; `end` is the last committed seq.
    pub(crate) fn new(segments: &'a [Segment], max_payload: usize, from: u64, end: u64) -> Self {
        let from = from.max(1);
        let mut records = Records {
            segments,
            max_payload,
            seg: 0,
            start_offset: 0,
            cursor: None,
            from,
            end,
            next_seq: 1,
            prev: Some(chain::GENESIS),
            done: from > end,
        };
        // Start at the record before `from` so the chain link into `from` is checked.
        if let Some((seg, offset, seq)) = index::locate(segments, from - 1) {
            records.seg = seg;
            records.start_offset = offset;
            records.next_seq = seq;
            records.prev = None;
        }
        records
    }

    /// Reads the next record, or moves to the next segment (`Ok(None)`).
    fn step(&mut self) -> Result<Option<Record>, LedgerError> {
        let segments = self.segments;
        let Some(seg) = segments.get(self.seg) else {
            // The index promised records up to `end` that no segment holds.
            let last = self.segments.last();
            return Err(LedgerError::Corrupt {
                segment: last.map(|s| s.path.clone()).unwrap_or_default(),
                offset: last.map_or(0, |s| s.len),
                seq: Some(self.next_seq),
                reason: Reason::Truncated,
            });
        };
        let cursor = match &mut self.cursor {
            Some(cursor) => cursor,
            None => {
                let mut file = File::open(&seg.path).map_err(|e| LedgerError::io(&seg.path, e))?;
                file.seek(SeekFrom::Start(self.start_offset))
                    .map_err(|e| LedgerError::io(&seg.path, e))?;
                self.cursor.insert(Cursor {
                    reader: BufReader::with_capacity(READ_BUF, file),
                    offset: self.start_offset,
                })
            }
        };
        if cursor.offset >= seg.len {
            self.seg += 1;
            self.start_offset = 0;
            self.cursor = None;
            return Ok(None);
        }
        let (offset, seq) = (cursor.offset, self.next_seq);
        let corrupt = |reason| LedgerError::Corrupt {
            segment: seg.path.clone(),
            offset,
            seq: Some(seq),
            reason,
        };
        let rec = match record::read_record(&mut cursor.reader, seg.len - offset, self.max_payload)
        {
            Ok(rec) => rec,
            Err(ReadError::Damaged(reason)) => return Err(corrupt(reason)),
            Err(ReadError::Io(e)) => return Err(LedgerError::io(&seg.path, e)),
        };
        if rec.seq != self.next_seq {
            return Err(corrupt(Reason::SeqGap {
                expected: self.next_seq,
                found: rec.seq,
            }));
        }
        if let Some(prev) = &self.prev
            && chain::next(prev, rec.seq, rec.time, &rec.payload) != rec.hash
        {
            return Err(corrupt(Reason::ChainMismatch));
        }
        cursor.offset += rec.encoded_len;
        self.prev = Some(rec.hash);
        self.next_seq += 1;
        Ok(Some(Record {
            seq: rec.seq,
            time: rec.time,
            payload: rec.payload,
            hash: rec.hash,
        }))
    }
}

impl Iterator for Records<'_> {
    type Item = Result<Record, LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done && self.next_seq <= self.end {
            match self.step() {
                Ok(Some(rec)) if rec.seq >= self.from => return Some(Ok(rec)),
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}
