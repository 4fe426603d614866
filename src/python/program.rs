//! A task's steps compiled into a flat list of operations.
//!
//! Nested `lock` and `semaphore` steps become an acquire, the body, and a
//! release, so a thread's position in its program is a single index.

use crate::workload::{Dist, Step};

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
