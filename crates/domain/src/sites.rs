//! Fixed places and people: hazard sources, shelters and the duty roster.

use crate::geo::GeoPoint;
use crate::ids::{HazardId, JurisdictionId, ShelterId, UserId};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Risk colour of a hazard source (红橙黄蓝 four-colour risk map).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RiskColour {
    /// 重大风险
    Red,
    /// 较大风险
    Orange,
    /// 一般风险
    Yellow,
    /// 低风险
    Blue,
}

impl RiskColour {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            RiskColour::Red => "红色·重大风险",
            RiskColour::Orange => "橙色·较大风险",
            RiskColour::Yellow => "黄色·一般风险",
            RiskColour::Blue => "蓝色·低风险",
        }
    }
}

/// A major hazard source (重大危险源) or other monitored risk point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HazardSource {
    /// Identifier.
    pub id: HazardId,
    /// Name.
    pub name: String,
    /// Kind, e.g. "储罐区", "尾矿库", "易涝点", "燃气管线高后果区".
    pub kind: String,
    /// Where it is.
    pub position: GeoPoint,
    /// Risk colour.
    pub risk: RiskColour,
    /// Owning enterprise, if any.
    pub enterprise: Option<String>,
    /// Jurisdiction.
    pub jurisdiction: JurisdictionId,
}

/// An emergency shelter (应急避难场所).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shelter {
    /// Identifier.
    pub id: ShelterId,
    /// Name.
    pub name: String,
    /// Where it is.
    pub position: GeoPoint,
    /// People it can hold.
    pub capacity: u32,
    /// Jurisdiction.
    pub jurisdiction: JurisdictionId,
}

/// One shift of the duty roster (值班表).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    /// Start of the shift.
    pub starts_at: Timestamp,
    /// End of the shift.
    pub ends_at: Timestamp,
    /// 带班领导
    pub leader: UserId,
    /// 值班员 (one or two)
    pub officers: Vec<UserId>,
    /// Handover notes left by the outgoing shift.
    pub handover_notes: String,
}

/// The duty roster: shifts in order of start time.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DutyRoster {
    /// Shifts, sorted by `starts_at`, not overlapping.
    pub shifts: Vec<Shift>,
}

impl DutyRoster {
    /// The shift on duty at `t`, if any.
    pub fn on_duty(&self, t: Timestamp) -> Option<&Shift> {
        self.shifts
            .iter()
            .find(|s| s.starts_at <= t && t < s.ends_at)
    }
}
