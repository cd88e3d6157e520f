//! Why an input was rejected.

use thiserror::Error;

/// A rejected input. [`RadioError::reason`] names the kind for counters.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RadioError {
    /// Input longer than the format's limit.
    #[error("input too long: {len} bytes, limit {limit}")]
    TooLong {
        /// Bytes seen.
        len: usize,
        /// Limit.
        limit: usize,
    },
    /// NMEA checksum missing where required.
    #[error("checksum missing")]
    MissingChecksum,
    /// NMEA checksum does not match.
    #[error("checksum mismatch: sent {sent:02X}, computed {computed:02X}")]
    BadChecksum {
        /// Checksum in the sentence.
        sent: u8,
        /// Checksum of the content.
        computed: u8,
    },
    /// A well-formed message of a kind this crate does not read.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A field is missing or does not parse.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// The receiver says it has no position fix.
    #[error("no fix")]
    NoFix,
    /// Truncated frame or packet.
    #[error("truncated {0}")]
    Truncated(&'static str),
    /// XML that is not well-formed, or uses DTDs/entities.
    #[error("bad xml: {0}")]
    Xml(String),
    /// XML nested deeper than allowed.
    #[error("xml nested deeper than {0}")]
    TooDeep(usize),
    /// Text is not UTF-8 (or ASCII where the format demands it).
    #[error("bad text encoding")]
    Encoding,
}

impl RadioError {
    /// Short stable name for metrics labels.
    pub fn reason(&self) -> &'static str {
        match self {
            RadioError::TooLong { .. } => "too_long",
            RadioError::MissingChecksum => "missing_checksum",
            RadioError::BadChecksum { .. } => "bad_checksum",
            RadioError::Unsupported(_) => "unsupported",
            RadioError::Malformed(_) => "malformed",
            RadioError::NoFix => "no_fix",
            RadioError::Truncated(_) => "truncated",
            RadioError::Xml(_) => "bad_xml",
            RadioError::TooDeep(_) => "too_deep",
            RadioError::Encoding => "encoding",
        }
    }
}

/// Fails with [`RadioError::TooLong`] when `len > limit`.
pub(crate) fn check_len(len: usize, limit: usize) -> Result<(), RadioError> {
    if len > limit {
        Err(RadioError::TooLong { len, limit })
    } else {
        Ok(())
    }
}
