//! The read-only reader: works beside a live writer, ignores a torn tail
//! without repairing it, changes no file, and refuses what `open` refuses.

use std::collections::BTreeMap;
use std::fs;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use super::*;
use crate::checkpoint::{self, Checkpoint};
use crate::{LedgerReader, Reason, Truncation};

/// Records in the template log.
const N: u64 = 10;

/// A closed log of `N` single-record batches over several 300-byte
/// segments, with checkpoints at 4 and 8 and a snapshot at 6.
fn template(tmp: &TempDir) -> (PathBuf, LedgerOptions) {
    let dir = tmp.sub("template");
    let opts = LedgerOptions {
        checkpoint_every: 4,
        ..small_opts(300)
    };
    let (mut ledger, _) = open(&dir, &opts);
    append_n(&mut ledger, N, 1);
    ledger.write_snapshot(6, b"six").expect("snapshot");
    assert_eq!(ledger.last_checkpoint_seq(), 8);
    drop(ledger);
    assert!(segments(&dir).len() >= 3);
    assert!(record_offsets(&last_segment(&dir)).len() >= 2);
    (dir, opts)
}

/// A fresh copy of the template log, snapshots included.
fn copy_of(template: &Path, tmp: &TempDir, name: &str) -> PathBuf {
    let dir = tmp.sub(name);
    copy_dir(template, &dir);
    let snaps = template.join(files::SNAPSHOT_DIR);
    if snaps.is_dir() {
        copy_dir(&snaps, &dir.join(files::SNAPSHOT_DIR));
    }
    dir
}

fn last_segment(dir: &Path) -> PathBuf {
    segments(dir).pop().expect("a segment")
}

fn open_reader(dir: &Path, opts: &LedgerOptions) -> LedgerReader {
    LedgerReader::open(dir, &key().verifying_key(), opts.clone()).expect("open reader")
}

/// The error the reader refuses with.
fn reader_err(dir: &Path, opts: &LedgerOptions) -> LedgerError {
    match LedgerReader::open(dir, &key().verifying_key(), opts.clone()) {
        Ok(reader) => panic!("reader opened: {reader:?}"),
        Err(e) => e,
    }
}

fn reader_all(reader: &LedgerReader) -> Vec<Record> {
    reader
        .read_from(1)
        .expect("read")
        .collect::<Result<Vec<_>, _>>()
        .expect("records")
}

/// Every file under `dir`, recursively, with its bytes.
fn dir_state(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut state = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = fs::read(&path).expect("read file");
                state.insert(path, bytes);
            }
        }
    }
    state
}

/// Where and why a `Corrupt` error says the log is damaged.
fn corrupt_at(err: &LedgerError) -> (PathBuf, u64, Option<u64>, Reason) {
    match err {
        LedgerError::Corrupt {
            segment,
            offset,
            seq,
            reason,
        } => (segment.clone(), *offset, *seq, reason.clone()),
        other => panic!("not Corrupt: {other}"),
    }
}

/// The reader refuses `dir` with `Corrupt`, naming the same damage as
/// `open`, and neither of them changes a byte.
fn refused_like_open(dir: &Path, opts: &LedgerOptions) -> (PathBuf, u64, Option<u64>, Reason) {
    let before = dir_state(dir);
    let from_reader = corrupt_at(&reader_err(dir, opts));
    assert_eq!(dir_state(dir), before, "reader modified {dir:?}");
    let from_open = corrupt_at(&open_err(dir, opts));
    assert_eq!(from_reader, from_open, "reader and open disagree");
    from_reader
}

#[test]
fn reader_beside_an_open_writer_sees_exactly_the_committed_records() {
    let tmp = TempDir::new("live");
    let dir = tmp.sub("log");
    let opts = LedgerOptions {
        checkpoint_every: 4,
        ..small_opts(400)
    };
    let (mut ledger, _) = open(&dir, &opts);
    append_n(&mut ledger, 10, 3);
    ledger.write_snapshot(8, b"eight").expect("snapshot");

    let first = open_reader(&dir, &opts);
    assert_eq!(first.last_seq(), 10);
    assert_eq!(first.head_hash(), ledger.head_hash());
    assert!(first.torn_tail().is_none());
    assert_eq!(reader_all(&first), expected_records(10));
    let tail: Vec<u64> = first
        .read_from(7)
        .expect("read")
        .map(|r| r.expect("record").seq)
        .collect();
    assert_eq!(tail, vec![7, 8, 9, 10]);
    assert_eq!(
        first.snapshot_at_or_before(u64::MAX).expect("snapshot"),
        Some((8, b"eight".to_vec()))
    );
    // The writer still holds the lock: the reader neither took nor dropped it.
    assert!(matches!(open_err(&dir, &opts), LedgerError::Locked(_)));

    append_n(&mut ledger, 7, 2);
    ledger.write_snapshot(15, b"fifteen").expect("snapshot");
    assert!(segments(&dir).len() >= 3, "appends rolled segments");
    // The first reader keeps its view: nothing after seq 10.
    assert_eq!(first.last_seq(), 10);
    assert_eq!(reader_all(&first), expected_records(10));
    assert_eq!(first.read_from(11).expect("read").count(), 0);
    assert_eq!(
        first.snapshot_at_or_before(u64::MAX).expect("snapshot"),
        Some((8, b"eight".to_vec()))
    );

    let second = open_reader(&dir, &opts);
    assert_eq!(second.last_seq(), 17);
    assert_eq!(second.head_hash(), ledger.head_hash());
    assert_eq!(reader_all(&second), expected_records(17));
    assert_eq!(
        second.snapshot_at_or_before(u64::MAX).expect("snapshot"),
        Some((15, b"fifteen".to_vec()))
    );
    assert_eq!(
        second.snapshot_at_or_before(14).expect("snapshot"),
        Some((8, b"eight".to_vec()))
    );
    drop(ledger);
    assert_eq!(
        reader_all(&second),
        expected_records(17),
        "outlives the writer"
    );
}

#[test]
fn reader_of_an_empty_or_missing_directory() {
    let tmp = TempDir::new("empty");
    let missing = tmp.sub("missing");
    assert!(matches!(
        reader_err(&missing, &LedgerOptions::default()),
        LedgerError::Io { .. }
    ));
    assert!(!missing.exists(), "reader created the directory");

    let dir = tmp.sub("fresh");
    let (ledger, _) = open(&dir, &LedgerOptions::default());
    let empty = open_reader(&dir, &LedgerOptions::default());
    assert_eq!(empty.last_seq(), 0);
    assert_eq!(empty.head_hash(), chain::GENESIS);
    assert!(empty.torn_tail().is_none());
    assert_eq!(empty.read_from(1).expect("read").count(), 0);
    assert_eq!(empty.snapshot_at_or_before(u64::MAX).expect("lookup"), None);
    drop(ledger);
}

#[test]
fn torn_tail_is_skipped_reported_and_left_in_place() {
    let tmp = TempDir::new("torn");
    let (template, opts) = template(&tmp);
    let last = last_segment(&template);
    let (rec_at, rec_len, seq) = record_offsets(&last).pop().expect("records");
    assert_eq!(seq, N);
    for k in 1..rec_len {
        let dir = copy_of(&template, &tmp, &format!("torn-{k}"));
        let seg = last_segment(&dir);
        chop(&seg, k);
        // Without a LOCK file too: the reader must not create one.
        fs::remove_file(dir.join(files::LOCK_FILE)).expect("remove LOCK");
        let before = dir_state(&dir);

        let reader = open_reader(&dir, &opts);
        let torn = Truncation {
            segment: seg.clone(),
            offset: rec_at,
            bytes: rec_len - k,
        };
        assert_eq!(reader.torn_tail(), Some(&torn), "cut {k} bytes");
        assert_eq!(reader.last_seq(), N - 1);
        let expected = expected_records(N - 1);
        assert_eq!(reader.head_hash(), expected[expected.len() - 1].hash);
        assert_eq!(reader_all(&reader), expected);
        assert_eq!(
            reader.snapshot_at_or_before(u64::MAX).expect("snapshot"),
            Some((6, b"six".to_vec()))
        );
        assert_eq!(dir_state(&dir), before, "reader modified files (cut {k})");

        // It reports exactly the cut `open` makes.
        let (_, recovery) = open(&dir, &opts);
        assert_eq!(recovery.truncated, Some(torn));
        fs::remove_dir_all(&dir).expect("clean up");
    }
}

#[test]
fn garbage_after_the_last_record_is_skipped_and_left_in_place() {
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
            let before = dir_state(&dir);
            let reader = open_reader(&dir, &opts);
            let good = if partial > 0 { N - 1 } else { N };
            let good_end = if partial > 0 { rec_at } else { len_before };
            let torn = reader.torn_tail().expect("torn tail reported");
            assert_eq!((&torn.segment, torn.offset), (&seg, good_end));
            assert_eq!(torn.bytes, len_before - partial + len as u64 - good_end);
            assert_eq!(reader_all(&reader), expected_records(good));
            assert_eq!(dir_state(&dir), before, "garbage {len}, partial {partial}");
        }
    }
    let dir = copy_of(&template, &tmp, "zeros");
    append_bytes(&last_segment(&dir), &[0; 4096]);
    let before = dir_state(&dir);
    let reader = open_reader(&dir, &opts);
    assert_eq!(reader.torn_tail().map(|t| t.bytes), Some(4096));
    assert_eq!(reader.last_seq(), N);
    assert_eq!(dir_state(&dir), before);
}

#[test]
fn torn_last_checkpoint_and_empty_trailing_segment_are_left_in_place() {
    let tmp = TempDir::new("cp-torn");
    let (template, opts) = template(&tmp);
    let dir = copy_of(&template, &tmp, "cp-torn");
    chop(&dir.join(files::CHECKPOINTS_FILE), 40);
    let stray = dir.join(files::segment_name(N + 1));
    fs::write(&stray, b"").expect("create");
    let before = dir_state(&dir);
    let reader = open_reader(&dir, &opts);
    assert_eq!(reader.last_seq(), N);
    assert!(reader.torn_tail().is_none());
    assert_eq!(reader_all(&reader), expected_records(N));
    assert_eq!(dir_state(&dir), before);
    assert!(stray.exists());

    // A torn record that was the only one of the last segment.
    let dir = tmp.sub("torn-first");
    let opts = small_opts(1);
    let (mut ledger, _) = open(&dir, &opts);
    append_n(&mut ledger, 3, 3);
    let segs = segments(&dir);
    assert_eq!(segs.len(), 3);
    chop(&segs[2], 5);
    let before = dir_state(&dir);
    let reader = open_reader(&dir, &opts);
    assert_eq!(reader.torn_tail().map(|t| t.offset), Some(0));
    assert_eq!(reader_all(&reader), expected_records(2));
    assert_eq!(dir_state(&dir), before);
    drop(ledger);
}

#[test]
fn damage_that_open_refuses_is_refused_by_the_reader() {
    let tmp = TempDir::new("corrupt");
    let (template, opts) = template(&tmp);

    // Torn tail of a closed segment.
    let dir = copy_of(&template, &tmp, "closed-torn");
    let first = segments(&dir).remove(0);
    let (rec_at, _, seq) = record_offsets(&first).pop().expect("records");
    chop(&first, 1);
    assert_eq!(
        refused_like_open(&dir, &opts),
        (first, rec_at, Some(seq), Reason::Truncated)
    );

    // A record with a bad CRC followed by valid records, in the last segment.
    let dir = copy_of(&template, &tmp, "crc-mid-last");
    let seg = last_segment(&dir);
    let (rec_at, _, seq) = record_offsets(&seg)[0];
    flip(&seg, rec_at + 30, 0x20);
    assert_eq!(
        refused_like_open(&dir, &opts),
        (seg, rec_at, Some(seq), Reason::CrcMismatch)
    );

    // A bad CRC in a closed segment.
    let dir = copy_of(&template, &tmp, "crc-closed");
    let seg = segments(&dir).remove(1);
    let (rec_at, _, seq) = record_offsets(&seg)[0];
    flip(&seg, rec_at + 30, 0x01);
    assert_eq!(
        refused_like_open(&dir, &opts),
        (seg, rec_at, Some(seq), Reason::CrcMismatch)
    );

    // A CRC-valid last record whose chain hash is wrong is no torn write.
    let dir = copy_of(&template, &tmp, "chain");
    let seg = last_segment(&dir);
    let (rec_at, _, seq) = record_offsets(&seg).pop().expect("records");
    flip(&seg, rec_at + record::HEADER_LEN as u64, 0x01);
    fix_crc(&seg, rec_at);
    assert_eq!(
        refused_like_open(&dir, &opts),
        (seg, rec_at, Some(seq), Reason::ChainMismatch)
    );

    // A missing middle segment.
    let dir = copy_of(&template, &tmp, "gap");
    let segs = segments(&dir);
    fs::remove_file(&segs[1]).expect("remove");
    let (segment, _, _, reason) = refused_like_open(&dir, &opts);
    assert_eq!(segment, segs[2]);
    assert!(matches!(reason, Reason::SeqGap { .. }), "{reason}");

    // Damage in the checkpoint log with a valid checkpoint after it.
    let dir = copy_of(&template, &tmp, "cp-mid");
    let cp = dir.join(files::CHECKPOINTS_FILE);
    flip(&cp, 30, 0x04);
    assert_eq!(
        refused_like_open(&dir, &opts),
        (cp, 0, None, Reason::CrcMismatch)
    );

    // A record over a lowered payload limit is not a torn tail either.
    let lowered = LedgerOptions {
        max_payload: 20,
        ..opts.clone()
    };
    let dir = copy_of(&template, &tmp, "lowered");
    let (_, _, _, reason) = refused_like_open(&dir, &lowered);
    assert!(
        matches!(reason, Reason::TooLarge { max: 20, .. }),
        "{reason}"
    );
}

#[test]
fn torn_tail_under_a_checkpoint_is_refused() {
    // A writer syncs records before checkpointing them, so a checkpoint past
    // the readable end means checkpointed records were lost, even when the
    // damage looks like a torn write.
    let tmp = TempDir::new("cp-lost");
    let dir = tmp.sub("log");
    let opts = LedgerOptions::default();
    let (mut ledger, _) = open(&dir, &opts);
    append_n(&mut ledger, 5, 5);
    ledger.checkpoint(99).expect("checkpoint");
    drop(ledger);
    let (_, rec_len, _) = record_offsets(&last_segment(&dir)).pop().expect("records");
    for cut in [3, rec_len] {
        let copy = copy_of(&dir, &tmp, &format!("cut-{cut}"));
        chop(&last_segment(&copy), cut);
        let (_, _, seq, reason) = refused_like_open(&copy, &opts);
        assert_eq!(seq, Some(5));
        assert_eq!(
            reason,
            Reason::CheckpointBeyondEnd {
                seq: 5,
                last_seq: 4
            }
        );
    }
}

#[test]
fn checkpoints_by_another_key_are_refused() {
    let tmp = TempDir::new("other-key");
    let (template, opts) = template(&tmp);

    // The relay's own checkpoints, read with another key.
    let before = dir_state(&template);
    let err = LedgerReader::open(&template, &other_key().verifying_key(), opts.clone())
        .expect_err("reader with the wrong key");
    assert!(
        matches!(
            &err,
            LedgerError::Corrupt {
                offset: 0,
                reason: Reason::CheckpointKeyMismatch { seq: 4 },
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(dir_state(&template), before);

    // A checkpoint forged with another key, with the right chain hash.
    let dir = copy_of(&template, &tmp, "forged");
    let cp_path = dir.join(files::CHECKPOINTS_FILE);
    let loaded = checkpoint::load(&cp_path).expect("load");
    let genuine = &loaded.entries[1].checkpoint;
    let forged = Checkpoint::sign(&other_key(), genuine.seq, genuine.time, genuine.hash);
    let mut bytes = fs::read(&cp_path).expect("read");
    let at = checkpoint::LEN;
    bytes[at..at + checkpoint::LEN].copy_from_slice(&forged.encode());
    fs::write(&cp_path, &bytes).expect("write");
    assert_eq!(
        refused_like_open(&dir, &opts),
        (
            cp_path.clone(),
            at as u64,
            Some(8),
            Reason::CheckpointKeyMismatch { seq: 8 }
        )
    );

    // The same forgery claiming the relay's key has a bad signature.
    let claimed = Checkpoint {
        public_key: key().verifying_key().to_bytes(),
        ..forged
    };
    bytes[at..at + checkpoint::LEN].copy_from_slice(&claimed.encode());
    fs::write(&cp_path, &bytes).expect("write");
    assert_eq!(
        refused_like_open(&dir, &opts),
        (
            cp_path,
            at as u64,
            Some(8),
            Reason::BadCheckpointSignature { seq: 8 }
        )
    );
}

/// Records of the race test: payloads of up to ~64 KiB, so a batch spans
/// many pages and a reader can catch it half written.
fn race_records(total: u64) -> Vec<Record> {
    let mut head = chain::GENESIS;
    (1..=total)
        .map(|seq| {
            let payload = noise(seq, 100 + (seq as usize * 7919) % 65_000);
            head = chain::next(&head, seq, seq as i64, &payload);
            Record {
                seq,
                time: seq as i64,
                payload,
                hash: head,
            }
        })
        .collect()
}

#[test]
fn readers_beside_a_writer_thread_always_see_a_valid_prefix() {
    const TOTAL: u64 = 400;
    let tmp = TempDir::new("race");
    let dir = tmp.sub("log");
    let opts = LedgerOptions {
        checkpoint_every: 3,
        ..small_opts(512 << 10)
    };
    let all = race_records(TOTAL);
    let (mut ledger, _) = open(&dir, &opts);
    let done = AtomicBool::new(false);
    let readers = thread::scope(|s| {
        let writer = s.spawn(|| {
            let mut batch = 1;
            while ledger.last_seq() < TOTAL {
                let first = ledger.last_seq() as usize;
                let n = batch.min(TOTAL as usize - first);
                let entries: Vec<(i64, &[u8])> = all[first..first + n]
                    .iter()
                    .map(|r| (r.time, r.payload.as_slice()))
                    .collect();
                ledger.append_batch(&entries).expect("append");
                let at = ledger.last_seq();
                if at % 50 < n as u64 {
                    ledger
                        .write_snapshot(at, &at.to_le_bytes())
                        .expect("snapshot");
                }
                batch = batch % 9 + 1;
            }
            done.store(true, Ordering::SeqCst);
        });
        let (mut last, mut readers) = (0, 0);
        while !done.load(Ordering::SeqCst) {
            let reader = open_reader(&dir, &opts);
            let seq = reader.last_seq();
            assert!(seq >= last, "went back from {last} to {seq}");
            // From the middle too, so reads that start at an index entry are covered.
            let from = seq / 2 + 1;
            let records: Vec<Record> = reader
                .read_from(from)
                .expect("read")
                .collect::<Result<_, _>>()
                .expect("records");
            assert_eq!(records, all[from as usize - 1..seq as usize]);
            if seq > 0 {
                assert_eq!(reader.head_hash(), all[seq as usize - 1].hash);
            }
            if let Some((at, body)) = reader.snapshot_at_or_before(seq).expect("snapshot") {
                assert!(at <= seq);
                assert_eq!(body, at.to_le_bytes());
            }
            last = seq;
            readers += 1;
        }
        writer.join().expect("writer");
        readers
    });
    assert!(readers > 0);
    let reader = open_reader(&dir, &opts);
    assert_eq!(reader.last_seq(), TOTAL);
    assert!(reader.torn_tail().is_none());
    assert_eq!(reader_all(&reader), all);
}
