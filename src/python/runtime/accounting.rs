//! What the runtime counts: completions and latencies, thread lifetimes and
//! waits inside the statistics window, resident memory, and the per-workload
//! results read at the end of a run.

use super::*;
use crate::engine::time::Nanos;
use crate::machine::ThreadId;
use crate::results::{KEEP_UP, LoadResult};

impl Runtime {
    /// An agent thread ran the program of `done` (picked up, maybe with a
    /// branch): the task travels on in the message it holds (a chunk's
    /// tasks run in order) or in the act that completes it.
    pub(super) fn task_ran(&mut self, tid: ThreadId, done: Task) {
        let agent = &mut self.models.agents[tid];
        let next = agent
            .plan
            .iter_mut()
            .find(|a| matches!(a, plan::Act::IterationDone(_) | plan::Act::Program(_)));
        if let Some(plan::Act::IterationDone(t)) = next {
            *t = done;
            return;
        }
        if let Some(slot) = agent.msg.as_mut().and_then(|m| m.tasks.get_mut(agent.ran)) {
            *slot = done;
            agent.ran += 1;
        }
    }

    /// The results of each branch of workload `w`'s `one_of` step.
    fn branch_results(&self, w: usize, window_s: f64) -> Vec<crate::results::BranchResult> {
        let wl = &self.workloads[w];
        let Some(mix) = wl.step_names.mixes.first() else {
            return Vec::new();
        };
        let ms = |ns: u64| ns as f64 / 1e6;
        let p50_p99 = |s: &LatencyStats| {
            s.quantile(0.5)
                .zip(s.quantile(0.99))
                .map(|(a, b)| [ms(a), ms(b)])
        };
        mix.labels
            .iter()
            .zip(&wl.branches)
            .map(|(label, b)| crate::results::BranchResult {
                label: label.clone(),
                tasks_completed: b.completed,
                throughput_per_s: if window_s > 0.0 {
                    b.completed as f64 / window_s
                } else {
                    0.0
                },
                latency_ms: b.latency.mean().map(|mean| {
                    let q = |p: f64| ms(b.latency.quantile(p).unwrap_or(0));
                    [
                        mean / 1e6,
                        q(0.5),
                        q(0.95),
                        q(0.99),
                        ms(b.latency.max().unwrap_or(0)),
                    ]
                }),
                wait_ms: p50_p99(&b.wait),
                service_ms: p50_p99(&b.service),
            })
            .collect()
    }

    /// Per-workload results for the window `[warmup, end]`.
    pub fn results(&mut self, end: Nanos, events: u64) -> Vec<WorkloadResult> {
        // Close the open intervals of live threads at `end`.
        for tid in 0..self.threads.len() {
            if self.threads[tid].alive {
                self.close_thread_intervals(tid, end);
            }
        }
        self.aio_close_intervals(end);
        let window = end.saturating_sub(self.warmup);
        let window_s = window as f64 / 1e9;
        let cores = self.machine.cores() as u32;
        let frac = |x: f64, d: f64| if d > 0.0 { x / d } else { 0.0 };
        let busy = self
            .machine
            .busy_time(end)
            .saturating_sub(self.snapshot.busy);
        let cpu_utilization = frac(busy as f64, f64::from(cores) * window as f64);
        let run_busy = self.machine.busy_time(end);
        let gil = self.python.gil_enabled;
        let (gil_held, switches) = self.interps[0].window(end);
        let context_switches =
            self.machine.counters().context_switches - self.snapshot.context_switches;
        let peak_rss_mb = self.peak_rss as f64 / 1e6;
        let worker_gil: Vec<Option<(f64, u64)>> = (0..self.workloads.len())
            .map(|w| self.worker_gil_stats(w, end))
            .collect();
        let _loop_owner = self.aio_owner();
        let _owner_gil: Vec<(u128, u128)> = self
            .workloads
            .iter()
            .map(|w| (w.gil_wait_ns, w.thread_life_ns))
            .collect();
        let lags: Vec<Option<f64>> = (0..self.workloads.len())
            .map(|w| self.loop_lag_p99_ms(w))
            .collect();
        self.workloads
            .iter()
            .zip(worker_gil)
            .enumerate()
            .map(|(i, (w, worker_gil))| {
                let ms = |ns: f64| ns / 1e6;
                let latency_ms = w.latency.mean().map(|mean| {
                    let q = |p: f64| ms(w.latency.quantile(p).unwrap_or(0) as f64);
                    [
                        ms(mean),
                        q(0.5),
                        q(0.95),
                        q(0.99),
                        ms(w.latency.max().unwrap_or(0) as f64),
                    ]
                });
                let p50_p99 = |s: &LatencyStats| {
                    let q = |p: f64| s.quantile(p).map(|ns| ms(ns as f64));
                    q(0.5).zip(q(0.99)).map(|(a, b)| [a, b])
                };
                let load = matches!(w.arrival, Arrival::Rate(_)).then(|| {
                    let [arrived0, _, picked0] = w.at_warmup;
                    let offered_per_s = frac(w.arrived.saturating_sub(arrived0) as f64, window_s);
                    let backlog_end = w.arrived.saturating_sub(w.picked);
                    let backlog0 = arrived0.saturating_sub(picked0);
                    let throughput = frac(w.completed_in_window as f64, window_s);
                    LoadResult {
                        offered_per_s,
                        backlog_end,
                        backlog_growth_per_s: frac(backlog_end as f64 - backlog0 as f64, window_s),
                        overloaded: throughput < KEEP_UP * offered_per_s,
                    }
                });
                WorkloadResult {
                    load,
                    wait_ms: p50_p99(&w.wait),
                    service_ms: p50_p99(&w.service),
                    branches: self.branch_results(i, window_s),
                    workload: w.name.clone(),
                    model: w.model.name().to_string(),
                    workers: self.workers_label(i),
                    cores,
                    tasks_completed: w.completed_in_window,
                    sim_time_s: end as f64 / 1e9,
                    throughput_per_s: frac(w.completed_in_window as f64, window_s),
                    latency_ms,
                    cpu_utilization,
                    gil_held_fraction: gil.then(|| match worker_gil {
                        Some((held, _)) => held,
                        None => frac(gil_held as f64, window as f64),
                    }),
                    gil_wait_fraction: gil.then(|| {
                        let (wait, life) = self.gil_wait_of(i);
                        frac(wait as f64, life as f64)
                    }),
                    gil_switches: gil.then_some(worker_gil.map_or(switches, |(_, s)| s)),
                    context_switches,
                    peak_rss_mb,
                    events,
                    tasks_in_flight: w.arrived - w.completed,
                    loop_lag_p99_ms: lags[i],
                    ipc_cpu_fraction: w
                        .pool
                        .is_some()
                        .then(|| frac(w.ipc_cpu as f64, run_busy as f64)),
                    sync: self.busiest_sync(w, end),
                    queue: self.queue_result(i, end),
                    shared: self.shared_result(i),
                    blocked_on_stage: w
                        .put_blocked_ns
                        .iter()
                        .enumerate()
                        .filter(|(_, ns)| **ns > 0)
                        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
                        .map(|(d, ns)| {
                            (
                                self.workloads[d].name.clone(),
                                // A process pool's puts come from a few of its
                                // threads (the result handler, or a stage's workers).
                                frac(
                                    *ns as f64,
                                    if w.pool.is_some() && w.putter_life_ns > 0 {
                                        w.putter_life_ns
                                    } else {
                                        self.producer_life_ns(i)
                                    } as f64,
                                ),
                            )
                        }),
                }
            })
            .collect()
    }

    /// The scenario lock or semaphore `w`'s program uses that was busiest
    /// in the window ending at `end`.
    pub(super) fn busiest_sync(&self, w: &WorkloadState, end: Nanos) -> Option<SyncStat> {
        let window = end.saturating_sub(self.warmup);
        let used = w.ops.iter().filter_map(|op| match *op {
            Op::LockAcquire(l) => self.sync_index(Wait::Lock(l)),
            Op::SemAcquire(s) => self.sync_index(Wait::Semaphore(s)),
            _ => None,
        });
        let (i, busy) = used
            .map(|i| (i, self.sync_busy[i].busy_until(end, self.warmup)))
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
        let locks = self.scenario_locks;
        let what = if i < locks {
            format!("lock `{}`", self.lock_names[i])
        } else {
            format!("semaphore `{}`", self.semaphore_names[i - locks])
        };
        let frac = |x: f64, d: f64| if d > 0.0 { x / d } else { 0.0 };
        Some(SyncStat {
            what,
            busy_fraction: frac(busy as f64, window as f64),
            wait_fraction: (!w.driver.coroutines())
                .then(|| frac(w.sync_wait_ns[i] as f64, w.thread_life_ns as f64)),
        })
    }

    pub(super) fn close_thread_intervals(&mut self, tid: ThreadId, now: Nanos) {
        if let Some((_, i)) = self.threads[tid].sync_wait_since {
            self.end_sync_wait(tid, now);
            self.threads[tid].sync_wait_since = Some((now, i));
        }
        if let Some((_, stage)) = self.models.stage_threads[tid].put_wait_since {
            self.end_put_wait(tid, now);
            self.models.stage_threads[tid].put_wait_since = Some((now, stage));
        }
        let t = &mut self.threads[tid];
        let w = t.workload;
        if let Some(since) = t.gil_wait_since.take() {
            self.workloads[w].gil_wait_ns += u128::from(overlap(since, now, self.warmup));
        }
        let life = u128::from(overlap(t.born, now, self.warmup));
        self.workloads[w].thread_life_ns += life;
        if self.models.stage_threads[tid].putter {
            self.workloads[w].putter_life_ns += life;
        }
        t.born = now;
    }

    #[inline]
    pub(super) fn add_task_memory(&mut self, w: usize) {
        self.tasks_memory = self.tasks_memory.saturating_add(self.workloads[w].memory);
        self.update_rss();
    }

    #[inline]
    pub(super) fn update_rss(&mut self) {
        let rss = [
            self.python.process_rss.saturating_mul(self.live_processes),
            self.subinterpreters_rss,
            self.shapes_rss,
            self.python.thread_rss.saturating_mul(self.live_threads),
            self.python
                .asyncio
                .coroutine_rss
                .saturating_mul(self.live_coros),
            self.tasks_memory,
        ]
        .into_iter()
        .fold(0, u64::saturating_add);
        self.peak_rss = self.peak_rss.max(rss);
    }

    /// Counts a completed task of workload `w`.
    #[inline]
    pub(super) fn count_completion(&mut self, now: Nanos, w: usize, task: Task) {
        let wl = &mut self.workloads[w];
        wl.completed += 1;
        if now >= self.warmup {
            wl.completed_in_window += 1;
            wl.latency.record(now - task.arrival);
            let picked = task.picked.unwrap_or(task.arrival).clamp(task.arrival, now);
            wl.wait.record(picked - task.arrival);
            wl.service.record(now - picked);
            if let Some(b) = task
                .branch
                .and_then(|b| wl.branches.get_mut(usize::from(b)))
            {
                b.completed += 1;
                b.latency.record(now - task.arrival);
                b.wait.record(picked - task.arrival);
                b.service.record(now - picked);
            }
        }
        if matches!(wl.arrival, Arrival::Batch(_) | Arrival::After { .. }) {
            self.batch_left -= 1;
        }
        self.last_completion = now;
        self.tasks_memory = self.tasks_memory.saturating_sub(self.workloads[w].memory);
    }
}
