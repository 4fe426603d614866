//! Pipeline stages: workloads linked by `after`, each fed through a
//! `queue.Queue(maxsize = queue)` (python/cpython `Lib/queue.py`).
//!
//! The producer is the upstream task's own thread: its function ends with
//! `q.put(item)`, once per stage it feeds (a copy each, in the order of the
//! stages in the file). `put` runs with the GIL (`queue_put` of CPU: the
//! `not_full` condition's lock, `_put`, `not_empty.notify()`); when the
//! queue is full it waits in `not_full.wait()`, which releases the GIL and
//! blocks the thread (no core); a `get` notifies one such producer, which
//! retakes the GIL and checks again (`while self._qsize() >= maxsize`). The
//! task completes when its last put returns.
//!
//! The consumers are the stage's own workers: the stage's queue is its
//! pool's work queue, so an idle worker blocked in `get` takes an item the
//! moment it is put, and pays `queue_get` of CPU with the GIL before its
//! task's steps. A stage with several upstreams (a join) keeps one buffer
//! per upstream; an item enters the queue when every upstream has one, and
//! `queue` bounds each upstream's items not yet taken (its buffer plus the
//! joined items waiting).
//!
//! When either end runs on processes the channel is a
//! `multiprocessing.Queue` (python/cpython `Lib/multiprocessing/queues.py`):
//! `put` waits in `_sem.acquire()` without the GIL while `queue` items are
//! in the queue, appends to the buffer (`queue_put`) and hands the item to
//! the feeder thread of the producer's process (started on its first put,
//! `_start_thread`), which pickles it with that process's GIL and writes it
//! under `_wlock`: only then is it readable. A stage on processes runs
//! `workers` long-lived processes looping `get` (the read under `_rlock`,
//! `_sem.release()`, unpickling), its steps and its puts; a thread stage
//! reads and unpickles before its steps. With `channel = "pipe"`
//! (`Lib/multiprocessing/connection.py`) the producer pickles and writes
//! itself and a full pipe buffer blocks it. The item's pickled size is the
//! stage's `args_bytes`. An item counts in the queue from `put` to `get`.
//!
//! Between asyncio workloads the queue is an `asyncio.Queue` on the event
//! loop (`aio/queue.rs`): items enter and leave through `stage_put` and
//! `take_queued` here, so the statistics below are shared.
//!
//! Queue statistics are streamed: the time-weighted length, the largest
//! length, the waits of items taken and the producers' time blocked on a
//! full queue, all inside the statistics window.

use std::collections::VecDeque;

use crate::engine::EventQueue;
use crate::engine::time::Nanos;
use crate::machine::ThreadId;
use crate::results::QueueResult;
use crate::workload::pipeline::Pipeline;
use crate::workload::{Arrival, StageChannel};

use crate::python::program::Op;
use crate::python::runtime::plan::{Act, Cost, Msg};
use crate::python::runtime::{
    BurstKind, Call, Event, Next, Role, Runtime, System, Task, Wait, overlap,
};

/// One stage's queue and its statistics.
pub(in crate::python::runtime) struct StageState {
    /// What carries the items.
    pub(in crate::python::runtime) channel: StageChannel,
    /// One item's pickled size.
    item_bytes: u64,
    /// `multiprocessing.Queue._wlock` (or the lock around a `Pipe`'s
    /// sending end): one writer at a time.
    wlock: Option<usize>,
    /// Upstream workloads, as written in `after`.
    upstream: Vec<usize>,
    /// Items each upstream may have waiting (`queue`); `None`: unbounded.
    capacity: Option<u64>,
    /// Per upstream: the task ids of its waiting items (a join only).
    partial: Vec<VecDeque<u64>>,
    /// Producers blocked in `not_full.wait()`: (upstream slot, thread), FIFO.
    putters: VecDeque<(usize, ThreadId)>,
    /// Items in the queue (joined, not yet taken).
    len: u64,
    /// The largest `len` inside the window.
    len_max: u64,
    /// `len` × time inside the window.
    len_area: u128,
    /// When `len` last changed.
    len_since: Nanos,
    /// Waits of the items taken inside the window, and their count.
    wait_ns: u128,
    waits: u64,
    /// Producer time blocked on this queue, inside the window.
    blocked_ns: u128,
    /// Items put by producers and items taken by workers, over the run.
    put: u64,
    taken: u64,
    /// The most items one upstream had in the queue and its buffer at
    /// once over the run, counted from the queues themselves.
    most_held: u64,
}

impl StageState {
    /// Items a join holds for their partners from the other upstreams.
    pub(in crate::python::runtime) fn waiting(&self) -> u64 {
        self.partial.iter().map(|p| p.len() as u64).sum()
    }
}

/// A thread's part in pipeline stages, besides its core state
/// (`Runtime::stage_threads`, by thread slot).
#[derive(Debug, Clone, Copy, Default)]
pub(in crate::python::runtime) struct StageThread {
    /// Puts of the finished task's results already made.
    pub(in crate::python::runtime) puts_done: usize,
    /// A stage worker took an item: its `get` cost is still to pay.
    pub(in crate::python::runtime) get_due: Get,
    /// Where a put into a `Pipe` stage is: 0 before pickling, 1 pickled
    /// (the write is next), 2 written.
    pub(in crate::python::runtime) put_phase: u8,
    /// The item of the put in progress (when it entered its queue).
    pub(in crate::python::runtime) put_entered: Option<Task>,
    /// The thread has put into a stage's queue (its life counts in `putter_life_ns`).
    pub(in crate::python::runtime) putter: bool,
    /// Since when, and on which stage's full queue, it waits in `put`.
    pub(in crate::python::runtime) put_wait_since: Option<(Nanos, usize)>,
}

/// The `get` a stage's worker thread has yet to pay before its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(in crate::python::runtime) enum Get {
    /// Nothing due.
    #[default]
    None,
    /// `queue.Queue.get`.
    Queue,
    /// The pipe read of a `multiprocessing.Queue` or `Pipe` item, then its unpickling.
    Read,
    /// The unpickling of the item just read.
    Unpickle,
}

/// A `multiprocessing.Queue`'s feeder thread in one producer process.
#[derive(Debug, Clone, Copy)]
pub(in crate::python::runtime) struct StageFeeder {
    /// The producer's interpreter (its process).
    interp: usize,
    /// The stage it writes to.
    stage: usize,
    /// The queue's buffer (`_buffer`), as a channel the feeder reads.
    buffer: usize,
    tid: ThreadId,
}

/// What went through one stage's queue over a run (for the laws).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageCounts {
    /// Items its producers put (one per upstream task, per upstream).
    pub put: u64,
    /// Items its workers took (joined items, for a join).
    pub taken: u64,
    /// The most items one upstream had not yet taken at once.
    pub most_held: u64,
}

impl Runtime {
    /// Builds the stages' queues and each workload's successors.
    pub(in crate::python::runtime) fn stages_new(&mut self, scenario: System<'_>) {
        let mut ups: Vec<Vec<usize>> = Vec::with_capacity(scenario.workloads.len());
        let mut links = Vec::new();
        for (w, wl) in scenario.workloads.iter().enumerate() {
            let (stage, up) = match &wl.arrival {
                Arrival::After {
                    upstream,
                    capacity,
                    channel,
                    item_bytes,
                } => (
                    Some(StageState {
                        channel: *channel,
                        item_bytes: *item_bytes,
                        wlock: None,
                        upstream: upstream.clone(),
                        capacity: match channel {
                            // A full pipe blocks its writer: as many items
                            // as fit in its buffer, at least one.
                            StageChannel::Pipe => Some(
                                (self.python.process.pipe_buffer / (*item_bytes).max(1)).max(1),
                            ),
                            _ => *capacity,
                        },
                        partial: vec![VecDeque::new(); upstream.len()],
                        putters: VecDeque::new(),
                        len: 0,
                        len_max: 0,
                        len_area: 0,
                        len_since: 0,
                        wait_ns: 0,
                        waits: 0,
                        blocked_ns: 0,
                        put: 0,
                        taken: 0,
                        most_held: 0,
                    }),
                    upstream.clone(),
                ),
                _ => (None, Vec::new()),
            };
            links.extend(up.iter().map(|&u| (u, w)));
            self.models.stages.push(stage);
            ups.push(up);
        }
        for w in 0..self.models.stages.len() {
            let piped = self.models.stages[w]
                .as_ref()
                .is_some_and(|s| matches!(s.channel, StageChannel::MpQueue | StageChannel::Pipe));
            if piped {
                let name = format!("{}: the queue's _wlock", scenario.workloads[w].name);
                let l = self.new_lock(name);
                if let Some(s) = self.models.stages[w].as_mut() {
                    s.wlock = Some(l);
                }
            }
        }
        let graph = Pipeline::new(scenario.workloads.len(), &links);
        self.models.successors = (0..scenario.workloads.len())
            .map(|w| graph.successors(w, &ups))
            .collect();
    }

    /// The producer's puts at the end of its task: `true` when all are done
    /// (the task may complete), `false` when a put started a burst or blocked.
    pub(in crate::python::runtime) fn put_results(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<Event>,
    ) -> bool {
        let w = self.threads[tid].workload;
        let k = self.models.stage_threads[tid].puts_done;
        let Some(&(stage, slot)) = self.models.successors[w].get(k) else {
            self.models.stage_threads[tid].puts_done = 0;
            return true;
        };
        let (channel, bytes) = self.models.stages[stage]
            .as_ref()
            .map_or((StageChannel::Queue, 0), |s| (s.channel, s.item_bytes));
        match self.models.stage_threads[tid].put_phase {
            1 => {
                // Connection.send: the write, GIL released.
                self.models.stage_threads[tid].put_phase = 2;
                let d = self.item_cost(w, Cost::Write, bytes);
                return self.release_for(now, tid, Some(Call::NogilAside(d)), q);
            }
            2 => {
                self.models.stage_threads[tid].put_phase = 0;
                self.models.stage_threads[tid].puts_done += 1;
                let msg = Msg {
                    tasks: self.models.stage_threads[tid]
                        .put_entered
                        .take()
                        .into_iter()
                        .collect(),
                    bytes,
                };
                self.stage_ready(now, stage, msg, q);
                return self.put_results(now, tid, q);
            }
            _ => {}
        }
        if self.stage_full(stage, slot) {
            return self.release_for(now, tid, Some(Call::QueuePut(stage, slot)), q);
        }
        match channel {
            StageChannel::Queue | StageChannel::AsyncioQueue => {
                self.models.stage_threads[tid].puts_done += 1;
                let id = self.putting_task_id(now, tid);
                self.stage_put(now, stage, slot, id, q);
            }
            StageChannel::MpQueue => {
                self.models.stage_threads[tid].puts_done += 1;
                let interp = self.threads[tid].interp;
                let id = self.putting_task_id(now, tid);
                self.feed(now, w, interp, stage, id, q);
            }
            StageChannel::Pipe => {
                // Connection.send: the pickle, with the GIL, then the write.
                let id = self.putting_task_id(now, tid);
                let entered = self.stage_admit(now, stage, id);
                self.models.stage_threads[tid].put_phase = 1;
                self.models.stage_threads[tid].put_entered = Some(entered);
                let d = self.item_cost(w, Cost::Pickle, bytes);
                self.burst(now, tid, d, BurstKind::Other, Next::Run, q);
                return false;
            }
        }
        let d = self.overhead(tid, self.python.queue_put);
        self.burst(now, tid, d, BurstKind::Other, Next::Run, q);
        false
    }

    /// The id an item put by `tid` carries downstream: its task's (a thread
    /// between its program and its completion; a pool's parent or a
    /// process stage's worker: the task whose completion follows its puts).
    fn putting_task_id(&mut self, now: Nanos, tid: ThreadId) -> u64 {
        let held = self.threads[tid].task.or_else(|| {
            self.models.agents[tid].plan.iter().find_map(|a| match a {
                Act::IterationDone(task) => Some(*task),
                _ => None,
            })
        });
        match held {
            Some(task) => task.id,
            None => self.new_task(now).id,
        }
    }

    /// An item of task `id` put into a `multiprocessing.Queue` or `Pipe`
    /// stage at `now`: counted in the queue (it holds a slot of `_sem` until
    /// a get), not yet readable. Returns the stage's task it is.
    fn stage_admit(&mut self, now: Nanos, stage: usize, id: u64) -> Task {
        if let Some(s) = self.models.stages[stage].as_mut() {
            s.put += 1;
        }
        self.batch_left = self.batch_left.saturating_add(1);
        self.workloads[stage].arrived += 1;
        self.add_task_memory(stage);
        self.set_queue_len(stage, now, 1);
        if let Some(s) = self.models.stages[stage].as_mut() {
            s.most_held = s.most_held.max(s.len);
        }
        Task::arrived(now, id)
    }

    /// `Queue.put` (its item counted in the queue at `now`) hands the item
    /// to the feeder thread of this process (`_start_thread` on the first
    /// put, python/cpython `Lib/multiprocessing/queues.py`), which pickles
    /// and writes it.
    fn feed(
        &mut self,
        now: Nanos,
        w: usize,
        interp: usize,
        stage: usize,
        id: u64,
        q: &mut EventQueue<Event>,
    ) {
        let entered = self.stage_admit(now, stage, id);
        let buffer = match self
            .models
            .stage_feeders
            .iter()
            .find(|f| f.interp == interp && f.stage == stage)
        {
            Some(f) => f.buffer,
            None => {
                let buffer = self.new_channel();
                let tid = self.spawn_in(now, w, Role::StageFeeder, None, interp, q);
                // The feeder is not one of the workload's `workers`.
                self.workloads[w].threads -= 1;
                self.models.stage_feeders.push(StageFeeder {
                    interp,
                    stage,
                    buffer,
                    tid,
                });
                buffer
            }
        };
        let bytes = self.models.stages[stage]
            .as_ref()
            .map_or(0, |s| s.item_bytes);
        let msg = Msg {
            tasks: vec![entered],
            bytes,
        };
        self.deliver(now, buffer, msg, q);
    }

    /// `Queue._feed`'s loop: take from the buffer, pickle, write under `_wlock`.
    pub(in crate::python::runtime) fn stage_feeder_loop(&self, tid: ThreadId) -> Vec<Act> {
        let Some(f) = self.models.stage_feeders.iter().find(|f| f.tid == tid) else {
            return vec![Act::Exit];
        };
        let mut acts = vec![Act::Recv(f.buffer), Act::Held(Cost::Pickle)];
        acts.extend(self.write_acts(f.stage));
        acts
    }

    /// The write of the held item to `stage`, under its `_wlock`.
    fn write_acts(&self, stage: usize) -> Vec<Act> {
        let wlock = self.models.stages[stage].as_ref().and_then(|s| s.wlock);
        let mut acts = Vec::new();
        if let Some(l) = wlock {
            acts.push(Act::Lock(Op::LockAcquire(l)));
        }
        acts.extend([Act::Nogil(Cost::Write), Act::StageDeliver(stage)]);
        if let Some(l) = wlock {
            acts.push(Act::Lock(Op::LockRelease(l)));
        }
        acts
    }

    /// The stage a feeder thread writes to.
    pub(in crate::python::runtime) fn stage_feeder_target(&self, tid: ThreadId) -> usize {
        self.models
            .stage_feeders
            .iter()
            .find(|f| f.tid == tid)
            .map_or(self.threads[tid].workload, |f| f.stage)
    }

    /// A process stage's worker puts its task's item into the `k`-th stage
    /// it feeds: `_sem.acquire()` (blocking, GIL released, while the
    /// queue is full), then the put (`multiprocessing.Queue`: to this
    /// process's feeder; `Pipe`: pickled and written by the worker itself).
    pub(in crate::python::runtime) fn agent_stage_put(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        k: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        let w = self.threads[tid].workload;
        let Some(&(stage, slot)) = self.models.successors[w].get(k) else {
            self.models.agents[tid].plan.pop_front();
            return true;
        };
        self.models.stage_threads[tid].putter = true;
        if self.stage_full(stage, slot) {
            return self.release_for(now, tid, Some(Call::QueuePut(stage, slot)), q);
        }
        self.models.agents[tid].plan.pop_front();
        let (channel, bytes) = self.models.stages[stage]
            .as_ref()
            .map_or((StageChannel::MpQueue, 0), |s| (s.channel, s.item_bytes));
        let id = self.putting_task_id(now, tid);
        if channel == StageChannel::Pipe {
            let entered = self.stage_admit(now, stage, id);
            let mut acts = vec![Act::Held(Cost::Pickle)];
            acts.extend(self.write_acts(stage));
            self.models.agents[tid].msg = Some(Msg {
                tasks: vec![entered],
                bytes,
            });
            for a in acts.into_iter().rev() {
                self.models.agents[tid].plan.push_front(a);
            }
            return true;
        }
        let interp = self.threads[tid].interp;
        self.feed(now, w, interp, stage, id, q);
        self.models.agents[tid]
            .plan
            .push_front(Act::Held(Cost::QueuePut));
        true
    }

    /// The item `msg` is written: a process stage's workers read it from
    /// their queue's pipe, a thread stage's workers take it from the work queue.
    pub(in crate::python::runtime) fn stage_ready(
        &mut self,
        now: Nanos,
        stage: usize,
        msg: Msg,
        q: &mut EventQueue<Event>,
    ) {
        if let Some(inq) = self.workloads[stage].pool.as_ref().map(|p| p.inq()) {
            let mut msg = msg;
            self.index_tasks(stage, &mut msg.tasks);
            self.deliver(now, inq, msg, q);
            return;
        }
        let Some(&entered) = msg.tasks.first() else {
            return;
        };
        self.workloads[stage].queue.push_back(entered);
        self.dispatch_task(now, stage, q);
    }

    /// The `get` a stage's worker thread pays before its task's steps:
    /// `queue.Queue.get` with the GIL, or a `multiprocessing.Queue` or
    /// `Pipe` read (GIL released) and unpickling (with it).
    pub(in crate::python::runtime) fn run_get(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<Event>,
    ) -> bool {
        let w = self.threads[tid].workload;
        let bytes = self.models.stages[w].as_ref().map_or(0, |s| s.item_bytes);
        match self.models.stage_threads[tid].get_due {
            Get::None => true,
            Get::Queue => {
                self.models.stage_threads[tid].get_due = Get::None;
                let d = self.overhead(tid, self.python.queue_get);
                self.burst(now, tid, d, BurstKind::Other, Next::Run, q);
                false
            }
            Get::Read => {
                self.models.stage_threads[tid].get_due = Get::Unpickle;
                let d = self.item_cost(w, Cost::Read, bytes);
                self.release_for(now, tid, Some(Call::NogilAside(d)), q)
            }
            Get::Unpickle => {
                self.models.stage_threads[tid].get_due = Get::None;
                let d = self.item_cost(w, Cost::Unpickle, bytes);
                self.burst(now, tid, d, BurstKind::Other, Next::Run, q);
                false
            }
        }
    }

    /// `not_full.wait()` without the GIL: `true` if the queue has room
    /// again (the thread goes on), else the thread blocks until a `get`.
    pub(in crate::python::runtime) fn wait_not_full(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        stage: usize,
        slot: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        self.threads[tid].next = Next::ReturnCost;
        if !self.stage_full(stage, slot) {
            return true;
        }
        if let Some(s) = self.models.stages[stage].as_mut() {
            s.putters.push_back((slot, tid));
        }
        self.block(now, tid, Wait::QueueFull(stage), q);
        false
    }

    /// Whether upstream `slot` of `stage` has `queue` items not yet taken.
    fn stage_full(&self, stage: usize, slot: usize) -> bool {
        self.models.stages[stage].as_ref().is_some_and(|s| {
            s.capacity
                .is_some_and(|c| s.partial[slot].len() as u64 + s.len >= c)
        })
    }

    /// An item of task `id` from upstream `slot` arrives at `stage` (a
    /// join's item: once every upstream has one, with the first upstream's id).
    fn stage_put(
        &mut self,
        now: Nanos,
        stage: usize,
        slot: usize,
        id: u64,
        q: &mut EventQueue<Event>,
    ) {
        let Some(s) = self.models.stages[stage].as_mut() else {
            return;
        };
        s.put += 1;
        let mut id = id;
        if s.upstream.len() > 1 {
            s.partial[slot].push_back(id);
            if s.partial.iter().any(VecDeque::is_empty) {
                return;
            }
            for (k, p) in s.partial.iter_mut().enumerate() {
                let front = p.pop_front();
                if k == 0 {
                    id = front.unwrap_or(id);
                }
            }
        }
        // One more task to wait for before a batch run ends (saturated by a
        // batch of 2^64 - 1 tasks upstream, which never ends).
        self.batch_left = self.batch_left.saturating_add(1);
        self.workloads[stage].arrived += 1;
        self.add_task_memory(stage);
        self.set_queue_len(stage, now, 1);
        self.enqueue_task(now, stage, Task::arrived(now, id), q);
        let queued = self.workloads[stage].queue.len();
        if let Some(s) = self.models.stages[stage].as_mut() {
            let held = s.partial.iter().map(|p| p.len() as u64).max().unwrap_or(0) + queued;
            s.most_held = s.most_held.max(held);
        }
    }

    /// Takes the next task of `w`'s queue for a worker; for a stage, counts
    /// the item's wait and notifies a blocked producer of each upstream.
    #[inline]
    pub(in crate::python::runtime) fn take_queued(
        &mut self,
        now: Nanos,
        w: usize,
        q: &mut EventQueue<Event>,
    ) -> Option<Task> {
        let task = self.workloads[w].queue.pop_front()?;
        self.workloads[w].picked += 1;
        self.stage_taken(now, w, task.arrival, q);
        Some(Task {
            index: Some(self.next_index(w)),
            ..task.picked_at(now)
        })
    }

    /// `task` of `w`, picked up by a worker at `now` (counted, given its
    /// arrival order).
    pub(in crate::python::runtime) fn pick(&mut self, w: usize, task: Task, now: Nanos) -> Task {
        self.workloads[w].picked += 1;
        Task {
            index: Some(self.next_index(w)),
            ..task.picked_at(now)
        }
    }

    /// The arrival order of `w`'s next task taken from its queue or
    /// created (the queue is first in, first out).
    pub(in crate::python::runtime) fn next_index(&mut self, w: usize) -> u64 {
        let wl = &mut self.workloads[w];
        wl.indexed += 1;
        wl.indexed - 1
    }

    /// Gives each of `tasks` (leaving `w`'s queue in order) its arrival order.
    pub(in crate::python::runtime) fn index_tasks(&mut self, w: usize, tasks: &mut [Task]) {
        for t in tasks {
            t.index = Some(self.next_index(w));
        }
    }

    /// A worker of stage `w` took an item that entered its queue at
    /// `entered`: counts its wait and notifies a blocked producer of each
    /// upstream (`not_full.notify()`, or `_sem.release()`).
    pub(in crate::python::runtime) fn stage_taken(
        &mut self,
        now: Nanos,
        w: usize,
        entered: Nanos,
        q: &mut EventQueue<Event>,
    ) {
        if self.models.stages[w].is_none() {
            return;
        }
        self.set_queue_len(w, now, -1);
        let warmup = self.warmup;
        let mut woken = Vec::new();
        if let Some(s) = self.models.stages[w].as_mut() {
            s.taken += 1;
            if now >= warmup {
                s.wait_ns += u128::from(now - entered);
                s.waits += 1;
            }
            for slot in 0..s.upstream.len() {
                if let Some(i) = s.putters.iter().position(|(p, _)| *p == slot)
                    && let Some((_, tid)) = s.putters.remove(i)
                {
                    woken.push(tid);
                }
            }
        }
        for tid in woken {
            self.wake(now, tid, Next::ReturnCost, q);
        }
    }

    /// A worker of a stage took an item: `get` costs it `queue_get` first.
    #[inline]
    pub(in crate::python::runtime) fn note_get(&mut self, tid: ThreadId) {
        let w = self.threads[tid].workload;
        if let Some(s) = self.models.stages[w].as_ref() {
            self.models.stage_threads[tid].get_due = match s.channel {
                StageChannel::Queue | StageChannel::AsyncioQueue => Get::Queue,
                StageChannel::MpQueue | StageChannel::Pipe => Get::Read,
            };
        }
    }

    fn set_queue_len(&mut self, stage: usize, now: Nanos, delta: i64) {
        let warmup = self.warmup;
        if let Some(s) = self.models.stages[stage].as_mut() {
            s.len_area += u128::from(s.len) * u128::from(overlap(s.len_since, now, warmup));
            s.len_since = now;
            s.len = s.len.saturating_add_signed(delta);
            if now >= warmup {
                s.len_max = s.len_max.max(s.len);
            }
        }
    }

    /// At the warm-up's end the largest length restarts from the current one.
    pub(in crate::python::runtime) fn stages_warmup_end(&mut self) {
        for s in self.models.stages.iter_mut().flatten() {
            s.len_max = s.len;
        }
    }

    /// A producer's wait on a full queue ended at `now`.
    #[inline]
    pub(in crate::python::runtime) fn end_put_wait(&mut self, tid: ThreadId, now: Nanos) {
        if let Some((since, stage)) = self.models.stage_threads[tid].put_wait_since.take()
            && let Some(s) = self.models.stages[stage].as_mut()
        {
            let blocked = u128::from(overlap(since, now, self.warmup));
            s.blocked_ns += blocked;
            let w = self.threads[tid].workload;
            self.workloads[w].put_blocked_ns[stage] += blocked;
        }
    }

    /// The queue figures of stage `w` for the window ending at `end`
    /// (`None` for a workload that is not a stage).
    pub(in crate::python::runtime) fn queue_result(
        &self,
        w: usize,
        end: Nanos,
    ) -> Option<QueueResult> {
        let s = self.models.stages[w].as_ref()?;
        let window = end.saturating_sub(self.warmup);
        let area =
            s.len_area + u128::from(s.len) * u128::from(overlap(s.len_since, end, self.warmup));
        let producers: u128 = s.upstream.iter().map(|&u| self.producer_life_ns(u)).sum();
        let frac = |x: u128, d: u128| if d > 0 { x as f64 / d as f64 } else { 0.0 };
        Some(QueueResult {
            wait_mean_ms: (s.waits > 0).then(|| s.wait_ns as f64 / s.waits as f64 / 1e6),
            len_mean: frac(area, u128::from(window)),
            len_max: s.len_max,
            blocked_put_fraction: frac(s.blocked_ns, producers),
        })
    }

    /// The time over which a producer's blocked puts are a fraction, in the
    /// window: its threads' lifetime, or for asyncio its coroutines' (the
    /// loop thread is shared by every asyncio workload).
    pub(in crate::python::runtime) fn producer_life_ns(&self, w: usize) -> u128 {
        let wl = &self.workloads[w];
        if wl.driver.coroutines() {
            wl.coro_life_ns
        } else {
            wl.thread_life_ns
        }
    }

    /// Whether upstream `slot` of `stage` may not put now (for `aio/queue.rs`).
    pub(in crate::python::runtime) fn stage_is_full(&self, stage: usize, slot: usize) -> bool {
        self.stage_full(stage, slot)
    }

    /// An item of task `id` from upstream `slot` enters `stage` (for `aio/queue.rs`).
    /// For a `multiprocessing.Queue` stage (fed from the event loop's
    /// thread, workload `w`), the item goes to the main process's feeder.
    pub(in crate::python::runtime) fn stage_put_item(
        &mut self,
        now: Nanos,
        w: usize,
        stage: usize,
        slot: usize,
        id: u64,
        q: &mut EventQueue<Event>,
    ) {
        if self.models.stages[stage]
            .as_ref()
            .is_some_and(|s| s.channel == StageChannel::MpQueue)
        {
            self.feed(now, w, 0, stage, id, q);
            return;
        }
        self.stage_put(now, stage, slot, id, q);
    }

    /// How many upstreams feed `stage` (0: not a stage).
    pub(in crate::python::runtime) fn stage_slots(&self, stage: usize) -> usize {
        self.models.stages[stage]
            .as_ref()
            .map_or(0, |s| s.upstream.len())
    }

    /// A producer of workload `w` was blocked on `stage`'s full queue over
    /// `[since, now]` (a coroutine's suspended `put`, for `aio/queue.rs`).
    pub(in crate::python::runtime) fn add_put_blocked(
        &mut self,
        w: usize,
        stage: usize,
        since: Nanos,
        now: Nanos,
    ) {
        let blocked = u128::from(overlap(since, now, self.warmup));
        if let Some(s) = self.models.stages[stage].as_mut() {
            s.blocked_ns += blocked;
        }
        self.workloads[w].put_blocked_ns[stage] += blocked;
    }

    /// What went through each stage's queue over the run, per workload
    /// (`None` for a workload that is not a stage).
    pub fn stage_counts(&self) -> Vec<Option<StageCounts>> {
        self.models
            .stages
            .iter()
            .map(|s| {
                s.as_ref().map(|s| StageCounts {
                    put: s.put,
                    taken: s.taken,
                    most_held: s.most_held,
                })
            })
            .collect()
    }
}
