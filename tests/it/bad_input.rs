//! Scenario files and `--set` overrides that must be refused, each with the
//! file, line, column and key of the mistake; and valid files that must parse
//! to the expected values.

use std::path::Path;

use gilsim::engine::random::Dist;
use gilsim::machine::MachineConfig;
use gilsim::python::{Build, Handoff, PythonConfig};
use gilsim::scenario::{Scenario, ScenarioError, load, parse_str};
use gilsim::workload::SemaphoreDef;
use gilsim::workload::{Arrival, Model, Step, Workers};
use proptest::prelude::*;

const PATH: &str = "scenarios/test.toml";

/// A minimal valid scenario to build bad ones from.
const MINIMAL: &str = r#"name = "t"

[[workload]]
name = "jobs"
tasks = 10
steps = [ { cpu = "1ms" } ]
"#;

fn parse(source: &str, overrides: &[&str]) -> Result<Scenario, ScenarioError> {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    parse_str(source, Path::new(PATH), &overrides)
}

fn fails(source: &str) -> ScenarioError {
    match parse(source, &[]) {
        Ok(s) => panic!("expected an error, parsed {s:#?}"),
        Err(e) => e,
    }
}

fn fails_with(source: &str, overrides: &[&str]) -> ScenarioError {
    match parse(source, overrides) {
        Ok(s) => panic!("expected an error, parsed {s:#?}"),
        Err(e) => e,
    }
}

/// The error is at `line:column` in the file, about `key`, and its rendered
/// text names the file, the position, the key and `words`.
#[track_caller]
fn assert_error(e: &ScenarioError, line: usize, column: usize, key: Option<&str>, words: &str) {
    let text = e.to_string();
    assert_eq!(
        e.location(),
        Some((line, column)),
        "wrong location in:\n{text}"
    );
    assert!(
        text.contains(&format!("{PATH}:{line}:{column}")),
        "no {PATH}:{line}:{column} in:\n{text}"
    );
    assert_eq!(e.key(), key, "wrong key in:\n{text}");
    if let Some(key) = key {
        assert!(text.contains(key), "key {key} not shown in:\n{text}");
    }
    assert!(text.contains(words), "no {words:?} in:\n{text}");
    assert!(!text.contains('\u{1b}'), "ANSI escape in:\n{text}");
}

/// The error is in `--set argument`, about `key`, and says `words`.
#[track_caller]
fn assert_set_error(e: &ScenarioError, argument: &str, key: Option<&str>, words: &str) {
    let text = e.to_string();
    assert_eq!(
        e.location(),
        None,
        "an override error has no file position:\n{text}"
    );
    assert_eq!(e.set_argument(), Some(argument));
    assert!(
        text.contains(&format!("in --set {argument}")),
        "no `in --set {argument}` in:\n{text}"
    );
    assert_eq!(e.key(), key, "wrong key in:\n{text}");
    if let Some(key) = key {
        assert!(text.contains(key), "key {key} not shown in:\n{text}");
    }
    assert!(text.contains(words), "no {words:?} in:\n{text}");
}

// ---------------------------------------------------------------- syntax

#[test]
fn empty_file() {
    let e = fails("");
    assert_error(&e, 1, 1, Some("name"), "missing required key `name`");
}

#[test]
fn not_toml() {
    let e = fails("this is not = = toml\n");
    assert_error(&e, 1, 6, None, "not valid TOML");
}

#[test]
fn not_toml_on_a_later_line() {
    let e = fails("name = \"t\"\nseed = 1\nsteps = [ { cpu = \"1ms\" }\n");
    assert_eq!(e.location().map(|(line, _)| line), Some(3), "{e}");
    assert!(e.to_string().contains("not valid TOML"), "{e}");
}

#[test]
fn duplicate_toml_key() {
    let e = fails("name = \"t\"\nname = \"u\"\n");
    assert_error(&e, 2, 1, None, "not valid TOML");
}

#[test]
fn not_utf8() {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    std::io::Write::write_all(&mut file, b"name = \"t\"\n# caf\xE9 au lait\n").expect("write");
    let e = load(file.path(), &[]).expect_err("not UTF-8");
    let text = e.to_string();
    assert_eq!(e.location(), Some((2, 6)), "{text}");
    let shown = format!("{}:2:6", file.path().display());
    assert!(text.contains(&shown), "no {shown} in:\n{text}");
    assert!(text.contains("not valid UTF-8"), "{text}");
    assert!(text.contains("0xE9"), "{text}");
}

#[test]
fn missing_file() {
    let e = load(Path::new("/nonexistent/gilsim/x.toml"), &[]).expect_err("no such file");
    assert_eq!(e.location(), None);
    assert!(e.to_string().contains("/nonexistent/gilsim/x.toml"), "{e}");
}

#[test]
fn load_reads_a_valid_file() {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    std::io::Write::write_all(&mut file, MINIMAL.as_bytes()).expect("write");
    let s = load(file.path(), &["machine.cores=3".to_string()]).expect("valid");
    assert_eq!(s.path, file.path());
    assert_eq!(s.machine.cores, 3);
}

// ---------------------------------------------------------------- keys and types

#[test]
fn unknown_top_level_key() {
    let e = fails("name = \"t\"\ncolour = \"blue\"\n");
    assert_error(&e, 2, 1, Some("colour"), "unknown key `colour`");
    assert!(
        e.to_string().contains("`description`"),
        "valid keys listed:\n{e}"
    );
}

#[test]
fn unknown_key_in_machine() {
    let e = fails("name = \"t\"\n\n[machine]\ncores = 2\n  cpus = 4\n");
    assert_error(
        &e,
        5,
        3,
        Some("machine.cpus"),
        "unknown key `cpus` in [machine]",
    );
    let text = e.to_string();
    assert!(
        text.contains("`cores`") && text.contains("`timer_slack`"),
        "valid keys listed:\n{text}"
    );
}

#[test]
fn unknown_key_suggests_the_close_one() {
    let e = fails("name = \"t\"\n[machine]\ncorse = 2\n");
    assert_error(&e, 3, 1, Some("machine.corse"), "did you mean `cores`?");
}

#[test]
fn misplaced_key_says_where_it_belongs() {
    let e = fails("name = \"t\"\ncores = 2\n");
    assert_error(&e, 2, 1, Some("cores"), "`cores` belongs in [machine]");
    let e = fails("name = \"t\"\n[machine]\nswitch_interval = \"1ms\"\n");
    assert_error(
        &e,
        3,
        1,
        Some("machine.switch_interval"),
        "`switch_interval` belongs in [python]",
    );
}

#[test]
fn wrong_type() {
    let e = fails("name = \"t\"\n[machine]\ncores = \"4\"\n");
    assert_error(
        &e,
        3,
        9,
        Some("machine.cores"),
        "expected an integer, found a string",
    );
    assert!(e.to_string().contains("remove the quotes"), "{e}");
}

#[test]
fn wrong_type_for_a_table() {
    let e = fails("name = \"t\"\nmachine = 4\n");
    assert_error(
        &e,
        2,
        11,
        Some("machine"),
        "expected a table, found an integer",
    );
}

#[test]
fn bad_scenario_name() {
    let e = fails("name = \"My Study\"\n");
    assert_error(&e, 1, 8, Some("name"), "invalid scenario name");
}

#[test]
fn cores_out_of_range() {
    let e = fails("name = \"t\"\n[machine]\ncores = 5000\n");
    assert_error(
        &e,
        3,
        9,
        Some("machine.cores"),
        "cores must be at most 4096",
    );
}

#[test]
fn negative_seed() {
    let e = fails("name = \"t\"\nseed = -1\n");
    assert_error(&e, 2, 8, Some("seed"), "seed must be at least 0");
}

#[test]
fn no_workload() {
    let e = fails("name = \"t\"\n");
    assert_error(&e, 1, 1, Some("workload"), "at least one [[workload]]");
}

#[test]
fn workload_as_a_single_table() {
    let e = fails("name = \"t\"\n[workload]\nname = \"jobs\"\n");
    assert_error(
        &e,
        2,
        1,
        Some("workload"),
        "expected an array of tables ([[workload]]), found a table",
    );
}

// ---------------------------------------------------------------- durations, sizes, distributions

#[test]
fn negative_duration() {
    let e = fails(&MINIMAL.replace("cpu = \"1ms\"", "cpu = \"-1ms\""));
    assert_error(
        &e,
        6,
        19,
        Some("workload.jobs.steps[0].cpu"),
        "negative duration",
    );
}

#[test]
fn unknown_unit() {
    let e = fails(&MINIMAL.replace("cpu = \"1ms\"", "cpu = \"10mz\""));
    assert_error(
        &e,
        6,
        19,
        Some("workload.jobs.steps[0].cpu"),
        "unknown unit \"mz\" in duration",
    );
    assert!(
        e.to_string().contains("^^^^^^"),
        "the value is underlined:\n{e}"
    );
}

#[test]
fn duration_without_unit() {
    let e = fails("name = \"t\"\nduration = 10\n");
    assert_error(
        &e,
        2,
        12,
        Some("duration"),
        "expected a duration with a unit, found an integer",
    );
}

#[test]
fn warmup_not_shorter_than_duration() {
    let e = fails("name = \"t\"\nduration = \"1s\"\nwarmup = \"2s\"\n");
    assert_error(
        &e,
        3,
        10,
        Some("warmup"),
        "warmup must be shorter than duration",
    );
}

#[test]
fn nested_distribution_error_names_the_full_key() {
    let e = fails(&MINIMAL.replace(
        "steps = [ { cpu = \"1ms\" } ]",
        "steps = [ { cpu = \"1ms\" }, { io = { lognormal = { median = \"2ms\", sigma = -1 } } } ]",
    ));
    assert_error(
        &e,
        6,
        75,
        Some("workload.jobs.steps[1].io.lognormal.sigma"),
        "sigma must be at least 0",
    );
}

#[test]
fn uniform_bounds_reversed() {
    let e = fails(&MINIMAL.replace("cpu = \"1ms\"", "cpu = { uniform = [\"15ms\", \"5ms\"] }"));
    assert_error(
        &e,
        6,
        31,
        Some("workload.jobs.steps[0].cpu.uniform"),
        "uniform bounds are reversed",
    );
}

#[test]
fn unknown_distribution() {
    let e = fails(&MINIMAL.replace("cpu = \"1ms\"", "cpu = { gamma = \"5ms\" }"));
    assert_error(
        &e,
        6,
        21,
        Some("workload.jobs.steps[0].cpu.gamma"),
        "unknown key `gamma` in a distribution",
    );
}

#[test]
fn bad_size() {
    let e = fails(&MINIMAL.replace("tasks = 10", "tasks = 10\nmemory = \"20MX\""));
    assert_error(
        &e,
        6,
        10,
        Some("workload.jobs.memory"),
        "unknown unit \"MX\" in size",
    );
}

#[test]
fn bad_rate() {
    let e = fails(&format!(
        "duration = \"1s\"\n{}",
        MINIMAL.replace("tasks = 10", "rate = \"0/s\"")
    ));
    assert_error(
        &e,
        6,
        8,
        Some("workload.jobs.rate"),
        "rate must be greater than zero",
    );
}

// ---------------------------------------------------------------- python

#[test]
fn free_threaded_needs_3_13() {
    let e = fails("name = \"t\"\n[python]\nversion = \"3.11\"\nbuild = \"free-threaded\"\n");
    assert_error(
        &e,
        4,
        9,
        Some("python.build"),
        "free-threaded build needs Python 3.13 or later",
    );
}

#[test]
fn gil_0_on_the_default_build() {
    let e = fails("name = \"t\"\n[python]\ngil = 0\n");
    assert_error(
        &e,
        3,
        7,
        Some("python.gil"),
        "`gil = 0` needs the free-threaded build",
    );
}

#[test]
fn a_missing_profile_is_an_error_at_its_value() {
    let e = fails("name = \"t\"\n[python]\nprofile = \"no/such/profile.toml\"\n");
    assert_error(&e, 3, 11, Some("python.profile"), "cannot read the profile");
}

#[test]
fn unquoted_version() {
    let e = fails("name = \"t\"\n[python]\nversion = 3.10\n");
    assert_error(
        &e,
        3,
        11,
        Some("python.version"),
        "expected a string, found a float",
    );
}

#[test]
fn unsupported_version() {
    let e = fails("name = \"t\"\n[python]\nversion = \"3.7\"\n");
    assert_error(
        &e,
        3,
        11,
        Some("python.version"),
        "unsupported Python version \"3.7\"",
    );
}

// ---------------------------------------------------------------- workloads

#[test]
fn duplicate_workload_name() {
    let source = format!(
        "{MINIMAL}\n[[workload]]\nname = \"jobs\"\ntasks = 1\nsteps = [ {{ io = \"1ms\" }} ]\n"
    );
    let e = fails(&source);
    assert_error(
        &e,
        9,
        8,
        Some("workload.jobs.name"),
        "duplicate workload name `jobs`",
    );
    assert!(e.to_string().contains("first defined at line 4"), "{e}");
}

#[test]
fn invalid_workload_name() {
    let e = fails(&MINIMAL.replace("name = \"jobs\"", "name = \"my jobs\""));
    assert_error(&e, 4, 8, Some("workload[0].name"), "invalid workload name");
}

#[test]
fn workload_without_name() {
    let e = fails(&MINIMAL.replace("name = \"jobs\"\n", ""));
    assert_error(
        &e,
        3,
        1,
        Some("workload[0].name"),
        "missing required key `name`",
    );
}

#[test]
fn workload_without_steps() {
    let e = fails(&MINIMAL.replace("steps = [ { cpu = \"1ms\" } ]\n", ""));
    assert_error(
        &e,
        3,
        1,
        Some("workload.jobs.steps"),
        "missing required key `steps`",
    );
}

#[test]
fn empty_steps() {
    let e = fails(&MINIMAL.replace("[ { cpu = \"1ms\" } ]", "[]"));
    assert_error(
        &e,
        6,
        9,
        Some("workload.jobs.steps"),
        "`steps` must not be empty",
    );
}

#[test]
fn missing_arrival() {
    let e = fails(&MINIMAL.replace("tasks = 10\n", ""));
    assert_error(&e, 3, 1, Some("workload.jobs"), "missing arrival");
}

#[test]
fn two_arrivals() {
    let e = fails(&format!(
        "duration = \"1s\"\n{}",
        MINIMAL.replace("tasks = 10", "tasks = 10\nrate = \"5/s\"")
    ));
    assert_error(
        &e,
        7,
        1,
        Some("workload.jobs.rate"),
        "exactly one arrival, found `tasks` and `rate`",
    );
}

#[test]
fn zero_tasks() {
    let e = fails(&MINIMAL.replace("tasks = 10", "tasks = 0"));
    assert_error(
        &e,
        5,
        9,
        Some("workload.jobs.tasks"),
        "tasks must be at least 1",
    );
}

#[test]
fn open_loop_without_duration() {
    let e = fails(&MINIMAL.replace("tasks = 10", "rate = \"200/s\""));
    assert_error(
        &e,
        5,
        1,
        Some("workload.jobs.rate"),
        "an open-loop workload needs `duration`",
    );
}

#[test]
fn repeat_forever_without_duration() {
    let e = fails(&MINIMAL.replace("tasks = 10", "repeat = \"forever\""));
    assert_error(
        &e,
        5,
        1,
        Some("workload.jobs.repeat"),
        "an open-loop workload needs `duration`",
    );
}

const PIPELINE: &str = r#"name = "t"

[[workload]]
name = "fetch"
tasks = 10
steps = [ { io = "1ms" } ]

[[workload]]
name = "parse"
after = "fetch"
queue = 4
steps = [ { cpu = "1ms" } ]
"#;

#[test]
fn a_valid_pipeline_parses() {
    let s = parse(PIPELINE, &[]).unwrap();
    assert_eq!(
        s.workloads[1].arrival,
        gilsim::workload::Arrival::After {
            upstream: vec![0],
            capacity: Some(4),
            channel: gilsim::workload::StageChannel::Queue,
            item_bytes: 0,
        }
    );
}

#[test]
fn after_names_an_unknown_workload() {
    let e = fails(&PIPELINE.replace("after = \"fetch\"", "after = \"fetc\""));
    assert_error(
        &e,
        10,
        9,
        Some("workload.parse.after"),
        "unknown workload `fetc`",
    );
}

#[test]
fn after_cycle_lists_the_cycle() {
    let source = PIPELINE.replace("tasks = 10", "after = \"parse\"");
    let e = fails(&source);
    assert_error(
        &e,
        10,
        9,
        Some("workload.parse.after"),
        "cycle: fetch -> parse -> fetch",
    );
}

#[test]
fn a_stage_linked_to_itself_is_a_cycle() {
    let e = fails(&PIPELINE.replace("after = \"fetch\"", "after = [\"fetch\", \"parse\"]"));
    assert_error(
        &e,
        10,
        19,
        Some("workload.parse.after"),
        "cycle: parse -> parse",
    );
}

#[test]
fn queue_zero_is_an_error() {
    let e = fails(&PIPELINE.replace("queue = 4", "queue = 0"));
    assert_error(&e, 11, 9, Some("workload.parse.queue"), "capacity 0");
}

#[test]
fn queue_without_after_is_an_error() {
    let e = fails(&MINIMAL.replace("tasks = 10", "tasks = 10\nqueue = 3"));
    assert_error(&e, 6, 1, Some("workload.jobs.queue"), "it needs `after`");
}

#[test]
fn a_stage_has_no_arrivals_of_its_own() {
    let e = fails(&PIPELINE.replace("queue = 4", "queue = 4\nrate = \"5/s\""));
    assert_error(
        &e,
        12,
        1,
        Some("workload.parse.rate"),
        "cannot be used with `after`",
    );
}

#[test]
fn a_process_stage_is_fed_by_a_multiprocessing_queue() {
    let source = format!(
        "{PIPELINE}args_bytes = \"2KiB\"\n[workload.run]\nmodel = \"processes\"\nworkers = 2\n"
    );
    let s = parse(&source, &[]).unwrap();
    assert_eq!(
        s.workloads[1].arrival,
        gilsim::workload::Arrival::After {
            upstream: vec![0],
            capacity: Some(4),
            channel: gilsim::workload::StageChannel::MpQueue,
            item_bytes: 2048,
        }
    );
}

#[test]
fn channel_pipe_links_threads_by_a_multiprocessing_pipe() {
    let s = parse(&PIPELINE.replace("queue = 4", "channel = \"pipe\""), &[]).unwrap();
    assert!(matches!(
        s.workloads[1].arrival,
        gilsim::workload::Arrival::After {
            channel: gilsim::workload::StageChannel::Pipe,
            capacity: None,
            ..
        }
    ));
}

#[test]
fn a_pipe_has_no_queue_capacity() {
    let e = fails(&PIPELINE.replace("queue = 4", "queue = 4\nchannel = \"pipe\""));
    assert_error(&e, 11, 1, Some("workload.parse.queue"), "has no maxsize");
}

#[test]
fn an_unknown_channel_is_an_error() {
    let e = fails(&PIPELINE.replace("queue = 4", "channel = \"socket\""));
    assert_error(
        &e,
        11,
        11,
        Some("workload.parse.channel"),
        "unknown channel",
    );
}

#[test]
fn channel_without_after_is_an_error() {
    let e = fails(&MINIMAL.replace("tasks = 10", "tasks = 10\nchannel = \"pipe\""));
    assert_error(&e, 6, 11, Some("workload.jobs.channel"), "it needs `after`");
}

#[test]
fn a_process_stage_refuses_the_keys_of_a_pool_map() {
    for (key, value, col) in [("api", "\"executor\"", 1), ("chunksize", "4", 1)] {
        let source = format!(
            "{PIPELINE}[workload.run]\nmodel = \"processes\"\nworkers = 2\n{key} = {value}\n"
        );
        let e = fails(&source);
        assert_error(
            &e,
            16,
            col,
            Some(&format!("workload.parse.run.{key}")),
            "a stage's processes loop on its queue",
        );
    }
}

#[test]
fn asyncio_into_processes_is_not_built_yet() {
    let source = PIPELINE.replace(
        "steps = [ { io = \"1ms\" } ]",
        "steps = [ { io = \"1ms\" } ]\n[workload.run]\nmodel = \"asyncio\"",
    ) + "[workload.run]\nmodel = \"processes\"\nworkers = 2\n";
    let e = fails(&source);
    assert_error(&e, 12, 9, Some("workload.parse.after"), "not built yet");
}

#[test]
fn a_join_over_multiprocessing_queues_is_not_built_yet() {
    let source = PIPELINE.replace("after = \"fetch\"", "after = [\"fetch\", \"more\"]")
        + "[workload.run]\nmodel = \"processes\"\nworkers = 2\n\n[[workload]]\nname = \"more\"\ntasks = 5\nsteps = [ { io = \"1ms\" } ]\n";
    let e = fails(&source);
    assert_error(
        &e,
        10,
        9,
        Some("workload.parse.after"),
        "a join over a multiprocessing.Queue",
    );
}

// ---------------------------------------------------------------- [workload.run]

const THREADS: &str = r#"name = "t"

[[workload]]
name = "jobs"
tasks = 10
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "threads"
"#;

#[test]
fn unknown_model() {
    let e = fails(&THREADS.replace("\"threads\"", "\"greenlets\""));
    assert_error(
        &e,
        8,
        9,
        Some("workload.jobs.run.model"),
        "unknown model `greenlets`",
    );
}

#[test]
fn refused_model() {
    let e = fails(&THREADS.replace("\"threads\"", "\"subinterpreters\""));
    assert_error(
        &e,
        8,
        9,
        Some("workload.jobs.run.model"),
        "model `subinterpreters` needs Python 3.14",
    );
}

#[test]
fn asyncio_workers_per_task() {
    let e = fails(&THREADS.replace("\"threads\"", "\"asyncio\"\nworkers = \"per-task\""));
    assert_error(
        &e,
        9,
        11,
        Some("workload.jobs.run.workers"),
        "does not apply to asyncio",
    );
}

#[test]
fn run_table_without_model() {
    let e = fails(&THREADS.replace("model = \"threads\"", "workers = 2"));
    assert_error(
        &e,
        7,
        1,
        Some("workload.jobs.run.model"),
        "missing required key `model`",
    );
}

#[test]
fn zero_workers() {
    let e = fails(&format!("{THREADS}workers = 0\n"));
    assert_error(
        &e,
        9,
        11,
        Some("workload.jobs.run.workers"),
        "workers must be at least 1",
    );
}

#[test]
fn bad_workers_string() {
    let e = fails(&format!("{THREADS}workers = \"many\"\n"));
    assert_error(
        &e,
        9,
        11,
        Some("workload.jobs.run.workers"),
        "expected an integer or \"per-task\"",
    );
}

#[test]
fn sequential_with_workers() {
    let e = fails(&format!(
        "{}workers = 4\n",
        THREADS.replace("\"threads\"", "\"sequential\"")
    ));
    assert_error(
        &e,
        9,
        11,
        Some("workload.jobs.run.workers"),
        "a sequential workload has exactly one worker",
    );
}

#[test]
fn model_specific_key_on_threads() {
    let e = fails(&format!("{THREADS}chunksize = 4\n"));
    assert_error(
        &e,
        9,
        1,
        Some("workload.jobs.run.chunksize"),
        "`chunksize` applies to process pools; this workload's model is `threads`",
    );
}

#[test]
fn start_method_on_threads() {
    let e = fails(&format!("{THREADS}start_method = \"fork\"\n"));
    assert_error(
        &e,
        9,
        1,
        Some("workload.jobs.run.start_method"),
        "applies to process pools",
    );
}

#[test]
fn unknown_key_in_run() {
    let e = fails(&format!("{THREADS}max_workers = 4\n"));
    assert_error(
        &e,
        9,
        1,
        Some("workload.jobs.run.max_workers"),
        "unknown key `max_workers` in [workload.run]",
    );
}

// ---------------------------------------------------------------- steps

fn with_steps(steps: &str) -> String {
    MINIMAL.replace("[ { cpu = \"1ms\" } ]", steps)
}

#[test]
fn lock_steps_not_an_array() {
    let e = fails(&with_steps(
        "[ { lock = \"db\", steps = { io = \"1ms\" } } ]",
    ));
    assert_error(
        &e,
        6,
        34,
        Some("workload.jobs.steps[0].steps"),
        "expected an array of steps, found a table",
    );
}

#[test]
fn lock_name_is_a_table() {
    let e = fails(&with_steps(
        "[ { lock = { steps = [ { io = \"1ms\" } ] } } ]",
    ));
    assert_error(
        &e,
        6,
        20,
        Some("workload.jobs.steps[0].lock"),
        "expected a lock name (a string), found a table",
    );
}

#[test]
fn lock_without_steps() {
    let e = fails(&with_steps("[ { lock = \"db\" } ]"));
    assert_error(
        &e,
        6,
        13,
        Some("workload.jobs.steps[0].steps"),
        "a `lock` step needs `steps` beside it",
    );
}

#[test]
fn lock_steps_of_strings() {
    let e = fails(&with_steps("[ { lock = \"db\", steps = [ \"io\" ] } ]"));
    assert_error(
        &e,
        6,
        36,
        Some("workload.jobs.steps[0].steps[0]"),
        "expected a step table",
    );
}

#[test]
fn steps_beside_a_plain_step() {
    let e = fails(&with_steps(
        "[ { cpu = \"1ms\", steps = [ { io = \"1ms\" } ] } ]",
    ));
    assert_error(
        &e,
        6,
        26,
        Some("workload.jobs.steps[0].steps"),
        "`steps` only goes with a `lock` or `semaphore` step",
    );
}

#[test]
fn two_step_kinds() {
    let e = fails(&with_steps("[ { cpu = \"1ms\", io = \"2ms\" } ]"));
    assert_error(
        &e,
        6,
        26,
        Some("workload.jobs.steps[0].io"),
        "a step has exactly one kind, found `cpu` and `io`",
    );
}

#[test]
fn unknown_step() {
    let e = fails(&with_steps("[ { cpu = \"1ms\" }, { gpu = \"1ms\" } ]"));
    assert_error(
        &e,
        6,
        30,
        Some("workload.jobs.steps[1].gpu"),
        "unknown step `gpu`",
    );
}

#[test]
fn empty_step() {
    let e = fails(&with_steps("[ { cpu = \"1ms\" }, {} ]"));
    assert_error(&e, 6, 28, Some("workload.jobs.steps[1]"), "empty step");
}

#[test]
fn wait_event_on_an_undeclared_event() {
    let e = fails(&with_steps("[ { wait_event = \"ready\" } ]"));
    assert_error(
        &e,
        6,
        26,
        Some("workload.jobs.steps[0].wait_event"),
        "unknown event `ready`",
    );
}

#[test]
fn to_thread_is_asyncio_only() {
    let e = fails(&with_steps(
        "[ { to_thread = true, steps = [ { cpu = \"1ms\" } ] } ]",
    ));
    assert_error(
        &e,
        6,
        13,
        Some("workload.jobs.steps[0].to_thread"),
        "asyncio only",
    );
}

#[test]
fn unknown_semaphore() {
    let source = format!(
        "{}\n[semaphores]\napi = 2\n",
        with_steps("[ { semaphore = \"db\", steps = [ { io = \"1ms\" } ] } ]")
    );
    let e = fails(&source);
    assert_error(
        &e,
        6,
        25,
        Some("workload.jobs.steps[0].semaphore"),
        "unknown semaphore `db`",
    );
    assert!(e.to_string().contains("defined semaphores: `api`"), "{e}");
}

#[test]
fn error_deep_in_nested_steps() {
    let e = fails(&with_steps(
        "[ { lock = \"a\", steps = [ { cpu = \"1ms\" }, { lock = \"b\", steps = [ { sleep = 5 } ] } ] } ]",
    ));
    assert_error(
        &e,
        6,
        86,
        Some("workload.jobs.steps[0].steps[1].steps[0].sleep"),
        "with a unit",
    );
}

#[test]
fn semaphore_capacity_zero() {
    let e = fails(&format!("{MINIMAL}\n[semaphores]\napi = 0\n"));
    assert_error(
        &e,
        9,
        7,
        Some("semaphores.api"),
        "capacity must be at least 1",
    );
}

// ---------------------------------------------------------------- positions

#[test]
fn crlf_line_endings() {
    let e = fails(&with_steps("[ { cpu = \"1zz\" } ]").replace('\n', "\r\n"));
    assert_error(
        &e,
        6,
        19,
        Some("workload.jobs.steps[0].cpu"),
        "unknown unit \"zz\"",
    );
}

#[test]
fn columns_count_characters() {
    let e = fails("name = \"t\"\ndescription = \"café\" ; x = 1\n");
    assert_eq!(e.location(), Some((2, 22)), "{e}");
}

#[test]
fn byte_order_mark_is_not_a_column() {
    let e = fails("\u{feff}name = 5\n");
    assert_error(
        &e,
        1,
        8,
        Some("name"),
        "expected a string, found an integer",
    );
}

#[test]
fn distribution_written_without_its_kind() {
    let e = fails(&with_steps("[ { io = { mean = \"1ms\", sd = \"1us\" } } ]"));
    assert_error(
        &e,
        6,
        20,
        Some("workload.jobs.steps[0].io.mean"),
        "{ normal = { mean =",
    );
}

#[test]
fn multi_line_value() {
    let e = fails(&with_steps(
        "[\n  { cpu = \"1ms\" },\n  { io = \"-1ms\" },\n]",
    ));
    assert_error(
        &e,
        8,
        10,
        Some("workload.jobs.steps[1].io"),
        "negative duration",
    );
}

// ---------------------------------------------------------------- --set

#[test]
fn bad_set_key() {
    let e = fails_with(MINIMAL, &["machine.colour=2"]);
    assert_set_error(
        &e,
        "machine.colour=2",
        Some("machine.colour"),
        "unknown key `colour` in [machine]",
    );
    assert!(e.to_string().contains("`cores`"), "valid keys listed:\n{e}");
}

#[test]
fn bad_set_value() {
    let e = fails_with(MINIMAL, &["python.switch_interval=1mz"]);
    assert_set_error(
        &e,
        "python.switch_interval=1mz",
        Some("python.switch_interval"),
        "unknown unit \"mz\" in duration",
    );
}

#[test]
fn bad_set_type() {
    let e = fails_with(MINIMAL, &["machine.cores=two"]);
    assert_set_error(
        &e,
        "machine.cores=two",
        Some("machine.cores"),
        "expected an integer, found a string",
    );
}

#[test]
fn set_unknown_workload() {
    let e = fails_with(MINIMAL, &["workload.web.tasks=3"]);
    assert_set_error(
        &e,
        "workload.web.tasks=3",
        Some("workload.web.tasks"),
        "no workload named `web`",
    );
    assert!(e.to_string().contains("`jobs`"), "workloads listed:\n{e}");
}

#[test]
fn set_without_equals() {
    let e = fails_with(MINIMAL, &["machine.cores"]);
    assert_set_error(&e, "machine.cores", None, "expected KEY=VALUE");
}

#[test]
fn set_inside_a_string() {
    let e = fails_with(MINIMAL, &["name.x=1"]);
    assert_set_error(
        &e,
        "name.x=1",
        Some("name.x"),
        "`name` is a string, not a table",
    );
}

#[test]
fn set_model_asyncio() {
    let s = parse(THREADS, &["workload.jobs.run.model=asyncio"]).unwrap();
    assert_eq!(s.workloads[0].model, Model::Asyncio);
    assert_eq!(s.workloads[0].workers, Workers::Unlimited);
}

#[test]
fn set_zero_workers() {
    let e = fails_with(THREADS, &["workload.jobs.run.workers=0"]);
    assert_set_error(
        &e,
        "workload.jobs.run.workers=0",
        Some("workload.jobs.run.workers"),
        "workers must be at least 1",
    );
}

#[test]
fn file_errors_still_found_with_overrides() {
    let e = fails_with(&with_steps("[ { cpu = \"1mz\" } ]"), &["machine.cores=2"]);
    assert_error(
        &e,
        6,
        19,
        Some("workload.jobs.steps[0].cpu"),
        "unknown unit",
    );
}

#[test]
fn set_fixes_a_file_error() {
    // Overrides are applied before validation.
    let s = parse(
        &MINIMAL.replace("tasks = 10", "rate = \"5/s\""),
        &["duration=1s"],
    )
    .expect("valid with --set");
    assert_eq!(s.window.duration, Some(1_000_000_000));
}

// ---------------------------------------------------------------- valid scenarios

const FULL: &str = r#"name = "threads-vs-io"          # output folder name
description = "a thread pool beside an I/O loop"
seed = 42
duration = "30s"
warmup = "0.5s"

[machine]
cores = 4
os_timeslice = "4ms"
sleeper_credit = "6ms"
context_switch = { lognormal = { median = "2us", sigma = 0.25 } }
timer_slack = "50us"

[python]
version = "3.13"
build = "free-threaded"
gil = 1
switch_interval = "2.5ms"
gil_handoff = "random"
free_threaded_overhead = 1.5
thread_rss = "512KiB"

[semaphores]
db = 2
api = 3

[[workload]]
name = "jobs"
tasks = 200
memory = "20MB"
steps = [ { cpu = "10ms" }, { io = { exp = "20ms" } },
          { lock = "db", steps = [ { io = "2ms" }, { lock = "cache", steps = [ { cpu_held = "0.5us" } ] } ] },
          { semaphore = "api", steps = [ { blocking_io = { uniform = ["5ms", "15ms"] } } ] } ]
[workload.run]
model = "threads"

[[workload]]
name = "io"
rate = "200/s"
steps = [ { sleep = { normal = { mean = "10ms", sd = "2ms" } } }, { lock = "cache", steps = [ { cpu_nogil = "1us" } ] } ]
[workload.run]
model = "threads"
workers = "per-task"

[[workload]]
name = "spin"
repeat = "forever"
steps = [ { cpu = "1ms" } ]
"#;

#[test]
fn full_scenario() {
    let s = parse(FULL, &[]).expect("valid scenario");
    assert_eq!(s.path, Path::new(PATH));
    assert_eq!(s.name, "threads-vs-io");
    assert_eq!(s.description, "a thread pool beside an I/O loop");
    assert_eq!(s.seed, 42);
    assert_eq!(s.window.duration, Some(30_000_000_000));
    assert_eq!(s.window.warmup, 500_000_000);
    assert_eq!(s.replications, 1);

    assert_eq!(s.machine.cores, 4);
    assert_eq!(s.machine.os_timeslice, 4_000_000);
    assert_eq!(s.machine.sleeper_credit, 6_000_000);
    assert_eq!(
        s.machine.context_switch,
        Dist::LogNormal {
            median: 2_000,
            sigma: 0.25
        }
    );
    assert_eq!(s.machine.timer_slack, Dist::Const(50_000));
    let defaults = MachineConfig::default();
    assert_eq!(s.machine.wakeup_latency, defaults.wakeup_latency);
    assert_eq!(s.machine.idle_poll_window, defaults.idle_poll_window);

    assert_eq!(s.python.version.to_string(), "3.13");
    assert_eq!(s.python.build, Build::FreeThreaded);
    assert!(s.python.gil_enabled);
    assert_eq!(s.python.switch_interval_us, 2_500);
    assert_eq!(s.python.gil_handoff, Handoff::Random);
    assert_eq!(s.python.free_threaded_overhead, 1.5);
    assert_eq!(s.python.thread_rss, 512 * 1024);
    let python_defaults = PythonConfig::defaults(s.python.version, Build::FreeThreaded);
    assert_eq!(s.python.check_latency, python_defaults.check_latency);
    assert_eq!(s.python.process_rss, python_defaults.process_rss);

    assert_eq!(
        s.semaphores,
        vec![
            SemaphoreDef {
                name: "db".into(),
                capacity: 2
            },
            SemaphoreDef {
                name: "api".into(),
                capacity: 3
            },
        ]
    );
    assert_eq!(s.locks, vec!["db".to_string(), "cache".to_string()]);

    assert_eq!(s.workloads.len(), 3);
    let jobs = &s.workloads[0];
    assert_eq!(jobs.name, "jobs");
    assert_eq!(jobs.arrival, Arrival::Batch(200));
    assert_eq!(jobs.model, Model::Threads);
    assert_eq!(jobs.workers, Workers::Fixed(8), "min(32, cores + 4)");
    assert_eq!(jobs.memory_bytes, 20_000_000);
    assert_eq!(
        jobs.steps,
        vec![
            Step::Cpu(Dist::Const(10_000_000)),
            Step::Io(Dist::Exp { mean: 20_000_000 }),
            Step::Lock {
                lock: 0,
                steps: vec![
                    Step::Io(Dist::Const(2_000_000)),
                    Step::Lock {
                        lock: 1,
                        steps: vec![Step::CpuHeld(Dist::Const(500))]
                    },
                ],
            },
            Step::Semaphore {
                semaphore: 1,
                steps: vec![Step::Io(Dist::Uniform {
                    lo: 5_000_000,
                    hi: 15_000_000
                })],
            },
        ]
    );

    let io = &s.workloads[1];
    assert_eq!(io.arrival, Arrival::Rate(200.0));
    assert_eq!(io.workers, Workers::PerTask);
    assert_eq!(io.memory_bytes, 0);
    assert_eq!(
        io.steps,
        vec![
            Step::Sleep(Dist::Normal {
                mean: 10_000_000,
                sd: 2_000_000
            }),
            Step::Lock {
                lock: 1,
                steps: vec![Step::CpuNogil(Dist::Const(1_000))]
            },
        ]
    );

    let spin = &s.workloads[2];
    assert_eq!(spin.arrival, Arrival::Forever);
    assert_eq!(
        spin.model,
        Model::Sequential,
        "no [workload.run]: sequential"
    );
    assert_eq!(spin.workers, Workers::Fixed(1));
}

#[test]
fn defaults() {
    let s = parse(MINIMAL, &[]).expect("valid scenario");
    assert_eq!(s.description, "");
    assert_eq!(s.seed, 0);
    assert_eq!(s.window.duration, None);
    assert_eq!(s.window.warmup, 0);
    assert_eq!(s.replications, 1);
    assert_eq!(s.machine, MachineConfig::default());
    assert_eq!(s.python, PythonConfig::default());
    assert!(s.semaphores.is_empty());
    assert!(s.locks.is_empty());
    assert_eq!(s.workloads[0].model, Model::Sequential);
    assert_eq!(s.workloads[0].workers, Workers::Fixed(1));
    assert_eq!(
        s.workloads[0].steps,
        vec![Step::Cpu(Dist::Const(1_000_000))]
    );
}

#[test]
fn default_thread_workers_cap_at_32() {
    let s = parse(&format!("{THREADS}\n[machine]\ncores = 64\n"), &[]).expect("valid");
    assert_eq!(s.workloads[0].workers, Workers::Fixed(32));
    let s = parse(THREADS, &[]).expect("valid");
    assert_eq!(s.workloads[0].workers, Workers::Fixed(5), "1 core + 4");
}

#[test]
fn lognormal_with_integer_sigma() {
    let s = parse(
        &with_steps("[ { io = { lognormal = { median = \"10ms\", sigma = 1 } } } ]"),
        &[],
    )
    .expect("valid");
    assert_eq!(
        s.workloads[0].steps,
        vec![Step::Io(Dist::LogNormal {
            median: 10_000_000,
            sigma: 1.0
        })]
    );
}

#[test]
fn switch_interval_rounds_to_whole_microseconds() {
    let source =
        "name = \"t\"\n[python]\nswitch_interval = \"1.49us\"\n".to_string() + &MINIMAL[11..];
    assert_eq!(
        parse(&source, &[])
            .expect("valid")
            .python
            .switch_interval_us,
        1
    );
    let source = source.replace("1.49us", "1.5us");
    assert_eq!(
        parse(&source, &[])
            .expect("valid")
            .python
            .switch_interval_us,
        2
    );
    let source = source.replace("1.5us", "100ns");
    assert_eq!(
        parse(&source, &[])
            .expect("valid")
            .python
            .switch_interval_us,
        1,
        "at least 1 µs"
    );
}

#[test]
fn free_threaded_without_gil() {
    let source = "name = \"t\"\n[python]\nversion = \"3.14\"\nbuild = \"free-threaded\"\n"
        .to_string()
        + &MINIMAL[11..];
    let s = parse(&source, &[]).expect("valid");
    assert!(!s.python.gil_enabled);
    assert_eq!(s.python.free_threaded_overhead, 1.08);
}

// ---------------------------------------------------------------- --set that works

#[test]
fn set_machine_cores_without_a_machine_table() {
    let s = parse(MINIMAL, &["machine.cores=2"]).expect("valid");
    assert_eq!(s.machine.cores, 2);
}

#[test]
fn set_switch_interval_without_a_python_table() {
    let s = parse(MINIMAL, &["python.switch_interval=1ms"]).expect("valid");
    assert_eq!(s.python.switch_interval_us, 1_000);
}

#[test]
fn set_workers_of_a_named_workload() {
    let s = parse(FULL, &["workload.jobs.run.workers=3"]).expect("valid");
    assert_eq!(s.workloads[0].workers, Workers::Fixed(3));
    assert_eq!(
        s.workloads[1].workers,
        Workers::PerTask,
        "other workloads untouched"
    );
}

#[test]
fn set_several_keys_in_order() {
    let s = parse(
        FULL,
        &[
            "machine.cores=2",
            "machine.cores=6",
            "workload.spin.run.model=threads",
            "python.version=3.14",
            "seed=7",
            "workload.io.rate=50/ms",
            "description=a description with spaces",
        ],
    )
    .expect("valid");
    assert_eq!(s.machine.cores, 6, "the last --set wins");
    assert_eq!(s.workloads[2].model, Model::Threads);
    assert_eq!(
        s.workloads[2].workers,
        Workers::Fixed(10),
        "default from the overridden cores"
    );
    assert_eq!(
        s.python.version.to_string(),
        "3.14",
        "an unquoted version is read as written"
    );
    assert_eq!(s.seed, 7);
    assert_eq!(s.workloads[1].arrival, Arrival::Rate(50_000.0));
    assert_eq!(s.description, "a description with spaces");
}

#[test]
fn set_a_whole_array() {
    let s = parse(MINIMAL, &["workload.jobs.steps=[{ io = \"3ms\" }]"]).expect("valid");
    assert_eq!(s.workloads[0].steps, vec![Step::Io(Dist::Const(3_000_000))]);
}

// ---------------------------------------------------------------- the parser never panics

/// When an error has a file position, the rendered text shows the same one.
fn check_consistent(result: Result<Scenario, ScenarioError>) {
    if let Err(e) = result {
        let text = e.to_string();
        if let Some((line, column)) = e.location() {
            assert!(
                text.contains(&format!("{PATH}:{line}:{column}")),
                "location {line}:{column} not in:\n{text}"
            );
        }
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, char),
    Delete(usize),
    Replace(usize, char),
    Duplicate(usize, usize),
}

fn apply(source: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = source.chars().collect();
    for edit in edits {
        let n = chars.len().max(1);
        match *edit {
            Edit::Insert(i, c) => chars.insert(i % (chars.len() + 1), c),
            Edit::Delete(i) if !chars.is_empty() => {
                chars.remove(i % n);
            }
            Edit::Replace(i, c) if !chars.is_empty() => chars[i % n] = c,
            Edit::Duplicate(i, len) if !chars.is_empty() => {
                let start = i % n;
                let end = (start + len).min(chars.len());
                let copy: Vec<char> = chars[start..end].to_vec();
                chars.splice(start..start, copy);
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

fn toml_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::sample::select(vec![
            '"', '\'', '=', '[', ']', '{', '}', ',', '.', '\n', '\r', '\t', ' ', '#', '-', '_',
            '0', '1', '9', 'e', 'm', 's', 'u', 'n', '/', '\\', 'é', '\u{0}', '😀',
        ]),
        any::<char>(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), toml_char()).prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), toml_char()).prop_map(|(i, c)| Edit::Replace(i, c)),
        (any::<usize>(), 0usize..40).prop_map(|(i, n)| Edit::Duplicate(i, n)),
    ]
}

proptest! {
    // PROPTEST_CASES=100000 for a longer hunt.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    #[test]
    fn never_panics_on_arbitrary_text(source in any::<String>()) {
        check_consistent(parse(&source, &[]));
    }

    #[test]
    fn never_panics_on_toml_like_text(source in "[a-z_\\[\\]{}=\", .0-9\\n#-]{0,200}") {
        check_consistent(parse(&source, &[]));
    }

    #[test]
    fn never_panics_on_mutated_scenarios(edits in prop::collection::vec(edit(), 1..8)) {
        check_consistent(parse(&apply(FULL, &edits), &[]));
    }

    #[test]
    fn never_panics_on_arbitrary_overrides(
        key in prop::sample::select(vec![
            "machine.cores", "python.switch_interval", "workload.jobs.run.workers", "workload.io.steps",
            "name", "seed", "duration", "machine", "python.version", "workload.spin.rate", "semaphores.db",
            "workload", "workload.jobs", "x.y.z", "", ".", "workload..a",
        ]),
        value in any::<String>(),
        raw in any::<String>(),
    ) {
        check_consistent(parse(FULL, &[&format!("{key}={value}"), &raw]));
    }
}

// ---------------------------------------------------------------- processes

const PROCESSES: &str = r#"name = "t"

[[workload]]
name = "jobs"
tasks = 10
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "processes"
"#;

#[test]
fn transfer_on_threads() {
    let e = fails(&format!("{THREADS}transfer = \"pickle\"\n"));
    assert_error(
        &e,
        9,
        1,
        Some("workload.jobs.run.transfer"),
        "`transfer` applies to process pools; this workload's model is `threads`",
    );
}

#[test]
fn unknown_start_method() {
    let e = fails(&format!("{PROCESSES}start_method = \"forc\"\n"));
    assert_error(
        &e,
        9,
        16,
        Some("workload.jobs.run.start_method"),
        "unknown start_method \"forc\"",
    );
    assert!(e.to_string().contains("did you mean `fork`?"), "{e}");
}

#[test]
fn unknown_api() {
    let e = fails(&format!("{PROCESSES}api = \"futures\"\n"));
    assert_error(&e, 9, 7, Some("workload.jobs.run.api"), "unknown api");
}

#[test]
fn chunksize_without_a_pool() {
    let e = fails(&format!(
        "{PROCESSES}workers = \"per-task\"\nchunksize = 4\n"
    ));
    assert_error(
        &e,
        10,
        1,
        Some("workload.jobs.run.chunksize"),
        "`chunksize` needs a pool",
    );
}

#[test]
fn zero_chunksize() {
    let e = fails(&format!("{PROCESSES}chunksize = 0\n"));
    assert_error(
        &e,
        9,
        13,
        Some("workload.jobs.run.chunksize"),
        "chunksize must be at least 1",
    );
}

#[test]
fn refused_process_features() {
    let e = fails(&format!("{PROCESSES}transfer = \"mmap\"\n"));
    assert_error(
        &e,
        9,
        12,
        Some("workload.jobs.run.transfer"),
        "unknown transfer \"mmap\"",
    );
    let open_loop = |arrival: &str| {
        PROCESSES
            .replace("tasks = 10", arrival)
            .replace("name = \"t\"\n", "name = \"t\"\nduration = \"1s\"\n")
    };
    assert!(
        parse(
            &format!(
                "{}workers = \"per-task\"\n",
                open_loop("repeat = \"forever\"")
            ),
            &[]
        )
        .is_ok(),
        "a start + join loop: forever on per-task processes"
    );
    assert!(
        parse(&open_loop("rate = \"10/s\""), &[]).is_ok(),
        "rate on a pool"
    );
    assert!(
        parse(&open_loop("repeat = \"forever\""), &[]).is_ok(),
        "forever on a pool"
    );
    let sub = PROCESSES
        .replace("\"processes\"", "\"subinterpreters\"")
        .replace(
            "name = \"t\"\n",
            "name = \"t\"\n[python]\nversion = \"3.14\"\n",
        );
    let e = fails(&format!("{sub}workers = \"per-task\"\n"));
    assert_error(
        &e,
        11,
        11,
        Some("workload.jobs.run.workers"),
        "with model = \"subinterpreters\" is not built yet",
    );
    let e = fails(&format!("{sub}start_method = \"spawn\"\n"));
    assert_error(
        &e,
        11,
        1,
        Some("workload.jobs.run.start_method"),
        "applies to process pools; this workload's model is `subinterpreters`",
    );
}

#[test]
fn payload_sizes_need_a_unit() {
    let e = fails(&PROCESSES.replace("tasks = 10", "tasks = 10\nargs_bytes = 1000"));
    assert_error(
        &e,
        6,
        14,
        Some("workload.jobs.args_bytes"),
        "expected a size with a unit",
    );
}

#[test]
fn processes_parse_with_their_defaults() {
    use gilsim::workload::{ProcessApi, ProcessRun, StartMethod, Transfer};
    let s = parse(
        &PROCESSES.replace(
            "tasks = 10",
            "tasks = 10\nargs_bytes = \"1KB\"\nresult_bytes = \"2KiB\"",
        ),
        &[],
    )
    .unwrap();
    assert_eq!(
        s.workloads[0].model,
        Model::Processes(ProcessRun {
            api: ProcessApi::Pool,
            chunksize: None,
            start_method: StartMethod::Fork,
            args_bytes: 1000,
            result_bytes: 2048,
            transfer: Transfer::Pickle,
        })
    );
    // Pool(): os.cpu_count() workers.
    assert_eq!(s.workloads[0].workers, Workers::Fixed(s.machine.cores));
}

#[test]
fn process_keys_are_ignored_where_a_swept_model_does_not_use_them() {
    let toml = format!(
        "{PROCESSES}start_method = \"spawn\"\nchunksize = 2\n[sweep]\n\"workload.jobs.run.model\" = [\"threads\", \"processes\"]\n"
    );
    let study = gilsim::scenario::parse_study_str(&toml, Path::new(PATH), &[]).unwrap();
    assert_eq!(study.points[0].scenario.workloads[0].model, Model::Threads);
    assert!(matches!(
        study.points[1].scenario.workloads[0].model,
        Model::Processes(_)
    ));
}

#[test]
fn process_costs_are_python_keys() {
    use gilsim::engine::time::MS;
    let s = parse(
        &PROCESSES.replace(
            "name = \"t\"\n",
            "name = \"t\"\n[python]\nspawn_start = \"40ms\"\npickle_ns_per_byte = 1.5\npipe_buffer = \"1MiB\"\n",
        ),
        &[],
    )
    .unwrap();
    assert_eq!(s.python.process.start_child[1], Dist::Const(40 * MS));
    assert_eq!(s.python.process.pickle_ns_per_byte, 1.5);
    assert_eq!(s.python.process.pipe_buffer, 1 << 20);
    let e = fails(&PROCESSES.replace(
        "name = \"t\"\n",
        "name = \"t\"\n[python]\nunpickle_ns_per_byte = -1\n",
    ));
    assert_error(
        &e,
        3,
        24,
        Some("python.unpickle_ns_per_byte"),
        "`unpickle_ns_per_byte` must be at least 0",
    );
    let e = fails(&PROCESSES.replace("name = \"t\"\n", "name = \"t\"\n[python]\nfork_start = 3\n"));
    assert_error(
        &e,
        3,
        14,
        Some("python.fork_start"),
        "expected a duration with a unit",
    );
}
