//! Events: facts that happened. Only `decide` makes them; `State::apply`
//! folds them. Each carries its time and actor.

use crate::authz::Actor;
use crate::dispatch::{DispatchOrder, OrderStatus};
use crate::duty::{Call, Handover, ResponseDetail};
use crate::grade::{AccidentGrade, Casualties, ResponseLevel, WarningColour};
use crate::ids::*;
use crate::incident::{FiledReport, Incident};
use crate::rules::Rules;
use crate::sites::{DutyRoster, HazardSource, Shelter};
use crate::supply::{Depot, Reservation};
use crate::team::{Fix, Team};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A fact, stamped with when and by whom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When it was decided (the relay's clock, or the drill clock).
    pub at: Timestamp,
    /// Who caused it.
    pub actor: Actor,
    /// What happened.
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EventKind {
    /// A team joined the world.
    TeamRegistered(Box<Team>),
    /// A depot joined the world.
    DepotRegistered(Box<Depot>),
    /// A hazard source was registered.
    HazardRegistered(Box<HazardSource>),
    /// A shelter was registered.
    ShelterRegistered(Box<Shelter>),
    /// Rules replaced.
    RulesSet(Box<Rules>),
    /// Duty roster replaced.
    RosterSet(DutyRoster),
    /// A team's position.
    FixReported {
        /// Team.
        team: TeamId,
        /// Fix.
        fix: Fix,
    },
    /// Team taken out of service (`Some(reason)`) or returned (`None`).
    TeamServiceSet {
        /// Team.
        team: TeamId,
        /// Reason when out of service.
        out_of_service: Option<String>,
    },
    /// A team asked for support, or its request was met (`None`).
    SupportRequested {
        /// Team.
        team: TeamId,
        /// What it needs.
        what: Option<String>,
    },
    /// An incident was recorded (grade already computed).
    IncidentOpened(Box<Incident>),
    /// Casualty or loss figures changed.
    CasualtiesUpdated {
        /// Incident.
        incident: IncidentId,
        /// New figures.
        casualties: Casualties,
        /// New loss, yuan.
        direct_loss_yuan: u64,
    },
    /// The grade changed because figures changed.
    GradeChanged {
        /// Incident.
        incident: IncidentId,
        /// Old grade.
        from: AccidentGrade,
        /// New grade.
        to: AccidentGrade,
    },
    /// Response level started, changed or lifted.
    ResponseLevelSet {
        /// Incident.
        incident: IncidentId,
        /// New level.
        level: Option<ResponseLevel>,
        /// Matters, duration, measures.
        detail: ResponseDetail,
    },
    /// Warning colour recorded or lifted.
    WarningSet {
        /// Incident.
        incident: IncidentId,
        /// New colour.
        colour: Option<WarningColour>,
    },
    /// A report went upward.
    ReportFiled {
        /// Incident.
        incident: IncidentId,
        /// The report.
        report: FiledReport,
    },
    /// Incident closed.
    IncidentClosed {
        /// Incident.
        incident: IncidentId,
        /// Summary.
        summary: String,
    },
    /// An order was issued.
    OrderIssued(Box<DispatchOrder>),
    /// An order moved one step.
    OrderAdvanced {
        /// Order.
        order: OrderId,
        /// Status before.
        from: OrderStatus,
        /// Status after.
        to: OrderStatus,
        /// Reason given, if any.
        reason: Option<String>,
    },
    /// An order timed out and was escalated to the leader on duty.
    OrderEscalated {
        /// Order.
        order: OrderId,
        /// Leader on duty at the time, if the roster names one.
        to: Option<UserId>,
    },
    /// A broadcast or roll call went out.
    CallStarted(Box<Call>),
    /// A team answered a call.
    CallAnswered {
        /// Call.
        call: CallId,
        /// Team.
        team: TeamId,
    },
    /// A call was closed.
    CallClosed {
        /// Call.
        call: CallId,
    },
    /// A shift was handed over.
    HandoverGiven(Box<Handover>),
    /// The incoming officer acknowledged the handover.
    HandoverAccepted {
        /// Handover.
        handover: HandoverId,
    },
    /// Supplies reserved.
    SuppliesReserved(Reservation),
    /// Supplies left the depot.
    SuppliesDispatched {
        /// Reservation.
        reservation: ReservationId,
    },
    /// Supplies arrived.
    SuppliesDelivered {
        /// Reservation.
        reservation: ReservationId,
    },
    /// Reservation closed; returned quantities are back in stock.
    SuppliesSettled {
        /// Reservation.
        reservation: ReservationId,
        /// Returned per item.
        returned: BTreeMap<ItemId, u64>,
    },
    /// Reservation released before dispatch.
    ReservationCancelled {
        /// Reservation.
        reservation: ReservationId,
        /// Why.
        reason: String,
    },
    /// Stock arrived at a depot.
    StockReplenished {
        /// Depot.
        depot: DepotId,
        /// Item.
        item: ItemId,
        /// Display name.
        name: String,
        /// Unit.
        unit: String,
        /// Quantity added.
        quantity: u64,
        /// Expiry of the new stock.
        expiry: Option<Timestamp>,
    },
    /// A drill clock change or scenario message (drill realms only).
    Drill(crate::drill::DrillEvent),
    /// Field radio alarms (see `field`).
    Field(crate::field::FieldEvent),
}
