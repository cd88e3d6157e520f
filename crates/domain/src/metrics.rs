//! Interval metrics measured from the log (via the folded state): how long
//! each step of the dispatch chain took, with percentiles, next to the
//! anchors the domain brief names (NFPA 1225 processing ≤ 60 s at p90;
//! China 120 turnout ≤ 3 min at p95).

use crate::dispatch::{DispatchOrder, OrderStatus};
use crate::ids::IncidentId;
use crate::state::State;
use crate::time::{MINUTE, Millis, SECOND, Timestamp};
use serde::{Deserialize, Serialize};

/// One measured step of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Interval {
    /// 接警处理: report received → first order issued.
    Processing,
    /// 指令确认: order issued → acknowledged.
    Acknowledge,
    /// 出动: acknowledged → en route.
    Turnout,
    /// 途中: en route → on scene.
    Travel,
}

impl Interval {
    /// All, in chain order.
    pub const ALL: [Interval; 4] = [
        Interval::Processing,
        Interval::Acknowledge,
        Interval::Turnout,
        Interval::Travel,
    ];

    /// Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Interval::Processing => "接警→首次派遣",
            Interval::Acknowledge => "下达→确认",
            Interval::Turnout => "确认→出动",
            Interval::Travel => "出动→到场",
        }
    }

    /// The anchor from the domain brief, as (percentile, limit), if one applies.
    pub fn anchor(self) -> Option<(u8, Millis)> {
        match self {
            Interval::Processing => Some((90, 60 * SECOND)),
            Interval::Turnout => Some((95, 3 * MINUTE)),
            Interval::Acknowledge | Interval::Travel => None,
        }
    }
}

/// One measurement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// Which interval.
    pub interval: Interval,
    /// Incident it belongs to.
    pub incident: IncidentId,
    /// When the interval ended (to group by shift).
    pub ended_at: Timestamp,
    /// Length.
    pub took: Millis,
}

fn step_at(o: &DispatchOrder, to: OrderStatus) -> Option<Timestamp> {
    o.history.iter().find(|t| t.to == to).map(|t| t.at)
}

/// Every interval the state's incidents and orders let us measure.
pub fn samples(state: &State) -> Vec<Sample> {
    let mut out = Vec::new();
    for inc in state.incidents.values() {
        let first = inc
            .orders
            .iter()
            .filter_map(|id| state.orders.get(id))
            .map(|o| o.issued_at)
            .min();
        if let Some(first) = first {
            out.push(Sample {
                interval: Interval::Processing,
                incident: inc.id.clone(),
                ended_at: first,
                took: first.since(inc.reported_at).max(0),
            });
        }
    }
    for o in state.orders.values() {
        let ack = step_at(o, OrderStatus::Acknowledged);
        let en_route = step_at(o, OrderStatus::EnRoute);
        let on_scene = step_at(o, OrderStatus::OnScene);
        let mut push = |interval, from: Option<Timestamp>, to: Option<Timestamp>| {
            if let (Some(a), Some(b)) = (from, to) {
                out.push(Sample {
                    interval,
                    incident: o.incident.clone(),
                    ended_at: b,
                    took: b.since(a).max(0),
                });
            }
        };
        push(Interval::Acknowledge, Some(o.issued_at), ack);
        push(Interval::Turnout, ack, en_route);
        push(Interval::Travel, en_route, on_scene);
    }
    out
}

/// Percentiles of one interval over a set of samples.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Which interval.
    pub interval: Interval,
    /// Number of samples.
    pub count: usize,
    /// Median.
    pub p50: Option<Millis>,
    /// 90th percentile.
    pub p90: Option<Millis>,
    /// Whether the anchor holds (None when there is no anchor or no data).
    pub meets_anchor: Option<bool>,
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[Millis], p: u8) -> Option<Millis> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (usize::from(p) * sorted.len()).div_ceil(100).max(1);
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// p50/p90 per interval for the samples that `keep` selects.
pub fn summarize(samples: &[Sample], keep: impl Fn(&Sample) -> bool) -> Vec<Summary> {
    Interval::ALL
        .iter()
        .map(|&interval| {
            let mut v: Vec<Millis> = samples
                .iter()
                .filter(|s| s.interval == interval && keep(s))
                .map(|s| s.took)
                .collect();
            v.sort_unstable();
            let meets_anchor = interval
                .anchor()
                .and_then(|(p, limit)| percentile(&v, p).map(|x| x <= limit));
            Summary {
                interval,
                count: v.len(),
                p50: percentile(&v, 50),
                p90: percentile(&v, 90),
                meets_anchor,
            }
        })
        .collect()
}
