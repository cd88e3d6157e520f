//! Follows one realm through disconnects, relay restarts and gaps: the
//! mirror is always a prefix of the realm's log, never a guess.

use crate::mirror::{Mirror, MirrorUpdate};
use crate::session::{ClientConfig, ClientError, Session};
use domain::Decision;
use protocol::{RealmId, Seq, ServerMessage};

/// What [`Follower::next`] saw.
#[derive(Debug, Clone, PartialEq)]
pub enum FollowEvent {
    /// A decision was folded; the mirror is at `seq`.
    Decision {
        /// Its seq.
        seq: Seq,
        /// The decision (for feeds and views that follow changes).
        decision: Box<Decision>,
    },
    /// A snapshot replaced the mirror's state; it is at `seq`.
    Snapshot {
        /// Seq of the snapshot.
        seq: Seq,
    },
    /// (Re)connected and subscribed after this seq.
    Subscribed {
        /// Seq the mirror had when it subscribed.
        from: Seq,
    },
    /// The connection dropped; the next call reconnects.
    Disconnected,
    /// A gap (a missed decision, or the relay dropped this subscriber as
    /// too slow): resubscribing from `have`; decisions follow.
    Resyncing {
        /// Seq the mirror has.
        have: Seq,
    },
    /// Anything else the relay said (welcome, pong, error).
    Notice(ServerMessage),
}

/// Keeps a [`Mirror`] of one realm current, reconnecting with backoff and
/// resubscribing from the last folded seq whenever the connection drops or
/// a gap appears.
pub struct Follower {
    cfg: ClientConfig,
    realm: RealmId,
    mirror: Mirror,
    session: Option<Session>,
}

impl Follower {
    /// A follower that has not connected yet.
    pub fn new(cfg: ClientConfig, realm: RealmId) -> Self {
        Self {
            mirror: Mirror::new(realm.clone()),
            cfg,
            realm,
            session: None,
        }
    }

    /// The realm as folded so far.
    pub fn mirror(&self) -> &Mirror {
        &self.mirror
    }

    /// The current session, for sending commands; `None` while reconnecting.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Waits for the next change. Connection failures are retried with
    /// backoff; only a refusal (bad user or token, wrong version) is returned
    /// as an error.
    pub async fn next(&mut self) -> Result<FollowEvent, ClientError> {
        loop {
            let Some(session) = self.session.as_mut() else {
                let s = Session::connect_with_backoff(&self.cfg, u32::MAX).await?;
                let from = self.mirror.last_seq;
                s.subscribe(&self.realm, from).await?;
                self.session = Some(s);
                return Ok(FollowEvent::Subscribed { from });
            };
            let Some(msg) = session.next_message().await else {
                tracing::warn!(realm = %self.realm.0, "connection lost; reconnecting");
                self.session = None;
                return Ok(FollowEvent::Disconnected);
            };
            match self.mirror.accept(&msg) {
                MirrorUpdate::Applied(seq) => {
                    return Ok(match msg {
                        ServerMessage::Decision { decision, .. } => {
                            FollowEvent::Decision { seq, decision }
                        }
                        _ => FollowEvent::Snapshot { seq },
                    });
                }
                MirrorUpdate::Duplicate => continue,
                MirrorUpdate::Gap { have, got } => {
                    tracing::info!(realm = %self.realm.0, have, got, "gap; resubscribing");
                    if session.subscribe(&self.realm, have).await.is_err() {
                        self.session = None;
                    }
                    return Ok(FollowEvent::Resyncing { have });
                }
                MirrorUpdate::Ignored => return Ok(FollowEvent::Notice(msg)),
            }
        }
    }
}
