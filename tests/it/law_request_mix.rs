//! Law: a `one_of` step draws one branch per task by weight, and results
//! report each branch. A 1-in-100 heavy request inside one pool shows in
//! its branch's latency and raises the other requests' p99 above what the
//! same pool gives them without it.

use crate::common::*;
use gilsim::results::WorkloadResult;
use gilsim::simulation::{RunOptions, RunOutput, run};

fn service(model: &str, heavy: &str) -> String {
    let workers = match model {
        "threads" | "processes" => "workers = 4",
        _ => "",
    };
    format!(
        r#"
name = "mix"
seed = 11
duration = "20s"
[machine]
cores = 2
[[workload]]
name = "api"
rate = "50/s"
steps = [
  {{ io = "2ms" }},
  {{ one_of = [
    {{ weight = 99, name = "light", steps = [ {{ cpu = "2ms" }} ] }},
    {{ weight = 1, name = "report", steps = [ {{ cpu = "{heavy}" }} ] }},
  ] }},
  {{ io = "1ms" }},
]
[workload.run]
model = "{model}"
{workers}
"#
    )
}

fn once(toml: &str) -> RunOutput {
    let s = scenario(toml);
    run(&s, s.seed, RunOptions::default()).expect("no deadlock")
}

fn branch<'a>(r: &'a WorkloadResult, label: &str) -> &'a gilsim::results::BranchResult {
    r.branches
        .iter()
        .find(|b| b.label == label)
        .unwrap_or_else(|| panic!("no branch {label}: {r:?}"))
}

#[test]
fn a_heavy_request_in_one_pool_shows_in_its_branch_and_in_the_others_p99() {
    for model in ["threads", "asyncio", "sequential", "processes"] {
        let mixed = once(&service(model, "200ms"));
        let plain = once(&service(model, "2ms"));
        let (m, p) = (row(&mixed, "api"), row(&plain, "api"));
        let (light, report) = (branch(m, "light"), branch(m, "report"));
        let base = branch(p, "light");
        println!(
            "{model}: light p99 {:.1} ms with the report, {:.1} ms without; report p50 {:.1} ms over {} tasks, light {}",
            light.latency_ms.unwrap()[3],
            base.latency_ms.unwrap()[3],
            report.latency_ms.unwrap()[1],
            report.tasks_completed,
            light.tasks_completed
        );
        // Every completed task is in one branch.
        assert_eq!(
            light.tasks_completed + report.tasks_completed,
            m.tasks_completed
        );
        assert_eq!(m.branches.len(), 2);
        // About 1 in 100 (binomial over ~1,000 tasks: 2..25 reports).
        assert!(
            (2..=25).contains(&report.tasks_completed),
            "{model}: {} reports in {}",
            report.tasks_completed,
            m.tasks_completed
        );
        // The report's latency holds its 200 ms of CPU; the light one's does not.
        assert!(report.latency_ms.unwrap()[1] >= 200.0, "{report:?}");
        assert!(light.latency_ms.unwrap()[1] < 50.0, "{light:?}");
        // The others' p99: raised by the heavy requests sharing their pool
        // (the GIL, the loop, the sequential worker), except where each
        // report has a process and a core of its own most of the time.
        if model != "processes" {
            assert!(
                light.latency_ms.unwrap()[3] > 2.0 * base.latency_ms.unwrap()[3],
                "{model}: light p99 {:?} against {:?}",
                light.latency_ms,
                base.latency_ms
            );
        }
    }
}

#[test]
fn branches_are_drawn_by_weight() {
    let toml = r#"
name = "weights"
seed = 2
[[workload]]
name = "jobs"
tasks = 4000
steps = [ { one_of = [ { weight = 3, steps = [ { cpu = "10us" } ] }, { weight = 1, steps = [ { io = "10us" } ] } ] } ]
[workload.run]
model = "threads"
workers = 2
"#;
    let o = once(toml);
    let r = row(&o, "jobs");
    let labels: Vec<&str> = r.branches.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(labels, ["1", "2"], "unnamed branches are numbered from 1");
    let second = r.branches[1].tasks_completed as f64 / 4000.0;
    // 1 in 4, ±3σ of a binomial over 4,000 draws.
    assert!((second - 0.25).abs() < 0.021, "{second}");
    assert_eq!(
        r.branches[0].tasks_completed + r.branches[1].tasks_completed,
        4000
    );
}

#[test]
fn the_kth_task_takes_the_same_branch_whatever_the_steps_take() {
    // The branch of a task is drawn from its own sub-stream (its arrival
    // order): slower steps change the order tasks reach their `one_of`,
    // not which branch each takes.
    for model in ["threads", "asyncio", "sequential", "processes"] {
        let counts = |cpu: &str| {
            let toml = service(model, cpu)
                .replace("rate = \"50/s\"", "tasks = 300")
                .replace("duration = \"20s\"", "");
            let o = once(&toml);
            let r = row(&o, "api");
            assert_eq!(r.tasks_completed, 300, "{model}: {r:?}");
            r.branches
                .iter()
                .map(|b| b.tasks_completed)
                .collect::<Vec<_>>()
        };
        let (heavy, light) = (counts("200ms"), counts("1ms"));
        assert_eq!(heavy, light, "{model}");
        assert!(heavy[1] > 0, "{model}: {heavy:?}");
    }
}

#[test]
fn a_one_of_is_refused_where_a_task_could_take_several() {
    for (steps, what) in [
        (
            r#"[ { repeat = 2, steps = [ { one_of = [ { weight = 1, steps = [ { cpu = "1ms" } ] } ] } ] } ]"#,
            "inside a `repeat`",
        ),
        (
            r#"[ { one_of = [ { weight = 1, steps = [ { cpu = "1ms" } ] } ] }, { one_of = [ { weight = 1, steps = [ { cpu = "1ms" } ] } ] } ]"#,
            "more than one `one_of`",
        ),
        (
            r#"[ { one_of = [ { weight = 0, steps = [ { cpu = "1ms" } ] } ] } ]"#,
            "weight",
        ),
        (
            r#"[ { one_of = [ { weight = 1, name = "a", steps = [ { cpu = "1ms" } ] }, { weight = 1, name = "a", steps = [ { cpu = "1ms" } ] } ] } ]"#,
            "two branches are named `a`",
        ),
        (
            r#"[ { one_of = [ { weight = 1, stepz = [ { cpu = "1ms" } ] } ] } ]"#,
            "unknown key `stepz`",
        ),
    ] {
        let toml = format!(
            "name = \"bad\"\n[[workload]]\nname = \"w\"\ntasks = 1\nsteps = {steps}\n[workload.run]\nmodel = \"threads\"\nworkers = 1\n"
        );
        let err = gilsim::scenario::parse_str(&toml, std::path::Path::new("bad.toml"), &[])
            .expect_err(what)
            .to_string();
        assert!(err.contains(what), "{what}: {err}");
        assert!(err.contains("bad.toml:"), "names the file and line: {err}");
    }
}
