//! Recording a [`Timeline`] of the window `[start, end)` (docs/MODEL.md#timelines: the
//! timeline chart and `trace.json`).
//!
//! States are derived, not announced: after every event handled inside the
//! window, the runtime recomputes the state of each thread that may have
//! changed (the threads the machine reports through
//! [`Machine::drain_changes`](crate::machine::Machine::drain_changes), plus
//! the thread the event handed control to) from the machine's
//! [`SchedState`] and the runtime's own wait, and the recorder closes an
//! interval whenever the state differs. Nothing is recorded before the window
//! starts (the state at `start` is read once, when the first event at or
//! after `start` arrives) or after it ends, so memory is bounded by the
//! window. Recording reads state only: no random draws, no events.
//!
//! Task spans are derived the same way: at each observation, what the
//! thread does for which task ([`Runtime::span_of`]: the program of a task,
//! a coroutine's or a `to_thread` body's, or a message of tasks it holds)
//! and at which step; a span closes when the task changes, a step interval
//! when the step does.

use crate::engine::time::Nanos;
use crate::machine::{SchedState, ThreadId};
use crate::python::program::Op;
use crate::results::timeline::{
    CoreLane, CoreUse, GilLane, Interval, Mark, MarkKind, SpanKind, Spans, TaskSpan, ThreadLane,
    ThreadState, Timeline,
};

use super::interp::Cursor;
use super::{Next, Runtime, Wait, stages};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Before,
    Recording,
    Done,
}

/// One lane under construction: closed intervals plus the open one.
#[derive(Debug, Clone)]
struct Open<T> {
    intervals: Vec<Interval<T>>,
    current: Option<(T, Nanos)>,
}

impl<T: Copy + PartialEq> Open<T> {
    fn new() -> Self {
        Open {
            intervals: Vec::new(),
            current: None,
        }
    }

    /// Moves the lane to `what` (None: nothing) at `now`. Empty intervals are
    /// dropped and an interval that resumes the one just closed is merged
    /// with it, so lanes stay canonical.
    fn set(&mut self, now: Nanos, what: Option<T>) {
        if self.current.map(|(w, _)| w) == what {
            return;
        }
        if let Some((w, since)) = self.current.take()
            && now > since
        {
            self.intervals.push(Interval {
                start: since,
                end: now,
                what: w,
            });
        }
        self.current = what.map(|w| match self.intervals.last() {
            Some(last) if last.end == now && last.what == w => {
                let since = last.start;
                self.intervals.pop();
                (w, since)
            }
            _ => (w, now),
        });
    }
}

/// A thread lane under construction.
#[derive(Debug, Clone)]
struct LaneBuild {
    label: String,
    /// The thread's interpreter.
    interpreter: usize,
    lane: Open<ThreadState>,
    /// The core the thread occupied at its last observation.
    core: Option<usize>,
    /// The task span open on it.
    span: Option<OpenSpan>,
}

/// A task span under construction.
#[derive(Debug, Clone)]
struct OpenSpan {
    kind: SpanKind,
    workload: usize,
    tasks: Vec<u64>,
    arrival: Nanos,
    start: Nanos,
    steps: Open<u32>,
    branch: Option<u32>,
}

/// A label before it is interned: a named step (workload, index in its
/// program's names), an operation's kind, or a `one_of` branch (workload,
/// branch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    Named(usize, u32),
    Kind(&'static str),
    Branch(usize, u16),
}

/// What a thread does for which task at one observation (its task ids are
/// in [`Recorder::ids`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SpanNow {
    kind: SpanKind,
    workload: usize,
    arrival: Nanos,
    step: Option<Label>,
    /// The `one_of` branch its task took, once drawn.
    branch: Option<Label>,
}

/// The timeline recorder of one run.
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    start: Nanos,
    end: Nanos,
    switch_interval: Nanos,
    phase: Phase,
    lanes: Vec<LaneBuild>,
    /// By machine thread slot: the thread's serial and its lane.
    slot_lane: Vec<Option<(u64, usize)>>,
    cores: Vec<Open<CoreUse>>,
    /// Whether interpreters have GILs (lanes are added as interpreters start).
    gils_on: bool,
    /// One GIL lane per interpreter, by interpreter index.
    gils: Vec<Open<usize>>,
    marks: Vec<Mark>,
    /// Threads to observe at the end of the current event.
    dirty: Vec<ThreadId>,
    /// Cores to observe at the end of the current event.
    dirty_cores: Vec<usize>,
    /// Step labels, interned: the key and its index in `labels`.
    label_keys: Vec<Label>,
    labels: Vec<String>,
    /// Closed task spans.
    spans: Vec<TaskSpan>,
    /// The task ids of the observation in progress.
    ids: Vec<u64>,
}

impl Recorder {
    /// A recorder of `[start, end)` for `cores` cores, with a GIL lane if `gil`.
    pub(crate) fn new(
        start: Nanos,
        end: Nanos,
        cores: usize,
        gil: bool,
        switch_interval: Nanos,
    ) -> Self {
        Recorder {
            start,
            end,
            switch_interval,
            phase: Phase::Before,
            lanes: Vec::new(),
            slot_lane: Vec::new(),
            cores: (0..cores).map(|_| Open::new()).collect(),
            gils_on: gil,
            gils: if gil { vec![Open::new()] } else { Vec::new() },
            marks: Vec::new(),
            dirty: Vec::new(),
            dirty_cores: Vec::new(),
            label_keys: Vec::new(),
            labels: Vec::new(),
            spans: Vec::new(),
            ids: Vec::new(),
        }
    }

    /// The lane of the thread now in `slot`, if it has one.
    fn lane_of(&self, slot: ThreadId) -> Option<usize> {
        self.slot_lane.get(slot).copied().flatten().map(|(_, l)| l)
    }

    /// The lane of the thread in `slot` with `serial`, created if new.
    fn lane_for(
        &mut self,
        slot: ThreadId,
        serial: u64,
        interpreter: usize,
        label: impl FnOnce() -> String,
    ) -> usize {
        if self.slot_lane.len() <= slot {
            self.slot_lane.resize(slot + 1, None);
        }
        match self.slot_lane[slot] {
            Some((s, lane)) if s == serial => lane,
            _ => {
                let lane = self.lanes.len();
                self.lanes.push(LaneBuild {
                    label: label(),
                    interpreter,
                    lane: Open::new(),
                    core: None,
                    span: None,
                });
                self.slot_lane[slot] = Some((serial, lane));
                lane
            }
        }
    }

    /// Moves lane `lane`'s task span to `now_span` (its ids in `self.ids`)
    /// at `now`, with its step interned by `label`.
    fn set_span(
        &mut self,
        lane: usize,
        now: Nanos,
        now_span: Option<SpanNow>,
        label: impl Fn(Label) -> String,
    ) {
        let mut intern = |key: Label| match self.label_keys.iter().position(|&k| k == key) {
            Some(i) => i as u32,
            None => {
                self.label_keys.push(key);
                self.labels.push(label(key));
                (self.labels.len() - 1) as u32
            }
        };
        let step = now_span.and_then(|s| s.step).map(&mut intern);
        let branch = now_span.and_then(|s| s.branch).map(&mut intern);
        let l = &mut self.lanes[lane];
        let same = match (&l.span, now_span) {
            (Some(o), Some(s)) => {
                o.kind == s.kind && o.workload == s.workload && o.tasks == self.ids
            }
            (None, None) => true,
            _ => false,
        };
        if !same {
            if let Some(o) = l.span.take() {
                close_span(o, lane, l.interpreter, now, &mut self.spans);
            }
            l.span = now_span.map(|s| OpenSpan {
                kind: s.kind,
                workload: s.workload,
                tasks: self.ids.clone(),
                arrival: s.arrival,
                start: now,
                steps: Open::new(),
                branch: None,
            });
        }
        if let Some(o) = l.span.as_mut() {
            o.steps.set(now, step);
            o.branch = o.branch.or(branch);
        }
    }

    fn close_all(&mut self, at: Nanos) {
        for (i, lane) in self.lanes.iter_mut().enumerate() {
            lane.lane.set(at, None);
            if let Some(o) = lane.span.take() {
                close_span(o, i, lane.interpreter, at, &mut self.spans);
            }
        }
        for core in &mut self.cores {
            core.set(at, None);
        }
        for gil in &mut self.gils {
            gil.set(at, None);
        }
        self.phase = Phase::Done;
    }

    /// Records a point event by the thread in `slot`, if inside the window.
    fn mark(&mut self, at: Nanos, slot: ThreadId, interpreter: usize, kind: MarkKind) {
        if self.phase != Phase::Recording || at < self.start || at >= self.end {
            return;
        }
        if let Some(tid) = self.lane_of(slot) {
            self.marks.push(Mark {
                at,
                tid,
                interpreter,
                kind,
            });
        }
    }

    /// The timeline, its window cut at `stop` (the end of the run) if
    /// earlier; `workloads` names the spans' workloads.
    fn into_timeline(self, stop: Nanos, workloads: Vec<String>) -> Timeline {
        fn finish<T>(o: Open<T>) -> Vec<Interval<T>> {
            debug_assert!(o.current.is_none(), "an interval left open");
            o.intervals
        }
        Timeline {
            start: self.start,
            end: self.end.min(stop).max(self.start),
            switch_interval: self.switch_interval,
            threads: self
                .lanes
                .into_iter()
                .enumerate()
                .map(|(tid, l)| ThreadLane {
                    tid,
                    label: l.label,
                    interpreter: l.interpreter,
                    intervals: finish(l.lane),
                })
                .collect(),
            cores: self
                .cores
                .into_iter()
                .enumerate()
                .map(|(core, o)| CoreLane {
                    core,
                    intervals: finish(o),
                })
                .collect(),
            gils: self
                .gils
                .into_iter()
                .enumerate()
                .map(|(interpreter, o)| GilLane {
                    interpreter,
                    intervals: finish(o),
                })
                .collect(),
            marks: self.marks,
            spans: Spans {
                workloads,
                labels: self.labels,
                spans: self.spans,
            },
        }
    }
}

/// Closes a task span at `end`; an empty one is dropped.
fn close_span(
    mut o: OpenSpan,
    lane: usize,
    interpreter: usize,
    end: Nanos,
    spans: &mut Vec<TaskSpan>,
) {
    if end <= o.start {
        return;
    }
    o.steps.set(end, None);
    spans.push(TaskSpan {
        lane,
        interpreter,
        workload: o.workload,
        tasks: o.tasks,
        arrival: o.arrival,
        kind: o.kind,
        start: o.start,
        end,
        steps: o.steps.intervals,
        branch: o.branch,
    });
}

/// The step kind of an operation, as a step is written in a scenario.
fn op_label(op: Op) -> &'static str {
    match op {
        Op::Cpu(_) => "cpu",
        Op::CpuHeld(_) => "cpu_held",
        Op::CpuNogil(_) => "cpu_nogil",
        Op::Io(_) => "io",
        Op::Sleep(_) => "sleep",
        Op::BlockingIo(_) => "blocking_io",
        Op::ToThread(_) | Op::ToThreadEnd => "to_thread",
        Op::LockAcquire(_) | Op::LockRelease(_) => "lock",
        Op::SemAcquire(_) | Op::SemRelease(_) => "semaphore",
        Op::SyncEnter(_) | Op::SyncRestore(_) | Op::SyncExit(_) => "with condition",
        Op::EventWait(_) => "wait_event",
        Op::EventSet(_) => "set_event",
        Op::EventClear(_) => "clear_event",
        Op::CondWait(_) => "wait",
        Op::CondNotify(..) => "notify",
        Op::Update(_) => "update",
        Op::OneOf(_) | Op::Jump(_) => "one_of",
    }
}

impl Runtime {
    /// Records a timeline of `[start, end)` during this run.
    pub fn record_timeline(&mut self, start: Nanos, end: Nanos) {
        self.recorder = Some(Box::new(Recorder::new(
            start,
            end,
            self.machine.cores(),
            self.python.gil_enabled,
            self.python.switch_interval(),
        )));
    }

    /// Ends the recording at `at` (the end of the run) and returns the
    /// timeline, if one was being recorded. A window reaching past `at` is
    /// cut there: the timeline's `end` is at most `at`.
    pub fn take_timeline(&mut self, at: Nanos) -> Option<Timeline> {
        self.record_before(at);
        let mut rec = self.recorder.take()?;
        if rec.phase == Phase::Recording {
            rec.close_all(at.min(rec.end));
        }
        self.machine.track_changes(false);
        let workloads = self.workloads.iter().map(|w| w.name.clone()).collect();
        Some(rec.into_timeline(at, workloads))
    }

    /// Before handling an event at `now`: starts recording when `now`
    /// reaches the window (reading the state that held at its start), and
    /// closes everything when `now` passes its end.
    pub(super) fn record_before(&mut self, now: Nanos) {
        let Some(mut rec) = self.recorder.take() else {
            return;
        };
        if rec.phase == Phase::Before && now >= rec.start {
            rec.phase = Phase::Recording;
            self.machine.track_changes(true);
            let mut live: Vec<ThreadId> = (0..self.threads.len())
                .filter(|&tid| self.threads[tid].alive)
                .collect();
            // Lanes in creation order, whatever the slots.
            live.sort_by_key(|&tid| self.threads[tid].serial);
            let at = rec.start;
            rec.dirty.extend(live);
            self.observe(at, &mut rec);
        }
        if rec.phase == Phase::Recording && now >= rec.end {
            rec.close_all(rec.end);
            self.machine.track_changes(false);
        }
        self.recorder = Some(rec);
    }

    /// True when [`Runtime::record_before`] and [`Runtime::record_after`]
    /// at `now` do nothing: no recorder, or outside its window.
    pub(super) fn recorder_idle(&self, now: Nanos) -> bool {
        self.recorder.as_ref().is_none_or(|rec| match rec.phase {
            Phase::Before => now < rec.start,
            Phase::Recording => false,
            Phase::Done => true,
        })
    }

    /// After handling an event at `now` that handed control to `proceeded`:
    /// brings every lane that may have changed up to date.
    pub(super) fn record_after(&mut self, now: Nanos, proceeded: Option<ThreadId>) {
        let Some(mut rec) = self.recorder.take() else {
            return;
        };
        if rec.phase == Phase::Recording {
            self.machine.drain_changes(&mut rec.dirty);
            rec.dirty.extend(proceeded);
            self.observe(now, &mut rec);
        }
        self.recorder = Some(rec);
    }

    /// Records a point event by thread `tid` at `now`: for a drop request,
    /// the waiter whose timed wait in `take_gil` expired with no switch
    /// (`SET_GIL_DROP_REQUEST`, python/cpython `Python/ceval_gil.c`).
    pub(super) fn record_mark(&mut self, now: Nanos, tid: ThreadId, kind: MarkKind) {
        let interpreter = self.threads[tid].interp;
        if let Some(rec) = self.recorder.as_mut() {
            rec.mark(now, tid, interpreter, kind);
        }
    }

    /// Observes the dirty threads, then the cores they left or reached, then the GIL.
    fn observe(&self, now: Nanos, rec: &mut Recorder) {
        let mut dirty = std::mem::take(&mut rec.dirty);
        for &tid in &dirty {
            self.observe_thread(now, tid, rec);
        }
        dirty.clear();
        rec.dirty = dirty;
        let mut cores = std::mem::take(&mut rec.dirty_cores);
        for &core in &cores {
            let what = self.machine.core_occupant(core).and_then(|tid| {
                let lane = rec.lane_of(tid)?;
                match self.machine.sched_state(tid) {
                    SchedState::Running(_) => Some(CoreUse::Thread(lane)),
                    _ => Some(CoreUse::Switching(lane)),
                }
            });
            rec.cores[core].set(now, what);
        }
        cores.clear();
        rec.dirty_cores = cores;
        if rec.gils_on {
            if rec.gils.len() < self.interps.len() {
                rec.gils.resize_with(self.interps.len(), Open::new);
            }
            for (i, interp) in self.interps.iter().enumerate() {
                let holder = interp.gil.holder().and_then(|tid| rec.lane_of(tid));
                rec.gils[i].set(now, holder);
            }
        }
    }

    /// A lane's label: `workload/index` for a workload's threads.
    fn lane_label(&self, tid: ThreadId) -> String {
        let t = &self.threads[tid];
        if t.agent {
            return self.agent_label(tid);
        }
        format!("{}/{}", self.workloads[t.workload].name, t.index)
    }

    fn observe_thread(&self, now: Nanos, tid: ThreadId, rec: &mut Recorder) {
        let t = &self.threads[tid];
        let lane = if t.alive {
            rec.lane_for(tid, t.serial, t.interp, || self.lane_label(tid))
        } else {
            match rec.slot_lane.get(tid).copied().flatten() {
                Some((serial, lane)) if serial == t.serial => lane,
                _ => return,
            }
        };
        let (state, core) = if t.alive {
            let core = match self.machine.sched_state(tid) {
                SchedState::Dispatching(c) | SchedState::Running(c) => Some(c),
                _ => None,
            };
            (Some(self.thread_state(tid)), core)
        } else {
            (None, None)
        };
        let l = &mut rec.lanes[lane];
        l.lane.set(now, state);
        let old = std::mem::replace(&mut l.core, core);
        rec.dirty_cores.extend(old);
        rec.dirty_cores.extend(core);
        rec.ids.clear();
        let span = if t.alive {
            self.span_of(tid, &mut rec.ids)
        } else {
            None
        };
        rec.set_span(lane, now, span, |key| match key {
            Label::Named(w, i) => self.workloads[w]
                .step_names
                .names
                .get(i as usize)
                .cloned()
                .unwrap_or_default(),
            Label::Kind(k) => k.to_string(),
            Label::Branch(w, b) => self.workloads[w]
                .step_names
                .mixes
                .first()
                .and_then(|m| m.labels.get(usize::from(b)))
                .cloned()
                .unwrap_or_default(),
        });
    }

    /// What live thread `tid` does for which task: the program of a task
    /// (a worker's, an agent's `Program` act, the coroutine the loop thread
    /// runs, a `to_thread` body on an executor thread) at its current step,
    /// or a message of tasks it holds. Pushes the task ids on `ids`.
    fn span_of(&self, tid: ThreadId, ids: &mut Vec<u64>) -> Option<SpanNow> {
        // A loop thread's coroutines are those of its own loop (a shape's
        // worker process has one each); the current loop is put back after.
        let saved = self.cur_loop();
        self.enter_loop_of(tid);
        let span = self.span_in_loop(tid, ids);
        self.enter_loop(saved);
        span
    }

    /// [`Runtime::span_of`] with `tid`'s loop current.
    fn span_in_loop(&self, tid: ThreadId, ids: &mut Vec<u64>) -> Option<SpanNow> {
        let t = &self.threads[tid];
        // A thread blocked in an `io` or `sleep` call has moved past it
        // (`start_call` advances before it blocks).
        let in_call = t.wait == Wait::Call && t.next == Next::ReturnCost;
        let pc = if in_call {
            t.pc.saturating_sub(1)
        } else {
            t.pc
        };
        let (task, workload, pc) = match self.cursor(tid) {
            Some(Cursor::Thread(_)) => (t.task?, t.workload, pc),
            Some(Cursor::Slice(_, c)) => (t.task?, self.coro_workload(c), pc),
            Some(Cursor::Coro(c)) => (self.coro_task(c)?, self.coro_workload(c), self.coro_pc(c)),
            None => {
                let msg = self.models.agents[tid].msg.as_ref()?;
                let first = msg.tasks.first()?;
                ids.extend(msg.tasks.iter().map(|t| t.id));
                return Some(SpanNow {
                    kind: SpanKind::Message,
                    workload: t.workload,
                    arrival: first.arrival,
                    step: None,
                    branch: None,
                });
            }
        };
        ids.push(task.id);
        let program = &self.workloads[workload];
        let step = if !t.agent && self.models.stage_threads[tid].get_due != stages::Get::None {
            Label::Kind("get")
        } else {
            // Past the last operation: the puts into the stages it feeds,
            // or still the last step (the GIL taken back after its call).
            let at = if pc >= program.ops.len() && self.models.successors[workload].is_empty() {
                program.ops.len().saturating_sub(1)
            } else {
                pc
            };
            match (
                program.step_names.op_names.get(at).copied().flatten(),
                program.ops.get(at),
            ) {
                (Some(i), _) => Label::Named(workload, i),
                (None, Some(&op)) => Label::Kind(op_label(op)),
                (None, None) => Label::Kind("put"),
            }
        };
        Some(SpanNow {
            kind: SpanKind::Program,
            workload,
            arrival: task.arrival,
            step: Some(step),
            branch: task.branch.map(|b| Label::Branch(workload, b)),
        })
    }

    /// What a live thread is doing, from its scheduling state and its wait.
    /// A thread blocked on the GIL's `cond` (in `take_gil`) or on
    /// `switch_cond` (in `drop_gil`, FORCE_SWITCHING) waits for the GIL
    /// (python/cpython `Python/ceval_gil.c`); one woken from either is
    /// waiting for a core until it runs again.
    fn thread_state(&self, tid: ThreadId) -> ThreadState {
        let t = &self.threads[tid];
        match self.machine.sched_state(tid) {
            SchedState::Running(_) => {
                let python = if self.python.gil_enabled {
                    t.holds_gil
                } else {
                    // A `cpu`, `cpu_held` or `update` step; not a
                    // `cpu_nogil` call or an overhead.
                    matches!(t.next, Next::StepDone | Next::UpdateDone)
                };
                if python {
                    ThreadState::Running
                } else {
                    ThreadState::RunningNogil
                }
            }
            SchedState::Runnable | SchedState::Dispatching(_) => ThreadState::WaitingCore,
            SchedState::Blocked | SchedState::Exited => match t.wait {
                Wait::Gil | Wait::Switch => ThreadState::WaitingGil,
                Wait::Call => ThreadState::Blocked,
                Wait::Lock(_)
                | Wait::Semaphore(_)
                | Wait::Sync(_)
                | Wait::Woken(_)
                | Wait::QueueFull(_) => ThreadState::WaitingLock,
                Wait::Idle => ThreadState::Idle,
                Wait::None => {
                    debug_assert!(false, "thread {tid} is blocked with no wait");
                    ThreadState::Blocked
                }
            },
        }
    }
}
