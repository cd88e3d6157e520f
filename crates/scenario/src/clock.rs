//! The drill clock: scenario time advances only while the drill runs, at
//! the chosen rate. It never reads a clock; every call passes the current
//! time of whatever drives it (the relay's clock, or a simulated one).

use domain::{ClockAction, ClockChange, Millis};

/// Where a drill stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockState {
    /// Not started yet.
    Ready,
    /// Scenario time advances.
    Running,
    /// Stopped for now.
    Paused,
    /// Stopped early for good (中止).
    Halted,
    /// Finished (结束).
    Ended,
}

/// Why a clock request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    /// The action does not apply in this state.
    #[error("cannot {action:?} a drill that is {state:?}")]
    WrongState {
        /// Requested.
        action: ClockAction,
        /// Current.
        state: ClockState,
    },
    /// Speed outside 1–100.
    #[error("speed {0} is outside 1–100")]
    Speed(u32),
}

/// Scenario time as a function of the driver's time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillClock {
    state: ClockState,
    speed: u32,
    /// Scenario time at `anchor`.
    base: Millis,
    /// Driver time when `base` was taken (meaningful while running).
    anchor: Millis,
}

impl Default for DrillClock {
    fn default() -> Self {
        DrillClock {
            state: ClockState::Ready,
            speed: 1,
            base: 0,
            anchor: 0,
        }
    }
}

impl DrillClock {
    /// A clock at T+0, not started.
    pub fn new() -> Self {
        Self::default()
    }

    /// Current state.
    pub fn state(&self) -> ClockState {
        self.state
    }

    /// Current rate.
    pub fn speed(&self) -> u32 {
        self.speed
    }

    /// Scenario time (since T+0) at driver time `now`.
    pub fn scenario_time(&self, now: Millis) -> Millis {
        match self.state {
            ClockState::Running => {
                self.base + (now - self.anchor).max(0) * Millis::from(self.speed)
            }
            _ => self.base,
        }
    }

    /// Applies a director's action at driver time `now`; returns the change to log.
    pub fn act(
        &mut self,
        action: ClockAction,
        speed: Option<u32>,
        now: Millis,
    ) -> Result<ClockChange, ClockError> {
        use ClockState::*;
        let wrong = || ClockError::WrongState {
            action,
            state: self.state,
        };
        if let Some(s) = speed
            && !(1..=100).contains(&s)
        {
            return Err(ClockError::Speed(s));
        }
        let at = self.scenario_time(now);
        let next = match (action, self.state) {
            (ClockAction::Start, Ready) => Running,
            (ClockAction::Pause, Running) => Paused,
            (ClockAction::Resume, Paused) => Running,
            (ClockAction::Speed, Running | Paused | Ready) => self.state,
            (ClockAction::Halt, Ready | Running | Paused) => Halted,
            (ClockAction::End, Running | Paused) => Ended,
            _ => return Err(wrong()),
        };
        self.base = at;
        self.anchor = now;
        self.state = next;
        if let Some(s) = speed {
            self.speed = s;
        }
        Ok(ClockChange {
            action,
            scenario_ms: at,
            speed: self.speed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_time_runs_only_while_running_and_at_the_chosen_speed() {
        let mut c = DrillClock::new();
        assert_eq!(c.scenario_time(5_000), 0);
        c.act(ClockAction::Start, Some(1), 10_000).unwrap();
        assert_eq!(c.scenario_time(70_000), 60_000);
        c.act(ClockAction::Pause, None, 70_000).unwrap();
        assert_eq!(
            c.scenario_time(1_000_000),
            60_000,
            "paused time stands still"
        );
        c.act(ClockAction::Resume, None, 1_000_000).unwrap();
        c.act(ClockAction::Speed, Some(50), 1_001_000).unwrap();
        // 1 s at 1×, then 10 s at 50×.
        assert_eq!(c.scenario_time(1_011_000), 61_000 + 500_000);
        let end = c.act(ClockAction::End, None, 1_011_000).unwrap();
        assert_eq!(end.scenario_ms, 561_000);
        assert_eq!(c.scenario_time(9_999_999), 561_000);
    }

    #[test]
    fn speed_is_limited_to_one_to_a_hundred() {
        let mut c = DrillClock::new();
        assert_eq!(
            c.act(ClockAction::Start, Some(101), 0),
            Err(ClockError::Speed(101))
        );
        assert_eq!(
            c.act(ClockAction::Start, Some(0), 0),
            Err(ClockError::Speed(0))
        );
        assert!(c.act(ClockAction::Start, Some(100), 0).is_ok());
    }

    #[test]
    fn a_halted_drill_cannot_be_resumed_or_ended() {
        let mut c = DrillClock::new();
        c.act(ClockAction::Start, None, 0).unwrap();
        c.act(ClockAction::Halt, None, 1_000).unwrap();
        assert!(c.act(ClockAction::Resume, None, 2_000).is_err());
        assert!(c.act(ClockAction::End, None, 2_000).is_err());
        assert_eq!(c.state(), ClockState::Halted);
        assert_eq!(c.scenario_time(50_000), 1_000);
    }
}
