//! The same Cursor-on-Target load through the CoT routers TAK users run
//! today and through this project's bridge → relay → bridge, in one run
//! (see docs/benchmarks.md):
//!
//! ```text
//! cargo run --release -p system-tests --example cot_routers -- \
//!     [--taky PATH/taky] [--fts PATH/python] [--senders N] [--receivers M] \
//!     [--rates 1,10,50] [--seconds S]
//! ```
//!
//! N senders each send R position events a second (a TAK client's
//! "a-f-G-U-C" with its own uid and the send time in `time`); M receivers
//! read everything the router hands out. For taky and FreeTAKServer the
//! senders and receivers are clients of the one CoT port; for ours the
//! senders feed a bridge's CoT input, the relay records each fix as a team
//! position (N teams, each bound to one sender's uid), and a second bridge
//! serves the team markers to the receivers, stamped with the fix's time.
//! Reported per step: events delivered per second, loss (events a receiver
//! never got) and latency (send time → receipt) p50/p99.

use client::{ClientConfig, Session, Trust};
use domain::*;
use protocol::{CommandOutcome, RealmId};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::{Child, Command as Process, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn event(uid: &str, seq: u64, t: i64) -> String {
    let time = radio::time::format_iso8601(Timestamp(t));
    // Each event a little further north, so no router drops it as unchanged.
    let lat = 43.8 + (seq % 10_000) as f64 * 1e-5;
    format!(
        r#"<event version="2.0" uid="{uid}" type="a-f-G-U-C" how="m-g" time="{time}" start="{time}" stale="2099-01-01T00:00:00Z"><point lat="{lat:.6}" lon="125.3" hae="200" ce="5" le="9999999"/><detail><contact callsign="{uid}"/></detail></event>"#
    )
}

/// What the receivers saw in one step.
#[derive(Default)]
struct Seen {
    latencies: Vec<i64>,
}

/// Which router is under load.
enum Target {
    /// One CoT port for senders and receivers.
    Shared(SocketAddr),
    /// Our bridge's CoT input, and the other bridge's CoT output.
    Split {
        input: SocketAddr,
        output: SocketAddr,
    },
}

impl Target {
    fn send_addr(&self) -> SocketAddr {
        match self {
            Target::Shared(a) => *a,
            Target::Split { input, .. } => *input,
        }
    }
    fn recv_addr(&self) -> SocketAddr {
        match self {
            Target::Shared(a) => *a,
            Target::Split { output, .. } => *output,
        }
    }
}

/// Reads CoT from `stream`, keeping latencies of events whose uid maps to
/// a sender and whose time falls in the step.
async fn receive(
    mut stream: TcpStream,
    uid_of_sender: Arc<dyn Fn(&str) -> bool + Send + Sync>,
    window: Arc<(AtomicI64, AtomicI64)>,
    seen: Arc<std::sync::Mutex<Seen>>,
    stop: Arc<AtomicBool>,
) {
    let mut split = radio::cot::EventSplitter::new(64 * 1024);
    let mut buf = vec![0u8; 64 * 1024];
    while !stop.load(Ordering::Relaxed) {
        let n = match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf)).await
        {
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(n)) => n,
            Err(_) => continue,
        };
        let at = now_ms();
        let (from, to) = (
            window.0.load(Ordering::Relaxed),
            window.1.load(Ordering::Relaxed),
        );
        let mut got = Vec::new();
        for doc in split.push(&buf[..n]).into_iter().flatten() {
            if let Ok(ev) = radio::cot::parse(&doc)
                && uid_of_sender(&ev.uid)
                && let Some(t) = ev.time
                && t.0 >= from
                && t.0 < to
            {
                got.push(at - t.0);
            }
        }
        if !got.is_empty() {
            seen.lock().expect("seen").latencies.extend(got);
        }
    }
}

/// Sends `rate` events a second as `uid` until `stop`; counts them.
async fn send(
    addr: SocketAddr,
    uid: String,
    rate: u32,
    sent: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    hang_up: Arc<AtomicBool>,
    drain: bool,
) {
    let Ok(stream) = TcpStream::connect(addr).await else {
        return;
    };
    let (mut rd, mut wr) = stream.into_split();
    if drain {
        // A TAK server sends every client everyone else's events; read them
        // so the server never blocks on this client.
        tokio::spawn(async move {
            let mut b = vec![0u8; 64 * 1024];
            while let Ok(n) = rd.read(&mut b).await {
                if n == 0 {
                    break;
                }
            }
        });
    }
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut seq = 0u64;
    let mut last = 0i64;
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        seq += 1;
        // A device's fix times only go forward, even when a late tick makes
        // this task send a burst within one millisecond.
        let t = now_ms().max(last + 1);
        last = t;
        if wr.write_all(event(&uid, seq, t).as_bytes()).await.is_err() {
            return;
        }
        sent.fetch_add(1, Ordering::Relaxed);
    }
    // Stay connected until the receivers are done: a server may drop what a
    // closing client sent last.
    while !hang_up.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

struct Step {
    rate: u32,
    sent: u64,
    delivered: u64,
    expected: u64,
    p50: i64,
    p99: i64,
    seconds: f64,
}

impl Step {
    /// Past saturation: most of the load is lost; higher steps would only
    /// take longer to say so.
    fn swamped(&self) -> bool {
        self.delivered * 2 < self.expected
    }
}

async fn run_step(
    target: &Target,
    shared: bool,
    senders: usize,
    receivers: usize,
    rate: u32,
    seconds: u64,
    uid_of_sender: Arc<dyn Fn(&str) -> bool + Send + Sync>,
) -> Step {
    let seen = Arc::new(std::sync::Mutex::new(Seen::default()));
    let stop_rx = Arc::new(AtomicBool::new(false));
    let window = Arc::new((AtomicI64::new(i64::MAX), AtomicI64::new(i64::MAX)));
    let mut rx_tasks = Vec::new();
    for j in 0..receivers {
        let mut s = TcpStream::connect(target.recv_addr())
            .await
            .expect("receiver connects");
        if shared {
            // TAK servers route to clients that have said who they are.
            s.write_all(event(&format!("recv-{j}"), 0, now_ms()).as_bytes())
                .await
                .expect("receiver introduces itself");
        }
        rx_tasks.push(tokio::spawn(receive(
            s,
            uid_of_sender.clone(),
            window.clone(),
            seen.clone(),
            stop_rx.clone(),
        )));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent = Arc::new(AtomicU64::new(0));
    let stop_tx = Arc::new(AtomicBool::new(false));
    // Count only events stamped inside the step.
    let start = now_ms();
    window.0.store(start, Ordering::Relaxed);
    let mut tx_tasks = Vec::new();
    for i in 0..senders {
        tx_tasks.push(tokio::spawn(send(
            target.send_addr(),
            format!("bench-{i}"),
            rate,
            sent.clone(),
            stop_tx.clone(),
            stop_rx.clone(),
            shared,
        )));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop_tx.store(true, Ordering::Relaxed);
    // The last events go out within one period of the stop.
    tokio::time::sleep(Duration::from_secs_f64(1.0 / f64::from(rate) + 0.05)).await;
    let end = now_ms();
    window.1.store(end, Ordering::Relaxed);
    // Let what is in flight arrive.
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop_rx.store(true, Ordering::Relaxed);
    for t in rx_tasks.into_iter().chain(tx_tasks) {
        let _ = t.await;
    }
    let mut lat = std::mem::take(&mut seen.lock().expect("seen").latencies);
    lat.sort_unstable();
    let pct = |q: f64| {
        if lat.is_empty() {
            -1
        } else {
            lat[((lat.len() - 1) as f64 * q).round() as usize]
        }
    };
    let sent = sent.load(Ordering::Relaxed);
    Step {
        rate,
        sent,
        delivered: lat.len() as u64,
        expected: sent * receivers as u64,
        p50: pct(0.5),
        p99: pct(0.99),
        seconds: (end - start) as f64 / 1000.0,
    }
}

/// Steps through `rates` until the router is swamped.
async fn ramp(
    target: &Target,
    shared: bool,
    senders: usize,
    receivers: usize,
    rates: &[u32],
    seconds: u64,
    uid_of_sender: Arc<dyn Fn(&str) -> bool + Send + Sync>,
) -> Vec<Step> {
    let mut steps = Vec::new();
    for &r in rates {
        let step = run_step(
            target,
            shared,
            senders,
            receivers,
            r,
            seconds,
            uid_of_sender.clone(),
        )
        .await;
        let swamped = step.swamped();
        steps.push(step);
        if swamped {
            break;
        }
    }
    steps
}

fn print_steps(name: &str, steps: &[Step], senders: usize, receivers: usize) {
    println!("\n{name}: {senders} senders, {receivers} receivers");
    println!("| rate/sender | sent/s | delivered/s | loss | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|---|");
    for s in steps {
        let loss = if s.expected == 0 {
            1.0
        } else {
            1.0 - s.delivered as f64 / s.expected as f64
        };
        println!(
            "| {} | {:.0} | {:.0} | {:.2}% | {} | {} |",
            s.rate,
            s.sent as f64 / s.seconds,
            s.delivered as f64 / s.seconds,
            loss.max(0.0) * 100.0,
            s.p50,
            s.p99
        );
    }
}

/// A server started in its own process group, killed whole on drop
/// (FreeTAKServer forks a process per service).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = Process::new("kill")
            .args(["-9", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

fn own_group(cmd: &mut Process) -> &mut Process {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0)
}

async fn wait_port(addr: SocketAddr) {
    for _ in 0..300 {
        if TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing listens on {addr}");
}

fn taky(bin: &str, dir: &std::path::Path) -> (Killed, SocketAddr) {
    let port = free_port();
    std::fs::create_dir_all(dir).expect("dir");
    let conf = dir.join("taky.conf");
    std::fs::write(
        &conf,
        format!(
            "[taky]\nhostname = localhost\nbind_ip = 127.0.0.1\nroot_dir = {}\n[cot_server]\nport = {port}\n[ssl]\nenabled = false\n",
            dir.display()
        ),
    )
    .expect("taky.conf");
    let child = own_group(&mut Process::new(bin))
        .args(["-l", "error", "-c"])
        .arg(&conf)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("taky starts");
    (Killed(child), SocketAddr::from(([127, 0, 0, 1], port)))
}

fn fts(python: &str, dir: &std::path::Path) -> (Killed, SocketAddr) {
    let port = free_port();
    std::fs::create_dir_all(dir).expect("dir");
    // Not the first start (no interactive wizard); its web services on
    // loopback too. It keeps its state under /opt/fts, its default.
    let child = own_group(&mut Process::new(python))
        .env("FTS_FIRST_START", "false")
        .env("FTS_API_ADDRESS", "127.0.0.1")
        .env("FTS_DP_ADDRESS", "127.0.0.1")
        .env("FTS_USER_ADDRESS", "127.0.0.1")
        .args(["-m", "FreeTAKServer.controllers.services.FTS", "-CoTPort"])
        .arg(port.to_string())
        .args(["-AutoStart", "True", "-CoTIP", "127.0.0.1"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("FreeTAKServer starts");
    (Killed(child), SocketAddr::from(([127, 0, 0, 1], port)))
}

/// Our path: a relay with N teams (team i owns uid bench-i), a bridge
/// taking CoT in, and a bridge serving the teams' markers.
async fn ours(
    senders: usize,
    dir: &std::path::Path,
) -> (relay::ServerHandle, SocketAddr, SocketAddr) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("data dir");
    let mut users = relay::users::Users::default();
    let admin = users.add("admin", Role::Admin).expect("admin");
    let gw = users.add("bridge", Role::FieldGateway).expect("gateway");
    users.save(dir).expect("users");
    let cfg = relay::Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data: dir.to_path_buf(),
        subscriber_queue: 65_536,
        ..relay::Config::default()
    };
    let relay = relay::Server::start(cfg).await.expect("relay");
    let s = Session::connect(&ClientConfig {
        addr: relay.local_addr,
        trust: Trust::Pinned(relay.fingerprint.clone()),
        user: "admin".into(),
        token: admin,
        device: "bench-admin".into(),
        client: "cot_routers".into(),
    })
    .await
    .expect("admin connects");
    for i in 0..senders {
        let cmd = Command::RegisterTeam(Box::new(Team {
            id: TeamId::new(format!("T{i}")),
            name: format!("队伍{i}"),
            kind: TeamKind::CivilNgo,
            tier: 2,
            capabilities: vec![],
            headcount: 8,
            equipment: vec![],
            jurisdiction: JurisdictionId::new("长春市"),
            home: GeoPoint::new(43.8, 125.3),
            radio_ids: vec![format!("bench-{i}")],
            status: TeamStatus::Available,
            last_fix: None,
            support: None,
        }));
        let out = s.command(&RealmId::live(), cmd).await.expect("answer");
        assert!(matches!(out, CommandOutcome::Accepted { .. }), "{out:?}");
    }
    let (input, output, dummy) = (free_port(), free_port(), free_port());
    let relay_part = |device: &str| {
        format!(
            "[relay]\naddr = \"{}\"\nfingerprint = \"{}\"\nuser = \"bridge\"\ntoken = \"{gw}\"\ndevice = \"{device}\"\n[thinning]\nmin_distance_m = 0\nmax_interval_s = 0\n",
            relay.local_addr, relay.fingerprint
        )
    };
    let cfg_in = format!(
        "{}[[input]]\nname = \"tak\"\nkind = \"cot-tcp\"\nlisten = \"127.0.0.1:{input}\"\n",
        relay_part("bench-in")
    );
    // The output bridge needs an input to keep running; nothing sends to it.
    let cfg_out = format!(
        "{}[[input]]\nname = \"idle\"\nkind = \"cot-udp\"\nlisten = \"127.0.0.1:{dummy}\"\n[cot_output]\nlisten = \"127.0.0.1:{output}\"\nrefresh_s = 3600\n",
        relay_part("bench-out")
    );
    for text in [cfg_in, cfg_out] {
        let cfg = bridge::Config::parse(&text).expect("bridge config");
        tokio::spawn(async move {
            if let Err(e) = bridge::cli::run(cfg).await {
                eprintln!("bridge: {e:#}");
            }
        });
    }
    let (i, o) = (
        SocketAddr::from(([127, 0, 0, 1], input)),
        SocketAddr::from(([127, 0, 0, 1], output)),
    );
    wait_port(i).await;
    wait_port(o).await;
    (relay, i, o)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // RUST_LOG=warn shows where our path drops load (slow subscribers,
    // skipped TAK clients, refused fixes).
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let senders: usize = opt("--senders").map_or(10, |v| v.parse().expect("--senders"));
    let receivers: usize = opt("--receivers").map_or(5, |v| v.parse().expect("--receivers"));
    let seconds: u64 = opt("--seconds").map_or(10, |v| v.parse().expect("--seconds"));
    let rates: Vec<u32> = opt("--rates")
        .unwrap_or_else(|| "1,10,50,100".into())
        .split(',')
        .map(|r| r.parse().expect("--rates"))
        .collect();
    let base = std::env::temp_dir().join(format!("cot-routers-{}", std::process::id()));

    let mut runs: Vec<(String, Vec<Step>)> = Vec::new();
    let theirs: Arc<dyn Fn(&str) -> bool + Send + Sync> =
        Arc::new(|u: &str| u.starts_with("bench-"));
    if let Some(bin) = opt("--taky") {
        let (_p, addr) = taky(&bin, &base.join("taky"));
        wait_port(addr).await;
        let steps = ramp(
            &Target::Shared(addr),
            true,
            senders,
            receivers,
            &rates,
            seconds,
            theirs.clone(),
        )
        .await;
        runs.push(("taky".into(), steps));
    }
    if let Some(py) = opt("--fts") {
        let (_p, addr) = fts(&py, &base.join("fts"));
        wait_port(addr).await;
        // Its services start one after another behind the CoT port.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let steps = ramp(
            &Target::Shared(addr),
            true,
            senders,
            receivers,
            &rates,
            seconds,
            theirs.clone(),
        )
        .await;
        runs.push(("FreeTAKServer".into(), steps));
    }
    {
        let (relay, input, output) = ours(senders, &base.join("ours")).await;
        let ids: HashMap<String, ()> = (0..senders)
            .map(|i| (format!("ecc.team.T{i}"), ()))
            .collect();
        let mine: Arc<dyn Fn(&str) -> bool + Send + Sync> =
            Arc::new(move |u: &str| ids.contains_key(u));
        let steps = ramp(
            &Target::Split { input, output },
            false,
            senders,
            receivers,
            &rates,
            seconds,
            mine.clone(),
        )
        .await;
        runs.push(("bridge → relay → bridge".into(), steps));
        relay.shutdown().await;
    }
    for (name, steps) in &runs {
        print_steps(name, steps, senders, receivers);
    }
    let _ = std::fs::remove_dir_all(&base);
}
