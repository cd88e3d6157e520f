//! Property tests: random batches, random tail cuts, arbitrary bytes.

use std::fs;

use proptest::prelude::*;

use super::*;
use crate::record;
use crate::verify;

/// A batch: entries of (time, payload).
type Batch = Vec<(i64, Vec<u8>)>;

fn batches() -> impl Strategy<Value = Vec<Batch>> {
    let entry = (any::<i64>(), prop::collection::vec(any::<u8>(), 0..120));
    prop::collection::vec(prop::collection::vec(entry, 0..8), 1..10)
}

/// Appends `batches` and returns the records they should have become.
fn write_batches(ledger: &mut Ledger, batches: &[Batch]) -> Vec<Record> {
    let mut expected = Vec::new();
    let mut head = ledger.head_hash();
    for batch in batches {
        let refs: Vec<(i64, &[u8])> = batch.iter().map(|(t, p)| (*t, p.as_slice())).collect();
        let range = ledger.append_batch(&refs).expect("append");
        assert_eq!(range.clone().count(), batch.len());
        for (seq, (time, payload)) in range.zip(batch) {
            head = crate::chain::next(&head, seq, *time, payload);
            expected.push(Record {
                seq,
                time: *time,
                payload: payload.clone(),
                hash: head,
            });
        }
    }
    expected
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_batches_reopen_identical_and_verify(
        batches in batches(),
        segment_max in 64u64..1500,
        checkpoint_every in 0u64..6,
    ) {
        let tmp = TempDir::new("prop-roundtrip");
        let opts = LedgerOptions { checkpoint_every, ..small_opts(segment_max) };
        let (mut ledger, _) = open(tmp.path(), &opts);
        let expected = write_batches(&mut ledger, &batches);
        prop_assert_eq!(read_all(&ledger), expected.clone());
        drop(ledger);

        let (ledger, recovery) = open(tmp.path(), &opts);
        prop_assert!(recovery.is_clean());
        prop_assert_eq!(ledger.last_seq(), expected.len() as u64);
        prop_assert_eq!(read_all(&ledger), expected.clone());
        let report = verify(tmp.path(), &key().verifying_key()).expect("verify");
        prop_assert_eq!(report.records, expected.len() as u64);
        prop_assert_eq!(report.head_hash, ledger.head_hash());
    }

    #[test]
    fn random_tail_cut_recovers_the_original_prefix(
        batches in batches(),
        segment_max in 64u64..1500,
        cut in 0.0f64..1.0,
    ) {
        let tmp = TempDir::new("prop-cut");
        let opts = small_opts(segment_max);
        let (mut ledger, _) = open(tmp.path(), &opts);
        let expected = write_batches(&mut ledger, &batches);
        drop(ledger);
        let Some(last) = segments(tmp.path()).pop() else {
            prop_assert!(expected.is_empty());
            return Ok(());
        };
        let records = record_offsets(&last);
        let len = fs::metadata(&last).expect("metadata").len();
        let new_len = (len as f64 * cut) as u64;
        chop(&last, len - new_len);
        // Records wholly before the cut survive; those of earlier segments too.
        let lost = records.iter().filter(|(at, l, _)| at + l > new_len).count();
        let survivors = expected.len() - lost;
        let on_boundary = records.iter().any(|(at, _, _)| *at == new_len);

        let (mut ledger, recovery) = open(tmp.path(), &opts);
        prop_assert_eq!(read_all(&ledger), expected[..survivors].to_vec());
        prop_assert_eq!(recovery.truncated.is_some(), !on_boundary && lost > 0);
        if let Some(t) = &recovery.truncated {
            prop_assert_eq!(t.bytes, new_len - t.offset);
        }
        prop_assert_eq!(recovery.removed.contains(&last), survivors as u64 + 1 == records[0].2);
        // Writing goes on where the prefix ends.
        ledger.append_batch(&[(1, b"after recovery")]).expect("append");
        prop_assert_eq!(ledger.last_seq(), survivors as u64 + 1);
        drop(ledger);
        verify(tmp.path(), &key().verifying_key()).expect("verify");
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        len in any::<u32>(),
        framed in any::<bool>(),
        max in 0usize..1000,
    ) {
        let mut input = bytes;
        if framed {
            // Start like a record so the decoder goes past the magic.
            let mut head = record::MAGIC.to_vec();
            head.extend_from_slice(&(len % 700).to_le_bytes());
            input.splice(0..0, head);
        }
        let (records, damage) = record::decode_segment(&input, max);
        let used: u64 = records.iter().map(|r| r.encoded_len).sum();
        prop_assert!(used <= input.len() as u64);
        if let Some((offset, _)) = damage {
            prop_assert_eq!(offset, used);
        }
        let _ = record::contains_valid_record(&input);
    }
}
