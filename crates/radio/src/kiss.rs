//! KISS TNC framing (K9NG/KA9Q, "The KISS TNC", ARRL CNC 1987): frames
//! delimited by FEND, with FEND/FESC in the data escaped as FESC TFEND /
//! FESC TFESC. The first byte is port (high nibble) and command (low nibble);
//! command 0 carries an AX.25 frame.

use crate::error::RadioError;

/// Frame delimiter.
pub const FEND: u8 = 0xC0;
/// Escape.
pub const FESC: u8 = 0xDB;
/// Escaped FEND.
pub const TFEND: u8 = 0xDC;
/// Escaped FESC.
pub const TFESC: u8 = 0xDD;

/// Largest de-escaped frame accepted: an AX.25 UI frame is at most
/// 2 + 70 (addresses) + 256 (info) bytes; some TNCs allow more.
pub const MAX_FRAME: usize = 1024;

/// A de-framed KISS data frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KissFrame {
    /// TNC port (0–15).
    pub port: u8,
    /// Payload (an AX.25 frame).
    pub data: Vec<u8>,
}

/// Streaming KISS de-framer with a bounded buffer.
#[derive(Debug, Default)]
pub struct KissDecoder {
    buf: Vec<u8>,
    escaped: bool,
    overlong: bool,
    bad_escape: bool,
}

impl KissDecoder {
    /// A decoder with an empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; returns the data frames and errors they complete.
    /// Non-data commands (TXDELAY, …) and empty frames are skipped silently.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Result<KissFrame, RadioError>> {
        let mut out = Vec::new();
        for &b in bytes {
            if b == FEND {
                if let Some(r) = self.finish() {
                    out.push(r);
                }
                continue;
            }
            if self.overlong {
                continue;
            }
            let byte = if self.escaped {
                self.escaped = false;
                match b {
                    TFEND => FEND,
                    TFESC => FESC,
                    _ => {
                        self.bad_escape = true;
                        b
                    }
                }
            } else if b == FESC {
                self.escaped = true;
                continue;
            } else {
                b
            };
            if self.buf.len() > MAX_FRAME {
                self.overlong = true;
                self.buf.clear();
                continue;
            }
            self.buf.push(byte);
        }
        out
    }

    fn finish(&mut self) -> Option<Result<KissFrame, RadioError>> {
        let buf = std::mem::take(&mut self.buf);
        let overlong = std::mem::replace(&mut self.overlong, false);
        let bad_escape = std::mem::replace(&mut self.bad_escape, false);
        let escaped = std::mem::replace(&mut self.escaped, false);
        if overlong {
            return Some(Err(RadioError::TooLong {
                len: MAX_FRAME + 1,
                limit: MAX_FRAME,
            }));
        }
        let (&first, data) = buf.split_first()?;
        if bad_escape || escaped {
            return Some(Err(RadioError::Malformed("kiss escape")));
        }
        if first & 0x0F != 0 {
            return None;
        }
        if data.is_empty() {
            return Some(Err(RadioError::Truncated("kiss frame")));
        }
        Some(Ok(KissFrame {
            port: first >> 4,
            data: data.to_vec(),
        }))
    }
}

/// Frames `data` as a KISS data frame for `port`.
pub fn encode(port: u8, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 4);
    out.push(FEND);
    // Ports 12 and 13 make a type byte equal to FEND/FESC: escape it too.
    for &b in std::iter::once(&((port & 0x0F) << 4)).chain(data) {
        match b {
            FEND => out.extend([FESC, TFEND]),
            FESC => out.extend([FESC, TFESC]),
            b => out.push(b),
        }
    }
    out.push(FEND);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_are_undone_and_commands_skipped() {
        let mut d = KissDecoder::new();
        // A TXDELAY command, then a data frame containing FEND and FESC.
        let out = d.push(&[
            FEND, 0x01, 50, FEND, 0x00, 1, FESC, TFEND, FESC, TFESC, 2, FEND,
        ]);
        assert_eq!(
            out,
            vec![Ok(KissFrame {
                port: 0,
                data: vec![1, FEND, FESC, 2]
            })]
        );
    }

    #[test]
    fn overlong_frames_are_rejected_and_the_next_one_survives() {
        let mut d = KissDecoder::new();
        let mut bytes = vec![FEND, 0];
        bytes.extend(std::iter::repeat_n(7u8, MAX_FRAME * 3));
        bytes.extend(encode(0, b"ok"));
        let out = d.push(&bytes);
        assert!(matches!(out[0], Err(RadioError::TooLong { .. })));
        assert_eq!(
            out[1],
            Ok(KissFrame {
                port: 0,
                data: b"ok".to_vec()
            })
        );
        assert_eq!(out.len(), 2);
    }

    proptest! {
        #[test]
        fn encode_then_decode_round_trips(data in proptest::collection::vec(any::<u8>(), 1..MAX_FRAME), port in 0u8..16) {
            let mut d = KissDecoder::new();
            let out = d.push(&encode(port, &data));
            prop_assert_eq!(out, vec![Ok(KissFrame { port, data })]);
        }

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4000)) {
            let mut d = KissDecoder::new();
            for f in d.push(&bytes).into_iter().flatten() {
                prop_assert!(f.data.len() <= MAX_FRAME);
            }
        }
    }
}
