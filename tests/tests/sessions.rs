//! Several clients on one in-process relay.

use crate::support::*;
use client::{ClientError, Mirror, Session};
use domain::*;
use protocol::{ClientMessage, CommandOutcome, ErrorCode, RealmId, ServerMessage};
use std::time::Duration;

type World = TestRelay;

/// A relay with the officers, gateway and director these tests use.
async fn world(name: &str) -> World {
    TestRelay::start(
        name,
        &[
            ("admin", Role::Admin),
            ("wang", Role::DutyOfficer),
            ("li", Role::DutyOfficer),
            ("bridge", Role::FieldGateway),
            ("director", Role::DrillDirector),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatch_from_one_console_reaches_the_other_with_the_same_seq() {
    let w = world("fanout").await;
    let live = RealmId::live();
    let admin = w.session("admin").await;
    accepted(
        &admin,
        &live,
        team("FR-1", TeamKind::GovernmentFullTimeFire),
    )
    .await;
    let wang = w.session("wang").await;
    let mut li = w.session("li").await;
    assert_eq!(li.welcome().role, Role::DutyOfficer);
    let mut mirror = Mirror::new(live.clone());
    li.subscribe(&live, 0).await.expect("subscribe");
    follow_until(&mut li, &mut mirror, 1).await;

    let inc = accepted(&wang, &live, incident("INC-1")).await;
    let order_seq = accepted(&wang, &live, order("O-1", "INC-1", "FR-1", "出动")).await;
    assert_eq!(order_seq, inc + 1);
    follow_until(&mut li, &mut mirror, order_seq).await;
    let o = &mirror.state.orders[&OrderId::new("O-1")];
    assert_eq!(o.issued_by, UserId::new("wang"));
    assert_eq!(
        mirror.state.teams[&TeamId::new("FR-1")].status,
        TeamStatus::Assigned(OrderId::new("O-1"))
    );

    // The field gateway cannot dispatch.
    let bridge = w.session("bridge").await;
    let r = bridge
        .command(&live, order("O-2", "INC-1", "FR-1", ""))
        .await
        .expect("answered");
    assert!(
        matches!(
            r,
            CommandOutcome::Rejected(Rejection::Forbidden {
                role: Role::FieldGateway,
                ..
            })
        ),
        "{r:?}"
    );
    // …but its observations move the team.
    bridge
        .send(&ClientMessage::Field(protocol::FieldObservation {
            device: "RADIO-FR-1".into(),
            fix: Some(Fix {
                position: GeoPoint::new(43.95, 125.35),
                accuracy_m: Some(5.0),
                source: FixSource::Nmea,
                taken_at: Timestamp(1),
            }),
            status: None,
            emergency: false,
            text: None,
            realm: live.clone(),
        }))
        .await
        .expect("sent");
    follow_until(&mut li, &mut mirror, order_seq + 1).await;
    let fix = mirror.state.teams[&TeamId::new("FR-1")].last_fix;
    assert_eq!(fix.map(|f| f.position), Some(GeoPoint::new(43.95, 125.35)));
    w.relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unauthenticated_client_gets_nothing() {
    let w = world("auth").await;
    let mut cfg = client_config(
        w.relay.local_addr,
        &w.relay.fingerprint,
        "wang",
        "not-the-token",
    );
    match Session::connect(&cfg).await {
        Err(ClientError::Refused { code, .. }) => assert_eq!(code, ErrorCode::Unauthenticated),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a wrong token was accepted"),
    }
    cfg.user = "nobody".into();
    assert!(Session::connect(&cfg).await.is_err());
    // A client that pins another fingerprint does not even complete the handshake.
    let wrong = client_config(
        w.relay.local_addr,
        &"00:".repeat(32),
        "wang",
        &w.tokens["wang"],
    );
    assert!(matches!(
        Session::connect(&wrong).await,
        Err(ClientError::Connection(_))
    ));
    w.relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_end_only_the_offending_session() {
    let w = world("badframes").await;
    let live = RealmId::live();
    let admin = w.session("admin").await;
    let mut li = w.session("li").await;
    li.subscribe(&live, 0).await.expect("subscribe");
    let mut mirror = Mirror::new(live.clone());
    follow_until(&mut li, &mut mirror, 0).await;

    for garbage in [
        vec![0, 0, 0, 3, 0xEE, 0xEE, 0xEE], // unknown message tag
        vec![0xFF, 0xFF, 0xFF, 0xFF],       // announces 4 GiB
        vec![0, 0, 0, 1],                   // truncated, then the stream ends
    ] {
        let reply = raw_exchange(&w, &garbage).await;
        match reply {
            Some(ServerMessage::Error { code, .. }) => {
                assert!(
                    matches!(code, ErrorCode::BadFrame | ErrorCode::OutOfOrder),
                    "{code:?}"
                )
            }
            None => {} // truncated input: the relay just sees the stream end
            Some(other) => panic!("unexpected {other:?}"),
        }
    }
    // Wrong protocol version is refused with a typed error.
    let hello = protocol::encode(
        &ClientMessage::Hello(protocol::Hello {
            protocol_version: 99,
            client: "old".into(),
            user: "wang".into(),
            token: w.tokens["wang"].clone(),
            device: "x".into(),
        }),
        protocol::Limits::FROM_CLIENT,
    )
    .expect("encodes");
    match raw_exchange(&w, &hello).await {
        Some(ServerMessage::Error { code, .. }) => assert_eq!(code, ErrorCode::VersionMismatch),
        other => panic!("unexpected {other:?}"),
    }
    // Everyone else is still served.
    let seq = accepted(&admin, &live, team("T-after", TeamKind::Medical)).await;
    follow_until(&mut li, &mut mirror, seq).await;
    assert!(mirror.state.teams.contains_key(&TeamId::new("T-after")));
    w.relay.shutdown().await;
}

/// Opens a raw connection, writes `bytes` on the control stream and returns
/// the first message the relay answers, if any.
async fn raw_exchange(w: &World, bytes: &[u8]) -> Option<ServerMessage> {
    let cfg = client_config(w.relay.local_addr, &w.relay.fingerprint, "x", "y");
    let conn = client::raw_connection(&cfg).await.expect("raw connection");
    let (mut send, mut recv) = conn.open_bi().await.expect("stream");
    send.write_all(bytes).await.expect("write");
    let _ = send.finish();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, recv.read(&mut chunk)).await {
            Ok(Ok(Some(n))) => buf.extend_from_slice(&chunk[..n]),
            _ => break,
        }
        if let Ok((msg, _)) = protocol::decode::<ServerMessage>(&buf, protocol::Limits::FROM_RELAY)
        {
            return Some(msg);
        }
    }
    None
}

/// The relay's answer to opening or closing a drill: a fresh welcome.
async fn next_welcome(s: &mut Session) -> protocol::Welcome {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), s.next_message()).await {
            Ok(Some(ServerMessage::Welcome(w))) => return w,
            Ok(Some(_)) => continue,
            other => panic!("no welcome: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drill_realm_never_reaches_live() {
    let w = world("drill").await;
    let live = RealmId::live();
    let drill = RealmId("drill-20261123-a".into());
    let mut director = w.session("director").await;
    // Directors may not write live.
    let r = director
        .command(&live, team("X", TeamKind::Medical))
        .await
        .expect("answered");
    assert!(
        matches!(r, CommandOutcome::Rejected(Rejection::Forbidden { .. })),
        "{r:?}"
    );
    director
        .send(&ClientMessage::OpenDrill {
            realm: drill.clone(),
        })
        .await
        .expect("sent");
    let welcome = next_welcome(&mut director).await;
    assert!(welcome.realms.iter().any(|r| r.realm == drill && r.drill));
    let seq = accepted(&director, &drill, team("DRILL-T", TeamKind::Hazchem)).await;
    assert_eq!(seq, 1);
    accepted(&director, &drill, incident("DRILL-INC")).await;

    let mut wang = w.session("wang").await;
    let mut live_mirror = Mirror::new(live.clone());
    wang.subscribe(&live, 0).await.expect("subscribe");
    follow_until(&mut wang, &mut live_mirror, 0).await;
    assert!(live_mirror.state.teams.is_empty());
    assert!(live_mirror.state.incidents.is_empty());
    assert_eq!(w.relay.last_seq(&live), Some(0));
    assert_eq!(w.relay.last_seq(&drill), Some(2));

    // Closing the drill: no more commands, the log stays on disk.
    director
        .send(&ClientMessage::CloseDrill {
            realm: drill.clone(),
        })
        .await
        .expect("sent");
    let welcome = next_welcome(&mut director).await;
    assert!(!welcome.realms.iter().any(|r| r.realm == drill));
    let r = director
        .command(&drill, team("LATE", TeamKind::Medical))
        .await
        .expect("answered");
    assert!(
        matches!(
            r,
            CommandOutcome::Failed {
                code: ErrorCode::UnknownRealm,
                ..
            }
        ),
        "{r:?}"
    );
    assert!(w.data.join("realms").join(&drill.0).join("closed").exists());
    w.relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_activity_log_names_who_did_what_beside_a_running_relay() {
    let w = world("export").await;
    let live = RealmId::live();
    let admin = w.session("admin").await;
    accepted(
        &admin,
        &live,
        team("FR-1", TeamKind::GovernmentFullTimeFire),
    )
    .await;
    let wang = w.session("wang").await;
    accepted(&wang, &live, incident("INC-1")).await;
    accepted(&wang, &live, order("O-1", "INC-1", "FR-1", "立即出动")).await;
    // While the relay runs and holds the log open.
    let data = w.data.clone();
    let rows = relay::export::activity_log(&data, "live", None, None).expect("exports");
    w.relay.shutdown().await;
    let after = relay::export::activity_log(&data, "live", None, None).expect("exports");
    assert_eq!(rows, after);
    assert_eq!(rows.len(), 3);
    let order = &rows[2];
    assert_eq!(
        (order.seq, order.user.as_str(), order.role.as_str()),
        (3, "wang", "值班员")
    );
    assert_eq!(order.device, "test-wang");
    assert_eq!(order.details, "向 队伍FR-1 下达指令：立即出动");
    let mut csv = Vec::new();
    relay::export::write_csv(&rows, &mut csv).expect("csv");
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(csv.starts_with("\u{feff}seq,time,user,role,device,action,details\n"));
    assert!(
        csv.lines()
            .nth(3)
            .is_some_and(|l| l.starts_with("3,") && l.contains("值班员"))
    );
    // A window that ends before everything exports nothing.
    let none =
        relay::export::activity_log(&data, "live", None, Some(Timestamp(0))).expect("exports");
    assert!(none.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_on_first_use_remembers_the_relay_and_refuses_an_impostor() {
    let w = world("tofu").await;
    let store = w.data.join("known_relays");
    let mut cfg = client_config(w.relay.local_addr, "", "wang", &w.tokens["wang"]);
    cfg.trust = client::Trust::FirstUse(store.clone());
    Session::connect(&cfg)
        .await
        .expect("first use is trusted")
        .close()
        .await;
    let known = std::fs::read_to_string(&store).expect("fingerprint remembered");
    assert!(known.contains(&w.relay.fingerprint), "{known}");
    Session::connect(&cfg)
        .await
        .expect("same relay again")
        .close()
        .await;

    // Another relay (another identity) on the same address is refused.
    let addr = w.relay.local_addr;
    w.relay.shutdown().await;
    let other = data_dir("tofu-impostor");
    add_users(&other, &[("wang", Role::DutyOfficer)]);
    let mut rc = relay_config(&other);
    rc.listen = addr;
    let impostor = start_on_same_address(rc).await;
    assert!(matches!(
        Session::connect(&cfg).await,
        Err(ClientError::Connection(_))
    ));
    impostor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_rides_out_a_relay_restart_without_gaps() {
    let data = data_dir("follower");
    let tokens = add_users(&data, &[("admin", Role::Admin), ("li", Role::Observer)]);
    let mut rc = relay_config(&data);
    rc.checkpoint_every = 1_000_000;
    rc.checkpoint_interval_s = 1;
    let relay = relay::Server::start(rc.clone()).await.expect("relay");
    let addr = relay.local_addr;
    let fp = relay.fingerprint.clone();
    let live = RealmId::live();
    let mut follower =
        client::Follower::new(client_config(addr, &fp, "li", &tokens["li"]), live.clone());
    assert_eq!(
        follower.next().await.expect("subscribes"),
        client::FollowEvent::Subscribed { from: 0 }
    );
    let admin = Session::connect(&client_config(addr, &fp, "admin", &tokens["admin"]))
        .await
        .expect("admin");
    for i in 0..3 {
        accepted(&admin, &live, team(&format!("A{i}"), TeamKind::Medical)).await;
    }
    while follower.mirror().last_seq < 3 {
        follower.next().await.expect("follows");
    }
    // Quiet for longer than the checkpoint interval: a checkpoint is signed
    // (the realm looks every half second; leave room for a loaded machine).
    tokio::time::sleep(Duration::from_millis(3000)).await;
    drop(admin);
    relay.shutdown().await;
    let report = ledger::verify(
        &data.join("realms").join("live"),
        &relay::identity::ledger_verifying_key(&data).expect("key"),
    )
    .expect("verifies");
    assert_eq!(report.last_checkpoint, Some(3), "no time-based checkpoint");

    rc.listen = addr;
    let relay = start_on_same_address(rc).await;
    let admin = Session::connect(&client_config(addr, &fp, "admin", &tokens["admin"]))
        .await
        .expect("admin again");
    for i in 3..5 {
        accepted(&admin, &live, team(&format!("A{i}"), TeamKind::Medical)).await;
    }
    let mut resubscribed = None;
    while follower.mirror().last_seq < 5 {
        match tokio::time::timeout(Duration::from_secs(30), follower.next())
            .await
            .expect("follower recovers")
            .expect("not refused")
        {
            client::FollowEvent::Subscribed { from } => resubscribed = Some(from),
            client::FollowEvent::Decision { seq, .. } => assert!(seq > 3),
            client::FollowEvent::Snapshot { seq } => {
                panic!("snapshot at {seq} instead of the tail")
            }
            client::FollowEvent::Notice(_)
            | client::FollowEvent::Disconnected
            | client::FollowEvent::Resyncing { .. } => {}
        }
    }
    assert_eq!(resubscribed, Some(3), "resumed from its last seq");
    assert_eq!(follower.mirror().state.teams.len(), 5);
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_subscriber_alone_is_told_to_resync_and_can_resume() {
    let data = data_dir("slow");
    let tokens = add_users(
        &data,
        &[
            ("admin", Role::Admin),
            ("li", Role::Observer),
            ("slow", Role::Observer),
        ],
    );
    let mut rc = relay_config(&data);
    rc.subscriber_queue = 4096;
    rc.segment_max_bytes = 64 << 20;
    let relay = relay::Server::start(rc).await.expect("relay");
    let (addr, fp) = (relay.local_addr, relay.fingerprint.clone());
    let live = RealmId::live();

    // The slow console subscribes and then stops reading.
    let slow_cfg = client_config(addr, &fp, "slow", &tokens["slow"]);
    let conn = client::raw_connection(&slow_cfg).await.expect("connects");
    let (mut send, mut recv) = conn.open_bi().await.expect("stream");
    for msg in [
        ClientMessage::Hello(protocol::Hello {
            protocol_version: protocol::PROTOCOL_VERSION,
            client: "slow".into(),
            user: "slow".into(),
            token: tokens["slow"].clone(),
            device: "slow".into(),
        }),
        ClientMessage::Subscribe {
            realm: live.clone(),
            from_seq: 0,
        },
    ] {
        let frame = protocol::encode(&msg, protocol::Limits::FROM_CLIENT).expect("encodes");
        send.write_all(&frame).await.expect("writes");
    }
    let mut li = Session::connect(&client_config(addr, &fp, "li", &tokens["li"]))
        .await
        .expect("li");
    li.subscribe(&live, 0).await.expect("subscribe");
    let mut mirror = Mirror::new(live.clone());
    follow_until(&mut li, &mut mirror, 0).await;

    // A flood larger than the QUIC window plus the queue.
    let admin = std::sync::Arc::new(
        Session::connect(&client_config(addr, &fp, "admin", &tokens["admin"]))
            .await
            .expect("admin"),
    );
    let total = 16_000;
    let mut tasks = Vec::new();
    for w in 0..8 {
        let (admin, live) = (admin.clone(), live.clone());
        tasks.push(tokio::spawn(async move {
            for i in (w..total).step_by(8) {
                accepted(&admin, &live, team(&format!("F{i:05}"), TeamKind::CivilNgo)).await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("flood");
    }
    let last = total as u64;
    // The fast console got everything, in order, with no gap.
    follow_until(&mut li, &mut mirror, last).await;
    assert_eq!(mirror.state.teams.len(), total);

    // The slow one reads what was queued for it: decisions in order, then a resync.
    let mut decoder = protocol::FrameDecoder::new(protocol::Limits::FROM_RELAY);
    let mut buf = vec![0u8; 64 * 1024];
    let mut have = 0u64;
    let mut resync = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while resync.is_none() {
        let n = tokio::time::timeout_at(deadline, recv.read(&mut buf))
            .await
            .expect("no resync notice arrived")
            .expect("read")
            .expect("stream open");
        decoder.push(&buf[..n]);
        while let Some(msg) = decoder
            .next_message::<ServerMessage>()
            .expect("valid frames")
        {
            match msg {
                ServerMessage::Decision { seq, .. } => {
                    assert_eq!(seq, have + 1, "gap before the resync notice");
                    have = seq;
                }
                ServerMessage::Resync { sent_up_to, .. } => resync = Some(sent_up_to),
                _ => {}
            }
        }
    }
    assert!(have < last, "the slow subscriber was never dropped");
    // It resumes from what it has and gets the tail from there.
    let frame = protocol::encode(
        &ClientMessage::Subscribe {
            realm: live.clone(),
            from_seq: have,
        },
        protocol::Limits::FROM_CLIENT,
    )
    .expect("encodes");
    send.write_all(&frame).await.expect("resubscribes");
    let next = loop {
        let n = tokio::time::timeout_at(deadline, recv.read(&mut buf))
            .await
            .expect("tail arrives")
            .expect("read")
            .expect("open");
        decoder.push(&buf[..n]);
        let mut found = None;
        while let Some(msg) = decoder
            .next_message::<ServerMessage>()
            .expect("valid frames")
        {
            if let ServerMessage::Decision { seq, .. } | ServerMessage::Snapshot { seq, .. } = msg
                && seq > have
                && found.is_none()
            {
                found = Some(msg);
            }
        }
        if let Some(m) = found {
            break m;
        }
    };
    match next {
        ServerMessage::Decision { seq, .. } => assert_eq!(seq, have + 1),
        ServerMessage::Snapshot { seq, .. } => assert_eq!(seq, last),
        _ => unreachable!(),
    }
    relay.shutdown().await;
}

/// A CA and a relay certificate it issued for `name`, as PEM files in `dir`.
fn issue_certificate(
    dir: &std::path::Path,
    name: &str,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("ca");
    let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
    let leaf = rcgen::CertificateParams::new(vec![name.to_owned()])
        .expect("params")
        .signed_by(&leaf_key, &ca)
        .expect("leaf");
    let (ca_pem, cert_pem, key_pem) = (
        dir.join("ca.pem"),
        dir.join("relay.pem"),
        dir.join("relay.key"),
    );
    std::fs::write(&ca_pem, ca.pem()).expect("ca.pem");
    std::fs::write(&cert_pem, leaf.pem()).expect("relay.pem");
    std::fs::write(&key_pem, leaf_key.serialize_pem()).expect("relay.key");
    (ca_pem, cert_pem, key_pem)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_given_the_operators_ca_trust_a_relay_it_issued() {
    let data = data_dir("ca");
    let tokens = add_users(&data, &[("wang", Role::DutyOfficer)]);
    let pki = data.join("pki");
    std::fs::create_dir_all(&pki).expect("pki dir");
    let (ca, cert, key) = issue_certificate(&pki, "relay.cc.example");
    let other = data.join("other-pki");
    std::fs::create_dir_all(&other).expect("dir");
    let (other_ca, _, _) = issue_certificate(&other, "relay.cc.example");

    let mut rc = relay_config(&data);
    rc.tls_cert = Some(cert);
    rc.tls_key = Some(key);
    let relay = relay::Server::start(rc)
        .await
        .expect("relay with CA-issued certificate");
    let mut cfg = client_config(relay.local_addr, "", "wang", &tokens["wang"]);
    cfg.trust = client::Trust::CaFile {
        ca: ca.clone(),
        server_name: "relay.cc.example".into(),
    };
    Session::connect(&cfg)
        .await
        .expect("trusted through the CA")
        .close()
        .await;

    cfg.trust = client::Trust::CaFile {
        ca: other_ca,
        server_name: "relay.cc.example".into(),
    };
    assert!(
        matches!(
            Session::connect(&cfg).await,
            Err(ClientError::Connection(_))
        ),
        "another CA accepted"
    );
    cfg.trust = client::Trust::CaFile {
        ca,
        server_name: "other.example".into(),
    };
    assert!(
        matches!(
            Session::connect(&cfg).await,
            Err(ClientError::Connection(_))
        ),
        "wrong name accepted"
    );
    relay.shutdown().await;
}
