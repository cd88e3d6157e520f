//! The summary report (演练总结报告): purpose; time and place; units and
//! people; scenario outline; problems found and their causes; lessons;
//! improvement proposals — with the evaluation and the dispatch intervals.
//! Rendered as JSON, Markdown and self-contained printable HTML.

use crate::evaluate::{Evaluation, Judgement};
use crate::model::Scenario;
use domain::drill::offset_text;
use domain::{Decision, EventKind, Millis, State, narrative};
use serde::Serialize;

/// One line of the drill's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    /// Scenario time.
    pub at: Millis,
    /// Lane: 情景注入, 指挥中心 or 现场队伍.
    pub lane: String,
    /// Who.
    pub actor: String,
    /// What, in words.
    pub text: String,
}

/// A problem with its cause.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// What went wrong.
    pub problem: String,
    /// Why (as far as known).
    pub cause: String,
}

/// The summary report.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryReport {
    /// Always "演练": this is exercise material.
    pub exercise_mark: String,
    /// Title.
    pub title: String,
    /// 桌面/实战 · 单项/综合.
    pub kind: String,
    /// Purpose.
    pub purpose: String,
    /// Organiser.
    pub organiser: String,
    /// Start, China Standard Time.
    pub start: String,
    /// End (last logged event), China Standard Time.
    pub end: String,
    /// Place.
    pub region: String,
    /// Units.
    pub units: Vec<String>,
    /// People.
    pub participants: Vec<String>,
    /// Outline.
    pub outline: String,
    /// Evaluation.
    pub evaluation: Evaluation,
    /// Problems and causes (evaluation first, then the organiser's).
    pub problems: Vec<Problem>,
    /// Lessons.
    pub lessons: Vec<String>,
    /// Proposals.
    pub proposals: Vec<String>,
    /// Timeline.
    pub timeline: Vec<TimelineEntry>,
    /// Planned length.
    pub duration: Millis,
}

/// Builds the report from the scenario, its evaluation and the decisions.
pub fn summary(sc: &Scenario, ev: &Evaluation, decisions: &[Decision]) -> SummaryReport {
    let mut problems = Vec::new();
    for (r, x) in ev.expects.iter().zip(&sc.expects) {
        let what = match r.judgement {
            Judgement::Late { late_by, .. } => format!(
                "{}：要求{}内完成，实际超时{}",
                x.title,
                minutes(x.within),
                minutes(late_by)
            ),
            Judgement::Missed => format!("{}：演练结束时仍未完成", x.title),
            _ => continue,
        };
        let problem = match &x.problem {
            Some(p) => format!("{p}（{what}）"),
            None => what,
        };
        problems.push(Problem {
            problem,
            cause: x.cause.clone().unwrap_or_else(|| "待评估组复盘分析".into()),
        });
    }
    for p in &sc.notes.problems {
        problems.push(Problem {
            problem: p.clone(),
            cause: "导演组观察记录".into(),
        });
    }
    let mut state = State::default();
    let mut timeline = Vec::new();
    let start = sc.meta.start;
    for d in decisions {
        for e in &d.events {
            let lane = match (&e.kind, d.actor.device.as_str()) {
                (EventKind::FixReported { .. }, _) => None,
                (
                    EventKind::TeamRegistered(_)
                    | EventKind::DepotRegistered(_)
                    | EventKind::HazardRegistered(_)
                    | EventKind::ShelterRegistered(_)
                    | EventKind::RulesSet(_),
                    _,
                ) => None,
                (_, dev) if dev.starts_with("sim-") => Some("现场队伍"),
                (_, "scenario-engine") => Some("情景注入"),
                _ => Some("指挥中心"),
            };
            if let Some(lane) = lane {
                timeline.push(TimelineEntry {
                    at: e.at.since(start),
                    lane: lane.into(),
                    actor: narrative::actor(e),
                    text: narrative::describe(e, &state),
                });
            }
            state.apply(e);
        }
    }
    SummaryReport {
        exercise_mark: "演练".into(),
        title: sc.meta.title.clone(),
        kind: format!("{} · {}", sc.meta.kind.zh(), sc.meta.scope.zh()),
        purpose: sc.meta.purpose.clone(),
        organiser: sc.meta.organiser.clone(),
        start: start.cst_string(),
        end: start.plus(ev.ended_at).cst_string(),
        region: sc.meta.region.clone(),
        units: sc.meta.units.clone(),
        participants: sc.meta.participants.clone(),
        outline: sc.meta.outline.clone(),
        evaluation: ev.clone(),
        problems,
        lessons: sc.notes.lessons.clone(),
        proposals: sc.notes.proposals.clone(),
        timeline,
        duration: sc.meta.duration,
    }
}

fn minutes(ms: Millis) -> String {
    let s = ms / 1000;
    if s % 60 == 0 {
        format!("{}分钟", s / 60)
    } else {
        format!("{}分{}秒", s / 60, s % 60)
    }
}

fn opt_minutes(ms: Option<Millis>) -> String {
    ms.map_or_else(|| "—".into(), minutes)
}

fn judgement_detail(j: &Judgement) -> String {
    match j {
        Judgement::Met { at, took } => format!("T+{}，用时{}", offset_text(*at), minutes(*took)),
        Judgement::Late { at, took, late_by } => format!(
            "T+{}，用时{}，超时{}",
            offset_text(*at),
            minutes(*took),
            minutes(*late_by)
        ),
        Judgement::Missed => "—".into(),
        Judgement::NotApplicable => "触发条件未出现".into(),
    }
}

impl SummaryReport {
    /// JSON (pretty, stable field order).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// Markdown.
    pub fn to_markdown(&self) -> String {
        let mut m = String::new();
        let ev = &self.evaluation;
        m += &format!("# 【演练】{} 总结报告\n\n", self.title);
        m += "> 本报告为应急演练材料（演练），所述事件均为模拟情景，不是真实警情。\n\n";
        m += &format!("## 一、演练目的\n\n{}\n\n", self.purpose);
        m += &format!(
            "## 二、演练时间和地点\n\n- 时间：{} 至 {}（北京时间）\n- 地点：{}\n- 形式：{}\n- 组织单位：{}\n\n",
            self.start, self.end, self.region, self.kind, self.organiser
        );
        m += "## 三、参演单位和人员\n\n";
        for u in &self.units {
            m += &format!("- {u}\n");
        }
        for p in &self.participants {
            m += &format!("- {p}\n");
        }
        m += &format!("\n## 四、情景概要\n\n{}\n\n", self.outline);
        m += "| 注入 | 时间 |\n|---|---|\n";
        for (id, at) in &ev.injects_delivered {
            m += &format!("| {id} | T+{} |\n", offset_text(*at));
        }
        for id in &ev.injects_skipped {
            m += &format!("| {id} | 未触发（条件不满足） |\n");
        }
        m += "\n## 五、评估结果\n\n| 目标 | 得分 | 评定 |\n|---|---|---|\n";
        for o in &ev.objectives {
            m += &format!(
                "| {} {} | {} | {} |\n",
                o.id,
                o.title,
                o.score
                    .map_or_else(|| "—".into(), |s| format!("{:.0}%", s * 100.0)),
                o.rating.map_or("不适用".into(), |r| format!(
                    "{}（{}）",
                    r.zh(),
                    r.letter()
                ))
            );
        }
        m += "\n| 预期行动 | 时限 | 结果 | 说明 |\n|---|---|---|---|\n";
        for e in &ev.expects {
            m += &format!(
                "| {} {} | {} | {} | {} |\n",
                e.id,
                e.title,
                minutes(e.within),
                e.judgement.zh(),
                judgement_detail(&e.judgement)
            );
        }
        m += "\n### 处置时间指标\n\n| 事件 | 接报时间 | 接报→首次调派 | 接报→首报 |\n|---|---|---|---|\n";
        for i in &ev.incidents {
            m += &format!(
                "| {} | T+{} | {} | {} |\n",
                i.title,
                offset_text(i.received),
                opt_minutes(i.to_first_order),
                opt_minutes(i.to_first_report)
            );
        }
        m += "\n| 指令 | 队伍 | 下达时间 | 下达→确认 | 下达→到场 |\n|---|---|---|---|---|\n";
        for o in &ev.orders {
            m += &format!(
                "| {} | {} | T+{} | {} | {} |\n",
                o.order,
                o.team,
                offset_text(o.issued),
                opt_minutes(o.to_ack),
                opt_minutes(o.to_scene)
            );
        }
        m += "\n## 六、发现的问题及原因\n\n";
        if self.problems.is_empty() {
            m += "未发现超时或遗漏的预期行动。\n";
        }
        for (i, p) in self.problems.iter().enumerate() {
            m += &format!("{}. {}\n   - 原因：{}\n", i + 1, p.problem, p.cause);
        }
        m += "\n## 七、经验教训\n\n";
        for l in &self.lessons {
            m += &format!("- {l}\n");
        }
        m += "\n## 八、改进建议\n\n";
        for p in &self.proposals {
            m += &format!("- {p}\n");
        }
        m += "\n## 附：演练过程记录\n\n| 时间 | 类别 | 人员 | 内容 |\n|---|---|---|---|\n";
        for t in &self.timeline {
            m += &format!(
                "| T+{} | {} | {} | {} |\n",
                offset_text(t.at),
                t.lane,
                t.actor,
                t.text.replace('|', "｜")
            );
        }
        m
    }

    /// Printable, self-contained HTML with an inline SVG timeline.
    pub fn to_html(&self) -> String {
        let md_free = |s: &str| esc(s);
        let ev = &self.evaluation;
        let mut h = String::new();
        h += "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n";
        h += &format!("<title>【演练】{} 总结报告</title>\n", esc(&self.title));
        h += "<style>\nbody{font-family:\"Noto Sans SC\",\"Microsoft YaHei\",sans-serif;max-width:60em;margin:2em auto;color:#222;line-height:1.6}\n\
h1{border-bottom:3px solid #b00;padding-bottom:.3em}\n.mark{background:#b00;color:#fff;padding:.1em .5em;border-radius:3px}\n\
.banner{border:2px dashed #b00;color:#b00;padding:.5em 1em;margin:1em 0}\n\
table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border:1px solid #999;padding:.2em .5em;text-align:left;vertical-align:top}\n\
th{background:#eee}.P{color:#070}.S{color:#670}.M{color:#a50}.U{color:#b00}\n\
@media print{body{margin:0}.banner{break-inside:avoid}}\n</style>\n</head>\n<body>\n";
        h += &format!(
            "<h1><span class=\"mark\">演练</span> {} 总结报告</h1>\n",
            esc(&self.title)
        );
        h += "<p class=\"banner\">本报告为应急演练材料（演练 EXERCISE），所述事件均为模拟情景，不是真实警情。</p>\n";
        h += &format!("<h2>一、演练目的</h2>\n<p>{}</p>\n", md_free(&self.purpose));
        h += &format!(
            "<h2>二、演练时间和地点</h2>\n<ul><li>时间：{} 至 {}（北京时间）</li><li>地点：{}</li><li>形式：{}</li><li>组织单位：{}</li></ul>\n",
            esc(&self.start),
            esc(&self.end),
            esc(&self.region),
            esc(&self.kind),
            esc(&self.organiser)
        );
        h += "<h2>三、参演单位和人员</h2>\n<ul>";
        for u in self.units.iter().chain(&self.participants) {
            h += &format!("<li>{}</li>", esc(u));
        }
        h += "</ul>\n";
        h += &format!("<h2>四、情景概要</h2>\n<p>{}</p>\n", esc(&self.outline));
        h += &self.svg_timeline();
        h += "<h2>五、评估结果</h2>\n<table><tr><th>目标</th><th>得分</th><th>评定</th></tr>\n";
        for o in &ev.objectives {
            let (cls, text) = o.rating.map_or(("".into(), "不适用".to_owned()), |r| {
                (
                    r.letter().to_string(),
                    format!("{}（{}）", r.zh(), r.letter()),
                )
            });
            h += &format!(
                "<tr><td>{} {}</td><td>{}</td><td class=\"{cls}\">{text}</td></tr>\n",
                esc(&o.id),
                esc(&o.title),
                o.score
                    .map_or_else(|| "—".into(), |s| format!("{:.0}%", s * 100.0)),
            );
        }
        h += "</table>\n<table><tr><th>预期行动</th><th>时限</th><th>结果</th><th>说明</th></tr>\n";
        for e in &ev.expects {
            h += &format!(
                "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(&e.id),
                esc(&e.title),
                minutes(e.within),
                e.judgement.zh(),
                judgement_detail(&e.judgement)
            );
        }
        h += "</table>\n<h3>处置时间指标</h3>\n<table><tr><th>事件</th><th>接报时间</th><th>接报→首次调派</th><th>接报→首报</th></tr>\n";
        for i in &ev.incidents {
            h += &format!(
                "<tr><td>{}</td><td>T+{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(&i.title),
                offset_text(i.received),
                opt_minutes(i.to_first_order),
                opt_minutes(i.to_first_report)
            );
        }
        h += "</table>\n<table><tr><th>指令</th><th>队伍</th><th>下达时间</th><th>下达→确认</th><th>下达→到场</th></tr>\n";
        for o in &ev.orders {
            h += &format!(
                "<tr><td>{}</td><td>{}</td><td>T+{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(o.order.as_str()),
                esc(&o.team),
                offset_text(o.issued),
                opt_minutes(o.to_ack),
                opt_minutes(o.to_scene)
            );
        }
        h += "</table>\n<h2>六、发现的问题及原因</h2>\n<ol>";
        if self.problems.is_empty() {
            h += "<li>未发现超时或遗漏的预期行动。</li>";
        }
        for p in &self.problems {
            h += &format!("<li>{}<br>原因：{}</li>", esc(&p.problem), esc(&p.cause));
        }
        h += "</ol>\n<h2>七、经验教训</h2>\n<ul>";
        for l in &self.lessons {
            h += &format!("<li>{}</li>", esc(l));
        }
        h += "</ul>\n<h2>八、改进建议</h2>\n<ul>";
        for p in &self.proposals {
            h += &format!("<li>{}</li>", esc(p));
        }
        h += "</ul>\n<h2>附：演练过程记录</h2>\n<table><tr><th>时间</th><th>类别</th><th>人员</th><th>内容</th></tr>\n";
        for t in &self.timeline {
            h += &format!(
                "<tr><td>T+{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                offset_text(t.at),
                esc(&t.lane),
                esc(&t.actor),
                esc(&t.text)
            );
        }
        h += "</table>\n</body>\n</html>\n";
        h
    }

    /// Three lanes (injects, command centre, field) over scenario time, with
    /// the deadline of each expected action as a red tick.
    fn svg_timeline(&self) -> String {
        const W: f64 = 900.0;
        const LEFT: f64 = 90.0;
        let span = self
            .duration
            .max(self.timeline.iter().map(|t| t.at).max().unwrap_or(0))
            .max(60_000) as f64;
        let x = |at: Millis| LEFT + (W - LEFT - 10.0) * (at as f64 / span);
        let lanes = ["情景注入", "指挥中心", "现场队伍"];
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} 170\" width=\"100%\" role=\"img\" aria-label=\"演练时间线\">\n"
        );
        s += "<text x=\"450\" y=\"14\" text-anchor=\"middle\" font-size=\"12\" fill=\"#b00\">演练时间线（情景时间）</text>\n";
        for (i, lane) in lanes.iter().enumerate() {
            let y = 40.0 + 35.0 * i as f64;
            s += &format!(
                "<text x=\"4\" y=\"{:.0}\" font-size=\"12\">{lane}</text><line x1=\"{LEFT}\" y1=\"{y:.0}\" x2=\"{:.0}\" y2=\"{y:.0}\" stroke=\"#ccc\"/>\n",
                y + 4.0,
                W - 10.0
            );
        }
        let mut m = 0;
        while (m as f64) * 60_000.0 <= span {
            let px = x(m * 60_000);
            s += &format!(
                "<line x1=\"{px:.1}\" y1=\"135\" x2=\"{px:.1}\" y2=\"140\" stroke=\"#666\"/><text x=\"{px:.1}\" y=\"152\" font-size=\"9\" text-anchor=\"middle\">{m}</text>\n"
            );
            m += if span > 40.0 * 60_000.0 { 10 } else { 5 };
        }
        s +=
            "<text x=\"450\" y=\"166\" font-size=\"10\" text-anchor=\"middle\">分钟（T+）</text>\n";
        for e in &self.evaluation.expects {
            if let Some(a) = e.anchor {
                let px = x(a + e.within);
                s += &format!(
                    "<line x1=\"{px:.1}\" y1=\"60\" x2=\"{px:.1}\" y2=\"85\" stroke=\"#b00\" stroke-dasharray=\"2,2\"><title>{} 时限</title></line>\n",
                    esc(&e.title)
                );
            }
        }
        for t in &self.timeline {
            let i = lanes.iter().position(|l| *l == t.lane).unwrap_or(1);
            let y = 40.0 + 35.0 * i as f64;
            let colour = ["#b00", "#06c", "#080"][i];
            s += &format!(
                "<circle cx=\"{:.1}\" cy=\"{y:.0}\" r=\"4\" fill=\"{colour}\" fill-opacity=\"0.7\"><title>T+{} {}：{}</title></circle>\n",
                x(t.at),
                offset_text(t.at),
                esc(&t.actor),
                esc(&t.text)
            );
        }
        s += "</svg>\n";
        s
    }
}

/// Text escaped for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
