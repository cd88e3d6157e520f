//! Relay benchmarks (run in release; see docs/benchmarks.md):
//!
//! ```text
//! cargo run --release -p system-tests --example relay_bench -- fanout [RADIOS] [CONSOLES] [SECONDS]
//! cargo run --release -p system-tests --example relay_bench -- commit [COMMANDS]
//! ```
//! `fanout`: RADIOS simulated radios report 1 fix/s each through field
//! gateways into an in-process relay while CONSOLES subscribed clients fold
//! every decision; then the rate is raised step by step until p99 latency
//! (fix taken → folded by a console) exceeds 50 ms. `commit`: sequential
//! dispatch commands, round trip send → durable → result.

use client::{ClientConfig, Mirror, MirrorUpdate, Session, Trust};
use domain::*;
use protocol::{ClientMessage, CommandOutcome, FieldObservation, RealmId, ServerMessage};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

struct Bench {
    relay: relay::ServerHandle,
    tokens: std::collections::BTreeMap<String, String>,
}

impl Bench {
    async fn start(users: &[(String, Role)]) -> Bench {
        let data = std::env::temp_dir().join(format!("ecc-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).expect("data dir");
        let mut table = relay::users::Users::default();
        let tokens = users
            .iter()
            .map(|(n, r)| (n.clone(), table.add(n, *r).expect("user")))
            .collect();
        table.save(&data).expect("users");
        let cfg = relay::Config {
            listen: "127.0.0.1:0".parse().expect("addr"),
            data,
            subscriber_queue: 65_536,
            ..relay::Config::default()
        };
        let relay = relay::Server::start(cfg).await.expect("relay");
        Bench { relay, tokens }
    }

    async fn session(&self, user: &str) -> Session {
        Session::connect(&ClientConfig {
            addr: self.relay.local_addr,
            trust: Trust::Pinned(self.relay.fingerprint.clone()),
            user: user.into(),
            token: self.tokens[user].clone(),
            device: format!("bench-{user}"),
            client: "relay_bench".into(),
        })
        .await
        .expect("connect")
    }
}

fn team(i: usize) -> Command {
    Command::RegisterTeam(Box::new(Team {
        id: TeamId::new(format!("T{i:05}")),
        name: format!("队伍{i}"),
        kind: TeamKind::CivilNgo,
        tier: 2,
        capabilities: vec![],
        headcount: 8,
        equipment: vec![],
        jurisdiction: JurisdictionId::new("长春市"),
        home: GeoPoint::new(
            43.8 + (i % 100) as f64 * 0.002,
            125.3 + (i / 100) as f64 * 0.002,
        ),
        radio_ids: vec![format!("R{i:05}")],
        status: TeamStatus::Available,
        last_fix: None,
        support: None,
    }))
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    match args.first().map(String::as_str) {
        Some("fanout") => fanout(arg(1, 2000), arg(2, 20), arg(3, 60) as u64).await,
        Some("commit") => commit(arg(1, 2000)).await,
        _ => {
            eprintln!("usage: relay_bench fanout [RADIOS] [CONSOLES] [SECONDS] | commit [COMMANDS]")
        }
    }
}

async fn register(bench: &Bench, radios: usize) {
    let admin = Arc::new(bench.session("admin").await);
    let live = RealmId::live();
    let mut tasks = Vec::new();
    for w in 0..16 {
        let (admin, live) = (admin.clone(), live.clone());
        tasks.push(tokio::spawn(async move {
            for i in (w..radios).step_by(16) {
                let r = admin.command(&live, team(i)).await.expect("answered");
                assert!(matches!(r, CommandOutcome::Accepted { .. }), "{r:?}");
            }
        }));
    }
    for t in tasks {
        t.await.expect("registered");
    }
}

async fn fanout(radios: usize, consoles: usize, seconds: u64) {
    let gateways = 4;
    let mut users: Vec<(String, Role)> = vec![("admin".into(), Role::Admin)];
    users.extend((0..consoles).map(|i| (format!("console{i}"), Role::Observer)));
    users.extend((0..gateways).map(|i| (format!("bridge{i}"), Role::FieldGateway)));
    let bench = Bench::start(&users).await;
    register(&bench, radios).await;
    let live = RealmId::live();
    let start_seq = bench.relay.last_seq(&live).unwrap_or(0);
    println!(
        "fan-out: {radios} radios, {consoles} consoles, {gateways} gateways; base rate 1 fix/s per radio"
    );
    println!(
        "| rate (fixes/s) | seconds | ingest (decisions/s) | delivery (decisions/s, all consoles) | p50 ms | p99 ms | max ms | gaps |"
    );
    println!("|---|---|---|---|---|---|---|---|");

    // Consoles: fold everything, record latency of each fix.
    let latencies = Arc::new(std::sync::Mutex::new(Vec::<u32>::new()));
    let delivered = Arc::new(AtomicU64::new(0));
    let gaps = Arc::new(AtomicU64::new(0));
    let mut console_tasks = Vec::new();
    for i in 0..consoles {
        let mut s = bench.session(&format!("console{i}")).await;
        s.subscribe(&live, start_seq).await.expect("subscribe");
        let (lat, delivered, gaps, live) = (
            latencies.clone(),
            delivered.clone(),
            gaps.clone(),
            live.clone(),
        );
        console_tasks.push(tokio::spawn(async move {
            let mut mirror = Mirror::new(live);
            mirror.last_seq = start_seq;
            let mut local = Vec::with_capacity(1 << 16);
            while let Some(msg) = s.next_message().await {
                let now = now_ms();
                match mirror.accept(&msg) {
                    MirrorUpdate::Applied(_) => {
                        delivered.fetch_add(1, Ordering::Relaxed);
                        if let ServerMessage::Decision { decision, .. } = &msg
                            && let Command::ReportFix { fix, .. } = &decision.command
                        {
                            local.push((now - fix.taken_at.0).max(0) as u32);
                        }
                    }
                    MirrorUpdate::Gap { .. } => {
                        gaps.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
                if local.len() >= 4096
                    && let Ok(mut l) = lat.lock()
                {
                    l.append(&mut local);
                }
            }
            if let Ok(mut l) = lat.lock() {
                l.append(&mut local);
            }
        }));
    }

    let mut senders = Vec::new();
    for g in 0..gateways {
        senders.push(Arc::new(bench.session(&format!("bridge{g}")).await));
    }
    for multiplier in [1usize, 2, 5, 10, 15, 20] {
        let rate = radios * multiplier;
        let phase = if multiplier == 1 {
            seconds
        } else {
            (seconds / 4).max(5)
        };
        if let Ok(mut l) = latencies.lock() {
            l.clear();
        }
        delivered.store(0, Ordering::Relaxed);
        let seq0 = bench.relay.last_seq(&live).unwrap_or(0);
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for (g, s) in senders.iter().enumerate() {
            let (s, stop, live) = (s.clone(), stop.clone(), live.clone());
            tasks.push(tokio::spawn(async move {
                // Every 10 ms, each gateway sends its share of the fixes due.
                let mine: Vec<usize> = (g..radios).step_by(gateways).collect();
                let per_tick = (mine.len() * multiplier) as f64 / 100.0;
                let mut owed = 0.0;
                let mut next = 0usize;
                let mut tick = tokio::time::interval(Duration::from_millis(10));
                while !stop.load(Ordering::Relaxed) {
                    tick.tick().await;
                    owed += per_tick;
                    while owed >= 1.0 {
                        owed -= 1.0;
                        let i = mine[next % mine.len()];
                        next += 1;
                        let obs = FieldObservation {
                            device: format!("R{i:05}"),
                            fix: Some(Fix {
                                position: GeoPoint::new(43.8 + (next % 1000) as f64 * 1e-5, 125.3),
                                accuracy_m: Some(5.0),
                                source: FixSource::Nmea,
                                taken_at: Timestamp(now_ms()),
                            }),
                            status: None,
                            emergency: false,
                            text: None,
                            realm: live.clone(),
                        };
                        if s.send(&ClientMessage::Field(obs)).await.is_err() {
                            return;
                        }
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_secs(phase)).await;
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        // Let the consoles drain.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let elapsed = started.elapsed().as_secs_f64() - 2.0;
        let seq1 = bench.relay.last_seq(&live).unwrap_or(0);
        let mut lat = latencies.lock().map(|l| l.clone()).unwrap_or_default();
        lat.sort_unstable();
        let (p50, p99, max) = (
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            lat.last().copied().unwrap_or(0),
        );
        println!(
            "| {rate} | {phase} | {:.0} | {:.0} | {p50} | {p99} | {max} | {} |",
            (seq1 - seq0) as f64 / elapsed,
            delivered.load(Ordering::Relaxed) as f64 / elapsed,
            gaps.load(Ordering::Relaxed)
        );
        if p99 > 50 {
            break;
        }
    }
    // Every console must have every decision the relay made durable.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let last = bench.relay.last_seq(&live).unwrap_or(0);
    println!(
        "decisions durable: {}, gaps seen by consoles: {}",
        last - start_seq,
        gaps.load(Ordering::Relaxed)
    );
    for t in console_tasks {
        t.abort();
    }
    bench.relay.shutdown().await;
}

async fn commit(n: usize) {
    let bench = Bench::start(&[
        ("admin".into(), Role::Admin),
        ("wang".into(), Role::DutyOfficer),
    ])
    .await;
    register(&bench, 64).await;
    let live = RealmId::live();
    let wang = bench.session("wang").await;
    let inc = Command::OpenIncident(Box::new(command::IncidentIntake {
        id: IncidentId::new("INC-1"),
        title: "基准测试".into(),
        sector: Sector::Fire,
        position: GeoPoint::new(43.9, 125.3),
        address: "长春".into(),
        jurisdiction: JurisdictionId::new("长春市"),
        enterprise: None,
        source: IntakeSource::Phone,
        occurred_at: Timestamp(now_ms() - 60_000),
        reported_at: Timestamp(now_ms() - 1000),
        caller: String::new(),
        casualties: Casualties::default(),
        direct_loss_yuan: 0,
        suggested_response_level: None,
    }));
    wang.command(&live, inc).await.expect("incident");
    let mut rtt = Vec::with_capacity(n);
    for k in 0..n {
        // Alternate: issue an order to a team, then cancel it.
        let order = OrderId::new(format!("O{}", k / 2));
        let cmd = if k % 2 == 0 {
            Command::IssueOrder {
                order,
                incident: IncidentId::new("INC-1"),
                team: TeamId::new(format!("T{:05}", (k / 2) % 64)),
                note: "出动".into(),
                recommendation_shown: vec![],
            }
        } else {
            Command::AdvanceOrder {
                order,
                step: OrderStep::Cancelled {
                    reason: "基准".into(),
                },
            }
        };
        let t = Instant::now();
        let r = wang.command(&live, cmd).await.expect("answered");
        rtt.push(t.elapsed().as_micros() as u32);
        assert!(matches!(r, CommandOutcome::Accepted { .. }), "{r:?}");
    }
    rtt.sort_unstable();
    println!("commit round trip over {n} sequential dispatch commands (send → fsync → result):");
    println!(
        "p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&rtt, 0.5) as f64 / 1000.0,
        percentile(&rtt, 0.9) as f64 / 1000.0,
        percentile(&rtt, 0.99) as f64 / 1000.0,
        rtt.last().copied().unwrap_or(0) as f64 / 1000.0
    );
    bench.relay.shutdown().await;
}
