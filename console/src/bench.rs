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
    /// Slowest.
    pub max: Duration,
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
    percentiles(times)
}

/// p50, p99, mean and max of some durations.
fn percentiles(mut times: Vec<Duration>) -> FrameTimes {
    times.sort_unstable();
    let n = times.len().max(1);
    let pick = |q: f64| {
        times
            .get(((n as f64 * q) as usize).min(n - 1))
            .copied()
            .unwrap_or_default()
    };
    FrameTimes {
        p50: pick(0.5),
        p99: pick(0.99),
        mean: times.iter().sum::<Duration>() / n as u32,
        max: times.last().copied().unwrap_or_default(),
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

/// `console bench --review N`: a 24-hour city log of about `n` decisions
/// (2,000 radios reporting, 300 incidents with orders and reports) written
/// to a real ledger, then verified and loaded for review, then random
/// seeks. Prints load time and the seek latency distribution.
pub fn review(n: usize) -> anyhow::Result<()> {
    use crate::review::ReviewLog;
    let data = std::env::temp_dir().join(format!("ecc-review-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let started = Instant::now();
    let written = write_city_log(&data, n)?;
    println!(
        "wrote {written} decisions to {} in {:.1} s",
        data.display(),
        started.elapsed().as_secs_f64()
    );
    let count = std::sync::atomic::AtomicU64::new(0);
    let t = Instant::now();
    let log = ReviewLog::open(&data, "live", false, &count)?;
    println!(
        "verified and loaded {} decisions in {:.1} s",
        log.len(),
        t.elapsed().as_secs_f64()
    );
    let mut rng = Lcg(5);
    let mut times = Vec::new();
    for _ in 0..200 {
        let seq = (rng.unit() * log.len() as f64) as u64;
        let t = Instant::now();
        std::hint::black_box(log.state_at(seq));
        times.push(t.elapsed());
    }
    let t = percentiles(times);
    println!(
        "200 random seeks: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        t.p50.as_secs_f64() * 1e3,
        t.p99.as_secs_f64() * 1e3,
        t.max.as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}

/// Appends what is pending as one group commit; returns how many.
fn flush(
    ledger: &mut ledger::Ledger,
    batch: &mut Vec<Vec<u8>>,
    times: &mut Vec<i64>,
) -> anyhow::Result<usize> {
    if batch.is_empty() {
        return Ok(0);
    }
    let entries: Vec<(i64, &[u8])> = times
        .iter()
        .copied()
        .zip(batch.iter().map(Vec::as_slice))
        .collect();
    ledger.append_batch(&entries)?;
    let n = batch.len();
    batch.clear();
    times.clear();
    Ok(n)
}

/// Writes the synthetic city's day into `data/realms/live` through the
/// domain (`decide`) and the real ledger, as the relay would.
fn write_city_log(data: &std::path::Path, n: usize) -> anyhow::Result<usize> {
    let (identity, _) = relay::identity::Identity::load_or_create(data)?;
    let dir = data.join("realms").join("live");
    std::fs::create_dir_all(&dir)?;
    let (mut ledger, _) = ledger::Ledger::open(&dir, identity.ledger_key, Default::default())?;
    let mut state = State::default();
    let mut seq = 0usize;
    let mut batch: Vec<Vec<u8>> = Vec::new();
    let mut times: Vec<i64> = Vec::new();
    let put = |state: &mut State,
               cmd: Command,
               ctx: &Context,
               batch: &mut Vec<Vec<u8>>,
               times: &mut Vec<i64>| {
        if let Ok(events) = decide(state, &cmd, ctx) {
            let d = Decision {
                at: ctx.now,
                actor: ctx.actor.clone(),
                command: cmd,
                events,
            };
            state.apply_decision(&d);
            batch.push(postcard::to_stdvec(&d).unwrap_or_default());
            times.push(ctx.now.0);
        }
    };
    let city_state = city(City {
        teams: 2_000,
        incidents: 0,
        depots: 50,
        hazards: 200,
    });
    // Set-up decisions: the teams, depots and hazards of the city.
    let admin = admin();
    for t in city_state.teams.values() {
        put(
            &mut state,
            Command::RegisterTeam(Box::new(t.clone())),
            &admin,
            &mut batch,
            &mut times,
        );
    }
    let day = 24 * 3_600_000i64;
    let per_step = day / n.max(1) as i64;
    let mut rng = Lcg(3);
    let teams: Vec<TeamId> = state.teams.keys().cloned().collect();
    let field = Actor::new("bridge", Role::FieldGateway, "bench");
    let officer = Actor::new("bench", Role::DutyOfficer, "bench");
    let mut incidents = 0;
    while batch.len() + seq < n {
        let now = T0.plus((seq + batch.len()) as i64 * per_step);
        let k = seq + batch.len();
        // One incident every n/300 decisions, with an order and a report.
        if k.is_multiple_of((n / 300).max(1)) && incidents < 300 {
            incidents += 1;
            let id = IncidentId::new(format!("I{incidents:04}"));
            let ctx = Context {
                now,
                actor: officer.clone(),
                realm: RealmKind::Live,
            };
            let intake = command::IncidentIntake {
                id: id.clone(),
                title: format!("事件{incidents}"),
                sector: Sector::ALL[incidents % Sector::ALL.len()],
                position: rng.around(43.9, 125.35, 0.8),
                address: "长春市".into(),
                jurisdiction: JurisdictionId::new("长春市"),
                enterprise: None,
                source: IntakeSource::Phone,
                occurred_at: now.plus(-60_000),
                reported_at: now,
                caller: "bench".into(),
                casualties: Casualties::default(),
                direct_loss_yuan: 0,
                suggested_response_level: None,
            };
            put(
                &mut state,
                Command::OpenIncident(Box::new(intake)),
                &ctx,
                &mut batch,
                &mut times,
            );
            let team = teams[(incidents * 7) % teams.len()].clone();
            put(
                &mut state,
                Command::IssueOrder {
                    order: OrderId::new(format!("O{incidents:04}")),
                    incident: id.clone(),
                    team,
                    note: "出动".into(),
                    recommendation_shown: vec![],
                },
                &ctx,
                &mut batch,
                &mut times,
            );
            put(
                &mut state,
                Command::FileReport {
                    incident: id,
                    kind: ReportKind::First,
                    channel: deadline::ReportChannel::Phone,
                    to_level: deadline::AdminLevel::County,
                    summary: "首报".into(),
                },
                &ctx,
                &mut batch,
                &mut times,
            );
        } else {
            let team = &teams[k % teams.len()];
            let home = state.teams[team].home;
            let ctx = Context {
                now,
                actor: field.clone(),
                realm: RealmKind::Live,
            };
            let fix = Fix {
                position: rng.around(home.lat, home.lon, 0.02),
                accuracy_m: Some(5.0),
                source: FixSource::Simulated,
                taken_at: now,
            };
            put(
                &mut state,
                Command::ReportFix {
                    team: team.clone(),
                    fix,
                },
                &ctx,
                &mut batch,
                &mut times,
            );
        }
        if batch.len() >= 1_000 {
            seq += flush(&mut ledger, &mut batch, &mut times)?;
        }
    }
    seq += flush(&mut ledger, &mut batch, &mut times)?;
    ledger.checkpoint(T0.plus(day).0)?;
    Ok(seq)
}
