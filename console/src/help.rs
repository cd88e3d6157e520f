//! The keyboard help overlay (快捷键): F1 or ? shows the shortcuts, on the
//! video wall as at the desk. M mutes and unmutes the alert chimes from the
//! keyboard, for a wall that has no toolbar within reach.

use crate::i18n::t;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

/// Shows the overlay and handles the global shortcuts.
pub struct HelpPlugin;

impl Plugin for HelpPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Help>()
            .add_systems(EguiPrimaryContextPass, help);
    }
}

/// Whether the overlay is open.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Help(pub bool);

/// Set by the toolbar's button; taken by the overlay's system on its next
/// run (the toolbar is drawn by a system that does not hold `Help`).
static TOGGLE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Asks for the overlay to open or close.
pub fn request_toggle() {
    TOGGLE.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// The shortcuts as listed: keys, catalogue key of what they do.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("F1 / ?", "help.toggle"),
    ("← ↑ → ↓", "help.pan"),
    ("+ / -", "help.zoom"),
    ("Home", "help.fit"),
    ("M", "help.mute"),
    ("Esc", "help.close"),
];

fn help(
    mut contexts: EguiContexts,
    mut open: ResMut<Help>,
    alerts: Option<ResMut<crate::alerts::Alerts>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    // Keys typed into a form are text, not shortcuts.
    if !ctx.egui_wants_keyboard_input() {
        let (toggle, mute, close) = ctx.input(|i| {
            (
                i.key_pressed(egui::Key::F1) || i.key_pressed(egui::Key::Questionmark),
                i.key_pressed(egui::Key::M),
                i.key_pressed(egui::Key::Escape),
            )
        });
        if toggle {
            open.0 = !open.0;
        }
        if close {
            open.0 = false;
        }
        if mute && let Some(mut a) = alerts {
            a.muted = !a.muted;
        }
    }
    if TOGGLE.swap(false, std::sync::atomic::Ordering::Relaxed) {
        open.0 = !open.0;
    }
    if open.0 {
        overlay(ctx, &mut open.0);
    }
    Ok(())
}

/// The overlay itself.
pub fn overlay(ctx: &egui::Context, open: &mut bool) {
    egui::Window::new(t("help.title"))
        .open(open)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| {
            egui::Grid::new("shortcuts")
                .num_columns(2)
                .spacing([24.0, 8.0])
                .show(ui, |ui| {
                    for (keys, what) in SHORTCUTS {
                        ui.label(egui::RichText::new(*keys).monospace().strong());
                        ui.label(t(what));
                        ui.end_row();
                    }
                });
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    #[test]
    fn the_overlay_lists_every_shortcut() {
        let mut h = Harness::builder()
            .with_size([600.0, 400.0])
            .build_ui_state(|ui, open: &mut bool| overlay(ui.ctx(), open), true);
        h.run();
        for (keys, what) in SHORTCUTS {
            assert!(h.query_by_label(keys).is_some(), "{keys}");
            assert!(h.query_by_label(t(what)).is_some(), "{what}");
        }
    }
}
