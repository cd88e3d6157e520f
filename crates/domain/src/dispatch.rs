//! Dispatch orders (调度指令) and their lifecycle.
//!
//! ```text
//! issued -> delivered -> acknowledged -> en route -> on scene -> released -> returning -> available
//!    |          +------> refused                                     +----------------------+
//!    +----------+------> timed out -> (late) acknowledged | refused
//! issued … en route -> cancelled
//! ```
//! An acknowledgement that arrives before the delivery receipt proves
//! delivery; `decide` then records both steps. Every other jump is a typed
//! rejection.

use crate::ids::{IncidentId, OrderId, TeamId, UserId};
use crate::recommend::Candidate;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OrderStatus {
    /// 已下达
    Issued,
    /// 已送达 (the radio/console of the team received it)
    Delivered,
    /// 已确认
    Acknowledged,
    /// 拒绝 (with a reason)
    Refused,
    /// 超时未确认
    TimedOut,
    /// 出动途中
    EnRoute,
    /// 到场
    OnScene,
    /// 解除任务
    Released,
    /// 返回途中
    Returning,
    /// 归队待命 (order complete)
    Available,
    /// 撤销
    Cancelled,
}

impl OrderStatus {
    /// Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            OrderStatus::Issued => "已下达",
            OrderStatus::Delivered => "已送达",
            OrderStatus::Acknowledged => "已确认",
            OrderStatus::Refused => "已拒绝",
            OrderStatus::TimedOut => "超时未确认",
            OrderStatus::EnRoute => "出动途中",
            OrderStatus::OnScene => "已到场",
            OrderStatus::Released => "任务解除",
            OrderStatus::Returning => "返回途中",
            OrderStatus::Available => "归队待命",
            OrderStatus::Cancelled => "已撤销",
        }
    }

    /// Whether the order no longer binds the team.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Refused | OrderStatus::Available | OrderStatus::Cancelled
        )
    }

    /// Whether `self → to` is a legal single step.
    pub fn can_step_to(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (Issued, Delivered)
                | (Issued | Delivered, TimedOut)
                | (Delivered | TimedOut, Acknowledged)
                | (Delivered | TimedOut, Refused)
                | (Acknowledged, EnRoute)
                | (EnRoute, OnScene)
                | (OnScene, Released)
                | (Released, Returning)
                | (Released | Returning, Available)
                | (
                    Issued | Delivered | TimedOut | Acknowledged | EnRoute,
                    Cancelled
                )
        )
    }
}

/// A requested step in an order's lifecycle, as sent by field or officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderStep {
    /// Delivery receipt from the field channel.
    Delivered,
    /// Team acknowledged.
    Acknowledged,
    /// Team refused, with the reason it gave.
    Refused {
        /// Reason in the team's words.
        reason: String,
    },
    /// No acknowledgement within the configured time (raised by the relay).
    TimedOut,
    /// Team left for the scene.
    EnRoute,
    /// Team arrived.
    OnScene,
    /// Commander released the team from the task.
    Released,
    /// Team is on its way back.
    Returning,
    /// Team is back and ready.
    Available,
    /// Officer withdrew the order, with the reason.
    Cancelled {
        /// Why.
        reason: String,
    },
}

impl OrderStep {
    /// The status this step leads to.
    pub fn target(&self) -> OrderStatus {
        match self {
            OrderStep::Delivered => OrderStatus::Delivered,
            OrderStep::Acknowledged => OrderStatus::Acknowledged,
            OrderStep::Refused { .. } => OrderStatus::Refused,
            OrderStep::TimedOut => OrderStatus::TimedOut,
            OrderStep::EnRoute => OrderStatus::EnRoute,
            OrderStep::OnScene => OrderStatus::OnScene,
            OrderStep::Released => OrderStatus::Released,
            OrderStep::Returning => OrderStatus::Returning,
            OrderStep::Available => OrderStatus::Available,
            OrderStep::Cancelled { .. } => OrderStatus::Cancelled,
        }
    }

    /// The free-text reason carried by the step, if any.
    pub fn reason(&self) -> Option<&str> {
        match self {
            OrderStep::Refused { reason } | OrderStep::Cancelled { reason } => Some(reason),
            _ => None,
        }
    }
}

/// One status change of an order, kept for the timeline and interval metrics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTransition {
    /// New status.
    pub to: OrderStatus,
    /// When.
    pub at: Timestamp,
    /// Reason given, if any.
    pub reason: Option<String>,
}

/// A dispatch order to one team for one incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DispatchOrder {
    /// Identifier.
    pub id: OrderId,
    /// Incident it serves.
    pub incident: IncidentId,
    /// Team ordered.
    pub team: TeamId,
    /// Instructions as written by the officer.
    pub note: String,
    /// Who issued it.
    pub issued_by: UserId,
    /// When.
    pub issued_at: Timestamp,
    /// The ranked candidates that were on screen when the officer chose
    /// (evidence: what the system recommended).
    pub recommendation_shown: Vec<Candidate>,
    /// Current status.
    pub status: OrderStatus,
    /// Every status change after issue.
    pub history: Vec<OrderTransition>,
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    const ALL: [OrderStatus; 11] = [
        Issued,
        Delivered,
        Acknowledged,
        Refused,
        TimedOut,
        EnRoute,
        OnScene,
        Released,
        Returning,
        Available,
        Cancelled,
    ];

    #[test]
    fn the_main_path_is_legal_step_by_step() {
        let path = [
            Issued,
            Delivered,
            Acknowledged,
            EnRoute,
            OnScene,
            Released,
            Returning,
            Available,
        ];
        for w in path.windows(2) {
            assert!(w[0].can_step_to(w[1]), "{:?} -> {:?}", w[0], w[1]);
        }
    }

    #[test]
    fn exactly_the_documented_transitions_are_legal() {
        let legal: Vec<(OrderStatus, OrderStatus)> = ALL
            .iter()
            .flat_map(|&a| ALL.iter().map(move |&b| (a, b)))
            .filter(|&(a, b)| a.can_step_to(b))
            .collect();
        let expected = vec![
            (Issued, Delivered),
            (Issued, TimedOut),
            (Issued, Cancelled),
            (Delivered, Acknowledged),
            (Delivered, Refused),
            (Delivered, TimedOut),
            (Delivered, Cancelled),
            (Acknowledged, EnRoute),
            (Acknowledged, Cancelled),
            (TimedOut, Acknowledged),
            (TimedOut, Refused),
            (TimedOut, Cancelled),
            (EnRoute, OnScene),
            (EnRoute, Cancelled),
            (OnScene, Released),
            (Released, Returning),
            (Released, Available),
            (Returning, Available),
        ];
        assert_eq!(legal, expected);
    }

    #[test]
    fn final_states_go_nowhere() {
        for s in ALL.iter().filter(|s| s.is_final()) {
            assert!(ALL.iter().all(|&t| !s.can_step_to(t)), "{s:?}");
        }
    }
}
