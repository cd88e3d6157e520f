//! `decide`: check a command against the state and the actor's role, and
//! say what happens as events — or refuse with a typed reason. Pure.

use crate::authz::{Actor, CommandClass, Role};
use crate::command::{Command, IncidentIntake};
use crate::deadline::ReportKind;
use crate::dispatch::{DispatchOrder, OrderStatus, OrderStep};
use crate::duty::{Call, Handover, handover_summary};
use crate::event::{Event, EventKind};
use crate::ids::*;
use crate::incident::{FiledReport, Incident, IncidentStatus};
use crate::rejection::Rejection;
use crate::state::State;
use crate::supply::{Reservation, ReservationStatus, shortages};
use crate::team::TeamStatus;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether a realm is live operations or a drill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RealmKind {
    /// Real operations.
    Live,
    /// An exercise (演练).
    Drill,
}

/// What `decide` needs besides state and command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The realm's clock now.
    pub now: Timestamp,
    /// Who issues the command.
    pub actor: Actor,
    /// Kind of realm the command is for.
    pub realm: RealmKind,
}

/// Checks `cmd` and returns the events it causes, or why it is refused.
pub fn decide(state: &State, cmd: &Command, ctx: &Context) -> Result<Vec<Event>, Rejection> {
    authorize(cmd, ctx)?;
    let kinds = decide_kinds(state, cmd, ctx)?;
    Ok(kinds
        .into_iter()
        .map(|kind| Event {
            at: ctx.now,
            actor: ctx.actor.clone(),
            kind,
        })
        .collect())
}

fn authorize(cmd: &Command, ctx: &Context) -> Result<(), Rejection> {
    let role = ctx.actor.role;
    let allowed = role.may(CommandClass::of(cmd))
        && !(role == Role::DrillDirector && ctx.realm == RealmKind::Live);
    if allowed {
        Ok(())
    } else {
        Err(Rejection::Forbidden {
            role,
            command: cmd.name().to_owned(),
        })
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> Rejection {
    Rejection::Invalid {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

fn unknown(kind: &'static str, id: &impl ToString) -> Rejection {
    Rejection::Unknown {
        kind: kind.to_owned(),
        id: id.to_string(),
    }
}

fn ensure_new<K: Ord, V>(
    map: &BTreeMap<K, V>,
    id: &K,
    kind: &'static str,
    shown: &impl ToString,
) -> Result<(), Rejection> {
    if map.contains_key(id) {
        Err(Rejection::Duplicate {
            kind: kind.to_owned(),
            id: shown.to_string(),
        })
    } else {
        Ok(())
    }
}

fn open_incident<'a>(state: &'a State, id: &IncidentId) -> Result<&'a Incident, Rejection> {
    let inc = state
        .incidents
        .get(id)
        .ok_or_else(|| unknown("incident", id))?;
    if inc.status == IncidentStatus::Closed {
        return Err(Rejection::IncidentClosed(id.clone()));
    }
    Ok(inc)
}

fn reservation_in<'a>(
    state: &'a State,
    id: &ReservationId,
    expected: ReservationStatus,
) -> Result<&'a Reservation, Rejection> {
    let r = state
        .reservations
        .get(id)
        .ok_or_else(|| unknown("reservation", id))?;
    if r.status != expected {
        return Err(Rejection::ReservationState {
            reservation: id.clone(),
            status: r.status,
        });
    }
    Ok(r)
}

fn decide_kinds(state: &State, cmd: &Command, ctx: &Context) -> Result<Vec<EventKind>, Rejection> {
    let now = ctx.now;
    match cmd {
        Command::RegisterTeam(team) => {
            ensure_new(&state.teams, &team.id, "team", &team.id)?;
            if team.name.trim().is_empty() {
                return Err(invalid("name", "must not be empty"));
            }
            if !team.home.is_valid() {
                return Err(invalid("home", "not a valid WGS-84 position"));
            }
            if !matches!(
                team.status,
                TeamStatus::Available | TeamStatus::OutOfService(_)
            ) {
                return Err(invalid(
                    "status",
                    "a new team is available or out of service",
                ));
            }
            Ok(vec![EventKind::TeamRegistered(team.clone())])
        }
        Command::RegisterDepot(depot) => {
            ensure_new(&state.depots, &depot.id, "depot", &depot.id)?;
            if !depot.position.is_valid() {
                return Err(invalid("position", "not a valid WGS-84 position"));
            }
            if let Some((k, _)) = depot
                .stock
                .iter()
                .find(|(k, l)| **k != l.item || l.reserved > 0)
            {
                return Err(invalid(
                    "stock",
                    format!("line {k} must be keyed by its item and start unreserved"),
                ));
            }
            Ok(vec![EventKind::DepotRegistered(depot.clone())])
        }
        Command::RegisterHazard(h) => {
            ensure_new(&state.hazards, &h.id, "hazard source", &h.id)?;
            if !h.position.is_valid() {
                return Err(invalid("position", "not a valid WGS-84 position"));
            }
            Ok(vec![EventKind::HazardRegistered(h.clone())])
        }
        Command::RegisterShelter(s) => {
            ensure_new(&state.shelters, &s.id, "shelter", &s.id)?;
            if !s.position.is_valid() {
                return Err(invalid("position", "not a valid WGS-84 position"));
            }
            Ok(vec![EventKind::ShelterRegistered(s.clone())])
        }
        Command::SetRules(r) => Ok(vec![EventKind::RulesSet(r.clone())]),
        Command::SetRoster(roster) => {
            let sorted = roster
                .shifts
                .windows(2)
                .all(|w| w[0].ends_at <= w[1].starts_at);
            if let Some(s) = roster.shifts.iter().find(|s| s.starts_at >= s.ends_at) {
                return Err(invalid(
                    "shifts",
                    format!("shift led by {} ends before it starts", s.leader),
                ));
            }
            if !sorted {
                return Err(invalid("shifts", "shifts must be in order and not overlap"));
            }
            Ok(vec![EventKind::RosterSet(roster.clone())])
        }
        Command::Field(f) => {
            Ok(
                crate::field::decide(state, f, ctx.now, ctx.actor.device.as_str())?
                    .into_iter()
                    .map(EventKind::Field)
                    .collect(),
            )
        }
        Command::ReportFix { team, fix } => {
            let t = state.teams.get(team).ok_or_else(|| unknown("team", team))?;
            if !fix.position.is_valid() {
                return Err(invalid("position", "not a valid WGS-84 position"));
            }
            if fix.accuracy_m.is_some_and(|a| !a.is_finite() || a < 0.0) {
                return Err(invalid("accuracy_m", "must be a non-negative number"));
            }
            if let Some(last) = &t.last_fix {
                if fix.taken_at <= last.taken_at {
                    return Err(invalid("taken_at", "not newer than the team's current fix"));
                }
                // A team with several devices: a lesser source does not
                // move it while a better one is still fresh.
                let fresh =
                    fix.taken_at.since(last.taken_at) <= state.rules.staleness_of(last.source);
                if fix.source.rank() < last.source.rank() && fresh {
                    return Err(invalid(
                        "source",
                        "a fresher fix from a preferred source stands (vehicle GNSS over TAK over APRS over manual)",
                    ));
                }
            }
            Ok(vec![EventKind::FixReported {
                team: team.clone(),
                fix: *fix,
            }])
        }
        Command::SetTeamService {
            team,
            out_of_service,
        } => {
            let t = state.teams.get(team).ok_or_else(|| unknown("team", team))?;
            match (out_of_service, &t.status) {
                (Some(reason), TeamStatus::Available) if !reason.trim().is_empty() => {}
                (Some(_), TeamStatus::Available) => {
                    return Err(invalid("out_of_service", "a reason is required"));
                }
                (None, TeamStatus::OutOfService(_)) => {}
                (_, status) => {
                    return Err(Rejection::TeamUnavailable {
                        team: team.clone(),
                        status: status.zh().to_owned(),
                    });
                }
            }
            Ok(vec![EventKind::TeamServiceSet {
                team: team.clone(),
                out_of_service: out_of_service.clone(),
            }])
        }
        Command::RequestSupport { team, what } => {
            let t = state.teams.get(team).ok_or_else(|| unknown("team", team))?;
            match what {
                Some(w) if w.trim().is_empty() => {
                    return Err(invalid("what", "say what support is needed"));
                }
                None if t.support.is_none() => {
                    return Err(invalid("what", "no open support request"));
                }
                _ => {}
            }
            Ok(vec![EventKind::SupportRequested {
                team: team.clone(),
                what: what.clone(),
            }])
        }
        Command::OpenIncident(intake) => open(state, intake, now),
        Command::UpdateCasualties {
            incident,
            casualties,
            direct_loss_yuan,
        } => {
            let inc = open_incident(state, incident)?;
            if inc.casualties == *casualties && inc.direct_loss_yuan == *direct_loss_yuan {
                return Err(invalid("casualties", "unchanged"));
            }
            let mut out = vec![EventKind::CasualtiesUpdated {
                incident: incident.clone(),
                casualties: *casualties,
                direct_loss_yuan: *direct_loss_yuan,
            }];
            let grade = state.rules.grades.grade(casualties, *direct_loss_yuan);
            if grade != inc.grade {
                out.push(EventKind::GradeChanged {
                    incident: incident.clone(),
                    from: inc.grade,
                    to: grade,
                });
            }
            Ok(out)
        }
        Command::SetResponseLevel {
            incident,
            level,
            detail,
        } => {
            let inc = open_incident(state, incident)?;
            if inc.response_level == *level && inc.response_detail.as_ref() == Some(detail) {
                return Err(invalid("level", "unchanged"));
            }
            if level.is_some() && detail.matters.trim().is_empty() {
                return Err(invalid("matters", "say what the response is for"));
            }
            Ok(vec![EventKind::ResponseLevelSet {
                incident: incident.clone(),
                level: *level,
                detail: if level.is_some() {
                    detail.clone()
                } else {
                    Default::default()
                },
            }])
        }
        Command::SetWarning { incident, colour } => {
            let inc = open_incident(state, incident)?;
            if inc.warning == *colour {
                return Err(invalid("colour", "unchanged"));
            }
            Ok(vec![EventKind::WarningSet {
                incident: incident.clone(),
                colour: *colour,
            }])
        }
        Command::FileReport {
            incident,
            kind,
            channel,
            to_level,
            summary,
        } => {
            // Reports, the final one above all, may follow closure.
            let inc = state
                .incidents
                .get(incident)
                .ok_or_else(|| unknown("incident", incident))?;
            if summary.trim().is_empty() {
                return Err(invalid("summary", "must not be empty"));
            }
            let follow_ups = inc
                .reports
                .iter()
                .filter(|r| matches!(r.kind, ReportKind::FollowUp(_)))
                .count() as u32;
            match kind {
                ReportKind::FollowUp(n) if *n != follow_ups + 1 => {
                    return Err(invalid(
                        "kind",
                        format!("next follow-up is number {}", follow_ups + 1),
                    ));
                }
                ReportKind::Final if inc.reports.iter().any(|r| r.kind == ReportKind::Final) => {
                    return Err(invalid("kind", "the final report was already filed"));
                }
                _ => {}
            }
            Ok(vec![EventKind::ReportFiled {
                incident: incident.clone(),
                report: FiledReport {
                    kind: *kind,
                    channel: *channel,
                    to_level: *to_level,
                    filed_at: now,
                    by: ctx.actor.user.clone(),
                    summary: summary.clone(),
                },
            }])
        }
        Command::CloseIncident { incident, summary } => {
            let inc = open_incident(state, incident)?;
            let active = inc
                .orders
                .iter()
                .filter_map(|o| state.orders.get(o))
                .filter(|o| !o.status.is_final())
                .count();
            if active > 0 {
                return Err(invalid(
                    "incident",
                    format!("{active} order(s) still active"),
                ));
            }
            Ok(vec![EventKind::IncidentClosed {
                incident: incident.clone(),
                summary: summary.clone(),
            }])
        }
        Command::IssueOrder {
            order,
            incident,
            team,
            note,
            recommendation_shown,
        } => {
            ensure_new(&state.orders, order, "order", order)?;
            open_incident(state, incident)?;
            let t = state.teams.get(team).ok_or_else(|| unknown("team", team))?;
            if t.status != TeamStatus::Available {
                return Err(Rejection::TeamUnavailable {
                    team: team.clone(),
                    status: t.status.zh().to_owned(),
                });
            }
            Ok(vec![EventKind::OrderIssued(Box::new(DispatchOrder {
                id: order.clone(),
                incident: incident.clone(),
                team: team.clone(),
                note: note.clone(),
                issued_by: ctx.actor.user.clone(),
                issued_at: now,
                recommendation_shown: recommendation_shown.clone(),
                status: OrderStatus::Issued,
                history: Vec::new(),
            }))])
        }
        Command::AdvanceOrder { order, step } => {
            let mut out = advance(state, order, step)?;
            // A time-out goes to the leader on duty: the alert is the event,
            // so it is raised exactly once whoever watches.
            if *step == OrderStep::TimedOut {
                out.push(EventKind::OrderEscalated {
                    order: order.clone(),
                    to: state.roster.on_duty(now).map(|s| s.leader.clone()),
                });
            }
            Ok(out)
        }
        Command::ReserveSupplies {
            reservation,
            incident,
            depot,
            lines,
        } => {
            ensure_new(&state.reservations, reservation, "reservation", reservation)?;
            open_incident(state, incident)?;
            let d = state
                .depots
                .get(depot)
                .ok_or_else(|| unknown("depot", depot))?;
            if lines.is_empty() || lines.values().any(|&q| q == 0) {
                return Err(invalid(
                    "lines",
                    "list at least one item, each with a quantity above 0",
                ));
            }
            let short = shortages(d, lines);
            if !short.is_empty() {
                return Err(Rejection::InsufficientStock {
                    depot: depot.clone(),
                    shortages: short,
                });
            }
            Ok(vec![EventKind::SuppliesReserved(Reservation {
                id: reservation.clone(),
                incident: incident.clone(),
                depot: depot.clone(),
                lines: lines.clone(),
                status: ReservationStatus::Reserved,
                returned: BTreeMap::new(),
            })])
        }
        Command::DispatchSupplies { reservation } => {
            reservation_in(state, reservation, ReservationStatus::Reserved)?;
            Ok(vec![EventKind::SuppliesDispatched {
                reservation: reservation.clone(),
            }])
        }
        Command::DeliverSupplies { reservation } => {
            reservation_in(state, reservation, ReservationStatus::Dispatched)?;
            Ok(vec![EventKind::SuppliesDelivered {
                reservation: reservation.clone(),
            }])
        }
        Command::SettleSupplies {
            reservation,
            returned,
        } => {
            let r = reservation_in(state, reservation, ReservationStatus::Delivered)?;
            for (item, q) in returned {
                let sent = r.lines.get(item).copied().unwrap_or(0);
                if *q > sent {
                    return Err(invalid(
                        "returned",
                        format!("{item}: {q} returned but {sent} sent"),
                    ));
                }
            }
            Ok(vec![EventKind::SuppliesSettled {
                reservation: reservation.clone(),
                returned: returned.clone(),
            }])
        }
        Command::CancelReservation {
            reservation,
            reason,
        } => {
            reservation_in(state, reservation, ReservationStatus::Reserved)?;
            if reason.trim().is_empty() {
                return Err(invalid("reason", "must not be empty"));
            }
            Ok(vec![EventKind::ReservationCancelled {
                reservation: reservation.clone(),
                reason: reason.clone(),
            }])
        }
        Command::StartCall {
            call,
            kind,
            message,
            addressed_as,
            teams,
        } => {
            ensure_new(&state.calls, call, "call", call)?;
            if message.trim().is_empty() {
                return Err(invalid("message", "must not be empty"));
            }
            if teams.is_empty() {
                return Err(invalid("teams", "address at least one team"));
            }
            if let Some(t) = teams.iter().find(|t| !state.teams.contains_key(*t)) {
                return Err(unknown("team", t));
            }
            let mut unique = teams.clone();
            unique.sort();
            unique.dedup();
            if unique.len() != teams.len() {
                return Err(invalid("teams", "a team is listed twice"));
            }
            Ok(vec![EventKind::CallStarted(Box::new(Call {
                id: call.clone(),
                kind: *kind,
                message: message.clone(),
                addressed_as: addressed_as.clone(),
                teams: teams.clone(),
                started_at: now,
                started_by: ctx.actor.user.clone(),
                answers: BTreeMap::new(),
                closed_at: None,
            }))])
        }
        Command::AnswerCall { call, team } => {
            let c = state.calls.get(call).ok_or_else(|| unknown("call", call))?;
            if c.closed_at.is_some() {
                return Err(invalid("call", "already closed"));
            }
            if !c.teams.contains(team) {
                return Err(invalid("team", format!("{team} was not addressed")));
            }
            if c.answers.contains_key(team) {
                return Err(Rejection::Duplicate {
                    kind: "answer".into(),
                    id: team.to_string(),
                });
            }
            Ok(vec![EventKind::CallAnswered {
                call: call.clone(),
                team: team.clone(),
            }])
        }
        Command::CloseCall { call } => {
            let c = state.calls.get(call).ok_or_else(|| unknown("call", call))?;
            if c.closed_at.is_some() {
                return Err(invalid("call", "already closed"));
            }
            Ok(vec![EventKind::CallClosed { call: call.clone() }])
        }
        Command::GiveHandover {
            handover,
            to,
            notes,
        } => {
            ensure_new(&state.handovers, handover, "handover", handover)?;
            if to.as_str().trim().is_empty() {
                return Err(invalid("to", "name the incoming officer"));
            }
            if *to == ctx.actor.user {
                return Err(invalid("to", "cannot hand over to yourself"));
            }
            Ok(vec![EventKind::HandoverGiven(Box::new(Handover {
                id: handover.clone(),
                from: ctx.actor.user.clone(),
                to: to.clone(),
                given_at: now,
                summary: handover_summary(state, now),
                notes: notes.clone(),
                accepted_at: None,
            }))])
        }
        Command::AcceptHandover { handover } => {
            let h = state
                .handovers
                .get(handover)
                .ok_or_else(|| unknown("handover", handover))?;
            if h.to != ctx.actor.user {
                return Err(invalid(
                    "handover",
                    format!("addressed to {}, not to you", h.to),
                ));
            }
            if h.accepted_at.is_some() {
                return Err(invalid("handover", "already accepted"));
            }
            Ok(vec![EventKind::HandoverAccepted {
                handover: handover.clone(),
            }])
        }
        Command::Replenish {
            depot,
            item,
            name,
            unit,
            quantity,
            expiry,
        } => {
            let d = state
                .depots
                .get(depot)
                .ok_or_else(|| unknown("depot", depot))?;
            if *quantity == 0 {
                return Err(invalid("quantity", "must be above 0"));
            }
            match d.stock.get(item) {
                Some(line) if line.on_hand.checked_add(*quantity).is_none() => {
                    return Err(invalid("quantity", "stock would overflow"));
                }
                None if name.trim().is_empty() || unit.trim().is_empty() => {
                    return Err(invalid("name", "a new item needs a name and a unit"));
                }
                _ => {}
            }
            Ok(vec![EventKind::StockReplenished {
                depot: depot.clone(),
                item: item.clone(),
                name: name.clone(),
                unit: unit.clone(),
                quantity: *quantity,
                expiry: *expiry,
            }])
        }
        Command::Drill(d) => {
            if ctx.realm != RealmKind::Drill {
                return Err(invalid("realm", "drill commands are for drill realms only"));
            }
            if let Some((field, reason)) = crate::drill::check(d) {
                return Err(invalid(field, reason));
            }
            Ok(vec![EventKind::Drill(crate::drill::event_of(d))])
        }
    }
}

fn open(
    state: &State,
    intake: &IncidentIntake,
    now: Timestamp,
) -> Result<Vec<EventKind>, Rejection> {
    ensure_new(&state.incidents, &intake.id, "incident", &intake.id)?;
    if intake.title.trim().is_empty() {
        return Err(invalid("title", "must not be empty"));
    }
    if !intake.position.is_valid() {
        return Err(invalid("position", "not a valid WGS-84 position"));
    }
    if !state.rules.jurisdictions.is_empty() {
        let Some(j) = state.rules.jurisdictions.get(&intake.jurisdiction) else {
            return Err(invalid(
                "jurisdiction",
                format!("{} is not a known jurisdiction", intake.jurisdiction),
            ));
        };
        if !j.contains(intake.position) {
            return Err(invalid(
                "position",
                format!("outside {} ({})", j.name, intake.jurisdiction),
            ));
        }
    }
    if intake.occurred_at > intake.reported_at {
        return Err(invalid(
            "occurred_at",
            "after the time the report was received",
        ));
    }
    if intake.reported_at > now {
        return Err(invalid("reported_at", "in the future"));
    }
    let grade = state
        .rules
        .grades
        .grade(&intake.casualties, intake.direct_loss_yuan);
    Ok(vec![EventKind::IncidentOpened(Box::new(Incident {
        id: intake.id.clone(),
        title: intake.title.clone(),
        sector: intake.sector,
        position: intake.position,
        address: intake.address.clone(),
        jurisdiction: intake.jurisdiction.clone(),
        enterprise: intake.enterprise.clone(),
        source: intake.source,
        occurred_at: intake.occurred_at,
        reported_at: intake.reported_at,
        caller: intake.caller.clone(),
        casualties: intake.casualties,
        direct_loss_yuan: intake.direct_loss_yuan,
        grade,
        casualties_changed_at: None,
        response_level: None,
        response_detail: None,
        suggested_response_level: intake.suggested_response_level,
        warning: None,
        status: IncidentStatus::Reported,
        reports: Vec::new(),
        orders: Vec::new(),
    }))])
}

fn advance(state: &State, order: &OrderId, step: &OrderStep) -> Result<Vec<EventKind>, Rejection> {
    let o = state
        .orders
        .get(order)
        .ok_or_else(|| unknown("order", order))?;
    let to = step.target();
    if step.reason().is_some_and(|r| r.trim().is_empty()) {
        return Err(invalid("reason", "must not be empty"));
    }
    let event =
        |from: OrderStatus, to: OrderStatus, reason: Option<String>| EventKind::OrderAdvanced {
            order: order.clone(),
            from,
            to,
            reason,
        };
    let reason = step.reason().map(str::to_owned);
    // An answer from the team proves the order reached it.
    if o.status == OrderStatus::Issued
        && matches!(to, OrderStatus::Acknowledged | OrderStatus::Refused)
    {
        return Ok(vec![
            event(OrderStatus::Issued, OrderStatus::Delivered, None),
            event(OrderStatus::Delivered, to, reason),
        ]);
    }
    if !o.status.can_step_to(to) {
        return Err(Rejection::IllegalTransition {
            order: order.clone(),
            from: o.status,
            to,
        });
    }
    Ok(vec![event(o.status, to, reason)])
}
