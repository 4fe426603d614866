//! Property tests over random small process and subinterpreter scenarios:
//! no panic, no deadlock without a lock cycle, at most one holder of each
//! interpreter's GIL, every task done once, work and bytes conserved, and
//! the same seed giving the same run. Process workloads may wait on a
//! `multiprocessing.Event` that a thread of the parent sets at a random
//! time, and notify a condition.

use crate::common::*;

use proptest::prelude::*;

fn steps() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (0u32..3000).prop_map(|us| format!("{{ cpu = \"{us}us\" }}")),
        (1u32..2000).prop_map(|us| format!("{{ cpu_held = {{ exp = \"{us}us\" }} }}")),
        (0u32..2000).prop_map(|us| format!("{{ cpu_nogil = \"{us}us\" }}")),
        (1u32..2000).prop_map(|us| format!("{{ io = {{ exp = \"{us}us\" }} }}")),
        (0u32..500)
            .prop_map(|us| format!("{{ lock = \"l\", steps = [ {{ cpu = \"{us}us\" }} ] }}")),
        (0u32..500)
            .prop_map(|us| format!("{{ semaphore = \"s\", steps = [ {{ io = \"{us}us\" }} ] }}")),
    ];
    prop::collection::vec(leaf, 1..4).prop_map(|v| v.join(", "))
}

#[derive(Debug, Clone)]
struct Case {
    toml: String,
    tasks: u64,
    open_loop: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        1u32..5,
        steps(),
        1u64..30,
        prop_oneof![
            Just("processes"),
            Just("processes"),
            Just("subinterpreters")
        ],
        prop_oneof![Just("pool"), Just("executor")],
        prop_oneof![Just("fork"), Just("spawn"), Just("forkserver")],
        prop_oneof![Just(None), (1u32..6).prop_map(Some)],
        prop_oneof![Just("\"per-task\"".to_string()), (1u32..6).prop_map(|n| n.to_string())],
        (0u32..200_000, 0u32..200_000),
        (any::<bool>(), any::<bool>(), any::<bool>()),
        any::<u64>(),
        prop_oneof![Just(None), (0u32..50_000).prop_map(Some)],
    )
        .prop_map(
            |(cores, steps, tasks, model, api, method, chunks, workers, bytes, flags, seed, set_at)| {
                let (shm, open_loop, free_threaded) = flags;
                let per_task = workers.contains("per-task");
                let sub = model == "subinterpreters";
                let open_loop = open_loop && !(per_task && sub);
                let workers = if sub && per_task { "2".to_string() } else { workers };
                let mut run = format!("model = \"{model}\"\nworkers = {workers}\n");
                if !sub {
                    run += &format!("api = \"{api}\"\nstart_method = \"{method}\"\n");
                    if let (Some(c), false) = (chunks, workers.contains("per-task")) {
                        run += &format!("chunksize = {c}\n");
                    }
                    if shm {
                        run += "transfer = \"shared_memory\"\n";
                    }
                }
                let arrival = if open_loop {
                    format!("rate = \"{}/s\"", tasks * 20)
                } else {
                    format!("tasks = {tasks}")
                };
                let python = if free_threaded {
                    "version = \"3.14\"\nbuild = \"free-threaded\""
                } else {
                    "version = \"3.14\""
                };
                // Events on processes only (subinterpreters refuse them).
                let set_at = set_at.filter(|_| !sub);
                let steps = match set_at {
                    Some(_) => format!(
                        "{{ wait_event = \"go\" }}, {steps}, {{ notify = \"c\", n = \"all\" }}"
                    ),
                    None => steps,
                };
                let mut toml = format!(
                    "name = \"prop\"\nseed = {seed}\n{}[machine]\ncores = {cores}\n[python]\n{python}\n\
                     [semaphores]\ns = 2\n[[workload]]\nname = \"w\"\n{arrival}\nargs_bytes = \"{}B\"\n\
                     result_bytes = \"{}B\"\nmemory = \"1KB\"\nsteps = [ {steps} ]\n[workload.run]\n{run}",
                    if open_loop { "duration = \"100ms\"\n" } else { "" },
                    bytes.0,
                    bytes.1,
                );
                if let Some(us) = set_at {
                    toml += &format!(
                        "[events]\ngo = {{}}\n[conditions]\nc = {{}}\n[[workload]]\nname = \"setter\"\n\
                         tasks = 1\nsteps = [ {{ sleep = \"{us}us\" }}, {{ set_event = \"go\" }} ]\n\
                         [workload.run]\nmodel = \"threads\"\nworkers = 1\n"
                    );
                }
                Case {
                    toml,
                    tasks,
                    open_loop,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn random_process_scenarios_keep_the_invariants(c in case()) {
        let s = scenario(&c.toml);
        let o = simulate(&s);
        assert_single_holder(&o);
        let w = &o.workloads[0];
        let a = o.accounting;
        if !c.open_loop {
            // A run cut at `duration` has charged bursts it has not run yet.
            prop_assert_eq!(a.busy, a.step_cpu + a.overhead_cpu + a.switch_cpu, "{}", c.toml);
            prop_assert_eq!(w.tasks_completed, c.tasks, "{}", c.toml);
            prop_assert_eq!(w.tasks_in_flight, 0);
            prop_assert_eq!(a.bytes_pickled, a.bytes_unpickled, "{}", c.toml);
        }
        let again = simulate(&s);
        prop_assert_eq!(&again.workloads, &o.workloads, "same seed, same run");
    }

    #[test]
    fn random_process_timelines_keep_their_invariants(c in case()) {
        let s = scenario(&c.toml);
        let o = simulate_traced(&s, 0, u64::MAX);
        assert_timeline_invariants(&s, &o);
    }
}
