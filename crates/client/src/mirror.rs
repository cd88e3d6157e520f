//! A client-side copy of one realm, folded from snapshots and decisions
//! with the same `apply` the relay runs, noticing gaps.

use domain::State;
use protocol::{RealmId, Seq, ServerMessage};

/// One realm as a client holds it.
#[derive(Debug, Clone, Default)]
pub struct Mirror {
    /// The realm.
    pub realm: Option<RealmId>,
    /// State folded up to `last_seq`.
    pub state: State,
    /// Seq of the last decision folded (0: none).
    pub last_seq: Seq,
}

/// What a message did to the mirror.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MirrorUpdate {
    /// Folded; the mirror is now at this seq.
    Applied(Seq),
    /// Already had it (a repeat after resubscribing).
    Duplicate,
    /// Something is missing: resubscribe from `last_seq`.
    Gap {
        /// Seq the mirror has.
        have: Seq,
        /// Seq that arrived.
        got: Seq,
    },
    /// Not for this mirror, or not a state message.
    Ignored,
}

impl Mirror {
    /// An empty mirror of `realm`.
    pub fn new(realm: RealmId) -> Self {
        Self {
            realm: Some(realm),
            ..Self::default()
        }
    }

    /// Folds a snapshot or decision for this realm.
    pub fn accept(&mut self, msg: &ServerMessage) -> MirrorUpdate {
        match msg {
            ServerMessage::Snapshot { realm, seq, state } if self.is_mine(realm) => {
                self.state = (**state).clone();
                self.last_seq = *seq;
                MirrorUpdate::Applied(*seq)
            }
            ServerMessage::Decision {
                realm,
                seq,
                decision,
            } if self.is_mine(realm) => {
                if *seq <= self.last_seq {
                    MirrorUpdate::Duplicate
                } else if *seq != self.last_seq + 1 {
                    MirrorUpdate::Gap {
                        have: self.last_seq,
                        got: *seq,
                    }
                } else {
                    self.state.apply_decision(decision);
                    self.last_seq = *seq;
                    MirrorUpdate::Applied(*seq)
                }
            }
            ServerMessage::Resync { realm, .. } if self.is_mine(realm) => MirrorUpdate::Gap {
                have: self.last_seq,
                got: self.last_seq,
            },
            _ => MirrorUpdate::Ignored,
        }
    }

    fn is_mine(&self, realm: &RealmId) -> bool {
        self.realm.as_ref().is_none_or(|r| r == realm)
    }
}
