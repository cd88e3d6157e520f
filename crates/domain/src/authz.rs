//! Who may issue what: the authorization matrix, enforced in `decide`.

use crate::command::Command;
use crate::dispatch::OrderStep;
use crate::ids::{DeviceId, UserId};
use serde::{Deserialize, Serialize};

/// A role in the command centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    /// 带班领导: decides response levels, everything an officer does.
    Commander,
    /// 值班员: intake, reports, dispatch, supplies.
    DutyOfficer,
    /// 观察员: reads only.
    Observer,
    /// 现场网关: the radio bridge speaking for field teams.
    FieldGateway,
    /// 演练导演: sets up and plays drills, only in drill realms.
    DrillDirector,
    /// 系统管理员: world data, rules and roster; no operational decisions.
    Admin,
    /// The relay itself (timers such as acknowledgement time-outs).
    System,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 7] = [
        Role::Commander,
        Role::DutyOfficer,
        Role::Observer,
        Role::FieldGateway,
        Role::DrillDirector,
        Role::Admin,
        Role::System,
    ];

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Role::Commander => "带班领导",
            Role::DutyOfficer => "值班员",
            Role::Observer => "观察员",
            Role::FieldGateway => "现场网关",
            Role::DrillDirector => "演练导演",
            Role::Admin => "系统管理员",
            Role::System => "系统",
        }
    }

    /// Whether this role may issue commands of `class`.
    pub fn may(self, class: CommandClass) -> bool {
        use CommandClass::*;
        match self {
            Role::Commander => matches!(
                class,
                Intake
                    | Dispatch
                    | ResponseLevel
                    | Supplies
                    | TeamService
                    | FieldReport
                    | Roster
                    | Duty
            ),
            Role::DutyOfficer => {
                matches!(
                    class,
                    Intake | Dispatch | Supplies | TeamService | FieldReport | Duty
                )
            }
            Role::Observer => false,
            Role::FieldGateway => matches!(class, FieldReport | TeamService),
            Role::DrillDirector => {
                matches!(
                    class,
                    Setup | Intake | FieldReport | TeamService | Supplies | Drill
                )
            }
            Role::Admin => matches!(class, Setup | Roster),
            Role::System => matches!(class, Timer | FieldReport),
        }
    }
}

/// Groups of commands that share a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandClass {
    /// World data and rules: teams, depots, hazards, shelters.
    Setup,
    /// The duty roster.
    Roster,
    /// What the field reports: fixes, acknowledgements, arrival.
    FieldReport,
    /// A team going in or out of service.
    TeamService,
    /// Incident intake, casualties, warnings, reports, closing.
    Intake,
    /// Issuing, releasing and cancelling orders.
    Dispatch,
    /// Starting, changing or lifting a response level.
    ResponseLevel,
    /// Reserving and moving supplies.
    Supplies,
    /// Relay timers.
    Timer,
    /// Shift handover.
    Duty,
    /// Drill clock and scenario messages.
    Drill,
}

impl CommandClass {
    /// The class a command belongs to.
    pub fn of(cmd: &Command) -> CommandClass {
        use CommandClass::*;
        match cmd {
            Command::RegisterTeam(_)
            | Command::RegisterDepot(_)
            | Command::RegisterHazard(_)
            | Command::RegisterShelter(_)
            | Command::SetRules(_) => Setup,
            Command::SetRoster(_) => Roster,
            // Binding a radio to a team decides whose position it shows:
            // an officer's decision, like dispatch.
            Command::Field(
                crate::field::FieldCommand::BindDevice { .. }
                | crate::field::FieldCommand::UnbindDevice { .. },
            ) => Dispatch,
            Command::ReportFix { .. } | Command::RequestSupport { .. } | Command::Field(_) => {
                FieldReport
            }
            Command::SetTeamService { .. } => TeamService,
            Command::OpenIncident(_)
            | Command::UpdateCasualties { .. }
            | Command::SetWarning { .. }
            | Command::FileReport { .. }
            | Command::CloseIncident { .. } => Intake,
            Command::SetResponseLevel { .. } => ResponseLevel,
            Command::IssueOrder { .. } => Dispatch,
            Command::AdvanceOrder { step, .. } => match step {
                OrderStep::TimedOut => Timer,
                OrderStep::Released | OrderStep::Cancelled { .. } => Dispatch,
                _ => FieldReport,
            },
            Command::ReserveSupplies { .. }
            | Command::DispatchSupplies { .. }
            | Command::DeliverSupplies { .. }
            | Command::SettleSupplies { .. }
            | Command::CancelReservation { .. }
            | Command::Replenish { .. } => Supplies,
            Command::StartCall { .. } | Command::CloseCall { .. } => Dispatch,
            Command::AnswerCall { .. } => FieldReport,
            Command::GiveHandover { .. } | Command::AcceptHandover { .. } => Duty,
            Command::Drill(_) => Drill,
        }
    }
}

/// Who did something: user, role and the device it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// User account.
    pub user: UserId,
    /// Role the user acted in.
    pub role: Role,
    /// Console, radio or gateway.
    pub device: DeviceId,
}

impl Actor {
    /// An actor from plain strings.
    pub fn new(user: &str, role: Role, device: &str) -> Self {
        Self {
            user: UserId::new(user),
            role,
            device: DeviceId::new(device),
        }
    }
}
