//! The drill director's panel (演练导调): load a scenario into the drill
//! realm, run its clock, watch injects go out and objectives being met.
//! The relay runs the scenario; this panel only asks and shows.

use crate::i18n::Term;
use crate::i18n::{t, tf};
use crate::net::Outbox;
use crate::picture::Picture;
use crate::theme;
use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, RichText};
use domain::Role;
use protocol::{DrillAction, DrillClockState, DrillStatus};
use scenario::{Scenario, evaluate};
use std::time::{Duration, Instant};

/// What the director's panel holds.
#[derive(Resource)]
pub struct DrillDesk {
    /// Scenario file path as typed.
    pub path: String,
    /// The scenario as parsed here (for the inject list and objectives).
    pub scenario: Option<Scenario>,
    /// Why loading failed.
    pub error: Option<String>,
    /// Last status from the relay.
    pub status: Option<DrillStatus>,
    /// Rate to start or set.
    pub speed: u32,
    pub(crate) asked: Option<Instant>,
}

impl Default for DrillDesk {
    fn default() -> Self {
        Self {
            path: "scenarios/dehui-ammonia-leak.toml".into(),
            scenario: None,
            error: None,
            status: None,
            speed: 10,
            asked: None,
        }
    }
}

/// Registers the panel's state.
pub struct DrillPlugin;

impl Plugin for DrillPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<DrillDesk>();
    }
}

/// `mm:ss` (or `h:mm:ss`) of scenario time.
pub fn t_plus(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s >= 3600 {
        format!("T+{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("T+{:02}:{:02}", s / 60, s % 60)
    }
}

fn clock_zh(c: DrillClockState) -> &'static str {
    match c {
        DrillClockState::NoScenario => t("drill.no_scenario"),
        DrillClockState::Ready => t("drill.ready"),
        DrillClockState::Running => t("drill.running"),
        DrillClockState::Paused => t("drill.paused"),
        DrillClockState::Halted => t("drill.halted"),
        DrillClockState::Ended => t("drill.ended"),
    }
}

/// Reads a scenario and the base world it names, relative to its folder.
fn read_scenario(path: &str) -> Result<(Scenario, String, Option<String>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let dir = std::path::Path::new(path)
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let base_text = std::cell::RefCell::new(None);
    let sc = scenario::load(path, &text, |b| {
        let t = std::fs::read_to_string(dir.join(b)).map_err(|e| format!("{b}: {e}"))?;
        *base_text.borrow_mut() = Some(t.clone());
        Ok(t)
    })
    .map_err(|e| e.to_string())?;
    Ok((sc, text, base_text.into_inner()))
}

/// The panel, for a drill director in a drill realm.
pub fn window(ctx: &egui::Context, desk: &mut DrillDesk, outbox: &mut Outbox, picture: &Picture) {
    let director = outbox.me().is_some_and(|(_, r)| *r == Role::DrillDirector);
    if !picture.drill || !director {
        return;
    }
    // Keep the clock fresh while the panel is up.
    if desk
        .asked
        .is_none_or(|t| t.elapsed() > Duration::from_secs(1))
    {
        desk.asked = Some(Instant::now());
        outbox.drill(DrillAction::Status);
    }
    egui::Window::new(format!("演练导调 Drill director · {}", picture.realm))
        .id(egui::Id::new("drill-director"))
        .default_pos([1040.0, 90.0])
        .default_size([520.0, 560.0])
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                let l = ui.label(t("drill.file"));
                ui.add(egui::TextEdit::singleline(&mut desk.path).desired_width(300.0))
                    .labelled_by(l.id);
                if ui.button(t("drill.load")).clicked() {
                    match read_scenario(desk.path.trim()) {
                        Ok((sc, text, base)) => {
                            outbox.drill(DrillAction::Load {
                                file: desk.path.trim().to_owned(),
                                text,
                                base,
                            });
                            desk.scenario = Some(sc);
                            desk.error = None;
                        }
                        Err(e) => desk.error = Some(e),
                    }
                }
            });
            if let Some(e) = &desk.error {
                ui.label(RichText::new(e).color(theme::ALARM));
            }
            if let Some(s) = &desk.status {
                ui.horizontal(|ui| {
                    ui.label(
                        RichText::new(clock_zh(s.clock))
                            .strong()
                            .color(theme::DRILL),
                    );
                    ui.label(
                        RichText::new(format!(
                            "{} / {}",
                            t_plus(s.scenario_ms),
                            t_plus(s.duration_ms)
                        ))
                        .monospace()
                        .size(18.0),
                    );
                    ui.label(format!("{}×", s.speed));
                    if !s.title.is_empty() {
                        ui.label(RichText::new(&s.title).color(theme::MUTED));
                    }
                });
                if let Some(e) = &s.error {
                    ui.label(
                        RichText::new(tf("drill.refused", &[&e.to_string()])).color(theme::ALARM),
                    );
                }
                controls(ui, desk, outbox, s.clock);
            }
            let Some(sc) = &desk.scenario else {
                ui.label(RichText::new(t("drill.load_first")).color(theme::MUTED));
                return;
            };
            let now_ms = desk.status.as_ref().map_or(0, |s| s.scenario_ms);
            let eval = evaluate(sc, &picture.log);
            ui.separator();
            ui.label(RichText::new(t("drill.injects")).strong());
            egui::ScrollArea::vertical()
                .id_salt("injects")
                .max_height(200.0)
                .show(ui, |ui| {
                    for i in &sc.injects {
                        let delivered = eval.injects_delivered.iter().any(|(id, _)| *id == i.id);
                        let (mark, colour) = if delivered {
                            (t("drill.sent"), theme::OK)
                        } else if i.at >= now_ms {
                            (t("drill.pending"), Color32::from_rgb(0xff, 0xd5, 0x4f))
                        } else {
                            // Its time passed without it: a condition held it back.
                            (t("drill.not_triggered"), theme::MUTED)
                        };
                        ui.horizontal(|ui| {
                            ui.label(RichText::new(t_plus(i.at)).monospace());
                            ui.label(RichText::new(mark).color(colour));
                            ui.label(format!("{} · {}", i.kind.term(), i.text))
                                .on_hover_text(format!("{} → {}（{}）", i.from, i.to, i.method));
                        });
                    }
                });
            ui.separator();
            ui.label(RichText::new(t("drill.objectives")).strong());
            for o in &eval.objectives {
                let rating = o.rating.map_or(t("drill.no_result"), |r| r.term());
                ui.label(format!(
                    "{} · {}{}",
                    o.title,
                    rating,
                    o.score
                        .map(|s| format!("（{:.0}%）", s * 100.0))
                        .unwrap_or_default()
                ));
            }
            for e in eval.expects.iter().filter(|e| e.anchor.is_some()) {
                ui.label(
                    RichText::new(format!("  {} — {}", e.title, e.judgement.term()))
                        .color(theme::MUTED),
                );
            }
        });
}

fn controls(ui: &mut egui::Ui, desk: &mut DrillDesk, outbox: &mut Outbox, clock: DrillClockState) {
    ui.horizontal(|ui| {
        ui.add(egui::Slider::new(&mut desk.speed, 1..=100).text(t("timeline.speed")));
        let (label, action) = match clock {
            DrillClockState::Ready => (
                t("drill.start"),
                Some(DrillAction::Start { speed: desk.speed }),
            ),
            DrillClockState::Paused => (t("drill.resume"), Some(DrillAction::Resume)),
            DrillClockState::Running => (t("drill.pause"), Some(DrillAction::Pause)),
            _ => ("", None),
        };
        if let Some(action) = action
            && ui.button(label).clicked()
        {
            outbox.drill(action);
        }
        if clock == DrillClockState::Running && ui.button(t("drill.set_speed")).clicked() {
            outbox.drill(DrillAction::Speed { speed: desk.speed });
        }
        if matches!(clock, DrillClockState::Running | DrillClockState::Paused) {
            if ui.button(t("drill.halt")).clicked() {
                outbox.drill(DrillAction::Halt);
            }
            if ui.button(t("drill.end")).clicked() {
                outbox.drill(DrillAction::End);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_time_reads_as_t_plus() {
        assert_eq!(t_plus(0), "T+00:00");
        assert_eq!(t_plus(65_000), "T+01:05");
        assert_eq!(t_plus(3_725_000), "T+1:02:05");
    }

    #[test]
    fn the_shipped_scenarios_load_with_their_base_world() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/");
        for name in ["dehui-ammonia-leak", "changchun-waterlogging"] {
            let (sc, text, base) = read_scenario(&format!("{root}{name}.toml"))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!sc.injects.is_empty());
            assert!(text.contains("[drill]"));
            assert!(base.is_some(), "{name} names a base world");
        }
    }
}
