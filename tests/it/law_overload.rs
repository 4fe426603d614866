//! Law: an open-loop workload offered more than it can serve is flagged
//! overloaded, its backlog grows, its latency is mostly queue wait and
//! grows with `duration`; offered less, it is not flagged and its tasks
//! hardly wait. On every run model, a task's latency is its queue wait
//! plus its service, so neither part's p99 exceeds the latency's.

use crate::common::*;
use gilsim::results::WorkloadResult;
use gilsim::simulation::{RunOptions, RunOutput, run};

/// A server of 10 ms pure-Python requests on 2 cores: 100/s on one GIL or
/// one loop, 200/s on two processes.
fn server(model: &str, rate: u32, duration: &str) -> String {
    let workers = match model {
        "processes" => "workers = 2",
        "threads" => "workers = 8",
        _ => "",
    };
    format!(
        r#"
name = "overload"
seed = 3
duration = "{duration}"
[machine]
cores = 2
[[workload]]
name = "api"
rate = "{rate}/s"
steps = [ {{ io = "1ms" }}, {{ cpu = "10ms" }} ]
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

fn parts_bound_latency(r: &WorkloadResult) {
    let lat = r.latency_ms.expect("completions");
    let (wait, service) = (r.wait_ms.expect("waits"), r.service_ms.expect("services"));
    // The histogram's 3 significant digits: 0.1% of slack.
    let p99 = lat[3] * 1.001 + 1e-6;
    assert!(wait[1] <= p99 && service[1] <= p99, "{r:?}");
    assert!(wait[0] <= wait[1] && service[0] <= service[1], "{r:?}");
}

#[test]
fn an_overloaded_server_is_flagged_and_waits_in_its_queue() {
    for (model, capacity) in [
        ("sequential", 100.0),
        ("threads", 100.0),
        ("asyncio", 100.0),
        ("processes", 200.0),
    ] {
        let under = once(&server(model, (capacity * 0.5) as u32, "4s"));
        let over = once(&server(model, (capacity * 1.6) as u32, "4s"));
        let longer = once(&server(model, (capacity * 1.6) as u32, "8s"));
        let (u, o, l) = (row(&under, "api"), row(&over, "api"), row(&longer, "api"));
        println!(
            "{model}: under {:?} wait {:?} service {:?}; over {:?} wait {:?} service {:?} p99 {:.1} ms, {:.1} ms over 8 s",
            u.load,
            u.wait_ms,
            u.service_ms,
            o.load,
            o.wait_ms,
            o.service_ms,
            o.latency_ms.unwrap()[3],
            l.latency_ms.unwrap()[3]
        );
        for r in [u, o, l] {
            parts_bound_latency(r);
        }
        let (ul, ol) = (u.load.expect("open loop"), o.load.expect("open loop"));
        assert!(!ul.overloaded, "{model} at half its capacity: {u:?}");
        assert!(
            (ul.offered_per_s / (capacity * 0.5) - 1.0).abs() < 0.25,
            "{model}: offered {} for a rate of {}",
            ul.offered_per_s,
            capacity * 0.5
        );
        assert!(ol.overloaded, "{model} at 1.6 × its capacity: {o:?}");
        assert!(o.throughput_per_s < 0.8 * ol.offered_per_s, "{o:?}");
        assert!(
            ol.backlog_growth_per_s > 0.2 * ol.offered_per_s,
            "{model}: the backlog grows by about offered − served: {ol:?}, served {}",
            o.throughput_per_s
        );
        assert!(ol.backlog_end > ul.backlog_end + 50, "{ol:?} {ul:?}");
        // Overloaded, a pool's task waits for a worker far longer than it
        // is served; an unlimited asyncio server starts every coroutine at
        // once, and they queue on the loop inside their service instead.
        // Either way the latency grows with the run; at half load a task
        // hardly waits.
        let (ow, os) = (o.wait_ms.unwrap(), o.service_ms.unwrap());
        if model == "asyncio" {
            assert!(os[0] > 5.0 * u.service_ms.unwrap()[0], "{model}: {os:?}");
        } else {
            assert!(ow[0] > 5.0 * os[0], "{model}: wait {ow:?}, service {os:?}");
        }
        assert!(
            l.latency_ms.unwrap()[3] > 1.5 * o.latency_ms.unwrap()[3],
            "{model}: p99 grows with duration"
        );
        let uw = u.wait_ms.unwrap();
        assert!(
            uw[0] < u.service_ms.unwrap()[0],
            "{model} at half load: wait {uw:?}, service {:?}",
            u.service_ms
        );
    }
}

#[test]
fn a_closed_workload_has_no_offered_rate() {
    let o = once(&server("threads", 100, "1s").replace("rate = \"100/s\"", "tasks = 50"));
    let r = row(&o, "api");
    assert_eq!(r.load, None);
    assert!(r.wait_ms.is_some() && r.service_ms.is_some());
    parts_bound_latency(r);
    // 50 tasks, 8 workers: most of the batch waits for a worker.
    assert!(r.wait_ms.unwrap()[1] > r.service_ms.unwrap()[0], "{r:?}");
}
