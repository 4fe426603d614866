//! The op interpreter: the one place where a workload's compiled operations
//! run, whoever runs them.
//!
//! Four kinds of executor run a program: a thread on a task (a pool worker,
//! a per-task or `forever` thread, or an agent thread of a process model at
//! its `Program` act), a coroutine on the event loop's thread, and a
//! coroutine's `to_thread` body on an executor thread. A [`Cursor`] says
//! which one and where its position (`pc`) is kept. [`Runtime::run_op`]
//! draws every step duration and runs every CPU operation the same way for
//! all of them; what really differs is how an executor waits: a thread
//! blocks in a call with the GIL released ([`Runtime::release_for`]), a
//! coroutine suspends and is resumed by a callback of the loop
//! (`drivers/asyncio/coro.rs`), and `threading` and `asyncio` locks are
//! different objects. Those few operations branch on the cursor.
//!
//! [`Runtime::at_check_point`] is the one eval-breaker test (python/cpython
//! `Python/ceval.c`: the breaker is checked at loop back edges, at a Python
//! function's `RESUME` and on the return of most calls into C), for program
//! operations and for the acts of the plans of process and loop threads.

use crate::engine::EventQueue;
use crate::engine::random::{Dist, round_ns};
use crate::engine::time::Nanos;
use crate::machine::ThreadId;
use crate::python::program::Op;

use super::plan::Act;
use super::{BurstKind, Call, Event, Next, Runtime, stages};

/// Where an executor stands in a workload's compiled program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cursor {
    /// A thread running a task's program: a pool worker, a per-task or
    /// `forever` thread, or an agent thread at its `Program` act. The
    /// position is the thread's `pc`.
    Thread(ThreadId),
    /// A coroutine on the loop thread; the position is the coroutine's.
    Coro(usize),
    /// Coroutine `c`'s `to_thread` body on executor thread `t`; the
    /// position is the thread's `pc`.
    Slice(ThreadId, usize),
}

/// What a thread on its core is about to do, for the check-point test.
enum Position {
    /// An operation of a program (`None`: past its end, no task yet, or a
    /// consumer coroutine's `get`); `on_loop` for a coroutine.
    Op { op: Option<Op>, on_loop: bool },
    /// An act of a plan (`None`: the plan ran out).
    Act(Option<Act>),
}

impl Runtime {
    /// Takes the GIL if needed, answers a pending drop request, then runs
    /// what the thread executes next.
    pub(super) fn run(&mut self, now: Nanos, tid: ThreadId, q: &mut EventQueue<Event>) -> bool {
        if self.python.gil_enabled {
            if !self.threads[tid].holds_gil {
                if self.alone(tid) {
                    // take_gil on a GIL no one else can hold or wait for.
                    self.take_alone(now, tid);
                } else if !self.take_gil(now, tid, q) {
                    return false;
                }
                // Taken at once: the thread goes on in this step, as the
                // step after the take would (the take cleared any drop
                // request, so no check point answers one).
            }
            let i = self.threads[tid].interp;
            if self.interps[i].gil.drop_requested() && self.at_check_point(tid) {
                // An eval-breaker check point with a drop request: a forced drop.
                self.update_paused(tid);
                return self.release_for(now, tid, None, q);
            }
        }
        if self.threads[tid].agent {
            return self.run_act(now, tid, q);
        }
        let t = &self.threads[tid];
        if t.task.is_none() {
            return self.next_task(now, tid, q);
        }
        if self.models.stage_threads[tid].get_due != stages::Get::None {
            return self.run_get(now, tid, q);
        }
        self.run_program(now, tid, Cursor::Thread(tid), q)
    }

    /// Runs the operation at `cur` on thread `tid`, or ends the program when
    /// `cur` is past its last operation (or at the end of a `to_thread` body).
    #[inline(always)]
    pub(super) fn run_program(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        cur: Cursor,
        q: &mut EventQueue<Event>,
    ) -> bool {
        match self.op_at(cur) {
            Some(Op::ToThreadEnd) if matches!(cur, Cursor::Slice(..)) => {
                self.program_end(now, tid, cur, q)
            }
            Some(op) => self.run_op(now, tid, cur, op, q),
            None => self.program_end(now, tid, cur, q),
        }
    }

    /// What follows the last operation of a program, by executor.
    fn program_end(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        cur: Cursor,
        q: &mut EventQueue<Event>,
    ) -> bool {
        match cur {
            Cursor::Slice(_, c) => self.slice_end(now, tid, c, q),
            Cursor::Coro(c) => self.coro_end(now, tid, c, q),
            Cursor::Thread(_) if self.threads[tid].agent => {
                let t = &mut self.threads[tid];
                t.pc = 0;
                let done = t.task.take();
                self.models.agents[tid].plan.pop_front();
                if let Some(done) = done {
                    self.task_ran(tid, done);
                }
                true
            }
            Cursor::Thread(_) => self.complete_task(now, tid, q),
        }
    }

    /// Runs one operation `op` at `cur` on thread `tid` (its GIL taken,
    /// if the build has one).
    fn run_op(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        cur: Cursor,
        op: Op,
        q: &mut EventQueue<Event>,
    ) -> bool {
        let coro = match cur {
            Cursor::Coro(c) => Some(c),
            Cursor::Thread(_) | Cursor::Slice(..) => None,
        };
        let op = match coro {
            Some(_) => self.aio_condition_lock(op),
            None => op,
        };
        match op {
            Op::Cpu(d) => {
                let d = match self.threads[tid].split_rest.take() {
                    Some(rest) => rest,
                    None => {
                        let d = self.step_duration(cur, d, self.cpu_scale);
                        self.step_cpu = self.step_cpu.saturating_add(d);
                        d
                    }
                };
                self.burst(now, tid, d, BurstKind::Python, Next::StepDone, q);
                false
            }
            Op::Update(u) => {
                let per = if self.threads[tid].split_rest.is_some() {
                    0
                } else {
                    self.step_duration(cur, u.cost, self.cpu_scale)
                };
                self.run_update(now, tid, per, u, q);
                false
            }
            Op::CpuHeld(d) => {
                let d = self.step_duration(cur, d, self.cpu_scale);
                self.step_cpu = self.step_cpu.saturating_add(d);
                self.burst(now, tid, d, BurstKind::Other, Next::StepDone, q);
                false
            }
            Op::CpuNogil(d) => {
                let d = self.step_duration(cur, d, 1.0);
                self.step_cpu = self.step_cpu.saturating_add(d);
                self.release_for(now, tid, Some(Call::Nogil(d)), q)
            }
            Op::Io(d) => {
                let d = self.step_duration(cur, d, 1.0);
                match coro {
                    Some(c) => self.coro_io(now, tid, c, d, q),
                    None => self.release_for(now, tid, Some(Call::Io(d)), q),
                }
            }
            Op::BlockingIo(d) => {
                let d = self.step_duration(cur, d, 1.0);
                if coro.is_some() {
                    self.log_blocking(now, d);
                }
                self.release_for(now, tid, Some(Call::Io(d)), q)
            }
            Op::Sleep(d) => {
                let d = self.step_duration(cur, d, 1.0);
                match coro {
                    Some(c) => self.coro_sleep(now, tid, c, d),
                    None => self.release_for(now, tid, Some(Call::Sleep(d)), q),
                }
            }
            Op::ToThread(_) => match coro {
                Some(c) => self.coro_to_thread(now, tid, c, q),
                // Only coroutines run `to_thread`; the parser keeps it there.
                None => {
                    self.advance(tid);
                    true
                }
            },
            Op::ToThreadEnd => {
                debug_assert!(coro.is_none(), "a coroutine reached a to_thread body's end");
                self.advance(tid);
                true
            }
            Op::LockAcquire(l) => match coro {
                Some(c) => self.aio_lock_acquire(now, tid, c, l),
                None => self.lock_acquire(now, tid, l, q),
            },
            Op::LockRelease(l) => match coro {
                Some(c) => self.aio_lock_release(now, c, l),
                None => self.lock_release(now, tid, l, q),
            },
            Op::SemAcquire(s) => match coro {
                Some(c) => self.aio_sem_acquire(now, tid, c, s),
                None => self.sem_acquire(now, tid, s, q),
            },
            Op::SemRelease(s) => match coro {
                Some(c) => self.aio_sem_release(now, c, s),
                None => self.sem_release(now, tid, s, q),
            },
            Op::OneOf(m) => {
                let b = self.draw_branch(cur, m);
                let w = self.cursor_workload(cur);
                let to = self.workloads[w].step_names.mixes[m].starts[b];
                self.set_task_branch(cur, b);
                self.jump(cur, to);
                true
            }
            Op::Jump(to) => {
                self.jump(cur, to);
                true
            }
            Op::SyncEnter(_)
            | Op::SyncRestore(_)
            | Op::SyncExit(_)
            | Op::EventWait(_)
            | Op::EventSet(_)
            | Op::EventClear(_)
            | Op::CondWait(_)
            | Op::CondNotify(..) => match coro {
                Some(c) => self.aio_sync_op(now, tid, c, op, q),
                None => self.run_sync_op(now, tid, op, q),
            },
        }
    }

    /// The cursor of what thread `tid` executes now, or `None` when it is
    /// at an act of its plan that is not a program.
    #[inline]
    pub(super) fn cursor(&self, tid: ThreadId) -> Option<Cursor> {
        let t = &self.threads[tid];
        if !t.agent {
            return Some(Cursor::Thread(tid));
        }
        match self.models.agents[tid].plan.front() {
            Some(&Act::Coro(c)) => {
                self.enter_loop_of(tid);
                Some(Cursor::Coro(c))
            }
            Some(&Act::Slice(c)) => {
                self.enter_loop_of(tid);
                Some(Cursor::Slice(tid, c))
            }
            Some(Act::Program(_)) => Some(Cursor::Thread(tid)),
            _ => None,
        }
    }

    /// The workload whose program `cur` runs.
    #[inline(always)]
    fn cursor_workload(&self, cur: Cursor) -> usize {
        match cur {
            Cursor::Thread(t) => self.threads[t].workload,
            Cursor::Coro(c) | Cursor::Slice(_, c) => self.coro_workload(c),
        }
    }

    /// The operation at `cur`; `None` past the program's end.
    #[inline(always)]
    fn op_at(&self, cur: Cursor) -> Option<Op> {
        let pc = match cur {
            Cursor::Thread(t) | Cursor::Slice(t, _) => self.threads[t].pc,
            Cursor::Coro(c) => self.coro_pc(c),
        };
        self.workloads[self.cursor_workload(cur)]
            .ops
            .get(pc)
            .copied()
    }

    /// Moves a thread past its current operation: the next operation of
    /// the program it runs, or its plan's next act.
    #[inline]
    pub(super) fn advance(&mut self, tid: ThreadId) {
        match self.cursor(tid) {
            Some(Cursor::Coro(c)) => self.coro_advance(c),
            Some(Cursor::Thread(t) | Cursor::Slice(t, _)) => self.threads[t].pc += 1,
            None => {
                self.models.agents[tid].plan.pop_front();
            }
        }
    }

    /// Draws the branch of `one_of` step `m` for the task at `cur`, from
    /// its sub-stream of its workload's `workload/NAME/mix` stream: the
    /// k-th task to arrive takes the same branch whatever runs before it.
    fn draw_branch(&mut self, cur: Cursor, m: usize) -> usize {
        let w = self.cursor_workload(cur);
        let index = match cur {
            Cursor::Thread(t) => self.threads[t].task.and_then(|t| t.index),
            Cursor::Coro(c) | Cursor::Slice(_, c) => self.coro_task_index(c),
        };
        let index = index.unwrap_or_else(|| self.next_index(w));
        let wl = &mut self.workloads[w];
        let mix = &wl.step_names.mixes[m];
        wl.mix_rng.substream(index);
        let u = wl.mix_rng.below(mix.total().max(1));
        mix.pick(u)
    }

    /// Records branch `b` on the task at `cur` (a `to_thread` body's: its coroutine's).
    fn set_task_branch(&mut self, cur: Cursor, b: usize) {
        let b = u16::try_from(b).unwrap_or(u16::MAX);
        match cur {
            Cursor::Thread(t) => {
                if let Some(task) = self.threads[t].task.as_mut() {
                    task.branch = Some(b);
                }
            }
            Cursor::Coro(c) | Cursor::Slice(_, c) => self.coro_set_branch(c, b),
        }
    }

    /// Continues the program at `cur` at operation `to`.
    fn jump(&mut self, cur: Cursor, to: usize) {
        match cur {
            Cursor::Thread(t) | Cursor::Slice(t, _) => self.threads[t].pc = to,
            Cursor::Coro(c) => self.coro_set_pc(c, to),
        }
    }

    /// Draws a step's duration for the program at `cur` from its workload's
    /// `workload/NAME/steps` stream, scaled by `scale` (the free-threaded
    /// build's CPU overhead) and rounded to the nanosecond.
    #[inline]
    fn step_duration(&mut self, cur: Cursor, dist: Dist, scale: f64) -> Nanos {
        let w = self.cursor_workload(cur);
        let d = dist.sample(&mut self.workloads[w].steps_rng);
        if scale == 1.0 {
            d
        } else {
            round_ns(d as f64 * scale)
        }
    }

    /// True when the thread's next operation passes an eval-breaker check
    /// point (a loop back edge or a Python function's `RESUME`) before
    /// anything else. An operation that starts with a call into C (`io`,
    /// `sleep`, `cpu_nogil`, `lock.acquire`/`release`) does not: the call
    /// drops the GIL itself, and `drop_gil` then waits for the switch if a
    /// request is pending (python/cpython `Python/ceval_gil.c`,
    /// FORCE_SWITCHING). In a coroutine, awaits and `asyncio.Lock`
    /// operations are Python; only `cpu_nogil` and `blocking_io` call into
    /// C. Among plan acts, the pickler and the loop's own Python (its
    /// callbacks, reading the ready queue) are check points; the calls that
    /// drop the GIL (pipe reads and writes, the poll's `select`) are not.
    pub(super) fn at_check_point(&self, tid: ThreadId) -> bool {
        match self.position(tid) {
            Position::Op { op, on_loop } => match op {
                Some(Op::CpuNogil(_) | Op::BlockingIo(_)) => false,
                Some(Op::Io(_) | Op::Sleep(_) | Op::LockAcquire(_) | Op::LockRelease(_)) => on_loop,
                // `Event` and `Condition` methods are Python functions (`RESUME`).
                _ => true,
            },
            Position::Act(act) => matches!(
                act,
                None | Some(Act::Held(_) | Act::Burn(_) | Act::Collect | Act::Run(_))
            ),
        }
    }

    #[inline]
    fn position(&self, tid: ThreadId) -> Position {
        match self.cursor(tid) {
            Some(Cursor::Coro(c)) if self.coro_at_get(c) => Position::Op {
                op: None,
                on_loop: true,
            },
            Some(Cursor::Thread(t)) if self.threads[t].task.is_none() => Position::Op {
                op: None,
                on_loop: false,
            },
            Some(cur) => Position::Op {
                op: self.op_at(cur),
                on_loop: matches!(cur, Cursor::Coro(_)),
            },
            None => Position::Act(self.models.agents[tid].plan.front().copied()),
        }
    }
}
