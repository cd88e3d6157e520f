//! Snapshots: stored durably, read back only when intact and on the chain.

use std::fs;

use super::*;
use crate::Truncation;

fn snap_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(files::SNAPSHOT_DIR)
        .join(files::snapshot_name(seq))
}

/// A log of 20 records with snapshots at 5 and 10.
fn log_with_snapshots(tmp: &TempDir) -> (Ledger, PathBuf) {
    let dir = tmp.sub("log");
    let (mut ledger, _) = open(&dir, &LedgerOptions::default());
    append_n(&mut ledger, 20, 4);
    ledger
        .write_snapshot(5, b"state at five")
        .expect("snapshot 5");
    ledger
        .write_snapshot(10, b"state at ten")
        .expect("snapshot 10");
    (ledger, dir)
}

#[test]
fn snapshots_are_found_at_or_before_a_seq() {
    let tmp = TempDir::new("snap");
    let (ledger, _) = log_with_snapshots(&tmp);
    let at = |seq| ledger.snapshot_at_or_before(seq).expect("lookup");
    assert_eq!(at(20), Some((10, b"state at ten".to_vec())));
    assert_eq!(at(10), Some((10, b"state at ten".to_vec())));
    assert_eq!(at(9), Some((5, b"state at five".to_vec())));
    assert_eq!(at(4), None);
}

#[test]
fn snapshots_survive_reopen() {
    let tmp = TempDir::new("snap-reopen");
    let (ledger, dir) = log_with_snapshots(&tmp);
    drop(ledger);
    let (ledger, recovery) = open(&dir, &LedgerOptions::default());
    assert!(recovery.is_clean());
    assert_eq!(
        ledger.snapshot_at_or_before(u64::MAX).expect("lookup"),
        Some((10, b"state at ten".to_vec()))
    );
}

#[test]
fn corrupted_snapshot_falls_back_to_an_older_one() {
    let tmp = TempDir::new("snap-corrupt");
    let (ledger, dir) = log_with_snapshots(&tmp);
    let newest = snap_path(&dir, 10);
    let len = fs::metadata(&newest).expect("metadata").len();
    // Every byte matters: magic, seq, chain hash, digest, length, body.
    for offset in 0..len {
        flip(&newest, offset, 0x10);
        assert_eq!(
            ledger
                .snapshot_at_or_before(20)
                .expect("lookup")
                .map(|s| s.0),
            Some(5),
            "flip at {offset}"
        );
        flip(&newest, offset, 0x10);
    }
    chop(&newest, 1);
    assert_eq!(
        ledger
            .snapshot_at_or_before(20)
            .expect("lookup")
            .map(|s| s.0),
        Some(5)
    );
    flip(&snap_path(&dir, 5), 90, 0x01);
    assert_eq!(ledger.snapshot_at_or_before(20).expect("lookup"), None);
}

#[test]
fn snapshot_from_another_history_is_skipped() {
    let tmp = TempDir::new("snap-foreign");
    let (ledger, dir) = log_with_snapshots(&tmp);
    // A log whose record 10 differs: its snapshot is intact but not ours.
    let other = tmp.sub("other");
    let (mut forked, _) = open(&other, &LedgerOptions::default());
    let entries: Vec<(i64, &[u8])> = vec![(0, b"another history"); 10];
    forked.append_batch(&entries).expect("append");
    forked
        .write_snapshot(10, b"foreign state")
        .expect("snapshot");
    fs::copy(snap_path(&other, 10), snap_path(&dir, 10)).expect("copy");
    assert_eq!(
        ledger
            .snapshot_at_or_before(20)
            .expect("lookup")
            .map(|s| s.0),
        Some(5)
    );
}

#[test]
fn only_the_newest_snapshots_are_kept() {
    let tmp = TempDir::new("snap-prune");
    let dir = tmp.sub("log");
    let opts = LedgerOptions {
        snapshots_kept: 2,
        ..LedgerOptions::default()
    };
    let (mut ledger, _) = open(&dir, &opts);
    append_n(&mut ledger, 4, 4);
    for seq in 1..=4 {
        ledger
            .write_snapshot(seq, &[seq as u8; 3])
            .expect("snapshot");
    }
    let kept: Vec<u64> = files::list_snapshots(&dir.join(files::SNAPSHOT_DIR))
        .expect("list")
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(kept, vec![3, 4]);
}

#[test]
fn snapshot_beyond_the_log_is_refused() {
    let tmp = TempDir::new("snap-beyond");
    let (mut ledger, _) = log_with_snapshots(&tmp);
    let err = ledger
        .write_snapshot(21, b"future")
        .expect_err("beyond end");
    assert!(
        matches!(
            err,
            LedgerError::SnapshotBeyondEnd {
                seq: 21,
                last_seq: 20
            }
        ),
        "{err}"
    );
}

#[test]
fn snapshot_of_a_truncated_record_is_not_offered() {
    let tmp = TempDir::new("snap-torn");
    let (mut ledger, dir) = log_with_snapshots(&tmp);
    ledger
        .write_snapshot(20, b"state at twenty")
        .expect("snapshot 20");
    drop(ledger);
    // A torn tail takes record 20 away (no checkpoint covers it).
    let seg = segments(&dir).pop().expect("segment");
    chop(&seg, 1);
    let (ledger, recovery) = open(&dir, &LedgerOptions::default());
    assert!(matches!(recovery.truncated, Some(Truncation { .. })));
    assert_eq!(
        ledger
            .snapshot_at_or_before(20)
            .expect("lookup")
            .map(|s| s.0),
        Some(10)
    );
}

#[test]
fn snapshot_file_layout_matches_the_documented_format() {
    let tmp = TempDir::new("snap-layout");
    let (ledger, dir) = log_with_snapshots(&tmp);
    let bytes = fs::read(snap_path(&dir, 10)).expect("read");
    let body = b"state at ten";
    assert_eq!(&bytes[0..4], b"ECS1");
    assert_eq!(&bytes[4..12], &10u64.to_le_bytes());
    let h10 = ledger
        .read_from(10)
        .expect("read")
        .next()
        .expect("record")
        .expect("ok")
        .hash;
    assert_eq!(&bytes[12..44], &h10);
    use sha2::{Digest, Sha256};
    assert_eq!(&bytes[44..76], Sha256::digest(body).as_slice());
    assert_eq!(&bytes[76..84], &(body.len() as u64).to_le_bytes());
    assert_eq!(&bytes[84..], body);
}
