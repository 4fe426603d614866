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
    /// Wall-clock time of the simulation, in seconds.
    pub wall_time_s: f64,
    /// Files written next to the manifest.
    pub files: Vec<String>,
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
