//! Timelines with an event loop: the loop thread's lane shows its polls as
//! Blocked and its callbacks as Running; executor threads have lanes of
//! their own; the usual timeline invariants hold.

use crate::common::*;
use gilsim::results::timeline::ThreadState;

#[test]
fn the_loop_thread_polls_blocked_and_runs_callbacks() {
    let s = scenario(
        r#"
name = "aio-trace"
seed = 2
[machine]
cores = 2
[[workload]]
name = "web"
tasks = 40
steps = [ { io = "2ms" }, { cpu = "300us" }, { to_thread = true, steps = [ { cpu_nogil = "1ms" } ] }, { sleep = "1ms" } ]
[workload.run]
model = "asyncio"
[[workload]]
name = "bg"
tasks = 3
steps = [ { cpu = "2ms" } ]
[workload.run]
model = "threads"
workers = 1
"#,
    );
    let o = simulate_traced(&s, 0, u64::MAX);
    assert_timeline_invariants(&s, &o);
    let t = o.timeline.as_ref().expect("timeline");
    let lane = t
        .threads
        .iter()
        .find(|l| l.label == "web/event-loop")
        .expect("a lane for the loop thread");
    let has = |st: ThreadState| lane.intervals.iter().any(|iv| iv.what == st);
    assert!(has(ThreadState::Blocked), "the poll is Blocked");
    assert!(has(ThreadState::Running), "callbacks are Running");
    let executors = t
        .threads
        .iter()
        .filter(|l| l.label.starts_with("web/executor-"))
        .count();
    assert!((1..=6).contains(&executors), "{executors} executor lanes");
}
