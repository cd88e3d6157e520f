//! Field radio formats, pure and without I/O.
//!
//! Every parser takes bytes with an explicit size limit, returns a typed
//! [`RadioError`] and never panics; every format becomes one
//! [`FieldRecord`]. Framers (`nmea::LineFramer`, `kiss::KissDecoder`,
//! `cot::EventSplitter`) cut byte streams into messages with bounded buffers.

pub mod aprs;
pub mod ax25;
pub mod cot;
pub mod error;
pub mod gpsd;
pub mod kiss;
pub mod nmea;
pub mod record;
pub mod time;

pub use error::RadioError;
pub use record::{FieldRecord, SourceKind};
