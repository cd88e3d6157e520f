//! Decision ledger: the durable, tamper-evident log of one realm.
//!
//! Each record is `(seq, time, payload)`: `seq` counts from 1 without gaps,
//! `time` is milliseconds since the Unix epoch, `payload` is opaque bytes
//! (typically a postcard-encoded decision). One directory holds one realm's
//! log. [`Ledger`] is the single writer (an OS file lock keeps others out);
//! [`LedgerReader`] reads a directory, live or not, without the lock;
//! [`verify`] checks a directory offline. The full description is in
//! `docs/ledger.md`.
//!
//! # On-disk format
//!
//! All integers are little-endian.
//!
//! **Segments** `seg-{first_seq:020}.log` hold records back to back. A new
//! segment is started, only between records, once the current one has
//! reached `segment_max_bytes`; the old one is synced first, and the new
//! file and the directory are synced when it is created.
//!
//! ```text
//! record := magic "ECR1" | len u32 | seq u64 | time i64 | payload[len]
//!           | chain_hash [32] | crc32 u32        (CRC over all bytes before it)
//! ```
//!
//! **Chain** (RFC 6962-style domain separation):
//! `leaf_n = SHA256(0x00 || seq_le || time_le || payload)`,
//! `h_n = SHA256(0x01 || h_{n-1} || leaf_n)`, `h_0` = 32 zero bytes; record
//! `n` stores `h_n`.
//!
//! **Checkpoints** `checkpoints.log`, fixed 152-byte records, synced after
//! each write:
//!
//! ```text
//! checkpoint := magic "ECK1" | seq u64 | time i64 | h_seq [32]
//!               | public_key [32] | signature [64] | crc32 u32
//! signature  := Ed25519 over "ecc-ledger-checkpoint-v1" || seq || time || h_seq
//! ```
//!
//! **Snapshots** `snapshots/snap-{seq:020}.bin`, written to a `.tmp` file,
//! synced, renamed, directory synced:
//!
//! ```text
//! snapshot := magic "ECS1" | seq u64 | h_seq [32] | sha256(body) [32]
//!             | body_len u64 | body
//! ```
//!
//! # Recovery
//!
//! `open` scans every segment (magic, length limit, CRC, seq continuity,
//! chain, checkpoint hashes). Damage at the end of the last segment (or of
//! the checkpoint log) with no CRC-valid record at or after it is a torn
//! write: the file is cut back to the last good record and the cut is
//! reported in [`Recovery`]. Any other damage is [`LedgerError::Corrupt`] and
//! the ledger does not open.
//!
//! # Reading a live log
//!
//! [`LedgerReader::open`] runs the same checks as `open` but takes no lock
//! and modifies nothing, so tools (an activity-log export, say) can read the
//! directory of a running relay. Where `open` would cut a torn tail off the
//! last segment, the reader stops before it and reports it in
//! [`LedgerReader::torn_tail`]: the writer may be in the middle of that
//! append. Everything else that `open` refuses, the reader refuses too. The
//! reader sees the log as it was when opened; open a new one to see later
//! records.

pub mod chain;
mod checkpoint;
mod error;
mod files;
mod index;
mod ledger;
mod ledger_reader;
mod options;
mod reader;
mod record;
mod recover;
mod scan;
mod snapshot;
mod verify;

pub use checkpoint::{SIGNING_CONTEXT, SignedHead};
pub use error::{LedgerError, Reason, VerifyError};
pub use ledger::Ledger;
pub use ledger_reader::LedgerReader;
pub use options::LedgerOptions;
pub use reader::{Record, Records};
pub use recover::{Recovery, Truncation};
pub use verify::{VerifyReport, verify};

#[cfg(test)]
mod tests;
