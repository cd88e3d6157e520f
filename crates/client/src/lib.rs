//! Client of the relay, used by the console, the radio bridge, tools and
//! tests: connect over QUIC, pin the relay's certificate, authenticate,
//! subscribe from a seq, send commands and await their results, and fold
//! what arrives into a [`Mirror`] that notices gaps.

mod follower;
mod mirror;
mod pin;
mod session;

pub use follower::{FollowEvent, Follower};
pub use mirror::{Mirror, MirrorUpdate};
pub use pin::{Trust, fingerprint};
pub use session::{ClientConfig, ClientError, Session, raw_connection};
