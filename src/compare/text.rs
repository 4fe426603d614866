//! What `gilsim compare` prints for each workload: the ranked table, the
//! excluded models, the bottleneck of each model's best point, and the
//! recommendation with its reason in the user's terms.

use super::args::{Goal, MODELS};
use super::bottleneck::{bottleneck, model_bottleneck};
use super::candidate::Candidate;
use super::rank::{best_per_model, ranked};

/// Memory per core a machine commonly has, MB (4 GiB): a candidate that
/// needs more than `cores` times this is flagged.
const MB_PER_CORE: f64 = 4096.0;

/// Below this many busy cores, threads are said to run on one core at a time.
const ONE_CORE: f64 = 1.5;

/// `GIL held N%`, or `no GIL` on a free-threaded build.
fn gil_text(held: Option<f64>) -> String {
    held.map_or("no GIL".to_string(), |g| {
        format!("GIL held {:.0}%", g * 100.0)
    })
}

/// `x ± half-width unit`, or `x unit` without an interval.
fn interval(x: (f64, Option<f64>), unit: &str) -> String {
    match x.1 {
        Some(h) => format!("{:.1} ± {:.1} {unit}", x.0, h),
        None => format!("{:.1} {unit}", x.0),
    }
}

/// Whether two values are within each other's 95% interval.
fn overlap(a: (f64, Option<f64>), b: (f64, Option<f64>)) -> bool {
    (a.0 - b.0).abs() <= a.1.unwrap_or(0.0) + b.1.unwrap_or(0.0)
}

/// The text for one workload: the ranked table, the excluded models, each
/// model's bottleneck and the recommendation.
pub(super) fn report_workload(
    w: &str,
    cands: &[&Candidate],
    goal: Goal,
    cores: u32,
    reps: u32,
) -> String {
    let mut s = format!(
        "\nworkload `{w}` on {cores} core(s), {reps} replication(s) per candidate, goal: {}\n",
        match goal {
            Goal::Throughput => "throughput",
            Goal::Latency => "latency (p99)",
            Goal::Memory => "memory (within 10% of the best throughput)",
        }
    );
    s.push_str(&format!(
        "{:>4} {:<24} {:>22} {:>10} {:>10} {:>9} {:>5} {:>5} {:>5}  {}\n",
        "rank",
        "candidate",
        "tasks/s (95% CI)",
        "p50 ms",
        "p99 ms",
        "rss MB",
        "cpu",
        "gil",
        "wait",
        "bottleneck"
    ));
    let ranked = ranked(cands, goal);
    let pct = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{:.0}%", x * 100.0));
    for (i, c) in ranked.iter().enumerate() {
        let Some(m) = &c.metrics else { continue };
        s.push_str(&format!(
            "{:>4} {:<24} {:>22} {:>10} {:>10} {:>9.1} {:>5} {:>5} {:>5}  {}\n",
            i + 1,
            c.label(),
            interval(m.throughput, ""),
            m.p50_ms.map_or("-".into(), |x| format!("{x:.2}")),
            m.p99_ms.map_or("-".into(), |x| format!("{:.2}", x.0)),
            m.peak_rss_mb,
            pct(Some(m.cpu_utilization)),
            pct(m.gil_held),
            pct(m.gil_wait),
            bottleneck(c, cores).0,
        ));
    }
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for c in cands {
        if let Some(r) = &c.excluded {
            if seen.contains(&(c.model.as_str(), r.as_str())) {
                continue;
            }
            seen.push((c.model.as_str(), r.as_str()));
            s.push_str(&format!("   - {:<24} excluded: {r}\n", c.model));
        }
    }
    let limit_mb = f64::from(cores) * MB_PER_CORE;
    for c in &ranked {
        if let Some(m) = &c.metrics
            && m.peak_rss_mb > limit_mb
        {
            s.push_str(&format!(
                "   ! {:<24} needs {:.1} MB at its peak, more than the {limit_mb:.0} MB a {cores}-core machine commonly has ({MB_PER_CORE:.0} MB per core assumed: the scenario gives no memory size)\n",
                c.label(),
                m.peak_rss_mb
            ));
        }
    }
    let bests = best_per_model(&ranked);
    s.push_str("\nbottleneck of each model's best point:\n");
    for c in &bests {
        let (_, name, figures) = model_bottleneck(c, &ranked, cores);
        s.push_str(&format!("  {:<24} {name} ({figures})\n", c.label()));
    }
    s.push_str("\nrecommendation: ");
    s.push_str(&recommend(&bests, goal, cands, cores));
    s.push('\n');
    if let Some(best) = bests.first()
        && best.shape.is_none()
        && let Some(n) = best.workers
        && n > 1
        && cands
            .iter()
            .filter(|c| c.model == best.model)
            .filter_map(|c| c.workers)
            .max()
            == Some(n)
    {
        s.push_str(&format!(
            "warning: {} is the largest worker count tried for {}: more workers may do better still; try --workers {},{}\n",
            best.label(),
            best.model,
            n,
            n.saturating_mul(2)
        ));
    }
    s
}

/// The recommendation: the best model, by how much, and why.
fn recommend(bests: &[&Candidate], goal: Goal, all: &[&Candidate], cores: u32) -> String {
    let Some(best) = bests.first() else {
        return "nothing ran.".into();
    };
    let Some(bm) = &best.metrics else {
        return "nothing ran.".into();
    };
    let Some(second) = bests.get(1) else {
        return format!(
            "{} is the only model that runs this workload ({}). {}",
            best.label(),
            interval(bm.throughput, "tasks/s"),
            reason_text(best, all, cores, goal)
        );
    };
    let Some(sm) = &second.metrics else {
        return String::new();
    };
    let (a, b, unit, better) = match goal {
        Goal::Latency => (
            bm.p99_ms.unwrap_or((f64::NAN, None)),
            sm.p99_ms.unwrap_or((f64::NAN, None)),
            "ms p99",
            "lower",
        ),
        Goal::Memory => (
            (bm.peak_rss_mb, None),
            (sm.peak_rss_mb, None),
            "MB peak",
            "smaller",
        ),
        Goal::Throughput => (bm.throughput, sm.throughput, "tasks/s", "higher"),
    };
    let best_tp = all
        .iter()
        .filter_map(|c| c.metrics.as_ref())
        .map(|m| m.throughput.0)
        .fold(0.0, f64::max);
    let mut s = if goal == Goal::Memory && b.0 < a.0 {
        // The runner-up is outside the 10% band: it needs less memory but is slower.
        format!(
            "{} needs the least memory ({}) of the candidates within 10% of the best throughput ({:.1} tasks/s; it reaches {}); the runner-up {} needs less ({}) but reaches {} ({:.0}% of the best).",
            best.label(),
            interval(a, unit),
            best_tp,
            interval(bm.throughput, "tasks/s"),
            second.label(),
            interval(b, unit),
            interval(sm.throughput, "tasks/s"),
            sm.throughput.0 / best_tp * 100.0
        )
    } else if overlap(a, b) && goal != Goal::Memory {
        format!(
            "{} ({}) and {} ({}) are within each other's 95% confidence interval: the simulation cannot tell them apart for this goal; choose on other grounds (memory: {:.1} MB against {:.1} MB).",
            best.label(),
            interval(a, unit),
            second.label(),
            interval(b, unit),
            bm.peak_rss_mb,
            sm.peak_rss_mb
        )
    } else {
        let ratio = if goal == Goal::Throughput {
            a.0 / b.0
        } else {
            b.0 / a.0
        };
        format!(
            "{} is best ({}), {:.2}× {better} than the runner-up {} ({}).",
            best.label(),
            interval(a, unit),
            ratio,
            second.label(),
            interval(b, unit)
        )
    };
    s.push(' ');
    s.push_str(&reason_text(best, all, cores, goal));
    s
}

/// The reason in the user's terms, from the best point and the other
/// models' best points for `goal`.
fn reason_text(best: &Candidate, all: &[&Candidate], cores: u32, goal: Goal) -> String {
    let ranked_tp = ranked(all, goal);
    let best_of = |model: &str| ranked_tp.iter().find(|c| c.model == model).copied();
    let bm = match &best.metrics {
        Some(m) => m,
        None => return String::new(),
    };
    let mut parts = Vec::new();
    if let (_, "a queue stage downstream", _) = model_bottleneck(best, &ranked_tp, cores)
        && let Some((stage, f)) = &bm.blocked_on_stage
    {
        parts.push(format!(
            "Its tasks end with a put into stage `{stage}`'s queue, which is full: the threads wait there {:.0}% of their time, so this workload runs at `{stage}`'s pace whatever its own model. Speed up `{stage}` (gilsim compare FILE --workload {stage}) or give its queue more room.",
            f * 100.0
        ));
    }
    if parts.is_empty()
        && let (_, "a lock or semaphore", _) = model_bottleneck(best, &ranked_tp, cores)
        && let Some((what, busy, _)) = &bm.sync
    {
        let capped: Vec<String> = MODELS
            .iter()
            .filter_map(|m| best_of(m))
            .filter(|c| bottleneck(c, cores).0 == "a lock or semaphore")
            .map(|c| c.model.clone())
            .collect();
        parts.push(format!(
            "The {what} is busy {:.0}% of the time at {}: it admits its holders one after another, so the work inside it sets the throughput, and more workers only queue on it ({} of the models are capped by it: {}). Shorten what runs inside it, or split it.",
            busy * 100.0,
            best.label(),
            capped.len(),
            capped.join(", ")
        ));
    }
    if parts.is_empty()
        && let Some(t0) = best_of("threads")
        && t0.model != best.model
        && let (t, "the GIL", _) = model_bottleneck(t0, &ranked_tp, cores)
        && let Some(tm) = &t.metrics
    {
        let used = tm.cpu_utilization * f64::from(cores);
        let how = if used < ONE_CORE {
            format!("threads run Python on one core at a time ({used:.1} of {cores} cores busy)")
        } else {
            format!(
                "the CPU that releases the GIL runs in parallel, so threads keep {used:.1} of {cores} cores busy, but the GIL caps them there"
            )
        };
        parts.push(format!(
            "Python holds the GIL {:.0}% of the time under threads ({} with threads waiting {:.0}% of their time): {how}; {} uses {:.0}% of the cores, at {:.1} MB of memory against {:.1} MB.",
            tm.gil_held.unwrap_or(0.0) * 100.0,
            t.label(),
            tm.gil_wait.unwrap_or(0.0) * 100.0,
            best.label(),
            bm.cpu_utilization * 100.0,
            bm.peak_rss_mb,
            tm.peak_rss_mb
        ));
    }
    if parts.is_empty()
        && matches!(best.model.as_str(), "processes" | "subinterpreters")
        && let Some(t) = best_of("threads")
        && let Some(tm) = &t.metrics
        && tm.gil_held.unwrap_or(0.0) >= 0.3
        && tm.gil_wait.unwrap_or(0.0) >= 0.05
    {
        parts.push(format!(
            "Under threads every task shares one GIL ({}: GIL held {:.0}%, threads waiting for it {:.0}% of their time, p99 {}): a task back from I/O queues for the GIL behind the others; {} gives it an interpreter or a core of its own (p99 {}), at {:.1} MB of memory against {:.1} MB.",
            t.label(),
            tm.gil_held.unwrap_or(0.0) * 100.0,
            tm.gil_wait.unwrap_or(0.0) * 100.0,
            tm.p99_ms.map_or("-".into(), |p| format!("{:.1} ms", p.0)),
            best.label(),
            bm.p99_ms.map_or("-".into(), |p| format!("{:.1} ms", p.0)),
            bm.peak_rss_mb,
            tm.peak_rss_mb
        ));
    }
    if matches!(
        best.model.as_str(),
        "threads" | "asyncio" | "threads-free-threaded"
    ) && let Some(p) = best_of("processes")
        && let Some(pm) = &p.metrics
    {
        let (name, _) = bottleneck(best, cores);
        let (p_name, _) = bottleneck(p, cores);
        if p_name.starts_with("IPC") {
            parts.push(format!(
                "Processes spend {:.0}% of their busy core time pickling and piping each task's data ({}: {:.1} tasks/s); {} pass references inside one process and pay none of it.",
                pm.ipc.unwrap_or(0.0) * 100.0,
                p.label(),
                pm.throughput.0,
                best.model,
            ));
        } else if name == "I/O or sleep"
            || (bm.cpu_utilization < 0.5 && bm.gil_held.unwrap_or(0.0) < 0.5)
        {
            let gained =
                pm.throughput.0 > bm.throughput.0 && !overlap(pm.throughput, bm.throughput);
            parts.push(format!(
                "The tasks mostly wait (CPU {:.0}%, {}): {} overlaps the waits inside one process; processes ({}: {:.1} tasks/s) add {}start-up, pickling and memory ({:.1} MB against {:.1} MB).",
                bm.cpu_utilization * 100.0,
                gil_text(bm.gil_held),
                best.model,
                p.label(),
                pm.throughput.0,
                if gained { "more throughput, but also " } else { "nothing but " },
                pm.peak_rss_mb,
                bm.peak_rss_mb
            ));
        } else if bm.gil_held.is_none_or(|g| g < 0.5) {
            parts.push(format!(
                "Without a GIL to serialise them ({}), threads use the cores like processes do (CPU {:.0}% against {:.0}%), without their start-up, pickling and memory ({:.1} MB against {:.1} MB).",
                gil_text(bm.gil_held),
                bm.cpu_utilization * 100.0,
                pm.cpu_utilization * 100.0,
                bm.peak_rss_mb,
                pm.peak_rss_mb
            ));
        } else if p.model != best.model {
            parts.push(format!(
                "Processes ({}: {:.1} tasks/s, CPU {:.0}%) do no better here, at {:.1} MB of memory against {:.1} MB.",
                p.label(),
                pm.throughput.0,
                pm.cpu_utilization * 100.0,
                pm.peak_rss_mb,
                bm.peak_rss_mb
            ));
        }
    }
    if parts.is_empty() {
        let (_, name, figures) = model_bottleneck(best, &ranked_tp, cores);
        let name = if name == "none dominant" {
            "no single resource"
        } else {
            name
        };
        parts.push(format!(
            "At its best point {} is limited by {name} ({figures}).",
            best.label()
        ));
    }
    parts.join(" ")
}
