//! The loop thread's `BaseEventLoop._run_once` (python/cpython
//! `Lib/asyncio/base_events.py`): the poll and its timeout, the due timers
//! and I/O events moved into `_ready`, then exactly the callbacks that were
//! ready when the pass began.

use crate::engine::EventQueue;
use crate::engine::time::Nanos;
use crate::machine::ThreadId;

use super::*;

impl Runtime {
    /// Runs the next act of the loop thread or of an executor thread.
    pub(in crate::python::runtime) fn run_aio(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<Event>,
    ) -> bool {
        self.enter_loop_of(tid);
        let Some(act) = self.models.agents[tid].plan.front().copied() else {
            if self.threads[tid].role == Role::Loop {
                self.models.agents[tid]
                    .plan
                    .extend([Act::Poll, Act::Collect]);
                return true;
            }
            return self.executor_next(now, tid, q);
        };
        match act {
            Act::Poll => {
                if self.cur_loop().is_some() {
                    self.shape_loop_accepts(now, tid, q);
                }
                let l = self.lp();
                if !l.ready.is_empty() || !l.events.is_empty() {
                    // select(0): returns at once, but still releases the GIL.
                    let d = self.loop_cost(self.python.asyncio.loop_poll);
                    return self.release_for(now, tid, Some(Call::Nogil(d)), q);
                }
                let wake = l.timers.keys().next().map(|&(deadline, _)| {
                    let timeout = deadline.saturating_sub(now);
                    (timeout > 0).then(|| ceil_ms(timeout))
                });
                match wake {
                    // A timer already due: timeout 0.
                    Some(None) => {
                        let d = self.loop_cost(self.python.asyncio.loop_poll);
                        self.release_for(now, tid, Some(Call::Nogil(d)), q)
                    }
                    Some(Some(timeout)) => {
                        let slack = self.slack();
                        self.release_for(
                            now,
                            tid,
                            Some(Call::Poll(Some(timeout.saturating_add(slack)))),
                            q,
                        )
                    }
                    None => self.release_for(now, tid, Some(Call::Poll(None)), q),
                }
            }
            Act::Collect => {
                self.models.agents[tid].plan.pop_front();
                let l = self.lp();
                l.polling = false;
                while let Some(cb) = l.events.pop_front() {
                    l.ready.push_back((l.ready_seq, cb));
                    l.ready_seq += 1;
                }
                while let Some((&(deadline, seq), &coro)) = l.timers.iter().next() {
                    if deadline > now {
                        break;
                    }
                    l.timers.remove(&(deadline, seq));
                    l.ready
                        .push_back((l.ready_seq, Cb::Timer { coro, deadline }));
                    l.ready_seq += 1;
                }
                let ntodo = l.ready.len();
                let ready_below = l.ready_seq;
                self.log(LoopRecord::Pass {
                    at: now,
                    ntodo,
                    ready_below,
                });
                self.models.agents[tid].plan.push_back(Act::Run(ntodo));
                true
            }
            Act::Run(0) => {
                self.models.agents[tid].plan.pop_front();
                true
            }
            Act::Run(n) => {
                let Some((seq, cb)) = self.lp().ready.pop_front() else {
                    unreachable!("fewer ready callbacks than ntodo");
                };
                self.models.agents[tid].plan[0] = Act::Run(n - 1);
                self.run_callback(now, tid, seq, cb);
                true
            }
            Act::Burn(d) => {
                self.burst(now, tid, d, BurstKind::Other, Next::StepDone, q);
                false
            }
            Act::Coro(c) => self.run_coro(now, tid, c, q),
            Act::Slice(c) => self.run_slice(now, tid, c, q),
            _ => unreachable!("not an asyncio act"),
        }
    }

    /// Starts one callback: its cost, then what it does.
    pub(super) fn run_callback(&mut self, now: Nanos, tid: ThreadId, seq: u64, cb: Cb) {
        let a = self.python.asyncio.clone();
        let (kind, coro) = match cb {
            Cb::Spawn(c) => (CallbackKind::Spawn, c),
            Cb::Step(c) => (CallbackKind::Step, c),
            Cb::Timer { coro, .. } => (CallbackKind::Timer, coro),
            Cb::Done(c) => (CallbackKind::Done, c),
        };
        let serial = self.lp().coros[coro].serial;
        self.log(LoopRecord::Callback {
            at: now,
            seq,
            kind,
            coro: serial,
        });
        match cb {
            Cb::Spawn(c) => {
                let d = self
                    .loop_cost(a.loop_callback)
                    .saturating_add(self.loop_cost(a.coroutine_create));
                self.models.agents[tid].plan.push_front(Act::Burn(d));
                self.call_soon(Cb::Step(c));
            }
            Cb::Step(c) => {
                let d = self
                    .loop_cost(a.loop_callback)
                    .saturating_add(self.loop_cost(a.task_step));
                self.models.agents[tid].plan.push_front(Act::Coro(c));
                self.models.agents[tid].plan.push_front(Act::Burn(d));
            }
            Cb::Timer { coro, deadline } => {
                debug_assert!(now >= deadline, "a timer fired early");
                if now >= self.warmup {
                    self.lp().lag.record(now - deadline);
                }
                self.log(LoopRecord::Timer { deadline, at: now });
                let d = self.loop_cost(a.loop_callback);
                self.models.agents[tid].plan.push_front(Act::Burn(d));
                self.call_soon(Cb::Step(coro));
            }
            Cb::Done(c) => {
                let d = self.loop_cost(a.loop_callback);
                self.models.agents[tid].plan.push_front(Act::Burn(d));
                self.call_soon(Cb::Step(c));
            }
        }
    }

    /// Makes the loop thread's poll wait (`Call::Poll`): `timeout` `None` is forever.
    pub(in crate::python::runtime) fn start_poll(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        timeout: Option<Nanos>,
        q: &mut EventQueue<Event>,
    ) -> bool {
        self.advance(tid);
        let t = &mut self.threads[tid];
        t.epoch += 1;
        t.next = Next::ReturnCost;
        let epoch = t.epoch;
        if let Some(timeout) = timeout {
            let event = Event::CallReturn { thread: tid, epoch };
            self.arm_timed_wait(tid, now.saturating_add(timeout), event, q);
        }
        self.lp().polling = true;
        self.block(now, tid, Wait::Call, q);
        false
    }
}
