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
    /// A `one_of` step: draws a branch of [`Program::mixes`]`[i]` and
    /// continues at its first operation.
    OneOf(usize),
    /// The end of a `one_of` branch: continues at this index, past the others.
    Jump(usize),
}

/// A compiled `one_of` step: its branches' weights, labels and first operations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mix {
    /// The branches' weights, in file order.
    pub weights: Vec<u64>,
    /// Their labels in results (`Branch::labels`).
    pub labels: Vec<String>,
    /// The index of each branch's first operation.
    pub starts: Vec<usize>,
}

impl Mix {
    /// The branch a uniform draw `u` in `0..total weight` falls in.
    pub fn pick(&self, u: u64) -> usize {
        let mut acc = 0u64;
        for (i, w) in self.weights.iter().enumerate() {
            acc = acc.saturating_add(*w);
            if u < acc {
                return i;
            }
        }
        self.weights.len().saturating_sub(1)
    }

    /// The sum of the weights.
    pub fn total(&self) -> u64 {
        self.weights.iter().fold(0u64, |a, w| a.saturating_add(*w))
    }
}

/// A task's program: its operations, and the name of the step each came
/// from (for traces and deadlock reports).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Program {
    /// The operations, in order.
    pub ops: Vec<Op>,
    /// Per operation, the index in `names` of its innermost named step.
    pub op_names: Vec<Option<u32>>,
    /// The step names, each once.
    pub names: Vec<String>,
    /// The `one_of` steps, in the order of their [`Op::OneOf`].
    pub mixes: Vec<Mix>,
}

impl Program {
    /// The name of the step operation `pc` came from, if it has one.
    pub fn name_at(&self, pc: usize) -> Option<&str> {
        let i = (*self.op_names.get(pc)?)?;
        self.names.get(i as usize).map(String::as_str)
    }
}

/// Flattens `steps` into operations.
pub fn compile(steps: &[Step]) -> Vec<Op> {
    compile_program(steps).ops
}

/// Flattens `steps` into operations, with the names of named steps.
pub fn compile_program(steps: &[Step]) -> Program {
    let mut p = Program::default();
    emit(steps, &mut p.ops, &mut p.mixes);
    let mut names = Vec::with_capacity(p.ops.len());
    if p.names.is_empty() && !steps.iter().any(has_name) {
        p.op_names = vec![None; p.ops.len()];
        return p;
    }
    name_ops(steps, None, &mut p.names, &mut names);
    p.op_names = names;
    p
}

fn has_name(step: &Step) -> bool {
    match step {
        Step::Named { .. } => true,
        Step::Lock { steps, .. }
        | Step::Semaphore { steps, .. }
        | Step::ToThread(steps)
        | Step::Repeat { steps, .. } => steps.iter().any(has_name),
        Step::OneOf(branches) => branches.iter().any(|b| b.steps.iter().any(has_name)),
        _ => false,
    }
}

/// The name of each operation `emit` makes of `steps`, in the same order.
fn name_ops(
    steps: &[Step],
    current: Option<u32>,
    names: &mut Vec<String>,
    out: &mut Vec<Option<u32>>,
) {
    for step in steps {
        match step {
            Step::Named { name, step } => {
                let i = match names.iter().position(|n| n == name) {
                    Some(i) => i,
                    None => {
                        names.push(name.clone());
                        names.len() - 1
                    }
                };
                name_ops(std::slice::from_ref(step), Some(i as u32), names, out);
            }
            Step::Lock { steps, .. } | Step::Semaphore { steps, .. } | Step::ToThread(steps) => {
                out.push(current);
                name_ops(steps, current, names, out);
                out.push(current);
            }
            Step::Repeat { times, steps } => {
                for _ in 0..*times {
                    name_ops(steps, current, names, out);
                }
            }
            Step::OneOf(branches) => {
                out.push(current);
                for b in branches {
                    name_ops(&b.steps, current, names, out);
                    out.push(current);
                }
            }
            other => {
                for _ in 0..other.op_count() {
                    out.push(current);
                }
            }
        }
    }
}

fn emit(steps: &[Step], ops: &mut Vec<Op>, mixes: &mut Vec<Mix>) {
    for step in steps {
        match step {
            Step::Repeat { times, steps } => {
                for _ in 0..*times {
                    emit(steps, ops, mixes);
                }
            }
            Step::Named { step, .. } => emit(std::slice::from_ref(step), ops, mixes),
            Step::OneOf(branches) => {
                let m = mixes.len();
                mixes.push(Mix {
                    weights: branches.iter().map(|b| b.weight).collect(),
                    labels: crate::workload::step::Branch::labels(branches),
                    starts: Vec::new(),
                });
                ops.push(Op::OneOf(m));
                let mut starts = Vec::with_capacity(branches.len());
                let mut jumps = Vec::with_capacity(branches.len());
                for b in branches {
                    starts.push(ops.len());
                    emit(&b.steps, ops, mixes);
                    jumps.push(ops.len());
                    ops.push(Op::Jump(0));
                }
                let end = ops.len();
                for j in jumps {
                    ops[j] = Op::Jump(end);
                }
                mixes[m].starts = starts;
            }
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
                emit(steps, ops, mixes);
                let end = ops.len();
                ops[at] = Op::ToThread(end);
                ops.push(Op::ToThreadEnd);
            }
            Step::Lock { lock, steps } => {
                ops.push(Op::LockAcquire(*lock));
                emit(steps, ops, mixes);
                ops.push(Op::LockRelease(*lock));
            }
            Step::Semaphore { semaphore, steps } => {
                ops.push(Op::SemAcquire(*semaphore));
                emit(steps, ops, mixes);
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

    #[test]
    fn every_operation_knows_its_innermost_named_step() {
        let d = Dist::Const(1);
        let named = |name: &str, step: Step| Step::Named {
            name: name.to_string(),
            step: Box::new(step),
        };
        let steps = vec![
            named(
                "outer",
                Step::Repeat {
                    times: 2,
                    steps: vec![
                        Step::Cpu(d),
                        named("wait", Step::WaitEvent(0)),
                        Step::Lock {
                            lock: 0,
                            steps: vec![named("db", Step::Io(d))],
                        },
                    ],
                },
            ),
            Step::Sleep(d),
        ];
        let p = compile_program(&steps);
        assert_eq!(p.ops.len(), p.op_names.len());
        assert_eq!(p.ops.len(), 2 * (1 + 4 + 3) + 1);
        let names: Vec<Option<&str>> = (0..p.ops.len()).map(|pc| p.name_at(pc)).collect();
        assert_eq!(names[0], Some("outer"));
        assert_eq!(&names[1..5], &[Some("wait"); 4]);
        assert_eq!(names[5], Some("outer"), "the lock's acquire");
        assert_eq!(names[6], Some("db"));
        assert_eq!(names[8], Some("outer"), "the second round");
        assert_eq!(names[16], None, "an unnamed step");
        assert_eq!(p.ops, compile(&steps));
    }
}
