//! What the record probe (`probe.py`) measured, read from its JSON output.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// One C call of 50 µs or more made directly by the function's Python code
/// (profiled pass): wall-clock and thread-CPU bounds, in ns.
#[derive(Debug, Clone, PartialEq)]
pub struct CCall {
    /// `perf_counter_ns` at `c_call`.
    pub t0: u64,
    /// `perf_counter_ns` at `c_return`.
    pub t1: u64,
    /// `thread_time_ns` at `c_call`.
    pub c0: u64,
    /// `thread_time_ns` at `c_return`.
    pub c1: u64,
    /// `module.qualname` of the C function.
    pub name: String,
}

/// One call of the function, from the four passes.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// Wall time of the clean pass, ns.
    pub wall: u64,
    /// Thread CPU of the clean pass, ns.
    pub thread_cpu: u64,
    /// Clean pass: wall − CPU − time runnable but not running (Linux
    /// schedstat), ns: the time the call waited; `None` where not measured.
    pub blocked: Option<u64>,
    /// Profiled pass: `perf_counter_ns` before and after the call.
    pub start: u64,
    /// See `start`.
    pub end: u64,
    /// Profiled pass: `thread_time_ns` before and after the call.
    pub cpu_start: u64,
    /// See `cpu_start`.
    pub cpu_end: u64,
    /// Profiled pass: the long C calls, in order.
    pub c_calls: Vec<CCall>,
    /// Contended passes (the two switch intervals of
    /// [`Recording::retake_intervals_ns`]): the long C calls, in order:
    /// name, wall ns, CPU ns.
    pub retakes: [Vec<(String, u64, u64)>; 2],
    /// Pickled size of the item (`None`: it does not pickle).
    pub args_bytes: Option<u64>,
    /// Pickled size of the result (`None`: it does not pickle).
    pub result_bytes: Option<u64>,
    /// `ForkingPickler.dumps` and `pickle.loads` of the item, ns.
    pub args_pickling: Option<(u64, u64)>,
    /// The same for the result.
    pub result_pickling: Option<(u64, u64)>,
    /// Peak memory the call allocated (tracemalloc), bytes.
    pub peak_alloc: u64,
    /// Bytes whose pages pickling the item writes in the sender.
    pub written: u64,
}

/// The whole recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// `platform.python_version()`.
    pub python: String,
    /// The interpreter's `sys.executable`.
    pub executable: String,
    /// A free-threaded build running without the GIL.
    pub free_threaded: bool,
    /// `os.cpu_count()`.
    pub cores: u32,
    /// Memory the items function left allocated (tracemalloc), bytes.
    pub items_held_bytes: u64,
    /// The unrecorded warm-up call's wall time, ns.
    pub warmup_ns: u64,
    /// The wall time of all calls in each clean pass, ns, in pass order
    /// (each call's steps use its median pass).
    pub clean_pass_totals_ns: Vec<u64>,
    /// `dumps` and `loads` of `None`, ns: what every message pays whatever its size.
    pub tiny_pickling: (u64, u64),
    /// The knocker's tick spacing with the GIL free, ns.
    pub knock_period_ns: u64,
    /// The switch intervals of the contended passes, ns (0: no such pass).
    pub retake_intervals_ns: [u64; 2],
    /// The knocker's ticks during the profiled pass (`perf_counter_ns`), sorted.
    pub ticks: Vec<u64>,
    /// Calls of each C function made directly by the function's code (profiled pass).
    pub c_call_counts: BTreeMap<String, u64>,
    /// Every call, in item order.
    pub calls: Vec<Call>,
}

fn uint(map: &Map<String, Value>, key: &str) -> Result<u64, String> {
    map.get(key)
        .and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f.max(0.0) as u64)))
        .ok_or_else(|| format!("field `{key}` is missing or not a number"))
}

fn opt_uint(map: &Map<String, Value>, key: &str) -> Option<u64> {
    map.get(key).and_then(Value::as_u64)
}

fn contended(c: &Map<String, Value>, key: &str) -> Vec<(String, u64, u64)> {
    c.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| {
                    let r = r.as_array()?;
                    Some((
                        r.first()?.as_str()?.to_string(),
                        r.get(1)?.as_u64()?,
                        r.get(2)?.as_u64()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn c_call(v: &Value) -> Result<CCall, String> {
    let a = v
        .as_array()
        .filter(|a| a.len() == 5)
        .ok_or("a C call is not [t0, t1, c0, c1, name]")?;
    let n = |i: usize| a[i].as_u64().ok_or("a C call's time is not a number");
    Ok(CCall {
        t0: n(0)?,
        t1: n(1)?,
        c0: n(2)?,
        c1: n(3)?,
        name: a[4].as_str().unwrap_or("?").to_string(),
    })
}

impl Recording {
    /// Pickling and unpickling CPU per byte of these items and results
    /// (beyond what pickling `None` costs), ns; `None` without a pickled byte.
    pub fn pickle_rates(&self) -> Option<(f64, f64)> {
        let (tiny_dumps, tiny_loads) = self.tiny_pickling;
        let (mut bytes, mut dumps, mut loads) = (0u64, 0u64, 0u64);
        for c in &self.calls {
            for (size, timing) in [
                (c.args_bytes, c.args_pickling),
                (c.result_bytes, c.result_pickling),
            ] {
                if let (Some(b), Some((d, l))) = (size, timing) {
                    bytes += b;
                    dumps += d.saturating_sub(tiny_dumps);
                    loads += l.saturating_sub(tiny_loads);
                }
            }
        }
        (bytes > 0).then(|| (dumps as f64 / bytes as f64, loads as f64 / bytes as f64))
    }

    /// Reads the probe's output (mode `record`).
    pub fn from_json(map: &Map<String, Value>) -> Result<Recording, String> {
        let calls = map
            .get("calls")
            .and_then(Value::as_array)
            .ok_or("field `calls` is missing")?
            .iter()
            .map(|c| {
                let c = c.as_object().ok_or("a call is not an object")?;
                Ok(Call {
                    wall: uint(c, "wall")?,
                    thread_cpu: uint(c, "thread_cpu")?,
                    blocked: opt_uint(c, "blocked"),
                    start: uint(c, "start")?,
                    end: uint(c, "end")?,
                    cpu_start: uint(c, "cpu_start")?,
                    cpu_end: uint(c, "cpu_end")?,
                    c_calls: c
                        .get("c_calls")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().map(c_call).collect::<Result<Vec<_>, _>>())
                        .transpose()?
                        .unwrap_or_default(),
                    retakes: [contended(c, "retakes"), contended(c, "retakes_long")],
                    args_bytes: opt_uint(c, "args_bytes"),
                    result_bytes: opt_uint(c, "result_bytes"),
                    args_pickling: opt_uint(c, "args_dumps_ns").zip(opt_uint(c, "args_loads_ns")),
                    result_pickling: opt_uint(c, "result_dumps_ns")
                        .zip(opt_uint(c, "result_loads_ns")),
                    peak_alloc: uint(c, "peak_alloc")?,
                    written: uint(c, "written")?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        if calls.is_empty() {
            return Err("no calls were recorded".into());
        }
        let mut ticks: Vec<u64> = map
            .get("ticks")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default();
        ticks.sort_unstable();
        let c_call_counts = map
            .get("c_call_counts")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_u64()?)))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Recording {
            python: map
                .get("python")
                .and_then(Value::as_str)
                .ok_or("field `python` is missing")?
                .to_string(),
            executable: map
                .get("executable")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            free_threaded: map
                .get("free_threaded")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            cores: u32::try_from(uint(map, "cores")?.clamp(1, 4096)).unwrap_or(1),
            items_held_bytes: uint(map, "items_held_bytes").unwrap_or(0),
            warmup_ns: uint(map, "warmup_ns").unwrap_or(0),
            clean_pass_totals_ns: map
                .get("clean_pass_totals_ns")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default(),
            knock_period_ns: uint(map, "knock_period_ns")?.max(1),
            retake_intervals_ns: map
                .get("retake_intervals_ns")
                .and_then(Value::as_array)
                .and_then(|a| Some([a.first()?.as_u64()?, a.get(1)?.as_u64()?]))
                .unwrap_or([0, 0]),
            tiny_pickling: map
                .get("tiny_pickle")
                .and_then(Value::as_array)
                .and_then(|a| Some((a.get(1)?.as_u64()?, a.get(2)?.as_u64()?)))
                .unwrap_or((0, 0)),
            ticks,
            c_call_counts,
            calls,
        })
    }

    /// The Python version as `3.N` (`None`: not a CPython 3 version).
    pub fn version_short(&self) -> Option<(u32, u32)> {
        let mut parts = self.python.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor: String = parts
            .next()?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        Some((major, minor.parse().ok()?))
    }
}
