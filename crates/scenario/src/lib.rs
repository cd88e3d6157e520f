//! Drills (演练): the scenario file format and its validation, the drill
//! clock, the engine that turns a scenario into commands, headless runs,
//! evaluation, and the summary report.
//!
//! Pure: no I/O besides parsing the strings handed in, no wall clock. The
//! engine's commands go through the same `domain::decide`/`apply` as the
//! players', as the drill director role, into a drill realm only.

pub mod clock;
pub mod engine;
pub mod evaluate;
pub mod format;
pub mod load;
pub mod model;
pub mod playbook;
pub mod report;
pub mod rng;
pub mod run;

pub use clock::{ClockError, ClockState, DrillClock};
pub use engine::{Due, Engine};
pub use evaluate::{Evaluation, Judgement, Rating, evaluate};
pub use load::{ScenarioError, ScenarioErrors, load, parse_offset};
pub use model::Scenario;
pub use playbook::{PlayerAction, load_playbook};
pub use report::{SummaryReport, summary};
pub use run::{RunOutcome, run_headless};
