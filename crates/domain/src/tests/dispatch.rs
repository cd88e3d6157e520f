use super::world::*;
use crate::*;

fn issue(s: &mut State, order: &str, team: &str) {
    must(
        s,
        Command::IssueOrder {
            order: OrderId::new(order),
            incident: IncidentId::new("INC-1"),
            team: TeamId::new(team),
            note: "前往现场".into(),
            recommendation_shown: recommend(s, &IncidentId::new("INC-1"), T0),
        },
        Role::DutyOfficer,
        T0,
    );
}

fn step(s: &mut State, order: &str, step: OrderStep) -> Result<Vec<Event>, Rejection> {
    let cmd = Command::AdvanceOrder {
        order: OrderId::new(order),
        step,
    };
    let role = match &cmd {
        Command::AdvanceOrder {
            step: OrderStep::TimedOut,
            ..
        } => Role::System,
        _ => Role::Commander,
    };
    let events = decide(s, &cmd, &ctx(role, T0.plus(60_000)))?;
    for e in &events {
        s.apply(e);
    }
    Ok(events)
}

fn all_steps() -> Vec<OrderStep> {
    vec![
        OrderStep::Delivered,
        OrderStep::Acknowledged,
        OrderStep::Refused {
            reason: "车辆故障".into(),
        },
        OrderStep::TimedOut,
        OrderStep::EnRoute,
        OrderStep::OnScene,
        OrderStep::Released,
        OrderStep::Returning,
        OrderStep::Available,
        OrderStep::Cancelled {
            reason: "已由其他队伍处置".into(),
        },
    ]
}

#[test]
fn full_lifecycle_moves_the_team_and_frees_it_at_the_end() {
    let mut s = world();
    issue(&mut s, "O-1", "FR-1");
    let team = |s: &State| s.teams[&TeamId::new("FR-1")].status.clone();
    let o1 = OrderId::new("O-1");
    assert_eq!(team(&s), TeamStatus::Assigned(o1.clone()));
    assert_eq!(
        s.incidents[&IncidentId::new("INC-1")].status,
        IncidentStatus::Responding
    );
    for st in [
        OrderStep::Delivered,
        OrderStep::Acknowledged,
        OrderStep::EnRoute,
    ] {
        step(&mut s, "O-1", st).expect("legal step");
    }
    assert_eq!(team(&s), TeamStatus::EnRoute(o1.clone()));
    step(&mut s, "O-1", OrderStep::OnScene).expect("legal");
    assert_eq!(team(&s), TeamStatus::OnScene(o1.clone()));
    step(&mut s, "O-1", OrderStep::Released).expect("legal");
    step(&mut s, "O-1", OrderStep::Returning).expect("legal");
    assert_eq!(team(&s), TeamStatus::Returning(o1.clone()));
    step(&mut s, "O-1", OrderStep::Available).expect("legal");
    assert_eq!(team(&s), TeamStatus::Available);
    let order = &s.orders[&o1];
    assert_eq!(order.status, OrderStatus::Available);
    assert_eq!(order.history.len(), 7);
}

#[test]
fn every_step_from_every_reachable_status_is_applied_or_rejected_as_illegal() {
    // Paths that reach each status from Issued.
    let reach: Vec<Vec<OrderStep>> = vec![
        vec![],
        vec![OrderStep::Delivered],
        vec![OrderStep::Delivered, OrderStep::Acknowledged],
        vec![OrderStep::Delivered, OrderStep::TimedOut],
        vec![
            OrderStep::Delivered,
            OrderStep::Acknowledged,
            OrderStep::EnRoute,
        ],
        vec![
            OrderStep::Delivered,
            OrderStep::Acknowledged,
            OrderStep::EnRoute,
            OrderStep::OnScene,
        ],
        vec![
            OrderStep::Delivered,
            OrderStep::Acknowledged,
            OrderStep::EnRoute,
            OrderStep::OnScene,
            OrderStep::Released,
        ],
        vec![
            OrderStep::Delivered,
            OrderStep::Acknowledged,
            OrderStep::EnRoute,
            OrderStep::OnScene,
            OrderStep::Released,
            OrderStep::Returning,
        ],
    ];
    for path in reach {
        for attempt in all_steps() {
            let mut s = world();
            issue(&mut s, "O-1", "FR-1");
            for p in &path {
                step(&mut s, "O-1", p.clone()).expect("path is legal");
            }
            let from = s.orders[&OrderId::new("O-1")].status;
            let to = attempt.target();
            let implied_delivery = from == OrderStatus::Issued
                && matches!(to, OrderStatus::Acknowledged | OrderStatus::Refused);
            match step(&mut s, "O-1", attempt.clone()) {
                Ok(events) => {
                    assert!(
                        from.can_step_to(to) || implied_delivery,
                        "{from:?} -> {to:?} was accepted"
                    );
                    assert_eq!(s.orders[&OrderId::new("O-1")].status, to);
                    // A time-out also escalates to the leader on duty.
                    let escalation = usize::from(to == OrderStatus::TimedOut);
                    assert_eq!(events.len(), usize::from(implied_delivery) + 1 + escalation);
                }
                Err(Rejection::IllegalTransition { from: f, to: t, .. }) => {
                    assert!(!from.can_step_to(to) && !implied_delivery);
                    assert_eq!((f, t), (from, to));
                    assert_eq!(s.orders[&OrderId::new("O-1")].status, from);
                }
                Err(other) => panic!("unexpected rejection {other}"),
            }
        }
    }
}

#[test]
fn an_acknowledgement_before_the_delivery_receipt_records_both() {
    let mut s = world();
    issue(&mut s, "O-1", "FR-1");
    let events = step(&mut s, "O-1", OrderStep::Acknowledged).expect("legal");
    let tos: Vec<OrderStatus> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::OrderAdvanced { to, .. } => Some(*to),
            _ => None,
        })
        .collect();
    assert_eq!(tos, [OrderStatus::Delivered, OrderStatus::Acknowledged]);
}

#[test]
fn a_busy_team_cannot_be_ordered_again() {
    let mut s = world();
    issue(&mut s, "O-1", "FR-1");
    let r = decide(
        &s,
        &Command::IssueOrder {
            order: OrderId::new("O-2"),
            incident: IncidentId::new("INC-1"),
            team: TeamId::new("FR-1"),
            note: String::new(),
            recommendation_shown: vec![],
        },
        &ctx(Role::DutyOfficer, T0),
    );
    assert!(matches!(r, Err(Rejection::TeamUnavailable { .. })), "{r:?}");
}

#[test]
fn refusal_frees_the_team_and_keeps_the_reason() {
    let mut s = world();
    issue(&mut s, "O-1", "FR-1");
    step(&mut s, "O-1", OrderStep::Delivered).expect("legal");
    step(
        &mut s,
        "O-1",
        OrderStep::Refused {
            reason: "车辆故障".into(),
        },
    )
    .expect("legal");
    assert_eq!(s.teams[&TeamId::new("FR-1")].status, TeamStatus::Available);
    let last = s.orders[&OrderId::new("O-1")].history.last().cloned();
    assert_eq!(last.and_then(|t| t.reason).as_deref(), Some("车辆故障"));
}

#[test]
fn an_empty_refusal_reason_is_rejected() {
    let mut s = world();
    issue(&mut s, "O-1", "FR-1");
    let r = step(
        &mut s,
        "O-1",
        OrderStep::Refused {
            reason: "  ".into(),
        },
    );
    assert!(
        matches!(r, Err(Rejection::Invalid { ref field, .. }) if field == "reason"),
        "{r:?}"
    );
}

#[test]
fn the_order_keeps_the_recommendation_that_was_on_screen() {
    let mut s = world();
    issue(&mut s, "O-1", "HZ-1");
    let o = &s.orders[&OrderId::new("O-1")];
    assert_eq!(o.recommendation_shown.len(), 3);
    assert_eq!(o.recommendation_shown[0].team, TeamId::new("HZ-1"));
}

#[test]
fn an_incident_with_active_orders_cannot_be_closed() {
    let mut s = world();
    issue(&mut s, "O-1", "FR-1");
    let close = Command::CloseIncident {
        incident: IncidentId::new("INC-1"),
        summary: "处置完毕".into(),
    };
    assert!(decide(&s, &close, &ctx(Role::DutyOfficer, T0)).is_err());
    step(
        &mut s,
        "O-1",
        OrderStep::Cancelled {
            reason: "误报".into(),
        },
    )
    .expect("legal");
    must(&mut s, close, Role::DutyOfficer, T0);
    let again = decide(
        &s,
        &Command::IssueOrder {
            order: OrderId::new("O-9"),
            incident: IncidentId::new("INC-1"),
            team: TeamId::new("MD-1"),
            note: String::new(),
            recommendation_shown: vec![],
        },
        &ctx(Role::DutyOfficer, T0),
    );
    assert_eq!(
        again,
        Err(Rejection::IncidentClosed(IncidentId::new("INC-1")))
    );
}

#[test]
fn casualty_update_regrades_the_incident() {
    let mut s = world();
    let events = must(
        &mut s,
        Command::UpdateCasualties {
            incident: IncidentId::new("INC-1"),
            casualties: Casualties {
                deaths: 3,
                serious_injuries: 0,
                missing: 0,
            },
            direct_loss_yuan: 0,
        },
        Role::DutyOfficer,
        T0.plus(1000),
    );
    assert!(events.iter().any(|e| matches!(
        e.kind,
        EventKind::GradeChanged {
            from: AccidentGrade::Ordinary,
            to: AccidentGrade::Larger,
            ..
        }
    )));
    assert_eq!(
        s.incidents[&IncidentId::new("INC-1")].grade,
        AccidentGrade::Larger
    );
}

#[test]
fn response_level_and_warning_are_separate_from_grade() {
    let mut s = world();
    must(
        &mut s,
        Command::SetResponseLevel {
            incident: IncidentId::new("INC-1"),
            level: Some(ResponseLevel::II),
            detail: crate::duty::ResponseDetail {
                matters: "仓库火灾".into(),
                expected_hours: Some(6),
                measures: "封控周边道路".into(),
            },
        },
        Role::Commander,
        T0,
    );
    must(
        &mut s,
        Command::SetWarning {
            incident: IncidentId::new("INC-1"),
            colour: Some(WarningColour::Orange),
        },
        Role::DutyOfficer,
        T0,
    );
    let i = &s.incidents[&IncidentId::new("INC-1")];
    assert_eq!(i.grade, AccidentGrade::Ordinary);
    assert_eq!(i.response_level, Some(ResponseLevel::II));
    assert_eq!(i.warning, Some(WarningColour::Orange));
}

#[test]
fn authorization_matrix_is_enforced() {
    let s = world();
    let order = Command::IssueOrder {
        order: OrderId::new("O-1"),
        incident: IncidentId::new("INC-1"),
        team: TeamId::new("FR-1"),
        note: String::new(),
        recommendation_shown: vec![],
    };
    let level = Command::SetResponseLevel {
        incident: IncidentId::new("INC-1"),
        level: Some(ResponseLevel::I),
        detail: crate::duty::ResponseDetail {
            matters: "仓库火灾".into(),
            ..Default::default()
        },
    };
    let timeout = Command::AdvanceOrder {
        order: OrderId::new("O-1"),
        step: OrderStep::TimedOut,
    };
    let allowed = |role: Role, cmd: &Command| {
        !matches!(
            decide(&s, cmd, &ctx(role, T0)),
            Err(Rejection::Forbidden { .. })
        )
    };
    assert!(allowed(Role::DutyOfficer, &order));
    assert!(allowed(Role::Commander, &order));
    for role in [
        Role::Observer,
        Role::FieldGateway,
        Role::Admin,
        Role::DrillDirector,
        Role::System,
    ] {
        assert!(!allowed(role, &order), "{role:?} may not dispatch");
    }
    assert!(allowed(Role::Commander, &level));
    assert!(
        !allowed(Role::DutyOfficer, &level),
        "only the leader starts a response"
    );
    assert!(allowed(Role::System, &timeout));
    assert!(!allowed(Role::DutyOfficer, &timeout));
    assert!(!allowed(Role::FieldGateway, &timeout));
}

#[test]
fn a_drill_director_acts_only_in_drill_realms() {
    let s = world();
    let cmd = Command::OpenIncident(Box::new(intake("INC-D", Sector::Fire, 0)));
    let mut c = ctx(Role::DrillDirector, T0);
    assert!(matches!(
        decide(&s, &cmd, &c),
        Err(Rejection::Forbidden { .. })
    ));
    c.realm = RealmKind::Drill;
    assert!(decide(&s, &cmd, &c).is_ok());
}

#[test]
fn events_carry_time_and_actor() {
    let s = world();
    let c = Context {
        now: T0.plus(5),
        actor: officer(),
        realm: RealmKind::Live,
    };
    let events = decide(
        &s,
        &Command::SetWarning {
            incident: IncidentId::new("INC-1"),
            colour: Some(WarningColour::Blue),
        },
        &c,
    )
    .expect("allowed");
    assert!(events.iter().all(|e| e.at == c.now && e.actor == c.actor));
}
