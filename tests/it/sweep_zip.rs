//! `[[sweep.zip]]`: keys that vary together, as one axis of the product.

use std::path::Path;

use gilsim::scenario::{Study, parse_study_str};

const PAIRED: &str = "name = \"zip\"\n[machine]\ncores = 2\n[[workload]]\nname = \"jobs\"\ntasks = 4\n\
steps = [ { cpu = \"1ms\" } ]\n[workload.run]\nmodel = \"threads\"\nworkers = 2\n\n[sweep]\n\
\"machine.cores\" = [1, 2]\n\n[[sweep.zip]]\n\"workload.jobs.run.model\" = [\"threads\", \"processes\", \"asyncio\"]\n\
\"workload.jobs.run.workers\" = [4, 2, 1]\n";

fn study(text: &str, sets: &[&str]) -> Result<Study, String> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    parse_study_str(text, Path::new("zip.toml"), &sets).map_err(|e| e.to_string())
}

fn values(s: &Study) -> Vec<Vec<String>> {
    s.points.iter().map(|p| p.values.clone()).collect()
}

#[test]
fn zipped_keys_vary_together_times_the_other_axes() {
    let s = study(PAIRED, &[]).unwrap();
    assert_eq!(
        s.sweep_keys,
        [
            "machine.cores",
            "workload.jobs.run.model",
            "workload.jobs.run.workers"
        ]
    );
    let v = values(&s);
    assert_eq!(v.len(), 6, "2 cores × 3 pairs, not 2 × 3 × 3");
    assert_eq!(v[0], ["1", "threads", "4"]);
    assert_eq!(v[1], ["1", "processes", "2"]);
    assert_eq!(v[2], ["1", "asyncio", "1"]);
    assert_eq!(v[5], ["2", "asyncio", "1"]);
    for p in &s.points {
        let w = &p.scenario.workloads[0];
        assert_eq!(w.model.name(), p.values[1]);
    }
}

#[test]
fn lists_of_different_lengths_are_refused_at_the_shorter_list() {
    let e = study(&PAIRED.replace("[4, 2, 1]", "[4, 2]"), &[]).unwrap_err();
    assert!(e.contains("zip.toml:17:31"), "{e}");
    assert!(
        e.contains("`workload.jobs.run.workers` has 2 values, `workload.jobs.run.model` has 3"),
        "{e}"
    );
}

#[test]
fn set_replaces_a_zipped_list_in_its_table_or_pins_the_key() {
    let s = study(PAIRED, &["sweep.workload.jobs.run.workers=[8, 4, 2]"]).unwrap();
    assert_eq!(values(&s)[1], ["1", "processes", "4"]);
    assert_eq!(s.points.len(), 6);
    let pinned = study(PAIRED, &["workload.jobs.run.workers=3"]).unwrap();
    assert_eq!(
        pinned.points.len(),
        6,
        "the model still varies with the cores"
    );
    assert_eq!(values(&pinned)[1], ["1", "processes"]);
    let e = study(PAIRED, &["sweep.workload.jobs.run.workers=[8]"]).unwrap_err();
    assert!(e.contains("vary together"), "{e}");
}

#[test]
fn a_key_in_the_sweep_and_in_a_zip_table_is_refused() {
    let twice = PAIRED.replace(
        "\"machine.cores\" = [1, 2]\n",
        "\"machine.cores\" = [1, 2]\n\"workload.jobs.run.workers\" = [1, 2, 3]\n",
    );
    let e = study(&twice, &[]).unwrap_err();
    assert!(
        e.contains("`workload.jobs.run.workers` is swept twice") && e.contains("zip.toml:18:"),
        "{e}"
    );
}
