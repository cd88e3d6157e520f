//! Evaluation from a drill realm's decisions: each expected action met,
//! late or missed; each objective rated on the four-level scale; the
//! dispatch intervals measured from the log itself.

use crate::model::{ExpectedAction, Scenario};
use domain::{
    Decision, DrillEvent, EventKind, IncidentId, Millis, OrderId, OrderStatus, ReportKind, State,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// How an expected action went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Judgement {
    /// Done in time.
    Met {
        /// When (scenario time).
        at: Millis,
        /// Time taken from the anchor.
        took: Millis,
    },
    /// Done, but after the limit.
    Late {
        /// When.
        at: Millis,
        /// Time taken from the anchor.
        took: Millis,
        /// By how much.
        late_by: Millis,
    },
    /// Not done by the end of the drill.
    Missed,
    /// The inject it is measured from never came (a condition skipped it).
    NotApplicable,
}

impl Judgement {
    /// Chinese label.
    pub fn zh(&self) -> &'static str {
        match self {
            Judgement::Met { .. } => "按时完成",
            Judgement::Late { .. } => "超时完成",
            Judgement::Missed => "未完成",
            Judgement::NotApplicable => "不适用",
        }
    }
}

/// The four-level rating (after HSEEP P/S/M/U).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Rating {
    /// 无挑战完成 (P)
    Performed,
    /// 有一定挑战完成 (S)
    SomeChallenges,
    /// 有重大挑战完成 (M)
    MajorChallenges,
    /// 未能完成 (U)
    NotPerformed,
}

impl Rating {
    /// Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Rating::Performed => "无挑战完成",
            Rating::SomeChallenges => "有一定挑战完成",
            Rating::MajorChallenges => "有重大挑战完成",
            Rating::NotPerformed => "未能完成",
        }
    }

    /// Letter.
    pub fn letter(self) -> char {
        match self {
            Rating::Performed => 'P',
            Rating::SomeChallenges => 'S',
            Rating::MajorChallenges => 'M',
            Rating::NotPerformed => 'U',
        }
    }
}

/// One expected action judged.
#[derive(Debug, Clone, Serialize)]
pub struct ExpectResult {
    /// Id.
    pub id: String,
    /// Objective.
    pub objective: String,
    /// In words.
    pub title: String,
    /// Anchor time (when the inject it follows came), if it came.
    pub anchor: Option<Millis>,
    /// Allowed time.
    pub within: Millis,
    /// Result.
    pub judgement: Judgement,
    /// Credit 0–1.
    pub credit: f64,
    /// Weight.
    pub weight: f64,
}

/// One objective rated.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectiveResult {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Weighted score 0–1 (None when nothing applied).
    pub score: Option<f64>,
    /// Rating (None when nothing applied).
    pub rating: Option<Rating>,
}

/// Times measured for one order.
#[derive(Debug, Clone, Serialize)]
pub struct OrderTimes {
    /// Order.
    pub order: OrderId,
    /// Incident.
    pub incident: IncidentId,
    /// Team name.
    pub team: String,
    /// Issued (scenario time).
    pub issued: Millis,
    /// Issue → acknowledged.
    pub to_ack: Option<Millis>,
    /// Issue → on scene.
    pub to_scene: Option<Millis>,
}

/// Times measured for one incident.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentTimes {
    /// Incident.
    pub incident: IncidentId,
    /// Title.
    pub title: String,
    /// Report received (scenario time).
    pub received: Millis,
    /// Received → first order.
    pub to_first_order: Option<Millis>,
    /// Received → first report upward.
    pub to_first_report: Option<Millis>,
}

/// The whole evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// Expected actions.
    pub expects: Vec<ExpectResult>,
    /// Objectives.
    pub objectives: Vec<ObjectiveResult>,
    /// Per incident.
    pub incidents: Vec<IncidentTimes>,
    /// Per order.
    pub orders: Vec<OrderTimes>,
    /// Injects delivered, with scenario time.
    pub injects_delivered: Vec<(String, Millis)>,
    /// Injects a condition skipped.
    pub injects_skipped: Vec<String>,
    /// Last scenario time in the log.
    pub ended_at: Millis,
}

/// Evaluates a drill from its decisions (in log order).
pub fn evaluate(sc: &Scenario, decisions: &[Decision]) -> Evaluation {
    let start = sc.meta.start;
    let off = |t: domain::Timestamp| t.since(start);
    let mut state = State::default();
    let mut delivered: BTreeMap<String, Millis> = BTreeMap::new();
    // Per expectation: every time the action was seen.
    let mut done: BTreeMap<usize, Vec<Millis>> = BTreeMap::new();
    let mut incidents: Vec<IncidentTimes> = Vec::new();
    let mut orders: Vec<OrderTimes> = Vec::new();
    let mut ended_at = 0;
    for d in decisions {
        for e in &d.events {
            let at = off(e.at);
            ended_at = ended_at.max(at);
            for (i, x) in sc.expects.iter().enumerate() {
                if satisfies(&x.action, &x.incident, &e.kind, &state) {
                    done.entry(i).or_default().push(at);
                }
            }
            match &e.kind {
                EventKind::Drill(DrillEvent::MessageDelivered(m)) => {
                    if let Some(id) = &m.inject {
                        delivered.entry(id.clone()).or_insert(at);
                    }
                }
                EventKind::IncidentOpened(i) => incidents.push(IncidentTimes {
                    incident: i.id.clone(),
                    title: i.title.clone(),
                    received: at,
                    to_first_order: None,
                    to_first_report: None,
                }),
                EventKind::OrderIssued(o) => {
                    if let Some(it) = incidents.iter_mut().find(|x| x.incident == o.incident) {
                        it.to_first_order.get_or_insert(at - it.received);
                    }
                    orders.push(OrderTimes {
                        order: o.id.clone(),
                        incident: o.incident.clone(),
                        team: state
                            .teams
                            .get(&o.team)
                            .map_or_else(|| o.team.to_string(), |t| t.name.clone()),
                        issued: at,
                        to_ack: None,
                        to_scene: None,
                    });
                }
                EventKind::ReportFiled { incident, .. } => {
                    if let Some(it) = incidents.iter_mut().find(|x| &x.incident == incident) {
                        it.to_first_report.get_or_insert(at - it.received);
                    }
                }
                EventKind::OrderAdvanced { order, to, .. } => {
                    if let Some(ot) = orders.iter_mut().find(|x| &x.order == order) {
                        match to {
                            OrderStatus::Acknowledged => {
                                ot.to_ack.get_or_insert(at - ot.issued);
                            }
                            OrderStatus::OnScene => {
                                ot.to_scene.get_or_insert(at - ot.issued);
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
            state.apply(e);
        }
    }
    let expects: Vec<ExpectResult> = sc
        .expects
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let anchor = delivered.get(&x.after).copied();
            // Only an action taken once the anchor inject came answers it:
            // an order made earlier for another reason does not.
            let first = anchor.and_then(|a| {
                done.get(&i)
                    .and_then(|ts| ts.iter().copied().find(|t| *t >= a))
            });
            let judgement = match (anchor, first) {
                (None, _) => Judgement::NotApplicable,
                (Some(_), None) => Judgement::Missed,
                (Some(a), Some(at)) => {
                    let took = at - a;
                    if took <= x.within {
                        Judgement::Met { at, took }
                    } else {
                        Judgement::Late {
                            at,
                            took,
                            late_by: took - x.within,
                        }
                    }
                }
            };
            let credit = match judgement {
                Judgement::Met { .. } => 1.0,
                Judgement::Late { .. } => sc.late_credit,
                Judgement::Missed | Judgement::NotApplicable => 0.0,
            };
            ExpectResult {
                id: x.id.clone(),
                objective: x.objective.clone(),
                title: x.title.clone(),
                anchor,
                within: x.within,
                judgement,
                credit,
                weight: x.weight,
            }
        })
        .collect();
    let objectives = sc
        .objectives
        .iter()
        .map(|o| {
            let applied: Vec<&ExpectResult> = expects
                .iter()
                .filter(|e| e.objective == o.id && e.judgement != Judgement::NotApplicable)
                .collect();
            let total: f64 = applied.iter().map(|e| e.weight).sum();
            let score = (total > 0.0)
                .then(|| applied.iter().map(|e| e.weight * e.credit).sum::<f64>() / total);
            let rating = score.map(|s| {
                let t = o.thresholds;
                if s >= t.p {
                    Rating::Performed
                } else if s >= t.s {
                    Rating::SomeChallenges
                } else if s >= t.m {
                    Rating::MajorChallenges
                } else {
                    Rating::NotPerformed
                }
            });
            ObjectiveResult {
                id: o.id.clone(),
                title: o.title.clone(),
                score,
                rating,
            }
        })
        .collect();
    let injects_skipped = sc
        .injects
        .iter()
        .filter(|i| !delivered.contains_key(&i.id))
        .map(|i| i.id.clone())
        .collect();
    let mut injects_delivered: Vec<(String, Millis)> = delivered.into_iter().collect();
    injects_delivered.sort_by_key(|(_, t)| *t);
    Evaluation {
        expects,
        objectives,
        incidents,
        orders,
        injects_delivered,
        injects_skipped,
        ended_at,
    }
}

/// Whether an event (with `state` as it was before it) does what `action` asks.
fn satisfies(
    action: &ExpectedAction,
    incident: &IncidentId,
    kind: &EventKind,
    state: &State,
) -> bool {
    match (action, kind) {
        (
            ExpectedAction::FirstReport,
            EventKind::ReportFiled {
                incident: i,
                report,
            },
        ) => i == incident && report.kind == ReportKind::First,
        (ExpectedAction::OrderKind(k), EventKind::OrderIssued(o)) => {
            &o.incident == incident && state.teams.get(&o.team).is_some_and(|t| t.kind == *k)
        }
        (
            ExpectedAction::OnScene(k),
            EventKind::OrderAdvanced {
                order,
                to: OrderStatus::OnScene,
                ..
            },
        ) => state.orders.get(order).is_some_and(|o| {
            &o.incident == incident && state.teams.get(&o.team).is_some_and(|t| t.kind == *k)
        }),
        (
            ExpectedAction::ResponseLevel(min),
            EventKind::ResponseLevelSet {
                incident: i,
                level: Some(l),
                ..
            },
        ) => {
            // 一级 is the highest level and sorts first.
            i == incident && l <= min
        }
        (
            ExpectedAction::Warning,
            EventKind::WarningSet {
                incident: i,
                colour: Some(_),
            },
        ) => i == incident,
        (ExpectedAction::ReserveSupplies(item), EventKind::SuppliesReserved(r)) => {
            &r.incident == incident && item.as_ref().is_none_or(|it| r.lines.contains_key(it))
        }
        _ => false,
    }
}
