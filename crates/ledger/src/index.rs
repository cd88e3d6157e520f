//! In-memory index of segments: where each segment starts, and a sparse map
//! from seq to byte offset so reads do not scan whole segments.

use std::path::PathBuf;

/// One offset is kept for every this many records (the first of each segment included).
pub(crate) const STRIDE: u64 = 64;

/// A segment file and what is known about its records.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    /// Seq of its first record (also in its file name).
    pub first_seq: u64,
    pub path: PathBuf,
    /// `(seq, offset)` of records `first_seq + k * STRIDE`.
    pub sparse: Vec<(u64, u64)>,
    /// Bytes of valid records.
    pub len: u64,
    /// Number of valid records.
    pub records: u64,
}

impl Segment {
    /// An empty segment whose first record will be `first_seq`.
    pub(crate) fn new(first_seq: u64, path: PathBuf) -> Self {
        Segment {
            first_seq,
            path,
            sparse: Vec::new(),
            len: 0,
            records: 0,
        }
    }

    /// Notes a record appended at `offset`, `len` bytes long.
    pub(crate) fn push(&mut self, seq: u64, offset: u64, len: u64) {
        if (seq - self.first_seq).is_multiple_of(STRIDE) {
            self.sparse.push((seq, offset));
        }
        self.len = offset + len;
        self.records += 1;
    }
}

/// The indexed record nearest at or before `seq`: (segment index, byte offset, its seq).
pub(crate) fn locate(segments: &[Segment], seq: u64) -> Option<(usize, u64, u64)> {
    let i = segments
        .partition_point(|s| s.first_seq <= seq)
        .checked_sub(1)?;
    let sparse = &segments[i].sparse;
    let j = sparse.partition_point(|(s, _)| *s <= seq).checked_sub(1)?;
    let (at, offset) = sparse[j];
    Some((i, offset, at))
}
