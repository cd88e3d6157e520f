//! Playbooks: what the players do, and when, for headless runs and tests.
//! A playbook is TOML with `[[action]]` tables (see docs/scenarios.md).

use crate::load::{ScenarioErrors, Sink, parse_offset};
use domain::deadline::{AdminLevel, ReportChannel, ReportKind};
use domain::{
    Actor, Command, DepotId, IncidentId, ItemId, Millis, OrderId, OrderStep, ReservationId,
    ResponseLevel, Role, TeamId, WarningColour,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlaybook {
    #[serde(default, rename = "action")]
    actions: Vec<RawAction>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    at: Spanned<String>,
    #[serde(rename = "as")]
    user: String,
    role: Spanned<String>,
    #[serde(rename = "do")]
    what: Spanned<String>,
    incident: Option<String>,
    order: Option<String>,
    team: Option<String>,
    note: Option<String>,
    kind: Option<Spanned<String>>,
    channel: Option<Spanned<String>>,
    to_level: Option<Spanned<String>>,
    summary: Option<String>,
    level: Option<Spanned<String>>,
    colour: Option<Spanned<String>>,
    reservation: Option<String>,
    depot: Option<String>,
    lines: Option<BTreeMap<String, u64>>,
    reason: Option<String>,
}

/// One player action.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerAction {
    /// Scenario time.
    pub at: Millis,
    /// Who.
    pub actor: Actor,
    /// What (an order's recommendation is filled in when it is decided).
    pub command: Command,
}

/// Parses a playbook; errors name file, line and field.
pub fn load_playbook(file: &str, text: &str) -> Result<Vec<PlayerAction>, ScenarioErrors> {
    let mut sink = Sink::new(file, text);
    let raw: RawPlaybook = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            sink.toml(&e);
            return Err(ScenarioErrors(sink.errors));
        }
    };
    let mut out = Vec::new();
    let mut last = 0;
    for (i, a) in raw.actions.iter().enumerate() {
        let f = |s: &str| format!("action[{i}].{s}");
        let at = match parse_offset(a.at.get_ref()) {
            Ok(t) => t,
            Err(m) => {
                sink.at(a.at.span(), f("at"), m);
                continue;
            }
        };
        if at < last {
            sink.at(
                a.at.span(),
                f("at"),
                "out of order: earlier than the action before",
            );
        }
        last = last.max(at);
        let Some(role) = Role::ALL.into_iter().find(|r| r.zh() == a.role.get_ref()) else {
            let names: Vec<&str> = Role::ALL.iter().map(|r| r.zh()).collect();
            sink.at(
                a.role.span(),
                f("role"),
                format!("not one of: {}", names.join("、")),
            );
            continue;
        };
        match command(a) {
            Ok(command) => out.push(PlayerAction {
                at,
                actor: Actor::new(&a.user, role, "drill-console"),
                command,
            }),
            Err((field, span, msg)) => sink.at(span.unwrap_or(a.what.span()), f(field), msg),
        }
    }
    sink.finish(out)
}

type Bad = (&'static str, Option<std::ops::Range<usize>>, String);

fn need<'a, T>(v: &'a Option<T>, field: &'static str) -> Result<&'a T, Bad> {
    v.as_ref()
        .ok_or((field, None, format!("this action needs {field}")))
}

fn pick<T: Copy>(
    v: &Spanned<String>,
    field: &'static str,
    choices: &[(&str, T)],
) -> Result<T, Bad> {
    choices
        .iter()
        .find(|(n, _)| *n == v.get_ref())
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            (
                field,
                Some(v.span()),
                format!("{:?} is not one of: {}", v.get_ref(), names.join("、")),
            )
        })
}

fn command(a: &RawAction) -> Result<Command, Bad> {
    let incident = || need(&a.incident, "incident").map(IncidentId::new);
    let order = || need(&a.order, "order").map(OrderId::new);
    let reservation = || need(&a.reservation, "reservation").map(ReservationId::new);
    Ok(match a.what.get_ref().as_str() {
        "order" => Command::IssueOrder {
            order: order()?,
            incident: incident()?,
            team: TeamId::new(need(&a.team, "team")?),
            note: a.note.clone().unwrap_or_default(),
            recommendation_shown: Vec::new(),
        },
        "report" => Command::FileReport {
            incident: incident()?,
            kind: match a.kind.as_ref().map(|k| k.get_ref().as_str()) {
                None | Some("首报") => ReportKind::First,
                Some("终报") => ReportKind::Final,
                Some("补报") => ReportKind::Supplement,
                Some(s) if s.starts_with("续报") => {
                    let n = s.trim_start_matches("续报").parse::<u32>().map_err(|_| {
                        (
                            "kind",
                            a.kind.as_ref().map(Spanned::span),
                            "write 续报 as 续报1, 续报2 …".to_owned(),
                        )
                    })?;
                    ReportKind::FollowUp(n)
                }
                Some(s) => {
                    return Err((
                        "kind",
                        a.kind.as_ref().map(Spanned::span),
                        format!("{s:?} is not one of: 首报、续报N、补报、终报"),
                    ));
                }
            },
            channel: match &a.channel {
                None => ReportChannel::Phone,
                Some(c) => pick(
                    c,
                    "channel",
                    &[
                        ("电话", ReportChannel::Phone),
                        ("书面", ReportChannel::Written),
                    ],
                )?,
            },
            to_level: match &a.to_level {
                None => AdminLevel::City,
                Some(c) => pick(
                    c,
                    "to_level",
                    &[
                        ("县级", AdminLevel::County),
                        ("市级", AdminLevel::City),
                        ("省级", AdminLevel::Province),
                        ("国务院", AdminLevel::StateCouncil),
                    ],
                )?,
            },
            summary: need(&a.summary, "summary")?.clone(),
        },
        "response_level" => Command::SetResponseLevel {
            incident: incident()?,
            level: Some(pick(
                need(&a.level, "level")?,
                "level",
                &[
                    ("一级响应", ResponseLevel::I),
                    ("二级响应", ResponseLevel::II),
                    ("三级响应", ResponseLevel::III),
                    ("四级响应", ResponseLevel::IV),
                ],
            )?),
            // The playbook's note says what the response is for.
            detail: domain::ResponseDetail {
                matters: a
                    .note
                    .clone()
                    .or_else(|| a.summary.clone())
                    .unwrap_or_else(|| "演练响应".into()),
                expected_hours: None,
                measures: String::new(),
            },
        },
        "warning" => Command::SetWarning {
            incident: incident()?,
            colour: Some(pick(
                need(&a.colour, "colour")?,
                "colour",
                &[
                    ("红色预警", WarningColour::Red),
                    ("橙色预警", WarningColour::Orange),
                    ("黄色预警", WarningColour::Yellow),
                    ("蓝色预警", WarningColour::Blue),
                ],
            )?),
        },
        "reserve" => Command::ReserveSupplies {
            reservation: reservation()?,
            incident: incident()?,
            depot: DepotId::new(need(&a.depot, "depot")?),
            lines: need(&a.lines, "lines")?
                .iter()
                .map(|(k, v)| (ItemId::new(k), *v))
                .collect(),
        },
        "dispatch_supplies" => Command::DispatchSupplies {
            reservation: reservation()?,
        },
        "cancel_order" => Command::AdvanceOrder {
            order: order()?,
            step: OrderStep::Cancelled {
                reason: need(&a.reason, "reason")?.clone(),
            },
        },
        "release" => Command::AdvanceOrder {
            order: order()?,
            step: OrderStep::Released,
        },
        "close" => Command::CloseIncident {
            incident: incident()?,
            summary: need(&a.summary, "summary")?.clone(),
        },
        other => {
            return Err((
                "do",
                Some(a.what.span()),
                format!(
                    "{other:?} is not one of: order、report、response_level、warning、reserve、dispatch_supplies、cancel_order、release、close"
                ),
            ));
        }
    })
}
