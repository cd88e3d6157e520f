//! A validated scenario: domain types, times as offsets from T+0.

use domain::command::IncidentIntake;
use domain::{
    Casualties, Depot, HazardSource, IncidentId, ItemId, Millis, ResponseLevel, Shelter, Team,
    TeamId, TeamKind, Timestamp,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// 桌面 (tabletop) or 实战 (live, field forces move).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DrillKind {
    /// 桌面演练
    Tabletop,
    /// 实战演练
    Live,
}

impl DrillKind {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            DrillKind::Tabletop => "桌面演练",
            DrillKind::Live => "实战演练",
        }
    }
}

/// 单项 (single function) or 综合 (comprehensive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DrillScope {
    /// 单项演练
    Single,
    /// 综合演练
    Comprehensive,
}

impl DrillScope {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            DrillScope::Single => "单项演练",
            DrillScope::Comprehensive => "综合演练",
        }
    }
}

/// What the drill is.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    /// Title.
    pub title: String,
    /// Tabletop or live.
    pub kind: DrillKind,
    /// Single or comprehensive.
    pub scope: DrillScope,
    /// Purpose.
    pub purpose: String,
    /// Organiser.
    pub organiser: String,
    /// Participating units.
    pub units: Vec<String>,
    /// Participating people.
    pub participants: Vec<String>,
    /// Region.
    pub region: String,
    /// Seed.
    pub seed: u64,
    /// T+0.
    pub start: Timestamp,
    /// Planned length.
    pub duration: Millis,
    /// Outline.
    pub outline: String,
}

/// How simulated teams answer and move.
#[derive(Debug, Clone, Serialize)]
pub struct FieldBehaviour {
    /// Order → acknowledgement.
    pub ack_delay: Millis,
    /// Extra delay drawn in `[0, ack_jitter]`.
    pub ack_jitter: Millis,
    /// Acknowledgement → en route.
    pub turnout: Millis,
    /// Fix interval on the way.
    pub fix_every: Millis,
    /// Per-team acknowledgement delay.
    pub team_ack_delay: BTreeMap<TeamId, Millis>,
}

/// What an inject does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum InjectKind {
    /// A new incident is reported (the incident is opened).
    IncidentReport,
    /// New casualty figures.
    CasualtyUpdate,
    /// A radio call.
    Radio,
    /// A team breaks down and goes out of service.
    TeamBreakdown,
    /// A road is closed.
    RoadClosure,
    /// A weather warning.
    WeatherWarning,
    /// A secondary event (figures may change).
    SecondaryEvent,
    /// Anything else.
    Notice,
}

impl InjectKind {
    /// Every kind with its name in the file.
    pub const NAMES: [(&'static str, InjectKind); 8] = [
        ("incident_report", InjectKind::IncidentReport),
        ("casualty_update", InjectKind::CasualtyUpdate),
        ("radio", InjectKind::Radio),
        ("team_breakdown", InjectKind::TeamBreakdown),
        ("road_closure", InjectKind::RoadClosure),
        ("weather_warning", InjectKind::WeatherWarning),
        ("secondary_event", InjectKind::SecondaryEvent),
        ("notice", InjectKind::Notice),
    ];

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            InjectKind::IncidentReport => "事件报告",
            InjectKind::CasualtyUpdate => "伤亡更新",
            InjectKind::Radio => "无线电通话",
            InjectKind::TeamBreakdown => "队伍故障",
            InjectKind::RoadClosure => "道路封闭",
            InjectKind::WeatherWarning => "气象预警",
            InjectKind::SecondaryEvent => "次生事件",
            InjectKind::Notice => "通知",
        }
    }
}

/// One MSEL line.
#[derive(Debug, Clone, Serialize)]
pub struct Inject {
    /// Id.
    pub id: String,
    /// Scenario time.
    pub at: Millis,
    /// Kind.
    pub kind: InjectKind,
    /// Speaker.
    pub from: String,
    /// Addressee.
    pub to: String,
    /// Delivery method.
    pub method: String,
    /// Text.
    pub text: String,
    /// Team concerned.
    pub team: Option<TeamId>,
    /// Incident concerned.
    pub incident: Option<IncidentId>,
    /// For incident reports: the intake (reported_at is filled in when fired).
    pub intake: Option<Box<IncidentIntake>>,
    /// How long before the report it happened.
    pub occurred_before: Millis,
    /// New figures and loss.
    pub casualties: Option<(Casualties, u64)>,
    /// Fire only if no team of this kind was ordered to this incident by `at`.
    pub unless_ordered: Option<(TeamKind, IncidentId)>,
}

/// An objective.
#[derive(Debug, Clone, Serialize)]
pub struct Objective {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Thresholds.
    pub thresholds: Thresholds,
}

/// Score thresholds of the four-level rating.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// 无挑战完成 from here.
    pub p: f64,
    /// 有一定挑战完成 from here.
    pub s: f64,
    /// 有重大挑战完成 from here.
    pub m: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            p: 0.9,
            s: 0.7,
            m: 0.4,
        }
    }
}

/// What the players are expected to do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ExpectedAction {
    /// File the first report (首报).
    FirstReport,
    /// Order a team of this kind to the incident.
    OrderKind(TeamKind),
    /// A team of this kind on scene.
    OnScene(TeamKind),
    /// Start a response level at least this high.
    ResponseLevel(ResponseLevel),
    /// Record a warning colour.
    Warning,
    /// Reserve supplies (this item, if named).
    ReserveSupplies(Option<ItemId>),
}

/// An expected action with its time limit.
#[derive(Debug, Clone, Serialize)]
pub struct Expect {
    /// Id.
    pub id: String,
    /// Objective.
    pub objective: String,
    /// Action.
    pub action: ExpectedAction,
    /// In words.
    pub title: String,
    /// Incident.
    pub incident: IncidentId,
    /// Measured from this inject.
    pub after: String,
    /// Allowed time.
    pub within: Millis,
    /// Weight.
    pub weight: f64,
    /// Problem text when late or missed.
    pub problem: Option<String>,
    /// Cause text when late or missed.
    pub cause: Option<String>,
}

/// Organiser notes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Notes {
    /// Problems.
    pub problems: Vec<String>,
    /// Lessons.
    pub lessons: Vec<String>,
    /// Proposals.
    pub proposals: Vec<String>,
}

/// A validated scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    /// File it came from.
    pub file: String,
    /// Metadata.
    pub meta: Meta,
    /// Field behaviour.
    pub field: FieldBehaviour,
    /// Teams (base first).
    pub teams: Vec<Team>,
    /// Depots.
    pub depots: Vec<Depot>,
    /// Hazard sources.
    pub hazards: Vec<HazardSource>,
    /// Shelters.
    pub shelters: Vec<Shelter>,
    /// MSEL, in time order.
    pub injects: Vec<Inject>,
    /// Objectives.
    pub objectives: Vec<Objective>,
    /// Expected actions.
    pub expects: Vec<Expect>,
    /// Credit for a late action.
    pub late_credit: f64,
    /// Organiser notes.
    pub notes: Notes,
}

impl Scenario {
    /// Wall time of a scenario offset.
    pub fn at(&self, offset: Millis) -> Timestamp {
        self.meta.start.plus(offset)
    }

    /// A team by id.
    pub fn team(&self, id: &TeamId) -> Option<&Team> {
        self.teams.iter().find(|t| &t.id == id)
    }
}
