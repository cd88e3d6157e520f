//! Realm to field: CoT markers for teams and incidents to TAK clients,
//! dispatch orders as APRS messages (through a KISS TNC) or GeoChat.

use crate::config::{AprsOutputConfig, CotOutputConfig};
use crate::metrics::Registry;
use domain::{DispatchOrder, State, Timestamp};
use radio::{aprs, ax25::Address, cot, kiss};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{broadcast, mpsc};

/// Markers for every located team and open incident. Drill realms are
/// marked as exercise (`opex="e"`).
pub fn markers(state: &State, exercise: bool, now: Timestamp) -> Vec<String> {
    let mut out: Vec<String> = state
        .teams
        .values()
        .filter_map(|t| team_marker(t, exercise, now))
        .collect();
    for i in state.incidents.values() {
        out.push(cot::encode_marker(&cot::Marker {
            uid: format!("ecc.incident.{}", i.id.0),
            // TAK's spot-map marker: a place, neither friend nor foe.
            kind: "b-m-p-s-m".into(),
            callsign: i.title.clone(),
            point: i.position,
            ce: None,
            time: now,
            stale_after_ms: 10 * domain::time::MINUTE,
            remarks: Some(i.address.clone()),
            exercise,
        }));
    }
    out
}

/// A located team's marker, stamped `time`.
pub fn team_marker(t: &domain::Team, exercise: bool, time: Timestamp) -> Option<String> {
    let fix = t.last_fix?;
    Some(cot::encode_marker(&cot::Marker {
        uid: format!("ecc.team.{}", t.id.0),
        kind: "a-f-G-U-C".into(),
        callsign: t.name.clone(),
        point: fix.position,
        ce: fix.accuracy_m.map(f64::from),
        time,
        stale_after_ms: 10 * domain::time::MINUTE,
        remarks: Some(format!("{} {}", t.kind.zh(), t.status.zh())),
        exercise,
    }))
}

/// CoT output settings, the fan-out to TAK clients and the latest markers
/// (sent to each client as it connects).
type CotOut = (
    CotOutputConfig,
    broadcast::Sender<Arc<String>>,
    Arc<std::sync::Mutex<Vec<String>>>,
);

/// Where outbound traffic goes.
pub struct Outbound {
    cot: Option<CotOut>,
    aprs: Option<(AprsOutputConfig, mpsc::Sender<Vec<u8>>)>,
    registry: Arc<Registry>,
    next_msg: u32,
}

impl Outbound {
    /// Starts the CoT output listener (if configured) and wires APRS to the
    /// TNC queue `kiss_tx`.
    pub async fn start(
        cot_cfg: Option<CotOutputConfig>,
        aprs_cfg: Option<(AprsOutputConfig, mpsc::Sender<Vec<u8>>)>,
        registry: Arc<Registry>,
    ) -> anyhow::Result<Outbound> {
        let cot = match cot_cfg {
            Some(c) => {
                // Room for a second or more of markers at full load before
                // a slow client has to skip.
                let (tx, _) = broadcast::channel(COT_BUFFER);
                let latest = Arc::new(std::sync::Mutex::new(Vec::new()));
                let listener = tokio::net::TcpListener::bind(c.listen).await?;
                tracing::info!(addr = %c.listen, "CoT output listening");
                tokio::spawn(serve_cot(
                    listener,
                    tx.clone(),
                    latest.clone(),
                    registry.clone(),
                ));
                Some((c, tx, latest))
            }
            None => None,
        };
        Ok(Outbound {
            cot,
            aprs: aprs_cfg,
            registry,
            next_msg: 0,
        })
    }

    /// Whether anything needs the realm's state.
    pub fn wants_state(&self) -> bool {
        self.cot.is_some() || self.aprs.is_some()
    }

    /// Seconds between marker refreshes.
    pub fn refresh_s(&self) -> u64 {
        self.cot.as_ref().map_or(10, |c| c.0.refresh_s.max(1))
    }

    /// Sends all markers to every TAK client and keeps them for new ones.
    pub fn publish_markers(&self, state: &State, exercise: bool) {
        if let Some((_, tx, latest)) = &self.cot {
            let m = markers(state, exercise, crate::input::now());
            for x in &m {
                let _ = tx.send(Arc::new(x.clone()));
            }
            if let Ok(mut l) = latest.lock() {
                *l = m;
            }
        }
    }

    /// Sends one team's marker to every TAK client as soon as its fix is
    /// recorded, stamped with the fix's own time (so a client can tell how
    /// old the position is).
    pub fn publish_team(&self, state: &State, team: &domain::TeamId, exercise: bool) {
        if let Some((_, tx, _)) = &self.cot
            && let Some(t) = state.teams.get(team)
            && let Some(m) = team_marker(
                t,
                exercise,
                t.last_fix.map_or(crate::input::now(), |f| f.taken_at),
            )
        {
            let _ = tx.send(Arc::new(m));
        }
    }

    /// Sends a newly issued order to the team's radios: APRS callsigns get
    /// an APRS message, other ids (CoT uids) a GeoChat message.
    pub fn order(&mut self, state: &State, order: &DispatchOrder, exercise: bool) {
        let Some(team) = state.teams.get(&order.team) else {
            return;
        };
        let place = state
            .incidents
            .get(&order.incident)
            .map(|i| format!("{} {}", i.title, i.address))
            .unwrap_or_default();
        let prefix = if exercise { "[演练] " } else { "" };
        let text = format!("{prefix}{place} {}", order.note).trim().to_owned();
        for radio in &team.radio_ids {
            let aprs_station = Address::parse(radio).is_ok();
            if aprs_station {
                if let Some((cfg, tx)) = &self.aprs {
                    self.next_msg = self.next_msg % 99_999 + 1;
                    let (Ok(me), Ok(to)) =
                        (Address::parse(&cfg.callsign), Address::parse(&cfg.tocall))
                    else {
                        continue;
                    };
                    let id = self.next_msg.to_string();
                    match aprs::encode_message(&me, &to, radio, &text, Some(&id)) {
                        Ok(frame) => {
                            if tx.try_send(kiss::encode(0, &frame.encode())).is_ok() {
                                self.registry.aprs_sent.fetch_add(1, Ordering::Relaxed);
                            } else {
                                tracing::warn!(%radio, "TNC queue full or gone; APRS order not sent");
                            }
                        }
                        Err(e) => tracing::warn!(%radio, "APRS message: {e}"),
                    }
                }
            } else if let Some((cfg, tx, _)) = &self.cot {
                let chat = cot::encode_chat(&cot::Chat {
                    id: order.id.0.clone(),
                    sender_uid: cfg.uid.clone(),
                    sender_callsign: cfg.callsign.clone(),
                    to_uid: radio.clone(),
                    to_callsign: team.name.clone(),
                    text: text.clone(),
                    time: order.issued_at,
                    exercise,
                });
                let _ = tx.send(Arc::new(chat));
            }
        }
    }
}

/// Markers queued per TAK client before a slow one skips ahead.
const COT_BUFFER: usize = 16 * 1024;

/// Most bytes written to a TAK client in one go.
const COT_BATCH: usize = 256 * 1024;

async fn serve_cot(
    listener: tokio::net::TcpListener,
    tx: broadcast::Sender<Arc<String>>,
    latest: Arc<std::sync::Mutex<Vec<String>>>,
    registry: Arc<Registry>,
) {
    loop {
        let (sock, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!("CoT output accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        tracing::info!(%peer, "TAK client connected");
        let mut rx = tx.subscribe();
        let first: Vec<String> = latest.lock().map(|l| l.clone()).unwrap_or_default();
        let registry = registry.clone();
        tokio::spawn(async move {
            registry.cot_clients.fetch_add(1, Ordering::Relaxed);
            let (mut rd, mut wr) = sock.into_split();
            // What clients send here is not read as input; drain it.
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while matches!(rd.read(&mut buf).await, Ok(n) if n > 0) {}
            });
            let mut ok = true;
            for m in first {
                ok &= wr.write_all(m.as_bytes()).await.is_ok();
            }
            let skipped = |n: u64| {
                registry.cot_skipped.fetch_add(n, Ordering::Relaxed);
                tracing::warn!(%peer, "TAK client too slow: skipped {n} messages");
            };
            let mut batch = String::new();
            while ok {
                match rx.recv().await {
                    Ok(m) => batch.push_str(&m),
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        skipped(n);
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
                // Whatever else is already queued goes in the same write:
                // one system call for many markers under load.
                while batch.len() < COT_BATCH {
                    match rx.try_recv() {
                        Ok(m) => batch.push_str(&m),
                        Err(broadcast::error::TryRecvError::Lagged(n)) => skipped(n),
                        Err(_) => break,
                    }
                }
                ok = wr.write_all(batch.as_bytes()).await.is_ok();
                batch.clear();
            }
            registry.cot_clients.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::*;

    #[test]
    fn drill_markers_carry_the_exercise_mark() {
        let mut state = State::default();
        let team = Team {
            id: TeamId::new("T1"),
            name: "朝阳消防站".into(),
            kind: TeamKind::ComprehensiveFireRescue,
            tier: 1,
            capabilities: vec![],
            headcount: 20,
            equipment: vec![],
            jurisdiction: JurisdictionId::new("220104"),
            home: GeoPoint::new(43.88, 125.32),
            radio_ids: vec!["BG2ABC-9".into()],
            status: TeamStatus::Available,
            last_fix: Some(Fix {
                position: GeoPoint::new(43.89, 125.33),
                accuracy_m: Some(5.0),
                source: FixSource::Aprs,
                taken_at: Timestamp(0),
            }),
            support: None,
        };
        state.teams.insert(team.id.clone(), team);
        let m = markers(&state, true, Timestamp(1_795_000_000_000));
        assert_eq!(m.len(), 1);
        let ev = radio::cot::parse(m[0].as_bytes()).expect("parses");
        assert!(ev.is_exercise());
        assert_eq!(ev.uid, "ecc.team.T1");
        assert_eq!(ev.point, Some(GeoPoint::new(43.89, 125.33)));
        let live = markers(&state, false, Timestamp(0));
        assert!(
            !radio::cot::parse(live[0].as_bytes())
                .expect("parses")
                .is_exercise()
        );
    }
}
