//! Tests of the ledger crate (one test binary; shared helpers here).

mod append;
mod checkpoints;
mod properties;
mod reader;
mod recovery;
mod snapshots;
mod tamper;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ed25519_dalek::SigningKey;

use crate::chain;
use crate::files;
use crate::record;
use crate::{Ledger, LedgerError, LedgerOptions, Record, Recovery};

/// A directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("ledger-test-{}-{n}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// A fresh subdirectory path (not created).
    pub(crate) fn sub(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The relay's key in tests.
pub(crate) fn key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// Somebody else's key.
pub(crate) fn other_key() -> SigningKey {
    SigningKey::from_bytes(&[9; 32])
}

/// Options with tiny segments and no automatic checkpoints.
pub(crate) fn small_opts(segment_max_bytes: u64) -> LedgerOptions {
    LedgerOptions {
        segment_max_bytes,
        checkpoint_every: 0,
        ..LedgerOptions::default()
    }
}

pub(crate) fn open(dir: &Path, opts: &LedgerOptions) -> (Ledger, Recovery) {
    Ledger::open(dir, key(), opts.clone()).expect("open ledger")
}

/// The error `open` refuses with.
pub(crate) fn open_err(dir: &Path, opts: &LedgerOptions) -> LedgerError {
    match Ledger::open(dir, key(), opts.clone()) {
        Ok((ledger, _)) => panic!("open succeeded: {ledger:?}"),
        Err(e) => e,
    }
}

/// A deterministic payload of varying length.
pub(crate) fn payload(i: u64) -> Vec<u8> {
    format!("decision-{i};")
        .repeat(1 + (i % 4) as usize)
        .into_bytes()
}

/// Appends records `last+1..=last+n` with deterministic payloads, `per_batch` at a time.
pub(crate) fn append_n(ledger: &mut Ledger, n: u64, per_batch: usize) {
    let first = ledger.last_seq() + 1;
    let entries: Vec<(i64, Vec<u8>)> = (first..first + n)
        .map(|seq| (1_700_000_000_000 + seq as i64, payload(seq)))
        .collect();
    for chunk in entries.chunks(per_batch.max(1)) {
        let refs: Vec<(i64, &[u8])> = chunk.iter().map(|(t, p)| (*t, p.as_slice())).collect();
        ledger.append_batch(&refs).expect("append");
    }
}

pub(crate) fn read_all(ledger: &Ledger) -> Vec<Record> {
    ledger
        .read_from(1)
        .expect("read")
        .collect::<Result<Vec<_>, _>>()
        .expect("records")
}

/// The records `append_n` writes for seqs `1..=n`, with their chain hashes.
pub(crate) fn expected_records(n: u64) -> Vec<Record> {
    let mut head = chain::GENESIS;
    (1..=n)
        .map(|seq| {
            let time = 1_700_000_000_000 + seq as i64;
            let payload = payload(seq);
            head = chain::next(&head, seq, time, &payload);
            Record {
                seq,
                time,
                payload,
                hash: head,
            }
        })
        .collect()
}

/// Segment files in `dir`, in order.
pub(crate) fn segments(dir: &Path) -> Vec<PathBuf> {
    files::list_segments(dir)
        .expect("list segments")
        .into_iter()
        .map(|(_, p)| p)
        .collect()
}

/// Byte offsets and seqs of the records in a segment file.
pub(crate) fn record_offsets(path: &Path) -> Vec<(u64, u64, u64)> {
    let bytes = fs::read(path).expect("read segment");
    let (records, damage) = record::decode_segment(&bytes, usize::MAX);
    assert!(damage.is_none(), "segment {path:?} is damaged: {damage:?}");
    let mut offset = 0;
    records
        .iter()
        .map(|r| {
            let at = offset;
            offset += r.encoded_len;
            (at, r.encoded_len, r.seq)
        })
        .collect()
}

/// Copies the files of a ledger directory (not recursing into snapshots).
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create copy");
    for entry in fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_file() {
            fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

/// Cuts `bytes` off the end of a file.
pub(crate) fn chop(path: &Path, bytes: u64) {
    let len = fs::metadata(path).expect("metadata").len();
    let file = fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open for truncate");
    file.set_len(len - bytes).expect("truncate");
}

/// XORs one byte of a file.
pub(crate) fn flip(path: &Path, offset: u64, mask: u8) {
    let mut bytes = fs::read(path).expect("read");
    bytes[offset as usize] ^= mask;
    fs::write(path, bytes).expect("write");
}

/// Appends bytes to a file.
pub(crate) fn append_bytes(path: &Path, extra: &[u8]) {
    let mut bytes = fs::read(path).expect("read");
    bytes.extend_from_slice(extra);
    fs::write(path, bytes).expect("write");
}

/// Deterministic pseudo-random bytes (xorshift), for garbage tails.
pub(crate) fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Rewrites the CRC of the record at `offset` so that edits get past the CRC check.
pub(crate) fn fix_crc(path: &Path, offset: u64) {
    let mut bytes = fs::read(path).expect("read");
    let start = offset as usize;
    let len = u32::from_le_bytes(bytes[start + 4..start + 8].try_into().expect("len")) as usize;
    let crc_at = start + record::OVERHEAD - 4 + len;
    let crc = crc32fast::hash(&bytes[start..crc_at]);
    bytes[crc_at..crc_at + 4].copy_from_slice(&crc.to_le_bytes());
    fs::write(path, bytes).expect("write");
}
