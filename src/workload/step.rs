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
}

impl Step {
    /// CPU time this step and its nested steps need on average, in nanoseconds.
    pub fn mean_cpu(&self) -> f64 {
        match self {
            Step::Cpu(d) | Step::CpuHeld(d) | Step::CpuNogil(d) => d.mean(),
            Step::Io(_) | Step::Sleep(_) | Step::BlockingIo(_) => 0.0,
            Step::WaitEvent(_)
            | Step::SetEvent(_)
            | Step::ClearEvent(_)
            | Step::Wait(_)
            | Step::Notify { .. } => 0.0,
            Step::Lock { steps, .. } | Step::Semaphore { steps, .. } | Step::ToThread(steps) => {
                steps.iter().map(Step::mean_cpu).sum()
            }
        }
    }
}
