//! A small world for tests: three teams, two depots, one incident.

use crate::command::IncidentIntake;
use crate::*;
use std::collections::BTreeMap;

pub const T0: Timestamp = Timestamp(1_763_900_000_000);

pub fn officer() -> Actor {
    Actor::new("wang", Role::DutyOfficer, "console-1")
}

pub fn ctx(role: Role, now: Timestamp) -> Context {
    Context {
        now,
        actor: Actor::new("tester", role, "test"),
        realm: RealmKind::Live,
    }
}

pub fn team(id: &str, kind: TeamKind, lat: f64, lon: f64) -> Team {
    Team {
        id: TeamId::new(id),
        name: format!("{} {id}", kind.zh()),
        kind,
        tier: 1,
        capabilities: Vec::new(),
        headcount: 20,
        equipment: vec![],
        jurisdiction: JurisdictionId::new("德惠市"),
        home: GeoPoint::new(lat, lon),
        radio_ids: vec![format!("R-{id}")],
        status: TeamStatus::Available,
        last_fix: None,
        support: None,
    }
}

pub fn line(item: &str, on_hand: u64) -> (ItemId, StockLine) {
    (
        ItemId::new(item),
        StockLine {
            item: ItemId::new(item),
            name: item.to_owned(),
            unit: "件".into(),
            on_hand,
            reserved: 0,
            expiry: None,
        },
    )
}

pub fn depot(id: &str, lat: f64, lon: f64, stock: &[(&str, u64)]) -> Depot {
    Depot {
        id: DepotId::new(id),
        name: id.to_owned(),
        owner: "应急管理局".into(),
        position: GeoPoint::new(lat, lon),
        jurisdiction: JurisdictionId::new("德惠市"),
        stock: stock.iter().map(|(i, q)| line(i, *q)).collect(),
    }
}

pub fn intake(id: &str, sector: Sector, deaths: u32) -> IncidentIntake {
    IncidentIntake {
        id: IncidentId::new(id),
        title: format!("测试事件 {id}"),
        sector,
        position: GeoPoint::new(44.53, 125.70),
        address: "德惠市化工园区".into(),
        jurisdiction: JurisdictionId::new("德惠市"),
        enterprise: Some("某化工有限公司".into()),
        source: IntakeSource::Phone,
        occurred_at: T0,
        reported_at: T0,
        caller: "李先生 138****0000".into(),
        casualties: Casualties {
            deaths,
            ..Default::default()
        },
        direct_loss_yuan: 0,
        suggested_response_level: None,
    }
}

/// Applies a command as an admin/officer would and panics if refused:
/// only for building fixtures.
pub fn must(state: &mut State, cmd: Command, role: Role, now: Timestamp) -> Vec<Event> {
    let events = decide(state, &cmd, &ctx(role, now))
        .unwrap_or_else(|r| panic!("fixture command {} refused: {r}", cmd.name()));
    for e in &events {
        state.apply(e);
    }
    events
}

/// The world: a hazchem team far away, a fire team near, a medical team,
/// two depots and one hazchem incident at T0.
pub fn world() -> State {
    world_with_events().0
}

/// The world and the events that built it.
pub fn world_with_events() -> (State, Vec<Event>) {
    let mut s = State::default();
    let mut log = Vec::new();
    for t in [
        team("HZ-1", TeamKind::Hazchem, 43.90, 125.30),
        team("FR-1", TeamKind::GovernmentFullTimeFire, 44.52, 125.69),
        team("MD-1", TeamKind::Medical, 44.50, 125.65),
    ] {
        log.extend(must(
            &mut s,
            Command::RegisterTeam(Box::new(t)),
            Role::Admin,
            T0,
        ));
    }
    for d in [
        depot("D-1", 44.54, 125.71, &[("foam", 100), ("sandbag", 500)]),
        depot("D-2", 43.88, 125.32, &[("foam", 30), ("suit", 20)]),
    ] {
        log.extend(must(
            &mut s,
            Command::RegisterDepot(Box::new(d)),
            Role::Admin,
            T0,
        ));
    }
    log.extend(must(
        &mut s,
        Command::OpenIncident(Box::new(intake("INC-1", Sector::HazardousChemicals, 0))),
        Role::DutyOfficer,
        T0,
    ));
    (s, log)
}

pub fn lines(items: &[(&str, u64)]) -> BTreeMap<ItemId, u64> {
    items.iter().map(|(i, q)| (ItemId::new(*i), *q)).collect()
}
