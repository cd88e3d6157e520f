use super::world::*;
use crate::deadline::{AdminLevel, ReportChannel, ReportingRules};
use crate::time::{HOUR, MINUTE};
use crate::*;

fn incident(grade_deaths: u32) -> Incident {
    let mut s = State::default();
    must(
        &mut s,
        Command::OpenIncident(Box::new(intake("I", Sector::Mine, grade_deaths))),
        Role::DutyOfficer,
        T0,
    );
    s.incidents[&IncidentId::new("I")].clone()
}

fn file(i: &mut Incident, kind: ReportKind, to: AdminLevel, at: Timestamp) {
    i.reports.push(crate::incident::FiledReport {
        kind,
        channel: ReportChannel::Phone,
        to_level: to,
        filed_at: at,
        by: UserId::new("wang"),
        summary: "情况".into(),
    });
}

#[test]
fn ordinary_incident_reports_to_county_in_1h_and_city_2h_later() {
    let i = incident(0);
    let o = reporting_obligations(&i, &ReportingRules::default(), T0.plus(30 * MINUTE));
    let firsts: Vec<(AdminLevel, Timestamp)> = o
        .iter()
        .filter(|o| o.kind == ReportKind::First)
        .map(|o| (o.to, o.due_at))
        .collect();
    assert_eq!(
        firsts,
        [
            (AdminLevel::County, T0.plus(HOUR)),
            (AdminLevel::City, T0.plus(3 * HOUR)),
        ]
    );
    assert_eq!(
        o[0].status,
        ObligationStatus::Pending {
            remaining: 30 * MINUTE
        }
    );
}

#[test]
fn a_report_due_at_exactly_now_is_overdue_by_zero_not_pending() {
    let i = incident(0);
    let o = reporting_obligations(&i, &ReportingRules::default(), T0.plus(HOUR));
    assert_eq!(o[0].status, ObligationStatus::Overdue { by: 0 });
}

#[test]
fn major_incident_reaches_the_state_council_and_chains_from_actual_filing() {
    let mut i = incident(10);
    assert_eq!(i.grade, AccidentGrade::Major);
    // County got it after 40 min: the city's deadline counts from then.
    file(
        &mut i,
        ReportKind::First,
        AdminLevel::County,
        T0.plus(40 * MINUTE),
    );
    let o = reporting_obligations(&i, &ReportingRules::default(), T0.plus(5 * HOUR));
    let firsts: Vec<(AdminLevel, Timestamp, bool)> = o
        .iter()
        .filter(|o| o.kind == ReportKind::First)
        .map(|o| (o.to, o.due_at, o.is_overdue()))
        .collect();
    assert_eq!(
        firsts,
        [
            (AdminLevel::County, T0.plus(HOUR), false),
            (AdminLevel::City, T0.plus(40 * MINUTE + 2 * HOUR), true),
            (AdminLevel::Province, T0.plus(40 * MINUTE + 4 * HOUR), true),
            (
                AdminLevel::StateCouncil,
                T0.plus(40 * MINUTE + 6 * HOUR),
                false
            ),
        ]
    );
}

#[test]
fn late_report_is_done_but_marked_late() {
    let mut i = incident(0);
    file(
        &mut i,
        ReportKind::First,
        AdminLevel::County,
        T0.plus(75 * MINUTE),
    );
    let o = reporting_obligations(&i, &ReportingRules::default(), T0.plus(2 * HOUR));
    assert_eq!(
        o[0].status,
        ObligationStatus::Done {
            filed_at: T0.plus(75 * MINUTE),
            late_by: 15 * MINUTE
        }
    );
}

#[test]
fn city_tightening_adds_phone_and_written_deadlines_for_major_only() {
    let rules = ReportingRules::default().with_city_tightening();
    let minor = reporting_obligations(&incident(3), &rules, T0);
    assert!(minor.iter().all(|o| o.channel.is_none()));
    let major = reporting_obligations(&incident(10), &rules, T0);
    let tight: Vec<(Option<ReportChannel>, Timestamp, AdminLevel)> = major
        .iter()
        .filter(|o| o.channel.is_some())
        .map(|o| (o.channel, o.due_at, o.to))
        .collect();
    assert_eq!(
        tight,
        [
            (
                Some(ReportChannel::Phone),
                T0.plus(15 * MINUTE),
                AdminLevel::Province
            ),
            (
                Some(ReportChannel::Written),
                T0.plus(30 * MINUTE),
                AdminLevel::Province
            ),
        ]
    );
}

#[test]
fn follow_up_cadence_is_daily_and_twice_daily_for_major() {
    let rules = ReportingRules::default();
    for (deaths, cadence) in [
        (0, 24 * HOUR),
        (3, 24 * HOUR),
        (10, 12 * HOUR),
        (30, 12 * HOUR),
    ] {
        let mut i = incident(deaths);
        file(
            &mut i,
            ReportKind::First,
            AdminLevel::County,
            T0.plus(HOUR / 2),
        );
        let o = reporting_obligations(&i, &rules, T0.plus(HOUR));
        let f = o
            .iter()
            .find(|o| o.kind == ReportKind::FollowUp(1))
            .expect("follow-up due");
        assert_eq!(f.due_at, T0.plus(HOUR / 2 + cadence), "deaths {deaths}");
    }
}

#[test]
fn no_follow_up_after_the_final_report() {
    let mut i = incident(0);
    file(
        &mut i,
        ReportKind::First,
        AdminLevel::County,
        T0.plus(HOUR / 2),
    );
    file(&mut i, ReportKind::Final, AdminLevel::City, T0.plus(HOUR));
    let o = reporting_obligations(&i, &ReportingRules::default(), T0.plus(2 * HOUR));
    assert!(!o.iter().any(|o| matches!(o.kind, ReportKind::FollowUp(_))));
}

#[test]
fn casualty_change_after_first_report_needs_a_supplement_within_the_window() {
    let rules = ReportingRules::default();
    let mut i = incident(0);
    file(
        &mut i,
        ReportKind::First,
        AdminLevel::County,
        T0.plus(HOUR / 2),
    );
    i.casualties_changed_at = Some(T0.plus(2 * HOUR));
    let o = reporting_obligations(&i, &rules, T0.plus(5 * HOUR));
    let sup = o
        .iter()
        .find(|o| o.kind == ReportKind::Supplement)
        .expect("supplement due");
    assert_eq!(sup.due_at, T0.plus(4 * HOUR));
    assert!(sup.is_overdue());

    // Outside the 30-day window (mine accident) nothing is due.
    i.casualties_changed_at = Some(T0.plus(31 * 24 * HOUR));
    let o = reporting_obligations(&i, &rules, T0.plus(32 * 24 * HOUR));
    assert!(!o.iter().any(|o| o.kind == ReportKind::Supplement));
}

#[test]
fn jurisdiction_override_replaces_the_default() {
    let mut book = crate::deadline::ReportingRuleBook::default();
    let strict = ReportingRules {
        unit_to_county: 30 * MINUTE,
        ..ReportingRules::default()
    };
    book.by_jurisdiction
        .insert(JurisdictionId::new("德惠市"), strict);
    let i = incident(0);
    let o = reporting_obligations(&i, book.for_jurisdiction(&i.jurisdiction), T0);
    assert_eq!(o[0].due_at, T0.plus(30 * MINUTE));
    let other = book.for_jurisdiction(&JurisdictionId::new("临海市"));
    assert_eq!(other.unit_to_county, HOUR);
}
