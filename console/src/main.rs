//! Duty officers' console: the common operating picture of one realm.
//!
//! `main` is the table of contents: one plugin per concern.

mod demo;
mod i18n;
mod map;
mod panels;
mod picture;
mod screenshot;
mod theme;

use bevy::prelude::*;
use bevy::window::WindowResolution;
use bevy_egui::{EguiPlugin, EguiStartupSet};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// 应急指挥调度台 — emergency command and dispatch console.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Open the console on the built-in demo world (长春/德惠), decided by the
    /// same domain core the relay runs.
    Demo {
        /// Render, save a PNG screenshot here after the picture has settled, and exit.
        #[arg(long)]
        screenshot: Option<PathBuf>,
    },
}

fn main() -> AppExit {
    let cli = Cli::parse();
    let Mode::Demo { screenshot } = cli.mode;

    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title: "应急指挥调度台 · Emergency Command Console".into(),
            resolution: WindowResolution::new(1600, 900),
            ..default()
        }),
        ..default()
    }))
    .add_plugins(EguiPlugin::default())
    .insert_resource(ClearColor(Color::srgb(0.07, 0.09, 0.12)))
    .add_systems(
        PreStartup,
        spawn_camera.before(EguiStartupSet::InitContexts),
    )
    .add_plugins((
        i18n::I18nPlugin,
        theme::ThemePlugin,
        picture::PicturePlugin,
        demo::DemoPlugin,
        map::MapPlugin,
        panels::PanelsPlugin,
    ));
    if let Some(path) = screenshot {
        app.add_plugins(screenshot::ScreenshotPlugin { path });
    }
    app.run()
}

fn spawn_camera(mut commands: Commands) {
    commands.spawn(Camera2d);
}
