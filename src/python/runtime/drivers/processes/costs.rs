//! What the messages and starts of a process model cost: pickling,
//! unpickling, pipe transfers, shared memory blocks and process start-ups,
//! each a draw from the workload's `workload/NAME/ipc` stream.

use crate::engine::random::{Dist, round_ns};
use crate::engine::time::Nanos;
use crate::machine::ThreadId;
use crate::workload::{StartMethod, Transfer};

use super::*;

impl Runtime {
    /// The start-up cost of a new process's main thread, if `tid` is one.
    pub(in crate::python::runtime) fn child_start(&self, tid: ThreadId) -> Option<Dist> {
        let t = &self.threads[tid];
        let p = &self.python.process;
        match t.role {
            Role::ProcWorker | Role::ProcTask => {
                let m = self.pool(t.workload).run.start_method;
                Some(p.start_child[method_index(m)])
            }
            Role::ForkServer => Some(p.forkserver_start),
            Role::SubWorker => Some(p.interpreter_start),
            _ => None,
        }
    }

    /// Draws a start-up cost from the workload's IPC stream, as overhead CPU.
    pub(in crate::python::runtime) fn start_overhead(
        &mut self,
        tid: ThreadId,
        dist: Dist,
    ) -> Nanos {
        let w = self.threads[tid].workload;
        let d = dist.sample(&mut self.workloads[w].ipc_rng);
        self.overhead_cpu = self.overhead_cpu.saturating_add(d);
        d
    }

    /// Draws the CPU time of `cost` for `tid`, as overhead CPU.
    pub(in crate::python::runtime) fn cost(&mut self, tid: ThreadId, cost: Cost) -> Nanos {
        let t = &self.threads[tid];
        let w = t.workload;
        if cost == Cost::QueuePut {
            let d = self.python.queue_put.sample(&mut self.workloads[w].ipc_rng);
            self.overhead_cpu = self.overhead_cpu.saturating_add(d);
            return d;
        }
        if t.role == Role::StageFeeder || self.workloads[w].pool.is_none() {
            let bytes = self.models.agents[tid].msg.as_ref().map_or(0, |m| m.bytes);
            return self.item_cost(w, cost, bytes);
        }
        let run = self.pool(w).run;
        let p = &self.python.process;
        let payload = self.models.agents[tid].msg.as_ref().map_or(0, |m| m.bytes);
        // An empty payload (no `result_bytes`) needs no block.
        let shm = run.transfer == Transfer::SharedMemory && payload > 0;
        if matches!(cost, Cost::ShmCreate | Cost::ShmAttach) && !shm {
            return 0;
        }
        // With shared memory only handles are pickled and piped: one per task.
        let handles = |tasks: usize| p.shm_handle_bytes.saturating_mul(tasks as u64);
        let held = match &self.models.agents[tid].msg {
            Some(m) if shm => handles(m.tasks.len()),
            _ => payload,
        };
        let args = if run.transfer == Transfer::SharedMemory {
            handles(1)
        } else {
            run.args_bytes
        };
        let lognormal = |median: f64| Dist::LogNormal {
            median: round_ns(median),
            sigma: p.ipc_sigma,
        };
        let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
        let fork = run.start_method == StartMethod::Fork && !self.pool(w).sub;
        let memory = self.workloads[w].memory;
        // popen_fork.py: os.fork() copies the parent's page tables, which
        // grow with the arguments it holds (arrived, not completed).
        // start_parent covers a bare interpreter; the forkserver's own
        // fork (Cost::Fork) has nothing more.
        let fork_extra = if cost == Cost::StartParent && fork {
            let wl = &self.workloads[w];
            let held = wl.arrived.saturating_sub(wl.completed);
            p.fork_ns_per_mib * mib(memory.saturating_mul(held))
        } else {
            0.0
        };
        // pool.py _handle_tasks (or the executor's feeder) pickles each
        // task once, in the parent: the reference counts it writes fault
        // and copy the pages of the arguments built before the last fork.
        // Children pickling results, and spawn or forkserver, share nothing.
        // With shared memory the arguments are serialised into the block
        // just before (ShmCreate, same thread): charged here all the same.
        // Once per page holds because the parent pickles each task once.
        let cow_extra = match (&self.models.agents[tid].msg, self.pool(w).last_fork) {
            (Some(m), Some(at))
                if cost == Cost::Pickle
                    && fork
                    && memory > 0
                    && matches!(t.role, Role::TaskHandler | Role::Feeder) =>
            {
                let shared = m.tasks.iter().filter(|a| a.arrival <= at).count() as u64;
                p.cow_ns_per_mib * mib(memory.saturating_mul(shared))
            }
            _ => 0.0,
        };
        let dist = match cost {
            Cost::StartParent => p.start_parent[method_index(run.start_method)],
            Cost::Fork => p.start_parent[method_index(StartMethod::Fork)],
            Cost::Submit => p.submit,
            Cost::PoolImport => p.pool_import,
            Cost::QueuePut => self.python.queue_put,
            Cost::ShmCreate | Cost::ShmCreateArgs => {
                let bytes = if cost == Cost::ShmCreate {
                    payload
                } else {
                    run.args_bytes
                };
                lognormal(p.shm_create as f64 + bytes as f64 * p.shm_ns_per_byte)
            }
            Cost::ShmAttach => lognormal(p.shm_attach as f64),
            Cost::Pickle | Cost::PickleArgs => {
                let bytes = if cost == Cost::Pickle { held } else { args } as f64;
                lognormal(p.pickle_message as f64 + bytes * p.pickle_ns_per_byte + cow_extra)
            }
            Cost::Unpickle => message_dist(p, Cost::Unpickle, held),
            Cost::Write | Cost::Read => message_dist(p, cost, held),
            Cost::WriteArgs => message_dist(p, Cost::Write, args),
        };
        match cost {
            Cost::Pickle => self.bytes_pickled = self.bytes_pickled.saturating_add(held),
            Cost::PickleArgs => self.bytes_pickled = self.bytes_pickled.saturating_add(args),
            Cost::Unpickle => self.bytes_unpickled = self.bytes_unpickled.saturating_add(held),
            _ => {}
        }
        let d = dist
            .sample(&mut self.workloads[w].ipc_rng)
            .saturating_add(round_ns(fork_extra));
        self.overhead_cpu = self.overhead_cpu.saturating_add(d);
        if !matches!(
            cost,
            Cost::StartParent | Cost::Fork | Cost::Submit | Cost::PoolImport
        ) {
            self.workloads[w].ipc_cpu = self.workloads[w].ipc_cpu.saturating_add(d);
        }
        d
    }

    /// Draws the CPU time of pickling, unpickling, writing or reading one
    /// stage item of `bytes` for a thread of `w`, as overhead CPU.
    pub(in crate::python::runtime) fn item_cost(
        &mut self,
        w: usize,
        cost: Cost,
        bytes: u64,
    ) -> Nanos {
        let dist = message_dist(&self.python.process, cost, bytes);
        match cost {
            Cost::Pickle => self.bytes_pickled = self.bytes_pickled.saturating_add(bytes),
            Cost::Unpickle => self.bytes_unpickled = self.bytes_unpickled.saturating_add(bytes),
            _ => {}
        }
        let d = dist.sample(&mut self.workloads[w].ipc_rng);
        self.overhead_cpu = self.overhead_cpu.saturating_add(d);
        self.workloads[w].ipc_cpu = self.workloads[w].ipc_cpu.saturating_add(d);
        d
    }
}

/// The draw of a message's pickling, unpickling or pipe transfer of
/// `bytes` (pipe costs grow faster per byte past the pipe's buffer).
pub(in crate::python::runtime) fn message_dist(
    p: &crate::python::config::ProcessConfig,
    cost: Cost,
    bytes: u64,
) -> Dist {
    let lognormal = |median: f64| Dist::LogNormal {
        median: round_ns(median),
        sigma: p.ipc_sigma,
    };
    let b = bytes as f64;
    match cost {
        Cost::Pickle => lognormal(p.pickle_message as f64 + b * p.pickle_ns_per_byte),
        Cost::Unpickle => lognormal(p.pickle_message as f64 + b * p.unpickle_ns_per_byte),
        _ => {
            let buffer = p.pipe_buffer as f64;
            lognormal(
                p.pipe_syscall as f64
                    + b.min(buffer) * p.pipe_ns_per_byte_small
                    + (b - buffer).max(0.0) * p.pipe_ns_per_byte_large,
            )
        }
    }
}

pub(in crate::python::runtime) fn method_index(m: StartMethod) -> usize {
    match m {
        StartMethod::Fork => 0,
        StartMethod::Spawn => 1,
        StartMethod::Forkserver => 2,
    }
}
