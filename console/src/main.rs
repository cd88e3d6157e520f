use bevy::prelude::*;
use bevy_egui::EguiPlugin;

fn main() {
    let _ = walkers::lon_lat(125.32, 43.88);
    let _ = rodio::Source::channels;
    App::new().add_plugins((DefaultPlugins, EguiPlugin::default())).run();
}
