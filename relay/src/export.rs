//! ICS-214-style activity log of a realm: time, actor, role, action and
//! details for every decision, as CSV and JSON lines. Every record's CRC,
//! chain link and the signed checkpoints are checked while reading: an
//! export is evidence, so it is never made from a damaged log.

use anyhow::{Context, Result, bail};
use domain::{Decision, State, Timestamp, narrative};
use ledger::{LedgerOptions, LedgerReader};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// One line of the activity log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityRow {
    /// Seq of the decision in the realm's log.
    pub seq: u64,
    /// Time in China Standard Time, "YYYY-MM-DD HH:MM:SS".
    pub time: String,
    /// User.
    pub user: String,
    /// Role (Chinese).
    pub role: String,
    /// Console, radio or gateway.
    pub device: String,
    /// The command.
    pub action: String,
    /// What happened, one sentence per event.
    pub details: String,
}

/// The activity log of `realm` in a data directory, limited to decisions in
/// `[from, to]`. Reads without locking or changing anything, so it works
/// beside a running relay (it sees the log as it was when the export began).
pub fn activity_log(
    data: &Path,
    realm: &str,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
) -> Result<Vec<ActivityRow>> {
    let dir = data.join("realms").join(realm);
    if !dir.is_dir() {
        bail!("no realm {realm} in {}", data.display());
    }
    let key_path = data.join("ledger.key");
    let seed: [u8; 32] = std::fs::read(&key_path)
        .with_context(|| format!("cannot read {}", key_path.display()))?
        .try_into()
        .map_err(|_| anyhow::anyhow!("{} is not a 32-byte key", key_path.display()))?;
    let key = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    let ledger = LedgerReader::open(&dir, &key, LedgerOptions::default())
        .map_err(|e| anyhow::anyhow!("the log does not verify, nothing exported: {e}"))?;
    if let Some(t) = ledger.torn_tail() {
        tracing::info!(
            segment = %t.segment.display(),
            offset = t.offset,
            "a record being written was left out"
        );
    }
    // Drill realms are exercise material: every row says so.
    let drill = std::fs::read_to_string(dir.join("kind")).is_ok_and(|k| k.trim() == "drill");
    let mut state = State::default();
    let mut rows = Vec::new();
    for rec in ledger.read_from(1)? {
        let rec = rec?;
        let d: Decision = postcard::from_bytes(&rec.payload)
            .with_context(|| format!("record {} does not decode", rec.seq))?;
        let details: Vec<String> = d
            .events
            .iter()
            .map(|e| {
                let line = narrative::describe(e, &state);
                state.apply(e);
                if drill && !line.starts_with("【演练】") {
                    format!("【演练】{line}")
                } else {
                    line
                }
            })
            .collect();
        let inside = from.is_none_or(|f| d.at >= f) && to.is_none_or(|t| d.at <= t);
        if inside {
            rows.push(ActivityRow {
                seq: rec.seq,
                time: d.at.cst_string(),
                user: d.actor.user.0.clone(),
                role: d.actor.role.zh().to_owned(),
                device: d.actor.device.0.clone(),
                action: d.command.name().to_owned(),
                details: details.join("；"),
            });
        }
    }
    tracing::info!(
        realm,
        records = ledger.last_seq(),
        rows = rows.len(),
        "activity log exported"
    );
    Ok(rows)
}

/// A CSV field, quoted only when it has to be.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Writes the rows as CSV with a header (UTF-8 with BOM, so spreadsheet
/// programs show the Chinese text correctly).
pub fn write_csv(rows: &[ActivityRow], out: &mut impl Write) -> std::io::Result<()> {
    out.write_all("\u{feff}seq,time,user,role,device,action,details\n".as_bytes())?;
    for r in rows {
        let fields = [
            r.seq.to_string(),
            r.time.clone(),
            r.user.clone(),
            r.role.clone(),
            r.device.clone(),
            r.action.clone(),
            r.details.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    out.flush()
}

/// Writes the rows as JSON lines.
pub fn write_jsonl(rows: &[ActivityRow], out: &mut impl Write) -> std::io::Result<()> {
    for r in rows {
        let line = serde_json::to_string(r).map_err(std::io::Error::other)?;
        writeln!(out, "{line}")?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_what_needs_it() {
        assert_eq!(csv_field("向 队伍 下达指令"), "向 队伍 下达指令");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
