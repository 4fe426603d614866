//! Pipeline stages between asyncio workloads: an `asyncio.Queue(maxsize =
//! queue)` on the one event loop (python/cpython `Lib/asyncio/queues.py`).
//!
//! The producer is the upstream task's own coroutine: after its steps it
//! does `await q.put(item)`, once per stage it feeds (in the order of the
//! stages in the file, as the thread version in `stages.rs`). `Queue.put`
//! is `while self.full(): putter = loop.create_future();
//! self._putters.append(putter); await putter`, then `put_nowait`: `_put`,
//! `_unfinished_tasks += 1`, `_wakeup_next(self._getters)` (the first
//! waiting getter's future gets `set_result`, so that getter's
//! `Task.__step` is scheduled with `call_soon`). A put that waits suspends
//! the coroutine (the loop runs other callbacks; nothing is held); once
//! woken it checks `full()` again and, still full, appends a new putter at
//! the end. `put_nowait` costs `queue_put` of CPU with the GIL on the loop
//! thread: the cost measured for `queue.Queue.put`, used for
//! `asyncio.Queue.put_nowait` too (it does less: no lock, no condition, so
//! this is an upper bound; a put is small beside `task_step`). The task
//! completes (latency, `workers` permit released) when its last put returns.
//!
//! The consumers: a stage on asyncio runs `workers` long-lived consumer
//! coroutines, created with the loop (`asyncio.create_task(consumer(q))`,
//! each paying `coroutine_create`), each looping `item = await q.get();
//! <steps>; <puts downstream>`; without `workers` (unlimited, the asyncio
//! default) a stage has one consumer, the usual single
//! `create_task(consumer(q))`. The consumers are the stage's concurrency,
//! so no `workers` semaphore is taken around them. `Queue.get` is `while
//! self.empty(): getter = loop.create_future(); self._getters.append(getter);
//! await getter`, then `get_nowait`: `_get` and `_wakeup_next(self._putters)`
//! (the first blocked putter's step, by `call_soon`); it costs `queue_get`
//! of CPU with the GIL (measured for `queue.Queue.get`, as for puts). An
//! item put while a getter waits stays in the queue until that getter's
//! step runs, so another consumer coming to `get` first may take it, and
//! the woken one waits again (at the end of `_getters`).
//!
//! Each item is one task of the stage: it arrives when it enters the queue
//! and completes when its consumer's last put returns (latency = completion
//! − entry, docs/MODEL.md#measurements). A join (several `after`) keeps one buffer per
//! upstream, as the thread version: an item enters the queue when every
//! upstream has one, `queue` bounds each upstream's items not yet taken,
//! and a get wakes the first blocked putter of each upstream.
//!
//! Statistics reuse the thread version's (`stages.rs`): queue length over
//! time, waits of the items taken, puts and gets, most held, and the
//! producers' blocked time, here the time a coroutine is suspended in a
//! full put (from its `await putter` to the step that re-checks `full()`).
//! `blocked_put_fraction` divides it by the upstream workloads' summed
//! coroutine lifetime in the window: a task's coroutine from its admission
//! into the `workers` semaphore (its first step, without `workers`) to its
//! return, the analogue of a pool thread's time on its task; a stage's
//! consumers live over the whole run.
//!
//! Consumers waiting in `get` at the end are neither tasks nor a deadlock:
//! a batch run ends when the last item's task completes.

use crate::engine::EventQueue;
use crate::engine::time::Nanos;
use crate::machine::ThreadId;
use crate::workload::{Arrival, Workers};

use super::Cb;
use crate::python::runtime::drivers::Driver;
use crate::python::runtime::plan::Act;
use crate::python::runtime::{Event, Runtime, overlap};

impl Runtime {
    /// Starts each asyncio stage's consumer coroutines (with the loop).
    pub(in crate::python::runtime) fn aio_start_consumers(&mut self, q: &mut EventQueue<Event>) {
        for w in 0..self.workloads.len() {
            if self.workloads[w].driver != Driver::Asyncio
                || !matches!(self.workloads[w].arrival, Arrival::After { .. })
            {
                continue;
            }
            let n = match self.workloads[w].workers {
                Workers::Fixed(n) => n,
                Workers::PerTask | Workers::Unlimited => 1,
            };
            for _ in 0..n {
                self.new_coro(0, None, w, true, q);
            }
        }
    }

    /// After its steps: the coroutine's next put, or its return.
    pub(in crate::python::runtime) fn coro_end(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        c: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        let co = self.lp().coros[c];
        let w = co.workload;
        let k = co.pc - self.workloads[w].ops.len();
        match self.models.successors[w].get(k).copied() {
            Some((stage, slot)) => self.aio_put(now, tid, c, stage, slot, q),
            None => self.complete_coro(now, tid, c),
        }
    }

    /// `await q.put(item)` into upstream `slot` of `stage`.
    fn aio_put(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        c: usize,
        stage: usize,
        slot: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        self.end_coro_put_wait(c, now);
        if self.stage_is_full(stage, slot) {
            // `self._putters.append(putter); await putter`.
            let l = self.lp();
            l.coros[c].put_wait_since = Some((now, stage));
            l.putters[stage].push_back((slot, c));
            return self.suspend(tid);
        }
        // `put_nowait`: `_put`, then `_wakeup_next(self._getters)`.
        self.lp().coros[c].pc += 1;
        let (w, id) = (self.lp().coros[c].workload, self.lp().coros[c].task.id);
        self.stage_put_item(now, w, stage, slot, id, q);
        let d = self.loop_cost(self.python.queue_put);
        self.models.agents[tid].plan.push_front(Act::Burn(d));
        true
    }

    /// `_wakeup_next(self._getters)`: an item entered asyncio stage `w`.
    pub(in crate::python::runtime) fn aio_queue_wakeup_getter(&mut self, w: usize) {
        if let Some(g) = self.lp().getters[w].pop_front() {
            self.call_soon(Cb::Step(g));
        }
    }

    /// `item = await q.get()` of a consumer coroutine of stage `w`.
    pub(in crate::python::runtime) fn aio_get(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        c: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        let w = self.lp().coros[c].workload;
        let Some(entered) = self.take_queued(now, w, q) else {
            // `self._getters.append(getter); await getter`.
            self.lp().getters[w].push_back(c);
            return self.suspend(tid);
        };
        let l = self.lp();
        let co = &mut l.coros[c];
        co.holding = true;
        co.task = entered;
        co.pc = 0;
        // `_wakeup_next(self._putters)`: the first putter of each upstream.
        for slot in 0..self.stage_slots(w) {
            let putters = &mut self.lp().putters[w];
            if let Some(i) = putters.iter().position(|&(s, _)| s == slot)
                && let Some((_, p)) = putters.remove(i)
            {
                self.call_soon(Cb::Step(p));
            }
        }
        let d = self.loop_cost(self.python.queue_get);
        self.models.agents[tid].plan.push_front(Act::Burn(d));
        true
    }

    /// A coroutine's suspension in a full put ended at `now`.
    fn end_coro_put_wait(&mut self, c: usize, now: Nanos) {
        let co = &mut self.lp().coros[c];
        if let Some((since, stage)) = co.put_wait_since.take() {
            let w = co.workload;
            self.add_put_blocked(w, stage, since, now);
        }
    }

    /// Counts live coroutines' lifetime and blocked puts up to `end`.
    pub(in crate::python::runtime) fn aio_close_intervals(&mut self, end: Nanos) {
        let shapes = (0..self.models.loops.len()).map(Some);
        for lp in std::iter::once(None).chain(shapes) {
            self.enter_loop(lp);
            if self.cur().is_some() {
                self.loop_close_intervals(end);
            }
        }
    }

    /// Counts the current loop's live coroutines' lifetime and blocked puts up to `end`.
    fn loop_close_intervals(&mut self, end: Nanos) {
        let n = self.cur().map_or(0, |l| l.coros.len());
        let warmup = self.warmup;
        for c in 0..n {
            let co = self.lp().coros[c];
            if !co.live {
                continue;
            }
            self.workloads[co.workload].coro_life_ns += u128::from(overlap(co.born, end, warmup));
            self.lp().coros[c].born = end;
            if let Some((_, stage)) = co.put_wait_since {
                self.end_coro_put_wait(c, end);
                self.lp().coros[c].put_wait_since = Some((end, stage));
            }
        }
    }

    /// One line per asyncio stage whose full queue coroutines wait on.
    pub(in crate::python::runtime) fn aio_queue_deadlock(&self) -> Vec<String> {
        let Some(l) = self.models.aio.as_deref() else {
            return Vec::new();
        };
        l.putters
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.is_empty())
            .map(|(stage, p)| {
                format!(
                    "{} coroutine(s) wait for room in the queue of stage `{}` (a full asyncio.Queue)",
                    p.len(),
                    self.workloads[stage].name
                )
            })
            .collect()
    }
}
