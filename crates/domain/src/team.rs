//! Rescue teams (救援队伍), their capabilities, status and last position fix.

use crate::geo::GeoPoint;
use crate::ids::{JurisdictionId, OrderId, TeamId};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The kinds of rescue force named in the domain brief.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TeamKind {
    /// 综合性消防救援队伍
    ComprehensiveFireRescue,
    /// 政府专职消防队
    GovernmentFullTimeFire,
    /// 企业专职消防队
    EnterpriseFire,
    /// 微型消防站
    MicroFireStation,
    /// 村级志愿救援队
    VillageVolunteer,
    /// 矿山救护队
    MineRescue,
    /// 危险化学品救援队
    Hazchem,
    /// 医疗救护 (急救中心)
    Medical,
    /// 地震救援队
    Earthquake,
    /// 电力抢修队
    PowerGrid,
    /// 排涝/防汛抢险队
    DrainageFlood,
    /// 社会救援力量 (e.g. 蓝天救援队)
    CivilNgo,
}

impl TeamKind {
    /// Every kind, in display order.
    pub const ALL: [TeamKind; 12] = [
        TeamKind::ComprehensiveFireRescue,
        TeamKind::GovernmentFullTimeFire,
        TeamKind::EnterpriseFire,
        TeamKind::MicroFireStation,
        TeamKind::VillageVolunteer,
        TeamKind::MineRescue,
        TeamKind::Hazchem,
        TeamKind::Medical,
        TeamKind::Earthquake,
        TeamKind::PowerGrid,
        TeamKind::DrainageFlood,
        TeamKind::CivilNgo,
    ];

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            TeamKind::ComprehensiveFireRescue => "综合性消防救援队伍",
            TeamKind::GovernmentFullTimeFire => "政府专职消防队",
            TeamKind::EnterpriseFire => "企业专职消防队",
            TeamKind::MicroFireStation => "微型消防站",
            TeamKind::VillageVolunteer => "村级志愿救援队",
            TeamKind::MineRescue => "矿山救护队",
            TeamKind::Hazchem => "危化品救援队",
            TeamKind::Medical => "医疗救护队",
            TeamKind::Earthquake => "地震救援队",
            TeamKind::PowerGrid => "电力抢修队",
            TeamKind::DrainageFlood => "排涝抢险队",
            TeamKind::CivilNgo => "社会救援力量",
        }
    }

    /// What a team of this kind can usually do, when its record lists nothing.
    pub fn default_capabilities(self) -> &'static [Capability] {
        use Capability::*;
        match self {
            TeamKind::ComprehensiveFireRescue => &[
                FireSuppression,
                HazmatResponse,
                TechnicalRescue,
                WaterRescue,
                CollapseSearch,
                Evacuation,
            ],
            TeamKind::GovernmentFullTimeFire | TeamKind::EnterpriseFire => {
                &[FireSuppression, TechnicalRescue, Evacuation]
            }
            TeamKind::MicroFireStation => &[FireSuppression, Evacuation],
            TeamKind::VillageVolunteer => &[Evacuation, FireSuppression],
            TeamKind::MineRescue => &[MineRescue, CollapseSearch, GasDetection],
            TeamKind::Hazchem => &[HazmatResponse, GasDetection, Decontamination],
            TeamKind::Medical => &[MedicalCare],
            TeamKind::Earthquake => &[CollapseSearch, TechnicalRescue],
            TeamKind::PowerGrid => &[PowerRepair],
            TeamKind::DrainageFlood => &[Drainage, WaterRescue],
            TeamKind::CivilNgo => &[WaterRescue, CollapseSearch, Evacuation],
        }
    }
}

/// What a team can do; incidents require some of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Capability {
    /// 灭火
    FireSuppression,
    /// 危化品处置
    HazmatResponse,
    /// 洗消
    Decontamination,
    /// 气体侦检
    GasDetection,
    /// 矿山救护
    MineRescue,
    /// 坍塌搜救
    CollapseSearch,
    /// 技术救援 (破拆、高空、电梯)
    TechnicalRescue,
    /// 水域救援
    WaterRescue,
    /// 排涝
    Drainage,
    /// 医疗救护
    MedicalCare,
    /// 电力抢修
    PowerRepair,
    /// 人员疏散
    Evacuation,
}

impl Capability {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Capability::FireSuppression => "灭火",
            Capability::HazmatResponse => "危化品处置",
            Capability::Decontamination => "洗消",
            Capability::GasDetection => "气体侦检",
            Capability::MineRescue => "矿山救护",
            Capability::CollapseSearch => "坍塌搜救",
            Capability::TechnicalRescue => "技术救援",
            Capability::WaterRescue => "水域救援",
            Capability::Drainage => "排涝",
            Capability::MedicalCare => "医疗救护",
            Capability::PowerRepair => "电力抢修",
            Capability::Evacuation => "人员疏散",
        }
    }
}

/// Where a position fix came from; each source has its own staleness limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FixSource {
    /// NMEA 0183 from a GPS/BeiDou receiver.
    Nmea,
    /// gpsd JSON.
    Gpsd,
    /// APRS position report via a TNC.
    Aprs,
    /// Cursor-on-Target from a TAK client.
    CursorOnTarget,
    /// Entered by an officer (e.g. from a phone call).
    Manual,
    /// Produced by a drill scenario's simulated field behaviour.
    Simulated,
}

impl FixSource {
    /// Which source wins when a team carries several devices: a vehicle's
    /// GNSS receiver (NMEA, gpsd) over a TAK phone, over an APRS handheld,
    /// over a position an officer typed in. Simulated positions (drills,
    /// the demo) rank with a receiver, being the only source there.
    pub fn rank(self) -> u8 {
        match self {
            FixSource::Nmea | FixSource::Gpsd | FixSource::Simulated => 4,
            FixSource::CursorOnTarget => 3,
            FixSource::Aprs => 2,
            FixSource::Manual => 1,
        }
    }
}

/// A position fix of a team.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    /// Where the team was.
    pub position: GeoPoint,
    /// Horizontal accuracy in metres (1-sigma), if the source says.
    pub accuracy_m: Option<f32>,
    /// Source of the fix.
    pub source: FixSource,
    /// When the fix was taken (device time).
    pub taken_at: Timestamp,
}

/// Duty status of a team as the duty room sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TeamStatus {
    /// 待命: can be dispatched.
    Available,
    /// 已派遣: an order is out and not yet acted on.
    Assigned(OrderId),
    /// 出动途中
    EnRoute(OrderId),
    /// 到场处置
    OnScene(OrderId),
    /// 返回途中: released, on the way home; can be re-tasked only after available.
    Returning(OrderId),
    /// 不可用 (maintenance, training, breakdown), with the reason.
    OutOfService(String),
}

impl TeamStatus {
    /// The active order, if the team is working on one.
    pub fn order(&self) -> Option<&OrderId> {
        match self {
            TeamStatus::Assigned(o)
            | TeamStatus::EnRoute(o)
            | TeamStatus::OnScene(o)
            | TeamStatus::Returning(o) => Some(o),
            TeamStatus::Available | TeamStatus::OutOfService(_) => None,
        }
    }

    /// Chinese label.
    pub fn zh(&self) -> &'static str {
        match self {
            TeamStatus::Available => "待命",
            TeamStatus::Assigned(_) => "已派遣",
            TeamStatus::EnRoute(_) => "出动途中",
            TeamStatus::OnScene(_) => "到场处置",
            TeamStatus::Returning(_) => "返回途中",
            TeamStatus::OutOfService(_) => "不可用",
        }
    }
}

/// A rescue team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    /// Identifier.
    pub id: TeamId,
    /// Display name (Chinese).
    pub name: String,
    /// Kind of force.
    pub kind: TeamKind,
    /// Tier, 1 = city-level backbone, larger numbers for local forces.
    pub tier: u8,
    /// What it can do; empty means the kind's defaults.
    pub capabilities: Vec<Capability>,
    /// People on strength.
    pub headcount: u32,
    /// Equipment carried, free text per item (e.g. "泡沫消防车 2").
    pub equipment: Vec<String>,
    /// Jurisdiction it belongs to.
    pub jurisdiction: JurisdictionId,
    /// Home base.
    pub home: GeoPoint,
    /// Radio ids, callsigns or CoT uids that belong to the team.
    pub radio_ids: Vec<String>,
    /// Duty status.
    pub status: TeamStatus,
    /// Last position fix, if any.
    pub last_fix: Option<Fix>,
    /// An open request for support from the team (需要支援), if any.
    #[serde(default)]
    pub support: Option<SupportRequest>,
}

impl Team {
    /// The capabilities that count for matching.
    pub fn effective_capabilities(&self) -> &[Capability] {
        if self.capabilities.is_empty() {
            self.kind.default_capabilities()
        } else {
            &self.capabilities
        }
    }
}

/// A team's request for support, as reported from the field or logged by
/// an officer on the team's behalf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportRequest {
    /// What the team needs, in its words.
    pub what: String,
    /// When it asked.
    pub at: Timestamp,
}
