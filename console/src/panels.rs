//! The panels around the map: header, incident queue, teams and
//! recommendation, event feed. One system lays them out every frame.

use crate::alerts::{AlertKind, Alerts, Audio};
use crate::i18n::Term;
use crate::i18n::{t, tf};

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
    Incident, IncidentStatus, JurisdictionId, State, Team, TeamKind, TeamStatus, Timestamp,
    recommend, reporting_obligations,
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
    drill: ResMut<'w, crate::drill::DrillDesk>,
    review: Option<ResMut<'w, crate::review::ReviewDesk>>,
    wall: Res<'w, crate::theme::Wall>,
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
        mut drill,
        mut review,
        wall,
    } = desk;
    let ctx = contexts.ctx_mut()?.clone();
    layout(
        &ctx,
        Screen {
            picture: &mut picture,
            view: &mut view,
            workbench: &mut workbench,
            outbox: &mut outbox,
            alerts: &mut alerts,
            link: &link,
            review: review.as_deref_mut(),
            wall: wall.0,
            now: clock.0,
        },
    );
    if !wall.0 {
        crate::drill::window(&ctx, &mut drill, &mut outbox, &picture);
    }
    // Keep countdowns and pulses moving even when nothing arrives.
    ctx.request_repaint_after(std::time::Duration::from_millis(250));
    Ok(())
}

/// Everything one frame of the console reads and changes.
pub struct Screen<'a> {
    /// The realm's picture.
    pub picture: &'a mut Picture,
    /// Map view.
    pub view: &'a mut MapView,
    /// Forms.
    pub workbench: &'a mut Workbench,
    /// Commands out.
    pub outbox: &'a mut Outbox,
    /// Alerts.
    pub alerts: &'a mut Alerts,
    /// Relay link.
    pub link: &'a Link,
    /// Review mode's timeline, when reviewing a log.
    pub review: Option<&'a mut crate::review::ReviewDesk>,
    /// Video-wall mode.
    pub wall: bool,
    /// The frame's clock.
    pub now: Timestamp,
}

/// Lays out one frame: header, alerts, panels, map, windows.
pub fn layout(ctx: &egui::Context, s: Screen<'_>) {
    let Screen {
        picture,
        view,
        workbench,
        outbox,
        alerts,
        link,
        review,
        wall,
        now,
    } = s;
    let reviewing_now = review.is_some();
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );
    egui::Panel::top("header").show(&mut root, |ui| {
        header(ui, picture, link, now);
        if !wall && !reviewing_now {
            ui.horizontal(|ui| {
                workbench::toolbar(ui, workbench, outbox, now);
                ui.separator();
                sound_state(ui, alerts);
                ui.separator();
                // Run-time language switch (中文 first).
                let lang = crate::i18n::lang();
                for (l, label) in [
                    (crate::i18n::Lang::Zh, "中文"),
                    (crate::i18n::Lang::En, "EN"),
                ] {
                    if ui.selectable_label(lang == l, label).clicked() {
                        crate::i18n::set_lang(l);
                    }
                }
                ui.separator();
                if ui.button(t("toolbar.help")).clicked() {
                    crate::help::request_toggle();
                }
            });
        }
        ui.add_space(2.0);
    });
    if !alerts.open.is_empty() {
        egui::Panel::top("alerts").show(&mut root, |ui| alert_banner(ui, alerts));
    }
    let reviewing = review.is_some();
    if let Some(review) = review {
        crate::review::panels(ctx, &mut root, review, picture);
    }
    egui::Panel::bottom("feed")
        .exact_size(170.0)
        .show(&mut root, |ui| event_feed(ui, picture));
    egui::Panel::left("incidents")
        .default_size(390.0)
        .show(&mut root, |ui| incident_queue(ui, picture, view, now));
    egui::Panel::right("teams")
        .default_size(400.0)
        .show(&mut root, |ui| teams(ui, picture, workbench, outbox, now));
    egui::CentralPanel::default()
        .frame(egui::Frame::NONE)
        .show(&mut root, |ui| map::show(ui, view, picture, now, wall));
    let picked = view.picked.take();
    if let Some(at) = view.intake_at.take()
        && !wall
    {
        workbench.intake = Some(crate::forms::IntakeForm::new(now, Some(at)));
    }
    // Review reads the past: nothing to send.
    if !wall && !reviewing {
        workbench::windows(ctx, workbench, outbox, picture, picked, now);
    }
}

/// Room the clock and the shift need at the header's right end.
const CLOCK_BLOCK_WIDTH: f32 = 560.0;

fn clock_and_shift(ui: &mut egui::Ui, p: &Picture, now: Timestamp) {
    ui.label(
        RichText::new(tf("header.clock", &[&now.cst_string()]))
            .monospace()
            .size(17.0),
    );
    ui.separator();
    if let Some(shift) = p.state.roster.on_duty(now) {
        let officers: Vec<&str> = shift.officers.iter().map(|u| u.as_str()).collect();
        ui.label(tf(
            "header.shift",
            &[shift.leader.as_str(), &officers.join("、")],
        ));
    }
}

fn header(ui: &mut egui::Ui, p: &Picture, link: &Link, now: Timestamp) {
    ui.add_space(4.0);
    let mut second_row = false;
    ui.horizontal(|ui| {
        ui.label(RichText::new("应急指挥调度台").heading().strong());
        ui.label(RichText::new("Emergency Command Console").color(theme::MUTED));
        ui.separator();
        if p.drill {
            ui.label(
                RichText::new(tf("header.drill", &[&p.realm]))
                    .strong()
                    .background_color(theme::DRILL)
                    .color(Color32::BLACK),
            );
        } else {
            ui.label(
                RichText::new(t("header.live"))
                    .strong()
                    .background_color(theme::OK)
                    .color(Color32::BLACK),
            );
        }
        realm_picker(ui, p, link);
        ui.separator();
        ui.label(RichText::new(tf("header.source", &[&p.source])).color(theme::MUTED));
        let (text, color) = match &link.status {
            LinkStatus::Connecting => (t("link.connecting").to_owned(), theme::MUTED),
            LinkStatus::Connected { .. } => (t("link.connected").to_owned(), theme::OK),
            LinkStatus::Reconnecting => (t("link.reconnecting").to_owned(), theme::DRILL),
            LinkStatus::Resyncing => (t("link.resyncing").to_owned(), theme::DRILL),
            LinkStatus::Failed(why) => (tf("link.failed", &[why]), theme::ALARM),
            LinkStatus::Offline => (t("link.offline").to_owned(), theme::MUTED),
        };
        ui.label(RichText::new(text).color(color));
        ui.label(RichText::new(tf("header.seq", &[&p.last_seq.to_string()])).color(theme::MUTED));
        // The radio gateways' inputs: how many are up; any down in red.
        let inputs = &p.state.field.inputs;
        if !inputs.is_empty() {
            let down: Vec<String> = inputs
                .values()
                .filter(|i| !i.up)
                .map(|i| format!("{}/{} {}", i.gateway, i.input, i.since.cst_hm()))
                .collect();
            let up = (inputs.len() - down.len()).to_string();
            let text = tf("header.inputs", &[&up, &inputs.len().to_string()]);
            let colour = if down.is_empty() {
                theme::MUTED
            } else {
                theme::ALARM
            };
            let label = ui.label(RichText::new(text).color(colour));
            if !down.is_empty() {
                label.on_hover_text(tf("header.inputs_down", &[&down.join("\n")]));
            }
        }
        if let (Some(lag), LinkStatus::Connected { .. }) = (link.lag_ms, &link.status) {
            // A picture seconds behind the relay is not live: say so in colour.
            let colour = if lag > 5_000 {
                theme::ALARM
            } else {
                theme::MUTED
            };
            ui.label(RichText::new(tf("header.lag", &[&lag.to_string()])).color(colour))
                .on_hover_text(t("header.lag_tip"));
        }
        // Clock and shift on the right when they fit; otherwise on a row
        // of their own, never over the link state.
        if ui.available_width() >= CLOCK_BLOCK_WIDTH {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                clock_and_shift(ui, p, now)
            });
        } else {
            second_row = true;
        }
    });
    if second_row {
        ui.allocate_ui_with_layout(
            egui::vec2(ui.available_width(), 26.0),
            egui::Layout::right_to_left(egui::Align::Center),
            |ui| clock_and_shift(ui, p, now),
        );
    }
    ui.add_space(2.0);
}

/// Most incident cards drawn; the rest are counted (the queue is sorted,
/// so what matters most is always on screen).
const QUEUE_SHOWN: usize = 60;

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
        Some(ReportChannel::Phone) => t("report.via_phone"),
        Some(ReportChannel::Written) => t("report.via_written"),
        None => "",
    };
    format!(
        "{}·{}{}",
        crate::i18n::report_kind(o.kind),
        o.to.term(),
        channel
    )
}

fn incident_queue(ui: &mut egui::Ui, p: &mut Picture, view: &mut MapView, now: Timestamp) {
    ui.add_space(4.0);
    let queue = queue_order(&p.state);
    ui.heading(format!("{}（{}）", t("panel.incidents"), queue.len()));
    ui.separator();
    let mut clicked = None;
    let more = queue.len().saturating_sub(QUEUE_SHOWN);
    egui::ScrollArea::vertical().show(ui, |ui| {
        for i in queue.into_iter().take(QUEUE_SHOWN) {
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
                            RichText::new(format!(" {} ", i.grade.term()))
                                .background_color(theme::grade(i.grade))
                                .color(Color32::BLACK)
                                .strong(),
                        );
                        ui.label(RichText::new(&i.title).strong().size(16.0));
                    });
                    ui.label(
                        RichText::new(tf(
                            "queue.reported",
                            &[
                                i.sector.term(),
                                i.jurisdiction.as_str(),
                                &i.reported_at.cst_hm(),
                                &human_duration(now.since(i.reported_at)),
                            ],
                        ))
                        .color(theme::MUTED),
                    );
                    ui.horizontal_wrapped(|ui| {
                        let c = i.casualties;
                        ui.label(tf(
                            "queue.casualties",
                            &[
                                &c.deaths.to_string(),
                                &c.serious_injuries.to_string(),
                                &c.missing.to_string(),
                            ],
                        ));
                        if let Some(l) = i.response_level {
                            ui.label(
                                RichText::new(l.term()).color(Color32::from_rgb(0xff, 0x8a, 0x80)),
                            );
                        }
                        if let Some(w) = i.warning {
                            ui.label(RichText::new(w.term()).color(theme::warning(w)));
                        }
                    });
                    if i.status == IncidentStatus::Reported {
                        ui.label(
                            RichText::new(t("queue.unhandled"))
                                .color(theme::ALARM)
                                .strong(),
                        );
                    } else {
                        ui.label(
                            RichText::new(tf("queue.orders", &[&i.orders.len().to_string()]))
                                .color(theme::MUTED),
                        );
                    }
                    if let Some(o) = next_obligation(&p.state, i, now) {
                        let (text, color) = match o.status {
                            ObligationStatus::Overdue { by } => (
                                tf(
                                    "queue.overdue",
                                    &[&obligation_label(&o), &human_duration(by)],
                                ),
                                theme::ALARM,
                            ),
                            ObligationStatus::Pending { remaining } => (
                                tf(
                                    "queue.due",
                                    &[
                                        &obligation_label(&o),
                                        &o.due_at.cst_hm(),
                                        &human_duration(remaining),
                                    ],
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
        if more > 0 {
            ui.label(RichText::new(tf("queue.more", &[&more.to_string()])).color(theme::MUTED));
        }
    });
    if let Some((id, pos)) = clicked {
        p.selected = Some(Selection::Incident(id));
        view.center_on(pos);
    }
}

/// Which list the right panel shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RightTab {
    /// 救援队伍
    #[default]
    Teams,
    /// 物资储备
    Depots,
    /// 未分配设备
    Devices,
}

/// Roster filters (队伍筛选).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RosterFilter {
    /// Only this kind.
    pub kind: Option<TeamKind>,
    /// Only available (true) or only busy (false).
    pub available: Option<bool>,
    /// Only this jurisdiction.
    pub jurisdiction: Option<JurisdictionId>,
}

impl RosterFilter {
    /// Whether `t` passes.
    pub fn keeps(&self, t: &Team) -> bool {
        self.kind.is_none_or(|k| t.kind == k)
            && self
                .available
                .is_none_or(|a| (t.status == TeamStatus::Available) == a)
            && self
                .jurisdiction
                .as_ref()
                .is_none_or(|j| t.jurisdiction == *j)
    }
}

fn teams(
    ui: &mut egui::Ui,
    p: &mut Picture,
    wb: &mut Workbench,
    outbox: &mut Outbox,
    now: Timestamp,
) {
    ui.add_space(4.0);
    if let Some(Selection::Incident(id)) = p.selected.clone()
        && let Some(inc) = p.state.incidents.get(&id)
    {
        ui.heading(t("panel.recommended"));
        ui.label(RichText::new(&inc.title).color(theme::MUTED));
        ui.separator();
        for c in recommend(&p.state, &id, now).iter().take(3) {
            let name = p
                .state
                .teams
                .get(&c.team)
                .map_or(c.team.as_str(), |t| t.name.as_str());
            ui.label(RichText::new(format!("{}. {}", c.rank, name)).strong());
            let reasons: Vec<String> = c.reasons.iter().map(crate::i18n::reason).collect();
            ui.label(
                RichText::new(reasons.join(t("common.list_sep")))
                    .color(theme::MUTED)
                    .small(),
            );
            ui.add_space(3.0);
        }
        ui.separator();
    }
    ui.horizontal(|ui| {
        ui.selectable_value(&mut wb.right, RightTab::Teams, t("panel.teams"));
        ui.selectable_value(&mut wb.right, RightTab::Depots, t("panel.depots"));
        let label = crate::devices::tab_label(p);
        let alarm = p.state.field.unassigned.values().any(|d| d.emergency);
        let text = if alarm {
            RichText::new(label).color(theme::ALARM)
        } else {
            RichText::new(label)
        };
        ui.selectable_value(&mut wb.right, RightTab::Devices, text);
    });
    ui.separator();
    match wb.right {
        RightTab::Teams => roster(ui, p, wb, outbox, now),
        RightTab::Depots => depots(ui, p),
        RightTab::Devices => crate::devices::panel(ui, p, outbox, now),
    }
}

fn roster(
    ui: &mut egui::Ui,
    p: &mut Picture,
    wb: &mut Workbench,
    outbox: &mut Outbox,
    now: Timestamp,
) {
    let f = &mut wb.roster;
    ui.horizontal_wrapped(|ui| {
        egui::ComboBox::from_id_salt("filter-kind")
            .selected_text(f.kind.map_or(t("roster.all_kinds"), TeamKind::zh))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.kind, None, t("roster.all_kinds"));
                for k in TeamKind::ALL {
                    ui.selectable_value(&mut f.kind, Some(k), k.term());
                }
            });
        egui::ComboBox::from_id_salt("filter-status")
            .selected_text(match f.available {
                None => t("roster.all_status"),
                Some(true) => t("roster.available"),
                Some(false) => t("roster.busy"),
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.available, None, t("roster.all_status"));
                ui.selectable_value(&mut f.available, Some(true), t("roster.available"));
                ui.selectable_value(&mut f.available, Some(false), t("roster.busy"));
            });
        let places: std::collections::BTreeSet<JurisdictionId> = p
            .state
            .teams
            .values()
            .map(|t| t.jurisdiction.clone())
            .collect();
        egui::ComboBox::from_id_salt("filter-place")
            .selected_text(
                f.jurisdiction
                    .as_ref()
                    .map_or(t("roster.all_places").into(), |j| j.to_string()),
            )
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.jurisdiction, None, t("roster.all_places"));
                for j in places {
                    let label = j.to_string();
                    ui.selectable_value(&mut f.jurisdiction, Some(j), label);
                }
            });
    });
    let shown: Vec<&Team> = p
        .state
        .teams
        .values()
        .filter(|t| wb.roster.keeps(t))
        .collect();
    ui.label(
        RichText::new(tf(
            "roster.count",
            &[&shown.len().to_string(), &p.state.teams.len().to_string()],
        ))
        .color(theme::MUTED),
    );
    let mut select = None;
    // Only the rows in view are laid out: a city has thousands of teams.
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 8.0;
    egui::ScrollArea::vertical()
        .id_salt("teams")
        .auto_shrink(false)
        .show_rows(ui, row_height, shown.len(), |ui, rows| {
            for t in &shown[rows] {
                ui.horizontal(|ui| {
                    ui.set_height(row_height - 4.0);
                    let c = theme::team_status(&t.status);
                    ui.label(RichText::new("●").color(c));
                    let selected = p.selected == Some(Selection::Team(t.id.clone()));
                    let name = ui
                        .add_sized(
                            [160.0, row_height - 6.0],
                            egui::Button::selectable(selected, t.name.as_str()).frame(false),
                        )
                        .on_hover_text(tf(
                            "roster.team_tip",
                            &[
                                t.kind.term(),
                                &t.headcount.to_string(),
                                t.jurisdiction.as_str(),
                            ],
                        ));
                    if name.clicked() {
                        select = Some(t.id.clone());
                    }
                    if let Some(em) = p.state.field.emergencies.get(&t.id) {
                        ui.label(
                            RichText::new(tf("roster.emergency", &[&em.raised_at.cst_hm()]))
                                .color(theme::ALARM)
                                .strong(),
                        )
                        .on_hover_text(em.text.clone().unwrap_or_default());
                        if ui.small_button(crate::i18n::t("roster.clear")).clicked() {
                            outbox.send(
                                tf("roster.clear_emergency", &[&t.name]),
                                domain::Command::Field(
                                    domain::field::FieldCommand::ClearEmergency {
                                        team: t.id.clone(),
                                    },
                                ),
                            );
                        }
                        return;
                    }
                    if let Some(sr) = &t.support {
                        ui.label(
                            RichText::new(tf("roster.needs_support", &[&sr.what]))
                                .color(theme::ALARM)
                                .strong(),
                        )
                        .on_hover_text(tf("roster.requested_at", &[&sr.at.cst_hm()]));
                        if ui
                            .small_button(crate::i18n::t("roster.support_met"))
                            .clicked()
                        {
                            outbox.send(
                                tf("roster.support_met_label", &[&t.name]),
                                domain::Command::RequestSupport {
                                    team: t.id.clone(),
                                    what: None,
                                },
                            );
                        }
                        return;
                    }
                    let detail = match (&t.status, &t.last_fix) {
                        (TeamStatus::OutOfService(reason), _) => {
                            tf("roster.out_of_service", &[reason])
                        }
                        (s, Some(f)) => {
                            let age = now.since(f.taken_at).max(0);
                            if age > p.state.rules.staleness_of(f.source) {
                                tf("roster.fix_age", &[s.term(), &human_duration(age)])
                            } else {
                                s.term().to_owned()
                            }
                        }
                        (s, None) => tf("roster.no_fix", &[s.term()]),
                    };
                    ui.label(RichText::new(detail).color(c))
                        .on_hover_text(t.status.term());
                });
            }
        });
    if let Some(id) = select {
        p.selected = Some(Selection::Team(id));
    }
}

fn depots(ui: &mut egui::Ui, p: &Picture) {
    egui::ScrollArea::vertical()
        .id_salt("depots")
        .show(ui, |ui| {
            for d in p.state.depots.values() {
                ui.label(RichText::new(&d.name).strong());
                ui.label(
                    RichText::new(format!("{} · {}", d.owner, d.jurisdiction)).color(theme::MUTED),
                );
                egui::Grid::new(("stock", d.id.as_str()))
                    .striped(true)
                    .num_columns(3)
                    .show(ui, |ui| {
                        for l in d.stock.values() {
                            ui.label(&l.name);
                            let free = l.free();
                            ui.label(
                                RichText::new(tf("depot.free", &[&free.to_string(), &l.unit]))
                                    .color(if free == 0 { theme::ALARM } else { theme::OK }),
                            );
                            ui.label(
                                RichText::new(tf(
                                    "depot.held",
                                    &[&l.reserved.to_string(), &l.on_hand.to_string()],
                                ))
                                .color(theme::MUTED),
                            );
                            ui.end_row();
                        }
                    });
                ui.separator();
            }
        });
}

fn event_feed(ui: &mut egui::Ui, p: &Picture) {
    ui.add_space(4.0);
    ui.label(RichText::new(t("panel.activity")).strong());
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
                    let text = narrative::describe(e, &p.state);
                    // Every line from a drill realm says it is a drill.
                    if p.drill && !text.starts_with("【演练】") {
                        ui.label(RichText::new("【演练】").color(theme::DRILL).strong());
                    }
                    ui.label(text);
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
                        if ui.button(t("alerts.ack")).clicked() {
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
                RichText::new(tf("alerts.more", &[&(alerts.open.len() - 4).to_string()]))
                    .color(theme::MUTED),
            );
        }
        if ui.small_button(t("alerts.ack_all")).clicked() {
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
        (true, _) => RichText::new(t("sound.muted")).color(theme::DRILL).strong(),
        (false, Audio::Unavailable) => RichText::new(t("sound.none")).color(theme::MUTED),
        (false, _) => RichText::new(t("sound.on")).color(theme::MUTED),
    };
    if ui.selectable_label(alerts.muted, label).clicked() {
        alerts.muted = !alerts.muted;
    }
}

/// Join or leave a drill: the realms the relay has, the current one first.
fn realm_picker(ui: &mut egui::Ui, p: &Picture, link: &Link) {
    if link.status == LinkStatus::Offline {
        return;
    }
    let drills: Vec<&protocol::RealmInfo> = link.realms.iter().filter(|r| r.drill).collect();
    if drills.is_empty() && !p.drill {
        return;
    }
    let mut chosen = None;
    egui::ComboBox::from_id_salt("realm")
        .selected_text(if p.drill {
            t("realm.switch")
        } else {
            t("realm.join")
        })
        .show_ui(ui, |ui| {
            if ui.selectable_label(!p.drill, t("realm.leave")).clicked() {
                chosen = Some(protocol::RealmId::live());
            }
            for r in drills {
                let label = tf("realm.drill_label", &[&r.realm.0, &r.last_seq.to_string()]);
                if ui.selectable_label(p.realm == r.realm.0, label).clicked() {
                    chosen = Some(r.realm.clone());
                }
            }
        });
    if let Some(r) = chosen
        && r.0 != p.realm
    {
        link.switch_to(r);
    }
}
