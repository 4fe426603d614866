//! Timelines of process models: one GIL lane per interpreter, each thread
//! lane in its process's interpreter, and a worker process's GIL held only
//! by that process's threads.

use crate::common::*;

use std::collections::BTreeMap;

#[test]
fn each_process_gets_its_gil_lane_and_its_threads() {
    for api in ["pool", "executor"] {
        let s = scenario_with(
            r#"
name = "proc-trace"
seed = 6
[machine]
cores = 2
[[workload]]
name = "jobs"
tasks = 24
args_bytes = "10KB"
steps = [ { cpu = "2ms" }, { io = "1ms" } ]
[workload.run]
model = "processes"
workers = 3
start_method = "forkserver"
"#,
            &[&format!("workload.jobs.run.api={api}")],
        );
        let o = simulate_traced(&s, 0, u64::MAX);
        assert_timeline_invariants(&s, &o);
        let t = o.timeline.as_ref().expect("timeline");
        // Main interpreter, the forkserver, three workers.
        assert_eq!(t.gils.len(), 5, "{api}");
        let interp: BTreeMap<usize, usize> =
            t.threads.iter().map(|l| (l.tid, l.interpreter)).collect();
        for g in &t.gils {
            for iv in &g.intervals {
                assert_eq!(
                    interp[&iv.what], g.interpreter,
                    "{api}: a foreign GIL holder"
                );
            }
        }
        let workers = t
            .threads
            .iter()
            .filter(|l| l.label.starts_with("jobs/process-"))
            .count();
        assert_eq!(workers, 3, "{api}");
        let parent: Vec<&str> = t
            .threads
            .iter()
            .filter(|l| l.interpreter == 0)
            .map(|l| l.label.as_str())
            .collect();
        let expected: &[&str] = if api == "pool" {
            &["jobs/main", "jobs/task-handler", "jobs/result-handler"]
        } else {
            &["jobs/main", "jobs/manager", "jobs/feeder"]
        };
        assert_eq!(parent, expected, "{api}");
    }
}

#[test]
fn the_chrome_trace_has_a_process_per_interpreter() {
    let s = scenario(
        r#"
name = "proc-chrome"
seed = 6
[machine]
cores = 2
[[workload]]
name = "jobs"
tasks = 8
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "processes"
workers = 2
"#,
    );
    let o = simulate_traced(&s, 0, u64::MAX);
    let t = o.timeline.as_ref().expect("timeline");
    let json: serde_json::Value =
        serde_json::from_slice(&gilsim::report::trace::chrome_trace(t, &s.name)).expect("JSON");
    let events = json
        .get("traceEvents")
        .and_then(|e| e.as_array())
        .expect("traceEvents");
    let mut pids = std::collections::BTreeSet::new();
    for e in events {
        if e.get("name").and_then(|n| n.as_str()) == Some("process_name") {
            pids.insert(e["pid"].as_u64().expect("pid"));
        }
    }
    for g in &t.gils {
        let pid = gilsim::report::trace::interpreter_pid(g.interpreter) as u64;
        assert!(
            pids.contains(&pid),
            "no process for interpreter {}",
            g.interpreter
        );
    }
    assert_eq!(t.gils.len(), 3);
}
