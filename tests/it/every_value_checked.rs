//! Every value is checked where it is written, and every error of a file is
//! reported at once.
//!
//! A value that a `[sweep]` or a `--set` replaces is never used, but it is
//! still refused at its own line when its type or range is wrong (not for
//! what other keys say of it: the value it is replaced by is what runs).
//! A file with several independent mistakes gets them all, each with
//! file:line:col, key and what was expected, in file order, up to 20 and
//! then how many more; one mistake does not bring follow-up errors.

use std::fs;
use std::path::Path;
use std::process::Command;

use gilsim::scenario::{ScenarioError, Study, parse_study_str};

const PATH: &str = "scenarios/checked.toml";

fn parse(text: &str, sets: &[&str]) -> Result<Study, ScenarioError> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    parse_study_str(text, Path::new(PATH), &sets)
}

#[track_caller]
fn fails(text: &str, sets: &[&str]) -> ScenarioError {
    match parse(text, sets) {
        Ok(s) => panic!("expected an error, got {} points", s.points.len()),
        Err(e) => e,
    }
}

/// Line and 1-based column of the `nth` (from 0) occurrence of `needle`.
fn at(text: &str, needle: &str, nth: usize) -> (usize, usize) {
    let offset = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("no {needle:?} #{nth} in the file"))
        .0;
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

/// Where an error is: its line and column in the file, if it is in the file.
type At = Option<(usize, usize)>;

/// The errors as (location, key, message), in order.
fn listed(e: &ScenarioError) -> Vec<(At, Option<String>, String)> {
    e.errors()
        .iter()
        .map(|d| {
            (
                d.location(),
                d.key().map(str::to_string),
                d.message().to_string(),
            )
        })
        .collect()
}

/// A valid scenario with `[machine]` and `[python]` to put values in.
fn scenario(cores: &str, switch_interval: &str, sweep: &str) -> String {
    format!(
        "name = \"t\"\n\n[machine]\ncores = {cores}\n\n[python]\nswitch_interval = {switch_interval}\n\n\
         [[workload]]\nname = \"jobs\"\ntasks = 4\nsteps = [ {{ cpu = \"1ms\" }} ]\n\
         [workload.run]\nmodel = \"threads\"\nworkers = 2\n\n[sweep]\n{sweep}\n"
    )
}

const SWEEP_CORES: &str = "\"machine.cores\" = [1, 2]";
const SWEEP_SWITCH: &str = "\"python.switch_interval\" = [\"1ms\", \"5ms\"]";

// ------------------------------------------------ values a sweep replaces

#[test]
fn a_swept_value_is_still_checked_at_its_line() {
    for (cores, words) in [
        ("-4", "cores must be at least 1"),
        ("0", "cores must be at least 1"),
        ("\"two\"", "expected an integer, found a string"),
        ("1.5", "expected an integer, found a float"),
        ("5000", "cores must be at most 4096"),
    ] {
        let text = scenario(cores, "\"5ms\"", SWEEP_CORES);
        let e = fails(&text, &[]);
        assert_eq!(e.count(), 1, "{e}");
        assert_eq!(e.location(), Some(at(&text, cores, 0)), "{e}");
        assert_eq!(e.key(), Some("machine.cores"), "{e}");
        assert!(e.message().contains(words), "{cores}: {e}");
    }
    let text = scenario("2", "\"0ms\"", SWEEP_SWITCH);
    let e = fails(&text, &[]);
    assert_eq!(e.location(), Some(at(&text, "\"0ms\"", 0)), "{e}");
    assert_eq!(e.key(), Some("python.switch_interval"));
    assert!(e.to_string().contains("greater than zero"), "{e}");
    let text = scenario("2", "\"5mz\"", SWEEP_SWITCH);
    let e = fails(&text, &[]);
    assert_eq!(e.location(), Some(at(&text, "\"5mz\"", 0)), "{e}");
    assert!(e.to_string().contains("unknown unit \"mz\""), "{e}");
}

#[test]
fn the_same_file_with_good_values_is_accepted() {
    let study = parse(&scenario("8", "\"5ms\"", SWEEP_CORES), &[]).expect("valid");
    assert_eq!(study.points.len(), 2);
    assert_eq!(study.points[1].scenario.machine.cores, 2);
    parse(&scenario("8", "\"5ms\"", SWEEP_SWITCH), &[]).expect("valid");
}

#[test]
fn every_sweep_value_is_checked_at_its_place_in_the_list() {
    let text = scenario("2", "\"5ms\"", "\"machine.cores\" = [1, -2, 4, \"x\"]");
    let e = fails(&text, &[]);
    let list = listed(&e);
    assert_eq!(list.len(), 2, "{e}");
    assert_eq!(list[0].0, Some(at(&text, "-2", 0)), "{e}");
    assert_eq!(list[0].1.as_deref(), Some("machine.cores"));
    assert!(list[0].2.contains("at least 1"), "{e}");
    assert_eq!(list[1].0, Some(at(&text, "\"x\"", 0)), "{e}");
    assert!(list[1].2.contains("expected an integer"), "{e}");
}

/// What a value is refused for together with other keys does not apply to
/// a value that is replaced: the values that replace it are what runs.
#[test]
fn a_swept_value_is_not_refused_for_what_other_keys_say() {
    let text = "name = \"t\"\n[python]\nversion = \"3.11\"\n[[workload]]\nname = \"jobs\"\ntasks = 4\n\
                steps = [ { cpu = \"1ms\" } ]\n[workload.run]\nmodel = \"subinterpreters\"\nworkers = 4\n\
                [sweep]\n\"workload.jobs.run.model\" = [\"threads\", \"processes\"]\n";
    parse(text, &[]).expect("subinterpreters on 3.11 is never run");
    let text = "name = \"t\"\n[[workload]]\nname = \"jobs\"\ntasks = 4\nsteps = [ { cpu = \"1ms\" } ]\n\
                [workload.run]\nmodel = \"sequential\"\nworkers = 4\n\
                [sweep]\n\"workload.jobs.run.workers\" = [1]\n";
    parse(text, &[]).expect("the 4 workers are never run");
}

// ------------------------------------------------ values a --set replaces

#[test]
fn a_value_a_set_replaces_is_still_checked_at_its_line() {
    let text = scenario("-4", "\"5ms\"", "");
    let e = fails(&text, &["machine.cores=2"]);
    assert_eq!(e.count(), 1, "{e}");
    assert_eq!(e.location(), Some(at(&text, "-4", 0)));
    assert_eq!(e.key(), Some("machine.cores"));
    let text = scenario("2", "\"0ms\"", "");
    let e = fails(&text, &["python.switch_interval=1ms"]);
    assert_eq!(e.location(), Some(at(&text, "\"0ms\"", 0)));
    // A whole table replaced: what it held is still checked.
    let text = scenario("2", "\"5ms\"", "").replace("{ cpu = \"1ms\" }", "{ cpu = \"1mz\" }");
    let e = fails(&text, &["workload.jobs.steps=[{cpu=\"2ms\"}]"]);
    assert_eq!(e.location(), Some(at(&text, "\"1mz\"", 0)));
    assert_eq!(e.key(), Some("workload.jobs.steps[0].cpu"));
}

#[test]
fn a_sweep_list_a_set_replaces_or_pins_is_still_checked() {
    let text = scenario("2", "\"5ms\"", "\"machine.cores\" = [1, 0]");
    for set in ["machine.cores=2", "sweep.machine.cores=[1,2]"] {
        let e = fails(&text, &[set]);
        assert_eq!(e.count(), 1, "{set}: {e}");
        assert_eq!(e.location(), Some(at(&text, "0]", 0)), "{set}: {e}");
        assert_eq!(e.key(), Some("machine.cores"), "{set}: {e}");
    }
}

#[test]
fn a_set_value_that_another_set_replaces_is_still_checked() {
    let text = scenario("2", "\"5ms\"", "");
    let e = fails(&text, &["machine.cores=zero", "machine.cores=2"]);
    assert_eq!(e.set_argument(), Some("machine.cores=zero"), "{e}");
    assert_eq!(e.key(), Some("machine.cores"));
}

// ------------------------------------------------ every error at once

/// Independent mistakes in every section, one per line.
const MANY: &str = r#"name = "t"
seed = "x"
duration = 5
colour = "blue"

[machine]
cores = 0
cpus = 4

[python]
switch_interval = "0ms"
gil_handoff = "lifo"

[semaphores]
db = 0

[[workload]]
name = "jobs"
tasks = 0
steps = [ { cpu = "1mz" }, { io = 3 }, { semaphore = "db", steps = [ { sleep = "-1ms" } ] } ]
memory = "lots"
[workload.run]
model = "threads"
workers = -1

[[workload]]
name = "stage"
after = "jobs"
queue = 0
steps = [ { cpu = "1ms" } ]
"#;

#[test]
fn every_independent_error_is_reported_in_file_order() {
    let e = fails(MANY, &[]);
    let got: Vec<(At, Option<String>)> = listed(&e)
        .into_iter()
        .map(|(at, key, _)| (at, key))
        .collect();
    let want: Vec<(&str, usize, &str)> = vec![
        ("\"x\"", 0, "seed"),
        ("5", 0, "duration"),
        ("colour", 0, "colour"),
        ("0\n", 0, "machine.cores"),
        ("cpus", 0, "machine.cpus"),
        ("\"0ms\"", 0, "python.switch_interval"),
        ("\"lifo\"", 0, "python.gil_handoff"),
        ("0\n", 1, "semaphores.db"),
        ("0\n", 2, "workload.jobs.tasks"),
        ("\"1mz\"", 0, "workload.jobs.steps[0].cpu"),
        ("3 }", 0, "workload.jobs.steps[1].io"),
        ("\"-1ms\"", 0, "workload.jobs.steps[2].steps[0].sleep"),
        ("\"lots\"", 0, "workload.jobs.memory"),
        ("-1\n", 0, "workload.jobs.run.workers"),
        ("0\n", 3, "workload.stage.queue"),
    ];
    let want: Vec<(At, Option<String>)> = want
        .into_iter()
        .map(|(needle, nth, key)| (Some(at(MANY, needle, nth)), Some(key.to_string())))
        .collect();
    assert_eq!(got, want, "{e}");
    assert_eq!(e.count(), want.len());
    let text = e.to_string();
    assert!(
        text.ends_with(&format!("error: {} errors in {PATH}", want.len())),
        "{text}"
    );
    // Each one names the file, line and column, and its key.
    for d in e.errors() {
        let (line, column) = d.location().expect("in the file");
        let shown = d.to_string();
        assert!(
            shown.contains(&format!("{PATH}:{line}:{column}")),
            "{shown}"
        );
        assert!(
            shown.contains(&format!("key `{}`", d.key().expect("a key"))),
            "{shown}"
        );

        assert!(text.contains(&shown), "each is in the whole text");
    }
}

#[test]
fn after_twenty_errors_the_others_are_counted() {
    let mut text = String::from("name = \"t\"\n");
    for i in 0..25 {
        text.push_str(&format!("unknown{i} = 1\n"));
    }
    text.push_str("[[workload]]\nname = \"jobs\"\ntasks = 1\nsteps = [ { cpu = \"1ms\" } ]\n");
    let e = fails(&text, &[]);
    assert_eq!(e.count(), 25);
    assert_eq!(e.errors().len(), 20);
    assert_eq!(e.errors()[19].key(), Some("unknown19"));
    let shown = e.to_string();
    assert!(
        shown.ends_with(&format!(
            "error: 25 errors in {PATH}: the first 20 are shown above, and 5 more"
        )),
        "{shown}"
    );
    assert!(!shown.contains("unknown20"), "{shown}");
}

#[test]
fn set_errors_come_first_then_the_file_in_order() {
    let text = scenario("0", "\"5ms\"", "");
    let e = fails(&text, &["python.switch_interval=0ms", "nothing=1"]);
    let list = listed(&e);
    assert_eq!(list.len(), 3, "{e}");
    assert_eq!(list[0].1.as_deref(), Some("python.switch_interval"));
    assert_eq!(list[0].0, None, "in --set: no file position");
    assert_eq!(list[1].1.as_deref(), Some("nothing"));
    assert_eq!(list[2].0, Some(at(&text, "0\n", 0)));
}

#[test]
fn an_error_in_every_point_of_a_sweep_is_reported_once() {
    let text = scenario("2", "\"5ms\"", "\"machine.cores\" = [1, 2, 3, 4]")
        .replace("tasks = 4", "tasks = -4");
    let e = fails(&text, &[]);
    assert_eq!(e.count(), 1, "{e}");
    assert_eq!(e.location(), Some(at(&text, "-4", 0)));
}

/// Once a file has an error, the points of a large sweep are validated
/// until each sweep value has been in one: every value is still checked.
#[test]
fn every_value_of_a_large_sweep_is_checked_once_there_is_an_error() {
    let cores: Vec<String> = (1..=99).map(|c| c.to_string()).collect();
    let workers: Vec<String> = (1..=999).map(|w| w.to_string()).collect();
    let sweep = format!(
        "\"machine.cores\" = [{}, 0]\n\"workload.jobs.run.workers\" = [{}, \"many\"]",
        cores.join(", "),
        workers.join(", ")
    );
    let text = scenario("2", "\"5ms\"", &sweep).replace("tasks = 4", "tasks = -4");
    let e = fails(&text, &[]);
    let list = listed(&e);
    assert_eq!(list.len(), 3, "{e}");
    assert_eq!(list[0].0, Some(at(&text, "-4", 0)));
    assert_eq!(list[1].0, Some(at(&text, "0]", 0)));
    assert_eq!(list[2].0, Some(at(&text, "\"many\"", 0)));
}

#[test]
fn two_bad_charts_are_two_errors() {
    let text = scenario("2", "\"5ms\"", SWEEP_CORES)
        + "\n[[chart]]\nx = \"cores\"\ny = \"speed\"\n\n[[chart]]\nx = \"machine.cores\"\ny = \"throughput_per_s\"\nlog_x = \"yes\"\n";
    let e = fails(&text, &[]);
    let list = listed(&e);
    assert_eq!(list.len(), 2, "{e}");
    assert_eq!(list[0].1.as_deref(), Some("chart[0].y"));
    assert_eq!(list[1].1.as_deref(), Some("chart[1].log_x"));
}

// ------------------------------------------------ no follow-up errors

/// One mistake, one error: what depends on the wrong value is not refused.
#[track_caller]
fn one_error(text: &str, needle: &str, key: &str) {
    let e = fails(text, &[]);
    assert_eq!(e.count(), 1, "expected only the error at {needle:?}:\n{e}");
    assert_eq!(e.location(), Some(at(text, needle, 0)), "{e}");
    assert_eq!(e.key(), Some(key), "{e}");
}

const WORKLOAD: &str = "[[workload]]\nname = \"jobs\"\ntasks = 4\nsteps = [ { cpu = \"1ms\" } ]\n[workload.run]\nmodel = \"threads\"\n";

#[test]
fn a_misspelled_section_does_not_make_its_uses_unknown() {
    let uses = "[[workload]]\nname = \"jobs\"\ntasks = 4\n\
                steps = [ { semaphore = \"db\", steps = [ { io = \"1ms\" } ] }, { wait_event = \"go\" }, { notify = \"ready\" } ]\n\
                [workload.run]\nmodel = \"threads\"\n";
    let text = format!(
        "name = \"t\"\n[semaphore]\ndb = 2\n[events]\ngo = {{}}\n[conditions]\nready = {{}}\n{uses}"
    );
    one_error(&text, "semaphore]", "semaphore");
    let text = format!(
        "name = \"t\"\n[semaphores]\ndb = 2\n[event]\ngo = {{}}\n[conditions]\nready = {{}}\n{uses}"
    );
    one_error(&text, "event]", "event");
    let text = format!(
        "name = \"t\"\n[semaphores]\ndb = 2\n[events]\ngo = {{}}\n[condition]\nready = {{}}\n{uses}"
    );
    one_error(&text, "condition]", "condition");
    // A section that is not a table: what it would declare is not refused.
    let text = format!(
        "name = \"t\"\nsemaphores = 2\n[events]\ngo = {{}}\n[conditions]\nready = {{}}\n{uses}"
    );
    one_error(&text, "2\n", "semaphores");
    // A semaphore with a wrong capacity is still defined.
    let text = format!(
        "name = \"t\"\n[semaphores]\ndb = 0\n[events]\ngo = {{}}\n[conditions]\nready = {{}}\n{uses}"
    );
    one_error(&text, "0\n", "semaphores.db");
}

#[test]
fn a_misspelled_key_is_not_also_missing() {
    one_error(&format!("nmae = \"t\"\n{WORKLOAD}"), "nmae", "nmae");
    one_error(
        "name = \"t\"\n[[workloads]]\nname = \"jobs\"\n",
        "workloads",
        "workloads",
    );
    one_error(
        &format!("name = \"t\"\n{}", WORKLOAD.replace("tasks", "task")),
        "task",
        "workload[0].task",
    );
    one_error(
        &format!("name = \"t\"\n{}", WORKLOAD.replace("steps", "step")),
        "step",
        "workload[0].step",
    );
    one_error(
        &format!("name = \"t\"\n{}", WORKLOAD.replace("model", "modle")),
        "modle",
        "workload.jobs.run.modle",
    );
}

#[test]
fn a_wrong_model_or_version_does_not_refuse_what_depends_on_it() {
    // Steps only asyncio takes, under a model that cannot be read.
    let text = "name = \"t\"\n[events]\ngo = {}\n[[workload]]\nname = \"jobs\"\ntasks = 4\n\
                steps = [ { to_thread = true, steps = [ { cpu_nogil = \"1ms\" } ] }, { wait_event = \"go\" } ]\n\
                [workload.run]\nmodel = \"asyncioo\"\nworkers = \"unlimited\"\n";
    one_error(text, "\"asyncioo\"", "workload.jobs.run.model");
    // A model that needs 3.14, under a version that cannot be read.
    let text = "name = \"t\"\n[python]\nversion = \"3.x\"\nbuild = \"free-threaded\"\n\
                [[workload]]\nname = \"jobs\"\ntasks = 4\nsteps = [ { cpu = \"1ms\" } ]\n\
                [workload.run]\nmodel = \"subinterpreters\"\n";
    one_error(text, "\"3.x\"", "python.version");
    // `gil = 0` under a build that cannot be read.
    let text = format!(
        "name = \"t\"\n[python]\nversion = \"3.13\"\nbuild = \"nogil\"\ngil = 0\n{WORKLOAD}"
    );
    one_error(&text, "\"nogil\"", "python.build");
    // Workers that cannot be read: `repeat` is not refused for lack of them.
    let text = "name = \"t\"\nduration = \"1s\"\n[[workload]]\nname = \"jobs\"\nrepeat = \"forever\"\n\
                steps = [ { sleep = \"1ms\" } ]\n[workload.run]\nmodel = \"asyncio\"\nworkers = 0\n";
    one_error(text, "0\n", "workload.jobs.run.workers");
    // A duration that cannot be read: `rate` is not refused for lack of it.
    let text = format!(
        "name = \"t\"\nduration = \"ten\"\n{}",
        WORKLOAD.replace("tasks = 4", "rate = \"10/s\"")
    );
    one_error(&text, "\"ten\"", "duration");
}

#[test]
fn a_stage_of_a_workload_with_an_error_is_not_refused_for_it() {
    // The upstream's model cannot be read: the link is not checked.
    let text = "name = \"t\"\n[[workload]]\nname = \"jobs\"\ntasks = 4\nsteps = [ { cpu = \"1ms\" } ]\n\
                [workload.run]\nmodel = \"greenlets\"\n\
                [[workload]]\nname = \"stage\"\nafter = \"jobs\"\nsteps = [ { cpu = \"1ms\" } ]\n\
                [workload.run]\nmodel = \"asyncio\"\n";
    one_error(text, "\"greenlets\"", "workload.jobs.run.model");
    // The upstream's name cannot be read: `after` may name it.
    let text = "name = \"t\"\n[[workload]]\nname = \"my jobs\"\ntasks = 4\nsteps = [ { cpu = \"1ms\" } ]\n\
                [[workload]]\nname = \"stage\"\nafter = \"my jobs\"\nsteps = [ { cpu = \"1ms\" } ]\n";
    one_error(text, "\"my jobs\"", "workload[0].name");
}

#[test]
fn a_key_written_where_it_is_not_read_is_not_also_missing() {
    // A misspelled duration: `rate` is not refused for lack of one.
    let text = format!(
        "name = \"t\"\nduraton = \"1s\"\n{}",
        WORKLOAD.replace("tasks = 4", "rate = \"10/s\"")
    );
    one_error(&text, "duraton", "duraton");
    // The version in [machine]: the free-threaded build is not refused for it.
    let text = format!(
        "name = \"t\"\n[machine]\nversion = \"3.13\"\n[python]\nbuild = \"free-threaded\"\n{WORKLOAD}"
    );
    one_error(&text, "version", "machine.version");
    // A misspelled [python]: what its version would allow is not refused.
    let text = format!(
        "name = \"t\"\n[pyhton]\nversion = \"3.14\"\n{}",
        WORKLOAD.replace("\"threads\"", "\"subinterpreters\"")
    );
    one_error(&text, "pyhton", "pyhton");
    // The model outside [workload.run]: its steps are not refused for it.
    let text = "name = \"t\"\n[[workload]]\nname = \"jobs\"\ntasks = 4\nmodel = \"asyncio\"\n\
                steps = [ { to_thread = true, steps = [ { cpu_nogil = \"1ms\" } ] } ]\n";
    one_error(text, "model", "workload[0].model");
    // A misspelled run table, with a sweep of its workers.
    let text = "name = \"t\"\n[[workload]]\nname = \"jobs\"\ntasks = 4\nsteps = [ { cpu = \"1ms\" } ]\n\
                [workload.rnu]\nmodel = \"threads\"\n[sweep]\n\"workload.jobs.run.workers\" = [1, 2]\n";
    one_error(text, "rnu", "workload[0].rnu");
    // Misspelled workers: `repeat` on asyncio is not refused for lack of them.
    let text = "name = \"t\"\nduration = \"1s\"\n[[workload]]\nname = \"jobs\"\nrepeat = \"forever\"\n\
                steps = [ { sleep = \"1ms\" } ]\n[workload.run]\nmodel = \"asyncio\"\nworkres = 2\n";
    one_error(text, "workres", "workload.jobs.run.workres");
    // An event declared in the wrong table: its uses are not refused.
    let text = "name = \"t\"\n[python]\ngo = {}\n[[workload]]\nname = \"jobs\"\ntasks = 4\n\
                steps = [ { wait_event = \"go\" }, { set_event = \"go\" } ]\n";
    one_error(text, "go =", "python.go");
    // A stage without `after` and without tasks: one error, the arrival.
    let text = format!(
        "name = \"t\"\n{}",
        WORKLOAD.replace("tasks = 4", "queue = 4")
    );
    one_error(&text, "[[workload]]", "workload.jobs");
    // An empty workload: one error, not one per missing key.
    let text = format!("name = \"t\"\n[[workload]]\n{WORKLOAD}");
    one_error(&text, "[[workload]]\n", "workload[0]");
}

#[test]
fn a_sweep_key_naming_a_workload_whose_name_is_wrong_is_not_refused() {
    let text = "name = \"t\"\n[[workload]]\nname = \"my jobs\"\ntasks = 4\nsteps = [ { cpu = \"1ms\" } ]\n\
                [sweep]\n\"workload.jobs.tasks\" = [1, 2]\n";
    one_error(text, "\"my jobs\"", "workload[0].name");
    // Alone, it is an error.
    let text = text.replace("my jobs", "work");
    one_error(&text, "jobs.tasks", "workload.jobs.tasks");
}

#[test]
fn a_lock_name_that_holds_the_steps_is_one_error() {
    let text = format!(
        "name = \"t\"\n{}",
        WORKLOAD.replace(
            "{ cpu = \"1ms\" }",
            "{ lock = { steps = [ { io = \"1ms\" } ] } }"
        )
    );
    one_error(&text, "{ steps", "workload.jobs.steps[0].lock");
}

// ------------------------------------------------ through the binary

fn gilsim(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("gilsim runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// The issue's cases, through `gilsim check` and `gilsim run`: exit 2, the
/// file, line and column and the key, nothing written, no abort.
#[test]
fn the_binary_refuses_each_replaced_value_with_exit_2() {
    let cases: Vec<(String, Vec<&str>, &str, &str)> = vec![
        (
            scenario("-4", "\"5ms\"", SWEEP_CORES),
            vec![],
            "-4",
            "machine.cores",
        ),
        (
            scenario("0", "\"5ms\"", SWEEP_CORES),
            vec![],
            "0\n",
            "machine.cores",
        ),
        (
            scenario("\"two\"", "\"5ms\"", SWEEP_CORES),
            vec![],
            "\"two\"",
            "machine.cores",
        ),
        (
            scenario("2", "\"0ms\"", SWEEP_SWITCH),
            vec![],
            "\"0ms\"",
            "python.switch_interval",
        ),
        (
            scenario("-4", "\"5ms\"", ""),
            vec!["--set", "machine.cores=2"],
            "-4",
            "machine.cores",
        ),
        (
            scenario("2", "\"5ms\"", "\"machine.cores\" = [1, 0]"),
            vec!["--set", "machine.cores=2"],
            "0]",
            "machine.cores",
        ),
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    for (text, sets, needle, key) in cases {
        fs::write(dir.path().join("bad.toml"), &text).expect("write");
        let (line, column) = at(&text, needle, 0);
        for command in ["check", "run"] {
            let mut args = vec![command, "bad.toml", "--quiet"];
            if command == "check" {
                args.pop();
            }
            args.extend(&sets);
            let (code, stderr) = gilsim(dir.path(), &args);
            assert_eq!(code, Some(2), "{command} {sets:?}: {stderr}");
            assert!(
                stderr.contains(&format!("bad.toml:{line}:{column}")),
                "{command}: no bad.toml:{line}:{column} in:\n{stderr}"
            );
            assert!(stderr.contains(&format!("key `{key}`")), "{stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
        assert!(!dir.path().join("output").exists(), "nothing written");
    }
}

#[test]
fn the_binary_shows_every_error_of_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("many.toml"), MANY).expect("write");
    for command in ["check", "run"] {
        let (code, stderr) = gilsim(dir.path(), &[command, "many.toml"]);
        assert_eq!(code, Some(2), "{stderr}");
        assert_eq!(stderr.matches("\nerror: ").count() + 1, 16, "{stderr}");
        for needle in [
            "many.toml:2:8",
            "many.toml:7:9",
            "many.toml:20:19",
            "many.toml:29:9",
        ] {
            assert!(stderr.contains(needle), "no {needle} in:\n{stderr}");
        }
        assert!(
            stderr.trim_end().ends_with("error: 15 errors in many.toml"),
            "{stderr}"
        );
    }
}
