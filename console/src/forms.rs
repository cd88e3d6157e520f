//! The officer's forms as plain data: what was typed, and how it becomes a
//! command. Checking happens here, before anything is sent, so a refusal
//! names the field in the officer's words and nothing is half-saved; the
//! relay checks again (`decide`) and has the last word.

use crate::i18n::Term;
use domain::command::IncidentIntake;
use domain::deadline::{AdminLevel, ReportChannel, ReportKind};
use domain::duty::CallKind;
use domain::{
    AccidentGrade, Casualties, Command, GeoPoint, Incident, IncidentId, IntakeSource,
    JurisdictionId, ResponseLevel, Sector, State, TeamId, TeamKind, Timestamp, WarningColour,
    jurisdiction_at,
};
use std::collections::BTreeSet;

/// A refusal that names the form field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    /// Field label as the form shows it.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for FormError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "「{}」{}", self.field, self.message)
    }
}

fn err<T>(field: &'static str, message: impl Into<String>) -> Result<T, FormError> {
    Err(FormError {
        field,
        message: message.into(),
    })
}

fn count(field: &'static str, text: &str) -> Result<u32, FormError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(0);
    }
    match t.parse::<i64>() {
        Ok(n) if n < 0 => err(field, crate::i18n::t("form.negative")),
        Ok(n) => u32::try_from(n).or_else(|_| err(field, crate::i18n::t("form.too_large"))),
        Err(_) => err(field, crate::i18n::t("form.integer")),
    }
}

fn time(field: &'static str, text: &str) -> Result<Timestamp, FormError> {
    Timestamp::parse_cst(text).map_or_else(|| err(field, crate::i18n::t("form.time_format")), Ok)
}

/// Chinese name of an intake source.
pub fn source_zh(s: IntakeSource) -> &'static str {
    match s {
        IntakeSource::Phone => crate::i18n::t("source.phone"),
        IntakeSource::Radio => crate::i18n::t("source.radio"),
        IntakeSource::Hotline12350 => crate::i18n::t("source.hotline"),
        IntakeSource::SensorAlarm => crate::i18n::t("source.sensor"),
        IntakeSource::HigherLevel => crate::i18n::t("source.higher"),
        IntakeSource::LowerLevel => crate::i18n::t("source.lower"),
    }
}

/// Every intake source, in form order.
pub const SOURCES: [IntakeSource; 6] = [
    IntakeSource::Phone,
    IntakeSource::Radio,
    IntakeSource::Hotline12350,
    IntakeSource::SensorAlarm,
    IntakeSource::HigherLevel,
    IntakeSource::LowerLevel,
];

/// Response levels, most severe first.
pub const LEVELS: [ResponseLevel; 4] = [
    ResponseLevel::I,
    ResponseLevel::II,
    ResponseLevel::III,
    ResponseLevel::IV,
];

/// Warning colours, most severe first.
pub const COLOURS: [WarningColour; 4] = [
    WarningColour::Red,
    WarningColour::Orange,
    WarningColour::Yellow,
    WarningColour::Blue,
];

/// The intake form (接报登记).
#[derive(Debug, Clone, PartialEq)]
pub struct IntakeForm {
    /// 事件名称
    pub title: String,
    /// 接报来源
    pub source: IntakeSource,
    /// 事件类别 (none chosen yet)
    pub sector: Option<Sector>,
    /// 纬度
    pub lat: String,
    /// 经度
    pub lon: String,
    /// 地址 (verbatim)
    pub address: String,
    /// 属地 (none: from the map position)
    pub jurisdiction: Option<JurisdictionId>,
    /// 涉事单位
    pub enterprise: String,
    /// 接报时间
    pub received: String,
    /// 发生时间
    pub occurred: String,
    /// 报告人
    pub caller: String,
    /// 回拨电话
    pub callback: String,
    /// 死亡
    pub deaths: String,
    /// 重伤
    pub serious: String,
    /// 失踪
    pub missing: String,
    /// 直接经济损失（万元）
    pub loss_wan: String,
    /// 建议响应级别
    pub suggested_level: Option<ResponseLevel>,
    /// 预警颜色
    pub warning: Option<WarningColour>,
}

impl IntakeForm {
    /// A blank form at `now`, at `at` if the officer clicked the map.
    pub fn new(now: Timestamp, at: Option<GeoPoint>) -> Self {
        let stamp = now.cst_string();
        let minute = stamp.get(..16).unwrap_or(&stamp).to_owned();
        Self {
            title: String::new(),
            source: IntakeSource::Phone,
            sector: None,
            lat: at.map(|p| format!("{:.5}", p.lat)).unwrap_or_default(),
            lon: at.map(|p| format!("{:.5}", p.lon)).unwrap_or_default(),
            address: String::new(),
            jurisdiction: None,
            enterprise: String::new(),
            received: minute.clone(),
            occurred: minute,
            caller: String::new(),
            callback: String::new(),
            deaths: String::new(),
            serious: String::new(),
            missing: String::new(),
            loss_wan: String::new(),
            suggested_level: None,
            warning: None,
        }
    }

    /// The position, if both coordinates parse and lie on Earth.
    pub fn position(&self) -> Result<GeoPoint, FormError> {
        let lat: f64 = self.lat.trim().parse().or_else(|_| {
            err(
                crate::i18n::t("field.lat"),
                crate::i18n::t("form.number_or_map"),
            )
        })?;
        let lon: f64 = self.lon.trim().parse().or_else(|_| {
            err(
                crate::i18n::t("field.lon"),
                crate::i18n::t("form.number_or_map"),
            )
        })?;
        let p = GeoPoint::new(lat, lon);
        if !p.is_valid() {
            return err(
                crate::i18n::t("field.lat"),
                crate::i18n::t("form.bad_wgs84"),
            );
        }
        Ok(p)
    }

    /// Casualty figures.
    pub fn casualties(&self) -> Result<Casualties, FormError> {
        Ok(Casualties {
            deaths: count(crate::i18n::t("field.deaths"), &self.deaths)?,
            serious_injuries: count(crate::i18n::t("field.serious"), &self.serious)?,
            missing: count(crate::i18n::t("field.missing"), &self.missing)?,
        })
    }

    /// Direct loss in yuan (the form asks for 万元, decimals allowed).
    pub fn loss_yuan(&self) -> Result<u64, FormError> {
        let t = self.loss_wan.trim();
        if t.is_empty() {
            return Ok(0);
        }
        match t.parse::<f64>() {
            Ok(w) if (0.0..1e12).contains(&w) => Ok((w * 10_000.0).round() as u64),
            Ok(_) => err(
                crate::i18n::t("field.loss"),
                crate::i18n::t("form.negative"),
            ),
            Err(_) => err(
                crate::i18n::t("field.loss"),
                crate::i18n::t("form.number_wan"),
            ),
        }
    }

    /// The grade the figures typed so far give, for the live display.
    pub fn live_grade(&self, state: &State) -> Result<AccidentGrade, FormError> {
        Ok(state
            .rules
            .grades
            .grade(&self.casualties()?, self.loss_yuan()?))
    }

    /// The jurisdiction: chosen, or the one whose area holds the position.
    pub fn resolved_jurisdiction(&self, state: &State) -> Option<JurisdictionId> {
        self.jurisdiction.clone().or_else(|| {
            self.position()
                .ok()
                .and_then(|p| jurisdiction_at(&state.rules, p).cloned())
        })
    }

    /// Checks every field and builds the commands: the intake, then the
    /// warning colour if one was chosen.
    pub fn build(
        &self,
        id: IncidentId,
        state: &State,
        now: Timestamp,
    ) -> Result<Vec<Command>, FormError> {
        if self.title.trim().is_empty() {
            return err(
                crate::i18n::t("field.title"),
                crate::i18n::t("form.required"),
            );
        }
        let Some(sector) = self.sector else {
            return err(
                crate::i18n::t("field.sector"),
                crate::i18n::t("form.choose"),
            );
        };
        let position = self.position()?;
        let Some(jurisdiction) = self.resolved_jurisdiction(state) else {
            return err(
                crate::i18n::t("field.jurisdiction"),
                crate::i18n::t("form.outside_all"),
            );
        };
        if let Some(j) = state.rules.jurisdictions.get(&jurisdiction)
            && !j.contains(position)
        {
            return err(
                crate::i18n::t("field.jurisdiction"),
                crate::i18n::tf("form.outside", &[&j.name.to_string()]),
            );
        }
        if self.address.trim().is_empty() {
            return err(
                crate::i18n::t("field.address_short"),
                crate::i18n::t("form.address_needed"),
            );
        }
        let reported_at = time(crate::i18n::t("field.received"), &self.received)?;
        let occurred_at = time(crate::i18n::t("field.occurred"), &self.occurred)?;
        if reported_at > now {
            return err(
                crate::i18n::t("field.received"),
                crate::i18n::t("form.after_now"),
            );
        }
        if occurred_at > reported_at {
            return err(
                crate::i18n::t("field.occurred"),
                crate::i18n::t("form.after_received"),
            );
        }
        if self.caller.trim().is_empty() {
            return err(
                crate::i18n::t("field.caller"),
                crate::i18n::t("form.caller_needed"),
            );
        }
        let casualties = self.casualties()?;
        let direct_loss_yuan = self.loss_yuan()?;
        let caller = match self.callback.trim() {
            "" => self.caller.trim().to_owned(),
            n => format!("{} {n}", self.caller.trim()),
        };
        let enterprise = Some(self.enterprise.trim().to_owned()).filter(|e| !e.is_empty());
        let mut out = vec![Command::OpenIncident(Box::new(IncidentIntake {
            id: id.clone(),
            title: self.title.trim().to_owned(),
            sector,
            position,
            address: self.address.trim().to_owned(),
            jurisdiction,
            enterprise,
            source: self.source,
            occurred_at,
            reported_at,
            caller,
            casualties,
            direct_loss_yuan,
            suggested_response_level: self.suggested_level,
        }))];
        if let Some(colour) = self.warning {
            out.push(Command::SetWarning {
                incident: id,
                colour: Some(colour),
            });
        }
        Ok(out)
    }
}

/// The report form (信息报送): the sections the reporting rules ask for.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportForm {
    /// 首报 / 续报 n / 补报 / 终报
    pub kind: ReportKind,
    /// 电话 / 书面
    pub channel: ReportChannel,
    /// 报送层级
    pub to_level: AdminLevel,
    /// 报送对象 (e.g. "长春市应急管理局值班室")
    pub recipient: String,
    /// 单位概况
    pub unit: String,
    /// 时间、地点、现场情况
    pub scene: String,
    /// 事故经过
    pub sequence: String,
    /// 伤亡及损失
    pub losses: String,
    /// 已采取措施
    pub measures: String,
    /// 到场领导
    pub leaders: String,
    /// 请求事项
    pub requests: String,
    /// 其他情况
    pub other: String,
}

impl ReportForm {
    /// A form for the next report of `inc`, prefilled from what is known.
    pub fn for_incident(inc: &Incident, to_level: AdminLevel) -> Self {
        let follow_ups = inc
            .reports
            .iter()
            .filter(|r| matches!(r.kind, ReportKind::FollowUp(_)))
            .count() as u32;
        let kind = if inc.reports.iter().any(|r| r.kind == ReportKind::First) {
            ReportKind::FollowUp(follow_ups + 1)
        } else {
            ReportKind::First
        };
        let c = inc.casualties;
        Self {
            kind,
            channel: ReportChannel::Phone,
            to_level,
            recipient: String::new(),
            unit: inc.enterprise.clone().unwrap_or_default(),
            scene: format!(
                "{} 发生于{}（{}）",
                inc.title,
                inc.address,
                inc.occurred_at.cst_string()
            ),
            sequence: String::new(),
            losses: format!(
                "死亡{}人，重伤{}人，失踪{}人，直接经济损失约{}万元",
                c.deaths,
                c.serious_injuries,
                c.missing,
                inc.direct_loss_yuan / 10_000
            ),
            measures: String::new(),
            leaders: String::new(),
            requests: String::new(),
            other: String::new(),
        }
    }

    /// The report text as sent, one headed paragraph per filled section.
    pub fn text(&self) -> String {
        let sections = [
            ("报送对象", &self.recipient),
            ("单位概况", &self.unit),
            ("时间、地点、现场情况", &self.scene),
            ("事故经过", &self.sequence),
            ("伤亡及损失", &self.losses),
            ("已采取措施", &self.measures),
            ("到场领导", &self.leaders),
            ("请求事项", &self.requests),
            ("其他情况", &self.other),
        ];
        sections
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(h, v)| format!("【{h}】{}", v.trim()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Checks the form and builds the command.
    pub fn build(&self, incident: IncidentId) -> Result<Command, FormError> {
        if self.recipient.trim().is_empty() {
            return err("报送对象", crate::i18n::t("form.recipient_needed"));
        }
        if self.scene.trim().is_empty() {
            return err("时间、地点、现场情况", crate::i18n::t("form.required"));
        }
        if self.measures.trim().is_empty() && self.kind != ReportKind::First {
            return err("已采取措施", crate::i18n::t("form.measures_needed"));
        }
        Ok(Command::FileReport {
            incident,
            kind: self.kind,
            channel: self.channel,
            to_level: self.to_level,
            summary: self.text(),
        })
    }
}

/// How a broadcast or roll call chooses its teams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addressees {
    /// Every team in service.
    All,
    /// Teams of one kind.
    Kind(TeamKind),
    /// Teams of one jurisdiction.
    Jurisdiction(JurisdictionId),
    /// A hand-picked set.
    Picked(BTreeSet<TeamId>),
}

/// The 一呼百应 / 拉动 form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallForm {
    /// Broadcast or roll call.
    pub kind: CallKind,
    /// Who.
    pub to: Addressees,
    /// Message.
    pub message: String,
}

impl CallForm {
    /// The teams addressed and how to describe the choice.
    pub fn resolve(&self, state: &State) -> (String, Vec<TeamId>) {
        let in_service = state
            .teams
            .values()
            .filter(|t| !matches!(t.status, domain::TeamStatus::OutOfService(_)));
        match &self.to {
            Addressees::All => (
                "全部在勤队伍".into(),
                in_service.map(|t| t.id.clone()).collect(),
            ),
            Addressees::Kind(k) => (
                k.term().to_owned(),
                in_service
                    .filter(|t| t.kind == *k)
                    .map(|t| t.id.clone())
                    .collect(),
            ),
            Addressees::Jurisdiction(j) => (
                j.to_string(),
                in_service
                    .filter(|t| t.jurisdiction == *j)
                    .map(|t| t.id.clone())
                    .collect(),
            ),
            Addressees::Picked(set) => (
                format!("手选 {} 支", set.len()),
                set.iter()
                    .filter(|t| state.teams.contains_key(*t))
                    .cloned()
                    .collect(),
            ),
        }
    }

    /// Checks the form and builds the command.
    pub fn build(&self, id: domain::CallId, state: &State) -> Result<Command, FormError> {
        if self.message.trim().is_empty() {
            return err(
                crate::i18n::t("field.content"),
                crate::i18n::t("form.required"),
            );
        }
        let (addressed_as, teams) = self.resolve(state);
        if teams.is_empty() {
            return err(
                crate::i18n::t("field.addressees"),
                crate::i18n::t("form.no_teams"),
            );
        }
        Ok(Command::StartCall {
            call: id,
            kind: self.kind,
            message: self.message.trim().to_owned(),
            addressed_as,
            teams,
        })
    }
}

/// A supply request: item → quantity as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SupplyForm {
    /// Lines: item id, quantity text.
    pub lines: Vec<(domain::ItemId, String)>,
}

impl SupplyForm {
    /// The quantities asked for (zero lines dropped).
    pub fn quantities(&self) -> Result<std::collections::BTreeMap<domain::ItemId, u64>, FormError> {
        let mut out = std::collections::BTreeMap::new();
        for (item, q) in &self.lines {
            let n = count(crate::i18n::t("field.quantity"), q)?;
            if n > 0 {
                *out.entry(item.clone()).or_insert(0) += u64::from(n);
            }
        }
        if out.is_empty() {
            return err(
                crate::i18n::t("field.quantity"),
                crate::i18n::t("form.quantity_needed"),
            );
        }
        Ok(out)
    }
}

/// New identifiers: the console's device name, the time and a counter keep
/// them unique across consoles without asking the relay.
pub fn new_id(prefix: &str, device: &str, now: Timestamp, counter: &mut u32) -> String {
    *counter += 1;
    let c = now.to_cst();
    format!(
        "{prefix}-{:02}{:02}{:02}{:02}{:02}-{device}-{}",
        c.month, c.day, c.hour, c.minute, c.second, counter
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::demo_decisions;

    const NOW: Timestamp = Timestamp(1_795_451_400_000);

    fn world() -> State {
        let mut s = State::default();
        for d in demo_decisions(NOW).0 {
            s.apply_decision(&d);
        }
        s
    }

    fn filled() -> IntakeForm {
        let mut f = IntakeForm::new(NOW, Some(GeoPoint::new(44.53, 125.70)));
        f.title = "德惠市米沙子镇仓库起火".into();
        f.sector = Some(Sector::Fire);
        f.address = "米沙子镇工业园3号库".into();
        f.caller = "刘先生".into();
        f.callback = "13800000000".into();
        f.deaths = "1".into();
        f
    }

    fn refused(form: &IntakeForm, state: &State) -> FormError {
        form.build(IncidentId::new("I-1"), state, NOW)
            .expect_err("the form must refuse")
    }

    #[test]
    fn a_complete_form_files_the_incident_under_the_district_it_lies_in() {
        let s = world();
        let mut f = filled();
        f.warning = Some(WarningColour::Yellow);
        let cmds = f.build(IncidentId::new("I-1"), &s, NOW).expect("valid");
        let Command::OpenIncident(intake) = &cmds[0] else {
            panic!("first the intake, got {:?}", cmds[0]);
        };
        assert_eq!(intake.jurisdiction, JurisdictionId::new("德惠市"));
        assert_eq!(intake.caller, "刘先生 13800000000");
        assert_eq!(intake.casualties.deaths, 1);
        assert!(matches!(
            cmds[1],
            Command::SetWarning {
                colour: Some(WarningColour::Yellow),
                ..
            }
        ));
        // The relay's own check agrees.
        let ctx = domain::Context {
            now: NOW,
            actor: domain::Actor::new("王丽", domain::Role::DutyOfficer, "t"),
            realm: domain::RealmKind::Live,
        };
        domain::decide(&s, &cmds[0], &ctx).expect("decide accepts it");
    }

    #[test]
    fn invalid_input_is_refused_naming_the_field() {
        let s = world();
        let mut f = filled();
        f.deaths = "-2".into();
        assert_eq!(refused(&f, &s).field, "死亡");
        let mut f = filled();
        f.sector = None;
        assert_eq!(refused(&f, &s).field, "事件类别");
        let mut f = filled();
        f.title = "  ".into();
        assert_eq!(refused(&f, &s).field, "事件名称");
        // The Yellow Sea is in no jurisdiction.
        let mut f = filled();
        f.lat = "36.0".into();
        f.lon = "123.0".into();
        assert_eq!(refused(&f, &s).field, "属地");
        // Chosen district, position elsewhere.
        let mut f = filled();
        f.jurisdiction = Some(JurisdictionId::new("长春市朝阳区"));
        let e = refused(&f, &s);
        assert_eq!(e.field, "属地");
        assert!(e.message.contains("长春市朝阳区"), "{e}");
        let mut f = filled();
        f.lat = "北纬44".into();
        assert_eq!(refused(&f, &s).field, "纬度");
        let mut f = filled();
        f.occurred = "2026-13-01 10:00".into();
        assert_eq!(refused(&f, &s).field, "发生时间");
        let mut f = filled();
        f.loss_wan = "-5".into();
        assert_eq!(refused(&f, &s).field, "直接经济损失");
    }

    #[test]
    fn the_live_grade_follows_the_figures() {
        let s = world();
        let mut f = filled();
        f.deaths = "9".into();
        assert_eq!(f.live_grade(&s), Ok(AccidentGrade::Larger));
        f.deaths = "10".into();
        assert_eq!(f.live_grade(&s), Ok(AccidentGrade::Major));
        f.deaths = "0".into();
        f.loss_wan = "5000".into();
        assert_eq!(f.live_grade(&s), Ok(AccidentGrade::Major));
        f.deaths = "x".into();
        assert_eq!(f.live_grade(&s).map_err(|e| e.field), Err("死亡"));
    }

    #[test]
    fn a_report_is_the_filled_sections_in_order() {
        let s = world();
        let inc = s
            .incidents
            .values()
            .find(|i| i.reports.is_empty())
            .expect("an incident without reports");
        let mut r = ReportForm::for_incident(inc, AdminLevel::County);
        assert_eq!(r.kind, ReportKind::First);
        assert_eq!(refused_report(&r, inc), "报送对象");
        r.recipient = "德惠市应急管理局值班室".into();
        r.measures = "疏散周边群众".into();
        let Command::FileReport { summary, kind, .. } =
            r.build(inc.id.clone()).expect("valid report")
        else {
            panic!("a report command");
        };
        assert_eq!(kind, ReportKind::First);
        assert!(summary.starts_with("【报送对象】德惠市应急管理局值班室\n"));
        assert!(summary.contains("【已采取措施】疏散周边群众"));
        assert!(
            !summary.contains("【请求事项】"),
            "empty sections are left out"
        );
    }

    fn refused_report(r: &ReportForm, inc: &Incident) -> &'static str {
        r.build(inc.id.clone()).expect_err("must refuse").field
    }

    #[test]
    fn calls_resolve_their_addressees_from_the_state() {
        let s = world();
        let all = CallForm {
            kind: CallKind::RollCall,
            to: Addressees::All,
            message: "周通信测试".into(),
        };
        let (_, teams) = all.resolve(&s);
        let in_service = s
            .teams
            .values()
            .filter(|t| !matches!(t.status, domain::TeamStatus::OutOfService(_)))
            .count();
        assert_eq!(teams.len(), in_service);
        assert!(
            in_service < s.teams.len(),
            "the demo has a team out of service"
        );
        let hazchem = CallForm {
            to: Addressees::Kind(TeamKind::Hazchem),
            ..all.clone()
        };
        let (label, teams) = hazchem.resolve(&s);
        assert_eq!(label, TeamKind::Hazchem.term());
        assert!(teams.iter().all(|t| s.teams[t].kind == TeamKind::Hazchem));
        assert!(!teams.is_empty());
        let empty = CallForm {
            message: " ".into(),
            ..all
        };
        assert_eq!(
            empty.build(domain::CallId::new("C"), &s).unwrap_err().field,
            "内容"
        );
    }

    #[test]
    fn ids_from_one_console_never_repeat() {
        let mut n = 0;
        let a = new_id("ORD", "console1", NOW, &mut n);
        let b = new_id("ORD", "console1", NOW, &mut n);
        assert_ne!(a, b);
        assert!(a.starts_with("ORD-") && a.contains("console1"));
    }
}
