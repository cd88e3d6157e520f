//! The duty officer's night end to end over a real relay: several
//! consoles' clients, every step a command, every console converging on
//! the same state, and the log saying who did what.

use crate::support::*;
use client::{Mirror, MirrorUpdate, Session};
use domain::duty::ResponseDetail;
use domain::*;
use protocol::{CommandOutcome, RealmId, ServerMessage};
use std::sync::Arc;
use std::time::Duration;

/// A relay with an admin, two officers, a commander and a radio gateway.
async fn desk(name: &str) -> TestRelay {
    TestRelay::start(
        name,
        &[
            ("admin", Role::Admin),
            ("wang", Role::DutyOfficer),
            ("li", Role::DutyOfficer),
            ("zhang", Role::Commander),
            ("bridge", Role::FieldGateway),
        ],
    )
    .await
}

/// A console's view: its mirror and every decision it received.
struct Console {
    session: Session,
    mirror: Mirror,
    log: Vec<(u64, Decision)>,
}

impl Console {
    async fn open(desk: &TestRelay, user: &str) -> Console {
        let session = desk.session(user).await;
        session
            .subscribe(&RealmId::live(), 0)
            .await
            .expect("subscribe");
        Console {
            session,
            mirror: Mirror::new(RealmId::live()),
            log: Vec::new(),
        }
    }

    async fn until(&mut self, seq: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while self.mirror.last_seq < seq {
            let msg = tokio::time::timeout_at(deadline, self.session.next_message())
                .await
                .unwrap_or_else(|_| panic!("stuck at {} waiting for {seq}", self.mirror.last_seq))
                .expect("connection open");
            if let (MirrorUpdate::Applied(at), ServerMessage::Decision { decision, .. }) =
                (self.mirror.accept(&msg), &msg)
            {
                self.log.push((at, (**decision).clone()));
            }
        }
    }
}

fn now() -> Timestamp {
    Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0),
    )
}

fn depot(foam: u64) -> Command {
    Command::RegisterDepot(Box::new(Depot {
        id: DepotId::new("D-1"),
        name: "朝阳区应急物资储备库".into(),
        owner: "朝阳区应急管理局".into(),
        position: GeoPoint::new(43.86, 125.30),
        jurisdiction: JurisdictionId::new("长春市"),
        stock: [(
            ItemId::new("foam"),
            StockLine {
                item: ItemId::new("foam"),
                name: "泡沫灭火剂".into(),
                unit: "桶".into(),
                on_hand: foam,
                reserved: 0,
                expiry: None,
            },
        )]
        .into_iter()
        .collect(),
    }))
}

fn step(order: &str, step: OrderStep) -> Command {
    Command::AdvanceOrder {
        order: OrderId::new(order),
        step,
    }
}

fn casualties(deaths: u32) -> Command {
    Command::UpdateCasualties {
        incident: IncidentId::new("INC-1"),
        casualties: Casualties {
            deaths,
            ..Default::default()
        },
        direct_loss_yuan: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_to_closure_converges_on_both_consoles_and_the_log_names_every_step() {
    let desk = desk("duty-night").await;
    let live = RealmId::live();
    let admin = desk.session("admin").await;
    accepted(
        &admin,
        &live,
        team("FR-1", TeamKind::GovernmentFullTimeFire),
    )
    .await;
    accepted(&admin, &live, team("HZ-1", TeamKind::Hazchem)).await;
    let wang_session = desk.session("wang").await;
    let zhang_session = desk.session("zhang").await;
    let bridge = desk.session("bridge").await;
    let mut li = Console::open(&desk, "li").await;
    let mut zhang = Console::open(&desk, "zhang").await;
    // Both consoles are live (past their catch-up) before the night starts,
    // so each receives every decision that follows one by one.
    li.until(2).await;
    zhang.until(2).await;

    // 接报: a fire with no casualties yet.
    let opened = accepted(&wang_session, &live, incident("INC-1")).await;
    li.until(opened).await;
    let inc = &li.mirror.state.incidents[&IncidentId::new("INC-1")];
    assert_eq!(inc.grade, AccidentGrade::Ordinary);

    // 调度: the recommendation as the console computes it goes into the log.
    let shown = recommend(&li.mirror.state, &IncidentId::new("INC-1"), now());
    assert!(!shown.is_empty(), "two available teams to recommend");
    let choice = shown[0].team.clone();
    let issue = Command::IssueOrder {
        order: OrderId::new("O-1"),
        incident: IncidentId::new("INC-1"),
        team: choice.clone(),
        note: "立即出动，到场后向现场指挥部报到".into(),
        recommendation_shown: shown.clone(),
    };
    accepted(&wang_session, &live, issue).await;
    for s in [
        OrderStep::Acknowledged,
        OrderStep::EnRoute,
        OrderStep::OnScene,
    ] {
        accepted(&bridge, &live, step("O-1", s)).await;
    }
    let first = Command::FileReport {
        incident: IncidentId::new("INC-1"),
        kind: ReportKind::First,
        channel: deadline::ReportChannel::Phone,
        to_level: deadline::AdminLevel::County,
        summary: "【报送对象】朝阳区应急管理局值班室\n【伤亡及损失】暂无人员伤亡".into(),
    };
    accepted(&wang_session, &live, first).await;

    // 9 → 10 deaths: 较大 → 重大, and the first report must now climb to
    // the State Council.
    accepted(&wang_session, &live, casualties(9)).await;
    let regraded = accepted(&wang_session, &live, casualties(10)).await;
    li.until(regraded).await;
    let inc = &li.mirror.state.incidents[&IncidentId::new("INC-1")];
    assert_eq!(inc.grade, AccidentGrade::Major);
    let rules = li
        .mirror
        .state
        .rules
        .reporting
        .for_jurisdiction(&inc.jurisdiction);
    let top = reporting_obligations(inc, rules, now())
        .into_iter()
        .filter(|o| o.kind == ReportKind::First)
        .map(|o| o.to)
        .max();
    assert_eq!(top, Some(deadline::AdminLevel::StateCouncil));

    let level = Command::SetResponseLevel {
        incident: IncidentId::new("INC-1"),
        level: Some(ResponseLevel::II),
        detail: ResponseDetail {
            matters: "朝阳区仓库火灾致10人死亡".into(),
            expected_hours: Some(12),
            measures: "全市消防力量增援，封控周边道路".into(),
        },
    };
    // An officer may not start a response; the commander may.
    match wang_session
        .command(&live, level.clone())
        .await
        .expect("answered")
    {
        CommandOutcome::Rejected(Rejection::Forbidden { .. }) => {}
        other => panic!("an officer started a response: {other:?}"),
    }
    accepted(&zhang_session, &live, level).await;
    accepted(&wang_session, &live, step("O-1", OrderStep::Released)).await;
    accepted(&bridge, &live, step("O-1", OrderStep::Available)).await;
    let closed = accepted(
        &wang_session,
        &live,
        Command::CloseIncident {
            incident: IncidentId::new("INC-1"),
            summary: "明火扑灭，现场移交".into(),
        },
    )
    .await;

    li.until(closed).await;
    zhang.until(closed).await;
    // Both consoles hold the same state, byte for byte.
    assert_eq!(
        postcard::to_stdvec(&li.mirror.state).expect("encode"),
        postcard::to_stdvec(&zhang.mirror.state).expect("encode")
    );
    assert_eq!(li.log, zhang.log);

    // The log has each step, by whom, in order.
    let steps: Vec<(String, &str)> = li
        .log
        .iter()
        .filter(|(_, d)| d.actor.role != Role::Admin)
        .map(|(_, d)| (d.actor.user.to_string(), d.command.name()))
        .collect();
    let expected: Vec<(String, &str)> = [
        ("wang", "open incident"),
        ("wang", "issue order"),
        ("bridge", "advance order"),
        ("bridge", "advance order"),
        ("bridge", "advance order"),
        ("wang", "file report"),
        ("wang", "update casualties"),
        ("wang", "update casualties"),
        ("zhang", "set response level"),
        ("wang", "advance order"),
        ("bridge", "advance order"),
        ("wang", "close incident"),
    ]
    .into_iter()
    .map(|(u, c)| (u.to_owned(), c))
    .collect();
    assert_eq!(steps, expected);
    let order = li
        .log
        .iter()
        .find_map(|(_, d)| match &d.command {
            Command::IssueOrder {
                recommendation_shown,
                team,
                ..
            } => Some((recommendation_shown.clone(), team.clone())),
            _ => None,
        })
        .expect("the order is in the log");
    assert_eq!(order, (shown, choice));
    assert!(li.log.iter().all(|(_, d)| d.at.0 > 0));
    desk.relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unacknowledged_order_alerts_once_and_goes_to_the_leader_on_duty() {
    let desk = desk("duty-timeout").await;
    let live = RealmId::live();
    let admin = desk.session("admin").await;
    let rules = Rules {
        ack_timeout: 1_000,
        ..Rules::default()
    };
    accepted(&admin, &live, Command::SetRules(Box::new(rules))).await;
    let t = now();
    accepted(
        &admin,
        &live,
        Command::SetRoster(DutyRoster {
            shifts: vec![Shift {
                starts_at: t.plus(-3_600_000),
                ends_at: t.plus(3_600_000),
                leader: UserId::new("zhang"),
                officers: vec![UserId::new("wang")],
                handover_notes: String::new(),
            }],
        }),
    )
    .await;
    accepted(
        &admin,
        &live,
        team("FR-1", TeamKind::GovernmentFullTimeFire),
    )
    .await;
    let wang = desk.session("wang").await;
    let mut screen = Console::open(&desk, "li").await;
    accepted(&wang, &live, incident("INC-1")).await;
    let issued = accepted(&wang, &live, order("O-1", "INC-1", "FR-1", "出动")).await;
    // The relay's own timer times it out; then nothing more for a while.
    screen.until(issued + 1).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let bridge = desk.session("bridge").await;
    let late = accepted(&bridge, &live, step("O-1", OrderStep::Acknowledged)).await;
    screen.until(late).await;
    let escalations: Vec<(Role, Option<UserId>)> = screen
        .log
        .iter()
        .flat_map(|(_, d)| d.events.iter())
        .filter_map(|e| match &e.kind {
            EventKind::OrderEscalated { to, .. } => Some((e.actor.role, to.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        escalations,
        vec![(Role::System, Some(UserId::new("zhang")))]
    );
    assert_eq!(
        late,
        issued + 2,
        "one time-out decision between issue and answer"
    );
    assert_eq!(
        screen.mirror.state.orders[&OrderId::new("O-1")].status,
        OrderStatus::Acknowledged
    );
    desk.relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_supply_requests_from_two_consoles_never_over_allocate() {
    let desk = desk("duty-supplies").await;
    let live = RealmId::live();
    let admin = desk.session("admin").await;
    accepted(&admin, &live, depot(100)).await;
    let wang = Arc::new(desk.session("wang").await);
    let li = Arc::new(desk.session("li").await);
    accepted(&wang, &live, incident("INC-1")).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let s = if i % 2 == 0 { wang.clone() } else { li.clone() };
        let live = live.clone();
        tasks.push(tokio::spawn(async move {
            s.command(
                &live,
                Command::ReserveSupplies {
                    reservation: ReservationId::new(format!("R-{i}")),
                    incident: IncidentId::new("INC-1"),
                    depot: DepotId::new("D-1"),
                    lines: [(ItemId::new("foam"), 15)].into_iter().collect(),
                },
            )
            .await
            .expect("answered")
        }));
    }
    let mut accepted_n = 0;
    let mut last = 0;
    for t in tasks {
        match t.await.expect("task") {
            CommandOutcome::Accepted { seq } => {
                accepted_n += 1;
                last = last.max(seq);
            }
            CommandOutcome::Rejected(Rejection::InsufficientStock { .. }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    // 6 × 15 = 90 fit in 100; a seventh would need 105.
    assert_eq!(accepted_n, 6);
    let mut screen = Console::open(&desk, "zhang").await;
    screen.until(last).await;
    let line = &screen.mirror.state.depots[&DepotId::new("D-1")].stock[&ItemId::new("foam")];
    assert_eq!((line.on_hand, line.reserved, line.free()), (100, 90, 10));
    desk.relay.shutdown().await;
}
