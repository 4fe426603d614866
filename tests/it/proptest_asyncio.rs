//! Property tests over random small asyncio scenarios (an event loop, maybe
//! a thread workload beside it): no panic, no deadlock without a lock taken
//! twice, at most one GIL holder, every task done once, work conserved,
//! timers never early, each pass runs exactly its ready callbacks in FIFO
//! order, the same seed giving the same run, and timelines that keep their
//! invariants. Steps include waits on an `asyncio.Event` that a last
//! workload sets (nothing clears it), sets, and notifies of a condition.

use crate::common::*;

use gilsim::python::runtime::LoopRecord;
use proptest::prelude::*;

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..2000).prop_map(|us| format!("{{ cpu = \"{us}us\" }}")),
        (1u32..1000).prop_map(|us| format!("{{ cpu_held = {{ exp = \"{us}us\" }} }}")),
        (0u32..1000).prop_map(|us| format!("{{ cpu_nogil = \"{us}us\" }}")),
        (1u32..3000).prop_map(|us| format!("{{ io = {{ exp = \"{us}us\" }} }}")),
        (0u32..3000).prop_map(|us| format!("{{ sleep = \"{us}us\" }}")),
        (1u32..500).prop_map(|us| format!("{{ blocking_io = \"{us}us\" }}")),
        (0u32..500)
            .prop_map(|us| format!("{{ lock = \"l\", steps = [ {{ sleep = \"{us}us\" }} ] }}")),
        (0u32..500)
            .prop_map(|us| format!("{{ semaphore = \"s\", steps = [ {{ io = \"{us}us\" }} ] }}")),
        (0u32..1000, 0u32..1000).prop_map(|(a, b)| format!(
            "{{ to_thread = true, steps = [ {{ cpu = \"{a}us\" }}, {{ cpu_nogil = \"{b}us\" }} ] }}"
        )),
        Just("{ wait_event = \"go\" }".to_string()),
        Just("{ set_event = \"go\" }".to_string()),
        Just("{ notify = \"c\", n = \"all\" }".to_string()),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    toml: String,
    tasks: u64,
    threads: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        1u32..5,
        prop::collection::vec(leaf(), 1..5),
        1u64..60,
        prop_oneof![Just(None), (1u32..8).prop_map(Some)],
        (any::<bool>(), any::<bool>()),
        any::<u64>(),
        0u32..5000,
    )
        .prop_map(|(cores, steps, tasks, workers, (threads, free), seed, set_at)| {
            let workers = workers.map_or(String::new(), |n| format!("workers = {n}\n"));
            let python = if free {
                "version = \"3.14\"\nbuild = \"free-threaded\""
            } else {
                "version = \"3.12\""
            };
            let mut toml = format!(
                "name = \"prop\"\nseed = {seed}\n[machine]\ncores = {cores}\n[python]\n{python}\n\
                 [semaphores]\ns = 2\n[events]\ngo = {{}}\n[conditions]\nc = {{}}\n[[workload]]\nname = \"w\"\ntasks = {tasks}\nmemory = \"1KB\"\n\
                 steps = [ {} ]\n[workload.run]\nmodel = \"asyncio\"\n{workers}",
                steps.join(", ")
            );
            if threads {
                toml += "[[workload]]\nname = \"bg\"\ntasks = 5\nsteps = [ { cpu = \"2ms\" }, { io = \"1ms\" } ]\n\
                         [workload.run]\nmodel = \"threads\"\nworkers = 2\n";
            }
            toml += &format!(
                "[[workload]]\nname = \"setter\"\ntasks = 1\n\
                 steps = [ {{ sleep = \"{set_at}us\" }}, {{ set_event = \"go\" }} ]\n\
                 [workload.run]\nmodel = \"asyncio\"\n"
            );
            Case {
                toml,
                tasks,
                threads,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn random_asyncio_scenarios_keep_the_invariants(c in case()) {
        let s = scenario(&c.toml);
        let o = simulate_loop(&s);
        assert_single_holder(&o);
        let a = o.accounting;
        prop_assert_eq!(a.busy, a.step_cpu + a.overhead_cpu + a.switch_cpu, "{}", c.toml);
        prop_assert_eq!(o.workloads[0].tasks_completed, c.tasks, "{}", c.toml);
        prop_assert_eq!(o.workloads[0].tasks_in_flight, 0);
        if c.threads {
            prop_assert_eq!(o.workloads[1].tasks_completed, 5);
        }
        let log = o.loop_log.as_ref().expect("loop recorded");
        let mut next_seq = 0u64;
        let mut left = 0usize;
        for r in log {
            match *r {
                LoopRecord::Timer { deadline, at } => prop_assert!(at >= deadline),
                LoopRecord::Pass { ntodo, ready_below, .. } => {
                    prop_assert_eq!(left, 0, "the previous pass ran all its callbacks");
                    prop_assert_eq!(next_seq + ntodo as u64, ready_below);
                    left = ntodo;
                }
                LoopRecord::Callback { seq, .. } => {
                    prop_assert!(left > 0, "a callback outside its pass");
                    prop_assert_eq!(seq, next_seq, "FIFO");
                    next_seq += 1;
                    left -= 1;
                }
                LoopRecord::Blocking { .. } => {}
            }
        }
        let again = simulate_loop(&s);
        prop_assert_eq!(&again.workloads, &o.workloads, "same seed, same run");
    }

    #[test]
    fn random_asyncio_timelines_keep_their_invariants(c in case()) {
        let s = scenario(&c.toml);
        let o = simulate_traced(&s, 0, u64::MAX);
        assert_timeline_invariants(&s, &o);
    }
}
