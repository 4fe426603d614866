//! Taking and dropping the GIL (python/cpython `Python/ceval_gil.c`:
//! `take_gil`, `drop_gil`, `SET_GIL_DROP_REQUEST`, FORCE_SWITCHING) and the
//! calls a thread makes with the GIL released.

use super::*;
use crate::engine::EventQueue;
use crate::engine::time::Nanos;
use crate::machine::ThreadId;

impl Runtime {
    /// `take_gil`: acquire a free GIL at once, or wait on its condition variable.
    pub(super) fn take_gil(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<Event>,
    ) -> bool {
        if !self.python.gil_enabled {
            return true;
        }
        let i = self.threads[tid].interp;
        if !self.interps[i].gil.locked() {
            if let Some(dropper) = self.interps[i].gil.acquire(now, tid) {
                // COND_SIGNAL(gil->switch_cond): the forced dropper may go on.
                self.wake(now, dropper, Next::SwitchWoken, q);
            }
            let t = &mut self.threads[tid];
            t.holds_gil = true;
            t.next = Next::Run;
            if let Some(since) = t.gil_wait_since.take() {
                let w = t.workload;
                self.workloads[w].gil_wait_ns += u128::from(overlap(since, now, self.warmup));
            }
            return true;
        }
        let interval = self.python.switch_interval();
        let slack = self.slack();
        let t = &mut self.threads[tid];
        t.saved_switch = self.interps[i].gil.switch_number();
        t.epoch += 1;
        t.gil_wait_since.get_or_insert(now);
        let epoch = t.epoch;
        t.gil_deadline = now.saturating_add(interval).saturating_add(slack);
        let deadline = t.gil_deadline;
        self.interps[i].gil.wait(tid);
        self.arm_timed_wait(tid, deadline, Event::GilTimeout { thread: tid, epoch }, q);
        self.block(now, tid, Wait::Gil, q);
        false
    }

    /// `take_gil` by a thread alone in its interpreter ([`Runtime::alone`]):
    /// the GIL is free, and the thread goes on in the same step.
    pub(super) fn take_alone(&mut self, now: Nanos, tid: ThreadId) {
        let i = self.threads[tid].interp;
        self.interps[i].gil.take_alone(now, tid);
        self.gil_elided += 1;
        let t = &mut self.threads[tid];
        t.holds_gil = true;
        if let Some(since) = t.gil_wait_since.take() {
            let w = t.workload;
            self.workloads[w].gil_wait_ns += u128::from(overlap(since, now, self.warmup));
        }
    }

    /// `SET_GIL_DROP_REQUEST`: the holder notices at its next check point,
    /// within `check_latency` of CPU for a `cpu` step, at the end otherwise.
    pub(super) fn request_drop(
        &mut self,
        now: Nanos,
        by: ThreadId,
        interp: usize,
        q: &mut EventQueue<Event>,
    ) {
        let Some(holder) = self.interps[interp].gil.holder() else {
            return;
        };
        // On several cores the holder runs beside the requester; the model's
        // scheduler may have preempted it for the requester's moment on a
        // core, where Linux would mostly have found the requester another.
        let holder_running = self.machine.cores() >= 2
            && (self.machine.on_core(holder) || self.machine.is_runnable(holder));
        self.interps[interp].gil.request_drop(by, holder_running);
        let t = &self.threads[holder];
        if t.burst != BurstKind::Python || !matches!(t.next, Next::StepDone | Next::UpdateDone) {
            return;
        }
        let Some(remaining) = self.machine.burst_remaining(now, holder) else {
            return;
        };
        let check = self.overhead_free_sample(holder, self.python.check_latency);
        if remaining > check {
            self.threads[holder].split_rest = Some(remaining - check);
            self.threads[holder].next = Next::Run;
            self.machine.shorten_burst(now, holder, check, q);
        }
    }

    /// Whether requester `r`, racing back into its wait, takes a forced
    /// drop's signal first: a draw from its workload's stream.
    fn requester_wins(&mut self, r: ThreadId) -> bool {
        let p = self.python.gil_requester_wins;
        let w = self.threads[r].workload;
        p >= 1.0 || (p > 0.0 && self.workloads[w].runtime_rng.unit() < p)
    }

    pub(super) fn overhead_free_sample(&mut self, tid: ThreadId, dist: Dist) -> Nanos {
        let w = self.threads[tid].workload;
        dist.sample(&mut self.workloads[w].runtime_rng)
    }

    /// `drop_gil` before `call` (a voluntary drop), or at a check point with
    /// `call = None` (a forced drop). Waits on `switch_cond` when a drop request is pending.
    pub(super) fn release_for(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        call: Option<Call>,
        q: &mut EventQueue<Event>,
    ) -> bool {
        if !self.python.gil_enabled {
            return match call {
                Some(call) => self.start_call(now, tid, call, q),
                None => true,
            };
        }
        let i = self.threads[tid].interp;
        if let Some(call) = call
            && self.alone(tid)
        {
            // Nothing to signal and no switch to wait for (Runtime::alone).
            self.interps[i].gil.drop_alone(now, tid);
            self.threads[tid].holds_gil = false;
            self.gil_elided += 1;
            return self.start_call(now, tid, call, q);
        }
        let first = self.interps[i]
            .gil
            .racing_requester(tid)
            .filter(|&r| self.requester_wins(r));
        let dropped = self.interps[i].gil.drop(now, tid, false, first);
        self.threads[tid].holds_gil = false;
        if let Some(waiter) = dropped.signalled {
            self.end_timed_wait(waiter, q);
            self.wake(now, waiter, Next::GilRecheck { timed_out: false }, q);
        }
        if dropped.must_wait_for_switch {
            let t = &mut self.threads[tid];
            t.pending_call = call;
            t.next = Next::SwitchWoken;
            if call.is_none() {
                t.gil_wait_since.get_or_insert(now);
            }
            self.block(now, tid, Wait::Switch, q);
            return false;
        }
        match call {
            Some(call) => self.start_call(now, tid, call, q),
            None => true,
        }
    }

    /// Makes a call with the GIL released.
    pub(super) fn start_call(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        call: Call,
        q: &mut EventQueue<Event>,
    ) -> bool {
        match call {
            // The call's burst is the thread's last act before it goes on
            // (every caller returns this answer to Runtime::proceed).
            Call::Nogil(d) if self.one_burst_call(now, d) => {
                // The return cost drawn at the call's start: one burst for both.
                let r = self.overhead(tid, self.python.release_overhead);
                self.returns_merged += 1;
                let d = d.saturating_add(r);
                self.burst(now, tid, d, BurstKind::Other, Next::ReturnDone, q);
                false
            }
            Call::Nogil(d) => self.last_burst(now, tid, d, BurstKind::Other, Next::CallDone, q),
            Call::NogilAside(d) => {
                self.last_burst(now, tid, d, BurstKind::Other, Next::AsideDone, q)
            }
            Call::Io(d) | Call::Sleep(d) => {
                let late = if matches!(call, Call::Sleep(_)) {
                    self.slack()
                } else {
                    0
                };
                self.advance(tid);
                let t = &mut self.threads[tid];
                t.epoch += 1;
                t.next = Next::ReturnCost;
                let epoch = t.epoch;
                let event = Event::CallReturn { thread: tid, epoch };
                self.arm_timed_wait(tid, now.saturating_add(d).saturating_add(late), event, q);
                self.block(now, tid, Wait::Call, q);
                false
            }
            Call::Lock(l) => {
                if self.locks[l].holder.is_none() {
                    self.set_lock_holder(l, Some(tid), now);
                    self.advance(tid);
                    self.threads[tid].next = Next::ReturnCost;
                    return true;
                }
                self.locks[l].waiters.push_back(tid);
                self.threads[tid].next = Next::LockRecheck(l);
                self.block(now, tid, Wait::Lock(l), q);
                false
            }
            Call::QueuePut(stage, slot) => self.wait_not_full(now, tid, stage, slot, q),
            Call::Semaphore(s) => {
                self.threads[tid].next = Next::ReturnCost;
                if self.semaphores[s].holders < self.semaphores[s].capacity {
                    return true;
                }
                self.semaphores[s].waiters.push_back(tid);
                self.block(now, tid, Wait::Semaphore(s), q);
                false
            }
            Call::Recv(ch) => self.recv_blocking(now, tid, ch, q),
            Call::SyncWait(s) => self.sync_wait_call(now, tid, s, q),
            Call::Woken(s) => self.woken_call(now, tid, s, q),
            Call::Poll(timeout) => self.start_poll(now, tid, timeout, q),
            Call::Switch(interp) => {
                self.interps[self.threads[tid].interp].threads -= 1;
                self.interps[interp].threads += 1;
                self.threads[tid].interp = interp;
                self.advance(tid);
                self.threads[tid].next = Next::Run;
                true
            }
            Call::Await => {
                self.threads[tid].next = Next::ReturnCost;
                self.block(now, tid, Wait::Call, q);
                false
            }
            Call::Idle => {
                let w = self.threads[tid].workload;
                if self.workloads[w].driver.is_shape() {
                    self.shape_idle(tid);
                } else {
                    self.workloads[w].idle.push_back(tid);
                }
                self.threads[tid].next = Next::ReturnCost;
                self.block(now, tid, Wait::Idle, q);
                false
            }
        }
    }

    #[inline]
    pub(super) fn slack(&mut self) -> Nanos {
        self.machine
            .config()
            .timer_slack
            .sample(&mut self.slack_rng)
    }
}
