//! The operational picture: one realm's state as folded from its events,
//! plus what this console has selected. Every panel reads from here.

use bevy::prelude::*;
use domain::{Decision, DepotId, Event, IncidentId, State, TeamId, Timestamp};
use std::collections::VecDeque;
use std::time::{SystemTime, UNIX_EPOCH};

/// How many recent events the feed keeps.
const FEED_LEN: usize = 200;

/// Registers the picture and the wall clock.
pub struct PicturePlugin {
    /// Where the picture comes from, in words.
    pub source: String,
}

impl Plugin for PicturePlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Picture::new("live", false, &self.source))
            .insert_resource(Clock(wall_clock()))
            .add_systems(First, tick_clock)
            .add_systems(Last, report_first_frame);
    }
}

/// What is selected; shared by map and panels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// An incident.
    Incident(IncidentId),
    /// A team.
    Team(TeamId),
    /// A depot.
    Depot(DepotId),
}

/// One realm as this console sees it.
#[derive(Resource)]
pub struct Picture {
    /// Realm name.
    pub realm: String,
    /// Whether the realm is a drill (演练).
    pub drill: bool,
    /// Where events come from, in words (e.g. "本地演示").
    pub source: String,
    /// State folded from every event so far.
    pub state: State,
    /// Seq of the last event folded.
    pub last_seq: u64,
    /// Recent events, newest last.
    pub feed: VecDeque<(u64, Event)>,
    /// Current selection.
    pub selected: Option<Selection>,
    /// Every decision received, kept for drill realms only (small, and
    /// the director's live evaluation reads all of it).
    pub log: Vec<Decision>,
    /// Team trails to draw (review mode), oldest point first.
    pub trails: std::collections::BTreeMap<TeamId, Vec<domain::GeoPoint>>,
}

impl Picture {
    /// An empty picture of a realm.
    pub fn new(realm: &str, drill: bool, source: &str) -> Self {
        Self {
            realm: realm.into(),
            drill,
            source: source.into(),
            state: State::default(),
            last_seq: 0,
            feed: VecDeque::new(),
            selected: None,
            log: Vec::new(),
            trails: Default::default(),
        }
    }

    /// Folds the next decision in; `seq` follows `last_seq` (the network
    /// link guarantees order and resubscribes on gaps).
    pub fn apply_decision(&mut self, seq: u64, decision: Decision) {
        self.state.apply_decision(&decision);
        self.last_seq = seq;
        if self.drill {
            self.log.push(decision.clone());
        }
        for e in decision.events {
            self.feed.push_back((seq, e));
        }
        while self.feed.len() > FEED_LEN {
            self.feed.pop_front();
        }
    }

    /// Starts afresh on another realm (joining or leaving a drill).
    pub fn switch(&mut self, realm: &str, drill: bool) {
        *self = Picture::new(realm, drill, &self.source);
    }

    /// Replaces the state with a snapshot at `seq`.
    pub fn reset(&mut self, seq: u64, state: State) {
        self.state = state;
        self.last_seq = seq;
    }
}

/// The wall clock, read once per frame so every panel agrees on "now".
#[derive(Resource, Clone, Copy)]
pub struct Clock(pub Timestamp);

/// Milliseconds since the Unix epoch from the system clock.
pub fn wall_clock() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Timestamp(ms)
}

/// Live realms run on the wall clock; a drill realm runs on its scenario
/// clock, which the console reads from the newest event (a running drill
/// moves its simulated teams every second, so it is never far behind).
fn tick_clock(mut clock: ResMut<Clock>, picture: Res<Picture>) {
    clock.0 = if picture.drill && picture.state.last_event_at.0 > 0 {
        picture.state.last_event_at
    } else {
        wall_clock()
    };
}

/// When the process started, for the start-up measurement.
pub static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Logs once how long it took from start to the first frame drawn with the
/// realm's teams in it (the start-up figure in docs/benchmarks.md).
fn report_first_frame(
    picture: Res<Picture>,
    link: Res<crate::net::Link>,
    mut done: Local<(bool, bool)>,
) {
    let Some(t) = STARTED.get() else {
        return;
    };
    if !done.0 && !picture.state.teams.is_empty() {
        done.0 = true;
        info!(
            "first map frame with data after {} ms",
            t.elapsed().as_millis()
        );
    }
    if !done.1 && link.demo_ready {
        done.1 = true;
        info!("demo night loaded after {} ms", t.elapsed().as_millis());
    }
}
