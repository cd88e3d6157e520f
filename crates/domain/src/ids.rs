//! Identifiers. They are assigned by whoever issues a command (the relay,
//! a scenario, an import), never generated here, so replay is exact.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// Wraps any string-like value.
            pub fn new(s: impl Into<String>) -> Self {
                Self(s.into())
            }
            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
    )*};
}

id_type!(
    /// A rescue team.
    TeamId,
    /// A supply depot.
    DepotId,
    /// A catalogue item (e.g. "sandbag", "foam-concentrate").
    ItemId,
    /// An incident.
    IncidentId,
    /// A dispatch order.
    OrderId,
    /// A supply reservation.
    ReservationId,
    /// A major hazard source.
    HazardId,
    /// An emergency shelter.
    ShelterId,
    /// A broadcast or roll call (一呼百应 / 拉动).
    CallId,
    /// A shift handover (交接班).
    HandoverId,
    /// A user account.
    UserId,
    /// A console, radio or gateway that a command came from.
    DeviceId,
    /// A jurisdiction (county/district code or name).
    JurisdictionId,
);
