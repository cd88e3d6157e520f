//! Roll calls, handover, escalation on time-out, jurisdiction areas,
//! regrading and interval metrics.

use super::world::*;
use crate::deadline::AdminLevel;
use crate::metrics::{Interval, percentile, samples, summarize};
use crate::time::{MINUTE, SECOND};
use crate::*;

fn as_user(user: &str, role: Role, now: Timestamp) -> Context {
    Context {
        now,
        actor: Actor::new(user, role, "console-1"),
        realm: RealmKind::Live,
    }
}

fn run(s: &mut State, cmd: Command, ctx: &Context) -> Result<Vec<Event>, Rejection> {
    let events = decide(s, &cmd, ctx)?;
    for e in &events {
        s.apply(e);
    }
    Ok(events)
}

fn roll_call(s: &mut State) {
    must(
        s,
        Command::StartCall {
            call: CallId::new("C-1"),
            kind: CallKind::RollCall,
            message: "周通信测试，请各队应答".into(),
            addressed_as: "全部队伍".into(),
            teams: vec![
                TeamId::new("HZ-1"),
                TeamId::new("FR-1"),
                TeamId::new("MD-1"),
            ],
        },
        Role::DutyOfficer,
        T0,
    );
}

#[test]
fn roll_call_records_who_answered_and_how_fast() {
    let mut s = world();
    roll_call(&mut s);
    let field = Role::FieldGateway;
    for (team, secs) in [("FR-1", 40), ("HZ-1", 95)] {
        must(
            &mut s,
            Command::AnswerCall {
                call: CallId::new("C-1"),
                team: TeamId::new(team),
            },
            field,
            T0.plus(secs * SECOND),
        );
    }
    let again = decide(
        &s,
        &Command::AnswerCall {
            call: CallId::new("C-1"),
            team: TeamId::new("FR-1"),
        },
        &ctx(field, T0.plus(MINUTE * 2)),
    );
    assert!(
        matches!(again, Err(Rejection::Duplicate { .. })),
        "{again:?}"
    );
    must(
        &mut s,
        Command::CloseCall {
            call: CallId::new("C-1"),
        },
        Role::DutyOfficer,
        T0.plus(3 * MINUTE),
    );
    let c = &s.calls[&CallId::new("C-1")];
    assert_eq!(c.silent(), vec![&TeamId::new("MD-1")]);
    let times: Vec<(String, i64)> = c
        .answer_times()
        .into_iter()
        .map(|(t, d)| (t.to_string(), d))
        .collect();
    assert_eq!(
        times,
        vec![("FR-1".into(), 40 * SECOND), ("HZ-1".into(), 95 * SECOND)]
    );
    let late = decide(
        &s,
        &Command::AnswerCall {
            call: CallId::new("C-1"),
            team: TeamId::new("MD-1"),
        },
        &ctx(field, T0.plus(4 * MINUTE)),
    );
    assert!(
        matches!(&late, Err(Rejection::Invalid { field, .. }) if field == "call"),
        "{late:?}"
    );
}

#[test]
fn a_call_must_address_known_teams_once() {
    let s = world();
    let call = |teams: Vec<&str>| Command::StartCall {
        call: CallId::new("C-2"),
        kind: CallKind::Broadcast,
        message: "暴雨红色预警，各队备勤".into(),
        addressed_as: "手选".into(),
        teams: teams.into_iter().map(TeamId::new).collect(),
    };
    let officer = ctx(Role::DutyOfficer, T0);
    assert!(matches!(
        decide(&s, &call(vec![]), &officer),
        Err(Rejection::Invalid { field, .. }) if field == "teams"
    ));
    assert!(matches!(
        decide(&s, &call(vec!["FR-1", "FR-1"]), &officer),
        Err(Rejection::Invalid { field, .. }) if field == "teams"
    ));
    assert!(matches!(
        decide(&s, &call(vec!["NOPE"]), &officer),
        Err(Rejection::Unknown { .. })
    ));
    assert!(decide(&s, &call(vec!["FR-1", "MD-1"]), &officer).is_ok());
    let outsider = decide(
        &s,
        &Command::AnswerCall {
            call: CallId::new("C-2"),
            team: TeamId::new("FR-1"),
        },
        &ctx(Role::FieldGateway, T0),
    );
    assert!(matches!(outsider, Err(Rejection::Unknown { .. })));
}

fn order(s: &mut State, id: &str, team: &str, at: Timestamp) {
    must(
        s,
        Command::IssueOrder {
            order: OrderId::new(id),
            incident: IncidentId::new("INC-1"),
            team: TeamId::new(team),
            note: "前往处置".into(),
            recommendation_shown: vec![],
        },
        Role::DutyOfficer,
        at,
    );
}

fn roster(s: &mut State) {
    must(
        s,
        Command::SetRoster(DutyRoster {
            shifts: vec![Shift {
                starts_at: T0.plus(-HOUR_MS),
                ends_at: T0.plus(23 * HOUR_MS),
                leader: UserId::new("张建国"),
                officers: vec![UserId::new("王丽")],
                handover_notes: String::new(),
            }],
        }),
        Role::Admin,
        T0,
    );
}

const HOUR_MS: i64 = 60 * MINUTE;

#[test]
fn a_time_out_escalates_to_the_leader_on_duty_exactly_once() {
    let mut s = world();
    roster(&mut s);
    order(&mut s, "O-1", "FR-1", T0);
    let timeout = Command::AdvanceOrder {
        order: OrderId::new("O-1"),
        step: OrderStep::TimedOut,
    };
    let events = must(&mut s, timeout.clone(), Role::System, T0.plus(3 * MINUTE));
    let escalations: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::OrderEscalated { order, to } => Some((order.clone(), to.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        escalations,
        vec![(OrderId::new("O-1"), Some(UserId::new("张建国")))]
    );
    // A second time-out of the same order is an illegal transition: no
    // second alert.
    assert!(matches!(
        decide(&s, &timeout, &ctx(Role::System, T0.plus(4 * MINUTE))),
        Err(Rejection::IllegalTransition { .. })
    ));
    // The team may still answer late.
    must(
        &mut s,
        Command::AdvanceOrder {
            order: OrderId::new("O-1"),
            step: OrderStep::Acknowledged,
        },
        Role::FieldGateway,
        T0.plus(5 * MINUTE),
    );
    assert_eq!(
        s.orders[&OrderId::new("O-1")].status,
        OrderStatus::Acknowledged
    );
}

#[test]
fn handover_lists_what_is_open_and_only_the_named_officer_accepts_it() {
    let mut s = world();
    order(&mut s, "O-1", "FR-1", T0);
    roll_call(&mut s);
    must(
        &mut s,
        Command::ReserveSupplies {
            reservation: ReservationId::new("R-1"),
            incident: IncidentId::new("INC-1"),
            depot: DepotId::new("D-1"),
            lines: lines(&[("foam", 10)]),
        },
        Role::DutyOfficer,
        T0,
    );
    let outgoing = as_user("王丽", Role::DutyOfficer, T0.plus(30 * MINUTE));
    run(
        &mut s,
        Command::GiveHandover {
            handover: HandoverId::new("H-1"),
            to: UserId::new("李强"),
            notes: "德惠泄漏现场仍在处置，注意续报".into(),
        },
        &outgoing,
    )
    .unwrap();
    let h = &s.handovers[&HandoverId::new("H-1")];
    assert_eq!(h.from, UserId::new("王丽"));
    assert_eq!(h.summary.open_incidents.len(), 1);
    assert_eq!(h.summary.pending_acks, vec![OrderId::new("O-1")]);
    assert_eq!(h.summary.teams_committed, vec![TeamId::new("FR-1")]);
    assert_eq!(h.summary.supplies_out, vec![ReservationId::new("R-1")]);
    assert_eq!(h.summary.open_calls, vec![CallId::new("C-1")]);
    // No report was filed: the first report to the county is overdue
    // (1 h after occurrence is still ahead at T0+30min: due, not overdue).
    let first = h
        .summary
        .reports_due
        .iter()
        .find(|r| r.kind == ReportKind::First)
        .expect("first report listed");
    assert!(!first.overdue);

    let accept = Command::AcceptHandover {
        handover: HandoverId::new("H-1"),
    };
    let stranger = as_user("赵敏", Role::DutyOfficer, T0.plus(31 * MINUTE));
    assert!(matches!(
        run(&mut s, accept.clone(), &stranger),
        Err(Rejection::Invalid { field, .. }) if field == "handover"
    ));
    let incoming = as_user("李强", Role::DutyOfficer, T0.plus(32 * MINUTE));
    run(&mut s, accept.clone(), &incoming).unwrap();
    assert_eq!(
        s.handovers[&HandoverId::new("H-1")].accepted_at,
        Some(T0.plus(32 * MINUTE))
    );
    assert!(run(&mut s, accept, &incoming).is_err());
    // Handing over to oneself is refused.
    assert!(matches!(
        run(
            &mut s,
            Command::GiveHandover {
                handover: HandoverId::new("H-2"),
                to: UserId::new("李强"),
                notes: String::new(),
            },
            &incoming,
        ),
        Err(Rejection::Invalid { field, .. }) if field == "to"
    ));
}

fn with_areas(s: &mut State) {
    let mut rules = s.rules.clone();
    rules.jurisdictions.insert(
        JurisdictionId::new("德惠市"),
        Jurisdiction {
            name: "德惠市".into(),
            area: vec![
                GeoPoint::new(44.3, 125.4),
                GeoPoint::new(44.3, 126.0),
                GeoPoint::new(44.8, 126.0),
                GeoPoint::new(44.8, 125.4),
            ],
        },
    );
    must(s, Command::SetRules(Box::new(rules)), Role::Admin, T0);
}

#[test]
fn an_incident_outside_its_jurisdiction_is_refused_naming_the_field() {
    let mut s = world();
    with_areas(&mut s);
    let mut outside = intake("INC-2", Sector::Fire, 0);
    outside.position = GeoPoint::new(43.88, 125.32); // Changchun centre
    let r = decide(
        &s,
        &Command::OpenIncident(Box::new(outside)),
        &ctx(Role::DutyOfficer, T0),
    );
    assert!(
        matches!(&r, Err(Rejection::Invalid { field, .. }) if field == "position"),
        "{r:?}"
    );
    let mut unknown = intake("INC-3", Sector::Fire, 0);
    unknown.jurisdiction = JurisdictionId::new("火星");
    let r = decide(
        &s,
        &Command::OpenIncident(Box::new(unknown)),
        &ctx(Role::DutyOfficer, T0),
    );
    assert!(
        matches!(&r, Err(Rejection::Invalid { field, .. }) if field == "jurisdiction"),
        "{r:?}"
    );
    assert!(
        decide(
            &s,
            &Command::OpenIncident(Box::new(intake("INC-4", Sector::Fire, 0))),
            &ctx(Role::DutyOfficer, T0),
        )
        .is_ok()
    );
    assert_eq!(
        jurisdiction_at(&s.rules, GeoPoint::new(44.53, 125.70)),
        Some(&JurisdictionId::new("德惠市"))
    );
    assert_eq!(
        jurisdiction_at(&s.rules, GeoPoint::new(43.88, 125.32)),
        None
    );
}

#[test]
fn ten_deaths_regrade_to_major_and_raise_the_reporting_chain() {
    let mut s = world();
    let update = |deaths| Command::UpdateCasualties {
        incident: IncidentId::new("INC-1"),
        casualties: Casualties {
            deaths,
            ..Default::default()
        },
        direct_loss_yuan: 0,
    };
    must(&mut s, update(9), Role::DutyOfficer, T0.plus(MINUTE));
    let top = |s: &State| {
        let i = &s.incidents[&IncidentId::new("INC-1")];
        let rules = s.rules.reporting.for_jurisdiction(&i.jurisdiction);
        reporting_obligations(i, rules, T0.plus(2 * MINUTE))
            .iter()
            .filter(|o| o.kind == ReportKind::First)
            .map(|o| o.to)
            .max()
    };
    assert_eq!(
        s.incidents[&IncidentId::new("INC-1")].grade,
        AccidentGrade::Larger
    );
    assert_eq!(top(&s), Some(AdminLevel::Province));
    let events = must(&mut s, update(10), Role::DutyOfficer, T0.plus(2 * MINUTE));
    assert!(events.iter().any(|e| matches!(
        e.kind,
        EventKind::GradeChanged {
            from: AccidentGrade::Larger,
            to: AccidentGrade::Major,
            ..
        }
    )));
    assert_eq!(top(&s), Some(AdminLevel::StateCouncil));
}

#[test]
fn intervals_are_measured_from_the_order_history() {
    let mut s = world();
    order(&mut s, "O-1", "FR-1", T0.plus(45 * SECOND));
    for (step, at) in [
        (OrderStep::Acknowledged, 75),
        (OrderStep::EnRoute, 135),
        (OrderStep::OnScene, 735),
    ] {
        must(
            &mut s,
            Command::AdvanceOrder {
                order: OrderId::new("O-1"),
                step,
            },
            Role::FieldGateway,
            T0.plus(at * SECOND),
        );
    }
    let all = samples(&s);
    let took = |i: Interval| all.iter().find(|x| x.interval == i).map(|x| x.took);
    assert_eq!(took(Interval::Processing), Some(45 * SECOND));
    assert_eq!(took(Interval::Acknowledge), Some(30 * SECOND));
    assert_eq!(took(Interval::Turnout), Some(60 * SECOND));
    assert_eq!(took(Interval::Travel), Some(600 * SECOND));
    let sum = summarize(&all, |_| true);
    assert_eq!(sum[0].meets_anchor, Some(true));
    assert_eq!(sum[1].meets_anchor, None);
}

#[test]
fn percentiles_use_the_nearest_rank() {
    let v: Vec<i64> = (1..=10).collect();
    assert_eq!(percentile(&v, 50), Some(5));
    assert_eq!(percentile(&v, 90), Some(9));
    assert_eq!(percentile(&v, 100), Some(10));
    assert_eq!(percentile(&[7], 90), Some(7));
    assert_eq!(percentile(&[], 90), None);
}

#[test]
fn response_level_needs_its_matters_and_lifting_clears_them() {
    let mut s = world();
    let set = |level, matters: &str| Command::SetResponseLevel {
        incident: IncidentId::new("INC-1"),
        level,
        detail: ResponseDetail {
            matters: matters.into(),
            expected_hours: Some(4),
            measures: "疏散下风向群众".into(),
        },
    };
    let commander = ctx(Role::Commander, T0);
    assert!(matches!(
        decide(&s, &set(Some(ResponseLevel::III), " "), &commander),
        Err(Rejection::Invalid { field, .. }) if field == "matters"
    ));
    must(
        &mut s,
        set(Some(ResponseLevel::III), "液氨泄漏"),
        Role::Commander,
        T0,
    );
    must(
        &mut s,
        set(Some(ResponseLevel::II), "液氨泄漏扩大"),
        Role::Commander,
        T0,
    );
    let i = &s.incidents[&IncidentId::new("INC-1")];
    assert_eq!(i.response_level, Some(ResponseLevel::II));
    assert_eq!(
        i.response_detail.as_ref().map(|d| d.matters.as_str()),
        Some("液氨泄漏扩大")
    );
    must(&mut s, set(None, ""), Role::Commander, T0);
    let i = &s.incidents[&IncidentId::new("INC-1")];
    assert_eq!(i.response_level, None);
    assert_eq!(i.response_detail, None);
}

#[test]
fn a_support_request_stays_open_until_met() {
    let mut s = world();
    let ask = |what: Option<&str>| Command::RequestSupport {
        team: TeamId::new("FR-1"),
        what: what.map(str::to_owned),
    };
    assert!(matches!(
        decide(&s, &ask(None), &ctx(Role::FieldGateway, T0)),
        Err(Rejection::Invalid { field, .. }) if field == "what"
    ));
    assert!(matches!(
        decide(&s, &ask(Some(" ")), &ctx(Role::FieldGateway, T0)),
        Err(Rejection::Invalid { field, .. }) if field == "what"
    ));
    must(
        &mut s,
        ask(Some("需要照明车和两台排烟机")),
        Role::FieldGateway,
        T0,
    );
    let t = &s.teams[&TeamId::new("FR-1")];
    assert_eq!(
        t.support,
        Some(SupportRequest {
            what: "需要照明车和两台排烟机".into(),
            at: T0
        })
    );
    must(&mut s, ask(None), Role::DutyOfficer, T0.plus(MINUTE));
    assert_eq!(s.teams[&TeamId::new("FR-1")].support, None);
}
