//! The panels around the map: header, incident queue, teams and
//! recommendation, event feed. One system lays them out every frame.

use crate::alerts::{AlertKind, Alerts, Audio};
use crate::i18n::zh_en;
use crate::map::{self, MapView};
use crate::net::{Link, LinkStatus, Outbox};
use crate::picture::{Clock, Picture, Selection};
use crate::theme;
use crate::workbench::{self, Workbench};
use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use domain::deadline::{Obligation, ObligationStatus, ReportChannel};
use domain::narrative;
use domain::time::human_duration;
use domain::{
    Incident, IncidentStatus, State, TeamStatus, Timestamp, recommend, reporting_obligations,
};

/// Lays out the console's panels and the map.
pub struct PanelsPlugin;

impl Plugin for PanelsPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(EguiPrimaryContextPass, draw);
    }
}

/// The officer's side of the console: forms, outbox, alerts.
#[derive(bevy::ecs::system::SystemParam)]
struct Desk<'w> {
    workbench: ResMut<'w, Workbench>,
    outbox: ResMut<'w, Outbox>,
    alerts: ResMut<'w, Alerts>,
}

fn draw(
    mut contexts: EguiContexts,
    mut picture: ResMut<Picture>,
    mut view: ResMut<MapView>,
    desk: Desk,
    clock: Res<Clock>,
    link: Res<Link>,
) -> Result {
    let Desk {
        mut workbench,
        mut outbox,
        mut alerts,
    } = desk;
    let ctx = contexts.ctx_mut()?.clone();
    let now = clock.0;
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );
    egui::Panel::top("header").show(&mut root, |ui| {
        header(ui, &picture, &link, now);
        ui.horizontal(|ui| {
            workbench::toolbar(ui, &mut workbench, &mut outbox, now);
            ui.separator();
            sound_state(ui, &mut alerts);
        });
        ui.add_space(2.0);
    });
    if !alerts.open.is_empty() {
        egui::Panel::top("alerts").show(&mut root, |ui| alert_banner(ui, &mut alerts));
    }
    egui::Panel::bottom("feed")
        .exact_size(170.0)
        .show(&mut root, |ui| event_feed(ui, &picture));
    egui::Panel::left("incidents")
        .default_size(390.0)
        .show(&mut root, |ui| {
            incident_queue(ui, &mut picture, &mut view, now)
        });
    egui::Panel::right("teams")
        .default_size(400.0)
        .show(&mut root, |ui| teams(ui, &mut picture, now));
    egui::CentralPanel::default()
        .frame(egui::Frame::NONE)
        .show(&mut root, |ui| map::show(ui, &mut view, &mut picture, now));
    let picked = view.picked.take();
    workbench::windows(&ctx, &mut workbench, &mut outbox, &mut picture, picked, now);
    // Keep countdowns and pulses moving even when nothing arrives.
    ctx.request_repaint_after(std::time::Duration::from_millis(250));
    Ok(())
}

fn header(ui: &mut egui::Ui, p: &Picture, link: &Link, now: Timestamp) {
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.label(RichText::new("应急指挥调度台").heading().strong());
        ui.label(RichText::new("Emergency Command Console").color(theme::MUTED));
        ui.separator();
        if p.drill {
            ui.label(
                RichText::new(format!(" 演练 EXERCISE · {} ", p.realm))
                    .strong()
                    .background_color(theme::DRILL)
                    .color(Color32::BLACK),
            );
        } else {
            ui.label(
                RichText::new(" 实战 LIVE ")
                    .strong()
                    .background_color(theme::OK)
                    .color(Color32::BLACK),
            );
        }
        ui.separator();
        ui.label(RichText::new(format!("数据源 {}", p.source)).color(theme::MUTED));
        let (text, color) = match &link.status {
            LinkStatus::Connecting => ("● 连接中 connecting".to_owned(), theme::MUTED),
            LinkStatus::Connected { .. } => ("● 已连接 connected".to_owned(), theme::OK),
            LinkStatus::Reconnecting => ("● 重连中 reconnecting".to_owned(), theme::DRILL),
            LinkStatus::Failed(why) => (format!("● 连接失败 {why}"), theme::ALARM),
        };
        ui.label(RichText::new(text).color(color));
        ui.label(RichText::new(format!("序号 seq {}", p.last_seq)).color(theme::MUTED));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.label(
                RichText::new(format!("{} 北京时间", now.cst_string()))
                    .monospace()
                    .size(17.0),
            );
            ui.separator();
            if let Some(shift) = p.state.roster.on_duty(now) {
                let officers: Vec<&str> = shift.officers.iter().map(|u| u.as_str()).collect();
                ui.label(format!(
                    "带班领导 {} · 值班员 {}",
                    shift.leader,
                    officers.join("、")
                ));
            }
        });
    });
    ui.add_space(2.0);
}

/// Incidents sorted by grade (most severe first), then by report time.
fn queue_order(state: &State) -> Vec<&Incident> {
    let mut v: Vec<&Incident> = state
        .incidents
        .values()
        .filter(|i| i.status != IncidentStatus::Closed)
        .collect();
    v.sort_by(|a, b| {
        b.grade
            .cmp(&a.grade)
            .then(a.reported_at.cmp(&b.reported_at))
            .then(a.id.cmp(&b.id))
    });
    v
}

/// The first report not yet made, if any.
fn next_obligation(state: &State, i: &Incident, now: Timestamp) -> Option<Obligation> {
    reporting_obligations(
        i,
        state.rules.reporting.for_jurisdiction(&i.jurisdiction),
        now,
    )
    .into_iter()
    .find(|o| !matches!(o.status, ObligationStatus::Done { .. }))
}

fn obligation_label(o: &Obligation) -> String {
    let channel = match o.channel {
        Some(ReportChannel::Phone) => "·电话",
        Some(ReportChannel::Written) => "·书面",
        None => "",
    };
    format!("{}·{}{}", o.kind.zh(), o.to.zh(), channel)
}

fn incident_queue(ui: &mut egui::Ui, p: &mut Picture, view: &mut MapView, now: Timestamp) {
    ui.add_space(4.0);
    ui.heading(zh_en("事件队列", "Incidents"));
    ui.separator();
    let mut clicked = None;
    egui::ScrollArea::vertical().show(ui, |ui| {
        for i in queue_order(&p.state) {
            let selected = p.selected == Some(Selection::Incident(i.id.clone()));
            let frame = egui::Frame::new()
                .fill(if selected {
                    Color32::from_rgb(0x24, 0x30, 0x40)
                } else {
                    Color32::from_rgb(0x1c, 0x22, 0x2b)
                })
                .stroke(egui::Stroke::new(3.0, theme::grade(i.grade)))
                .inner_margin(8.0)
                .corner_radius(4.0);
            let r = frame
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.horizontal(|ui| {
                        ui.label(
                            RichText::new(format!(" {} ", i.grade.zh()))
                                .background_color(theme::grade(i.grade))
                                .color(Color32::BLACK)
                                .strong(),
                        );
                        ui.label(RichText::new(&i.title).strong().size(16.0));
                    });
                    ui.label(
                        RichText::new(format!(
                            "{} · {} · 接报 {}（{}前）",
                            i.sector.zh(),
                            i.jurisdiction,
                            i.reported_at.cst_hm(),
                            human_duration(now.since(i.reported_at))
                        ))
                        .color(theme::MUTED),
                    );
                    ui.horizontal_wrapped(|ui| {
                        let c = i.casualties;
                        ui.label(format!(
                            "死亡 {} · 重伤 {} · 失踪 {}",
                            c.deaths, c.serious_injuries, c.missing
                        ));
                        if let Some(l) = i.response_level {
                            ui.label(
                                RichText::new(l.zh()).color(Color32::from_rgb(0xff, 0x8a, 0x80)),
                            );
                        }
                        if let Some(w) = i.warning {
                            ui.label(RichText::new(w.zh()).color(theme::warning(w)));
                        }
                    });
                    if i.status == IncidentStatus::Reported {
                        ui.label(
                            RichText::new("● 待处置：尚未下达调度指令")
                                .color(theme::ALARM)
                                .strong(),
                        );
                    } else {
                        ui.label(
                            RichText::new(format!("已下达指令 {} 条", i.orders.len()))
                                .color(theme::MUTED),
                        );
                    }
                    if let Some(o) = next_obligation(&p.state, i, now) {
                        let (text, color) = match o.status {
                            ObligationStatus::Overdue { by } => (
                                format!("{} 已超时 {}", obligation_label(&o), human_duration(by)),
                                theme::ALARM,
                            ),
                            ObligationStatus::Pending { remaining } => (
                                format!(
                                    "{} 截止 {}，剩余 {}",
                                    obligation_label(&o),
                                    o.due_at.cst_hm(),
                                    human_duration(remaining)
                                ),
                                Color32::from_rgb(0xff, 0xd5, 0x4f),
                            ),
                            ObligationStatus::Done { .. } => (String::new(), theme::MUTED),
                        };
                        ui.label(RichText::new(text).color(color));
                    }
                })
                .response
                .interact(egui::Sense::click());
            if r.clicked() {
                clicked = Some((i.id.clone(), i.position));
            }
            ui.add_space(6.0);
        }
    });
    if let Some((id, pos)) = clicked {
        p.selected = Some(Selection::Incident(id));
        view.center_on(pos);
    }
}

fn teams(ui: &mut egui::Ui, p: &mut Picture, now: Timestamp) {
    ui.add_space(4.0);
    if let Some(Selection::Incident(id)) = p.selected.clone()
        && let Some(inc) = p.state.incidents.get(&id)
    {
        ui.heading(zh_en("推荐队伍", "Recommended"));
        ui.label(RichText::new(&inc.title).color(theme::MUTED));
        ui.separator();
        for c in recommend(&p.state, &id, now).iter().take(4) {
            let name = p
                .state
                .teams
                .get(&c.team)
                .map_or(c.team.as_str(), |t| t.name.as_str());
            ui.label(RichText::new(format!("{}. {}", c.rank, name)).strong());
            let reasons: Vec<String> = c.reasons.iter().map(|r| r.zh()).collect();
            ui.label(
                RichText::new(reasons.join("；"))
                    .color(theme::MUTED)
                    .small(),
            );
            ui.add_space(3.0);
        }
        ui.separator();
    }
    ui.heading(zh_en("救援队伍", "Teams"));
    ui.separator();
    egui::ScrollArea::vertical()
        .id_salt("teams")
        .show(ui, |ui| {
            egui::Grid::new("team-grid")
                .striped(true)
                .num_columns(3)
                .show(ui, |ui| {
                    for t in p.state.teams.values() {
                        let c = theme::team_status(&t.status);
                        ui.label(RichText::new("●").color(c));
                        ui.label(&t.name).on_hover_text(format!(
                            "{} · {}人 · {}",
                            t.kind.zh(),
                            t.headcount,
                            t.jurisdiction
                        ));
                        let detail = match (&t.status, &t.last_fix) {
                            (TeamStatus::OutOfService(reason), _) => format!("不可用：{reason}"),
                            (s, Some(f)) => {
                                let age = now.since(f.taken_at).max(0);
                                if age > p.state.rules.staleness_of(f.source) {
                                    format!("{} · 定位{}前", s.zh(), human_duration(age))
                                } else {
                                    s.zh().to_owned()
                                }
                            }
                            (s, None) => format!("{} · 无定位", s.zh()),
                        };
                        ui.label(RichText::new(detail).color(c));
                        ui.end_row();
                    }
                });
        });
}

fn event_feed(ui: &mut egui::Ui, p: &Picture) {
    ui.add_space(4.0);
    ui.label(RichText::new(zh_en("动态", "Activity")).strong());
    egui::ScrollArea::vertical()
        .stick_to_bottom(true)
        .auto_shrink(false)
        .show(ui, |ui| {
            // Positions are on the map; the feed is for decisions and reports.
            let decisions = p
                .feed
                .iter()
                .filter(|(_, e)| !matches!(e.kind, domain::EventKind::FixReported { .. }));
            let recent: Vec<_> = decisions.rev().take(60).collect();
            for (seq, e) in recent.into_iter().rev() {
                ui.horizontal(|ui| {
                    ui.label(
                        RichText::new(format!("{:>5} {}", seq, e.at.cst_string()))
                            .monospace()
                            .color(theme::MUTED),
                    );
                    ui.label(
                        RichText::new(narrative::actor(e))
                            .color(Color32::from_rgb(0x90, 0xca, 0xf9)),
                    );
                    ui.label(narrative::describe(e, &p.state));
                });
            }
        });
}

fn alert_banner(ui: &mut egui::Ui, alerts: &mut Alerts) {
    ui.add_space(3.0);
    let mut acked = Vec::new();
    for a in alerts.open.iter().rev().take(4) {
        let fill = match a.kind {
            AlertKind::Emergency | AlertKind::OrderTimedOut => theme::ALARM,
            AlertKind::ReportOverdue => theme::DRILL,
            AlertKind::NewIncident => Color32::from_rgb(0x1e, 0x63, 0xb4),
        };
        egui::Frame::new()
            .fill(fill)
            .inner_margin(egui::Margin::symmetric(8, 4))
            .corner_radius(3.0)
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    ui.label(
                        RichText::new(format!("{} {}", a.at.cst_hm(), a.kind.zh()))
                            .strong()
                            .color(Color32::WHITE),
                    );
                    ui.label(RichText::new(&a.text).color(Color32::WHITE).size(15.0));
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        if ui.button("确认 Ack").clicked() {
                            acked.push(a.key.clone());
                        }
                    });
                });
            });
        ui.add_space(2.0);
    }
    ui.horizontal(|ui| {
        if alerts.open.len() > 4 {
            ui.label(
                RichText::new(format!("另有 {} 条告警", alerts.open.len() - 4)).color(theme::MUTED),
            );
        }
        if ui.small_button("全部确认").clicked() {
            acked.extend(alerts.open.iter().map(|a| a.key.clone()));
        }
    });
    for k in acked {
        alerts.acknowledge(&k);
    }
}

/// The mute switch and whether sound works at all, always visible.
fn sound_state(ui: &mut egui::Ui, alerts: &mut Alerts) {
    let label = match (alerts.muted, alerts.audio()) {
        (true, _) => RichText::new("已静音 muted").color(theme::DRILL).strong(),
        (false, Audio::Unavailable) => RichText::new("无音频设备 no sound").color(theme::MUTED),
        (false, _) => RichText::new("声音提示 开").color(theme::MUTED),
    };
    if ui.selectable_label(alerts.muted, label).clicked() {
        alerts.muted = !alerts.muted;
    }
}
