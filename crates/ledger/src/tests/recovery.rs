//! Crash recovery on open: torn tails are cut and reported, other damage refuses.

use std::fs;

use super::*;
use crate::{Reason, Truncation, verify};

/// Records in the template log.
const N: u64 = 10;

/// A log of `N` single-record batches over several 300-byte segments, with
/// checkpoints at 4 and 8.
fn template(tmp: &TempDir) -> (PathBuf, LedgerOptions) {
    let dir = tmp.sub("template");
    let opts = LedgerOptions {
        checkpoint_every: 4,
        ..small_opts(300)
    };
    let (mut ledger, _) = open(&dir, &opts);
    append_n(&mut ledger, N, 1);
    assert_eq!(ledger.last_checkpoint_seq(), 8);
    let segs = segments(&dir);
    assert!(segs.len() >= 3);
    let last = segs.last().expect("segments");
    assert!(
        record_offsets(last).len() >= 2,
        "last segment needs 2+ records"
    );
    (dir, opts)
}

/// A fresh copy of the template log.
fn copy_of(template: &Path, tmp: &TempDir, name: &str) -> PathBuf {
    let dir = tmp.sub(name);
    copy_dir(template, &dir);
    dir
}

fn last_segment(dir: &Path) -> PathBuf {
    segments(dir).pop().expect("a segment")
}

#[test]
fn torn_tail_is_truncated_and_reported() {
    let tmp = TempDir::new("torn");
    let (template, opts) = template(&tmp);
    let last = last_segment(&template);
    let seg_len = fs::metadata(&last).expect("metadata").len();
    let (rec_at, rec_len, seq) = record_offsets(&last).pop().expect("records");
    assert_eq!(seq, N);
    for k in 1..rec_len {
        let dir = copy_of(&template, &tmp, &format!("torn-{k}"));
        let seg = last_segment(&dir);
        chop(&seg, k);
        let (mut ledger, recovery) = open(&dir, &opts);
        assert_eq!(
            recovery.truncated,
            Some(Truncation {
                segment: seg.clone(),
                offset: rec_at,
                bytes: rec_len - k,
            }),
            "cut {k} bytes"
        );
        assert_eq!(
            fs::metadata(&seg).expect("metadata").len(),
            seg_len - rec_len
        );
        assert_eq!(ledger.last_seq(), N - 1);
        assert_eq!(read_all(&ledger), expected_records(N - 1));
        append_n(&mut ledger, 2, 2);
        assert_eq!(read_all(&ledger), expected_records(N + 1));
        drop(ledger);
        verify(&dir, &key().verifying_key()).expect("verify after recovery");
        fs::remove_dir_all(&dir).expect("clean up");
    }
}

#[test]
fn garbage_after_the_last_record_is_truncated() {
    let tmp = TempDir::new("garbage");
    let (template, opts) = template(&tmp);
    for (i, len) in [1usize, 3, 23, 59, 60, 61, 200, 1000]
        .into_iter()
        .enumerate()
    {
        for partial in [0, 5] {
            let dir = copy_of(&template, &tmp, &format!("garbage-{i}-{partial}"));
            let seg = last_segment(&dir);
            let (rec_at, _, _) = record_offsets(&seg).pop().expect("records");
            let len_before = fs::metadata(&seg).expect("metadata").len();
            chop(&seg, partial);
            append_bytes(&seg, &noise(i as u64 + 1, len));
            let (ledger, recovery) = open(&dir, &opts);
            let expect_records = if partial > 0 { N - 1 } else { N };
            let good_end = if partial > 0 { rec_at } else { len_before };
            let cut = recovery.truncated.expect("truncation reported");
            assert_eq!(cut.offset, good_end, "garbage {len}, partial {partial}");
            assert_eq!(cut.bytes, len_before - partial + len as u64 - good_end);
            assert_eq!(read_all(&ledger), expected_records(expect_records));
        }
    }
}

#[test]
fn zero_filled_tail_is_truncated() {
    let tmp = TempDir::new("zeros");
    let (template, opts) = template(&tmp);
    let dir = copy_of(&template, &tmp, "zeros");
    let seg = last_segment(&dir);
    append_bytes(&seg, &[0; 4096]);
    let (ledger, recovery) = open(&dir, &opts);
    assert_eq!(recovery.truncated.map(|t| t.bytes), Some(4096));
    assert_eq!(ledger.last_seq(), N);
}

#[test]
fn torn_record_followed_by_a_valid_record_refuses_to_open() {
    let tmp = TempDir::new("mid-last");
    let (template, opts) = template(&tmp);
    let dir = copy_of(&template, &tmp, "mid-last");
    let seg = last_segment(&dir);
    let (rec_at, _, seq) = record_offsets(&seg)[0];
    flip(&seg, rec_at + 30, 0x20);
    let before = fs::read(&seg).expect("read");
    let err = open_err(&dir, &opts);
    match err {
        LedgerError::Corrupt {
            segment,
            offset,
            seq: Some(s),
            reason: Reason::CrcMismatch,
        } => {
            assert_eq!((segment, offset, s), (seg.clone(), rec_at, seq));
        }
        other => panic!("unexpected: {other}"),
    }
    assert_eq!(fs::read(&seg).expect("read"), before, "nothing repaired");
}

#[test]
fn damaged_length_field_with_records_after_it_refuses_to_open() {
    let tmp = TempDir::new("len-field");
    let (template, opts) = template(&tmp);
    let dir = copy_of(&template, &tmp, "len-field");
    let seg = last_segment(&dir);
    let (rec_at, _, seq) = record_offsets(&seg)[0];
    // Announces more bytes than the file holds, like a torn record would.
    flip(&seg, rec_at + 6, 0x01);
    let err = open_err(&dir, &opts);
    assert!(
        matches!(&err, LedgerError::Corrupt { offset, seq: Some(s), reason: Reason::Truncated, .. }
            if *offset == rec_at && *s == seq),
        "{err}"
    );
}

#[test]
fn record_over_a_lowered_payload_limit_refuses_to_open_instead_of_being_cut() {
    let tmp = TempDir::new("lowered-limit");
    let dir = tmp.sub("log");
    let (mut ledger, _) = open(&dir, &LedgerOptions::default());
    ledger
        .append_batch(&[(1, b"short"), (2, &[7; 100])])
        .expect("append");
    drop(ledger);
    let seg = last_segment(&dir);
    let before = fs::read(&seg).expect("read");
    let opts = LedgerOptions {
        max_payload: 50,
        ..LedgerOptions::default()
    };
    let err = open_err(&dir, &opts);
    assert!(
        matches!(
            err,
            LedgerError::Corrupt {
                seq: Some(2),
                reason: Reason::TooLarge { len: 100, max: 50 },
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        fs::read(&seg).expect("read"),
        before,
        "committed record kept"
    );
}

#[test]
fn torn_tail_in_a_closed_segment_refuses_to_open() {
    let tmp = TempDir::new("closed-torn");
    let (template, opts) = template(&tmp);
    let dir = copy_of(&template, &tmp, "closed-torn");
    let first = segments(&dir).remove(0);
    let (rec_at, _, seq) = record_offsets(&first).pop().expect("records");
    chop(&first, 1);
    let err = open_err(&dir, &opts);
    assert!(
        matches!(&err, LedgerError::Corrupt { segment, offset, seq: Some(s), reason: Reason::Truncated }
            if *segment == first && *offset == rec_at && *s == seq),
        "{err}"
    );
    assert!(
        err.to_string().contains("seg-00000000000000000001.log"),
        "{err}"
    );
    assert!(
        err.to_string().contains(&format!("offset {rec_at}")),
        "{err}"
    );
}

#[test]
fn missing_middle_segment_is_a_seq_gap() {
    let tmp = TempDir::new("gap");
    let (template, opts) = template(&tmp);
    let dir = copy_of(&template, &tmp, "gap");
    let segs = segments(&dir);
    let expected = record_offsets(&segs[1])[0].2;
    let found = record_offsets(&segs[2])[0].2;
    fs::remove_file(&segs[1]).expect("remove");
    let err = open_err(&dir, &opts);
    assert!(
        matches!(&err, LedgerError::Corrupt { segment, offset: 0, reason: Reason::SeqGap { expected: e, found: f }, .. }
            if *segment == segs[2] && *e == expected && *f == found),
        "{err}"
    );
}

#[test]
fn empty_trailing_segment_is_removed() {
    let tmp = TempDir::new("empty-seg");
    let (template, opts) = template(&tmp);
    let dir = copy_of(&template, &tmp, "empty-seg");
    let stray = dir.join(files::segment_name(N + 1));
    fs::write(&stray, b"").expect("create");
    let (mut ledger, recovery) = open(&dir, &opts);
    assert_eq!(recovery.removed, vec![stray.clone()]);
    assert!(recovery.truncated.is_none());
    assert!(!stray.exists());
    append_n(&mut ledger, 5, 2);
    assert_eq!(read_all(&ledger), expected_records(N + 5));
    drop(ledger);
    verify(&dir, &key().verifying_key()).expect("verify");
}

#[test]
fn empty_trailing_segment_with_a_wrong_name_refuses_to_open() {
    let tmp = TempDir::new("empty-wrong");
    let (template, opts) = template(&tmp);
    let dir = copy_of(&template, &tmp, "empty-wrong");
    fs::write(dir.join(files::segment_name(N + 5)), b"").expect("create");
    let err = open_err(&dir, &opts);
    assert!(
        matches!(err, LedgerError::Corrupt { reason: Reason::SeqGap { expected, found }, .. }
            if expected == N + 1 && found == N + 5),
        "{err}"
    );
}

#[test]
fn torn_only_record_of_the_last_segment_removes_that_segment() {
    let tmp = TempDir::new("torn-first");
    let dir = tmp.sub("log");
    let opts = small_opts(1);
    let (mut ledger, _) = open(&dir, &opts);
    append_n(&mut ledger, 3, 3);
    drop(ledger);
    let segs = segments(&dir);
    assert_eq!(segs.len(), 3);
    chop(&segs[2], 5);
    let (mut ledger, recovery) = open(&dir, &opts);
    assert_eq!(recovery.truncated.map(|t| t.offset), Some(0));
    assert_eq!(recovery.removed, vec![segs[2].clone()]);
    assert_eq!(ledger.last_seq(), 2);
    append_n(&mut ledger, 2, 1);
    assert_eq!(read_all(&ledger), expected_records(4));
    drop(ledger);
    verify(&dir, &key().verifying_key()).expect("verify");
}

#[test]
fn torn_checkpoint_is_truncated_and_reported() {
    let tmp = TempDir::new("torn-cp");
    let (template, opts) = template(&tmp);
    let cp_len = crate::checkpoint::LEN as u64;
    for k in (1..cp_len).step_by(7).chain([cp_len - 1]) {
        let dir = copy_of(&template, &tmp, &format!("torn-cp-{k}"));
        let cp = dir.join(files::CHECKPOINTS_FILE);
        chop(&cp, k);
        let (mut ledger, recovery) = open(&dir, &opts);
        assert_eq!(
            recovery.checkpoints_truncated,
            Some(Truncation {
                segment: cp.clone(),
                offset: cp_len,
                bytes: cp_len - k,
            })
        );
        assert!(recovery.truncated.is_none());
        assert_eq!(ledger.last_checkpoint_seq(), 4);
        ledger.checkpoint(1).expect("checkpoint");
        drop(ledger);
        let report = verify(&dir, &key().verifying_key()).expect("verify");
        assert_eq!(report.checkpoints, 2);
        assert_eq!(report.last_checkpoint, Some(N));
    }
}

#[test]
fn checkpoint_damage_before_the_last_checkpoint_refuses_to_open() {
    let tmp = TempDir::new("cp-mid");
    let (template, opts) = template(&tmp);
    let dir = copy_of(&template, &tmp, "cp-mid");
    let cp = dir.join(files::CHECKPOINTS_FILE);
    flip(&cp, 30, 0x04);
    let err = open_err(&dir, &opts);
    assert!(
        matches!(&err, LedgerError::Corrupt { segment, offset: 0, reason: Reason::CrcMismatch, .. } if *segment == cp),
        "{err}"
    );
}

#[test]
fn losing_a_checkpointed_record_refuses_to_open() {
    let tmp = TempDir::new("cp-lost");
    let dir = tmp.sub("log");
    let opts = LedgerOptions::default();
    let (mut ledger, _) = open(&dir, &opts);
    append_n(&mut ledger, 5, 5);
    ledger.checkpoint(99).expect("checkpoint");
    drop(ledger);
    let seg = last_segment(&dir);
    let (_, rec_len, _) = record_offsets(&seg).pop().expect("records");
    for cut in [rec_len, 3] {
        let copy = copy_of(&dir, &tmp, &format!("cp-lost-{cut}"));
        chop(&last_segment(&copy), cut);
        let err = open_err(&copy, &opts);
        assert!(
            matches!(
                err,
                LedgerError::Corrupt {
                    seq: Some(5),
                    reason: Reason::CheckpointBeyondEnd {
                        seq: 5,
                        last_seq: 4
                    },
                    ..
                }
            ),
            "{err}"
        );
    }
}

#[test]
fn leftover_snapshot_temp_file_is_removed() {
    let tmp = TempDir::new("snap-tmp");
    let (template, opts) = template(&tmp);
    let dir = copy_of(&template, &tmp, "snap-tmp");
    let snaps = dir.join(files::SNAPSHOT_DIR);
    fs::create_dir_all(&snaps).expect("mkdir");
    let leftover = snaps.join("snap-00000000000000000004.bin.tmp");
    fs::write(&leftover, b"half a snap").expect("write");
    let (_, recovery) = open(&dir, &opts);
    assert_eq!(recovery.removed, vec![leftover.clone()]);
    assert!(!leftover.exists());
}

#[test]
fn arbitrary_segment_contents_never_panic_on_open_or_verify() {
    let tmp = TempDir::new("fuzz-files");
    for seed in 0..64u64 {
        let dir = tmp.sub(&format!("f{seed}"));
        fs::create_dir_all(&dir).expect("mkdir");
        let mut bytes = noise(seed + 100, (seed as usize * 37) % 500);
        if seed % 2 == 0 {
            // Start like a real record so decoding goes deeper.
            let mut head = b"ECR1".to_vec();
            head.extend_from_slice(&((seed as u32) * 3).to_le_bytes());
            head.extend_from_slice(&1u64.to_le_bytes());
            bytes.splice(0..0, head);
        }
        fs::write(dir.join(files::segment_name(1)), &bytes).expect("write");
        let _ = verify(&dir, &key().verifying_key());
        let _ = Ledger::open(&dir, key(), LedgerOptions::default());
    }
}
