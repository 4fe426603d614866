//! Cores and the OS scheduler (docs/MODEL.md#the-machine-and-the-os-scheduler).
//!
//! The machine knows OS threads, not Python. A thread is blocked, runnable
//! (in the one global run queue), dispatching (assigned to a core, paying a
//! wake-up latency or a context switch) or running a CPU *burst*. The model
//! above asks for bursts ([`Machine::run_burst`]), blocks threads
//! ([`Machine::block`]) and wakes them ([`Machine::wake`]); the machine tells it
//! when a thread starts on a core with nothing to resume ([`Notice::Started`])
//! and when a burst is done ([`Notice::BurstDone`]). Preemption is invisible
//! to the model: a preempted burst resumes where it stopped. For timelines,
//! the machine can list the threads whose [`SchedState`] changed
//! ([`Machine::track_changes`], [`Machine::drain_changes`]); it records
//! nothing else, and nothing when tracking is off.
//!
//! Fairness follows Linux CFS in spirit: virtual runtime, a time slice, a
//! wake-up granularity, and sleeper placement at `min_vruntime - sleeper_credit`
//! (`place_entity` in Linux's `kernel/sched/fair.c`; docs/MODEL.md#the-machine-and-the-os-scheduler).
//! The credit is not `wakeup_granularity`: with it a waking thread can never preempt
//! (it lands exactly one granularity below the running thread), whereas on a
//! real 1-core machine a thread woken from a GIL wait runs at once (measured:
//! about one I/O call per switch interval at 5 ms, 1 ms and 0.1 ms).

pub mod config;
mod eevdf;
mod in_place;
pub use config::{KernelScheduler, MachineConfig, Scheduler};

use std::collections::BTreeSet;

use crate::engine::time::Nanos;
use crate::engine::{EventQueue, Place, Stream, Timer};

/// Index of an OS thread in the machine.
pub type ThreadId = usize;

/// The machine's own events; the model wraps them in its event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineEvent {
    /// A thread assigned to `core` has finished its wake-up or context switch.
    Dispatched { core: usize, epoch: u64 },
    /// The burst running on `core` is complete.
    BurstEnd { core: usize, epoch: u64 },
    /// The time slice on `core` has expired (stale unless `epoch` matches).
    SliceEnd { core: usize, epoch: u64 },
    /// A waking thread may preempt the thread on `core`, after the events
    /// already due at this instant (see [`Machine::settle`]).
    Resched { core: usize },
}

/// What the machine tells the model after handling one of its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The thread is on a core with no burst: the model decides what it does.
    Started(ThreadId),
    /// The thread's burst is complete; it is still on its core.
    BurstDone(ThreadId),
}

/// A thread's scheduling state, as the OS sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchedState {
    /// Off every core and out of the run queue until woken.
    Blocked,
    /// In the run queue, waiting for a core.
    Runnable,
    /// Assigned to this core, paying a wake-up latency or a context switch.
    Dispatching(usize),
    /// Running on this core.
    Running(usize),
    /// Gone for good (its slot may be reset for a new thread).
    Exited,
}

#[derive(Debug, Clone)]
struct OsThread {
    state: SchedState,
    vruntime: u64,
    /// EEVDF's virtual deadline.
    deadline: u64,
    /// EEVDF: protected from preemption until its virtual runtime reaches this.
    vprot: u64,
    /// EEVDF: the lag kept while blocked.
    vlag: i64,
    /// Its insertion sequence in the run queue, while queued.
    queue_seq: u64,
    /// EEVDF: blocked but still counted in the average (a delayed dequeue),
    /// under this sequence in [`Machine::delayed`].
    delayed: Option<u64>,
    /// CPU still to run in the current burst, when one is set.
    burst: Option<Nanos>,
    last_core: Option<usize>,
}

/// A core's pending dispatch or burst end.
#[derive(Debug, Clone, Copy)]
enum CoreTimer {
    /// In the event queue.
    Queued(Timer),
    /// Due at once, at its place in the event order; the model handles it
    /// in the same handler or queues it ([`Machine::due_now`]).
    Placed(Place, MachineEvent),
}

#[derive(Debug, Clone)]
struct Core {
    current: Option<ThreadId>,
    /// Bumped whenever the core's pending dispatch or burst event becomes stale.
    epoch: u64,
    /// The core's pending dispatch or burst end, cancelled when it becomes stale.
    timer: Option<CoreTimer>,
    /// When the running thread was put on the core: its slices end at
    /// `slice_start + k × os_timeslice`.
    slice_start: Nanos,
    idle_since: Nanos,
    /// When the running thread's current accounting period started.
    run_since: Nanos,
    /// When the core's current busy period (switch or run) started; `None` when idle or waking.
    busy_since: Option<Nanos>,
    busy_total: Nanos,
}

/// Counters the report needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MachineCounters {
    /// Threads put on a core (wake-ups on idle cores and switches from the run queue).
    pub context_switches: u64,
    /// Core time spent switching between threads.
    pub switch_time: Nanos,
    /// Events that arrived after what they were for had changed (a burst
    /// cut short, a dispatch undone, a slice end superseded): nothing happened.
    pub stale_events: u64,
}

/// The cores, the run queue and the threads' scheduling state.
pub struct Machine {
    config: MachineConfig,
    cores: Vec<Core>,
    threads: Vec<OsThread>,
    run_queue: BTreeSet<(u64, u64, ThreadId)>,
    /// The sum of the queued threads' virtual runtimes (EEVDF's average).
    queued_vruntime: u128,
    /// EEVDF: threads that blocked while ineligible, kept in the average
    /// until it reaches them (`DELAY_DEQUEUE`), by (vruntime, sequence).
    delayed: BTreeSet<(u64, u64, ThreadId)>,
    /// The sum of the delayed threads' virtual runtimes.
    delayed_vruntime: u128,
    queue_seq: u64,
    min_vruntime: u64,
    rng: Stream,
    counters: MachineCounters,
    /// Threads whose [`SchedState`] changed since the last
    /// [`Machine::drain_changes`], while change tracking is on.
    changes: Option<Vec<ThreadId>>,
    /// The one pending slice end that will preempt first, if any: its core
    /// and time (see [`Machine::settle`]).
    slice_armed: Option<(usize, Nanos)>,
    /// Bumped whenever the pending slice event becomes stale.
    slice_epoch: u64,
    /// The pending slice end, cancelled when superseded.
    slice_timer: Option<Timer>,
    /// True when the run queue or a core's thread changed since the last
    /// [`Machine::settle`].
    slices_dirty: bool,
    /// Cores a waking thread may preempt, in the order of the wake-ups
    /// (Linux's `need_resched`: acted on by [`Machine::settle`], after the
    /// model's handler, never inside it).
    resched: Vec<usize>,
    /// True inside a model's handler: a dispatch or burst end due at once
    /// is placed rather than queued ([`Machine::begin_handler`]).
    placing: bool,
    /// False when every event is queued ([`Machine::queue_every_event`]).
    may_place: bool,
    /// Cores whose timer is [`CoreTimer::Placed`].
    placed: Vec<usize>,
    /// Events handled at their place since the handler began.
    in_place: u32,
}

impl Machine {
    /// A machine with every core idle since time 0.
    pub fn new(config: MachineConfig, seed: u64) -> Self {
        let cores = (0..config.cores.max(1))
            .map(|_| Core {
                current: None,
                epoch: 0,
                timer: None,
                slice_start: 0,
                idle_since: 0,
                run_since: 0,
                busy_since: None,
                busy_total: 0,
            })
            .collect();
        Machine {
            config,
            cores,
            threads: Vec::new(),
            run_queue: BTreeSet::new(),
            queued_vruntime: 0,
            delayed: BTreeSet::new(),
            delayed_vruntime: 0,
            queue_seq: 0,
            min_vruntime: 0,
            rng: Stream::new(seed, "machine/scheduler"),
            counters: MachineCounters::default(),
            changes: None,
            slice_armed: None,
            slice_epoch: 0,
            slice_timer: None,
            slices_dirty: false,
            resched: Vec::new(),
            placing: false,
            may_place: true,
            placed: Vec::new(),
            in_place: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &MachineConfig {
        &self.config
    }

    /// Number of cores.
    pub fn cores(&self) -> usize {
        self.cores.len()
    }

    /// Creates a blocked thread; call [`Machine::wake`] to start it.
    pub fn add_thread(&mut self) -> ThreadId {
        self.threads.push(OsThread {
            state: SchedState::Blocked,
            vruntime: self.min_vruntime,
            deadline: self.min_vruntime + self.config.eevdf_slice() / 2,
            vprot: 0,
            vlag: 0,
            queue_seq: 0,
            delayed: None,
            burst: None,
            last_core: None,
        });
        let tid = self.threads.len() - 1;
        self.note_change(tid);
        tid
    }

    /// Makes an exited thread's slot a fresh blocked thread.
    pub fn reset_thread(&mut self, tid: ThreadId) {
        debug_assert_eq!(self.threads[tid].state, SchedState::Exited);
        self.threads[tid] = OsThread {
            state: SchedState::Blocked,
            vruntime: self.min_vruntime,
            deadline: self.min_vruntime + self.config.eevdf_slice() / 2,
            vprot: 0,
            vlag: 0,
            queue_seq: 0,
            delayed: None,
            burst: None,
            last_core: None,
        };
        self.note_change(tid);
    }

    /// Draws a timer's lateness (`timer_slack`).
    pub fn timer_slack(&mut self) -> Nanos {
        self.config.timer_slack.sample(&mut self.rng)
    }

    /// True when the thread is on a core (running or about to).
    pub fn on_core(&self, tid: ThreadId) -> bool {
        matches!(self.threads[tid].state, SchedState::Running(_))
    }

    /// True when the thread waits in the run queue for a core.
    pub fn is_runnable(&self, tid: ThreadId) -> bool {
        matches!(
            self.threads[tid].state,
            SchedState::Runnable | SchedState::Dispatching(_)
        )
    }

    /// The thread's scheduling state.
    pub fn sched_state(&self, tid: ThreadId) -> SchedState {
        self.threads[tid].state
    }

    /// The thread assigned to `core` (dispatching or running), if any.
    pub fn core_occupant(&self, core: usize) -> Option<ThreadId> {
        self.cores[core].current
    }

    /// Turns change tracking on or off: while on, every thread whose
    /// [`SchedState`] changes is listed for [`Machine::drain_changes`]
    /// (a timeline recorder uses it; results do not depend on it).
    pub fn track_changes(&mut self, on: bool) {
        self.changes = on.then(Vec::new);
    }

    /// Moves the threads whose state changed since the last call into `out`
    /// (possibly with repeats), in the order the changes happened.
    pub fn drain_changes(&mut self, out: &mut Vec<ThreadId>) {
        if let Some(changes) = self.changes.as_mut() {
            out.append(changes);
        }
    }

    /// Counters so far.
    pub fn counters(&self) -> MachineCounters {
        self.counters
    }

    /// Total busy core time up to `now` (switches plus bursts), summed over cores.
    pub fn busy_time(&self, now: Nanos) -> Nanos {
        self.cores
            .iter()
            .map(|c| {
                c.busy_total
                    .saturating_add(c.busy_since.map_or(0, |s| now - s))
            })
            .fold(0, Nanos::saturating_add)
    }

    /// Makes a blocked thread runnable at once: on an idle core after a
    /// wake-up latency, or in the run queue (possibly preempting a running thread).
    pub fn wake<E: From<MachineEvent>>(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<E>,
    ) {
        debug_assert_eq!(
            self.threads[tid].state,
            SchedState::Blocked,
            "wake of a thread that is not blocked"
        );
        if self.threads[tid].state != SchedState::Blocked {
            return;
        }
        if let Some(core) = self.pick_idle_core(tid) {
            let idle_for = now - self.cores[core].idle_since;
            let latency = if idle_for < self.config.idle_poll_window {
                self.config.wakeup_latency_polling.sample(&mut self.rng)
            } else {
                self.config.wakeup_latency.sample(&mut self.rng)
            };
            self.place_waking(now, tid);
            self.assign(now, core, tid, latency, false, q);
            return;
        }
        self.place_waking(now, tid);
        self.enqueue(tid);
        match self.config.scheduler {
            Scheduler::Cfs => self.check_wakeup_preemption(now, tid, q),
            Scheduler::Eevdf => self.eevdf_wakeup_check(now, tid, q),
        }
    }

    /// Sets the running thread's burst to `cpu` nanoseconds of core time.
    pub fn run_burst<E: From<MachineEvent>>(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        cpu: Nanos,
        q: &mut EventQueue<E>,
    ) {
        let SchedState::Running(core) = self.threads[tid].state else {
            debug_assert!(false, "run_burst on a thread that is not running");
            return;
        };
        self.account(now, core);
        self.threads[tid].burst = Some(cpu);
        self.cores[core].epoch += 1;
        let epoch = self.cores[core].epoch;
        self.set_core_timer(
            core,
            now.saturating_add(cpu),
            MachineEvent::BurstEnd { core, epoch },
            q,
        );
    }

    /// Replaces the core's pending dispatch or burst end with `event` at `at`.
    #[inline]
    fn set_core_timer<E: From<MachineEvent>>(
        &mut self,
        core: usize,
        at: Nanos,
        event: MachineEvent,
        q: &mut EventQueue<E>,
    ) {
        self.cancel_core_timer(core, q);
        let timer = if self.placing && at == q.now() {
            self.placed.push(core);
            CoreTimer::Placed(q.place(), event)
        } else {
            CoreTimer::Queued(q.schedule_timer(at, event.into()))
        };
        self.cores[core].timer = Some(timer);
    }

    #[inline]
    fn cancel_core_timer<E>(&mut self, core: usize, q: &mut EventQueue<E>) {
        match self.cores[core].timer.take() {
            Some(CoreTimer::Queued(t)) => {
                q.cancel(t);
            }
            Some(CoreTimer::Placed(..)) => self.placed.retain(|&c| c != core),
            None => {}
        }
    }

    /// CPU still to run in the thread's burst at `now`, if it has one.
    pub fn burst_remaining(&self, now: Nanos, tid: ThreadId) -> Option<Nanos> {
        let burst = self.threads[tid].burst?;
        match self.threads[tid].state {
            SchedState::Running(core) => Some(burst.saturating_sub(now - self.burst_started(core))),
            _ => Some(burst),
        }
    }

    /// Shortens the thread's burst so that at most `cpu` more nanoseconds run.
    pub fn shorten_burst<E: From<MachineEvent>>(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        cpu: Nanos,
        q: &mut EventQueue<E>,
    ) {
        let Some(remaining) = self.burst_remaining(now, tid) else {
            return;
        };
        if cpu >= remaining {
            return;
        }
        match self.threads[tid].state {
            SchedState::Running(_) => self.run_burst(now, tid, cpu, q),
            _ => self.threads[tid].burst = Some(cpu),
        }
    }

    /// Takes the running thread off its core; it stays blocked until woken.
    pub fn block<E: From<MachineEvent>>(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<E>,
    ) {
        if self.config.scheduler == Scheduler::Eevdf {
            self.eevdf_keep_lag(now, tid);
        }
        self.leave_core(now, tid, SchedState::Blocked, q);
    }

    /// Takes the running thread off its core for good.
    pub fn exit<E: From<MachineEvent>>(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<E>,
    ) {
        self.leave_core(now, tid, SchedState::Exited, q);
    }

    /// Handles one of the machine's events; returns what the model must act on.
    pub fn handle<E: From<MachineEvent>>(
        &mut self,
        now: Nanos,
        event: MachineEvent,
        q: &mut EventQueue<E>,
    ) -> Option<Notice> {
        match event {
            MachineEvent::Dispatched { core, epoch } => {
                if self.cores[core].epoch != epoch {
                    self.counters.stale_events += 1;
                    return None;
                }
                let tid = self.cores[core].current?;
                self.set_state(tid, SchedState::Running(core));
                self.threads[tid].last_core = Some(core);
                let c = &mut self.cores[core];
                if c.busy_since.is_none() {
                    c.busy_since = Some(now);
                }
                c.run_since = now;
                c.epoch += 1;
                c.timer = None;
                c.slice_start = now;
                self.slices_dirty = true;
                match self.threads[tid].burst {
                    Some(rest) => {
                        self.run_burst(now, tid, rest, q);
                        None
                    }
                    None => Some(Notice::Started(tid)),
                }
            }
            MachineEvent::BurstEnd { core, epoch } => {
                if self.cores[core].epoch != epoch {
                    self.counters.stale_events += 1;
                    return None;
                }
                let tid = self.cores[core].current?;
                self.account(now, core);
                self.threads[tid].burst = None;
                Some(Notice::BurstDone(tid))
            }
            MachineEvent::Resched { core } => {
                self.resched_now(now, core, q);
                None
            }
            MachineEvent::SliceEnd { core, epoch } => {
                if self.slice_epoch != epoch {
                    self.counters.stale_events += 1;
                    return None;
                }
                self.slice_armed = None;
                self.slice_timer = None;
                self.slices_dirty = true;
                match self.config.scheduler {
                    Scheduler::Cfs => {
                        self.preempt_if_behind(now, core, 0, q);
                    }
                    Scheduler::Eevdf => {
                        if self.eevdf_update_curr(now, core) {
                            self.eevdf_resched(now, core, q);
                        }
                    }
                }
                None
            }
        }
    }

    /// Linux's `need_resched` on `core`: the running thread gives way if the
    /// run queue's head is more than `wakeup_granularity` behind it.
    fn resched_now<E: From<MachineEvent>>(
        &mut self,
        now: Nanos,
        core: usize,
        q: &mut EventQueue<E>,
    ) {
        if self.config.scheduler == Scheduler::Eevdf {
            self.eevdf_resched(now, core, q);
            return;
        }
        let Some(tid) = self.cores[core].current else {
            return;
        };
        if matches!(self.threads[tid].state, SchedState::Running(_)) {
            let margin = self.config.wakeup_granularity;
            self.preempt_if_behind(now, core, margin, q);
        }
    }

    /// Preempts the thread on `core` if the run queue's lowest virtual
    /// runtime is more than `margin` below its own. Returns true if it did.
    fn preempt_if_behind<E: From<MachineEvent>>(
        &mut self,
        now: Nanos,
        core: usize,
        margin: u64,
        q: &mut EventQueue<E>,
    ) -> bool {
        self.account(now, core);
        let Some(tid) = self.cores[core].current else {
            return false;
        };
        let v = self.threads[tid].vruntime;
        let behind = self
            .run_queue
            .first()
            .is_some_and(|&(qv, _, _)| v > qv.saturating_add(margin));
        if behind {
            self.preempt(now, core, q);
        }
        behind
    }

    fn set_state(&mut self, tid: ThreadId, state: SchedState) {
        self.threads[tid].state = state;
        self.note_change(tid);
    }

    fn note_change(&mut self, tid: ThreadId) {
        if let Some(changes) = self.changes.as_mut() {
            changes.push(tid);
        }
    }

    fn burst_started(&self, core: usize) -> Nanos {
        self.cores[core].run_since
    }

    /// Adds the running thread's time since `run_since` to its virtual runtime.
    fn account(&mut self, now: Nanos, core: usize) {
        let c = &mut self.cores[core];
        let Some(tid) = c.current else { return };
        if let SchedState::Running(_) = self.threads[tid].state {
            let ran = now - c.run_since;
            if let Some(b) = self.threads[tid].burst.as_mut() {
                *b = b.saturating_sub(ran);
            }
            self.threads[tid].vruntime = self.threads[tid].vruntime.saturating_add(ran);
            c.run_since = now;
        }
    }

    /// Acts on the wake-up preemptions the handler asked for, then
    /// schedules the one slice end that matters after anything that can
    /// change it (the run queue, a core's thread). The model calls it at the
    /// end of each of its handlers.
    ///
    /// A slice end preempts the running thread when the run queue's lowest
    /// virtual runtime is below its own, and changes nothing otherwise. A
    /// running thread's virtual runtime grows with its core time, the queued
    /// ones' stay put, so until the queue or a core's thread changes, the
    /// first preemption is at the earliest boundary (`slice_start + k ×
    /// os_timeslice`, at or after now) where some running thread is behind
    /// the queue's head: only that boundary is an event. The preemptions are
    /// those of a slice event on every boundary of every core.
    pub fn settle<E: From<MachineEvent>>(&mut self, now: Nanos, q: &mut EventQueue<E>) {
        for i in 0..self.resched.len() {
            let core = self.resched[i];
            self.resched_now(now, core, q);
        }
        self.resched.clear();
        if !self.slices_dirty {
            return;
        }
        self.slices_dirty = false;
        let next = self.first_slice_preemption(now, q);
        if next == self.slice_armed {
            return;
        }
        self.slice_epoch += 1;
        self.slice_armed = next;
        if let Some(t) = self.slice_timer.take() {
            q.cancel(t);
        }
        if let Some((core, at)) = next {
            let epoch = self.slice_epoch;
            // Where a slice event renewed at every boundary would stand: scheduled
            // one slice earlier, by the previous boundary's event or the dispatch.
            let period = match self.config.scheduler {
                Scheduler::Cfs => self.config.os_timeslice,
                Scheduler::Eevdf => self.config.tick,
            };
            let born = at - period.max(1);
            let event = MachineEvent::SliceEnd { core, epoch }.into();
            self.slice_timer = Some(q.schedule_timer_as_if(at, born, event));
        }
    }

    /// The earliest (time, core) at which a slice end preempts, if the run
    /// queue is not empty; the lowest core among equal times.
    fn first_slice_preemption<E>(&self, now: Nanos, q: &EventQueue<E>) -> Option<(usize, Nanos)> {
        let &(head, _, _) = self.run_queue.first()?;
        if self.config.scheduler == Scheduler::Eevdf {
            return (0..self.cores.len())
                .filter_map(|core| Some((self.eevdf_next_tick(now, core)?, core)))
                .min()
                .map(|(at, core)| (core, at));
        }
        let slice = self.config.os_timeslice.max(1);
        (0..self.cores.len())
            .filter_map(|core| {
                let v = self.running_vruntime(core, now)?;
                // Behind the head from `now + head - v + 1` on.
                let from = if v > head {
                    now
                } else {
                    now.saturating_add(head - v).saturating_add(1)
                };
                let start = self.cores[core].slice_start;
                // A boundary past the end of the clock never comes.
                let boundary = |k: u64| k.checked_mul(slice).and_then(|d| start.checked_add(d));
                let mut k = (from - start).div_ceil(slice).max(1);
                // A boundary at this very instant whose event would have come
                // before the one being handled has passed already.
                if boundary(k) == Some(now) && q.has_passed(now, now - slice) {
                    k += 1;
                }
                Some((boundary(k)?, core))
            })
            .min()
            .map(|(at, core)| (core, at))
    }

    fn leave_core<E: From<MachineEvent>>(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        to: SchedState,
        q: &mut EventQueue<E>,
    ) {
        let SchedState::Running(core) = self.threads[tid].state else {
            debug_assert!(false, "only a running thread can leave its core");
            return;
        };
        self.account(now, core);
        self.set_state(tid, to);
        self.threads[tid].burst = None;
        self.cores[core].current = None;
        self.cores[core].epoch += 1;
        self.cancel_core_timer(core, q);
        self.slices_dirty = true;
        self.dispatch_next(now, core, q);
    }

    fn preempt<E: From<MachineEvent>>(&mut self, now: Nanos, core: usize, q: &mut EventQueue<E>) {
        let Some(tid) = self.cores[core].current else {
            return;
        };
        self.account(now, core);
        self.set_state(tid, SchedState::Runnable);
        self.enqueue(tid);
        self.cores[core].current = None;
        self.cores[core].epoch += 1;
        self.cancel_core_timer(core, q);
        self.slices_dirty = true;
        self.dispatch_next(now, core, q);
    }

    /// Gives a core that just lost its thread to the run queue's lowest virtual runtime.
    fn dispatch_next<E: From<MachineEvent>>(
        &mut self,
        now: Nanos,
        core: usize,
        q: &mut EventQueue<E>,
    ) {
        let next = match self.config.scheduler {
            Scheduler::Cfs => self.run_queue.first().map(|&(_, _, tid)| tid),
            Scheduler::Eevdf => self.eevdf_pick(now, None, false),
        };
        if let Some(next) = next {
            self.dequeue(next);
            self.slices_dirty = true;
            let cost = self.config.context_switch.sample(&mut self.rng);
            self.counters.switch_time = self.counters.switch_time.saturating_add(cost);
            self.assign(now, core, next, cost, true, q);
        } else {
            let c = &mut self.cores[core];
            if let Some(s) = c.busy_since.take() {
                c.busy_total = c.busy_total.saturating_add(now - s);
            }
            c.idle_since = now;
        }
    }

    /// Puts `tid` on `core` after `delay`; `busy` says whether the delay is core time.
    fn assign<E: From<MachineEvent>>(
        &mut self,
        now: Nanos,
        core: usize,
        tid: ThreadId,
        delay: Nanos,
        busy: bool,
        q: &mut EventQueue<E>,
    ) {
        self.set_state(tid, SchedState::Dispatching(core));
        self.threads[tid].vprot = self.threads[tid].deadline;
        let c = &mut self.cores[core];
        c.current = Some(tid);
        c.epoch += 1;
        if busy {
            if c.busy_since.is_none() {
                c.busy_since = Some(now);
            }
        } else if let Some(s) = c.busy_since.take() {
            c.busy_total = c.busy_total.saturating_add(now - s);
        }
        self.counters.context_switches += 1;
        let epoch = c.epoch;
        self.set_core_timer(
            core,
            now.saturating_add(delay),
            MachineEvent::Dispatched { core, epoch },
            q,
        );
    }

    /// The idle core to wake on: the thread's last core if idle, else the one idle the shortest time.
    fn pick_idle_core(&self, tid: ThreadId) -> Option<usize> {
        if let Some(last) = self.threads[tid].last_core
            && self.cores[last].current.is_none()
        {
            return Some(last);
        }
        self.cores
            .iter()
            .enumerate()
            .filter(|(_, c)| c.current.is_none())
            .max_by_key(|(i, c)| (c.idle_since, std::cmp::Reverse(*i)))
            .map(|(i, _)| i)
    }

    fn update_min_vruntime(&mut self, now: Nanos) {
        let queued = self.run_queue.first().map(|&(v, _, _)| v);
        let running = (0..self.cores.len()).filter_map(|core| self.running_vruntime(core, now));
        if let Some(l) = queued.into_iter().chain(running).min() {
            self.min_vruntime = self.min_vruntime.max(l);
        }
    }

    fn place_sleeper(&mut self, now: Nanos, tid: ThreadId) {
        self.update_min_vruntime(now);
        let floor = self.min_vruntime.saturating_sub(self.config.sleeper_credit);
        let t = &mut self.threads[tid];
        t.vruntime = t.vruntime.max(floor);
    }

    /// Where a waking thread's virtual runtime starts (CFS: `place_sleeper`; EEVDF: its lag).
    fn place_waking(&mut self, now: Nanos, tid: ThreadId) {
        match self.config.scheduler {
            // A thread that slept keeps no credit beyond the granularity.
            Scheduler::Cfs => self.place_sleeper(now, tid),
            Scheduler::Eevdf => self.eevdf_place(now, tid),
        }
    }

    fn enqueue(&mut self, tid: ThreadId) {
        self.slices_dirty = true;
        self.set_state(tid, SchedState::Runnable);
        let v = self.threads[tid].vruntime;
        self.run_queue.insert((v, self.queue_seq, tid));
        self.queued_vruntime += u128::from(v);
        self.threads[tid].queue_seq = self.queue_seq;
        self.queue_seq += 1;
    }

    fn dequeue(&mut self, tid: ThreadId) {
        let v = self.threads[tid].vruntime;
        if self
            .run_queue
            .remove(&(v, self.threads[tid].queue_seq, tid))
        {
            self.queued_vruntime -= u128::from(v);
        }
    }

    /// A waking thread preempts the running thread with the largest virtual
    /// runtime if its own is lower by more than `wakeup_granularity`.
    fn check_wakeup_preemption<E: From<MachineEvent>>(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<E>,
    ) {
        // The largest virtual runtime; the lowest core index among equals.
        let victim = (0..self.cores.len())
            .filter_map(|core| self.running_vruntime(core, now).map(|v| (v, core)))
            .max_by_key(|&(v, core)| (v, std::cmp::Reverse(core)));
        if let Some((v, core)) = victim
            && v > self.threads[tid]
                .vruntime
                .saturating_add(self.config.wakeup_granularity)
        {
            self.request_resched(now, core, q);
        }
    }

    /// Linux's `resched_curr`: acted on after the handler and after any
    /// event already due now: at the handler's end (settle) when none is,
    /// else as an event queued behind them.
    fn request_resched<E: From<MachineEvent>>(
        &mut self,
        now: Nanos,
        core: usize,
        q: &mut EventQueue<E>,
    ) {
        if q.peek_time() == Some(now) || !self.placed.is_empty() {
            q.schedule_at(now, MachineEvent::Resched { core }.into());
        } else {
            self.resched.push(core);
        }
    }

    /// Up-to-date virtual runtime of the thread running on `core`, if one runs.
    fn running_vruntime(&self, core: usize, now: Nanos) -> Option<u64> {
        let c = &self.cores[core];
        let tid = c.current?;
        matches!(self.threads[tid].state, SchedState::Running(_))
            .then(|| self.threads[tid].vruntime.saturating_add(now - c.run_since))
    }
}
