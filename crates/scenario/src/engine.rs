//! The drill engine: given scenario time and the realm's state, the
//! commands now due — world set-up, injects, and the simulated field
//! (acknowledgements, movement fixes, arrival). They go through the same
//! `decide`/`apply` as the players' commands. Pure and deterministic: the
//! only randomness is the scenario's seeded generator, drawn in a fixed order.

use crate::model::{InjectKind, Scenario};
use crate::rng::SplitMix64;
use domain::{
    Actor, Command, DrillCommand, DrillMessage, Fix, FixSource, GeoPoint, MessageKind, Millis,
    OrderId, OrderStatus, OrderStep, Role, State, TeamId, TeamStatus,
};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A command the engine wants decided at scenario time `offset`.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    /// Scenario time.
    pub offset: Millis,
    /// Who issues it (always the drill director role).
    pub actor: Actor,
    /// What.
    pub command: Command,
}

/// The control cell that plays injects and world set-up.
pub fn director() -> Actor {
    Actor::new("演练导演组", Role::DrillDirector, "scenario-engine")
}

/// The simulated field team, speaking through the control cell.
fn team_actor(name: &str, id: &TeamId) -> Actor {
    Actor::new(name, Role::DrillDirector, &format!("sim-{id}"))
}

#[derive(Debug, Clone)]
enum Step {
    Ack,
    EnRoute,
    Fix(GeoPoint),
    OnScene,
}

#[derive(Debug, Clone)]
struct Sim {
    team: TeamId,
    steps: VecDeque<(Millis, Step)>,
}

/// Drives one drill.
#[derive(Debug, Clone)]
pub struct Engine {
    sc: Scenario,
    rng: SplitMix64,
    set_up: bool,
    next_inject: usize,
    sims: BTreeMap<OrderId, Sim>,
    seen_orders: BTreeSet<OrderId>,
    /// Broken-down teams: reason, and whether already out of service.
    broken: BTreeMap<TeamId, (String, bool)>,
    last_fix: BTreeMap<TeamId, Millis>,
}

impl Engine {
    /// An engine at T+0 for a validated scenario.
    pub fn new(sc: Scenario) -> Self {
        let rng = SplitMix64::new(sc.meta.seed);
        Engine {
            sc,
            rng,
            set_up: false,
            next_inject: 0,
            sims: BTreeMap::new(),
            seen_orders: BTreeSet::new(),
            broken: BTreeMap::new(),
            last_fix: BTreeMap::new(),
        }
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.sc
    }

    /// Whether every inject has been played and no team is still moving.
    pub fn idle(&self) -> bool {
        self.next_inject >= self.sc.injects.len() && self.sims.is_empty()
    }

    /// Commands due at or before scenario time `now`, in time order, given
    /// the realm's state after everything decided so far.
    pub fn due(&mut self, now: Millis, state: &State) -> Vec<Due> {
        let mut out = Vec::new();
        if !self.set_up {
            self.set_up = true;
            out.extend(self.setup());
        }
        while let Some(inj) = self.sc.injects.get(self.next_inject) {
            if inj.at > now {
                break;
            }
            self.next_inject += 1;
            let inj = inj.clone();
            if let Some((kind, incident)) = &inj.unless_ordered {
                let deadline = self.sc.at(inj.at);
                let done = state.orders.values().any(|o| {
                    &o.incident == incident
                        && o.issued_at <= deadline
                        && state.teams.get(&o.team).is_some_and(|t| t.kind == *kind)
                });
                if done {
                    continue;
                }
            }
            out.extend(self.fire(&inj));
        }
        self.plan_new_orders(state);
        out.extend(self.field_steps(now, state));
        // After the injects of this instant (a breakdown may come with them),
        // against the state as it was: the runner calls again next step.
        out.extend(self.take_broken_out_of_service(now, state));
        out.sort_by_key(|d| d.offset);
        out
    }

    fn setup(&self) -> Vec<Due> {
        let d = |command| Due {
            offset: 0,
            actor: director(),
            command,
        };
        let mut out = vec![d(Command::SetRules(Box::default()))];
        out.extend(
            self.sc
                .teams
                .iter()
                .map(|t| d(Command::RegisterTeam(Box::new(t.clone())))),
        );
        out.extend(
            self.sc
                .depots
                .iter()
                .map(|x| d(Command::RegisterDepot(Box::new(x.clone())))),
        );
        out.extend(
            self.sc
                .hazards
                .iter()
                .map(|x| d(Command::RegisterHazard(Box::new(x.clone())))),
        );
        out.extend(
            self.sc
                .shelters
                .iter()
                .map(|x| d(Command::RegisterShelter(Box::new(x.clone())))),
        );
        out
    }

    fn fire(&mut self, inj: &crate::model::Inject) -> Vec<Due> {
        let kind = match inj.kind {
            InjectKind::IncidentReport | InjectKind::CasualtyUpdate => MessageKind::Report,
            InjectKind::Radio | InjectKind::TeamBreakdown => MessageKind::Radio,
            InjectKind::RoadClosure => MessageKind::RoadClosure,
            InjectKind::WeatherWarning => MessageKind::WeatherWarning,
            InjectKind::SecondaryEvent => MessageKind::SecondaryEvent,
            InjectKind::Notice => MessageKind::Notice,
        };
        let d = |command| Due {
            offset: inj.at,
            actor: director(),
            command,
        };
        let mut out = vec![d(Command::Drill(DrillCommand::Message(DrillMessage {
            inject: Some(inj.id.clone()),
            kind,
            from: inj.from.clone(),
            to: inj.to.clone(),
            method: inj.method.clone(),
            text: inj.text.clone(),
        })))];
        if let Some(intake) = &inj.intake {
            let mut intake = intake.clone();
            intake.reported_at = self.sc.at(inj.at);
            intake.occurred_at = intake.reported_at.plus(-inj.occurred_before);
            out.push(d(Command::OpenIncident(intake)));
        } else if let (Some((casualties, loss)), Some(incident)) = (inj.casualties, &inj.incident) {
            out.push(d(Command::UpdateCasualties {
                incident: incident.clone(),
                casualties,
                direct_loss_yuan: loss,
            }));
        }
        if inj.kind == InjectKind::TeamBreakdown
            && let Some(team) = &inj.team
        {
            // The team stops where it is; it is taken out of service once
            // no order holds it (the players must cancel a stuck order).
            self.sims.retain(|_, s| &s.team != team);
            self.broken.insert(team.clone(), (inj.text.clone(), false));
        }
        out
    }

    fn take_broken_out_of_service(&mut self, now: Millis, state: &State) -> Vec<Due> {
        let mut out = Vec::new();
        for (team, (reason, done)) in &mut self.broken {
            if !*done
                && state
                    .teams
                    .get(team)
                    .is_some_and(|t| t.status == TeamStatus::Available)
            {
                *done = true;
                out.push(Due {
                    offset: now,
                    actor: director(),
                    command: Command::SetTeamService {
                        team: team.clone(),
                        out_of_service: Some(reason.clone()),
                    },
                });
            }
        }
        out
    }

    /// Plans how each newly ordered team answers and travels.
    fn plan_new_orders(&mut self, state: &State) {
        for o in state.orders.values() {
            if self.seen_orders.contains(&o.id) {
                continue;
            }
            self.seen_orders.insert(o.id.clone());
            let (Some(team), Some(incident)) =
                (state.teams.get(&o.team), state.incidents.get(&o.incident))
            else {
                continue;
            };
            if self.broken.contains_key(&team.id)
                || !matches!(
                    o.status,
                    OrderStatus::Issued | OrderStatus::Delivered | OrderStatus::TimedOut
                )
                || self.sc.team(&team.id).is_none()
            {
                continue;
            }
            let issued = o.issued_at.since(self.sc.meta.start);
            let f = &self.sc.field;
            let delay = f
                .team_ack_delay
                .get(&team.id)
                .copied()
                .unwrap_or(f.ack_delay);
            let jitter = self.rng.up_to(f.ack_jitter / 1000) * 1000;
            let ack = issued + delay + jitter;
            let leave = ack + f.turnout;
            let from = team.last_fix.map_or(team.home, |x| x.position);
            let to = incident.position;
            let metres = from.distance_m(&to);
            let travel =
                ((metres / state.rules.speed_mps(team.kind)).ceil() as Millis).max(1) * 1000;
            let arrive = leave + travel;
            let mut steps = VecDeque::from([(ack, Step::Ack), (leave, Step::EnRoute)]);
            let mut t = leave + f.fix_every;
            while t < arrive {
                let k = (t - leave) as f64 / travel as f64;
                let p = GeoPoint::new(
                    from.lat + (to.lat - from.lat) * k,
                    from.lon + (to.lon - from.lon) * k,
                );
                steps.push_back((t, Step::Fix(p)));
                t += f.fix_every;
            }
            steps.push_back((arrive, Step::Fix(to)));
            steps.push_back((arrive, Step::OnScene));
            self.sims.insert(
                o.id.clone(),
                Sim {
                    team: team.id.clone(),
                    steps,
                },
            );
        }
    }

    fn field_steps(&mut self, now: Millis, state: &State) -> Vec<Due> {
        let mut out = Vec::new();
        let start = self.sc.meta.start;
        let mut finished = Vec::new();
        for (order, sim) in &mut self.sims {
            let stopped = state.orders.get(order).is_none_or(|o| {
                matches!(
                    o.status,
                    OrderStatus::Cancelled | OrderStatus::Refused | OrderStatus::Available
                )
            });
            if stopped {
                finished.push(order.clone());
                continue;
            }
            let Some(team) = state.teams.get(&sim.team) else {
                finished.push(order.clone());
                continue;
            };
            let actor = team_actor(&team.name, &team.id);
            while sim.steps.front().is_some_and(|(t, _)| *t <= now) {
                let Some((t, step)) = sim.steps.pop_front() else {
                    break;
                };
                let advance = |step| Command::AdvanceOrder {
                    order: order.clone(),
                    step,
                };
                match step {
                    Step::Ack => out.push(Due {
                        offset: t,
                        actor: actor.clone(),
                        command: advance(OrderStep::Acknowledged),
                    }),
                    Step::EnRoute => out.push(Due {
                        offset: t,
                        actor: actor.clone(),
                        command: advance(OrderStep::EnRoute),
                    }),
                    Step::Fix(p) => {
                        // A team's fixes must be strictly newer than its last one.
                        let last = self.last_fix.get(&sim.team).copied().unwrap_or(Millis::MIN);
                        if t <= last {
                            continue;
                        }
                        self.last_fix.insert(sim.team.clone(), t);
                        out.push(Due {
                            offset: t,
                            actor: actor.clone(),
                            command: Command::ReportFix {
                                team: sim.team.clone(),
                                fix: Fix {
                                    position: p,
                                    accuracy_m: Some(10.0),
                                    source: FixSource::Simulated,
                                    taken_at: start.plus(t),
                                },
                            },
                        });
                    }
                    Step::OnScene => {
                        out.push(Due {
                            offset: t,
                            actor: actor.clone(),
                            command: advance(OrderStep::OnScene),
                        });
                        out.push(Due {
                            offset: t,
                            actor: actor.clone(),
                            command: Command::Drill(DrillCommand::Message(DrillMessage {
                                inject: None,
                                kind: MessageKind::Radio,
                                from: team.name.clone(),
                                to: "指挥中心".into(),
                                method: "对讲机".into(),
                                text: format!("{}已到达现场，开始处置。", team.name),
                            })),
                        });
                    }
                }
            }
            if sim.steps.is_empty() {
                finished.push(order.clone());
            }
        }
        for o in finished {
            self.sims.remove(&o);
        }
        out
    }
}
