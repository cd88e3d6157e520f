//! Behavioural tests of `decide`/`apply` over a small world, including
//! property tests over random command sequences.

mod deadlines;
mod dispatch;
mod duty;
mod narrative;
mod properties;
mod recommendation;
mod supplies;
pub(crate) mod world;
