//! Calibration without real timings: probe output parsing, the profile
//! file's round trip, and `[python] profile = "path"` in scenarios.

use std::collections::BTreeMap;
use std::path::Path;

use gilsim::calibrate::probes::{number, parse_output};
use gilsim::calibrate::profile::{
    MachineInfo, Measurement, Parameter, Profile, PythonInfo, Source, Value,
};
use gilsim::engine::random::Dist;
use gilsim::scenario::{Reader, Scenario, ScenarioError};

/// Parses a scenario whose profile is read by calibrate's loader, as the command line does.
fn parse_str(text: &str, path: &Path, sets: &[String]) -> Result<Scenario, ScenarioError> {
    Reader::new(sets)
        .with_profiles(gilsim::calibrate::profile::load_for_scenario)
        .parse_str(text, path)
}

fn sample_profile() -> Profile {
    let mut parameters = BTreeMap::new();
    parameters.insert(
        "machine.wakeup_latency".to_string(),
        Parameter {
            source: Source::Fitted,
            how: "convoy fit".into(),
            spread: "-".into(),
            value: Value::LogNormal {
                median_ns: 47_000,
                sigma: 0.6,
            },
        },
    );
    parameters.insert(
        "machine.wakeup_latency_polling".to_string(),
        Parameter {
            source: Source::Measured,
            how: "hand-off".into(),
            spread: "p25..p75 = 1..2 us".into(),
            value: Value::LogNormal {
                median_ns: 7_300,
                sigma: 0.45,
            },
        },
    );
    parameters.insert(
        "python.thread_start".to_string(),
        Parameter {
            source: Source::Measured,
            how: "start+join".into(),
            spread: "-".into(),
            value: Value::LogNormal {
                median_ns: 123_456,
                sigma: 0.25,
            },
        },
    );
    parameters.insert(
        "python.check_latency".to_string(),
        Parameter {
            source: Source::Default,
            how: "not identifiable".into(),
            spread: "-".into(),
            value: Value::LogNormal {
                median_ns: 9_999,
                sigma: 0.5,
            },
        },
    );
    parameters.insert(
        "machine.timer_slack".to_string(),
        Parameter {
            source: Source::Fitted,
            how: "test".into(),
            spread: "-".into(),
            value: Value::Normal {
                mean_ns: 60_000,
                sd_ns: 4_000,
            },
        },
    );
    let mut measurements = BTreeMap::new();
    measurements.insert(
        "cpu_loop_ns".to_string(),
        Measurement {
            unit: "ns".into(),
            n: 3,
            median: 54.25,
            p25: 50.125,
            p75: 60.0,
            min: 49.0,
            max: 61.5,
            best: 49.0,
        },
    );
    Profile {
        gilsim_version: "0.1.0".into(),
        date: "2026-12-03T07:00:00Z".into(),
        quick: true,
        python: PythonInfo {
            executable: "/usr/bin/python3".into(),
            version: "3.11.7 (main) [GCC]".into(),
            version_short: "3.11".into(),
            gil_disabled: false,
        },
        machine: MachineInfo {
            cores_online: 2,
            cores_list: "0,1".into(),
            cores_used: 2,
            pinned: true,
            cpu_model: "Test CPU".into(),
            cpuidle_driver: "haltpoll".into(),
            kernel: "6.1".into(),
            hz: None,
            base_slice_ns: None,
            load_average: "before 0.10, after 0.90".into(),
        },
        parameters,
        measurements,
    }
}

fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(name)
        .tempdir()
        .expect("temp dir")
}

#[test]
fn probe_output_is_one_json_object() {
    let ok = parse_output("costs.py", "noise\n{\"cpu_loop_ns\": 54.5}\n\n", "").expect("parses");
    assert_eq!(number(&ok, "costs.py", "cpu_loop_ns").ok(), Some(54.5));
    let missing = number(&ok, "costs.py", "sha256_mb_s")
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("costs.py") && missing.contains("sha256_mb_s"),
        "{missing}"
    );

    let garbage = parse_output(
        "switch.py",
        "Traceback (most recent call last)\n",
        "boom on stderr",
    )
    .unwrap_err()
    .to_string();
    assert!(
        garbage.contains("switch.py") && garbage.contains("not JSON"),
        "{garbage}"
    );
    assert!(
        garbage.contains("boom on stderr"),
        "stderr is shown: {garbage}"
    );

    let empty = parse_output("convoy.py", "", "err")
        .unwrap_err()
        .to_string();
    assert!(
        empty.contains("convoy.py") && empty.contains("nothing"),
        "{empty}"
    );
    let array = parse_output("info.py", "[1, 2]", "")
        .unwrap_err()
        .to_string();
    assert!(
        array.contains("not a JSON object") || array.contains("instead of a JSON object"),
        "{array}"
    );
}

#[test]
fn profile_round_trip() {
    let p = sample_profile();
    let dir = temp_dir("gilsim-profile");
    let path = dir.path().join("calibration").join("profile.toml");
    p.write(&path).expect("written");
    let back = Profile::load(&path).expect("loads");
    assert_eq!(back, p);
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn unknown_parameter_and_bad_toml_are_refused() {
    let mut text = sample_profile().to_toml().unwrap();
    text = text.replace("machine.timer_slack", "machine.timer_slak");
    let e = Profile::from_toml(&text, "p.toml").unwrap_err().to_string();
    assert!(e.contains("timer_slak"), "{e}");
    assert!(Profile::from_toml("this is not toml", "p.toml").is_err());
}

fn scenario_text(profile: &str, extra_python: &str, extra_machine: &str) -> String {
    format!(
        "name = \"p\"\n[machine]\ncores = 2\n{extra_machine}\n[python]\nversion = \"3.11\"\n{extra_python}\nprofile = {profile}\n\
         [[workload]]\nname = \"w\"\ntasks = 1\nsteps = [ {{ cpu = \"1ms\" }} ]\n"
    )
}

fn quoted(path: &Path) -> String {
    toml::Value::String(path.display().to_string()).to_string()
}

#[test]
fn a_scenario_picks_up_the_profile_and_its_own_keys_win() {
    let dir = temp_dir("gilsim-profile-scn");
    let path = dir.path().join("profile.toml");
    sample_profile().write(&path).unwrap();
    let text = scenario_text(&quoted(&path), "", "");
    let s = parse_str(&text, Path::new("s.toml"), &[]).expect("parses");
    assert_eq!(s.machine.cores, 2, "the core count stays the scenario's");
    assert_eq!(
        s.machine.wakeup_latency,
        Dist::LogNormal {
            median: 47_000,
            sigma: 0.6
        }
    );
    assert_eq!(
        s.machine.wakeup_latency_polling,
        Dist::LogNormal {
            median: 7_300,
            sigma: 0.45
        }
    );
    assert_eq!(
        s.machine.timer_slack,
        Dist::Normal {
            mean: 60_000,
            sd: 4_000
        }
    );
    assert_eq!(
        s.python.thread_start,
        Dist::LogNormal {
            median: 123_456,
            sigma: 0.25
        }
    );
    // A `default` parameter does not override.
    assert_eq!(
        s.python.check_latency,
        gilsim::python::PythonConfig::default().check_latency
    );
    assert_eq!(s.python.profile, path.display().to_string());

    // Scenario keys override the profile, wherever they are in the table.
    let text = scenario_text(
        &quoted(&path),
        "thread_start = \"5us\"",
        "wakeup_latency = \"9us\"",
    );
    let s = parse_str(&text, Path::new("s.toml"), &[]).expect("parses");
    assert_eq!(s.machine.wakeup_latency, Dist::Const(9_000));
    assert_eq!(s.python.thread_start, Dist::Const(5_000));
    // --set too.
    let sets = vec!["machine.wakeup_latency_polling=3us".to_string()];
    let s = parse_str(
        &scenario_text(&quoted(&path), "", ""),
        Path::new("s.toml"),
        &sets,
    )
    .unwrap();
    assert_eq!(s.machine.wakeup_latency_polling, Dist::Const(3_000));
}

#[test]
fn a_relative_profile_path_is_found_beside_the_scenario() {
    let dir = temp_dir("gilsim-profile-rel");
    sample_profile()
        .write(&dir.path().join("prof.toml"))
        .unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, scenario_text("\"prof.toml\"", "", "")).unwrap();
    let s = Reader::new(&[])
        .with_profiles(gilsim::calibrate::profile::load_for_scenario)
        .load(&scenario)
        .expect("loads");
    assert_eq!(s.python.profile, "prof.toml");
    assert_eq!(
        s.machine.wakeup_latency,
        Dist::LogNormal {
            median: 47_000,
            sigma: 0.6
        }
    );
}

#[test]
fn a_version_mismatch_is_only_a_warning() {
    let dir = temp_dir("gilsim-profile-ver");
    let path = dir.path().join("profile.toml");
    sample_profile().write(&path).unwrap();
    let text = scenario_text(&quoted(&path), "", "").replace("\"3.11\"", "\"3.13\"");
    let s = parse_str(&text, Path::new("s.toml"), &[]).expect("a warning, not an error");
    assert_eq!(s.python.version.minor, 13);
    assert_eq!(
        s.python.thread_start,
        Dist::LogNormal {
            median: 123_456,
            sigma: 0.25
        }
    );
}

#[test]
fn a_broken_profile_is_a_scenario_error_at_its_value() {
    let dir = temp_dir("gilsim-profile-bad");
    let missing = dir.path().join("nope.toml");
    let text = scenario_text(&quoted(&missing), "", "");
    let e = parse_str(&text, Path::new("s.toml"), &[]).unwrap_err();
    let line = text.lines().position(|l| l.starts_with("profile")).unwrap() + 1;
    assert_eq!(e.location(), Some((line, "profile = ".len() + 1)), "{e}");
    assert_eq!(e.key(), Some("python.profile"));
    assert!(e.to_string().contains("cannot read"), "{e}");

    let garbled = dir.path().join("garbled.toml");
    std::fs::write(&garbled, "date = 3\n").unwrap();
    let e = parse_str(
        &scenario_text(&quoted(&garbled), "", ""),
        Path::new("s.toml"),
        &[],
    )
    .unwrap_err();
    assert_eq!(e.location(), Some((line, "profile = ".len() + 1)), "{e}");
    assert!(e.to_string().contains("not a valid gilsim profile"), "{e}");

    // `reference` is still the built-in default.
    let s = parse_str(
        &scenario_text("\"reference\"", "", ""),
        Path::new("s.toml"),
        &[],
    )
    .unwrap();
    assert_eq!(
        s.machine.wakeup_latency,
        gilsim::machine::MachineConfig::default().wakeup_latency
    );
    assert_eq!(s.python.profile, "reference");
}

#[test]
fn process_and_asyncio_costs_of_a_profile_reach_the_scenario() {
    let mut p = sample_profile();
    let mut put = |k: &str, source: Source, value: Value| {
        p.parameters.insert(
            k.to_string(),
            Parameter {
                source,
                how: "test".into(),
                spread: "-".into(),
                value,
            },
        );
    };
    put(
        "python.pickle_ns_per_byte",
        Source::Measured,
        Value::Number { value: 1.75 },
    );
    put(
        "python.unpickle_ns_per_byte",
        Source::Default,
        Value::Number { value: 99.0 },
    );
    put(
        "python.pickle_message",
        Source::Fitted,
        Value::Const { ns: 12_345 },
    );
    put(
        "python.fork_start_parent",
        Source::Measured,
        Value::LogNormal {
            median_ns: 900_000,
            sigma: 0.2,
        },
    );
    put(
        "python.spawn_start",
        Source::Measured,
        Value::LogNormal {
            median_ns: 50_000_000,
            sigma: 0.2,
        },
    );
    put(
        "python.loop_callback",
        Source::Measured,
        Value::LogNormal {
            median_ns: 1_900,
            sigma: 0.3,
        },
    );
    put(
        "machine.wakeup_granularity",
        Source::Fitted,
        Value::Const { ns: 2_000_000 },
    );
    let dir = temp_dir("gilsim-profile-costs");
    let path = dir.path().join("profile.toml");
    p.write(&path).unwrap();
    assert_eq!(
        Profile::load(&path).expect("loads"),
        p,
        "numbers round-trip"
    );
    let s = parse_str(
        &scenario_text(&quoted(&path), "", ""),
        Path::new("s.toml"),
        &[],
    )
    .expect("parses");
    let d = gilsim::python::PythonConfig::default();
    assert_eq!(s.python.process.pickle_ns_per_byte, 1.75);
    assert_eq!(
        s.python.process.unpickle_ns_per_byte, d.process.unpickle_ns_per_byte,
        "a default entry does not override"
    );
    assert_eq!(s.python.process.pickle_message, 12_345);
    assert_eq!(
        s.python.process.start_parent[0],
        Dist::LogNormal {
            median: 900_000,
            sigma: 0.2
        }
    );
    assert_eq!(s.python.process.start_parent[1], d.process.start_parent[1]);
    assert_eq!(
        s.python.process.start_child[1],
        Dist::LogNormal {
            median: 50_000_000,
            sigma: 0.2
        }
    );
    assert_eq!(
        s.python.asyncio.loop_callback,
        Dist::LogNormal {
            median: 1_900,
            sigma: 0.3
        }
    );
    assert_eq!(s.python.asyncio.task_step, d.asyncio.task_step);
    assert_eq!(s.machine.wakeup_granularity, 2_000_000);
    // The scenario's own key still wins.
    let s = parse_str(
        &scenario_text(&quoted(&path), "pickle_ns_per_byte = 0.5", ""),
        Path::new("s.toml"),
        &[],
    )
    .unwrap();
    assert_eq!(s.python.process.pickle_ns_per_byte, 0.5);
}

#[test]
fn a_negative_number_in_a_profile_is_refused() {
    let mut p = sample_profile();
    p.parameters.insert(
        "python.pickle_ns_per_byte".into(),
        Parameter {
            source: Source::Measured,
            how: "test".into(),
            spread: "-".into(),
            value: Value::Number { value: -1.0 },
        },
    );
    let e = Profile::from_toml(&p.to_toml().unwrap(), "p.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("pickle_ns_per_byte"), "{e}");
}

#[test]
fn a_slower_cpu_scales_every_cpu_cost_and_no_os_latency() {
    use gilsim::python::PythonConfig;
    let p = PythonConfig::default();
    let slow = p.cpu_scaled(2.0);
    assert_eq!(slow.queue_put.mean(), 2.0 * p.queue_put.mean());
    assert_eq!(
        slow.asyncio.task_step.mean(),
        2.0 * p.asyncio.task_step.mean()
    );
    assert_eq!(
        slow.process.pickle_ns_per_byte,
        2.0 * p.process.pickle_ns_per_byte
    );
    assert_eq!(slow.process.pipe_syscall, 2 * p.process.pipe_syscall);
    // Process start-up and the GIL's interval are not CPU work of the interpreter.
    assert_eq!(slow.process.start_child, p.process.start_child);
    assert_eq!(slow.switch_interval_us, p.switch_interval_us);
    assert_eq!(p.cpu_scaled(1.0), p);
}

/// A profile selects the scheduler of the kernel it was measured on:
/// EEVDF from Linux 6.6 with its slice for the online CPUs and the tick of
/// its `CONFIG_HZ`, CFS before; a scenario's own key still wins; the
/// calibration summary says which and prints a probability as a number.
#[test]
fn a_profile_sets_the_scheduler_of_its_kernel() {
    use gilsim::calibrate::runner::{CalibrateReport, summary};
    use gilsim::machine::Scheduler;
    let dir = temp_dir("gilsim-profile-sched");
    let old = dir.path().join("old.toml");
    sample_profile().write(&old).unwrap();
    let s = parse_str(
        &scenario_text(&quoted(&old), "", ""),
        Path::new("s.toml"),
        &[],
    )
    .expect("parses");
    assert_eq!(s.machine.scheduler, Scheduler::Cfs, "kernel 6.1");

    let mut new = sample_profile();
    new.machine.kernel = "6.18.44-fc-v1300".into();
    new.machine.hz = Some(1000);
    new.machine.base_slice_ns = Some(1_600_000);
    new.parameters.insert(
        "python.gil_requester_wins".to_string(),
        Parameter {
            source: Source::Fitted,
            how: "race".into(),
            spread: "-".into(),
            value: Value::Number { value: 0.7 },
        },
    );
    let path = dir.path().join("new.toml");
    new.write(&path).unwrap();
    let s = parse_str(
        &scenario_text(&quoted(&path), "", ""),
        Path::new("s.toml"),
        &[],
    )
    .expect("parses");
    assert_eq!(s.machine.scheduler, Scheduler::Eevdf);
    assert_eq!(
        s.machine.base_slice, 1_600_000,
        "the slice the kernel reported"
    );
    assert_eq!(s.machine.tick, 1_000_000, "CONFIG_HZ=1000");
    let s = parse_str(
        &scenario_text(&quoted(&path), "", "scheduler = \"cfs\""),
        Path::new("s.toml"),
        &[],
    )
    .expect("parses");
    assert_eq!(
        s.machine.scheduler,
        Scheduler::Cfs,
        "the scenario's key wins"
    );

    let text = summary(&CalibrateReport {
        profile: new,
        path: path.clone(),
        notes: Vec::new(),
    });
    assert!(
        text.contains("scheduler: EEVDF (base slice 1.60 ms, tick 1 ms)"),
        "{text}"
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("python.gil_requester_wins"))
        .expect("the share's line");
    assert!(line.ends_with("0.700"), "{line}");
}
