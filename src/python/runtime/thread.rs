//! OS threads of the Python program: their start, their end, blocking and
//! waking them on the machine, CPU bursts, and the loop that runs a thread's
//! zero-time actions until it starts a burst or blocks.

use super::*;
use crate::engine::EventQueue;
use crate::engine::time::Nanos;
use crate::machine::ThreadId;

impl Runtime {
    pub(super) fn spawn(
        &mut self,
        now: Nanos,
        w: usize,
        role: Role,
        task: Option<Task>,
        q: &mut EventQueue<Event>,
    ) -> ThreadId {
        self.spawn_in(now, w, role, task, 0, q)
    }

    /// Starts a thread of workload `w` in interpreter `interp`.
    pub(super) fn spawn_in(
        &mut self,
        now: Nanos,
        w: usize,
        role: Role,
        task: Option<Task>,
        interp: usize,
        q: &mut EventQueue<Event>,
    ) -> ThreadId {
        let main_thread = self.workloads[w].driver.runs_on_main_thread()
            || role == Role::ProcMain
            || role == Role::Loop;
        let thread = PyThread {
            workload: w,
            interp,
            role,
            task,
            pc: 0,
            holds_gil: false,
            next: if main_thread {
                Next::Run
            } else {
                Next::Bootstrap
            },
            burst: BurstKind::Other,
            split_rest: None,
            update: None,
            pending_call: None,
            saved_switch: 0,
            gil_deadline: 0,
            epoch: 0,
            timer: None,
            wait: Wait::None,
            gil_wait_since: None,
            sync_wait_since: None,
            born: now,
            alive: true,
            serial: self.spawned,
            index: self.workloads[w].spawned,
            agent: plan::is_agent(role),
        };
        self.spawned += 1;
        self.workloads[w].spawned += 1;
        let tid = match self.free_threads.pop() {
            Some(tid) => {
                // Keep counting epochs: a stale timeout of the slot's previous
                // thread must never match the new one.
                let epoch = self.threads[tid].epoch + 1;
                self.threads[tid] = PyThread { epoch, ..thread };
                self.models.agents[tid] = plan::AgentState::default();
                self.models.stage_threads[tid] = stages::StageThread::default();
                self.machine.reset_thread(tid);
                tid
            }
            None => {
                let tid = self.machine.add_thread();
                debug_assert_eq!(tid, self.threads.len());
                self.threads.push(thread);
                self.models.agents.push(plan::AgentState::default());
                self.models
                    .stage_threads
                    .push(stages::StageThread::default());
                tid
            }
        };
        self.workloads[w].threads += 1;
        self.interps[interp].threads += 1;
        self.live_threads += 1;
        if self.live_threads > crate::workload::limits::MAX_THREADS {
            self.stop_too_large(format!(
                "the program runs {} threads at once at t = {:.6} s, more than Linux runs ({}: PID_MAX_LIMIT, a pid per thread): workload `{}` starts them",
                self.live_threads,
                now as f64 / 1e9,
                crate::workload::limits::MAX_THREADS,
                self.workloads[w].name,
            ));
        }
        self.update_rss();
        self.machine.wake(now, tid, q);
        tid
    }

    #[inline]
    pub(super) fn block(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        wait: Wait,
        q: &mut EventQueue<Event>,
    ) {
        self.threads[tid].wait = wait;
        if let Some(i) = self.sync_index(wait) {
            self.threads[tid].sync_wait_since = Some((now, i));
        }
        if let Wait::QueueFull(stage) = wait {
            self.models.stage_threads[tid].put_wait_since = Some((now, stage));
        }
        self.machine.block(now, tid, q);
    }

    #[inline]
    pub(super) fn wake(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        next: Next,
        q: &mut EventQueue<Event>,
    ) {
        self.end_sync_wait(tid, now);
        self.end_put_wait(tid, now);
        self.threads[tid].wait = Wait::None;
        self.threads[tid].next = next;
        self.machine.wake(now, tid, q);
    }

    /// Starts a timed wait of `tid`: `event` (of its new epoch) at `at`,
    /// replacing any pending one.
    #[inline]
    pub(super) fn arm_timed_wait(
        &mut self,
        tid: ThreadId,
        at: Nanos,
        event: Event,
        q: &mut EventQueue<Event>,
    ) {
        if let Some(t) = self.threads[tid].timer.take() {
            q.cancel(t);
        }
        self.threads[tid].timer = Some(q.schedule_timer(at, event));
    }

    /// Ends `tid`'s wait before its timeout: a new epoch, and the pending
    /// timeout or return withdrawn.
    #[inline]
    pub(super) fn end_timed_wait(&mut self, tid: ThreadId, q: &mut EventQueue<Event>) {
        self.threads[tid].epoch += 1;
        if let Some(t) = self.threads[tid].timer.take() {
            q.cancel(t);
        }
    }

    #[inline]
    pub(super) fn burst(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        cpu: Nanos,
        kind: BurstKind,
        next: Next,
        q: &mut EventQueue<Event>,
    ) {
        self.threads[tid].burst = kind;
        self.threads[tid].next = next;
        self.machine.run_burst(now, tid, cpu, q);
    }

    /// [`Runtime::burst`] for a burst that is the last thing the thread
    /// does before [`Runtime::proceed`] looks for a zero-length burst to go
    /// on after: one of zero length ends at once where that look would end
    /// it (`Machine::zero_burst_at_once`), without being placed. Returns
    /// true when it ended (the thread goes on, as `proceed`'s `more`).
    pub(super) fn last_burst(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        cpu: Nanos,
        kind: BurstKind,
        next: Next,
        q: &mut EventQueue<Event>,
    ) -> bool {
        if cpu != 0 || !self.recorder_idle(now) {
            self.burst(now, tid, cpu, kind, next, q);
            return false;
        }
        self.threads[tid].burst = kind;
        self.threads[tid].next = next;
        let go_on = !self.finished();
        self.machine.zero_burst_at_once(now, tid, q, go_on)
    }

    #[inline]
    pub(super) fn overhead(&mut self, tid: ThreadId, dist: Dist) -> Nanos {
        let w = self.threads[tid].workload;
        let d = dist.sample(&mut self.workloads[w].runtime_rng);
        self.overhead_cpu = self.overhead_cpu.saturating_add(d);
        d
    }

    /// Back from a GIL-releasing call: its return cost (`release_overhead`),
    /// then the thread runs (taking the GIL first).
    fn return_cost(&mut self, now: Nanos, tid: ThreadId, q: &mut EventQueue<Event>) -> bool {
        let d = self.overhead(tid, self.python.release_overhead);
        self.last_burst(now, tid, d, BurstKind::Other, Next::Run, q)
    }

    /// Runs the thread's pending action and every zero-time action after it.
    pub(super) fn proceed(&mut self, now: Nanos, tid: ThreadId, q: &mut EventQueue<Event>) {
        loop {
            let next = std::mem::replace(&mut self.threads[tid].next, Next::Run);
            let more = match next {
                Next::Bootstrap => {
                    let d = match self.child_start(tid) {
                        Some(dist) => self.start_overhead(tid, dist),
                        None => self.overhead(tid, self.python.thread_start),
                    };
                    self.burst(now, tid, d, BurstKind::Other, Next::Run, q);
                    false
                }
                Next::ReturnCost => self.return_cost(now, tid, q),
                Next::ReturnDone => {
                    self.advance(tid);
                    true
                }
                Next::StepDone => {
                    self.advance(tid);
                    true
                }
                Next::UpdateDone => {
                    self.update_done(now, tid);
                    self.advance(tid);
                    true
                }
                // Back from the call: its return cost in the same step.
                Next::AsideDone => self.return_cost(now, tid, q),
                Next::CallDone => {
                    self.advance(tid);
                    self.return_cost(now, tid, q)
                }
                Next::GilRecheck { timed_out } => {
                    // take_gil's loop, after COND_TIMED_WAIT returned.
                    let i = self.threads[tid].interp;
                    if timed_out
                        && self.interps[i].gil.locked()
                        && self.interps[i].gil.switch_number() == self.threads[tid].saved_switch
                    {
                        self.record_mark(now, tid, MarkKind::DropRequest);
                        self.request_drop(now, tid, i, q);
                    }
                    self.take_gil(now, tid, q)
                }
                Next::SwitchWoken => match self.threads[tid].pending_call.take() {
                    Some(call) => self.start_call(now, tid, call, q),
                    None => true,
                },
                Next::LockRecheck(l) => {
                    if self.locks[l].holder.is_none() {
                        self.set_lock_holder(l, Some(tid), now);
                        self.advance(tid);
                        self.threads[tid].next = Next::ReturnCost;
                        true
                    } else {
                        self.locks[l].waiters.push_back(tid);
                        self.threads[tid].next = Next::LockRecheck(l);
                        self.block(now, tid, Wait::Lock(l), q);
                        false
                    }
                }
                Next::Run => self.run(now, tid, q),
            };
            // A zero-length burst that ends this handler and would be the
            // next event anyway goes on here: the machine settles as at the
            // handler's end, and the recorder has nothing to see between.
            let go_on = more
                || (self.machine.has_placed()
                    && self.recorder_idle(now)
                    && self
                        .machine
                        .settle_and_end_own_burst(now, tid, q, !self.finished()));
            if !go_on {
                return;
            }
        }
    }

    /// A thread's end: its GIL is dropped without waiting (the thread state is
    /// deleted, `drop_gil(tstate = NULL)`), and its core and slot are freed.
    pub(super) fn retire_thread(&mut self, now: Nanos, tid: ThreadId, q: &mut EventQueue<Event>) {
        if self.threads[tid].holds_gil {
            let i = self.threads[tid].interp;
            let dropped = self.interps[i].gil.drop(now, tid, true, None);
            self.threads[tid].holds_gil = false;
            if let Some(waiter) = dropped.signalled {
                self.end_timed_wait(waiter, q);
                self.wake(now, waiter, Next::GilRecheck { timed_out: false }, q);
            }
        }
        self.close_thread_intervals(tid, now);
        let w = self.threads[tid].workload;
        self.threads[tid].alive = false;
        self.workloads[w].threads -= 1;
        self.interps[self.threads[tid].interp].threads -= 1;
        self.live_threads -= 1;
        self.update_rss();
        self.machine.exit(now, tid, q);
        self.free_threads.push(tid);
    }
}
