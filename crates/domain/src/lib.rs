//! Pure decision core of the command console.
//!
//! Everything here is deterministic: no I/O, no wall clock, no randomness.
//! Time and identifiers come in as arguments, so the relay, every console,
//! replay and tests fold the same events into the same state.
//!
//! The shape: a [`Command`] is checked by [`decide`] against the current
//! [`State`] and the actor's [`Role`]; it yields [`Event`]s or a typed
//! [`Rejection`]. [`State::apply`] folds events into state.

pub mod authz;
pub mod command;
pub mod deadline;
pub mod decide;
pub mod decision;
pub mod dispatch;
pub mod drill;
pub mod duty;
pub mod event;
pub mod field;
pub mod geo;
pub mod grade;
pub mod ids;
pub mod incident;
pub mod metrics;
pub mod narrative;
pub mod recommend;
pub mod rejection;
pub mod rules;
pub mod sites;
pub mod state;
pub mod supply;
pub mod team;
pub mod time;

pub use authz::{Actor, Role};
pub use command::Command;
pub use deadline::{Obligation, ObligationStatus, ReportKind, reporting_obligations};
pub use decide::{Context, RealmKind, decide};
pub use decision::Decision;
pub use dispatch::{DispatchOrder, OrderStatus, OrderStep};
pub use drill::{ClockAction, ClockChange, DrillCommand, DrillEvent, DrillMessage, MessageKind};
pub use duty::{Call, CallKind, Handover, HandoverSummary, ResponseDetail, handover_summary};
pub use event::{Event, EventKind};
pub use field::{FieldCommand, FieldEvent};
pub use geo::GeoPoint;
pub use grade::{AccidentGrade, Casualties, GradeThresholds, ResponseLevel, WarningColour};
pub use ids::*;
pub use incident::{Incident, IncidentStatus, IntakeSource, Sector};
pub use recommend::{Candidate, Reason, recommend};
pub use rejection::Rejection;
pub use rules::{Jurisdiction, Rules, jurisdiction_at};
pub use sites::{DutyRoster, HazardSource, RiskColour, Shelter, Shift};
pub use state::State;
pub use supply::{
    Depot, DepotProposal, Reservation, ReservationStatus, Shortage, StockLine, propose_depots,
};
pub use team::{Capability, Fix, FixSource, SupportRequest, Team, TeamKind, TeamStatus};
pub use time::{Millis, Timestamp};

#[cfg(test)]
mod tests;
