//! Duty-room work beyond a single incident: 一呼百应 broadcasts and 拉动
//! roll calls, the response-level record, and shift handover (交接班)
//! with the summary the incoming officer acknowledges.

use crate::deadline::{ReportKind, reporting_obligations};
use crate::grade::AccidentGrade;
use crate::ids::*;
use crate::incident::IncidentStatus;
use crate::state::State;
use crate::supply::ReservationStatus;
use crate::team::TeamStatus;
use crate::time::{Millis, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether the addressed teams must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CallKind {
    /// 一呼百应: a message to many teams; answers are welcome, not required.
    Broadcast,
    /// 拉动 / 点名: every addressed team must answer; how fast is recorded.
    RollCall,
}

impl CallKind {
    /// Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            CallKind::Broadcast => "一呼百应",
            CallKind::RollCall => "拉动点名",
        }
    }
}

/// A broadcast or roll call and its answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// Identifier.
    pub id: CallId,
    /// Broadcast or roll call.
    pub kind: CallKind,
    /// Message as sent.
    pub message: String,
    /// How the officer chose the addressees, in words ("全部队伍", "德惠市",
    /// "危化品救援队", "手选 5 支").
    pub addressed_as: String,
    /// The teams it went to, resolved when sent.
    pub teams: Vec<TeamId>,
    /// When it went out.
    pub started_at: Timestamp,
    /// Who sent it.
    pub started_by: UserId,
    /// Answers: team → when.
    pub answers: BTreeMap<TeamId, Timestamp>,
    /// When the officer closed it (the result is then final).
    pub closed_at: Option<Timestamp>,
}

impl Call {
    /// Teams that have not answered.
    pub fn silent(&self) -> Vec<&TeamId> {
        self.teams
            .iter()
            .filter(|t| !self.answers.contains_key(*t))
            .collect()
    }

    /// How long each answering team took, fastest first.
    pub fn answer_times(&self) -> Vec<(&TeamId, Millis)> {
        let mut v: Vec<_> = self
            .answers
            .iter()
            .map(|(t, at)| (t, at.since(self.started_at)))
            .collect();
        v.sort_by_key(|(t, d)| (*d, (*t).clone()));
        v
    }
}

/// What a commander records when starting or adjusting a response (启动/调整响应).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ResponseDetail {
    /// The matter responded to (响应事项).
    pub matters: String,
    /// Expected duration in hours, if said.
    pub expected_hours: Option<u32>,
    /// Measures ordered (响应措施).
    pub measures: String,
}

/// One open incident as the handover lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenIncidentLine {
    /// Incident.
    pub incident: IncidentId,
    /// Title.
    pub title: String,
    /// Grade.
    pub grade: AccidentGrade,
}

/// A report that is overdue or due soon at handover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDueLine {
    /// Incident.
    pub incident: IncidentId,
    /// Which report.
    pub kind: ReportKind,
    /// Level it goes to.
    pub to: crate::deadline::AdminLevel,
    /// Deadline.
    pub due_at: Timestamp,
    /// Already past its deadline.
    pub overdue: bool,
}

/// What the outgoing shift hands over, computed from state at handover time.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HandoverSummary {
    /// Incidents not closed.
    pub open_incidents: Vec<OpenIncidentLine>,
    /// Orders still waiting for the team's acknowledgement.
    pub pending_acks: Vec<OrderId>,
    /// Reports overdue or due within the next shift.
    pub reports_due: Vec<ReportDueLine>,
    /// Teams committed to an order.
    pub teams_committed: Vec<TeamId>,
    /// Supplies reserved or out, not yet settled.
    pub supplies_out: Vec<ReservationId>,
    /// Roll calls still open.
    pub open_calls: Vec<CallId>,
}

/// How far ahead the handover looks for upcoming report deadlines.
pub const HANDOVER_HORIZON: Millis = 12 * 60 * crate::time::MINUTE;

/// Builds the handover summary from the state at `now`.
pub fn handover_summary(state: &State, now: Timestamp) -> HandoverSummary {
    let mut s = HandoverSummary::default();
    for inc in state
        .incidents
        .values()
        .filter(|i| i.status != IncidentStatus::Closed)
    {
        s.open_incidents.push(OpenIncidentLine {
            incident: inc.id.clone(),
            title: inc.title.clone(),
            grade: inc.grade,
        });
        let rules = state.rules.reporting.for_jurisdiction(&inc.jurisdiction);
        for o in reporting_obligations(inc, rules, now) {
            let open = !matches!(o.status, crate::deadline::ObligationStatus::Done { .. });
            if open && o.due_at <= now.plus(HANDOVER_HORIZON) {
                s.reports_due.push(ReportDueLine {
                    incident: inc.id.clone(),
                    kind: o.kind,
                    to: o.to,
                    due_at: o.due_at,
                    overdue: o.is_overdue(),
                });
            }
        }
    }
    s.pending_acks = state
        .orders
        .values()
        .filter(|o| {
            matches!(
                o.status,
                crate::dispatch::OrderStatus::Issued
                    | crate::dispatch::OrderStatus::Delivered
                    | crate::dispatch::OrderStatus::TimedOut
            )
        })
        .map(|o| o.id.clone())
        .collect();
    s.teams_committed = state
        .teams
        .values()
        .filter(|t| {
            !matches!(
                t.status,
                TeamStatus::Available | TeamStatus::OutOfService(_)
            )
        })
        .map(|t| t.id.clone())
        .collect();
    s.supplies_out = state
        .reservations
        .values()
        .filter(|r| {
            matches!(
                r.status,
                ReservationStatus::Reserved
                    | ReservationStatus::Dispatched
                    | ReservationStatus::Delivered
            )
        })
        .map(|r| r.id.clone())
        .collect();
    s.open_calls = state
        .calls
        .values()
        .filter(|c| c.closed_at.is_none())
        .map(|c| c.id.clone())
        .collect();
    s
}

/// A shift handover: given by the outgoing officer, accepted by the incoming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    /// Identifier.
    pub id: HandoverId,
    /// Outgoing officer.
    pub from: UserId,
    /// Incoming officer.
    pub to: UserId,
    /// When it was given.
    pub given_at: Timestamp,
    /// What was open, as computed then.
    pub summary: HandoverSummary,
    /// The outgoing officer's notes.
    pub notes: String,
    /// When the incoming officer acknowledged it.
    pub accepted_at: Option<Timestamp>,
}
