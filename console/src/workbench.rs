//! The duty officer's work: intake, dispatch from the recommendation,
//! order tracking, supplies, reports, response level, 一呼百应 / 拉动,
//! handover and interval metrics. Every button sends a command through the
//! [`Outbox`]; nothing here changes the picture directly — the change shows
//! when the relay's decision comes back, as on every other console.

use crate::forms::{
    self, Addressees, CallForm, FormError, IntakeForm, ReportForm, SupplyForm, new_id,
};
use crate::i18n::Term;
use crate::i18n::{t, tf};
use crate::net::Outbox;
use crate::picture::{Picture, Selection};
use crate::theme;
use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, RichText};
use domain::deadline::{AdminLevel, ObligationStatus, ReportChannel, ReportKind};
use domain::duty::{CallKind, ResponseDetail, handover_summary};
use domain::metrics::{Interval, samples, summarize};
use domain::time::human_duration;
use domain::{
    Casualties, Command, GeoPoint, IncidentId, IncidentStatus, ItemId, OrderId, OrderStatus,
    OrderStep, ReservationStatus, Sector, State, TeamId, TeamKind, Timestamp, propose_depots,
    recommend, reporting_obligations,
};
use std::collections::{BTreeMap, BTreeSet};

/// Registers the officer's forms and windows.
pub struct WorkbenchPlugin {
    /// This console's name, used in the ids it assigns.
    pub device: String,
}

impl Plugin for WorkbenchPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Workbench::new(&self.device))
            .add_systems(Update, open_start_view);
    }
}

/// What to open once the picture is loaded (for screenshots and demos).
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum StartView {
    /// Just the map and panels.
    #[default]
    Map,
    /// The most severe open incident's dispatch tab.
    Dispatch,
    /// Its reports tab.
    Reports,
    /// The intake form.
    Intake,
    /// 一呼百应 / 拉动.
    Calls,
    /// Handover.
    Handover,
    /// The demo's drill realm (joined once the night is loaded).
    Drill,
    /// The unassigned devices list.
    Devices,
    /// The keyboard shortcuts.
    Help,
}

fn open_start_view(
    view: Option<Res<StartView>>,
    link: Res<crate::net::Link>,
    mut picture: ResMut<Picture>,
    mut wb: ResMut<Workbench>,
    clock: Res<crate::picture::Clock>,
    mut outbox: ResMut<Outbox>,
    mut done: Local<bool>,
) {
    let Some(view) = view else {
        return;
    };
    if *done || !link.demo_ready {
        return;
    }
    *done = true;
    let worst = picture
        .state
        .incidents
        .values()
        .filter(|i| i.status != IncidentStatus::Closed)
        .max_by_key(|i| (i.grade, std::cmp::Reverse(i.reported_at)))
        .map(|i| i.id.clone());
    match *view {
        StartView::Map => {}
        StartView::Dispatch | StartView::Reports => {
            if let Some(id) = worst {
                picture.selected = Some(Selection::Incident(id.clone()));
                wb.open_incident(id);
                wb.tab = if *view == StartView::Dispatch {
                    Tab::Dispatch
                } else {
                    Tab::Reports
                };
            }
        }
        StartView::Intake => wb.intake = Some(IntakeForm::new(clock.0, None)),
        StartView::Devices => wb.right = crate::panels::RightTab::Devices,
        StartView::Help => crate::help::request_toggle(),
        StartView::Calls => {
            wb.call = Some(CallForm {
                kind: CallKind::RollCall,
                to: Addressees::All,
                message: String::new(),
            })
        }
        StartView::Handover => wb.handover = Some((String::new(), String::new())),
        StartView::Drill => {
            link.switch_to(protocol::RealmId(crate::demo::DRILL_REALM.into()));
            if let Some(i) = outbox
                .accounts
                .iter()
                .position(|(_, r)| *r == domain::Role::DrillDirector)
            {
                outbox.current = i;
            }
        }
    }
}

/// Tabs of the incident window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    /// 派遣
    #[default]
    Dispatch,
    /// 指令跟踪
    Orders,
    /// 物资
    Supplies,
    /// 信息报送
    Reports,
    /// 研判与响应
    Assess,
}

/// What the officer has open and typed, per console.
#[derive(Resource)]
pub struct Workbench {
    device: String,
    counter: u32,
    /// Open intake form.
    pub intake: Option<IntakeForm>,
    /// Last refusal of the intake form.
    pub intake_error: Option<FormError>,
    /// The next map click sets the intake position.
    pub picking: bool,
    /// Incident window open for this incident.
    pub incident: Option<IncidentId>,
    /// Tab shown.
    pub tab: Tab,
    /// Teams ticked for dispatch.
    pub chosen: BTreeSet<TeamId>,
    /// Order note.
    pub note: String,
    /// Reason typed for refusing/cancelling, per order.
    pub reasons: BTreeMap<OrderId, String>,
    /// Support needs typed on a team's behalf, per order.
    pub needs: BTreeMap<OrderId, String>,
    /// Quantities typed as returned, per reservation and item.
    pub returns: BTreeMap<domain::ReservationId, BTreeMap<ItemId, String>>,
    /// Supply request being typed.
    pub supply: SupplyForm,
    /// Report form.
    pub report: Option<ReportForm>,
    /// Casualty update being typed: deaths, serious, missing, loss (万元).
    pub figures: [String; 4],
    /// Response level form.
    pub response: (Option<domain::ResponseLevel>, ResponseDetail, String),
    /// Closing summary.
    pub closing: String,
    /// Last refusal in the incident window.
    pub error: Option<FormError>,
    /// Call window open, with its form.
    pub call: Option<CallForm>,
    /// Handover window open: incoming officer, notes.
    pub handover: Option<(String, String)>,
    /// Metrics window open.
    pub metrics: bool,
    /// Right panel list.
    pub right: crate::panels::RightTab,
    /// Roster filters.
    pub roster: crate::panels::RosterFilter,
}

impl Workbench {
    pub(crate) fn new(device: &str) -> Self {
        Self {
            device: device.chars().filter(|c| c.is_alphanumeric()).collect(),
            counter: 0,
            intake: None,
            intake_error: None,
            picking: false,
            incident: None,
            tab: Tab::default(),
            chosen: BTreeSet::new(),
            note: String::new(),
            reasons: BTreeMap::new(),
            needs: BTreeMap::new(),
            returns: BTreeMap::new(),
            supply: SupplyForm::default(),
            report: None,
            figures: Default::default(),
            response: (None, ResponseDetail::default(), String::new()),
            closing: String::new(),
            error: None,
            call: None,
            handover: None,
            metrics: false,
            right: Default::default(),
            roster: Default::default(),
        }
    }

    fn id(&mut self, prefix: &str, now: Timestamp) -> String {
        new_id(prefix, &self.device, now, &mut self.counter)
    }

    /// Opens the incident window on `id`, resetting what was typed for another.
    pub fn open_incident(&mut self, id: IncidentId) {
        if self.incident.as_ref() != Some(&id) {
            self.chosen.clear();
            self.note.clear();
            self.supply = SupplyForm::default();
            self.report = None;
            self.figures = Default::default();
            self.response = (None, ResponseDetail::default(), String::new());
            self.error = None;
            self.tab = Tab::Dispatch;
        }
        self.incident = Some(id);
    }
}

/// The toolbar row under the header: the officer's entry points.
pub fn toolbar(ui: &mut egui::Ui, wb: &mut Workbench, outbox: &mut Outbox, now: Timestamp) {
    ui.horizontal(|ui| {
        if ui
            .button(RichText::new(t("toolbar.intake")).strong())
            .clicked()
        {
            wb.intake = Some(IntakeForm::new(now, None));
            wb.intake_error = None;
        }
        if ui.button(t("toolbar.calls")).clicked() {
            wb.call = Some(CallForm {
                kind: CallKind::RollCall,
                to: Addressees::All,
                message: String::new(),
            });
        }
        if ui.button(t("toolbar.handover")).clicked() {
            wb.handover = Some((String::new(), String::new()));
        }
        if ui.button(t("toolbar.metrics")).clicked() {
            wb.metrics = !wb.metrics;
        }
        ui.separator();
        sign_in(ui, outbox);
    });
}

fn sign_in(ui: &mut egui::Ui, outbox: &mut Outbox) {
    match outbox.me().cloned() {
        None => {
            ui.label(RichText::new(t("user.signing_in")).color(theme::MUTED));
        }
        Some((user, role)) if outbox.accounts.len() == 1 => {
            ui.label(tf("user.current", &[&user, role.term()]));
        }
        Some((user, role)) => {
            let mut current = outbox.current;
            egui::ComboBox::from_id_salt("account")
                .selected_text(tf("user.current", &[&user, role.term()]))
                .show_ui(ui, |ui| {
                    for (i, (u, r)) in outbox.accounts.iter().enumerate() {
                        ui.selectable_value(&mut current, i, format!("{u}（{}）", r.term()));
                    }
                });
            outbox.current = current;
        }
    }
    if !outbox.pending.is_empty() {
        ui.label(
            RichText::new(tf("wb.sending", &[&outbox.pending.len().to_string()]))
                .color(theme::MUTED),
        );
    }
}

/// Sends `cmd` if the role allows it; otherwise says why not.
fn send(outbox: &mut Outbox, label: String, cmd: Command) -> Result<(), FormError> {
    if !outbox.may(&cmd) {
        let role = outbox.me().map_or(t("wb.signed_out"), |(_, r)| r.term());
        return Err(FormError {
            field: t("field.permission"),
            message: tf("wb.forbidden", &[role, &label.to_string()]),
        });
    }
    outbox.send(label, cmd);
    Ok(())
}

/// The floating windows: intake, incident, calls, handover, metrics,
/// and the receipts of recent commands.
pub fn windows(
    ctx: &egui::Context,
    wb: &mut Workbench,
    outbox: &mut Outbox,
    picture: &mut Picture,
    picked: Option<GeoPoint>,
    now: Timestamp,
) {
    if let Some(p) = picked
        && wb.picking
        && let Some(form) = wb.intake.as_mut()
    {
        form.lat = format!("{:.5}", p.lat);
        form.lon = format!("{:.5}", p.lon);
        form.jurisdiction = None;
        wb.picking = false;
    }
    if let Some(Selection::Incident(id)) = &picture.selected
        && wb.incident.as_ref() != Some(id)
    {
        wb.open_incident(id.clone());
    }
    intake_window(ctx, wb, outbox, &picture.state, now);
    incident_window(ctx, wb, outbox, &picture.state, now);
    call_window(ctx, wb, outbox, &picture.state, now);
    handover_window(ctx, wb, outbox, &picture.state, now);
    metrics_window(ctx, wb, &picture.state);
    receipts(ctx, outbox);
}

fn field_row(ui: &mut egui::Ui, label: &str, text: &mut String, hint: &str) {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .hint_text(hint)
            .desired_width(260.0),
    )
    .labelled_by(l.id);
    ui.end_row();
}

fn error_line(ui: &mut egui::Ui, e: &Option<FormError>) {
    if let Some(e) = e {
        ui.label(RichText::new(format!("⚠ {e}")).color(theme::ALARM).strong());
    }
}

/// The intake form (接报登记): the grade is computed as the figures change.
pub fn intake_window(
    ctx: &egui::Context,
    wb: &mut Workbench,
    outbox: &mut Outbox,
    state: &State,
    now: Timestamp,
) {
    let Some(mut form) = wb.intake.take() else {
        return;
    };
    let mut open = true;
    let mut submit = false;
    egui::Window::new(t("intake.title"))
        .id(egui::Id::new("intake"))
        .open(&mut open)
        .default_pos([400.0, 90.0])
        .resizable(false)
        .show(ctx, |ui| {
            egui::Grid::new("intake-grid")
                .num_columns(2)
                .spacing([10.0, 6.0])
                .show(ui, |ui| {
                    field_row(ui, t("field.title"), &mut form.title, t("wb.title_hint"));
                    ui.label(t("intake.source"));
                    egui::ComboBox::from_id_salt("source")
                        .selected_text(forms::source_zh(form.source))
                        .show_ui(ui, |ui| {
                            for s in forms::SOURCES {
                                ui.selectable_value(&mut form.source, s, forms::source_zh(s));
                            }
                        });
                    ui.end_row();
                    ui.label(t("intake.sector"));
                    egui::ComboBox::from_id_salt("sector")
                        .selected_text(form.sector.map_or(t("common.choose"), Sector::zh))
                        .show_ui(ui, |ui| {
                            for s in Sector::ALL {
                                ui.selectable_value(&mut form.sector, Some(s), s.term());
                            }
                        });
                    ui.end_row();
                    ui.label(t("intake.position"));
                    ui.horizontal(|ui| {
                        let lat =
                            ui.add(egui::TextEdit::singleline(&mut form.lat).desired_width(80.0));
                        let l = ui.label("°N");
                        lat.labelled_by(l.id);
                        let lon =
                            ui.add(egui::TextEdit::singleline(&mut form.lon).desired_width(80.0));
                        let l = ui.label("°E");
                        lon.labelled_by(l.id);
                        let pick = if wb.picking {
                            t("intake.picking")
                        } else {
                            t("intake.pick")
                        };
                        if ui.selectable_label(wb.picking, pick).clicked() {
                            wb.picking = !wb.picking;
                        }
                    });
                    ui.end_row();
                    ui.label(t("intake.jurisdiction"));
                    let auto = form.resolved_jurisdiction(state);
                    egui::ComboBox::from_id_salt("jurisdiction")
                        .selected_text(match (&form.jurisdiction, &auto) {
                            (Some(j), _) => j.to_string(),
                            (None, Some(j)) => tf("wb.by_position", &[&j.to_string()]),
                            (None, None) => t("intake.auto_jurisdiction").into(),
                        })
                        .show_ui(ui, |ui| {
                            ui.selectable_value(
                                &mut form.jurisdiction,
                                None,
                                t("intake.auto_jurisdiction"),
                            );
                            for j in known_jurisdictions(state) {
                                let label = j.to_string();
                                ui.selectable_value(&mut form.jurisdiction, Some(j), label);
                            }
                        });
                    ui.end_row();
                    field_row(ui, t("wb.address"), &mut form.address, t("wb.address_hint"));
                    field_row(
                        ui,
                        t("wb.enterprise"),
                        &mut form.enterprise,
                        t("wb.enterprise_hint"),
                    );
                    field_row(
                        ui,
                        t("field.received"),
                        &mut form.received,
                        "YYYY-MM-DD HH:MM",
                    );
                    field_row(
                        ui,
                        t("field.occurred"),
                        &mut form.occurred,
                        "YYYY-MM-DD HH:MM",
                    );
                    field_row(ui, t("field.caller"), &mut form.caller, t("wb.caller_hint"));
                    field_row(ui, t("wb.callback"), &mut form.callback, "");
                    ui.label(t("intake.casualties"));
                    ui.horizontal(|ui| {
                        for (label, v) in [
                            (t("field.deaths"), &mut form.deaths),
                            (t("field.serious"), &mut form.serious),
                            (t("field.missing"), &mut form.missing),
                        ] {
                            let l = ui.label(label);
                            ui.add(egui::TextEdit::singleline(v).desired_width(40.0))
                                .labelled_by(l.id);
                        }
                    });
                    ui.end_row();
                    field_row(ui, t("wb.loss"), &mut form.loss_wan, t("wb.estimate"));
                    ui.label(t("intake.grade"));
                    match form.live_grade(state) {
                        Ok(g) => ui.label(
                            RichText::new(format!(" {} ", g.term()))
                                .background_color(theme::grade(g))
                                .color(Color32::BLACK)
                                .strong(),
                        ),
                        Err(e) => ui.label(RichText::new(e.to_string()).color(theme::ALARM)),
                    };
                    ui.end_row();
                    ui.label(t("intake.suggested_level"));
                    level_combo(ui, "suggested", &mut form.suggested_level);
                    ui.end_row();
                    ui.label(t("intake.warning"));
                    egui::ComboBox::from_id_salt("warning")
                        .selected_text(form.warning.map_or(t("common.none"), |w| w.term()))
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut form.warning, None, t("common.none"));
                            for c in forms::COLOURS {
                                ui.selectable_value(&mut form.warning, Some(c), c.term());
                            }
                        });
                    ui.end_row();
                });
            error_line(ui, &wb.intake_error);
            ui.horizontal(|ui| {
                submit = ui
                    .button(RichText::new(t("intake.record")).strong())
                    .clicked();
            });
        });
    if submit {
        let id = IncidentId::new(wb.id("INC", now));
        match form.build(id.clone(), state, now).and_then(|cmds| {
            cmds.into_iter()
                .try_for_each(|c| send(outbox, tf("wb.intake_label", &[form.title.trim()]), c))
        }) {
            Ok(()) => {
                wb.intake_error = None;
                wb.open_incident(id);
                wb.picking = false;
                return;
            }
            Err(e) => wb.intake_error = Some(e),
        }
    }
    if open {
        wb.intake = Some(form);
    } else {
        wb.picking = false;
    }
}

fn known_jurisdictions(state: &State) -> Vec<domain::JurisdictionId> {
    let mut v: BTreeSet<domain::JurisdictionId> =
        state.rules.jurisdictions.keys().cloned().collect();
    v.extend(state.teams.values().map(|t| t.jurisdiction.clone()));
    v.extend(state.incidents.values().map(|i| i.jurisdiction.clone()));
    v.into_iter().collect()
}

fn level_combo(ui: &mut egui::Ui, salt: &str, level: &mut Option<domain::ResponseLevel>) {
    egui::ComboBox::from_id_salt(salt)
        .selected_text(level.map_or(t("common.none"), |l| l.term()))
        .show_ui(ui, |ui| {
            ui.selectable_value(level, None, t("common.none"));
            for l in forms::LEVELS {
                ui.selectable_value(level, Some(l), l.term());
            }
        });
}

fn team_name(state: &State, id: &TeamId) -> String {
    state
        .teams
        .get(id)
        .map_or_else(|| id.to_string(), |t| t.name.clone())
}

/// The incident window: dispatch, orders, supplies, reports, assessment.
pub fn incident_window(
    ctx: &egui::Context,
    wb: &mut Workbench,
    outbox: &mut Outbox,
    state: &State,
    now: Timestamp,
) {
    let Some(id) = wb.incident.clone() else {
        return;
    };
    let Some(inc) = state.incidents.get(&id) else {
        // Sent, not yet back from the relay: wait for it.
        return;
    };
    let mut open = true;
    egui::Window::new(tf("incident.title", &[&inc.title]))
        .id(egui::Id::new("incident"))
        .open(&mut open)
        .default_pos([400.0, 100.0])
        .default_size([600.0, 640.0])
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(format!(" {} ", inc.grade.term()))
                        .background_color(theme::grade(inc.grade))
                        .color(Color32::BLACK)
                        .strong(),
                );
                ui.label(tf(
                    "wb.incident_line",
                    &[
                        inc.sector.term(),
                        &inc.jurisdiction.to_string(),
                        &inc.reported_at.cst_hm().to_string(),
                    ],
                ));
                if inc.status == IncidentStatus::Closed {
                    ui.label(RichText::new(t("wb.closed")).color(theme::MUTED));
                }
            });
            ui.horizontal(|ui| {
                for (tab, label) in [
                    (Tab::Dispatch, t("tab.dispatch")),
                    (Tab::Orders, t("tab.orders")),
                    (Tab::Supplies, t("tab.supplies")),
                    (Tab::Reports, t("tab.reports")),
                    (Tab::Assess, t("tab.assess")),
                ] {
                    ui.selectable_value(&mut wb.tab, tab, label);
                }
            });
            ui.separator();
            egui::ScrollArea::vertical()
                .id_salt("incident-body")
                .show(ui, |ui| match wb.tab {
                    Tab::Dispatch => dispatch_tab(ui, wb, outbox, state, &id, now),
                    Tab::Orders => orders_tab(ui, wb, outbox, state, &id),
                    Tab::Supplies => supplies_tab(ui, wb, outbox, state, &id, now),
                    Tab::Reports => reports_tab(ui, wb, outbox, state, &id, now),
                    Tab::Assess => assess_tab(ui, wb, outbox, state, &id),
                });
            error_line(ui, &wb.error);
        });
    if !open {
        wb.incident = None;
    }
}

/// 派遣: the ranked candidates; tick one or more, write the note, issue.
pub fn dispatch_tab(
    ui: &mut egui::Ui,
    wb: &mut Workbench,
    outbox: &mut Outbox,
    state: &State,
    id: &IncidentId,
    now: Timestamp,
) {
    let candidates = recommend(state, id, now);
    if candidates.is_empty() {
        ui.label(RichText::new(t("wb.no_available")).color(theme::ALARM));
        return;
    }
    egui::Grid::new("candidates")
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            ui.label("");
            ui.label(RichText::new(t("dispatch.candidate")).strong());
            ui.label(RichText::new(t("dispatch.eta")).strong());
            ui.label(RichText::new(t("dispatch.fix")).strong());
            ui.label(RichText::new(t("dispatch.reasons")).strong());
            ui.end_row();
            for c in candidates.iter().take(10) {
                let mut ticked = wb.chosen.contains(&c.team);
                if ui.checkbox(&mut ticked, "").changed() {
                    if ticked {
                        wb.chosen.insert(c.team.clone());
                    } else {
                        wb.chosen.remove(&c.team);
                    }
                }
                ui.label(format!("{}. {}", c.rank, team_name(state, &c.team)));
                ui.label(format!(
                    "{}（{:.1} km）",
                    human_duration(c.eta),
                    c.distance_m as f64 / 1000.0
                ));
                ui.label(match c.fix_age {
                    Some(a) => tf("wb.ago", &[&human_duration(a).to_string()]),
                    None => t("wb.no_fix").into(),
                });
                let reasons: Vec<String> = c.reasons.iter().map(crate::i18n::reason).collect();
                ui.label(
                    RichText::new(reasons.join(t("common.list_sep")))
                        .small()
                        .color(theme::MUTED),
                );
                ui.end_row();
            }
        });
    ui.add_space(6.0);
    let l = ui.label(t("dispatch.note"));
    ui.add(
        egui::TextEdit::multiline(&mut wb.note)
            .hint_text(t("dispatch.note_hint"))
            .desired_rows(2)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(l.id);
    let n = wb.chosen.len();
    let issue = ui.add_enabled(
        n > 0,
        egui::Button::new(RichText::new(tf("dispatch.issue", &[&n.to_string()])).strong()),
    );
    if issue.clicked() {
        wb.error = None;
        if wb.note.trim().is_empty() {
            wb.error = Some(FormError {
                field: t("dispatch.note"),
                message: t("form.required").into(),
            });
            return;
        }
        for team in std::mem::take(&mut wb.chosen) {
            let cmd = Command::IssueOrder {
                order: OrderId::new(wb.id("ORD", now)),
                incident: id.clone(),
                team: team.clone(),
                note: wb.note.trim().to_owned(),
                // The log keeps what the officer saw next to the choice.
                recommendation_shown: candidates.clone(),
            };
            if let Err(e) = send(
                outbox,
                tf("wb.dispatch_label", &[&team_name(state, &team).to_string()]),
                cmd,
            ) {
                wb.error = Some(e);
                return;
            }
        }
        wb.note.clear();
        wb.tab = Tab::Orders;
    }
}

fn orders_tab(
    ui: &mut egui::Ui,
    wb: &mut Workbench,
    outbox: &mut Outbox,
    state: &State,
    id: &IncidentId,
) {
    let Some(inc) = state.incidents.get(id) else {
        return;
    };
    if inc.orders.is_empty() {
        ui.label(RichText::new(t("wb.no_orders")).color(theme::MUTED));
    }
    ui.label(
        RichText::new(t("wb.proxy_hint"))
            .small()
            .color(theme::MUTED),
    );
    for oid in &inc.orders {
        let Some(o) = state.orders.get(oid) else {
            continue;
        };
        ui.separator();
        ui.horizontal(|ui| {
            let colour = match o.status {
                OrderStatus::TimedOut | OrderStatus::Refused => theme::ALARM,
                OrderStatus::Issued | OrderStatus::Delivered => theme::DRILL,
                _ => theme::OK,
            };
            ui.label(RichText::new(team_name(state, &o.team)).strong());
            ui.label(RichText::new(o.status.term()).color(colour).strong());
            ui.label(
                RichText::new(tf(
                    "wb.issued_line",
                    &[&o.issued_at.cst_hm().to_string(), &o.issued_by.to_string()],
                ))
                .color(theme::MUTED),
            );
        });
        if let Some(sr) = state.teams.get(&o.team).and_then(|t| t.support.as_ref()) {
            ui.label(
                RichText::new(tf(
                    "wb.needs_support",
                    &[&sr.at.cst_hm().to_string(), &sr.what.to_string()],
                ))
                .color(theme::ALARM)
                .strong(),
            );
        }
        if let Some(last) = o.history.last().and_then(|h| h.reason.clone()) {
            ui.label(RichText::new(tf("wb.reason_line", &[&last.to_string()])).color(theme::MUTED));
        }
        let steps: Vec<(&str, OrderStep)> = match o.status {
            OrderStatus::Issued | OrderStatus::Delivered | OrderStatus::TimedOut => {
                vec![(t("orders.ack"), OrderStep::Acknowledged)]
            }
            OrderStatus::Acknowledged => vec![(t("orders.en_route"), OrderStep::EnRoute)],
            OrderStatus::EnRoute => vec![(t("orders.on_scene"), OrderStep::OnScene)],
            OrderStatus::OnScene => vec![(t("orders.release"), OrderStep::Released)],
            OrderStatus::Released => vec![
                (t("orders.returning"), OrderStep::Returning),
                (t("orders.available"), OrderStep::Available),
            ],
            OrderStatus::Returning => vec![(t("orders.available"), OrderStep::Available)],
            _ => vec![],
        };
        if matches!(o.status, OrderStatus::EnRoute | OrderStatus::OnScene) {
            ui.horizontal(|ui| {
                let what = wb.needs.entry(oid.clone()).or_default();
                ui.add(
                    egui::TextEdit::singleline(what)
                        .hint_text(t("orders.support_hint"))
                        .desired_width(200.0),
                );
                if ui.button(t("orders.support")).clicked() {
                    let cmd = Command::RequestSupport {
                        team: o.team.clone(),
                        what: Some(what.trim().to_owned()),
                    };
                    if what.trim().is_empty() {
                        wb.error = Some(FormError {
                            field: t("field.support"),
                            message: t("form.required").into(),
                        });
                    } else {
                        let label = tf(
                            "wb.support_label",
                            &[&team_name(state, &o.team).to_string()],
                        );
                        wb.error = send(outbox, label, cmd).err();
                    }
                }
            });
        }
        let can_refuse = matches!(
            o.status,
            OrderStatus::Issued | OrderStatus::Delivered | OrderStatus::TimedOut
        );
        let can_cancel = OrderStatus::can_step_to(o.status, OrderStatus::Cancelled);
        ui.horizontal(|ui| {
            for (label, step) in steps {
                if ui.button(label).clicked() {
                    let cmd = Command::AdvanceOrder {
                        order: oid.clone(),
                        step,
                    };
                    let what = format!("{} {label}", team_name(state, &o.team));
                    wb.error = send(outbox, what, cmd).err();
                }
            }
            if can_refuse || can_cancel {
                let reason = wb.reasons.entry(oid.clone()).or_default();
                ui.add(
                    egui::TextEdit::singleline(reason)
                        .hint_text(t("orders.reason_hint"))
                        .desired_width(140.0),
                );
                let reason = reason.trim().to_owned();
                let mut act = |label: &str, step: OrderStep| {
                    if reason.is_empty() {
                        wb.error = Some(FormError {
                            field: t("field.reason"),
                            message: tf("wb.reason_needed", &[label]),
                        });
                        return;
                    }
                    let cmd = Command::AdvanceOrder {
                        order: oid.clone(),
                        step,
                    };
                    wb.error = send(
                        outbox,
                        format!("{} {label}", team_name(state, &o.team)),
                        cmd,
                    )
                    .err();
                };
                if can_refuse && ui.button(t("orders.refused")).clicked() {
                    act(
                        t("orders.refused"),
                        OrderStep::Refused {
                            reason: reason.clone(),
                        },
                    );
                }
                if can_cancel && ui.button(t("orders.cancel")).clicked() {
                    act(
                        t("orders.cancel"),
                        OrderStep::Cancelled {
                            reason: reason.clone(),
                        },
                    );
                }
            }
        });
    }
}

fn item_catalogue(state: &State) -> BTreeMap<ItemId, (String, String, u64)> {
    let mut items: BTreeMap<ItemId, (String, String, u64)> = BTreeMap::new();
    for d in state.depots.values() {
        for l in d.stock.values() {
            let e = items
                .entry(l.item.clone())
                .or_insert_with(|| (l.name.clone(), l.unit.clone(), 0));
            e.2 += l.free();
        }
    }
    items
}

fn supplies_tab(
    ui: &mut egui::Ui,
    wb: &mut Workbench,
    outbox: &mut Outbox,
    state: &State,
    id: &IncidentId,
    now: Timestamp,
) {
    let Some(inc) = state.incidents.get(id) else {
        return;
    };
    let catalogue = item_catalogue(state);
    for item in catalogue.keys() {
        if !wb.supply.lines.iter().any(|(i, _)| i == item) {
            wb.supply.lines.push((item.clone(), String::new()));
        }
    }
    ui.label(RichText::new(t("wb.request_items")).strong());
    egui::Grid::new("supply-lines")
        .num_columns(3)
        .striped(true)
        .show(ui, |ui| {
            for (item, qty) in wb.supply.lines.iter_mut() {
                let (name, unit, free) = catalogue.get(item).cloned().unwrap_or_default();
                ui.label(name);
                ui.add(egui::TextEdit::singleline(qty).desired_width(60.0));
                ui.label(
                    RichText::new(tf("wb.available", &[&unit.to_string(), &free.to_string()]))
                        .color(theme::MUTED),
                );
                ui.end_row();
            }
        });
    match wb.supply.quantities() {
        Err(e) if wb.supply.lines.iter().any(|(_, q)| !q.trim().is_empty()) => {
            ui.label(RichText::new(e.to_string()).color(theme::ALARM));
        }
        Err(_) => {}
        Ok(lines) => {
            ui.label(RichText::new(t("wb.depots_ranked")).strong());
            for p in propose_depots(&state.depots, inc.position, &lines) {
                let Some(d) = state.depots.get(&p.depot) else {
                    continue;
                };
                ui.horizontal(|ui| {
                    ui.label(format!("{}（{:.1} km）", d.name, p.distance_m / 1000.0));
                    if p.short.is_empty() {
                        ui.label(RichText::new(t("wb.covers")).color(theme::OK));
                        if ui.button(t("supplies.reserve")).clicked() {
                            let cmd = Command::ReserveSupplies {
                                reservation: domain::ReservationId::new(wb.id("RES", now)),
                                incident: id.clone(),
                                depot: p.depot.clone(),
                                lines: lines.clone(),
                            };
                            wb.error =
                                send(outbox, tf("wb.reserve_label", &[&d.name.to_string()]), cmd)
                                    .err();
                            if wb.error.is_none() {
                                wb.supply = SupplyForm::default();
                            }
                        }
                    } else {
                        let short: Vec<String> = p
                            .short
                            .iter()
                            .map(|s| {
                                let name = catalogue.get(&s.item).map_or(s.item.as_str(), |c| &c.0);
                                tf(
                                    "wb.short",
                                    &[name, &(s.requested - s.available).to_string()],
                                )
                            })
                            .collect();
                        ui.label(RichText::new(short.join("，")).color(theme::DRILL));
                    }
                });
            }
        }
    }
    ui.separator();
    ui.label(RichText::new(t("wb.incident_supplies")).strong());
    for r in state.reservations.values().filter(|r| r.incident == *id) {
        let depot = state
            .depots
            .get(&r.depot)
            .map_or(r.depot.as_str(), |d| d.name.as_str());
        let lines: Vec<String> = r
            .lines
            .iter()
            .map(|(i, q)| {
                let (name, unit, _) = catalogue.get(i).cloned().unwrap_or_default();
                format!("{name}{q}{unit}")
            })
            .collect();
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("{depot}：{}", lines.join("、")));
            ui.label(RichText::new(reservation_zh(r.status)).strong());
            let next: Option<(&str, Command)> = match r.status {
                ReservationStatus::Reserved => Some((
                    t("wb.dispatch_out"),
                    Command::DispatchSupplies {
                        reservation: r.id.clone(),
                    },
                )),
                ReservationStatus::Dispatched => Some((
                    t("wb.delivered"),
                    Command::DeliverSupplies {
                        reservation: r.id.clone(),
                    },
                )),
                _ => None,
            };
            if let Some((label, cmd)) = next
                && ui.button(label).clicked()
            {
                wb.error = send(outbox, format!("{label} {depot}"), cmd).err();
            }
            if r.status == ReservationStatus::Delivered {
                // What comes back goes into stock again; the rest is consumed.
                let typed = wb.returns.entry(r.id.clone()).or_default();
                for (item, sent) in &r.lines {
                    let (name, unit, _) = catalogue.get(item).cloned().unwrap_or_default();
                    let l = ui.label(tf("wb.returned", &[&name.to_string()]));
                    ui.add(
                        egui::TextEdit::singleline(typed.entry(item.clone()).or_default())
                            .hint_text(format!("0–{sent}"))
                            .desired_width(44.0),
                    )
                    .labelled_by(l.id);
                    ui.label(unit);
                }
                if ui.button(t("supplies.settle")).clicked() {
                    let mut returned = BTreeMap::new();
                    let mut bad = None;
                    for (item, q) in typed.iter() {
                        match q.trim() {
                            "" => {}
                            q => match q.parse::<u64>() {
                                Ok(0) => {}
                                Ok(n) => {
                                    returned.insert(item.clone(), n);
                                }
                                Err(_) => {
                                    bad = Some(FormError {
                                        field: t("field.returned"),
                                        message: t("form.non_negative").into(),
                                    })
                                }
                            },
                        }
                    }
                    wb.error = match bad {
                        Some(e) => Some(e),
                        None => send(
                            outbox,
                            tf("wb.settle_label", &[depot]),
                            Command::SettleSupplies {
                                reservation: r.id.clone(),
                                returned,
                            },
                        )
                        .err(),
                    };
                }
            }
            if r.status == ReservationStatus::Reserved && ui.button(t("supplies.cancel")).clicked()
            {
                let cmd = Command::CancelReservation {
                    reservation: r.id.clone(),
                    reason: "值班员取消：不再需要".into(),
                };
                wb.error = send(outbox, tf("wb.cancel_label", &[depot]), cmd).err();
            }
        });
    }
}

fn reservation_zh(s: ReservationStatus) -> &'static str {
    match s {
        ReservationStatus::Reserved => t("res.reserved"),
        ReservationStatus::Dispatched => t("res.dispatched"),
        ReservationStatus::Delivered => t("res.delivered"),
        ReservationStatus::Settled => t("res.settled"),
        ReservationStatus::Cancelled => t("res.cancelled"),
    }
}

/// Levels that must hear of an incident of this grade, county upwards.
fn escalation_chain(top: AdminLevel) -> Vec<AdminLevel> {
    let mut v = vec![AdminLevel::County];
    while let Some(next) = v.last().and_then(|l| l.above()) {
        if *v.last().unwrap_or(&AdminLevel::County) >= top {
            break;
        }
        v.push(next);
    }
    v
}

fn reports_tab(
    ui: &mut egui::Ui,
    wb: &mut Workbench,
    outbox: &mut Outbox,
    state: &State,
    id: &IncidentId,
    now: Timestamp,
) {
    let Some(inc) = state.incidents.get(id) else {
        return;
    };
    let rules = state.rules.reporting.for_jurisdiction(&inc.jurisdiction);
    let top = AdminLevel::top_for(inc.grade);
    ui.label(RichText::new(tf("wb.escalation", &[inc.grade.term(), top.term()])).strong());
    for o in reporting_obligations(inc, rules, now) {
        let channel = match o.channel {
            Some(ReportChannel::Phone) => t("report.via_phone"),
            Some(ReportChannel::Written) => t("report.via_written"),
            None => "",
        };
        let (mark, text, colour) = match o.status {
            ObligationStatus::Done { filed_at, late_by } if late_by > 0 => (
                "■",
                tf(
                    "wb.filed_late",
                    &[
                        &filed_at.cst_hm().to_string(),
                        &human_duration(late_by).to_string(),
                    ],
                ),
                theme::DRILL,
            ),
            ObligationStatus::Done { filed_at, .. } => (
                "■",
                tf("wb.filed", &[&filed_at.cst_hm().to_string()]),
                theme::OK,
            ),
            ObligationStatus::Pending { remaining } => (
                "□",
                tf(
                    "wb.due_left",
                    &[
                        &o.due_at.cst_hm().to_string(),
                        &human_duration(remaining).to_string(),
                    ],
                ),
                Color32::from_rgb(0xff, 0xd5, 0x4f),
            ),
            ObligationStatus::Overdue { by } => (
                "□",
                tf(
                    "wb.due_over",
                    &[
                        &o.due_at.cst_hm().to_string(),
                        &human_duration(by).to_string(),
                    ],
                ),
                theme::ALARM,
            ),
        };
        ui.label(
            RichText::new(format!(
                "{mark} {}·{}{channel}  {text}",
                crate::i18n::report_kind(o.kind),
                o.to.term()
            ))
            .color(colour),
        );
    }
    let chain: Vec<&str> = escalation_chain(top)
        .into_iter()
        .map(|l| l.term())
        .collect();
    ui.label(RichText::new(tf("wb.notify", &[&chain.join(" → ").to_string()])).color(theme::MUTED));
    ui.separator();
    for r in &inc.reports {
        ui.label(format!(
            "{} {}（{}）{} · {}",
            r.filed_at.cst_hm(),
            crate::i18n::report_kind(r.kind),
            match r.channel {
                ReportChannel::Phone => t("report.phone"),
                ReportChannel::Written => t("report.written"),
            },
            r.to_level.term(),
            r.by
        ));
    }
    ui.separator();
    let form = wb
        .report
        .get_or_insert_with(|| ReportForm::for_incident(inc, AdminLevel::County));
    ui.horizontal(|ui| {
        egui::ComboBox::from_id_salt("report-kind")
            .selected_text(crate::i18n::report_kind(form.kind))
            .show_ui(ui, |ui| {
                let follow = ReportForm::for_incident(inc, form.to_level).kind;
                for k in [
                    follow,
                    ReportKind::First,
                    ReportKind::Supplement,
                    ReportKind::Final,
                ] {
                    ui.selectable_value(&mut form.kind, k, crate::i18n::report_kind(k));
                }
            });
        egui::ComboBox::from_id_salt("report-channel")
            .selected_text(match form.channel {
                ReportChannel::Phone => t("report.phone"),
                ReportChannel::Written => t("report.written"),
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut form.channel, ReportChannel::Phone, t("report.phone"));
                ui.selectable_value(
                    &mut form.channel,
                    ReportChannel::Written,
                    t("report.written"),
                );
            });
        egui::ComboBox::from_id_salt("report-level")
            .selected_text(form.to_level.term())
            .show_ui(ui, |ui| {
                for l in [
                    AdminLevel::County,
                    AdminLevel::City,
                    AdminLevel::Province,
                    AdminLevel::StateCouncil,
                ] {
                    ui.selectable_value(&mut form.to_level, l, l.term());
                }
            });
    });
    egui::Grid::new("report-form")
        .num_columns(2)
        .show(ui, |ui| {
            for (label, v) in [
                ("报送对象", &mut form.recipient),
                ("单位概况", &mut form.unit),
                ("时间、地点、现场情况", &mut form.scene),
                ("事故经过", &mut form.sequence),
                ("伤亡及损失", &mut form.losses),
                ("已采取措施", &mut form.measures),
                ("到场领导", &mut form.leaders),
                ("请求事项", &mut form.requests),
                ("其他情况", &mut form.other),
            ] {
                ui.label(label);
                ui.add(
                    egui::TextEdit::multiline(v)
                        .desired_rows(1)
                        .desired_width(360.0),
                );
                ui.end_row();
            }
        });
    if ui
        .button(RichText::new(t("report.file")).strong())
        .clicked()
    {
        match form.build(id.clone()) {
            Ok(cmd) => {
                let label = format!(
                    "{} → {}",
                    crate::i18n::report_kind(form.kind),
                    form.to_level.term()
                );
                wb.error = send(outbox, label, cmd).err();
                if wb.error.is_none() {
                    wb.report = None;
                }
            }
            Err(e) => wb.error = Some(e),
        }
    }
}

fn assess_tab(
    ui: &mut egui::Ui,
    wb: &mut Workbench,
    outbox: &mut Outbox,
    state: &State,
    id: &IncidentId,
) {
    let Some(inc) = state.incidents.get(id) else {
        return;
    };
    if wb.figures.iter().all(String::is_empty) {
        let c = inc.casualties;
        wb.figures = [
            c.deaths.to_string(),
            c.serious_injuries.to_string(),
            c.missing.to_string(),
            format!("{}", inc.direct_loss_yuan as f64 / 10_000.0),
        ];
    }
    ui.label(RichText::new(t("wb.casualties_totals")).strong());
    let mut probe = IntakeForm::new(Timestamp(0), None);
    ui.horizontal(|ui| {
        let [deaths, serious, missing, loss] = &mut wb.figures;
        for (label, v) in [
            (t("field.deaths"), deaths),
            (t("field.serious"), serious),
            (t("field.missing"), missing),
            (t("wb.loss_short"), loss),
        ] {
            ui.label(label);
            ui.add(egui::TextEdit::singleline(v).desired_width(48.0));
        }
    });
    probe.deaths = wb.figures[0].clone();
    probe.serious = wb.figures[1].clone();
    probe.missing = wb.figures[2].clone();
    probe.loss_wan = wb.figures[3].clone();
    ui.horizontal(|ui| match probe.live_grade(state) {
        Ok(g) => {
            ui.label(t("assess.new_grade"));
            ui.label(
                RichText::new(format!(" {} ", g.term()))
                    .background_color(theme::grade(g))
                    .color(Color32::BLACK),
            );
            if g != inc.grade {
                ui.label(RichText::new(t("wb.grade_changes")).color(theme::ALARM));
            }
            if ui.button(t("assess.update")).clicked() {
                let cmd = probe.casualties().and_then(|c: Casualties| {
                    Ok(Command::UpdateCasualties {
                        incident: id.clone(),
                        casualties: c,
                        direct_loss_yuan: probe.loss_yuan()?,
                    })
                });
                wb.error = cmd
                    .and_then(|c| send(outbox, t("assess.update").into(), c))
                    .err();
            }
        }
        Err(e) => {
            ui.label(RichText::new(e.to_string()).color(theme::ALARM));
        }
    });
    ui.separator();
    ui.label(RichText::new(t("wb.warning")).strong());
    ui.horizontal(|ui| {
        for c in forms::COLOURS {
            if ui
                .selectable_label(
                    inc.warning == Some(c),
                    RichText::new(c.term()).color(theme::warning(c)),
                )
                .clicked()
                && inc.warning != Some(c)
            {
                let cmd = Command::SetWarning {
                    incident: id.clone(),
                    colour: Some(c),
                };
                wb.error = send(outbox, tf("wb.issue_warning", &[c.term()]), cmd).err();
            }
        }
        if inc.warning.is_some() && ui.button(t("warning.lift")).clicked() {
            let cmd = Command::SetWarning {
                incident: id.clone(),
                colour: None,
            };
            wb.error = send(outbox, t("warning.lift").into(), cmd).err();
        }
    });
    ui.separator();
    ui.label(RichText::new(t("wb.response")).strong());
    if let (Some(l), Some(d)) = (inc.response_level, &inc.response_detail) {
        ui.label(tf(
            "wb.response_now",
            &[
                l.term(),
                &d.matters.to_string(),
                &d.measures.to_string(),
                &d.expected_hours
                    .map(|h| format!(" · 预计 {h} 小时"))
                    .unwrap_or_default()
                    .to_string(),
            ],
        ));
    }
    let (level, detail, hours) = &mut wb.response;
    ui.horizontal(|ui| {
        ui.label(t("response.level"));
        level_combo(ui, "response-level", level);
        ui.label(t("response.hours"));
        ui.add(egui::TextEdit::singleline(hours).desired_width(40.0));
    });
    egui::Grid::new("response").num_columns(2).show(ui, |ui| {
        ui.label(t("response.matters"));
        ui.add(egui::TextEdit::singleline(&mut detail.matters).desired_width(360.0));
        ui.end_row();
        ui.label(t("response.measures"));
        ui.add(
            egui::TextEdit::multiline(&mut detail.measures)
                .desired_rows(2)
                .desired_width(360.0),
        );
        ui.end_row();
    });
    ui.horizontal(|ui| {
        let label = if inc.response_level.is_some() {
            t("wb.response_change")
        } else {
            t("wb.response_start")
        };
        if ui
            .add_enabled(level.is_some(), egui::Button::new(label))
            .clicked()
        {
            let parsed = match hours.trim() {
                "" => Ok(None),
                h => h.parse::<u32>().map(Some).map_err(|_| FormError {
                    field: t("field.duration"),
                    message: t("form.hours").into(),
                }),
            };
            let cmd = parsed.and_then(|h| {
                if detail.matters.trim().is_empty() {
                    return Err(FormError {
                        field: t("response.matters"),
                        message: t("form.required").into(),
                    });
                }
                Ok(Command::SetResponseLevel {
                    incident: id.clone(),
                    level: *level,
                    detail: ResponseDetail {
                        expected_hours: h,
                        ..detail.clone()
                    },
                })
            });
            let what = format!("{label} {}", level.map_or("", |l| l.term()));
            wb.error = cmd.and_then(|c| send(outbox, what, c)).err();
        }
        if inc.response_level.is_some() && ui.button(t("response.lift")).clicked() {
            let cmd = Command::SetResponseLevel {
                incident: id.clone(),
                level: None,
                detail: ResponseDetail::default(),
            };
            wb.error = send(outbox, t("response.lift").into(), cmd).err();
        }
    });
    ui.separator();
    if inc.status != IncidentStatus::Closed {
        ui.label(RichText::new(t("wb.close")).strong());
        ui.add(
            egui::TextEdit::multiline(&mut wb.closing)
                .hint_text(t("assess.closing_hint"))
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        );
        if ui.button(t("assess.close")).clicked() {
            if wb.closing.trim().is_empty() {
                wb.error = Some(FormError {
                    field: t("field.close_summary"),
                    message: t("form.required").into(),
                });
            } else {
                let cmd = Command::CloseIncident {
                    incident: id.clone(),
                    summary: wb.closing.trim().to_owned(),
                };
                wb.error = send(outbox, t("wb.close").into(), cmd).err();
            }
        }
    }
}

fn call_window(
    ctx: &egui::Context,
    wb: &mut Workbench,
    outbox: &mut Outbox,
    state: &State,
    now: Timestamp,
) {
    let Some(mut form) = wb.call.take() else {
        return;
    };
    let mut open = true;
    let mut error = None;
    egui::Window::new(t("calls.title"))
        .id(egui::Id::new("calls"))
        .open(&mut open)
        .default_pos([460.0, 140.0])
        .default_size([520.0, 480.0])
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.selectable_value(&mut form.kind, CallKind::RollCall, t("calls.roll_call"));
                ui.selectable_value(&mut form.kind, CallKind::Broadcast, t("calls.broadcast"));
            });
            ui.horizontal(|ui| {
                ui.label(t("calls.to"));
                let label = match &form.to {
                    Addressees::All => t("calls.all_teams").to_owned(),
                    Addressees::Kind(k) => k.term().to_owned(),
                    Addressees::Jurisdiction(j) => j.to_string(),
                    Addressees::Picked(s) => format!("手选 {} 支", s.len()),
                };
                egui::ComboBox::from_id_salt("call-to")
                    .selected_text(label)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut form.to, Addressees::All, t("calls.all_teams"));
                        for k in TeamKind::ALL {
                            ui.selectable_value(&mut form.to, Addressees::Kind(k), k.term());
                        }
                        for j in known_jurisdictions(state) {
                            let label = j.to_string();
                            ui.selectable_value(&mut form.to, Addressees::Jurisdiction(j), label);
                        }
                        if ui.selectable_label(false, t("calls.pick")).clicked() {
                            form.to = Addressees::Picked(BTreeSet::new());
                        }
                    });
            });
            if let Addressees::Picked(set) = &mut form.to {
                egui::ScrollArea::vertical()
                    .id_salt("pick")
                    .max_height(120.0)
                    .show(ui, |ui| {
                        for t in state.teams.values() {
                            let mut on = set.contains(&t.id);
                            if ui.checkbox(&mut on, &t.name).changed() {
                                if on {
                                    set.insert(t.id.clone());
                                } else {
                                    set.remove(&t.id);
                                }
                            }
                        }
                    });
            }
            let (_, teams) = form.resolve(state);
            ui.label(
                RichText::new(tf("wb.will_reach", &[&teams.len().to_string()])).color(theme::MUTED),
            );
            ui.add(
                egui::TextEdit::multiline(&mut form.message)
                    .hint_text(t("calls.message_hint"))
                    .desired_rows(2)
                    .desired_width(f32::INFINITY),
            );
            if ui.button(RichText::new(t("calls.send")).strong()).clicked() {
                let id = domain::CallId::new(wb.id("CALL", now));
                match form.build(id, state) {
                    Ok(cmd) => {
                        error = send(outbox, form.kind.zh().to_owned(), cmd).err();
                        if error.is_none() {
                            form.message.clear();
                        }
                    }
                    Err(e) => error = Some(e),
                }
            }
            error_line(ui, &error);
            ui.separator();
            let mut calls: Vec<&domain::Call> = state.calls.values().collect();
            calls.sort_by_key(|c| std::cmp::Reverse(c.started_at));
            for c in calls.into_iter().take(6) {
                call_result(ui, outbox, state, c, now);
            }
        });
    if let Some(e) = error {
        wb.error = Some(e);
    }
    if open {
        wb.call = Some(form);
    }
}

fn call_result(
    ui: &mut egui::Ui,
    outbox: &mut Outbox,
    state: &State,
    c: &domain::Call,
    now: Timestamp,
) {
    let open = c.closed_at.is_none();
    ui.label(
        RichText::new(tf(
            "wb.call_line",
            &[
                &c.started_at.cst_hm().to_string(),
                c.kind.term(),
                &c.addressed_as.to_string(),
                &c.answers.len().to_string(),
                &c.teams.len().to_string(),
                if open { "" } else { t("wb.call_ended") },
            ],
        ))
        .strong(),
    );
    ui.label(RichText::new(&c.message).color(theme::MUTED));
    let times: Vec<String> = c
        .answer_times()
        .iter()
        .map(|(t, d)| format!("{} {}", team_name(state, t), human_duration(*d)))
        .collect();
    if !times.is_empty() {
        ui.label(
            RichText::new(tf("wb.answered", &[&times.join("，").to_string()])).color(theme::OK),
        );
    }
    ui.horizontal_wrapped(|ui| {
        let silent = c.silent();
        if !silent.is_empty() {
            ui.label(
                RichText::new(tf(
                    "wb.unanswered",
                    &[&human_duration(now.since(c.started_at)).to_string()],
                ))
                .color(if c.kind == CallKind::RollCall {
                    theme::ALARM
                } else {
                    theme::MUTED
                }),
            );
        }
        for t in silent {
            if open
                && ui
                    .small_button(tf("wb.answer_for", &[&team_name(state, t).to_string()]))
                    .clicked()
            {
                outbox.send(
                    tf("wb.answer_for_label", &[&team_name(state, t).to_string()]),
                    Command::AnswerCall {
                        call: c.id.clone(),
                        team: t.clone(),
                    },
                );
            }
            if !open {
                ui.label(team_name(state, t));
            }
        }
        if open && ui.small_button(t("calls.close")).clicked() {
            outbox.send(
                tf("wb.end_call", &[c.kind.term()]),
                Command::CloseCall { call: c.id.clone() },
            );
        }
    });
    ui.separator();
}

fn handover_window(
    ctx: &egui::Context,
    wb: &mut Workbench,
    outbox: &mut Outbox,
    state: &State,
    now: Timestamp,
) {
    let me = outbox.me().map(|(u, _)| u.clone()).unwrap_or_default();
    // A handover addressed to whoever is signed in asks to be accepted,
    // whether or not the window is open.
    let waiting: Vec<&domain::Handover> = state
        .handovers
        .values()
        .filter(|h| h.to.as_str() == me && h.accepted_at.is_none())
        .collect();
    if wb.handover.is_none() && waiting.is_empty() {
        return;
    }
    let mut open = true;
    let mut form = wb.handover.take().unwrap_or_default();
    egui::Window::new(t("handover.title"))
        .id(egui::Id::new("handover"))
        .open(&mut open)
        .default_pos([480.0, 160.0])
        .default_size([520.0, 460.0])
        .show(ctx, |ui| {
            for h in &waiting {
                ui.label(
                    RichText::new(tf(
                        "wb.handover_to_you",
                        &[&h.from.to_string(), &h.given_at.cst_hm().to_string()],
                    ))
                    .strong()
                    .color(theme::DRILL),
                );
                summary_view(ui, state, &h.summary);
                if !h.notes.is_empty() {
                    ui.label(tf("wb.handover_notes", &[&h.notes.to_string()]));
                }
                if ui
                    .button(RichText::new(t("handover.accept")).strong())
                    .clicked()
                {
                    wb.error = send(
                        outbox,
                        t("wb.accept_handover").into(),
                        Command::AcceptHandover {
                            handover: h.id.clone(),
                        },
                    )
                    .err();
                }
                ui.separator();
            }
            ui.label(RichText::new(t("wb.handover_summary")).strong());
            summary_view(ui, state, &handover_summary(state, now));
            ui.horizontal(|ui| {
                ui.label(t("handover.to"));
                ui.add(egui::TextEdit::singleline(&mut form.0).desired_width(120.0));
                let next: Vec<String> = outbox
                    .accounts
                    .iter()
                    .map(|(u, _)| u.clone())
                    .filter(|u| *u != me)
                    .collect();
                for u in next {
                    if ui.small_button(&u).clicked() {
                        form.0 = u;
                    }
                }
            });
            ui.add(
                egui::TextEdit::multiline(&mut form.1)
                    .hint_text(t("handover.notes_hint"))
                    .desired_rows(3)
                    .desired_width(f32::INFINITY),
            );
            if ui
                .button(RichText::new(t("handover.give")).strong())
                .clicked()
            {
                if form.0.trim().is_empty() {
                    wb.error = Some(FormError {
                        field: t("handover.to"),
                        message: t("form.required").into(),
                    });
                } else {
                    let cmd = Command::GiveHandover {
                        handover: domain::HandoverId::new(wb.id("HO", now)),
                        to: domain::UserId::new(form.0.trim()),
                        notes: form.1.trim().to_owned(),
                    };
                    wb.error = send(outbox, tf("wb.handover_label", &[form.0.trim()]), cmd).err();
                }
            }
            error_line(ui, &wb.error);
        });
    if open && (!waiting.is_empty() || wb.handover.is_none()) {
        wb.handover = Some(form);
    }
}

fn summary_view(ui: &mut egui::Ui, state: &State, s: &domain::HandoverSummary) {
    let incidents: Vec<String> = s
        .open_incidents
        .iter()
        .map(|i| format!("{}（{}）", i.title, i.grade.term()))
        .collect();
    ui.label(tf(
        "wb.open_incidents",
        &[
            &s.open_incidents.len().to_string(),
            &incidents.join("；").to_string(),
        ],
    ));
    let acks: Vec<String> = s
        .pending_acks
        .iter()
        .filter_map(|o| state.orders.get(o))
        .map(|o| team_name(state, &o.team))
        .collect();
    ui.label(tf(
        "wb.pending_acks",
        &[&acks.len().to_string(), &acks.join("、").to_string()],
    ));
    for r in &s.reports_due {
        let title = state
            .incidents
            .get(&r.incident)
            .map_or(r.incident.as_str(), |i| i.title.as_str());
        ui.label(
            RichText::new(tf(
                "wb.report_due",
                &[
                    title,
                    &crate::i18n::report_kind(r.kind).to_string(),
                    r.to.term(),
                    &r.due_at.cst_hm().to_string(),
                    if r.overdue { t("wb.overdue_mark") } else { "" },
                ],
            ))
            .color(if r.overdue {
                theme::ALARM
            } else {
                theme::MUTED
            }),
        );
    }
    ui.label(tf(
        "wb.shift_counts",
        &[
            &s.teams_committed.len().to_string(),
            &s.supplies_out.len().to_string(),
            &s.open_calls.len().to_string(),
        ],
    ));
}

fn metrics_window(ctx: &egui::Context, wb: &mut Workbench, state: &State) {
    if !wb.metrics {
        return;
    }
    let all = samples(state);
    let mut open = true;
    egui::Window::new(t("metrics.title"))
        .id(egui::Id::new("metrics"))
        .open(&mut open)
        .default_pos([500.0, 180.0])
        .show(ctx, |ui| {
            let table = |ui: &mut egui::Ui,
                         title: String,
                         keep: &dyn Fn(&domain::metrics::Sample) -> bool| {
                ui.label(RichText::new(title).strong());
                egui::Grid::new(ui.next_auto_id())
                    .striped(true)
                    .num_columns(5)
                    .show(ui, |ui| {
                        for h in [
                            t("metrics.interval"),
                            t("metrics.samples"),
                            "P50",
                            "P90",
                            t("metrics.anchor"),
                        ] {
                            ui.label(RichText::new(h).color(theme::MUTED));
                        }
                        ui.end_row();
                        for s in summarize(&all, keep) {
                            ui.label(s.interval.term());
                            ui.label(s.count.to_string());
                            ui.label(s.p50.map_or("—".into(), human_duration));
                            ui.label(s.p90.map_or("—".into(), human_duration));
                            let anchor = s
                                .interval
                                .anchor()
                                .map(|(p, l)| format!("P{p} ≤ {}", human_duration(l)));
                            match (anchor, s.meets_anchor) {
                                (Some(a), Some(true)) => {
                                    ui.label(RichText::new(format!("{a} √")).color(theme::OK))
                                }
                                (Some(a), Some(false)) => {
                                    ui.label(RichText::new(format!("{a} ×")).color(theme::ALARM))
                                }
                                (Some(a), None) => ui.label(a),
                                (None, _) => ui.label(""),
                            };
                            ui.end_row();
                        }
                    });
            };
            table(ui, t("metrics.all").into(), &|_| true);
            for shift in &state.roster.shifts {
                let (a, b) = (shift.starts_at, shift.ends_at);
                table(
                    ui,
                    tf(
                        "wb.shift",
                        &[
                            &a.cst_string().to_string(),
                            &b.cst_hm().to_string(),
                            &shift.leader.to_string(),
                        ],
                    ),
                    &move |s| s.ended_at >= a && s.ended_at < b,
                );
            }
            for inc in state.incidents.values().filter(|i| !i.orders.is_empty()) {
                let id = inc.id.clone();
                table(ui, inc.title.clone(), &move |s| s.incident == id);
            }
            let _ = Interval::ALL;
        });
    wb.metrics = open;
}

fn receipts(ctx: &egui::Context, outbox: &Outbox) {
    let recent: Vec<_> = outbox
        .receipts
        .iter()
        .rev()
        .filter(|r| r.at.elapsed().as_secs() < 8)
        .take(4)
        .collect();
    if recent.is_empty() {
        return;
    }
    egui::Area::new(egui::Id::new("receipts"))
        .anchor(egui::Align2::RIGHT_BOTTOM, [-420.0, -180.0])
        .show(ctx, |ui| {
            for r in recent {
                egui::Frame::new()
                    .fill(if r.ok {
                        Color32::from_rgb(0x1b, 0x3a, 0x24)
                    } else {
                        Color32::from_rgb(0x4a, 0x1c, 0x1c)
                    })
                    .inner_margin(8.0)
                    .corner_radius(4.0)
                    .show(ui, |ui| {
                        ui.label(
                            RichText::new(format!(
                                "{} {} · {}",
                                if r.ok { "√" } else { "×" },
                                r.label,
                                r.detail
                            ))
                            .color(Color32::WHITE),
                        );
                    });
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::demo_decisions;
    use crate::net::Outgoing;
    use bevy_egui::egui::accesskit::Role as A11y;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use tokio::sync::mpsc::UnboundedReceiver;

    const NOW: Timestamp = Timestamp(1_795_451_400_000);

    struct Desk {
        wb: Workbench,
        outbox: Outbox,
        state: State,
    }

    fn desk(role: domain::Role) -> (Desk, UnboundedReceiver<Outgoing>) {
        let mut state = State::default();
        for d in demo_decisions(NOW).0 {
            state.apply_decision(&d);
        }
        let (outbox, rx) = Outbox::for_test(vec![("王丽".into(), role)]);
        let desk = Desk {
            wb: Workbench::new("test"),
            outbox,
            state,
        };
        (desk, rx)
    }

    fn sent(rx: &mut UnboundedReceiver<Outgoing>) -> Vec<Command> {
        std::iter::from_fn(|| rx.try_recv().ok())
            .map(|o| o.command)
            .collect()
    }

    fn harness<'a>(desk: Desk, draw: fn(&mut Desk, &egui::Context)) -> Harness<'a, Desk> {
        Harness::builder()
            .with_size([1400.0, 1000.0])
            .build_ui_state(move |ui, d: &mut Desk| draw(d, ui.ctx()), desk)
    }

    fn draw_intake(d: &mut Desk, ctx: &egui::Context) {
        intake_window(ctx, &mut d.wb, &mut d.outbox, &d.state, NOW);
    }

    fn draw_incident(d: &mut Desk, ctx: &egui::Context) {
        incident_window(ctx, &mut d.wb, &mut d.outbox, &d.state, NOW);
    }

    #[test]
    fn the_intake_form_refuses_bad_figures_then_files_with_the_live_grade() {
        let (mut d, mut rx) = desk(domain::Role::DutyOfficer);
        d.wb.intake = Some(IntakeForm::new(NOW, Some(GeoPoint::new(44.53, 125.70))));
        let mut h = harness(d, draw_intake);
        for (label, text) in [
            ("事件名称", "德惠市米沙子镇仓库起火"),
            ("地址（原话）", "米沙子镇工业园3号库"),
            ("报告人", "刘先生"),
            ("死亡", "-1"),
        ] {
            h.get_by_role_and_label(A11y::TextInput, label).focus();
            h.run();
            h.get_by_role_and_label(A11y::TextInput, label)
                .type_text(text);
            h.run();
        }
        h.get_by_value(t("common.choose")).click();
        h.run();
        h.get_by_label(Sector::Fire.term()).click();
        h.run();
        h.get_by_label(t("intake.record")).click();
        h.run();
        assert!(
            h.query_all_by_label_contains("「死亡」不能为负数")
                .next()
                .is_some()
        );
        assert!(sent(&mut rx).is_empty(), "nothing is sent from a bad form");

        if let Some(f) = h.state_mut().wb.intake.as_mut() {
            f.deaths = "10".into();
        }
        h.run();
        assert!(h.query_by_label(" 重大 ").is_some(), "ten deaths show 重大");
        h.get_by_label(t("intake.record")).click();
        h.run();
        let cmds = sent(&mut rx);
        let [Command::OpenIncident(intake)] = cmds.as_slice() else {
            panic!("one intake, got {cmds:?}");
        };
        assert_eq!(intake.title, "德惠市米沙子镇仓库起火");
        assert_eq!(intake.sector, Sector::Fire);
        assert_eq!(intake.casualties.deaths, 10);
        assert_eq!(intake.jurisdiction.as_str(), "德惠市");
        assert!(h.state().wb.intake.is_none(), "the form closes once sent");
    }

    fn tunnel(state: &State) -> IncidentId {
        state
            .incidents
            .values()
            .find(|i| i.title.contains("隧道"))
            .map(|i| i.id.clone())
            .expect("the demo has the tunnel fire")
    }

    #[test]
    fn dispatch_sends_the_chosen_team_with_the_recommendation_on_screen() {
        let (mut d, mut rx) = desk(domain::Role::DutyOfficer);
        let id = tunnel(&d.state);
        d.wb.open_incident(id.clone());
        let shown = recommend(&d.state, &id, NOW);
        let mut h = harness(d, draw_incident);
        h.get_all_by_role(A11y::CheckBox)
            .next()
            .expect("a candidate to tick")
            .click();
        h.run();
        h.get_by_role_and_label(A11y::MultilineTextInput, t("dispatch.note"))
            .focus();
        h.run();
        h.get_by_role_and_label(A11y::MultilineTextInput, t("dispatch.note"))
            .type_text("携带泡沫和堵漏器材，从长德隧道南口进入");
        h.run();
        h.get_by_label(&tf("dispatch.issue", &["1"])).click();
        h.run();
        let cmds = sent(&mut rx);
        let [
            Command::IssueOrder {
                incident,
                team,
                note,
                recommendation_shown,
                ..
            },
        ] = cmds.as_slice()
        else {
            panic!("one order, got {cmds:?}");
        };
        assert_eq!(incident, &id);
        assert_eq!(team, &shown[0].team, "the top candidate was ticked");
        assert_eq!(note, "携带泡沫和堵漏器材，从长德隧道南口进入");
        assert_eq!(recommendation_shown, &shown);
        assert_eq!(h.state().wb.tab, Tab::Orders);
    }

    #[test]
    fn a_supply_request_reserves_at_the_nearest_depot_that_covers_it() {
        let (mut d, mut rx) = desk(domain::Role::DutyOfficer);
        let id = tunnel(&d.state);
        d.wb.open_incident(id.clone());
        d.wb.tab = Tab::Supplies;
        let inc_pos = d.state.incidents[&id].position;
        let mut h = harness(d, draw_incident);
        // The first item of the catalogue, a quantity every depot with it covers.
        let item = h.state().wb.supply.lines[0].0.clone();
        if let Some(line) = h.state_mut().wb.supply.lines.first_mut() {
            line.1 = "1".into();
        }
        h.run();
        h.get_all_by_label(t("supplies.reserve"))
            .next()
            .expect("a depot proposed")
            .click();
        h.run();
        let cmds = sent(&mut rx);
        let [
            Command::ReserveSupplies {
                incident,
                depot,
                lines,
                ..
            },
        ] = cmds.as_slice()
        else {
            panic!("one reservation, got {cmds:?}");
        };
        assert_eq!(incident, &id);
        assert_eq!(lines.get(&item), Some(&1));
        let state = &h.state().state;
        let nearest = state
            .depots
            .values()
            .filter(|d| d.stock.get(&item).is_some_and(|l| l.free() >= 1))
            .min_by(|a, b| {
                a.position
                    .distance_m(&inc_pos)
                    .total_cmp(&b.position.distance_m(&inc_pos))
            })
            .map(|d| d.id.clone());
        assert_eq!(Some(depot.clone()), nearest);
    }

    #[test]
    fn an_observer_cannot_dispatch_and_is_told_why() {
        let (mut d, mut rx) = desk(domain::Role::Observer);
        let id = tunnel(&d.state);
        d.wb.open_incident(id);
        d.wb.note = "前往处置".into();
        let mut h = harness(d, draw_incident);
        h.get_all_by_role(A11y::CheckBox)
            .next()
            .expect("a candidate")
            .click();
        h.run();
        h.get_by_label(&tf("dispatch.issue", &["1"])).click();
        h.run();
        assert!(sent(&mut rx).is_empty());
        assert!(h.query_by_label_contains("观察员无权执行").is_some());
    }
}
