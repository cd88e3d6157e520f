//! Headless drill: the engine and a playbook on a simulated clock that
//! steps scenario time one second at a time, as fast as it can. Each
//! step's decisions go to `commit` (the relay writes them to a real ledger)
//! before the next step starts, so what is decided is what is durable.

use crate::engine::{Engine, director};
use crate::playbook::PlayerAction;
use domain::{
    Actor, ClockAction, ClockChange, Command, Context, Decision, DrillCommand, Millis, OrderStatus,
    OrderStep, RealmKind, Role, State, decide, recommend,
};
use serde::Serialize;

/// Scenario time per simulated step.
pub const STEP: Millis = 1000;

/// A command the domain refused during the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refused {
    /// Scenario time.
    pub at: Millis,
    /// Who.
    pub user: String,
    /// Command name.
    pub command: String,
    /// Why.
    pub reason: String,
}

/// What a headless run produced besides the committed decisions.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunOutcome {
    /// Decisions committed.
    pub decisions: usize,
    /// Refused commands.
    pub refused: Vec<Refused>,
}

/// Runs the drill from T+0 to its planned end. `speed` is recorded in the
/// log as the chosen rate; simulated time does not wait for it.
pub fn run_headless<E>(
    mut engine: Engine,
    players: &[PlayerAction],
    speed: u32,
    mut commit: impl FnMut(&[Decision]) -> Result<(), E>,
) -> Result<RunOutcome, E> {
    let sc = engine.scenario().clone();
    let duration = sc.meta.duration;
    let mut state = State::default();
    let mut outcome = RunOutcome::default();
    let mut next_player = 0;
    let mut t: Millis = 0;
    loop {
        let mut due: Vec<(Millis, Actor, Command)> = Vec::new();
        if t == 0 {
            due.push((0, director(), clock(ClockAction::Start, 0, speed)));
        }
        // The relay's own timer, as in a live realm: unacknowledged orders time out.
        let limit = state.rules.ack_timeout;
        for o in state.orders.values() {
            if matches!(o.status, OrderStatus::Issued | OrderStatus::Delivered)
                && sc.at(t).since(o.issued_at) > limit
            {
                due.push((
                    t,
                    Actor::new("relay", Role::System, "relay"),
                    Command::AdvanceOrder {
                        order: o.id.clone(),
                        step: OrderStep::TimedOut,
                    },
                ));
            }
        }
        due.extend(
            engine
                .due(t, &state)
                .into_iter()
                .map(|d| (d.offset, d.actor, d.command)),
        );
        while let Some(p) = players.get(next_player).filter(|p| p.at <= t) {
            due.push((p.at, p.actor.clone(), p.command.clone()));
            next_player += 1;
        }
        if t >= duration {
            due.push((
                duration,
                director(),
                clock(ClockAction::End, duration, speed),
            ));
        }
        // Stable: at the same instant the engine goes before the players.
        due.sort_by_key(|d| d.0);
        let mut batch = Vec::new();
        for (at, actor, mut command) in due {
            let now = sc.at(at);
            if let Command::IssueOrder {
                incident,
                recommendation_shown,
                ..
            } = &mut command
            {
                *recommendation_shown = recommend(&state, incident, now);
            }
            let ctx = Context {
                now,
                actor,
                realm: RealmKind::Drill,
            };
            match decide(&state, &command, &ctx) {
                Ok(events) => {
                    let d = Decision {
                        at: now,
                        actor: ctx.actor,
                        command,
                        events,
                    };
                    state.apply_decision(&d);
                    batch.push(d);
                }
                Err(r) => outcome.refused.push(Refused {
                    at,
                    user: ctx.actor.user.to_string(),
                    command: command.name().to_owned(),
                    reason: r.to_string(),
                }),
            }
        }
        if !batch.is_empty() {
            commit(&batch)?;
            outcome.decisions += batch.len();
        }
        if t >= duration {
            return Ok(outcome);
        }
        t += STEP;
    }
}

fn clock(action: ClockAction, scenario_ms: Millis, speed: u32) -> Command {
    Command::Drill(DrillCommand::Clock(ClockChange {
        action,
        scenario_ms,
        speed: speed.clamp(1, 100),
    }))
}
