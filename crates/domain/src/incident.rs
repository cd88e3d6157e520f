//! Incidents (事件/事故): what happened, where, to whom, and how it is graded.

use crate::deadline::{ReportChannel, ReportKind};
use crate::geo::GeoPoint;
use crate::grade::{AccidentGrade, Casualties, ResponseLevel, WarningColour};
use crate::ids::{IncidentId, JurisdictionId, OrderId, UserId};
use crate::team::Capability;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Kind of incident by sector, covering the sectors in the source documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Sector {
    /// 危险化学品
    HazardousChemicals,
    /// 矿山 (coal and non-coal)
    Mine,
    /// 火灾
    Fire,
    /// 道路交通
    RoadTraffic,
    /// 隧道 (vehicle fire, dangerous-goods leak in a tunnel)
    Tunnel,
    /// 建筑施工
    Construction,
    /// 燃气
    Gas,
    /// 特种设备 (elevators, boilers, lifting)
    SpecialEquipment,
    /// 洪涝/城市内涝
    FloodWaterlogging,
    /// 地质灾害
    Geological,
    /// 人员密集场所
    CrowdedPlace,
    /// 电力设施
    PowerFacility,
    /// 地震
    Earthquake,
    /// 其他
    Other,
}

impl Sector {
    /// Every sector, in the order of the intake form.
    pub const ALL: [Sector; 14] = [
        Sector::HazardousChemicals,
        Sector::Mine,
        Sector::Fire,
        Sector::RoadTraffic,
        Sector::Tunnel,
        Sector::Construction,
        Sector::Gas,
        Sector::SpecialEquipment,
        Sector::FloodWaterlogging,
        Sector::Geological,
        Sector::CrowdedPlace,
        Sector::PowerFacility,
        Sector::Earthquake,
        Sector::Other,
    ];

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Sector::HazardousChemicals => "危险化学品",
            Sector::Mine => "矿山",
            Sector::Fire => "火灾",
            Sector::RoadTraffic => "道路交通",
            Sector::Tunnel => "隧道",
            Sector::Construction => "建筑施工",
            Sector::Gas => "燃气",
            Sector::SpecialEquipment => "特种设备",
            Sector::FloodWaterlogging => "洪涝内涝",
            Sector::Geological => "地质灾害",
            Sector::CrowdedPlace => "人员密集场所",
            Sector::PowerFacility => "电力设施",
            Sector::Earthquake => "地震",
            Sector::Other => "其他",
        }
    }

    /// Capabilities the first responding teams should bring.
    pub fn required_capabilities(self) -> &'static [Capability] {
        use Capability::*;
        match self {
            Sector::HazardousChemicals => &[HazmatResponse, GasDetection],
            Sector::Mine => &[MineRescue],
            Sector::Fire => &[FireSuppression],
            Sector::RoadTraffic => &[TechnicalRescue],
            Sector::Tunnel => &[FireSuppression, HazmatResponse],
            Sector::Construction => &[CollapseSearch],
            Sector::Gas => &[GasDetection],
            Sector::SpecialEquipment => &[TechnicalRescue],
            Sector::FloodWaterlogging => &[Drainage],
            Sector::Geological => &[CollapseSearch],
            Sector::CrowdedPlace => &[Evacuation],
            Sector::PowerFacility => &[PowerRepair],
            Sector::Earthquake => &[CollapseSearch],
            Sector::Other => &[],
        }
    }

    /// Whether late casualties must still be reported within 7 days rather
    /// than 30 (Art. 13: road traffic and fire).
    pub fn short_casualty_window(self) -> bool {
        matches!(self, Sector::RoadTraffic | Sector::Fire | Sector::Tunnel)
    }
}

/// How the duty room learned of the incident (接报来源).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IntakeSource {
    /// 电话
    Phone,
    /// 对讲机/电台
    Radio,
    /// 12350 举报热线
    Hotline12350,
    /// 传感器报警
    SensorAlarm,
    /// 上级转办
    HigherLevel,
    /// 下级上报
    LowerLevel,
}

/// Lifecycle of an incident in the duty room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IncidentStatus {
    /// Received, not yet acted on.
    Reported,
    /// At least one order issued.
    Responding,
    /// Closed: rescue over, final report done or not needed.
    Closed,
}

/// A report filed upward about an incident (首报/续报/终报/补报).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiledReport {
    /// Which report it was.
    pub kind: ReportKind,
    /// By phone or written.
    pub channel: ReportChannel,
    /// Administrative level it went to.
    pub to_level: crate::deadline::AdminLevel,
    /// When it went out.
    pub filed_at: Timestamp,
    /// Who sent it.
    pub by: UserId,
    /// Summary text as sent.
    pub summary: String,
}

/// An incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Identifier.
    pub id: IncidentId,
    /// Short title, e.g. "德惠化工园区液氨泄漏".
    pub title: String,
    /// Sector.
    pub sector: Sector,
    /// Where (WGS-84).
    pub position: GeoPoint,
    /// Address as the caller gave it, kept verbatim.
    pub address: String,
    /// Jurisdiction.
    pub jurisdiction: JurisdictionId,
    /// Enterprise involved, if any.
    pub enterprise: Option<String>,
    /// How it came in.
    pub source: IntakeSource,
    /// When it happened (as far as known).
    pub occurred_at: Timestamp,
    /// When the duty room received the report.
    pub reported_at: Timestamp,
    /// Caller and call-back number, as given.
    pub caller: String,
    /// People harmed.
    pub casualties: Casualties,
    /// Estimated direct economic loss in yuan.
    pub direct_loss_yuan: u64,
    /// Accident grade, computed from casualties and loss.
    pub grade: AccidentGrade,
    /// When casualties or loss last changed (for supplementary reports).
    pub casualties_changed_at: Option<Timestamp>,
    /// Response level in force, if started (一级 … 四级).
    pub response_level: Option<ResponseLevel>,
    /// What the commander recorded with the level in force.
    #[serde(default)]
    pub response_detail: Option<crate::duty::ResponseDetail>,
    /// Response level the officer suggested at intake.
    pub suggested_response_level: Option<ResponseLevel>,
    /// Warning colour in force, if any.
    pub warning: Option<WarningColour>,
    /// Lifecycle status.
    pub status: IncidentStatus,
    /// Reports filed, in order.
    pub reports: Vec<FiledReport>,
    /// Orders issued for it, in order.
    pub orders: Vec<OrderId>,
}
