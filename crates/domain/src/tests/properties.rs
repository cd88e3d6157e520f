//! Properties over random command sequences from random roles.

use super::world::*;
use crate::time::MINUTE;
use crate::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

const TEAMS: [&str; 3] = ["HZ-1", "FR-1", "MD-1"];
const DEPOTS: [&str; 2] = ["D-1", "D-2"];
const ITEMS: [&str; 4] = ["foam", "sandbag", "suit", "pump"];
const ROLES: [Role; 7] = Role::ALL;

/// A command drawn from small id pools so that sequences collide often.
#[derive(Debug, Clone)]
enum Spec {
    Issue(u8, u8, u8),
    Step(u8, u8),
    Reserve(u8, u8, Vec<(u8, u64)>),
    Dispatch(u8),
    Deliver(u8),
    Settle(u8, u64),
    Cancel(u8),
    Replenish(u8, u8, u64),
    Casualties(u32, u32, u64),
    Fix(u8, i64),
    Service(u8, bool),
    Open(u8, u32),
    Close(u8),
    Report(u8, u8),
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        (0..4u8, 0..3u8, 0..3u8).prop_map(|(o, i, t)| Spec::Issue(o, i, t)),
        (0..4u8, 0..10u8).prop_map(|(o, s)| Spec::Step(o, s)),
        (
            0..4u8,
            0..2u8,
            prop::collection::vec((0..4u8, 0..120u64), 0..3)
        )
            .prop_map(|(r, d, l)| Spec::Reserve(r, d, l)),
        (0..4u8).prop_map(Spec::Dispatch),
        (0..4u8).prop_map(Spec::Deliver),
        (0..4u8, 0..60u64).prop_map(|(r, q)| Spec::Settle(r, q)),
        (0..4u8).prop_map(Spec::Cancel),
        (0..2u8, 0..4u8, 0..50u64).prop_map(|(d, i, q)| Spec::Replenish(d, i, q)),
        (0..40u32, 0..120u32, 0..150_000_000u64).prop_map(|(a, b, c)| Spec::Casualties(a, b, c)),
        (0..3u8, -5..5i64).prop_map(|(t, dt)| Spec::Fix(t, dt)),
        (0..3u8, any::<bool>()).prop_map(|(t, b)| Spec::Service(t, b)),
        (0..3u8, 0..35u32).prop_map(|(i, d)| Spec::Open(i, d)),
        (0..3u8).prop_map(Spec::Close),
        (0..3u8, 0..4u8).prop_map(|(i, k)| Spec::Report(i, k)),
    ]
}

fn incident(i: u8) -> IncidentId {
    IncidentId::new(format!("INC-{}", i + 1))
}

fn to_command(spec: &Spec, now: Timestamp) -> Command {
    let order = |o: u8| OrderId::new(format!("O-{o}"));
    let res = |r: u8| ReservationId::new(format!("R-{r}"));
    match spec {
        Spec::Issue(o, i, t) => Command::IssueOrder {
            order: order(*o),
            incident: incident(*i),
            team: TeamId::new(TEAMS[*t as usize]),
            note: "出动".into(),
            recommendation_shown: vec![],
        },
        Spec::Step(o, s) => Command::AdvanceOrder {
            order: order(*o),
            step: match s {
                0 => OrderStep::Delivered,
                1 => OrderStep::Acknowledged,
                2 => OrderStep::Refused {
                    reason: "忙".into(),
                },
                3 => OrderStep::TimedOut,
                4 => OrderStep::EnRoute,
                5 => OrderStep::OnScene,
                6 => OrderStep::Released,
                7 => OrderStep::Returning,
                8 => OrderStep::Available,
                _ => OrderStep::Cancelled {
                    reason: "撤回".into(),
                },
            },
        },
        Spec::Reserve(r, d, l) => Command::ReserveSupplies {
            reservation: res(*r),
            incident: incident(0),
            depot: DepotId::new(DEPOTS[*d as usize]),
            lines: l
                .iter()
                .map(|(i, q)| (ItemId::new(ITEMS[*i as usize]), *q))
                .collect(),
        },
        Spec::Dispatch(r) => Command::DispatchSupplies {
            reservation: res(*r),
        },
        Spec::Deliver(r) => Command::DeliverSupplies {
            reservation: res(*r),
        },
        Spec::Settle(r, q) => Command::SettleSupplies {
            reservation: res(*r),
            returned: [(ItemId::new("foam"), *q)].into_iter().collect(),
        },
        Spec::Cancel(r) => Command::CancelReservation {
            reservation: res(*r),
            reason: "不再需要".into(),
        },
        Spec::Replenish(d, i, q) => Command::Replenish {
            depot: DepotId::new(DEPOTS[*d as usize]),
            item: ItemId::new(ITEMS[*i as usize]),
            name: ITEMS[*i as usize].into(),
            unit: "件".into(),
            quantity: *q,
            expiry: None,
        },
        Spec::Casualties(d, s, l) => Command::UpdateCasualties {
            incident: incident(0),
            casualties: Casualties {
                deaths: *d,
                serious_injuries: *s,
                missing: 0,
            },
            direct_loss_yuan: *l,
        },
        Spec::Fix(t, dt) => Command::ReportFix {
            team: TeamId::new(TEAMS[*t as usize]),
            fix: Fix {
                position: GeoPoint::new(44.5, 125.6),
                accuracy_m: Some(10.0),
                source: FixSource::Nmea,
                taken_at: now.plus(dt * MINUTE),
            },
        },
        Spec::Service(t, out) => Command::SetTeamService {
            team: TeamId::new(TEAMS[*t as usize]),
            out_of_service: out.then(|| "保养".to_owned()),
        },
        Spec::Open(i, deaths) => {
            let mut intake = intake(incident(*i).as_str(), Sector::Fire, *deaths);
            intake.reported_at = now;
            Command::OpenIncident(Box::new(intake))
        }
        Spec::Close(i) => Command::CloseIncident {
            incident: incident(*i),
            summary: "结束".into(),
        },
        Spec::Report(i, k) => Command::FileReport {
            incident: incident(*i),
            kind: match k {
                0 => ReportKind::First,
                1 => ReportKind::FollowUp(1),
                2 => ReportKind::Supplement,
                _ => ReportKind::Final,
            },
            channel: deadline::ReportChannel::Phone,
            to_level: deadline::AdminLevel::County,
            summary: "报告".into(),
        },
    }
}

/// Runs the sequence from the test world; returns the final state, every
/// event in order (world set-up included) and the rejections.
fn run(seq: &[(u8, Spec)]) -> (State, Vec<Event>, Vec<Rejection>) {
    let (mut state, mut log) = world_with_events();
    let mut rejected = Vec::new();
    for (i, (role, spec)) in seq.iter().enumerate() {
        let now = T0.plus((i as i64 + 1) * MINUTE);
        let c = Context {
            now,
            actor: Actor::new("p", ROLES[*role as usize % ROLES.len()], "prop"),
            realm: RealmKind::Live,
        };
        match decide(&state, &to_command(spec, now), &c) {
            Ok(events) => {
                for e in &events {
                    state.apply(e);
                }
                log.extend(events);
            }
            Err(r) => rejected.push(r),
        }
        check_invariants(&state);
    }
    (state, log, rejected)
}

fn check_invariants(s: &State) {
    // Stock: reserved never exceeds on hand, and equals what open
    // reservations hold.
    let mut held: BTreeMap<(DepotId, ItemId), u64> = BTreeMap::new();
    for r in s.reservations.values() {
        if r.status == ReservationStatus::Reserved {
            for (item, q) in &r.lines {
                *held.entry((r.depot.clone(), item.clone())).or_default() += q;
            }
        }
    }
    for d in s.depots.values() {
        for (item, line) in &d.stock {
            assert!(line.reserved <= line.on_hand, "{}/{item}: {line:?}", d.id);
            let expected = held
                .get(&(d.id.clone(), item.clone()))
                .copied()
                .unwrap_or(0);
            assert_eq!(line.reserved, expected, "{}/{item}", d.id);
        }
    }
    // Orders: history only takes legal steps; a team's active order is
    // non-final and points back at the team.
    for o in s.orders.values() {
        let mut from = OrderStatus::Issued;
        for t in &o.history {
            assert!(from.can_step_to(t.to), "{}: {from:?} -> {:?}", o.id, t.to);
            from = t.to;
        }
        assert_eq!(from, o.status);
    }
    for t in s.teams.values() {
        if let Some(order) = t.status.order() {
            let o = &s.orders[order];
            assert!(!o.status.is_final(), "{} holds final order {}", t.id, o.id);
            assert_eq!(o.team, t.id);
        }
    }
    let active: usize = s.orders.values().filter(|o| !o.status.is_final()).count();
    let busy = s
        .teams
        .values()
        .filter(|t| t.status.order().is_some())
        .count();
    assert_eq!(active, busy, "every active order occupies exactly one team");
}

fn seqs() -> impl Strategy<Value = Vec<(u8, Spec)>> {
    prop::collection::vec((0..7u8, spec()), 1..80)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn same_commands_give_byte_identical_events_and_state(seq in seqs()) {
        let (s1, l1, r1) = run(&seq);
        let (s2, l2, r2) = run(&seq);
        use erased::Ser;
        prop_assert_eq!(l1.json(), l2.json());
        prop_assert_eq!(s1.json(), s2.json());
        prop_assert_eq!(r1, r2);
    }

    #[test]
    fn folding_the_log_from_scratch_gives_the_live_state(seq in seqs()) {
        let (live, log, _) = run(&seq);
        let folded = State::from_events(&log);
        prop_assert_eq!(&folded, &live);
        let json = |s: &State| serde_json::to_vec(s).expect("state serializes");
        prop_assert_eq!(json(&folded), json(&live));
    }

    #[test]
    fn stock_is_conserved_and_never_negative(seq in seqs()) {
        let (s, log, _) = run(&seq);
        // on_hand = initial + replenished - dispatched + returned, per depot/item.
        let mut expect: BTreeMap<(DepotId, ItemId), i128> = BTreeMap::new();
        let mut reservations = BTreeMap::new();
        for e in &log {
            match &e.kind {
                EventKind::DepotRegistered(d) => {
                    for (i, l) in &d.stock {
                        *expect.entry((d.id.clone(), i.clone())).or_default() += l.on_hand as i128;
                    }
                }
                EventKind::StockReplenished { depot, item, quantity, .. } => {
                    *expect.entry((depot.clone(), item.clone())).or_default() += *quantity as i128;
                }
                EventKind::SuppliesReserved(r) => {
                    reservations.insert(r.id.clone(), r.clone());
                }
                EventKind::SuppliesDispatched { reservation } => {
                    let r = &reservations[reservation];
                    for (i, q) in &r.lines {
                        *expect.entry((r.depot.clone(), i.clone())).or_default() -= *q as i128;
                    }
                }
                EventKind::SuppliesSettled { reservation, returned } => {
                    let r = &reservations[reservation];
                    for (i, q) in returned {
                        *expect.entry((r.depot.clone(), i.clone())).or_default() += *q as i128;
                    }
                }
                _ => {}
            }
        }
        for ((d, i), q) in expect {
            prop_assert!(q >= 0);
            let line = &s.depots[&d].stock[&i];
            prop_assert_eq!(line.on_hand as i128, q);
        }
    }

    #[test]
    fn grade_always_matches_the_current_figures(seq in seqs()) {
        let (s, _, _) = run(&seq);
        for i in s.incidents.values() {
            prop_assert_eq!(i.grade, s.rules.grades.grade(&i.casualties, i.direct_loss_yuan));
        }
    }

    #[test]
    fn observers_change_nothing(seq in prop::collection::vec(spec(), 1..40)) {
        let seq: Vec<(u8, Spec)> = seq.into_iter().map(|s| (2, s)).collect();
        let (s, log, rejected) = run(&seq);
        prop_assert_eq!(log.len(), world_with_events().1.len());
        prop_assert_eq!(s, world());
        let all_forbidden = rejected
            .iter()
            .all(|r| matches!(r, Rejection::Forbidden { role: Role::Observer, .. }));
        prop_assert!(all_forbidden);
    }
}

/// Serialize anything to JSON bytes without naming its type at the call site.
mod erased {
    pub trait Ser {
        fn json(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Ser for T {
        fn json(&self) -> Vec<u8> {
            serde_json::to_vec(self).expect("domain types serialize")
        }
    }
}
