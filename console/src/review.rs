//! Review mode (复盘): a relay's log on this console, read-only and
//! offline — any moment on the map and panels (folded with the same
//! `apply` as live), a timeline to scrub, team trails, and the decision
//! trail behind each order and report. The log is verified before anything
//! is shown; a log that fails opens only when asked, marked unverified and
//! naming its first bad record.

use crate::i18n::Term;
use crate::picture::Picture;
use crate::theme;
use crate::timeline::{Jump, Mark, MarkKind, Timeline};
use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, RichText};
use domain::deadline::ObligationStatus;
use domain::{Decision, EventKind, GeoPoint, IncidentId, State, TeamId, Timestamp};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How many decisions apart the in-memory checkpoints of the fold are: a
/// seek folds at most this many.
const CHECKPOINT_EVERY: usize = 2_000;

/// Whether the log passed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Chain and signatures check out.
    Verified,
    /// It did not; shown only up to the record before the first bad one.
    Unverified {
        /// First bad record, when the failure names one.
        seq: Option<u64>,
        /// Why.
        reason: String,
    },
}

/// A realm's log, loaded for review.
pub struct ReviewLog {
    /// Verification result.
    pub verification: Verification,
    decisions: Vec<Decision>,
    checkpoints: Vec<(usize, State)>,
    /// Marks for the timeline.
    pub marks: Vec<Mark>,
}

/// Why a log cannot be reviewed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Verification failed and unverified review was not asked for.
    #[error("日志校验失败，拒绝常规复盘：{0}（如需查看，加 --unverified 以未验证模式打开）")]
    Refused(String),
    /// The directory or key could not be read.
    #[error("{0}")]
    Io(String),
}

impl ReviewLog {
    /// Verifies and loads `data/realms/<realm>`; `progress` counts records
    /// read. An unverified log loads only with `allow_unverified`.
    pub fn open(
        data: &Path,
        realm: &str,
        allow_unverified: bool,
        progress: &AtomicU64,
    ) -> Result<ReviewLog, OpenError> {
        let key = relay::identity::ledger_verifying_key(data)
            .map_err(|e| OpenError::Io(format!("{e:#}")))?;
        let dir = data.join("realms").join(realm);
        let mut readable = dir.clone();
        let verification = match ledger::verify(&dir, &key) {
            Ok(_) => Verification::Verified,
            Err(e) => {
                if !allow_unverified {
                    return Err(OpenError::Refused(e.to_string()));
                }
                readable = intact_prefix(&dir, &e).map_err(|e| OpenError::Io(e.to_string()))?;
                Verification::Unverified {
                    seq: e.seq,
                    reason: e.to_string(),
                }
            }
        };
        let stop_before = match &verification {
            Verification::Unverified { seq: Some(s), .. } => *s,
            Verification::Unverified { seq: None, .. } => 1,
            Verification::Verified => u64::MAX,
        };
        let reader = ledger::LedgerReader::open(&readable, &key, ledger::LedgerOptions::default())
            .map_err(|e| OpenError::Io(e.to_string()))?;
        let mut decisions = Vec::new();
        let records = reader
            .read_from(1)
            .map_err(|e| OpenError::Io(e.to_string()))?;
        for rec in records {
            let Ok(rec) = rec else { break };
            if rec.seq >= stop_before {
                break;
            }
            match postcard::from_bytes::<Decision>(&rec.payload) {
                Ok(d) => decisions.push(d),
                Err(_) => break,
            }
            progress.fetch_add(1, Ordering::Relaxed);
        }
        Ok(Self::from_decisions(verification, decisions))
    }

    /// Verifies and loads a log from wherever `source` says.
    pub fn load(
        source: &LogSource,
        realm: &str,
        allow_unverified: bool,
        progress: &AtomicU64,
    ) -> Result<ReviewLog, OpenError> {
        match source {
            LogSource::Dir(data) => Self::open(data, realm, allow_unverified, progress),
            LogSource::Relay(cfg) => Self::fetch(cfg, realm, allow_unverified, progress),
        }
    }

    /// Reads `realm`'s log from a running relay, page by page, and verifies
    /// it as it comes: each record must follow the last (seq without gaps,
    /// the hash chain recomputed), and the head the relay signs when the
    /// last page is read must hold that chain's hash under the relay's
    /// ledger key. The connection itself is the pinned relay's, so the key
    /// that signed is the relay's. `progress` counts records read.
    pub fn fetch(
        cfg: &client::ClientConfig,
        realm: &str,
        allow_unverified: bool,
        progress: &AtomicU64,
    ) -> Result<ReviewLog, OpenError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| OpenError::Io(e.to_string()))?;
        let realm_id = protocol::RealmId(realm.to_owned());
        let pages = rt.block_on(async {
            let mut s = client::Session::connect(cfg)
                .await
                .map_err(|e| OpenError::Io(format!("{}: {e}", cfg.addr)))?;
            let mut chain = RemoteChain::default();
            loop {
                s.send(&protocol::ClientMessage::ReadLog {
                    realm: realm_id.clone(),
                    from: chain.next_seq(),
                })
                .await
                .map_err(|e| OpenError::Io(e.to_string()))?;
                let (records, head) = loop {
                    match s.next_message().await {
                        Some(protocol::ServerMessage::LogPage {
                            realm: r,
                            records,
                            head,
                        }) if r == realm_id => break (records, head),
                        Some(protocol::ServerMessage::Error { message, .. }) => {
                            return Err(OpenError::Io(message));
                        }
                        Some(_) => continue,
                        None => {
                            return Err(OpenError::Io(format!(
                                "the relay closed the connection: {}",
                                s.close_reason().unwrap_or_default()
                            )));
                        }
                    }
                };
                let n = records.len() as u64;
                chain.take(records);
                progress.fetch_add(n, Ordering::Relaxed);
                if let Some(h) = head {
                    chain.head = Some(h);
                    break;
                }
                if n == 0 {
                    return Err(OpenError::Io("the relay sent an empty page".into()));
                }
            }
            s.close().await;
            Ok(chain)
        })?;
        let (decisions, verification) = pages.verdict();
        if let Verification::Unverified { reason, .. } = &verification
            && !allow_unverified
        {
            return Err(OpenError::Refused(reason.clone()));
        }
        Ok(Self::from_decisions(verification, decisions))
    }

    /// A review of decisions already in memory (seq = index + 1).
    pub fn from_decisions(verification: Verification, decisions: Vec<Decision>) -> ReviewLog {
        let mut checkpoints = vec![(0, State::default())];
        let mut state = State::default();
        let mut marks = Vec::new();
        for (i, d) in decisions.iter().enumerate() {
            let seq = i as u64 + 1;
            for e in &d.events {
                if let Some(kind) = mark_kind(&e.kind) {
                    marks.push(Mark {
                        seq,
                        at: e.at,
                        kind,
                        text: domain::narrative::describe(e, &state),
                    });
                }
            }
            state.apply_decision(d);
            if (i + 1) % CHECKPOINT_EVERY == 0 {
                checkpoints.push((i + 1, state.clone()));
            }
        }
        ReviewLog {
            verification,
            decisions,
            checkpoints,
            marks,
        }
    }

    /// Number of decisions (the last seq).
    pub fn len(&self) -> u64 {
        self.decisions.len() as u64
    }

    /// Time of the first and last decisions.
    pub fn span(&self) -> (Timestamp, Timestamp) {
        let first = self.decisions.first().map_or(Timestamp(0), |d| d.at);
        let last = self.decisions.last().map_or(first, |d| d.at);
        (first, last)
    }

    /// The last seq at or before `t` (0 before the first).
    pub fn seq_at(&self, t: Timestamp) -> u64 {
        self.decisions.partition_point(|d| d.at <= t) as u64
    }

    /// The decision at `seq`.
    pub fn decision(&self, seq: u64) -> Option<&Decision> {
        seq.checked_sub(1)
            .and_then(|i| self.decisions.get(i as usize))
    }

    /// The state after `seq`: the nearest checkpoint, folded forward.
    pub fn state_at(&self, seq: u64) -> State {
        let n = (seq as usize).min(self.decisions.len());
        let idx = self.checkpoints.partition_point(|(at, _)| *at <= n) - 1;
        let (from, base) = &self.checkpoints[idx];
        let mut state = base.clone();
        for d in &self.decisions[*from..n] {
            state.apply_decision(d);
        }
        state
    }

    /// Every team's positions between `from` and `to`, oldest first.
    pub fn trails(&self, from: Timestamp, to: Timestamp) -> BTreeMap<TeamId, Vec<GeoPoint>> {
        let start = self.decisions.partition_point(|d| d.at < from);
        let end = self.decisions.partition_point(|d| d.at <= to);
        let mut out: BTreeMap<TeamId, Vec<GeoPoint>> = BTreeMap::new();
        for d in &self.decisions[start..end] {
            for e in &d.events {
                if let EventKind::FixReported { team, fix } = &e.kind {
                    out.entry(team.clone()).or_default().push(fix.position);
                }
            }
        }
        out
    }
}

/// A copy of the log cut just before its first bad record, without the
/// checkpoints and snapshots that vouch for what was cut: what unverified
/// review may read. The original is never touched.
fn intact_prefix(dir: &Path, bad: &ledger::VerifyError) -> std::io::Result<PathBuf> {
    let copy = std::env::temp_dir().join(format!(
        "ecc-review-unverified-{}-{}",
        std::process::id(),
        dir.file_name()
            .map_or("realm".into(), |n| n.to_string_lossy())
    ));
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir_all(&copy)?;
    let bad_segment = bad.file.file_name().map(|n| n.to_owned());
    let mut segments: Vec<PathBuf> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("seg-"))
        })
        .collect();
    segments.sort();
    for seg in segments {
        let name = seg.file_name().map(|n| n.to_owned()).unwrap_or_default();
        let mut bytes = std::fs::read(&seg)?;
        if Some(&name) == bad_segment.as_ref() {
            bytes.truncate(bad.offset as usize);
            std::fs::write(copy.join(&name), bytes)?;
            break;
        }
        std::fs::write(copy.join(&name), bytes)?;
    }
    // The realm's kind (live or drill) travels with it.
    let kind = dir.join("kind");
    if kind.is_file() {
        std::fs::copy(&kind, copy.join("kind"))?;
    }
    Ok(copy)
}

fn mark_kind(k: &EventKind) -> Option<MarkKind> {
    match k {
        EventKind::IncidentOpened(_)
        | EventKind::GradeChanged { .. }
        | EventKind::IncidentClosed { .. } => Some(MarkKind::Incident),
        EventKind::OrderIssued(_) | EventKind::OrderAdvanced { .. } => Some(MarkKind::Order),
        EventKind::ReportFiled { .. } => Some(MarkKind::Report),
        EventKind::OrderEscalated { .. }
        | EventKind::SupportRequested { .. }
        | EventKind::Field(domain::field::FieldEvent::EmergencyRaised(_)) => Some(MarkKind::Alarm),
        _ => None,
    }
}

/// Where a log to review comes from.
#[derive(Clone)]
pub enum LogSource {
    /// A relay's data directory, or a copy of one.
    Dir(PathBuf),
    /// A running relay, read over the network (read-only).
    Relay(client::ClientConfig),
}

impl LogSource {
    /// In words, for the header.
    pub fn describe(&self) -> String {
        match self {
            LogSource::Dir(d) => d.display().to_string(),
            LogSource::Relay(c) => format!("中继 {}", c.addr),
        }
    }
}

/// A log read over the network, checked record by record.
#[derive(Default)]
struct RemoteChain {
    decisions: Vec<Decision>,
    hash: [u8; 32],
    /// The first record that broke the chain or did not decode, and why.
    broken: Option<(u64, String)>,
    head: Option<protocol::SignedHead>,
}

impl RemoteChain {
    fn next_seq(&self) -> u64 {
        self.decisions.len() as u64 + 1
    }

    fn take(&mut self, records: Vec<protocol::LogRecord>) {
        for r in records {
            if self.broken.is_some() {
                return;
            }
            let want = self.next_seq();
            if r.seq != want {
                self.broken = Some((want, format!("record {want} missing (got {})", r.seq)));
                return;
            }
            match postcard::from_bytes::<Decision>(&r.payload) {
                Ok(d) => {
                    self.hash = ledger::chain::next(&self.hash, r.seq, r.time, &r.payload);
                    self.decisions.push(d);
                }
                Err(e) => {
                    self.broken = Some((r.seq, format!("record {} does not decode: {e}", r.seq)));
                }
            }
        }
    }

    /// The decisions up to the first bad one, and whether the whole log
    /// checked out against the signed head.
    fn verdict(self) -> (Vec<Decision>, Verification) {
        let verification = match (&self.broken, &self.head) {
            (Some((seq, why)), _) => Verification::Unverified {
                seq: Some(*seq),
                reason: why.clone(),
            },
            (None, None) => Verification::Unverified {
                seq: None,
                reason: "the relay sent no signed head".into(),
            },
            (None, Some(h)) => {
                let signed = ledger::SignedHead {
                    seq: h.seq,
                    time: h.time,
                    hash: h.hash,
                    public_key: h.public_key,
                    signature: h.signature.as_slice().try_into().unwrap_or([0; 64]),
                };
                let last = self.decisions.len() as u64;
                if h.seq != last {
                    Verification::Unverified {
                        seq: Some(h.seq.min(last) + 1),
                        reason: format!("the signed head is at {} but {last} records came", h.seq),
                    }
                } else if h.hash != self.hash {
                    Verification::Unverified {
                        seq: None,
                        reason: "the records do not hash to the signed head".into(),
                    }
                } else if !signed.signature_holds() {
                    Verification::Unverified {
                        seq: None,
                        reason: "the head's signature does not hold".into(),
                    }
                } else {
                    Verification::Verified
                }
            }
        };
        // A broken chain stopped taking records at the break; a head that
        // does not match leaves every record shown, marked unverified.
        (self.decisions, verification)
    }
}

/// What review mode shows and where it stands.
#[derive(Resource)]
pub struct ReviewDesk {
    /// The log once loaded.
    log: Arc<Mutex<Option<Result<ReviewLog, String>>>>,
    /// Records read so far while loading.
    progress: Arc<AtomicU64>,
    /// The timeline, once loaded.
    timeline: Option<Timeline>,
    /// Seq on screen.
    shown: Option<u64>,
    /// Trail window, minutes before the cursor (0: none).
    pub trail_minutes: u32,
    /// The decision trail window is open.
    pub trail_open: bool,
    /// Where the log is, for the header.
    pub source: String,
}

/// Review mode: loads the log on a thread, then drives the picture from
/// the timeline.
pub struct ReviewPlugin {
    /// Where the log is.
    pub source: LogSource,
    /// Realm to review.
    pub realm: String,
    /// Open a log that fails verification (marked as such).
    pub allow_unverified: bool,
}

impl Plugin for ReviewPlugin {
    fn build(&self, app: &mut App) {
        let log = Arc::new(Mutex::new(None));
        let progress = Arc::new(AtomicU64::new(0));
        let (source, realm, allow) = (
            self.source.clone(),
            self.realm.clone(),
            self.allow_unverified,
        );
        let drill = realm.starts_with("drill-");
        let realm_name = realm.clone();
        let (slot, count) = (log.clone(), progress.clone());
        let spawned = std::thread::Builder::new()
            .name("review-load".into())
            .spawn(move || {
                let loaded =
                    ReviewLog::load(&source, &realm, allow, &count).map_err(|e| e.to_string());
                if let Ok(mut s) = slot.lock() {
                    *s = Some(loaded);
                }
            });
        if let Err(e) = spawned {
            error!("cannot start loading: {e}");
        }
        app.insert_resource(ReviewDesk {
            log,
            progress,
            timeline: None,
            shown: None,
            trail_minutes: 30,
            trail_open: true,
            source: format!("{}（{}）", self.source.describe(), self.realm),
        })
        .add_systems(Update, follow_timeline)
        .add_systems(Startup, move |mut p: ResMut<Picture>| {
            // A drill's log stays marked as a drill in review.
            let source = p.source.clone();
            *p = Picture::new(&realm_name, drill, &source);
        });
    }
}

/// Moves the picture to where the timeline stands.
fn follow_timeline(
    mut desk: ResMut<ReviewDesk>,
    mut picture: ResMut<Picture>,
    mut clock: ResMut<crate::picture::Clock>,
    time: Res<Time>,
) {
    let desk = &mut *desk;
    let Ok(guard) = desk.log.lock() else { return };
    let Some(Ok(log)) = guard.as_ref() else {
        return;
    };
    let timeline = desk.timeline.get_or_insert_with(|| {
        let (a, b) = log.span();
        let mut t = Timeline::new(a, b);
        t.cursor = b;
        t
    });
    timeline.advance(time.delta());
    // Countdowns and ages read as they did at that moment.
    clock.0 = timeline.cursor;
    let seq = log.seq_at(timeline.cursor);
    if desk.shown != Some(seq) {
        desk.shown = Some(seq);
        picture.reset(seq, log.state_at(seq));
        if picture.selected.is_none() {
            picture.selected =
                default_incident(&picture.state).map(crate::picture::Selection::Incident);
        }
        picture.feed.clear();
        let from = seq.saturating_sub(60).max(1);
        for s in from..=seq {
            if let Some(d) = log.decision(s) {
                for e in &d.events {
                    picture.feed.push_back((s, e.clone()));
                }
            }
        }
        let window = i64::from(desk.trail_minutes) * domain::time::MINUTE;
        picture.trails = if window > 0 {
            log.trails(timeline.cursor.plus(-window), timeline.cursor)
        } else {
            BTreeMap::new()
        };
    }
}

/// The review header, timeline and decision trail; returns the cursor time.
pub fn panels(ctx: &egui::Context, root: &mut egui::Ui, desk: &mut ReviewDesk, picture: &Picture) {
    let guard = desk.log.lock().ok();
    let loaded = guard.as_ref().and_then(|g| g.as_ref());
    egui::Panel::bottom("review-timeline").show(root, |ui| match loaded {
        None => {
            ui.label(format!(
                "正在校验并载入日志… 已读 {} 条",
                desk.progress.load(Ordering::Relaxed)
            ));
            ui.add(egui::Spinner::new());
        }
        Some(Err(e)) => {
            ui.label(RichText::new(e).color(theme::ALARM).strong());
        }
        Some(Ok(log)) => {
            banner(ui, log, &desk.source);
            if let Some(t) = desk.timeline.as_mut() {
                let jump = t.show(ui, &log.marks);
                let seq = desk.shown.unwrap_or(0);
                let target = match jump {
                    Jump::NextDecision => log.decision(seq + 1).map(|d| d.at),
                    Jump::PreviousDecision => seq
                        .checked_sub(1)
                        .and_then(|s| log.decision(s))
                        .map(|d| d.at),
                    _ => None,
                };
                if let Some(at) = target {
                    t.cursor = at;
                }
            }
            ui.horizontal(|ui| {
                ui.add(egui::Slider::new(&mut desk.trail_minutes, 0..=240).text("轨迹（分钟）"));
                ui.checkbox(&mut desk.trail_open, "决策链");
                ui.label(
                    RichText::new(format!(
                        "第 {} / {} 条决策",
                        desk.shown.unwrap_or(0),
                        log.len()
                    ))
                    .color(theme::MUTED),
                );
            });
        }
    });
    if desk.trail_open
        && let Some(Ok(log)) = loaded
    {
        decision_trail(ctx, log, picture);
    }
}

fn banner(ui: &mut egui::Ui, log: &ReviewLog, source: &str) {
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(" 复盘 REVIEW ")
                .strong()
                .background_color(Color32::from_rgb(0x5c, 0x6b, 0xc0))
                .color(Color32::WHITE),
        );
        match &log.verification {
            Verification::Verified => {
                ui.label(RichText::new("日志已校验（哈希链与签名）").color(theme::OK));
            }
            Verification::Unverified { seq, reason } => {
                ui.label(
                    RichText::new(format!(
                        " 未验证 UNVERIFIED：{}{} ",
                        seq.map(|s| format!("第 {s} 条记录起损坏；"))
                            .unwrap_or_default(),
                        reason
                    ))
                    .strong()
                    .background_color(theme::ALARM)
                    .color(Color32::WHITE),
                );
            }
        }
        ui.label(RichText::new(source).color(theme::MUTED));
    });
}

/// For the selected incident: each order with what was recommended and
/// chosen, by whom, with the note and its times; each report against its
/// deadline.
fn decision_trail(ctx: &egui::Context, log: &ReviewLog, picture: &Picture) {
    let Some(crate::picture::Selection::Incident(id)) = &picture.selected else {
        return;
    };
    let state = &picture.state;
    let Some(inc) = state.incidents.get(id) else {
        return;
    };
    egui::Window::new(format!("决策链 · {}", inc.title))
        .id(egui::Id::new("decision-trail"))
        .default_pos([420.0, 120.0])
        .default_size([560.0, 420.0])
        .show(ctx, |ui| {
            if ui.button("导出复盘材料（HTML + CSV）").clicked() {
                let dir = PathBuf::from(format!("after-action-{id}"));
                let moments = [picture.last_seq, log.len()];
                let written = crate::aar::package(log, id, &moments, picture.drill)
                    .ok_or_else(|| "no such incident".to_owned())
                    .and_then(|p| crate::aar::write(&p, &dir).map_err(|e| e.to_string()));
                match written {
                    Ok(()) => info!("after-action package written to {}", dir.display()),
                    Err(e) => error!("cannot write the after-action package: {e}"),
                }
            }
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.label(RichText::new("调度指令").strong());
                for oid in &inc.orders {
                    let Some(o) = state.orders.get(oid) else {
                        continue;
                    };
                    let team = state
                        .teams
                        .get(&o.team)
                        .map_or(o.team.to_string(), |t| t.name.clone());
                    ui.label(
                        RichText::new(format!(
                            "{} {} 派遣 {}：{}",
                            o.issued_at.cst_hm(),
                            o.issued_by,
                            team,
                            o.note
                        ))
                        .strong(),
                    );
                    let shown: Vec<String> = o
                        .recommendation_shown
                        .iter()
                        .take(5)
                        .map(|c| {
                            let name = state
                                .teams
                                .get(&c.team)
                                .map_or(c.team.to_string(), |t| t.name.clone());
                            let chosen = if c.team == o.team { "（选中）" } else { "" };
                            format!("{}. {name}{chosen}", c.rank)
                        })
                        .collect();
                    ui.label(
                        RichText::new(format!("当时推荐：{}", shown.join("；")))
                            .color(theme::MUTED),
                    );
                    let steps: Vec<String> = o
                        .history
                        .iter()
                        .map(|h| {
                            format!(
                                "{} {}（+{}）",
                                h.at.cst_hm(),
                                h.to.term(),
                                domain::time::human_duration(h.at.since(o.issued_at))
                            )
                        })
                        .collect();
                    ui.label(steps.join(" → "));
                    ui.separator();
                }
                ui.label(RichText::new("信息报送").strong());
                let rules = state.rules.reporting.for_jurisdiction(&inc.jurisdiction);
                let at = log
                    .decision(picture.last_seq)
                    .map_or(state.last_event_at, |d| d.at);
                for o in domain::reporting_obligations(inc, rules, at) {
                    let text = match o.status {
                        ObligationStatus::Done { filed_at, late_by } if late_by > 0 => format!(
                            "{}·{} 截止 {}，{} 报送（迟报 {}）",
                            crate::i18n::report_kind(o.kind),
                            o.to.term(),
                            o.due_at.cst_hm(),
                            filed_at.cst_hm(),
                            domain::time::human_duration(late_by)
                        ),
                        ObligationStatus::Done { filed_at, .. } => format!(
                            "{}·{} 截止 {}，{} 按时报送",
                            crate::i18n::report_kind(o.kind),
                            o.to.term(),
                            o.due_at.cst_hm(),
                            filed_at.cst_hm()
                        ),
                        ObligationStatus::Pending { .. } => format!(
                            "{}·{} 截止 {}，当时尚未报送",
                            o.kind.zh(),
                            o.to.term(),
                            o.due_at.cst_hm()
                        ),
                        ObligationStatus::Overdue { by } => format!(
                            "{}·{} 截止 {}，当时已超时 {}",
                            o.kind.zh(),
                            o.to.term(),
                            o.due_at.cst_hm(),
                            domain::time::human_duration(by)
                        ),
                    };
                    ui.label(text);
                }
            });
        });
}

/// The incident review opens on (the most severe at the cursor), if none is selected.
pub fn default_incident(state: &State) -> Option<IncidentId> {
    state
        .incidents
        .values()
        .max_by_key(|i| (i.grade, i.reported_at))
        .map(|i| i.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::demo_decisions;

    const NOW: Timestamp = Timestamp(1_795_451_400_000);

    /// A relay data directory with the demo night in its live log.
    fn relay_log(name: &str) -> PathBuf {
        relay_log_with_states(name).0
    }

    /// The same, with the state a live console held after each seq
    /// (postcard bytes, index = seq).
    fn relay_log_with_states(name: &str) -> (PathBuf, Vec<Vec<u8>>) {
        let (night, _) = demo_decisions(NOW);
        let steps = night
            .into_iter()
            .map(|d| (d.actor.user.0.clone(), d.actor.role, d.command))
            .collect();
        let (data, states, _) = relay_log_of(name, steps);
        (data, states)
    }

    /// A relay data directory whose live log holds what a real relay
    /// decided for `steps` (user, role, command; refused ones leave no
    /// record), with the state a live console subscribed from the start
    /// held after each seq (postcard bytes, index = seq), and what became
    /// of each step (the seq it was recorded at, or `None` if refused).
    fn relay_log_of(
        name: &str,
        steps: Vec<(String, domain::Role, domain::Command)>,
    ) -> (PathBuf, Vec<Vec<u8>>, Vec<Option<u64>>) {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let data = std::env::temp_dir().join(format!("ecc-review-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).expect("dir");
        let mut users = relay::users::Users::default();
        let mut tokens = BTreeMap::new();
        for (u, role, _) in &steps {
            if !tokens.contains_key(u) {
                tokens.insert(u.clone(), users.add(u, *role).expect("user"));
            }
        }
        users
            .add("screen", domain::Role::Observer)
            .map(|t| tokens.insert("screen".into(), t))
            .expect("observer");
        users.save(&data).expect("save");
        let (states, outcomes) = rt.block_on(async {
            let relay = relay::Server::start(relay::Config {
                listen: "127.0.0.1:0".parse().expect("addr"),
                data: data.clone(),
                ..relay::Config::default()
            })
            .await
            .expect("relay");
            let cfg_of = |user: &str| client::ClientConfig {
                addr: relay.local_addr,
                trust: client::Trust::Pinned(relay.fingerprint.clone()),
                user: user.into(),
                token: tokens[user].clone(),
                device: "t".into(),
                client: "t".into(),
            };
            // A live console follows from the start and records its state
            // after every decision.
            let mut screen = client::Session::connect(&cfg_of("screen"))
                .await
                .expect("screen");
            screen
                .subscribe(&protocol::RealmId::live(), 0)
                .await
                .expect("subscribe");
            let mut sessions: BTreeMap<String, client::Session> = BTreeMap::new();
            let (mut last, mut outcomes) = (0, Vec::new());
            for (user, _, command) in steps {
                if !sessions.contains_key(&user) {
                    let s = client::Session::connect(&cfg_of(&user))
                        .await
                        .expect("connect");
                    sessions.insert(user.clone(), s);
                }
                let outcome = sessions[&user]
                    .command(&protocol::RealmId::live(), command)
                    .await;
                if let Ok(protocol::CommandOutcome::Accepted { seq }) = outcome {
                    last = seq;
                    outcomes.push(Some(seq));
                } else {
                    outcomes.push(None);
                }
            }
            for (_, s) in sessions {
                s.close().await;
            }
            let mut mirror = client::Mirror::new(protocol::RealmId::live());
            let mut states = vec![postcard::to_stdvec(&State::default()).expect("encode")];
            while mirror.last_seq < last {
                let msg =
                    tokio::time::timeout(std::time::Duration::from_secs(20), screen.next_message())
                        .await
                        .expect("in time")
                        .expect("open");
                if let client::MirrorUpdate::Applied(seq) = mirror.accept(&msg) {
                    assert_eq!(seq as usize, states.len(), "one decision at a time");
                    states.push(postcard::to_stdvec(&mirror.state).expect("encode"));
                }
            }
            relay.shutdown().await;
            (states, outcomes)
        });
        (data, states, outcomes)
    }

    #[test]
    fn review_at_any_seq_is_the_state_a_live_console_had_at_that_seq() {
        let (data, live) = relay_log_with_states("live-equal");
        let count = AtomicU64::new(0);
        let log = ReviewLog::open(&data, "live", false, &count).expect("opens");
        assert_eq!(log.len() as usize + 1, live.len());
        assert_eq!(
            count.load(Ordering::Relaxed),
            log.len(),
            "progress counted every record"
        );
        // Forwards, then backwards: byte for byte what the console held.
        let seqs = (0..=log.len()).chain((0..=log.len()).rev());
        for seq in seqs {
            assert_eq!(
                postcard::to_stdvec(&log.state_at(seq)).expect("encode"),
                live[seq as usize],
                "seq {seq}"
            );
        }
        let _ = std::fs::remove_dir_all(&data);
    }

    #[test]
    fn a_tampered_log_is_refused_and_opens_only_marked_unverified() {
        let data = relay_log("tamper");
        let count = AtomicU64::new(0);
        let good = ReviewLog::open(&data, "live", false, &count).expect("a good log opens");
        assert_eq!(good.verification, Verification::Verified);
        assert!(good.len() > 30);
        // Flip one byte in the middle of the first segment.
        let realm = data.join("realms/live");
        let seg = std::fs::read_dir(&realm)
            .expect("realm")
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("seg-"))
            })
            .expect("a segment");
        let mut bytes = std::fs::read(&seg).expect("read");
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x5a;
        std::fs::write(&seg, bytes).expect("write");
        match ReviewLog::open(&data, "live", false, &count) {
            Err(OpenError::Refused(why)) => assert!(!why.is_empty()),
            Err(e) => panic!("refused for the wrong reason: {e}"),
            Ok(_) => panic!("a tampered log opened for normal review"),
        }
        let marked = ReviewLog::open(&data, "live", true, &count).expect("opens when asked");
        let Verification::Unverified { seq: Some(bad), .. } = marked.verification else {
            panic!("no first bad record named: {:?}", marked.verification);
        };
        assert!(bad > 1 && bad <= good.len());
        assert_eq!(
            marked.len(),
            bad - 1,
            "shown up to the record before the bad one"
        );
        let _ = std::fs::remove_dir_all(&data);
    }

    #[test]
    fn seeking_anywhere_equals_folding_from_the_start() {
        let (night, _) = demo_decisions(NOW);
        let log = ReviewLog::from_decisions(Verification::Verified, night.clone());
        // Forwards, backwards and at random: the same bytes as a fold.
        let mut seqs: Vec<u64> = (0..=log.len()).collect();
        seqs.extend((0..=log.len()).rev());
        seqs.extend([17, 3, 40, 0, log.len(), 22]);
        for seq in seqs {
            let mut folded = State::default();
            for d in &night[..seq as usize] {
                folded.apply_decision(d);
            }
            assert_eq!(
                postcard::to_stdvec(&log.state_at(seq)).expect("encode"),
                postcard::to_stdvec(&folded).expect("encode"),
                "seq {seq}"
            );
        }
        assert!(!log.marks.is_empty());
        let (a, b) = log.span();
        assert_eq!(log.seq_at(b), log.len());
        assert_eq!(log.seq_at(a.plus(-1)), 0);
    }

    /// One step of a random duty night. Indices pick among a few ids
    /// (INC-P0..2, ORD-P0..3, RES-P0..2, CALL-P0..1) and the demo's teams,
    /// so steps often meet what earlier steps made — and often do not,
    /// which the relay must refuse without a trace. Order and supply
    /// steps are mostly "the next one in the usual course" from where the
    /// order or reservation stands as the night is written (told by the
    /// domain's own `decide` on a model of the night), so that lifecycles
    /// run to the end often enough; the rest are any step.
    #[derive(Clone)]
    enum Op {
        /// Open INC-P`n` like the demo's incident `like`, moved by
        /// `north_m`/`east_m`, reported `ago_min` minutes back.
        Open {
            n: u8,
            like: u8,
            north_m: i16,
            east_m: i16,
            ago_min: u8,
            deaths: u8,
            injured: u8,
        },
        Order {
            n: u8,
            incident: u8,
            team: u8,
        },
        /// `step` < 9 is that step (see `STEPS`); above, the next usual one.
        Advance {
            order: u8,
            step: u8,
        },
        Fix {
            team: u8,
            north_m: i16,
            back_s: u16,
        },
        /// New totals; the grade is re-evaluated from them.
        Casualties {
            incident: u8,
            deaths: u8,
            injured: u8,
            loss_wan: u16,
        },
        Report {
            incident: u8,
            kind: u8,
            written: bool,
            level: u8,
        },
        Level {
            incident: u8,
            level: u8,
        },
        Warning {
            incident: u8,
            colour: u8,
        },
        Reserve {
            n: u8,
            incident: u8,
            depot: bool,
            item: bool,
            qty: u16,
        },
        /// `step`: dispatch, deliver, settle, cancel; above 3, the next usual one.
        Supplies {
            n: u8,
            step: u8,
            returned: u8,
        },
        Support {
            team: u8,
            need: bool,
        },
        Call {
            n: u8,
            step: u8,
            team: u8,
        },
        Close {
            incident: u8,
        },
        Service {
            team: u8,
            out: bool,
        },
    }

    const STEPS: [&str; 9] = [
        "delivered",
        "acknowledged",
        "refused",
        "en route",
        "on scene",
        "released",
        "returning",
        "available",
        "cancelled",
    ];

    /// One line per step, so that a shrunk failure reads as a script.
    impl std::fmt::Debug for Op {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let step = |s: &u8| STEPS.get(usize::from(*s)).unwrap_or(&"next usual step");
            match self {
                Op::Open {
                    n,
                    like,
                    north_m,
                    east_m,
                    ago_min,
                    deaths,
                    injured,
                } => write!(
                    f,
                    "open INC-P{n} like demo incident #{like}, {north_m} m N {east_m} m E, \
                     reported {ago_min} min ago, {deaths} dead {injured} injured"
                ),
                Op::Order { n, incident, team } => {
                    write!(f, "order ORD-P{n}: team #{team} to INC-P{incident}")
                }
                Op::Advance { order, step: s } => write!(f, "ORD-P{order} {}", step(s)),
                Op::Fix {
                    team,
                    north_m,
                    back_s,
                } => write!(f, "fix team #{team} {north_m} m N of home, {back_s} s old"),
                Op::Casualties {
                    incident,
                    deaths,
                    injured,
                    loss_wan,
                } => write!(
                    f,
                    "INC-P{incident} now {deaths} dead {injured} injured, loss {loss_wan}万"
                ),
                Op::Report {
                    incident,
                    kind,
                    written,
                    level,
                } => write!(
                    f,
                    "file report kind #{kind} ({}) for INC-P{incident} to level #{level}",
                    if *written { "written" } else { "phone" }
                ),
                Op::Level { incident, level } => {
                    write!(f, "response level #{level} (0 lifts) for INC-P{incident}")
                }
                Op::Warning { incident, colour } => {
                    write!(f, "warning colour #{colour} (0 lifts) for INC-P{incident}")
                }
                Op::Reserve {
                    n,
                    incident,
                    depot,
                    item,
                    qty,
                } => write!(
                    f,
                    "reserve RES-P{n}: {qty} {} from {} for INC-P{incident}",
                    if *item { "hazmat-suit" } else { "sandbag" },
                    if *depot { "CC-CK" } else { "DH-CK" }
                ),
                Op::Supplies {
                    n,
                    step: s,
                    returned,
                } => match s {
                    0 => write!(f, "RES-P{n} dispatched"),
                    1 => write!(f, "RES-P{n} delivered"),
                    2 => write!(f, "RES-P{n} settled, {returned} sandbags back"),
                    3 => write!(f, "RES-P{n} cancelled"),
                    _ => write!(
                        f,
                        "RES-P{n} next usual step ({returned} sandbags back if settled)"
                    ),
                },
                Op::Support { team, need } => {
                    let what = if *need {
                        "asks for support"
                    } else {
                        "support met"
                    };
                    write!(f, "team #{team} {what}")
                }
                Op::Call { n, step: s, team } => match s % 3 {
                    0 => write!(f, "call CALL-P{n} to teams #{team} and #{}", team / 2),
                    1 => write!(f, "team #{team} answers CALL-P{n}"),
                    _ => write!(f, "close CALL-P{n}"),
                },
                Op::Close { incident } => write!(f, "close INC-P{incident}"),
                Op::Service { team, out } => write!(
                    f,
                    "team #{team} {}",
                    if *out {
                        "out of service"
                    } else {
                        "back in service"
                    }
                ),
            }
        }
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            4 => (0u8..3, any::<u8>(), -400i16..400, -400i16..400, 0u8..90, 0u8..40, 0u8..120)
                .prop_map(|(n, like, north_m, east_m, ago_min, deaths, injured)| Op::Open {
                    n,
                    like,
                    north_m,
                    east_m,
                    ago_min,
                    deaths,
                    injured
                }),
            4 => (0u8..4, 0u8..3, any::<u8>()).prop_map(|(n, incident, team)| Op::Order {
                n,
                incident,
                team
            }),
            12 => (0u8..4, 0u8..40).prop_map(|(order, step)| Op::Advance { order, step }),
            2 => (any::<u8>(), any::<i16>(), 0u16..3600).prop_map(|(team, north_m, back_s)| {
                Op::Fix {
                    team,
                    north_m,
                    back_s,
                }
            }),
            2 => (0u8..3, 0u8..40, 0u8..120, 0u16..20_000).prop_map(
                |(incident, deaths, injured, loss_wan)| Op::Casualties {
                    incident,
                    deaths,
                    injured,
                    loss_wan
                }
            ),
            2 => (0u8..3, 0u8..5, any::<bool>(), 0u8..3).prop_map(
                |(incident, kind, written, level)| Op::Report {
                    incident,
                    kind,
                    written,
                    level
                }
            ),
            1 => (0u8..3, 0u8..5).prop_map(|(incident, level)| Op::Level { incident, level }),
            1 => (0u8..3, 0u8..5).prop_map(|(incident, colour)| Op::Warning { incident, colour }),
            2 => (0u8..3, 0u8..3, any::<bool>(), any::<bool>(), 1u16..400).prop_map(
                |(n, incident, depot, item, qty)| Op::Reserve {
                    n,
                    incident,
                    depot,
                    item,
                    qty
                }
            ),
            3 => (0u8..3, 0u8..12, 0u8..50).prop_map(|(n, step, returned)| Op::Supplies {
                n,
                step,
                returned
            }),
            1 => (any::<u8>(), any::<bool>()).prop_map(|(team, need)| Op::Support { team, need }),
            1 => (0u8..2, 0u8..3, any::<u8>()).prop_map(|(n, step, team)| Op::Call {
                n,
                step,
                team
            }),
            1 => (0u8..3).prop_map(|incident| Op::Close { incident }),
            1 => (any::<u8>(), any::<bool>()).prop_map(|(team, out)| Op::Service { team, out }),
        ]
    }

    /// The demo's world (rules, teams, depots, sites, roster) and then the
    /// random steps as the officer, the leader and the field gateway would
    /// send them; many are refused (unknown ids, illegal transitions,
    /// stale fixes, short stock, positions outside the jurisdiction), which
    /// must leave no trace.
    fn night_of(ops: &[Op]) -> Vec<(String, domain::Role, domain::Command)> {
        use domain::deadline::{AdminLevel, ReportChannel};
        use domain::{
            CallId, Command, DepotId, ItemId, OrderId, OrderStep, ReportKind, ReservationId,
            ResponseLevel, Role, WarningColour,
        };
        let (night, _) = demo_decisions(NOW);
        let templates: Vec<domain::command::IncidentIntake> = night
            .iter()
            .filter_map(|d| match &d.command {
                Command::OpenIncident(i) => Some((**i).clone()),
                _ => None,
            })
            .collect();
        assert!(!templates.is_empty(), "the demo opens incidents");
        let mut steps: Vec<(String, Role, Command)> = night
            .into_iter()
            .filter(|d| {
                matches!(
                    d.command,
                    Command::SetRules(_)
                        | Command::SetRoster(_)
                        | Command::RegisterTeam(_)
                        | Command::RegisterDepot(_)
                        | Command::RegisterHazard(_)
                        | Command::RegisterShelter(_)
                )
            })
            .map(|d| (d.actor.user.0.clone(), d.actor.role, d.command))
            .collect();
        let teams: Vec<domain::Team> = steps
            .iter()
            .filter_map(|(_, _, c)| match c {
                Command::RegisterTeam(t) => Some((**t).clone()),
                _ => None,
            })
            .collect();
        let team = |i: u8| teams[usize::from(i) % teams.len()].clone();
        let officer = || ("王丽".to_owned(), Role::DutyOfficer);
        let leader = || ("张建国".to_owned(), Role::Commander);
        let gateway = || ("bridge".to_owned(), Role::FieldGateway);
        let incident = |i: &u8| IncidentId::new(format!("INC-P{i}"));
        let reservation = |i: &u8| ReservationId::new(format!("RES-P{i}"));
        let call = |i: &u8| CallId::new(format!("CALL-P{i}"));
        // Intakes and fixes are stamped in the recent past of the relay's
        // clock, which decides with the wall clock.
        let wall = Timestamp(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_millis() as i64,
        );
        // What the night looks like so far, to say what "the next usual
        // step" of an order or reservation is.
        let mut model = State::default();
        let apply = |model: &mut State, (user, role, cmd): &(String, Role, Command)| {
            let ctx = domain::Context {
                now: wall,
                actor: domain::Actor::new(user, *role, "t"),
                realm: domain::RealmKind::Live,
            };
            if let Ok(events) = domain::decide(model, cmd, &ctx) {
                for e in &events {
                    model.apply(e);
                }
            }
        };
        for step in &steps {
            apply(&mut model, step);
        }
        for op in ops {
            let ((user, role), cmd) = match op {
                Op::Open {
                    n,
                    like,
                    north_m,
                    east_m,
                    ago_min,
                    deaths,
                    injured,
                } => {
                    let mut i = templates[usize::from(*like) % templates.len()].clone();
                    i.id = incident(n);
                    i.title = format!("{}（随机{n}）", i.title);
                    let p = i.position;
                    i.position = GeoPoint::new(
                        p.lat + f64::from(*north_m) / 111_000.0,
                        p.lon + f64::from(*east_m) / (111_000.0 * p.lat.to_radians().cos()),
                    );
                    i.reported_at = wall.plus(-i64::from(*ago_min) * domain::time::MINUTE);
                    i.occurred_at = i.reported_at.plus(-5 * domain::time::MINUTE);
                    i.casualties = domain::Casualties {
                        deaths: u32::from(*deaths),
                        serious_injuries: u32::from(*injured),
                        missing: 0,
                    };
                    (officer(), Command::OpenIncident(Box::new(i)))
                }
                Op::Order {
                    n,
                    incident: i,
                    team: t,
                } => (
                    officer(),
                    Command::IssueOrder {
                        order: OrderId::new(format!("ORD-P{n}")),
                        incident: incident(i),
                        team: team(*t).id,
                        note: String::new(),
                        recommendation_shown: vec![],
                    },
                ),
                Op::Advance { order, step } => {
                    let id = OrderId::new(format!("ORD-P{order}"));
                    let step = match step {
                        9.. => match model.orders.get(&id).map(|o| o.status) {
                            Some(domain::OrderStatus::Acknowledged) => 3,
                            Some(domain::OrderStatus::EnRoute) => 4,
                            Some(domain::OrderStatus::OnScene) => 5,
                            Some(domain::OrderStatus::Released) => 6,
                            Some(domain::OrderStatus::Returning) => 7,
                            _ => 1,
                        },
                        s => *s,
                    };
                    let step = match step {
                        0 => OrderStep::Delivered,
                        1 => OrderStep::Acknowledged,
                        2 => OrderStep::Refused {
                            reason: "车辆故障".into(),
                        },
                        3 => OrderStep::EnRoute,
                        4 => OrderStep::OnScene,
                        5 => OrderStep::Released,
                        6 => OrderStep::Returning,
                        7 => OrderStep::Available,
                        _ => OrderStep::Cancelled {
                            reason: "改派他队".into(),
                        },
                    };
                    let who = if matches!(step, OrderStep::Released | OrderStep::Cancelled { .. }) {
                        officer()
                    } else {
                        gateway()
                    };
                    (who, Command::AdvanceOrder { order: id, step })
                }
                Op::Fix {
                    team: t,
                    north_m,
                    back_s,
                } => {
                    let t = team(*t);
                    let p = t.home;
                    (
                        gateway(),
                        Command::ReportFix {
                            team: t.id,
                            fix: domain::Fix {
                                position: GeoPoint::new(
                                    p.lat + f64::from(*north_m) / 111_000.0,
                                    p.lon,
                                ),
                                accuracy_m: Some(5.0),
                                source: domain::FixSource::Nmea,
                                taken_at: wall.plus(-i64::from(*back_s) * 1000),
                            },
                        },
                    )
                }
                Op::Casualties {
                    incident: i,
                    deaths,
                    injured,
                    loss_wan,
                } => (
                    officer(),
                    Command::UpdateCasualties {
                        incident: incident(i),
                        casualties: domain::Casualties {
                            deaths: u32::from(*deaths),
                            serious_injuries: u32::from(*injured),
                            missing: 0,
                        },
                        direct_loss_yuan: u64::from(*loss_wan) * 10_000,
                    },
                ),
                Op::Report {
                    incident: i,
                    kind,
                    written,
                    level,
                } => (
                    officer(),
                    Command::FileReport {
                        incident: incident(i),
                        kind: match kind {
                            0 => ReportKind::First,
                            1 => ReportKind::FollowUp(1),
                            2 => ReportKind::FollowUp(2),
                            3 => ReportKind::Supplement,
                            _ => ReportKind::Final,
                        },
                        channel: if *written {
                            ReportChannel::Written
                        } else {
                            ReportChannel::Phone
                        },
                        to_level: match level {
                            0 => AdminLevel::County,
                            1 => AdminLevel::City,
                            _ => AdminLevel::Province,
                        },
                        summary: "现场情况续报".into(),
                    },
                ),
                Op::Level { incident: i, level } => {
                    let level = match level {
                        1 => Some(ResponseLevel::I),
                        2 => Some(ResponseLevel::II),
                        3 => Some(ResponseLevel::III),
                        4 => Some(ResponseLevel::IV),
                        _ => None,
                    };
                    (
                        leader(),
                        Command::SetResponseLevel {
                            incident: incident(i),
                            level,
                            detail: domain::ResponseDetail {
                                matters: "随机事件应急响应".into(),
                                expected_hours: Some(4),
                                measures: "疏散警戒".into(),
                            },
                        },
                    )
                }
                Op::Warning {
                    incident: i,
                    colour,
                } => (
                    officer(),
                    Command::SetWarning {
                        incident: incident(i),
                        colour: match colour {
                            1 => Some(WarningColour::Red),
                            2 => Some(WarningColour::Orange),
                            3 => Some(WarningColour::Yellow),
                            4 => Some(WarningColour::Blue),
                            _ => None,
                        },
                    },
                ),
                Op::Reserve {
                    n,
                    incident: i,
                    depot,
                    item,
                    qty,
                } => (
                    officer(),
                    Command::ReserveSupplies {
                        reservation: reservation(n),
                        incident: incident(i),
                        depot: DepotId::new(if *depot { "CC-CK" } else { "DH-CK" }),
                        lines: [(
                            ItemId::new(if *item { "hazmat-suit" } else { "sandbag" }),
                            u64::from(*qty),
                        )]
                        .into_iter()
                        .collect(),
                    },
                ),
                Op::Supplies { n, step, returned } => {
                    let step = match step {
                        4.. => match model.reservations.get(&reservation(n)).map(|r| r.status) {
                            Some(domain::ReservationStatus::Dispatched) => 1,
                            Some(domain::ReservationStatus::Delivered) => 2,
                            _ => 0,
                        },
                        s => *s,
                    };
                    (
                        officer(),
                        match step {
                            0 => Command::DispatchSupplies {
                                reservation: reservation(n),
                            },
                            1 => Command::DeliverSupplies {
                                reservation: reservation(n),
                            },
                            2 => Command::SettleSupplies {
                                reservation: reservation(n),
                                returned: [(ItemId::new("sandbag"), u64::from(*returned))]
                                    .into_iter()
                                    .collect(),
                            },
                            _ => Command::CancelReservation {
                                reservation: reservation(n),
                                reason: "现场已不需要".into(),
                            },
                        },
                    )
                }
                Op::Support { team: t, need } => (
                    gateway(),
                    Command::RequestSupport {
                        team: team(*t).id,
                        what: need.then(|| "需要照明车".to_owned()),
                    },
                ),
                Op::Call { n, step, team: t } => match step % 3 {
                    0 => (
                        officer(),
                        Command::StartCall {
                            call: call(n),
                            kind: if n % 2 == 0 {
                                domain::CallKind::RollCall
                            } else {
                                domain::CallKind::Broadcast
                            },
                            message: "各队报告在位情况".into(),
                            addressed_as: "随机".into(),
                            teams: vec![team(*t).id, team(t / 2).id],
                        },
                    ),
                    1 => (
                        gateway(),
                        Command::AnswerCall {
                            call: call(n),
                            team: team(*t).id,
                        },
                    ),
                    _ => (officer(), Command::CloseCall { call: call(n) }),
                },
                Op::Close { incident: i } => (
                    officer(),
                    Command::CloseIncident {
                        incident: incident(i),
                        summary: "处置完毕".into(),
                    },
                ),
                Op::Service { team: t, out } => (
                    officer(),
                    Command::SetTeamService {
                        team: team(*t).id,
                        out_of_service: out.then(|| "车辆检修".to_owned()),
                    },
                ),
            };
            let step = (user, role, cmd);
            apply(&mut model, &step);
            steps.push(step);
        }
        steps
    }

    /// Runs `ops` through a real relay and checks that the log holds
    /// exactly the accepted commands, in order, and that review equals the
    /// live console at every seq, forwards and backwards. Returns how many
    /// steps were accepted; a failure reads as the script with what became
    /// of each step.
    fn review_equals_live(name: &str, ops: &[Op]) -> Result<usize, String> {
        let steps = night_of(ops);
        let setup = steps.len() - ops.len();
        let commands: Vec<domain::Command> = steps.iter().map(|(_, _, c)| c.clone()).collect();
        let (data, live, outcomes) = relay_log_of(name, steps);
        let count = AtomicU64::new(0);
        let log = ReviewLog::open(&data, "live", false, &count).expect("opens");
        let _ = std::fs::remove_dir_all(&data);
        let script = || {
            let lines: Vec<String> = ops
                .iter()
                .zip(&outcomes[setup..])
                .zip(&commands[setup..])
                .map(|((op, o), c)| {
                    // What a "next usual step" turned out to be.
                    let sent = match (op, c) {
                        (
                            Op::Advance { step, .. },
                            domain::Command::AdvanceOrder { step: s, .. },
                        ) if *step >= 9 => {
                            format!(" ({:?})", s.target())
                        }
                        (Op::Supplies { step, .. }, c) if *step >= 4 => format!(" ({})", c.name()),
                        _ => String::new(),
                    };
                    match o {
                        Some(seq) => format!("  {op:?}{sent} → seq {seq}"),
                        None => format!("  {op:?}{sent} → refused"),
                    }
                })
                .collect();
            format!(
                "after {setup} setup commands (seq 1–{}):\n{}",
                outcomes[..setup].iter().flatten().count(),
                lines.join("\n")
            )
        };
        let accepted: Vec<(u64, &domain::Command)> = outcomes
            .iter()
            .zip(&commands)
            .filter_map(|(o, c)| o.map(|seq| (seq, c)))
            .collect();
        let recorded: Vec<(u64, &domain::Command)> = (1..=log.len())
            .filter_map(|s| log.decision(s).map(|d| (s, &d.command)))
            .collect();
        if recorded != accepted {
            return Err(format!(
                "the log ({} records) is not the accepted commands ({}) in order: \
                 a refused one left a trace, or an accepted one none\n{}",
                recorded.len(),
                accepted.len(),
                script()
            ));
        }
        if log.len() as usize + 1 != live.len() {
            return Err(format!(
                "{} records, but the live console saw {} states\n{}",
                log.len(),
                live.len() - 1,
                script()
            ));
        }
        for seq in (0..=log.len()).chain((0..=log.len()).rev()) {
            if postcard::to_stdvec(&log.state_at(seq)).expect("encode") != live[seq as usize] {
                let what = log.decision(seq).map_or("the empty log".to_owned(), |d| {
                    format!(
                        "{} by {} ({})",
                        d.command.name(),
                        d.actor.user,
                        d.actor.role.zh()
                    )
                });
                return Err(format!(
                    "review differs from the live state at seq {seq}, after {what}\n{}",
                    script()
                ));
            }
        }
        Ok(accepted.len() - outcomes[..setup].iter().flatten().count())
    }

    proptest::proptest! {
        // Each case starts a real relay and sends every step over QUIC:
        // about 0.4 s a case of up to 60 steps in debug on two cores, and
        // each shrink step costs as much again (at most 200 of them). 16
        // cases (~7 s) vary the kinds and orders of steps enough for every
        // suite run without slowing it; PROPTEST_CASES=500 explores longer.
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: std::env::var("PROPTEST_CASES")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(16),
            max_shrink_iters: 200,
            ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn for_random_command_sequences_review_equals_the_live_state_at_every_seq(
            ops in proptest::collection::vec(op(), 1..60)
        ) {
            let case = CASE.fetch_add(1, Ordering::Relaxed);
            if let Err(why) = review_equals_live(&format!("prop-{case}"), &ops) {
                return Err(proptest::test_runner::TestCaseError::fail(why));
            }
        }
    }

    /// The generator is no mere noise: a script of every kind of step, in
    /// an order that makes sense, is accepted in full, and review equals
    /// live over it.
    #[test]
    fn every_kind_of_random_step_can_be_accepted() {
        let ops = [
            Op::Open {
                n: 0,
                like: 0,
                north_m: 50,
                east_m: -50,
                ago_min: 10,
                deaths: 0,
                injured: 1,
            },
            Op::Open {
                n: 1,
                like: 1,
                north_m: -30,
                east_m: 20,
                ago_min: 5,
                deaths: 3,
                injured: 0,
            },
            Op::Order {
                n: 0,
                incident: 0,
                team: 0,
            },
            Op::Order {
                n: 1,
                incident: 1,
                team: 1,
            },
            Op::Advance { order: 0, step: 0 },
            Op::Advance { order: 0, step: 1 },
            Op::Advance { order: 0, step: 3 },
            Op::Fix {
                team: 0,
                north_m: 300,
                back_s: 60,
            },
            Op::Advance { order: 0, step: 4 },
            Op::Advance { order: 1, step: 2 },
            Op::Casualties {
                incident: 0,
                deaths: 4,
                injured: 12,
                loss_wan: 50,
            },
            Op::Report {
                incident: 0,
                kind: 0,
                written: false,
                level: 0,
            },
            Op::Report {
                incident: 0,
                kind: 1,
                written: true,
                level: 1,
            },
            Op::Level {
                incident: 0,
                level: 3,
            },
            Op::Warning {
                incident: 1,
                colour: 4,
            },
            Op::Reserve {
                n: 0,
                incident: 0,
                depot: true,
                item: false,
                qty: 100,
            },
            Op::Supplies {
                n: 0,
                step: 0,
                returned: 0,
            },
            Op::Supplies {
                n: 0,
                step: 1,
                returned: 0,
            },
            Op::Supplies {
                n: 0,
                step: 2,
                returned: 20,
            },
            Op::Reserve {
                n: 1,
                incident: 1,
                depot: false,
                item: true,
                qty: 5,
            },
            Op::Supplies {
                n: 1,
                step: 3,
                returned: 0,
            },
            Op::Support {
                team: 0,
                need: true,
            },
            Op::Support {
                team: 0,
                need: false,
            },
            Op::Call {
                n: 0,
                step: 0,
                team: 2,
            },
            Op::Call {
                n: 0,
                step: 1,
                team: 2,
            },
            Op::Call {
                n: 0,
                step: 2,
                team: 2,
            },
            Op::Advance { order: 0, step: 5 },
            Op::Advance { order: 0, step: 6 },
            Op::Advance { order: 0, step: 7 },
            Op::Level {
                incident: 0,
                level: 0,
            },
            Op::Close { incident: 0 },
            Op::Report {
                incident: 0,
                kind: 4,
                written: true,
                level: 0,
            },
            Op::Service { team: 3, out: true },
            Op::Service {
                team: 3,
                out: false,
            },
        ];
        let accepted = review_equals_live("every-kind", &ops).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(accepted, ops.len(), "every step accepted: {ops:#?}");
    }

    static CASE: AtomicU64 = AtomicU64::new(0);

    /// The records of `data`'s live realm as the relay would page them,
    /// and a head signed with its ledger key (on a copy of the realm).
    fn pages_of(data: &Path) -> (Vec<protocol::LogRecord>, protocol::SignedHead) {
        let (identity, _) = relay::identity::Identity::load_or_create(data).expect("identity");
        let key = identity.ledger_key;
        let copy = data.join("realm-copy");
        let _ = std::fs::remove_dir_all(&copy);
        std::fs::create_dir_all(&copy).expect("copy");
        for f in std::fs::read_dir(data.join("realms/live"))
            .expect("realm")
            .flatten()
        {
            if f.path().is_file() && f.file_name() != "LOCK" {
                std::fs::copy(f.path(), copy.join(f.file_name())).expect("copy");
            }
        }
        let (mut ledger, _) =
            ledger::Ledger::open(&copy, key, ledger::LedgerOptions::default()).expect("ledger");
        let records = ledger
            .read_from(1)
            .expect("read")
            .map(|r| {
                let r = r.expect("record");
                protocol::LogRecord {
                    seq: r.seq,
                    time: r.time,
                    payload: r.payload,
                }
            })
            .collect();
        let h = ledger.signed_head(1).expect("signed");
        let head = protocol::SignedHead {
            seq: h.seq,
            time: h.time,
            hash: h.hash,
            public_key: h.public_key,
            signature: h.signature.to_vec(),
        };
        (records, head)
    }

    fn verdict_of(
        records: Vec<protocol::LogRecord>,
        head: protocol::SignedHead,
    ) -> (usize, Verification) {
        let mut chain = RemoteChain::default();
        chain.take(records);
        chain.head = Some(head);
        let (d, v) = chain.verdict();
        (d.len(), v)
    }

    #[test]
    fn a_log_read_over_the_network_is_checked_against_the_signed_head() {
        let data = relay_log("remote-chain");
        let (records, head) = pages_of(&data);
        let n = records.len();
        assert!(n > 30);
        assert_eq!(
            verdict_of(records.clone(), head.clone()),
            (n, Verification::Verified)
        );

        // One byte changed in a record's payload: the chain no longer
        // reaches the signed hash.
        let mut bad = records.clone();
        let last = bad[n / 2].payload.len() - 1;
        bad[n / 2].payload[last] ^= 1;
        let (_, v) = verdict_of(bad, head.clone());
        assert!(matches!(v, Verification::Unverified { .. }), "{v:?}");

        // A record left out is named.
        let mut gap = records.clone();
        gap.remove(10);
        let (kept, v) = verdict_of(gap, head.clone());
        assert_eq!(kept, 10);
        assert!(
            matches!(v, Verification::Unverified { seq: Some(11), .. }),
            "{v:?}"
        );

        // Records cut short of the head, and a forged signature.
        let (_, v) = verdict_of(records[..n - 1].to_vec(), head.clone());
        assert!(matches!(v, Verification::Unverified { .. }));
        let mut forged = head;
        forged.signature[0] ^= 1;
        let (_, v) = verdict_of(records, forged);
        assert!(matches!(v, Verification::Unverified { .. }), "{v:?}");
        let _ = std::fs::remove_dir_all(&data);
    }

    #[test]
    fn reviewing_from_a_running_relay_verifies_and_equals_the_live_states() {
        let (data, live) = relay_log_with_states("remote");
        let mut users = relay::users::Users::load(&data).expect("users");
        let token = users
            .add("reviewer", domain::Role::Observer)
            .expect("reviewer");
        users.save(&data).expect("save");
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let relay = rt
            .block_on(relay::Server::start(relay::Config {
                listen: "127.0.0.1:0".parse().expect("addr"),
                data: data.clone(),
                ..relay::Config::default()
            }))
            .expect("relay");
        let cfg = client::ClientConfig {
            addr: relay.local_addr,
            trust: client::Trust::Pinned(relay.fingerprint.clone()),
            user: "reviewer".into(),
            token,
            device: "laptop".into(),
            client: "review".into(),
        };
        let count = AtomicU64::new(0);
        let log = ReviewLog::fetch(&cfg, "live", false, &count).expect("fetched");
        assert_eq!(log.verification, Verification::Verified);
        assert_eq!(log.len() as usize + 1, live.len());
        assert_eq!(count.load(Ordering::Relaxed), log.len());
        for seq in (0..=log.len()).chain((0..=log.len()).rev()) {
            assert_eq!(
                postcard::to_stdvec(&log.state_at(seq)).expect("encode"),
                live[seq as usize],
                "seq {seq}"
            );
        }
        // An unknown realm is an error, not an empty log.
        assert!(ReviewLog::fetch(&cfg, "drill-nothing", false, &count).is_err());
        rt.block_on(relay.shutdown());
        let _ = std::fs::remove_dir_all(&data);
    }
}
