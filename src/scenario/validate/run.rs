//! `[workload.run]`: the model, the workers, and a process pool's keys.

use super::Validator;
use crate::scenario::diagnostic::Diag;
use crate::scenario::document::{Entry, Table, Value};
use crate::scenario::keys::{PROCESS_POOL_KEYS, RUN_KEYS};
use crate::scenario::typed::{
    Res, as_str, as_table, int_in, join, missing, misspelled, suggest, type_error,
};
use crate::workload::{Model, ProcessApi, ProcessRun, StartMethod, Support, Transfer, Workers};

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
        for e in table
            .entries
            .iter()
            .filter(|_| !model.takes_pool_keys() && !model_swept)
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
