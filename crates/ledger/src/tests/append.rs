//! Appending, reading back, reopening and segment rollover.

use std::fs;

use super::*;
use crate::chain;
use crate::verify;

#[test]
fn records_read_back_identical_after_reopen() {
    let tmp = TempDir::new("reopen");
    let opts = LedgerOptions::default();
    let (mut ledger, recovery) = open(tmp.path(), &opts);
    assert!(recovery.is_clean());
    append_n(&mut ledger, 25, 4);
    let before = read_all(&ledger);
    assert_eq!(before, expected_records(25));
    let (seq, head) = (ledger.last_seq(), ledger.head_hash());
    drop(ledger);

    let (ledger, recovery) = open(tmp.path(), &opts);
    assert!(recovery.is_clean(), "{recovery:?}");
    assert_eq!(ledger.last_seq(), seq);
    assert_eq!(ledger.head_hash(), head);
    assert_eq!(read_all(&ledger), before);
}

#[test]
fn batches_get_consecutive_seq_ranges() {
    let tmp = TempDir::new("ranges");
    let (mut ledger, _) = open(tmp.path(), &LedgerOptions::default());
    assert_eq!(
        ledger.append_batch(&[(1, b"a"), (2, b"b"), (3, b"c")]).ok(),
        Some(1..=3)
    );
    assert_eq!(ledger.append_batch(&[(4, b"d")]).ok(), Some(4..=4));
    assert_eq!(
        ledger.append_batch(&[(5, b""), (6, b"f")]).ok(),
        Some(5..=6)
    );
    assert_eq!(ledger.last_seq(), 6);
}

#[test]
fn empty_batch_returns_empty_range_and_writes_nothing() {
    let tmp = TempDir::new("empty-batch");
    let (mut ledger, _) = open(tmp.path(), &LedgerOptions::default());
    let range = ledger.append_batch(&[]).expect("empty batch");
    assert!(range.is_empty());
    assert_eq!(*range.start(), 1);
    assert_eq!(ledger.last_seq(), 0);
    assert_eq!(ledger.head_hash(), chain::GENESIS);
    assert!(segments(tmp.path()).is_empty());
}

#[test]
fn oversized_payload_rejects_the_whole_batch() {
    let tmp = TempDir::new("too-large");
    let opts = LedgerOptions {
        max_payload: 8,
        ..LedgerOptions::default()
    };
    let (mut ledger, _) = open(tmp.path(), &opts);
    let err = ledger
        .append_batch(&[(1, b"fits"), (2, b"far too long")])
        .expect_err("too large");
    assert!(
        matches!(
            err,
            LedgerError::PayloadTooLarge {
                index: 1,
                len: 12,
                max: 8
            }
        ),
        "{err}"
    );
    assert_eq!(ledger.last_seq(), 0);
    assert!(segments(tmp.path()).is_empty());
    // The ledger is still usable.
    assert_eq!(ledger.append_batch(&[(3, b"ok")]).ok(), Some(1..=1));
}

#[test]
fn segments_roll_over_and_reads_cross_them() {
    let tmp = TempDir::new("rollover");
    let opts = small_opts(300);
    let (mut ledger, _) = open(tmp.path(), &opts);
    append_n(&mut ledger, 60, 7);
    let segs = segments(tmp.path());
    assert!(segs.len() >= 4, "only {} segments", segs.len());
    for (i, path) in segs.iter().enumerate() {
        let offsets = record_offsets(path);
        let first_seq = offsets.first().map(|o| o.2).expect("segment has records");
        assert_eq!(
            path.file_name(),
            tmp.sub(&files::segment_name(first_seq)).file_name()
        );
        let len = fs::metadata(path).expect("metadata").len();
        if i + 1 < segs.len() {
            // Rolled over only once full, and only between records.
            assert!(len >= 300);
            let (last_at, _, _) = offsets.last().copied().expect("records");
            assert!(last_at < 300);
        }
    }
    let all = expected_records(60);
    for from in 0..=62 {
        let got: Vec<Record> = ledger
            .read_from(from)
            .expect("read")
            .collect::<Result<_, _>>()
            .expect("records");
        let skip = from.saturating_sub(1).min(60) as usize;
        assert_eq!(got, all[skip..], "read_from({from})");
    }
    drop(ledger);
    let (ledger, _) = open(tmp.path(), &opts);
    assert_eq!(read_all(&ledger), all);
    let report = verify(tmp.path(), &key().verifying_key()).expect("verify");
    assert_eq!(report.segments, segs.len() as u64);
    assert_eq!(report.records, 60);
}

#[test]
fn reads_start_anywhere_in_a_segment_longer_than_the_index_stride() {
    let tmp = TempDir::new("stride");
    let (mut ledger, _) = open(tmp.path(), &LedgerOptions::default());
    append_n(&mut ledger, 300, 64);
    let all = expected_records(300);
    for from in [1, 2, 63, 64, 65, 66, 128, 129, 130, 200, 299, 300] {
        let got: Vec<Record> = ledger
            .read_from(from)
            .expect("read")
            .collect::<Result<_, _>>()
            .expect("records");
        assert_eq!(got, all[from as usize - 1..], "read_from({from})");
    }
    assert_eq!(ledger.read_from(301).expect("read").count(), 0);
}

#[test]
fn a_single_batch_may_span_several_segments() {
    let tmp = TempDir::new("span");
    let opts = small_opts(150);
    let (mut ledger, _) = open(tmp.path(), &opts);
    append_n(&mut ledger, 30, 30);
    assert!(segments(tmp.path()).len() > 3);
    assert_eq!(read_all(&ledger), expected_records(30));
    verify(tmp.path(), &key().verifying_key()).expect("verify");
}

#[test]
fn appends_continue_the_chain_after_reopen() {
    let tmp = TempDir::new("continue");
    let opts = small_opts(400);
    for round in 1..=4 {
        let (mut ledger, recovery) = open(tmp.path(), &opts);
        assert!(recovery.is_clean());
        assert_eq!(ledger.last_seq(), (round - 1) * 9);
        append_n(&mut ledger, 9, 2);
    }
    let (ledger, _) = open(tmp.path(), &opts);
    assert_eq!(read_all(&ledger), expected_records(36));
    let report = verify(tmp.path(), &key().verifying_key()).expect("verify");
    assert_eq!(report.head_hash, ledger.head_hash());
    assert_eq!(report.last_seq, 36);
}

#[test]
fn head_hash_follows_the_documented_chain() {
    let tmp = TempDir::new("chain");
    let (mut ledger, _) = open(tmp.path(), &LedgerOptions::default());
    ledger
        .append_batch(&[(10, b"one"), (20, b"two")])
        .expect("append");
    let h1 = chain::link(&[0; 32], &chain::leaf_hash(1, 10, b"one"));
    let h2 = chain::link(&h1, &chain::leaf_hash(2, 20, b"two"));
    assert_eq!(ledger.head_hash(), h2);
    // RFC 6962-style: leaf and link are domain-separated SHA-256.
    use sha2::{Digest, Sha256};
    let mut leaf = vec![0u8];
    leaf.extend_from_slice(&2u64.to_le_bytes());
    leaf.extend_from_slice(&20i64.to_le_bytes());
    leaf.extend_from_slice(b"two");
    let leaf: [u8; 32] = Sha256::digest(&leaf).into();
    let mut link = vec![1u8];
    link.extend_from_slice(&h1);
    link.extend_from_slice(&leaf);
    assert_eq!(<[u8; 32]>::from(Sha256::digest(&link)), h2);
}

#[test]
fn record_layout_matches_the_documented_format() {
    let tmp = TempDir::new("layout");
    let (mut ledger, _) = open(tmp.path(), &LedgerOptions::default());
    ledger.append_batch(&[(-5, b"xyz")]).expect("append");
    let bytes = fs::read(tmp.sub("seg-00000000000000000001.log")).expect("segment");
    assert_eq!(bytes.len(), 4 + 4 + 8 + 8 + 3 + 32 + 4);
    assert_eq!(&bytes[0..4], b"ECR1");
    assert_eq!(&bytes[4..8], &3u32.to_le_bytes());
    assert_eq!(&bytes[8..16], &1u64.to_le_bytes());
    assert_eq!(&bytes[16..24], &(-5i64).to_le_bytes());
    assert_eq!(&bytes[24..27], b"xyz");
    assert_eq!(&bytes[27..59], &ledger.head_hash());
    assert_eq!(&bytes[59..63], &crc32fast::hash(&bytes[..59]).to_le_bytes());
}

#[test]
fn a_second_writer_is_locked_out() {
    let tmp = TempDir::new("lock");
    let opts = LedgerOptions::default();
    let (ledger, _) = open(tmp.path(), &opts);
    let err = open_err(tmp.path(), &opts);
    assert!(matches!(err, LedgerError::Locked(_)), "{err}");
    drop(ledger);
    open(tmp.path(), &opts);
}

#[test]
fn open_creates_missing_directories() {
    let tmp = TempDir::new("create");
    let dir = tmp.sub("a/b/realm");
    let (mut ledger, _) = open(&dir, &LedgerOptions::default());
    append_n(&mut ledger, 1, 1);
    assert_eq!(segments(&dir).len(), 1);
}
