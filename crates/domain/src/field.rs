//! Field radio alarms: a team's radio declaring an emergency (APRS Mic-E
//! emergency, CoT 911/panic) and its cancellation. One command and one
//! event variant carry these, so other work on the domain merges easily.

use crate::geo::GeoPoint;
use crate::ids::TeamId;
use crate::rejection::Rejection;
use crate::state::State;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Commands about field alarms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FieldCommand {
    /// A team's radio declared an emergency.
    RaiseEmergency {
        /// Team the radio belongs to.
        team: TeamId,
        /// Radio id, callsign or CoT uid that raised it.
        device: String,
        /// Where, if the radio said.
        position: Option<GeoPoint>,
        /// Text the radio sent.
        text: Option<String>,
    },
    /// The emergency is over (cancelled by the radio or cleared by an officer).
    ClearEmergency {
        /// Team.
        team: TeamId,
    },
}

/// Events about field alarms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FieldEvent {
    /// A team's radio declared an emergency.
    EmergencyRaised(ActiveEmergency),
    /// A team's emergency ended.
    EmergencyCleared {
        /// Team.
        team: TeamId,
    },
}

/// An emergency that has not been cleared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveEmergency {
    /// Team.
    pub team: TeamId,
    /// Radio that raised it.
    pub device: String,
    /// Where, if known.
    pub position: Option<GeoPoint>,
    /// Radio's text.
    pub text: Option<String>,
    /// When it was raised.
    pub raised_at: Timestamp,
}

/// Field alarm state of a realm.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FieldState {
    /// Active emergencies by team.
    pub emergencies: BTreeMap<TeamId, ActiveEmergency>,
}

/// Status a field observation carries when the radio cancelled its
/// emergency (the CoT type of ATAK's cancel beacon).
pub const EMERGENCY_CANCELLED: &str = "b-a-o-can";

/// Longest radio text kept with an emergency, in characters.
pub const MAX_TEXT: usize = 512;

impl FieldCommand {
    /// Short name for logs.
    pub fn name(&self) -> &'static str {
        match self {
            FieldCommand::RaiseEmergency { .. } => "raise emergency",
            FieldCommand::ClearEmergency { .. } => "clear emergency",
        }
    }
}

/// Decides a field command against `state` at `now`.
pub fn decide(
    state: &State,
    cmd: &FieldCommand,
    now: Timestamp,
) -> Result<Vec<FieldEvent>, Rejection> {
    match cmd {
        FieldCommand::RaiseEmergency {
            team,
            device,
            position,
            text,
        } => {
            if !state.teams.contains_key(team) {
                return Err(unknown("team", team));
            }
            if position.is_some_and(|p| !p.is_valid()) {
                return Err(Rejection::Invalid {
                    field: "position".into(),
                    reason: "not a valid WGS-84 position".into(),
                });
            }
            if state.field.emergencies.contains_key(team) {
                return Err(Rejection::Duplicate {
                    kind: "emergency of team".into(),
                    id: team.to_string(),
                });
            }
            Ok(vec![FieldEvent::EmergencyRaised(ActiveEmergency {
                team: team.clone(),
                device: device.clone(),
                position: *position,
                text: text.as_ref().map(|t| t.chars().take(MAX_TEXT).collect()),
                raised_at: now,
            })])
        }
        FieldCommand::ClearEmergency { team } => {
            if !state.field.emergencies.contains_key(team) {
                return Err(unknown("emergency of team", team));
            }
            Ok(vec![FieldEvent::EmergencyCleared { team: team.clone() }])
        }
    }
}

fn unknown(kind: &str, id: &TeamId) -> Rejection {
    Rejection::Unknown {
        kind: kind.to_owned(),
        id: id.to_string(),
    }
}

/// Folds a field event.
pub fn apply(state: &mut FieldState, e: &FieldEvent) {
    match e {
        FieldEvent::EmergencyRaised(a) => {
            state.emergencies.insert(a.team.clone(), a.clone());
        }
        FieldEvent::EmergencyCleared { team } => {
            state.emergencies.remove(team);
        }
    }
}

/// The event in words (Chinese), with the team's name.
pub fn describe(e: &FieldEvent, team_name: &str) -> String {
    match e {
        FieldEvent::EmergencyRaised(a) => match &a.text {
            Some(t) => format!("{team_name} 电台 {} 发出紧急求救：{t}", a.device),
            None => format!("{team_name} 电台 {} 发出紧急求救", a.device),
        },
        FieldEvent::EmergencyCleared { .. } => format!("{team_name} 紧急求救解除"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::*;

    fn state_with_team() -> State {
        let mut s = State::default();
        let team = Team {
            id: TeamId::new("T1"),
            name: "南关消防站".into(),
            kind: TeamKind::ComprehensiveFireRescue,
            tier: 1,
            capabilities: vec![],
            headcount: 20,
            equipment: vec![],
            jurisdiction: JurisdictionId::new("220102"),
            home: GeoPoint::new(43.88, 125.32),
            radio_ids: vec!["BG2ABC-9".into()],
            status: TeamStatus::Available,
            last_fix: None,
            support: None,
        };
        s.teams.insert(team.id.clone(), team);
        s
    }

    fn run(s: &mut State, cmd: FieldCommand, role: Role, at: i64) -> Result<(), Rejection> {
        let ctx = Context {
            now: Timestamp(at),
            actor: Actor::new("bridge", role, "bridge-1"),
            realm: RealmKind::Live,
        };
        for e in crate::decide(s, &Command::Field(cmd), &ctx)? {
            s.apply(&e);
        }
        Ok(())
    }

    fn raise() -> FieldCommand {
        FieldCommand::RaiseEmergency {
            team: TeamId::new("T1"),
            device: "BG2ABC-9".into(),
            position: Some(GeoPoint::new(43.881, 125.321)),
            text: Some("被困".into()),
        }
    }

    #[test]
    fn gateway_raises_once_and_an_officer_clears() {
        let mut s = state_with_team();
        run(&mut s, raise(), Role::FieldGateway, 1000).expect("raised");
        let a = &s.field.emergencies[&TeamId::new("T1")];
        assert_eq!(
            (a.device.as_str(), a.raised_at),
            ("BG2ABC-9", Timestamp(1000))
        );
        assert!(matches!(
            run(&mut s, raise(), Role::FieldGateway, 2000),
            Err(Rejection::Duplicate { .. })
        ));
        run(
            &mut s,
            FieldCommand::ClearEmergency {
                team: TeamId::new("T1"),
            },
            Role::DutyOfficer,
            3000,
        )
        .expect("cleared");
        assert!(s.field.emergencies.is_empty());
        assert!(matches!(
            run(
                &mut s,
                FieldCommand::ClearEmergency {
                    team: TeamId::new("T1")
                },
                Role::DutyOfficer,
                4000
            ),
            Err(Rejection::Unknown { .. })
        ));
    }

    #[test]
    fn unknown_team_and_bad_position_are_refused() {
        let mut s = state_with_team();
        let cmd = FieldCommand::RaiseEmergency {
            team: TeamId::new("T9"),
            device: "X".into(),
            position: None,
            text: None,
        };
        assert!(matches!(
            run(&mut s, cmd, Role::FieldGateway, 1),
            Err(Rejection::Unknown { .. })
        ));
        let cmd = FieldCommand::RaiseEmergency {
            team: TeamId::new("T1"),
            device: "X".into(),
            position: Some(GeoPoint::new(95.0, 0.0)),
            text: None,
        };
        assert!(matches!(
            run(&mut s, cmd, Role::FieldGateway, 1),
            Err(Rejection::Invalid { .. })
        ));
    }

    #[test]
    fn narrative_names_the_team_and_radio() {
        let s = state_with_team();
        let e = FieldEvent::EmergencyRaised(ActiveEmergency {
            team: TeamId::new("T1"),
            device: "BG2ABC-9".into(),
            position: None,
            text: None,
            raised_at: Timestamp(0),
        });
        let ev = Event {
            at: Timestamp(0),
            actor: Actor::new("bridge", Role::FieldGateway, "b"),
            kind: EventKind::Field(e),
        };
        assert_eq!(
            crate::narrative::describe(&ev, &s),
            "南关消防站 电台 BG2ABC-9 发出紧急求救"
        );
    }
}
