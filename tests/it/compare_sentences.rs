//! Every sentence `gilsim compare` prints is derived from the numbers it
//! describes: each kind of sentence is checked against the candidates'
//! metrics, over the bundled compare scenarios and three that once drew
//! false sentences (threads said to use one core while a C call let them
//! keep five busy; a `--goal memory` ratio below 1; "limited by none
//! dominant" under a GIL held 92%), under every goal; and a pipeline's
//! stage, whose machine CPU counts the other stages too.

use std::path::{Path, PathBuf};

use gilsim::compare::{self, Candidate, CompareArgs, Goal};

/// Threads whose tasks spend 80% of their CPU in a C call that releases the GIL.
const NOGIL_SHARE: &str = r#"
name = "nogil-share"
seed = 3
[machine]
cores = 8
[python]
version = "3.12"
[[workload]]
name = "jobs"
tasks = 400
steps = [ { cpu = "2ms" }, { cpu_nogil = "8ms" } ]
args_bytes = "1KiB"
[workload.run]
model = "threads"
workers = 8
"#;

/// Every number that follows `prefix` in `text`, parsed as far as it reads.
fn numbers_after(text: &str, prefix: &str) -> Vec<f64> {
    text.match_indices(prefix)
        .filter_map(|(i, _)| {
            let rest = &text[i + prefix.len()..];
            let n: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            n.trim_end_matches('.').parse().ok()
        })
        .collect()
}

/// The number just before `suffix`, for each occurrence.
fn numbers_before(text: &str, suffix: &str) -> Vec<f64> {
    text.match_indices(suffix)
        .filter_map(|(i, _)| {
            let head = &text[..i];
            let start = head
                .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
                .map_or(0, |p| p + 1);
            head[start..].parse().ok()
        })
        .collect()
}

/// Checks each sentence kind of one workload's text against its candidates.
fn check(text: &str, cands: &[&Candidate], cores: u32, what: &str) {
    let ran: Vec<&Candidate> = cands
        .iter()
        .copied()
        .filter(|c| c.metrics.is_some())
        .collect();
    let m = |c: &Candidate| c.metrics.clone().unwrap();
    // Bottlenecks: "none dominant" never while a thread pool's GIL is held 85%, nor the cores 85% busy.
    for c in &ran {
        let (name, _) = compare::bottleneck(c, cores);
        let held = m(c).gil_held.unwrap_or(0.0);
        if name == "none dominant" {
            assert!(
                !(c.model == "threads" && c.workers.unwrap_or(1) > 1 && held >= 0.85),
                "{what}: {} none dominant with the GIL held {held}",
                c.label()
            );
            assert!(
                m(c).cpu_utilization < 0.85,
                "{what}: {} none dominant",
                c.label()
            );
        }
    }
    assert!(!text.contains("limited by none dominant"), "{what}: {text}");
    // A share of what a model can use is at most 100%.
    for pct in numbers_before(text, "% of what ") {
        assert!(pct <= 100.0, "{what}: {pct}% of what it can use: {text}");
    }
    // Ratios "N× higher/lower/smaller than": the best is never worse than the runner-up.
    for word in ["× higher than", "× lower than", "× smaller than"] {
        for r in numbers_before(text, word) {
            assert!(r >= 1.0, "{what}: ratio {r}{word}: {text}");
        }
    }
    // A runner-up that needs less memory is said to, never "0.2× smaller".
    if text.contains("needs the least memory (") {
        let a = numbers_after(text, "needs the least memory (")[0];
        let b = numbers_after(text, "needs less (")[0];
        assert!(b < a, "{what}: {a} MB against {b} MB: {text}");
    }
    // Threads on one core, or on several: the busy cores printed are the threads' own.
    let threads_cores: Vec<f64> = ran
        .iter()
        .filter(|c| c.model == "threads")
        .map(|c| (m(c).cpu_utilization * f64::from(cores) * 10.0).round() / 10.0)
        .collect();
    for used in numbers_after(text, "one core at a time (") {
        assert!(used < 1.5, "{what}: one core at a time with {used} busy");
        assert!(
            threads_cores.contains(&used),
            "{what}: {used} not a threads figure"
        );
    }
    for used in numbers_after(text, "threads keep ") {
        assert!(used >= 1.5, "{what}: several cores with {used} busy");
        assert!(
            threads_cores.contains(&used),
            "{what}: {used} not a threads figure"
        );
    }
    assert!(!text.contains("cannot use a second core"), "{what}");
    // "The tasks mostly wait" only with little CPU and a GIL held under half the time.
    if let Some(i) = text.find("The tasks mostly wait (CPU ") {
        let s = &text[i..];
        assert!(numbers_after(s, "(CPU ")[0] <= 50.0, "{what}: {s}");
        if let Some(g) = numbers_after(s, "GIL held ").first() {
            assert!(
                *g <= 50.0,
                "{what}: mostly waiting with the GIL held {g}%: {s}"
            );
        }
    }
    if let Some(i) = text.find("Without a GIL to serialise them (GIL held ") {
        let g = numbers_after(&text[i..], "GIL held ")[0];
        assert!(g <= 50.0, "{what}: no GIL to serialise them, held {g}%");
    }
    // The largest worker count tried: said exactly when the best is it.
    let largest = |model: &str| {
        ran.iter()
            .filter(|c| c.model == model)
            .filter_map(|c| c.workers)
            .max()
    };
    if let Some(i) = text.find(" is the largest worker count tried for ") {
        let line = &text[text[..i].rfind('\n').map_or(0, |p| p + 1)..];
        let n = numbers_after(line, "×")[0] as u32;
        let model = line["warning: ".len()..].split(" ×").next().unwrap();
        assert_eq!(largest(model), Some(n), "{what}: {line}");
    }
    // Memory flags: only above cores × 4 GiB.
    for mb in numbers_after(text, " needs ")
        .into_iter()
        .filter(|_| text.contains("   ! "))
    {
        if text.contains(&format!("needs {mb:.1} MB at its peak")) {
            assert!(mb > f64::from(cores) * 4096.0, "{what}: {mb} MB flagged");
        }
    }
}

fn run(file: &Path, goal: Goal, extra: &[&str], dir: &Path) -> (String, Vec<Candidate>) {
    let r = compare::compare(&CompareArgs {
        file: file.to_path_buf(),
        replications: Some(2),
        goal,
        jobs: Some(2),
        out: Some(dir.to_path_buf()),
        overrides: extra.iter().map(|s| s.to_string()).collect(),
        ..CompareArgs::default()
    })
    .unwrap_or_else(|e| panic!("{}: {}", file.display(), e.message()));
    (r.text, r.candidates)
}

fn scenarios(dir: &Path) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let nogil = dir.join("nogil-share.toml");
    std::fs::write(&nogil, NOGIL_SHARE).unwrap();
    let mut v: Vec<PathBuf> = ["cpu-batch", "io-crawler", "web-handler"]
        .iter()
        .map(|n| root.join(format!("compare/{n}.toml")))
        .collect();
    v.push(nogil);
    v.push(root.join("producer-consumer.toml"));
    v.push(root.join("three-stage-pipeline.toml"));
    v
}

#[test]
fn every_sentence_kind_agrees_with_the_numbers_it_describes() {
    let tmp = tempfile::tempdir().unwrap();
    for file in scenarios(tmp.path()) {
        for goal in [Goal::Throughput, Goal::Latency, Goal::Memory] {
            let (text, cands) = run(&file, goal, &[], &tmp.path().join("out"));
            let what = format!("{} {goal:?}", file.display());
            let cores = if file.ends_with("nogil-share.toml") {
                8
            } else {
                4
            };
            for part in text.split("\nworkload `").skip(1) {
                let w = part.split('`').next().unwrap();
                let mine: Vec<&Candidate> = cands.iter().filter(|c| c.workload == w).collect();
                check(part, &mine, cores, &format!("{what} `{w}`"));
            }
        }
    }
}

#[test]
fn the_reproduced_sentences_now_say_what_the_numbers_say() {
    let tmp = tempfile::tempdir().unwrap();
    let files = scenarios(tmp.path());
    let (text, _) = run(&files[3], Goal::Throughput, &[], &tmp.path().join("a"));
    assert!(text.contains("threads keep 4."), "{text}");
    let (text, _) = run(&files[0], Goal::Memory, &[], &tmp.path().join("b"));
    assert!(text.contains("needs the least memory"), "{text}");
    let (text, _) = run(&files[4], Goal::Throughput, &[], &tmp.path().join("c"));
    assert!(
        text.contains("threads ×16              the GIL ("),
        "{text}"
    );
}

#[test]
fn mostly_waiting_tasks_get_more_workers_and_a_warning_at_the_largest() {
    let tmp = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/compare/io-crawler.toml");
    let (text, cands) = run(&file, Goal::Throughput, &[], tmp.path());
    // 0.5 ms of CPU in 30.5 ms: 4 cores need about 244 workers; tried up to 256.
    assert!(text.contains("note: workers tried up to 256"), "{text}");
    assert!(cands.iter().any(|c| c.workers == Some(256)));
    assert!(
        text.contains("×256 is the largest worker count tried"),
        "{text}"
    );
}

#[test]
fn a_candidate_needing_more_memory_than_the_machine_likely_has_is_flagged() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("big.toml");
    std::fs::write(
        &file,
        "name = \"big\"\nseed = 1\n[machine]\ncores = 1\n[python]\nprocess_rss = \"100MiB\"\n\
         [[workload]]\nname = \"jobs\"\ntasks = 64\nsteps = [ { cpu = \"1ms\" } ]\nargs_bytes = \"1KiB\"\n\
         [workload.run]\nmodel = \"processes\"\nworkers = 4\n",
    )
    .unwrap();
    // 64 worker processes of 100 MiB each need 6.4 GB; one needs 200 MB.
    let r = compare::compare(&CompareArgs {
        file,
        models: Some(vec!["processes".into()]),
        workers: Some(vec![1, 64]),
        replications: Some(1),
        out: Some(tmp.path().join("out")),
        ..CompareArgs::default()
    })
    .unwrap_or_else(|e| panic!("{}", e.message()));
    assert!(
        r.text.contains("   ! processes ×64")
            && r.text.contains("more than the 4096 MB a 1-core machine"),
        "{}",
        r.text
    );
    assert!(!r.text.contains("   ! processes ×1 "), "{}", r.text);
}
