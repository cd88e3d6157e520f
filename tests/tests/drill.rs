//! `relay drill check` and `relay drill run` as a child process: real
//! files, a real ledger, the report, and a live realm that stays untouched.

use crate::support::*;
use domain::*;
use ledger::{LedgerOptions, LedgerReader};
use protocol::RealmId;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output};

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

fn relay(args: &[&std::ffi::OsStr]) -> Output {
    Process::new(relay_binary())
        .args(args)
        .env("RELAY_LOG", "warn")
        .output()
        .expect("run relay")
}

fn drill_run(stem: &str, book: &str, out: &Path) -> Output {
    let sc = scenarios().join(format!("{stem}.toml"));
    let pb = scenarios().join(format!("{stem}.{book}.toml"));
    let out = relay(&[
        "drill".as_ref(),
        "run".as_ref(),
        sc.as_os_str(),
        "--speed".as_ref(),
        "50".as_ref(),
        "--players".as_ref(),
        pb.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Every file under `dir`, relative path → bytes, in name order.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != "LOCK" && n != "lock") {
                let rel = p.strip_prefix(dir).expect("prefix").to_path_buf();
                out.push((rel, std::fs::read(&p).expect("read")));
            }
        }
    }
    out.sort();
    out
}

fn decisions(data: &Path, realm: &str) -> Vec<Decision> {
    let key = relay::identity::ledger_verifying_key(data).expect("key");
    let reader = LedgerReader::open(
        &data.join("realms").join(realm),
        &key,
        LedgerOptions::default(),
    )
    .expect("open ledger");
    reader
        .read_from(1)
        .expect("read")
        .map(|r| postcard::from_bytes(&r.expect("record").payload).expect("decode"))
        .collect()
}

#[test]
fn a_headless_drill_run_is_byte_identical_when_repeated() {
    let a = data_dir("drill-det-a");
    let b = data_dir("drill-det-b");
    drill_run("changchun-mall-elevator", "missing", &a);
    // The same checkpoint key, so signatures match too.
    std::fs::copy(a.join("ledger.key"), b.join("ledger.key")).expect("copy key");
    drill_run("changchun-mall-elevator", "missing", &b);
    let realm = Path::new("realms/drill-changchun-mall-elevator");
    let fa = files(&a.join(realm));
    let fb = files(&b.join(realm));
    let names: Vec<String> = fa.iter().map(|(p, _)| p.display().to_string()).collect();
    assert!(names.iter().any(|n| n.starts_with("seg-")), "{names:?}");
    assert!(names.iter().any(|n| n == "checkpoints.log"), "{names:?}");
    assert_eq!(fa, fb, "drill logs differ");
    for report in ["report.json", "report.md", "report.html"] {
        let ra = std::fs::read(a.join(report)).expect(report);
        assert!(!ra.is_empty());
        assert_eq!(
            ra,
            std::fs::read(b.join(report)).expect(report),
            "{report} differs"
        );
    }
    let verify = relay(&["verify".as_ref(), a.as_os_str()]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

#[test]
fn the_report_judges_the_missing_playbook_late_and_the_good_one_in_time() {
    let bad = data_dir("drill-report-missing");
    let good = data_dir("drill-report-good");
    drill_run("dehui-ammonia-leak", "missing", &bad);
    drill_run("dehui-ammonia-leak", "good", &good);
    let json = |d: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(d.join("report.json")).expect("json")).expect("parse")
    };
    let (b, g) = (json(&bad), json(&good));
    assert_eq!(b["exercise_mark"], "演练");
    let expect = |v: &serde_json::Value, id: &str| {
        v["evaluation"]["expects"]
            .as_array()
            .expect("expects")
            .iter()
            .find(|e| e["id"] == id)
            .expect(id)["judgement"]
            .clone()
    };
    assert_eq!(expect(&b, "E1")["Late"]["late_by"], 240_000);
    assert_eq!(expect(&b, "E5"), "Missed");
    assert!(expect(&g, "E1").get("Met").is_some());
    let ratings = |v: &serde_json::Value| -> Vec<String> {
        v["evaluation"]["objectives"]
            .as_array()
            .expect("objectives")
            .iter()
            .map(|o| o["rating"].as_str().unwrap_or("-").to_owned())
            .collect()
    };
    assert_eq!(ratings(&g), ["Performed"; 5]);
    assert_eq!(
        ratings(&b),
        [
            "MajorChallenges",
            "NotPerformed",
            "NotPerformed",
            "NotPerformed",
            "Performed"
        ]
    );
    let html = std::fs::read_to_string(bad.join("report.html")).expect("html");
    assert!(html.contains("总结报告") && html.contains("<svg") && html.contains("未能完成"));
    // The log on disk holds the drill, as the drill director and the players.
    let ds = decisions(&bad, "drill-dehui-ammonia-leak");
    assert!(
        ds.iter()
            .any(|d| matches!(d.command, Command::OpenIncident(_)))
    );
    assert!(ds.iter().all(|d| d.actor.role != Role::System));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drill_run_into_a_relay_data_directory_leaves_the_live_realm_untouched() {
    let data = data_dir("drill-isolation");
    let tokens = add_users(&data, &[("admin", Role::Admin)]);
    let handle = relay::Server::start(relay_config(&data))
        .await
        .expect("start");
    let admin = client::Session::connect(&client_config(
        handle.local_addr,
        &handle.fingerprint,
        "admin",
        &tokens["admin"],
    ))
    .await
    .expect("connect");
    accepted(&admin, &RealmId::live(), team("LIVE-1", TeamKind::Medical)).await;
    drop(admin);
    handle.shutdown().await;
    let live = data.join("realms/live");
    let before = files(&live);

    drill_run("dehui-ammonia-leak", "good", &data);

    assert_eq!(files(&live), before, "the live log changed");
    let live_state = State::from_events(decisions(&data, "live").iter().flat_map(|d| &d.events));
    assert_eq!(live_state.teams.len(), 1);
    assert!(live_state.incidents.is_empty());
    let drill = decisions(&data, "drill-dehui-ammonia-leak");
    let drill_state = State::from_events(drill.iter().flat_map(|d| &d.events));
    assert!(
        drill_state
            .incidents
            .contains_key(&IncidentId::new("DH-NH3-0714"))
    );
    assert!(!drill_state.teams.contains_key(&TeamId::new("LIVE-1")));
    assert_eq!(
        std::fs::read_to_string(data.join("realms/drill-dehui-ammonia-leak/kind")).expect("kind"),
        "drill"
    );
    // The activity export of the drill realm marks every row as an exercise.
    let prefix = data.join("drill-activity");
    let export = relay(&[
        "export".as_ref(),
        data.as_os_str(),
        "--realm".as_ref(),
        "drill-dehui-ammonia-leak".as_ref(),
        "--out".as_ref(),
        prefix.as_os_str(),
    ]);
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let jsonl = std::fs::read_to_string(prefix.with_extension("jsonl")).expect("jsonl");
    assert_eq!(jsonl.lines().count(), drill.len());
    assert!(jsonl.lines().all(|l| l.contains("【演练】")));
    // Running the same drill again into the same directory is refused, not mixed.
    let sc = scenarios().join("dehui-ammonia-leak.toml");
    let again = relay(&[
        "drill".as_ref(),
        "run".as_ref(),
        sc.as_os_str(),
        "--out".as_ref(),
        data.as_os_str(),
    ]);
    assert!(!again.status.success());
}

#[test]
fn drill_check_accepts_the_shipped_scenarios_and_names_file_line_and_field_of_errors() {
    for stem in [
        "dehui-ammonia-leak",
        "linhai-tunnel-fire",
        "changchun-waterlogging",
        "changchun-mall-elevator",
    ] {
        let f = scenarios().join(format!("{stem}.toml"));
        let out = relay(&["drill".as_ref(), "check".as_ref(), f.as_os_str()]);
        assert!(
            out.status.success(),
            "{stem}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let dir = data_dir("drill-check");
    std::fs::copy(
        scenarios().join("base-changchun.toml"),
        dir.join("base-changchun.toml"),
    )
    .expect("base");
    let text = std::fs::read_to_string(scenarios().join("dehui-ammonia-leak.toml")).expect("read");
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        text.replacen("at = \"T+12:00\"", "at = \"T+02:00\"", 1),
    )
    .expect("write");
    let out = relay(&["drill".as_ref(), "check".as_ref(), bad.as_os_str()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let line = text
        .lines()
        .position(|l| l.contains("T+12:00"))
        .expect("line")
        + 1;
    assert!(
        err.contains(&format!("bad.toml:{line}:6: inject[4].at: ")),
        "{err}"
    );
}

async fn drill_status(s: &mut client::Session) -> protocol::DrillStatus {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let msg = tokio::time::timeout_at(deadline, s.next_message())
            .await
            .expect("a drill status in time")
            .expect("connection open");
        match msg {
            protocol::ServerMessage::DrillStatus { status, .. } => return status,
            protocol::ServerMessage::Error { code, message } => panic!("{code:?}: {message}"),
            _ => {}
        }
    }
}

async fn control(
    s: &mut client::Session,
    realm: &RealmId,
    action: protocol::DrillAction,
) -> protocol::DrillStatus {
    s.send(&protocol::ClientMessage::DrillControl {
        realm: realm.clone(),
        action,
    })
    .await
    .expect("send");
    drill_status(s).await
}

/// Reads decisions until one satisfies `want`; returns it.
async fn until_decision(s: &mut client::Session, want: impl Fn(&Decision) -> bool) -> Decision {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let msg = tokio::time::timeout_at(deadline, s.next_message())
            .await
            .expect("the decision in time")
            .expect("connection open");
        if let protocol::ServerMessage::Decision { decision, .. } = msg
            && want(&decision)
        {
            return *decision;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_drill_plays_its_scenario_on_the_relay_clock_under_the_directors_control() {
    use protocol::{DrillAction as A, DrillClockState as S};
    let data = data_dir("drill-live");
    let tokens = add_users(
        &data,
        &[("zhao", Role::DrillDirector), ("wang", Role::DutyOfficer)],
    );
    let handle = relay::Server::start(relay_config(&data))
        .await
        .expect("start");
    let connect =
        |user: &str| client_config(handle.local_addr, &handle.fingerprint, user, &tokens[user]);
    let mut director = client::Session::connect(&connect("zhao"))
        .await
        .expect("director");
    let mut wang = client::Session::connect(&connect("wang"))
        .await
        .expect("officer");
    let realm = RealmId("drill-live-dehui".into());
    director
        .send(&protocol::ClientMessage::OpenDrill {
            realm: realm.clone(),
        })
        .await
        .expect("open");

    let text = std::fs::read_to_string(scenarios().join("dehui-ammonia-leak.toml")).expect("read");
    let base = std::fs::read_to_string(scenarios().join("base-changchun.toml")).expect("base");
    // Without the base world the scenario is refused, with the reason.
    let st = control(
        &mut director,
        &realm,
        A::Load {
            file: "dehui.toml".into(),
            text: text.clone(),
            base: None,
        },
    )
    .await;
    assert_eq!(st.clock, S::NoScenario);
    assert!(st.error.expect("refused").contains("base-changchun.toml"));
    let st = control(
        &mut director,
        &realm,
        A::Load {
            file: "dehui.toml".into(),
            text,
            base: Some(base),
        },
    )
    .await;
    assert_eq!((st.clock, st.error), (S::Ready, None));

    // Only the drill director moves the clock.
    let st = control(&mut wang, &realm, A::Start { speed: 100 }).await;
    assert!(st.error.is_some());
    assert_eq!(st.clock, S::Ready);

    wang.subscribe(&realm, 0).await.expect("subscribe");
    let st = control(&mut director, &realm, A::Start { speed: 100 }).await;
    assert_eq!(st.clock, S::Running);
    let opened = until_decision(&mut wang, |d| matches!(d.command, Command::OpenIncident(_))).await;
    let start = Timestamp::parse_cst("2026-07-14 09:00").expect("start");
    assert_eq!(opened.at, start, "drill realm time is scenario time");

    let order = Command::IssueOrder {
        order: OrderId::new("LIVE-O1"),
        incident: IncidentId::new("DH-NH3-0714"),
        team: TeamId::new("DH-YQ"),
        note: "赶赴现场".into(),
        recommendation_shown: Vec::new(),
    };
    accepted(&wang, &realm, order).await;
    let ack = until_decision(&mut wang, |d| {
        d.events.iter().any(|e| {
            matches!(
                e.kind,
                EventKind::OrderAdvanced {
                    to: OrderStatus::Acknowledged,
                    ..
                }
            )
        })
    })
    .await;
    assert_eq!(ack.actor.device.as_str(), "sim-DH-YQ");

    let paused = control(&mut director, &realm, A::Pause).await;
    assert_eq!(paused.clock, S::Paused);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let still = control(&mut director, &realm, A::Status).await;
    assert_eq!(
        still.scenario_ms, paused.scenario_ms,
        "paused time stands still"
    );
    assert_eq!(
        control(&mut director, &realm, A::Resume).await.clock,
        S::Running
    );
    let ended = control(&mut director, &realm, A::End).await;
    assert_eq!(ended.clock, S::Ended);
    assert!(ended.scenario_ms >= paused.scenario_ms);
    drop(director);
    drop(wang);
    handle.shutdown().await;

    assert!(decisions(&data, "live").is_empty(), "nothing reached live");
    let drill = decisions(&data, "drill-live-dehui");
    let clock: Vec<ClockAction> = drill
        .iter()
        .flat_map(|d| &d.events)
        .filter_map(|e| match &e.kind {
            EventKind::Drill(DrillEvent::ClockChanged(c)) => Some(c.action),
            _ => None,
        })
        .collect();
    assert_eq!(
        clock,
        [
            ClockAction::Start,
            ClockAction::Pause,
            ClockAction::Resume,
            ClockAction::End
        ]
    );
    assert!(
        drill
            .iter()
            .all(|d| d.at >= start && d.at <= start.plus(ended.scenario_ms))
    );

    // The live drill's report, from its log.
    let out = data.join("live-report");
    let sc = scenarios().join("dehui-ammonia-leak.toml");
    let report = relay(&[
        "drill".as_ref(),
        "report".as_ref(),
        sc.as_os_str(),
        "--data".as_ref(),
        data.as_os_str(),
        "--realm".as_ref(),
        "drill-live-dehui".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let md = std::fs::read_to_string(out.join("report.md")).expect("md");
    assert!(md.contains("# 【演练】德惠化工园区液氨泄漏事故应急演练"));
    assert!(md.contains("| LIVE-O1 | 德惠化工园区专职消防队 |"), "{md}");
}
