//! Events told as one Chinese sentence each (who did what), for the
//! console's activity feed and the exported activity log.

use crate::event::{Event, EventKind};
use crate::state::State;

fn team_name(state: &State, id: &crate::ids::TeamId) -> String {
    state
        .teams
        .get(id)
        .map_or_else(|| id.to_string(), |t| t.name.clone())
}

fn incident_title(state: &State, id: &crate::ids::IncidentId) -> String {
    state
        .incidents
        .get(id)
        .map_or_else(|| id.to_string(), |i| i.title.clone())
}

/// "王丽（值班员）" — who acted, with their role.
pub fn actor(e: &Event) -> String {
    format!("{}（{}）", e.actor.user, e.actor.role.zh())
}

/// What happened, in words, using names from `state`.
pub fn describe(e: &Event, state: &State) -> String {
    match &e.kind {
        EventKind::TeamRegistered(t) => format!("登记救援队伍 {}", t.name),
        EventKind::DepotRegistered(d) => format!("登记物资储备库 {}", d.name),
        EventKind::HazardRegistered(h) => format!("登记危险源 {}", h.name),
        EventKind::ShelterRegistered(s) => format!("登记避难场所 {}", s.name),
        EventKind::RulesSet(_) => "更新规则配置".into(),
        EventKind::RosterSet(_) => "更新值班表".into(),
        EventKind::Field(f) => {
            let name = crate::field::team_of(f).map_or_else(String::new, |t| team_name(state, t));
            crate::field::describe(f, &name)
        }
        EventKind::FixReported { team, fix } => format!(
            "{} 位置更新（{:.4}, {:.4}）",
            team_name(state, team),
            fix.position.lat,
            fix.position.lon
        ),
        EventKind::TeamServiceSet {
            team,
            out_of_service,
        } => match out_of_service {
            Some(reason) => format!("{} 暂停执勤：{reason}", team_name(state, team)),
            None => format!("{} 恢复执勤", team_name(state, team)),
        },
        EventKind::IncidentOpened(i) => format!(
            "接报 {}（{}，{}事故）",
            i.title,
            i.sector.zh(),
            i.grade.zh()
        ),
        EventKind::CasualtiesUpdated {
            incident,
            casualties,
            ..
        } => format!(
            "{} 伤亡更新：死亡{} 重伤{} 失踪{}",
            incident_title(state, incident),
            casualties.deaths,
            casualties.serious_injuries,
            casualties.missing
        ),
        EventKind::GradeChanged { incident, from, to } => format!(
            "{} 事故等级 {} → {}",
            incident_title(state, incident),
            from.zh(),
            to.zh()
        ),
        EventKind::ResponseLevelSet {
            incident,
            level,
            detail,
        } => match level {
            Some(l) => format!(
                "{} 启动{}：{}",
                incident_title(state, incident),
                l.zh(),
                detail.matters
            ),
            None => format!("{} 终止应急响应", incident_title(state, incident)),
        },
        EventKind::WarningSet { incident, colour } => match colour {
            Some(c) => format!("{} 发布{}", incident_title(state, incident), c.zh()),
            None => format!("{} 解除预警", incident_title(state, incident)),
        },
        EventKind::ReportFiled { incident, report } => format!(
            "{} {}（{}，{}）",
            incident_title(state, incident),
            report.kind.zh(),
            match report.channel {
                crate::deadline::ReportChannel::Phone => "电话",
                crate::deadline::ReportChannel::Written => "书面",
            },
            report.to_level.zh()
        ),
        EventKind::IncidentClosed { incident, .. } => {
            format!("{} 结案", incident_title(state, incident))
        }
        EventKind::OrderIssued(o) => {
            format!("向 {} 下达指令：{}", team_name(state, &o.team), o.note)
        }
        EventKind::OrderAdvanced {
            order, to, reason, ..
        } => {
            let team = state
                .orders
                .get(order)
                .map_or_else(|| order.to_string(), |o| team_name(state, &o.team));
            match reason {
                Some(r) => format!("{team} {}：{r}", to.zh()),
                None => format!("{team} {}", to.zh()),
            }
        }
        EventKind::SupportRequested { team, what } => match what {
            Some(w) => format!("{} 请求支援：{w}", team_name(state, team)),
            None => format!("{} 支援请求已解除", team_name(state, team)),
        },
        EventKind::OrderEscalated { order, to } => {
            let team = state
                .orders
                .get(order)
                .map_or_else(|| order.to_string(), |o| team_name(state, &o.team));
            match to {
                Some(leader) => format!("{team} 超时未确认，已上报带班领导 {leader}"),
                None => format!("{team} 超时未确认，当前无带班领导"),
            }
        }
        EventKind::CallStarted(c) => format!(
            "{}（{}，{} 支队伍）：{}",
            c.kind.zh(),
            c.addressed_as,
            c.teams.len(),
            c.message
        ),
        EventKind::CallAnswered { call, team } => match state.calls.get(call) {
            Some(c) => format!(
                "{} 应答{}（用时 {}）",
                team_name(state, team),
                c.kind.zh(),
                crate::time::human_duration(e.at.since(c.started_at))
            ),
            None => format!("{} 应答 {call}", team_name(state, team)),
        },
        EventKind::CallClosed { call } => match state.calls.get(call) {
            Some(c) => format!(
                "{}结束：{}/{} 应答",
                c.kind.zh(),
                c.answers.len(),
                c.teams.len()
            ),
            None => format!("结束 {call}"),
        },
        EventKind::HandoverGiven(h) => format!(
            "{} 向 {} 交班：在办事件 {} 起，待确认指令 {} 条",
            h.from,
            h.to,
            h.summary.open_incidents.len(),
            h.summary.pending_acks.len()
        ),
        EventKind::HandoverAccepted { handover } => match state.handovers.get(handover) {
            Some(h) => format!("{} 确认接班", h.to),
            None => format!("确认接班 {handover}"),
        },
        EventKind::SuppliesReserved(r) => format!(
            "预留物资 {} 项（{}）",
            r.lines.len(),
            state
                .depots
                .get(&r.depot)
                .map_or_else(|| r.depot.to_string(), |d| d.name.clone())
        ),
        EventKind::SuppliesDispatched { reservation } => format!("物资出库 {reservation}"),
        EventKind::SuppliesDelivered { reservation } => format!("物资送达 {reservation}"),
        EventKind::SuppliesSettled { reservation, .. } => format!("物资核销 {reservation}"),
        EventKind::ReservationCancelled {
            reservation,
            reason,
        } => format!("取消物资预留 {reservation}：{reason}"),
        EventKind::StockReplenished {
            name,
            unit,
            quantity,
            ..
        } => format!("物资入库 {name} {quantity}{unit}"),
        EventKind::Drill(d) => crate::drill::describe(d),
    }
}
