//! Team recommendation for an incident: which available teams to send first,
//! with reasons a duty officer can read and check.
//!
//! Ranking, all integer keys so the order is the same everywhere:
//! 1. fewest missing required capabilities,
//! 2. shortest estimated travel time (great-circle distance / typical speed
//!    of the kind, plus a penalty when the position is stale or unknown),
//! 3. lightest recent workload,
//! 4. team id.

use crate::geo::GeoPoint;
use crate::ids::{IncidentId, TeamId};
use crate::state::State;
use crate::team::{Capability, Team, TeamStatus};
use crate::time::{Millis, Timestamp, human_duration};
use serde::{Deserialize, Serialize};

/// Why a candidate ranks where it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reason {
    /// Brings these required capabilities.
    Brings(Vec<Capability>),
    /// Lacks these required capabilities.
    Lacks(Vec<Capability>),
    /// Distance and estimated travel time.
    Travel {
        /// Great-circle distance, metres.
        distance_m: u64,
        /// Estimated travel time.
        eta: Millis,
    },
    /// Last fix is older than its source allows; position uncertain.
    StaleFix {
        /// Age of the fix.
        age: Millis,
    },
    /// No fix; assumed at home base.
    NoFix,
    /// Orders handled recently.
    RecentOrders(u32),
}

impl Reason {
    /// The reason in Chinese, as shown on the console.
    pub fn zh(&self) -> String {
        let caps = |c: &[Capability]| c.iter().map(|c| c.zh()).collect::<Vec<_>>().join("、");
        match self {
            Reason::Brings(c) => format!("具备{}", caps(c)),
            Reason::Lacks(c) => format!("缺少{}", caps(c)),
            Reason::Travel { distance_m, eta } => format!(
                "距离{:.1}公里，预计{}到达",
                *distance_m as f64 / 1000.0,
                human_duration(*eta)
            ),
            Reason::StaleFix { age } => {
                format!("定位已过时（{}前），位置不确定", human_duration(*age))
            }
            Reason::NoFix => "无定位，按驻地估算".into(),
            Reason::RecentOrders(n) => format!("近期已执行{n}次任务"),
        }
    }
}

/// One ranked team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Team.
    pub team: TeamId,
    /// 1-based rank.
    pub rank: u32,
    /// Required capabilities the team lacks.
    pub missing: u32,
    /// Estimated time to arrive, including any staleness penalty.
    pub eta: Millis,
    /// Great-circle distance, metres.
    pub distance_m: u64,
    /// Age of the last fix, if any.
    pub fix_age: Option<Millis>,
    /// Orders in the workload window.
    pub workload: u32,
    /// Reasons, in words.
    pub reasons: Vec<Reason>,
}

/// Ranks the available teams for an incident at `now`. Empty if the incident
/// is unknown or no team is available.
pub fn recommend(state: &State, incident: &IncidentId, now: Timestamp) -> Vec<Candidate> {
    let Some(inc) = state.incidents.get(incident) else {
        return Vec::new();
    };
    let required = inc.sector.required_capabilities();
    let mut out: Vec<Candidate> = state
        .teams
        .values()
        .filter(|t| t.status == TeamStatus::Available)
        .map(|t| candidate(state, t, required, inc.position, now))
        .collect();
    out.sort_by(|a, b| {
        (a.missing, a.eta, a.workload, &a.team).cmp(&(b.missing, b.eta, b.workload, &b.team))
    });
    for (i, c) in out.iter_mut().enumerate() {
        c.rank = i as u32 + 1;
    }
    out
}

fn candidate(
    state: &State,
    team: &Team,
    required: &[Capability],
    target: GeoPoint,
    now: Timestamp,
) -> Candidate {
    let rules = &state.rules;
    let has = team.effective_capabilities();
    let (brings, lacks): (Vec<Capability>, Vec<Capability>) =
        required.iter().partition(|c| has.contains(c));

    let missing = lacks.len() as u32;

    let (from, fix_age, fix_reason) = match &team.last_fix {
        Some(fix) => {
            let age = now.since(fix.taken_at).max(0);
            let stale = age > rules.staleness_of(fix.source);
            (
                fix.position,
                Some(age),
                stale.then_some(Reason::StaleFix { age }),
            )
        }
        None => (team.home, None, Some(Reason::NoFix)),
    };
    let distance = from.distance_m(&target);
    let travel = (distance / rules.speed_mps(team.kind) * 1000.0).round() as Millis;
    let eta = travel
        + if fix_reason.is_some() {
            rules.stale_penalty
        } else {
            0
        };
    let distance_m = distance.round() as u64;

    let workload = state
        .orders
        .values()
        .filter(|o| o.team == team.id && now.since(o.issued_at) <= rules.workload_window)
        .count() as u32;

    let mut reasons = Vec::new();
    if !brings.is_empty() {
        reasons.push(Reason::Brings(brings));
    }
    if !lacks.is_empty() {
        reasons.push(Reason::Lacks(lacks));
    }
    reasons.push(Reason::Travel { distance_m, eta });
    reasons.extend(fix_reason);
    if workload > 0 {
        reasons.push(Reason::RecentOrders(workload));
    }

    Candidate {
        team: team.id.clone(),
        rank: 0,
        missing,
        eta,
        distance_m,
        fix_age,
        workload,
        reasons,
    }
}
