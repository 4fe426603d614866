//! Unlocked updates of `[shared]` variables (docs/MODEL.md#shared-state):
//! which Python versions lose updates, what a lock or an atomic call
//! changes, the free-threaded build, the counts' own law, and the file
//! errors of `[shared]` and `update` steps.

use std::path::Path;

use crate::common::{row, scenario, simulate, simulate_traced};
use gilsim::results::SharedResult;
use gilsim::results::timeline::MarkKind;
use gilsim::scenario::parse_str;

/// `threads` threads, each `times` updates of `counter` (`step` around
/// them), on `cores` cores with Python `version` and `extra` [python] keys.
fn counter(version: &str, threads: u32, cores: u32, step: &str, extra: &str) -> String {
    format!(
        "name = \"races\"\nseed = 7\n[machine]\ncores = {cores}\n[python]\nversion = \"{version}\"\n{extra}\n\
         [shared]\ncounter = 0\n[[workload]]\nname = \"count\"\ntasks = {threads}\n\
         steps = [ {step} ]\n[workload.run]\nmodel = \"threads\"\nworkers = \"per-task\"\n"
    )
}

const IADD: &str = "{ update = \"counter\", kind = \"iadd\", times = 400000 }";

fn shared(toml: &str) -> SharedResult {
    let o = simulate(&scenario(toml));
    row(&o, "count")
        .shared
        .expect("the workload updates `counter`")
}

#[test]
fn a_bare_increment_loses_updates_before_3_10_only() {
    for cores in [1, 2] {
        let old = shared(&counter("3.8", 2, cores, IADD, ""));
        assert_eq!(old.updates, 800_000, "every update is made, lost or not");
        let f = old.lost_fraction().unwrap();
        assert!(
            (0.1..0.6).contains(&f),
            "3.8 on {cores} core(s) lost {f:.3} of the updates; the real median is about 0.3"
        );
        for version in ["3.10", "3.11", "3.12", "3.13"] {
            let new = shared(&counter(version, 2, cores, IADD, ""));
            assert_eq!((new.lost, new.final_value), (0, 800_000), "{version}");
        }
    }
}

#[test]
fn more_threads_lose_more() {
    let two = shared(&counter("3.9", 2, 1, IADD, "switch_interval = \"0.1ms\""));
    let four = shared(&counter("3.9", 4, 1, IADD, "switch_interval = \"0.1ms\""));
    assert!(
        four.lost_fraction() > two.lost_fraction(),
        "4 threads lost {:?}, 2 threads {:?}",
        four.lost_fraction(),
        two.lost_fraction()
    );
}

#[test]
fn a_python_hash_loses_updates_on_every_version() {
    let step = "{ update = \"counter\", kind = \"dict_rmw_pyhash\", times = 400000 }";
    for version in ["3.8", "3.12"] {
        let r = shared(&counter(version, 2, 2, step, "switch_interval = \"0.1ms\""));
        assert!(r.lost > 0, "{version}: {r:?}");
    }
    let plain = "{ update = \"counter\", kind = \"dict_rmw\", times = 100000 }";
    assert_eq!(shared(&counter("3.12", 2, 1, plain, "")).lost, 0);
}

#[test]
fn a_lock_or_one_c_call_loses_nothing() {
    let locked = format!("{{ lock = \"guard\", steps = [ {IADD} ] }}");
    let r = shared(&counter(
        "3.8",
        4,
        2,
        &locked,
        "switch_interval = \"0.1ms\"",
    ));
    assert_eq!((r.lost, r.final_value), (0, 1_600_000));
    for kind in ["append", "setitem"] {
        let step = format!("{{ update = \"counter\", kind = \"{kind}\", times = 400000 }}");
        assert_eq!(shared(&counter("3.8", 4, 2, &step, "")).lost, 0, "{kind}");
    }
}

#[test]
fn the_free_threaded_build_loses_updates_side_by_side() {
    let ft = "build = \"free-threaded\"";
    let two_cores = shared(&counter("3.13", 2, 2, IADD, ft));
    assert!(two_cores.lost > 0, "{two_cores:?}");
    assert!(two_cores.lost_fraction().unwrap() < 0.9);
    // One core: no two updates run at the same time (OS preemption inside
    // an update is not modelled).
    assert_eq!(shared(&counter("3.13", 2, 1, IADD, ft)).lost, 0);
    let append = "{ update = \"counter\", kind = \"append\", times = 400000 }";
    assert_eq!(
        shared(&counter("3.13", 2, 2, append, ft)).lost,
        0,
        "per-object lock"
    );
}

#[test]
fn the_counts_add_up_and_lost_writes_are_marked() {
    let s = scenario(&counter("3.8", 3, 1, IADD, "switch_interval = \"1ms\""));
    let o = simulate_traced(&s, 0, u64::MAX);
    let r = row(&o, "count").shared.unwrap();
    assert_eq!(r.expected, i128::from(r.updates));
    assert_eq!(r.final_value + r.lost, r.expected);
    let t = o.timeline.as_ref().expect("a timeline was recorded");
    let marks = t
        .marks
        .iter()
        .filter(|m| m.kind == MarkKind::LostUpdate)
        .count();
    assert!(r.lost > 0 && marks > 0, "{r:?}, {marks} marks");
}

fn refused(toml: &str) -> String {
    match parse_str(toml, Path::new("test.toml"), &[]) {
        Ok(_) => panic!("accepted:\n{toml}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn an_undeclared_or_twice_declared_variable_is_refused_at_its_line() {
    let undeclared = counter("3.8", 2, 1, "{ update = \"count\" }", "");
    let e = refused(&undeclared);
    assert!(
        e.contains("unknown shared variable `count`") && e.contains("test.toml:13:"),
        "{e}"
    );
    assert!(e.contains("did you mean `counter`?"), "{e}");
    let twice = undeclared.replace("counter = 0\n", "counter = 0\ncounter = 1\n");
    let e = refused(&twice);
    assert!(
        e.contains("test.toml:10:") && e.contains("duplicate key"),
        "{e}"
    );
}

#[test]
fn updates_need_threads_of_one_interpreter() {
    let toml = counter("3.12", 2, 1, IADD, "")
        .replace("workers = \"per-task\"", "workers = 2")
        .replace("model = \"threads\"", "model = \"processes\"");
    let e = refused(&toml);
    assert!(
        e.contains("`update` steps need threads of one interpreter"),
        "{e}"
    );
    let e = refused(&counter(
        "3.12",
        2,
        1,
        "{ update = \"counter\", kind = \"iad\", times = 0 }",
        "",
    ));
    assert!(
        e.contains("did you mean `iadd`?") && e.contains("times"),
        "{e}"
    );
    let e = refused(&counter(
        "3.12",
        2,
        1,
        "{ update = \"counter\", cpu = \"1ms\" }",
        "",
    ));
    assert!(e.contains("unknown key `cpu` in an `update` step"), "{e}");
    let e = refused(&counter("3.12", 2, 1, IADD, "").replace("counter = 0", "counter = \"zero\""));
    assert!(
        e.contains("shared.counter") && e.contains("an integer"),
        "{e}"
    );
}

#[test]
fn an_update_loop_on_a_free_threaded_build_is_python_in_the_timeline() {
    use gilsim::results::timeline::ThreadState;
    let s = scenario(&counter("3.13", 2, 2, IADD, "build = \"free-threaded\""));
    let o = simulate_traced(&s, 0, u64::MAX);
    let t = o.timeline.as_ref().expect("a timeline was recorded");
    let time_in = |state: ThreadState| -> u64 {
        t.threads
            .iter()
            .flat_map(|l| &l.intervals)
            .filter(|iv| iv.what == state)
            .map(|iv| iv.end - iv.start)
            .sum()
    };
    let python = time_in(ThreadState::Running);
    let nogil = time_in(ThreadState::RunningNogil);
    assert!(
        python > 10 * nogil,
        "update loops ran {python} ns as Python, {nogil} ns as C without the GIL"
    );
}
