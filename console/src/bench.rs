//! `console bench`: the CPU time of one console frame, headless — the
//! console's own per-frame work (folding new fixes, alerts aside) plus egui
//! layout and tessellation of every panel and the map, for a city of a
//! given size with every team reporting a fix once a second.

use crate::alerts::Alerts;
use crate::map::MapView;
use crate::net::{Link, Outbox};
use crate::panels::{Screen, layout};
use crate::picture::Picture;
use crate::workbench::Workbench;
use bevy_egui::egui;
use domain::*;
use std::time::{Duration, Instant};

/// The size of the synthetic city.
#[derive(Debug, Clone, Copy)]
pub struct City {
    /// Teams, each reporting once a second.
    pub teams: usize,
    /// Open incidents.
    pub incidents: usize,
    /// Depots with five stock lines each.
    pub depots: usize,
    /// Hazard sources.
    pub hazards: usize,
}

/// Frame-time percentiles.
#[derive(Debug, Clone, Copy)]
pub struct FrameTimes {
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Mean.
    pub mean: Duration,
}

/// A small deterministic generator (no dependency for a benchmark).
struct Lcg(u64);

impl Lcg {
    fn unit(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn around(&mut self, lat: f64, lon: f64, spread: f64) -> GeoPoint {
        GeoPoint::new(
            lat + (self.unit() - 0.5) * spread,
            lon + (self.unit() - 0.5) * spread * 1.4,
        )
    }
}

const T0: Timestamp = Timestamp(1_795_400_000_000);

fn admin() -> Context {
    Context {
        now: T0,
        actor: Actor::new("bench", Role::Admin, "bench"),
        realm: RealmKind::Live,
    }
}

/// A city of the given size around Changchun.
pub fn city(size: City) -> State {
    let mut rng = Lcg(7);
    let mut s = State::default();
    let run = |s: &mut State, cmd: Command, ctx: &Context| {
        if let Ok(events) = decide(s, &cmd, ctx) {
            for e in &events {
                s.apply(e);
            }
        }
    };
    let ctx = admin();
    for i in 0..size.teams {
        let home = rng.around(43.9, 125.35, 0.8);
        let kind = TeamKind::ALL[i % TeamKind::ALL.len()];
        let team = Team {
            id: TeamId::new(format!("T{i:05}")),
            name: format!("{}{i}", kind.zh()),
            kind,
            tier: 1,
            capabilities: vec![],
            headcount: 12,
            equipment: vec![],
            jurisdiction: JurisdictionId::new(format!("区{}", i % 9)),
            home,
            radio_ids: vec![format!("R{i}")],
            status: TeamStatus::Available,
            last_fix: None,
            support: None,
        };
        run(&mut s, Command::RegisterTeam(Box::new(team)), &ctx);
    }
    for i in 0..size.depots {
        let stock = (0..5)
            .map(|k| {
                let item = ItemId::new(format!("item{k}"));
                (
                    item.clone(),
                    StockLine {
                        item,
                        name: format!("物资{k}"),
                        unit: "件".into(),
                        on_hand: 100,
                        reserved: 0,
                        expiry: None,
                    },
                )
            })
            .collect();
        let depot = Depot {
            id: DepotId::new(format!("D{i:04}")),
            name: format!("储备库{i}"),
            owner: "应急管理局".into(),
            position: rng.around(43.9, 125.35, 0.8),
            jurisdiction: JurisdictionId::new("长春市"),
            stock,
        };
        run(&mut s, Command::RegisterDepot(Box::new(depot)), &ctx);
    }
    for i in 0..size.hazards {
        let h = HazardSource {
            id: HazardId::new(format!("H{i:04}")),
            name: format!("危险源{i}"),
            kind: "危化品储罐".into(),
            risk: [
                RiskColour::Red,
                RiskColour::Orange,
                RiskColour::Yellow,
                RiskColour::Blue,
            ][i % 4],
            position: rng.around(43.9, 125.35, 0.8),
            enterprise: None,
            jurisdiction: JurisdictionId::new("长春市"),
        };
        run(&mut s, Command::RegisterHazard(Box::new(h)), &ctx);
    }
    let officer = Context {
        actor: Actor::new("bench", Role::DutyOfficer, "bench"),
        ..admin()
    };
    for i in 0..size.incidents {
        let intake = command::IncidentIntake {
            id: IncidentId::new(format!("I{i:04}")),
            title: format!("测试事件{i}"),
            sector: Sector::ALL[i % Sector::ALL.len()],
            position: rng.around(43.9, 125.35, 0.8),
            address: "长春市".into(),
            jurisdiction: JurisdictionId::new("长春市"),
            enterprise: None,
            source: IntakeSource::Phone,
            occurred_at: T0.plus(-60_000),
            reported_at: T0,
            caller: "bench".into(),
            casualties: Casualties {
                deaths: (i % 12) as u32,
                ..Default::default()
            },
            direct_loss_yuan: 0,
            suggested_response_level: None,
        };
        run(&mut s, Command::OpenIncident(Box::new(intake)), &officer);
    }
    s
}

/// Runs `frames` frames of a 1600×900 console over `state`, each frame
/// folding the fixes of one sixtieth of the teams (1 Hz at 60 frames/s).
pub fn measure(state: State, frames: usize, shown: crate::map::Shown) -> FrameTimes {
    let ctx = egui::Context::default();
    ctx.set_fonts(crate::i18n::font_definitions());
    let mut picture = Picture::new("live", false, "bench");
    picture.reset(1, state);
    let mut view = MapView::default();
    view.shown = shown;
    let mut workbench = Workbench::new("bench");
    let (mut outbox, _rx) = Outbox::for_test(vec![("bench".into(), Role::DutyOfficer)]);
    let mut alerts = Alerts::silent();
    let link = Link::offline();
    let teams: Vec<TeamId> = picture.state.teams.keys().cloned().collect();
    let per_frame = teams.len().div_ceil(60).max(1);
    let mut rng = Lcg(11);
    let mut seq = 1;
    let mut times = Vec::with_capacity(frames);
    for f in 0..frames {
        let now = T0.plus(f as i64 * 16);
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1600.0, 900.0),
            )),
            time: Some(f as f64 / 60.0),
            ..Default::default()
        };
        let start = Instant::now();
        for k in 0..per_frame {
            let team = &teams[(f * per_frame + k) % teams.len()];
            let home = picture.state.teams[team].home;
            seq += 1;
            let fix = Fix {
                position: rng.around(home.lat, home.lon, 0.01),
                accuracy_m: Some(5.0),
                source: FixSource::Simulated,
                taken_at: now,
            };
            let actor = Actor::new("bridge", Role::FieldGateway, "bench");
            picture.apply_decision(
                seq,
                Decision {
                    at: now,
                    actor: actor.clone(),
                    command: Command::ReportFix {
                        team: team.clone(),
                        fix,
                    },
                    events: vec![Event {
                        at: now,
                        actor,
                        kind: EventKind::FixReported {
                            team: team.clone(),
                            fix,
                        },
                    }],
                },
            );
        }
        let output = ctx.run_ui(input, |ui| {
            layout(
                ui.ctx(),
                Screen {
                    picture: &mut picture,
                    view: &mut view,
                    workbench: &mut workbench,
                    outbox: &mut outbox,
                    alerts: &mut alerts,
                    link: &link,
                    review: None,
                    wall: false,
                    now,
                },
            )
        });
        let shapes = ctx.tessellate(output.shapes, output.pixels_per_point);
        std::hint::black_box(shapes);
        // No GPU to upload the font atlas to: drop the texture updates.
        let mut textures = output.textures_delta;
        textures.clear();
        // The first frames lay out fonts and caches: not the steady state.
        if f >= 5 {
            times.push(start.elapsed());
        }
    }
    times.sort_unstable();
    let pick = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    FrameTimes {
        p50: pick(0.5),
        p99: pick(0.99),
        mean: times.iter().sum::<Duration>() / times.len() as u32,
    }
}

/// Where the 5k city's frame goes: the whole frame, then with map layers
/// switched off one at a time.
pub fn breakdown(frames: usize) {
    use crate::map::Shown;
    let size = City {
        teams: 5_000,
        incidents: 500,
        depots: 200,
        hazards: 1_000,
    };
    let all = Shown::default();
    let none = Shown {
        teams: false,
        incidents: false,
        depots: false,
        hazards: false,
        shelters: false,
        lines: false,
    };
    println!("5k city: what the frame costs (p50 ms)");
    for (label, shown) in [
        ("everything", all),
        (
            "no team markers",
            Shown {
                teams: false,
                ..all
            },
        ),
        (
            "no hazard markers",
            Shown {
                hazards: false,
                ..all
            },
        ),
        (
            "no incident markers",
            Shown {
                incidents: false,
                ..all
            },
        ),
        ("no map markers at all (panels only)", none),
    ] {
        let t = measure(city(size), frames, shown);
        println!("{label:<38} {:>7.2}", t.p50.as_secs_f64() * 1e3);
    }
}

/// Prints frame times for 1k, 5k and 20k teams (the 5k city has 500
/// incidents, 200 depots and 1,000 hazard sources; the others scale).
pub fn run(frames: usize) {
    println!("teams  incidents  depots  hazards   p50 ms   p99 ms  mean ms");
    for teams in [1_000, 5_000, 20_000] {
        let size = City {
            teams,
            incidents: teams / 10,
            depots: teams / 25,
            hazards: teams / 5,
        };
        let t = measure(city(size), frames, crate::map::Shown::default());
        println!(
            "{:>5}  {:>9}  {:>6}  {:>7}  {:>7.2}  {:>7.2}  {:>7.2}",
            size.teams,
            size.incidents,
            size.depots,
            size.hazards,
            t.p50.as_secs_f64() * 1e3,
            t.p99.as_secs_f64() * 1e3,
            t.mean.as_secs_f64() * 1e3
        );
    }
}
