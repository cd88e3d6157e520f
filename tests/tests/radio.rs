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
    t.radio_ids = vec!["GPS-1".into(), "ANDROID-1".into()];
    accepted(&admin, &live, Command::RegisterTeam(t)).await;
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
    // A second later than the NMEA fix, so the relay takes it as newer.
    let now = radio::time::format_iso8601(Timestamp(now_ms() + 1000));
    tak.write_all(b"<event uid=\"ANDROID-1\" type=\"a-f-G-U-C\"><point lat=\"43.9\"")
        .expect("truncated event");
    tak.write_all(b"</event>").expect("end of truncated event");
    tak.write_all(cot_event("ANDROID-1", "a-f-G-U-C", 43.8812, 125.3311, &now).as_bytes())
        .expect("position");
    wait_for(&mut li, &mut mirror, "the CoT fix", |s| {
        s.teams
            .get(&TeamId::new("T1"))
            .and_then(|t| t.last_fix)
            .is_some_and(|f| f.source == FixSource::CursorOnTarget)
    })
    .await;
    let later =
        radio::time::format_iso8601(radio::time::parse_iso8601(&now).expect("time").plus(1000));
    tak.write_all(cot_event("ANDROID-1", "b-a-o-tbl", 43.8813, 125.3312, &later).as_bytes())
        .expect("emergency");
    wait_for(&mut li, &mut mirror, "the emergency", |s| {
        s.field.emergencies.contains_key(&TeamId::new("T1"))
    })
    .await;
    let e = &mirror.state.field.emergencies[&TeamId::new("T1")];
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
            if ev.uid == "ecc.team.T1" {
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
    assert_eq!(metric(&m, "bridge_relay_up"), 1, "{m}");
    assert!(
        bridge.0.try_wait().expect("status").is_none(),
        "bridge died"
    );
    relay.shutdown().await;
}
