//! One client connection: hello and authentication, then commands,
//! subscriptions and field observations on the control stream. A bad frame
//! ends this session only.

use crate::realm::{Frame, RealmRequest, Subscriber};
use crate::server::Shared;
use domain::{Actor, RealmKind, Role};
use protocol::{
    ClientMessage, CommandOutcome, ErrorCode, FrameDecoder, Limits, PROTOCOL_VERSION, RealmId,
    RealmInfo, ServerMessage, Welcome,
};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

/// How long a client has to open its stream and say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

struct Authed {
    actor: Actor,
}

/// Serves one connection until it closes.
pub async fn run(conn: quinn::Connection, shared: Arc<Shared>, session: u64) {
    let remote = conn.remote_address();
    let streams = tokio::time::timeout(HELLO_TIMEOUT, conn.accept_bi()).await;
    let (send, mut recv) = match streams {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            debug!(%remote, "connection closed before a stream: {e}");
            return;
        }
        Err(_) => {
            conn.close(1u32.into(), b"no control stream");
            return;
        }
    };
    let (frames_tx, frames_rx) = mpsc::channel::<Frame>(shared.config.subscriber_queue);
    let (control_tx, control_rx) = mpsc::unbounded_channel::<ServerMessage>();
    let writer = tokio::spawn(write_loop(send, frames_rx, control_rx));

    let mut decoder = FrameDecoder::new(Limits::FROM_CLIENT);
    let mut authed: Option<Authed> = None;
    let mut subscribed: HashSet<RealmId> = HashSet::new();
    let mut buf = vec![0u8; 64 * 1024];
    let sub = Subscriber {
        session,
        frames: frames_tx.clone(),
        control: control_tx.clone(),
    };
    let close_reason = 'session: loop {
        let read = if authed.is_none() {
            match tokio::time::timeout(HELLO_TIMEOUT, recv.read(&mut buf)).await {
                Ok(r) => r,
                Err(_) => break 'session "no hello in time",
            }
        } else {
            recv.read(&mut buf).await
        };
        let n = match read {
            Ok(Some(n)) => n,
            Ok(None) => break "client finished",
            Err(e) => {
                debug!(%remote, "read failed: {e}");
                break "read failed";
            }
        };
        decoder.push(&buf[..n]);
        loop {
            let msg = match decoder.next_message::<ClientMessage>() {
                Ok(Some(m)) => m,
                Ok(None) => break,
                Err(e) => {
                    warn!(%remote, "bad frame: {e}");
                    let _ = control_tx.send(ServerMessage::Error {
                        code: ErrorCode::BadFrame,
                        message: e.to_string(),
                    });
                    break 'session "bad frame";
                }
            };
            let Some(me) = &authed else {
                match hello(&shared, msg) {
                    Ok(a) => {
                        info!(%remote, user = %a.user, role = ?a.role, device = %a.device, "authenticated");
                        let _ = control_tx.send(welcome(&shared, &a));
                        shared.metrics.connection(a.role, 1);
                        authed = Some(Authed { actor: a });
                        continue;
                    }
                    Err((code, message)) => {
                        warn!(%remote, ?code, "refused: {message}");
                        let _ = control_tx.send(ServerMessage::Error { code, message });
                        break 'session "refused";
                    }
                }
            };
            let actor = me.actor.clone();
            match msg {
                ClientMessage::Hello(_) => {
                    let _ = control_tx.send(ServerMessage::Error {
                        code: ErrorCode::OutOfOrder,
                        message: "hello already received".into(),
                    });
                }
                ClientMessage::Subscribe { realm, from_seq } => {
                    let ok = with_realm(&shared, &realm, |r| {
                        r.send(RealmRequest::Subscribe {
                            from_seq,
                            subscriber: sub.clone(),
                        })
                    });
                    if ok {
                        subscribed.insert(realm);
                    } else {
                        let _ = control_tx.send(ServerMessage::Error {
                            code: ErrorCode::UnknownRealm,
                            message: format!("no realm {}", realm.0),
                        });
                    }
                }
                ClientMessage::Unsubscribe { realm } => {
                    with_realm(&shared, &realm, |r| {
                        r.send(RealmRequest::Unsubscribe { session })
                    });
                    subscribed.remove(&realm);
                }
                ClientMessage::Command { id, realm, command } => {
                    let (tx, rx) = oneshot::channel();
                    let sent = with_realm(&shared, &realm, |r| {
                        r.send(RealmRequest::Command {
                            actor,
                            command,
                            reply: tx,
                        })
                    });
                    let frames = frames_tx.clone();
                    tokio::spawn(async move {
                        let outcome = if sent {
                            rx.await.unwrap_or(CommandOutcome::Failed {
                                code: ErrorCode::Unavailable,
                                message: "realm stopped".into(),
                            })
                        } else {
                            CommandOutcome::Failed {
                                code: ErrorCode::UnknownRealm,
                                message: format!("no realm {}", realm.0),
                            }
                        };
                        // Same queue as the decisions, so the result follows
                        // the decision it reports.
                        let msg = ServerMessage::CommandResult { id, outcome };
                        if let Ok(f) = protocol::encode(&msg, Limits::FROM_RELAY) {
                            let _ = frames.send(f.into()).await;
                        }
                    });
                }
                ClientMessage::Field(observation) => {
                    if actor.role != Role::FieldGateway {
                        let _ = control_tx.send(ServerMessage::Error {
                            code: ErrorCode::Forbidden,
                            message: "only a field gateway sends observations".into(),
                        });
                        continue;
                    }
                    let realm = observation.realm.clone();
                    with_realm(&shared, &realm, |r| {
                        r.send(RealmRequest::Field {
                            actor,
                            observation: Box::new(observation),
                        })
                    });
                }
                ClientMessage::OpenDrill { realm } => {
                    let reply = open_drill(&shared, &actor, &realm);
                    let _ = control_tx.send(realms_or_error(&shared, &actor, reply));
                }
                ClientMessage::CloseDrill { realm } => {
                    let reply = close_drill(&shared, &actor, &realm);
                    let _ = control_tx.send(realms_or_error(&shared, &actor, reply));
                }
                ClientMessage::ReadLog { realm, from } => {
                    let (tx, rx) = oneshot::channel();
                    let sent = with_realm(&shared, &realm, |r| {
                        r.send(RealmRequest::ReadLog { from, reply: tx })
                    });
                    let control = control_tx.clone();
                    tokio::spawn(async move {
                        let msg = match (sent, rx.await) {
                            (true, Ok(Ok((records, head)))) => ServerMessage::LogPage {
                                realm,
                                records,
                                head,
                            },
                            (true, Ok(Err(e))) => ServerMessage::Error {
                                code: ErrorCode::Internal,
                                message: format!("cannot read the log of {}: {e}", realm.0),
                            },
                            _ => ServerMessage::Error {
                                code: ErrorCode::UnknownRealm,
                                message: format!("no realm {}", realm.0),
                            },
                        };
                        let _ = control.send(msg);
                    });
                }
                ClientMessage::Ping { nonce } => {
                    let _ = control_tx.send(ServerMessage::Pong { nonce });
                }
                ClientMessage::DrillControl { realm, action } => {
                    let (tx, rx) = oneshot::channel();
                    let sent = with_realm(&shared, &realm, |r| {
                        r.send(RealmRequest::Drill {
                            actor,
                            action,
                            reply: tx,
                        })
                    });
                    let control = control_tx.clone();
                    tokio::spawn(async move {
                        let msg = match (sent, rx.await) {
                            (true, Ok(status)) => ServerMessage::DrillStatus { realm, status },
                            _ => ServerMessage::Error {
                                code: ErrorCode::UnknownRealm,
                                message: format!("no running realm {}", realm.0),
                            },
                        };
                        let _ = control.send(msg);
                    });
                }
            }
        }
    };
    debug!(%remote, close_reason, "session ends");
    if let Some(a) = &authed {
        shared.metrics.connection(a.actor.role, -1);
    }
    for realm in subscribed {
        with_realm(&shared, &realm, |r| {
            r.send(RealmRequest::Unsubscribe { session })
        });
    }
    drop(sub);
    drop(frames_tx);
    drop(control_tx);
    // Let the writer flush what is queued (e.g. the error) before closing.
    let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
    conn.close(0u32.into(), close_reason.as_bytes());
}

fn hello(shared: &Shared, msg: ClientMessage) -> Result<Actor, (ErrorCode, String)> {
    let ClientMessage::Hello(h) = msg else {
        return Err((
            ErrorCode::OutOfOrder,
            "the first message must be hello".into(),
        ));
    };
    if h.protocol_version != PROTOCOL_VERSION {
        return Err((
            ErrorCode::VersionMismatch,
            format!(
                "relay speaks version {PROTOCOL_VERSION}, client {}",
                h.protocol_version
            ),
        ));
    }
    let users = shared
        .users
        .read()
        .map_err(|_| (ErrorCode::Internal, "user table unavailable".to_string()))?;
    let user = users.authenticate(&h.user, &h.token).ok_or((
        ErrorCode::Unauthenticated,
        "unknown user or wrong token".to_string(),
    ))?;
    Ok(Actor::new(&user.name, user.role, &h.device))
}

fn with_realm(
    shared: &Shared,
    realm: &RealmId,
    f: impl FnOnce(&crate::realm::RealmHandle) -> bool,
) -> bool {
    match shared.realms.read() {
        Ok(realms) => realms.get(realm).is_some_and(f),
        Err(_) => false,
    }
}

/// The welcome: who the user is here and which realms exist. Also the
/// answer to opening or closing a drill, so the client sees the new list.
fn welcome(shared: &Shared, actor: &Actor) -> ServerMessage {
    ServerMessage::Welcome(Welcome {
        protocol_version: PROTOCOL_VERSION,
        relay: shared.config.name.clone(),
        role: actor.role,
        realms: realm_infos(shared),
    })
}

fn realms_or_error(
    shared: &Shared,
    actor: &Actor,
    result: Result<(), (ErrorCode, String)>,
) -> ServerMessage {
    match result {
        Ok(()) => welcome(shared, actor),
        Err((code, message)) => ServerMessage::Error { code, message },
    }
}

fn realm_infos(shared: &Shared) -> Vec<RealmInfo> {
    shared
        .realms
        .read()
        .map(|realms| {
            realms
                .values()
                .map(|r| RealmInfo {
                    realm: r.id.clone(),
                    drill: r.kind == RealmKind::Drill,
                    last_seq: r.last_seq(),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn open_drill(shared: &Shared, actor: &Actor, realm: &RealmId) -> Result<(), (ErrorCode, String)> {
    if actor.role != Role::DrillDirector {
        return Err((
            ErrorCode::Forbidden,
            "only a drill director opens a drill".into(),
        ));
    }
    if !realm.0.starts_with("drill-") || !crate::realm::valid_name(&realm.0) {
        return Err((
            ErrorCode::Forbidden,
            "a drill realm is named drill-… (letters, digits, - and _)".into(),
        ));
    }
    shared
        .open_realm(realm.clone(), RealmKind::Drill)
        .map_err(|e| (ErrorCode::Internal, format!("{e:#}")))
}

fn close_drill(shared: &Shared, actor: &Actor, realm: &RealmId) -> Result<(), (ErrorCode, String)> {
    if actor.role != Role::DrillDirector {
        return Err((
            ErrorCode::Forbidden,
            "only a drill director closes a drill".into(),
        ));
    }
    if !realm.0.starts_with("drill-") {
        return Err((
            ErrorCode::Forbidden,
            "only drill realms can be closed".into(),
        ));
    }
    match shared.close_realm(realm) {
        Ok(true) => Ok(()),
        Ok(false) => Err((
            ErrorCode::UnknownRealm,
            format!("no open realm {}", realm.0),
        )),
        Err(e) => Err((ErrorCode::Internal, format!("{e:#}"))),
    }
}

async fn write_loop(
    mut send: quinn::SendStream,
    mut frames: mpsc::Receiver<Frame>,
    mut control: mpsc::UnboundedReceiver<ServerMessage>,
) {
    loop {
        let bytes: Frame = tokio::select! {
            biased;
            Some(msg) = control.recv() => match protocol::encode(&msg, Limits::FROM_RELAY) {
                Ok(b) => b.into(),
                Err(e) => { warn!("cannot encode: {e}"); continue; }
            },
            Some(f) = frames.recv() => f,
            else => break,
        };
        if send.write_all(&bytes).await.is_err() {
            return;
        }
    }
    let _ = send.finish();
    let _ = tokio::time::timeout(Duration::from_secs(2), send.stopped()).await;
}
