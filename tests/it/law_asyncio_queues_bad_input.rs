//! Which asyncio stages parse: `asyncio.Queue` links asyncio to asyncio
//! (joins included); an asyncio stage fed by threads, or threads fed by
//! asyncio, is still refused with the file, line and column (exit 2).

use std::path::Path;
use std::process::Command;

use gilsim::scenario::parse_str;

const PIPELINE: &str = r#"name = "t"

[[workload]]
name = "fetch"
tasks = 10
steps = [ { io = "1ms" } ]
[workload.run]
model = "asyncio"

[[workload]]
name = "parse"
after = "fetch"
queue = 4
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "asyncio"
workers = 2
"#;

#[track_caller]
fn refused(text: &str, line: usize, column: usize, words: &str) {
    let e = parse_str(text, Path::new("t.toml"), &[]).expect_err("refused");
    let msg = e.to_string();
    assert_eq!(e.location(), Some((line, column)), "{msg}");
    assert!(msg.contains(&format!("t.toml:{line}:{column}")), "{msg}");
    assert_eq!(e.key(), Some("workload.parse.after"), "{msg}");
    assert!(msg.contains(words), "no {words:?} in:\n{msg}");
}

#[test]
fn asyncio_to_asyncio_stages_and_joins_parse() {
    let s = parse_str(PIPELINE, Path::new("t.toml"), &[]).expect("an asyncio.Queue stage");
    let ch = match &s.workloads[1].arrival {
        gilsim::workload::Arrival::After { channel, .. } => *channel,
        a => panic!("not a stage: {a:?}"),
    };
    assert_eq!(ch, gilsim::workload::StageChannel::AsyncioQueue);
    let join = format!(
        "{}\n[[workload]]\nname = \"other\"\ntasks = 10\nsteps = [ {{ io = \"1ms\" }} ]\n[workload.run]\nmodel = \"asyncio\"\n",
        PIPELINE.replace("after = \"fetch\"", "after = [\"fetch\", \"other\"]")
    );
    parse_str(&join, Path::new("t.toml"), &[]).expect("an asyncio join");
}

#[test]
fn an_asyncio_stage_fed_by_threads_is_refused() {
    let text = PIPELINE.replacen("model = \"asyncio\"", "model = \"threads\"", 1);
    refused(&text, 12, 9, "not built yet");
}

#[test]
fn a_thread_stage_fed_by_asyncio_is_refused() {
    let text = PIPELINE.replace(
        "model = \"asyncio\"\nworkers = 2",
        "model = \"threads\"\nworkers = 2",
    );
    refused(&text, 12, 9, "not built yet");
}

#[test]
fn the_binary_exits_2_on_a_refused_asyncio_stage() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("t.toml");
    let text = PIPELINE.replacen("model = \"asyncio\"", "model = \"threads\"", 1);
    std::fs::write(&file, text).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .expect("run gilsim");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("t.toml:12:9"), "{err}");
}
