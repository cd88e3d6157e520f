//! The after-action package (复盘材料) for one incident, from a reviewed
//! log: an ICS-214-style activity log, the order and acknowledgement table,
//! report timings against deadlines, interval metrics with percentiles, and
//! a map of the incident at chosen moments — as printable HTML (inline SVG,
//! no network) and CSV files.

use crate::review::{ReviewLog, Verification};
use domain::deadline::ObligationStatus;
use domain::metrics::{samples, summarize};
use domain::time::human_duration;
use domain::{Event, EventKind, GeoPoint, IncidentId, OrderStatus, State, Timestamp};
use std::fmt::Write as _;
use std::path::Path;

/// Whether an event concerns `incident` (directly or through its orders).
fn concerns(e: &Event, incident: &IncidentId, state: &State) -> bool {
    let order_of =
        |o: &domain::OrderId| state.orders.get(o).is_some_and(|o| o.incident == *incident);
    match &e.kind {
        EventKind::IncidentOpened(i) => i.id == *incident,
        EventKind::CasualtiesUpdated { incident: i, .. }
        | EventKind::GradeChanged { incident: i, .. }
        | EventKind::ResponseLevelSet { incident: i, .. }
        | EventKind::WarningSet { incident: i, .. }
        | EventKind::ReportFiled { incident: i, .. }
        | EventKind::IncidentClosed { incident: i, .. } => i == incident,
        EventKind::OrderIssued(o) => o.incident == *incident,
        EventKind::OrderAdvanced { order, .. } | EventKind::OrderEscalated { order, .. } => {
            order_of(order)
        }
        EventKind::SuppliesReserved(r) => r.incident == *incident,
        EventKind::SuppliesDispatched { reservation }
        | EventKind::SuppliesDelivered { reservation }
        | EventKind::SuppliesSettled { reservation, .. }
        | EventKind::ReservationCancelled { reservation, .. } => state
            .reservations
            .get(reservation)
            .is_some_and(|r| r.incident == *incident),
        _ => false,
    }
}

/// One line of the activity log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// Seq of the decision.
    pub seq: u64,
    /// When.
    pub at: Timestamp,
    /// Who (name and role).
    pub who: String,
    /// What, in words.
    pub what: String,
}

/// The package's parts.
pub struct Package {
    /// Printable HTML.
    pub html: String,
    /// CSV files: name → text.
    pub csv: Vec<(String, String)>,
    /// The activity log.
    pub activity: Vec<Activity>,
}

use relay::export::csv_field;
use scenario::report::esc;

/// One table of the package, written to the HTML and (with its own
/// columns) to a CSV file at the same time.
struct Table {
    html: String,
    csv: String,
}

impl Table {
    fn new(title: &str, heads: &[&str], csv_heads: &[&str]) -> Table {
        let mut html = format!("<h2>{}</h2><table><tr>", esc(title));
        for h in heads {
            let _ = write!(html, "<th>{}</th>", esc(h));
        }
        html.push_str("</tr>");
        // With a BOM, as the relay's export: spreadsheets then read the Chinese right.
        let csv = format!("\u{feff}{}\n", csv_heads.join(","));
        Table { html, csv }
    }

    /// A row: HTML cells (the last one with `class`, if any), CSV cells.
    fn row(&mut self, cells: &[String], class: &str, csv: &[String]) {
        self.html.push_str("<tr>");
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() && !class.is_empty() {
                let _ = write!(self.html, "<td class=\"{class}\">{}</td>", esc(c));
            } else {
                let _ = write!(self.html, "<td>{}</td>", esc(c));
            }
        }
        self.html.push_str("</tr>");
        let line: Vec<String> = csv.iter().map(|c| csv_field(c)).collect();
        self.csv.push_str(&line.join(","));
        self.csv.push('\n');
    }

    /// Appends the table to `html`; returns the CSV text.
    fn finish(mut self, html: &mut String) -> String {
        self.html.push_str("</table>");
        html.push_str(&self.html);
        self.csv
    }
}

/// Builds the package for `incident`, with maps at `moments` (seqs).
pub fn package(
    log: &ReviewLog,
    incident: &IncidentId,
    moments: &[u64],
    drill: bool,
) -> Option<Package> {
    let last = log.len();
    let end = log.state_at(last);
    let inc = end.incidents.get(incident)?.clone();
    // The activity log: each decision touching the incident, in words as
    // the state before it names things.
    let mut activity = Vec::new();
    let mut state = State::default();
    for seq in 1..=last {
        let Some(d) = log.decision(seq) else { break };
        for e in &d.events {
            // Orders and reservations are never removed, so the final
            // state tells which incident each belongs to.
            if concerns(e, incident, &end) {
                activity.push(Activity {
                    seq,
                    at: e.at,
                    who: domain::narrative::actor(e),
                    what: domain::narrative::describe(e, &state),
                });
            }
        }
        state.apply_decision(d);
    }

    let mut html = String::new();
    let title = if drill {
        format!("【演练】{} 复盘材料", inc.title)
    } else {
        format!("{} 复盘材料", inc.title)
    };
    let _ = write!(
        html,
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>body{{font-family:'Noto Sans CJK SC','Noto Sans SC',sans-serif;max-width:1000px;margin:24px auto;color:#111}}\
         h1{{border-bottom:3px solid #b71c1c}}table{{border-collapse:collapse;width:100%;margin:8px 0 20px}}\
         td,th{{border:1px solid #999;padding:4px 6px;font-size:13px;text-align:left}}th{{background:#eee}}\
         .late{{color:#b71c1c}}.ok{{color:#1b5e20}}.warn{{border:2px solid #b71c1c;padding:8px;color:#b71c1c}}\
         @media print{{body{{margin:0}}h2{{page-break-after:avoid}}}}</style></head><body><h1>{}</h1>",
        esc(&title),
        esc(&title)
    );
    if drill {
        html.push_str(
            "<p class=\"warn\">本材料来自应急演练（演练 EXERCISE），所述事件均为模拟情景。</p>",
        );
    }
    if let Verification::Unverified { reason, .. } = &log.verification {
        let _ = write!(
            html,
            "<p class=\"warn\">未验证日志（UNVERIFIED）：{}。以下内容仅截至首条损坏记录之前。</p>",
            esc(reason)
        );
    }
    let _ = write!(
        html,
        "<p>{} · {}事故 · 属地 {} · 接报 {} · 发生 {}</p><p>地址：{}</p>",
        esc(inc.sector.zh()),
        esc(domain::AccidentGrade::zh(inc.grade)),
        esc(inc.jurisdiction.as_str()),
        inc.reported_at.cst_string(),
        inc.occurred_at.cst_string(),
        esc(&inc.address)
    );

    // 1. Activity log.
    let mut t = Table::new(
        "一、活动记录（ICS-214）",
        &["序号", "时间", "人员", "事项"],
        &["seq", "time", "who", "what"],
    );
    for a in &activity {
        let cells = [
            a.seq.to_string(),
            a.at.cst_string(),
            a.who.clone(),
            a.what.clone(),
        ];
        t.row(&cells, "", &cells);
    }
    let activity_csv = t.finish(&mut html);

    // 2. Orders and acknowledgements.
    let mut t = Table::new(
        "二、调度指令与确认",
        &[
            "队伍",
            "下达",
            "下达人",
            "推荐名次",
            "确认",
            "出动",
            "到场",
            "状态",
        ],
        &[
            "order",
            "team",
            "issued_at",
            "issued_by",
            "recommended_rank",
            "acknowledged_s",
            "en_route_s",
            "on_scene_s",
            "status",
        ],
    );
    for oid in &inc.orders {
        let Some(o) = end.orders.get(oid) else {
            continue;
        };
        let team = end
            .teams
            .get(&o.team)
            .map_or(o.team.to_string(), |t| t.name.clone());
        let rank = o
            .recommendation_shown
            .iter()
            .find(|c| c.team == o.team)
            .map_or("未在推荐中".to_owned(), |c| c.rank.to_string());
        let after: Vec<Option<i64>> = [
            OrderStatus::Acknowledged,
            OrderStatus::EnRoute,
            OrderStatus::OnScene,
        ]
        .into_iter()
        .map(|s| {
            o.history
                .iter()
                .find(|h| h.to == s)
                .map(|h| h.at.since(o.issued_at))
        })
        .collect();
        let issued = o.issued_at.cst_string();
        let by = o.issued_by.to_string();
        let mut cells = vec![team.clone(), issued.clone(), by.clone(), rank.clone()];
        cells.extend(
            after
                .iter()
                .map(|d| d.map_or("—".to_owned(), human_duration)),
        );
        cells.push(o.status.zh().to_owned());
        let mut csv = vec![oid.to_string(), team, issued, by, rank];
        csv.extend(
            after
                .iter()
                .map(|d| d.map_or(String::new(), |d| (d / 1000).to_string())),
        );
        csv.push(o.status.zh().to_owned());
        t.row(&cells, "", &csv);
    }
    let orders_csv = t.finish(&mut html);

    // 3. Reports against deadlines.
    let mut t = Table::new(
        "三、信息报送时效",
        &["报告", "层级", "截止", "报送", "结果"],
        &["report", "level", "due", "filed", "late_s"],
    );
    let rules = end.rules.reporting.for_jurisdiction(&inc.jurisdiction);
    let at = log.decision(last).map_or(end.last_event_at, |d| d.at);
    for o in domain::reporting_obligations(&inc, rules, at) {
        let (filed, verdict, class, late) = match o.status {
            ObligationStatus::Done { filed_at, late_by } if late_by > 0 => (
                filed_at.cst_string(),
                format!("迟报 {}", human_duration(late_by)),
                "late",
                (late_by / 1000).to_string(),
            ),
            ObligationStatus::Done { filed_at, .. } => (
                filed_at.cst_string(),
                "按时".to_owned(),
                "ok",
                "0".to_owned(),
            ),
            ObligationStatus::Pending { .. } => (
                "—".to_owned(),
                "日志结束时未到期".to_owned(),
                "",
                String::new(),
            ),
            ObligationStatus::Overdue { by } => (
                "未报送".to_owned(),
                format!("超时 {}", human_duration(by)),
                "late",
                (by / 1000).to_string(),
            ),
        };
        let (kind, level, due) = (o.kind.zh(), o.to.zh().to_owned(), o.due_at.cst_string());
        t.row(
            &[
                kind.clone(),
                level.clone(),
                due.clone(),
                filed.clone(),
                verdict,
            ],
            class,
            &[kind, level, due, filed, late],
        );
    }
    let reports_csv = t.finish(&mut html);

    // 4. Interval metrics (in the HTML only; the CSVs carry the raw times).
    let mut t = Table::new("四、时效指标", &["环节", "样本", "P50", "P90", "基准"], &[]);
    let all = samples(&end);
    for s in summarize(&all, |s| s.incident == *incident) {
        let anchor = s
            .interval
            .anchor()
            .map(|(p, l)| format!("P{p} ≤ {}", human_duration(l)))
            .unwrap_or_default();
        let verdict = match s.meets_anchor {
            Some(true) => "达标",
            Some(false) => "未达标",
            None => "",
        };
        t.row(
            &[
                s.interval.zh().to_owned(),
                s.count.to_string(),
                s.p50.map_or("—".into(), human_duration),
                s.p90.map_or("—".into(), human_duration),
                format!("{anchor} {verdict}"),
            ],
            "",
            &[],
        );
    }
    let _ = t.finish(&mut html);

    // 5. Maps at the chosen moments.
    html.push_str("<h2>五、态势图</h2>");
    for &seq in moments {
        let st = log.state_at(seq);
        let when = log.decision(seq).map_or(Timestamp(0), |d| d.at);
        let _ = write!(html, "<h3>{}（第 {seq} 条决策后）</h3>", when.cst_string());
        html.push_str(&map_svg(&st, incident, log, when));
    }
    html.push_str("</body></html>");

    Some(Package {
        html,
        csv: vec![
            ("activity.csv".into(), activity_csv),
            ("orders.csv".into(), orders_csv),
            ("reports.csv".into(), reports_csv),
        ],
        activity,
    })
}

/// The incident, the teams ordered to it with their positions and the
/// last 30 minutes of their trails, on a small equirectangular plot.
fn map_svg(state: &State, incident: &IncidentId, log: &ReviewLog, at: Timestamp) -> String {
    let Some(inc) = state.incidents.get(incident) else {
        return String::new();
    };
    let teams: Vec<&domain::Team> = inc
        .orders
        .iter()
        .filter_map(|o| state.orders.get(o))
        .filter_map(|o| state.teams.get(&o.team))
        .collect();
    let trails = log.trails(at.plus(-30 * domain::time::MINUTE), at);
    let pos = |t: &domain::Team| t.last_fix.map_or(t.home, |f| f.position);
    let mut pts: Vec<GeoPoint> = vec![inc.position];
    pts.extend(teams.iter().map(|t| pos(t)));
    for t in &teams {
        pts.extend(trails.get(&t.id).into_iter().flatten().copied());
    }
    let (mut s, mut n, mut w, mut e) = (
        inc.position.lat,
        inc.position.lat,
        inc.position.lon,
        inc.position.lon,
    );
    for p in &pts {
        s = s.min(p.lat);
        n = n.max(p.lat);
        w = w.min(p.lon);
        e = e.max(p.lon);
    }
    let pad = 0.01;
    let (s, n, w, e) = (s - pad, n + pad, w - pad, e + pad);
    let (width, height) = (640.0, 400.0);
    let kx = (e - w) * (s.to_radians().cos());
    let scale = (width / kx).min(height / (n - s));
    let xy = |p: GeoPoint| {
        (
            20.0 + (p.lon - w) * s.to_radians().cos() * scale,
            20.0 + (n - p.lat) * scale,
        )
    };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" style=\"background:#f4f6f8;border:1px solid #999\">",
        width + 40.0,
        height + 40.0
    );
    for t in &teams {
        if let Some(trail) = trails.get(&t.id) {
            let d: Vec<String> = trail
                .iter()
                .map(|p| {
                    let (x, y) = xy(*p);
                    format!("{x:.1},{y:.1}")
                })
                .collect();
            let _ = write!(
                svg,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"#1976d2\" stroke-width=\"2\" opacity=\"0.6\"/>",
                d.join(" ")
            );
        }
        let (x, y) = xy(pos(t));
        let _ = write!(
            svg,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"5\" fill=\"#1976d2\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{}（{}）</text>",
            x + 7.0,
            y + 4.0,
            esc(&t.name),
            t.status.zh()
        );
    }
    let (x, y) = xy(inc.position);
    let _ = write!(
        svg,
        "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"9\" fill=\"#d32f2f\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" font-weight=\"bold\">{}</text></svg>",
        x + 11.0,
        y - 8.0,
        esc(&inc.title)
    );
    svg
}

/// Writes the package into `dir` (report.html and the CSV files).
pub fn write(pkg: &Package, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("report.html"), &pkg.html)?;
    for (name, text) in &pkg.csv {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::demo_decisions;

    #[test]
    fn the_package_for_the_leak_lists_its_steps_orders_and_reports() {
        let now = Timestamp(1_795_451_400_000);
        let (night, _) = demo_decisions(now);
        let log = ReviewLog::from_decisions(Verification::Verified, night);
        let end = log.state_at(log.len());
        let leak = end
            .incidents
            .values()
            .find(|i| i.title.contains("液氨"))
            .map(|i| i.id.clone())
            .expect("the demo's ammonia leak");
        let pkg = package(&log, &leak, &[log.len() / 2, log.len()], false).expect("package");
        assert!(!pkg.html.contains("演练 EXERCISE"));
        let drill = package(&log, &leak, &[log.len()], true).expect("package");
        assert!(drill.html.contains("演练 EXERCISE"));
        // The intake, its orders and its reports are in the activity log,
        // nothing of the other incidents.
        assert!(pkg.activity.iter().any(|a| a.what.contains("接报")));
        assert!(pkg.activity.iter().any(|a| a.what.contains("下达指令")));
        assert!(!pkg.activity.iter().any(|a| a.what.contains("隧道")));
        let orders = &pkg
            .csv
            .iter()
            .find(|(n, _)| n == "orders.csv")
            .expect("orders")
            .1;
        assert_eq!(
            orders.lines().count() - 1,
            end.incidents[&leak].orders.len(),
            "one row per order"
        );
        let reports = &pkg
            .csv
            .iter()
            .find(|(n, _)| n == "reports.csv")
            .expect("reports")
            .1;
        assert!(reports.contains("首报"));
        assert!(pkg.html.contains("<svg"));
        assert!(pkg.html.contains("一、活动记录"));
        let dir = std::env::temp_dir().join(format!("ecc-aar-{}", std::process::id()));
        write(&pkg, &dir).expect("written");
        assert!(dir.join("report.html").is_file());
        assert!(dir.join("activity.csv").is_file());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
