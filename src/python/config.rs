//! Interpreter parameters (`[python]`, docs/MODEL.md#the-gil-and-its-races, docs/MODEL.md#run-models).

use crate::engine::random::Dist;
use crate::engine::time::{Nanos, US};

/// A CPython version, `major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PyVersion {
    /// Major version (3).
    pub major: u32,
    /// Minor version (8 to 14).
    pub minor: u32,
}

impl std::fmt::Display for PyVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The interpreter build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// The default build, with a GIL.
    Gil,
    /// The free-threaded build (3.13t, 3.14t): no GIL unless `gil = 1`.
    FreeThreaded,
}

/// Who gets the GIL when a drop signals its condition variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handoff {
    /// The longest-waiting thread (futex order).
    Fifo,
    /// A waiter chosen by a seeded draw.
    Random,
}

/// The interpreter's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct PythonConfig {
    /// Python version: picks defaults where versions differ.
    pub version: PyVersion,
    /// Build: with a GIL or free-threaded.
    pub build: Build,
    /// Whether a GIL exists: true for the default build, or a free-threaded build with `gil = 1`.
    pub gil_enabled: bool,
    /// `sys.setswitchinterval`, in whole microseconds (at least 1).
    pub switch_interval_us: u64,
    /// Which waiter a GIL drop signals.
    pub gil_handoff: Handoff,
    /// The chance that the waiter whose timeout forced a drop, racing back
    /// into its wait on another core, takes the GIL ahead of the waiter the
    /// signal wakes (0 to 1).
    pub gil_requester_wins: f64,
    /// CPU time from a drop request to the holder's next eval-breaker check point.
    pub check_latency: Dist,
    /// Slow-down of `cpu` steps on a free-threaded build without the GIL.
    pub free_threaded_overhead: f64,
    /// CPU cost of starting a `threading.Thread`. Charged to the new thread,
    /// on a core and without the GIL, before its first `take_gil`; the
    /// submitting thread is not modelled (it would only block in
    /// `Thread.start()` waiting for `_started`).
    pub thread_start: Dist,
    /// CPU cost of releasing and retaking the GIL around a call
    /// (`Py_BEGIN_ALLOW_THREADS` / `Py_END_ALLOW_THREADS` and the call's entry and return).
    pub release_overhead: Dist,
    /// CPU with the GIL of one `Event.set`/`clear` or `Condition.notify`
    /// call, waiters aside (`with self._cond:` and the method's Python;
    /// measured with `python3 tools/measure_events.py` on the development
    /// machine, 2 vCPUs, 3.11: `set()` + `clear()` without waiters 1.2 to 1.7 µs).
    pub sync_call: Dist,
    /// CPU with the GIL per waiter a `set`/`notify` wakes: one iteration of
    /// `Condition._notify` and the waiter lock's release, a futex wake
    /// (measured: `set()` with 10 waiters 122 to 129 µs, with 50 315 to
    /// 360 µs: about 5 µs per waiter). In asyncio: a future's `set_result` (a `call_soon`).
    pub sync_wake: Dist,
    /// CPU with the GIL of one `queue.Queue.put` that finds room (the
    /// `not_full` condition's lock, `_put`, `not_empty.notify()`;
    /// python/cpython `Lib/queue.py`). Measured on the development machine
    /// (2 vCPUs, 3.11, 20,000 puts, 9 runs): median 1.4 µs, 1.0 to 1.7 µs.
    pub queue_put: Dist,
    /// CPU with the GIL of one `queue.Queue.get` that finds an item
    /// (measured as `queue_put`: median 1.3 µs, 1.0 to 1.4 µs).
    pub queue_get: Dist,
    /// Resident memory of one interpreter process, in bytes.
    pub process_rss: u64,
    /// Resident memory of one thread, in bytes.
    pub thread_rss: u64,
    /// The profile the values came from: `reference` or a path.
    pub profile: String,
    /// Costs of processes: start-up, pickling, pipes.
    pub process: ProcessConfig,
    /// Costs of the asyncio event loop.
    pub asyncio: AsyncioConfig,
}

/// Costs of the asyncio event loop (docs/MODEL.md#asyncio), each CPU on the loop
/// thread with the GIL held, drawn from the `workload/NAME/loop` stream.
#[derive(Debug, Clone, PartialEq)]
pub struct AsyncioConfig {
    /// One callback of `_run_once` (`Handle._run`, python/cpython
    /// `Lib/asyncio/events.py`): default 2.5 µs, docs/MODEL.md#asyncio.
    pub loop_callback: Dist,
    /// One `Task.__step` (python/cpython `Lib/asyncio/tasks.py`) on top of its
    /// callback: resuming the coroutine with `send(None)` and handling what
    /// it yields. Default 10 µs, docs/MODEL.md#asyncio.
    pub task_step: Dist,
    /// Creating a coroutine object and its `Task` (`create_task`, an estimate, to calibrate).
    pub coroutine_create: Dist,
    /// One poll that does not wait (`epoll_wait` with timeout 0, GIL released; an estimate).
    pub loop_poll: Dist,
    /// Resident memory of one live coroutine and its `Task` (about 2 KB: a
    /// frame, the coroutine, the Task and its callbacks; an estimate).
    pub coroutine_rss: u64,
}

impl Default for AsyncioConfig {
    fn default() -> Self {
        let us = |x: f64| Dist::LogNormal {
            median: libm::round(x * 1e3) as Nanos,
            sigma: 0.3,
        };
        AsyncioConfig {
            loop_callback: us(2.5),
            task_step: us(10.0),
            coroutine_create: us(3.0),
            loop_poll: us(1.0),
            coroutine_rss: 2048,
        }
    }
}

/// Costs of worker processes and of the messages between them (docs/MODEL.md#processes).
///
/// Measured on this machine (2 vCPUs, Python 3.11.7, Linux) with
/// `python3 tools/measure_ipc.py`, medians, unless noted:
/// pickling a list of floats: `dumps` 0.5 µs for a 24-byte pickle, 400 to
/// 600 MB/s for 9 KB to 900 KB; `loads` 300 MB/s. `send_bytes` +
/// `recv_bytes` round trip between two processes: 61 µs at 16 B, 68 µs at
/// 64 KiB (two wake-ups dominate), 2.2 ms at 1 MiB, 47 ms at 16 MiB (so
/// about 2.1 to 2.8 ns per byte once a message exceeds the pipe buffer).
/// `Process.start()` + `join()` of an empty target: fork 3.3 ms (0.8 ms of
/// it in the parent's `start()`), spawn 77 ms (0.76 ms in the parent),
/// forkserver 13 ms (1.6 ms in the parent), the forkserver's first start
/// 70 ms (its server's start included).
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessConfig {
    /// Pickling CPU per byte, holding the sender's GIL (`pickle.dumps`: 400 to 600 MB/s measured).
    pub pickle_ns_per_byte: f64,
    /// Unpickling CPU per byte, holding the receiver's GIL (`pickle.loads`: 300 MB/s measured).
    pub unpickle_ns_per_byte: f64,
    /// Pickling or unpickling CPU per message: the pickler's set-up plus the
    /// Python of `Connection.send`/`recv` and the handler's loop (`dumps` of a
    /// tiny object measured 0.5 µs; the rest is an estimate, to calibrate).
    pub pickle_message: Nanos,
    /// CPU of one pipe `write` or `read` syscall, per message and side, GIL released.
    pub pipe_syscall: Nanos,
    /// The pipe's buffer (Linux default: 16 pages, 64 KiB).
    pub pipe_buffer: u64,
    /// Copy CPU per byte and side for the part of a message that fits in the
    /// pipe buffer (the 4 KiB to 64 KiB round trips differ by 12 µs).
    pub pipe_ns_per_byte_small: f64,
    /// Copy CPU per byte and side beyond the buffer: the writer and reader
    /// take turns through it (about 2.1 ns per byte both sides at 1 MiB, 2.8 at 16 MiB).
    pub pipe_ns_per_byte_large: f64,
    /// Spread of every message cost: a lognormal around the computed median (docs/MODEL.md#why-costs-have-a-spread).
    pub ipc_sigma: f64,
    /// CPU of `submit` (a `Future`, a work item, a wake-up of the manager
    /// thread) with the main GIL, per task of an executor (an estimate, to calibrate).
    pub submit: Dist,
    /// Parent-side CPU of starting a process, with the parent's GIL, by start method.
    pub start_parent: [Dist; 3],
    /// CPU of the imports the first `multiprocessing.Pool()` of a program
    /// does, in its main thread with the GIL, before it starts the workers:
    /// `BaseContext.Pool` imports `multiprocessing.pool` and `SimpleQueue`
    /// imports `multiprocessing.queues` on first use
    /// (python/cpython `Lib/multiprocessing/context.py`). A scenario is one
    /// program: the first `api = "pool"` workload to start its pool pays
    /// it, the others find the modules imported; `ProcessPoolExecutor`
    /// does not (its module imports them when the program imports it).
    /// Default: `procs.py` `pool_import_ns` on the development machine
    /// (2 vCPUs, CPython 3.11, 2026-12-03): 7.3 to
    /// 9.9 ms, median 8.0 ms of 6 fresh interpreters (3.8: 23 ms; 3.13:
    /// 38 ms, once); a first `Pool(2)` took 9.1 ms more than a second one
    /// (median of 7, 2.7 to 16.3).
    pub pool_import: Dist,
    /// Extra parent-side CPU of `os.fork()` per MiB of the parent's resident
    /// memory beyond a bare interpreter's: the kernel copies the page tables
    /// (`Lib/multiprocessing/popen_fork.py`, `_launch`). Charged with start
    /// method fork, per MiB of the `memory` of the workload's tasks the
    /// parent holds (arrived, not completed); `start_parent` already covers
    /// a bare interpreter. Default: `procs.py` `fork_ns_per_mib` on the
    /// development machine (2 vCPUs, CPython 3.11, 2026-12-03): median of 21
    /// runs 41 µs per MiB (29 to 69: a noisy VM), fork with 65 MiB of lists
    /// of floats live (79 MiB resident) minus fork without them, per MiB of
    /// object memory (13 of the runs divided by the resident MiB, converted).
    pub fork_ns_per_mib: f64,
    /// CPU of the copy-on-write faults, per MiB of a task's `memory`, when
    /// the parent pickles (task handler or feeder, with its GIL:
    /// `Lib/multiprocessing/pool.py`, `_handle_tasks`) arguments it held
    /// before forking a child that is still alive: pickling writes each
    /// object's reference count, so each shared page faults and is copied
    /// once. Start method fork only; objects built after the fork are
    /// private. Default: `procs.py` `cow_ns_per_mib` on the development
    /// machine (2 vCPUs, CPython 3.11, 2026-12-03): median of 10 runs 846 µs
    /// per MiB (714 to 1039), `ForkingPickler.dumps` of lists of floats built
    /// before a fork minus equal lists built after it, per MiB of object
    /// memory (`sys.getsizeof(list) + count * sys.getsizeof(1.0)`); inside a
    /// real `Pool(2).map` the task handler's dumps took 0.89 to 0.96 ms more
    /// per MiB (22,000 faults for 85 MiB: one per page).
    pub cow_ns_per_mib: f64,
    /// Child-side CPU before a process takes its first task, by start method.
    pub start_child: [Dist; 3],
    /// CPU of the forkserver's own start, paid once before its first child.
    pub forkserver_start: Dist,
    /// `transfer = "shared_memory"`: creating a block (`SharedMemory(create=True)`,
    /// then its `unlink`), with the sender's GIL (measured: 87 µs for 1 KiB, `--shm`).
    pub shm_create: Nanos,
    /// Copying the payload into a fresh block, per byte, with the sender's GIL
    /// (measured: 1.35 ms at 1 MiB, 20.7 ms at 16 MiB: first-touch page faults).
    pub shm_ns_per_byte: f64,
    /// Attaching to a block by name and closing it, with the receiver's GIL (measured: 17 to 19 µs).
    pub shm_attach: Nanos,
    /// Pickled size of a block's handle (its name and size; an estimate).
    pub shm_handle_bytes: u64,
    /// `_interpreters.create()` plus the worker's init script, in a new
    /// `InterpreterPoolExecutor` worker thread (an estimate: the Python on
    /// the development machine is 3.11, without `_interpreters`; to calibrate).
    pub interpreter_start: Dist,
    /// Resident memory of one subinterpreter, in bytes (an estimate, to calibrate).
    pub interpreter_rss: u64,
}

impl Default for ProcessConfig {
    fn default() -> Self {
        let ms = |x: f64| Dist::LogNormal {
            median: libm::round(x * 1e6) as Nanos,
            sigma: 0.2,
        };
        ProcessConfig {
            pickle_ns_per_byte: 2.0,
            unpickle_ns_per_byte: 3.3,
            pickle_message: 3 * US,
            pipe_syscall: 5 * US,
            pipe_buffer: 64 * 1024,
            pipe_ns_per_byte_small: 0.1,
            pipe_ns_per_byte_large: 1.2,
            ipc_sigma: 0.2,
            submit: Dist::LogNormal {
                median: 10 * US,
                sigma: 0.3,
            },
            // In StartMethod order: fork, spawn, forkserver.
            start_parent: [ms(0.8), ms(0.76), ms(1.5)],
            pool_import: ms(8.0),
            fork_ns_per_mib: 41_000.0,
            cow_ns_per_mib: 846_000.0,
            start_child: [ms(2.5), ms(75.0), ms(11.5)],
            forkserver_start: ms(57.0),
            shm_create: 85 * US,
            shm_ns_per_byte: 1.2,
            shm_attach: 18 * US,
            shm_handle_bytes: 100,
            interpreter_start: ms(5.0),
            interpreter_rss: 2 * 1024 * 1024,
        }
    }
}

impl PythonConfig {
    /// Defaults for `version` and `build`.
    pub fn defaults(version: PyVersion, build: Build) -> Self {
        PythonConfig {
            version,
            build,
            gil_enabled: build == Build::Gil,
            switch_interval_us: 5000,
            gil_handoff: Handoff::Fifo,
            gil_requester_wins: 0.88,
            check_latency: Dist::LogNormal {
                median: US,
                sigma: 0.5,
            },
            free_threaded_overhead: if version.minor <= 13 { 1.4 } else { 1.08 },
            thread_start: Dist::LogNormal {
                median: 60 * US,
                sigma: 0.3,
            },
            release_overhead: Dist::LogNormal {
                median: 300,
                sigma: 0.3,
            },
            sync_call: Dist::LogNormal {
                median: 800,
                sigma: 0.3,
            },
            sync_wake: Dist::LogNormal {
                median: 5 * US,
                sigma: 0.3,
            },
            queue_put: Dist::LogNormal {
                median: 1400,
                sigma: 0.3,
            },
            queue_get: Dist::LogNormal {
                median: 1300,
                sigma: 0.3,
            },
            process_rss: 12 * 1024 * 1024,
            thread_rss: 64 * 1024,
            profile: "reference".to_string(),
            process: ProcessConfig::default(),
            asyncio: AsyncioConfig::default(),
        }
    }

    /// The switch interval in nanoseconds.
    pub fn switch_interval(&self) -> Nanos {
        self.switch_interval_us.max(1) * US
    }
}

impl Default for PythonConfig {
    fn default() -> Self {
        Self::defaults(
            PyVersion {
                major: 3,
                minor: 11,
            },
            Build::Gil,
        )
    }
}
