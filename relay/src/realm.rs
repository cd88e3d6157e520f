//! One realm: its state, its ledger and its subscribers, owned by one
//! thread. Requests arrive on a channel; everything that arrived while the
//! previous batch was being written forms the next group commit, so there is
//! one fsync per batch, not per command.

use domain::field::{EMERGENCY_CANCELLED, FieldCommand, FieldEvent};
use domain::{
    Actor, Command, Context, Decision, EventKind, OrderStatus, OrderStep, RealmKind, Role, State,
    Team, TeamId, Timestamp, decide,
};
use ledger::{Ledger, LedgerOptions};
use protocol::{CommandOutcome, ErrorCode, FieldObservation, Limits, RealmId, Seq, ServerMessage};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tracing::{error, info, warn};

/// A frame ready to write to a client: encoded once, shared by every subscriber.
pub type Frame = Arc<[u8]>;

/// How often timers (acknowledgement time-outs, checkpoints) are checked.
const HOUSEKEEPING_EVERY: Duration = Duration::from_millis(250);

/// Largest batch decided and written as one group commit. A batch reaches
/// every subscriber queue at once, so it is also kept to half a queue.
const MAX_BATCH: usize = 1024;

/// Where a session wants a realm's decisions delivered.
#[derive(Clone)]
pub struct Subscriber {
    /// Session id (for unsubscribing).
    pub session: u64,
    /// Bounded queue of frames to the client.
    pub frames: mpsc::Sender<Frame>,
    /// Unbounded, tiny: resync notices that must get through a full queue.
    pub control: mpsc::UnboundedSender<ServerMessage>,
}

/// What a realm can be asked.
pub enum RealmRequest {
    /// Decide a command; the outcome goes back on `reply` once durable.
    Command {
        /// Who.
        actor: Actor,
        /// What.
        command: Box<Command>,
        /// Where the outcome goes.
        reply: oneshot::Sender<CommandOutcome>,
    },
    /// A field observation from a gateway, mapped to a team by radio id.
    Field {
        /// The gateway.
        actor: Actor,
        /// The observation.
        observation: Box<FieldObservation>,
    },
    /// Start delivering decisions after `from_seq` to `subscriber`.
    Subscribe {
        /// Last seq the client has.
        from_seq: Seq,
        /// Where to deliver.
        subscriber: Subscriber,
    },
    /// Stop delivering to a session.
    Unsubscribe {
        /// Session id.
        session: u64,
    },
    /// Drill director's control of the realm's scenario and clock.
    Drill {
        /// Who.
        actor: Actor,
        /// What.
        action: protocol::DrillAction,
        /// Where the status goes.
        reply: oneshot::Sender<protocol::DrillStatus>,
    },
    /// A page of the log for review, from `from`; the page that reaches
    /// the end carries the head, signed now.
    ReadLog {
        /// First seq wanted.
        from: Seq,
        /// Where the page goes.
        reply: oneshot::Sender<Result<LogPage, String>>,
    },
    /// Write what is pending and stop.
    Shutdown,
}

/// A page of the log: records and, at the end, the signed head.
pub type LogPage = (Vec<protocol::LogRecord>, Option<protocol::SignedHead>);

/// Settings a realm needs.
#[derive(Debug, Clone)]
pub struct RealmOptions {
    /// Tail longer than this gets a snapshot.
    pub snapshot_threshold: u64,
    /// State snapshot every this many decisions.
    pub snapshot_every: u64,
    /// Checkpoint every this many decisions.
    pub checkpoint_every: u64,
    /// …and at least this often while there are new decisions.
    pub checkpoint_interval: Duration,
    /// Segment size limit.
    pub segment_max_bytes: u64,
    /// Capacity of each subscriber's queue.
    pub subscriber_queue: usize,
}

/// A running realm.
pub struct RealmHandle {
    /// Its name.
    pub id: RealmId,
    /// Live or drill.
    pub kind: RealmKind,
    tx: std_mpsc::Sender<RealmRequest>,
    last_seq: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl RealmHandle {
    /// Sends a request; false if the realm has stopped.
    pub fn send(&self, req: RealmRequest) -> bool {
        self.tx.send(req).is_ok()
    }

    /// Seq of the last durable decision.
    pub fn last_seq(&self) -> Seq {
        self.last_seq.load(Ordering::Acquire)
    }

    /// Asks the realm to finish and waits for it.
    pub fn stop(&mut self) {
        let _ = self.tx.send(RealmRequest::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RealmHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Directory of a realm's log inside the data directory.
pub fn realm_dir(data: &Path, id: &RealmId) -> PathBuf {
    data.join("realms").join(&id.0)
}

/// Whether a realm name is safe as a directory name.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Opens (recovering if needed) and starts a realm on its own thread.
pub fn start(
    data: &Path,
    id: RealmId,
    kind: RealmKind,
    key: ed25519_dalek::SigningKey,
    opts: RealmOptions,
    metrics: Arc<crate::metrics::Metrics>,
) -> anyhow::Result<RealmHandle> {
    let dir = realm_dir(data, &id);
    std::fs::create_dir_all(&dir)?;
    let kind_file = dir.join("kind");
    if !kind_file.exists() {
        std::fs::write(
            &kind_file,
            if kind == RealmKind::Drill {
                "drill"
            } else {
                "live"
            },
        )?;
    }
    let ledger_opts = LedgerOptions {
        checkpoint_every: opts.checkpoint_every,
        segment_max_bytes: opts.segment_max_bytes,
        ..LedgerOptions::default()
    };
    let (ledger, recovery) = Ledger::open(&dir, key, ledger_opts)?;
    if let Some(t) = &recovery.truncated {
        warn!(
            realm = %id.0,
            segment = %t.segment.display(),
            offset = t.offset,
            bytes = t.bytes,
            "torn record at the end of the log truncated"
        );
    }
    let state = load_state(&ledger)?;
    let last = ledger.last_seq();
    info!(realm = %id.0, last_seq = last, "realm open");
    let last_seq = Arc::new(AtomicU64::new(last));
    let (tx, rx) = std_mpsc::channel();
    let last_time = state.last_event_at.0;
    let mut worker = Worker {
        id: id.clone(),
        kind,
        state,
        ledger,
        last_time,
        subs: Vec::new(),
        opts,
        failed: false,
        since_snapshot: 0,
        last_seq: last_seq.clone(),
        metrics,
        last_checkpoint: std::time::Instant::now(),
        last_housekeeping: std::time::Instant::now(),
        radios: HashMap::new(),
        strangers: HashMap::new(),
        drill: None,
    };
    for t in worker.state.teams.values() {
        index_radios(&mut worker.radios, t);
    }
    let thread = std::thread::Builder::new()
        .name(format!("realm-{}", id.0))
        .spawn(move || worker.run(rx))?;
    Ok(RealmHandle {
        id,
        kind,
        tx,
        last_seq,
        thread: Some(thread),
    })
}

/// State at the end of the log: newest good snapshot, then the tail folded.
fn load_state(ledger: &Ledger) -> anyhow::Result<State> {
    let last = ledger.last_seq();
    let (mut state, from) = match ledger.snapshot_at_or_before(last)? {
        Some((seq, bytes)) => match postcard::from_bytes::<State>(&bytes) {
            Ok(state) => (state, seq),
            // A snapshot written before `State` gained a field no longer
            // decodes; the log itself still does, so fold it from the start.
            Err(e) => {
                tracing::warn!(
                    seq,
                    "snapshot does not decode ({e}); replaying the whole log"
                );
                (State::default(), 0)
            }
        },
        None => (State::default(), 0),
    };
    for rec in ledger.read_from(from + 1)? {
        let rec = rec?;
        let d: Decision = postcard::from_bytes(&rec.payload)
            .map_err(|e| anyhow::anyhow!("record {} does not decode: {e}", rec.seq))?;
        state.apply_decision(&d);
    }
    Ok(state)
}

struct Pending {
    decision: Decision,
    reply: Option<oneshot::Sender<CommandOutcome>>,
}

struct Worker {
    id: RealmId,
    kind: RealmKind,
    state: State,
    ledger: Ledger,
    last_time: i64,
    subs: Vec<Subscriber>,
    opts: RealmOptions,
    /// Set when the log could not be written: the in-memory state can no
    /// longer be trusted, so the realm refuses everything until restarted.
    failed: bool,
    since_snapshot: u64,
    last_seq: Arc<AtomicU64>,
    metrics: Arc<crate::metrics::Metrics>,
    last_checkpoint: std::time::Instant,
    last_housekeeping: std::time::Instant,
    /// Radio id, callsign or CoT uid → team, so a fix finds its team
    /// without scanning every team (fixes are the hot path).
    radios: HashMap<String, TeamId>,
    /// Unassigned devices as last recorded (fix time, position, alarm), so
    /// their sightings are thinned before they become decisions.
    strangers: HashMap<String, (i64, domain::GeoPoint, bool)>,
    /// The scenario a drill realm plays, with its clock.
    drill: Option<crate::drill::LiveDrill>,
}

fn wall_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Worker {
    fn run(&mut self, rx: std_mpsc::Receiver<RealmRequest>) {
        loop {
            // A running drill is ticked often enough for 100× (one scenario
            // step per ~10 s of scenario time at most).
            let wait = if self.drill.as_ref().is_some_and(|d| d.running()) {
                Duration::from_millis(100)
            } else {
                Duration::from_millis(500)
            };
            let first = match rx.recv_timeout(wait) {
                Ok(r) => r,
                Err(std_mpsc::RecvTimeoutError::Timeout) => {
                    self.tick_drill();
                    self.housekeeping();
                    continue;
                }
                Err(std_mpsc::RecvTimeoutError::Disconnected) => return,
            };
            let max_batch = MAX_BATCH.min(self.opts.subscriber_queue / 2).max(1);
            let mut batch = vec![first];
            while batch.len() < max_batch {
                match rx.try_recv() {
                    Ok(r) => batch.push(r),
                    Err(_) => break,
                }
            }
            let mut pending = Vec::new();
            for req in batch {
                match req {
                    RealmRequest::Command {
                        actor,
                        command,
                        reply,
                    } => self.decide(actor, *command, Some(reply), &mut pending),
                    RealmRequest::Field { actor, observation } => {
                        for cmd in self.field_commands(&observation) {
                            self.decide(actor.clone(), cmd, None, &mut pending);
                        }
                    }
                    RealmRequest::Subscribe {
                        from_seq,
                        subscriber,
                    } => {
                        // Everything decided before the subscribe is durable and sent first.
                        self.commit(&mut pending);
                        self.subscribe(from_seq, subscriber);
                    }
                    RealmRequest::Unsubscribe { session } => {
                        self.subs.retain(|s| s.session != session)
                    }
                    RealmRequest::ReadLog { from, reply } => {
                        // What was decided before the request is in the page.
                        self.commit(&mut pending);
                        let _ = reply.send(self.log_page(from));
                    }
                    RealmRequest::Drill {
                        actor,
                        action,
                        reply,
                    } => {
                        self.commit(&mut pending);
                        let status = self.drill_control(actor, action);
                        let _ = reply.send(status);
                    }
                    RealmRequest::Shutdown => {
                        self.commit(&mut pending);
                        info!(realm = %self.id.0, last_seq = self.ledger.last_seq(), "realm closed");
                        return;
                    }
                }
            }
            self.commit(&mut pending);
            self.tick_drill();
            self.housekeeping();
        }
    }

    /// Loads a scenario or moves the drill clock; clock changes are logged
    /// as drill events through `decide` like any command.
    fn drill_control(
        &mut self,
        actor: Actor,
        action: protocol::DrillAction,
    ) -> protocol::DrillStatus {
        use protocol::DrillAction as A;
        let refuse = |this: &Self, why: String| {
            let mut st = crate::drill::status(this.drill.as_ref(), wall_clock());
            st.error = Some(why);
            st
        };
        if self.kind != RealmKind::Drill || actor.role != Role::DrillDirector {
            return refuse(self, "only a drill director controls a drill realm".into());
        }
        let (clock_action, speed) = match action {
            A::Status => return crate::drill::status(self.drill.as_ref(), wall_clock()),
            A::Load { file, text, base } => {
                if self.drill.is_some() || self.ledger.last_seq() > 0 {
                    return refuse(
                        self,
                        "a scenario is loaded into a fresh drill realm only".into(),
                    );
                }
                return match crate::drill::LiveDrill::load(&file, &text, base) {
                    Ok(d) => {
                        info!(realm = %self.id.0, title = %d.title(), "drill scenario loaded");
                        // From now on the realm's clock is the drill clock.
                        self.last_time = self.state.last_event_at.0;
                        self.drill = Some(d);
                        crate::drill::status(self.drill.as_ref(), wall_clock())
                    }
                    Err(e) => refuse(self, e),
                };
            }
            A::Start { speed } => (domain::ClockAction::Start, Some(speed)),
            A::Pause => (domain::ClockAction::Pause, None),
            A::Resume => (domain::ClockAction::Resume, None),
            A::Speed { speed } => (domain::ClockAction::Speed, Some(speed)),
            A::Halt => (domain::ClockAction::Halt, None),
            A::End => (domain::ClockAction::End, None),
        };
        // Everything due up to this instant is played before the clock moves.
        self.tick_drill();
        match self.clock_act(actor, clock_action, speed) {
            Ok(()) => crate::drill::status(self.drill.as_ref(), wall_clock()),
            Err(e) => refuse(self, e),
        }
    }

    fn clock_act(
        &mut self,
        actor: Actor,
        action: domain::ClockAction,
        speed: Option<u32>,
    ) -> Result<(), String> {
        let Some(d) = &mut self.drill else {
            return Err("no scenario loaded".into());
        };
        let change = d
            .clock
            .act(action, speed, wall_clock())
            .map_err(|e| e.to_string())?;
        let mut pending = Vec::new();
        self.decide(
            actor,
            Command::Drill(domain::DrillCommand::Clock(change)),
            None,
            &mut pending,
        );
        self.commit(&mut pending);
        Ok(())
    }

    /// Decides what the scenario has due by now; ends the drill at its planned length.
    fn tick_drill(&mut self) {
        let Some(d) = &mut self.drill else {
            return;
        };
        if !d.running() || self.failed {
            return;
        }
        let now = d.clock.scenario_time(wall_clock());
        let due = d.engine.due(now, &self.state);
        let over = now >= d.engine.scenario().meta.duration;
        let start = d.engine.scenario().meta.start;
        let mut pending = Vec::new();
        for x in due {
            // Each scenario command at its own scenario time, never backwards.
            self.last_time = self.last_time.max(start.plus(x.offset).0);
            let at = Timestamp(self.last_time);
            self.decide_at(at, x.actor, x.command, None, &mut pending);
        }
        self.commit(&mut pending);
        if over {
            let _ = self.clock_act(scenario::engine::director(), domain::ClockAction::End, None);
        }
    }

    /// Timers: acknowledgement time-outs and time-based checkpoints. At most
    /// a few times a second, not after every batch, since both scan state.
    fn housekeeping(&mut self) {
        if self.last_housekeeping.elapsed() < HOUSEKEEPING_EVERY {
            return;
        }
        self.last_housekeeping = std::time::Instant::now();
        self.time_out_orders();
        self.checkpoint_if_due();
    }

    /// Signs a checkpoint when decisions arrived since the last one and the
    /// interval has passed, so a quiet night still gets signed evidence.
    fn checkpoint_if_due(&mut self) {
        if self.failed || self.ledger.last_seq() == self.ledger.last_checkpoint_seq() {
            self.last_checkpoint = std::time::Instant::now();
            return;
        }
        if self.last_checkpoint.elapsed() < self.opts.checkpoint_interval {
            return;
        }
        self.last_checkpoint = std::time::Instant::now();
        let now = self.now();
        if let Err(e) = self.ledger.checkpoint(now.0) {
            error!(realm = %self.id.0, "cannot write checkpoint: {e}");
        }
    }

    /// The realm's clock: wall time, or in a drill realm with a scenario the
    /// drill clock (T+0 is the scenario's start; it stands while paused).
    fn now(&mut self) -> Timestamp {
        let t = match &self.drill {
            Some(d) => d.now(wall_clock()).0,
            None => wall_clock(),
        };
        self.last_time = self.last_time.max(t);
        Timestamp(self.last_time)
    }

    fn decide(
        &mut self,
        actor: Actor,
        command: Command,
        reply: Option<oneshot::Sender<CommandOutcome>>,
        pending: &mut Vec<Pending>,
    ) {
        let now = self.now();
        self.decide_at(now, actor, command, reply, pending);
    }

    fn decide_at(
        &mut self,
        now: Timestamp,
        actor: Actor,
        command: Command,
        reply: Option<oneshot::Sender<CommandOutcome>>,
        pending: &mut Vec<Pending>,
    ) {
        if self.failed {
            if let Some(r) = reply {
                let _ = r.send(CommandOutcome::Failed {
                    code: ErrorCode::Unavailable,
                    message: "realm stopped after a storage failure".into(),
                });
            }
            return;
        }
        let ctx = Context {
            now,
            actor: actor.clone(),
            realm: self.kind,
        };
        match decide(&self.state, &command, &ctx) {
            Ok(events) => {
                let decision = Decision {
                    at: ctx.now,
                    actor,
                    command,
                    events,
                };
                self.state.apply_decision(&decision);
                for e in &decision.events {
                    if let EventKind::TeamRegistered(t) = &e.kind {
                        index_radios(&mut self.radios, t);
                    }
                    if let EventKind::Field(f) = &e.kind {
                        match f {
                            FieldEvent::DeviceBound { device, team } => {
                                self.radios.insert(device.clone(), team.clone());
                                self.strangers.remove(device);
                            }
                            FieldEvent::DeviceUnbound { device, .. } => {
                                self.radios.remove(device);
                            }
                            _ => {}
                        }
                    }
                }
                pending.push(Pending { decision, reply });
            }
            Err(rejection) => {
                self.metrics.rejected();
                info!(realm = %self.id.0, user = %actor.user, role = ?actor.role, command = command.name(), %rejection, "command rejected");
                if let Some(r) = reply {
                    let _ = r.send(CommandOutcome::Rejected(rejection));
                }
            }
        }
    }

    /// What an observation from a known radio means for its team: a
    /// `ReportFix` for a fix; an emergency raised (once, until cleared); a
    /// cancelled one (CoT `b-a-o-can` status) cleared. A device of no team
    /// is sighted, thinned: when first seen, when it moved, raised or
    /// dropped an alarm, or a minute after its last sighting.
    fn field_commands(&mut self, obs: &FieldObservation) -> Vec<Command> {
        let Some(team) = self.radios.get(&obs.device) else {
            return self.sighting(obs).into_iter().collect();
        };
        let mut cmds = Vec::new();
        if let Some(fix) = obs.fix {
            cmds.push(Command::ReportFix {
                team: team.clone(),
                fix,
            });
        }
        let active = self.state.field.emergencies.contains_key(team);
        if obs.emergency && !active {
            cmds.push(Command::Field(FieldCommand::RaiseEmergency {
                team: team.clone(),
                device: obs.device.clone(),
                position: obs.fix.map(|f| f.position),
                text: obs.text.clone().or_else(|| obs.status.clone()),
            }));
        } else if active && !obs.emergency && obs.status.as_deref() == Some(EMERGENCY_CANCELLED) {
            cmds.push(Command::Field(FieldCommand::ClearEmergency {
                team: team.clone(),
            }));
        }
        cmds
    }

    /// Up to a page of records from `from`; if the page reaches the end,
    /// the head signed now (a checkpoint like the periodic ones).
    fn log_page(&mut self, from: Seq) -> Result<LogPage, String> {
        let mut records = Vec::new();
        let mut bytes = 0;
        let mut more = false;
        for rec in self
            .ledger
            .read_from(from.max(1))
            .map_err(|e| e.to_string())?
        {
            let rec = rec.map_err(|e| e.to_string())?;
            if records.len() >= protocol::LOG_PAGE_RECORDS || bytes >= protocol::LOG_PAGE_BYTES {
                more = true;
                break;
            }
            bytes += rec.payload.len();
            records.push(protocol::LogRecord {
                seq: rec.seq,
                time: rec.time,
                payload: rec.payload,
            });
        }
        let head = if more || self.failed {
            None
        } else {
            let h = self
                .ledger
                .signed_head(wall_clock())
                .map_err(|e| e.to_string())?;
            Some(protocol::SignedHead {
                seq: h.seq,
                time: h.time,
                hash: h.hash,
                public_key: h.public_key,
                signature: h.signature.to_vec(),
            })
        };
        Ok((records, head))
    }

    fn sighting(&mut self, obs: &FieldObservation) -> Option<Command> {
        /// Metres a stranger must move, and milliseconds must pass, before
        /// it is recorded again.
        const MOVED_M: f64 = 100.0;
        const AGAIN_MS: i64 = 60_000;
        let fix = obs.fix?;
        let known = self.strangers.get(&obs.device);
        let due = match known {
            None => {
                // Full: the decision would be refused; don't write a
                // refusal per packet.
                self.state.field.unassigned.len() < domain::field::MAX_UNASSIGNED
                    || self.state.field.unassigned.contains_key(&obs.device)
            }
            Some((at, p, alarm)) => {
                fix.taken_at.0 - at >= AGAIN_MS
                    || p.distance_m(&fix.position) >= MOVED_M
                    || *alarm != obs.emergency
            }
        };
        if !due || self.strangers.len() > 4 * domain::field::MAX_UNASSIGNED {
            return None;
        }
        self.strangers.insert(
            obs.device.clone(),
            (fix.taken_at.0, fix.position, obs.emergency),
        );
        Some(Command::Field(FieldCommand::SightDevice {
            device: obs.device.clone(),
            fix,
            emergency: obs.emergency,
            text: obs.text.clone().or_else(|| obs.status.clone()),
        }))
    }

    /// Writes pending decisions as one group commit, then broadcasts and answers.
    fn commit(&mut self, pending: &mut Vec<Pending>) {
        if pending.is_empty() {
            return;
        }
        let batch = std::mem::take(pending);
        let started = std::time::Instant::now();
        let encoded: Result<Vec<Vec<u8>>, _> = batch
            .iter()
            .map(|p| postcard::to_stdvec(&p.decision))
            .collect();
        let result = encoded.map_err(anyhow::Error::from).and_then(|payloads| {
            let entries: Vec<(i64, &[u8])> = batch
                .iter()
                .zip(&payloads)
                .map(|(p, b)| (p.decision.at.0, b.as_slice()))
                .collect();
            self.ledger
                .append_batch(&entries)
                .map_err(anyhow::Error::from)
        });
        let range = match result {
            Ok(r) => r,
            Err(e) => {
                error!(realm = %self.id.0, "cannot write the log, realm stops accepting commands: {e:#}");
                self.failed = true;
                for p in batch {
                    if let Some(r) = p.reply {
                        let _ = r.send(CommandOutcome::Failed {
                            code: ErrorCode::Internal,
                            message: "storage failure; not recorded".into(),
                        });
                    }
                }
                return;
            }
        };
        self.metrics
            .committed(started.elapsed(), self.ledger.last_sync_time());
        self.metrics.realm_seq(&self.id.0, *range.end());
        self.metrics.decided(batch.len() as u64);
        for (seq, p) in range.zip(batch) {
            self.last_seq.store(seq, Ordering::Release);
            self.broadcast(seq, p.decision);
            if let Some(r) = p.reply {
                let _ = r.send(CommandOutcome::Accepted { seq });
            }
            self.since_snapshot += 1;
        }
        let queues: Vec<(u64, u64)> = self
            .subs
            .iter()
            .map(|s| {
                (
                    s.session,
                    (s.frames.max_capacity() - s.frames.capacity()) as u64,
                )
            })
            .collect();
        self.metrics.realm_queues(&self.id.0, &queues);
        if self.since_snapshot >= self.opts.snapshot_every {
            self.snapshot();
        }
    }

    fn snapshot(&mut self) {
        self.since_snapshot = 0;
        let seq = self.ledger.last_seq();
        match postcard::to_stdvec(&self.state) {
            Ok(bytes) => {
                if let Err(e) = self.ledger.write_snapshot(seq, &bytes) {
                    warn!(realm = %self.id.0, seq, "cannot write snapshot: {e}");
                }
            }
            Err(e) => warn!(realm = %self.id.0, "cannot encode snapshot: {e}"),
        }
    }

    fn broadcast(&mut self, seq: Seq, decision: Decision) {
        if self.subs.is_empty() {
            return;
        }
        let msg = ServerMessage::Decision {
            realm: self.id.clone(),
            seq,
            decision: Box::new(decision),
        };
        let frame: Frame = match protocol::encode(&msg, Limits::FROM_RELAY) {
            Ok(f) => f.into(),
            Err(e) => {
                error!(realm = %self.id.0, seq, "cannot encode decision: {e}");
                return;
            }
        };
        let id = self.id.clone();
        let metrics = self.metrics.clone();
        self.subs
            .retain(|s| deliver(&id, s, frame.clone(), seq, &metrics));
    }

    fn subscribe(&mut self, from_seq: Seq, sub: Subscriber) {
        self.subs.retain(|s| s.session != sub.session);
        let last = self.ledger.last_seq();
        // A short log is replayed decision by decision even from scratch, so
        // a new console's feed (and a drill director's live evaluation)
        // sees every step; a long one starts from a snapshot.
        let far_behind = from_seq > last || last - from_seq > self.opts.snapshot_threshold;
        if far_behind {
            let msg = ServerMessage::Snapshot {
                realm: self.id.clone(),
                seq: last,
                state: Box::new(self.state.clone()),
            };
            match protocol::encode(&msg, Limits::FROM_RELAY) {
                Ok(f) => {
                    if !deliver(&self.id, &sub, f.into(), last, &self.metrics) {
                        return;
                    }
                }
                Err(e) => {
                    error!(realm = %self.id.0, "cannot encode snapshot: {e}");
                    return;
                }
            }
        } else {
            let records = match self.ledger.read_from(from_seq + 1) {
                Ok(r) => r,
                Err(e) => {
                    error!(realm = %self.id.0, from_seq, "cannot read the log: {e}");
                    return;
                }
            };
            for rec in records {
                let frame = rec.map_err(anyhow::Error::from).and_then(|rec| {
                    let decision: Decision = postcard::from_bytes(&rec.payload)?;
                    let msg = ServerMessage::Decision {
                        realm: self.id.clone(),
                        seq: rec.seq,
                        decision: Box::new(decision),
                    };
                    Ok((rec.seq, protocol::encode(&msg, Limits::FROM_RELAY)?))
                });
                match frame {
                    Ok((seq, f)) => {
                        if !deliver(&self.id, &sub, f.into(), seq, &self.metrics) {
                            return;
                        }
                    }
                    Err(e) => {
                        error!(realm = %self.id.0, "cannot replay the log: {e:#}");
                        return;
                    }
                }
            }
        }
        self.subs.push(sub);
    }

    /// Orders not acknowledged within the configured time are timed out by
    /// the relay itself, so the escalation is on the record.
    fn time_out_orders(&mut self) {
        if self.failed {
            return;
        }
        let now = self.now();
        let limit = self.state.rules.ack_timeout;
        let due: Vec<_> = self
            .state
            .orders
            .values()
            .filter(|o| matches!(o.status, OrderStatus::Issued | OrderStatus::Delivered))
            .filter(|o| now.since(o.issued_at) > limit)
            .map(|o| o.id.clone())
            .collect();
        if due.is_empty() {
            return;
        }
        let actor = Actor::new("relay", Role::System, "relay");
        let mut pending = Vec::new();
        for order in due {
            warn!(realm = %self.id.0, %order, "order not acknowledged in time");
            self.decide(
                actor.clone(),
                Command::AdvanceOrder {
                    order,
                    step: OrderStep::TimedOut,
                },
                None,
                &mut pending,
            );
        }
        self.commit(&mut pending);
    }
}

/// Adds a team's radios to the radio → team index.
fn index_radios(radios: &mut HashMap<String, TeamId>, team: &Team) {
    for r in &team.radio_ids {
        radios.insert(r.clone(), team.id.clone());
    }
}

/// Queues a frame for one subscriber; false (and a resync notice) if its
/// queue is full or it is gone. Never blocks the realm.
fn deliver(
    realm: &RealmId,
    sub: &Subscriber,
    frame: Frame,
    seq: Seq,
    metrics: &crate::metrics::Metrics,
) -> bool {
    match sub.frames.try_send(frame) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            warn!(realm = %realm.0, session = sub.session, seq, "subscriber too slow, told to resync");
            metrics.resynced();
            let _ = sub.control.send(ServerMessage::Resync {
                realm: realm.clone(),
                sent_up_to: seq.saturating_sub(1),
            });
            false
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{Actor, Event, Role, Timestamp};

    #[test]
    fn a_snapshot_that_no_longer_decodes_gives_way_to_replaying_the_log() {
        let dir = std::env::temp_dir().join(format!("ecc-realm-snapshot-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let (mut ledger, _) = Ledger::open(&dir, key, LedgerOptions::default()).expect("opens");
        let d = Decision {
            at: Timestamp(42),
            actor: Actor::new("admin", Role::Admin, "t"),
            command: Command::SetRules(Box::default()),
            events: vec![Event {
                at: Timestamp(42),
                actor: Actor::new("admin", Role::Admin, "t"),
                kind: EventKind::RulesSet(Box::default()),
            }],
        };
        let payload = postcard::to_stdvec(&d).expect("encodes");
        ledger.append_batch(&[(42, &payload)]).expect("appends");
        // As written by a build whose `State` had fewer fields.
        ledger.write_snapshot(1, &[0xFF, 0x01]).expect("snapshot");
        let state = load_state(&ledger).expect("loads");
        assert_eq!(state.last_event_at, Timestamp(42));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
