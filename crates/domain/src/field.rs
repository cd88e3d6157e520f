//! Field radio alarms and devices: a team's radio declaring an emergency
//! (APRS Mic-E emergency, CoT 911/panic) and its cancellation; radios and
//! trackers that belong to no team yet ("unassigned devices"), and an
//! officer binding one to a team — a logged decision like any other. One
//! command and one event variant carry these, so other work on the domain
//! merges easily.

use crate::geo::GeoPoint;
use crate::ids::TeamId;
use crate::rejection::Rejection;
use crate::state::State;
use crate::team::Fix;
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
    /// A device that belongs to no team reported (the gateway sends these,
    /// thinned, so the duty room can see and bind it).
    SightDevice {
        /// Radio id, callsign or CoT uid.
        device: String,
        /// Its fix.
        fix: Fix,
        /// It declared an emergency.
        emergency: bool,
        /// Text it sent.
        text: Option<String>,
    },
    /// An officer binds a device to a team: its fixes and alarms are the
    /// team's from now on.
    BindDevice {
        /// Radio id, callsign or CoT uid.
        device: String,
        /// Team.
        team: TeamId,
    },
    /// An officer undoes a binding (a radio handed back, a wrong binding).
    UnbindDevice {
        /// Radio id, callsign or CoT uid.
        device: String,
    },
    /// A gateway's input (a TNC, gpsd, a TAK port) came up or went down;
    /// the gateway is the device the command comes from.
    ReportInput {
        /// The input's name in the gateway's configuration.
        input: String,
        /// Its format (nmea, gpsd, aprs, cot).
        format: String,
        /// Whether it is connected (or listening).
        up: bool,
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
    /// A device that belongs to no team reported.
    DeviceSighted(UnassignedDevice),
    /// A device was bound to a team.
    DeviceBound {
        /// Device.
        device: String,
        /// Team.
        team: TeamId,
    },
    /// A device's binding was undone.
    DeviceUnbound {
        /// Device.
        device: String,
        /// The team it was bound to.
        team: TeamId,
    },
    /// A gateway's input changed state.
    InputReported(InputState),
}

/// A radio gateway's input as last reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputState {
    /// The gateway (its device name).
    pub gateway: String,
    /// The input's name.
    pub input: String,
    /// Its format.
    pub format: String,
    /// Connected or listening.
    pub up: bool,
    /// Since when.
    pub since: Timestamp,
}

impl InputState {
    /// The key it is kept under.
    pub fn key(&self) -> String {
        format!("{}/{}", self.gateway, self.input)
    }
}

/// A device the duty room has seen but not bound to any team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnassignedDevice {
    /// Radio id, callsign or CoT uid.
    pub device: String,
    /// Its latest fix.
    pub fix: Fix,
    /// It declared an emergency in its latest report.
    pub emergency: bool,
    /// Text of its latest report.
    pub text: Option<String>,
    /// When it was first seen.
    pub first_seen: Timestamp,
    /// When it was last seen.
    pub last_seen: Timestamp,
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
    /// Devices seen but bound to no team, by device id.
    pub unassigned: BTreeMap<String, UnassignedDevice>,
    /// Gateways' inputs, by "gateway/input".
    pub inputs: BTreeMap<String, InputState>,
}

/// The most unassigned devices a realm keeps; past it new ones are refused
/// (bind or clear some), so a flood of strangers cannot grow the state.
pub const MAX_UNASSIGNED: usize = 1000;

/// Longest device id, in characters.
pub const MAX_DEVICE_ID: usize = 64;

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
            FieldCommand::SightDevice { .. } => "sight device",
            FieldCommand::BindDevice { .. } => "bind device",
            FieldCommand::UnbindDevice { .. } => "unbind device",
            FieldCommand::ReportInput { .. } => "report input",
        }
    }
}

/// Decides a field command against `state` at `now`, from `gateway` (the
/// device the command came from).
pub fn decide(
    state: &State,
    cmd: &FieldCommand,
    now: Timestamp,
    gateway: &str,
) -> Result<Vec<FieldEvent>, Rejection> {
    match cmd {
        FieldCommand::ReportInput { input, format, up } => {
            for (field, v) in [("input", input), ("format", format)] {
                if v.trim().is_empty() || v.chars().count() > MAX_DEVICE_ID {
                    return Err(Rejection::Invalid {
                        field: field.into(),
                        reason: format!("1 to {MAX_DEVICE_ID} characters"),
                    });
                }
            }
            let next = InputState {
                gateway: gateway.to_owned(),
                input: input.clone(),
                format: format.clone(),
                up: *up,
                since: now,
            };
            // Only changes are decisions: a steady state is not news.
            if state
                .field
                .inputs
                .get(&next.key())
                .is_some_and(|s| s.up == *up && s.format == *format)
            {
                return Err(Rejection::Duplicate {
                    kind: "input state".into(),
                    id: next.key(),
                });
            }
            Ok(vec![FieldEvent::InputReported(next)])
        }
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
        FieldCommand::SightDevice {
            device,
            fix,
            emergency,
            text,
        } => {
            check_device(device)?;
            if let Some(team) = bound_to(state, device) {
                return Err(Rejection::Invalid {
                    field: "device".into(),
                    reason: format!("already bound to team {team}; report its fixes for the team"),
                });
            }
            if !fix.position.is_valid() {
                return Err(Rejection::Invalid {
                    field: "fix".into(),
                    reason: "not a valid WGS-84 position".into(),
                });
            }
            let known = state.field.unassigned.get(device);
            if known.is_none() && state.field.unassigned.len() >= MAX_UNASSIGNED {
                return Err(Rejection::Invalid {
                    field: "device".into(),
                    reason: format!("{MAX_UNASSIGNED} unassigned devices already; bind some first"),
                });
            }
            Ok(vec![FieldEvent::DeviceSighted(UnassignedDevice {
                device: device.clone(),
                fix: *fix,
                emergency: *emergency,
                text: text.as_ref().map(|t| t.chars().take(MAX_TEXT).collect()),
                first_seen: known.map_or(now, |k| k.first_seen),
                last_seen: now,
            })])
        }
        FieldCommand::BindDevice { device, team } => {
            check_device(device)?;
            if !state.teams.contains_key(team) {
                return Err(unknown("team", team));
            }
            if let Some(other) = bound_to(state, device) {
                return Err(Rejection::Duplicate {
                    kind: "device binding".into(),
                    id: format!("{device} → {other}"),
                });
            }
            Ok(vec![FieldEvent::DeviceBound {
                device: device.clone(),
                team: team.clone(),
            }])
        }
        FieldCommand::UnbindDevice { device } => match bound_to(state, device) {
            Some(team) => Ok(vec![FieldEvent::DeviceUnbound {
                device: device.clone(),
                team: team.clone(),
            }]),
            None => Err(Rejection::Unknown {
                kind: "device binding".into(),
                id: device.clone(),
            }),
        },
    }
}

fn check_device(device: &str) -> Result<(), Rejection> {
    if device.trim().is_empty() || device.chars().count() > MAX_DEVICE_ID {
        return Err(Rejection::Invalid {
            field: "device".into(),
            reason: format!("a device id has 1 to {MAX_DEVICE_ID} characters"),
        });
    }
    Ok(())
}

/// The team `device` is bound to, if any.
pub fn bound_to<'a>(state: &'a State, device: &str) -> Option<&'a TeamId> {
    state
        .teams
        .values()
        .find(|t| t.radio_ids.iter().any(|r| r == device))
        .map(|t| &t.id)
}

fn unknown(kind: &str, id: &TeamId) -> Rejection {
    Rejection::Unknown {
        kind: kind.to_owned(),
        id: id.to_string(),
    }
}

/// Folds a field event (the team's own list of radios is changed by
/// `State::apply`, which sees the teams).
pub fn apply(state: &mut FieldState, e: &FieldEvent) {
    match e {
        FieldEvent::EmergencyRaised(a) => {
            state.emergencies.insert(a.team.clone(), a.clone());
        }
        FieldEvent::EmergencyCleared { team } => {
            state.emergencies.remove(team);
        }
        FieldEvent::DeviceSighted(d) => {
            state.unassigned.insert(d.device.clone(), d.clone());
        }
        FieldEvent::DeviceBound { device, .. } => {
            state.unassigned.remove(device);
        }
        FieldEvent::DeviceUnbound { .. } => {}
        FieldEvent::InputReported(i) => {
            state.inputs.insert(i.key(), i.clone());
        }
    }
}

/// The team an event is about, if any.
pub fn team_of(e: &FieldEvent) -> Option<&TeamId> {
    match e {
        FieldEvent::EmergencyRaised(a) => Some(&a.team),
        FieldEvent::EmergencyCleared { team }
        | FieldEvent::DeviceBound { team, .. }
        | FieldEvent::DeviceUnbound { team, .. } => Some(team),
        FieldEvent::DeviceSighted(_) | FieldEvent::InputReported(_) => None,
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
        FieldEvent::DeviceSighted(d) => {
            let alarm = if d.emergency {
                "，发出紧急求救"
            } else {
                ""
            };
            format!(
                "未分配设备 {} 位于（{:.4}, {:.4}）{alarm}",
                d.device, d.fix.position.lat, d.fix.position.lon
            )
        }
        FieldEvent::DeviceBound { device, .. } => {
            format!("设备 {device} 绑定到 {team_name}")
        }
        FieldEvent::DeviceUnbound { device, .. } => {
            format!("设备 {device} 解除与 {team_name} 的绑定")
        }
        FieldEvent::InputReported(i) => format!(
            "网关 {} 的接入 {}（{}）{}",
            i.gateway,
            i.input,
            i.format,
            if i.up { "恢复正常" } else { "中断" }
        ),
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

    fn sight(device: &str, lat: f64) -> FieldCommand {
        FieldCommand::SightDevice {
            device: device.into(),
            fix: Fix {
                position: GeoPoint::new(lat, 125.3),
                accuracy_m: Some(5.0),
                source: FixSource::Aprs,
                taken_at: Timestamp(900),
            },
            emergency: false,
            text: None,
        }
    }

    #[test]
    fn an_unknown_device_is_seen_then_bound_by_an_officer_and_becomes_the_teams() {
        let mut s = state_with_team();
        run(&mut s, sight("BH7XYZ-1", 43.9), Role::FieldGateway, 1000).expect("sighted");
        run(&mut s, sight("BH7XYZ-1", 43.91), Role::FieldGateway, 5000).expect("again");
        let d = &s.field.unassigned["BH7XYZ-1"];
        assert_eq!(
            (d.first_seen, d.last_seen),
            (Timestamp(1000), Timestamp(5000))
        );
        assert_eq!(d.fix.position.lat, 43.91);

        let bind = FieldCommand::BindDevice {
            device: "BH7XYZ-1".into(),
            team: TeamId::new("T1"),
        };
        // The gateway cannot decide whose radio it is; an officer can.
        assert!(matches!(
            run(&mut s, bind.clone(), Role::FieldGateway, 6000),
            Err(Rejection::Forbidden { .. })
        ));
        run(&mut s, bind.clone(), Role::DutyOfficer, 6000).expect("bound");
        assert!(s.field.unassigned.is_empty());
        let t1 = &s.teams[&TeamId::new("T1")];
        assert_eq!(
            t1.radio_ids,
            vec!["BG2ABC-9".to_owned(), "BH7XYZ-1".to_owned()]
        );
        assert_eq!(bound_to(&s, "BH7XYZ-1"), Some(&TeamId::new("T1")));
        // Bound twice: refused, naming the binding; and a bound device is
        // no longer "unassigned".
        assert!(matches!(
            run(&mut s, bind, Role::DutyOfficer, 7000),
            Err(Rejection::Duplicate { .. })
        ));
        assert!(matches!(
            run(&mut s, sight("BH7XYZ-1", 43.92), Role::FieldGateway, 8000),
            Err(Rejection::Invalid { .. })
        ));
        // Unbinding returns it to nobody.
        run(
            &mut s,
            FieldCommand::UnbindDevice {
                device: "BH7XYZ-1".into(),
            },
            Role::Commander,
            9000,
        )
        .expect("unbound");
        assert_eq!(bound_to(&s, "BH7XYZ-1"), None);
        assert_eq!(
            s.teams[&TeamId::new("T1")].radio_ids,
            vec!["BG2ABC-9".to_owned()]
        );
    }

    #[test]
    fn bad_bindings_and_sightings_are_refused_with_the_field() {
        let mut s = state_with_team();
        let refused = |s: &mut State, cmd, role| run(s, cmd, role, 1).unwrap_err();
        assert!(matches!(
            refused(
                &mut s,
                FieldCommand::BindDevice {
                    device: "X".into(),
                    team: TeamId::new("T9"),
                },
                Role::DutyOfficer
            ),
            Rejection::Unknown { .. }
        ));
        assert!(matches!(
            refused(
                &mut s,
                FieldCommand::BindDevice {
                    device: " ".into(),
                    team: TeamId::new("T1"),
                },
                Role::DutyOfficer
            ),
            Rejection::Invalid { .. }
        ));
        assert!(matches!(
            refused(&mut s, sight(&"x".repeat(65), 43.9), Role::FieldGateway),
            Rejection::Invalid { .. }
        ));
        assert!(matches!(
            refused(&mut s, sight("BG2ABC-9", 43.9), Role::FieldGateway),
            Rejection::Invalid { .. }
        ));
        assert!(matches!(
            refused(&mut s, sight("Z", 95.0), Role::FieldGateway),
            Rejection::Invalid { .. }
        ));
        assert!(matches!(
            refused(
                &mut s,
                FieldCommand::UnbindDevice {
                    device: "nobody".into()
                },
                Role::DutyOfficer
            ),
            Rejection::Unknown { .. }
        ));
    }

    #[test]
    fn strangers_are_capped_but_known_strangers_still_move() {
        let mut s = state_with_team();
        for i in 0..MAX_UNASSIGNED {
            run(&mut s, sight(&format!("D{i}"), 43.9), Role::FieldGateway, 1).expect("room");
        }
        assert!(matches!(
            run(&mut s, sight("one-too-many", 43.9), Role::FieldGateway, 2),
            Err(Rejection::Invalid { .. })
        ));
        run(&mut s, sight("D7", 43.95), Role::FieldGateway, 3).expect("a known one moves");
        assert_eq!(s.field.unassigned.len(), MAX_UNASSIGNED);
    }

    #[test]
    fn a_gateway_input_going_down_and_up_is_recorded_once_each() {
        let mut s = state_with_team();
        let report = |up| FieldCommand::ReportInput {
            input: "tnc".into(),
            format: "aprs".into(),
            up,
        };
        run(&mut s, report(true), Role::FieldGateway, 1).expect("up");
        assert!(matches!(
            run(&mut s, report(true), Role::FieldGateway, 2),
            Err(Rejection::Duplicate { .. })
        ));
        run(&mut s, report(false), Role::FieldGateway, 3).expect("down");
        let i = &s.field.inputs["bridge-1/tnc"];
        assert_eq!(
            (i.up, i.since, i.gateway.as_str()),
            (false, Timestamp(3), "bridge-1")
        );
        let long = FieldCommand::ReportInput {
            input: "x".repeat(65),
            format: "aprs".into(),
            up: true,
        };
        assert!(matches!(
            run(&mut s, long, Role::FieldGateway, 4),
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
