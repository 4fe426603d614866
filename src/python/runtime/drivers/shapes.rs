//! Deployment shapes (docs/MODEL.md#shapes): `workers` server processes
//! forked before the load starts, each with its own interpreter and GIL,
//! each running the threads or sequential driver's behaviour inside it: a
//! driver inside a driver.
//!
//! - `per_process = { model = "sequential" }`: gunicorn's `sync` worker
//!   (benoitc/gunicorn `gunicorn/workers/sync.py`): the process's main
//!   thread accepts only when it has finished its request, then handles the
//!   next one.
//! - `per_process = { model = "threads", workers = M }`: gunicorn's
//!   `gthread` worker (`gunicorn/workers/gthread.py`): the main thread
//!   accepts whenever it polls, while fewer than `worker_connections` (1000)
//!   are open, and submits each request to a `ThreadPoolExecutor(M)` of
//!   the process; its threads start one per submit while none is idle
//!   (python/cpython `Lib/concurrent/futures/thread.py`). The main thread's
//!   own CPU (poll, accept, submit) is not simulated.
//!
//! How a connection reaches a process (`balance`):
//!
//! - `accept`: one listening socket, inherited by every worker. Python's
//!   `selectors` registers it in each worker's epoll without
//!   `EPOLLEXCLUSIVE`, so a new connection wakes every worker waiting on it
//!   (`sock_def_readable` wakes the socket's whole wait queue,
//!   torvalds/linux `net/core/sock.c`); the first to run `accept()` takes it
//!   (`inet_csk_accept`, `net/ipv4/inet_connection_sock.c`), the others get
//!   `EAGAIN`. A worker waits on the socket only when it can take a request:
//!   a sync worker when idle, a gthread worker always (up to
//!   `worker_connections`). The winner among the woken is a draw (which
//!   woken process the scheduler runs first), preferring processes with a
//!   free worker thread: those are in `epoll_wait` with their GIL free,
//!   while a process whose threads run Python must first take its GIL back.
//!   When no sync worker is idle the connection waits in the kernel's
//!   accept queue and the next worker to finish takes it.
//! - `reuseport`: `SO_REUSEPORT`, a socket per worker; `reuseport_select_sock`
//!   (`net/core/sock_reuseport.c`) picks one by the hash of the connection's
//!   4-tuple (`reciprocal_scale(hash, num_socks)`), whatever the worker is
//!   doing: modelled as a uniform draw per connection (its source port).
//!   A connection hashed to a busy sync worker waits behind it while
//!   another worker may be idle.
//! - `round-robin`: connections dealt to the processes in turn (a front
//!   proxy's round-robin over one port per worker), busy or not.
//!
//! Draws come from `workload/NAME/balance`; nothing else is drawn, so a
//! shape's steps draw what the same steps draw on threads.

use std::collections::VecDeque;

use super::Driver;
use crate::engine::time::Nanos;
use crate::engine::{EventQueue, Stream};
use crate::machine::ThreadId;
use crate::python::runtime::task_queue::TaskQueue;
use crate::python::runtime::*;
use crate::workload::{Balance, PerProcess, Shape};

/// One worker process of a shape: its interpreter and what it runs.
#[derive(Debug)]
struct Proc {
    /// Its interpreter (and GIL), index into `Runtime::interps`.
    interp: usize,
    /// Requests it accepted that no worker thread has taken yet.
    queue: TaskQueue,
    /// Worker threads waiting for a request.
    idle: VecDeque<ThreadId>,
    /// Worker threads started.
    threads: u32,
    /// Requests accepted and not yet done.
    open: u64,
    /// Its event loop (index among the shapes' loops), for asyncio.
    lp: Option<usize>,
}

/// A shape workload's processes and its balancer.
pub(in crate::python::runtime) struct ShapeState {
    spec: Shape,
    procs: Vec<Proc>,
    /// Round-robin: the process the next connection goes to.
    next: usize,
    /// `workload/NAME/balance`.
    rng: Stream,
    /// Per process: requests it accepted over the run.
    accepted: Vec<u64>,
}

impl ShapeState {
    /// Worker threads one process may run.
    fn max_threads(&self) -> u32 {
        match self.spec.per_process {
            PerProcess::Threads(m) => m,
            PerProcess::Sequential | PerProcess::Asyncio(_) => 1,
        }
    }

    /// Whether process `p` has a worker free for a request now (for
    /// asyncio, `polling`: its loop waits in `select`).
    fn free(&self, p: usize, polling: bool) -> bool {
        let pr = &self.procs[p];
        match self.spec.per_process {
            PerProcess::Asyncio(limit) => polling && limit.is_none_or(|m| pr.open < u64::from(m)),
            _ => pr.queue.len() == 0 && (!pr.idle.is_empty() || pr.threads < self.max_threads()),
        }
    }
}

impl Runtime {
    fn shape(&self, w: usize) -> &ShapeState {
        match self.workloads[w].shape.as_deref() {
            Some(s) => s,
            None => unreachable!("workload {w} is not a shape"),
        }
    }

    fn shape_mut(&mut self, w: usize) -> &mut ShapeState {
        match self.workloads[w].shape.as_deref_mut() {
            Some(s) => s,
            None => unreachable!("workload {w} is not a shape"),
        }
    }

    /// Forks the worker processes of shape workload `w` before its first
    /// request: each an interpreter with its GIL; a sync worker's main
    /// thread starts at once, a thread pool's threads on demand.
    pub(in crate::python::runtime) fn start_shape(
        &mut self,
        w: usize,
        spec: Shape,
        q: &mut EventQueue<Event>,
    ) {
        let n = match self.workloads[w].workers {
            crate::workload::Workers::Fixed(n) => n,
            _ => 1,
        };
        let name = self.workloads[w].name.clone();
        let mut procs = Vec::with_capacity(n as usize);
        for k in 0..n {
            let gil_name = format!("workload/{name}/process/{k}/gil");
            let mut gil =
                crate::python::gil::Gil::new(self.python.gil_handoff, self.seed, &gil_name);
            if self.record_gil {
                gil.record();
            }
            self.interps.push(Interp::new(gil));
            self.live_processes += 1;
            procs.push(Proc {
                interp: self.interps.len() - 1,
                queue: TaskQueue::default(),
                idle: VecDeque::new(),
                threads: 0,
                open: 0,
                lp: None,
            });
        }
        // Without preload every worker imports the app; with it the master
        // imports it once and the workers share its pages copy-on-write.
        let copies = if spec.preload { 1 } else { u64::from(n) };
        self.shapes_rss = self
            .shapes_rss
            .saturating_add(spec.app_bytes.saturating_mul(copies));
        self.workloads[w].shape = Some(Box::new(ShapeState {
            spec,
            procs,
            next: 0,
            rng: Stream::new(self.seed, &format!("workload/{name}/balance")),
            accepted: vec![0; n as usize],
        }));
        self.update_rss();
        for p in 0..n as usize {
            let interp = self.shape(w).procs[p].interp;
            match spec.per_process {
                PerProcess::Sequential => {
                    self.spawn_in(0, w, Role::Worker, None, interp, q);
                    self.shape_mut(w).procs[p].threads += 1;
                }
                PerProcess::Asyncio(_) => {
                    let lp = self.aio_new_shape_loop(w, p as u32, interp, q);
                    let pr = &mut self.shape_mut(w).procs[p];
                    pr.lp = Some(lp);
                    pr.threads += 1;
                }
                PerProcess::Threads(_) => {}
            }
        }
    }

    /// The process of shape `w` whose interpreter is `interp`.
    fn proc_of(&self, w: usize, interp: usize) -> usize {
        let first = self.shape(w).procs[0].interp;
        interp - first
    }

    /// `count` requests of shape workload `w` arrive at `now`: each to the
    /// process the balancer picks, or into the shared accept queue.
    pub(in crate::python::runtime) fn arrive_shape(
        &mut self,
        now: Nanos,
        w: usize,
        count: u64,
        q: &mut EventQueue<Event>,
    ) {
        for _ in 0..count {
            self.workloads[w].arrived += 1;
            self.add_task_memory(w);
            let task = self.new_task(now);
            if self.shape(w).spec.balance == Balance::Accept {
                // The accept queue is FIFO: a process ready now takes the
                // oldest connection waiting in it.
                self.workloads[w].queue.push_back(task);
                if let Some(p) = self.balance(w)
                    && let Some(oldest) = self.workloads[w].queue.pop_front()
                {
                    self.accept_into(now, w, p, oldest, q);
                }
            } else if let Some(p) = self.balance(w) {
                self.accept_into(now, w, p, task, q);
            }
        }
    }

    /// The process a new connection goes to, or `None` when it waits in
    /// the shared accept queue.
    fn balance(&mut self, w: usize) -> Option<usize> {
        let polling: Vec<bool> = self
            .shape(w)
            .procs
            .iter()
            .map(|pr| pr.lp.is_some_and(|k| self.loop_polling(k)))
            .collect();
        let s = self.shape_mut(w);
        let n = s.procs.len();
        match s.spec.balance {
            Balance::RoundRobin => {
                let p = s.next;
                s.next = (p + 1) % n;
                Some(p)
            }
            Balance::Reuseport => Some(s.rng.below(n as u64) as usize),
            Balance::Accept => {
                let free: Vec<usize> = (0..n).filter(|&p| s.free(p, polling[p])).collect();
                if !free.is_empty() {
                    return Some(free[s.rng.below(free.len() as u64) as usize]);
                }
                match s.spec.per_process {
                    // The next sync worker to finish, or the next loop to
                    // poll, takes it from the accept queue.
                    PerProcess::Sequential | PerProcess::Asyncio(_) => None,
                    // gthread accepts while it polls, free thread or not.
                    PerProcess::Threads(_) => Some(s.rng.below(n as u64) as usize),
                }
            }
        }
    }

    /// Process `p` of shape `w` accepts request `task`: to an idle worker
    /// thread, a new one, or its queue.
    fn accept_into(
        &mut self,
        now: Nanos,
        w: usize,
        p: usize,
        task: Task,
        q: &mut EventQueue<Event>,
    ) {
        let max = self.shape(w).max_threads();
        let s = self.shape_mut(w);
        s.accepted[p] += 1;
        let pr = &mut s.procs[p];
        pr.open += 1;
        if let Some(lp) = pr.lp {
            // The loop's `_accept_connection` creates the request's task.
            let back = self.cur_loop();
            self.enter_loop(Some(lp));
            self.new_coro(now, Some(task), w, false, q);
            self.enter_loop(back);
            return;
        }
        pr.queue.push_back(task);
        if let Some(idle) = pr.idle.pop_front() {
            let task = pr.queue.pop_front();
            self.threads[idle].task = task.map(|t| self.pick(w, t, now));
            self.wake(now, idle, Next::ReturnCost, q);
        } else if pr.threads < max {
            pr.threads += 1;
            let interp = pr.interp;
            self.spawn_in(now, w, Role::Worker, None, interp, q);
        }
    }

    /// A shape process's loop is about to poll with `accept`: it takes
    /// what waits in the shared accept queue first, as `_accept_connection`
    /// does (up to its `backlog` of 100 per readiness event,
    /// python/cpython `Lib/asyncio/selector_events.py`).
    pub(in crate::python::runtime) fn shape_loop_accepts(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<Event>,
    ) {
        let w = self.threads[tid].workload;
        if !self.workloads[w].driver.is_shape() || self.shape(w).spec.balance != Balance::Accept {
            return;
        }
        let p = self.proc_of(w, self.threads[tid].interp);
        let limit = match self.shape(w).spec.per_process {
            PerProcess::Asyncio(Some(m)) => u64::from(m),
            _ => u64::MAX,
        };
        for _ in 0..100 {
            if self.shape(w).procs[p].open >= limit {
                break;
            }
            let Some(task) = self.workloads[w].queue.pop_front() else {
                break;
            };
            self.accept_into(now, w, p, task, q);
        }
    }

    /// A worker thread of shape `w` without a request takes its process's
    /// next one or, with `accept`, the accept queue's; else it goes idle.
    pub(in crate::python::runtime) fn shape_next_task(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<Event>,
    ) -> bool {
        let w = self.threads[tid].workload;
        let p = self.proc_of(w, self.threads[tid].interp);
        let mut task = self.shape_mut(w).procs[p].queue.pop_front();
        if task.is_none() && self.shape(w).spec.balance == Balance::Accept {
            task = self.workloads[w].queue.pop_front();
            if task.is_some() {
                let s = self.shape_mut(w);
                s.accepted[p] += 1;
                s.procs[p].open += 1;
            }
        }
        match task {
            Some(task) => {
                self.threads[tid].task = Some(self.pick(w, task, now));
                true
            }
            None => self.release_for(now, tid, Some(Call::Idle), q),
        }
    }

    /// An idle worker thread of a shape waits in its process.
    pub(in crate::python::runtime) fn shape_idle(&mut self, tid: ThreadId) {
        let w = self.threads[tid].workload;
        let p = self.proc_of(w, self.threads[tid].interp);
        self.shape_mut(w).procs[p].idle.push_back(tid);
    }

    /// A request of shape `w` finished in the process of interpreter `interp`.
    pub(in crate::python::runtime) fn shape_done(&mut self, w: usize, interp: usize) {
        let p = self.proc_of(w, interp);
        let pr = &mut self.shape_mut(w).procs[p];
        pr.open = pr.open.saturating_sub(1);
    }

    /// The `workers` column of a shape: processes × what each runs.
    pub(in crate::python::runtime) fn shape_label(&self, w: usize) -> Option<String> {
        let s = self.workloads[w].shape.as_deref()?;
        let n = s.procs.len();
        Some(match s.spec.per_process {
            PerProcess::Sequential => format!("{n}x1 sequential"),
            PerProcess::Threads(m) => format!("{n}x{m} threads"),
            PerProcess::Asyncio(None) => format!("{n}x asyncio"),
            PerProcess::Asyncio(Some(m)) => format!("{n}x{m} asyncio"),
        })
    }

    /// For a shape: the mean GIL held fraction over its processes and their
    /// summed switches, in the window ending at `end`.
    pub(in crate::python::runtime) fn shape_gil_stats(
        &self,
        w: usize,
        end: Nanos,
    ) -> Option<(f64, u64)> {
        let s = self.workloads[w].shape.as_deref()?;
        let window = end.saturating_sub(self.warmup) as f64;
        let (mut held, mut switches) = (0.0, 0);
        for pr in &s.procs {
            let (h, sw) = self.interps[pr.interp].window(end);
            held += if window > 0.0 { h as f64 / window } else { 0.0 };
            switches += sw;
        }
        Some((held / s.procs.len().max(1) as f64, switches))
    }

    /// Per workload, the requests each process of a shape accepted over
    /// the run (`None`: not a shape).
    pub fn shapes_accepted(&self) -> Vec<Option<Vec<u64>>> {
        self.workloads
            .iter()
            .map(|w| w.shape.as_deref().map(|s| s.accepted.clone()))
            .collect()
    }
}

impl Driver {
    /// Whether the workload is a deployment shape.
    pub(in crate::python::runtime) fn is_shape(self) -> bool {
        matches!(self, Driver::Shape(_))
    }
}
