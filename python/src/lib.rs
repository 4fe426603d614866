//! `gilsim._gilsim`: the gilsim library called from Python in-process. The
//! Python package (`python/gilsim/`) wraps these functions: it turns a
//! scenario given as a path, TOML text or a dict into (file, text), and
//! the files returned here into `Results`.
//!
//! Every simulation runs with the GIL released. Errors are raised as the
//! exception classes of `gilsim._errors`.

use std::path::{Path, PathBuf};

use gilsim::commands::{self, RunArgs};
use gilsim::compare::{self as comparison, CompareArgs, Goal};
use gilsim::failure::Failure;
use gilsim::report::files::Files;
use gilsim::scenario::{Reader, ScenarioError, Study};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// Runs the `gilsim` command line `argv` (program name first) in this
/// process and returns its exit code: the Python package's `gilsim` command.
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<String>) -> u8 {
    py.detach(|| gilsim::cli::main_with_args(argv))
}

/// The TOML document of a scenario given as a dict.
#[pyfunction]
fn to_toml(scenario: &Bound<'_, PyAny>) -> PyResult<String> {
    match toml_value(scenario, "")? {
        toml::Value::Table(t) => toml::to_string(&t)
            .map_err(|e| PyTypeError::new_err(format!("cannot write the scenario as TOML: {e}"))),
        _ => Err(PyTypeError::new_err(
            "a scenario given as a dict: its keys are the TOML file's top-level keys",
        )),
    }
}

/// A value as TOML writes it inline (`4`, `[1, 2]`, `"x"`): the right-hand
/// side of the `set=` override of `key` given as a dict.
#[pyfunction]
fn toml_inline(key: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(toml_value(value, &format!("set={key}"))?.to_string())
}

/// `value` as a TOML value; `key` (dotted) names it in errors.
fn toml_value(value: &Bound<'_, PyAny>, key: &str) -> PyResult<toml::Value> {
    let at = |what: &str| {
        let key = if key.is_empty() { "the scenario" } else { key };
        PyTypeError::new_err(format!("{key}: {what}"))
    };
    if value.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(value.extract()?));
    }
    if value.is_instance_of::<PyInt>() {
        let n: i64 = value
            .extract()
            .map_err(|_| at("an integer TOML cannot hold (it takes 64-bit signed integers)"))?;
        return Ok(toml::Value::Integer(n));
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(value.extract()?));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(toml::Value::String(s.extract()?));
    }
    if let Ok(d) = value.cast::<PyDict>() {
        let mut table = toml::Table::new();
        for (k, v) in d.iter() {
            let Ok(k) = k.cast::<PyString>() else {
                return Err(at(&format!("the key {} is not a string", k.repr()?)));
            };
            let k: String = k.extract()?;
            let inner = if key.is_empty() {
                k.clone()
            } else {
                format!("{key}.{k}")
            };
            table.insert(k, toml_value(&v, &inner)?);
        }
        return Ok(toml::Value::Table(table));
    }
    let items: Option<Vec<Bound<'_, PyAny>>> = if let Ok(l) = value.cast::<PyList>() {
        Some(l.iter().collect())
    } else if let Ok(t) = value.cast::<PyTuple>() {
        Some(t.iter().collect())
    } else {
        None
    };
    if let Some(items) = items {
        return items
            .iter()
            .enumerate()
            .map(|(i, v)| toml_value(v, &format!("{key}[{i}]")))
            .collect::<PyResult<Vec<_>>>()
            .map(toml::Value::Array);
    }
    let kind = value.get_type().name()?;
    Err(at(&format!(
        "a {kind} has no TOML form: give a str, int, float, bool, list or dict"
    )))
}

/// Reads and validates the scenario like `gilsim run` (with calibrate's
/// profile loader): its text if given, else the file.
fn load(file: &Path, source: Option<&str>, overrides: &[String]) -> Result<Study, ScenarioError> {
    let reader =
        Reader::new(overrides).with_profiles(gilsim::calibrate::profile::load_for_scenario);
    match source {
        Some(text) => reader.parse_study_str(text, file),
        None => reader.load_study(file),
    }
}

/// An instance of the exception class `name` of `gilsim._errors`, built
/// with keyword arguments.
fn raise(py: Python<'_>, name: &str, kwargs: &Bound<'_, PyDict>) -> PyErr {
    let made = py
        .import("gilsim._errors")
        .and_then(|m| m.getattr(name))
        .and_then(|class| class.call((), Some(kwargs)));
    match made {
        Ok(e) => PyErr::from_value(e),
        Err(e) => e,
    }
}

/// `gilsim.ScenarioError`: the CLI's diagnostic, and where the first error is.
fn scenario_error(py: Python<'_>, e: &ScenarioError) -> PyErr {
    let build = || -> PyResult<Bound<'_, PyDict>> {
        let kw = PyDict::new(py);
        kw.set_item("message", e.to_string())?;
        kw.set_item("file", e.path().display().to_string())?;
        kw.set_item("line", e.location().map(|l| l.0))?;
        kw.set_item("column", e.location().map(|l| l.1))?;
        kw.set_item("key", e.key())?;
        kw.set_item("title", e.message())?;
        kw.set_item("set_argument", e.set_argument())?;
        kw.set_item("count", e.count())?;
        Ok(kw)
    };
    match build() {
        Ok(kw) => raise(py, "ScenarioError", &kw),
        Err(e) => e,
    }
}

/// A command's failure: `UsageError` (exit code 2) or `RunError` (exit
/// code 1, with the blocked threads of a deadlock).
fn failure(py: Python<'_>, f: &Failure) -> PyErr {
    let build = || -> PyResult<Bound<'_, PyDict>> {
        let kw = PyDict::new(py);
        kw.set_item("message", f.message())?;
        if f.exit_code() != 2 {
            kw.set_item("blocked", f.blocked().to_vec())?;
        }
        Ok(kw)
    };
    let class = if f.exit_code() == 2 {
        "UsageError"
    } else {
        "RunError"
    };
    match build() {
        Ok(kw) => raise(py, class, &kw),
        Err(e) => e,
    }
}

fn usage(py: Python<'_>, message: String) -> PyErr {
    failure(py, &Failure::Usage(format!("error: {message}\n")))
}

/// A command's files as (name, bytes) pairs, and the text it prints.
type Rendered<'py> = (Vec<(String, Bound<'py, PyBytes>)>, String);

/// The files as (name, bytes) pairs, in the order they were rendered.
fn files_out<'py>(py: Python<'py>, files: &Files) -> Vec<(String, Bound<'py, PyBytes>)> {
    files
        .iter()
        .map(|(n, b)| (n.to_string(), PyBytes::new(py, b)))
        .collect()
}

/// `gilsim check`: validates the scenario; returns what it contains and
/// the text the CLI prints.
#[pyfunction]
#[pyo3(signature = (file, source, overrides))]
fn check<'py>(
    py: Python<'py>,
    file: PathBuf,
    source: Option<String>,
    overrides: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let study = py
        .detach(|| load(&file, source.as_deref(), &overrides))
        .map_err(|e| scenario_error(py, &e))?;
    let s = study.first();
    let size = study.size();
    let d = PyDict::new(py);
    d.set_item("name", &s.name)?;
    d.set_item("description", &s.description)?;
    d.set_item(
        "workloads",
        s.workloads
            .iter()
            .map(|w| w.name.clone())
            .collect::<Vec<_>>(),
    )?;
    d.set_item("cores", s.machine.cores)?;
    d.set_item("python", s.python.version.to_string())?;
    d.set_item("gil", s.python.gil_enabled)?;
    d.set_item("seed", s.seed)?;
    d.set_item("sweep_keys", study.sweep_keys.clone())?;
    d.set_item("points", study.points.len())?;
    d.set_item("replications", s.replications)?;
    d.set_item("runs", size.runs)?;
    d.set_item("events_estimate", size.events)?;
    // The defaults are the keys the text (the file's, or the given one) leaves out.
    let text = match &source {
        Some(t) => t.clone(),
        None => std::fs::read_to_string(&file).unwrap_or_default(),
    };
    let defaults = gilsim::commands::pitfalls::defaults(&study, &text, &overrides);
    d.set_item("text", gilsim::cli::check_text(&file, &study, &defaults))?;
    Ok(d)
}

/// `gilsim run` without writing: returns every file it would write, as
/// (name, bytes) pairs with `manifest.json` last, and the table it prints.
#[pyfunction]
#[pyo3(signature = (file, source, overrides, seed, jobs, trace, trace_window, trace_point, command_line))]
#[allow(clippy::too_many_arguments)]
fn run<'py>(
    py: Python<'py>,
    file: PathBuf,
    source: Option<String>,
    overrides: Vec<String>,
    seed: Option<u64>,
    jobs: Option<usize>,
    trace: bool,
    trace_window: Option<String>,
    trace_point: Option<usize>,
    command_line: Vec<String>,
) -> PyResult<Rendered<'py>> {
    if jobs == Some(0) {
        return Err(usage(py, "jobs must be at least 1".into()));
    }
    let trace_window = trace_window
        .map(|w| commands::parse_trace_window(&w))
        .transpose()
        .map_err(|e| usage(py, format!("trace_window: {e}")))?;
    py.detach(|| load(&file, source.as_deref(), &overrides))
        .map_err(|e| scenario_error(py, &e))?;
    let args = RunArgs {
        file,
        source,
        out: None,
        seed,
        overrides,
        jobs,
        shard: None,
        progress: false,
        trace: trace || trace_window.is_some(),
        trace_window,
        trace_point,
        command_line,
        limits: Default::default(),
        svg_only: true,
        warnings: false,
        assertions: Vec::new(),
    };
    let (report, files) = py
        .detach(|| commands::render(&args))
        .map_err(|f| failure(py, &f))?;
    Ok((files_out(py, &files), commands::summary_table(&report)))
}

/// `gilsim compare` without writing: returns `compare.csv` and the charts
/// as (name, bytes) pairs, and the ranked tables it prints.
#[pyfunction]
#[pyo3(signature = (file, source, overrides, workload, models, workers, cores, replications, goal, jobs))]
#[allow(clippy::too_many_arguments)]
fn compare<'py>(
    py: Python<'py>,
    file: PathBuf,
    source: Option<String>,
    overrides: Vec<String>,
    workload: Option<String>,
    models: Option<String>,
    workers: Option<String>,
    cores: Option<u32>,
    replications: Option<u32>,
    goal: String,
    jobs: Option<usize>,
) -> PyResult<Rendered<'py>> {
    if jobs == Some(0) || cores == Some(0) || replications == Some(0) {
        return Err(usage(
            py,
            "jobs, cores and replications must be at least 1".into(),
        ));
    }
    let goal = Goal::parse(&goal).map_err(|e| usage(py, format!("goal: {e}")))?;
    let (models, workers) = comparison::args_lists(models.as_deref(), workers.as_deref())
        .map_err(|f| failure(py, &f))?;
    py.detach(|| load(&file, source.as_deref(), &overrides))
        .map_err(|e| scenario_error(py, &e))?;
    let args = CompareArgs {
        file,
        source,
        workload,
        models,
        shapes: None,
        workers,
        cores,
        replications,
        goal,
        jobs,
        out: None,
        overrides,
        progress: false,
        limits: Default::default(),
        profiles: Some(gilsim::calibrate::profile::load_for_scenario),
        svg_only: true,
    };
    let (report, files) = py
        .detach(|| comparison::render(&args))
        .map_err(|f| failure(py, &f))?;
    Ok((files_out(py, &files), report.text))
}

/// The extension module.
#[pymodule]
fn _gilsim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    m.add_function(wrap_pyfunction!(to_toml, m)?)?;
    m.add_function(wrap_pyfunction!(toml_inline, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    Ok(())
}
