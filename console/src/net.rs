//! The link to the relay: a tokio runtime on its own thread follows the
//! `live` realm with the client library's `Follower` and hands plain
//! messages to the ECS over a channel; commands the officer issues go the
//! other way through the [`Outbox`], each on the session of the user who
//! signed in. In demo mode it first starts an embedded relay and plays the
//! demo night into it through real sessions.

use crate::demo;
use crate::picture::{Picture, wall_clock};
use bevy::prelude::*;
use client::{ClientConfig, FollowEvent, Follower, Session, Trust};
use domain::{Command, Decision, Role, State};
use protocol::{CommandOutcome, RealmId};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

/// Where the console's picture comes from.
#[derive(Clone)]
pub enum Source {
    /// An embedded relay on loopback, seeded with the demo night.
    Demo,
    /// A relay elsewhere.
    Relay(ClientConfig),
}

/// What the network thread tells the ECS.
pub enum NetUpdate {
    /// Link state changed.
    Status(LinkStatus),
    /// A snapshot replaced the state.
    Snapshot {
        /// Its seq.
        seq: u64,
        /// The state.
        state: Box<State>,
    },
    /// One decision to fold.
    Decision {
        /// Its seq.
        seq: u64,
        /// The decision.
        decision: Box<Decision>,
    },
    /// The demo night is fully played and followed.
    DemoReady,
    /// Who this console may act as (the role comes from the relay's welcome).
    Accounts(Vec<(String, Role)>),
    /// Realms the relay has now (live and drills).
    Realms(Vec<protocol::RealmInfo>),
    /// The console now follows this realm; the picture starts afresh.
    Realm {
        /// Realm.
        realm: RealmId,
        /// Whether it is a drill.
        drill: bool,
    },
    /// A drill realm's clock, as the relay answered a control request.
    Drill(protocol::DrillStatus),
    /// What became of a command from the outbox.
    Outcome {
        /// Outbox id.
        id: u64,
        /// The relay's answer, or why none came.
        result: Result<CommandOutcome, String>,
    },
}

/// A command on its way to the relay.
pub(crate) struct Outgoing {
    pub(crate) id: u64,
    pub(crate) user: String,
    pub(crate) realm: RealmId,
    pub(crate) command: Command,
    /// Set for a drill-clock request instead of a command.
    pub(crate) drill: Option<protocol::DrillAction>,
}

/// One command's fate, as the officer sees it.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// What was asked, in words.
    pub label: String,
    /// Accepted (durable) or not.
    pub ok: bool,
    /// Seq or reason.
    pub detail: String,
    /// When the answer came (wall clock).
    pub at: std::time::Instant,
}

/// Commands this console sends, who it acts as, and what became of them.
#[derive(Resource)]
pub struct Outbox {
    tx: tokio::sync::mpsc::UnboundedSender<Outgoing>,
    next_id: u64,
    /// Accounts this console may act as, with their roles.
    pub accounts: Vec<(String, Role)>,
    /// Index into `accounts` of the signed-in user.
    pub current: usize,
    /// Realm commands go to (the one the console follows).
    pub realm: RealmId,
    /// Sent, not yet answered: id → label.
    pub pending: BTreeMap<u64, String>,
    /// Answers, newest last.
    pub receipts: std::collections::VecDeque<Receipt>,
}

impl Outbox {
    /// An outbox whose commands land in the returned receiver (UI tests,
    /// headless measurements).
    pub(crate) fn for_test(
        accounts: Vec<(String, Role)>,
    ) -> (Outbox, tokio::sync::mpsc::UnboundedReceiver<Outgoing>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let outbox = Outbox {
            tx,
            next_id: 1,
            accounts,
            current: 0,
            realm: RealmId::live(),
            pending: BTreeMap::new(),
            receipts: Default::default(),
        };
        (outbox, rx)
    }

    /// The signed-in user and role, once known.
    pub fn me(&self) -> Option<&(String, Role)> {
        self.accounts.get(self.current)
    }

    /// Whether the signed-in user's role may issue `cmd`.
    pub fn may(&self, cmd: &Command) -> bool {
        self.me()
            .is_some_and(|(_, r)| r.may(domain::authz::CommandClass::of(cmd)))
    }

    /// Queues `cmd` as the signed-in user; `label` says what it is in the
    /// receipts. Returns its outbox id, or `None` before sign-in.
    pub fn send(&mut self, label: impl Into<String>, cmd: Command) -> Option<u64> {
        let (user, _) = self.me()?.clone();
        let id = self.next_id;
        self.next_id += 1;
        let label = label.into();
        if self
            .tx
            .send(Outgoing {
                id,
                user,
                realm: self.realm.clone(),
                command: cmd,
                drill: None,
            })
            .is_err()
        {
            self.receipt(label, false, "网络线程已停止".into());
            return None;
        }
        self.pending.insert(id, label);
        Some(id)
    }

    /// Asks the relay to act on the followed drill realm's clock; the
    /// answer comes back as the drill status.
    pub fn drill(&mut self, action: protocol::DrillAction) {
        let Some((user, _)) = self.me().cloned() else {
            return;
        };
        let id = self.next_id;
        self.next_id += 1;
        let _ = self.tx.send(Outgoing {
            id,
            user,
            realm: self.realm.clone(),
            // Not sent: the drill action is.
            command: Command::SetRoster(Default::default()),
            drill: Some(action),
        });
    }

    fn receipt(&mut self, label: String, ok: bool, detail: String) {
        self.receipts.push_back(Receipt {
            label,
            ok,
            detail,
            at: std::time::Instant::now(),
        });
        while self.receipts.len() > 50 {
            self.receipts.pop_front();
        }
    }

    fn settle(&mut self, id: u64, result: Result<CommandOutcome, String>) {
        let label = self.pending.remove(&id).unwrap_or_default();
        match result {
            Ok(CommandOutcome::Accepted { seq }) => {
                self.receipt(label, true, format!("已记录 seq {seq}"))
            }
            Ok(CommandOutcome::Rejected(r)) => self.receipt(label, false, format!("被拒绝：{r}")),
            Ok(CommandOutcome::Failed { code, message }) => {
                self.receipt(label, false, format!("中继未处理（{code:?}）：{message}"))
            }
            Err(e) => self.receipt(label, false, format!("未送达：{e}")),
        }
    }
}

/// The link as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkStatus {
    /// Starting the embedded relay or connecting.
    Connecting,
    /// Subscribed to the relay.
    Connected {
        /// Relay address.
        relay: String,
    },
    /// Connection lost; retrying.
    Reconnecting,
    /// A gap or a slow-subscriber notice: catching up from the last seq.
    Resyncing,
    /// Gave up (e.g. refused credentials); says why.
    Failed(String),
    /// No relay: a log read from disk.
    Offline,
}

/// Link state for the panels.
#[derive(Resource)]
pub struct Link {
    /// Current status.
    pub status: LinkStatus,
    /// Whether the demo night has been fully received.
    pub demo_ready: bool,
    /// Whether this is the demo (its night is played in at start).
    pub demo: bool,
    /// Seq the picture had when the demo night was fully loaded.
    pub ready_seq: Option<u64>,
    /// Realms the relay has (refreshed every few seconds).
    pub realms: Vec<protocol::RealmInfo>,
    /// How long the last decision took from the relay's clock to this
    /// screen, ms (the picture's delay behind the relay).
    pub lag_ms: Option<i64>,
    /// The relay last connected to, to say so again after a resync.
    relay: String,
    realm_tx: tokio::sync::watch::Sender<RealmId>,
    rx: Mutex<mpsc::Receiver<NetUpdate>>,
}

/// Starts the network thread.
pub struct NetPlugin {
    /// Where to connect.
    pub source: Source,
}

impl Link {
    /// A decision or snapshot arrived: a resync is over.
    fn caught_up(&mut self) {
        if self.status == LinkStatus::Resyncing {
            self.status = LinkStatus::Connected {
                relay: self.relay.clone(),
            };
        }
    }

    /// A link to nothing (headless measurements).
    pub(crate) fn offline() -> Self {
        let (_, rx) = mpsc::channel();
        let (realm_tx, _) = tokio::sync::watch::channel(RealmId::live());
        Link {
            status: LinkStatus::Offline,
            demo_ready: true,
            demo: false,
            ready_seq: None,
            realms: Vec::new(),
            lag_ms: None,
            relay: String::new(),
            realm_tx,
            rx: Mutex::new(rx),
        }
    }

    /// Follows another realm (join or leave a drill) without restarting.
    pub fn switch_to(&self, realm: RealmId) {
        let _ = self.realm_tx.send(realm);
    }
}

impl Plugin for NetPlugin {
    fn build(&self, app: &mut App) {
        let (tx, rx) = mpsc::channel();
        let (out_tx, out_rx) = tokio::sync::mpsc::unbounded_channel();
        let (realm_tx, realm_rx) = tokio::sync::watch::channel(RealmId::live());
        let source = self.source.clone();
        let spawned = std::thread::Builder::new()
            .name("net".into())
            .spawn(move || run(source, tx, out_rx, realm_rx));
        if let Err(e) = spawned {
            error!("cannot start the network thread: {e}");
        }
        app.insert_resource(Link {
            status: LinkStatus::Connecting,
            demo_ready: false,
            demo: matches!(self.source, Source::Demo),
            ready_seq: None,
            realms: Vec::new(),
            lag_ms: None,
            relay: String::new(),
            realm_tx,
            rx: Mutex::new(rx),
        })
        .insert_resource(Outbox {
            tx: out_tx,
            next_id: 1,
            accounts: Vec::new(),
            current: 0,
            realm: RealmId::live(),
            pending: BTreeMap::new(),
            receipts: Default::default(),
        })
        .add_systems(PreUpdate, receive);
    }
}

/// Folds whatever arrived since the last frame into the picture.
fn receive(
    mut link: ResMut<Link>,
    mut picture: ResMut<Picture>,
    mut outbox: ResMut<Outbox>,
    mut alerts: ResMut<crate::alerts::Alerts>,
    mut drill: ResMut<crate::drill::DrillDesk>,
) {
    let updates: Vec<NetUpdate> = match link.rx.lock() {
        Ok(rx) => rx.try_iter().collect(),
        Err(_) => return,
    };
    for u in updates {
        match u {
            NetUpdate::Status(s) => {
                if let LinkStatus::Connected { relay } = &s {
                    link.relay = relay.clone();
                }
                link.status = s;
            }
            NetUpdate::Snapshot { seq, state } => {
                link.caught_up();
                picture.reset(seq, *state)
            }
            NetUpdate::Decision { seq, decision } => {
                link.lag_ms = Some((crate::picture::wall_clock().0 - decision.at.0).max(0));
                link.caught_up();
                picture.apply_decision(seq, *decision)
            }
            NetUpdate::DemoReady => {
                link.demo_ready = true;
                link.ready_seq = Some(picture.last_seq);
            }
            NetUpdate::Accounts(a) => {
                outbox.accounts = a;
                outbox.current = 0;
            }
            NetUpdate::Outcome { id, result } => outbox.settle(id, result),
            NetUpdate::Realms(r) => link.realms = r,
            NetUpdate::Drill(status) => drill.status = Some(status),
            NetUpdate::Realm {
                realm,
                drill: is_drill,
            } => {
                picture.switch(&realm.0, is_drill);
                drill.status = None;
                alerts.restart();
                outbox.realm = realm;
            }
        }
    }
}

fn run(
    source: Source,
    tx: mpsc::Sender<NetUpdate>,
    outbox: tokio::sync::mpsc::UnboundedReceiver<Outgoing>,
    realm: tokio::sync::watch::Receiver<RealmId>,
) {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = tx.send(NetUpdate::Status(LinkStatus::Failed(e.to_string())));
            return;
        }
    };
    rt.block_on(async move {
        match source {
            Source::Relay(cfg) => {
                let accounts = BTreeMap::from([(cfg.user.clone(), cfg.clone())]);
                tokio::spawn(commander(accounts, outbox, tx.clone()));
                follow(cfg, None, &tx, realm).await
            }
            Source::Demo => match DemoRelay::start().await {
                // The relay must outlive the follower: keep it bound here.
                Ok(demo) => {
                    let accounts = DEMO_OPERATORS
                        .iter()
                        .map(|u| (u.to_string(), client_config(&demo.relay, &demo.tokens, u)))
                        .collect();
                    tokio::spawn(commander(accounts, outbox, tx.clone()));
                    follow(demo.console.clone(), Some(&demo), &tx, realm).await
                }
                Err(e) => {
                    let _ = tx.send(NetUpdate::Status(LinkStatus::Failed(format!("{e:#}"))));
                }
            },
        }
    });
}

async fn follow(
    cfg: ClientConfig,
    demo: Option<&DemoRelay>,
    tx: &mpsc::Sender<NetUpdate>,
    mut realm: tokio::sync::watch::Receiver<RealmId>,
) {
    let relay = cfg.addr.to_string();
    let mut follower = Follower::new(cfg.clone(), RealmId::live());
    let progress = Arc::new(AtomicU64::new(0));
    let mut seeding_started = false;
    loop {
        let next = tokio::select! {
            changed = realm.changed() => {
                if changed.is_err() {
                    return;
                }
                // Join or leave a drill: follow the new realm from scratch.
                let id = realm.borrow_and_update().clone();
                follower = Follower::new(cfg.clone(), id.clone());
                let drill = id.0.starts_with("drill-");
                if tx.send(NetUpdate::Realm { realm: id, drill }).is_err() {
                    return;
                }
                continue;
            }
            next = follower.next() => next,
        };
        let update = match next {
            Ok(FollowEvent::Subscribed { .. }) => {
                // Play the demo night only once the console listens, so its
                // activity feed shows every decision as it happens.
                if let Some(demo) = demo
                    && !seeding_started
                {
                    seeding_started = true;
                    tokio::spawn(demo.seed(progress.clone(), tx.clone()));
                }
                NetUpdate::Status(LinkStatus::Connected {
                    relay: relay.clone(),
                })
            }
            Ok(FollowEvent::Snapshot { seq }) => NetUpdate::Snapshot {
                seq,
                state: Box::new(follower.mirror().state.clone()),
            },
            Ok(FollowEvent::Decision { seq, decision }) => NetUpdate::Decision { seq, decision },
            Ok(FollowEvent::Disconnected) => NetUpdate::Status(LinkStatus::Reconnecting),
            Ok(FollowEvent::Resyncing { .. }) => NetUpdate::Status(LinkStatus::Resyncing),
            Ok(FollowEvent::Notice(msg)) => {
                debug!("relay says {msg:?}");
                continue;
            }
            Err(e) => {
                let _ = tx.send(NetUpdate::Status(LinkStatus::Failed(e.to_string())));
                return;
            }
        };
        if tx.send(update).is_err() {
            return; // the window closed
        }
        if follower.mirror().realm == Some(RealmId::live()) {
            progress.store(follower.mirror().last_seq, Ordering::Release);
        }
    }
}

/// Sends the officer's commands, one at a time and in order, each on a
/// session of the user who issued it. Says first which accounts work and
/// in which role (from the relay's welcome).
async fn commander(
    accounts: BTreeMap<String, ClientConfig>,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Outgoing>,
    tx: mpsc::Sender<NetUpdate>,
) {
    let mut sessions: BTreeMap<String, Session> = BTreeMap::new();
    let mut roles = Vec::new();
    // In the demo the duty officer comes first: that is who signs in.
    let mut order: Vec<&String> = accounts.keys().collect();
    order.sort_by_key(|u| DEMO_OPERATORS.iter().position(|d| d == u));
    for user in order {
        match Session::connect_with_backoff(&accounts[user], 20).await {
            Ok(s) => {
                roles.push((user.clone(), s.welcome().role));
                sessions.insert(user.clone(), s);
            }
            Err(e) => warn!("account {user} cannot sign in: {e}"),
        }
    }
    if tx.send(NetUpdate::Accounts(roles)).is_err() {
        return;
    }
    let first = accounts.values().next().cloned();
    let mut poll = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        let out = tokio::select! {
            out = rx.recv() => match out {
                Some(out) => out,
                None => return,
            },
            _ = poll.tick() => {
                // A fresh welcome lists the realms as they are now (drills
                // come and go).
                if let Some(cfg) = &first
                    && let Ok(s) = Session::connect(cfg).await
                {
                    let realms = s.welcome().realms.clone();
                    s.close().await;
                    if tx.send(NetUpdate::Realms(realms)).is_err() {
                        return;
                    }
                }
                continue;
            }
        };
        if !sessions.contains_key(&out.user) {
            let Some(cfg) = accounts.get(&out.user) else {
                let _ = tx.send(NetUpdate::Outcome {
                    id: out.id,
                    result: Err(format!("没有账户 {}", out.user)),
                });
                continue;
            };
            match Session::connect_with_backoff(cfg, 3).await {
                Ok(s) => {
                    sessions.insert(out.user.clone(), s);
                }
                Err(e) => {
                    let _ = tx.send(NetUpdate::Outcome {
                        id: out.id,
                        result: Err(e.to_string()),
                    });
                    continue;
                }
            }
        }
        if let Some(action) = out.drill {
            if let Some(s) = sessions.get_mut(&out.user) {
                let msg = protocol::ClientMessage::DrillControl {
                    realm: out.realm.clone(),
                    action,
                };
                if s.send(&msg).await.is_err() {
                    sessions.remove(&out.user);
                    continue;
                }
                // This session subscribes to nothing: what comes back is the answer.
                let wait = std::time::Duration::from_secs(5);
                while let Ok(Some(reply)) = tokio::time::timeout(wait, s.next_message()).await {
                    match reply {
                        protocol::ServerMessage::DrillStatus { status, .. } => {
                            let _ = tx.send(NetUpdate::Drill(status));
                            break;
                        }
                        protocol::ServerMessage::Error { message, .. } => {
                            let _ = tx.send(NetUpdate::Drill(protocol::DrillStatus {
                                title: String::new(),
                                clock: protocol::DrillClockState::NoScenario,
                                speed: 0,
                                scenario_ms: 0,
                                duration_ms: 0,
                                error: Some(message),
                            }));
                            break;
                        }
                        _ => {}
                    }
                }
            }
            continue;
        }
        let result = match sessions.get(&out.user) {
            Some(s) => s
                .command(&out.realm, out.command)
                .await
                .map_err(|e| e.to_string()),
            None => Err("no session".into()),
        };
        if result.is_err() {
            // Reconnect on the next command rather than reuse a dead link.
            sessions.remove(&out.user);
        }
        if tx.send(NetUpdate::Outcome { id: out.id, result }).is_err() {
            return;
        }
    }
}

/// Who the demo console may act as: the duty officer first (signed in at
/// start), the leader on duty, the officer of the next shift, and the
/// drill director.
const DEMO_OPERATORS: [&str; 4] = ["王丽", "张建国", "李强", DIRECTOR];

/// An embedded relay for the demo, with one account per actor of the demo
/// night and a read-only account for the console.
struct DemoRelay {
    relay: relay::ServerHandle,
    tokens: BTreeMap<String, String>,
    decisions: Vec<Decision>,
    console: ClientConfig,
}

impl DemoRelay {
    /// Starts the relay in a fresh data directory and creates the accounts.
    async fn start() -> anyhow::Result<DemoRelay> {
        let data = std::env::temp_dir().join(format!("ecc-console-demo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data)?;
        let (decisions, rejected) = demo::demo_decisions(wall_clock());
        for r in rejected {
            warn!("demo command refused locally: {r}");
        }
        let mut users = relay::users::Users::default();
        let mut tokens = BTreeMap::new();
        for d in &decisions {
            let name = d.actor.user.0.clone();
            if !tokens.contains_key(&name) {
                tokens.insert(name.clone(), users.add(&name, d.actor.role)?);
            }
        }
        tokens.insert(SCREEN_USER.into(), users.add(SCREEN_USER, Role::Observer)?);
        tokens.insert(DIRECTOR.into(), users.add(DIRECTOR, Role::DrillDirector)?);
        if !tokens.contains_key(NEXT_OFFICER) {
            tokens.insert(
                NEXT_OFFICER.into(),
                users.add(NEXT_OFFICER, Role::DutyOfficer)?,
            );
        }
        users.save(&data)?;
        let relay = relay::Server::start(relay::Config {
            listen: "127.0.0.1:0".parse()?,
            data,
            name: "演示中继 demo relay".into(),
            ..relay::Config::default()
        })
        .await?;
        let console = client_config(&relay, &tokens, SCREEN_USER);
        Ok(DemoRelay {
            relay,
            tokens,
            decisions,
            console,
        })
    }

    /// Plays the demo night into the relay, each command from its own
    /// user's session, then says `DemoReady` once the console's follower
    /// (`progress`) has folded all of it.
    fn seed(
        &self,
        progress: Arc<AtomicU64>,
        tx: mpsc::Sender<NetUpdate>,
    ) -> impl std::future::Future<Output = ()> + 'static {
        let configs: BTreeMap<String, ClientConfig> = self
            .tokens
            .keys()
            .map(|u| (u.clone(), client_config(&self.relay, &self.tokens, u)))
            .collect();
        let decisions = self.decisions.clone();
        async move {
            let live = RealmId::live();
            let mut sessions: BTreeMap<String, Session> = BTreeMap::new();
            let mut last = 0;
            for d in &decisions {
                let Some(s) = session_of(&mut sessions, &configs, &d.actor.user.0).await else {
                    continue;
                };
                match s.command(&live, d.command.clone()).await {
                    Ok(CommandOutcome::Accepted { seq }) => last = seq,
                    other => warn!("demo command not accepted by the relay: {other:?}"),
                }
            }
            // A table-top exercise runs beside live operations in its own
            // realm, for "join drill" to find.
            if let Some(cfg) = configs.get(DIRECTOR) {
                seed_drill(cfg).await;
            }
            info!("demo relay seeded up to seq {last}");
            while progress.load(Ordering::Acquire) < last {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            let _ = tx.send(NetUpdate::DemoReady);
            // Then the night goes on while the officer watches.
            for (delay, actor, cmd) in demo::live_tail() {
                tokio::time::sleep(delay).await;
                if let Some(s) = session_of(&mut sessions, &configs, &actor.user.0).await
                    && let Ok(other) = s.command(&live, cmd).await
                    && !matches!(other, CommandOutcome::Accepted { .. })
                {
                    warn!("demo step not accepted: {other:?}");
                }
            }
            // And the teams on their way keep moving (the demo's clock runs
            // ten times faster than their speed).
            let mut state = State::default();
            for d in &decisions {
                state.apply_decision(d);
            }
            let field = demo::field_actor();
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                let now = crate::picture::wall_clock();
                for cmd in demo::movement(&state, now, 400.0) {
                    let ctx = domain::Context {
                        now,
                        actor: field.clone(),
                        realm: domain::RealmKind::Live,
                    };
                    let Ok(events) = domain::decide(&state, &cmd, &ctx) else {
                        continue;
                    };
                    let Some(s) = session_of(&mut sessions, &configs, &field.user.0).await else {
                        return;
                    };
                    match s.command(&live, cmd).await {
                        Ok(CommandOutcome::Accepted { .. }) => {
                            for e in &events {
                                state.apply(e);
                            }
                        }
                        Ok(other) => warn!("demo fix not accepted: {other:?}"),
                        // The relay is gone: the window closed.
                        Err(_) => return,
                    }
                }
            }
        }
    }
}

/// The demo user's session, connected on first use.
async fn session_of<'a>(
    sessions: &'a mut BTreeMap<String, Session>,
    configs: &BTreeMap<String, ClientConfig>,
    user: &str,
) -> Option<&'a Session> {
    if !sessions.contains_key(user) {
        match Session::connect(configs.get(user)?).await {
            Ok(s) => {
                sessions.insert(user.to_owned(), s);
            }
            Err(e) => {
                warn!("demo user {user} cannot connect: {e}");
                return None;
            }
        }
    }
    sessions.get(user)
}

/// Opens the demo's drill realm and starts its scenario as the director.
async fn seed_drill(cfg: &ClientConfig) {
    let mut s = match Session::connect(cfg).await {
        Ok(s) => s,
        Err(e) => {
            warn!("demo drill director cannot connect: {e}");
            return;
        }
    };
    let realm = RealmId(demo::DRILL_REALM.into());
    if s.send(&protocol::ClientMessage::OpenDrill {
        realm: realm.clone(),
    })
    .await
    .is_err()
    {
        return;
    }
    // The relay answers with a fresh welcome (or an error).
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), s.next_message()).await;
    // The Dehui ammonia-leak scenario, run by the relay at 10×.
    let (file, text, base) = demo::DRILL_SCENARIO;
    for action in [
        protocol::DrillAction::Load {
            file: file.into(),
            text: text.into(),
            base: Some(base.into()),
        },
        protocol::DrillAction::Start { speed: 10 },
    ] {
        let msg = protocol::ClientMessage::DrillControl {
            realm: realm.clone(),
            action,
        };
        if s.send(&msg).await.is_err() {
            break;
        }
        match tokio::time::timeout(std::time::Duration::from_secs(5), s.next_message()).await {
            Ok(Some(protocol::ServerMessage::DrillStatus { status, .. })) => {
                if let Some(e) = status.error {
                    warn!("demo drill refused: {e}");
                }
            }
            other => warn!("demo drill: unexpected answer {other:?}"),
        }
    }
    s.close().await;
}

/// The demo's drill director.
const DIRECTOR: &str = "演练导演";

/// The console's own read-only account in the demo.
const SCREEN_USER: &str = "大屏";
/// The officer who takes over the next shift in the demo.
const NEXT_OFFICER: &str = "李强";

fn client_config(
    relay: &relay::ServerHandle,
    tokens: &BTreeMap<String, String>,
    user: &str,
) -> ClientConfig {
    ClientConfig {
        addr: relay.local_addr,
        trust: Trust::Pinned(relay.fingerprint.clone()),
        user: user.into(),
        token: tokens.get(user).cloned().unwrap_or_default(),
        device: format!("demo-{user}"),
        client: concat!("console ", env!("CARGO_PKG_VERSION")).into(),
    }
}

#[cfg(test)]
mod tests {
    //! The console's ECS side against a real relay on loopback: what the
    //! relay holds reaches the picture, and what the officer sends comes
    //! back folded — no window, MinimalPlugins only.

    use super::*;
    use crate::picture::PicturePlugin;
    use domain::{Command, Fix, FixSource, GeoPoint, Team, TeamId, TeamKind, TeamStatus};
    use std::time::{Duration, Instant};

    fn team(id: &str, fix_age_ms: i64) -> Command {
        let now = crate::picture::wall_clock();
        Command::RegisterTeam(Box::new(Team {
            id: TeamId::new(id),
            name: format!("测试队伍{id}"),
            kind: TeamKind::GovernmentFullTimeFire,
            tier: 1,
            capabilities: vec![],
            headcount: 10,
            equipment: vec![],
            jurisdiction: domain::JurisdictionId::new("长春市"),
            home: GeoPoint::new(43.88, 125.32),
            radio_ids: vec![],
            status: TeamStatus::Available,
            last_fix: Some(Fix {
                position: GeoPoint::new(43.9, 125.3),
                accuracy_m: Some(5.0),
                source: FixSource::Nmea,
                taken_at: now.plus(-fix_age_ms),
            }),
            support: None,
        }))
    }

    fn update_until(app: &mut App, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(app) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            app.update();
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn the_picture_follows_a_real_relay_and_officers_commands_come_back_folded() {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let data = std::env::temp_dir().join(format!("ecc-console-net-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).expect("data dir");
        let mut users = relay::users::Users::default();
        let admin = users.add("admin", Role::Admin).expect("admin");
        let wang = users.add("wang", Role::DutyOfficer).expect("wang");
        users.save(&data).expect("save users");
        let relay = rt
            .block_on(relay::Server::start(relay::Config {
                listen: "127.0.0.1:0".parse().expect("addr"),
                data: data.clone(),
                ..relay::Config::default()
            }))
            .expect("relay starts");
        let cfg = |user: &str, token: &str| ClientConfig {
            addr: relay.local_addr,
            trust: Trust::Pinned(relay.fingerprint.clone()),
            user: user.into(),
            token: token.into(),
            device: "test".into(),
            client: "console-test".into(),
        };
        // The world before the console starts: one fresh fix, one stale.
        rt.block_on(async {
            let s = Session::connect(&cfg("admin", &admin))
                .await
                .expect("admin");
            for c in [team("FRESH", 10_000), team("STALE", 30 * 60_000)] {
                let out = s.command(&RealmId::live(), c).await.expect("answered");
                assert!(matches!(out, CommandOutcome::Accepted { .. }), "{out:?}");
            }
            s.close().await;
        });

        let mut app = App::new();
        app.add_plugins(MinimalPlugins).add_plugins((
            PicturePlugin {
                source: "test".into(),
            },
            NetPlugin {
                source: Source::Relay(cfg("wang", &wang)),
            },
            crate::alerts::AlertsPlugin,
            crate::drill::DrillPlugin,
        ));
        update_until(&mut app, "the relay's teams", |a| {
            a.world().resource::<Picture>().state.teams.len() == 2
        });
        assert!(matches!(
            app.world().resource::<Link>().status,
            LinkStatus::Connected { .. }
        ));
        let picture = app.world().resource::<Picture>();
        let now = crate::picture::wall_clock();
        let stale = |id: &str| {
            crate::map::fix_age(&picture.state, &picture.state.teams[&TeamId::new(id)], now).1
        };
        assert!(!stale("FRESH"));
        assert!(stale("STALE"), "a 30-minute-old NMEA fix is stale");

        // Signed in from the relay's welcome, as a duty officer.
        update_until(&mut app, "sign-in", |a| {
            a.world().resource::<Outbox>().me().is_some()
        });
        assert_eq!(
            app.world().resource::<Outbox>().me(),
            Some(&("wang".to_owned(), Role::DutyOfficer))
        );
        // An officer's command goes out and comes back as state.
        let before = app.world().resource::<Picture>().last_seq;
        app.world_mut().resource_mut::<Outbox>().send(
            "停用",
            Command::SetTeamService {
                team: TeamId::new("STALE"),
                out_of_service: Some("车辆检修".into()),
            },
        );
        update_until(&mut app, "the decision", |a| {
            a.world().resource::<Picture>().last_seq > before
        });
        let picture = app.world().resource::<Picture>();
        assert_eq!(
            picture.state.teams[&TeamId::new("STALE")].status,
            TeamStatus::OutOfService("车辆检修".into())
        );
        update_until(&mut app, "the receipt", |a| {
            !a.world().resource::<Outbox>().receipts.is_empty()
        });
        let outbox = app.world().resource::<Outbox>();
        assert!(outbox.receipts[0].ok, "{:?}", outbox.receipts[0]);
        assert!(outbox.pending.is_empty());
        // A refused command says why and changes nothing.
        app.world_mut()
            .resource_mut::<Outbox>()
            .send("register", team("NEW", 0));
        update_until(&mut app, "the refusal", |a| {
            a.world().resource::<Outbox>().receipts.len() == 2
        });
        let outbox = app.world().resource::<Outbox>();
        assert!(!outbox.receipts[1].ok);
        assert!(
            outbox.receipts[1].detail.contains("被拒绝"),
            "{}",
            outbox.receipts[1].detail
        );
        assert_eq!(app.world().resource::<Picture>().state.teams.len(), 2);
        rt.block_on(relay.shutdown());
        let _ = std::fs::remove_dir_all(&data);
    }
}
