//! Headless screenshots: render a few frames, save the window to a PNG, exit.
//! Used by `cargo xtask demo --screenshot` and the rendering test. Beside
//! the PNG goes `<name>.map.json`: where the map was on screen, its centre
//! and zoom, and the incidents with their positions and grade colours, so
//! a test can project them itself and check the pixels.

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use std::path::PathBuf;

/// Frames to render before capturing: enough for fonts and layout to settle.
const SETTLE_FRAMES: u32 = 30;

/// Saves one screenshot to `path` and then exits the app.
pub struct ScreenshotPlugin {
    /// Where the PNG goes.
    pub path: PathBuf,
}

#[derive(Resource)]
struct Pending {
    path: PathBuf,
    frames: u32,
    waited: u32,
    requested: bool,
}

impl Plugin for ScreenshotPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Pending {
            path: self.path.clone(),
            frames: 0,
            waited: 0,
            requested: false,
        })
        .add_systems(Update, capture_when_settled);
    }
}

/// Give up waiting for the demo after this many frames.
const MAX_WAIT_FRAMES: u32 = 1200;

fn capture_when_settled(
    mut commands: Commands,
    mut pending: ResMut<Pending>,
    link: Res<crate::net::Link>,
    view: Res<crate::map::MapView>,
    picture: Res<crate::picture::Picture>,
    windows: Query<&Window, With<bevy::window::PrimaryWindow>>,
    mut exit: MessageWriter<AppExit>,
) {
    pending.frames += 1;
    if pending.requested {
        return;
    }
    if let crate::net::LinkStatus::Failed(why) = &link.status {
        error!("no picture to capture: {why}");
        exit.write(AppExit::error());
        return;
    }
    if !link.demo_ready {
        pending.waited += 1;
        if pending.waited > MAX_WAIT_FRAMES {
            error!("the demo did not load in time");
            exit.write(AppExit::error());
        }
        // Count settling frames from the moment the picture is complete.
        pending.frames = 0;
        return;
    }
    if pending.frames < SETTLE_FRAMES {
        return;
    }
    pending.requested = true;
    let path = pending.path.clone();
    let scale = windows.single().map_or(1.0, |w| w.scale_factor());
    let manifest = path.with_extension("map.json");
    if let Err(e) = std::fs::write(&manifest, map_manifest(&view, &picture, scale)) {
        error!("cannot write {}: {e}", manifest.display());
    }
    commands.spawn(Screenshot::primary_window()).observe(
        move |captured: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| {
            let result = captured
                .image
                .clone()
                .try_into_dynamic()
                .map_err(|e| e.to_string())
                .and_then(|img| img.to_rgb8().save(&path).map_err(|e| e.to_string()));
            match result {
                Ok(()) => {
                    info!("screenshot saved to {}", path.display());
                    exit.write(AppExit::Success);
                }
                Err(e) => {
                    error!("cannot save screenshot to {}: {e}", path.display());
                    exit.write(AppExit::error());
                }
            }
        },
    );
}

/// What the map showed, as JSON (see the module comment).
fn map_manifest(
    view: &crate::map::MapView,
    picture: &crate::picture::Picture,
    scale: f32,
) -> String {
    let incidents: Vec<serde_json::Value> = picture
        .state
        .incidents
        .values()
        .filter(|i| i.status != domain::IncidentStatus::Closed)
        .map(|i| {
            let c = crate::theme::grade(i.grade);
            serde_json::json!({
                "title": i.title,
                "grade": i.grade.zh(),
                "lat": i.position.lat,
                "lon": i.position.lon,
                "rgb": [c.r(), c.g(), c.b()],
            })
        })
        .collect();
    let map = view.frame.map(|f| {
        serde_json::json!({
            "left": f.rect.left(),
            "top": f.rect.top(),
            "right": f.rect.right(),
            "bottom": f.rect.bottom(),
            "center_lat": f.center.lat,
            "center_lon": f.center.lon,
            "zoom": f.zoom,
            "scale": scale,
        })
    });
    serde_json::json!({ "map": map, "incidents": incidents }).to_string()
}
