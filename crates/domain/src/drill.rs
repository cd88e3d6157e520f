//! Drill-only commands and events (演练): the drill clock and the scenario's
//! messages (radio calls from teams, road closures, weather warnings,
//! notices). They are refused in a live realm, so nothing a scenario says can
//! ever reach live operations.

use crate::time::Millis;
use serde::{Deserialize, Serialize};

/// What the drill director (or the scenario engine for them) asks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DrillCommand {
    /// The drill clock changed: started, paused, resumed, sped up, halted or ended.
    Clock(ClockChange),
    /// A scenario message delivered to the players.
    Message(DrillMessage),
}

/// What happened in a drill realm besides ordinary events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DrillEvent {
    /// The drill clock changed.
    ClockChanged(ClockChange),
    /// A scenario message was delivered.
    MessageDelivered(DrillMessage),
}

/// One change of the drill clock, with where scenario time stood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockChange {
    /// What the director did.
    pub action: ClockAction,
    /// Scenario time (since T+0) when it happened.
    pub scenario_ms: Millis,
    /// Rate after the change, scenario seconds per real second (1–100).
    pub speed: u32,
}

/// Drill clock actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClockAction {
    /// 开始
    Start,
    /// 暂停
    Pause,
    /// 继续
    Resume,
    /// 调整倍速
    Speed,
    /// 中止 (stopped early, e.g. for safety)
    Halt,
    /// 结束
    End,
}

impl ClockAction {
    /// Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            ClockAction::Start => "演练开始",
            ClockAction::Pause => "演练暂停",
            ClockAction::Resume => "演练继续",
            ClockAction::Speed => "调整演练倍速",
            ClockAction::Halt => "演练中止",
            ClockAction::End => "演练结束",
        }
    }
}

/// What kind of scenario message it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageKind {
    /// 事件报告 (a call or report about an incident).
    Report,
    /// 无线电通话 from a team or post.
    Radio,
    /// 道路封闭
    RoadClosure,
    /// 气象预警
    WeatherWarning,
    /// 次生事件
    SecondaryEvent,
    /// 通知 (anything else the control cell says)
    Notice,
}

impl MessageKind {
    /// Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            MessageKind::Report => "事件报告",
            MessageKind::Radio => "无线电",
            MessageKind::RoadClosure => "道路封闭",
            MessageKind::WeatherWarning => "气象预警",
            MessageKind::SecondaryEvent => "次生事件",
            MessageKind::Notice => "通知",
        }
    }
}

/// A message the scenario delivers to the players.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillMessage {
    /// Inject id in the scenario (MSEL number), if it came from one.
    pub inject: Option<String>,
    /// Kind.
    pub kind: MessageKind,
    /// Who speaks (a team, a post, the weather bureau).
    pub from: String,
    /// Who it is for.
    pub to: String,
    /// How it arrives (电话, 对讲机, 短信, 传真 …).
    pub method: String,
    /// What it says.
    pub text: String,
}

/// Checks a drill command; `None` means it is acceptable.
pub(crate) fn check(cmd: &DrillCommand) -> Option<(&'static str, String)> {
    match cmd {
        DrillCommand::Clock(c) if !(1..=100).contains(&c.speed) => {
            Some(("speed", "must be 1 to 100".into()))
        }
        DrillCommand::Clock(c) if c.scenario_ms < 0 => {
            Some(("scenario_ms", "must not be negative".into()))
        }
        DrillCommand::Message(m) if m.text.trim().is_empty() => {
            Some(("text", "must not be empty".into()))
        }
        _ => None,
    }
}

/// The event a checked drill command causes.
pub(crate) fn event_of(cmd: &DrillCommand) -> DrillEvent {
    match cmd {
        DrillCommand::Clock(c) => DrillEvent::ClockChanged(*c),
        DrillCommand::Message(m) => DrillEvent::MessageDelivered(m.clone()),
    }
}

/// One Chinese sentence for the activity feed, marked as an exercise.
pub fn describe(e: &DrillEvent) -> String {
    match e {
        DrillEvent::ClockChanged(c) => format!(
            "【演练】{}（T+{}，{}倍速）",
            c.action.zh(),
            offset_text(c.scenario_ms),
            c.speed
        ),
        DrillEvent::MessageDelivered(m) => format!(
            "【演练】{}：{} → {}（{}）：{}",
            m.kind.zh(),
            m.from,
            m.to,
            m.method,
            m.text
        ),
    }
}

/// Scenario offset as "mm:ss" (or "h:mm:ss" past an hour).
pub fn offset_text(ms: Millis) -> String {
    let s = ms.max(0) / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::world::{T0, ctx};
    use crate::{Command, Context, EventKind, RealmKind, Rejection, Role, State, decide};

    fn in_drill(role: Role) -> Context {
        Context {
            realm: RealmKind::Drill,
            ..ctx(role, T0)
        }
    }

    fn radio() -> Command {
        Command::Drill(DrillCommand::Message(DrillMessage {
            inject: Some("3".into()),
            kind: MessageKind::Radio,
            from: "德惠化工园区专职消防队".into(),
            to: "指挥中心".into(),
            method: "对讲机".into(),
            text: "现场氨气浓度持续上升".into(),
        }))
    }

    #[test]
    fn drill_message_is_refused_in_the_live_realm_even_for_the_system() {
        for role in Role::ALL {
            let r = decide(&State::default(), &radio(), &ctx(role, T0));
            assert!(r.is_err(), "{role:?} wrote a drill message into live");
        }
    }

    #[test]
    fn drill_director_delivers_a_message_in_a_drill_realm() {
        let events = decide(&State::default(), &radio(), &in_drill(Role::DrillDirector)).unwrap();
        assert_eq!(events.len(), 1);
        let EventKind::Drill(d) = &events[0].kind else {
            panic!("not a drill event");
        };
        assert!(describe(d).starts_with("【演练】无线电"));
        let mut s = State::default();
        let before = s.clone();
        s.apply(&events[0]);
        assert_eq!(s.teams, before.teams);
        assert_eq!(s.last_event_at, T0);
    }

    #[test]
    fn only_the_drill_director_moves_the_drill_clock() {
        let cmd = Command::Drill(DrillCommand::Clock(ClockChange {
            action: ClockAction::Pause,
            scenario_ms: 90_000,
            speed: 10,
        }));
        assert!(decide(&State::default(), &cmd, &in_drill(Role::DrillDirector)).is_ok());
        for role in [Role::DutyOfficer, Role::Commander, Role::Observer] {
            assert!(matches!(
                decide(&State::default(), &cmd, &in_drill(role)),
                Err(Rejection::Forbidden { .. })
            ));
        }
    }

    #[test]
    fn clock_speed_outside_one_to_a_hundred_is_invalid() {
        for speed in [0, 101] {
            let cmd = Command::Drill(DrillCommand::Clock(ClockChange {
                action: ClockAction::Speed,
                scenario_ms: 0,
                speed,
            }));
            assert!(matches!(
                decide(&State::default(), &cmd, &in_drill(Role::DrillDirector)),
                Err(Rejection::Invalid { field, .. }) if field == "speed"
            ));
        }
    }

    #[test]
    fn offsets_read_as_minutes_and_seconds() {
        assert_eq!(offset_text(0), "00:00");
        assert_eq!(offset_text(10 * 60_000 + 5_000), "10:05");
        assert_eq!(offset_text(3_723_000), "1:02:03");
    }
}
