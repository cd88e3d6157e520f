//! Signed checkpoints: written on schedule, verified, and forgeries rejected.

use std::fs;

use super::*;
use crate::checkpoint::{self, Checkpoint};
use crate::{Reason, verify};

/// A log of 35 records in batches of 3 with a checkpoint every 10 records.
fn log_with_checkpoints(tmp: &TempDir) -> (PathBuf, LedgerOptions) {
    let dir = tmp.sub("log");
    let opts = LedgerOptions {
        checkpoint_every: 10,
        ..small_opts(1000)
    };
    let (mut ledger, _) = open(&dir, &opts);
    append_n(&mut ledger, 35, 3);
    (dir, opts)
}

fn load(dir: &Path) -> Vec<checkpoint::Entry> {
    let loaded = checkpoint::load(&dir.join(files::CHECKPOINTS_FILE)).expect("load");
    assert!(loaded.damage.is_none());
    loaded.entries
}

/// Overwrites the checkpoint record at `index`.
fn replace(dir: &Path, index: usize, cp: &Checkpoint) {
    let path = dir.join(files::CHECKPOINTS_FILE);
    let mut bytes = fs::read(&path).expect("read");
    let at = index * checkpoint::LEN;
    bytes[at..at + checkpoint::LEN].copy_from_slice(&cp.encode());
    fs::write(&path, bytes).expect("write");
}

#[test]
fn checkpoints_are_written_on_schedule_and_their_signatures_verify() {
    let tmp = TempDir::new("schedule");
    let (dir, _) = log_with_checkpoints(&tmp);
    let entries = load(&dir);
    // Batches end at 3, 6, ..., 33, 35: due once 10 records are unsigned.
    let seqs: Vec<u64> = entries.iter().map(|e| e.checkpoint.seq).collect();
    assert_eq!(seqs, vec![12, 24, 35]);
    let all = expected_records(35);
    for e in &entries {
        let cp = &e.checkpoint;
        cp.check(&key().verifying_key()).expect("signature");
        assert_eq!(cp.hash, all[cp.seq as usize - 1].hash);
        assert_eq!(cp.public_key, key().verifying_key().to_bytes());
        assert_eq!(cp.time, all[cp.seq as usize - 1].time);
    }
    let report = verify(&dir, &key().verifying_key()).expect("verify");
    assert_eq!(report.checkpoints, 3);
    assert_eq!(report.last_checkpoint, Some(35));
}

#[test]
fn checkpoint_layout_matches_the_documented_format() {
    let tmp = TempDir::new("cp-layout");
    let dir = tmp.sub("log");
    let (mut ledger, _) = open(&dir, &LedgerOptions::default());
    append_n(&mut ledger, 2, 2);
    ledger.checkpoint(-3).expect("checkpoint");
    let bytes = fs::read(dir.join(files::CHECKPOINTS_FILE)).expect("read");
    assert_eq!(bytes.len(), 152);
    assert_eq!(&bytes[0..4], b"ECK1");
    assert_eq!(&bytes[4..12], &2u64.to_le_bytes());
    assert_eq!(&bytes[12..20], &(-3i64).to_le_bytes());
    assert_eq!(&bytes[20..52], &ledger.head_hash());
    assert_eq!(&bytes[52..84], &key().verifying_key().to_bytes());
    let mut msg = crate::SIGNING_CONTEXT.to_vec();
    msg.extend_from_slice(&bytes[4..52]);
    let sig = ed25519_dalek::Signature::from_bytes(&bytes[84..148].try_into().expect("sig"));
    key()
        .verifying_key()
        .verify_strict(&msg, &sig)
        .expect("signature over context || seq || time || hash");
    assert_eq!(
        &bytes[148..152],
        &crc32fast::hash(&bytes[..148]).to_le_bytes()
    );
}

#[test]
fn checkpoint_resigned_by_another_key_is_rejected() {
    let tmp = TempDir::new("resigned");
    let (dir, opts) = log_with_checkpoints(&tmp);
    let entries = load(&dir);
    let cp = &entries[1].checkpoint;
    replace(
        &dir,
        1,
        &Checkpoint::sign(&other_key(), cp.seq, cp.time, cp.hash),
    );
    let err = verify(&dir, &key().verifying_key()).expect_err("foreign key");
    assert_eq!(err.reason, Reason::CheckpointKeyMismatch { seq: 24 });
    assert_eq!((err.offset, err.seq), (checkpoint::LEN as u64, Some(24)));
    let err = open_err(&dir, &opts);
    assert!(
        matches!(
            err,
            LedgerError::Corrupt {
                reason: Reason::CheckpointKeyMismatch { seq: 24 },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn checkpoint_with_a_signature_from_another_key_under_ours_is_rejected() {
    let tmp = TempDir::new("forged-sig");
    let (dir, opts) = log_with_checkpoints(&tmp);
    let entries = load(&dir);
    let cp = &entries[0].checkpoint;
    let mut forged = Checkpoint::sign(&other_key(), cp.seq, cp.time, cp.hash);
    forged.public_key = cp.public_key;
    replace(&dir, 0, &forged);
    let err = verify(&dir, &key().verifying_key()).expect_err("bad signature");
    assert_eq!(err.reason, Reason::BadCheckpointSignature { seq: 12 });
    assert!(matches!(
        open_err(&dir, &opts),
        LedgerError::Corrupt {
            reason: Reason::BadCheckpointSignature { seq: 12 },
            ..
        }
    ));
}

#[test]
fn verify_with_the_wrong_key_is_rejected() {
    let tmp = TempDir::new("wrong-key");
    let (dir, _) = log_with_checkpoints(&tmp);
    let err = verify(&dir, &other_key().verifying_key()).expect_err("wrong key");
    assert_eq!(err.reason, Reason::CheckpointKeyMismatch { seq: 12 });
}

#[test]
fn open_with_another_key_refuses() {
    let tmp = TempDir::new("open-wrong-key");
    let (dir, opts) = log_with_checkpoints(&tmp);
    let err = Ledger::open(&dir, other_key(), opts).expect_err("wrong key");
    assert!(
        matches!(
            err,
            LedgerError::Corrupt {
                reason: Reason::CheckpointKeyMismatch { .. },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn checkpoint_whose_hash_does_not_match_the_chain_is_rejected() {
    let tmp = TempDir::new("cp-mismatch");
    let (dir, opts) = log_with_checkpoints(&tmp);
    let all = expected_records(35);
    // Validly signed, but over the hash of a different record.
    let bogus = Checkpoint::sign(&key(), 30, 0, all[28].hash);
    append_bytes(&dir.join(files::CHECKPOINTS_FILE), &bogus.encode());
    let (seg, at) = segments(&dir)
        .into_iter()
        .find_map(|seg| {
            let hit = record_offsets(&seg).into_iter().find(|r| r.2 == 30);
            hit.map(|(at, _, _)| (seg, at))
        })
        .expect("record 30");
    let err = verify(&dir, &key().verifying_key()).expect_err("mismatch");
    assert_eq!(
        (err.seq, err.file.as_path(), err.offset, &err.reason),
        (
            Some(30),
            seg.as_path(),
            at,
            &Reason::CheckpointMismatch { seq: 30 }
        )
    );
    assert!(matches!(
        open_err(&dir, &opts),
        LedgerError::Corrupt {
            reason: Reason::CheckpointMismatch { seq: 30 },
            ..
        }
    ));
}

#[test]
fn checkpoint_of_an_empty_log_verifies() {
    let tmp = TempDir::new("cp-empty");
    let dir = tmp.sub("log");
    let (mut ledger, _) = open(&dir, &LedgerOptions::default());
    ledger.checkpoint(1).expect("checkpoint");
    drop(ledger);
    let report = verify(&dir, &key().verifying_key()).expect("verify");
    assert_eq!(
        (report.records, report.checkpoints, report.segments),
        (0, 1, 0)
    );
    open(&dir, &LedgerOptions::default());
}
