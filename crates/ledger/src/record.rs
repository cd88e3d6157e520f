//! Framing of one log record: magic, length, seq, time, payload, chain hash, CRC.

use std::io::{self, Read};

use crate::error::Reason;

/// First bytes of every record.
pub(crate) const MAGIC: [u8; 4] = *b"ECR1";
/// Magic, payload length, seq, time.
pub(crate) const HEADER_LEN: usize = 4 + 4 + 8 + 8;
/// Chain hash and CRC after the payload.
pub(crate) const TRAILER_LEN: usize = 32 + 4;
/// Bytes a record takes besides its payload.
pub(crate) const OVERHEAD: usize = HEADER_LEN + TRAILER_LEN;

/// Bytes a record with `payload_len` bytes of payload takes on disk.
pub(crate) fn encoded_len(payload_len: usize) -> u64 {
    (OVERHEAD + payload_len) as u64
}

/// Appends the encoding of one record to `buf`. The caller has checked that
/// the payload fits the `u32` length field.
pub(crate) fn encode_into(buf: &mut Vec<u8>, seq: u64, time: i64, payload: &[u8], hash: &[u8; 32]) {
    let start = buf.len();
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    buf.reserve(OVERHEAD + payload.len());
    buf.extend_from_slice(&MAGIC);
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(&seq.to_le_bytes());
    buf.extend_from_slice(&time.to_le_bytes());
    buf.extend_from_slice(payload);
    buf.extend_from_slice(hash);
    let crc = crc32fast::hash(&buf[start..]);
    buf.extend_from_slice(&crc.to_le_bytes());
}

/// One record as decoded from disk; its CRC has been checked, its place in
/// the chain has not.
#[derive(Debug)]
pub(crate) struct RawRecord {
    pub seq: u64,
    pub time: i64,
    pub payload: Vec<u8>,
    pub hash: [u8; 32],
    /// Bytes the record takes on disk.
    pub encoded_len: u64,
}

/// Why a record could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The bytes are not a valid record.
    Damaged(Reason),
    /// The file could not be read.
    Io(io::Error),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        // The file shrank under us: the record is cut short.
        if e.kind() == io::ErrorKind::UnexpectedEof {
            ReadError::Damaged(Reason::Truncated)
        } else {
            ReadError::Io(e)
        }
    }
}

/// Reads one record from `r`, which has `remaining` bytes left in its file.
/// The length is checked against `max_payload` and `remaining` before any
/// payload buffer is allocated.
pub(crate) fn read_record<R: Read>(
    r: &mut R,
    remaining: u64,
    max_payload: usize,
) -> Result<RawRecord, ReadError> {
    if remaining < HEADER_LEN as u64 {
        return Err(ReadError::Damaged(Reason::Truncated));
    }
    let mut header = [0u8; HEADER_LEN];
    r.read_exact(&mut header)?;
    if header[..4] != MAGIC {
        return Err(ReadError::Damaged(Reason::BadMagic));
    }
    let len = u64::from(u32::from_le_bytes(array(&header[4..8])));
    if len > max_payload as u64 {
        return Err(ReadError::Damaged(Reason::TooLarge {
            len,
            max: max_payload as u64,
        }));
    }
    let total = OVERHEAD as u64 + len;
    if remaining < total {
        return Err(ReadError::Damaged(Reason::Truncated));
    }
    // Fits in usize: len <= max_payload.
    let body_len = len as usize;
    let mut body = vec![0u8; body_len + TRAILER_LEN];
    r.read_exact(&mut body)?;
    let mut crc = crc32fast::Hasher::new();
    crc.update(&header);
    crc.update(&body[..body_len + 32]);
    let stored_crc = u32::from_le_bytes(array(&body[body_len + 32..]));
    if crc.finalize() != stored_crc {
        return Err(ReadError::Damaged(Reason::CrcMismatch));
    }
    let hash = array(&body[body_len..body_len + 32]);
    body.truncate(body_len);
    Ok(RawRecord {
        seq: u64::from_le_bytes(array(&header[8..16])),
        time: i64::from_le_bytes(array(&header[16..24])),
        payload: body,
        hash,
        encoded_len: total,
    })
}

/// Whether a CRC-valid record of any length starts anywhere in `bytes`.
/// Used to tell a torn tail (nothing valid from the damage on) from damage
/// in the middle; the length limit is ignored so that a valid record that is
/// merely over today's `max_payload` is never mistaken for a torn write.
pub(crate) fn contains_valid_record(bytes: &[u8]) -> bool {
    (0..bytes.len()).any(|p| {
        let rest = &bytes[p..];
        rest.starts_with(&MAGIC)
            && read_record(&mut { rest }, rest.len() as u64, u32::MAX as usize).is_ok()
    })
}

/// Decodes `bytes` as a whole segment: the records up to the first damage,
/// and the offset and reason of that damage, if any.
#[cfg(test)]
pub(crate) fn decode_segment(
    bytes: &[u8],
    max_payload: usize,
) -> (Vec<RawRecord>, Option<(u64, Reason)>) {
    let mut records = Vec::new();
    let mut offset = 0usize;
    while offset < bytes.len() {
        let mut rest = &bytes[offset..];
        match read_record(&mut rest, (bytes.len() - offset) as u64, max_payload) {
            Ok(rec) => {
                offset += rec.encoded_len as usize;
                records.push(rec);
            }
            Err(ReadError::Damaged(reason)) => return (records, Some((offset as u64, reason))),
            Err(ReadError::Io(e)) => {
                let reason = Reason::Io {
                    kind: e.kind(),
                    message: e.to_string(),
                };
                return (records, Some((offset as u64, reason)));
            }
        }
    }
    (records, None)
}

/// Copies a slice of known length into an array; the callers' ranges are fixed.
pub(crate) fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    out
}
