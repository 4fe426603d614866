//! Tasks in `trace.json`: each task a span on the threads that worked on
//! it, its steps nested inside under their names, and flow events that walk
//! it across threads, processes and pipeline stages.

use crate::chrome_trace::{check, timeline_with};

use gilsim::report::trace::chrome_trace;
use serde_json::Value;

/// The checked events of the whole run's trace.
fn events(toml: &str) -> Vec<Value> {
    let t = timeline_with(toml, &[], 0, u64::MAX);
    check(&t, &chrome_trace(&t, "test"))
}

fn track(e: &Value) -> (u64, u64) {
    (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap())
}

fn f(e: &Value, key: &str) -> f64 {
    e[key].as_f64().unwrap()
}

/// The task spans that carry task `id`, in time order.
fn spans_of(events: &[Value], id: u64) -> Vec<&Value> {
    let mut v: Vec<&Value> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "task")
        .filter(|e| {
            e["args"]["task"].as_u64() == Some(id)
                || e["args"]["tasks"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x.as_u64() == Some(id)))
        })
        .collect();
    v.sort_by(|a, b| f(a, "ts").total_cmp(&f(b, "ts")));
    v
}

/// The steps nested in `span`, in time order.
fn steps_in<'a>(events: &'a [Value], span: &Value) -> Vec<&'a Value> {
    let (a, b) = (f(span, "ts"), f(span, "ts") + f(span, "dur"));
    let mut v: Vec<&Value> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "step" && track(e) == track(span))
        .filter(|e| f(e, "ts") >= a && f(e, "ts") + f(e, "dur") <= b + 1e-6)
        .collect();
    v.sort_by(|x, y| f(x, "ts").total_cmp(&f(y, "ts")));
    v
}

/// The (from, to) tracks of the flows of task `id`, in time order.
fn flows_of(events: &[Value], id: u64) -> Vec<((u64, u64), (u64, u64))> {
    let name = format!("task {id}");
    let mut ends: Vec<&Value> = events
        .iter()
        .filter(|e| e["cat"] == "flow" && e["name"] == name.as_str())
        .collect();
    ends.sort_by_key(|e| (e["id"].as_u64(), e["ph"] == "f"));
    ends.chunks(2).map(|p| (track(p[0]), track(p[1]))).collect()
}

#[test]
fn a_thread_pools_tasks_are_spans_with_their_named_steps() {
    let events = events(
        r#"
name = "t"
[machine]
cores = 2
[[workload]]
name = "jobs"
tasks = 6
steps = [ { name = "parse", cpu = "2ms" }, { io = "3ms" }, { name = "store", cpu = "1ms" } ]
[workload.run]
model = "threads"
workers = 2
"#,
    );
    for id in 0..6 {
        let spans = spans_of(&events, id);
        assert_eq!(spans.len(), 1, "task {id}: {spans:?}");
        let span = spans[0];
        assert_eq!(span["name"], format!("task {id}").as_str());
        assert_eq!(span["args"]["workload"], "jobs");
        let steps = steps_in(&events, span);
        let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["parse", "io", "store"], "task {id}");
        // A step lasts at least its duration (plus any wait for the GIL).
        for (step, us) in steps.iter().zip([2000.0, 3000.0, 1000.0]) {
            assert!(f(step, "dur") >= us, "{step}");
        }
        assert!(flows_of(&events, id).is_empty(), "one thread, no flow");
    }
    // Two workers: the third task waits for the first to finish.
    let t0 = spans_of(&events, 0)[0];
    let t2 = spans_of(&events, 2)[0];
    assert!(f(t2, "ts") >= f(t0, "ts") + f(t0, "dur") - 1e-6);
}

#[test]
fn a_process_pools_task_is_followed_from_the_parent_to_a_worker_and_back() {
    let events = events(
        r#"
name = "t"
[machine]
cores = 2
[[workload]]
name = "jobs"
tasks = 4
args_bytes = "1KiB"
result_bytes = "1KiB"
steps = [ { cpu = "5ms" } ]
[workload.run]
model = "processes"
workers = 2
chunksize = 1
"#,
    );
    let main_pid = 2;
    for id in 0..4 {
        let spans = spans_of(&events, id);
        let program: Vec<&&Value> = spans
            .iter()
            .filter(|s| s["name"] == format!("task {id}").as_str())
            .collect();
        assert_eq!(program.len(), 1, "task {id} runs once: {spans:?}");
        assert_ne!(track(program[0]).0, main_pid, "in a worker process");
        // The parent's task handler sends it, the result handler receives it.
        let first = spans.first().unwrap();
        let last = spans.last().unwrap();
        assert_eq!(track(first).0, main_pid, "{first}");
        assert_eq!(track(last).0, main_pid, "{last}");
        // One flow per change of thread, in order, crossing into the worker
        // process and back.
        let flows = flows_of(&events, id);
        let changes = spans
            .windows(2)
            .filter(|p| track(p[0]) != track(p[1]))
            .count();
        assert_eq!(flows.len(), changes, "task {id}");
        assert!(flows.len() >= 2);
        assert!(
            flows
                .iter()
                .any(|(a, b)| a.0 == main_pid && b.0 != main_pid)
        );
        assert!(
            flows
                .iter()
                .any(|(a, b)| a.0 != main_pid && b.0 == main_pid)
        );
    }
}

#[test]
fn a_pipeline_item_keeps_its_tasks_id_downstream() {
    let events = events(
        r#"
name = "t"
[machine]
cores = 2
[[workload]]
name = "fetch"
tasks = 3
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "threads"
workers = 1
[[workload]]
name = "store"
after = "fetch"
steps = [ { name = "write", io = "2ms" } ]
[workload.run]
model = "threads"
workers = 1
"#,
    );
    for id in 0..3 {
        let spans = spans_of(&events, id);
        let workloads: Vec<&str> = spans
            .iter()
            .map(|s| s["args"]["workload"].as_str().unwrap())
            .collect();
        assert_eq!(workloads, ["fetch", "store"], "task {id}");
        assert_eq!(
            flows_of(&events, id),
            vec![(track(spans[0]), track(spans[1]))]
        );
        let names: Vec<&str> = steps_in(&events, spans[1])
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"write"), "{names:?}");
    }
}

#[test]
fn a_to_thread_body_runs_on_an_executor_thread_between_two_loop_spans() {
    let events = events(
        r#"
name = "t"
[machine]
cores = 2
[[workload]]
name = "api"
tasks = 2
steps = [ { cpu = "1ms" }, { to_thread = true, steps = [ { name = "hash", cpu_nogil = "4ms" } ] }, { cpu = "1ms" } ]
[workload.run]
model = "asyncio"
"#,
    );
    for id in 0..2 {
        let spans = spans_of(&events, id);
        assert!(spans.len() >= 3, "task {id}: {spans:?}");
        let tracks: Vec<(u64, u64)> = spans.iter().map(|s| track(s)).collect();
        let executor = spans
            .iter()
            .find(|s| steps_in(&events, s).iter().any(|x| x["name"] == "hash"))
            .expect("the to_thread body's span");
        assert_ne!(track(executor), tracks[0], "not on the loop thread");
        assert_eq!(tracks[0], *tracks.last().unwrap(), "back on the loop");
        let flows = flows_of(&events, id);
        assert!(flows.contains(&(tracks[0], track(executor))), "{flows:?}");
        assert!(flows.contains(&(track(executor), tracks[0])), "{flows:?}");
    }
}

#[test]
fn the_timeline_chart_names_a_tasks_steps_where_they_fit() {
    let toml = r#"
name = "t"
[machine]
cores = 2
[[workload]]
name = "jobs"
tasks = 3
steps = [ { name = "parse", cpu = "20ms" }, { io = "30ms" }, { name = "store", cpu = "10ms" } ]
[workload.run]
model = "threads"
workers = 3
"#;
    let t = timeline_with(toml, &[], 0, u64::MAX);
    let svg = gilsim::report::gantt::render_svg(&t, "t").expect("an SVG");
    let texts: Vec<&str> = svg.lines().map(str::trim).collect();
    for label in [
        "task 0 · parse",
        "task 1 · parse",
        "task 2 · parse",
        "io",
        "store",
    ] {
        assert!(texts.contains(&label), "no {label} in the timeline");
    }
}

#[test]
fn a_task_span_names_the_one_of_branch_its_task_took() {
    let events = events(
        r#"
name = "t"
[machine]
cores = 2
[[workload]]
name = "api"
tasks = 20
steps = [ { cpu = "1ms" }, { one_of = [ { weight = 1, name = "light", steps = [ { io = "1ms" } ] }, { weight = 1, name = "report", steps = [ { name = "render", cpu = "5ms" } ] } ] } ]
[workload.run]
model = "threads"
workers = 2
"#,
    );
    let mut seen = std::collections::BTreeSet::new();
    for id in 0..20 {
        let span = spans_of(&events, id)[0];
        let branch = span["args"]["branch"].as_str().expect("a branch");
        seen.insert(branch.to_string());
        let steps: Vec<&str> = steps_in(&events, span)
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        // The steps inside are the branch's.
        match branch {
            "light" => assert!(steps.contains(&"io") && !steps.contains(&"render")),
            "report" => assert!(steps.contains(&"render") && !steps.contains(&"io")),
            other => panic!("branch {other}"),
        }
    }
    assert_eq!(seen.len(), 2, "20 tasks of two even branches take both");
}
