//! Reading committed records back from disk, re-checking CRC, seq and chain.

use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};

use crate::chain;
use crate::error::{LedgerError, Reason};
use crate::index::{self, Segment};
use crate::record::{self, ReadError};

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
