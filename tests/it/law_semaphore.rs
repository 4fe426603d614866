//! Law: a semaphore of 3 never admits a fourth holder; a lock admits one.

use crate::common::*;

#[test]
fn a_semaphore_of_three_never_admits_a_fourth() {
    let s = scenario(
        r#"
name = "sem"
seed = 5
[machine]
cores = 4
[semaphores]
api = 3
[[workload]]
name = "calls"
tasks = 200
steps = [ { cpu = { exp = "200us" } },
          { semaphore = "api", steps = [ { io = { exp = "5ms" } }, { cpu = "50us" } ] } ]
[workload.run]
model = "threads"
workers = 16
"#,
    );
    let o = simulate(&s);
    assert_eq!(o.workloads[0].tasks_completed, 200);
    assert_eq!(
        o.semaphore_max_holders,
        vec![3],
        "16 workers contend: the semaphore must fill, never overflow"
    );
    assert_single_holder(&o);
    // With 3 slots and 5 ms of I/O inside, 200 tasks need at least 200 * 5 ms / 3.
    assert!(o.workloads[0].sim_time_s >= 200.0 * 0.005 / 3.0 * 0.8);
}

#[test]
fn a_lock_serialises_its_body() {
    let s = scenario(
        r#"
name = "lock"
seed = 5
[machine]
cores = 4
[[workload]]
name = "db"
tasks = 50
steps = [ { lock = "db", steps = [ { io = "2ms" } ] } ]
[workload.run]
model = "threads"
workers = 8
"#,
    );
    let o = simulate(&s);
    // 50 critical sections of 2 ms cannot overlap.
    assert!(
        o.workloads[0].sim_time_s >= 0.1,
        "makespan {}",
        o.workloads[0].sim_time_s
    );
    assert!(
        o.workloads[0].sim_time_s < 0.12,
        "makespan {}",
        o.workloads[0].sim_time_s
    );
}
