//! `{ repeat = N, steps = [...] }` and an optional `name` on any step.

use std::path::Path;

use crate::common::{scenario, simulate};
use gilsim::scenario::parse_str;
use gilsim::simulation::{RunError, RunOptions, run};

fn with_steps(steps: &str) -> String {
    format!(
        "name = \"steps\"\nseed = 3\n[machine]\ncores = 2\n[[workload]]\nname = \"jobs\"\ntasks = 6\n\
         steps = {steps}\n[workload.run]\nmodel = \"threads\"\nworkers = 2\n"
    )
}

#[test]
fn a_repeat_runs_exactly_like_its_steps_written_out() {
    let body = "{ cpu = { exp = \"1ms\" } }, { io = { exp = \"2ms\" } }";
    let repeated = simulate(&scenario(&with_steps(&format!(
        "[ {{ repeat = 4, steps = [ {body} ] }} ]"
    ))));
    let written = simulate(&scenario(&with_steps(&format!(
        "[ {body}, {body}, {body}, {body} ]"
    ))));
    assert_eq!(repeated.workloads, written.workloads);
    assert_eq!(repeated.events, written.events);
    let once = simulate(&scenario(&with_steps(&format!("[ {body} ]"))));
    assert!(
        repeated.end > 2 * once.end,
        "four rounds take longer than one"
    );
}

#[test]
fn a_name_changes_nothing_but_is_named_in_a_deadlock() {
    let plain = simulate(&scenario(&with_steps(
        "[ { io = \"2ms\" }, { cpu = \"1ms\" } ]",
    )));
    let named = simulate(&scenario(&with_steps(
        "[ { name = \"fetch\", io = \"2ms\" }, { name = \"parse\", cpu = \"1ms\" } ]",
    )));
    assert_eq!(plain.workloads, named.workloads);

    let s = scenario(&with_steps(
        "[ { name = \"outer\", lock = \"x\", steps = [ { name = \"inner\", lock = \"x\", steps = [ { cpu = \"1ms\" } ] } ] } ]",
    ));
    let Err(RunError::Deadlock(d)) = run(&s, s.seed, RunOptions::default()) else {
        panic!("a lock taken twice deadlocks");
    };
    // The holder waits at the inner lock; the other thread at the outer one.
    for step in ["inner", "outer"] {
        assert!(
            d.blocked
                .iter()
                .any(|l| l.contains("waits for lock `x` held by thread")
                    && l.ends_with(&format!("in step `{step}`"))),
            "{:?}",
            d.blocked
        );
    }
}

fn refused(steps: &str) -> String {
    match parse_str(&with_steps(steps), Path::new("test.toml"), &[]) {
        Ok(_) => panic!("accepted {steps}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_repeats_and_names_are_refused_at_their_key() {
    let e = refused("[ { repeat = 0, steps = [ { cpu = \"1ms\" } ] } ]");
    assert!(
        e.contains("test.toml:8:") && e.contains("steps[0].repeat"),
        "{e}"
    );
    let e = refused("[ { repeat = 3 } ]");
    assert!(e.contains("a `repeat` step needs `steps` beside it"), "{e}");
    let e = refused(
        "[ { repeat = 1000, steps = [ { repeat = 1000, steps = [ { cpu = \"1ms\" }, { io = \"1ms\" } ] } ] } ]",
    );
    assert!(e.contains("unrolls to 2000000 operations"), "{e}");
    let e = refused("[ { repeat = 2, cpu = \"1ms\", steps = [ { cpu = \"1ms\" } ] } ]");
    assert!(e.contains("unknown key `cpu` in a `repeat` step"), "{e}");
    let e = refused("[ { name = 3, cpu = \"1ms\" } ]");
    assert!(e.contains("the step's name"), "{e}");
    let e = refused("[ { name = \"lonely\" } ]");
    assert!(e.contains("empty step"), "{e}");
}
