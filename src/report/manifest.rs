//! `manifest.json`: what produced a result folder.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The manifest's content.
#[derive(Debug, Serialize)]
pub struct Manifest {
    /// gilsim version.
    pub gilsim_version: String,
    /// The scenario file as given.
    pub scenario: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// `--set` overrides applied.
    pub overrides: Vec<String>,
    /// Seed used.
    pub seed: u64,
    /// Profile the parameters came from.
    pub profile: String,
    /// The command line.
    pub command_line: Vec<String>,
    /// Points in the study's sweep.
    pub points: usize,
    /// `K/N` when only one shard of the points ran.
    pub shard: Option<String>,
    /// Runs made (points of this shard times replications).
    pub runs: usize,
    /// Runs in parallel (does not change results).
    pub jobs: usize,
    /// Events simulated, over all runs.
    pub events: u64,
    /// Of `events`, those that found what they were for already changed (a
    /// burst cut short, a timeout after its wait ended) and did nothing.
    pub stale_events: u64,
    /// Events due at once (a zero-length burst, a free context switch)
    /// handled at their place in the event order without being queued:
    /// the same run, not counted in `events`.
    pub events_in_place: u64,
    /// Simulated time, summed over all runs, in seconds.
    pub simulated_s: f64,
    /// Tasks completed, over all runs and workloads.
    pub tasks_completed: u64,
    /// Wall-clock time of the simulation, in seconds.
    pub wall_time_s: f64,
    /// How fast the simulator ran: events and simulated seconds per wall
    /// second, and how dense the model is: events per simulated second and
    /// per completed task (the triplet OMNeT++ reports, plus the last).
    pub speed: Speed,
    /// Files written next to the manifest.
    pub files: Vec<String>,
}

/// Simulation speed and model density, derived from a manifest's counts.
#[derive(Debug, Serialize)]
pub struct Speed {
    /// Events handled per wall-clock second.
    pub events_per_wall_s: f64,
    /// Simulated seconds per wall-clock second.
    pub simulated_s_per_wall_s: f64,
    /// Events per simulated second.
    pub events_per_simulated_s: f64,
    /// Events per completed task (`null` when no task completed).
    pub events_per_task: Option<f64>,
}

impl Speed {
    /// The ratios of `events`, `simulated_s` and `tasks` over `wall_s`.
    pub fn new(events: u64, simulated_s: f64, tasks: u64, wall_s: f64) -> Speed {
        let per = |x: f64, y: f64| if y > 0.0 { x / y } else { 0.0 };
        Speed {
            events_per_wall_s: per(events as f64, wall_s),
            simulated_s_per_wall_s: per(simulated_s, wall_s),
            events_per_simulated_s: per(events as f64, simulated_s),
            events_per_task: (tasks > 0).then(|| events as f64 / tasks as f64),
        }
    }
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
