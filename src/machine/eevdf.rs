//! EEVDF, Linux's fair-class scheduler since 6.6 (`kernel/sched/fair.c`;
//! docs/MODEL.md#eevdf), on the machine's one run queue.
//!
//! Every thread has a virtual runtime and a virtual deadline one slice
//! after the point it was placed or last renewed. `V` is the average virtual
//! runtime of the threads running and queued (`avg_vruntime`); a thread is
//! *eligible* when its virtual runtime is at most `V`, and a pick takes the
//! eligible thread with the earliest deadline (`pick_eevdf`). A thread put
//! on a core is protected until its virtual runtime reaches the deadline it
//! had then (`RUN_TO_PARITY`, `set_protect_slice`): no wake-up preempts it
//! before. Only `update_curr` notices the end of a protection, and it runs
//! at the core's scheduler tick or when a thread wakes onto the core: then
//! the thread is rescheduled if another waits (`resched || !protect_slice`),
//! and the pick decides who runs. A thread that blocks keeps its lag
//! `V - vruntime` (clamped to `max(2 × slice, tick)`, `update_entity_lag`);
//! woken, it is placed that far from the new `V`, scaled by `(n + 1) / n`
//! (`place_entity`, `PLACE_LAG`). A negative lag is not carried further
//! than `V` catching up with the thread: a thread that blocks ineligible
//! stays in the average until `V` reaches it (`DELAY_DEQUEUE`), then
//! leaves with no lag (`DELAY_ZERO`), or is requeued as it was if it wakes
//! before.

use super::{Machine, MachineEvent, SchedState, ThreadId};
use crate::engine::EventQueue;
use crate::engine::time::Nanos;

impl Machine {
    /// `avg_vruntime`: the mean virtual runtime of the queued and running
    /// threads at `now` (the last one computed when there are none).
    pub(super) fn avg_vruntime(&mut self, now: Nanos) -> u64 {
        let mut sum = self.queued_vruntime + self.delayed_vruntime;
        let mut n = (self.run_queue.len() + self.delayed.len()) as u128;
        for core in 0..self.cores.len() {
            if let Some(v) = self.running_vruntime(core, now) {
                sum += u128::from(v);
                n += 1;
            }
        }
        if let Some(avg) = sum.checked_div(n) {
            self.min_vruntime = u64::try_from(avg).unwrap_or(u64::MAX);
        }
        self.min_vruntime
    }

    /// Threads queued, delayed and running.
    fn entities(&self) -> u64 {
        let running = (0..self.cores.len())
            .filter(|&c| {
                self.cores[c]
                    .current
                    .is_some_and(|t| matches!(self.threads[t].state, SchedState::Running(_)))
            })
            .count();
        (self.run_queue.len() + self.delayed.len() + running) as u64
    }

    /// `place_entity` for a thread that wakes: its virtual runtime from the
    /// lag it kept, a fresh deadline one slice on.
    pub(super) fn eevdf_place(&mut self, now: Nanos, tid: ThreadId) {
        let v_avg = self.avg_vruntime(now);
        let slice = self.config.eevdf_slice();
        if let Some(seq) = self.threads[tid].delayed.take() {
            // `requeue_delayed_entity`: as it was while behind `V`, else at
            // `V` with a fresh deadline (`DELAY_ZERO`).
            let t = &mut self.threads[tid];
            self.delayed.remove(&(t.vruntime, seq, tid));
            self.delayed_vruntime -= u128::from(t.vruntime);
            t.vlag = 0;
            if v_avg >= t.vruntime {
                t.vruntime = v_avg;
                t.deadline = v_avg.saturating_add(slice);
            }
            return;
        }
        let n = self.entities();
        let t = &mut self.threads[tid];
        let lag = t.vlag.max(0) as u64;
        let lag = if n > 0 {
            u64::try_from(u128::from(lag) * u128::from(n + 1) / u128::from(n)).unwrap_or(u64::MAX)
        } else {
            lag
        };
        t.vruntime = v_avg.saturating_sub(lag);
        t.deadline = t.vruntime.saturating_add(slice);
        t.vlag = 0;
    }

    /// `update_entity_lag` for the running thread about to block; one
    /// that is not eligible stays in the average (`DELAY_DEQUEUE`).
    pub(super) fn eevdf_keep_lag(&mut self, now: Nanos, tid: ThreadId) {
        let v_avg = self.avg_vruntime(now);
        let limit = (2 * self.config.eevdf_slice()).max(self.config.tick) as i64;
        let t = &mut self.threads[tid];
        let lag = i128::from(v_avg) - i128::from(t.vruntime);
        t.vlag = lag.clamp(-i128::from(limit), i128::from(limit)) as i64;
        if t.vlag < 0 {
            let v = t.vruntime;
            t.delayed = Some(self.queue_seq);
            self.delayed.insert((v, self.queue_seq, tid));
            self.delayed_vruntime += u128::from(v);
            self.queue_seq += 1;
        }
    }

    /// Ends the delayed dequeues that `V` has reached: such a thread is
    /// picked (it has an early deadline) and leaves with a lag of 0
    /// (`DELAY_ZERO`).
    fn finish_delayed(&mut self, now: Nanos) {
        loop {
            let v_avg = self.avg_vruntime(now);
            let Some(&(v, seq, tid)) = self.delayed.first() else {
                return;
            };
            if v > v_avg {
                return;
            }
            self.delayed.remove(&(v, seq, tid));
            self.delayed_vruntime -= u128::from(v);
            self.threads[tid].delayed = None;
            self.threads[tid].vlag = 0;
        }
    }

    /// `__pick_eevdf` over the run queue and, if given, the thread running
    /// on `core`: the eligible thread with the earliest deadline (the
    /// queue's first in insertion order among equals, ahead of the running
    /// one). The running thread is a candidate only while eligible, and with
    /// `protect` it keeps the core while its protection lasts. The lowest
    /// virtual runtime if none is eligible.
    pub(super) fn eevdf_pick(
        &mut self,
        now: Nanos,
        core: Option<usize>,
        protect: bool,
    ) -> Option<ThreadId> {
        self.finish_delayed(now);
        let v_avg = self.avg_vruntime(now);
        let running =
            core.and_then(|c| Some((self.running_vruntime(c, now)?, self.cores[c].current?)));
        let curr = running.filter(|&(v, _)| v <= v_avg);
        if let Some((v, tid)) = curr
            && protect
            && v < self.threads[tid].vprot
        {
            return Some(tid);
        }
        let mut best: Option<(u64, u64, ThreadId)> = None;
        for &(v, seq, tid) in &self.run_queue {
            if v > v_avg {
                break;
            }
            let d = self.threads[tid].deadline;
            if best.is_none_or(|(bd, bs, _)| (d, seq) < (bd, bs)) {
                best = Some((d, seq, tid));
            }
        }
        if let Some((_, tid)) = curr
            && best.is_none_or(|(bd, _, _)| self.threads[tid].deadline < bd)
        {
            return Some(tid);
        }
        best.map(|(_, _, tid)| tid)
            .or_else(|| self.run_queue.first().map(|&(_, _, tid)| tid))
            .or(running.map(|(_, tid)| tid))
    }

    /// `update_curr` on `core`: renews the running thread's deadline once
    /// its virtual runtime reaches it, and says whether it must be
    /// rescheduled (another thread waits and the thread's protection is over).
    pub(super) fn eevdf_update_curr(&mut self, now: Nanos, core: usize) -> bool {
        self.account(now, core);
        let Some(tid) = self.cores[core].current else {
            return false;
        };
        if !matches!(self.threads[tid].state, SchedState::Running(_)) {
            return false;
        }
        let slice = self.config.eevdf_slice();
        let t = &mut self.threads[tid];
        let renewed = t.vruntime >= t.deadline;
        if renewed {
            t.deadline = t.vruntime.saturating_add(slice);
        }
        !self.run_queue.is_empty() && (renewed || t.vruntime >= t.vprot)
    }

    /// A reschedule of `core`: the running thread gives way if the pick
    /// over it and the run queue is another thread.
    pub(super) fn eevdf_resched<E: From<MachineEvent>>(
        &mut self,
        now: Nanos,
        core: usize,
        q: &mut EventQueue<E>,
    ) {
        let Some(tid) = self.cores[core].current else {
            return;
        };
        if !matches!(self.threads[tid].state, SchedState::Running(_)) {
            return;
        }
        self.account(now, core);
        if self.eevdf_pick(now, Some(core), true) != Some(tid) {
            self.preempt(now, core, q);
        }
    }

    /// The tick at which `core`'s running thread is next rescheduled, if
    /// another thread waits: the first tick after now at which its
    /// protection is over.
    pub(super) fn eevdf_next_tick(&self, now: Nanos, core: usize) -> Option<Nanos> {
        let tid = self.cores[core].current?;
        let v = self.running_vruntime(core, now)?;
        let t = &self.threads[tid];
        let over = now.saturating_add(t.vprot.saturating_sub(v));
        let tick = self.config.tick.max(1);
        let from = over.max(now.saturating_add(1));
        from.div_ceil(tick).checked_mul(tick)
    }

    /// Wake-up preemption (`check_preempt_wakeup_fair`) for a thread
    /// queued onto the core it last ran on (else the first busy core):
    /// `update_curr` there, and a reschedule if it asks for one.
    pub(super) fn eevdf_wakeup_check<E: From<MachineEvent>>(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<E>,
    ) {
        let busy = |m: &Machine, c: usize| m.running_vruntime(c, now).is_some();
        let core = match self.threads[tid].last_core {
            Some(c) if busy(self, c) => Some(c),
            _ => (0..self.cores.len()).find(|&c| busy(self, c)),
        };
        if let Some(core) = core
            && (self.eevdf_update_curr(now, core)
                || self.eevdf_pick(now, Some(core), true) == Some(tid))
        {
            self.request_resched(now, core, q);
        }
    }
}
