//! A study: every point of a sweep times every replication, run in parallel.
//!
//! Runs are independent, so they go to a rayon pool of `jobs` threads; the
//! results are put back in (point, replication) order before anything is
//! written, so the outputs are byte-identical whatever `jobs` is and
//! whatever order runs finish in. A shard `K/N` keeps the points
//! [`assign`] gives it: shards of about equal estimated cost.

use rayon::prelude::*;

use crate::engine::Budget;
use crate::engine::random::replication_seed;
use crate::scenario::Study;
use crate::scenario::cost;
use crate::simulation::{self, RunError, RunOptions, RunOutput};

/// `--shard K/N`: run the points [`assign`] gives shard K of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 0.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// Parses `K/N` with `0 <= K < N`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("expected K/N such as 0/3, found `{text}`"))?;
        let index: usize = k
            .trim()
            .parse()
            .map_err(|_| format!("shard index `{k}` is not a number (in `{text}`)"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("shard count `{n}` is not a number (in `{text}`)"))?;
        if count == 0 || index >= count {
            return Err(format!(
                "shard `{text}`: expected 0 <= K < N (shards are numbered from 0)"
            ));
        }
        Ok(Shard { index, count })
    }

    /// The shard's own folder, `shard-K-of-N`: under `output/<name>/`, or
    /// under `--out DIR`, so that shards never write over each other.
    pub fn folder(&self) -> String {
        format!("shard-{}-of-{}", self.index, self.count)
    }

    /// Reads a shard folder's name, `shard-K-of-N`.
    pub fn from_folder(name: &str) -> Option<Shard> {
        let (k, n) = name.strip_prefix("shard-")?.split_once("-of-")?;
        let shard = Shard {
            index: k.parse().ok()?,
            count: n.parse().ok()?,
        };
        (shard.index < shard.count && shard.folder() == name).then_some(shard)
    }

    /// Where this shard writes, given `--out DIR` (or `output/<name>`):
    /// `DIR/shard-K-of-N`, or `DIR` itself when it is already this shard's
    /// folder.
    pub fn out_dir(&self, dir: &std::path::Path) -> std::path::PathBuf {
        if dir.file_name().and_then(|n| n.to_str()) == Some(self.folder().as_str()) {
            dir.to_path_buf()
        } else {
            dir.join(self.folder())
        }
    }
}

/// `--max-events N` and `--max-wall DURATION`: bounds on every run of a
/// study. A run that reaches one fails, and the study writes nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Events one run may handle (deterministic: the same event everywhere).
    pub max_events: Option<u64>,
    /// Wall-clock time the whole study may take, from `started`.
    pub max_wall: Option<std::time::Duration>,
}

impl Limits {
    /// The engine's budget for a run of a study that started at `started`.
    pub fn budget(&self, started: std::time::Instant) -> Budget {
        Budget {
            max_events: self.max_events,
            // A limit too far to represent is no limit.
            deadline: self.max_wall.and_then(|d| started.checked_add(d)),
        }
    }
}

/// One run of a study.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Index into [`Study::points`].
    pub point: usize,
    /// Replication index, from 0.
    pub replication: u32,
    /// What it produced.
    pub output: RunOutput,
}

/// A run that failed, with where it was in the study.
#[derive(Debug, Clone, PartialEq)]
pub struct Failed {
    /// Point index.
    pub point: usize,
    /// Replication index.
    pub replication: u32,
    /// What stopped it: a deadlock, or a limit.
    pub error: RunError,
}

/// The shard of each point when `study` is split `count` ways, by point
/// index: points in decreasing estimated cost ([`cost::point_cost`]; equal
/// costs by index), each to the shard with the least cost so far (the
/// lowest-numbered of equals). Longest-processing-time-first keeps the
/// slowest shard within 4/3 of the best split of the estimates, and depends
/// only on the study, so every shard of an array computes the same split.
pub fn assign(study: &Study, count: usize) -> Vec<usize> {
    let count = count.max(1);
    let mut order: Vec<(u128, usize)> = study
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| (cost::point_cost(&p.scenario), i))
        .collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut load = vec![0u128; count];
    let mut shard_of = vec![0; study.points.len()];
    for (c, i) in order {
        let k = (0..count).min_by_key(|&k| (load[k], k)).unwrap_or(0);
        load[k] = load[k].saturating_add(c);
        shard_of[i] = k;
    }
    shard_of
}

/// The (point, replication) pairs a study runs, in output order.
pub fn plan(study: &Study, shard: Option<Shard>) -> Vec<(usize, u32)> {
    let shard_of = shard.map(|s| assign(study, s.count));
    let mut runs = Vec::new();
    for (i, p) in study.points.iter().enumerate() {
        if let (Some(s), Some(of)) = (shard, &shard_of)
            && of[i] != s.index
        {
            continue;
        }
        for r in 0..p.scenario.replications {
            runs.push((i, r));
        }
    }
    runs
}

/// Runs `plan` on `jobs` threads, calling `progress` after each run.
/// Returns the runs in plan order, or the first failure in plan order (every
/// run is made, so which failure is reported does not depend on timing).
pub fn run(
    study: &Study,
    plan: &[(usize, u32)],
    jobs: usize,
    options: impl Fn(usize, u32) -> RunOptions + Sync,
    progress: impl Fn() + Sync,
) -> Result<Vec<Run>, Failed> {
    let one = |&(point, replication): &(usize, u32)| -> Result<Run, Failed> {
        let scenario = &study.points[point].scenario;
        let seed = replication_seed(scenario.seed, replication);
        let result = simulation::run(scenario, seed, options(point, replication));
        progress();
        match result {
            Ok(output) => Ok(Run {
                point,
                replication,
                output,
            }),
            Err(error) => Err(Failed {
                point,
                replication,
                error,
            }),
        }
    };
    let results: Vec<Result<Run, Failed>> = if jobs <= 1 {
        plan.iter().map(one).collect()
    } else {
        match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
            // One run per rayon job: runs differ in cost by 100x (a 1-core
            // convoy point against an 8-core one), and rayon's default
            // splitting leaves chunks of a quarter of the plan to one thread.
            Ok(pool) => pool.install(|| plan.par_iter().with_max_len(1).map(one).collect()),
            Err(_) => plan.iter().map(one).collect(),
        }
    };
    results.into_iter().collect()
}
