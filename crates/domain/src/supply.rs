//! Supply depots (物资储备库), stock and reservations for incidents.
//!
//! Quantities are whole units (`u64`): a stock line can never go negative
//! because every decrement is checked in `decide` and again in `apply`.

use crate::geo::GeoPoint;
use crate::ids::{DepotId, IncidentId, ItemId, JurisdictionId, ReservationId};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One item held at a depot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLine {
    /// Catalogue item.
    pub item: ItemId,
    /// Display name, e.g. "编织袋".
    pub name: String,
    /// Unit, e.g. "条", "套", "吨".
    pub unit: String,
    /// Physically in the depot.
    pub on_hand: u64,
    /// Of `on_hand`, promised to reservations not yet dispatched.
    pub reserved: u64,
    /// Earliest expiry of what is held, if the item expires.
    pub expiry: Option<Timestamp>,
}

impl StockLine {
    /// What can still be reserved.
    pub fn free(&self) -> u64 {
        self.on_hand.saturating_sub(self.reserved)
    }
}

/// A supply depot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Depot {
    /// Identifier.
    pub id: DepotId,
    /// Name.
    pub name: String,
    /// Owner (department or enterprise).
    pub owner: String,
    /// Where it is.
    pub position: GeoPoint,
    /// Jurisdiction.
    pub jurisdiction: JurisdictionId,
    /// Stock by item.
    pub stock: BTreeMap<ItemId, StockLine>,
}

/// An item that cannot be supplied in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shortage {
    /// Item.
    pub item: ItemId,
    /// Asked for.
    pub requested: u64,
    /// Free at the depot.
    pub available: u64,
}

/// Where a reservation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReservationStatus {
    /// 已预留: held at the depot.
    Reserved,
    /// 已出库: left the depot.
    Dispatched,
    /// 已送达
    Delivered,
    /// 已归还/核销: what came back is on hand again, the rest consumed.
    Settled,
    /// 已取消 before dispatch.
    Cancelled,
}

/// Supplies set aside at one depot for one incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    /// Identifier.
    pub id: ReservationId,
    /// Incident served.
    pub incident: IncidentId,
    /// Depot it comes from.
    pub depot: DepotId,
    /// Items and quantities.
    pub lines: BTreeMap<ItemId, u64>,
    /// Status.
    pub status: ReservationStatus,
    /// Returned quantities once settled.
    pub returned: BTreeMap<ItemId, u64>,
}

/// Items a request asks for that the depot cannot cover, or empty if it can.
pub fn shortages(depot: &Depot, lines: &BTreeMap<ItemId, u64>) -> Vec<Shortage> {
    lines
        .iter()
        .filter_map(|(item, &requested)| {
            let available = depot.stock.get(item).map_or(0, StockLine::free);
            (requested > available).then(|| Shortage {
                item: item.clone(),
                requested,
                available,
            })
        })
        .collect()
}

/// A depot the console proposes for a supply request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepotProposal {
    /// Depot.
    pub depot: DepotId,
    /// Great-circle distance to the incident, metres.
    pub distance_m: f64,
    /// What it cannot cover (empty: it covers the whole request).
    pub short: Vec<Shortage>,
}

/// Depots for a request, those that cover all of it first, then by how
/// much they cover and by distance. Depots with none of the items are left out.
pub fn propose_depots(
    depots: &BTreeMap<DepotId, Depot>,
    at: GeoPoint,
    lines: &BTreeMap<ItemId, u64>,
) -> Vec<DepotProposal> {
    let mut v: Vec<DepotProposal> = depots
        .values()
        .filter(|d| {
            lines
                .keys()
                .any(|i| d.stock.get(i).is_some_and(|l| l.free() > 0))
        })
        .map(|d| DepotProposal {
            depot: d.id.clone(),
            distance_m: d.position.distance_m(&at),
            short: shortages(d, lines),
        })
        .collect();
    let missing =
        |p: &DepotProposal| -> u64 { p.short.iter().map(|s| s.requested - s.available).sum() };
    v.sort_by(|a, b| {
        missing(a)
            .cmp(&missing(b))
            .then(a.distance_m.total_cmp(&b.distance_m))
            .then(a.depot.cmp(&b.depot))
    });
    v
}
