use super::world::*;
use crate::time::MINUTE;
use crate::*;

fn ranked(s: &State, now: Timestamp) -> Vec<String> {
    recommend(s, &IncidentId::new("INC-1"), now)
        .into_iter()
        .map(|c| c.team.0)
        .collect()
}

#[test]
fn capability_match_outranks_distance() {
    let s = world();
    // HZ-1 is ~70 km away but is the only hazchem team.
    assert_eq!(ranked(&s, T0), ["HZ-1", "FR-1", "MD-1"]);
    let c = recommend(&s, &IncidentId::new("INC-1"), T0);
    assert_eq!(c[0].missing, 0);
    assert_eq!(c[1].missing, 2);
    assert!(c[0].eta > c[1].eta);
    assert!(
        c[0].reasons[0].zh().starts_with("具备危化品处置"),
        "{:?}",
        c[0].reasons
    );
}

#[test]
fn eta_is_distance_over_kind_speed_plus_penalty_without_a_fix() {
    let s = world();
    let c = recommend(&s, &IncidentId::new("INC-1"), T0);
    let fr = c.iter().find(|c| c.team.0 == "FR-1").expect("ranked");
    let inc = GeoPoint::new(44.53, 125.70);
    let d = GeoPoint::new(44.52, 125.69).distance_m(&inc);
    let expected = (d / (40.0 / 3.6) * 1000.0).round() as i64 + s.rules.stale_penalty;
    assert_eq!(fr.eta, expected);
    assert!(fr.reasons.contains(&Reason::NoFix));
}

#[test]
fn a_fresh_fix_beats_a_stale_one_at_the_same_place() {
    let mut s = world();
    // Two fire teams at the same spot; one has a fresh fix, one an old APRS fix.
    must(
        &mut s,
        Command::RegisterTeam(Box::new(team(
            "FR-2",
            TeamKind::GovernmentFullTimeFire,
            44.52,
            125.69,
        ))),
        Role::Admin,
        T0,
    );
    let now = T0.plus(60 * MINUTE);
    for (t, taken) in [
        ("FR-1", now.plus(-MINUTE)),
        ("FR-2", now.plus(-30 * MINUTE)),
    ] {
        must(
            &mut s,
            Command::ReportFix {
                team: TeamId::new(t),
                fix: Fix {
                    position: GeoPoint::new(44.52, 125.69),
                    accuracy_m: Some(5.0),
                    source: FixSource::Aprs,
                    taken_at: taken,
                },
            },
            Role::FieldGateway,
            now,
        );
    }
    let c = recommend(&s, &IncidentId::new("INC-1"), now);
    let pos = |id: &str| c.iter().position(|c| c.team.0 == id);
    assert!(pos("FR-1") < pos("FR-2"));
    let fr2 = &c[pos("FR-2").unwrap_or(0)];
    assert!(matches!(fr2.reasons.last(), Some(Reason::StaleFix { age }) if *age == 30 * MINUTE));
}

#[test]
fn busy_and_out_of_service_teams_are_not_recommended() {
    let mut s = world();
    must(
        &mut s,
        Command::SetTeamService {
            team: TeamId::new("MD-1"),
            out_of_service: Some("车辆维修".into()),
        },
        Role::DutyOfficer,
        T0,
    );
    must(
        &mut s,
        Command::IssueOrder {
            order: OrderId::new("O-1"),
            incident: IncidentId::new("INC-1"),
            team: TeamId::new("HZ-1"),
            note: String::new(),
            recommendation_shown: vec![],
        },
        Role::DutyOfficer,
        T0,
    );
    assert_eq!(ranked(&s, T0), ["FR-1"]);
}

#[test]
fn ties_break_by_team_id_so_every_console_shows_the_same_order() {
    let mut s = State::default();
    for id in ["B", "A", "C"] {
        must(
            &mut s,
            Command::RegisterTeam(Box::new(team(id, TeamKind::Hazchem, 44.0, 125.0))),
            Role::Admin,
            T0,
        );
    }
    must(
        &mut s,
        Command::OpenIncident(Box::new(intake("INC-1", Sector::HazardousChemicals, 0))),
        Role::DutyOfficer,
        T0,
    );
    assert_eq!(ranked(&s, T0), ["A", "B", "C"]);
    let ranks: Vec<u32> = recommend(&s, &IncidentId::new("INC-1"), T0)
        .iter()
        .map(|c| c.rank)
        .collect();
    assert_eq!(ranks, [1, 2, 3]);
}

/// A team with a vehicle receiver and an APRS handheld: the handheld does
/// not move the team while the receiver's fix is fresh, and does once the
/// receiver has gone quiet past its staleness limit.
#[test]
fn a_lesser_source_waits_until_the_preferred_one_goes_stale() {
    let mut s = world();
    let team = s.teams.keys().next().expect("a team").clone();
    let fix = |source, at: i64, lat: f64| Command::ReportFix {
        team: team.clone(),
        fix: Fix {
            position: GeoPoint::new(lat, 125.3),
            accuracy_m: Some(5.0),
            source,
            taken_at: Timestamp(at),
        },
    };
    let t0 = 1_795_451_400_000;
    must(
        &mut s,
        fix(FixSource::Nmea, t0, 43.90),
        Role::FieldGateway,
        Timestamp(t0),
    );
    let limit = s.rules.staleness_of(FixSource::Nmea);
    let refused = decide(
        &s,
        &fix(FixSource::Aprs, t0 + 10_000, 43.95),
        &ctx(Role::FieldGateway, Timestamp(t0 + 10_000)),
    );
    assert!(
        matches!(&refused, Err(Rejection::Invalid { field, .. }) if field == "source"),
        "{refused:?}"
    );
    // The receiver keeps reporting: it still wins.
    must(
        &mut s,
        fix(FixSource::Nmea, t0 + 20_000, 43.91),
        Role::FieldGateway,
        Timestamp(t0 + 20_000),
    );
    // Silent past its limit: the handheld's fix now stands.
    let later = t0 + 20_000 + limit + 1;
    must(
        &mut s,
        fix(FixSource::Aprs, later, 43.96),
        Role::FieldGateway,
        Timestamp(later),
    );
    assert_eq!(
        s.teams[&team].last_fix.expect("fix").source,
        FixSource::Aprs
    );
    // And a better source takes over again at once.
    must(
        &mut s,
        fix(FixSource::Gpsd, later + 1_000, 43.97),
        Role::FieldGateway,
        Timestamp(later + 1_000),
    );
    assert_eq!(s.teams[&team].last_fix.expect("fix").position.lat, 43.97);
}
