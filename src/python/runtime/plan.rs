//! What the threads that follow their model's acts hold and do: the acts
//! of a plan ([`Act`]) and the costs they pay ([`Cost`]), the messages they
//! pass ([`Msg`]) over pipes and queues ([`Channel`]), and each such thread's
//! plan and message ([`AgentState`]). Process pools, subinterpreter pools,
//! stage feeders and the event loop all speak this vocabulary
//! (`drivers/processes`, `drivers/asyncio`, `drivers/stages`); the op
//! interpreter reads it for the check-point test.

use std::collections::VecDeque;

use crate::engine::time::Nanos;
use crate::machine::ThreadId;
use crate::python::program::Op;

use super::{Role, Task};

/// A cost an agent pays; its size comes from the message it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cost {
    /// `pickle.dumps` of the held message.
    Pickle,
    /// `pickle.loads` of the held message.
    Unpickle,
    /// The pipe `write` of the held message.
    Write,
    /// The pipe `read` of the held message.
    Read,
    /// Pickling one task's arguments (a per-task process object).
    PickleArgs,
    /// Writing one task's arguments to a new child.
    WriteArgs,
    /// The parent's side of starting a process.
    StartParent,
    /// The first `Pool()`'s imports (`python.pool_import`).
    PoolImport,
    /// The forkserver's `os.fork()`.
    Fork,
    /// `Executor.submit`.
    Submit,
    /// Creating a shared memory block and copying the held message's payload into it.
    ShmCreate,
    /// Creating a block for one task's arguments (a per-task process object).
    ShmCreateArgs,
    /// Attaching to a shared memory block by name.
    ShmAttach,
    /// `multiprocessing.Queue.put`: the item appended to the buffer under
    /// `_notempty`, the feeder notified (`queue_put`).
    QueuePut,
}

/// One thing an agent thread does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Act {
    /// CPU with the GIL held (C code: the pickler, `fork`).
    Held(Cost),
    /// A syscall with the GIL released.
    Nogil(Cost),
    /// The workload's program for one task.
    Program(Task),
    /// A `lock.acquire()` or `lock.release()` on a pool's internal lock.
    Lock(Op),
    /// `recv` a message from a channel, blocking (GIL released) while it is empty.
    Recv(usize),
    /// Puts the held message on a channel.
    Send(usize),
    /// Drops the held message.
    Discard,
    /// Starts a worker process (fork or spawn): a pool worker, or a per-task child.
    StartChild(Option<Task>),
    /// Asks the forkserver (started if needed) for a child.
    ForkRequest(Option<Task>),
    /// The forkserver forks the requested child.
    ForkChild,
    /// Starts a thread of the parent (a pool's handler threads).
    StartThread(Role),
    /// `Pool.map`: the queued tasks become chunks on the task queue.
    Submit,
    /// `Executor.submit` of the next queued task: a pending work item.
    Enqueue,
    /// The manager thread moves pending work items into the call queue.
    Fill,
    /// A worker's `get()` frees a call queue slot.
    Credit,
    /// The held chunk's tasks: one [`Act::Program`] each, then its result.
    Tasks,
    /// Completes the held message's tasks (the result reached the parent).
    Complete,
    /// A per-task child exits.
    Exit,
    /// Blocks for good (the main thread in `map`'s `get()`).
    Block,
    /// The main thread submits the next arrival (`apply_async` or `submit`).
    SubmitNext,
    /// A `repeat = "forever"` worker starts an iteration of the program.
    Iterate,
    /// An iteration (a task) is done.
    IterationDone(Task),
    /// A subinterpreter worker enters its interpreter (`_interpreters.exec`)
    /// or returns to the main one, dropping the GIL it holds.
    Switch,
    /// The event loop's `select` (asyncio, `runtime/aio.rs`).
    Poll,
    /// The loop reads I/O events and due timers into `_ready`.
    Collect,
    /// The loop runs this many more ready callbacks.
    Run(usize),
    /// CPU with the GIL held, already drawn (a loop callback's cost).
    Burn(Nanos),
    /// A coroutine's operations, on the loop thread, until it awaits.
    Coro(usize),
    /// A `to_thread` body of a coroutine, on an executor thread (at its `pc`).
    Slice(usize),
    /// A stage's worker took the held item (`_sem.release()` inside `get`).
    StageTake,
    /// The held item's task: its program, its puts downstream, its completion.
    StageTask,
    /// The task's put into the `k`-th stage it feeds.
    StagePut(usize),
    /// The held item is written: the stage's consumers can read it.
    StageDeliver(usize),
}

/// A message: the tasks it carries and its pickled size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Msg {
    /// The tasks it carries (a stage's item: when it entered the queue).
    pub tasks: Vec<Task>,
    /// Pickled size in bytes.
    pub bytes: u64,
}

/// What a thread that follows its model's acts holds, besides its core
/// state: its plan and its message (`Runtime::agents`, by thread slot).
#[derive(Debug, Clone, Default)]
pub(super) struct AgentState {
    /// What it does next, front first.
    pub(super) plan: VecDeque<Act>,
    /// The message it holds (received, or being sent).
    pub(super) msg: Option<Msg>,
    /// A subinterpreter worker's own interpreter (0 otherwise).
    pub(super) home: usize,
    /// The held message's tasks whose programs have run (their pickup and
    /// branch written back into the message).
    pub(super) ran: usize,
}

/// A pipe or queue: messages written and not yet read, and blocked readers.
#[derive(Debug, Default)]
pub(super) struct Channel {
    /// Written and not yet read, oldest first.
    pub(super) msgs: VecDeque<Msg>,
    /// Readers blocked on it, first come first served.
    pub(super) waiters: VecDeque<ThreadId>,
}

/// True for the roles of a process model.
pub(super) fn is_agent(role: Role) -> bool {
    !matches!(role, Role::Worker | Role::PerTask | Role::Forever)
}
