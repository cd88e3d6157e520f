//! A full pass over the segments, as done by `open`, `LedgerReader::open`
//! and `verify`: framing, CRC, seq continuity, the chain, and the chain hash
//! at each checkpointed seq.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::chain;
use crate::error::Reason;
use crate::files;
use crate::index::Segment;
use crate::record::{self, ReadError};

/// Read buffer for scanning; large enough that syscalls do not dominate.
const READ_BUF: usize = 1 << 20;

/// The first damage found, and where.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// Index of the damaged segment.
    pub segment: usize,
    pub path: PathBuf,
    pub offset: u64,
    /// Seq the record at `offset` should have had.
    pub seq: u64,
    pub reason: Reason,
    /// Length of the file when it was scanned: bytes up to here were looked
    /// at (0 when the file was not read).
    pub file_len: u64,
}

/// What a scan found.
#[derive(Debug)]
pub(crate) struct Scan {
    /// Segments up to and including a damaged one (with its valid prefix only).
    pub segments: Vec<Segment>,
    /// Segment files in the directory, including any after the damage.
    pub total_segments: usize,
    pub last_seq: u64,
    pub head: [u8; 32],
    pub failure: Option<Failure>,
}

/// An I/O failure during a scan, with the file concerned.
pub(crate) type ScanIoError = (PathBuf, io::Error);

/// Scans every segment in `dir`. `expected` lists `(seq, chain hash)` pairs
/// from checkpoints, sorted by seq, all with seq >= 1.
pub(crate) fn scan(
    dir: &Path,
    max_payload: usize,
    expected: &[(u64, [u8; 32])],
) -> Result<Scan, ScanIoError> {
    let list = files::list_segments(dir).map_err(|e| (dir.to_path_buf(), e))?;
    let mut out = Scan {
        segments: Vec::with_capacity(list.len()),
        total_segments: list.len(),
        last_seq: 0,
        head: chain::GENESIS,
        failure: None,
    };
    let mut expected = expected.iter().peekable();
    for (i, (name_seq, path)) in list.into_iter().enumerate() {
        let mut seg = Segment::new(name_seq, path.clone());
        let next = out.last_seq + 1;
        let fail_at = |file_len, offset, seq, reason| Failure {
            segment: i,
            path: path.clone(),
            offset,
            seq,
            reason,
            file_len,
        };
        if name_seq != next {
            out.failure = Some(fail_at(
                0,
                0,
                next,
                Reason::SeqGap {
                    expected: next,
                    found: name_seq,
                },
            ));
            out.segments.push(seg);
            break;
        }
        let file = File::open(&path).map_err(|e| (path.clone(), e))?;
        // Only these bytes are scanned, even if a live writer appends meanwhile.
        let file_len = file.metadata().map_err(|e| (path.clone(), e))?.len();
        let fail = |offset, seq, reason| fail_at(file_len, offset, seq, reason);
        // An empty segment is only legitimate as the last one (a crash right after rollover).
        if file_len == 0 && i + 1 < out.total_segments {
            out.failure = Some(fail(0, next, Reason::Truncated));
            out.segments.push(seg);
            break;
        }
        let mut reader = BufReader::with_capacity(READ_BUF, file);
        let mut failure = None;
        while seg.len < file_len {
            let offset = seg.len;
            let seq = out.last_seq + 1;
            let rec = match record::read_record(&mut reader, file_len - offset, max_payload) {
                Ok(rec) => rec,
                Err(ReadError::Damaged(reason)) => {
                    failure = Some(fail(offset, seq, reason));
                    break;
                }
                Err(ReadError::Io(e)) => return Err((path.clone(), e)),
            };
            if rec.seq != seq {
                let found = rec.seq;
                failure = Some(fail(
                    offset,
                    seq,
                    Reason::SeqGap {
                        expected: seq,
                        found,
                    },
                ));
                break;
            }
            let hash = chain::next(&out.head, seq, rec.time, &rec.payload);
            if hash != rec.hash {
                failure = Some(fail(offset, seq, Reason::ChainMismatch));
                break;
            }
            let mut mismatch = false;
            while let Some((_, cp_hash)) = expected.next_if(|(s, _)| *s == seq) {
                mismatch |= *cp_hash != hash;
            }
            if mismatch {
                failure = Some(fail(offset, seq, Reason::CheckpointMismatch { seq }));
                break;
            }
            seg.push(seq, offset, rec.encoded_len);
            out.last_seq = seq;
            out.head = hash;
        }
        out.segments.push(seg);
        if failure.is_some() {
            out.failure = failure;
            break;
        }
    }
    Ok(out)
}

/// Whether a CRC-valid record starts anywhere in `path` at or after
/// `offset` and before `end`. Bytes past `end` (the length the scan saw) are
/// not looked at: a live writer may have appended them since.
pub(crate) fn valid_record_from(path: &Path, offset: u64, end: u64) -> io::Result<bool> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut rest = Vec::new();
    file.take(end.saturating_sub(offset))
        .read_to_end(&mut rest)?;
    Ok(record::contains_valid_record(&rest))
}
