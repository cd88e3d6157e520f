//! Tunable rules as data. They live in the state (changed by a logged
//! command), so a replay uses exactly the rules that were in force.

use crate::deadline::ReportingRuleBook;
use crate::geo::GeoPoint;
use crate::grade::GradeThresholds;
use crate::ids::JurisdictionId;
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
    /// Jurisdiction areas; when any are set, a new incident must lie inside
    /// the one it is filed under.
    #[serde(default)]
    pub jurisdictions: BTreeMap<JurisdictionId, Jurisdiction>,
}

/// A jurisdiction's name and area (a simple polygon, WGS-84).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Jurisdiction {
    /// Display name, e.g. "德惠市".
    pub name: String,
    /// Boundary ring; the last point joins the first.
    pub area: Vec<GeoPoint>,
}

impl Jurisdiction {
    /// Whether `p` lies inside the area.
    pub fn contains(&self, p: GeoPoint) -> bool {
        use geo::Contains;
        let ring: Vec<geo::Coord> = self
            .area
            .iter()
            .map(|q| geo::coord! { x: q.lon, y: q.lat })
            .collect();
        geo::Polygon::new(geo::LineString::new(ring), vec![])
            .contains(&geo::Point::new(p.lon, p.lat))
    }
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
            jurisdictions: BTreeMap::new(),
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

/// The jurisdiction whose area holds `p`, if any.
pub fn jurisdiction_at(rules: &Rules, p: GeoPoint) -> Option<&JurisdictionId> {
    rules
        .jurisdictions
        .iter()
        .find(|(_, j)| j.contains(p))
        .map(|(id, _)| id)
}
