//! Runs an agent thread's next act: costs, channel reads and writes,
//! process and thread starts, submissions and completions.

use std::collections::VecDeque;

use crate::engine::EventQueue;
use crate::engine::time::Nanos;
use crate::machine::ThreadId;
use crate::workload::{ProcessApi, StartMethod};

use super::*;
use crate::python::runtime::interp::Cursor;

impl Runtime {
    /// Runs an agent's next act, holding its GIL (taken by [`Runtime::run`]).
    pub(in crate::python::runtime) fn run_agent(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<Event>,
    ) -> bool {
        let Some(act) = self.models.agents[tid].plan.front().copied() else {
            self.refill(tid);
            return true;
        };
        let w = self.threads[tid].workload;
        match act {
            Act::Program(task) => {
                // The act stays first until the program ends; the thread
                // picks the task up when it starts it.
                let t = &mut self.threads[tid];
                if t.task.is_none() {
                    t.task = Some(Task {
                        picked: Some(task.picked.unwrap_or(now)),
                        ..task
                    });
                    if task.picked.is_none() {
                        self.workloads[w].picked += 1;
                    }
                }
                self.run_program(now, tid, Cursor::Thread(tid), q)
            }
            Act::Held(cost) => {
                let d = self.cost(tid, cost);
                self.last_burst(
                    now,
                    tid,
                    d,
                    crate::python::runtime::BurstKind::Other,
                    Next::StepDone,
                    q,
                )
            }
            Act::Nogil(cost) => {
                let d = self.cost(tid, cost);
                self.release_for(now, tid, Some(Call::Nogil(d)), q)
            }
            Act::Lock(op) => match op {
                Op::LockAcquire(l) => self.lock_acquire(now, tid, l, q),
                Op::LockRelease(l) => self.lock_release(now, tid, l, q),
                _ => unreachable!("a pool's internal locks are only acquired and released"),
            },
            Act::Recv(ch) => {
                if self.models.agents[tid].msg.is_none() {
                    match self.models.channels[ch].msgs.pop_front() {
                        Some(m) => self.models.agents[tid].msg = Some(m),
                        None if self.manager_has_work(tid, ch) => {
                            // Woken by a submit: fill the call queue first.
                            self.models.agents[tid].plan.clear();
                            return true;
                        }
                        None => return self.release_for(now, tid, Some(Call::Recv(ch)), q),
                    }
                }
                self.models.agents[tid].plan.pop_front();
                true
            }
            Act::Send(ch) => {
                self.models.agents[tid].plan.pop_front();
                if let Some(msg) = self.models.agents[tid].msg.take() {
                    self.deliver(now, ch, msg, q);
                }
                true
            }
            Act::Discard => {
                self.models.agents[tid].plan.pop_front();
                self.models.agents[tid].msg = None;
                true
            }
            Act::StartChild(task) => {
                self.models.agents[tid].plan.pop_front();
                let pool = self.pool(w);
                if pool.run.start_method == StartMethod::Fork && !pool.sub {
                    self.pool_mut(w).last_fork = Some(now);
                }
                self.start_child(now, w, task, q);
                true
            }
            Act::ForkRequest(task) => {
                self.models.agents[tid].plan.pop_front();
                if !self.pool(w).forkserver {
                    self.pool_mut(w).forkserver = true;
                    let interp = self.new_interp(w, "forkserver", true);
                    self.spawn_in(now, w, Role::ForkServer, None, interp, q);
                }
                let ch = self.pool(w).fork_requests;
                let msg = Msg {
                    tasks: task.into_iter().collect(),
                    bytes: 0,
                };
                self.deliver(now, ch, msg, q);
                true
            }
            Act::ForkChild => {
                self.models.agents[tid].plan.pop_front();
                let task = self.models.agents[tid]
                    .msg
                    .as_mut()
                    .and_then(|m| m.tasks.pop());
                self.start_child(now, w, task, q);
                true
            }
            Act::StartThread(role) => {
                self.models.agents[tid].plan.pop_front();
                let home = if role == Role::SubWorker {
                    let k = self.pool(w).processes;
                    self.pool_mut(w).processes += 1;
                    let interp = self.new_interp(w, &format!("interpreter/{k}"), false);
                    self.pool_mut(w).interps.push(interp);
                    interp
                } else {
                    0
                };
                let t = self.spawn_in(now, w, role, None, 0, q);
                self.models.agents[t].home = home;
                if role == Role::Manager {
                    self.pool_mut(w).manager = Some(t);
                }
                true
            }
            Act::Submit => {
                self.models.agents[tid].plan.pop_front();
                let pool = self.pool(w);
                let (taskq, workers, chunksize) = (pool.taskq, pool.workers, pool.run.chunksize);
                let mut tasks: Vec<Task> = self.workloads[w].queue.take_all();
                self.index_tasks(w, &mut tasks);
                let size = chunksize.unwrap_or_else(|| default_chunksize(tasks.len(), workers));
                let args = self.pool(w).run.args_bytes;
                for chunk in tasks.chunks(size.max(1) as usize) {
                    let msg = Msg {
                        tasks: chunk.to_vec(),
                        bytes: args.saturating_mul(chunk.len() as u64),
                    };
                    self.deliver(now, taskq, msg, q);
                }
                true
            }
            Act::Enqueue => {
                self.models.agents[tid].plan.pop_front();
                let Some(queued) = self.workloads[w].queue.pop_front() else {
                    return true;
                };
                let first = Task {
                    index: Some(self.next_index(w)),
                    ..queued
                };
                if self.pool(w).sub || self.pool(w).run.api == ProcessApi::Pool {
                    // A task for a worker thread, or Pool.apply_async's one-task job.
                    let msg = Msg {
                        tasks: vec![first],
                        bytes: self.pool(w).run.args_bytes,
                    };
                    let taskq = self.pool(w).taskq;
                    self.deliver(now, taskq, msg, q);
                    return true;
                }
                // Executor.map with a chunksize: one work item per chunk (_process_chunk).
                let mut item = vec![first];
                let size = if self.pool(w).rate {
                    1
                } else {
                    self.pool(w).run.chunksize.unwrap_or(1)
                };
                while (item.len() as u64) < size {
                    match self.workloads[w].queue.pop_front() {
                        Some(queued) => item.push(Task {
                            index: Some(self.next_index(w)),
                            ..queued
                        }),
                        None => break,
                    }
                }
                self.pool_mut(w).pending.push_back(item);
                let (outq, manager) = (self.pool(w).outq, self.pool(w).manager);
                if let Some(m) = manager
                    && let Some(i) = self.models.channels[outq]
                        .waiters
                        .iter()
                        .position(|&x| x == m)
                {
                    // `_executor_manager_thread_wakeup.wakeup()`.
                    self.models.channels[outq].waiters.remove(i);
                    self.wake(now, m, Next::ReturnCost, q);
                }
                true
            }
            Act::Fill => {
                self.models.agents[tid].plan.pop_front();
                let args = self.pool(w).run.args_bytes;
                while self.pool(w).credit > 0 {
                    let Some(tasks) = self.pool_mut(w).pending.pop_front() else {
                        break;
                    };
                    self.pool_mut(w).credit -= 1;
                    let taskq = self.pool(w).taskq;
                    let msg = Msg {
                        bytes: args.saturating_mul(tasks.len() as u64),
                        tasks,
                    };
                    self.deliver(now, taskq, msg, q);
                }
                true
            }
            Act::Credit => {
                self.models.agents[tid].plan.pop_front();
                self.pool_mut(w).credit += 1;
                true
            }
            Act::Tasks => {
                let mut plan = std::mem::take(&mut self.models.agents[tid].plan);
                plan.pop_front();
                let per_task = self.threads[tid].role == Role::ProcTask;
                // In front of the rest of the plan: each task's program, then the result's acts.
                self.push_result_acts(w, per_task, &mut plan);
                let result = self.pool(w).run.result_bytes;
                if let Some(m) = self.models.agents[tid].msg.as_mut() {
                    m.bytes = result.saturating_mul(m.tasks.len() as u64);
                    for &task in m.tasks.iter().rev() {
                        plan.push_front(Act::Program(task));
                    }
                }
                self.models.agents[tid].ran = 0;
                self.models.agents[tid].plan = plan;
                true
            }
            Act::Complete => {
                self.models.agents[tid].plan.pop_front();
                if self.pool(w).sub || self.pool(w).run.api == ProcessApi::Executor {
                    self.pool_mut(w).idle += 1;
                }
                let Some(msg) = self.models.agents[tid].msg.take() else {
                    return true;
                };
                let puts = self.models.successors[w].len();
                if puts == 0 {
                    for task in msg.tasks {
                        self.count_completion(now, w, task);
                    }
                    return true;
                }
                // The parent puts each result into the stages it feeds
                // (`for r in pool.imap(...): q.put(r)`), then it is done.
                for &task in msg.tasks.iter().rev() {
                    self.models.agents[tid]
                        .plan
                        .push_front(Act::IterationDone(task));
                    for k in (0..puts).rev() {
                        self.models.agents[tid].plan.push_front(Act::StagePut(k));
                    }
                }
                true
            }
            Act::Exit => {
                self.exit_process(now, tid, q);
                false
            }
            Act::Block => self.release_for(now, tid, Some(Call::Await), q),
            Act::Iterate => {
                self.models.agents[tid].plan.pop_front();
                let task = Task {
                    index: Some(self.next_index(w)),
                    ..self.new_task(now).picked_at(now)
                };
                self.models.agents[tid]
                    .plan
                    .push_front(Act::IterationDone(task));
                self.models.agents[tid].plan.push_front(Act::Program(task));
                self.workloads[w].arrived += 1;
                self.add_task_memory(w);
                true
            }
            Act::IterationDone(task) => {
                self.models.agents[tid].plan.pop_front();
                self.count_completion(now, w, task);
                true
            }
            Act::SubmitNext => {
                self.models.agents[tid].plan.pop_front();
                if self.pool(w).per_task {
                    let mut acts = VecDeque::new();
                    let queued = match self.workloads[w].queue.pop_front() {
                        Some(queued) => queued,
                        None if self.pool(w).forever => {
                            // The loop's next iteration arrives as the last one ends.
                            self.workloads[w].arrived += 1;
                            self.add_task_memory(w);
                            self.new_task(now).picked_at(now)
                        }
                        None => self.new_task(now),
                    };
                    let task = Task {
                        index: Some(self.next_index(w)),
                        ..queued
                    };
                    self.start_acts(w, Some(task), &mut acts);
                    for a in acts.into_iter().rev() {
                        self.models.agents[tid].plan.push_front(a);
                    }
                    return true;
                }
                let i = self.pool(w).submitted;
                self.pool_mut(w).submitted += 1;
                // _adjust_process_count / _adjust_thread_count: no new worker
                // if the idle semaphore can be taken without blocking.
                let pool = self.pool_mut(w);
                let spawn = if pool.idle > 0 {
                    pool.idle -= 1;
                    false
                } else {
                    pool.processes < pool.workers
                };
                // Appended, then turned to the front of what the plan held.
                let mut plan = std::mem::take(&mut self.models.agents[tid].plan);
                let held = plan.len();
                self.submit_acts(w, i, spawn, &mut plan);
                plan.rotate_right(plan.len() - held);
                self.models.agents[tid].plan = plan;
                true
            }
            Act::Switch => {
                let t = &self.threads[tid];
                let to = if t.interp == 0 {
                    self.models.agents[tid].home
                } else {
                    0
                };
                self.release_for(now, tid, Some(Call::Switch(to)), q)
            }
            Act::StageTake => {
                self.models.agents[tid].plan.pop_front();
                let entered = self.models.agents[tid]
                    .msg
                    .as_ref()
                    .and_then(|m| m.tasks.first().copied());
                if let Some(entered) = entered {
                    self.stage_taken(now, w, entered.arrival, q);
                }
                true
            }
            Act::StageTask => {
                self.models.agents[tid].plan.pop_front();
                let entered = self.models.agents[tid]
                    .msg
                    .take()
                    .and_then(|m| m.tasks.first().copied());
                let Some(entered) = entered else {
                    return true;
                };
                let puts = self.models.successors[w].len();
                self.models.agents[tid]
                    .plan
                    .push_front(Act::IterationDone(entered));
                for k in (0..puts).rev() {
                    self.models.agents[tid].plan.push_front(Act::StagePut(k));
                }
                self.models.agents[tid]
                    .plan
                    .push_front(Act::Program(entered));
                true
            }
            Act::StagePut(k) => self.agent_stage_put(now, tid, k, q),
            Act::StageDeliver(stage) => {
                self.models.agents[tid].plan.pop_front();
                if let Some(msg) = self.models.agents[tid].msg.take() {
                    self.stage_ready(now, stage, msg, q);
                }
                true
            }
            Act::Poll
            | Act::Collect
            | Act::Run(_)
            | Act::Burn(_)
            | Act::Coro(_)
            | Act::Slice(_) => unreachable!("asyncio acts run in runtime/aio.rs"),
        }
    }
}
