//! A task's steps compiled into a flat list of operations.
//!
//! Nested `lock` and `semaphore` steps become an acquire, the body, and a
//! release, so a thread's position in its program is a single index. Event
//! and condition steps become `with cond:` around the call: `SyncEnter`, the
//! call, (`SyncRestore` after a wait), `SyncExit`.

use crate::engine::random::Dist;
use crate::workload::{Step, Update};

/// One operation of a compiled program.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    /// Pure-Python CPU, interruptible at check points.
    Cpu(Dist),
    /// A C call that keeps the GIL.
    CpuHeld(Dist),
    /// A C call that releases the GIL.
    CpuNogil(Dist),
    /// Blocking I/O.
    Io(Dist),
    /// `time.sleep` (`asyncio.sleep` in a coroutine).
    Sleep(Dist),
    /// A blocking call: as [`Op::Io`] on a thread; blocks the loop thread in a coroutine.
    BlockingIo(Dist),
    /// `asyncio.to_thread`: the operations up to the matching
    /// [`Op::ToThreadEnd`] (at this index) run in the loop's executor.
    ToThread(usize),
    /// The end of a `to_thread` body: the executor thread hands the result back.
    ToThreadEnd,
    /// `lock.acquire()`.
    LockAcquire(usize),
    /// `lock.release()`.
    LockRelease(usize),
    /// `sem.acquire()`.
    SemAcquire(usize),
    /// `sem.release()`.
    SemRelease(usize),
    /// `with cond:` entering: takes the condition's lock (an event's internal
    /// condition; nothing for an `asyncio.Event`). Indexes `Scenario::syncs`.
    SyncEnter(usize),
    /// `_acquire_restore` after a wait: retakes the condition's lock unless
    /// the thread still holds it (an event found set did not wait).
    SyncRestore(usize),
    /// `with cond:` leaving: releases the condition's lock.
    SyncExit(usize),
    /// `Event.wait`: passes if the flag is set, else waits for `set`.
    EventWait(usize),
    /// `Event.set`: sets the flag and wakes every waiter.
    EventSet(usize),
    /// `Event.clear`.
    EventClear(usize),
    /// `Condition.wait`: releases the lock and waits for a `notify`.
    CondWait(usize),
    /// `Condition.notify(n)`, `None`: `notify_all()`.
    CondNotify(usize, Option<u32>),
    /// A loop of unlocked updates of a shared variable: pure Python, whose
    /// switches may fall between a read and its write.
    Update(Update),
}

/// Flattens `steps` into operations.
pub fn compile(steps: &[Step]) -> Vec<Op> {
    let mut ops = Vec::new();
    emit(steps, &mut ops);
    ops
}

fn emit(steps: &[Step], ops: &mut Vec<Op>) {
    for step in steps {
        match step {
            Step::Cpu(d) => ops.push(Op::Cpu(*d)),
            Step::CpuHeld(d) => ops.push(Op::CpuHeld(*d)),
            Step::CpuNogil(d) => ops.push(Op::CpuNogil(*d)),
            Step::Io(d) => ops.push(Op::Io(*d)),
            Step::Sleep(d) => ops.push(Op::Sleep(*d)),
            Step::BlockingIo(d) => ops.push(Op::BlockingIo(*d)),
            Step::Update(u) => ops.push(Op::Update(*u)),
            Step::ToThread(steps) => {
                let at = ops.len();
                ops.push(Op::ToThread(0));
                emit(steps, ops);
                let end = ops.len();
                ops[at] = Op::ToThread(end);
                ops.push(Op::ToThreadEnd);
            }
            Step::Lock { lock, steps } => {
                ops.push(Op::LockAcquire(*lock));
                emit(steps, ops);
                ops.push(Op::LockRelease(*lock));
            }
            Step::Semaphore { semaphore, steps } => {
                ops.push(Op::SemAcquire(*semaphore));
                emit(steps, ops);
                ops.push(Op::SemRelease(*semaphore));
            }
            Step::WaitEvent(s) => ops.extend([
                Op::SyncEnter(*s),
                Op::EventWait(*s),
                Op::SyncRestore(*s),
                Op::SyncExit(*s),
            ]),
            Step::SetEvent(s) => {
                ops.extend([Op::SyncEnter(*s), Op::EventSet(*s), Op::SyncExit(*s)])
            }
            Step::ClearEvent(s) => {
                ops.extend([Op::SyncEnter(*s), Op::EventClear(*s), Op::SyncExit(*s)])
            }
            Step::Wait(s) => ops.extend([
                Op::SyncEnter(*s),
                Op::CondWait(*s),
                Op::SyncRestore(*s),
                Op::SyncExit(*s),
            ]),
            Step::Notify { condition, n } => ops.extend([
                Op::SyncEnter(*condition),
                Op::CondNotify(*condition, *n),
                Op::SyncExit(*condition),
            ]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_steps_become_acquire_body_release() {
        let d = Dist::Const(1);
        let steps = vec![
            Step::Cpu(d),
            Step::Lock {
                lock: 0,
                steps: vec![Step::Semaphore {
                    semaphore: 1,
                    steps: vec![Step::Io(d)],
                }],
            },
        ];
        assert_eq!(
            compile(&steps),
            vec![
                Op::Cpu(d),
                Op::LockAcquire(0),
                Op::SemAcquire(1),
                Op::Io(d),
                Op::SemRelease(1),
                Op::LockRelease(0)
            ]
        );
    }
}
