//! Law: under EEVDF (`machine.scheduler = "eevdf"`, docs/MODEL.md#eevdf) a
//! running thread keeps its core until its slice is over and the scheduler
//! looks: at a tick, or when a thread wakes onto its core. Two CPU-bound
//! threads without a GIL on one core therefore alternate once per tick
//! when the slice is shorter than a tick, and once per slice rounded up to
//! ticks otherwise; a thread woken beside an eligible, protected thread
//! waits, one woken beside a thread that has run ahead of its share does
//! not.

use crate::common::*;
use gilsim::machine::KernelScheduler;
use gilsim::simulation::{RunOptions, run};

fn two_free_threads(scheduler: &str, slice: &str, tick: &str) -> f64 {
    let s = scenario(&format!(
        r#"
name = "two-on-one"
seed = 1
duration = "2s"
[machine]
cores = 1
scheduler = "{scheduler}"
base_slice = "{slice}"
tick = "{tick}"
[python]
version = "3.13"
build = "free-threaded"
[[workload]]
name = "cpu"
repeat = "forever"
steps = [ {{ cpu = "10ms" }} ]
[workload.run]
model = "threads"
workers = 2
"#
    ));
    let o = run(&s, s.seed, RunOptions::default()).expect("runs");
    o.workloads[0].context_switches as f64 / 2.0
}

#[test]
fn two_cpu_bound_threads_on_one_core_switch_at_ticks() {
    // A 1.5 ms slice ends between two 4 ms ticks: one switch per tick.
    let per_s = two_free_threads("eevdf", "1.5ms", "4ms");
    assert!((240.0..=260.0).contains(&per_s), "{per_s:.1} switches/s");
    // A 1.5 ms slice with a 1 ms tick is noticed at the second tick: 2 ms.
    let per_s = two_free_threads("eevdf", "1.5ms", "1ms");
    assert!((480.0..=520.0).contains(&per_s), "{per_s:.1} switches/s");
    // CFS ignores the tick and the slice: it preempts at a 3 ms
    // `os_timeslice` boundary where the other thread is strictly behind,
    // every second one here (6 ms).
    let per_s = two_free_threads("cfs", "1.5ms", "4ms");
    assert!((160.0..=175.0).contains(&per_s), "{per_s:.1} switches/s");
}

fn sleeper_beside(scheduler: &str, cpu_threads: u32) -> f64 {
    let s = scenario(&format!(
        r#"
name = "beside"
seed = 1
duration = "2.1s"
warmup = "100ms"
[machine]
cores = 1
scheduler = "{scheduler}"
base_slice = "1.5ms"
[python]
switch_interval = "100us"
[[workload]]
name = "sleeper"
repeat = "forever"
steps = [ {{ cpu = "1us" }}, {{ sleep = "1ms" }} ]
[workload.run]
model = "threads"
workers = 1
[[workload]]
name = "cpu"
repeat = "forever"
steps = [ {{ cpu = "10ms" }} ]
[workload.run]
model = "threads"
workers = {cpu_threads}
"#
    ));
    let o = run(&s, s.seed, RunOptions::default()).expect("runs");
    o.workloads[0].throughput_per_s
}

#[test]
fn a_sleeper_beside_cpu_threads_on_one_core_waits_for_their_slices() {
    // Beside one CPU-bound thread, which has always run ahead of its share,
    // the sleeper preempts at once under both schedulers: about one wake-up
    // per 1.1 ms (1 ms sleep, 0.1 ms switch interval).
    let cfs1 = sleeper_beside("cfs", 1);
    let eevdf1 = sleeper_beside("eevdf", 1);
    assert!(
        (eevdf1 - cfs1).abs() / cfs1 < 0.05,
        "1 CPU thread: cfs {cfs1:.0}/s, eevdf {eevdf1:.0}/s"
    );
    // Beside four, the GIL's waiters wake onto a core whose holder may be
    // protected: EEVDF's sleeper waits for slices and ticks, CFS's does
    // not (real, Linux 6.18 at 250 Hz: 172/s against 792/s beside one).
    let cfs4 = sleeper_beside("cfs", 4);
    let eevdf4 = sleeper_beside("eevdf", 4);
    assert!(
        eevdf4 < cfs4 / 2.0 && eevdf4 < eevdf1 / 2.0,
        "4 CPU threads: cfs {cfs4:.0}/s, eevdf {eevdf4:.0}/s (beside one: {eevdf1:.0}/s)"
    );
}

#[test]
fn a_profile_sets_the_scheduler_from_the_kernel_release() {
    // 0.70 ms × (1 + log2 2) from Linux 6.15 on (this machine's `se.slice`).
    let k = KernelScheduler::of_linux("6.18.44-fc-v1300", 2, Some(250), None).expect("parses");
    assert_eq!(k.scheduler, gilsim::machine::Scheduler::Eevdf);
    assert_eq!(k.base_slice, 1_400_000);
    assert_eq!(k.tick, 4_000_000);
    let k = KernelScheduler::of_linux("6.5.0-1-generic", 64, Some(1000), None).expect("parses");
    assert_eq!(k.scheduler, gilsim::machine::Scheduler::Cfs);
    assert_eq!(k.base_slice, 3_000_000);
    assert_eq!(k.tick, 1_000_000);
    let k = KernelScheduler::of_linux("6.6", 1, None, None).expect("parses");
    assert_eq!(k.scheduler, gilsim::machine::Scheduler::Eevdf);
    assert_eq!((k.base_slice, k.tick), (750_000, 4_000_000));
    // The slice the kernel reported wins over the computed default.
    let k = KernelScheduler::of_linux("6.12.3", 4, None, Some(2_250_000)).expect("parses");
    assert_eq!(k.base_slice, 2_250_000);
    assert_eq!(KernelScheduler::of_linux("unknown", 2, None, None), None);
}

#[test]
fn an_unknown_scheduler_names_the_key_and_the_choices() {
    let toml = "name = \"x\"\nduration = \"1s\"\n[machine]\nscheduler = \"o1\"\n[[workload]]\nname = \"w\"\nsteps = [ { cpu = \"1ms\" } ]\n";
    let err = gilsim::scenario::parse_str(toml, std::path::Path::new("x.toml"), &[])
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("machine.scheduler")
            && err.contains("\"cfs\" or \"eevdf\"")
            && err.contains("x.toml:4:"),
        "{err}"
    );
}
