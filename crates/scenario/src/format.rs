//! The scenario file as written (TOML), before validation. Every table
//! refuses unknown fields, and the values an organiser is likely to get
//! wrong keep their position (`Spanned`) so errors can name file and line.

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// A scenario file, or a base world file (which holds only world tables).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    /// Path of a shared base world file, relative to this one.
    pub base: Option<Spanned<String>>,
    /// Metadata.
    pub drill: Option<RawDrill>,
    /// Simulated field behaviour.
    pub field: Option<RawField>,
    /// Teams.
    #[serde(default, rename = "team")]
    pub teams: Vec<RawTeam>,
    /// Depots.
    #[serde(default, rename = "depot")]
    pub depots: Vec<RawDepot>,
    /// Hazard sources.
    #[serde(default, rename = "hazard")]
    pub hazards: Vec<RawHazard>,
    /// Shelters.
    #[serde(default, rename = "shelter")]
    pub shelters: Vec<RawShelter>,
    /// The master scenario events list (MSEL).
    #[serde(default, rename = "inject")]
    pub injects: Vec<RawInject>,
    /// Objectives.
    #[serde(default, rename = "objective")]
    pub objectives: Vec<RawObjective>,
    /// Expected actions.
    #[serde(default, rename = "expect")]
    pub expects: Vec<RawExpect>,
    /// Rating thresholds.
    pub evaluation: Option<RawEvaluation>,
    /// Organiser notes merged into the summary report.
    pub notes: Option<RawNotes>,
}

/// `[drill]`: what the drill is.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDrill {
    /// Title.
    pub title: String,
    /// 桌面 or 实战.
    pub kind: Spanned<String>,
    /// 单项 or 综合.
    pub scope: Spanned<String>,
    /// Purpose.
    pub purpose: String,
    /// Organising unit.
    pub organiser: String,
    /// Participating units.
    pub units: Vec<String>,
    /// Participating people (name and post).
    #[serde(default)]
    pub participants: Vec<String>,
    /// Region or place.
    pub region: String,
    /// Seed of the scenario's random choices.
    pub seed: u64,
    /// Wall-clock time of T+0, China Standard Time.
    pub start: Spanned<String>,
    /// Planned length at 1× ("mm:ss").
    pub duration: Spanned<String>,
    /// Scenario outline for the report.
    pub outline: String,
}

/// `[field]`: how simulated teams behave.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawField {
    /// Order → acknowledgement.
    pub ack_delay: Option<Spanned<String>>,
    /// Up to this much extra, drawn from the seed.
    pub ack_jitter: Option<Spanned<String>>,
    /// Acknowledgement → leaving.
    pub turnout: Option<Spanned<String>>,
    /// Interval between position fixes on the way.
    pub fix_every: Option<Spanned<String>>,
}

/// `[[team]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTeam {
    /// Id.
    pub id: Spanned<String>,
    /// Name.
    pub name: String,
    /// Kind, Chinese (e.g. 危化品救援队).
    pub kind: Spanned<String>,
    /// Tier (default 1).
    pub tier: Option<u8>,
    /// Capabilities, Chinese; empty means the kind's defaults.
    #[serde(default)]
    pub capabilities: Vec<Spanned<String>>,
    /// People.
    pub headcount: u32,
    /// Equipment lines.
    #[serde(default)]
    pub equipment: Vec<String>,
    /// Jurisdiction.
    pub jurisdiction: String,
    /// Home base [lat, lon].
    pub home: Spanned<[f64; 2]>,
    /// Radio ids.
    #[serde(default)]
    pub radio: Vec<String>,
    /// Overrides `[field].ack_delay` for this team.
    pub ack_delay: Option<Spanned<String>>,
}

/// `[[depot]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDepot {
    /// Id.
    pub id: Spanned<String>,
    /// Name.
    pub name: String,
    /// Owner.
    pub owner: String,
    /// [lat, lon].
    pub position: Spanned<[f64; 2]>,
    /// Jurisdiction.
    pub jurisdiction: String,
    /// Stock lines.
    #[serde(default)]
    pub stock: Vec<RawStock>,
}

/// `[[depot.stock]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStock {
    /// Item id.
    pub item: Spanned<String>,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// On hand.
    pub quantity: u64,
}

/// `[[hazard]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHazard {
    /// Id.
    pub id: Spanned<String>,
    /// Name.
    pub name: String,
    /// Kind, free text.
    pub kind: String,
    /// [lat, lon].
    pub position: Spanned<[f64; 2]>,
    /// 红 / 橙 / 黄 / 蓝.
    pub risk: Spanned<String>,
    /// Enterprise.
    pub enterprise: Option<String>,
    /// Jurisdiction.
    pub jurisdiction: String,
}

/// `[[shelter]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawShelter {
    /// Id.
    pub id: Spanned<String>,
    /// Name.
    pub name: String,
    /// [lat, lon].
    pub position: Spanned<[f64; 2]>,
    /// People.
    pub capacity: u32,
    /// Jurisdiction.
    pub jurisdiction: String,
}

/// Casualty figures in an inject.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCasualties {
    /// Deaths.
    #[serde(default)]
    pub deaths: u32,
    /// Serious injuries (incl. acute poisoning).
    #[serde(default)]
    pub serious_injuries: u32,
    /// Missing.
    #[serde(default)]
    pub missing: u32,
}

/// `[[inject]]`: one line of the MSEL.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInject {
    /// Number or id.
    pub id: Spanned<String>,
    /// Scenario time "T+mm:ss".
    pub at: Spanned<String>,
    /// incident_report, casualty_update, radio, team_breakdown,
    /// road_closure, weather_warning, secondary_event or notice.
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    /// Who speaks.
    pub from: String,
    /// Who it is for.
    pub to: String,
    /// How it arrives.
    pub method: String,
    /// What it says.
    pub text: String,
    /// Team it concerns (radio, team_breakdown).
    pub team: Option<Spanned<String>>,
    /// Incident it concerns (incident_report opens it).
    pub incident: Option<Spanned<String>>,
    /// incident_report: title.
    pub title: Option<String>,
    /// incident_report: sector, Chinese.
    pub sector: Option<Spanned<String>>,
    /// incident_report: [lat, lon].
    pub position: Option<Spanned<[f64; 2]>>,
    /// incident_report: address.
    pub address: Option<String>,
    /// incident_report: jurisdiction.
    pub jurisdiction: Option<String>,
    /// incident_report: enterprise.
    pub enterprise: Option<String>,
    /// incident_report: how long before the report it happened ("mm:ss").
    pub occurred_before: Option<Spanned<String>>,
    /// incident_report, casualty_update, secondary_event: figures (totals).
    pub casualties: Option<RawCasualties>,
    /// Direct loss estimate, yuan.
    pub loss_yuan: Option<u64>,
    /// Fire only if no team of this kind was ordered to `unless_incident` by `at`.
    pub unless_ordered_kind: Option<Spanned<String>>,
    /// Incident the condition looks at.
    pub unless_incident: Option<Spanned<String>>,
}

/// `[[objective]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawObjective {
    /// Id.
    pub id: Spanned<String>,
    /// Title.
    pub title: String,
    /// Overrides `[evaluation].thresholds` for this objective.
    pub thresholds: Option<RawThresholds>,
}

/// `[[expect]]`: an expected action.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    /// Id.
    pub id: Spanned<String>,
    /// Objective it counts for.
    pub objective: Spanned<String>,
    /// first_report, order_kind, on_scene, response_level, warning or reserve_supplies.
    pub action: Spanned<String>,
    /// What is expected, in words.
    pub title: String,
    /// Incident.
    pub incident: Spanned<String>,
    /// Inject the time is measured from (default: the incident's report).
    pub after: Option<Spanned<String>>,
    /// Allowed time.
    pub within: Spanned<String>,
    /// order_kind, on_scene: team kind.
    pub team_kind: Option<Spanned<String>>,
    /// response_level: at least this level.
    pub level: Option<Spanned<String>>,
    /// reserve_supplies: this item must be among the lines.
    pub item: Option<String>,
    /// Weight in the objective (default 1).
    pub weight: Option<f64>,
    /// Problem statement for the report when late or missed.
    pub problem: Option<String>,
    /// Likely cause for the report when late or missed.
    pub cause: Option<String>,
}

/// `[evaluation]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvaluation {
    /// Credit for a late action, 0–1 (default 0.5).
    pub late_credit: Option<f64>,
    /// Score thresholds.
    pub thresholds: Option<RawThresholds>,
}

/// Score thresholds of the four-level rating.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThresholds {
    /// At least this score: 无挑战完成.
    pub p: f64,
    /// At least this: 有一定挑战完成.
    pub s: f64,
    /// At least this: 有重大挑战完成; below: 未能完成.
    pub m: f64,
}

/// `[notes]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotes {
    /// Problems the organiser observed.
    #[serde(default)]
    pub problems: Vec<String>,
    /// Lessons.
    #[serde(default)]
    pub lessons: Vec<String>,
    /// Improvement proposals.
    #[serde(default)]
    pub proposals: Vec<String>,
}
