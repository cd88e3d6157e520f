//! Tampering: every altered byte is caught and located by `verify` and `open`.

use std::fs;

use super::*;
use crate::record::{self as rec, RawRecord};
use crate::{Reason, VerifyError, verify};

/// Records in the small log.
const N: u64 = 12;

/// A log of `N` records over ~200-byte segments.
fn small_log(tmp: &TempDir, checkpoint_every: u64) -> (PathBuf, LedgerOptions) {
    let dir = tmp.sub("log");
    let opts = LedgerOptions {
        checkpoint_every,
        ..small_opts(200)
    };
    let (mut ledger, _) = open(&dir, &opts);
    append_n(&mut ledger, N, 1);
    drop(ledger);
    assert!(segments(&dir).len() >= 3);
    (dir, opts)
}

fn verify_err(dir: &Path) -> VerifyError {
    match verify(dir, &key().verifying_key()) {
        Ok(report) => panic!("verify passed: {report:?}"),
        Err(e) => e,
    }
}

/// Flips every byte of every segment in turn and checks the reports.
fn every_flip_is_located(checkpoint_every: u64) {
    let tmp = TempDir::new("flip");
    let (dir, opts) = small_log(&tmp, checkpoint_every);
    let segs = segments(&dir);
    for (i, seg) in segs.iter().enumerate() {
        let records = record_offsets(seg);
        let len = fs::metadata(seg).expect("metadata").len();
        for offset in 0..len {
            let &(rec_at, _, seq) = records
                .iter()
                .rev()
                .find(|(at, _, _)| *at <= offset)
                .expect("record containing offset");
            let is_tail = i + 1 == segs.len() && rec_at == records.last().expect("records").0;
            for mask in [0x01, 0xFF] {
                flip(seg, offset, mask);
                let err = verify_err(&dir);
                assert_eq!(
                    (err.seq, &err.file, err.offset),
                    (Some(seq), seg, rec_at),
                    "flip {mask:#x} at {offset} of {seg:?}: {err}"
                );
                assert!(err.reason.may_be_torn_write(), "{err}");
                // The last record of the last segment would be a torn tail to open.
                if !is_tail {
                    match open_err(&dir, &opts) {
                        LedgerError::Corrupt {
                            segment,
                            offset: at,
                            seq: s,
                            ..
                        } => assert_eq!((segment, at, s), (seg.clone(), rec_at, Some(seq))),
                        other => panic!("flip at {offset}: unexpected {other}"),
                    }
                }
                flip(seg, offset, mask);
            }
        }
    }
    verify(&dir, &key().verifying_key()).expect("restored log verifies");
}

#[test]
fn every_flipped_byte_is_caught_and_its_record_named() {
    every_flip_is_located(0);
}

#[test]
fn every_flipped_byte_is_caught_and_its_record_named_with_checkpoints() {
    every_flip_is_located(3);
}

/// The second record of the first (closed) segment.
fn victim(dir: &Path) -> (PathBuf, u64, u64, usize) {
    let seg = segments(dir).remove(0);
    let (at, len, seq) = record_offsets(&seg)[1];
    let payload_len = len as usize - rec::OVERHEAD;
    (seg, at, seq, payload_len)
}

fn assert_refused(
    dir: &Path,
    opts: &LedgerOptions,
    seg: &Path,
    at: u64,
    seq: u64,
    reason: &Reason,
) {
    let err = verify_err(dir);
    assert_eq!(
        (err.seq, err.file.as_path(), err.offset),
        (Some(seq), seg, at),
        "{err}"
    );
    assert_eq!(&err.reason, reason);
    match open_err(dir, opts) {
        LedgerError::Corrupt {
            segment,
            offset,
            seq: s,
            reason: r,
        } => assert_eq!(
            (segment.as_path(), offset, s, &r),
            (seg, at, Some(seq), reason)
        ),
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn payload_edit_with_a_recomputed_crc_breaks_the_chain() {
    let tmp = TempDir::new("payload-edit");
    let (dir, opts) = small_log(&tmp, 0);
    let (seg, at, seq, _) = victim(&dir);
    flip(&seg, at + rec::HEADER_LEN as u64, 0x20);
    fix_crc(&seg, at);
    assert_refused(&dir, &opts, &seg, at, seq, &Reason::ChainMismatch);
}

#[test]
fn chain_hash_edit_with_a_recomputed_crc_is_caught() {
    let tmp = TempDir::new("hash-edit");
    let (dir, opts) = small_log(&tmp, 0);
    let (seg, at, seq, payload_len) = victim(&dir);
    flip(&seg, at + (rec::HEADER_LEN + payload_len + 31) as u64, 0x80);
    fix_crc(&seg, at);
    assert_refused(&dir, &opts, &seg, at, seq, &Reason::ChainMismatch);
}

#[test]
fn seq_edit_with_a_recomputed_crc_is_a_gap() {
    let tmp = TempDir::new("seq-edit");
    let (dir, opts) = small_log(&tmp, 0);
    let (seg, at, seq, _) = victim(&dir);
    flip(&seg, at + 8, 0x40);
    fix_crc(&seg, at);
    let reason = Reason::SeqGap {
        expected: seq,
        found: seq ^ 0x40,
    };
    assert_refused(&dir, &opts, &seg, at, seq, &reason);
}

/// Re-encodes every segment with record 2's payload changed and the whole
/// chain and every CRC recomputed, as a forger without the key would.
fn forge_chain(dir: &Path) {
    let mut head = crate::chain::GENESIS;
    for seg in segments(dir) {
        let bytes = fs::read(&seg).expect("read");
        let (records, damage) = rec::decode_segment(&bytes, usize::MAX);
        assert!(damage.is_none());
        let mut out = Vec::new();
        for RawRecord {
            seq,
            time,
            mut payload,
            ..
        } in records
        {
            if seq == 2 {
                payload[0] ^= 1;
            }
            head = crate::chain::next(&head, seq, time, &payload);
            rec::encode_into(&mut out, seq, time, &payload, &head);
        }
        fs::write(&seg, out).expect("write");
    }
}

#[test]
fn a_consistently_rewritten_chain_is_caught_by_the_next_checkpoint() {
    let tmp = TempDir::new("forged");
    let (dir, opts) = small_log(&tmp, 4);
    forge_chain(&dir);
    let (seg, at) = segments(&dir)
        .into_iter()
        .find_map(|seg| {
            let hit = record_offsets(&seg).into_iter().find(|r| r.2 == 4);
            hit.map(|(at, _, _)| (seg, at))
        })
        .expect("record 4");
    assert_refused(
        &dir,
        &opts,
        &seg,
        at,
        4,
        &Reason::CheckpointMismatch { seq: 4 },
    );
    // Without signed checkpoints such a forgery is undetectable; they are what catches it.
    fs::remove_file(dir.join(files::CHECKPOINTS_FILE)).expect("remove");
    verify(&dir, &key().verifying_key()).expect("forged chain is self-consistent");
}

#[test]
fn deleting_the_newest_segment_is_caught_by_a_checkpoint() {
    let tmp = TempDir::new("deleted-tail");
    let (dir, _) = small_log(&tmp, 1);
    let last = segments(&dir).pop().expect("segment");
    let first_lost = record_offsets(&last)[0].2;
    fs::remove_file(&last).expect("remove");
    let err = verify_err(&dir);
    assert_eq!(
        err.reason,
        Reason::CheckpointBeyondEnd {
            seq: first_lost,
            last_seq: first_lost - 1,
        }
    );
    assert_eq!(err.file, dir.join(files::CHECKPOINTS_FILE));
}

#[test]
fn verify_reports_a_torn_tail_that_open_would_repair() {
    let tmp = TempDir::new("verify-torn");
    let (dir, _) = small_log(&tmp, 0);
    let last = segments(&dir).pop().expect("segment");
    let (at, _, seq) = record_offsets(&last).pop().expect("records");
    chop(&last, 3);
    let err = verify_err(&dir);
    assert_eq!(
        (err.seq, err.file, err.offset, err.reason),
        (Some(seq), last, at, Reason::Truncated)
    );
}

#[test]
fn verify_error_display_names_file_offset_and_seq() {
    let tmp = TempDir::new("display");
    let (dir, _) = small_log(&tmp, 0);
    let (seg, at, seq, _) = victim(&dir);
    flip(&seg, at + 30, 0x01);
    let text = verify_err(&dir).to_string();
    assert!(text.contains("seg-00000000000000000001.log"), "{text}");
    assert!(text.contains(&format!("offset {at}")), "{text}");
    assert!(text.contains(&format!("seq {seq}")), "{text}");
    assert!(text.contains("CRC"), "{text}");
}

#[test]
fn reading_detects_a_record_altered_after_open() {
    let tmp = TempDir::new("read-tamper");
    let dir = tmp.sub("log");
    let (mut ledger, _) = open(&dir, &small_opts(200));
    append_n(&mut ledger, N, 3);
    let (seg, at, seq, _) = victim(&dir);
    flip(&seg, at + rec::HEADER_LEN as u64, 0x20);
    fix_crc(&seg, at);
    let results: Vec<_> = ledger.read_from(1).expect("read").collect();
    assert_eq!(results.len(), seq as usize, "stops at the first bad record");
    match results.last() {
        Some(Err(LedgerError::Corrupt {
            segment,
            offset,
            seq: s,
            reason: Reason::ChainMismatch,
        })) => assert_eq!((segment, *offset, *s), (&seg, at, Some(seq))),
        other => panic!("unexpected {other:?}"),
    }
}
