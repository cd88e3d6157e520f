//! A decision: one accepted command and the events it caused. This is the
//! unit the relay writes to the log and sends to subscribers, so the evidence
//! keeps the command (with any recommendation shown) next to its effects.

use crate::authz::Actor;
use crate::command::Command;
use crate::event::Event;
use crate::state::State;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One accepted command and its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// When it was decided.
    pub at: Timestamp,
    /// Who issued the command.
    pub actor: Actor,
    /// The command as received.
    pub command: Command,
    /// The events it caused, in order.
    pub events: Vec<Event>,
}

impl State {
    /// Folds every event of a decision.
    pub fn apply_decision(&mut self, d: &Decision) {
        for e in &d.events {
            self.apply(e);
        }
    }
}
