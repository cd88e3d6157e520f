//! Drills from the command line: `relay drill check FILE` validates a
//! scenario; `relay drill run FILE --players PLAYBOOK --out DIR` plays it
//! headless into a real drill-realm ledger in DIR (a relay data directory)
//! and writes the summary report beside it.
//!
//! A headless run steps simulated scenario time as fast as it can: `--speed`
//! is recorded in the log as the chosen rate but nobody waits for it, so the
//! log and the report depend only on the scenario, its seed and the playbook.

use crate::identity::Identity;
use crate::realm::{realm_dir, valid_name};
use anyhow::{Context, Result, bail};
use domain::Decision;
use ledger::{Ledger, LedgerOptions};
use protocol::RealmId;
use scenario::{Engine, Scenario, evaluate, load, load_playbook, run_headless, summary};
use std::path::{Path, PathBuf};

/// Reads and validates a scenario file (and its base world file).
pub fn load_scenario(file: &Path) -> Result<Scenario> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let read_base = |name: &str| std::fs::read_to_string(dir.join(name)).map_err(|e| e.to_string());
    load(&file.display().to_string(), &text, read_base).map_err(|e| anyhow::anyhow!("{e}"))
}

/// `relay drill check`: prints a one-line summary, or every error.
pub fn check(file: &Path) -> Result<()> {
    let sc = load_scenario(file)?;
    println!(
        "{}: ok — {}（{} · {}），{} 支队伍，{} 条注入，{} 项预期行动，时长 {}",
        file.display(),
        sc.meta.title,
        sc.meta.kind.zh(),
        sc.meta.scope.zh(),
        sc.teams.len(),
        sc.injects.len(),
        sc.expects.len(),
        domain::drill::offset_text(sc.meta.duration)
    );
    Ok(())
}

/// The drill realm a scenario file plays in: `drill-` and the file stem.
pub fn realm_of(file: &Path) -> Result<RealmId> {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = format!("drill-{stem}");
    if !valid_name(&name) {
        bail!("{name:?} is not a usable realm name (ASCII letters, digits, - and _ only)");
    }
    Ok(RealmId(name))
}

/// `relay drill run`: plays the scenario with the playbook into DIR.
pub fn run(file: &Path, players: Option<&Path>, speed: u32, out: &Path) -> Result<PathBuf> {
    if !(1..=100).contains(&speed) {
        bail!("--speed {speed}: must be 1 to 100");
    }
    let sc = load_scenario(file)?;
    let actions = match players {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            load_playbook(&p.display().to_string(), &text).map_err(|e| anyhow::anyhow!("{e}"))?
        }
        None => Vec::new(),
    };
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let (identity, _) = Identity::load_or_create(out)?;
    let realm = realm_of(file)?;
    let dir = realm_dir(out, &realm);
    if dir.exists() {
        bail!(
            "{} already holds a drill log; choose an empty --out",
            dir.display()
        );
    }
    std::fs::create_dir_all(&dir)?;
    // Marks the realm as an exercise for the relay and every export.
    std::fs::write(dir.join("kind"), "drill")?;
    let (mut ledger, _) = Ledger::open(&dir, identity.ledger_key, LedgerOptions::default())?;
    let outcome = run_headless(Engine::new(sc.clone()), &actions, speed, |batch| {
        append(&mut ledger, batch)
    })?;
    let end = sc.at(sc.meta.duration);
    ledger.checkpoint(end.0)?;
    // The report is made from what is on disk, as any later review would be.
    let mut decisions = Vec::new();
    for rec in ledger.read_from(1)? {
        let rec = rec?;
        decisions.push(postcard::from_bytes::<Decision>(&rec.payload)?);
    }
    let ev = write_report(&sc, &decisions, out)?;
    println!(
        "【演练】{}: {} decisions in realm {}, {} refused; report in {}",
        sc.meta.title,
        outcome.decisions,
        realm.0,
        outcome.refused.len(),
        out.display()
    );
    for r in &outcome.refused {
        println!(
            "  refused T+{} {} {}: {}",
            domain::drill::offset_text(r.at),
            r.user,
            r.command,
            r.reason
        );
    }
    for o in &ev.objectives {
        println!(
            "  {} {}: {}",
            o.id,
            o.title,
            o.rating.map_or("不适用", |r| r.zh())
        );
    }
    Ok(dir)
}

/// Evaluates the decisions and writes report.{json,md,html} into `out`.
fn write_report(sc: &Scenario, decisions: &[Decision], out: &Path) -> Result<scenario::Evaluation> {
    let ev = evaluate(sc, decisions);
    let report = summary(sc, &ev, decisions);
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("report.json"), report.to_json())?;
    std::fs::write(out.join("report.md"), report.to_markdown())?;
    std::fs::write(out.join("report.html"), report.to_html())?;
    Ok(ev)
}

/// `relay drill report`: the summary report of a drill realm in a data
/// directory (a live drill, or a headless run), from its verified log.
pub fn report(file: &Path, data: &Path, realm: &str, out: &Path) -> Result<()> {
    let sc = load_scenario(file)?;
    let dir = data.join("realms").join(realm);
    if !std::fs::read_to_string(dir.join("kind")).is_ok_and(|k| k.trim() == "drill") {
        bail!("{} is not a drill realm", dir.display());
    }
    let key = crate::identity::ledger_verifying_key(data)?;
    let reader = ledger::LedgerReader::open(&dir, &key, LedgerOptions::default())
        .map_err(|e| anyhow::anyhow!("the log does not verify, no report: {e}"))?;
    let mut decisions = Vec::new();
    for rec in reader.read_from(1)? {
        let rec = rec?;
        decisions.push(postcard::from_bytes::<Decision>(&rec.payload)?);
    }
    let ev = write_report(&sc, &decisions, out)?;
    println!(
        "【演练】{}: {} decisions; report in {}",
        sc.meta.title,
        decisions.len(),
        out.display()
    );
    for o in &ev.objectives {
        println!(
            "  {} {}: {}",
            o.id,
            o.title,
            o.rating.map_or("不适用", |r| r.zh())
        );
    }
    Ok(())
}

fn append(ledger: &mut Ledger, batch: &[Decision]) -> Result<()> {
    let payloads = batch
        .iter()
        .map(postcard::to_stdvec)
        .collect::<Result<Vec<_>, _>>()?;
    let entries: Vec<(i64, &[u8])> = batch
        .iter()
        .zip(&payloads)
        .map(|(d, p)| (d.at.0, p.as_slice()))
        .collect();
    ledger.append_batch(&entries)?;
    Ok(())
}

/// A scenario played live in a drill realm: the engine and the drill clock,
/// driven by the relay's clock on the realm's thread.
pub struct LiveDrill {
    /// The engine.
    pub engine: Engine,
    /// The clock (driver time: the relay's wall clock, ms).
    pub clock: scenario::DrillClock,
}

impl LiveDrill {
    /// Validates a scenario sent by a drill director; `base` is the text of
    /// the base world file it names, if any.
    pub fn load(file: &str, text: &str, base: Option<String>) -> Result<LiveDrill, String> {
        let sc = load(file, text, |name| {
            base.clone()
                .ok_or_else(|| format!("the base world file {name} was not sent"))
        })
        .map_err(|e| e.to_string())?;
        Ok(LiveDrill {
            engine: Engine::new(sc),
            clock: scenario::DrillClock::new(),
        })
    }

    /// Scenario title.
    pub fn title(&self) -> &str {
        &self.engine.scenario().meta.title
    }

    /// Whether scenario time is advancing.
    pub fn running(&self) -> bool {
        self.clock.state() == scenario::ClockState::Running
    }

    /// The drill realm's time at wall time `wall`.
    pub fn now(&self, wall: i64) -> domain::Timestamp {
        self.engine.scenario().at(self.clock.scenario_time(wall))
    }
}

/// The status a drill director sees.
pub fn status(d: Option<&LiveDrill>, wall: i64) -> protocol::DrillStatus {
    use protocol::DrillClockState as S;
    use scenario::ClockState as C;
    match d {
        None => protocol::DrillStatus {
            title: String::new(),
            clock: S::NoScenario,
            speed: 1,
            scenario_ms: 0,
            duration_ms: 0,
            error: None,
        },
        Some(d) => protocol::DrillStatus {
            title: d.title().to_owned(),
            clock: match d.clock.state() {
                C::Ready => S::Ready,
                C::Running => S::Running,
                C::Paused => S::Paused,
                C::Halted => S::Halted,
                C::Ended => S::Ended,
            },
            speed: d.clock.speed(),
            scenario_ms: d.clock.scenario_time(wall),
            duration_ms: d.engine.scenario().meta.duration,
            error: None,
        },
    }
}
