//! Shared variables and the unlocked updates of them (docs/MODEL.md#shared-state).
//!
//! An `update` step is one CPU burst of `times × cost`. Its effect on the
//! variable is applied lazily, when the burst pauses or ends:
//!
//! - With a GIL, only the holder runs Python, so the updates of a stretch
//!   of the burst are applied together when it ends. A forced drop
//!   ([`Runtime::update_paused`]) lands between a read and its write with
//!   the chance `python::races::switch_inside` gives for the kind and
//!   version; the thread then holds the value it read, and writes it back
//!   plus one when it runs again ([`Runtime::run_update`]), erasing every
//!   update made meanwhile.
//! - Without a GIL, threads in update loops of the same variable run side
//!   by side; while `m` of them do, each update's open window (read to
//!   write, `python::races::open_window`) catches the others' writes at
//!   their rate, and of a write and those it catches only one survives.
//!   The losses of a stretch are drawn (Poisson) when the set of updating
//!   threads changes.

use super::*;
use crate::python::races;
use crate::results::SharedResult;
use crate::workload::{Update, UpdateKind};

/// A `[shared]` variable during a run.
pub(super) struct SharedVar {
    /// Its value now.
    pub(super) value: i64,
    /// Its value at the start.
    pub(super) initial: i64,
    /// Updates completed (a late write counts once, when it is made).
    pub(super) applied: u64,
    /// Threads in an update loop of it now, without a GIL: who, one
    /// update's time, its open window's share.
    active: Vec<(ThreadId, Nanos, f64)>,
    /// When `active` last changed.
    since: Nanos,
    /// Draws of the losses without a GIL: `shared/NAME`.
    rng: Stream,
}

impl SharedVar {
    /// The variable `name` starting at `initial`, for a run with `seed`.
    pub(super) fn new(name: &str, initial: i64, seed: u64) -> Self {
        SharedVar {
            value: initial,
            initial,
            applied: 0,
            active: Vec::new(),
            since: 0,
            rng: Stream::new(seed, &format!("shared/{name}")),
        }
    }

    /// Updates lost so far: the value it would have without races, minus its value.
    pub(super) fn lost(&self) -> i128 {
        i128::from(self.initial) + i128::from(self.applied) - i128::from(self.value)
    }
}

/// A thread's update loop in progress.
#[derive(Debug, Clone, Copy)]
pub(super) struct UpdateRun {
    var: usize,
    /// One update's CPU time.
    per: Nanos,
    times: u64,
    /// The loop's CPU time.
    total: Nanos,
    /// Updates whose effect is applied.
    done: u64,
    /// The value read before a switch that fell inside an update.
    stale: Option<i64>,
    /// The chance that a forced drop falls inside an update.
    inside: f64,
}

impl Runtime {
    /// Runs an `update` op: starts its loop, or resumes it after a check
    /// point, first writing back a value read before the switch.
    pub(super) fn run_update(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        per: Nanos,
        u: Update,
        q: &mut EventQueue<Event>,
    ) {
        if let Some(rest) = self.threads[tid].split_rest.take() {
            self.write_back(now, tid);
            self.burst(now, tid, rest, BurstKind::Python, Next::UpdateDone, q);
            return;
        }
        let total = per.saturating_mul(u.times);
        self.step_cpu = self.step_cpu.saturating_add(total);
        self.threads[tid].update = Some(UpdateRun {
            var: u.var,
            per,
            times: u.times,
            total,
            done: 0,
            stale: None,
            inside: races::switch_inside(u.kind, self.python.version),
        });
        if !self.python.gil_enabled {
            self.free_enter(now, u.var, tid, per, u.kind);
        }
        self.burst(now, tid, total, BurstKind::Python, Next::UpdateDone, q);
    }

    /// A forced drop at a check point of an update loop: the updates of the
    /// stretch that ends are applied, and the drop may fall between a read
    /// and its write.
    pub(super) fn update_paused(&mut self, tid: ThreadId) {
        let (Some(mut run), Some(rest)) = (self.threads[tid].update, self.threads[tid].split_rest)
        else {
            return;
        };
        let by_time = run.total.saturating_sub(rest) / run.per.max(1);
        let k = by_time.saturating_sub(run.done).min(run.times - run.done);
        let var = &mut self.shared[run.var];
        var.value = var
            .value
            .saturating_add(i64::try_from(k).unwrap_or(i64::MAX));
        var.applied = var.applied.saturating_add(k);
        run.done += k;
        if run.done < run.times {
            let w = self.threads[tid].workload;
            if self.workloads[w].runtime_rng.unit() < run.inside {
                run.stale = Some(self.shared[run.var].value);
            }
        }
        self.threads[tid].update = Some(run);
    }

    /// Back on the GIL after a switch that fell inside an update: the
    /// thread writes the value it read plus one.
    fn write_back(&mut self, now: Nanos, tid: ThreadId) {
        let Some(run) = self.threads[tid].update.as_mut() else {
            return;
        };
        let Some(read) = run.stale.take() else {
            return;
        };
        run.done += 1;
        let var = &mut self.shared[run.var];
        let erased = var.value > read;
        var.value = read.saturating_add(1);
        var.applied = var.applied.saturating_add(1);
        if erased {
            self.record_mark(now, tid, MarkKind::LostUpdate);
        }
    }

    /// The end of an update loop: its remaining updates are applied.
    pub(super) fn update_done(&mut self, now: Nanos, tid: ThreadId) {
        let Some(run) = self.threads[tid].update.take() else {
            return;
        };
        if !self.python.gil_enabled {
            self.free_leave(now, run.var, tid);
        }
        let k = run.times - run.done;
        let var = &mut self.shared[run.var];
        var.value = var
            .value
            .saturating_add(i64::try_from(k).unwrap_or(i64::MAX));
        var.applied = var.applied.saturating_add(k);
    }

    /// A thread starts an update loop without a GIL.
    fn free_enter(&mut self, now: Nanos, var: usize, tid: ThreadId, per: Nanos, kind: UpdateKind) {
        self.free_losses(now, var);
        let window = races::open_window(kind, self.python.version);
        self.shared[var].active.push((tid, per.max(1), window));
    }

    /// A thread leaves an update loop without a GIL.
    fn free_leave(&mut self, now: Nanos, var: usize, tid: ThreadId) {
        self.free_losses(now, var);
        self.shared[var].active.retain(|a| a.0 != tid);
    }

    /// The writes lost since `active` last changed. While `m` threads
    /// update on `c` cores, each runs `min(1, c/m)` of the time, and another
    /// one runs beside it `min(1, (c-1)/(m-1))` of that time. Thread `a`'s
    /// update is open for `window_a × per_a`, in which the others write `k`
    /// times on average; of a write and the `k` writes inside its window
    /// only one survives, so `k / (1 + k)` of `a`'s writes are lost.
    fn free_losses(&mut self, now: Nanos, var: usize) {
        let cores = f64::from(self.machine.config().cores.max(1));
        let v = &mut self.shared[var];
        let span = now.saturating_sub(v.since) as f64;
        v.since = now;
        let m = v.active.len();
        if m < 2 || span == 0.0 {
            return;
        }
        let mf = m as f64;
        let running = (cores / mf).min(1.0);
        let beside = ((cores - 1.0) / (mf - 1.0)).min(1.0);
        let mut mean = 0.0;
        for (a, &(_, per_a, window_a)) in v.active.iter().enumerate() {
            let writes = span * running / per_a as f64;
            let k: f64 = v
                .active
                .iter()
                .enumerate()
                .filter(|(b, _)| *b != a)
                .map(|(_, &(_, per_b, _))| beside * window_a * per_a as f64 / per_b as f64)
                .sum();
            mean += writes * k / (1.0 + k);
        }
        let lost = poisson(&mut v.rng, mean);
        v.value = v
            .value
            .saturating_sub(i64::try_from(lost).unwrap_or(i64::MAX));
    }

    /// The `[shared]` variables workload `w`'s steps update, summed; `None` when none.
    pub(super) fn shared_result(&self, w: usize) -> Option<SharedResult> {
        let mut vars: Vec<usize> = self.workloads[w]
            .ops
            .iter()
            .filter_map(|op| match op {
                Op::Update(u) => Some(u.var),
                _ => None,
            })
            .collect();
        vars.sort_unstable();
        vars.dedup();
        if vars.is_empty() {
            return None;
        }
        let mut r = SharedResult {
            updates: 0,
            lost: 0,
            final_value: 0,
            expected: 0,
        };
        for v in vars.iter().map(|&i| &self.shared[i]) {
            r.updates = r.updates.saturating_add(v.applied);
            r.lost += v.lost();
            r.final_value += i128::from(v.value);
            r.expected += i128::from(v.initial) + i128::from(v.applied);
        }
        Some(r)
    }
}

/// A Poisson draw of mean `mean` (Knuth's product of uniforms below 30, a
/// rounded normal above).
fn poisson(rng: &mut Stream, mean: f64) -> u64 {
    if mean <= 0.0 || !mean.is_finite() {
        return 0;
    }
    if mean < 30.0 {
        let limit = (-mean).exp();
        let mut k = 0u64;
        let mut p = rng.unit();
        while p > limit {
            k += 1;
            p *= rng.unit();
        }
        return k;
    }
    (mean + mean.sqrt() * rng.standard_normal())
        .round()
        .max(0.0) as u64
}
