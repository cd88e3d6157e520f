//! Signed checkpoints: fixed-size records in `checkpoints.log`, each binding a
//! seq and its chain hash to the relay's ed25519 key.

use std::fs;
use std::io;
use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::error::Reason;
use crate::record::array;

/// First bytes of every checkpoint record.
const MAGIC: [u8; 4] = *b"ECK1";
/// Bytes of one checkpoint record: magic, seq, time, hash, key, signature, CRC.
pub(crate) const LEN: usize = 4 + 8 + 8 + 32 + 32 + 64 + 4;
/// Signed before seq, time and hash, so the signature cannot be replayed elsewhere.
pub const SIGNING_CONTEXT: &[u8] = b"ecc-ledger-checkpoint-v1";

/// One signed checkpoint: the chain hash at `seq`, as attested by `public_key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    /// Last record covered.
    pub seq: u64,
    /// When the checkpoint was taken, ms since the Unix epoch.
    pub time: i64,
    /// Chain hash of record `seq` (`h_seq`).
    pub hash: [u8; 32],
    /// Public half of the signing key.
    pub public_key: [u8; 32],
    /// Ed25519 signature over [`SIGNING_CONTEXT`] || seq || time || hash.
    pub signature: [u8; 64],
}

impl Checkpoint {
    /// Signs `hash` at `seq` with `key`.
    pub(crate) fn sign(key: &SigningKey, seq: u64, time: i64, hash: [u8; 32]) -> Self {
        let signature = key.sign(&message(seq, time, &hash)).to_bytes();
        Checkpoint {
            seq,
            time,
            hash,
            public_key: key.verifying_key().to_bytes(),
            signature,
        }
    }

    /// The on-disk record.
    pub(crate) fn encode(&self) -> [u8; LEN] {
        let mut out = [0u8; LEN];
        out[0..4].copy_from_slice(&MAGIC);
        out[4..12].copy_from_slice(&self.seq.to_le_bytes());
        out[12..20].copy_from_slice(&self.time.to_le_bytes());
        out[20..52].copy_from_slice(&self.hash);
        out[52..84].copy_from_slice(&self.public_key);
        out[84..148].copy_from_slice(&self.signature);
        let crc = crc32fast::hash(&out[..LEN - 4]);
        out[LEN - 4..].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes one record; `bytes` must hold at least [`LEN`] bytes.
    fn decode(bytes: &[u8]) -> Result<Self, Reason> {
        let Some(bytes) = bytes.get(..LEN) else {
            return Err(Reason::Truncated);
        };
        if bytes[0..4] != MAGIC {
            return Err(Reason::BadMagic);
        }
        if crc32fast::hash(&bytes[..LEN - 4]) != u32::from_le_bytes(array(&bytes[LEN - 4..])) {
            return Err(Reason::CrcMismatch);
        }
        Ok(Checkpoint {
            seq: u64::from_le_bytes(array(&bytes[4..12])),
            time: i64::from_le_bytes(array(&bytes[12..20])),
            hash: array(&bytes[20..52]),
            public_key: array(&bytes[52..84]),
            signature: array(&bytes[84..148]),
        })
    }

    /// Checks that `key` signed this checkpoint.
    pub(crate) fn check(&self, key: &VerifyingKey) -> Result<(), Reason> {
        if self.public_key != key.to_bytes() {
            return Err(Reason::CheckpointKeyMismatch { seq: self.seq });
        }
        let sig = Signature::from_bytes(&self.signature);
        key.verify_strict(&message(self.seq, self.time, &self.hash), &sig)
            .map_err(|_| Reason::BadCheckpointSignature { seq: self.seq })
    }
}

/// A chain head attested by the relay's key, as handed to a reader who
/// fetched the records over the network: recompute the chain from the
/// records, compare the hash at `seq`, and check the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHead {
    /// Last record covered.
    pub seq: u64,
    /// When it was signed, ms since the Unix epoch.
    pub time: i64,
    /// Chain hash of record `seq`.
    pub hash: [u8; 32],
    /// Public half of the signing key.
    pub public_key: [u8; 32],
    /// Ed25519 signature over [`SIGNING_CONTEXT`] || seq || time || hash.
    pub signature: [u8; 64],
}

impl SignedHead {
    /// Whether the relay key `public_key` signed this head.
    pub fn signature_holds(&self) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(&self.public_key) else {
            return false;
        };
        let sig = Signature::from_bytes(&self.signature);
        key.verify_strict(&message(self.seq, self.time, &self.hash), &sig)
            .is_ok()
    }
}

impl From<&Checkpoint> for SignedHead {
    fn from(c: &Checkpoint) -> Self {
        SignedHead {
            seq: c.seq,
            time: c.time,
            hash: c.hash,
            public_key: c.public_key,
            signature: c.signature,
        }
    }
}

/// The signed message.
fn message(seq: u64, time: i64, hash: &[u8; 32]) -> Vec<u8> {
    let mut m = Vec::with_capacity(SIGNING_CONTEXT.len() + 48);
    m.extend_from_slice(SIGNING_CONTEXT);
    m.extend_from_slice(&seq.to_le_bytes());
    m.extend_from_slice(&time.to_le_bytes());
    m.extend_from_slice(hash);
    m
}

/// A checkpoint and where it sits in the file.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub offset: u64,
    pub checkpoint: Checkpoint,
}

/// The first bad record of the checkpoint log.
#[derive(Debug, Clone)]
pub(crate) struct Damage {
    pub offset: u64,
    pub reason: Reason,
    /// A torn last write: nothing valid follows, so truncating here is safe.
    pub torn: bool,
}

/// The checkpoint log as read: good records up to the first damage.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub entries: Vec<Entry>,
    pub file_len: u64,
    pub damage: Option<Damage>,
}

/// Reads `path` (a missing file is empty). Signatures are not checked here.
pub(crate) fn load(path: &Path) -> io::Result<Loaded> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(e) => return Err(e),
    };
    let mut loaded = Loaded {
        file_len: bytes.len() as u64,
        ..Loaded::default()
    };
    let mut offset = 0;
    while offset < bytes.len() {
        match Checkpoint::decode(&bytes[offset..]) {
            Ok(checkpoint) => {
                loaded.entries.push(Entry {
                    offset: offset as u64,
                    checkpoint,
                });
                offset += LEN;
            }
            Err(reason) => {
                let torn = reason.may_be_torn_write() && !valid_after(&bytes[offset..]);
                loaded.damage = Some(Damage {
                    offset: offset as u64,
                    reason,
                    torn,
                });
                break;
            }
        }
    }
    Ok(loaded)
}

/// Whether a CRC-valid checkpoint starts anywhere in `bytes` after position 0.
fn valid_after(bytes: &[u8]) -> bool {
    (1..bytes.len())
        .any(|p| bytes[p..].starts_with(&MAGIC) && Checkpoint::decode(&bytes[p..]).is_ok())
}

/// `(seq, hash)` the chain must show at each checkpointed seq >= 1, sorted by seq.
pub(crate) fn expectations(entries: &[Entry]) -> Vec<(u64, [u8; 32])> {
    let mut expected: Vec<_> = entries
        .iter()
        .filter(|e| e.checkpoint.seq > 0)
        .map(|e| (e.checkpoint.seq, e.checkpoint.hash))
        .collect();
    expected.sort_by_key(|(seq, _)| *seq);
    expected
}

/// The first checkpoint that cannot be matched against a log ending at
/// `last_seq`: one past the end, or one at seq 0 not holding the genesis hash.
pub(crate) fn beyond_log(entries: &[Entry], last_seq: u64) -> Option<(&Entry, Reason)> {
    entries.iter().find_map(|e| {
        let seq = e.checkpoint.seq;
        if seq > last_seq {
            Some((e, Reason::CheckpointBeyondEnd { seq, last_seq }))
        } else if seq == 0 && e.checkpoint.hash != crate::chain::GENESIS {
            Some((e, Reason::CheckpointMismatch { seq }))
        } else {
            None
        }
    })
}
