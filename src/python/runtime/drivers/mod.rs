//! One driver per run model: how its tasks arrive, which threads it starts
//! and what they do besides running the workload's program.

pub(super) mod asyncio;
pub(super) mod processes;
pub(super) mod stages;
pub(super) mod threads;
