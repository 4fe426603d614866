//! What the threads of a process pool do: the parent's main thread's plan
//! (start the pool, submit), and the loop each agent thread refills when its
//! plan runs out (task handler, result handler, manager, feeder, workers,
//! forkserver).

use std::collections::VecDeque;

use crate::machine::ThreadId;
use crate::workload::{ProcessApi, StartMethod, Transfer};

use super::*;

impl Runtime {
    /// What the parent's main thread does: start the pool and submit the batch.
    pub(in crate::python::runtime) fn main_plan(&self, w: usize) -> VecDeque<Act> {
        let pool = self.pool(w);
        let n = self.workloads[w].queue.len();
        let mut plan = VecDeque::new();
        if pool.per_task && pool.forever {
            // `p = Process(...); p.start(); p.join()` in a loop: one child
            // at a time (refilled as a result reader that starts the next).
            plan.push_back(Act::SubmitNext);
            return plan;
        }
        if pool.forever || pool.stage {
            for _ in 0..pool.workers {
                if pool.sub {
                    plan.push_back(Act::StartThread(Role::SubWorker));
                } else {
                    self.start_acts(w, None, &mut plan);
                }
            }
            plan.push_back(Act::Block);
            return plan;
        }
        if pool.per_task && pool.rate {
            // The main thread starts a process per arrival; a thread of
            // the parent reads the results queue.
            plan.push_back(Act::StartThread(Role::ResultHandler));
            return plan;
        }
        if pool.per_task {
            for (i, queued) in self.workloads[w].queue.iter().enumerate() {
                let task = Task {
                    index: Some(i as u64),
                    ..queued
                };
                self.start_acts(w, Some(task), &mut plan);
            }
            // Then the main thread reads the results (refilled as a result reader).
            return plan;
        }
        if !pool.sub && pool.run.api == ProcessApi::Pool {
            // context.py: the program's first Pool() imports
            // multiprocessing.pool (and SimpleQueue multiprocessing.queues)
            // before any worker starts.
            if !self.models.pool_imported {
                plan.push_back(Act::Held(Cost::PoolImport));
            }
            for _ in 0..pool.workers {
                self.start_acts(w, None, &mut plan);
            }
            plan.push_back(Act::StartThread(Role::TaskHandler));
            plan.push_back(Act::StartThread(Role::ResultHandler));
            if pool.rate {
                // Then apply_async per arrival (refilled as a submitter).
                return plan;
            }
            plan.push_back(Act::Submit);
        } else if !pool.rate {
            let items = if pool.sub {
                n
            } else {
                n.div_ceil(pool.run.chunksize.unwrap_or(1).max(1))
            };
            for i in 0..items {
                // Nothing is idle while the batch is submitted.
                self.submit_acts(w, i, i < u64::from(pool.workers), &mut plan);
            }
        } else {
            return plan;
        }
        plan.push_back(Act::Block);
        plan
    }

    /// Appends to `plan` the main thread's acts for the `i`-th
    /// `apply_async` or `submit`. `spawn`: whether this submit starts a
    /// worker (none idle, fewer than `workers`).
    pub(in crate::python::runtime) fn submit_acts(
        &self,
        w: usize,
        i: u64,
        spawn: bool,
        plan: &mut VecDeque<Act>,
    ) {
        let pool = self.pool(w);
        plan.push_back(Act::Held(Cost::Submit));
        if pool.sub {
            // ThreadPoolExecutor.submit: resolve_task pickles (fn, args,
            // kwargs) in the caller; _adjust_thread_count starts a worker
            // while none is idle and fewer than max_workers exist.
            plan.extend([Act::Held(Cost::PickleArgs), Act::Enqueue]);
            if spawn {
                plan.push_back(Act::StartThread(Role::SubWorker));
            }
            return;
        }
        plan.push_back(Act::Enqueue);
        if pool.run.api == ProcessApi::Executor {
            let fork = pool.run.start_method == StartMethod::Fork;
            if !fork && spawn {
                self.start_acts(w, None, plan);
            }
            if i == 0 {
                if fork {
                    for _ in 0..pool.workers {
                        self.start_acts(w, None, plan);
                    }
                }
                plan.push_back(Act::StartThread(Role::Manager));
                plan.push_back(Act::StartThread(Role::Feeder));
            }
        }
    }

    /// The parent's acts to start one process (a pool worker, or the child of `task`).
    pub(in crate::python::runtime) fn start_acts(
        &self,
        w: usize,
        task: Option<Task>,
        plan: &mut VecDeque<Act>,
    ) {
        let method = self.pool(w).run.start_method;
        plan.push_back(Act::Held(Cost::StartParent));
        match method {
            StartMethod::Fork | StartMethod::Spawn => plan.push_back(Act::StartChild(task)),
            StartMethod::Forkserver => {
                plan.push_back(Act::ForkRequest(task));
                plan.push_back(Act::Recv(self.pool(w).fork_replies));
                plan.push_back(Act::Discard);
            }
        }
        if task.is_some() && method != StartMethod::Fork {
            if self.pool(w).run.transfer == Transfer::SharedMemory {
                plan.push_back(Act::Held(Cost::ShmCreateArgs));
            }
            plan.push_back(Act::Held(Cost::PickleArgs));
            plan.push_back(Act::Nogil(Cost::WriteArgs));
        }
    }

    /// The next loop of an agent whose plan ran out.
    pub(in crate::python::runtime) fn refill(&mut self, tid: ThreadId) {
        let t = &self.threads[tid];
        if t.role == Role::StageFeeder {
            let acts = self.stage_feeder_loop(tid);
            self.models.agents[tid].plan.extend(acts);
            return;
        }
        // Pushed into the agent's own plan, whose room is kept between loops.
        let mut plan = std::mem::take(&mut self.models.agents[tid].plan);
        let t = &self.threads[tid];
        let pool = self.pool(t.workload);
        let executor = pool.run.api == ProcessApi::Executor;
        let shm = pool.run.transfer == Transfer::SharedMemory;
        let receive = |ch: usize, plan: &mut VecDeque<Act>| {
            plan.extend([
                Act::Recv(ch),
                Act::Nogil(Cost::Read),
                Act::Held(Cost::Unpickle),
            ]);
            if shm {
                plan.push_back(Act::Held(Cost::ShmAttach));
            }
        };
        if pool.forever && matches!(t.role, Role::ProcWorker | Role::SubWorker) {
            if t.interp == 0 && t.role == Role::SubWorker {
                plan.push_back(Act::Switch);
            }
            plan.push_back(Act::Iterate);
            self.models.agents[tid].plan = plan;
            return;
        }
        match t.role {
            Role::TaskHandler | Role::Feeder => {
                plan.push_back(Act::Recv(pool.taskq));
                if shm {
                    plan.push_back(Act::Held(Cost::ShmCreate));
                }
                plan.extend([
                    Act::Held(Cost::Pickle),
                    Act::Nogil(Cost::Write),
                    Act::Send(pool.inq),
                ]);
            }
            Role::ProcMain if pool.per_task && pool.forever => {
                receive(pool.outq, &mut plan);
                plan.extend([Act::Complete, Act::SubmitNext]);
            }
            Role::ProcMain if pool.rate => {
                plan.extend([Act::Recv(pool.subq), Act::Discard, Act::SubmitNext]);
            }
            Role::ResultHandler | Role::ProcMain => {
                receive(pool.outq, &mut plan);
                plan.push_back(Act::Complete);
            }
            Role::Manager => {
                plan.push_back(Act::Fill);
                receive(pool.outq, &mut plan);
                plan.push_back(Act::Complete);
            }
            Role::ProcWorker if pool.stage => {
                // Queue.get / Connection.recv (Lib/multiprocessing/queues.py):
                // recv_bytes under `_rlock`, `_sem.release()`, then loads.
                plan.extend([
                    Act::Lock(Op::LockAcquire(pool.rlock)),
                    Act::Recv(pool.inq),
                    Act::Nogil(Cost::Read),
                    Act::StageTake,
                    Act::Lock(Op::LockRelease(pool.rlock)),
                    Act::Held(Cost::Unpickle),
                    Act::StageTask,
                ]);
            }
            Role::ProcWorker => {
                plan.extend([
                    Act::Lock(Op::LockAcquire(pool.rlock)),
                    Act::Recv(pool.inq),
                    Act::Nogil(Cost::Read),
                ]);
                if executor {
                    // Queue.get releases its `_sem` inside `with self._rlock`.
                    plan.push_back(Act::Credit);
                }
                plan.extend([
                    Act::Lock(Op::LockRelease(pool.rlock)),
                    Act::Held(Cost::Unpickle),
                ]);
                if shm {
                    plan.push_back(Act::Held(Cost::ShmAttach));
                }
                plan.push_back(Act::Tasks);
            }
            Role::SubWorker => plan.extend([
                Act::Recv(pool.taskq),
                Act::Switch,
                Act::Held(Cost::Unpickle),
                Act::Tasks,
            ]),
            Role::ForkServer => plan.extend([
                Act::Recv(pool.fork_requests),
                Act::Held(Cost::Fork),
                Act::ForkChild,
                Act::Send(pool.fork_replies),
            ]),
            Role::ProcTask | Role::Worker | Role::PerTask | Role::Forever | Role::StageFeeder => {
                plan.push_back(Act::Exit);
            }
            Role::Loop | Role::Executor => unreachable!("asyncio threads refill in runtime/aio.rs"),
        }
        self.models.agents[tid].plan = plan;
    }

    /// Puts in front of `plan` the acts a worker does after running a
    /// chunk: pickle and send its results.
    pub(in crate::python::runtime) fn push_result_acts(
        &self,
        w: usize,
        per_task: bool,
        plan: &mut VecDeque<Act>,
    ) {
        let pool = self.pool(w);
        // _run_pickled_func puts the pickled result on the results queue;
        // back in the main interpreter, run() unpickles it.
        let sub = [
            Act::Held(Cost::Pickle),
            Act::Switch,
            Act::Held(Cost::Unpickle),
            Act::Complete,
        ];
        let child = [
            Act::Held(Cost::Pickle),
            Act::Nogil(Cost::Write),
            Act::Send(pool.outq),
            Act::Exit,
        ];
        let worker = [
            Act::Held(Cost::Pickle),
            Act::Lock(Op::LockAcquire(pool.wlock)),
            Act::Nogil(Cost::Write),
            Act::Send(pool.outq),
            Act::Lock(Op::LockRelease(pool.wlock)),
        ];
        let acts: &[Act] = if pool.sub {
            &sub
        } else if per_task {
            &child
        } else {
            &worker
        };
        for &a in acts.iter().rev() {
            plan.push_front(a);
        }
        if !pool.sub && pool.run.transfer == Transfer::SharedMemory {
            plan.push_front(Act::Held(Cost::ShmCreate));
        }
    }
}
