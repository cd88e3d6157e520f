//! The after-action package (复盘材料) for one incident or for a time
//! window (a shift, a night), from a reviewed log: an ICS-214-style activity
//! log, the order and acknowledgement table, report timings against
//! deadlines, interval metrics with percentiles, and a map at chosen moments
//! — as printable HTML (inline SVG, no network) and CSV files.

use crate::review::{ReviewLog, Verification};
use domain::deadline::ObligationStatus;
use domain::metrics::{samples, summarize};
use domain::time::human_duration;
use domain::{Event, EventKind, GeoPoint, IncidentId, OrderStatus, State, Timestamp};
use std::fmt::Write as _;
use std::path::Path;

/// The incident an event concerns (directly or through its order or
/// reservation), if any. Orders and reservations are never removed, so the
/// log's final state tells which incident each belongs to.
fn incident_of<'a>(e: &'a Event, state: &'a State) -> Option<&'a IncidentId> {
    match &e.kind {
        EventKind::IncidentOpened(i) => Some(&i.id),
        EventKind::CasualtiesUpdated { incident, .. }
        | EventKind::GradeChanged { incident, .. }
        | EventKind::ResponseLevelSet { incident, .. }
        | EventKind::WarningSet { incident, .. }
        | EventKind::ReportFiled { incident, .. }
        | EventKind::IncidentClosed { incident, .. } => Some(incident),
        EventKind::OrderIssued(o) => Some(&o.incident),
        EventKind::OrderAdvanced { order, .. } | EventKind::OrderEscalated { order, .. } => {
            state.orders.get(order).map(|o| &o.incident)
        }
        EventKind::SuppliesReserved(r) => Some(&r.incident),
        EventKind::SuppliesDispatched { reservation }
        | EventKind::SuppliesDelivered { reservation }
        | EventKind::SuppliesSettled { reservation, .. }
        | EventKind::ReservationCancelled { reservation, .. } => {
            state.reservations.get(reservation).map(|r| &r.incident)
        }
        _ => None,
    }
}

/// What a package covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything about one incident, over the whole log.
    Incident(IncidentId),
    /// Every decision taken from `from` to `to` (both inclusive), whatever
    /// it was about: a shift, a night.
    Window { from: Timestamp, to: Timestamp },
}

impl Scope {
    fn within(&self, at: Timestamp) -> bool {
        match self {
            Scope::Incident(_) => true,
            Scope::Window { from, to } => *from <= at && at <= *to,
        }
    }
}

/// Parses `FROM..TO` in China Standard Time ("YYYY-MM-DD HH:MM[:SS]", as
/// the console prints times). Both ends are included, to the second: a
/// window to "08:00" holds what happened at 08:00:00.xxx, which the package
/// prints as 08:00:00, and not 08:00:01.
pub fn parse_window(s: &str) -> Result<Scope, String> {
    let example = "e.g. \"2026-11-23 20:00..2026-11-24 08:00\"";
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("{s:?}: expected FROM..TO, {example}"))?;
    let parse = |end: &str, t: &str| {
        Timestamp::parse_cst(t.trim()).ok_or_else(|| {
            format!(
                "{end} {t:?} is not a time: expected \"YYYY-MM-DD HH:MM[:SS]\" \
                 (China Standard Time), {example}"
            )
        })
    };
    let (from, to) = (parse("FROM", a)?, parse("TO", b)?);
    if to < from {
        return Err(format!(
            "{s:?}: the window ends ({}) before it starts ({})",
            to.cst_string(),
            from.cst_string()
        ));
    }
    Ok(Scope::Window {
        from,
        to: to.plus(999),
    })
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
    /// The interval metrics.
    pub metrics: Vec<domain::metrics::Summary>,
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

/// The moments a package shows maps at: for an incident, when it was
/// opened, each order issued to it, when it closed and the log's end; for a
/// window, its first, middle and last decisions.
pub fn moments(log: &ReviewLog, scope: &Scope) -> Vec<u64> {
    let mut m: Vec<u64> = match scope {
        Scope::Incident(id) => (1..=log.len())
            .filter(|s| {
                log.decision(*s).is_some_and(|d| {
                    d.events.iter().any(|e| match &e.kind {
                        EventKind::IncidentOpened(i) => i.id == *id,
                        EventKind::OrderIssued(o) => o.incident == *id,
                        EventKind::IncidentClosed { incident, .. } => incident == id,
                        _ => false,
                    })
                })
            })
            .chain(std::iter::once(log.len()))
            .collect(),
        Scope::Window { .. } => {
            let inside: Vec<u64> = (1..=log.len())
                .filter(|s| log.decision(*s).is_some_and(|d| scope.within(d.at)))
                .collect();
            match (inside.first(), inside.last()) {
                (Some(a), Some(b)) => vec![*a, inside[inside.len() / 2], *b],
                _ => vec![],
            }
        }
    };
    m.dedup();
    m
}

/// Builds the package for `incident`, with maps at `moments` (seqs).
pub fn package(
    log: &ReviewLog,
    incident: &IncidentId,
    moments: &[u64],
    drill: bool,
) -> Option<Package> {
    package_for(log, &Scope::Incident(incident.clone()), moments, drill)
}

/// Builds the package for `scope`, with maps at `moments` (seqs); `None`
/// for an incident the log does not have.
pub fn package_for(
    log: &ReviewLog,
    scope: &Scope,
    moments: &[u64],
    drill: bool,
) -> Option<Package> {
    let last = log.len();
    let end = log.state_at(last);
    let one = match scope {
        Scope::Incident(id) => Some(end.incidents.get(id)?.clone()),
        Scope::Window { .. } => None,
    };
    // The activity log: each decision in scope, in words as the state
    // before it names things; and the incidents it touched.
    let mut activity = Vec::new();
    let mut touched: Vec<IncidentId> = one.iter().map(|i| i.id.clone()).collect();
    let mut state = State::default();
    for seq in 1..=last {
        let Some(d) = log.decision(seq) else { break };
        if scope.within(d.at) {
            for e in &d.events {
                let about = incident_of(e, &end);
                let keep = match scope {
                    Scope::Incident(id) => about == Some(id),
                    Scope::Window { .. } => true,
                };
                if !keep {
                    continue;
                }
                if let Some(id) = about
                    && !touched.contains(id)
                {
                    touched.push(id.clone());
                }
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
    let window = matches!(scope, Scope::Window { .. });

    let mut html = String::new();
    let name = match (&one, scope) {
        (Some(inc), _) => inc.title.clone(),
        (None, Scope::Window { from, to }) => {
            format!("{} 至 {} 值班", from.cst_string(), to.cst_string())
        }
        (None, Scope::Incident(id)) => id.to_string(),
    };
    let title = if drill {
        format!("【演练】{name} 复盘材料")
    } else {
        format!("{name} 复盘材料")
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
    match &one {
        Some(inc) => {
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
        }
        None => {
            let names: Vec<String> = touched
                .iter()
                .filter_map(|id| end.incidents.get(id))
                .map(|i| format!("{}（{}）", i.title, i.grade.zh()))
                .collect();
            let _ = write!(
                html,
                "<p>本时段决策 {} 条；涉及事件 {} 起：{}</p>",
                activity
                    .iter()
                    .map(|a| a.seq)
                    .collect::<std::collections::BTreeSet<_>>()
                    .len(),
                names.len(),
                esc(&names.join("、"))
            );
        }
    }

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
    let incident_col: &[&str] = if window { &["事件"] } else { &[] };
    let mut t = Table::new(
        "二、调度指令与确认",
        &[
            incident_col,
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
        ]
        .concat(),
        &[
            if window { &["incident"][..] } else { &[] },
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
        ]
        .concat(),
    );
    // One incident: its orders. A window: every order issued in it.
    let orders: Vec<&domain::DispatchOrder> = match (&one, scope) {
        (Some(inc), _) => inc
            .orders
            .iter()
            .filter_map(|o| end.orders.get(o))
            .collect(),
        _ => {
            let mut v: Vec<_> = end
                .orders
                .values()
                .filter(|o| scope.within(o.issued_at))
                .collect();
            v.sort_by_key(|o| (o.issued_at, o.id.clone()));
            v
        }
    };
    for o in orders {
        let oid = &o.id;
        let incident_cell: Vec<String> = if window {
            vec![
                end.incidents
                    .get(&o.incident)
                    .map_or(o.incident.to_string(), |i| i.title.clone()),
            ]
        } else {
            vec![]
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
        let mut cells = incident_cell.clone();
        cells.extend([team.clone(), issued.clone(), by.clone(), rank.clone()]);
        cells.extend(
            after
                .iter()
                .map(|d| d.map_or("—".to_owned(), human_duration)),
        );
        cells.push(o.status.zh().to_owned());
        let mut csv = incident_cell;
        csv.extend([oid.to_string(), team, issued, by, rank]);
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
        &[incident_col, &["报告", "层级", "截止", "报送", "结果"]].concat(),
        &[
            if window { &["incident"][..] } else { &[] },
            &["report", "level", "due", "filed", "late_s"],
        ]
        .concat(),
    );
    let at = log.decision(last).map_or(end.last_event_at, |d| d.at);
    for inc in touched.iter().filter_map(|id| end.incidents.get(id)) {
        let rules = end.rules.reporting.for_jurisdiction(&inc.jurisdiction);
        for o in domain::reporting_obligations(inc, rules, at) {
            // A window keeps the reports that fell due or went out in it.
            let filed_at = match o.status {
                ObligationStatus::Done { filed_at, .. } => Some(filed_at),
                _ => None,
            };
            if !(scope.within(o.due_at) || filed_at.is_some_and(|f| scope.within(f))) {
                continue;
            }
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
            // The CSV's filed column is a time or empty, for spreadsheets.
            let filed_csv = filed_at.map(Timestamp::cst_string).unwrap_or_default();
            let lead: Vec<String> = if window {
                vec![inc.title.clone()]
            } else {
                vec![]
            };
            t.row(
                &[
                    lead.clone(),
                    vec![
                        kind.clone(),
                        level.clone(),
                        due.clone(),
                        filed.clone(),
                        verdict,
                    ],
                ]
                .concat(),
                class,
                &[lead, vec![kind, level, due, filed_csv, late]].concat(),
            );
        }
    }
    let reports_csv = t.finish(&mut html);

    // 4. Interval metrics (in the HTML only; the CSVs carry the raw times):
    // for an incident, all of its intervals; for a window, those that ended
    // in it (what that shift did, whenever the incident began).
    let mut t = Table::new("四、时效指标", &["环节", "样本", "P50", "P90", "基准"], &[]);
    let all = samples(&end);
    let summaries = summarize(&all, |s| match scope {
        Scope::Incident(id) => s.incident == *id,
        Scope::Window { .. } => scope.within(s.ended_at),
    });
    for s in &summaries {
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
    html.push_str(&interval_chart(&summaries));

    // 5. Maps at the chosen moments.
    html.push_str("<h2>五、态势图</h2>");
    for &seq in moments {
        let st = log.state_at(seq);
        let when = log.decision(seq).map_or(Timestamp(0), |d| d.at);
        let _ = write!(html, "<h3>{}（第 {seq} 条决策后）</h3>", when.cst_string());
        let map = map_svg(&st, &touched, log, when);
        if map.is_empty() {
            // A window's first moment may come before its incidents.
            html.push_str("<p>此时尚无相关事件。</p>");
        } else {
            html.push_str(&map);
        }
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
        metrics: summaries,
    })
}

/// The intervals as bars: P50 solid, P90 light behind it, the benchmark
/// as a red tick, on one minute scale, so a reader sees at a glance which
/// step was slow.
fn interval_chart(summaries: &[domain::metrics::Summary]) -> String {
    let rows: Vec<_> = summaries.iter().filter(|s| s.p90.is_some()).collect();
    if rows.is_empty() {
        return String::new();
    }
    let max = rows
        .iter()
        .flat_map(|s| [s.p90, s.interval.anchor().map(|(_, l)| l)])
        .flatten()
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let (left, width, row) = (150.0, 420.0, 34.0);
    let height = 20.0 + row * rows.len() as f64;
    let x = |ms: i64| left + width * ms as f64 / max;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" font-size=\"12\">",
        left + width + 110.0
    );
    for (i, s) in rows.iter().enumerate() {
        let y = 10.0 + row * i as f64;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{:.1}\">{}</text>",
            y + 16.0,
            esc(s.interval.zh())
        );
        if let Some(p90) = s.p90 {
            let _ = write!(
                svg,
                "<rect x=\"{left}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"22\" fill=\"#90caf9\"/>",
                x(p90) - left
            );
        }
        if let Some(p50) = s.p50 {
            let _ = write!(
                svg,
                "<rect x=\"{left}\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\" fill=\"#1565c0\"/>",
                y + 5.0,
                x(p50) - left
            );
        }
        if let Some((_, limit)) = s.interval.anchor() {
            let _ = write!(
                svg,
                "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1:.1}\" y2=\"{2:.1}\" stroke=\"#b71c1c\" stroke-width=\"3\"/>",
                x(limit),
                y - 2.0,
                y + 24.0
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\">P50 {} · P90 {}</text>",
            left + width + 6.0,
            y + 16.0,
            s.p50.map_or("—".into(), human_duration),
            s.p90.map_or("—".into(), human_duration)
        );
    }
    svg.push_str("</svg><p class=\"note\">深色：P50；浅色：P90；红线：基准。</p>");
    svg
}

/// The incidents (those that exist at the moment), the teams ordered to
/// them with their positions and the last 30 minutes of their trails, on a
/// small equirectangular plot.
fn map_svg(state: &State, incidents: &[IncidentId], log: &ReviewLog, at: Timestamp) -> String {
    let incs: Vec<&domain::Incident> = incidents
        .iter()
        .filter_map(|i| state.incidents.get(i))
        .collect();
    let Some(inc) = incs.first() else {
        return String::new();
    };
    let mut teams: Vec<&domain::Team> = incs
        .iter()
        .flat_map(|i| i.orders.iter())
        .filter_map(|o| state.orders.get(o))
        .filter_map(|o| state.teams.get(&o.team))
        .collect();
    teams.sort_by(|a, b| a.id.cmp(&b.id));
    teams.dedup_by(|a, b| a.id == b.id);
    let trails = log.trails(at.plus(-30 * domain::time::MINUTE), at);
    let pos = |t: &domain::Team| t.last_fix.map_or(t.home, |f| f.position);
    let mut pts: Vec<GeoPoint> = incs.iter().map(|i| i.position).collect();
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
    for inc in &incs {
        let (x, y) = xy(inc.position);
        let _ = write!(
            svg,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"9\" fill=\"#d32f2f\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" font-weight=\"bold\">{}</text>",
            x + 11.0,
            y - 8.0,
            esc(&inc.title)
        );
    }
    svg.push_str("</svg>");
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
    use std::collections::BTreeMap;

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
        // The interval chart: the leak's orders were acknowledged, turned
        // out and arrived, so there are bars.
        assert!(pkg.html.contains("fill=\"#1565c0\""), "no P50 bar");
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

    /// The demo night as a verified log, and each decision's time (index =
    /// seq - 1).
    fn demo_log() -> (ReviewLog, Vec<Timestamp>) {
        let (night, _) = demo_decisions(Timestamp(1_795_451_400_000));
        let log = ReviewLog::from_decisions(Verification::Verified, night);
        let times = (1..=log.len())
            .map(|s| log.decision(s).expect("decision").at)
            .collect();
        (log, times)
    }

    /// The package's CSV files, written and read back: name → (header,
    /// rows), each row as wide as the header.
    fn written_csv(pkg: &Package, name: &str) -> BTreeMap<String, (Vec<String>, Vec<Vec<String>>)> {
        let dir = std::env::temp_dir().join(format!("ecc-aar-{name}-{}", std::process::id()));
        write(pkg, &dir).expect("written");
        assert!(dir.join("report.html").is_file());
        let mut out = BTreeMap::new();
        for (file, _) in &pkg.csv {
            let text = std::fs::read_to_string(dir.join(file)).expect("read back");
            let body = text.strip_prefix('\u{feff}').expect("BOM");
            let mut rows = parse_csv(body);
            let head = rows.remove(0);
            for r in &rows {
                assert_eq!(r.len(), head.len(), "{file}: {r:?}");
            }
            out.insert(file.clone(), (head, rows));
        }
        let _ = std::fs::remove_dir_all(&dir);
        out
    }

    /// A CSV column by its header name.
    fn column<'a>(table: &'a (Vec<String>, Vec<Vec<String>>), name: &str) -> Vec<&'a str> {
        let i = table.0.iter().position(|h| h == name).expect(name);
        table.1.iter().map(|r| r[i].as_str()).collect()
    }

    #[test]
    fn a_window_package_holds_exactly_the_decisions_taken_in_it() {
        let (log, times) = demo_log();
        // The middle third of the night's moments (the world is set up at
        // one), written as an officer would.
        let mut distinct = times.clone();
        distinct.dedup();
        let (from, to) = (
            distinct[distinct.len() / 3],
            distinct[2 * distinct.len() / 3],
        );
        let text = format!("{}..{}", from.cst_string(), to.cst_string());
        let scope = parse_window(&text).expect("window parses");
        assert_eq!(
            scope,
            Scope::Window {
                from,
                to: to.plus(999)
            }
        );
        let inside = |t: Timestamp| from <= t && t < to.plus(1000);
        let pkg = package_for(&log, &scope, &moments(&log, &scope), false).expect("package");

        // A fold of the log: every event of every decision inside, in
        // order, and nothing else.
        let mut expected = Vec::new();
        let mut state = State::default();
        for seq in 1..=log.len() {
            let d = log.decision(seq).expect("decision");
            if inside(d.at) {
                for e in &d.events {
                    expected.push((seq, e.at, domain::narrative::describe(e, &state)));
                }
            }
            state.apply_decision(d);
        }
        assert!(expected.len() > 5, "the window holds part of the night");
        let all: usize = (1..=log.len())
            .map(|s| log.decision(s).expect("d").events.len())
            .sum();
        assert!(expected.len() < all, "and not all of it");
        let got: Vec<(u64, Timestamp, String)> = pkg
            .activity
            .iter()
            .map(|a| (a.seq, a.at, a.what.clone()))
            .collect();
        assert_eq!(got, expected);

        let csv = written_csv(&pkg, "window");
        assert_eq!(
            csv.keys().collect::<Vec<_>>(),
            ["activity.csv", "orders.csv", "reports.csv"]
        );
        // The activity CSV: one row per line, each at a time inside.
        let activity = &csv["activity.csv"];
        assert_eq!(activity.1.len(), expected.len());
        for t in column(activity, "time") {
            assert!(inside(Timestamp::parse_cst(t).expect("a time")), "{t}");
        }
        // Orders issued in the window, each with its incident.
        let end = log.state_at(log.len());
        let issued: Vec<String> = {
            let mut v: Vec<_> = end
                .orders
                .values()
                .filter(|o| inside(o.issued_at))
                .collect();
            v.sort_by_key(|o| (o.issued_at, o.id.clone()));
            v.iter().map(|o| o.id.to_string()).collect()
        };
        assert!(!issued.is_empty());
        let orders = &csv["orders.csv"];
        assert_eq!(column(orders, "order"), issued);
        assert!(column(orders, "incident").iter().all(|i| !i.is_empty()));
        // Reports that fell due or went out in the window, and only those.
        let reports = &csv["reports.csv"];
        assert!(!reports.1.is_empty(), "the window has report deadlines");
        for (due, filed) in column(reports, "due").iter().zip(column(reports, "filed")) {
            let due = Timestamp::parse_cst(due).expect("due");
            let filed = (!filed.is_empty()).then(|| Timestamp::parse_cst(filed).expect("filed"));
            assert!(
                inside(due) || filed.is_some_and(inside),
                "{due:?} {filed:?}"
            );
        }
        // Metrics over the intervals that ended in the window.
        let ended = domain::metrics::samples(&end);
        for m in &pkg.metrics {
            let n = ended
                .iter()
                .filter(|s| s.interval == m.interval && inside(s.ended_at))
                .count();
            assert_eq!(m.count, n, "{:?}", m.interval);
        }
        assert!(pkg.metrics.iter().any(|m| m.count > 0));
        // Maps at the window's first, middle and last decisions.
        assert_eq!(pkg.html.matches("background:#f4f6f8").count(), 3);
        // And the chart of the intervals.
        assert!(pkg.html.contains("fill=\"#1565c0\""));
        assert!(pkg.html.contains("值班 复盘材料"));
    }

    #[test]
    fn a_window_includes_its_ends_to_the_second_and_nothing_past_them() {
        let (log, times) = demo_log();
        // A moment inside the night, after its first second (the world is
        // registered all at once, at its start).
        let mut distinct = times.clone();
        distinct.dedup();
        let t = distinct[distinct.len() / 2];
        assert!(t > times[0]);
        let at_t = times.iter().filter(|x| **x == t).count();
        let window = |a: Timestamp, b: Timestamp| {
            let scope =
                parse_window(&format!("{}..{}", a.cst_string(), b.cst_string())).expect("parses");
            let pkg = package_for(&log, &scope, &[], false).expect("package");
            pkg.activity
                .iter()
                .map(|a| a.seq)
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        };
        // A window of one second holds the decisions of that second.
        assert_eq!(window(t, t), at_t);
        // Neither end reaches past its second.
        let before = times.iter().filter(|x| **x < t).count();
        assert_eq!(window(times[0], t.plus(-1000)), before);
        let after = times.iter().filter(|x| **x > t).count();
        assert_eq!(window(t.plus(1000), *times.last().expect("last")), after);
        // Before the log began: an empty package, headers only.
        let pkg = package_for(
            &log,
            &parse_window("2000-01-01 00:00..2000-01-02 00:00").expect("parses"),
            &[],
            false,
        )
        .expect("package");
        assert!(pkg.activity.is_empty());
        for (name, csv) in &pkg.csv {
            assert_eq!(csv.lines().count(), 1, "{name}");
        }
    }

    /// Parses CSV text into rows, honouring quotes (with commas, quotes
    /// and line breaks inside).
    fn parse_csv(text: &str) -> Vec<Vec<String>> {
        let (mut rows, mut row, mut cur, mut quoted) =
            (Vec::new(), Vec::new(), String::new(), false);
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                ',' if !quoted => row.push(std::mem::take(&mut cur)),
                '\r' if !quoted => {}
                '\n' if !quoted => {
                    row.push(std::mem::take(&mut cur));
                    rows.push(std::mem::take(&mut row));
                }
                c => cur.push(c),
            }
        }
        if !cur.is_empty() || !row.is_empty() {
            row.push(cur);
            rows.push(row);
        }
        rows
    }

    #[test]
    fn a_bad_window_is_refused_with_the_reason() {
        let why = |w: &str| parse_window(w).expect_err(w);
        assert!(why("2026-11-24 08:00").contains("expected FROM..TO"));
        assert!(why("").contains("expected FROM..TO"));
        let e = why("yesterday..2026-11-24 08:00");
        assert!(e.starts_with("FROM \"yesterday\" is not a time"), "{e}");
        assert!(e.contains("YYYY-MM-DD HH:MM[:SS]"), "{e}");
        assert!(why("2026-11-23 20:00..").starts_with("TO \"\" is not a time"));
        assert!(why("2026-02-30 20:00..2026-03-01 08:00").starts_with("FROM"));
        assert!(why("2026-11-23 20:00..2026-11-24 24:00").starts_with("TO"));
        let e = why("2026-11-24 08:00..2026-11-23 20:00");
        assert!(
            e.contains("ends (2026-11-23 20:00:00) before it starts (2026-11-24 08:00:00)"),
            "{e}"
        );
        // One second is a window; seconds may be given.
        assert!(parse_window("2026-11-24 08:00..2026-11-24 08:00").is_ok());
        assert!(parse_window("2026-11-23 20:00:30 .. 2026-11-24T08:00:59").is_ok());
    }
}
