//! One run of a scenario: build the runtime, drive the engine, collect results.

use crate::engine::time::Nanos;
use crate::engine::{self, Budget, EventQueue, Stop};
use crate::python::runtime::{Event, LoopRecord, Runtime, StageCounts};
use crate::results::timeline::Timeline;
use crate::results::{Accounting, Deadlock, WorkloadResult};
use crate::scenario::Scenario;

/// Everything one run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    /// The seed the run used.
    pub seed: u64,
    /// One result per workload, in file order.
    pub workloads: Vec<WorkloadResult>,
    /// Events handled.
    pub events: u64,
    /// Of `events`, those that changed nothing (what they were for had changed).
    pub stale_events: u64,
    /// Events due at once handled at their place in the event order
    /// without being queued (a zero-length burst, a free switch): not in
    /// `events`.
    pub events_in_place: u64,
    /// GIL releases and retakes of threads alone in their interpreter,
    /// made without steps of their own ([`RunOptions::keep_gil_steps`]).
    pub gil_steps_elided: u64,
    /// GIL-releasing calls whose return cost ran in the call's own burst,
    /// in a program of one thread ([`RunOptions::keep_return_bursts`]).
    pub returns_merged: u64,
    /// End of the statistics window.
    pub end: Nanos,
    /// CPU accounting totals at the end.
    pub accounting: Accounting,
    /// GIL acquisitions and releases, when recording was asked for.
    pub gil_log: Option<Vec<(Nanos, usize, bool)>>,
    /// Every interpreter's GIL log, by interpreter (0 = main), when recording was asked for.
    pub gil_logs: Option<Vec<Vec<(Nanos, usize, bool)>>>,
    /// The most holders each semaphore had at once.
    pub semaphore_max_holders: Vec<u32>,
    /// What every thread, core and GIL did inside [`RunOptions::trace_window`], when asked.
    pub timeline: Option<Timeline>,
    /// What the asyncio event loop did, when [`RunOptions::record_loop`] asked for it.
    pub loop_log: Option<Vec<LoopRecord>>,
    /// Per workload, what went through its stage queue (`None`: not a stage).
    pub stages: Vec<Option<StageCounts>>,
    /// Per workload, the requests each worker process of a deployment shape
    /// accepted (`None`: not a shape).
    pub accepted: Vec<Option<Vec<u64>>>,
}

/// Options that do not change results, only what is recorded.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Record every GIL acquisition and release.
    pub record_gil: bool,
    /// After a batch run, keep simulating until no event is left (threads
    /// finishing start-ups, going idle) before taking [`RunOutput::accounting`],
    /// so that every CPU cost charged has also been run. Results are unchanged.
    pub drain: bool,
    /// Record a [`Timeline`] of the half-open window `[start, end)` of
    /// simulated time (clipped to the end of the run). Results are unchanged.
    pub trace_window: Option<(Nanos, Nanos)>,
    /// Record the asyncio event loop's passes, callbacks and timers.
    pub record_loop: bool,
    /// `--max-events`, `--max-wall`: a run that reaches either fails
    /// ([`RunError::EventLimit`], [`RunError::WallLimit`]); one that does
    /// not is unchanged.
    pub budget: Budget,
    /// Queue every event, including the dispatches and burst ends due at
    /// once that a run otherwise handles in the handler that caused them:
    /// the same results with more events (for tests of that equivalence).
    pub queue_every_event: bool,
    /// Release and retake the GIL of a thread alone in its interpreter in
    /// steps of their own, as for any thread: the same results (for tests
    /// of that equivalence).
    pub keep_gil_steps: bool,
    /// Run a call's return cost in a burst of its own also in a program of
    /// one thread: the same results with more events (for tests of that
    /// equivalence).
    pub keep_return_bursts: bool,
}

/// Why a run produced no output.
#[derive(Debug, Clone, PartialEq)]
pub enum RunError {
    /// No event was left while tasks were unfinished.
    Deadlock(Deadlock),
    /// `--max-events`: this many events were handled and more remained.
    EventLimit {
        /// The limit.
        events: u64,
        /// Simulated time when the run stopped.
        at: Nanos,
    },
    /// `--max-wall`: the wall-clock deadline passed.
    WallLimit {
        /// Events handled by then.
        events: u64,
        /// Simulated time when the run stopped.
        at: Nanos,
    },
    /// The program grew past what gilsim holds ([`crate::workload::limits`]).
    TooLarge(String),
}

impl RunError {
    /// The message for `run` (e.g. "point 3 replication 0").
    pub fn report(&self, run: &str) -> String {
        match self {
            RunError::Deadlock(d) => d.report(run),
            RunError::EventLimit { events, at } => format!(
                "error: {run} stopped by --max-events {events}: it had handled {events} events at t = {:.6} s of simulated time and was not done\n",
                *at as f64 / 1e9
            ),
            RunError::WallLimit { events, at } => format!(
                "error: {run} stopped by --max-wall after {events} events, at t = {:.6} s of simulated time\n",
                *at as f64 / 1e9
            ),
            RunError::TooLarge(why) => format!("error: {run} stopped: {why}\n"),
        }
    }

    /// The deadlock, if that is what stopped the run.
    pub fn deadlock(&self) -> Option<&Deadlock> {
        match self {
            RunError::Deadlock(d) => Some(d),
            _ => None,
        }
    }
}

/// Runs `scenario` once with `seed`.
pub fn run(scenario: &Scenario, seed: u64, options: RunOptions) -> Result<RunOutput, RunError> {
    let mut runtime = Runtime::new(scenario.system(), seed);
    if options.record_gil {
        runtime.record_gil();
    }
    if options.record_loop {
        runtime.record_loop();
    }
    if let Some((start, end)) = options.trace_window {
        runtime.record_timeline(start, end);
    }
    if options.queue_every_event {
        runtime.queue_every_event();
    }
    if options.keep_gil_steps {
        runtime.keep_gil_steps();
    }
    if options.keep_return_bursts {
        runtime.keep_return_bursts();
    }
    let mut queue: EventQueue<Event> = EventQueue::new();
    runtime.start(&mut queue);
    let stop = engine::run(
        &mut runtime,
        &mut queue,
        scenario.window.duration,
        options.budget,
    );
    let now = queue.now();
    stopped(stop, &runtime, &queue)?;
    if stop == Stop::Exhausted && runtime.unfinished() {
        return Err(RunError::Deadlock(runtime.deadlock(now)));
    }
    let end = runtime.end_time();
    let events = queue.events_handled();
    let events_in_place = queue.taken();
    let stale_events = runtime.stale_events();
    let workloads = runtime.results(end, events);
    let timeline = runtime.take_timeline(end);
    let mut accounted_at = end;
    if options.drain && scenario.window.duration.is_none() {
        runtime.set_draining();
        let stop = engine::run(&mut runtime, &mut queue, None, options.budget);
        stopped(stop, &runtime, &queue)?;
        accounted_at = queue.now().max(end);
    }
    Ok(RunOutput {
        seed,
        workloads,
        events,
        stale_events,
        events_in_place,
        gil_steps_elided: runtime.gil_steps_elided(),
        returns_merged: runtime.returns_merged(),
        end,
        accounting: runtime.accounting(accounted_at),
        gil_log: runtime.gil_log().map(<[_]>::to_vec),
        gil_logs: runtime.gil_logs(),
        semaphore_max_holders: runtime.semaphore_max_holders(),
        timeline,
        loop_log: runtime.loop_log().map(<[_]>::to_vec),
        stages: runtime.stage_counts(),
        accepted: runtime.shapes_accepted(),
    })
}

/// The error of a run that a limit stopped: the budget, or the runtime's own.
fn stopped(stop: Stop, runtime: &Runtime, queue: &EventQueue<Event>) -> Result<(), RunError> {
    if let Some(why) = runtime.too_large() {
        return Err(RunError::TooLarge(why.to_string()));
    }
    let (events, at) = (queue.events_handled(), queue.now());
    match stop {
        Stop::EventLimit => Err(RunError::EventLimit { events, at }),
        Stop::WallLimit => Err(RunError::WallLimit { events, at }),
        Stop::EndOfTime => Err(RunError::TooLarge(format!(
            "simulated time ran past the end of gilsim's clock (2^64 ns, 584 years) after {events} events: a step or a run this long is not simulated"
        ))),
        Stop::Exhausted | Stop::Horizon | Stop::Finished => Ok(()),
    }
}
