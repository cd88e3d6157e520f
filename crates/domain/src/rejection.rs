//! Why a command was refused. Every refusal is typed and says what to fix.

use crate::authz::Role;
use crate::dispatch::OrderStatus;
use crate::ids::*;
use crate::supply::{ReservationStatus, Shortage};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A command that `decide` refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum Rejection {
    /// The actor's role may not issue this command here.
    #[error("role {role:?} may not {command}")]
    Forbidden {
        /// Role of the actor.
        role: Role,
        /// Name of the command.
        command: String,
    },
    /// An identifier that must be new is already used.
    #[error("{kind} {id} already exists")]
    Duplicate {
        /// Kind of entity.
        kind: String,
        /// The identifier.
        id: String,
    },
    /// An identifier names nothing known.
    #[error("unknown {kind} {id}")]
    Unknown {
        /// Kind of entity.
        kind: String,
        /// The identifier.
        id: String,
    },
    /// A field has a value that cannot be right.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Field name.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The order cannot make this step from where it stands.
    #[error("order {order} cannot go from {from:?} to {to:?}")]
    IllegalTransition {
        /// Order.
        order: OrderId,
        /// Current status.
        from: OrderStatus,
        /// Requested status.
        to: OrderStatus,
    },
    /// The team is busy or out of service.
    #[error("team {team} is not available ({status})")]
    TeamUnavailable {
        /// Team.
        team: TeamId,
        /// Its status in words.
        status: String,
    },
    /// The incident is closed.
    #[error("incident {0} is closed")]
    IncidentClosed(IncidentId),
    /// The depot cannot cover the request.
    #[error("depot {depot} is short of {}", describe(.shortages))]
    InsufficientStock {
        /// Depot.
        depot: DepotId,
        /// What is short.
        shortages: Vec<Shortage>,
    },
    /// The reservation is not in a state that allows this.
    #[error("reservation {reservation} is {status:?}")]
    ReservationState {
        /// Reservation.
        reservation: ReservationId,
        /// Its status.
        status: ReservationStatus,
    },
}

fn describe(shortages: &[Shortage]) -> String {
    shortages
        .iter()
        .map(|s| format!("{} (asked {}, free {})", s.item, s.requested, s.available))
        .collect::<Vec<_>>()
        .join(", ")
}
