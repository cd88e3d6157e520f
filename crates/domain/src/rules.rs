//! Tunable rules as data. They live in the state (changed by a logged
//! command), so a replay uses exactly the rules that were in force.

use crate::deadline::ReportingRuleBook;
use crate::grade::GradeThresholds;
use crate::team::{FixSource, TeamKind};
use crate::time::{MINUTE, Millis};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// All rules the decision core follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    /// Accident grade thresholds (Art. 3).
    pub grades: GradeThresholds,
    /// Reporting deadlines, per jurisdiction.
    pub reporting: ReportingRuleBook,
    /// Typical travel speed per team kind, km/h (over great-circle distance).
    pub speed_kmh: BTreeMap<TeamKind, f64>,
    /// A fix older than this (per source) is stale.
    pub staleness: BTreeMap<FixSource, Millis>,
    /// Added to the ETA of a team whose position is stale or unknown.
    pub stale_penalty: Millis,
    /// An order not acknowledged this long after issue times out.
    pub ack_timeout: Millis,
    /// Orders within this window count as a team's current workload.
    pub workload_window: Millis,
}

impl Default for Rules {
    fn default() -> Self {
        use TeamKind::*;
        let speed_kmh = [
            (ComprehensiveFireRescue, 40.0),
            (GovernmentFullTimeFire, 40.0),
            (EnterpriseFire, 35.0),
            (MicroFireStation, 25.0),
            (VillageVolunteer, 20.0),
            (MineRescue, 45.0),
            (Hazchem, 40.0),
            (Medical, 45.0),
            (Earthquake, 40.0),
            (PowerGrid, 40.0),
            (DrainageFlood, 30.0),
            (CivilNgo, 30.0),
        ]
        .into_iter()
        .collect();
        let staleness = [
            (FixSource::Nmea, 2 * MINUTE),
            (FixSource::Gpsd, 2 * MINUTE),
            (FixSource::Aprs, 10 * MINUTE),
            (FixSource::CursorOnTarget, 5 * MINUTE),
            (FixSource::Manual, 30 * MINUTE),
            (FixSource::Simulated, 2 * MINUTE),
        ]
        .into_iter()
        .collect();
        Self {
            grades: GradeThresholds::default(),
            reporting: ReportingRuleBook::default(),
            speed_kmh,
            staleness,
            stale_penalty: 10 * MINUTE,
            ack_timeout: 3 * MINUTE,
            workload_window: 12 * 60 * MINUTE,
        }
    }
}

impl Rules {
    /// Travel speed for a kind, in metres per second.
    pub fn speed_mps(&self, kind: TeamKind) -> f64 {
        self.speed_kmh.get(&kind).copied().unwrap_or(30.0) / 3.6
    }

    /// Staleness limit for a source.
    pub fn staleness_of(&self, source: FixSource) -> Millis {
        self.staleness.get(&source).copied().unwrap_or(5 * MINUTE)
    }
}
