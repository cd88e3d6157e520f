//! The state of one realm and how events fold into it.

use crate::dispatch::{DispatchOrder, OrderStatus, OrderTransition};
use crate::duty::{Call, Handover};
use crate::event::{Event, EventKind};
use crate::ids::*;
use crate::incident::{Incident, IncidentStatus};
use crate::rules::Rules;
use crate::sites::{DutyRoster, HazardSource, Shelter};
use crate::supply::{Depot, Reservation, ReservationStatus, StockLine};
use crate::team::{Team, TeamStatus};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything one realm knows. Ordered maps keep iteration and
/// serialization identical on every machine.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct State {
    /// Rules in force.
    pub rules: Rules,
    /// Rescue teams.
    pub teams: BTreeMap<TeamId, Team>,
    /// Supply depots.
    pub depots: BTreeMap<DepotId, Depot>,
    /// Incidents.
    pub incidents: BTreeMap<IncidentId, Incident>,
    /// Dispatch orders.
    pub orders: BTreeMap<OrderId, DispatchOrder>,
    /// Supply reservations.
    pub reservations: BTreeMap<ReservationId, Reservation>,
    /// Hazard sources.
    pub hazards: BTreeMap<HazardId, HazardSource>,
    /// Shelters.
    pub shelters: BTreeMap<ShelterId, Shelter>,
    /// Duty roster.
    pub roster: DutyRoster,
    /// Broadcasts and roll calls.
    pub calls: BTreeMap<CallId, Call>,
    /// Shift handovers.
    pub handovers: BTreeMap<HandoverId, Handover>,
    /// Time of the last applied event.
    pub last_event_at: Timestamp,
    /// Field radio alarms.
    pub field: crate::field::FieldState,
}

impl State {
    /// Folds one event into the state.
    ///
    /// Events come from `decide`, which has checked them; `apply` is still
    /// total (an event naming something unknown changes nothing) so that a
    /// damaged log can be opened for review without crashing.
    pub fn apply(&mut self, event: &Event) {
        self.last_event_at = self.last_event_at.max(event.at);
        match &event.kind {
            EventKind::TeamRegistered(t) => {
                self.teams.insert(t.id.clone(), (**t).clone());
            }
            EventKind::DepotRegistered(d) => {
                self.depots.insert(d.id.clone(), (**d).clone());
            }
            EventKind::HazardRegistered(h) => {
                self.hazards.insert(h.id.clone(), (**h).clone());
            }
            EventKind::ShelterRegistered(s) => {
                self.shelters.insert(s.id.clone(), (**s).clone());
            }
            EventKind::RulesSet(r) => self.rules = (**r).clone(),
            EventKind::RosterSet(r) => self.roster = r.clone(),
            EventKind::Field(f) => {
                use crate::field::FieldEvent;
                match f {
                    FieldEvent::DeviceBound { device, team } => {
                        if let Some(t) = self.teams.get_mut(team) {
                            t.radio_ids.push(device.clone());
                        }
                    }
                    FieldEvent::DeviceUnbound { device, team } => {
                        if let Some(t) = self.teams.get_mut(team) {
                            t.radio_ids.retain(|r| r != device);
                        }
                    }
                    _ => {}
                }
                crate::field::apply(&mut self.field, f)
            }
            EventKind::FixReported { team, fix } => {
                if let Some(t) = self.teams.get_mut(team) {
                    t.last_fix = Some(*fix);
                }
            }
            EventKind::TeamServiceSet {
                team,
                out_of_service,
            } => {
                if let Some(t) = self.teams.get_mut(team) {
                    t.status = match out_of_service {
                        Some(reason) => TeamStatus::OutOfService(reason.clone()),
                        None => TeamStatus::Available,
                    };
                }
            }
            EventKind::SupportRequested { team, what } => {
                if let Some(t) = self.teams.get_mut(team) {
                    t.support = what.as_ref().map(|w| crate::team::SupportRequest {
                        what: w.clone(),
                        at: event.at,
                    });
                }
            }
            EventKind::IncidentOpened(i) => {
                self.incidents.insert(i.id.clone(), (**i).clone());
            }
            EventKind::CasualtiesUpdated {
                incident,
                casualties,
                direct_loss_yuan,
            } => {
                if let Some(i) = self.incidents.get_mut(incident) {
                    i.casualties = *casualties;
                    i.direct_loss_yuan = *direct_loss_yuan;
                    i.casualties_changed_at = Some(event.at);
                }
            }
            EventKind::GradeChanged { incident, to, .. } => {
                if let Some(i) = self.incidents.get_mut(incident) {
                    i.grade = *to;
                }
            }
            EventKind::ResponseLevelSet {
                incident,
                level,
                detail,
            } => {
                if let Some(i) = self.incidents.get_mut(incident) {
                    i.response_level = *level;
                    i.response_detail = level.map(|_| detail.clone());
                }
            }
            EventKind::OrderEscalated { .. } => {}
            EventKind::CallStarted(c) => {
                self.calls.insert(c.id.clone(), (**c).clone());
            }
            EventKind::CallAnswered { call, team } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.answers.entry(team.clone()).or_insert(event.at);
                }
            }
            EventKind::CallClosed { call } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.closed_at = Some(event.at);
                }
            }
            EventKind::HandoverGiven(h) => {
                self.handovers.insert(h.id.clone(), (**h).clone());
            }
            EventKind::HandoverAccepted { handover } => {
                if let Some(h) = self.handovers.get_mut(handover) {
                    h.accepted_at = Some(event.at);
                }
            }
            EventKind::WarningSet { incident, colour } => {
                if let Some(i) = self.incidents.get_mut(incident) {
                    i.warning = *colour;
                }
            }
            EventKind::ReportFiled { incident, report } => {
                if let Some(i) = self.incidents.get_mut(incident) {
                    i.reports.push(report.clone());
                }
            }
            EventKind::IncidentClosed { incident, .. } => {
                if let Some(i) = self.incidents.get_mut(incident) {
                    i.status = IncidentStatus::Closed;
                }
            }
            EventKind::OrderIssued(o) => {
                if let Some(i) = self.incidents.get_mut(&o.incident) {
                    i.orders.push(o.id.clone());
                    if i.status == IncidentStatus::Reported {
                        i.status = IncidentStatus::Responding;
                    }
                }
                if let Some(t) = self.teams.get_mut(&o.team) {
                    t.status = TeamStatus::Assigned(o.id.clone());
                }
                self.orders.insert(o.id.clone(), (**o).clone());
            }
            EventKind::OrderAdvanced {
                order, to, reason, ..
            } => self.advance_order(order, *to, reason.clone(), event.at),
            EventKind::SuppliesReserved(r) => {
                if let Some(d) = self.depots.get_mut(&r.depot) {
                    for (item, q) in &r.lines {
                        if let Some(line) = d.stock.get_mut(item) {
                            line.reserved = line.reserved.saturating_add(*q).min(line.on_hand);
                        }
                    }
                }
                self.reservations.insert(r.id.clone(), r.clone());
            }
            EventKind::SuppliesDispatched { reservation } => {
                if let Some(r) = self.reservations.get_mut(reservation) {
                    if let Some(d) = self.depots.get_mut(&r.depot) {
                        for (item, q) in &r.lines {
                            if let Some(line) = d.stock.get_mut(item) {
                                line.reserved = line.reserved.saturating_sub(*q);
                                line.on_hand = line.on_hand.saturating_sub(*q);
                            }
                        }
                    }
                    r.status = ReservationStatus::Dispatched;
                }
            }
            EventKind::SuppliesDelivered { reservation } => {
                if let Some(r) = self.reservations.get_mut(reservation) {
                    r.status = ReservationStatus::Delivered;
                }
            }
            EventKind::SuppliesSettled {
                reservation,
                returned,
            } => {
                if let Some(r) = self.reservations.get_mut(reservation) {
                    if let Some(d) = self.depots.get_mut(&r.depot) {
                        for (item, q) in returned {
                            if let Some(line) = d.stock.get_mut(item) {
                                line.on_hand = line.on_hand.saturating_add(*q);
                            }
                        }
                    }
                    r.returned = returned.clone();
                    r.status = ReservationStatus::Settled;
                }
            }
            EventKind::ReservationCancelled { reservation, .. } => {
                if let Some(r) = self.reservations.get_mut(reservation) {
                    if let Some(d) = self.depots.get_mut(&r.depot) {
                        for (item, q) in &r.lines {
                            if let Some(line) = d.stock.get_mut(item) {
                                line.reserved = line.reserved.saturating_sub(*q);
                            }
                        }
                    }
                    r.status = ReservationStatus::Cancelled;
                }
            }
            EventKind::StockReplenished {
                depot,
                item,
                name,
                unit,
                quantity,
                expiry,
            } => {
                if let Some(d) = self.depots.get_mut(depot) {
                    let line = d.stock.entry(item.clone()).or_insert_with(|| StockLine {
                        item: item.clone(),
                        name: name.clone(),
                        unit: unit.clone(),
                        on_hand: 0,
                        reserved: 0,
                        expiry: None,
                    });
                    line.on_hand = line.on_hand.saturating_add(*quantity);
                    line.expiry = match (line.expiry, *expiry) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
            }
            // Drill clock and messages live in the log only; the shared
            // picture of teams and incidents does not change.
            EventKind::Drill(_) => {}
        }
    }

    fn advance_order(
        &mut self,
        order: &OrderId,
        to: OrderStatus,
        reason: Option<String>,
        at: Timestamp,
    ) {
        let Some(o) = self.orders.get_mut(order) else {
            return;
        };
        o.status = to;
        o.history.push(OrderTransition { to, at, reason });
        let Some(team) = self.teams.get_mut(&o.team) else {
            return;
        };
        // Only the order the team is working on may move the team.
        if team.status.order() != Some(order) {
            return;
        }
        team.status = match to {
            OrderStatus::Issued
            | OrderStatus::Delivered
            | OrderStatus::Acknowledged
            | OrderStatus::TimedOut => TeamStatus::Assigned(order.clone()),
            OrderStatus::EnRoute => TeamStatus::EnRoute(order.clone()),
            OrderStatus::OnScene => TeamStatus::OnScene(order.clone()),
            OrderStatus::Released | OrderStatus::Returning => TeamStatus::Returning(order.clone()),
            OrderStatus::Refused | OrderStatus::Available | OrderStatus::Cancelled => {
                TeamStatus::Available
            }
        };
    }

    /// Folds a sequence of events into a fresh state.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> State {
        let mut s = State::default();
        for e in events {
            s.apply(e);
        }
        s
    }
}
