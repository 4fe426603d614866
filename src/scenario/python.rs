//! `[python]`: the interpreter's version and build, the GIL, and every cost.

use super::diagnostic::{Diag, Origin};
use super::document::{Entry, Node, Value};
use super::keys::{PYTHON_KEYS, check_keys};
use super::typed::{Res, as_str, as_table, dist, duration, join, number, size, type_error};
use super::validator::Validator;
use crate::calibrate::profile::Profile;
use crate::python::{Build, Handoff, PyVersion, PythonConfig};

impl Validator<'_> {
    /// The interpreter: the defaults of its version and build, then the
    /// profile's values, then the table's keys.
    pub(super) fn python(
        &self,
        entry: Option<&Entry>,
        profile: Option<&(String, Profile)>,
    ) -> Res<PythonConfig> {
        let Some(entry) = entry else {
            return Ok(PythonConfig::default());
        };
        let table = as_table(&entry.value, "python")?;
        check_keys(table, "python", "in [python]", PYTHON_KEYS)?;

        let version = match table.get("version") {
            Some(e) => self.version(&e.value)?,
            None => PyVersion {
                major: 3,
                minor: 11,
            },
        };
        let build = match table.get("build") {
            Some(e) => {
                let text = as_str(&e.value, "python.build")?;
                let build = match text {
                    "gil" => Build::Gil,
                    "free-threaded" => Build::FreeThreaded,
                    _ => {
                        return Err(Diag::new(
                            format!("unknown build \"{text}\""),
                            &e.value.span,
                            "expected \"gil\" or \"free-threaded\"",
                        )
                        .key("python.build"));
                    }
                };
                if build == Build::FreeThreaded && version.minor < 13 {
                    return Err(Diag::new(
                        "the free-threaded build needs Python 3.13 or later",
                        &e.value.span,
                        format!("python.version is {version}"),
                    )
                    .key("python.build")
                    .help("set python.version = \"3.13\" or \"3.14\""));
                }
                build
            }
            None => Build::Gil,
        };
        let mut p = PythonConfig::defaults(version, build);
        if let Some((name, profile)) = profile {
            profile.apply_python(&mut p);
            p.profile = name.clone();
            let measured = &profile.python.version_short;
            if *measured != version.to_string() {
                let warning = format!(
                    "warning: profile {name} was measured with Python {measured}, the scenario says python.version = \"{version}\"; its values are used anyway"
                );
                let mut warnings = self.warnings.borrow_mut();
                if !warnings.contains(&warning) {
                    warnings.push(warning);
                }
            }
        }
        for e in &table.entries {
            let k = join("python", &e.key);
            let v = &e.value;
            match e.key.as_str() {
                "version" | "build" => {}
                "switch_interval" => {
                    let ns = duration(v, &k)?;
                    if ns == 0 {
                        return Err(Diag::new(
                            "switch_interval must be greater than zero",
                            &v.span,
                            "sys.setswitchinterval refuses 0",
                        )
                        .key(k));
                    }
                    p.switch_interval_us = (ns / 1_000 + u64::from(ns % 1_000 >= 500)).max(1);
                }
                // Read before the other keys: see `Validator::profile`.
                "profile" => {}
                "gil" => {
                    let Value::Int(g) = v.value else {
                        return Err(type_error(v, &k, "an integer (0 or 1)"));
                    };
                    if g != 0 && g != 1 {
                        return Err(
                            Diag::new("gil must be 0 or 1", &v.span, "expected 0 or 1").key(k)
                        );
                    }
                    if build == Build::Gil && g == 0 {
                        return Err(Diag::new(
                            "`gil = 0` needs the free-threaded build",
                            &v.span,
                            "the default build always has a GIL",
                        )
                        .key(k)
                        .help("set python.build = \"free-threaded\" (Python 3.13 or later), or remove `gil`"));
                    }
                    p.gil_enabled = build == Build::Gil || g == 1;
                }
                "gil_handoff" => {
                    p.gil_handoff = match as_str(v, &k)? {
                        "fifo" => Handoff::Fifo,
                        "random" => Handoff::Random,
                        other => {
                            return Err(Diag::new(
                                format!("unknown gil_handoff \"{other}\""),
                                &v.span,
                                "expected \"fifo\" or \"random\"",
                            )
                            .key(k));
                        }
                    }
                }
                "check_latency" => p.check_latency = dist(v, &k)?,
                "thread_start" => p.thread_start = dist(v, &k)?,
                "release_overhead" => p.release_overhead = dist(v, &k)?,
                "sync_call" => p.sync_call = dist(v, &k)?,
                "sync_wake" => p.sync_wake = dist(v, &k)?,
                "queue_put" => p.queue_put = dist(v, &k)?,
                "queue_get" => p.queue_get = dist(v, &k)?,
                "free_threaded_overhead" => {
                    let f = number(v, &k)?;
                    if f < 1.0 {
                        return Err(Diag::new(
                            "free_threaded_overhead must be at least 1.0",
                            &v.span,
                            "a slow-down factor: 1.0 is no overhead",
                        )
                        .key(k));
                    }
                    p.free_threaded_overhead = f;
                }
                "process_rss" => p.process_rss = size(v, &k)?,
                "thread_rss" => p.thread_rss = size(v, &k)?,
                // Process costs (defaults in ProcessConfig).
                "fork_start" => p.process.start_child[0] = dist(v, &k)?,
                "spawn_start" => p.process.start_child[1] = dist(v, &k)?,
                "forkserver_start" => p.process.start_child[2] = dist(v, &k)?,
                "forkserver_server_start" => p.process.forkserver_start = dist(v, &k)?,
                "submit" => p.process.submit = dist(v, &k)?,
                "pool_import" => p.process.pool_import = dist(v, &k)?,
                "interpreter_start" => p.process.interpreter_start = dist(v, &k)?,
                "pickle_message" => p.process.pickle_message = duration(v, &k)?,
                "pipe_syscall" => p.process.pipe_syscall = duration(v, &k)?,
                "shm_create" => p.process.shm_create = duration(v, &k)?,
                "shm_attach" => p.process.shm_attach = duration(v, &k)?,
                "pipe_buffer" => p.process.pipe_buffer = size(v, &k)?,
                "interpreter_rss" => p.process.interpreter_rss = size(v, &k)?,
                // Event loop costs (defaults in AsyncioConfig).
                "loop_callback" => p.asyncio.loop_callback = dist(v, &k)?,
                "task_step" => p.asyncio.task_step = dist(v, &k)?,
                "coroutine_create" => p.asyncio.coroutine_create = dist(v, &k)?,
                "loop_poll" => p.asyncio.loop_poll = dist(v, &k)?,
                "coroutine_rss" => p.asyncio.coroutine_rss = size(v, &k)?,
                cost => {
                    let (slot, unit) = match cost {
                        "fork_ns_per_mib" => (&mut p.process.fork_ns_per_mib, "MiB of task memory"),
                        "cow_ns_per_mib" => (&mut p.process.cow_ns_per_mib, "MiB of task memory"),
                        "pickle_ns_per_byte" => (&mut p.process.pickle_ns_per_byte, "byte"),
                        "unpickle_ns_per_byte" => (&mut p.process.unpickle_ns_per_byte, "byte"),
                        "pipe_ns_per_byte_small" => (&mut p.process.pipe_ns_per_byte_small, "byte"),
                        "pipe_ns_per_byte_large" => (&mut p.process.pipe_ns_per_byte_large, "byte"),
                        _ => (&mut p.process.shm_ns_per_byte, "byte"),
                    };
                    let x = number(v, &k)?;
                    if x < 0.0 {
                        return Err(Diag::new(
                            format!("`{cost}` must be at least 0"),
                            &v.span,
                            format!("nanoseconds per {unit}: a number ≥ 0"),
                        )
                        .key(k));
                    }
                    *slot = x;
                }
            }
        }
        Ok(p)
    }

    /// `"3.8"` to `"3.14"`. From `--set`, an unquoted `3.12` (a TOML float)
    /// is read as written.
    pub(super) fn version(&self, node: &Node) -> Res<PyVersion> {
        let key = "python.version";
        let text = match &node.value {
            Value::Str(s) => s.as_str(),
            Value::Float(_) if matches!(node.span.origin, Origin::Override(_)) => {
                self.sources.text(&node.span).unwrap_or_default()
            }
            Value::Float(_) => {
                return Err(type_error(node, key, "a string").help(
                    "quote the version: version = \"3.10\" (unquoted, 3.10 is the number 3.1)",
                ));
            }
            _ => return Err(type_error(node, key, "a string like \"3.11\"")),
        };
        let minor = text
            .strip_prefix("3.")
            .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|m| m.parse::<u32>().ok())
            .filter(|m| (8..=14).contains(m));
        match minor {
            Some(minor) => Ok(PyVersion { major: 3, minor }),
            None => {
                let mut diag = Diag::new(
                    format!("unsupported Python version \"{text}\""),
                    &node.span,
                    "expected \"3.8\" to \"3.14\"",
                )
                .key(key);
                if text.ends_with('t') {
                    diag = diag.help("for a free-threaded build write version = \"3.13\" and build = \"free-threaded\"");
                }
                Err(diag)
            }
        }
    }
}
