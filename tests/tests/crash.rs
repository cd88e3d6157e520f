//! The relay as a child process: killed mid-burst, restarted, verified,
//! tampered with.

use crate::support::*;
use client::{Mirror, MirrorUpdate, Session};
use domain::*;
use protocol::{CommandOutcome, RealmId};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::sync::Arc;
use std::time::Duration;

struct RelayProcess {
    child: Child,
    addr: std::net::SocketAddr,
    fingerprint: String,
}

/// Small segments so the log has closed segments to tamper with.
fn write_config(data: &Path) -> std::path::PathBuf {
    write_config_with(data, "")
}

fn write_config_with(data: &Path, extra: &str) -> std::path::PathBuf {
    let path = data.with_extension("toml");
    let text = format!("segment_max_bytes = 16384\ncheckpoint_every = 50\n{extra}");
    std::fs::write(&path, text).expect("config");
    path
}

fn spawn_relay(data: &Path, port: u16) -> RelayProcess {
    let mut child = Process::new(relay_binary())
        .arg("serve")
        .arg("--config")
        .arg(write_config(data))
        .arg("--data")
        .arg(data)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("RELAY_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("relay starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("relay prints its address");
    // "listening 127.0.0.1:PORT fingerprint AB:CD:…"
    let parts: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        parts.first(),
        Some(&"listening"),
        "unexpected relay output {line:?}"
    );
    RelayProcess {
        addr: parts[1].parse().expect("address"),
        fingerprint: parts[3].to_owned(),
        child,
    }
}

fn verify(data: &Path) -> (bool, String) {
    let out = Process::new(relay_binary())
        .arg("verify")
        .arg(data)
        .output()
        .expect("relay verify runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_commands_survive_kill_9_and_clients_resume_without_gaps() {
    let data = data_dir("crash");
    let tokens = add_users(&data, &[("admin", Role::Admin), ("li", Role::Observer)]);
    let port = free_port();
    let mut relay = spawn_relay(&data, port);
    let live = RealmId::live();
    let admin_cfg = client_config(relay.addr, &relay.fingerprint, "admin", &tokens["admin"]);
    let observer_cfg = client_config(relay.addr, &relay.fingerprint, "li", &tokens["li"]);

    // An observer follows the log before the crash.
    let mut observer = Session::connect(&observer_cfg)
        .await
        .expect("observer connects");
    observer.subscribe(&live, 0).await.expect("subscribe");
    let mut mirror = Mirror::new(live.clone());
    follow_until(&mut observer, &mut mirror, 0).await;

    // A burst of 1,000 registrations; kill -9 once some are acknowledged.
    let admin = Arc::new(Session::connect(&admin_cfg).await.expect("admin connects"));
    let acked = Arc::new(std::sync::Mutex::new(Vec::<(u64, String)>::new()));
    // Eight senders, each awaiting every result before its next command, so
    // the burst is still running when the relay is killed.
    let mut tasks = Vec::new();
    for w in 0..8 {
        let (admin, acked, live) = (admin.clone(), acked.clone(), live.clone());
        tasks.push(tokio::spawn(async move {
            for i in (w..1000).step_by(8) {
                let id = format!("T-{i:04}");
                match admin.command(&live, team(&id, TeamKind::CivilNgo)).await {
                    Ok(CommandOutcome::Accepted { seq }) => {
                        if let Ok(mut a) = acked.lock() {
                            a.push((seq, id));
                        }
                    }
                    _ => return,
                }
            }
        }));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while acked.lock().map(|a| a.len()).unwrap_or(0) < 200 {
        assert!(tokio::time::Instant::now() < deadline, "burst too slow");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The observer has folded part of it when the relay dies.
    follow_until(&mut observer, &mut mirror, 100).await;
    relay.child.kill().expect("kill -9");
    let _ = relay.child.wait();
    // Commands in flight when the relay died are not acknowledged; stop waiting for them.
    for t in tasks {
        t.abort();
    }
    let acked = acked.lock().map(|a| a.clone()).unwrap_or_default();
    assert!(
        acked.len() >= 200 && acked.len() < 1000,
        "{} acknowledged",
        acked.len()
    );
    let mut seqs: Vec<u64> = acked.iter().map(|(s, _)| *s).collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(
        seqs.len(),
        acked.len(),
        "each acknowledgement has its own seq"
    );
    let observed = mirror.last_seq;

    // A restarted relay has every acknowledged command, and the log verifies.
    let mut relay = spawn_relay(&data, port);
    let admin_cfg = client_config(relay.addr, &relay.fingerprint, "admin", &tokens["admin"]);
    let admin = Session::connect_with_backoff(&admin_cfg, 10)
        .await
        .expect("reconnects");
    let last = admin
        .welcome()
        .realms
        .iter()
        .find(|r| r.realm == live)
        .map(|r| r.last_seq);
    let last = last.expect("live realm listed");
    assert!(
        last >= *seqs.last().unwrap_or(&0),
        "relay lost acknowledged decisions"
    );

    let mut fresh = Mirror::new(live.clone());
    let mut admin = admin;
    admin.subscribe(&live, 0).await.expect("subscribe");
    follow_until(&mut admin, &mut fresh, last).await;
    for (_, id) in &acked {
        assert!(
            fresh.state.teams.contains_key(&TeamId::new(id.as_str())),
            "{id} lost"
        );
    }
    let (ok, report) = verify(&data);
    assert!(ok, "verify failed after the crash: {report}");

    // The observer resumes from where it was: the tail only, no gap, no repeat.
    let mut observer = Session::connect_with_backoff(&observer_cfg_for(&relay, &tokens), 10)
        .await
        .expect("observer reconnects");
    observer
        .subscribe(&live, observed)
        .await
        .expect("resubscribe");
    let mut duplicates = 0;
    assert!(observed >= 100 && observed < last);
    while mirror.last_seq < last {
        let msg = tokio::time::timeout(Duration::from_secs(20), observer.next_message())
            .await
            .expect("tail arrives")
            .expect("open");
        match mirror.accept(&msg) {
            MirrorUpdate::Gap { have, got } => panic!("gap after resume: have {have}, got {got}"),
            MirrorUpdate::Duplicate => duplicates += 1,
            _ => assert!(
                matches!(msg, protocol::ServerMessage::Decision { .. }),
                "resume sent {msg:?} instead of the tail"
            ),
        }
    }
    assert_eq!(duplicates, 0);
    assert_eq!(
        mirror.state, fresh.state,
        "resumed mirror equals a fresh one"
    );

    relay.child.kill().expect("stop");
    let _ = relay.child.wait();
    tamper_is_caught(&data);
}

fn observer_cfg_for(
    relay: &RelayProcess,
    tokens: &std::collections::BTreeMap<String, String>,
) -> client::ClientConfig {
    client_config(relay.addr, &relay.fingerprint, "li", &tokens["li"])
}

/// Flips one byte inside a record of a closed segment: verify names the
/// record, and the relay refuses to start.
fn tamper_is_caught(data: &Path) {
    let dir = data.join("realms").join("live");
    let mut segments: Vec<_> = std::fs::read_dir(&dir)
        .expect("realm dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "log")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("seg-"))
        })
        .collect();
    segments.sort();
    assert!(
        segments.len() >= 2,
        "expected several segments, got {segments:?}"
    );
    let closed = &segments[0];
    let mut bytes = std::fs::read(closed).expect("segment");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x40;
    std::fs::write(closed, &bytes).expect("tamper");

    let (ok, report) = verify(data);
    assert!(!ok, "verify passed a tampered log");
    let name = closed
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    assert!(
        report.contains(&name),
        "report does not name the segment: {report}"
    );
    assert!(
        report.contains("seq"),
        "report does not name the record: {report}"
    );

    let out = Process::new(relay_binary())
        .args(["serve", "--data"])
        .arg(data)
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .expect("relay runs");
    assert!(!out.status.success(), "relay started on a tampered log");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&name),
        "refusal does not name the segment: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_and_sigterm_shuts_down_cleanly() {
    let data = data_dir("sigterm");
    let tokens = add_users(&data, &[("admin", Role::Admin)]);
    let metrics_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        l.local_addr().expect("addr").port()
    };
    write_config_with(
        &data,
        &format!("metrics_listen = \"127.0.0.1:{metrics_port}\"\n"),
    );
    let port = free_port();
    let mut child = Process::new(relay_binary())
        .arg("serve")
        .arg("--config")
        .arg(data.with_extension("toml"))
        .arg("--data")
        .arg(&data)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("relay starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("address line");
    let fingerprint = line
        .split_whitespace()
        .nth(3)
        .expect("fingerprint")
        .to_owned();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let admin = Session::connect(&client_config(
        addr,
        &fingerprint,
        "admin",
        &tokens["admin"],
    ))
    .await
    .expect("connects");
    accepted(&admin, &RealmId::live(), team("M-1", TeamKind::Medical)).await;

    let body = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s =
            std::net::TcpStream::connect(("127.0.0.1", metrics_port)).expect("metrics port");
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("request");
        let mut body = String::new();
        s.read_to_string(&mut body).expect("response");
        body
    })
    .await
    .expect("metrics read");
    assert!(body.starts_with("HTTP/1.1 200 OK"), "{body}");
    assert!(
        body.contains("relay_connections{role=\"Admin\"} 1"),
        "{body}"
    );
    assert!(body.contains("relay_decisions_total 1"), "{body}");
    assert!(body.contains("relay_commit_seconds_count 1"), "{body}");
    assert!(body.contains("relay_fsync_seconds_count 1"), "{body}");
    assert!(
        body.contains("relay_realm_last_seq{realm=\"live\"} 1"),
        "{body}"
    );

    let pid = child.id().to_string();
    let status = Process::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "relay ignored SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "relay exited with {exit}");
    let (ok, report) = verify(&data);
    assert!(ok, "{report}");
    drop(admin);
}
