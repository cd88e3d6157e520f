use super::world::*;
use crate::*;

fn reserve(id: &str, depot: &str, items: &[(&str, u64)]) -> Command {
    Command::ReserveSupplies {
        reservation: ReservationId::new(id),
        incident: IncidentId::new("INC-1"),
        depot: DepotId::new(depot),
        lines: lines(items),
    }
}

fn stock(s: &State, depot: &str, item: &str) -> (u64, u64) {
    let l = &s.depots[&DepotId::new(depot)].stock[&ItemId::new(item)];
    (l.on_hand, l.reserved)
}

#[test]
fn reserve_dispatch_deliver_settle_moves_stock() {
    let mut s = world();
    must(
        &mut s,
        reserve("R-1", "D-1", &[("foam", 40)]),
        Role::DutyOfficer,
        T0,
    );
    assert_eq!(stock(&s, "D-1", "foam"), (100, 40));
    let r = || ReservationId::new("R-1");
    must(
        &mut s,
        Command::DispatchSupplies { reservation: r() },
        Role::DutyOfficer,
        T0,
    );
    assert_eq!(stock(&s, "D-1", "foam"), (60, 0));
    must(
        &mut s,
        Command::DeliverSupplies { reservation: r() },
        Role::DutyOfficer,
        T0,
    );
    must(
        &mut s,
        Command::SettleSupplies {
            reservation: r(),
            returned: lines(&[("foam", 15)]),
        },
        Role::DutyOfficer,
        T0,
    );
    assert_eq!(stock(&s, "D-1", "foam"), (75, 0));
    assert_eq!(s.reservations[&r()].status, ReservationStatus::Settled);
}

#[test]
fn over_allocation_says_what_is_short() {
    let mut s = world();
    must(
        &mut s,
        reserve("R-1", "D-1", &[("foam", 80)]),
        Role::DutyOfficer,
        T0,
    );
    let r = decide(
        &s,
        &reserve("R-2", "D-1", &[("foam", 30), ("sandbag", 10), ("pump", 2)]),
        &ctx(Role::DutyOfficer, T0),
    );
    assert_eq!(
        r,
        Err(Rejection::InsufficientStock {
            depot: DepotId::new("D-1"),
            shortages: vec![
                Shortage {
                    item: ItemId::new("foam"),
                    requested: 30,
                    available: 20
                },
                Shortage {
                    item: ItemId::new("pump"),
                    requested: 2,
                    available: 0
                },
            ]
        })
    );
    let msg = r.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains("foam (asked 30, free 20)"), "{msg}");
}

#[test]
fn cancel_releases_and_returning_more_than_sent_is_refused() {
    let mut s = world();
    must(
        &mut s,
        reserve("R-1", "D-1", &[("foam", 10)]),
        Role::DutyOfficer,
        T0,
    );
    must(
        &mut s,
        Command::CancelReservation {
            reservation: ReservationId::new("R-1"),
            reason: "改由D-2供应".into(),
        },
        Role::DutyOfficer,
        T0,
    );
    assert_eq!(stock(&s, "D-1", "foam"), (100, 0));
    must(
        &mut s,
        reserve("R-2", "D-1", &[("foam", 10)]),
        Role::DutyOfficer,
        T0,
    );
    for c in [
        Command::DispatchSupplies {
            reservation: ReservationId::new("R-2"),
        },
        Command::DeliverSupplies {
            reservation: ReservationId::new("R-2"),
        },
    ] {
        must(&mut s, c, Role::DutyOfficer, T0);
    }
    let r = decide(
        &s,
        &Command::SettleSupplies {
            reservation: ReservationId::new("R-2"),
            returned: lines(&[("foam", 11)]),
        },
        &ctx(Role::DutyOfficer, T0),
    );
    assert!(
        matches!(r, Err(Rejection::Invalid { ref field, .. }) if field == "returned"),
        "{r:?}"
    );
}

#[test]
fn a_reservation_moves_only_forward() {
    let mut s = world();
    must(
        &mut s,
        reserve("R-1", "D-1", &[("foam", 10)]),
        Role::DutyOfficer,
        T0,
    );
    let r = decide(
        &s,
        &Command::DeliverSupplies {
            reservation: ReservationId::new("R-1"),
        },
        &ctx(Role::DutyOfficer, T0),
    );
    assert_eq!(
        r,
        Err(Rejection::ReservationState {
            reservation: ReservationId::new("R-1"),
            status: ReservationStatus::Reserved
        })
    );
}

#[test]
fn replenish_adds_new_items_and_keeps_the_earliest_expiry() {
    let mut s = world();
    let add = |q, exp| Command::Replenish {
        depot: DepotId::new("D-2"),
        item: ItemId::new("ors"),
        name: "口服补液盐".into(),
        unit: "盒".into(),
        quantity: q,
        expiry: Some(Timestamp(exp)),
    };
    must(&mut s, add(10, 2_000), Role::DutyOfficer, T0);
    must(&mut s, add(5, 1_000), Role::DutyOfficer, T0);
    let l = &s.depots[&DepotId::new("D-2")].stock[&ItemId::new("ors")];
    assert_eq!((l.on_hand, l.expiry), (15, Some(Timestamp(1_000))));
}

#[test]
fn depots_that_cover_the_request_come_first_then_the_nearest() {
    let s = world();
    let at = s.incidents[&IncidentId::new("INC-1")].position;
    // D-1 is next to the incident and has 100 foam; D-2 is far with 30.
    let small = crate::supply::propose_depots(&s.depots, at, &lines(&[("foam", 20)]));
    let order: Vec<&str> = small.iter().map(|p| p.depot.as_str()).collect();
    assert_eq!(order, vec!["D-1", "D-2"]);
    assert!(small.iter().all(|p| p.short.is_empty()));
    // Suits only exist at D-2: it covers, D-1 is left out entirely.
    let suits = crate::supply::propose_depots(&s.depots, at, &lines(&[("suit", 5)]));
    let order: Vec<&str> = suits.iter().map(|p| p.depot.as_str()).collect();
    assert_eq!(order, vec!["D-2"]);
    // More foam than D-1 has: still proposed, with the shortage named.
    let big = crate::supply::propose_depots(&s.depots, at, &lines(&[("foam", 120)]));
    assert_eq!(big[0].depot.as_str(), "D-1");
    assert_eq!(big[0].short[0].available, 100);
    assert!(big[0].distance_m < big[1].distance_m);
}
