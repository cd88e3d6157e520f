//! Parsing and validation: TOML text → [`Scenario`], or errors that name
//! file, line, column and field. Reading files is the caller's job; a base
//! world file is fetched through the `read_base` function handed in.

use crate::format::*;
use crate::model::*;
use domain::command::IncidentIntake;
use domain::{
    Capability, Casualties, Depot, GeoPoint, HazardSource, IncidentId, IntakeSource, ItemId,
    JurisdictionId, Millis, ResponseLevel, RiskColour, Sector, Shelter, ShelterId, StockLine, Team,
    TeamId, TeamKind, TeamStatus, Timestamp,
};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use toml::Spanned;

/// One problem in a scenario or playbook file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// File name as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// Field, e.g. `inject[3].team`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.column, self.field, self.message
        )
    }
}

/// Every problem found in a file (validation does not stop at the first).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioErrors(pub Vec<ScenarioError>);

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Collects errors against one file's text.
pub(crate) struct Sink<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub errors: Vec<ScenarioError>,
}

impl<'a> Sink<'a> {
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Sink {
            file,
            text,
            errors: Vec::new(),
        }
    }

    pub fn at(&mut self, span: Range<usize>, field: impl Into<String>, msg: impl Into<String>) {
        let (line, column) = line_col(self.text, span.start);
        self.errors.push(ScenarioError {
            file: self.file.to_owned(),
            line,
            column,
            field: field.into(),
            message: msg.into(),
        });
    }

    /// A TOML or serde error (syntax, unknown or missing field, wrong type).
    pub fn toml(&mut self, e: &toml::de::Error) {
        let span = e.span().unwrap_or(0..0);
        let msg = e.message().trim().to_owned();
        let field = backticked(&msg, "unknown field `")
            .or_else(|| backticked(&msg, "missing field `"))
            .or_else(|| key_on_line(self.text, span.start))
            .unwrap_or_else(|| "(file)".into());
        let field = match table_path(self.text, span.start) {
            Some(t) => format!("{t}.{field}"),
            None => field,
        };
        self.at(span, field, msg);
    }

    pub fn finish<T>(self, value: T) -> Result<T, ScenarioErrors> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(ScenarioErrors(self.errors))
        }
    }
}

fn backticked(msg: &str, prefix: &str) -> Option<String> {
    let rest = &msg[msg.find(prefix)? + prefix.len()..];
    Some(rest[..rest.find('`')?].to_owned())
}

/// The table an offset lies in, as `inject[3]` (0-based, in file order) or `drill`.
fn table_path(text: &str, offset: usize) -> Option<String> {
    let before = &text[..text.floor_char_boundary(offset.min(text.len()))];
    let header = before
        .lines()
        .map(str::trim)
        .rfind(|l| l.starts_with('['))?;
    let name = header.trim_matches(|c| c == '[' || c == ']').trim();
    if header.starts_with("[[") {
        let index = before.lines().filter(|l| l.trim() == header).count() - 1;
        Some(format!("{name}[{index}]"))
    } else {
        Some(name.to_owned())
    }
}

/// The key written before `=` on the line of `offset`, if any.
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let offset = text.floor_char_boundary(offset.min(text.len()));
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next()?;
    let key = line.split_once('=')?.0.trim();
    (!key.is_empty()).then(|| key.to_owned())
}

/// Parses a scenario offset: "T+mm:ss", "mm:ss" or "h:mm:ss".
pub fn parse_offset(text: &str) -> Result<Millis, String> {
    let t = text.trim();
    let t = t.strip_prefix("T").unwrap_or(t);
    if t.starts_with('-') {
        return Err(format!("{text:?} lies before T+0 (in the past)"));
    }
    let t = t.strip_prefix('+').unwrap_or(t);
    let parts: Vec<&str> = t.split(':').collect();
    let nums: Option<Vec<i64>> = parts.iter().map(|p| p.parse::<i64>().ok()).collect();
    let bad = || format!("{text:?} is not a time like \"T+05:30\" or \"1:05:30\"");
    let nums = nums.ok_or_else(bad)?;
    let secs = match nums.as_slice() {
        [m, s] if *s < 60 => m * 60 + s,
        [h, m, s] if *m < 60 && *s < 60 => h * 3600 + m * 60 + s,
        _ => return Err(bad()),
    };
    if secs < 0 {
        return Err(bad());
    }
    Ok(secs * 1000)
}

fn offset(sink: &mut Sink, v: &Spanned<String>, field: &str) -> Millis {
    parse_offset(v.get_ref()).unwrap_or_else(|m| {
        sink.at(v.span(), field, m);
        0
    })
}

fn team_kind(s: &str) -> Option<TeamKind> {
    TeamKind::ALL.into_iter().find(|k| k.zh() == s)
}

fn sector(s: &str) -> Option<Sector> {
    Sector::ALL.into_iter().find(|k| k.zh() == s)
}

const CAPABILITIES: [Capability; 12] = [
    Capability::FireSuppression,
    Capability::HazmatResponse,
    Capability::Decontamination,
    Capability::GasDetection,
    Capability::MineRescue,
    Capability::CollapseSearch,
    Capability::TechnicalRescue,
    Capability::WaterRescue,
    Capability::Drainage,
    Capability::MedicalCare,
    Capability::PowerRepair,
    Capability::Evacuation,
];

fn response_level(s: &str) -> Option<ResponseLevel> {
    [
        ResponseLevel::I,
        ResponseLevel::II,
        ResponseLevel::III,
        ResponseLevel::IV,
    ]
    .into_iter()
    .find(|l| l.zh() == s || l.zh().trim_end_matches("响应") == s)
}

fn lookup<T>(
    sink: &mut Sink,
    v: &Spanned<String>,
    field: &str,
    f: impl Fn(&str) -> Option<T>,
    choices: &[&str],
) -> Option<T> {
    let r = f(v.get_ref());
    if r.is_none() {
        sink.at(
            v.span(),
            field,
            format!("{:?} is not one of: {}", v.get_ref(), choices.join("、")),
        );
    }
    r
}

fn point(sink: &mut Sink, v: &Spanned<[f64; 2]>, field: &str) -> GeoPoint {
    let [lat, lon] = *v.get_ref();
    let p = GeoPoint::new(lat, lon);
    if !p.is_valid() {
        sink.at(v.span(), field, "not a valid [latitude, longitude]");
    }
    p
}

fn unique(sink: &mut Sink, seen: &mut BTreeSet<String>, id: &Spanned<String>, field: &str) {
    if id.get_ref().trim().is_empty() {
        sink.at(id.span(), field, "must not be empty");
    } else if !seen.insert(id.get_ref().clone()) {
        sink.at(id.span(), field, format!("duplicate id {:?}", id.get_ref()));
    }
}

/// The world part of a file (teams, depots, hazards, shelters), checked.
struct World {
    teams: Vec<Team>,
    team_ack: BTreeMap<TeamId, Millis>,
    depots: Vec<Depot>,
    hazards: Vec<HazardSource>,
    shelters: Vec<Shelter>,
}

fn world(
    sink: &mut Sink,
    raw: &RawFile,
    ids: &mut BTreeMap<&'static str, BTreeSet<String>>,
) -> World {
    let kinds: Vec<&str> = TeamKind::ALL.iter().map(|k| k.zh()).collect();
    let caps: Vec<&str> = CAPABILITIES.iter().map(|k| k.zh()).collect();
    let mut w = World {
        teams: Vec::new(),
        team_ack: BTreeMap::new(),
        depots: Vec::new(),
        hazards: Vec::new(),
        shelters: Vec::new(),
    };
    for (i, t) in raw.teams.iter().enumerate() {
        let f = |s: &str| format!("team[{i}].{s}");
        unique(sink, ids.entry("team").or_default(), &t.id, &f("id"));
        let kind =
            lookup(sink, &t.kind, &f("kind"), team_kind, &kinds).unwrap_or(TeamKind::CivilNgo);
        let capabilities = t
            .capabilities
            .iter()
            .filter_map(|c| {
                lookup(
                    sink,
                    c,
                    &f("capabilities"),
                    |s| CAPABILITIES.into_iter().find(|k| k.zh() == s),
                    &caps,
                )
            })
            .collect();
        if let Some(d) = &t.ack_delay {
            let ms = offset(sink, d, &f("ack_delay"));
            w.team_ack.insert(TeamId::new(t.id.get_ref()), ms);
        }
        w.teams.push(Team {
            id: TeamId::new(t.id.get_ref()),
            name: t.name.clone(),
            kind,
            tier: t.tier.unwrap_or(1),
            capabilities,
            headcount: t.headcount,
            equipment: t.equipment.clone(),
            jurisdiction: JurisdictionId::new(&t.jurisdiction),
            home: point(sink, &t.home, &f("home")),
            radio_ids: t.radio.clone(),
            status: TeamStatus::Available,
            last_fix: None,
            support: None,
        });
    }
    for (i, d) in raw.depots.iter().enumerate() {
        let f = |s: &str| format!("depot[{i}].{s}");
        unique(sink, ids.entry("depot").or_default(), &d.id, &f("id"));
        let mut items = BTreeSet::new();
        let mut stock = BTreeMap::new();
        for (j, l) in d.stock.iter().enumerate() {
            unique(sink, &mut items, &l.item, &f(&format!("stock[{j}].item")));
            stock.insert(
                ItemId::new(l.item.get_ref()),
                StockLine {
                    item: ItemId::new(l.item.get_ref()),
                    name: l.name.clone(),
                    unit: l.unit.clone(),
                    on_hand: l.quantity,
                    reserved: 0,
                    expiry: None,
                },
            );
        }
        w.depots.push(Depot {
            id: domain::DepotId::new(d.id.get_ref()),
            name: d.name.clone(),
            owner: d.owner.clone(),
            position: point(sink, &d.position, &f("position")),
            jurisdiction: JurisdictionId::new(&d.jurisdiction),
            stock,
        });
    }
    for (i, h) in raw.hazards.iter().enumerate() {
        let f = |s: &str| format!("hazard[{i}].{s}");
        unique(sink, ids.entry("hazard").or_default(), &h.id, &f("id"));
        let risk = lookup(
            sink,
            &h.risk,
            &f("risk"),
            |s| match s {
                "红" => Some(RiskColour::Red),
                "橙" => Some(RiskColour::Orange),
                "黄" => Some(RiskColour::Yellow),
                "蓝" => Some(RiskColour::Blue),
                _ => None,
            },
            &["红", "橙", "黄", "蓝"],
        )
        .unwrap_or(RiskColour::Blue);
        w.hazards.push(HazardSource {
            id: domain::HazardId::new(h.id.get_ref()),
            name: h.name.clone(),
            kind: h.kind.clone(),
            position: point(sink, &h.position, &f("position")),
            risk,
            enterprise: h.enterprise.clone(),
            jurisdiction: JurisdictionId::new(&h.jurisdiction),
        });
    }
    for (i, s) in raw.shelters.iter().enumerate() {
        let f = |x: &str| format!("shelter[{i}].{x}");
        unique(sink, ids.entry("shelter").or_default(), &s.id, &f("id"));
        w.shelters.push(Shelter {
            id: ShelterId::new(s.id.get_ref()),
            name: s.name.clone(),
            position: point(sink, &s.position, &f("position")),
            capacity: s.capacity,
            jurisdiction: JurisdictionId::new(&s.jurisdiction),
        });
    }
    w
}

/// Parses and validates a scenario. `read_base(path)` returns the text of a
/// base world file named in `base = "…"` (relative to `file`).
pub fn load(
    file: &str,
    text: &str,
    read_base: impl Fn(&str) -> Result<String, String>,
) -> Result<Scenario, ScenarioErrors> {
    let mut sink = Sink::new(file, text);
    let raw: RawFile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            sink.toml(&e);
            return Err(ScenarioErrors(sink.errors));
        }
    };
    let mut ids: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    // The base world comes first; its errors name the base file.
    let mut base_world = None;
    if let Some(b) = &raw.base {
        match read_base(b.get_ref()) {
            Ok(btext) => {
                let mut bsink = Sink::new(b.get_ref(), &btext);
                match toml::from_str::<RawFile>(&btext) {
                    Ok(braw) => {
                        if braw.drill.is_some() || !braw.injects.is_empty() || braw.base.is_some() {
                            bsink.at(0..0, "base", "a base world file holds only team, depot, hazard and shelter tables");
                        }
                        base_world = Some(world(&mut bsink, &braw, &mut ids));
                    }
                    Err(e) => bsink.toml(&e),
                }
                sink.errors.extend(bsink.errors);
            }
            Err(why) => sink.at(
                b.span(),
                "base",
                format!("cannot read {:?}: {why}", b.get_ref()),
            ),
        }
    }
    let own = world(&mut sink, &raw, &mut ids);
    let mut w = base_world.unwrap_or(World {
        teams: Vec::new(),
        team_ack: BTreeMap::new(),
        depots: Vec::new(),
        hazards: Vec::new(),
        shelters: Vec::new(),
    });
    w.teams.extend(own.teams);
    w.team_ack.extend(own.team_ack);
    w.depots.extend(own.depots);
    w.hazards.extend(own.hazards);
    w.shelters.extend(own.shelters);

    let Some(d) = &raw.drill else {
        sink.at(0..0, "drill", "the [drill] table is missing");
        return Err(ScenarioErrors(sink.errors));
    };
    let kind = lookup(
        &mut sink,
        &d.kind,
        "drill.kind",
        |s| match s {
            "桌面" | "桌面演练" => Some(DrillKind::Tabletop),
            "实战" | "实战演练" => Some(DrillKind::Live),
            _ => None,
        },
        &["桌面", "实战"],
    );
    let scope = lookup(
        &mut sink,
        &d.scope,
        "drill.scope",
        |s| match s {
            "单项" | "单项演练" => Some(DrillScope::Single),
            "综合" | "综合演练" => Some(DrillScope::Comprehensive),
            _ => None,
        },
        &["单项", "综合"],
    );
    let start = Timestamp::parse_cst(d.start.get_ref());
    if start.is_none() {
        sink.at(
            d.start.span(),
            "drill.start",
            "expected \"YYYY-MM-DD HH:MM[:SS]\" (China Standard Time)",
        );
    }
    let duration = offset(&mut sink, &d.duration, "drill.duration");
    if duration == 0 {
        sink.at(
            d.duration.span(),
            "drill.duration",
            "must be longer than 00:00",
        );
    }
    let meta = Meta {
        title: d.title.clone(),
        kind: kind.unwrap_or(DrillKind::Tabletop),
        scope: scope.unwrap_or(DrillScope::Single),
        purpose: d.purpose.clone(),
        organiser: d.organiser.clone(),
        units: d.units.clone(),
        participants: d.participants.clone(),
        region: d.region.clone(),
        seed: d.seed,
        start: start.unwrap_or_default(),
        duration,
        outline: d.outline.clone(),
    };

    let fb = raw.field.clone().unwrap_or(RawField {
        ack_delay: None,
        ack_jitter: None,
        turnout: None,
        fix_every: None,
    });
    let opt = |sink: &mut Sink, v: &Option<Spanned<String>>, name: &str, default: Millis| {
        v.as_ref().map_or(default, |v| offset(sink, v, name))
    };
    let field = FieldBehaviour {
        ack_delay: opt(&mut sink, &fb.ack_delay, "field.ack_delay", 45_000),
        ack_jitter: opt(&mut sink, &fb.ack_jitter, "field.ack_jitter", 30_000),
        turnout: opt(&mut sink, &fb.turnout, "field.turnout", 60_000),
        fix_every: opt(&mut sink, &fb.fix_every, "field.fix_every", 60_000),
        team_ack_delay: w.team_ack.clone(),
    };
    if field.fix_every < 1000 {
        sink.at(0..0, "field.fix_every", "must be at least 00:01");
    }

    let team_ids: BTreeSet<String> = w.teams.iter().map(|t| t.id.0.clone()).collect();
    let kinds: Vec<&str> = TeamKind::ALL.iter().map(|k| k.zh()).collect();
    let sectors: Vec<&str> = Sector::ALL.iter().map(|k| k.zh()).collect();
    let inject_names: Vec<&str> = InjectKind::NAMES.iter().map(|(n, _)| *n).collect();

    let mut injects = Vec::new();
    let mut inject_ids = BTreeSet::new();
    let mut incidents: BTreeMap<String, String> = BTreeMap::new(); // incident → reporting inject
    let mut last_at: Millis = 0;
    for (i, r) in raw.injects.iter().enumerate() {
        let f = |s: &str| format!("inject[{i}].{s}");
        unique(&mut sink, &mut inject_ids, &r.id, &f("id"));
        let at = offset(&mut sink, &r.at, &f("at"));
        if at < last_at {
            sink.at(
                r.at.span(),
                f("at"),
                format!(
                    "inject {:?} at {} is out of order: the one before is at {}",
                    r.id.get_ref(),
                    domain::drill::offset_text(at),
                    domain::drill::offset_text(last_at)
                ),
            );
        }
        if at > duration && duration > 0 {
            sink.at(
                r.at.span(),
                f("at"),
                "after the end of the drill (drill.duration)",
            );
        }
        last_at = last_at.max(at);
        let kind = lookup(
            &mut sink,
            &r.kind,
            &f("type"),
            |s| {
                InjectKind::NAMES
                    .iter()
                    .find(|(n, _)| *n == s)
                    .map(|(_, k)| *k)
            },
            &inject_names,
        )
        .unwrap_or(InjectKind::Notice);
        let team = r.team.as_ref().map(|t| {
            if !team_ids.contains(t.get_ref()) {
                sink.at(
                    t.span(),
                    f("team"),
                    format!("team {:?} is not defined in the world", t.get_ref()),
                );
            }
            TeamId::new(t.get_ref())
        });
        if kind == InjectKind::TeamBreakdown && team.is_none() {
            sink.at(r.id.span(), f("team"), "a team_breakdown names its team");
        }
        let incident = r.incident.as_ref().map(|x| IncidentId::new(x.get_ref()));
        let mut intake = None;
        let mut occurred_before = 0;
        let casualties = r.casualties.map(|c| {
            (
                Casualties {
                    deaths: c.deaths,
                    serious_injuries: c.serious_injuries,
                    missing: c.missing,
                },
                r.loss_yuan.unwrap_or(0),
            )
        });
        if kind == InjectKind::IncidentReport {
            match (&r.incident, &r.title, &r.sector, &r.position) {
                (Some(inc), Some(title), Some(sec), Some(pos)) => {
                    if incidents
                        .insert(inc.get_ref().clone(), r.id.get_ref().clone())
                        .is_some()
                    {
                        sink.at(
                            inc.span(),
                            f("incident"),
                            format!("incident {:?} is reported twice", inc.get_ref()),
                        );
                    }
                    let sector = lookup(&mut sink, sec, &f("sector"), sector, &sectors)
                        .unwrap_or(Sector::Other);
                    occurred_before = r
                        .occurred_before
                        .as_ref()
                        .map_or(0, |o| offset(&mut sink, o, &f("occurred_before")));
                    intake = Some(Box::new(IncidentIntake {
                        id: IncidentId::new(inc.get_ref()),
                        title: title.clone(),
                        sector,
                        position: point(&mut sink, pos, &f("position")),
                        address: r.address.clone().unwrap_or_default(),
                        jurisdiction: JurisdictionId::new(
                            r.jurisdiction.clone().unwrap_or_default(),
                        ),
                        enterprise: r.enterprise.clone(),
                        source: IntakeSource::Phone,
                        occurred_at: Timestamp::default(),
                        reported_at: Timestamp::default(),
                        caller: r.from.clone(),
                        casualties: casualties.map(|c| c.0).unwrap_or_default(),
                        direct_loss_yuan: r.loss_yuan.unwrap_or(0),
                        suggested_response_level: None,
                    }));
                }
                _ => sink.at(
                    r.id.span(),
                    f("incident"),
                    "an incident_report needs incident, title, sector and position",
                ),
            }
        } else if let Some(inc) = &r.incident
            && !incidents.contains_key(inc.get_ref())
        {
            sink.at(
                inc.span(),
                f("incident"),
                format!(
                    "incident {:?} is not reported by an earlier inject",
                    inc.get_ref()
                ),
            );
        }
        if matches!(kind, InjectKind::CasualtyUpdate)
            && (casualties.is_none() || incident.is_none())
        {
            sink.at(
                r.id.span(),
                f("casualties"),
                "a casualty_update names incident and casualties",
            );
        }
        let unless_ordered = match (&r.unless_ordered_kind, &r.unless_incident) {
            (None, None) => None,
            (Some(k), Some(inc)) => {
                if !incidents.contains_key(inc.get_ref()) {
                    sink.at(
                        inc.span(),
                        f("unless_incident"),
                        format!(
                            "incident {:?} is not reported by an earlier inject",
                            inc.get_ref()
                        ),
                    );
                }
                lookup(&mut sink, k, &f("unless_ordered_kind"), team_kind, &kinds)
                    .map(|k| (k, IncidentId::new(inc.get_ref())))
            }
            (Some(k), None) => {
                sink.at(
                    k.span(),
                    f("unless_incident"),
                    "a condition names the incident too",
                );
                None
            }
            (None, Some(inc)) => {
                sink.at(
                    inc.span(),
                    f("unless_ordered_kind"),
                    "a condition names the team kind too",
                );
                None
            }
        };
        if r.text.trim().is_empty() {
            sink.at(r.id.span(), f("text"), "must not be empty");
        }
        injects.push(Inject {
            id: r.id.get_ref().clone(),
            at,
            kind,
            from: r.from.clone(),
            to: r.to.clone(),
            method: r.method.clone(),
            text: r.text.clone(),
            team,
            incident,
            intake,
            occurred_before,
            casualties,
            unless_ordered,
        });
    }

    let ev = raw.evaluation.clone();
    let default_thresholds = ev
        .as_ref()
        .and_then(|e| e.thresholds)
        .map(|t| thresholds(&mut sink, t, "evaluation.thresholds"))
        .unwrap_or_default();
    let late_credit = ev.as_ref().and_then(|e| e.late_credit).unwrap_or(0.5);
    if !(0.0..=1.0).contains(&late_credit) {
        sink.at(0..0, "evaluation.late_credit", "must be between 0 and 1");
    }
    let mut objective_ids = BTreeSet::new();
    let objectives: Vec<Objective> = raw
        .objectives
        .iter()
        .enumerate()
        .map(|(i, o)| {
            unique(
                &mut sink,
                &mut objective_ids,
                &o.id,
                &format!("objective[{i}].id"),
            );
            Objective {
                id: o.id.get_ref().clone(),
                title: o.title.clone(),
                thresholds: o
                    .thresholds
                    .map(|t| thresholds(&mut sink, t, &format!("objective[{i}].thresholds")))
                    .unwrap_or(default_thresholds),
            }
        })
        .collect();

    let mut expect_ids = BTreeSet::new();
    let mut expects = Vec::new();
    for (i, e) in raw.expects.iter().enumerate() {
        let f = |s: &str| format!("expect[{i}].{s}");
        unique(&mut sink, &mut expect_ids, &e.id, &f("id"));
        if !objective_ids.contains(e.objective.get_ref()) {
            sink.at(
                e.objective.span(),
                f("objective"),
                format!("objective {:?} is not defined", e.objective.get_ref()),
            );
        }
        let Some(report_inject) = incidents.get(e.incident.get_ref()).cloned() else {
            sink.at(
                e.incident.span(),
                f("incident"),
                format!(
                    "incident {:?} is not reported by any inject",
                    e.incident.get_ref()
                ),
            );
            continue;
        };
        let after = match &e.after {
            Some(a) if !inject_ids.contains(a.get_ref()) => {
                sink.at(
                    a.span(),
                    f("after"),
                    format!("inject {:?} is not defined", a.get_ref()),
                );
                report_inject
            }
            Some(a) => a.get_ref().clone(),
            None => report_inject,
        };
        let within = offset(&mut sink, &e.within, &f("within"));
        let need_kind = |sink: &mut Sink| match e.team_kind.as_ref() {
            None => {
                sink.at(
                    e.action.span(),
                    f("team_kind"),
                    "this action needs team_kind",
                );
                None
            }
            Some(k) => lookup(sink, k, &f("team_kind"), team_kind, &kinds),
        };
        let action = match e.action.get_ref().as_str() {
            "first_report" => Some(ExpectedAction::FirstReport),
            "order_kind" => need_kind(&mut sink).map(ExpectedAction::OrderKind),
            "on_scene" => need_kind(&mut sink).map(ExpectedAction::OnScene),
            "response_level" => match &e.level {
                Some(l) => lookup(
                    &mut sink,
                    l,
                    &f("level"),
                    response_level,
                    &["一级响应", "二级响应", "三级响应", "四级响应"],
                )
                .map(ExpectedAction::ResponseLevel),
                None => {
                    sink.at(e.action.span(), f("level"), "response_level needs level");
                    None
                }
            },
            "warning" => Some(ExpectedAction::Warning),
            "reserve_supplies" => Some(ExpectedAction::ReserveSupplies(
                e.item.as_deref().map(ItemId::new),
            )),
            other => {
                sink.at(e.action.span(), f("action"), format!("{other:?} is not one of: first_report、order_kind、on_scene、response_level、warning、reserve_supplies"));
                None
            }
        };
        let weight = e.weight.unwrap_or(1.0);
        if !(weight.is_finite() && weight > 0.0) {
            sink.at(e.id.span(), f("weight"), "must be above 0");
        }
        if let Some(action) = action {
            expects.push(Expect {
                id: e.id.get_ref().clone(),
                objective: e.objective.get_ref().clone(),
                action,
                title: e.title.clone(),
                incident: IncidentId::new(e.incident.get_ref()),
                after,
                within,
                weight,
                problem: e.problem.clone(),
                cause: e.cause.clone(),
            });
        }
    }

    let notes = raw.notes.clone().unwrap_or_default();
    let scenario = Scenario {
        file: file.to_owned(),
        meta,
        field,
        teams: w.teams,
        depots: w.depots,
        hazards: w.hazards,
        shelters: w.shelters,
        injects,
        objectives,
        expects,
        late_credit,
        notes: Notes {
            problems: notes.problems,
            lessons: notes.lessons,
            proposals: notes.proposals,
        },
    };
    sink.finish(scenario)
}

fn thresholds(sink: &mut Sink, t: RawThresholds, field: &str) -> Thresholds {
    if !(0.0 <= t.m && t.m <= t.s && t.s <= t.p && t.p <= 1.0) {
        sink.at(0..0, field, "need 0 ≤ m ≤ s ≤ p ≤ 1");
    }
    Thresholds {
        p: t.p,
        s: t.s,
        m: t.m,
    }
}
