//! The messages. Everything a client may say and everything the relay may
//! answer is listed here; nothing else crosses the wire.

use domain::{Command, Decision, Fix, Rejection, Role, State};
use serde::{Deserialize, Serialize};

/// Names a realm: `live`, or a drill realm such as `drill-2026-11-23-a`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RealmId(pub String);

impl RealmId {
    /// The realm of real operations.
    pub fn live() -> Self {
        RealmId("live".into())
    }

    /// Whether this is the live realm.
    pub fn is_live(&self) -> bool {
        self.0 == "live"
    }
}

/// Client-chosen id of a command, echoed in its result. Unique per connection.
pub type CommandId = u64;

/// Position in a realm's log; the first event has seq 1.
pub type Seq = u64;

/// Messages a client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClientMessage {
    /// First message on a connection: who is speaking.
    Hello(Hello),
    /// Start receiving a realm: a snapshot if `from_seq` is older than the
    /// relay keeps, then every event after `from_seq`.
    Subscribe {
        /// Realm.
        realm: RealmId,
        /// Last seq the client already has (0 = none).
        from_seq: Seq,
    },
    /// Stop receiving a realm.
    Unsubscribe {
        /// Realm.
        realm: RealmId,
    },
    /// Ask the relay to decide a command.
    Command {
        /// Client's id for matching the result.
        id: CommandId,
        /// Realm it is for.
        realm: RealmId,
        /// The command.
        command: Box<Command>,
    },
    /// An observation from the field (radio bridge): a fix and/or status for
    /// a device, which the relay maps to a team.
    Field(FieldObservation),
    /// Create a drill realm (drill director only); its name starts with "drill-".
    OpenDrill {
        /// Realm to create.
        realm: RealmId,
    },
    /// Close a drill realm (drill director only): it stops accepting
    /// commands; its log stays as the drill's record.
    CloseDrill {
        /// Realm to close.
        realm: RealmId,
    },
    /// Liveness check.
    Ping {
        /// Echoed in the pong.
        nonce: u64,
    },
    /// Drill director: load a scenario into a drill realm or move its clock.
    /// Answered with [`ServerMessage::DrillStatus`].
    DrillControl {
        /// Drill realm.
        realm: RealmId,
        /// What to do.
        action: DrillAction,
    },
    /// Read a realm's log for review: records from `from` on, a page at a
    /// time; the page that reaches the end carries the head, signed now.
    /// Read-only, for any signed-in user (the same who may subscribe).
    ReadLog {
        /// Realm.
        realm: RealmId,
        /// First seq wanted (1 = the start).
        from: Seq,
    },
}

/// What a drill director asks of a drill realm's scenario and clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DrillAction {
    /// Load a scenario into a fresh (empty) drill realm.
    Load {
        /// File name, used in validation errors.
        file: String,
        /// The scenario's TOML text.
        text: String,
        /// Text of the base world file it names (`base = "…"`), if any.
        base: Option<String>,
    },
    /// Start the drill clock at this rate (1–100).
    Start {
        /// Scenario seconds per real second.
        speed: u32,
    },
    /// Pause the clock.
    Pause,
    /// Resume after a pause.
    Resume,
    /// Change the rate (1–100).
    Speed {
        /// Scenario seconds per real second.
        speed: u32,
    },
    /// Stop early for good (中止).
    Halt,
    /// Finish (结束).
    End,
    /// Only report the status.
    Status,
}

/// Where a drill realm's clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DrillClockState {
    /// No scenario loaded.
    NoScenario,
    /// Loaded, not started.
    Ready,
    /// Running.
    Running,
    /// Paused.
    Paused,
    /// Halted early.
    Halted,
    /// Ended.
    Ended,
}

/// A drill realm's scenario clock, as answer to [`ClientMessage::DrillControl`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillStatus {
    /// Scenario title (empty when none is loaded).
    pub title: String,
    /// Clock state.
    pub clock: DrillClockState,
    /// Current rate.
    pub speed: u32,
    /// Scenario time since T+0, milliseconds.
    pub scenario_ms: i64,
    /// Planned length, milliseconds.
    pub duration_ms: i64,
    /// Why the action was refused, if it was (the status is then unchanged).
    pub error: Option<String>,
}

/// Opening message of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Must equal [`crate::PROTOCOL_VERSION`].
    pub protocol_version: u16,
    /// Client software, e.g. "console 0.1.0".
    pub client: String,
    /// User name.
    pub user: String,
    /// Secret token issued by `relay user add`.
    pub token: String,
    /// Console, bridge or tool instance id.
    pub device: String,
}

/// What a field device said, normalised by the radio bridge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldObservation {
    /// Radio id, APRS callsign or CoT uid.
    pub device: String,
    /// Position fix, if the message had one.
    pub fix: Option<Fix>,
    /// Status code as the device sent it.
    pub status: Option<String>,
    /// Emergency flag (APRS emergency, CoT 911/panic).
    pub emergency: bool,
    /// Free text.
    pub text: Option<String>,
    /// Which realm it belongs to (drill traffic goes to its drill realm).
    pub realm: RealmId,
}

/// Messages the relay sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ServerMessage {
    /// Answer to a good hello.
    Welcome(Welcome),
    /// State of a realm at `seq`; events after it follow.
    Snapshot {
        /// Realm.
        realm: RealmId,
        /// Seq of the last event folded into `state`.
        seq: Seq,
        /// The state.
        state: Box<State>,
    },
    /// One durable decision (a command and its events). Seqs of a realm
    /// arrive in order without gaps; a gap means the client must resubscribe
    /// from its last seq.
    Decision {
        /// Realm.
        realm: RealmId,
        /// Its position in the realm's log.
        seq: Seq,
        /// The decision.
        decision: Box<Decision>,
    },
    /// This subscriber fell too far behind and was dropped from the realm's
    /// fan-out; resubscribe from the last seq folded.
    Resync {
        /// Realm.
        realm: RealmId,
        /// Last seq the relay had sent.
        sent_up_to: Seq,
    },
    /// Outcome of a command.
    CommandResult {
        /// The client's command id.
        id: CommandId,
        /// Accepted (with the seqs its events got) or why not.
        outcome: CommandOutcome,
    },
    /// Answer to a ping.
    Pong {
        /// The ping's nonce.
        nonce: u64,
    },
    /// Something about the session went wrong; the message says what.
    Error {
        /// Machine-readable kind.
        code: ErrorCode,
        /// Human-readable detail.
        message: String,
    },
    /// A drill realm's clock, answering a drill control message.
    DrillStatus {
        /// Realm.
        realm: RealmId,
        /// Status.
        status: DrillStatus,
    },
    /// A page of a realm's log (answer to `ReadLog`).
    LogPage {
        /// Realm.
        realm: RealmId,
        /// Records in order, as the ledger holds them.
        records: Vec<LogRecord>,
        /// On the last page: the chain head, signed by the relay's ledger
        /// key when the page was read.
        head: Option<SignedHead>,
    },
}

/// Answer to a good hello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    /// Relay's protocol version.
    pub protocol_version: u16,
    /// Relay instance name.
    pub relay: String,
    /// Role the user acts in.
    pub role: Role,
    /// Realms that exist now, with their last seq.
    pub realms: Vec<RealmInfo>,
}

/// A realm and how far its log goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealmInfo {
    /// Realm.
    pub realm: RealmId,
    /// Whether it is a drill.
    pub drill: bool,
    /// Seq of its last event.
    pub last_seq: Seq,
}

/// What became of a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CommandOutcome {
    /// Durable: the decision was written at `seq`.
    Accepted {
        /// Seq of the decision.
        seq: Seq,
    },
    /// The domain refused it.
    Rejected(Rejection),
    /// The relay could not process it (unknown realm, not subscribed, …).
    Failed {
        /// Kind.
        code: ErrorCode,
        /// Detail.
        message: String,
    },
}

/// Session-level error kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    /// Protocol versions differ.
    VersionMismatch,
    /// Unknown user or wrong token.
    Unauthenticated,
    /// Message not allowed before hello, or a second hello.
    OutOfOrder,
    /// Realm does not exist.
    UnknownRealm,
    /// A frame could not be decoded.
    BadFrame,
    /// The relay is overloaded or shutting down.
    Unavailable,
    /// The relay failed internally; the command was not applied.
    Internal,
    /// The client may not do this (e.g. subscribe before hello).
    Forbidden,
}

/// One record of a realm's log: seq, the relay's time and the encoded
/// decision, exactly as chained and signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRecord {
    /// Seq.
    pub seq: Seq,
    /// Relay time of the decision, ms since the Unix epoch.
    pub time: i64,
    /// The postcard-encoded decision.
    pub payload: Vec<u8>,
}

/// A chain head attested by the relay's ledger key (see the ledger crate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedHead {
    /// Last record covered.
    pub seq: Seq,
    /// When it was signed.
    pub time: i64,
    /// Chain hash of record `seq`.
    pub hash: [u8; 32],
    /// The ledger key's public half.
    pub public_key: [u8; 32],
    /// Ed25519 signature (64 bytes).
    pub signature: Vec<u8>,
}

/// Records per log page, and bytes of payload at most: a page stays far
/// below the frame limit.
pub const LOG_PAGE_RECORDS: usize = 2000;
/// See [`LOG_PAGE_RECORDS`].
pub const LOG_PAGE_BYTES: usize = 4 << 20;
