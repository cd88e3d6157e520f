//! Commands: what someone asks the relay to do. `decide` turns each into
//! events or a rejection.

use crate::deadline::{AdminLevel, ReportChannel, ReportKind};
use crate::dispatch::OrderStep;
use crate::duty::{CallKind, ResponseDetail};
use crate::geo::GeoPoint;
use crate::grade::{Casualties, ResponseLevel, WarningColour};
use crate::ids::*;
use crate::incident::{IntakeSource, Sector};
use crate::recommend::Candidate;
use crate::rules::Rules;
use crate::sites::{DutyRoster, HazardSource, Shelter};
use crate::supply::Depot;
use crate::team::{Fix, Team};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the intake form (接报) records about a new incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentIntake {
    /// New incident id.
    pub id: IncidentId,
    /// Short title.
    pub title: String,
    /// Sector.
    pub sector: Sector,
    /// Where.
    pub position: GeoPoint,
    /// Address as given, verbatim.
    pub address: String,
    /// Jurisdiction.
    pub jurisdiction: JurisdictionId,
    /// Enterprise, if any.
    pub enterprise: Option<String>,
    /// How it came in.
    pub source: IntakeSource,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// When the duty room received it.
    pub reported_at: Timestamp,
    /// Caller and call-back number.
    pub caller: String,
    /// People harmed, as first reported.
    pub casualties: Casualties,
    /// Estimated direct loss, yuan.
    pub direct_loss_yuan: u64,
    /// Response level the officer suggests (the commander decides).
    pub suggested_response_level: Option<ResponseLevel>,
}

/// A request to change shared state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Add a rescue team to the world.
    RegisterTeam(Box<Team>),
    /// Add a depot with its stock.
    RegisterDepot(Box<Depot>),
    /// Add a hazard source.
    RegisterHazard(Box<HazardSource>),
    /// Add a shelter.
    RegisterShelter(Box<Shelter>),
    /// Replace the rules (grades, deadlines, speeds, timeouts).
    SetRules(Box<Rules>),
    /// Replace the duty roster.
    SetRoster(DutyRoster),
    /// A position fix for a team.
    ReportFix {
        /// Team.
        team: TeamId,
        /// Fix.
        fix: Fix,
    },
    /// Take a team out of service (with reason) or put it back.
    SetTeamService {
        /// Team.
        team: TeamId,
        /// `Some(reason)` takes it out of service; `None` returns it.
        out_of_service: Option<String>,
    },
    /// A team asks for support (`Some(what)`), or its request is met (`None`).
    RequestSupport {
        /// Team.
        team: TeamId,
        /// What it needs; `None` closes the request.
        what: Option<String>,
    },
    /// Record a new incident.
    OpenIncident(Box<IncidentIntake>),
    /// New casualty or loss figures; the grade is re-evaluated.
    UpdateCasualties {
        /// Incident.
        incident: IncidentId,
        /// New figures (totals, not deltas).
        casualties: Casualties,
        /// New loss estimate, yuan.
        direct_loss_yuan: u64,
    },
    /// Start, change or lift (`None`) the response level.
    SetResponseLevel {
        /// Incident.
        incident: IncidentId,
        /// Level.
        level: Option<ResponseLevel>,
        /// Matters, expected duration and measures (empty when lifting).
        detail: ResponseDetail,
    },
    /// Record or lift (`None`) a warning colour.
    SetWarning {
        /// Incident.
        incident: IncidentId,
        /// Colour.
        colour: Option<WarningColour>,
    },
    /// Record that a report went upward.
    FileReport {
        /// Incident.
        incident: IncidentId,
        /// Which report.
        kind: ReportKind,
        /// Phone or written.
        channel: ReportChannel,
        /// Level it went to.
        to_level: AdminLevel,
        /// Summary as sent.
        summary: String,
    },
    /// Close an incident.
    CloseIncident {
        /// Incident.
        incident: IncidentId,
        /// Closing summary.
        summary: String,
    },
    /// Send a team to an incident.
    IssueOrder {
        /// New order id.
        order: OrderId,
        /// Incident.
        incident: IncidentId,
        /// Team.
        team: TeamId,
        /// Instructions.
        note: String,
        /// The candidate list that was on screen.
        recommendation_shown: Vec<Candidate>,
    },
    /// Move an order one step along its lifecycle.
    AdvanceOrder {
        /// Order.
        order: OrderId,
        /// Step.
        step: OrderStep,
    },
    /// Set supplies aside at a depot for an incident.
    ReserveSupplies {
        /// New reservation id.
        reservation: ReservationId,
        /// Incident.
        incident: IncidentId,
        /// Depot.
        depot: DepotId,
        /// Items and quantities.
        lines: BTreeMap<ItemId, u64>,
    },
    /// Reserved supplies leave the depot.
    DispatchSupplies {
        /// Reservation.
        reservation: ReservationId,
    },
    /// Supplies arrived at the incident.
    DeliverSupplies {
        /// Reservation.
        reservation: ReservationId,
    },
    /// Close a delivered reservation: what came back returns to stock, the rest is consumed.
    SettleSupplies {
        /// Reservation.
        reservation: ReservationId,
        /// Quantities returned per item.
        returned: BTreeMap<ItemId, u64>,
    },
    /// Release a reservation before dispatch.
    CancelReservation {
        /// Reservation.
        reservation: ReservationId,
        /// Why.
        reason: String,
    },
    /// Send a broadcast (一呼百应) or start a roll call (拉动).
    StartCall {
        /// New call id.
        call: CallId,
        /// Broadcast or roll call.
        kind: CallKind,
        /// Message.
        message: String,
        /// How the addressees were chosen, in words.
        addressed_as: String,
        /// Teams addressed.
        teams: Vec<TeamId>,
    },
    /// A team answers a call (from the field, or logged by an officer).
    AnswerCall {
        /// Call.
        call: CallId,
        /// Team answering.
        team: TeamId,
    },
    /// Close a call; its result is then final.
    CloseCall {
        /// Call.
        call: CallId,
    },
    /// The outgoing officer hands the shift over; the summary is computed
    /// from the state at that moment.
    GiveHandover {
        /// New handover id.
        handover: HandoverId,
        /// Incoming officer.
        to: UserId,
        /// Notes for the next shift.
        notes: String,
    },
    /// The incoming officer acknowledges the handover.
    AcceptHandover {
        /// Handover.
        handover: HandoverId,
    },
    /// New stock arrives at a depot.
    Replenish {
        /// Depot.
        depot: DepotId,
        /// Item.
        item: ItemId,
        /// Display name (used when the item is new to the depot).
        name: String,
        /// Unit.
        unit: String,
        /// Quantity added.
        quantity: u64,
        /// Expiry of the new stock.
        expiry: Option<Timestamp>,
    },
    /// Drill clock and scenario messages; refused outside drill realms.
    Drill(crate::drill::DrillCommand),
    /// Field radio alarms (see `field`).
    Field(crate::field::FieldCommand),
}

impl Command {
    /// Short English name for logs and rejections.
    pub fn name(&self) -> &'static str {
        match self {
            Command::RegisterTeam(_) => "register team",
            Command::RegisterDepot(_) => "register depot",
            Command::RegisterHazard(_) => "register hazard source",
            Command::RegisterShelter(_) => "register shelter",
            Command::SetRules(_) => "set rules",
            Command::SetRoster(_) => "set duty roster",
            Command::ReportFix { .. } => "report fix",
            Command::SetTeamService { .. } => "set team service",
            Command::RequestSupport { .. } => "request support",
            Command::OpenIncident(_) => "open incident",
            Command::UpdateCasualties { .. } => "update casualties",
            Command::SetResponseLevel { .. } => "set response level",
            Command::SetWarning { .. } => "set warning",
            Command::FileReport { .. } => "file report",
            Command::CloseIncident { .. } => "close incident",
            Command::IssueOrder { .. } => "issue order",
            Command::AdvanceOrder { .. } => "advance order",
            Command::ReserveSupplies { .. } => "reserve supplies",
            Command::DispatchSupplies { .. } => "dispatch supplies",
            Command::DeliverSupplies { .. } => "deliver supplies",
            Command::SettleSupplies { .. } => "settle supplies",
            Command::CancelReservation { .. } => "cancel reservation",
            Command::Replenish { .. } => "replenish stock",
            Command::StartCall { .. } => "start call",
            Command::AnswerCall { .. } => "answer call",
            Command::CloseCall { .. } => "close call",
            Command::GiveHandover { .. } => "give handover",
            Command::AcceptHandover { .. } => "accept handover",
            Command::Drill(_) => "drill",
            Command::Field(f) => f.name(),
        }
    }
}
