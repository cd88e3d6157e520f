//! The hash chain (RFC 6962-style domain separation): a leaf hash per record,
//! linked to the previous chain hash.

use sha2::{Digest, Sha256};

/// Chain hash before the first record (`h_0`).
pub const GENESIS: [u8; 32] = [0; 32];

/// Domain prefix of a leaf hash, so a leaf can never be mistaken for a link.
const LEAF_PREFIX: u8 = 0x00;
/// Domain prefix of a link hash.
const LINK_PREFIX: u8 = 0x01;

/// `SHA256(0x00 || seq_le || time_le || payload)`.
pub fn leaf_hash(seq: u64, time: i64, payload: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(seq.to_le_bytes());
    h.update(time.to_le_bytes());
    h.update(payload);
    h.finalize().into()
}

/// `SHA256(0x01 || prev || leaf)`.
pub fn link(prev: &[u8; 32], leaf: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([LINK_PREFIX]);
    h.update(prev);
    h.update(leaf);
    h.finalize().into()
}

/// The chain hash of record `seq` given the chain hash of record `seq - 1`.
pub fn next(prev: &[u8; 32], seq: u64, time: i64, payload: &[u8]) -> [u8; 32] {
    link(prev, &leaf_hash(seq, time, payload))
}
