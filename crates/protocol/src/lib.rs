//! Wire protocol between the relay and its clients (consoles, the radio
//! bridge, the drill engine, tools).
//!
//! Transport: QUIC with ALPN [`ALPN`]; one long-lived bidirectional control
//! stream per connection carries length-prefixed [`frame`]s, each holding one
//! postcard-encoded [`ClientMessage`] or [`ServerMessage`]. See
//! `docs/protocol.md` for the full description.

pub mod frame;
pub mod message;

pub use frame::{DecodeError, FrameDecoder, Limits, decode, encode};
pub use message::*;

/// Version of the message set; bumped on any incompatible change.
pub const PROTOCOL_VERSION: u16 = 1;

/// QUIC ALPN identifier; carries the protocol version.
pub const ALPN: &[u8] = b"ecc/1";

/// SHA-256 fingerprint of the relay's DER certificate, as the relay prints
/// it and clients pin it: colon-separated upper-case hex ("AB:CD:…").
pub fn fingerprint(cert_der: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(cert_der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests;
