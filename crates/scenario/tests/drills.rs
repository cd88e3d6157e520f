//! Whole drills in memory: the shipped scenarios and playbooks, determinism,
//! the drill clock driving the engine, and malformed files.

use domain::{Decision, EventKind, Millis, RealmKind, Role};
use scenario::{
    ClockState, DrillClock, Engine, Judgement, Rating, Scenario, ScenarioErrors, evaluate, load,
    load_playbook, run_headless, summary,
};
use std::path::{Path, PathBuf};

const SHIPPED: [&str; 4] = [
    "dehui-ammonia-leak",
    "linhai-tunnel-fire",
    "changchun-waterlogging",
    "changchun-mall-elevator",
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).expect(name)
}

fn parse(name: &str, text: &str) -> Result<Scenario, ScenarioErrors> {
    load(name, text, |base| {
        std::fs::read_to_string(dir().join(base)).map_err(|e| e.to_string())
    })
}

fn scenario(stem: &str) -> Scenario {
    parse(stem, &read(&format!("{stem}.toml"))).unwrap_or_else(|e| panic!("{e}"))
}

/// Plays a scenario with a playbook; returns decisions and the three report texts.
fn play(stem: &str, book: &str) -> (Vec<Decision>, [String; 3], scenario::Evaluation) {
    let sc = scenario(stem);
    let file = format!("{stem}.{book}.toml");
    let players = load_playbook(&file, &read(&file)).unwrap_or_else(|e| panic!("{e}"));
    let mut decisions = Vec::new();
    let outcome = run_headless(Engine::new(sc.clone()), &players, 50, |batch| {
        decisions.extend_from_slice(batch);
        Ok::<(), ()>(())
    })
    .expect("run");
    assert!(
        outcome.refused.is_empty(),
        "{stem}.{book}: {:?}",
        outcome.refused
    );
    let ev = evaluate(&sc, &decisions);
    let r = summary(&sc, &ev, &decisions);
    (decisions, [r.to_json(), r.to_markdown(), r.to_html()], ev)
}

fn judgement<'a>(ev: &'a scenario::Evaluation, id: &str) -> &'a Judgement {
    &ev.expects.iter().find(|e| e.id == id).expect(id).judgement
}

fn rating(ev: &scenario::Evaluation, id: &str) -> Option<Rating> {
    ev.objectives.iter().find(|o| o.id == id).expect(id).rating
}

#[test]
fn every_shipped_scenario_validates_and_its_good_playbook_is_rated_performed() {
    for stem in SHIPPED {
        let (decisions, _, ev) = play(stem, "good");
        assert!(
            decisions.len() > 30,
            "{stem}: {} decisions",
            decisions.len()
        );
        for e in &ev.expects {
            assert!(
                matches!(e.judgement, Judgement::Met { .. }),
                "{stem} {} {}: {:?}",
                e.id,
                e.title,
                e.judgement
            );
        }
        for o in &ev.objectives {
            assert_eq!(o.rating, Some(Rating::Performed), "{stem} {}", o.id);
        }
    }
}

#[test]
fn every_missing_playbook_leaves_some_objective_not_performed() {
    for stem in SHIPPED {
        let (_, _, ev) = play(stem, "missing");
        assert!(
            ev.objectives
                .iter()
                .any(|o| o.rating == Some(Rating::NotPerformed)),
            "{stem}"
        );
        assert!(
            ev.expects.iter().any(|e| e.judgement == Judgement::Missed),
            "{stem}"
        );
    }
}

#[test]
fn dehui_missing_playbook_is_judged_late_and_missed_where_it_should_be() {
    let (_, [_, md, _], ev) = play("dehui-ammonia-leak", "missing");
    // First report at T+09:00 against 5 minutes: 4 minutes late.
    assert_eq!(
        *judgement(&ev, "E1"),
        Judgement::Late {
            at: 540_000,
            took: 540_000,
            late_by: 240_000
        }
    );
    // Park fire team ordered at T+06:30 against 3 minutes.
    assert!(matches!(
        judgement(&ev, "E2"),
        Judgement::Late {
            late_by: 210_000,
            ..
        }
    ));
    assert_eq!(*judgement(&ev, "E3"), Judgement::Missed);
    assert!(matches!(judgement(&ev, "E4"), Judgement::Late { .. }));
    assert_eq!(*judgement(&ev, "E5"), Judgement::Missed);
    assert_eq!(*judgement(&ev, "E6"), Judgement::Missed);
    assert!(matches!(
        judgement(&ev, "E7"),
        Judgement::Met { took: 60_000, .. }
    ));
    // 0.5 of 1 → M; (0.5+0+0.5)/3 → U; nothing → U.
    assert_eq!(rating(&ev, "O1"), Some(Rating::MajorChallenges));
    assert_eq!(rating(&ev, "O2"), Some(Rating::NotPerformed));
    assert_eq!(rating(&ev, "O3"), Some(Rating::NotPerformed));
    assert_eq!(rating(&ev, "O4"), Some(Rating::NotPerformed));
    assert_eq!(rating(&ev, "O5"), Some(Rating::Performed));
    // No hazchem team by T+10:00: the conditional inject came.
    assert!(
        ev.injects_delivered
            .iter()
            .any(|(id, at)| id == "4" && *at == 600_000)
    );
    assert!(
        md.contains("首报迟报"),
        "problems name the late first report"
    );
    assert!(md.contains("超时4分钟"));
}

#[test]
fn a_conditional_inject_is_skipped_when_the_players_acted_in_time() {
    let (_, _, ev) = play("dehui-ammonia-leak", "good");
    assert_eq!(ev.injects_skipped, vec!["4".to_string()]);
    let (_, _, ev) = play("linhai-tunnel-fire", "good");
    assert_eq!(ev.injects_skipped, vec!["5".to_string()]);
}

#[test]
fn same_seed_and_same_players_give_byte_identical_logs_and_reports() {
    for stem in SHIPPED {
        let (a, ra, _) = play(stem, "missing");
        let (b, rb, _) = play(stem, "missing");
        let bytes = |ds: &[Decision]| -> Vec<u8> {
            ds.iter()
                .flat_map(|d| serde_json::to_vec(d).expect("encode"))
                .collect()
        };
        assert_eq!(bytes(&a), bytes(&b), "{stem}: log differs");
        assert_eq!(ra, rb, "{stem}: report differs");
    }
}

#[test]
fn a_different_seed_changes_the_simulated_acknowledgement_times() {
    let sc = scenario("dehui-ammonia-leak");
    let players = load_playbook("p", &read("dehui-ammonia-leak.good.toml")).expect("playbook");
    let acks = |seed: u64| -> Vec<Millis> {
        let mut s = sc.clone();
        s.meta.seed = seed;
        let mut ds = Vec::new();
        run_headless(Engine::new(s.clone()), &players, 1, |b| {
            ds.extend_from_slice(b);
            Ok::<(), ()>(())
        })
        .expect("run");
        evaluate(&s, &ds)
            .orders
            .iter()
            .filter_map(|o| o.to_ack)
            .collect()
    };
    assert_eq!(acks(7), acks(7));
    assert_ne!(acks(7), acks(8));
}

#[test]
fn every_event_is_marked_as_a_drill_and_comes_from_the_drill_director_or_players() {
    let (decisions, [json, md, html], _) = play("linhai-tunnel-fire", "good");
    for d in &decisions {
        assert!(
            matches!(
                d.actor.role,
                Role::DrillDirector | Role::DutyOfficer | Role::Commander
            ),
            "{:?}",
            d.actor
        );
        for e in &d.events {
            if let EventKind::Drill(x) = &e.kind {
                assert!(domain::drill::describe(x).starts_with("【演练】"));
            }
        }
    }
    assert!(json.contains("\"exercise_mark\": \"演练\""));
    assert!(md.starts_with("# 【演练】"));
    assert!(html.contains("<span class=\"mark\">演练</span>"));
    assert!(html.contains("<svg"), "inline timeline chart");
    assert!(!html.contains("<script"), "self-contained, no scripts");
    // Every engine command is refused in a live realm, so a scenario cannot leak into it.
    let clock = &decisions[0];
    let ctx = domain::Context {
        now: clock.at,
        actor: clock.actor.clone(),
        realm: RealmKind::Live,
    };
    assert!(domain::decide(&domain::State::default(), &clock.command, &ctx).is_err());
}

#[test]
fn the_drill_clock_drives_the_engine_only_while_running_and_at_its_speed() {
    let sc = scenario("dehui-ammonia-leak");
    let mut engine = Engine::new(sc.clone());
    let mut clock = DrillClock::new();
    let mut state = domain::State::default();
    let mut fired = Vec::new();
    // Wall time in ms, injected: never read from the system.
    let mut step =
        |engine: &mut Engine, clock: &DrillClock, wall: Millis, fired: &mut Vec<String>| {
            for due in engine.due(clock.scenario_time(wall), &state) {
                let ctx = domain::Context {
                    now: sc.at(due.offset),
                    actor: due.actor,
                    realm: RealmKind::Drill,
                };
                let events = domain::decide(&state, &due.command, &ctx).expect("engine command");
                for e in &events {
                    if let EventKind::Drill(domain::DrillEvent::MessageDelivered(m)) = &e.kind
                        && let Some(id) = &m.inject
                    {
                        fired.push(id.clone());
                    }
                    state.apply(e);
                }
            }
        };
    // Before the start the driver does not tick the engine; the clock stands at T+0.
    assert_eq!(clock.scenario_time(500_000), 0);
    clock
        .act(domain::ClockAction::Start, Some(10), 1_000)
        .expect("start");
    // 18 s of wall time at 10× = T+03:00: injects 1 and 2.
    step(&mut engine, &clock, 19_000, &mut fired);
    assert_eq!(fired, ["1", "2"]);
    clock
        .act(domain::ClockAction::Pause, None, 19_000)
        .expect("pause");
    // An hour of wall time while paused: scenario time stands still.
    step(&mut engine, &clock, 3_619_000, &mut fired);
    assert_eq!(fired, ["1", "2"]);
    clock
        .act(domain::ClockAction::Resume, None, 3_619_000)
        .expect("resume");
    clock
        .act(domain::ClockAction::Speed, Some(100), 3_619_000)
        .expect("speed");
    // 9 s at 100× = 15 more minutes: T+18:00 → injects 3 to 6 (4 fires: no hazchem order).
    step(&mut engine, &clock, 3_628_000, &mut fired);
    assert_eq!(fired, ["1", "2", "3", "4", "5", "6"]);
    clock
        .act(domain::ClockAction::Halt, None, 3_628_000)
        .expect("halt");
    assert_eq!(clock.state(), ClockState::Halted);
    step(&mut engine, &clock, 9_999_999, &mut fired);
    assert_eq!(fired.len(), 6, "a halted drill injects nothing more");
}

fn errors(name: &str, text: &str) -> Vec<scenario::ScenarioError> {
    match parse(name, text) {
        Ok(_) => panic!("{name} should not validate"),
        Err(e) => e.0,
    }
}

fn dehui_with(from: &str, to: &str) -> String {
    let text = read("dehui-ammonia-leak.toml");
    assert!(text.contains(from), "{from}");
    text.replacen(from, to, 1)
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).expect(needle) + 1
}

#[test]
fn an_unknown_field_is_named_with_its_table_file_and_line() {
    let text = dehui_with(
        "method = \"短信\"\n",
        "method = \"短信\"\nchanel = \"预警平台\"\n",
    );
    let e = errors("bad-unknown.toml", &text);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].file, "bad-unknown.toml");
    assert_eq!(e[0].line, line_of(&text, "chanel"));
    assert_eq!(e[0].field, "inject[1].chanel");
    assert!(e[0].to_string().starts_with(&format!(
        "bad-unknown.toml:{}:1: inject[1].chanel:",
        e[0].line
    )));
}

#[test]
fn an_inject_out_of_order_is_reported_at_its_time() {
    let text = dehui_with("at = \"T+12:00\"", "at = \"T+02:00\"");
    let e = errors("bad-order.toml", &text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].field, "inject[4].at");
    assert_eq!(e[0].line, line_of(&text, "T+02:00"));
    assert!(e[0].message.contains("out of order"));
}

#[test]
fn a_team_not_in_the_world_is_reported() {
    let text = dehui_with(
        "type = \"radio\"\n",
        "type = \"radio\"\nteam = \"DH-NONE\"\n",
    );
    let e = errors("bad-team.toml", &text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].field, "inject[3].team");
    assert_eq!(e[0].line, line_of(&text, "DH-NONE"));
    assert!(e[0].message.contains("not defined"));
}

#[test]
fn a_time_before_t0_is_in_the_past() {
    let text = dehui_with("at = \"T+03:00\"", "at = \"T-01:00\"");
    let e = errors("bad-past.toml", &text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].field, "inject[1].at");
    assert!(e[0].message.contains("in the past"));
    let e = errors(
        "bad-within.toml",
        &dehui_with("within = \"03:00\"", "within = \"-03:00\""),
    );
    assert_eq!(e[0].field, "expect[1].within");
}

#[test]
fn duplicate_ids_and_undefined_references_are_all_reported_together() {
    let text = dehui_with("id = \"E2\"", "id = \"E1\"").replacen(
        "objective = \"O5\"",
        "objective = \"O9\"",
        1,
    );
    let e = errors("bad-many.toml", &text);
    let fields: Vec<&str> = e.iter().map(|x| x.field.as_str()).collect();
    assert_eq!(fields, ["expect[1].id", "expect[6].objective"]);
}

#[test]
fn an_error_in_the_base_world_names_the_base_file() {
    let text = read("dehui-ammonia-leak.toml");
    let e = load("s.toml", &text, |_| Ok("[[team]]\nid = \"X\"\nname = \"x\"\nkind = \"消防\"\nheadcount = 1\njurisdiction = \"德惠市\"\nhome = [44.5, 125.7]\n".into()))
        .expect_err("bad base");
    assert_eq!(e.0[0].file, "base-changchun.toml");
    assert_eq!(e.0[0].line, 4);
    assert_eq!(e.0[0].field, "team[0].kind");
}

#[test]
fn a_malformed_playbook_names_file_line_and_field() {
    let text = "[[action]]\nat = \"T+01:00\"\nas = \"王丽\"\nrole = \"值班员\"\ndo = \"order\"\norder = \"X\"\nincident = \"I\"\n";
    let e = load_playbook("p.toml", text).expect_err("no team");
    assert_eq!(e.0[0].field, "action[0].team");
    let e = load_playbook(
        "p.toml",
        "[[action]]\nat = \"T+01:00\"\nas = \"王丽\"\nrole = \"局长\"\ndo = \"order\"\n",
    )
    .expect_err("role");
    assert_eq!((e.0[0].line, e.0[0].field.as_str()), (4, "action[0].role"));
}

#[test]
fn a_broken_down_team_stops_and_leaves_service_once_its_order_is_cancelled() {
    let (decisions, _, _) = play("linhai-tunnel-fire", "good");
    let state = domain::State::from_events(decisions.iter().flat_map(|d| &d.events));
    let team = &state.teams[&domain::TeamId::new("LH-HT")];
    assert!(
        matches!(team.status, domain::TeamStatus::OutOfService(_)),
        "{:?}",
        team.status
    );
    // No movement after the breakdown at T+12:00.
    let start = scenario("linhai-tunnel-fire").meta.start;
    assert!(decisions.iter().all(|d| {
        !matches!(&d.command, domain::Command::ReportFix { team, .. } if team.as_str() == "LH-HT")
            || d.at < start.plus(12 * 60_000)
    }));
}

/// A small self-contained scenario, as an organiser would write from the docs.
const SMALL: &str = r#"
[drill]
title = "德惠市米沙子镇仓库火灾桌面演练"
kind = "桌面"
scope = "单项"
purpose = "检验接报与调派。"
organiser = "德惠市应急管理局"
units = ["德惠市消防救援大队"]
region = "德惠市米沙子镇"
seed = 1
start = "2026-03-01 10:00"
duration = "20:00"
outline = "仓库起火。"

[[team]]
id = "DH-XF"
name = "德惠市消防救援大队"
kind = "综合性消防救援队伍"
headcount = 24
jurisdiction = "德惠市"
home = [44.5350, 125.6950]

[[team]]
id = "DH-SLOW"
name = "米沙子镇志愿救援队"
kind = "村级志愿救援队"
headcount = 10
jurisdiction = "德惠市"
home = [44.2200, 125.5200]
ack_delay = "04:00"

[[team]]
id = "DH-WH"
name = "德惠危化品救援分队"
kind = "危化品救援队"
headcount = 10
jurisdiction = "德惠市"
home = [44.5400, 125.7000]

[[inject]]
id = "1"
at = "T+00:00"
type = "incident_report"
from = "仓库保管员"
to = "指挥中心"
method = "电话"
text = "仓库起火。"
incident = "F1"
title = "米沙子镇仓库火灾"
sector = "火灾"
position = [44.2200, 125.5200]

[[inject]]
id = "2"
at = "T+05:00"
type = "radio"
from = "德惠市消防救援大队"
to = "指挥中心"
method = "对讲机"
text = "仓库内有液化气罐，请求危化品队伍。"
unless_ordered_kind = "综合性消防救援队伍"
unless_incident = "F1"

[[objective]]
id = "O1"
title = "调派"
thresholds = { p = 1.0, s = 0.75, m = 0.5 }

[[expect]]
id = "E1"
objective = "O1"
action = "order_kind"
team_kind = "综合性消防救援队伍"
title = "3 分钟内调派消防"
incident = "F1"
within = "03:00"

[[expect]]
id = "E2"
objective = "O1"
action = "order_kind"
team_kind = "危化品救援队"
title = "求援后 2 分钟内调派危化品队伍"
incident = "F1"
after = "2"
within = "02:00"

[evaluation]
late_credit = 0.25
"#;

fn small_run(playbook: &str) -> scenario::Evaluation {
    let sc = parse("small.toml", SMALL).unwrap_or_else(|e| panic!("{e}"));
    let players = load_playbook("p.toml", playbook).unwrap_or_else(|e| panic!("{e}"));
    let mut ds = Vec::new();
    run_headless(Engine::new(sc.clone()), &players, 1, |b| {
        ds.extend_from_slice(b);
        Ok::<(), ()>(())
    })
    .expect("run");
    evaluate(&sc, &ds)
}

const ORDER_AT: &str = "[[action]]\nat = \"AT\"\nas = \"王丽\"\nrole = \"值班员\"\ndo = \"order\"\norder = \"O-1\"\nincident = \"F1\"\nteam = \"DH-XF\"\n";

#[test]
fn an_expectation_after_a_skipped_inject_does_not_apply() {
    let ev = small_run(&ORDER_AT.replace("AT", "T+01:00"));
    assert_eq!(ev.injects_skipped, ["2"]);
    assert_eq!(*judgement(&ev, "E2"), Judgement::NotApplicable);
    assert_eq!(ev.objectives[0].score, Some(1.0));
    assert_eq!(rating(&ev, "O1"), Some(Rating::Performed));
}

#[test]
fn late_credit_and_objective_thresholds_come_from_the_scenario() {
    // Ordered at T+06:00: inject 2 came at T+05:00; E1 late, E2 missed.
    let ev = small_run(&ORDER_AT.replace("AT", "T+06:00"));
    assert!(matches!(
        judgement(&ev, "E1"),
        Judgement::Late {
            late_by: 180_000,
            ..
        }
    ));
    assert_eq!(*judgement(&ev, "E2"), Judgement::Missed);
    assert_eq!(ev.objectives[0].score, Some(0.125));
    assert_eq!(rating(&ev, "O1"), Some(Rating::NotPerformed));
    // Nobody ordered anything: the objective is not performed, not "not applicable".
    let ev = small_run("");
    assert_eq!(ev.objectives[0].score, Some(0.0));
    assert_eq!(rating(&ev, "O1"), Some(Rating::NotPerformed));
}

#[test]
fn a_team_slower_than_the_acknowledgement_limit_is_timed_out_by_the_relay_then_acknowledges() {
    let sc = parse("small.toml", SMALL).unwrap_or_else(|e| panic!("{e}"));
    let players = load_playbook(
        "p.toml",
        &ORDER_AT
            .replace("AT", "T+01:00")
            .replace("DH-XF", "DH-SLOW"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut ds = Vec::new();
    let outcome = run_headless(Engine::new(sc.clone()), &players, 1, |b| {
        ds.extend_from_slice(b);
        Ok::<(), ()>(())
    })
    .expect("run");
    assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
    let steps: Vec<(domain::OrderStatus, Millis, Role)> = ds
        .iter()
        .flat_map(|d| d.events.iter().map(move |e| (d, e)))
        .filter_map(|(d, e)| match &e.kind {
            EventKind::OrderAdvanced { to, .. } => {
                Some((*to, e.at.since(sc.meta.start), d.actor.role))
            }
            _ => None,
        })
        .take(2)
        .collect();
    use domain::OrderStatus::*;
    // Issued at T+01:00; 3 minutes without an answer, then the late answer.
    assert_eq!(steps[0], (TimedOut, 241_000, Role::System));
    assert_eq!(
        (steps[1].0, steps[1].2),
        (Acknowledged, Role::DrillDirector)
    );
    assert!(steps[1].1 >= 300_000);
}
