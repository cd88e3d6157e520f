//! Shared set-up: data directories, users, clients, the relay binary.

use client::{ClientConfig, Mirror, MirrorUpdate, Session, Trust};
use domain::*;
use protocol::{CommandOutcome, RealmId, ServerMessage};
use relay::users::Users;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A fresh data directory under the system temp dir.
pub fn data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Adds users and returns their tokens by name.
pub fn add_users(data: &Path, users: &[(&str, Role)]) -> BTreeMap<String, String> {
    let mut table = Users::load(data).expect("users load");
    let tokens = users
        .iter()
        .map(|(name, role)| ((*name).to_owned(), table.add(name, *role).expect("add")))
        .collect();
    table.save(data).expect("users save");
    tokens
}

/// Client settings for a user, pinned to the relay's fingerprint.
pub fn client_config(addr: SocketAddr, fingerprint: &str, user: &str, token: &str) -> ClientConfig {
    ClientConfig {
        addr,
        trust: Trust::Pinned(fingerprint.to_owned()),
        user: user.into(),
        token: token.into(),
        device: format!("test-{user}"),
        client: "system-tests".into(),
    }
}

/// Relay settings for a test: loopback, any port, small segments.
pub fn relay_config(data: &Path) -> relay::Config {
    relay::Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data: data.to_owned(),
        segment_max_bytes: 16 * 1024,
        checkpoint_every: 50,
        ..relay::Config::default()
    }
}

/// A team registration command.
pub fn team(id: &str, kind: TeamKind) -> Command {
    Command::RegisterTeam(Box::new(Team {
        id: TeamId::new(id),
        name: format!("队伍{id}"),
        kind,
        tier: 1,
        capabilities: vec![],
        headcount: 10,
        equipment: vec![],
        jurisdiction: JurisdictionId::new("长春市"),
        home: GeoPoint::new(43.88, 125.32),
        radio_ids: vec![format!("RADIO-{id}")],
        status: TeamStatus::Available,
        last_fix: None,
        support: None,
    }))
}

/// An order for `team` to `incident`, with no recommendation on screen.
pub fn order(id: &str, incident: &str, team: &str, note: &str) -> Command {
    Command::IssueOrder {
        order: OrderId::new(id),
        incident: IncidentId::new(incident),
        team: TeamId::new(team),
        note: note.into(),
        recommendation_shown: vec![],
    }
}

/// An incident intake command, reported now.
pub fn incident(id: &str) -> Command {
    let now = Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0),
    );
    Command::OpenIncident(Box::new(command::IncidentIntake {
        id: IncidentId::new(id),
        title: "测试火情".into(),
        sector: Sector::Fire,
        position: GeoPoint::new(43.9, 125.3),
        address: "长春市朝阳区".into(),
        jurisdiction: JurisdictionId::new("长春市"),
        enterprise: None,
        source: IntakeSource::Phone,
        occurred_at: now.plus(-60_000),
        reported_at: now.plus(-1_000),
        caller: "测试".into(),
        casualties: Casualties::default(),
        direct_loss_yuan: 0,
        suggested_response_level: None,
    }))
}

/// Sends a command and expects it accepted; returns its seq.
pub async fn accepted(s: &Session, realm: &RealmId, cmd: Command) -> u64 {
    match s.command(realm, cmd).await.expect("command answered") {
        CommandOutcome::Accepted { seq } => seq,
        other => panic!("expected acceptance, got {other:?}"),
    }
}

/// Reads messages into the mirror until it reaches `seq`; panics on a gap
/// or after the timeout.
pub async fn follow_until(s: &mut Session, mirror: &mut Mirror, seq: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while mirror.last_seq < seq {
        let msg = tokio::time::timeout_at(deadline, s.next_message())
            .await
            .unwrap_or_else(|_| panic!("stuck at seq {} waiting for {seq}", mirror.last_seq))
            .expect("connection open");
        match mirror.accept(&msg) {
            MirrorUpdate::Gap { have, got } => panic!("gap: have {have}, got {got}"),
            MirrorUpdate::Ignored => {
                if let ServerMessage::Error { code, message } = msg {
                    panic!("relay error {code:?}: {message}");
                }
            }
            _ => {}
        }
    }
}

/// The relay's command line, built by this package from `relay::cli`.
pub fn relay_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_relay-under-test"))
}

/// A free UDP port on loopback.
pub fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Starts a relay on an address a relay just gave up: the old socket may
/// linger for a moment after shutdown, so retry for up to five seconds.
pub async fn start_on_same_address(cfg: relay::Config) -> relay::ServerHandle {
    let mut tries = 0;
    loop {
        match relay::Server::start(cfg.clone()).await {
            Ok(r) => return r,
            Err(_) if tries < 50 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("relay does not start on {}: {e:#}", cfg.listen),
        }
    }
}

/// An in-process relay on loopback with the given users.
pub struct TestRelay {
    /// The running relay.
    pub relay: relay::ServerHandle,
    /// Its data directory.
    pub data: PathBuf,
    /// Tokens by user name.
    pub tokens: BTreeMap<String, String>,
}

impl TestRelay {
    /// Starts a relay in a fresh data directory named after `name`.
    pub async fn start(name: &str, users: &[(&str, Role)]) -> TestRelay {
        let data = data_dir(name);
        let tokens = add_users(&data, users);
        let relay = relay::Server::start(relay_config(&data))
            .await
            .expect("relay starts");
        TestRelay {
            relay,
            data,
            tokens,
        }
    }

    /// Client settings for `user`, pinned to this relay.
    pub fn config(&self, user: &str) -> ClientConfig {
        client_config(
            self.relay.local_addr,
            &self.relay.fingerprint,
            user,
            &self.tokens[user],
        )
    }

    /// A connected session as `user`.
    pub async fn session(&self, user: &str) -> Session {
        Session::connect(&self.config(user))
            .await
            .expect("connects")
    }
}

/// Taken by the tests whose real peers keep time (gpsfake paces a log,
/// Dire Wolf demodulates audio): on a two-core machine running the whole
/// suite at once, two of them side by side starve each other's timing.
pub static TIMED_PEERS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Holds [`TIMED_PEERS`] for the rest of a test (released when the test
/// ends, pass or fail).
pub async fn timed_peer_slot() -> tokio::sync::MutexGuard<'static, ()> {
    TIMED_PEERS.lock().await
}
