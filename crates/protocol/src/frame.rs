//! Length-prefixed framing: a 4-byte big-endian payload length, then the
//! postcard encoding of one message. Decoders enforce a size limit before
//! reading a payload and never panic on any input.

use serde::{Serialize, de::DeserializeOwned};
use thiserror::Error;

/// Bytes in the length prefix.
pub const HEADER_LEN: usize = 4;

/// Size limits for frames, by direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest payload accepted, in bytes.
    pub max_payload: usize,
}

impl Limits {
    /// What the relay accepts from a client: commands and observations are small.
    pub const FROM_CLIENT: Limits = Limits {
        max_payload: 1 << 20,
    };
    /// What a client accepts from the relay: snapshots of a city can be large.
    pub const FROM_RELAY: Limits = Limits {
        max_payload: 64 << 20,
    };
}

/// Why bytes could not be turned into a message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The length prefix announces more than the limit allows.
    #[error("frame of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Announced length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// The input ended inside a frame.
    #[error("frame truncated: need {needed} more bytes")]
    Truncated {
        /// Bytes missing.
        needed: usize,
    },
    /// The payload is not a valid message.
    #[error("malformed payload: {0}")]
    Malformed(String),
    /// Bytes follow the message inside its frame.
    #[error("{0} trailing bytes after the message")]
    TrailingBytes(usize),
}

/// Why a message could not be framed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// The encoded message exceeds the limit.
    #[error("message of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Encoded length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// Serialization failed.
    #[error("cannot encode: {0}")]
    Serialize(String),
}

/// Encodes one message as a frame (prefix + payload).
pub fn encode<T: Serialize>(msg: &T, limits: Limits) -> Result<Vec<u8>, EncodeError> {
    let mut out = vec![0u8; HEADER_LEN];
    let mut out = postcard::to_extend(msg, std::mem::take(&mut out))
        .map_err(|e| EncodeError::Serialize(e.to_string()))?;
    let len = out.len() - HEADER_LEN;
    if len > limits.max_payload {
        return Err(EncodeError::TooLarge {
            len,
            max: limits.max_payload,
        });
    }
    let prefix = u32::try_from(len).map_err(|_| EncodeError::TooLarge {
        len,
        max: limits.max_payload,
    })?;
    out[..HEADER_LEN].copy_from_slice(&prefix.to_be_bytes());
    Ok(out)
}

/// Decodes exactly one frame from `bytes`; returns the message and the bytes consumed.
pub fn decode<T: DeserializeOwned>(
    bytes: &[u8],
    limits: Limits,
) -> Result<(T, usize), DecodeError> {
    let len = payload_len(bytes, limits)?.ok_or_else(|| DecodeError::Truncated {
        needed: HEADER_LEN.saturating_sub(bytes.len()),
    })?;
    let end = HEADER_LEN + len;
    if bytes.len() < end {
        return Err(DecodeError::Truncated {
            needed: end - bytes.len(),
        });
    }
    Ok((decode_payload(&bytes[HEADER_LEN..end])?, end))
}

/// Decodes one payload (without prefix). Trailing bytes are an error.
pub fn decode_payload<T: DeserializeOwned>(payload: &[u8]) -> Result<T, DecodeError> {
    let (msg, rest) =
        postcard::take_from_bytes(payload).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(DecodeError::TrailingBytes(rest.len()));
    }
    Ok(msg)
}

/// The announced payload length, checked against the limit; `None` if the
/// prefix is incomplete.
pub fn payload_len(bytes: &[u8], limits: Limits) -> Result<Option<usize>, DecodeError> {
    let Some(prefix) = bytes.get(..HEADER_LEN) else {
        return Ok(None);
    };
    let mut b = [0u8; HEADER_LEN];
    b.copy_from_slice(prefix);
    let len = u32::from_be_bytes(b) as usize;
    if len > limits.max_payload {
        return Err(DecodeError::TooLarge {
            len,
            max: limits.max_payload,
        });
    }
    Ok(Some(len))
}

/// Incremental decoder for a byte stream: feed bytes as they arrive, take
/// complete messages out. After an error the stream is unusable (framing
/// is lost) and the connection should be closed.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    limits: Limits,
}

impl FrameDecoder {
    /// A decoder that enforces `limits`.
    pub fn new(limits: Limits) -> Self {
        Self {
            buf: Vec::new(),
            limits,
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes buffered and not yet decoded.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next complete message, `Ok(None)` if more bytes are needed.
    pub fn next_message<T: DeserializeOwned>(&mut self) -> Result<Option<T>, DecodeError> {
        let Some(len) = payload_len(&self.buf, self.limits)? else {
            return Ok(None);
        };
        let end = HEADER_LEN + len;
        if self.buf.len() < end {
            return Ok(None);
        }
        let msg = decode_payload(&self.buf[HEADER_LEN..end]);
        self.buf.drain(..end);
        msg.map(Some)
    }
}
