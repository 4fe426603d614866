//! Process and asyncio costs from the `procs.py` and `aio.py` probes.
//!
//! Each repetition's raw fields are turned into parameter values at once
//! ([`derive_procs`], [`derive_aio`]), so a derived value's median, spread
//! and best-of-N are over repetitions like any measurement's. Which
//! parameter is the median of which derived measurement is in the parameter
//! table (`src/python/params`, `Calibration::Measured`); how each is derived
//! (the parameters of `ProcessConfig` and `AsyncioConfig`,
//! src/python/config.rs):
//!
//! | parameter | from |
//! | --- | --- |
//! | `pickle_ns_per_byte`, `unpickle_ns_per_byte` | `ForkingPickler.dumps` in the parent / `loads` in a forked child of distinct lists of floats streamed through a pipe, per byte (as a pool moves arguments; repeated `pickle.dumps`/`loads` of one object, recorded beside, differ by up to 2x either way) |
//! | `pipe_syscall` | half an `os.write` + `os.read` of 16 B in one process |
//! | `pickle_message` | (`Connection.send` + `recv` in one process − 1.5 pipe pairs) / 2: two pickling passes, one write and two reads (`_send_bytes` joins header and payload up to 16 KiB, `_recv_bytes` reads the header, then the payload); then fitted to `Pool.map` ([`super::fit::fit_pickle_message`]) |
//! | `pipe_ns_per_byte_small` | (round trip at 64 KiB − at 16 B) / bytes / 2 sides |
//! | `pipe_ns_per_byte_large` | least-squares slope of the round trip over the sizes from 64 KiB up / 2 sides |
//! | `fork_ns_per_mib` | the parent's `os.fork()` with about 64 MiB of lists of floats live − without, per MiB of those objects (the unit of a workload's `memory`) |
//! | `cow_ns_per_mib` | `ForkingPickler.dumps` of lists of floats built before a fork whose child is alive − of equal lists built after it, per MiB of object memory |
//! | `fork_start_parent`, ... | `Process.start()` in the parent, per start method |
//! | `fork_start`, ... | `start()` + `join()` − `start()`: the child's part (its exit included) |
//! | `forkserver_server_start` | the first forkserver start − a later one |
//! | `submit` | `ProcessPoolExecutor.submit`, per call, workers started |
//! | `pool_import` | `import multiprocessing.pool, multiprocessing.queues` in a fresh interpreter that imported `multiprocessing` (what the first `Pool()` imports) |
//! | `loop_callback` | a callback in a pass of ready ones + `call_soon` (who scheduled it) |
//! | `loop_poll` | a self-rescheduling callback's pass − `loop_callback` |
//! | `task_step` | a pass of `await asyncio.sleep(0)` − a self-rescheduling callback's pass |
//! | `coroutine_create` | `create_task(coro())` − `call_soon` (paid by its first step's callback) |
//!
//! Floors of 100 ns keep a difference of two noisy numbers positive.

use serde_json::{Map, Value};

use super::probes::{self, ProbeError};

/// The smallest value a difference of two measurements is given, ns.
pub const FLOOR_NS: f64 = 100.0;

/// Start methods in `ProcessConfig`'s order, as probe field names.
pub const METHODS: &[&str] = &["fork", "spawn", "forkserver"];

/// One derived value of a repetition: measurement name, unit, value.
pub type Derived = (String, &'static str, f64);

fn field(map: &Map<String, Value>, probe: &str, name: &str) -> Result<f64, ProbeError> {
    probes::number(map, probe, name)
}

/// The process costs of one `procs.py` repetition; `sizes` are the round-trip
/// payload sizes it was given (ascending, 16 and 65536 among them).
pub fn derive_procs(map: &Map<String, Value>, sizes: &[u64]) -> Result<Vec<Derived>, ProbeError> {
    let p = "procs.py";
    let mut out: Vec<Derived> = Vec::new();
    let mut push = |k: &str, unit: &'static str, v: f64| out.push((k.to_string(), unit, v));
    let isolated = field(map, p, "pickle_ns_per_byte")?;
    let isolated_loads = field(map, p, "unpickle_ns_per_byte")?;
    push("proc.pickle_isolated_ns_per_byte", "ns/B", isolated);
    push("proc.unpickle_isolated_ns_per_byte", "ns/B", isolated_loads);
    // As a pool moves arguments when the probe measured it, else in isolation.
    push(
        "proc.pickle_ns_per_byte",
        "ns/B",
        field(map, p, "stream_pickle_ns_per_byte").unwrap_or(isolated),
    );
    push(
        "proc.unpickle_ns_per_byte",
        "ns/B",
        field(map, p, "stream_unpickle_ns_per_byte").unwrap_or(isolated_loads),
    );
    // Differences of two noisy times: never below 0 (older probes lack them).
    for name in ["fork_ns_per_mib", "cow_ns_per_mib"] {
        if let Ok(x) = field(map, p, name) {
            push(&format!("proc.{name}"), "ns/MiB", x.max(0.0));
        }
    }
    let pair = field(map, p, "pipe_pair_ns")?;
    push("proc.pipe_syscall_ns", "ns", (pair / 2.0).max(FLOOR_NS));
    let message = field(map, p, "conn_message_ns")?;
    push(
        "proc.pickle_message_direct_ns",
        "ns",
        ((message - 1.5 * pair) / 2.0).max(FLOOR_NS),
    );
    let rt = |size: u64| field(map, p, &format!("rt_{size}_ns"));
    if let (Some(&lo), Some(&hi)) = (sizes.first(), sizes.last()) {
        let buffer = 65_536;
        if sizes.contains(&buffer) && lo < buffer {
            let slope = (rt(buffer)? - rt(lo)?) / (buffer - lo) as f64 / 2.0;
            push("proc.pipe_ns_per_byte_small", "ns/B", slope.max(0.0));
        }
        let above: Vec<u64> = sizes.iter().copied().filter(|&x| x >= buffer).collect();
        if hi > buffer && above.len() >= 2 {
            // Least-squares slope of the round trip over the sizes from 64 KiB up.
            let pts: Vec<(f64, f64)> = above
                .iter()
                .map(|&x| rt(x).map(|y| (x as f64, y)))
                .collect::<Result<_, _>>()?;
            let n = pts.len() as f64;
            let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
            let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
            let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
            let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
            if sxx > 0.0 {
                push(
                    "proc.pipe_ns_per_byte_large",
                    "ns/B",
                    (sxy / sxx / 2.0).max(0.0),
                );
            }
        }
        for &size in sizes {
            push(&format!("proc.round_trip_{size}_ns"), "ns", rt(size)?);
        }
    }
    for m in METHODS {
        let (Ok(parent), Ok(total)) = (
            field(map, p, &format!("start_{m}_parent_ns")),
            field(map, p, &format!("start_{m}_total_ns")),
        ) else {
            continue;
        };
        push(&format!("proc.start_{m}_parent_ns"), "ns", parent);
        push(
            &format!("proc.start_{m}_child_ns"),
            "ns",
            (total - parent).max(FLOOR_NS),
        );
        if let (true, Ok(first)) = (*m == "forkserver", field(map, p, "forkserver_first_ns")) {
            push(
                "proc.forkserver_server_ns",
                "ns",
                (first - total).max(FLOOR_NS),
            );
        }
    }
    push("proc.submit_ns", "ns", field(map, p, "submit_ns")?);
    // Older probes lack it; the parameter then keeps its default.
    if let Ok(x) = field(map, p, "pool_import_ns") {
        push("proc.pool_import_ns", "ns", x.max(FLOOR_NS));
    }
    let tasks = field(map, p, "tasks")?;
    let big = field(map, p, "big_chunk")?;
    push("proc.map_chunk1_s", "s", field(map, p, "map_1_s")?);
    push(
        &format!("proc.map_chunk{big}_s"),
        "s",
        field(map, p, &format!("map_{big}_s"))?,
    );
    push(
        "proc.map_chunk1_per_task_ns",
        "ns",
        field(map, p, "map_1_s")? * 1e9 / tasks.max(1.0),
    );
    Ok(out)
}

/// The asyncio costs of one `aio.py` repetition.
pub fn derive_aio(map: &Map<String, Value>) -> Result<Vec<Derived>, ProbeError> {
    let p = "aio.py";
    let call_soon = field(map, p, "call_soon_ns")?;
    let callback = field(map, p, "callback_ns")?;
    let pass = field(map, p, "pass_ns")?;
    let sleep0 = field(map, p, "sleep0_ns")?;
    let create = field(map, p, "create_ns")?;
    let loop_callback = callback + call_soon;
    Ok(vec![
        ("aio.call_soon_ns".into(), "ns", call_soon),
        ("aio.callback_ns".into(), "ns", callback),
        ("aio.pass_ns".into(), "ns", pass),
        ("aio.sleep0_ns".into(), "ns", sleep0),
        ("aio.create_task_ns".into(), "ns", create),
        ("aio.loop_callback_ns".into(), "ns", loop_callback),
        (
            "aio.loop_poll_ns".into(),
            "ns",
            (pass - loop_callback).max(FLOOR_NS),
        ),
        (
            "aio.task_step_ns".into(),
            "ns",
            (sleep0 - pass).max(FLOOR_NS),
        ),
        (
            "aio.coroutine_create_ns".into(),
            "ns",
            (create - call_soon).max(FLOOR_NS),
        ),
    ])
}
