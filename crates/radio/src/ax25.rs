//! AX.25 v2.2 UI frames as APRS uses them (APRS101 ch. 2): destination,
//! source, up to 8 digipeaters, control 0x03, PID 0xF0, information field.
//! Addresses are 6 shifted ASCII characters plus an SSID byte.

use crate::error::RadioError;
use std::fmt;

/// Most digipeaters AX.25 allows.
pub const MAX_DIGIPEATERS: usize = 8;
/// Longest information field (AX.25 N1 default).
pub const MAX_INFO: usize = 256;

/// A station address: callsign and SSID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    /// Callsign, 1–6 uppercase letters and digits.
    pub call: String,
    /// Secondary station id, 0–15.
    pub ssid: u8,
    /// Digipeater "has been repeated" bit (H); command/response bit otherwise.
    pub repeated: bool,
}

impl Address {
    /// Parses `CALL` or `CALL-SSID`.
    pub fn parse(s: &str) -> Result<Address, RadioError> {
        let (call, repeated) = match s.strip_suffix('*') {
            Some(c) => (c, true),
            None => (s, false),
        };
        let (call, ssid) = match call.split_once('-') {
            Some((c, n)) => (
                c,
                n.parse::<u8>().map_err(|_| RadioError::Malformed("ssid"))?,
            ),
            None => (call, 0),
        };
        if call.is_empty()
            || call.len() > 6
            || ssid > 15
            || !call
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(RadioError::Malformed("callsign"));
        }
        Ok(Address {
            call: call.to_owned(),
            ssid,
            repeated,
        })
    }

    fn decode(b: &[u8]) -> Result<Address, RadioError> {
        let mut call = String::with_capacity(6);
        for &c in &b[..6] {
            if c & 1 != 0 {
                return Err(RadioError::Malformed("address"));
            }
            let ch = c >> 1;
            if ch == b' ' {
                continue;
            }
            if !(ch.is_ascii_uppercase() || ch.is_ascii_digit()) {
                return Err(RadioError::Malformed("callsign"));
            }
            call.push(char::from(ch));
        }
        if call.is_empty() {
            return Err(RadioError::Malformed("callsign"));
        }
        Ok(Address {
            call,
            ssid: (b[6] >> 1) & 0x0F,
            repeated: b[6] & 0x80 != 0,
        })
    }

    fn encode(&self, last: bool, out: &mut Vec<u8>) {
        let mut call = self.call.bytes().chain(std::iter::repeat(b' ')).take(6);
        for _ in 0..6 {
            out.push(call.next().unwrap_or(b' ') << 1);
        }
        out.push(0x60 | (self.ssid & 0x0F) << 1 | u8::from(self.repeated) << 7 | u8::from(last));
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.call)?;
        if self.ssid != 0 {
            write!(f, "-{}", self.ssid)?;
        }
        Ok(())
    }
}

/// An AX.25 UI frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiFrame {
    /// Destination (for APRS: the tocall, or Mic-E encoded latitude).
    pub destination: Address,
    /// Source station.
    pub source: Address,
    /// Digipeater path.
    pub digipeaters: Vec<Address>,
    /// Information field.
    pub info: Vec<u8>,
}

impl UiFrame {
    /// Decodes a frame without FCS (as KISS delivers it).
    pub fn decode(b: &[u8]) -> Result<UiFrame, RadioError> {
        if b.len() > 2 + 7 * (2 + MAX_DIGIPEATERS) + MAX_INFO {
            return Err(RadioError::TooLong {
                len: b.len(),
                limit: 2 + 7 * (2 + MAX_DIGIPEATERS) + MAX_INFO,
            });
        }
        let mut addrs = Vec::new();
        let mut i = 0;
        loop {
            let chunk = b
                .get(i..i + 7)
                .ok_or(RadioError::Truncated("ax25 address"))?;
            addrs.push(Address::decode(chunk)?);
            i += 7;
            if chunk[6] & 1 == 1 {
                break;
            }
            if addrs.len() == 2 + MAX_DIGIPEATERS {
                return Err(RadioError::Malformed("too many digipeaters"));
            }
        }
        if addrs.len() < 2 {
            return Err(RadioError::Truncated("ax25 address"));
        }
        let control = *b.get(i).ok_or(RadioError::Truncated("ax25 control"))?;
        // UI frame; the P/F bit (0x10) may be set.
        if control & !0x10 != 0x03 {
            return Err(RadioError::Unsupported(format!(
                "ax25 control {control:#04x}"
            )));
        }
        let pid = *b.get(i + 1).ok_or(RadioError::Truncated("ax25 pid"))?;
        if pid != 0xF0 {
            return Err(RadioError::Unsupported(format!("ax25 pid {pid:#04x}")));
        }
        let mut addrs = addrs.into_iter();
        let (Some(mut destination), Some(mut source)) = (addrs.next(), addrs.next()) else {
            return Err(RadioError::Truncated("ax25 address"));
        };
        // On destination and source that bit is command/response, not "repeated".
        destination.repeated = false;
        source.repeated = false;
        Ok(UiFrame {
            destination,
            source,
            digipeaters: addrs.collect(),
            info: b[i + 2..].to_vec(),
        })
    }

    /// Encodes the frame (without FCS, for KISS).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + 7 * self.digipeaters.len() + self.info.len());
        let mut dest = self.destination.clone();
        // Command frame: C bit set on destination, clear on source.
        dest.repeated = true;
        dest.encode(false, &mut out);
        let mut src = self.source.clone();
        src.repeated = false;
        src.encode(self.digipeaters.is_empty(), &mut out);
        for (n, d) in self.digipeaters.iter().enumerate() {
            d.encode(n + 1 == self.digipeaters.len(), &mut out);
        }
        out.extend([0x03, 0xF0]);
        out.extend(&self.info);
        out
    }
}

impl fmt::Display for UiFrame {
    /// TNC2 monitor format: `SRC>DEST,DIGI*:info`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}>{}", self.source, self.destination)?;
        for d in &self.digipeaters {
            write!(f, ",{d}{}", if d.repeated { "*" } else { "" })?;
        }
        write!(f, ":{}", String::from_utf8_lossy(&self.info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_a_frame_from_a_tnc() {
        // BG2ABC-9>APDW17,WIDE1-1*:!4352.81N/12519.20E>  as Dire Wolf sends it.
        let frame = UiFrame {
            destination: Address::parse("APDW17").expect("ok"),
            source: Address::parse("BG2ABC-9").expect("ok"),
            digipeaters: vec![Address::parse("WIDE1-1*").expect("ok")],
            info: b"!4352.81N/12519.20E>".to_vec(),
        };
        let bytes = frame.encode();
        assert_eq!(
            &bytes[..7],
            &[
                b'A' << 1,
                b'P' << 1,
                b'D' << 1,
                b'W' << 1,
                b'1' << 1,
                b'7' << 1,
                0xE0
            ]
        );
        let back = UiFrame::decode(&bytes).expect("decodes");
        assert_eq!(back, frame);
        assert_eq!(
            back.to_string(),
            "BG2ABC-9>APDW17,WIDE1-1*:!4352.81N/12519.20E>"
        );
    }

    #[test]
    fn truncated_and_non_ui_frames_are_typed() {
        assert_eq!(
            UiFrame::decode(&[0x82; 5]),
            Err(RadioError::Truncated("ax25 address"))
        );
        let mut b = UiFrame {
            destination: Address::parse("APRS").expect("ok"),
            source: Address::parse("N0CALL").expect("ok"),
            digipeaters: vec![],
            info: vec![],
        }
        .encode();
        b[14] = 0x3F; // SABM
        assert!(matches!(
            UiFrame::decode(&b),
            Err(RadioError::Unsupported(_))
        ));
    }

    fn address() -> impl Strategy<Value = Address> {
        ("[A-Z0-9]{1,6}", 0u8..16).prop_map(|(call, ssid)| Address {
            call,
            ssid,
            repeated: false,
        })
    }

    proptest! {
        #[test]
        fn encode_then_decode_round_trips(
            destination in address(), source in address(),
            digipeaters in proptest::collection::vec((address(), any::<bool>()), 0..=8),
            info in proptest::collection::vec(any::<u8>(), 0..=256)
        ) {
            let frame = UiFrame {
                destination, source,
                digipeaters: digipeaters.into_iter().map(|(mut a, r)| { a.repeated = r; a }).collect(),
                info,
            };
            prop_assert_eq!(UiFrame::decode(&frame.encode()), Ok(frame));
        }

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = UiFrame::decode(&bytes);
        }
    }
}
