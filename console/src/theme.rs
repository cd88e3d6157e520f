//! Colours and visuals: calm, dark, legible on a video wall for twelve hours.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use domain::{AccidentGrade, RiskColour, TeamStatus, WarningColour};
use egui::Color32;

/// Applies the console's visuals.
pub struct ThemePlugin;

impl Plugin for ThemePlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(EguiPrimaryContextPass, (apply_visuals, wall_zoom));
    }
}

/// On the wall, scale the whole UI with the screen: the layout is made for
/// 1400 logical pixels across, and a 4K wall draws it 2.7 times larger.
fn wall_zoom(
    mut contexts: EguiContexts,
    wall: Option<Res<Wall>>,
    windows: Query<&Window, With<bevy::window::PrimaryWindow>>,
) -> Result {
    if !wall.is_some_and(|w| w.0) {
        return Ok(());
    }
    let Ok(window) = windows.single() else {
        return Ok(());
    };
    let zoom = wall_zoom_for(window.resolution.width());
    let ctx = contexts.ctx_mut()?;
    if (ctx.zoom_factor() - zoom).abs() > 0.01 {
        ctx.set_zoom_factor(zoom);
    }
    Ok(())
}

/// The wall's zoom for a window `width` logical pixels across.
pub fn wall_zoom_for(width: f32) -> f32 {
    (width / 1400.0).clamp(1.0, 3.0)
}

/// Video-wall mode (大屏): everything larger, no forms — a screen to watch
/// from across the room, not to work at.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Wall(pub bool);

fn apply_visuals(mut contexts: EguiContexts, mut done: Local<bool>) -> Result {
    if *done {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    let mut visuals = egui::Visuals::dark();
    visuals.panel_fill = PANEL;
    visuals.extreme_bg_color = Color32::from_rgb(0x10, 0x14, 0x1a);
    ctx.set_visuals(visuals);
    ctx.all_styles_mut(|style| {
        use egui::{FontId, TextStyle};
        style
            .text_styles
            .insert(TextStyle::Body, FontId::proportional(15.0));
        style
            .text_styles
            .insert(TextStyle::Button, FontId::proportional(15.0));
        style
            .text_styles
            .insert(TextStyle::Heading, FontId::proportional(19.0));
        style
            .text_styles
            .insert(TextStyle::Small, FontId::proportional(12.5));
    });
    *done = true;
    Ok(())
}

/// Panel background.
pub const PANEL: Color32 = Color32::from_rgb(0x17, 0x1c, 0x24);
/// Map background where no basemap tile is drawn.
pub const MAP_BG: Color32 = Color32::from_rgb(0x1d, 0x26, 0x31);
/// Muted text.
pub const MUTED: Color32 = Color32::from_rgb(0x8a, 0x96, 0xa6);
/// Exercise (演练) marking.
pub const DRILL: Color32 = Color32::from_rgb(0xd8, 0x6b, 0x00);
/// Something is late.
pub const ALARM: Color32 = Color32::from_rgb(0xef, 0x44, 0x44);
/// Something is fine.
pub const OK: Color32 = Color32::from_rgb(0x4c, 0xaf, 0x50);

/// Accident grade colour: 特别重大 red, 重大 orange, 较大 yellow, 一般 blue.
pub fn grade(g: AccidentGrade) -> Color32 {
    match g {
        AccidentGrade::EspeciallyMajor => Color32::from_rgb(0xe5, 0x39, 0x35),
        AccidentGrade::Major => Color32::from_rgb(0xfb, 0x8c, 0x00),
        AccidentGrade::Larger => Color32::from_rgb(0xfd, 0xd8, 0x35),
        AccidentGrade::Ordinary => Color32::from_rgb(0x42, 0xa5, 0xf5),
    }
}

/// Warning colour as painted (the same red/orange/yellow/blue as grades).
pub fn warning(w: WarningColour) -> Color32 {
    grade(match w {
        WarningColour::Red => AccidentGrade::EspeciallyMajor,
        WarningColour::Orange => AccidentGrade::Major,
        WarningColour::Yellow => AccidentGrade::Larger,
        WarningColour::Blue => AccidentGrade::Ordinary,
    })
}

/// Hazard risk colour as painted.
pub fn risk(r: RiskColour) -> Color32 {
    grade(match r {
        RiskColour::Red => AccidentGrade::EspeciallyMajor,
        RiskColour::Orange => AccidentGrade::Major,
        RiskColour::Yellow => AccidentGrade::Larger,
        RiskColour::Blue => AccidentGrade::Ordinary,
    })
}

/// One character for a team's kind, drawn in its marker close in.
pub fn kind_glyph(k: domain::TeamKind) -> &'static str {
    use domain::TeamKind::*;
    match k {
        ComprehensiveFireRescue => "消",
        GovernmentFullTimeFire => "专",
        EnterpriseFire => "企",
        MicroFireStation => "微",
        VillageVolunteer => "村",
        MineRescue => "矿",
        Hazchem => "危",
        Medical => "医",
        Earthquake => "震",
        PowerGrid => "电",
        DrainageFlood => "排",
        CivilNgo => "社",
    }
}

/// Team status colour.
pub fn team_status(s: &TeamStatus) -> Color32 {
    match s {
        TeamStatus::Available => OK,
        TeamStatus::Assigned(_) => Color32::from_rgb(0xff, 0xc1, 0x07),
        TeamStatus::EnRoute(_) => Color32::from_rgb(0x29, 0xb6, 0xf6),
        TeamStatus::OnScene(_) => Color32::from_rgb(0xab, 0x47, 0xbc),
        TeamStatus::Returning(_) => Color32::from_rgb(0x26, 0xa6, 0x9a),
        TeamStatus::OutOfService(_) => Color32::from_rgb(0x75, 0x75, 0x75),
    }
}
