//! The steps a task's program is made of (docs/MODEL.md#steps).

use crate::engine::random::Dist;

/// One step of a task's program.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Pure-Python code: needs a core and the GIL; preemptible at eval-breaker check points.
    Cpu(Dist),
    /// A C call that keeps the GIL (`re`, `list.sort`, `json`): cannot be interrupted.
    CpuHeld(Dist),
    /// A C call that releases the GIL (`hashlib`, `zlib`, NumPy): needs a core only.
    CpuNogil(Dist),
    /// Blocking I/O that waits (`socket.recv`): no core, no GIL.
    Io(Dist),
    /// `time.sleep`: a timer, no core, no GIL. In asyncio, `asyncio.sleep` (a `call_later` timer).
    Sleep(Dist),
    /// A blocking call inside a coroutine: blocks the whole event loop thread
    /// (GIL released). Outside asyncio it is the same as [`Step::Io`].
    BlockingIo(Dist),
    /// `await asyncio.to_thread(f)` (asyncio only): the nested steps run in
    /// the loop's default executor, a thread pool of the same interpreter.
    ToThread(Vec<Step>),
    /// `with lock:` around nested steps; `lock` indexes the program's lock list (`Scenario::locks`).
    Lock { lock: usize, steps: Vec<Step> },
    /// `with sem:` around nested steps; `semaphore` indexes its `[semaphores]` (`Scenario::semaphores`).
    Semaphore { semaphore: usize, steps: Vec<Step> },
    /// `ev.wait()`; the index is into its events then conditions (`Scenario::syncs`).
    WaitEvent(usize),
    /// `ev.set()`: wakes every waiter.
    SetEvent(usize),
    /// `ev.clear()`.
    ClearEvent(usize),
    /// `with cond: cond.wait()` on a condition of its events then conditions (`Scenario::syncs`).
    Wait(usize),
    /// `with cond: cond.notify(n)`; `n = None` is `notify_all()`.
    Notify { condition: usize, n: Option<u32> },
    /// Updates of a `[shared]` variable without a lock: a loop of
    /// read-modify-writes that another thread may interleave (docs/MODEL.md#shared-state).
    Update(Update),
    /// `for _ in range(times):` around nested steps: they run `times` times in a row.
    Repeat { times: u64, steps: Vec<Step> },
    /// A step with a `name`, shown in traces and deadlock reports.
    Named { name: String, step: Box<Step> },
    /// One of several branches of steps, drawn per task by weight (a
    /// request mix); at most one per workload, its branch reported per task.
    OneOf(Vec<Branch>),
}

/// A branch of a [`Step::OneOf`].
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// Its relative weight (at least 1).
    pub weight: u64,
    /// Its label in results; default its position from 1.
    pub name: Option<String>,
    /// What a task that takes it runs.
    pub steps: Vec<Step>,
}

impl Branch {
    /// The branches' labels: each `name`, or the position from 1.
    pub fn labels(branches: &[Branch]) -> Vec<String> {
        branches
            .iter()
            .enumerate()
            .map(|(i, b)| b.name.clone().unwrap_or_else(|| (i + 1).to_string()))
            .collect()
    }

    /// The weighted mean of `f` over the branches.
    pub fn weighted(branches: &[Branch], f: impl Fn(&[Step]) -> f64) -> f64 {
        let total: f64 = branches.iter().map(|b| b.weight as f64).sum();
        if total <= 0.0 {
            return 0.0;
        }
        branches
            .iter()
            .map(|b| b.weight as f64 * f(&b.steps))
            .sum::<f64>()
            / total
    }
}

/// An `update` step: `times` updates of shared variable `var` in a loop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Update {
    /// Index into `Scenario::shared`.
    pub var: usize,
    /// What one update is in Python.
    pub kind: UpdateKind,
    /// Updates in a row (the loop's iterations).
    pub times: u64,
    /// CPU time of one update with its loop overhead, drawn once per step.
    pub cost: Dist,
}

/// The Python statement an `update` step stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateKind {
    /// `x += 1` on a module global or an attribute: load, add, store.
    Iadd,
    /// `d[k] = d[k] + 1` with a key whose hash and equality are C (`str`, `int`).
    DictRmw,
    /// `d[k] = d[k] + 1` with a key class that defines `__hash__` and `__eq__` in Python.
    DictRmwPyHash,
    /// `lst.append(x)`: one C call.
    Append,
    /// `d[k] = v`: one C call.
    SetItem,
}

impl UpdateKind {
    /// Every kind with its name in a scenario file.
    pub const ALL: [(&'static str, UpdateKind); 5] = [
        ("iadd", UpdateKind::Iadd),
        ("dict_rmw", UpdateKind::DictRmw),
        ("dict_rmw_pyhash", UpdateKind::DictRmwPyHash),
        ("append", UpdateKind::Append),
        ("setitem", UpdateKind::SetItem),
    ];

    /// The kind's name in a scenario file.
    pub fn name(self) -> &'static str {
        UpdateKind::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("iadd", |(n, _)| n)
    }
}

impl Step {
    /// CPU time this step and its nested steps need on average, in nanoseconds.
    pub fn mean_cpu(&self) -> f64 {
        match self {
            Step::Cpu(d) | Step::CpuHeld(d) | Step::CpuNogil(d) => d.mean(),
            Step::Update(u) => u.cost.mean() * u.times as f64,
            Step::Io(_) | Step::Sleep(_) | Step::BlockingIo(_) => 0.0,
            Step::WaitEvent(_)
            | Step::SetEvent(_)
            | Step::ClearEvent(_)
            | Step::Wait(_)
            | Step::Notify { .. } => 0.0,
            Step::Lock { steps, .. } | Step::Semaphore { steps, .. } | Step::ToThread(steps) => {
                steps.iter().map(Step::mean_cpu).sum()
            }
            Step::Repeat { times, steps } => {
                *times as f64 * steps.iter().map(Step::mean_cpu).sum::<f64>()
            }
            Step::Named { step, .. } => step.mean_cpu(),
            Step::OneOf(branches) => {
                Branch::weighted(branches, |s| s.iter().map(Step::mean_cpu).sum())
            }
        }
    }

    /// The `one_of` steps in `steps`, nested ones included.
    pub fn one_of_count(steps: &[Step]) -> usize {
        steps
            .iter()
            .map(|s| match s {
                Step::OneOf(branches) => {
                    1 + branches
                        .iter()
                        .map(|b| Step::one_of_count(&b.steps))
                        .sum::<usize>()
                }
                Step::Lock { steps, .. }
                | Step::Semaphore { steps, .. }
                | Step::ToThread(steps)
                | Step::Repeat { steps, .. } => Step::one_of_count(steps),
                Step::Named { step, .. } => Step::one_of_count(std::slice::from_ref(step)),
                _ => 0,
            })
            .sum()
    }

    /// The operations the step compiles to (`python::program`), nested
    /// steps and repeats included, saturating.
    pub fn op_count(&self) -> u64 {
        match self {
            Step::Lock { steps, .. } | Step::Semaphore { steps, .. } | Step::ToThread(steps) => {
                Step::ops_of(steps).saturating_add(2)
            }
            Step::Repeat { times, steps } => times.saturating_mul(Step::ops_of(steps)),
            Step::Named { step, .. } => step.op_count(),
            // The choice, each branch's steps, and a jump past the others.
            Step::OneOf(branches) => branches.iter().fold(1u64, |n, b| {
                n.saturating_add(Step::ops_of(&b.steps)).saturating_add(1)
            }),
            Step::WaitEvent(_) | Step::Wait(_) => 4,
            Step::SetEvent(_) | Step::ClearEvent(_) | Step::Notify { .. } => 3,
            _ => 1,
        }
    }

    /// [`Step::op_count`] of a list of steps.
    pub fn ops_of(steps: &[Step]) -> u64 {
        steps
            .iter()
            .fold(0u64, |n, s| n.saturating_add(s.op_count()))
    }
}
