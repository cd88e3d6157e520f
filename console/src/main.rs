//! Duty officers' console: the common operating picture of one realm.
//!
//! `main` is the table of contents: one plugin per concern.

mod aar;
mod alerts;
mod basemap;
mod bench;
mod demo;
mod demo_world;
mod devices;
mod drill;
mod forms;
mod help;
mod i18n;
mod map;
mod net;
mod panels;
mod picture;
mod review;
mod screenshot;
mod theme;
mod timeline;
mod workbench;

use bevy::prelude::*;

/// See console/Cargo.toml: fewer page faults per frame than glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
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
    /// Interface language: zh (简体中文, default) or en.
    #[arg(long, global = true, default_value = "zh")]
    lang: String,
    /// Basemap: a directory of z/x/y PNG tiles, a .pmtiles or .mbtiles file, or an
    /// http(s) URL template of your own tile server. Default: the offline
    /// tiles in assets/basemap.
    #[arg(long, global = true)]
    tiles: Option<basemap::TileSpec>,
    /// The basemap is in GCJ-02 (most Chinese web maps): shift positions.
    #[arg(long, global = true)]
    gcj02: bool,
}

#[derive(Subcommand, Clone)]
enum Mode {
    /// Start an embedded relay, play the demo night (长春/德惠) into it and
    /// open the console on it.
    Demo {
        /// Render, save a PNG screenshot here once the demo is loaded, and exit.
        #[arg(long)]
        screenshot: Option<PathBuf>,
        /// What to open once the demo is loaded.
        #[arg(long, value_enum, default_value = "map")]
        view: workbench::StartView,
        /// Video-wall mode: larger, watch-only.
        #[arg(long)]
        wall: bool,
    },
    /// Measure the CPU time of a console frame headless (1k/5k/20k teams)
    /// and print it; see docs/benchmarks.md.
    Bench {
        /// Frames to measure per city size.
        #[arg(long, default_value_t = 120)]
        frames: usize,
        /// Also show where the 5k city's frame time goes.
        #[arg(long)]
        breakdown: bool,
        /// Instead: write a city log of this many decisions, review it, seek.
        #[arg(long)]
        review: Option<usize>,
    },
    /// Review a relay's log offline (复盘): verify it, then scrub through it
    /// on the map. Works on a copy of a data directory on any laptop.
    Review {
        /// The relay's data directory (or a copy of it) …
        data: Option<PathBuf>,
        /// … or a running relay to read the log from (read-only), e.g.
        /// 10.0.0.5:4433, with --user and --token-file.
        #[arg(long, conflicts_with = "data", requires = "user")]
        relay: Option<std::net::SocketAddr>,
        /// User name on the relay (an observer account is enough).
        #[arg(long)]
        user: Option<String>,
        /// File holding the user's token.
        #[arg(long)]
        token_file: Option<PathBuf>,
        /// The relay's certificate fingerprint.
        #[arg(long)]
        fingerprint: Option<String>,
        /// Realm to review.
        #[arg(long, default_value = "live")]
        realm: String,
        /// Open a log that fails verification, marked unverified.
        #[arg(long)]
        unverified: bool,
        /// Render, save a PNG screenshot here once loaded, and exit.
        #[arg(long)]
        screenshot: Option<PathBuf>,
        /// Write the after-action package of this incident (no window) …
        #[arg(long)]
        export: Option<String>,
        /// … or of everything decided in a time window, China Standard
        /// Time: "2026-11-23 20:00..2026-11-24 08:00" …
        #[arg(long, conflicts_with = "export")]
        export_window: Option<String>,
        /// … into this directory.
        #[arg(long, default_value = "after-action")]
        out: PathBuf,
    },
    /// Follow the live realm of a relay.
    Connect {
        /// Relay address, e.g. 10.0.0.5:4433.
        #[arg(long)]
        relay: std::net::SocketAddr,
        /// User name.
        #[arg(long)]
        user: String,
        /// File holding the user's token (from `relay user add`); without
        /// it the console asks at the terminal.
        #[arg(long)]
        token_file: Option<PathBuf>,
        /// The relay's certificate fingerprint (`relay fingerprint`); without
        /// it the first fingerprint seen is remembered and required after.
        #[arg(long)]
        fingerprint: Option<String>,
        /// This console's name in the log.
        #[arg(long, default_value = "console")]
        device: String,
        /// Video-wall mode: larger, watch-only.
        #[arg(long)]
        wall: bool,
    },
}

fn connect_config(
    relay: std::net::SocketAddr,
    user: String,
    token_file: Option<&std::path::Path>,
    fingerprint: Option<String>,
    device: String,
) -> anyhow::Result<client::ClientConfig> {
    let token = match token_file {
        Some(f) => std::fs::read_to_string(f)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", f.display()))?
            .trim()
            .to_owned(),
        // No file: ask at the terminal, without echoing it.
        None => rpassword::prompt_password(format!("{user} 的令牌 token: "))
            .map_err(|e| anyhow::anyhow!("no --token-file and no terminal to ask on: {e}"))?
            .trim()
            .to_owned(),
    };
    let trust = match fingerprint {
        Some(fp) => client::Trust::Pinned(fp),
        None => {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            let dir = home.join(".config").join("ecc");
            std::fs::create_dir_all(&dir)?;
            client::Trust::FirstUse(dir.join(format!("known_relays-{user}")))
        }
    };
    Ok(client::ClientConfig {
        addr: relay,
        trust,
        user,
        token,
        device,
        client: concat!("console ", env!("CARGO_PKG_VERSION")).into(),
    })
}

fn main() -> AppExit {
    let _ = picture::STARTED.set(std::time::Instant::now());
    let cli = Cli::parse();
    i18n::set_lang(if cli.lang.eq_ignore_ascii_case("en") {
        i18n::Lang::En
    } else {
        i18n::Lang::Zh
    });
    let mut start_view = workbench::StartView::Map;
    let on_wall;
    let mut review = None;
    let (source, screenshot, label, device) = match cli.mode.clone() {
        Mode::Review {
            data,
            relay,
            user,
            token_file,
            fingerprint,
            realm,
            unverified,
            screenshot,
            export,
            export_window,
            out,
        } => {
            let data = match (data, relay, user, token_file) {
                (Some(d), None, _, _) => review::LogSource::Dir(d),
                (None, Some(addr), Some(user), token) => {
                    match connect_config(addr, user, token.as_deref(), fingerprint, "review".into())
                    {
                        Ok(cfg) => review::LogSource::Relay(cfg),
                        Err(e) => {
                            eprintln!("console: {e:#}");
                            return AppExit::error();
                        }
                    }
                }
                _ => {
                    eprintln!("console: review needs a data directory, or --relay with --user");
                    return AppExit::error();
                }
            };
            if let Some(id) = export {
                let scope = aar::Scope::Incident(domain::IncidentId::new(id));
                return export_package(&data, &realm, unverified, &scope, &out);
            }
            if let Some(w) = export_window {
                return match aar::parse_window(&w) {
                    Ok(scope) => export_package(&data, &realm, unverified, &scope, &out),
                    Err(e) => {
                        eprintln!("console: --export-window {e}");
                        AppExit::error()
                    }
                };
            }
            on_wall = false;
            let label = format!("复盘 {}", data.describe());
            review = Some(review::ReviewPlugin {
                source: data,
                realm,
                allow_unverified: unverified,
            });
            (net::Source::Demo, screenshot, label, "review".to_owned())
        }
        Mode::Bench {
            frames,
            breakdown,
            review,
        } => {
            if let Some(n) = review {
                return match bench::review(n) {
                    Ok(()) => AppExit::Success,
                    Err(e) => {
                        eprintln!("console: {e:#}");
                        AppExit::error()
                    }
                };
            }
            bench::run(frames);
            if breakdown {
                bench::breakdown(frames);
            }
            return AppExit::Success;
        }
        Mode::Demo {
            screenshot,
            view,
            wall,
        } => {
            start_view = view;
            on_wall = wall;
            (
                net::Source::Demo,
                screenshot,
                "内置中继演示 Embedded demo".to_owned(),
                "console-1".to_owned(),
            )
        }
        Mode::Connect {
            relay,
            user,
            token_file,
            fingerprint,
            device,
            wall,
        } => match connect_config(
            relay,
            user,
            token_file.as_deref(),
            fingerprint,
            device.clone(),
        ) {
            Ok(cfg) => {
                on_wall = wall;
                (
                    net::Source::Relay(cfg),
                    None,
                    format!("中继 {relay}"),
                    device,
                )
            }
            Err(e) => {
                eprintln!("console: {e:#}");
                return AppExit::error();
            }
        },
    };

    let source_is_demo = matches!(source, net::Source::Demo) && review.is_none();
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title: "应急指挥调度台 · Emergency Command Console".into(),
            resolution: WindowResolution::new(1600, 900),
            // The wall fills its screen.
            mode: if on_wall {
                bevy::window::WindowMode::BorderlessFullscreen(
                    bevy::window::MonitorSelection::Primary,
                )
            } else {
                bevy::window::WindowMode::Windowed
            },
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
        picture::PicturePlugin { source: label },
        map::MapPlugin {
            tiles: cli.tiles.clone(),
            gcj02: cli.gcj02,
        },
        panels::PanelsPlugin,
        workbench::WorkbenchPlugin { device },
        drill::DrillPlugin,
        help::HelpPlugin,
    ))
    .insert_resource(start_view)
    .insert_resource(theme::Wall(on_wall));
    match review {
        // Review reads a log: no relay, no alerts, nobody signed in.
        Some(plugin) => {
            let (outbox, _) = net::Outbox::for_test(Vec::new());
            app.add_plugins(plugin)
                .insert_resource(net::Link::offline())
                .insert_resource(outbox)
                .insert_resource(alerts::Alerts::silent());
        }
        None => {
            app.add_plugins((net::NetPlugin { source }, alerts::AlertsPlugin));
        }
    }
    if source_is_demo {
        app.insert_resource(drill::DrillDesk {
            scenario: demo::drill_scenario(),
            ..Default::default()
        });
    }
    if let Some(path) = screenshot {
        app.add_plugins(screenshot::ScreenshotPlugin { path });
    }
    app.run()
}

/// `console review DATA --export ID | --export-window FROM..TO`: the
/// after-action package, headless.
fn export_package(
    data: &review::LogSource,
    realm: &str,
    unverified: bool,
    scope: &aar::Scope,
    out: &std::path::Path,
) -> AppExit {
    let count = std::sync::atomic::AtomicU64::new(0);
    let log = match review::ReviewLog::load(data, realm, unverified, &count) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("console: {e}");
            return AppExit::error();
        }
    };
    let moments = aar::moments(&log, scope);
    match aar::package_for(&log, scope, &moments, realm.starts_with("drill-")) {
        Some(pkg) => match aar::write(&pkg, out) {
            Ok(()) => {
                println!(
                    "after-action package: {} activity lines, {} intervals measured, in {} (and activity.csv, orders.csv, reports.csv)",
                    pkg.activity.len(),
                    pkg.metrics.iter().map(|m| m.count).sum::<usize>(),
                    out.join("report.html").display()
                );
                if pkg.activity.is_empty() && matches!(scope, aar::Scope::Window { .. }) {
                    let (first, last) = log.span();
                    eprintln!(
                        "console: no decision in that window; the log runs from {} to {} (China Standard Time)",
                        first.cst_string(),
                        last.cst_string()
                    );
                }
                AppExit::Success
            }
            Err(e) => {
                eprintln!("console: cannot write {}: {e}", out.display());
                AppExit::error()
            }
        },
        None => {
            eprintln!("console: nothing in {realm} for {scope:?}");
            AppExit::error()
        }
    }
}

fn spawn_camera(mut commands: Commands) {
    commands.spawn(Camera2d);
}
