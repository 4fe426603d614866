//! `[workload.run]`: the model, the workers, and a process pool's keys.

use super::Validator;
use crate::scenario::diagnostic::Diag;
use crate::scenario::document::{Entry, Table, Value};
use crate::scenario::keys::{PER_PROCESS_KEYS, PROCESS_POOL_KEYS, RUN_KEYS, SHAPE_KEYS};
use crate::scenario::typed::{
    Res, as_str, as_table, int_in, join, missing, misspelled, size, suggest, type_error,
};
use crate::workload::{
    Balance, Model, PerProcess, ProcessApi, ProcessRun, Shape, StartMethod, Support, Transfer,
    Workers,
};

impl Validator<'_> {
    /// The run of the workload at `prefix`: its model and worker count
    /// (sequential with one worker when the table is left out). `None` when
    /// the model cannot be read; the workers are `None` when they cannot.
    /// `misplaced`: the workload has a `model` outside its run table (an
    /// error of its own): the model is not known.
    pub(in crate::scenario) fn run(
        &self,
        entry: Option<&Entry>,
        prefix: &str,
        misplaced: bool,
    ) -> Option<(Model, Option<Workers>)> {
        let Some(entry) = entry else {
            if misplaced {
                return None;
            }
            return Some((Model::Sequential, Some(Workers::Fixed(1))));
        };
        let key = join(prefix, "run");
        let table = self.ok(as_table(&entry.value, &key).map_err(|e| {
            e.help("write a [workload.run] table after the workload, with model = \"threads\" or \"sequential\"")
        }))?;
        let mut allowed: Vec<&str> = RUN_KEYS.to_vec();
        allowed.extend_from_slice(PROCESS_POOL_KEYS);
        allowed.extend_from_slice(SHAPE_KEYS);
        self.known_keys(table, &key, "in [workload.run]", &allowed);

        let model_key = join(&key, "model");
        let Some(model_entry) = table.get("model") else {
            if misplaced || misspelled(table, &allowed, &["model"]) {
                return None;
            }
            return self.fail(
                missing(
                    &entry.value.span,
                    &model_key,
                    " in [workload.run]",
                    "this table needs `model`",
                )
                .help("add model = \"threads\" (or \"sequential\")"),
            );
        };
        let model_node = &model_entry.value;
        let model = match self.ok(as_str(model_node, &model_key))? {
            "sequential" => Model::Sequential,
            "threads" => Model::Threads,
            "processes" if table.get("per_process").is_some() => {
                Model::Shape(self.shape(table, &key)?)
            }
            "processes" => self.process_run(table, &key),
            "subinterpreters" => Model::Subinterpreters(ProcessRun {
                api: ProcessApi::Executor,
                chunksize: None,
                start_method: StartMethod::Spawn,
                args_bytes: 0,
                result_bytes: 0,
                transfer: Transfer::Pickle,
            }),
            "asyncio" => Model::Asyncio,
            other => {
                let quoted: Vec<String> = Model::NAMES.iter().map(|n| format!("\"{n}\"")).collect();
                let (last, first) = quoted
                    .split_last()
                    .unwrap_or_else(|| unreachable!("models"));
                let mut diag = Diag::new(
                    format!("unknown model `{other}`"),
                    &model_node.span,
                    format!("expected {} or {last}", first.join(", ")),
                )
                .key(model_key);
                if let Some(close) = suggest(other, &Model::NAMES) {
                    diag = diag.help(format!("did you mean `{close}`?"));
                }
                return self.fail(diag.note(format!("models: {}", Model::NAMES.join(", "))));
            }
        };
        if let Some((major, minor, api)) = model.needs_python()
            && self.version_known
            && (self.version.major, self.version.minor) < (major, minor)
        {
            self.report(
                Diag::new(
                    format!(
                        "model `{}` needs Python {major}.{minor} ({api}); python.version is {}",
                        model.name(),
                        self.version
                    ),
                    &model_node.span,
                    format!("needs python.version = \"{major}.{minor}\""),
                )
                .key(model_key)
                .help(format!("set python.version = \"{major}.{minor}\""))
                .relational(),
            );
        }

        let model_swept = self
            .swept_models
            .iter()
            .any(|n| prefix == format!("workload.{n}"));
        self.shape_keys_apply(table, &key, &model, model_swept);
        for e in table
            .entries
            .iter()
            .filter(|_| !model.takes_pool_keys() && !model_swept)
            .filter(|_| !matches!(model, Model::Shape(_)))
            .filter(|e| PROCESS_POOL_KEYS.contains(&e.key.as_str()))
        {
            self.report(
                Diag::new(
                    format!(
                        "`{}` applies to process pools; this workload's model is `{}`",
                        e.key,
                        model.name()
                    ),
                    &e.key_span,
                    "not used by this model",
                )
                .key(join(&key, &e.key))
                .relational(),
            );
        }

        let workers = match table.get("workers") {
            None if misspelled(table, &allowed, &["workers"]) => None,
            None => Some(model.default_workers(self.cores)),
            Some(e) => self.ok(self.workers(&model, model_swept, e, &key)),
        };
        if model.takes_pool_keys()
            && workers == Some(Workers::PerTask)
            && let Some(e) = table.get("chunksize")
        {
            self.report(
                Diag::new(
                    "`chunksize` needs a pool; workers = \"per-task\" starts one process per task",
                    &e.key_span,
                    "no chunks with one process per task",
                )
                .key(join(&key, "chunksize"))
                .relational(),
            );
        }
        Some((model, workers))
    }

    /// `workers` of a run on `model`: an integer ≥ 1, `"per-task"` or, on
    /// asyncio, `"unlimited"`, as far as the model builds it.
    fn workers(&self, model: &Model, model_swept: bool, e: &Entry, key: &str) -> Res<Workers> {
        let k = join(key, "workers");
        let v = &e.value;
        let workers = match &v.value {
            Value::Int(n) if *n < 1 => {
                return Err(Diag::new(
                    "workers must be at least 1",
                    &v.span,
                    "expected an integer ≥ 1 or \"per-task\"",
                )
                .key(k));
            }
            Value::Int(_) => {
                Workers::Fixed(int_in(v, &k, "workers", 1, i128::from(u32::MAX))? as u32)
            }
            Value::Str(s) if s == "per-task" => Workers::PerTask,
            Value::Str(s) if s == "unlimited" && model.coroutines() => Workers::Unlimited,
            Value::Str(s) if s == "unlimited" => {
                return Err(Diag::new(
                    "workers = \"unlimited\" applies to asyncio only",
                    &v.span,
                    "expected an integer ≥ 1 or \"per-task\"",
                )
                .key(k)
                .relational());
            }
            Value::Str(s) => {
                return Err(Diag::new(
                    format!("expected an integer or \"per-task\", found the string \"{s}\""),
                    &v.span,
                    "expected an integer ≥ 1 or \"per-task\"",
                )
                .key(k));
            }
            _ => return Err(type_error(v, &k, "an integer or \"per-task\"")),
        };
        let workers = if model.one_worker() && model_swept {
            // A swept model: the sequential point ignores the pool size.
            Workers::Fixed(1)
        } else if model.one_worker() && workers != Workers::Fixed(1) {
            return Err(Diag::new(
                "a sequential workload has exactly one worker",
                &v.span,
                "remove `workers`, or use model = \"threads\"",
            )
            .key(k)
            .relational());
        } else {
            workers
        };
        if let (Support::No, Workers::PerTask) = (model.per_task(), workers) {
            return Err(Diag::new(
                format!(
                    "workers = \"per-task\" does not apply to {}: every task is a coroutine",
                    model.name()
                ),
                &v.span,
                "expected an integer ≥ 1 (an asyncio.Semaphore around each task), or no `workers` (unlimited)",
            )
            .key(k)
            .relational());
        }
        if let (Support::NotBuilt, Workers::PerTask) = (model.per_task(), workers) {
            return Err(Diag::new(
                format!(
                    "workers = \"per-task\" with model = \"{}\" is not built yet in this version of gilsim",
                    model.name()
                ),
                &v.span,
                "not supported yet: give the pool's size",
            )
            .key(k)
            .relational());
        }
        Ok(workers)
    }

    /// The keys of a `processes` run: `api`, `chunksize`, `start_method`,
    /// `transfer` (a key that is wrong keeps its default, and its error is
    /// recorded).
    pub(in crate::scenario) fn process_run(&self, table: &Table, key: &str) -> Model {
        let api = match table.get("api") {
            None => ProcessApi::Pool,
            Some(e) => {
                let k = join(key, "api");
                let api = as_str(&e.value, &k).and_then(|text| match text {
                    "pool" => Ok(ProcessApi::Pool),
                    "executor" => Ok(ProcessApi::Executor),
                    other => Err(Diag::new(
                        format!("unknown api \"{other}\""),
                        &e.value.span,
                        "expected \"pool\" (multiprocessing.Pool) or \"executor\" (ProcessPoolExecutor)",
                    )
                    .key(k.as_str())),
                });
                self.or(api, ProcessApi::Pool)
            }
        };
        let chunksize = match table.get("chunksize") {
            None => None,
            Some(e) => {
                let k = join(key, "chunksize");
                self.ok(int_in(&e.value, &k, "chunksize", 1, i128::from(u32::MAX)))
                    .map(|c| c as u64)
            }
        };
        // Linux's default: fork up to 3.13, forkserver from 3.14 (gh-84559).
        let default_method = if self.version.minor >= 14 {
            StartMethod::Forkserver
        } else {
            StartMethod::Fork
        };
        let start_method = match table.get("start_method") {
            None => default_method,
            Some(e) => {
                let k = join(key, "start_method");
                let method = as_str(&e.value, &k).and_then(|text| match text {
                    "fork" => Ok(StartMethod::Fork),
                    "spawn" => Ok(StartMethod::Spawn),
                    "forkserver" => Ok(StartMethod::Forkserver),
                    other => {
                        let mut diag = Diag::new(
                            format!("unknown start_method \"{other}\""),
                            &e.value.span,
                            "expected \"fork\", \"spawn\" or \"forkserver\"",
                        )
                        .key(k.as_str());
                        if let Some(close) = suggest(other, &["fork", "spawn", "forkserver"]) {
                            diag = diag.help(format!("did you mean `{close}`?"));
                        }
                        Err(diag)
                    }
                });
                self.or(method, default_method)
            }
        };
        let mut transfer = Transfer::Pickle;
        if let Some(e) = table.get("transfer") {
            let k = join(key, "transfer");
            let chosen = as_str(&e.value, &k).and_then(|text| match text {
                "pickle" => Ok(Transfer::Pickle),
                "shared_memory" => Ok(Transfer::SharedMemory),
                other => Err(Diag::new(
                    format!("unknown transfer \"{other}\""),
                    &e.value.span,
                    "expected \"pickle\" or \"shared_memory\"",
                )
                .key(k.as_str())),
            });
            transfer = self.or(chosen, Transfer::Pickle);
        }
        Model::Processes(ProcessRun {
            api,
            chunksize,
            start_method,
            args_bytes: 0,
            result_bytes: 0,
            transfer,
        })
    }

    /// A deployment shape's keys: `per_process` (a table with `model` and,
    /// for threads or asyncio, `workers`), `balance`, `preload`,
    /// `app_memory`. `None` when `per_process` cannot be read.
    fn shape(&self, table: &Table, key: &str) -> Option<Shape> {
        let pkey = join(key, "per_process");
        let entry = table.get("per_process")?;
        let inner = self.ok(as_table(&entry.value, &pkey)
            .map_err(|e| e.help("write per_process = { model = \"threads\", workers = 8 }")))?;
        self.known_keys(inner, &pkey, "in per_process", PER_PROCESS_KEYS);
        let mkey = join(&pkey, "model");
        let Some(m) = inner.get("model") else {
            return self.fail(
                missing(
                    &entry.value.span,
                    &mkey,
                    " in per_process",
                    "what runs in each worker process?",
                )
                .help("add model = \"threads\", \"asyncio\" or \"sequential\""),
            );
        };
        let names = ["threads", "asyncio", "sequential"];
        let name = self.ok(as_str(&m.value, &mkey))?;
        let wkey = join(&pkey, "workers");
        let workers = match inner.get("workers") {
            None => None,
            Some(e) => Some(self.ok(
                int_in(&e.value, &wkey, "workers", 1, i128::from(u32::MAX)).map(|n| n as u32),
            )?),
        };
        let per_process = match name {
            // gunicorn's gthread worker: `--threads` defaults to 1.
            "threads" => PerProcess::Threads(workers.unwrap_or(1)),
            "asyncio" => PerProcess::Asyncio(workers),
            "sequential" => {
                if let Some(e) = inner.get("workers").filter(|_| workers != Some(1)) {
                    return self.fail(
                        Diag::new(
                            "a sequential worker process serves one request at a time",
                            &e.value.span,
                            "remove `workers`, or use model = \"threads\"",
                        )
                        .key(wkey)
                        .relational(),
                    );
                }
                PerProcess::Sequential
            }
            other => {
                let mut diag = Diag::new(
                    format!("unknown per_process model `{other}`"),
                    &m.value.span,
                    "expected \"threads\", \"asyncio\" or \"sequential\"",
                )
                .key(mkey);
                if let Some(close) = suggest(other, &names) {
                    diag = diag.help(format!("did you mean `{close}`?"));
                }
                return self.fail(diag);
            }
        };
        let balance = match table.get("balance") {
            None => Balance::Accept,
            Some(e) => {
                let k = join(key, "balance");
                let b = as_str(&e.value, &k).and_then(|text| match text {
                    "accept" => Ok(Balance::Accept),
                    "reuseport" => Ok(Balance::Reuseport),
                    "round-robin" => Ok(Balance::RoundRobin),
                    other => {
                        let mut diag = Diag::new(
                            format!("unknown balance \"{other}\""),
                            &e.value.span,
                            "expected \"accept\", \"reuseport\" or \"round-robin\"",
                        )
                        .key(k.as_str());
                        if let Some(close) = suggest(other, &Balance::NAMES) {
                            diag = diag.help(format!("did you mean `{close}`?"));
                        }
                        Err(diag)
                    }
                });
                self.or(b, Balance::Accept)
            }
        };
        let preload = match table.get("preload") {
            None => false,
            Some(e) => match e.value.value {
                Value::Bool(b) => b,
                _ => self.or(
                    Err(type_error(&e.value, &join(key, "preload"), "true or false")),
                    false,
                ),
            },
        };
        let app_bytes = match table.get("app_memory") {
            None => 0,
            Some(e) => self.or(size(&e.value, &join(key, "app_memory")), 0),
        };
        Some(Shape {
            per_process,
            balance,
            preload,
            app_bytes,
        })
    }

    /// Refuses a shape's keys without `per_process`, and a pool's keys on
    /// a shape (unless the model is swept: another point may use them).
    fn shape_keys_apply(&self, table: &Table, key: &str, model: &Model, swept: bool) {
        let shape = matches!(model, Model::Shape(_));
        for e in table.entries.iter().filter(|_| !swept) {
            let k = e.key.as_str();
            let (message, help) = if !shape && SHAPE_KEYS.contains(&k) {
                (
                    format!(
                        "`{k}` applies to a deployment shape: model = \"processes\" with per_process"
                    ),
                    "add per_process = { model = \"threads\", workers = 8 }, or remove it",
                )
            } else if shape && PROCESS_POOL_KEYS.contains(&k) {
                (
                    format!(
                        "`{k}` shapes a multiprocessing pool; with per_process the workers are forked server processes that accept their own requests"
                    ),
                    "remove it",
                )
            } else {
                continue;
            };
            self.report(
                Diag::new(message, &e.key_span, "not used by this run")
                    .key(join(key, k))
                    .help(help)
                    .relational(),
            );
        }
    }

    /// A stage on processes runs `workers` long-lived `multiprocessing.Process`es
    /// that loop on its queue: the pool keys that shape a `map` do not apply.
    pub(in crate::scenario) fn process_stage_keys(
        &self,
        table: &Table,
        prefix: &str,
        workers: Option<Workers>,
    ) {
        let Some(run) = table.get("run").and_then(|e| match &e.value.value {
            Value::Table(t) => Some(t),
            _ => None,
        }) else {
            return;
        };
        let key = join(prefix, "run");
        for k in ["api", "chunksize", "transfer"] {
            if let Some(e) = run.get(k) {
                self.report(Diag::new(
                    format!("`{k}` shapes a pool's map, but a stage's processes loop on its queue"),
                    &e.key_span,
                    "not used by a stage",
                )
                .key(join(&key, k))
                .help("remove it: a stage on processes runs `workers` multiprocessing.Process workers, each looping get, steps, put")
                .relational());
            }
        }
        if workers == Some(Workers::PerTask)
            && let Some(e) = run.get("workers")
        {
            self.report(Diag::new(
                "workers = \"per-task\" on a pipeline stage is not built yet in this version of gilsim",
                &e.value.span,
                "not supported yet: a stage on processes has a fixed number of workers",
            )
            .key(join(&key, "workers"))
            .relational());
        }
    }
}
