//! `[workload.run]`: the model, the workers, and a process pool's keys.

use super::Validator;
use crate::scenario::diagnostic::Diag;
use crate::scenario::document::{Entry, Table, Value};
use crate::scenario::keys::{PROCESS_POOL_KEYS, RUN_KEYS};
use crate::scenario::typed::check_keys;
use crate::scenario::typed::{Res, as_str, as_table, int_in, join, missing, suggest, type_error};
use crate::workload::{Model, ProcessApi, ProcessRun, StartMethod, Support, Transfer, Workers};

impl Validator<'_> {
    /// The run of the workload at `prefix`: its model and worker count
    /// (sequential with one worker when the table is left out).
    pub(in crate::scenario) fn run(
        &self,
        entry: Option<&Entry>,
        prefix: &str,
    ) -> Res<(Model, Workers)> {
        let Some(entry) = entry else {
            return Ok((Model::Sequential, Workers::Fixed(1)));
        };
        let key = join(prefix, "run");
        let table = as_table(&entry.value, &key).map_err(|e| {
            e.help("write a [workload.run] table after the workload, with model = \"threads\" or \"sequential\"")
        })?;
        let mut allowed: Vec<&str> = RUN_KEYS.to_vec();
        allowed.extend_from_slice(PROCESS_POOL_KEYS);
        check_keys(table, &key, "in [workload.run]", &allowed)?;

        let model_key = join(&key, "model");
        let model_entry = table.get("model").ok_or_else(|| {
            missing(
                &entry.value.span,
                &model_key,
                " in [workload.run]",
                "this table needs `model`",
            )
            .help("add model = \"threads\" (or \"sequential\")")
        })?;
        let model_node = &model_entry.value;
        let model = match as_str(model_node, &model_key)? {
            "sequential" => Model::Sequential,
            "threads" => Model::Threads,
            "processes" => self.process_run(table, &key)?,
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
                return Err(diag.note(format!("models: {}", Model::NAMES.join(", "))));
            }
        };
        if let Some((major, minor, api)) = model.needs_python()
            && (self.version.major, self.version.minor) < (major, minor)
        {
            return Err(Diag::new(
                format!(
                    "model `{}` needs Python {major}.{minor} ({api}); python.version is {}",
                    model.name(),
                    self.version
                ),
                &model_node.span,
                format!("needs python.version = \"{major}.{minor}\""),
            )
            .key(model_key)
            .help(format!("set python.version = \"{major}.{minor}\"")));
        }

        let model_swept = self
            .swept_models
            .iter()
            .any(|n| prefix == format!("workload.{n}"));
        if let Some(e) = table
            .entries
            .iter()
            .filter(|_| !model.takes_pool_keys() && !model_swept)
            .find(|e| PROCESS_POOL_KEYS.contains(&e.key.as_str()))
        {
            return Err(Diag::new(
                format!(
                    "`{}` applies to process pools; this workload's model is `{}`",
                    e.key,
                    model.name()
                ),
                &e.key_span,
                "not used by this model",
            )
            .key(join(&key, &e.key)));
        }

        let workers = match table.get("workers") {
            None => model.default_workers(self.cores),
            Some(e) => {
                let k = join(&key, "workers");
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
                        .key(k));
                    }
                    Value::Str(s) => {
                        return Err(Diag::new(
                            format!(
                                "expected an integer or \"per-task\", found the string \"{s}\""
                            ),
                            &v.span,
                            "expected an integer ≥ 1 or \"per-task\"",
                        )
                        .key(k));
                    }
                    _ => return Err(type_error(v, &k, "an integer or \"per-task\"")),
                };
                if model.one_worker() && model_swept {
                    // A swept model: the sequential point ignores the pool size.
                    Workers::Fixed(1)
                } else if model.one_worker() && workers != Workers::Fixed(1) {
                    return Err(Diag::new(
                        "a sequential workload has exactly one worker",
                        &v.span,
                        "remove `workers`, or use model = \"threads\"",
                    )
                    .key(k));
                } else {
                    workers
                }
            }
        };
        if let (Support::No, Workers::PerTask) = (model.per_task(), workers)
            && let Some(e) = table.get("workers")
        {
            return Err(Diag::new(
                format!(
                    "workers = \"per-task\" does not apply to {}: every task is a coroutine",
                    model.name()
                ),
                &e.value.span,
                "expected an integer ≥ 1 (an asyncio.Semaphore around each task), or no `workers` (unlimited)",
            )
            .key(join(&key, "workers")));
        }
        if let (Support::NotBuilt, Workers::PerTask) = (model.per_task(), workers)
            && let Some(e) = table.get("workers")
        {
            return Err(Diag::new(
                format!(
                    "workers = \"per-task\" with model = \"{}\" is not built yet in this version of gilsim",
                    model.name()
                ),
                &e.value.span,
                "not supported yet: give the pool's size",
            )
            .key(join(&key, "workers")));
        }
        if model.takes_pool_keys()
            && workers == Workers::PerTask
            && let Some(e) = table.get("chunksize")
        {
            return Err(Diag::new(
                "`chunksize` needs a pool; workers = \"per-task\" starts one process per task",
                &e.key_span,
                "no chunks with one process per task",
            )
            .key(join(&key, "chunksize")));
        }
        Ok((model, workers))
    }

    /// The keys of a `processes` run: `api`, `chunksize`, `start_method`, `transfer`.
    pub(in crate::scenario) fn process_run(&self, table: &Table, key: &str) -> Res<Model> {
        let api = match table.get("api") {
            None => ProcessApi::Pool,
            Some(e) => {
                let k = join(key, "api");
                match as_str(&e.value, &k)? {
                    "pool" => ProcessApi::Pool,
                    "executor" => ProcessApi::Executor,
                    other => {
                        return Err(Diag::new(
                            format!("unknown api \"{other}\""),
                            &e.value.span,
                            "expected \"pool\" (multiprocessing.Pool) or \"executor\" (ProcessPoolExecutor)",
                        )
                        .key(k));
                    }
                }
            }
        };
        let chunksize = match table.get("chunksize") {
            None => None,
            Some(e) => {
                let k = join(key, "chunksize");
                Some(int_in(&e.value, &k, "chunksize", 1, i128::from(u32::MAX))? as u64)
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
                match as_str(&e.value, &k)? {
                    "fork" => StartMethod::Fork,
                    "spawn" => StartMethod::Spawn,
                    "forkserver" => StartMethod::Forkserver,
                    other => {
                        let mut diag = Diag::new(
                            format!("unknown start_method \"{other}\""),
                            &e.value.span,
                            "expected \"fork\", \"spawn\" or \"forkserver\"",
                        )
                        .key(k);
                        if let Some(close) = suggest(other, &["fork", "spawn", "forkserver"]) {
                            diag = diag.help(format!("did you mean `{close}`?"));
                        }
                        return Err(diag);
                    }
                }
            }
        };
        let mut transfer = Transfer::Pickle;
        if let Some(e) = table.get("transfer") {
            let k = join(key, "transfer");
            match as_str(&e.value, &k)? {
                "pickle" => {}
                "shared_memory" => transfer = Transfer::SharedMemory,
                other => {
                    return Err(Diag::new(
                        format!("unknown transfer \"{other}\""),
                        &e.value.span,
                        "expected \"pickle\" or \"shared_memory\"",
                    )
                    .key(k));
                }
            }
        }
        Ok(Model::Processes(ProcessRun {
            api,
            chunksize,
            start_method,
            args_bytes: 0,
            result_bytes: 0,
            transfer,
        }))
    }

    /// A stage on processes runs `workers` long-lived `multiprocessing.Process`es
    /// that loop on its queue: the pool keys that shape a `map` do not apply.
    pub(in crate::scenario) fn process_stage_keys(
        &self,
        table: &Table,
        prefix: &str,
        workers: Workers,
    ) -> Res<()> {
        let Some(run) = table.get("run").and_then(|e| match &e.value.value {
            Value::Table(t) => Some(t),
            _ => None,
        }) else {
            return Ok(());
        };
        let key = join(prefix, "run");
        for k in ["api", "chunksize", "transfer"] {
            if let Some(e) = run.get(k) {
                return Err(Diag::new(
                    format!("`{k}` shapes a pool's map, but a stage's processes loop on its queue"),
                    &e.key_span,
                    "not used by a stage",
                )
                .key(join(&key, k))
                .help("remove it: a stage on processes runs `workers` multiprocessing.Process workers, each looping get, steps, put"));
            }
        }
        if workers == Workers::PerTask
            && let Some(e) = run.get("workers")
        {
            return Err(Diag::new(
                "workers = \"per-task\" on a pipeline stage is not built yet in this version of gilsim",
                &e.value.span,
                "not supported yet: a stage on processes has a fixed number of workers",
            )
            .key(join(&key, "workers")));
        }
        Ok(())
    }
}
