//! The relay: the single writer of shared state.
//!
//! ```text
//! command -> authorize(role) -> domain::decide -> ledger (group commit, fsync)
//!         -> state.apply -> broadcast (seq) -> result to the issuer
//! ```
//! `server` accepts QUIC connections, `session` speaks the protocol with one
//! client, `realm` owns one realm's state and log on its own thread.

pub mod cli;
pub mod config;
pub mod drill;
pub mod export;
pub mod identity;
pub mod metrics;
pub mod realm;
pub mod server;
pub mod session;
pub mod users;

pub use config::Config;
pub use server::{Server, ServerHandle};
