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
    /// held after each seq (postcard bytes, index = seq), and how many
    /// commands were accepted.
    fn relay_log_of(
        name: &str,
        steps: Vec<(String, domain::Role, domain::Command)>,
    ) -> (PathBuf, Vec<Vec<u8>>, usize) {
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
        let (states, accepted) = rt.block_on(async {
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
            let (mut last, mut accepted) = (0, 0);
            for (user, _, command) in steps {
                if !sessions.contains_key(&user) {
                    let s = client::Session::connect(&cfg_of(&user))
                        .await
                        .expect("connect");
                    sessions.insert(user.clone(), s);
                }
                if let Ok(protocol::CommandOutcome::Accepted { seq }) = sessions[&user]
                    .command(&protocol::RealmId::live(), command)
                    .await
                {
                    last = seq;
                    accepted += 1;
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
            (states, accepted)
        });
        (data, states, accepted)
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

    /// One step of a random duty night.
    #[derive(Debug, Clone)]
    enum Op {
        Open { n: u8, deaths: u8 },
        Order { n: u8, incident: u8, team: u8 },
        Advance { order: u8, step: u8 },
        Fix { team: u8, north_m: i16, back_s: u16 },
        Casualties { incident: u8, deaths: u8 },
        Close { incident: u8 },
        Service { team: u8, out: bool },
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            (0u8..6, 0u8..40).prop_map(|(n, deaths)| Op::Open { n, deaths }),
            (0u8..12, 0u8..6, any::<u8>()).prop_map(|(n, incident, team)| Op::Order {
                n,
                incident,
                team
            }),
            (0u8..12, 0u8..7).prop_map(|(order, step)| Op::Advance { order, step }),
            (any::<u8>(), any::<i16>(), 0u16..3600).prop_map(|(team, north_m, back_s)| {
                Op::Fix {
                    team,
                    north_m,
                    back_s,
                }
            }),
            (0u8..6, 0u8..40).prop_map(|(incident, deaths)| Op::Casualties { incident, deaths }),
            (0u8..6).prop_map(|incident| Op::Close { incident }),
            (any::<u8>(), any::<bool>()).prop_map(|(team, out)| Op::Service { team, out }),
        ]
    }

    /// The demo's world (rules, teams, depots, sites, roster) and then the
    /// random steps as the officer, the leader and the field gateway would
    /// send them; many are refused (unknown ids, illegal transitions,
    /// stale fixes), which must leave no trace.
    fn night_of(ops: &[Op]) -> Vec<(String, domain::Role, domain::Command)> {
        use domain::{Command, OrderStep, Role};
        let (night, _) = demo_decisions(NOW);
        let template = night
            .iter()
            .find_map(|d| match &d.command {
                Command::OpenIncident(i) => Some((**i).clone()),
                _ => None,
            })
            .expect("the demo opens incidents");
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
        let gateway = || ("bridge".to_owned(), Role::FieldGateway);
        // Fixes are stamped in the recent past of the relay's clock, which
        // decides with the wall clock.
        let wall = Timestamp(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_millis() as i64,
        );
        for op in ops {
            let ((user, role), cmd) = match op {
                Op::Open { n, deaths } => {
                    let mut i = template.clone();
                    i.id = IncidentId::new(format!("INC-P{n}"));
                    i.title = format!("随机事件{n}");
                    i.casualties.deaths = u32::from(*deaths);
                    (officer(), Command::OpenIncident(Box::new(i)))
                }
                Op::Order {
                    n,
                    incident,
                    team: t,
                } => (
                    officer(),
                    Command::IssueOrder {
                        order: domain::OrderId::new(format!("ORD-P{n}")),
                        incident: IncidentId::new(format!("INC-P{incident}")),
                        team: team(*t).id,
                        note: String::new(),
                        recommendation_shown: vec![],
                    },
                ),
                Op::Advance { order, step } => {
                    let step = match step {
                        0 => OrderStep::Delivered,
                        1 => OrderStep::Acknowledged,
                        2 => OrderStep::EnRoute,
                        3 => OrderStep::OnScene,
                        4 => OrderStep::Released,
                        5 => OrderStep::Returning,
                        _ => OrderStep::Available,
                    };
                    let who = if matches!(step, OrderStep::Released) {
                        officer()
                    } else {
                        gateway()
                    };
                    (
                        who,
                        Command::AdvanceOrder {
                            order: domain::OrderId::new(format!("ORD-P{order}")),
                            step,
                        },
                    )
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
                Op::Casualties { incident, deaths } => (
                    officer(),
                    Command::UpdateCasualties {
                        incident: IncidentId::new(format!("INC-P{incident}")),
                        casualties: domain::Casualties {
                            deaths: u32::from(*deaths),
                            ..Default::default()
                        },
                        direct_loss_yuan: 0,
                    },
                ),
                Op::Close { incident } => (
                    officer(),
                    Command::CloseIncident {
                        incident: IncidentId::new(format!("INC-P{incident}")),
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
            steps.push((user, role, cmd));
        }
        steps
    }

    proptest::proptest! {
        // Each case starts a real relay and sends every step over QUIC
        // (about a second each in debug on two cores); 12 cases of up to 60
        // steps cover the command kinds in many orders within the suite's
        // time.
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 12,
            ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn for_random_command_sequences_review_equals_the_live_state_at_every_seq(
            ops in proptest::collection::vec(op(), 1..60)
        ) {
            let case = CASE.fetch_add(1, Ordering::Relaxed);
            let (data, live, accepted) = relay_log_of(&format!("prop-{case}"), night_of(&ops));
            let count = AtomicU64::new(0);
            let log = ReviewLog::open(&data, "live", false, &count).expect("opens");
            proptest::prop_assert_eq!(log.len() as usize, accepted, "one record per accepted command");
            proptest::prop_assert_eq!(log.len() as usize + 1, live.len());
            for seq in (0..=log.len()).chain((0..=log.len()).rev()) {
                let review = postcard::to_stdvec(&log.state_at(seq)).expect("encode");
                proptest::prop_assert!(review == live[seq as usize], "state differs at seq {}", seq);
            }
            let _ = std::fs::remove_dir_all(&data);
        }
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
