//! Reporting deadlines (生产安全事故报告和调查处理条例 Art. 9–13) as data.
//!
//! Defaults follow the national rule: the unit reports to the county-level
//! regulator within 1 h of the accident, each level reports upward within 2 h
//! of receiving it; 一般 stops at the districted city, 较大 at the province,
//! 重大/特别重大 reach the State Council. Cities tighten this (e.g. 15 min by
//! phone, 30 min written for 重大+), so every number is a setting and a
//! jurisdiction may carry its own rule set.

use crate::grade::AccidentGrade;
use crate::ids::JurisdictionId;
use crate::incident::Incident;
use crate::time::{DAY, HOUR, MINUTE, Millis, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Administrative level a report goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AdminLevel {
    /// 县级 (county/district)
    County,
    /// 设区的市级
    City,
    /// 省级
    Province,
    /// 国务院
    StateCouncil,
}

impl AdminLevel {
    /// The next level up, if any.
    pub fn above(self) -> Option<AdminLevel> {
        match self {
            AdminLevel::County => Some(AdminLevel::City),
            AdminLevel::City => Some(AdminLevel::Province),
            AdminLevel::Province => Some(AdminLevel::StateCouncil),
            AdminLevel::StateCouncil => None,
        }
    }

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            AdminLevel::County => "县级",
            AdminLevel::City => "市级",
            AdminLevel::Province => "省级",
            AdminLevel::StateCouncil => "国务院",
        }
    }

    /// The highest level a report of this grade must reach (Art. 10).
    pub fn top_for(grade: AccidentGrade) -> AdminLevel {
        match grade {
            AccidentGrade::Ordinary => AdminLevel::City,
            AccidentGrade::Larger => AdminLevel::Province,
            AccidentGrade::Major | AccidentGrade::EspeciallyMajor => AdminLevel::StateCouncil,
        }
    }
}

/// Which report of an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ReportKind {
    /// 首报
    First,
    /// 续报 number n (1-based)
    FollowUp(u32),
    /// 补报: new casualties after the first report (Art. 13)
    Supplement,
    /// 终报
    Final,
}

impl ReportKind {
    /// Chinese name, e.g. "续报二".
    pub fn zh(self) -> String {
        match self {
            ReportKind::First => "首报".into(),
            ReportKind::FollowUp(n) => format!("续报{}", chinese_numeral(n)),
            ReportKind::Supplement => "补报".into(),
            ReportKind::Final => "终报".into(),
        }
    }
}

fn chinese_numeral(n: u32) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n as usize].into(),
        10 => "十".into(),
        11..=19 => format!("十{}", D[(n % 10) as usize]),
        20..=99 if n.is_multiple_of(10) => format!("{}十", D[(n / 10) as usize]),
        20..=99 => format!("{}十{}", D[(n / 10) as usize], D[(n % 10) as usize]),
        _ => n.to_string(),
    }
}

/// How a report was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ReportChannel {
    /// 电话报告
    Phone,
    /// 书面报告
    Written,
}

/// A tighter local deadline for the duty room's own first report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tightening {
    /// Applies to incidents of this grade and above.
    pub from_grade: AccidentGrade,
    /// First report by phone within this long of the duty room receiving it.
    pub phone_within: Millis,
    /// Written first report within this long of receiving it.
    pub written_within: Millis,
}

/// Reporting rules for one jurisdiction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportingRules {
    /// Unit head → county-level regulator, counted from occurrence (1 h).
    pub unit_to_county: Millis,
    /// Each further level, counted from the level below receiving it (2 h).
    pub per_level: Millis,
    /// Follow-up cadence by grade, index as `AccidentGrade as usize`
    /// (daily; twice daily for 重大 and above).
    pub follow_up_every: [Millis; 4],
    /// Supplementary report after casualties change, counted from the change.
    pub supplement_within: Millis,
    /// The level the duty room itself reports from (it reports to the level above).
    pub duty_room_level: AdminLevel,
    /// Local tightenings of the duty room's first report.
    pub tightenings: Vec<Tightening>,
}

impl Default for ReportingRules {
    fn default() -> Self {
        Self {
            unit_to_county: HOUR,
            per_level: 2 * HOUR,
            follow_up_every: [DAY, DAY, DAY / 2, DAY / 2],
            supplement_within: 2 * HOUR,
            duty_room_level: AdminLevel::City,
            tightenings: Vec::new(),
        }
    }
}

impl ReportingRules {
    /// A typical city tightening: 重大 and above by phone in 15 min, written in 30 min.
    pub fn with_city_tightening(mut self) -> Self {
        self.tightenings.push(Tightening {
            from_grade: AccidentGrade::Major,
            phone_within: 15 * MINUTE,
            written_within: 30 * MINUTE,
        });
        self
    }
}

/// Default rules and per-jurisdiction overrides.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReportingRuleBook {
    /// Rules where no override exists.
    pub default: ReportingRules,
    /// Overrides by jurisdiction.
    pub by_jurisdiction: BTreeMap<JurisdictionId, ReportingRules>,
}

impl ReportingRuleBook {
    /// The rules in force for a jurisdiction.
    pub fn for_jurisdiction(&self, j: &JurisdictionId) -> &ReportingRules {
        self.by_jurisdiction.get(j).unwrap_or(&self.default)
    }
}

/// Where an obligation stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObligationStatus {
    /// Not yet due; this long remains.
    Pending {
        /// Time left until due.
        remaining: Millis,
    },
    /// Due and not made; late by this long.
    Overdue {
        /// Time past the deadline.
        by: Millis,
    },
    /// Made at `filed_at`; `late_by` > 0 if it was late (迟报).
    Done {
        /// When the report was filed.
        filed_at: Timestamp,
        /// How late it was, 0 if on time.
        late_by: Millis,
    },
}

/// One report that is or was due for an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Obligation {
    /// Which report.
    pub kind: ReportKind,
    /// Required channel, if the rule names one.
    pub channel: Option<ReportChannel>,
    /// Level it goes to.
    pub to: AdminLevel,
    /// Deadline.
    pub due_at: Timestamp,
    /// Where it stands at the time asked.
    pub status: ObligationStatus,
}

impl Obligation {
    /// Whether it is overdue.
    pub fn is_overdue(&self) -> bool {
        matches!(self.status, ObligationStatus::Overdue { .. })
    }
}

fn status_at(due_at: Timestamp, filed_at: Option<Timestamp>, now: Timestamp) -> ObligationStatus {
    match filed_at {
        Some(f) => ObligationStatus::Done {
            filed_at: f,
            late_by: f.since(due_at).max(0),
        },
        None if now < due_at => ObligationStatus::Pending {
            remaining: due_at.since(now),
        },
        None => ObligationStatus::Overdue {
            by: now.since(due_at),
        },
    }
}

/// Every report due for `incident` under `rules`, with its status at `now`:
/// first reports up the chain to the level its grade must reach, local
/// tightenings, the next follow-up, and a supplementary report after
/// casualties changed. Sorted by deadline.
pub fn reporting_obligations(
    incident: &Incident,
    rules: &ReportingRules,
    now: Timestamp,
) -> Vec<Obligation> {
    let mut out = Vec::new();
    let first_filed = |level: AdminLevel, channel: Option<ReportChannel>| {
        incident
            .reports
            .iter()
            .filter(|r| r.kind == ReportKind::First && r.to_level == level)
            .filter(|r| channel.is_none_or(|c| r.channel == c))
            .map(|r| r.filed_at)
            .min()
    };

    // The chain: county within 1 h of occurrence, then each level within 2 h
    // of the level below receiving it (or of its deadline, if it has not).
    let top = AdminLevel::top_for(incident.grade);
    let mut level = AdminLevel::County;
    let mut due = incident.occurred_at.plus(rules.unit_to_county);
    loop {
        let filed = first_filed(level, None);
        out.push(Obligation {
            kind: ReportKind::First,
            channel: None,
            to: level,
            due_at: due,
            status: status_at(due, filed, now),
        });
        match level.above() {
            Some(next) if level < top => {
                due = filed.unwrap_or(due).plus(rules.per_level);
                level = next;
            }
            _ => break,
        }
    }

    // Local tightening of the duty room's own first report.
    if let Some(to) = rules.duty_room_level.above() {
        for t in rules
            .tightenings
            .iter()
            .filter(|t| incident.grade >= t.from_grade)
        {
            for (channel, within) in [
                (ReportChannel::Phone, t.phone_within),
                (ReportChannel::Written, t.written_within),
            ] {
                let due = incident.reported_at.plus(within);
                out.push(Obligation {
                    kind: ReportKind::First,
                    channel: Some(channel),
                    to,
                    due_at: due,
                    status: status_at(due, first_filed(to, Some(channel)), now),
                });
            }
        }
    }

    // Follow-ups: after the first report, at the grade's cadence until the final one.
    let final_filed = incident.reports.iter().any(|r| r.kind == ReportKind::Final);
    if let Some(last) = incident.reports.iter().map(|r| r.filed_at).max()
        && !final_filed
    {
        let n = incident
            .reports
            .iter()
            .filter(|r| matches!(r.kind, ReportKind::FollowUp(_)))
            .count() as u32
            + 1;
        let due = last.plus(rules.follow_up_every[incident.grade as usize]);
        out.push(Obligation {
            kind: ReportKind::FollowUp(n),
            channel: None,
            to: rules
                .duty_room_level
                .above()
                .unwrap_or(AdminLevel::StateCouncil),
            due_at: due,
            status: status_at(due, None, now),
        });
    }

    // Supplementary report when casualties changed after the first report,
    // inside the Art. 13 window (30 days; 7 for road traffic and fire).
    if let (Some(changed), Some(first)) = (
        incident.casualties_changed_at,
        incident.reports.iter().map(|r| r.filed_at).min(),
    ) {
        let window = if incident.sector.short_casualty_window() {
            7 * DAY
        } else {
            30 * DAY
        };
        if changed > first && changed.since(incident.occurred_at) <= window {
            let filed = incident
                .reports
                .iter()
                .filter(|r| r.filed_at >= changed)
                .filter(|r| matches!(r.kind, ReportKind::Supplement | ReportKind::FollowUp(_)))
                .map(|r| r.filed_at)
                .min();
            let due = changed.plus(rules.supplement_within);
            out.push(Obligation {
                kind: ReportKind::Supplement,
                channel: None,
                to: rules
                    .duty_room_level
                    .above()
                    .unwrap_or(AdminLevel::StateCouncil),
                due_at: due,
                status: status_at(due, filed, now),
            });
        }
    }

    out.sort_by_key(|o| (o.due_at, o.to, o.kind));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numerals_for_follow_ups() {
        assert_eq!(ReportKind::FollowUp(1).zh(), "续报一");
        assert_eq!(ReportKind::FollowUp(10).zh(), "续报十");
        assert_eq!(ReportKind::FollowUp(12).zh(), "续报十二");
        assert_eq!(ReportKind::FollowUp(20).zh(), "续报二十");
        assert_eq!(ReportKind::FollowUp(23).zh(), "续报二十三");
    }

    #[test]
    fn top_level_follows_grade() {
        assert_eq!(
            AdminLevel::top_for(AccidentGrade::Ordinary),
            AdminLevel::City
        );
        assert_eq!(
            AdminLevel::top_for(AccidentGrade::Larger),
            AdminLevel::Province
        );
        assert_eq!(
            AdminLevel::top_for(AccidentGrade::Major),
            AdminLevel::StateCouncil
        );
    }
}
