//! A batch's statistics window ends when its last task finishes: a
//! `duration` longer than the batch is only an upper bound (issue: 100
//! tasks done in 0.68 s reported 100/s under `duration = "1s"`).

use crate::common::{row, scenario, simulate};

fn batch(duration: &str) -> String {
    format!(
        "name = \"batch\"\n{duration}\n[machine]\ncores = 2\n[[workload]]\nname = \"jobs\"\ntasks = 100\n\
         steps = [ {{ cpu_nogil = \"10ms\" }}, {{ io = \"3.5ms\" }} ]\n[workload.run]\nmodel = \"threads\"\nworkers = 2\n"
    )
}

#[test]
fn a_duration_past_the_batch_changes_nothing() {
    let open = simulate(&scenario(&batch("")));
    let bounded = simulate(&scenario(&batch("duration = \"1s\"")));
    let (a, b) = (row(&open, "jobs"), row(&bounded, "jobs"));
    assert!(
        a.sim_time_s < 0.9,
        "the batch ends before 1 s: {}",
        a.sim_time_s
    );
    assert_eq!(a.sim_time_s, b.sim_time_s);
    assert_eq!(a.throughput_per_s, b.throughput_per_s);
    assert_eq!(a.cpu_utilization, b.cpu_utilization);
    assert!((b.throughput_per_s - 100.0 / b.sim_time_s).abs() < 1e-9);
}

#[test]
fn a_duration_shorter_than_the_batch_still_cuts_it() {
    let cut = simulate(&scenario(&batch("duration = \"200ms\"")));
    let r = row(&cut, "jobs");
    assert_eq!(r.sim_time_s, 0.2);
    assert!(r.tasks_completed < 100 && r.tasks_in_flight > 0, "{r:?}");
}
