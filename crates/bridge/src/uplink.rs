//! The relay link: thinned records go up as field observations; the realm
//! comes down to feed the outbound side. Reconnects with backoff.

use crate::config::{Config, RelayConfig};
use crate::input::{Arrival, Backoff};
use crate::metrics::Registry;
use crate::outbound::Outbound;
use crate::thinning::Thinner;
use client::{ClientConfig, Mirror, MirrorUpdate, Session, Trust};
use domain::EventKind;
use protocol::{ClientMessage, FieldObservation, RealmId, ServerMessage};
use radio::FieldRecord;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;

/// The observation the relay receives for a record.
pub fn observation(r: &FieldRecord, realm: &RealmId) -> FieldObservation {
    FieldObservation {
        device: r.device.clone(),
        fix: r.fix(),
        status: if r.emergency_cancelled {
            Some(domain::field::EMERGENCY_CANCELLED.to_owned())
        } else {
            r.status.clone()
        },
        emergency: r.emergency,
        text: r.text.clone(),
        realm: realm.clone(),
    }
}

fn client_config(c: &RelayConfig) -> ClientConfig {
    ClientConfig {
        addr: c.addr,
        trust: Trust::Pinned(c.fingerprint.clone()),
        user: c.user.clone(),
        token: c.token.clone(),
        device: c.device.clone(),
        client: format!("bridge {}", env!("CARGO_PKG_VERSION")),
    }
}

/// Runs the link until the record channel closes.
pub async fn run(
    cfg: Config,
    registry: Arc<Registry>,
    mut rx: mpsc::Receiver<Arrival>,
    mut outbound: Outbound,
) -> anyhow::Result<()> {
    let realm = RealmId(cfg.relay.realm.clone());
    let exercise = !realm.is_live();
    let ccfg = client_config(&cfg.relay);
    let mut thinner = Thinner::new(cfg.thinning);
    let mut mirror = Mirror::new(realm.clone());
    let mut backoff = Backoff::default();
    let mut refresh = tokio::time::interval(Duration::from_secs(outbound.refresh_s()));
    let mut input_check = tokio::time::interval(Duration::from_secs(1));
    loop {
        let mut session = match Session::connect(&ccfg).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(relay = %cfg.relay.addr, "relay: {e}");
                registry.relay_connected.store(false, Ordering::Relaxed);
                backoff.wait().await;
                continue;
            }
        };
        tracing::info!(relay = %cfg.relay.addr, "connected to relay");
        registry.relay_connected.store(true, Ordering::Relaxed);
        backoff.reset();
        if outbound.wants_state() && session.subscribe(&realm, mirror.last_seq).await.is_err() {
            continue;
        }
        let mut dirty = false;
        // Input states as the relay last recorded them; after a reconnect
        // everything is said again (the relay refuses what it already has).
        let mut reported: std::collections::HashMap<String, bool> = Default::default();
        loop {
            tokio::select! {
                arrival = rx.recv() => {
                    let Some((stats, rec)) = arrival else {
                        session.close().await;
                        return Ok(());
                    };
                    // Exercise traffic must never reach the live realm.
                    if rec.exercise && !exercise {
                        stats.reject("exercise_in_live");
                        continue;
                    }
                    let mut rec = rec;
                    thinner.stamp(&mut rec);
                    if !thinner.admit(&rec) {
                        continue;
                    }
                    if let Err(e) = session.send(&ClientMessage::Field(observation(&rec, &realm))).await {
                        tracing::warn!("relay send: {e}");
                        break;
                    }
                    stats.forwarded.fetch_add(1, Ordering::Relaxed);
                    registry.sent.fetch_add(1, Ordering::Relaxed);
                }
                msg = session.next_message() => {
                    let Some(msg) = msg else { break };
                    match mirror.accept(&msg) {
                        MirrorUpdate::Applied(_) => {
                            dirty = true;
                            if let ServerMessage::Decision { decision, .. } = &msg {
                                for e in &decision.events {
                                    match &e.kind {
                                        EventKind::OrderIssued(order) => {
                                            outbound.order(&mirror.state, order, exercise);
                                        }
                                        // A team moved: TAK clients see it now,
                                        // not at the next refresh.
                                        EventKind::FixReported { team, .. } => {
                                            outbound.publish_team(&mirror.state, team, exercise);
                                        }
                                        _ => {}
                                    }
                                }
                            }
                        }
                        MirrorUpdate::Gap { have, .. } => {
                            if session.subscribe(&realm, have).await.is_err() {
                                break;
                            }
                        }
                        MirrorUpdate::Duplicate | MirrorUpdate::Ignored => {
                            if let ServerMessage::Error { code, message } = &msg {
                                tracing::warn!(?code, "relay: {message}");
                            }
                        }
                    }
                }
                _ = input_check.tick() => {
                    for (name, format, up) in registry.input_states() {
                        if reported.get(&name) == Some(&up) {
                            continue;
                        }
                        let cmd = domain::Command::Field(domain::field::FieldCommand::ReportInput {
                            input: name.clone(),
                            format: format.to_owned(),
                            up,
                        });
                        match session.command(&realm, cmd).await {
                            Ok(protocol::CommandOutcome::Accepted { .. })
                            | Ok(protocol::CommandOutcome::Rejected(domain::Rejection::Duplicate { .. })) => {
                                reported.insert(name, up);
                            }
                            Ok(other) => tracing::warn!(input = %name, "input state not recorded: {other:?}"),
                            Err(e) => {
                                tracing::warn!("relay: {e}");
                                break;
                            }
                        }
                    }
                }
                _ = refresh.tick() => {
                    if dirty {
                        outbound.publish_markers(&mirror.state, exercise);
                        dirty = false;
                    }
                }
            }
        }
        registry.relay_connected.store(false, Ordering::Relaxed);
        tracing::warn!("relay connection lost: {:?}", session.close_reason());
        backoff.wait().await;
    }
}
