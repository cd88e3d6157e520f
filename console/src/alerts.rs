//! Alerts: a new incident, an order not acknowledged in time, an overdue
//! report, a radio emergency. Each shows as a banner until an officer
//! acknowledges it on this console, and sounds a chime unless muted. A
//! machine without a sound device (CI, servers) just stays silent.

use crate::i18n::Term;
use crate::i18n::{t, tf};
use crate::picture::{Clock, Picture};
use bevy::prelude::*;
use domain::deadline::ObligationStatus;
use domain::{EventKind, Timestamp, reporting_obligations};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, mpsc};

/// What an alert is about; decides its chime and colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertKind {
    /// 新接报
    NewIncident,
    /// 指令超时未确认
    OrderTimedOut,
    /// 报送超时
    ReportOverdue,
    /// 紧急求救 / 请求支援
    Emergency,
}

impl AlertKind {
    /// Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            AlertKind::NewIncident => t("alert.new_incident"),
            AlertKind::OrderTimedOut => t("alert.timed_out"),
            AlertKind::ReportOverdue => t("alert.overdue"),
            AlertKind::Emergency => t("alert.emergency"),
        }
    }
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Identity, so the same condition is raised once.
    pub key: String,
    /// Kind.
    pub kind: AlertKind,
    /// What to show.
    pub text: String,
    /// When it was raised.
    pub at: Timestamp,
}

/// Whether the chimes can be heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audio {
    /// Still opening the device.
    Opening,
    /// Playing through the default device.
    Ready,
    /// No device: alerts are silent.
    Unavailable,
}

/// Alerts raised on this console and whether they were acknowledged.
#[derive(Resource)]
pub struct Alerts {
    /// Not yet acknowledged, oldest first.
    pub open: Vec<Alert>,
    /// Keys raised so far (acknowledged or not), so nothing repeats.
    seen: BTreeSet<String>,
    /// Silenced by the officer.
    pub muted: bool,
    chimes: Mutex<mpsc::Sender<AlertKind>>,
    audio: Arc<AtomicU8>,
    last_seq: u64,
    checked_at: Timestamp,
}

impl Alerts {
    fn new(chimes: mpsc::Sender<AlertKind>, audio: Arc<AtomicU8>) -> Self {
        Self {
            open: Vec::new(),
            seen: BTreeSet::new(),
            muted: false,
            chimes: Mutex::new(chimes),
            audio,
            last_seq: 0,
            checked_at: Timestamp(0),
        }
    }

    /// Alerts that never sound (headless measurements).
    pub(crate) fn silent() -> Self {
        Self::new(mpsc::channel().0, Arc::new(AtomicU8::new(2)))
    }

    /// Raises an alert unless one with the same key was raised before.
    pub fn raise(&mut self, key: String, kind: AlertKind, text: String, at: Timestamp) {
        if !self.seen.insert(key.clone()) {
            return;
        }
        self.open.push(Alert {
            key,
            kind,
            text,
            at,
        });
        if !self.muted
            && let Ok(tx) = self.chimes.lock()
        {
            let _ = tx.send(kind);
        }
    }

    /// Starts counting seqs afresh (another realm); open alerts stay.
    pub fn restart(&mut self) {
        self.last_seq = 0;
    }

    /// Acknowledges one alert on this console.
    pub fn acknowledge(&mut self, key: &str) {
        self.open.retain(|a| a.key != key);
    }

    /// Whether chimes can be heard here.
    pub fn audio(&self) -> Audio {
        match self.audio.load(Ordering::Relaxed) {
            1 => Audio::Ready,
            2 => Audio::Unavailable,
            _ => Audio::Opening,
        }
    }
}

/// Registers alerts and the sound thread.
pub struct AlertsPlugin;

impl Plugin for AlertsPlugin {
    fn build(&self, app: &mut App) {
        let (tx, rx) = mpsc::channel();
        let audio = Arc::new(AtomicU8::new(0));
        let status = audio.clone();
        let spawned = std::thread::Builder::new()
            .name("sound".into())
            .spawn(move || play(rx, status));
        if let Err(e) = spawned {
            warn!("no sound thread: {e}");
            audio.store(2, Ordering::Relaxed);
        }
        app.insert_resource(Alerts::new(tx, audio))
            .add_systems(Update, raise_alerts);
    }
}

/// Owns the audio device (which must stay on one thread) and plays chimes.
fn play(rx: mpsc::Receiver<AlertKind>, status: Arc<AtomicU8>) {
    let sink = match rodio::DeviceSinkBuilder::open_default_sink() {
        Ok(s) => {
            status.store(1, Ordering::Relaxed);
            s
        }
        Err(e) => {
            info!("no sound device, alerts are silent: {e}");
            status.store(2, Ordering::Relaxed);
            // Drain so senders never block or fail.
            for _ in rx {}
            return;
        }
    };
    for kind in rx {
        sink.mixer().add(chime(kind));
    }
}

/// A short two- or three-tone chime per kind: emergencies high and
/// insistent, routine news low and brief.
fn chime(kind: AlertKind) -> impl rodio::Source<Item = f32> + Send + 'static {
    use rodio::Source;
    use rodio::source::SineWave;
    use std::time::Duration;
    let (tones, ms): (&[f32], u64) = match kind {
        AlertKind::NewIncident => (&[660.0, 880.0], 180),
        AlertKind::OrderTimedOut => (&[880.0, 660.0, 880.0], 200),
        AlertKind::ReportOverdue => (&[523.0, 523.0], 250),
        AlertKind::Emergency => (&[1047.0, 784.0, 1047.0, 784.0], 150),
    };
    let parts: Vec<_> = tones
        .iter()
        .map(|&f| {
            SineWave::new(f)
                .take_duration(Duration::from_millis(ms))
                .amplify(0.25)
        })
        .collect();
    rodio::source::from_iter(parts)
}

/// Events older than this when they arrive raise no alert.
const FRESH: domain::Millis = 2 * domain::time::MINUTE;

/// Turns what arrived and what fell due into alerts.
fn raise_alerts(
    picture: Res<Picture>,
    clock: Res<Clock>,
    link: Res<crate::net::Link>,
    mut alerts: ResMut<Alerts>,
) {
    let prefix = if picture.drill { "【演练】" } else { "" };
    // What happened before this console caught up is history, not news:
    // the demo's night until it is loaded, and anything older than
    // FRESH on a real relay.
    let history = |seq: u64| link.demo && link.ready_seq.is_none_or(|r| seq <= r);
    let quiet = link.demo && link.ready_seq.is_none();
    let fresh_after = clock.0.plus(-FRESH);
    let from = alerts.last_seq;
    let fresh: Vec<(u64, domain::Event)> = picture
        .feed
        .iter()
        .filter(|(seq, _)| *seq > from)
        .cloned()
        .collect();
    for (seq, e) in fresh {
        alerts.last_seq = alerts.last_seq.max(seq);
        if history(seq) || e.at < fresh_after {
            continue;
        }
        match &e.kind {
            EventKind::IncidentOpened(i) => alerts.raise(
                format!("new:{}", i.id),
                AlertKind::NewIncident,
                format!(
                    "{prefix}{}",
                    tf(
                        "alert.msg_new",
                        &[&i.title, i.sector.term(), i.grade.term()]
                    )
                ),
                e.at,
            ),
            EventKind::OrderEscalated { order, to } => {
                let team = picture
                    .state
                    .orders
                    .get(order)
                    .and_then(|o| picture.state.teams.get(&o.team))
                    .map_or_else(|| order.to_string(), |t| t.name.clone());
                let leader = to.as_ref().map_or("（无带班领导）".to_owned(), |l| {
                    format!("，已上报带班领导 {l}")
                });
                alerts.raise(
                    format!("timeout:{order}"),
                    AlertKind::OrderTimedOut,
                    format!("{prefix}{team} 未在规定时间内确认调度指令{leader}"),
                    e.at,
                );
            }
            EventKind::Field(domain::field::FieldEvent::EmergencyRaised(em)) => {
                let name = picture
                    .state
                    .teams
                    .get(&em.team)
                    .map_or_else(|| em.team.to_string(), |t| t.name.clone());
                alerts.raise(
                    format!("emergency:{}:{}", em.team, e.at.0),
                    AlertKind::Emergency,
                    format!(
                        "{prefix}{name} 电台紧急求救（{}）{}",
                        em.device,
                        em.text
                            .as_deref()
                            .map(|t| format!("：{t}"))
                            .unwrap_or_default()
                    ),
                    e.at,
                );
            }
            EventKind::Field(domain::field::FieldEvent::DeviceSighted(d)) if d.emergency => {
                alerts.raise(
                    format!("emergency:{}", d.device),
                    AlertKind::Emergency,
                    format!(
                        "{prefix}未分配设备 {} 紧急求救{}",
                        d.device,
                        d.text
                            .as_deref()
                            .map(|t| format!("：{t}"))
                            .unwrap_or_default()
                    ),
                    e.at,
                );
            }
            EventKind::SupportRequested {
                team,
                what: Some(what),
            } => {
                let name = picture
                    .state
                    .teams
                    .get(team)
                    .map_or_else(|| team.to_string(), |t| t.name.clone());
                alerts.raise(
                    format!("support:{team}:{}", e.at.0),
                    AlertKind::Emergency,
                    format!("{prefix}{name} 请求支援：{what}"),
                    e.at,
                );
            }
            _ => {}
        }
    }
    if quiet {
        return;
    }
    // Overdue reports: checked against the clock once a second (deadlines
    // are minutes apart), raised once each.
    let now = clock.0;
    if now.since(alerts.checked_at) < domain::time::SECOND {
        return;
    }
    alerts.checked_at = now;
    let mut due = Vec::new();
    for inc in picture
        .state
        .incidents
        .values()
        .filter(|i| i.status != domain::IncidentStatus::Closed)
    {
        let rules = picture
            .state
            .rules
            .reporting
            .for_jurisdiction(&inc.jurisdiction);
        for o in reporting_obligations(inc, rules, now) {
            if let ObligationStatus::Overdue { .. } = o.status {
                due.push((
                    format!("overdue:{}:{:?}:{:?}:{:?}", inc.id, o.kind, o.to, o.channel),
                    format!(
                        "{prefix}{}",
                        tf(
                            "alert.msg_overdue",
                            &[
                                &inc.title,
                                &crate::i18n::report_kind(o.kind),
                                o.to.term(),
                                &o.due_at.cst_hm()
                            ]
                        )
                    ),
                    o.due_at,
                ));
            }
        }
    }
    for (key, text, at) in due {
        alerts.raise(key, AlertKind::ReportOverdue, text, at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alerts() -> (Alerts, mpsc::Receiver<AlertKind>) {
        let (tx, rx) = mpsc::channel();
        (Alerts::new(tx, Arc::new(AtomicU8::new(2))), rx)
    }

    #[test]
    fn an_alert_is_raised_once_and_chimes_unless_muted() {
        let (mut a, rx) = alerts();
        a.raise("k".into(), AlertKind::NewIncident, "x".into(), Timestamp(1));
        a.raise("k".into(), AlertKind::NewIncident, "x".into(), Timestamp(2));
        assert_eq!(a.open.len(), 1);
        assert_eq!(rx.try_iter().count(), 1);
        a.acknowledge("k");
        assert!(a.open.is_empty());
        a.raise("k".into(), AlertKind::NewIncident, "x".into(), Timestamp(3));
        assert!(
            a.open.is_empty(),
            "an acknowledged alert does not come back"
        );
        a.muted = true;
        a.raise("m".into(), AlertKind::Emergency, "y".into(), Timestamp(4));
        assert_eq!(a.open.len(), 1, "muted alerts still show");
        assert_eq!(rx.try_iter().count(), 0, "but make no sound");
        assert_eq!(a.audio(), Audio::Unavailable);
    }

    #[test]
    fn a_chime_is_short_and_audible() {
        use rodio::Source;
        let c = chime(AlertKind::Emergency);
        let rate = c.sample_rate().get() as usize;
        let samples: Vec<f32> = c.collect();
        let seconds = samples.len() as f64 / rate as f64;
        assert!((0.5..0.7).contains(&seconds), "{seconds} s");
        let peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        assert!((0.2..=0.26).contains(&peak), "peak {peak}");
    }
}
