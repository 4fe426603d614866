//! Laws of `_run_once`: timers never fire early; each pass runs exactly the
//! callbacks ready at its start, in FIFO order (a callback scheduled during
//! a pass waits for the next one); work is conserved (busy core time = step
//! CPU + overheads + context switches) and every task completes once.

use crate::common::*;
use gilsim::python::runtime::LoopRecord;

const MIX: &str = r#"
name = "mix"
seed = 21
[machine]
cores = 2
[semaphores]
db = 2
[[workload]]
name = "mixed"
tasks = 300
memory = "10KB"
steps = [ { sleep = { exp = "3ms" } }, { cpu = "200us" }, { io = { exp = "2ms" } },
          { lock = "cache", steps = [ { cpu_held = "50us" }, { sleep = "1ms" } ] },
          { semaphore = "db", steps = [ { io = "5ms" } ] },
          { to_thread = true, steps = [ { cpu = "300us" }, { cpu_nogil = "400us" } ] },
          { sleep = "0ms" }, { cpu_nogil = "100us" }, { blocking_io = "100us" } ]
[workload.run]
model = "asyncio"
workers = 50
[[workload]]
name = "background"
tasks = 20
steps = [ { cpu = "3ms" }, { io = "1ms" } ]
[workload.run]
model = "threads"
workers = 2
"#;

#[test]
fn timers_never_fire_early_and_passes_run_ready_callbacks_in_fifo_order() {
    for seed in [1u64, 2, 3, 21] {
        let s = scenario_with(MIX, &[&format!("seed={seed}")]);
        let o = simulate_loop(&s);
        assert_single_holder(&o);
        let log = o.loop_log.as_ref().expect("loop recorded");
        let mut timers = 0;
        let mut passes = 0;
        let mut i = 0;
        while i < log.len() {
            match log[i] {
                LoopRecord::Timer { deadline, at } => {
                    timers += 1;
                    assert!(at >= deadline, "a timer fired early: {at} < {deadline}");
                    i += 1;
                }
                LoopRecord::Pass {
                    ntodo, ready_below, ..
                } => {
                    passes += 1;
                    let seqs: Vec<u64> = log[i + 1..]
                        .iter()
                        .take_while(|r| !matches!(r, LoopRecord::Pass { .. }))
                        .filter_map(|r| match r {
                            LoopRecord::Callback { seq, .. } => Some(*seq),
                            _ => None,
                        })
                        .collect();
                    assert_eq!(seqs.len(), ntodo, "a pass runs exactly ntodo callbacks");
                    let first = ready_below - ntodo as u64;
                    let want: Vec<u64> = (first..ready_below).collect();
                    assert_eq!(seqs, want, "FIFO, and only what was ready at the start");
                    i += 1;
                }
                _ => i += 1,
            }
        }
        assert!(
            timers > 300 && passes > 100,
            "{timers} timers, {passes} passes"
        );
    }
}

#[test]
fn work_is_conserved_and_tasks_complete_once() {
    let s = scenario(MIX);
    let o = simulate_loop(&s);
    let mixed = row(&o, "mixed");
    assert_eq!(mixed.tasks_completed, 300);
    assert_eq!(mixed.tasks_in_flight, 0);
    assert_eq!(row(&o, "background").tasks_completed, 20);
    let a = o.accounting;
    assert_eq!(a.busy, a.step_cpu + a.overhead_cpu + a.switch_cpu, "{a:?}");
    // Step CPU: every cpu and cpu_nogil step ran (constant durations).
    let per = 200_000 + 50_000 + 300_000 + 400_000 + 100_000;
    assert_eq!(a.step_cpu, 300 * per + 20 * 3_000_000, "{a:?}");
    // The `db` asyncio.Semaphore(2) never admits a third.
    assert_eq!(o.semaphore_max_holders, vec![2]);
}

#[test]
fn a_lock_taken_twice_by_a_coroutine_is_a_deadlock_that_names_it() {
    let s = scenario(
        r#"
name = "dl"
[[workload]]
name = "jobs"
tasks = 2
steps = [ { lock = "a", steps = [ { lock = "a", steps = [ { cpu = "1ms" } ] } ] } ]
[workload.run]
model = "asyncio"
"#,
    );
    let e = gilsim::simulation::run(&s, s.seed, Default::default()).unwrap_err();
    let d = e.deadlock().expect("stopped by a deadlock");
    assert_eq!(d.blocked, vec!["2 coroutine(s) wait for asyncio.Lock `a`"]);
}
