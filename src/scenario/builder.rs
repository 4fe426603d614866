//! Scenarios written in Rust with types instead of TOML text or `--set`
//! strings.
//!
//! A [`ScenarioBuilder`] holds what a scenario file would say and renders
//! it as a TOML document ([`ScenarioBuilder::to_toml`]), which
//! [`ScenarioBuilder::build`] reads through [`Reader`]: a built scenario
//! is validated exactly like a file, defaults filled in the same way, and
//! an invalid one is refused with the same [`ScenarioError`]. Only what is
//! set is written, so a builder equals the file that leaves out the same
//! keys.
//!
//! ```
//! use gilsim::engine::time::MS;
//! use gilsim::scenario::builder::{ScenarioBuilder, WorkloadBuilder, step};
//!
//! let s = ScenarioBuilder::new("convoy")
//!     .seed(11)
//!     .cores(2)
//!     .workload(
//!         WorkloadBuilder::new("jobs")
//!             .tasks(40)
//!             .steps(vec![step::cpu(10 * MS), step::lock("db", vec![step::io(2 * MS)])])
//!             .threads(4),
//!     )
//!     .build()
//!     .expect("a valid scenario");
//! assert_eq!(s.machine.cores, 2);
//! ```
//!
//! [`Override`] is a typed `--set KEY=VALUE`, rendered to the text the
//! command line takes.

mod render;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

use self::render::{Toml, lines, section, steps_line};
use super::{Reader, Scenario, ScenarioError};
use crate::engine::random::Dist;
use crate::engine::time::Nanos;
use crate::workload::{Balance, PerProcess, ProcessApi, StartMethod, Transfer, Workers};

/// A typed value of a scenario key or of an override.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An integer (wide enough for a `u64`).
    Int(i128),
    /// A number, written so that it reads back exactly.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// A string (a name, a setting such as `"fifo"`, a path).
    Str(String),
    /// A duration in nanoseconds, written `"{ns}ns"`.
    Duration(Nanos),
    /// A size in bytes, written `"{bytes}B"`.
    Size(u64),
    /// A duration or a distribution of durations.
    Dist(Dist),
    /// A list of values (a sweep's values).
    List(Vec<Value>),
}

impl Value {
    /// A duration in nanoseconds.
    pub fn duration(ns: Nanos) -> Value {
        Value::Duration(ns)
    }

    /// A size in bytes.
    pub fn size(bytes: u64) -> Value {
        Value::Size(bytes)
    }

    fn toml(&self) -> Toml {
        match self {
            Value::Int(i) => Toml::Int(*i),
            Value::Float(f) => Toml::Float(*f),
            Value::Bool(b) => Toml::Bool(*b),
            Value::Str(s) => Toml::Str(s.clone()),
            Value::Duration(ns) => Toml::ns(*ns),
            Value::Size(b) => Toml::Str(format!("{b}B")),
            Value::Dist(d) => Toml::dist(d),
            Value::List(items) => Toml::Array(items.iter().map(Value::toml).collect()),
        }
    }

    /// The value as TOML on one line (`3`, `"fifo"`, `{ exp = "10ns" }`).
    pub fn to_toml(&self) -> String {
        self.toml().inline()
    }
}

macro_rules! int_value {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::Int(i128::from(v))
            }
        }
    )*};
}
int_value!(i32, u32, i64, u64);

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Str(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Str(v)
    }
}

impl From<Dist> for Value {
    fn from(v: Dist) -> Value {
        Value::Dist(v)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Value {
        Value::List(v)
    }
}

/// One step of a task's program, named as in a scenario file (every kind
/// of `steps`): synchronisation objects by name, durations as [`Dist`].
#[derive(Debug, Clone, PartialEq)]
pub enum StepSpec {
    /// `{ cpu = ... }`: pure-Python code.
    Cpu(Dist),
    /// `{ cpu_held = ... }`: a C call that keeps the GIL.
    CpuHeld(Dist),
    /// `{ cpu_nogil = ... }`: a C call that releases the GIL.
    CpuNogil(Dist),
    /// `{ io = ... }`: blocking I/O.
    Io(Dist),
    /// `{ sleep = ... }`: `time.sleep` (`asyncio.sleep` in a coroutine).
    Sleep(Dist),
    /// `{ blocking_io = ... }`: a blocking call (blocks the event loop in a coroutine).
    BlockingIo(Dist),
    /// `{ to_thread = true, steps = [...] }`: `asyncio.to_thread` around the steps.
    ToThread(Vec<StepSpec>),
    /// `{ lock = "name", steps = [...] }`.
    Lock {
        /// The lock's name.
        name: String,
        /// What runs while it is held.
        steps: Vec<StepSpec>,
    },
    /// `{ semaphore = "name", steps = [...] }`: a semaphore of `[semaphores]`.
    Semaphore {
        /// The semaphore's name.
        name: String,
        /// What runs while it is held.
        steps: Vec<StepSpec>,
    },
    /// `{ wait_event = "name" }`.
    WaitEvent(String),
    /// `{ set_event = "name" }`.
    SetEvent(String),
    /// `{ clear_event = "name" }`.
    ClearEvent(String),
    /// `{ wait = "name" }` on a condition.
    Wait(String),
    /// `{ repeat = N, steps = [...] }`.
    Repeat {
        /// Times in a row.
        times: u64,
        /// The nested steps.
        steps: Vec<StepSpec>,
    },
    /// `{ notify = "name", n = ... }`; `n = None` is `notify_all()`.
    Notify {
        /// The condition's name.
        condition: String,
        /// Waiters woken; `None`: all (`n = "all"`).
        n: Option<u32>,
    },
}

impl StepSpec {
    fn toml(&self) -> Toml {
        let nested = |steps: &[StepSpec]| Toml::Array(steps.iter().map(StepSpec::toml).collect());
        let named = |kind: &str, name: &str| Toml::one(kind, Toml::Str(name.to_string()));
        match self {
            StepSpec::Cpu(d) => Toml::one("cpu", Toml::dist(d)),
            StepSpec::CpuHeld(d) => Toml::one("cpu_held", Toml::dist(d)),
            StepSpec::CpuNogil(d) => Toml::one("cpu_nogil", Toml::dist(d)),
            StepSpec::Io(d) => Toml::one("io", Toml::dist(d)),
            StepSpec::Sleep(d) => Toml::one("sleep", Toml::dist(d)),
            StepSpec::BlockingIo(d) => Toml::one("blocking_io", Toml::dist(d)),
            StepSpec::ToThread(steps) => Toml::Table(vec![
                ("to_thread".into(), Toml::Bool(true)),
                ("steps".into(), nested(steps)),
            ]),
            StepSpec::Lock { name, steps } => Toml::Table(vec![
                ("lock".into(), Toml::Str(name.clone())),
                ("steps".into(), nested(steps)),
            ]),
            StepSpec::Semaphore { name, steps } => Toml::Table(vec![
                ("semaphore".into(), Toml::Str(name.clone())),
                ("steps".into(), nested(steps)),
            ]),
            StepSpec::Repeat { times, steps } => Toml::Table(vec![
                ("repeat".into(), Toml::Int(i128::from(*times))),
                ("steps".into(), nested(steps)),
            ]),
            StepSpec::WaitEvent(name) => named("wait_event", name),
            StepSpec::SetEvent(name) => named("set_event", name),
            StepSpec::ClearEvent(name) => named("clear_event", name),
            StepSpec::Wait(name) => named("wait", name),
            StepSpec::Notify { condition, n } => {
                let mut entries = vec![("notify".to_string(), Toml::Str(condition.clone()))];
                match n {
                    Some(1) => {}
                    Some(n) => entries.push(("n".into(), Toml::Int(i128::from(*n)))),
                    None => entries.push(("n".into(), Toml::Str("all".into()))),
                }
                Toml::Table(entries)
            }
        }
    }

    /// The step as TOML on one line (`{ cpu = "10ns" }`).
    pub fn to_toml(&self) -> String {
        self.toml().inline()
    }
}

/// Short constructors of [`StepSpec`]s: `step::cpu(10 * MS)`,
/// `step::lock("db", vec![step::io(2 * MS)])`. Durations are anything
/// that is a [`Dist`]: a constant in nanoseconds, or a distribution.
pub mod step {
    use super::StepSpec;
    use crate::engine::random::Dist;

    /// `{ cpu = ... }`.
    pub fn cpu(d: impl Into<Dist>) -> StepSpec {
        StepSpec::Cpu(d.into())
    }

    /// `{ cpu_held = ... }`.
    pub fn cpu_held(d: impl Into<Dist>) -> StepSpec {
        StepSpec::CpuHeld(d.into())
    }

    /// `{ cpu_nogil = ... }`.
    pub fn cpu_nogil(d: impl Into<Dist>) -> StepSpec {
        StepSpec::CpuNogil(d.into())
    }

    /// `{ io = ... }`.
    pub fn io(d: impl Into<Dist>) -> StepSpec {
        StepSpec::Io(d.into())
    }

    /// `{ sleep = ... }`.
    pub fn sleep(d: impl Into<Dist>) -> StepSpec {
        StepSpec::Sleep(d.into())
    }

    /// `{ blocking_io = ... }`.
    pub fn blocking_io(d: impl Into<Dist>) -> StepSpec {
        StepSpec::BlockingIo(d.into())
    }

    /// `{ to_thread = true, steps = [...] }`.
    pub fn to_thread(steps: Vec<StepSpec>) -> StepSpec {
        StepSpec::ToThread(steps)
    }

    /// `{ lock = "name", steps = [...] }`.
    pub fn lock(name: &str, steps: Vec<StepSpec>) -> StepSpec {
        StepSpec::Lock {
            name: name.to_string(),
            steps,
        }
    }

    /// `{ semaphore = "name", steps = [...] }`.
    pub fn semaphore(name: &str, steps: Vec<StepSpec>) -> StepSpec {
        StepSpec::Semaphore {
            name: name.to_string(),
            steps,
        }
    }

    /// `{ repeat = N, steps = [...] }`.
    pub fn repeat(times: u64, steps: Vec<StepSpec>) -> StepSpec {
        StepSpec::Repeat { times, steps }
    }

    /// `{ wait_event = "name" }`.
    pub fn wait_event(name: &str) -> StepSpec {
        StepSpec::WaitEvent(name.to_string())
    }

    /// `{ set_event = "name" }`.
    pub fn set_event(name: &str) -> StepSpec {
        StepSpec::SetEvent(name.to_string())
    }

    /// `{ clear_event = "name" }`.
    pub fn clear_event(name: &str) -> StepSpec {
        StepSpec::ClearEvent(name.to_string())
    }

    /// `{ wait = "name" }`.
    pub fn wait(name: &str) -> StepSpec {
        StepSpec::Wait(name.to_string())
    }

    /// `{ notify = "name" }`: wakes one waiter.
    pub fn notify(name: &str) -> StepSpec {
        notify_n(name, 1)
    }

    /// `{ notify = "name", n = N }`.
    pub fn notify_n(name: &str, n: u32) -> StepSpec {
        StepSpec::Notify {
            condition: name.to_string(),
            n: Some(n),
        }
    }

    /// `{ notify = "name", n = "all" }`.
    pub fn notify_all(name: &str) -> StepSpec {
        StepSpec::Notify {
            condition: name.to_string(),
            n: None,
        }
    }
}

/// How a workload's tasks arrive.
#[derive(Debug, Clone, PartialEq)]
enum ArrivalSpec {
    Tasks(u64),
    Rate(f64),
    Forever,
    After {
        names: Vec<String>,
        queue: Option<u64>,
    },
}

/// `[workload.run]`, key by key as written.
#[derive(Debug, Clone, Default, PartialEq)]
struct RunSpec {
    model: Option<&'static str>,
    workers: Option<Workers>,
    api: Option<ProcessApi>,
    chunksize: Option<u64>,
    start_method: Option<StartMethod>,
    transfer: Option<Transfer>,
    per_process: Option<PerProcess>,
    balance: Option<Balance>,
}

/// One `[[workload]]`: its name, arrivals, steps, payloads and run.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadBuilder {
    name: String,
    arrival: Option<ArrivalSpec>,
    pipe: bool,
    steps: Vec<StepSpec>,
    args_bytes: Option<u64>,
    result_bytes: Option<u64>,
    memory: Option<u64>,
    run: Option<RunSpec>,
}

impl WorkloadBuilder {
    /// A workload named `name`, with no arrival, no steps and no
    /// `[workload.run]` (sequential) yet.
    pub fn new(name: &str) -> Self {
        WorkloadBuilder {
            name: name.to_string(),
            arrival: None,
            pipe: false,
            steps: Vec::new(),
            args_bytes: None,
            result_bytes: None,
            memory: None,
            run: None,
        }
    }

    /// `tasks = n`: a batch at time 0.
    pub fn tasks(mut self, n: u64) -> Self {
        self.arrival = Some(ArrivalSpec::Tasks(n));
        self
    }

    /// `rate = "{per_s}/s"`: Poisson arrivals. The rate is written in
    /// decimal and read back exactly when it has at most 15 significant digits.
    pub fn rate(mut self, per_s: f64) -> Self {
        self.arrival = Some(ArrivalSpec::Rate(per_s));
        self
    }

    /// `repeat = "forever"`.
    pub fn forever(mut self) -> Self {
        self.arrival = Some(ArrivalSpec::Forever);
        self
    }

    /// `after = [...]` and `queue = capacity` (`None`: unbounded): a
    /// pipeline stage fed by the named workloads.
    pub fn after<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
        queue: Option<u64>,
    ) -> Self {
        self.arrival = Some(ArrivalSpec::After {
            names: names.into_iter().map(Into::into).collect(),
            queue,
        });
        self
    }

    /// `channel = "pipe"`: a stage's items come through a
    /// `multiprocessing.Pipe` (a workload without `after` is refused, as in a file).
    pub fn pipe(mut self) -> Self {
        self.pipe = true;
        self
    }

    /// The task's steps.
    pub fn steps(mut self, steps: Vec<StepSpec>) -> Self {
        self.steps = steps;
        self
    }

    /// One more step.
    pub fn step(mut self, step: StepSpec) -> Self {
        self.steps.push(step);
        self
    }

    /// `args_bytes`: a task's pickled arguments (a stage's item).
    pub fn args_bytes(mut self, bytes: u64) -> Self {
        self.args_bytes = Some(bytes);
        self
    }

    /// `result_bytes`: a task's pickled result.
    pub fn result_bytes(mut self, bytes: u64) -> Self {
        self.result_bytes = Some(bytes);
        self
    }

    /// `memory`: what each task in flight holds.
    pub fn memory(mut self, bytes: u64) -> Self {
        self.memory = Some(bytes);
        self
    }

    fn run_mut(&mut self) -> &mut RunSpec {
        self.run.get_or_insert_with(RunSpec::default)
    }

    fn model(mut self, model: &'static str, workers: Option<Workers>) -> Self {
        let run = self.run_mut();
        run.model = Some(model);
        run.workers = workers;
        self
    }

    /// `model = "sequential"`.
    pub fn sequential(self) -> Self {
        self.model("sequential", None)
    }

    /// `model = "threads"`, `workers = n`.
    pub fn threads(self, workers: u32) -> Self {
        self.model("threads", Some(Workers::Fixed(workers)))
    }

    /// `model = "threads"`, `workers = "per-task"`.
    pub fn per_task_threads(self) -> Self {
        self.model("threads", Some(Workers::PerTask))
    }

    /// `model = "processes"`, `workers = n` (pool keys: [`Self::api`],
    /// [`Self::start_method`], [`Self::chunksize`], [`Self::transfer`]).
    pub fn processes(self, workers: u32) -> Self {
        self.model("processes", Some(Workers::Fixed(workers)))
    }

    /// `model = "processes"`, `workers = "per-task"`.
    pub fn per_task_processes(self) -> Self {
        self.model("processes", Some(Workers::PerTask))
    }

    /// `model = "asyncio"`, no `workers` (unlimited coroutines).
    pub fn asyncio(self) -> Self {
        self.model("asyncio", None)
    }

    /// `model = "subinterpreters"`, `workers = n`.
    pub fn subinterpreters(self, workers: u32) -> Self {
        self.model("subinterpreters", Some(Workers::Fixed(workers)))
    }

    /// A deployment shape: `model = "processes"`, `workers = n` worker
    /// processes, each running `per_process`.
    pub fn shape(mut self, workers: u32, per_process: PerProcess) -> Self {
        self = self.model("processes", Some(Workers::Fixed(workers)));
        self.run_mut().per_process = Some(per_process);
        self
    }

    /// A shape's `balance`.
    pub fn balance(mut self, balance: Balance) -> Self {
        self.run_mut().balance = Some(balance);
        self
    }

    /// `workers`: `n`, `"per-task"` or `"unlimited"`.
    pub fn workers(mut self, workers: Workers) -> Self {
        self.run_mut().workers = Some(workers);
        self
    }

    /// Leaves `workers` out: the model's default.
    pub fn default_workers(mut self) -> Self {
        self.run_mut().workers = None;
        self
    }

    /// `api`.
    pub fn api(mut self, api: ProcessApi) -> Self {
        self.run_mut().api = Some(api);
        self
    }

    /// `start_method`.
    pub fn start_method(mut self, method: StartMethod) -> Self {
        self.run_mut().start_method = Some(method);
        self
    }

    /// `chunksize`.
    pub fn chunksize(mut self, n: u64) -> Self {
        self.run_mut().chunksize = Some(n);
        self
    }

    /// `transfer`.
    pub fn transfer(mut self, transfer: Transfer) -> Self {
        self.run_mut().transfer = Some(transfer);
        self
    }

    fn render(&self, out: &mut String) {
        let mut keys = vec![("name".to_string(), Toml::Str(self.name.clone()))];
        match &self.arrival {
            None => {}
            Some(ArrivalSpec::Tasks(n)) => keys.push(("tasks".into(), Toml::Int(i128::from(*n)))),
            Some(ArrivalSpec::Rate(r)) => keys.push(("rate".into(), Toml::Str(format!("{r}/s")))),
            Some(ArrivalSpec::Forever) => keys.push(("repeat".into(), Toml::Str("forever".into()))),
            Some(ArrivalSpec::After { names, queue }) => {
                let after = match names.as_slice() {
                    [one] => Toml::Str(one.clone()),
                    _ => Toml::Array(names.iter().map(|n| Toml::Str(n.clone())).collect()),
                };
                keys.push(("after".into(), after));
                if let Some(q) = queue {
                    keys.push(("queue".into(), Toml::Int(i128::from(*q))));
                }
            }
        }
        if self.pipe {
            keys.push(("channel".into(), Toml::Str("pipe".into())));
        }
        let sizes = [
            ("args_bytes", self.args_bytes),
            ("result_bytes", self.result_bytes),
            ("memory", self.memory),
        ];
        for (k, v) in sizes {
            if let Some(b) = v {
                keys.push((k.into(), Value::Size(b).toml()));
            }
        }
        out.push_str("\n[[workload]]\n");
        lines(out, &keys);
        let steps: Vec<Toml> = self.steps.iter().map(StepSpec::toml).collect();
        steps_line(out, &steps);
        if let Some(run) = &self.run {
            let mut keys = Vec::new();
            if let Some(m) = run.model {
                keys.push(("model".to_string(), Toml::Str(m.into())));
            }
            match run.workers {
                None => {}
                Some(Workers::Fixed(n)) => keys.push(("workers".into(), Toml::Int(n.into()))),
                Some(Workers::PerTask) => {
                    keys.push(("workers".into(), Toml::Str("per-task".into())))
                }
                Some(Workers::Unlimited) => {
                    keys.push(("workers".into(), Toml::Str("unlimited".into())))
                }
            }
            if let Some(api) = run.api {
                keys.push(("api".into(), Toml::Str(api.name().into())));
            }
            if let Some(c) = run.chunksize {
                keys.push(("chunksize".into(), Toml::Int(c.into())));
            }
            if let Some(m) = run.start_method {
                keys.push(("start_method".into(), Toml::Str(m.name().into())));
            }
            if let Some(t) = run.transfer {
                keys.push(("transfer".into(), Toml::Str(t.name().into())));
            }
            if let Some(p) = run.per_process {
                let mut inner = vec![("model".to_string(), Toml::Str(p.name().into()))];
                match p {
                    PerProcess::Threads(m) | PerProcess::Asyncio(Some(m)) => {
                        inner.push(("workers".into(), Toml::Int(m.into())));
                    }
                    PerProcess::Sequential | PerProcess::Asyncio(None) => {}
                }
                keys.push(("per_process".into(), Toml::Table(inner)));
            }
            if let Some(b) = run.balance {
                keys.push(("balance".into(), Toml::Str(b.name().into())));
            }
            // An empty [workload.run] is written too: the file would say it.
            out.push_str("[workload.run]\n");
            lines(out, &keys);
        }
    }
}

/// A scenario, key by key; [`ScenarioBuilder::build`] validates it like a file.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioBuilder {
    path: PathBuf,
    top: Vec<(String, Toml)>,
    machine: Vec<(String, Toml)>,
    python: Vec<(String, Toml)>,
    semaphores: Vec<(String, Toml)>,
    events: Vec<(String, Toml)>,
    conditions: Vec<(String, Toml)>,
    workloads: Vec<WorkloadBuilder>,
}

/// Sets `key` in `entries`, in place when it is there already.
fn put(entries: &mut Vec<(String, Toml)>, key: &str, value: Toml) {
    match entries.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => entry.1 = value,
        None => entries.push((key.to_string(), value)),
    }
}

impl ScenarioBuilder {
    /// A scenario named `name` (its output folder), read as if from the
    /// file `{name}.toml` (see [`Self::path`]), with no workload yet.
    pub fn new(name: &str) -> Self {
        ScenarioBuilder {
            path: PathBuf::from(format!("{name}.toml")),
            top: vec![("name".into(), Toml::Str(name.to_string()))],
            machine: Vec::new(),
            python: Vec::new(),
            semaphores: Vec::new(),
            events: Vec::new(),
            conditions: Vec::new(),
            workloads: Vec::new(),
        }
    }

    /// The path messages name and the [`Scenario`] keeps.
    pub fn path(mut self, path: impl AsRef<Path>) -> Self {
        self.path = path.as_ref().to_path_buf();
        self
    }

    /// `description`.
    pub fn description(mut self, text: &str) -> Self {
        put(&mut self.top, "description", Toml::Str(text.to_string()));
        self
    }

    /// `seed`.
    pub fn seed(mut self, seed: u64) -> Self {
        put(&mut self.top, "seed", Toml::Int(i128::from(seed)));
        self
    }

    /// `duration`.
    pub fn duration(mut self, ns: Nanos) -> Self {
        put(&mut self.top, "duration", Toml::ns(ns));
        self
    }

    /// `warmup`.
    pub fn warmup(mut self, ns: Nanos) -> Self {
        put(&mut self.top, "warmup", Toml::ns(ns));
        self
    }

    /// `replications`.
    pub fn replications(mut self, n: u32) -> Self {
        put(&mut self.top, "replications", Toml::Int(i128::from(n)));
        self
    }

    /// A key of `[machine]` (a parameter of [`crate::python::params`],
    /// named inside its table: `"cores"`, `"context_switch"`).
    pub fn machine(mut self, key: &str, value: impl Into<Value>) -> Self {
        put(&mut self.machine, key, value.into().toml());
        self
    }

    /// A key of `[python]` (`"version"`, `"build"`, `"switch_interval"`, ...).
    pub fn python(mut self, key: &str, value: impl Into<Value>) -> Self {
        put(&mut self.python, key, value.into().toml());
        self
    }

    /// `machine.cores`.
    pub fn cores(self, cores: u32) -> Self {
        self.machine("cores", cores)
    }

    /// `python.switch_interval`.
    pub fn switch_interval(self, ns: Nanos) -> Self {
        self.python("switch_interval", Value::Duration(ns))
    }

    /// `[semaphores] name = capacity`.
    pub fn semaphore(mut self, name: &str, capacity: u32) -> Self {
        put(&mut self.semaphores, name, Toml::Int(i128::from(capacity)));
        self
    }

    /// `[events] name = {}` or `name = { set = true }`.
    pub fn event(mut self, name: &str, initially_set: bool) -> Self {
        let options = if initially_set {
            vec![("set".to_string(), Toml::Bool(true))]
        } else {
            Vec::new()
        };
        put(&mut self.events, name, Toml::Table(options));
        self
    }

    /// `[conditions] name = {}`.
    pub fn condition(mut self, name: &str) -> Self {
        put(&mut self.conditions, name, Toml::Table(Vec::new()));
        self
    }

    /// One more `[[workload]]`.
    pub fn workload(mut self, workload: WorkloadBuilder) -> Self {
        self.workloads.push(workload);
        self
    }

    /// The scenario as a TOML document.
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        lines(&mut out, &self.top);
        section(&mut out, "machine", &self.machine);
        section(&mut out, "python", &self.python);
        section(&mut out, "semaphores", &self.semaphores);
        section(&mut out, "events", &self.events);
        section(&mut out, "conditions", &self.conditions);
        for w in &self.workloads {
            w.render(&mut out);
        }
        out
    }

    /// The validated scenario, read without a profile loader; or the error
    /// a file with the same keys gets.
    pub fn build(&self) -> Result<Scenario, ScenarioError> {
        self.build_with(&Reader::new(&[]))
    }

    /// The validated scenario, read by `reader` (its `--set` overrides,
    /// its profile loader).
    pub fn build_with(&self, reader: &Reader<'_>) -> Result<Scenario, ScenarioError> {
        reader.parse_str(&self.to_toml(), &self.path)
    }
}

/// A typed `--set KEY=VALUE`: a dotted key and its value, rendered to the
/// text the command line takes ([`Override::to_arg`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    key: String,
    value: SetValue,
}

/// An override's value: typed, or text as written on a command line.
#[derive(Debug, Clone, PartialEq)]
enum SetValue {
    Typed(Value),
    Text(String),
}

impl Override {
    /// `key=value`, e.g. `Override::new("machine.cores", 4)`.
    pub fn new(key: &str, value: impl Into<Value>) -> Self {
        Override {
            key: key.to_string(),
            value: SetValue::Typed(value.into()),
        }
    }

    /// `workload.{name}.{key}=value`, e.g. `Override::workload("jobs", "run.workers", 4)`.
    pub fn workload(name: &str, key: &str, value: impl Into<Value>) -> Self {
        Self::new(&format!("workload.{name}.{key}"), value)
    }

    /// `sweep.{key}=[values]`: the values a sweep key takes.
    pub fn sweep(key: &str, values: Vec<Value>) -> Self {
        Self::new(&format!("sweep.{key}"), Value::List(values))
    }

    /// `key=text`, the value as a command line writes it: read as TOML, or
    /// as a string when it is not TOML (`1ms`, `threads`).
    pub fn text(key: &str, text: &str) -> Self {
        Override {
            key: key.to_string(),
            value: SetValue::Text(text.to_string()),
        }
    }

    /// The dotted key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The `--set` argument: `KEY=VALUE`.
    pub fn to_arg(&self) -> String {
        match &self.value {
            SetValue::Typed(v) => format!("{}={}", self.key, v.to_toml()),
            SetValue::Text(t) => format!("{}={t}", self.key),
        }
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_arg())
    }
}

/// The `--set` arguments of `overrides`, in order.
pub fn args(overrides: &[Override]) -> Vec<String> {
    overrides.iter().map(Override::to_arg).collect()
}
