//! The field-radio bridge: inputs turn bytes into [`radio::FieldRecord`]s,
//! [`thinning`] drops redundant fixes, [`uplink`] sends the rest to the
//! relay as field observations and turns the realm's orders and positions
//! into APRS messages and CoT markers.

pub mod cli;
pub mod config;
pub mod input;
pub mod metrics;
pub mod outbound;
pub mod sim;
pub mod thinning;
pub mod uplink;

pub use config::Config;
