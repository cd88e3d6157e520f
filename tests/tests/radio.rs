//! The radio bridge as a process between field inputs and a real relay:
//! good records arrive at the right team, bad input is counted and does not
//! disturb the records around it, and TAK clients get markers back.

use crate::support::*;
use client::Mirror;
use domain::*;
use protocol::RealmId;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::Duration;

/// A bridge child process, killed when dropped.
struct BridgeProcess(Child);

impl Drop for BridgeProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bridge_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_bridge-under-test"))
}

fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn spawn_bridge(dir: &Path, config: &str) -> BridgeProcess {
    let path = dir.join("bridge.toml");
    std::fs::write(&path, config).expect("write config");
    let child = Process::new(bridge_binary())
        .args(["run", "--config"])
        .arg(&path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("bridge starts");
    BridgeProcess(child)
}

/// Connects, retrying while the bridge starts its listeners.
fn connect(addr: SocketAddr) -> TcpStream {
    for _ in 0..100 {
        if let Ok(s) = TcpStream::connect(addr) {
            return s;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("nothing listens on {addr}");
}

fn metrics(addr: SocketAddr) -> String {
    let mut s = connect(addr);
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("request");
    let mut body = String::new();
    s.read_to_string(&mut body).expect("response");
    body
}

fn metric(text: &str, prefix: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Reads the mirror until `done` holds or 20 s pass.
async fn wait_for(
    s: &mut client::Session,
    mirror: &mut Mirror,
    what: &str,
    done: impl Fn(&State) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done(&mirror.state) {
        let msg = tokio::time::timeout_at(deadline, s.next_message())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .expect("connection open");
        mirror.accept(&msg);
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

fn cot_event(uid: &str, kind: &str, lat: f64, lon: f64, time: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><event version="2.0" uid="{uid}" type="{kind}" how="m-g" time="{time}" start="{time}" stale="2099-01-01T00:00:00Z"><point lat="{lat}" lon="{lon}" hae="200" ce="8" le="9999999"/><detail><contact callsign="一队"/><remarks>被困 3 人</remarks></detail></event>"#
    )
}

/// A relay with team T1 owning `radios`, and a duty officer following `live`.
struct RadioWorld {
    relay: relay::ServerHandle,
    tokens: std::collections::BTreeMap<String, String>,
    data: PathBuf,
    li: client::Session,
    mirror: Mirror,
}

impl RadioWorld {
    async fn start(name: &str, radios: &[&str]) -> RadioWorld {
        let TestRelay {
            relay,
            data,
            tokens,
        } = TestRelay::start(
            name,
            &[
                ("admin", Role::Admin),
                ("li", Role::DutyOfficer),
                ("bridge", Role::FieldGateway),
                ("director", Role::DrillDirector),
            ],
        )
        .await;
        let cfg = |u: &str| client_config(relay.local_addr, &relay.fingerprint, u, &tokens[u]);
        let admin = client::Session::connect(&cfg("admin"))
            .await
            .expect("admin connects");
        let Command::RegisterTeam(mut t) = team("T1", TeamKind::ComprehensiveFireRescue) else {
            unreachable!()
        };
        t.radio_ids = radios.iter().map(|r| (*r).to_owned()).collect();
        accepted(&admin, &RealmId::live(), Command::RegisterTeam(t)).await;
        let li = client::Session::connect(&cfg("li"))
            .await
            .expect("li connects");
        li.subscribe(&RealmId::live(), 0).await.expect("subscribe");
        RadioWorld {
            mirror: Mirror::new(RealmId::live()),
            relay,
            tokens,
            data,
            li,
        }
    }

    /// Bridge configuration: this relay, no thinning, then `rest`.
    fn bridge_config(&self, metrics_port: u16, rest: &str) -> String {
        format!(
            "metrics = \"127.0.0.1:{metrics_port}\"\n[relay]\naddr = \"{}\"\nfingerprint = \"{}\"\nuser = \"bridge\"\ntoken = \"{}\"\n[thinning]\nmin_distance_m = 0\nmax_interval_s = 0\n{rest}",
            self.relay.local_addr, self.relay.fingerprint, self.tokens["bridge"]
        )
    }

    /// A session of `user` on this relay.
    async fn session_as(&self, user: &str) -> client::Session {
        client::Session::connect(&client_config(
            self.relay.local_addr,
            &self.relay.fingerprint,
            user,
            &self.tokens[user],
        ))
        .await
        .expect("connects")
    }

    fn fix(&self) -> Option<Fix> {
        self.mirror
            .state
            .teams
            .get(&TeamId::new("T1"))
            .and_then(|t| t.last_fix)
    }
}

/// The path of a peer program; fails the test when it is not installed.
fn peer(program: &str, package: &str) -> PathBuf {
    for dir in std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .chain(["/usr/sbin", "/usr/bin"])
    {
        let p = Path::new(dir).join(program);
        if p.is_file() {
            return p;
        }
    }
    panic!("{program} not found: install the Debian package {package} (cargo xtask setup)");
}

/// Waits until the bridge reports input `name` connected.
fn wait_input_up(metrics_addr: SocketAddr, name: &str) {
    let key = format!("bridge_input_up{{input=\"{name}\"");
    for _ in 0..200 {
        if metrics(metrics_addr)
            .lines()
            .any(|l| l.starts_with(&key) && l.ends_with(" 1"))
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("bridge input {name} never connected");
}

/// A child process killed when dropped.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direwolf_decodes_afsk_and_the_bridge_moves_the_team() {
    let _slot = timed_peer_slot().await;
    let gen_packets = peer("gen_packets", "direwolf");
    let direwolf = peer("direwolf", "direwolf");
    let mut w = RadioWorld::start("radio-direwolf", &["BG2ABC-9"]).await;
    // Two position packets as 1200 Bd AFSK audio, as a handheld would key them.
    let packets = w.data.join("packets.txt");
    std::fs::write(
        &packets,
        "BG2ABC-9>APDW17,WIDE1-1:!4352.81N/12519.20E>一队出发\nBG2ABC-9>APDW17:=4353.00N/12519.50E>到达\n",
    )
    .expect("packets");
    let wav = w.data.join("packets.wav");
    let st = Process::new(gen_packets)
        .arg("-o")
        .arg(&wav)
        .arg(&packets)
        .stdout(Stdio::null())
        .status()
        .expect("gen_packets runs");
    assert!(st.success());
    // Dire Wolf demodulates audio from stdin and serves KISS over TCP.
    let kiss_port = free_tcp_port();
    let conf = w.data.join("direwolf.conf");
    std::fs::write(
        &conf,
        format!("ADEVICE stdin null\nARATE 44100\nCHANNEL 0\nMYCALL BG2ECC\nMODEM 1200\nKISSPORT {kiss_port}\nAGWPORT 0\n"),
    )
    .expect("conf");
    let mut dw = Peer(
        Process::new(direwolf)
            .arg("-c")
            .arg(&conf)
            .args(["-t", "0", "-q", "hd"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("direwolf starts"),
    );
    let metrics_port = free_tcp_port();
    let config = w.bridge_config(
        metrics_port,
        &format!(
            "[[input]]\nname = \"tnc\"\nkind = \"kiss-tcp\"\nconnect = \"127.0.0.1:{kiss_port}\"\n"
        ),
    );
    let _bridge = spawn_bridge(&w.data, &config);
    wait_input_up(
        format!("127.0.0.1:{metrics_port}").parse().expect("addr"),
        "tnc",
    );
    let audio = std::fs::read(&wav).expect("wav");
    let mut stdin = dw.0.stdin.take().expect("stdin");
    // Keep stdin open afterwards: Dire Wolf exits at end of input.
    std::thread::spawn(move || {
        let _ = stdin.write_all(&audio);
        std::thread::sleep(Duration::from_secs(60));
    });
    let target = GeoPoint::new(43.0 + 53.00 / 60.0, 125.0 + 19.50 / 60.0);
    wait_for(&mut w.li, &mut w.mirror, "the second APRS position", |s| {
        s.teams
            .get(&TeamId::new("T1"))
            .and_then(|t| t.last_fix)
            .is_some_and(|f| f.position.distance_m(&target) < 1.0)
    })
    .await;
    assert_eq!(w.fix().expect("fix").source, FixSource::Aprs);
    w.relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gpsd_replays_a_beidou_log_and_fixes_arrive_in_order() {
    let _slot = timed_peer_slot().await;
    let gpsfake = peer("gpsfake", "gpsd-clients");
    peer("gpsd", "gpsd");
    let mut w = RadioWorld::start("radio-gpsd", &["GPS-BD"]).await;
    // A receiver driving north, one BeiDou/multi-GNSS epoch a second.
    let mut log = String::new();
    for i in 0..30 {
        let t = format!("0835{:02}.00", 10 + i);
        let lat = format!("43{:07.4}", 52.8123 + f64::from(i) * 0.01);
        log += &radio::nmea::frame(&format!(
            "GNRMC,{t},A,{lat},N,12519.2044,E,0.5,0.0,231126,,,A"
        ));
        log += &radio::nmea::frame(&format!(
            "BDGGA,{t},{lat},N,12519.2044,E,1,12,0.8,215.3,M,-3.1,M,,"
        ));
        log += &radio::nmea::frame("GNGSA,A,3,01,02,03,04,05,06,,,,,,,1.5,0.8,1.2");
    }
    let log_path = w.data.join("beidou.nmea");
    std::fs::write(&log_path, log).expect("log");
    let port = free_tcp_port();
    let _gpsd = Peer(
        Process::new(gpsfake)
            // Looping: if the bridge misses part of a pass (a loaded CI
            // machine), the next pass brings the later fixes; repeated older
            // ones are refused by the relay as not newer.
            .args(["-P", &port.to_string(), "-c", "0.1", "-q"])
            .arg(&log_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gpsfake starts"),
    );
    let metrics_port = free_tcp_port();
    let config = w.bridge_config(
        metrics_port,
        &format!("[[input]]\nname = \"gpsd\"\nkind = \"gpsd\"\nconnect = \"127.0.0.1:{port}\"\ndevice = \"GPS-BD\"\n"),
    );
    let _bridge = spawn_bridge(&w.data, &config);
    let last = 43.0 + 53.1023 / 60.0;
    let mut seen: Vec<f64> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while seen.last().is_none_or(|l| (l - last).abs() > 1e-6) {
        let msg = tokio::time::timeout_at(deadline, w.li.next_message())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "timed out; fixes so far {seen:?}; bridge metrics:\n{}",
                    metrics(format!("127.0.0.1:{metrics_port}").parse().expect("addr"))
                )
            })
            .expect("connection open");
        w.mirror.accept(&msg);
        if let Some(f) = w.fix()
            && seen.last() != Some(&f.position.lat)
        {
            seen.push(f.position.lat);
        }
    }
    assert!(seen.len() >= 5, "{seen:?}");
    assert!(
        seen.windows(2).all(|p| p[0] < p[1]),
        "out of order: {seen:?}"
    );
    let f = w.fix().expect("fix");
    assert_eq!(f.source, FixSource::Gpsd);
    assert!((f.position.lon - (125.0 + 19.2044 / 60.0)).abs() < 1e-6);
    w.relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bridge_delivers_good_records_and_counts_bad_ones() {
    let data = data_dir("radio-bridge");
    let tokens = add_users(
        &data,
        &[
            ("admin", Role::Admin),
            ("li", Role::DutyOfficer),
            ("bridge", Role::FieldGateway),
        ],
    );
    let relay = relay::Server::start(relay_config(&data))
        .await
        .expect("relay starts");
    let live = RealmId::live();
    let admin = client::Session::connect(&client_config(
        relay.local_addr,
        &relay.fingerprint,
        "admin",
        &tokens["admin"],
    ))
    .await
    .expect("admin connects");
    let Command::RegisterTeam(mut t) = team("T1", TeamKind::ComprehensiveFireRescue) else {
        unreachable!()
    };
    t.radio_ids = vec!["GPS-1".into()];
    accepted(&admin, &live, Command::RegisterTeam(t)).await;
    // The TAK phone is another team's: one team's vehicle receiver would
    // outrank its phone while fresh (source priority).
    let Command::RegisterTeam(mut t2) = team("T2", TeamKind::CivilNgo) else {
        unreachable!()
    };
    t2.radio_ids = vec!["ANDROID-1".into()];
    accepted(&admin, &live, Command::RegisterTeam(t2)).await;
    let mut li = client::Session::connect(&client_config(
        relay.local_addr,
        &relay.fingerprint,
        "li",
        &tokens["li"],
    ))
    .await
    .expect("li connects");
    li.subscribe(&live, 0).await.expect("subscribe");
    let mut mirror = Mirror::new(live.clone());

    let (nmea_port, cot_port, metrics_port, out_port) = (
        free_port(),
        free_tcp_port(),
        free_tcp_port(),
        free_tcp_port(),
    );
    let config = format!(
        r#"metrics = "127.0.0.1:{metrics_port}"
[relay]
addr = "{addr}"
fingerprint = "{fp}"
user = "bridge"
token = "{token}"
[thinning]
min_distance_m = 0
max_interval_s = 0
[[input]]
name = "gps"
kind = "nmea-udp"
listen = "127.0.0.1:{nmea_port}"
device = "GPS-1"
[[input]]
name = "tak"
kind = "cot-tcp"
listen = "127.0.0.1:{cot_port}"
[cot_output]
listen = "127.0.0.1:{out_port}"
refresh_s = 1
"#,
        addr = relay.local_addr,
        fp = relay.fingerprint,
        token = tokens["bridge"],
    );
    let mut bridge = spawn_bridge(&data, &config);
    let metrics_addr: SocketAddr = format!("127.0.0.1:{metrics_port}").parse().expect("addr");
    connect(metrics_addr);

    // NMEA: a corrupt checksum, random bytes and a truncated sentence
    // around one good BeiDou fix.
    let udp = UdpSocket::bind("127.0.0.1:0").expect("udp");
    let target = format!("127.0.0.1:{nmea_port}");
    // Receivers send the current time of day; the bridge dates it.
    let ms = now_ms() % 86_400_000;
    let good = radio::nmea::frame(&format!(
        "BDGGA,{:02}{:02}{:02}.00,4352.8123,N,12519.2044,E,1,12,0.8,215.3,M,-3.1,M,,",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60
    ));
    let corrupt = good.replace("4352.8123", "4352.8124");
    for d in [
        corrupt.as_bytes(),
        &[0xC0, 0xFF, 0x00, 0x24][..],
        b"$BDGGA,0835",
        good.as_bytes(),
    ] {
        udp.send_to(d, &target).expect("send");
    }
    wait_for(&mut li, &mut mirror, "the NMEA fix", |s| {
        s.teams
            .get(&TeamId::new("T1"))
            .and_then(|t| t.last_fix)
            .is_some_and(|f| (f.position.lat - 43.880_205).abs() < 1e-5)
    })
    .await;
    let fix = mirror.state.teams[&TeamId::new("T1")]
        .last_fix
        .expect("fix");
    assert!((fix.position.lon - 125.320_073).abs() < 1e-5);
    assert_eq!(fix.source, FixSource::Nmea);

    // CoT: an XML bomb and 10 MB of random bytes on their own connections,
    // then a good position and an emergency on a fresh one.
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]><event uid="ANDROID-1" type="a-f-G-U-C"><remarks>&lol2;</remarks></event>"#;
    let cot_addr: SocketAddr = format!("127.0.0.1:{cot_port}").parse().expect("addr");
    connect(cot_addr)
        .write_all(bomb.as_bytes())
        .expect("bomb sent");
    let mut noise = vec![0u8; 10 * 1024 * 1024];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for b in &mut noise {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    connect(cot_addr).write_all(&noise).expect("noise sent");
    let mut tak = connect(cot_addr);
    let now = radio::time::format_iso8601(Timestamp(now_ms() + 1000));
    tak.write_all(b"<event uid=\"ANDROID-1\" type=\"a-f-G-U-C\"><point lat=\"43.9\"")
        .expect("truncated event");
    tak.write_all(b"</event>").expect("end of truncated event");
    tak.write_all(cot_event("ANDROID-1", "a-f-G-U-C", 43.8812, 125.3311, &now).as_bytes())
        .expect("position");
    wait_for(&mut li, &mut mirror, "the CoT fix", |s| {
        s.teams
            .get(&TeamId::new("T2"))
            .and_then(|t| t.last_fix)
            .is_some_and(|f| f.source == FixSource::CursorOnTarget)
    })
    .await;
    let later =
        radio::time::format_iso8601(radio::time::parse_iso8601(&now).expect("time").plus(1000));
    // Exercise traffic never reaches live; it is counted, not forwarded.
    let exercise = cot_event("ANDROID-1", "a-f-G-U-C", 40.0, 120.0, &later)
        .replace("how=\"m-g\"", "how=\"m-g\" opex=\"e\"");
    tak.write_all(exercise.as_bytes()).expect("exercise event");
    tak.write_all(cot_event("ANDROID-1", "b-a-o-tbl", 43.8813, 125.3312, &later).as_bytes())
        .expect("emergency");
    wait_for(&mut li, &mut mirror, "the emergency", |s| {
        s.field.emergencies.contains_key(&TeamId::new("T2"))
    })
    .await;
    let e = &mirror.state.field.emergencies[&TeamId::new("T2")];
    assert_eq!(e.device, "ANDROID-1");
    assert_eq!(e.text.as_deref(), Some("被困 3 人"));

    // A TAK client on the output sees the team where the radios put it.
    let mut out = connect(format!("127.0.0.1:{out_port}").parse().expect("addr"));
    out.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    let mut splitter = radio::cot::EventSplitter::new(radio::cot::MAX_EVENT);
    let mut buf = [0u8; 8192];
    let marker = 'read: loop {
        let n = out.read(&mut buf).expect("markers arrive");
        assert!(n > 0, "CoT output closed");
        for doc in splitter.push(&buf[..n]).into_iter().flatten() {
            let ev = radio::cot::parse(&doc).expect("bridge output parses");
            if ev.uid == "ecc.team.T2" {
                break 'read ev;
            }
        }
    };
    let p = marker.point.expect("point");
    assert!(
        (p.lat - 43.8813).abs() < 1e-6 && (p.lon - 125.3312).abs() < 1e-6,
        "{p:?}"
    );
    assert!(
        !marker.is_exercise(),
        "live realm markers carry no exercise mark"
    );

    // Everything bad was counted, by reason, and the bridge is still up.
    let m = metrics(metrics_addr);
    assert!(
        metric(
            &m,
            "bridge_rejected_total{input=\"gps\",format=\"nmea\",reason=\"bad_checksum\"}"
        ) >= 1,
        "{m}"
    );
    assert!(
        metric(
            &m,
            "bridge_rejected_total{input=\"tak\",format=\"cot\",reason=\"bad_xml\"}"
        ) >= 2,
        "{m}"
    );
    assert!(
        metric(
            &m,
            "bridge_rejected_total{input=\"tak\",format=\"cot\",reason=\"too_long\"}"
        ) >= 1,
        "{m}"
    );
    assert!(
        metric(&m, "bridge_records_total{input=\"tak\",format=\"cot\"}") >= 2,
        "{m}"
    );
    assert_eq!(
        metric(
            &m,
            "bridge_rejected_total{input=\"tak\",format=\"cot\",reason=\"exercise_in_live\"}"
        ),
        1,
        "{m}"
    );
    assert_eq!(metric(&m, "bridge_relay_up"), 1, "{m}");
    assert!(
        bridge.0.try_wait().expect("status").is_none(),
        "bridge died"
    );
    relay.shutdown().await;
}

/// A TAK client built on pytak: sends a position and a 911 alert to
/// `send_url`, then reads `recv_url` until the bridge's marker for `uid`
/// shows `lat`, and prints that event.
const PYTAK_CLIENT: &str = r#"
import asyncio, sys, warnings
warnings.filterwarnings("ignore")
import pytak
from configparser import ConfigParser

async def main(send_url, recv_url, uid, lat):
    c = ConfigParser()
    c["send"] = {"COT_URL": send_url}
    c["recv"] = {"COT_URL": recv_url}
    _, w = await pytak.protocol_factory(c["send"])
    w.write(pytak.gen_cot(lat=43.8901, lon=125.3402, ce=5, hae=210, uid="ANDROID-7", cot_type="a-f-G-U-C", callsign="七队"))
    await w.drain()
    await asyncio.sleep(1.2)
    w.write(pytak.gen_cot(lat=43.8902, lon=125.3403, ce=5, hae=210, uid="ANDROID-7", cot_type="b-a-o-tbl", callsign="七队"))
    await w.drain()
    r, _ = await pytak.protocol_factory(c["recv"])
    while True:
        ev = await asyncio.wait_for(r.readuntil(b"</event>"), 30)
        if uid.encode() in ev and lat.encode() in ev:
            sys.stdout.write(ev.decode())
            return

asyncio.run(main(*sys.argv[1:]))
"#;

/// pytak's interpreter: `ECC_TAK_VENV`, else `target/tak-venv` (made by
/// `cargo xtask setup`); fails the test when pytak is not there.
fn pytak_python() -> PathBuf {
    let venv = std::env::var_os("ECC_TAK_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("target")
                .join("tak-venv")
        });
    let python = venv.join("bin").join("python");
    let ok = Process::new(&python)
        .args(["-W", "ignore", "-c", "import pytak"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "pytak not found in {} (cargo xtask setup makes it)",
        venv.display()
    );
    python
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pytak_client_reports_an_emergency_and_receives_the_team_marker() {
    let python = pytak_python();
    let mut w = RadioWorld::start("radio-tak", &["ANDROID-7"]).await;
    let (cot_port, out_port, metrics_port) = (free_tcp_port(), free_tcp_port(), free_tcp_port());
    let config = w.bridge_config(
        metrics_port,
        &format!(
            "[[input]]\nname = \"tak\"\nkind = \"cot-tcp\"\nlisten = \"127.0.0.1:{cot_port}\"\n[cot_output]\nlisten = \"127.0.0.1:{out_port}\"\nrefresh_s = 1\n"
        ),
    );
    let _bridge = spawn_bridge(&w.data, &config);
    connect(format!("127.0.0.1:{cot_port}").parse().expect("addr"));
    connect(format!("127.0.0.1:{out_port}").parse().expect("addr"));
    let script = w.data.join("tak_client.py");
    std::fs::write(&script, PYTAK_CLIENT).expect("script");
    let client = tokio::task::spawn_blocking(move || {
        Process::new(python)
            .arg(script)
            .arg(format!("tcp://127.0.0.1:{cot_port}"))
            .arg(format!("tcp://127.0.0.1:{out_port}"))
            .args(["ecc.team.T1", "43.8902"])
            .output()
            .expect("pytak client runs")
    });
    wait_for(&mut w.li, &mut w.mirror, "the TAK emergency", |s| {
        s.field.emergencies.contains_key(&TeamId::new("T1"))
    })
    .await;
    let e = &w.mirror.state.field.emergencies[&TeamId::new("T1")];
    assert_eq!(e.device, "ANDROID-7");
    let p = e.position.expect("position");
    assert!((p.lat - 43.8902).abs() < 1e-6 && (p.lon - 125.3403).abs() < 1e-6);
    let out = client.await.expect("joined");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ev = radio::cot::parse(&out.stdout).expect("marker parses");
    assert_eq!(ev.uid, "ecc.team.T1");
    assert_eq!(ev.point.map(|p| p.lon), Some(125.3403));
    w.relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_units_reach_their_teams_through_the_bridge() {
    let mut w = RadioWorld::start("radio-sim", &["SIM-0000"]).await;
    let admin = client::Session::connect(&client_config(
        w.relay.local_addr,
        &w.relay.fingerprint,
        "admin",
        &w.tokens["admin"],
    ))
    .await
    .expect("admin connects");
    for i in 1..5 {
        let Command::RegisterTeam(mut t) = team(&format!("T{}", i + 1), TeamKind::Medical) else {
            unreachable!()
        };
        t.radio_ids = vec![format!("SIM-{i:04}")];
        accepted(&admin, &RealmId::live(), Command::RegisterTeam(t)).await;
    }
    let (cot_port, metrics_port, nmea_port) = (free_tcp_port(), free_tcp_port(), free_port());
    let config = w.bridge_config(
        metrics_port,
        &format!(
            "[[input]]\nname = \"sim\"\nkind = \"cot-tcp\"\nlisten = \"127.0.0.1:{cot_port}\"\n[[input]]\nname = \"sim-nmea\"\nkind = \"nmea-udp\"\nlisten = \"127.0.0.1:{nmea_port}\"\n"
        ),
    );
    let _bridge = spawn_bridge(&w.data, &config);
    connect(format!("127.0.0.1:{cot_port}").parse().expect("addr"));
    let sim = Process::new(bridge_binary())
        .args([
            "sim",
            "--format",
            "cot",
            "-n",
            "5",
            "--interval",
            "0.2",
            "--duration",
            "2",
        ])
        .arg("--target")
        .arg(format!("127.0.0.1:{cot_port}"))
        .status()
        .expect("sim runs");
    assert!(sim.success());
    // The same units as NMEA receivers over UDP: each is its own device.
    let sim = Process::new(bridge_binary())
        .args([
            "sim",
            "--format",
            "nmea",
            "-n",
            "3",
            "--interval",
            "0.2",
            "--duration",
            "1",
        ])
        .arg("--target")
        .arg(format!("127.0.0.1:{nmea_port}"))
        .status()
        .expect("sim runs");
    assert!(sim.success());
    let metrics_addr: SocketAddr = format!("127.0.0.1:{metrics_port}").parse().expect("addr");
    let key = "bridge_records_total{input=\"sim-nmea\",format=\"nmea\"}";
    let mut nmea_records = 0;
    for _ in 0..50 {
        nmea_records = metric(&metrics(metrics_addr), key);
        if nmea_records >= 6 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(nmea_records >= 6, "{nmea_records} NMEA records");
    let centre = GeoPoint::new(43.88, 125.32);
    wait_for(
        &mut w.li,
        &mut w.mirror,
        "a fix for every simulated unit",
        |s| s.teams.len() == 5 && s.teams.values().all(|t| t.last_fix.is_some()),
    )
    .await;
    for t in w.mirror.state.teams.values() {
        let f = t.last_fix.expect("fix");
        assert!(
            f.position.distance_m(&centre) < 8_000.0,
            "{} at {:?}",
            t.id,
            f.position
        );
        assert_eq!(f.source, FixSource::CursorOnTarget);
    }
    w.relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_goes_out_as_an_aprs_message_and_a_geochat() {
    let w = RadioWorld::start("radio-orders", &["BG2ABC-9", "ANDROID-9"]).await;
    // The test is the TNC here: it reads what the bridge hands it to transmit.
    let tnc = std::net::TcpListener::bind("127.0.0.1:0").expect("tnc");
    let (out_port, metrics_port) = (free_tcp_port(), free_tcp_port());
    let config = w.bridge_config(
        metrics_port,
        &format!(
            "[[input]]\nname = \"tnc\"\nkind = \"kiss-tcp\"\nconnect = \"{}\"\n[aprs_output]\nvia = \"tnc\"\ncallsign = \"BG2ECC\"\n[cot_output]\nlisten = \"127.0.0.1:{out_port}\"\n",
            tnc.local_addr().expect("addr")
        ),
    );
    let _bridge = spawn_bridge(&w.data, &config);
    let (mut radio_link, _) = tnc.accept().expect("bridge connects to the TNC");
    let mut tak = connect(format!("127.0.0.1:{out_port}").parse().expect("addr"));
    wait_input_up(
        format!("127.0.0.1:{metrics_port}").parse().expect("addr"),
        "tnc",
    );
    // The duty officer takes the call and dispatches the team.
    let live = RealmId::live();
    accepted(&w.li, &live, incident("I1")).await;
    accepted(&w.li, &live, order("O1", "I1", "T1", "立即出动")).await;

    radio_link
        .set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    let mut kiss = radio::kiss::KissDecoder::new();
    let mut buf = [0u8; 1024];
    let message = 'aprs: loop {
        let n = radio_link.read(&mut buf).expect("a frame to transmit");
        assert!(n > 0, "bridge closed the TNC link");
        for frame in kiss.push(&buf[..n]) {
            let ui = radio::ax25::UiFrame::decode(&frame.expect("kiss").data).expect("ax25");
            assert_eq!(ui.source.to_string(), "BG2ECC");
            if let Ok(radio::aprs::Packet::Message(m)) = radio::aprs::parse(&ui, Timestamp(0)) {
                break 'aprs m;
            }
        }
    };
    assert_eq!(message.addressee, "BG2ABC-9");
    assert!(message.text.contains("立即出动"), "{message:?}");
    assert!(message.id.is_some(), "orders ask for an ack");

    tak.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    let mut splitter = radio::cot::EventSplitter::new(radio::cot::MAX_EVENT);
    let chat = 'chat: loop {
        let n = tak.read(&mut buf).expect("chat arrives");
        assert!(n > 0, "CoT output closed");
        for doc in splitter.push(&buf[..n]).into_iter().flatten() {
            let ev = radio::cot::parse(&doc).expect("parses");
            if ev.kind == "b-t-f" {
                break 'chat ev;
            }
        }
    };
    assert!(
        chat.remarks
            .as_deref()
            .is_some_and(|r| r.contains("立即出动")),
        "{chat:?}"
    );
    assert!(chat.uid.contains("ANDROID-9"));
    w.relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drill_bridge_feeds_its_drill_realm_and_marks_markers_as_exercise() {
    let w = RadioWorld::start("radio-drill", &[]).await;
    let drill = RealmId("drill-20261123-radio".into());
    let mut director = client::Session::connect(&client_config(
        w.relay.local_addr,
        &w.relay.fingerprint,
        "director",
        &w.tokens["director"],
    ))
    .await
    .expect("director connects");
    director
        .send(&protocol::ClientMessage::OpenDrill {
            realm: drill.clone(),
        })
        .await
        .expect("sent");
    // The relay answers an opened drill with a fresh welcome.
    loop {
        match tokio::time::timeout(Duration::from_secs(10), director.next_message()).await {
            Ok(Some(protocol::ServerMessage::Welcome(_))) => break,
            Ok(Some(_)) => continue,
            other => panic!("no welcome: {other:?}"),
        }
    }
    let Command::RegisterTeam(mut t) = team("D1", TeamKind::Hazchem) else {
        unreachable!()
    };
    t.radio_ids = vec!["ANDROID-D".into()];
    accepted(&director, &drill, Command::RegisterTeam(t)).await;
    director.subscribe(&drill, 0).await.expect("subscribe");
    let mut mirror = Mirror::new(drill.clone());

    let (cot_port, out_port, metrics_port) = (free_tcp_port(), free_tcp_port(), free_tcp_port());
    let config = w
        .bridge_config(
            metrics_port,
            &format!(
                "[[input]]\nname = \"tak\"\nkind = \"cot-tcp\"\nlisten = \"127.0.0.1:{cot_port}\"\n[cot_output]\nlisten = \"127.0.0.1:{out_port}\"\nrefresh_s = 1\n"
            ),
        )
        .replace("user = \"bridge\"\n", &format!("user = \"bridge\"\nrealm = \"{}\"\n", drill.0));
    let _bridge = spawn_bridge(&w.data, &config);
    let mut tak = connect(format!("127.0.0.1:{cot_port}").parse().expect("addr"));
    let time = radio::time::format_iso8601(Timestamp(now_ms()));
    let exercise = cot_event("ANDROID-D", "a-f-G-U-C", 43.8701, 125.3001, &time)
        .replace("how=\"m-g\"", "how=\"m-g\" opex=\"e\"");
    tak.write_all(exercise.as_bytes()).expect("sent");
    wait_for(&mut director, &mut mirror, "the drill fix", |s| {
        s.teams
            .get(&TeamId::new("D1"))
            .and_then(|t| t.last_fix)
            .is_some()
    })
    .await;

    let mut out = connect(format!("127.0.0.1:{out_port}").parse().expect("addr"));
    out.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    let mut splitter = radio::cot::EventSplitter::new(radio::cot::MAX_EVENT);
    let mut buf = [0u8; 8192];
    let marker = 'read: loop {
        let n = out.read(&mut buf).expect("markers arrive");
        assert!(n > 0, "CoT output closed");
        for doc in splitter.push(&buf[..n]).into_iter().flatten() {
            let ev = radio::cot::parse(&doc).expect("parses");
            if ev.uid == "ecc.team.D1" {
                break 'read ev;
            }
        }
    };
    assert!(marker.is_exercise(), "drill markers carry opex=\"e\"");
    assert_eq!(
        w.relay.last_seq(&RealmId::live()),
        Some(1),
        "live saw only its own team"
    );
    w.relay.shutdown().await;
}

/// A TAK device nobody has bound shows up as unassigned with its position;
/// an officer binds it to a team (a decision in the log, in the officer's
/// name) and its next report moves that team.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_device_is_shown_unassigned_until_an_officer_binds_it() {
    let mut w = RadioWorld::start("radio-unassigned", &["ANDROID-7"]).await;
    let (cot_port, metrics_port, dead_port) = (free_tcp_port(), free_tcp_port(), free_tcp_port());
    // Also a gpsd input with no gpsd behind it: a dead input the console
    // must show.
    let config = w.bridge_config(
        metrics_port,
        &format!(
            "[[input]]\nname = \"tak\"\nkind = \"cot-tcp\"\nlisten = \"127.0.0.1:{cot_port}\"\n[[input]]\nname = \"gps-dead\"\nkind = \"gpsd\"\nconnect = \"127.0.0.1:{dead_port}\"\ndevice = \"GPS-X\"\n"
        ),
    );
    let _bridge = spawn_bridge(&w.data, &config);
    let cot_addr: SocketAddr = format!("127.0.0.1:{cot_port}").parse().expect("addr");
    let mut tak = connect(cot_addr);
    let t0 = now_ms();
    let at = |ms: i64| radio::time::format_iso8601(Timestamp(ms));
    tak.write_all(cot_event("ANDROID-99", "a-f-G-U-C", 43.8701, 125.3502, &at(t0)).as_bytes())
        .expect("stranger's position");
    wait_for(&mut w.li, &mut w.mirror, "the unassigned device", |s| {
        s.field.unassigned.contains_key("ANDROID-99")
    })
    .await;
    wait_for(&mut w.li, &mut w.mirror, "the inputs' states", |s| {
        let of = |name: &str| {
            s.field
                .inputs
                .values()
                .find(|i| i.input == name)
                .map(|i| i.up)
        };
        of("tak") == Some(true) && of("gps-dead") == Some(false)
    })
    .await;
    let d = &w.mirror.state.field.unassigned["ANDROID-99"];
    assert!((d.fix.position.lat - 43.8701).abs() < 1e-6);
    assert!(
        w.fix().is_none(),
        "a stranger's fix moves no team before it is bound"
    );

    // The gateway may not decide whose radio it is; the officer does.
    let bind = Command::Field(field::FieldCommand::BindDevice {
        device: "ANDROID-99".into(),
        team: TeamId::new("T1"),
    });
    let bridge_session = w.session_as("bridge").await;
    let refused = bridge_session
        .command(&RealmId::live(), bind.clone())
        .await
        .expect("answer");
    assert!(
        matches!(
            refused,
            protocol::CommandOutcome::Rejected(Rejection::Forbidden { .. })
        ),
        "{refused:?}"
    );
    let seq = accepted(&w.li, &RealmId::live(), bind).await;
    wait_for(&mut w.li, &mut w.mirror, "the binding", |s| {
        s.teams[&TeamId::new("T1")]
            .radio_ids
            .iter()
            .any(|r| r == "ANDROID-99")
    })
    .await;
    assert!(w.mirror.state.field.unassigned.is_empty());
    assert!(w.mirror.last_seq >= seq);

    // Its next report is the team's.
    tak.write_all(
        cot_event("ANDROID-99", "a-f-G-U-C", 43.8755, 125.3555, &at(t0 + 2000)).as_bytes(),
    )
    .expect("bound device's position");
    wait_for(&mut w.li, &mut w.mirror, "the team's fix", |s| {
        s.teams[&TeamId::new("T1")].last_fix.is_some()
    })
    .await;
    let f = w.fix().expect("fix");
    assert!((f.position.lat - 43.8755).abs() < 1e-6);
    assert_eq!(f.source, FixSource::CursorOnTarget);

    // The log says who bound it, and the activity log says it in words.
    let prefix = w.data.join("activity");
    let export = std::process::Command::new(relay_binary())
        .arg("export")
        .arg(&w.data)
        .arg("--out")
        .arg(&prefix)
        .output()
        .expect("relay export runs");
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let text = std::fs::read_to_string(prefix.with_extension("jsonl")).expect("jsonl");
    let line = text
        .lines()
        .find(|l| l.contains("ANDROID-99") && l.contains("绑定到"))
        .unwrap_or_else(|| panic!("no binding in the log: {text}"));
    assert!(line.contains("\"li\""), "{line}");
    w.relay.shutdown().await;
}
