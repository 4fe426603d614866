//! `trace.json`: a [`Timeline`] as Chrome trace-event JSON (the "JSON Object
//! Format" of the Trace Event Format), to open in Perfetto (ui.perfetto.dev)
//! or chrome://tracing.
//!
//! Layout: one process per interpreter (pid `2 + interpreter`, named
//! `python (main interpreter)` for interpreter 0), with a `GIL` track
//! (tid 0, complete events `held by io/0`) and one track per thread lane
//! (tid `1 + lane`, named by the lane label) carrying its states as complete
//! events and the drop requests it set as instant events; and one process
//! for the machine (pid 1) with one track per core (tid = core index,
//! `core 0`), showing the thread on it or being switched in. Times are in
//! microseconds of simulated time (absolute, not relative to the window),
//! with up to three decimals so nanoseconds survive. The output depends only
//! on the timeline: same timeline, same bytes.
//!
//! Tasks: on each thread's track, a span per task it worked on (`task 17`,
//! category `task`, with the task's id, workload and arrival in its args;
//! `message: task 17` for a message of tasks a pool's thread held; `branch`
//! too once its `one_of` branch is drawn) with its
//! steps nested inside (category `step`, named after the step's `name` or
//! its kind), and flow events (category `flow`) from each span of a task to
//! the next one on another thread or process: Perfetto draws them as arrows
//! and "Follow flow" walks a request across the program.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::time::Nanos;
use crate::results::timeline::{CoreUse, MarkKind, SpanKind, TaskSpan, Timeline};

/// The machine's process id.
pub const MACHINE_PID: usize = 1;

/// The process id of `interpreter`.
pub fn interpreter_pid(interpreter: usize) -> usize {
    2 + interpreter
}

/// The GIL track's thread id inside an interpreter's process.
pub const GIL_TID: usize = 0;

/// The track (thread id) of thread lane `tid` inside its interpreter's process.
pub fn thread_tid(lane: usize) -> usize {
    1 + lane
}

#[derive(Serialize)]
struct TraceFile<'a> {
    #[serde(rename = "traceEvents")]
    trace_events: Vec<Event>,
    #[serde(rename = "displayTimeUnit")]
    display_time_unit: &'static str,
    #[serde(rename = "otherData")]
    other_data: OtherData<'a>,
}

#[derive(Serialize)]
struct OtherData<'a> {
    scenario: &'a str,
    generator: &'static str,
    window_start_us: f64,
    window_end_us: f64,
    switch_interval_us: f64,
}

#[derive(Serialize)]
struct Event {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    cat: Option<&'static str>,
    ph: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dur: Option<f64>,
    pid: usize,
    tid: usize,
    /// The scope of an instant event (`t`: its thread).
    #[serde(skip_serializing_if = "Option::is_none")]
    s: Option<&'static str>,
    /// A flow event's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    /// A flow end's binding point (`e`: the enclosing slice).
    #[serde(skip_serializing_if = "Option::is_none")]
    bp: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    args: Option<Args>,
}

#[derive(Serialize)]
struct Args {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sort_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tasks: Option<Vec<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workload: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arrival_us: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    branch: Option<String>,
}

impl Args {
    fn none() -> Args {
        Args {
            name: None,
            sort_index: None,
            task: None,
            tasks: None,
            workload: None,
            arrival_us: None,
            branch: None,
        }
    }
}

/// Nanoseconds as microseconds: exact to the nanosecond (three decimals)
/// below 2^53 ns, about 104 days.
fn us(ns: Nanos) -> f64 {
    ns as f64 / 1000.0
}

fn metadata(
    kind: &str,
    pid: usize,
    tid: usize,
    name: Option<String>,
    sort: Option<usize>,
) -> Event {
    Event {
        name: kind.to_string(),
        cat: None,
        ph: "M",
        ts: None,
        dur: None,
        pid,
        tid,
        s: None,
        id: None,
        bp: None,
        args: Some(Args {
            name,
            sort_index: sort,
            ..Args::none()
        }),
    }
}

fn complete(
    name: String,
    cat: &'static str,
    start: Nanos,
    end: Nanos,
    pid: usize,
    tid: usize,
) -> Event {
    Event {
        name,
        cat: Some(cat),
        ph: "X",
        ts: Some(us(start)),
        dur: Some(us(end.saturating_sub(start))),
        pid,
        tid,
        s: None,
        id: None,
        bp: None,
        args: None,
    }
}

/// The name of an interpreter's process.
fn interpreter_name(interpreter: usize) -> String {
    if interpreter == 0 {
        "python (main interpreter)".to_string()
    } else {
        format!("python (interpreter {interpreter})")
    }
}

/// The name of a task span.
fn span_name(span: &TaskSpan) -> String {
    match (span.kind, span.tasks.as_slice()) {
        (SpanKind::Program, [id, ..]) => format!("task {id}"),
        (SpanKind::Message, [id]) => format!("message: task {id}"),
        (SpanKind::Message, [first, .., last])
            if last.checked_sub(*first) == Some(span.tasks.len() as u64 - 1) =>
        {
            format!("message: tasks {first}–{last}")
        }
        (_, ids) => format!("message: {} tasks", ids.len()),
    }
}

/// The task spans with their steps, then the flows linking each task's
/// spans on different threads, in time order per task.
fn task_spans(t: &Timeline, events: &mut Vec<Event>) {
    let spans = &t.spans;
    // (task, start, end, pid, tid) of every span a task appears in.
    let mut hops: Vec<(u64, Nanos, Nanos, usize, usize)> = Vec::new();
    for span in &spans.spans {
        let (pid, tid) = (interpreter_pid(span.interpreter), thread_tid(span.lane));
        let workload = spans.workloads.get(span.workload).cloned();
        let mut e = complete(span_name(span), "task", span.start, span.end, pid, tid);
        e.args = Some(Args {
            task: (span.tasks.len() == 1).then(|| span.tasks[0]),
            tasks: (span.tasks.len() > 1).then(|| span.tasks.clone()),
            workload,
            arrival_us: Some(us(span.arrival)),
            branch: span
                .branch
                .and_then(|b| spans.labels.get(b as usize).cloned()),
            ..Args::none()
        });
        events.push(e);
        for step in &span.steps {
            let label = spans
                .labels
                .get(step.what as usize)
                .cloned()
                .unwrap_or_default();
            events.push(complete(label, "step", step.start, step.end, pid, tid));
        }
        hops.extend(
            span.tasks
                .iter()
                .map(|&id| (id, span.start, span.end, pid, tid)),
        );
    }
    hops.sort_unstable();
    let mut flow_id = 0u64;
    for pair in hops.windows(2) {
        let ((id, a_start, a_end, a_pid, a_tid), (next, b_start, _, b_pid, b_tid)) =
            (pair[0], pair[1]);
        if id != next || (a_pid, a_tid) == (b_pid, b_tid) {
            continue;
        }
        // Inside the first span, no later than the second one starts.
        let from = a_end.saturating_sub(1).min(b_start).max(a_start);
        for (ph, at, pid, tid, bp) in [
            ("s", from, a_pid, a_tid, None),
            ("f", b_start, b_pid, b_tid, Some("e")),
        ] {
            events.push(Event {
                name: format!("task {id}"),
                cat: Some("flow"),
                ph,
                ts: Some(us(at)),
                dur: None,
                pid,
                tid,
                s: None,
                id: Some(flow_id),
                bp,
                args: None,
            });
        }
        flow_id += 1;
    }
}

/// Writes `t` as Chrome trace-event JSON (`{"traceEvents": [...], "displayTimeUnit": "ns"}`).
/// `scenario_name` goes in `otherData`.
pub fn chrome_trace(t: &Timeline, scenario_name: &str) -> Vec<u8> {
    let labels: BTreeMap<usize, &str> = t
        .threads
        .iter()
        .map(|l| (l.tid, l.label.as_str()))
        .collect();
    let label = |lane: usize| {
        labels
            .get(&lane)
            .map_or_else(|| format!("thread {lane}"), |l| l.to_string())
    };
    let mut events = Vec::new();

    // Processes: the machine first, then each interpreter that appears.
    events.push(metadata(
        "process_name",
        MACHINE_PID,
        0,
        Some("machine".to_string()),
        None,
    ));
    events.push(metadata(
        "process_sort_index",
        MACHINE_PID,
        0,
        None,
        Some(0),
    ));
    let mut interpreters: Vec<usize> = t
        .threads
        .iter()
        .map(|l| l.interpreter)
        .chain(t.gils.iter().map(|g| g.interpreter))
        .chain(t.marks.iter().map(|m| m.interpreter))
        .collect();
    interpreters.sort_unstable();
    interpreters.dedup();
    for &i in &interpreters {
        let pid = interpreter_pid(i);
        events.push(metadata(
            "process_name",
            pid,
            0,
            Some(interpreter_name(i)),
            None,
        ));
        events.push(metadata("process_sort_index", pid, 0, None, Some(1 + i)));
    }

    // Tracks.
    for core in &t.cores {
        let name = format!("core {}", core.core);
        events.push(metadata(
            "thread_name",
            MACHINE_PID,
            core.core,
            Some(name),
            None,
        ));
        events.push(metadata(
            "thread_sort_index",
            MACHINE_PID,
            core.core,
            None,
            Some(core.core),
        ));
    }
    for gil in &t.gils {
        let pid = interpreter_pid(gil.interpreter);
        events.push(metadata(
            "thread_name",
            pid,
            GIL_TID,
            Some("GIL".to_string()),
            None,
        ));
        events.push(metadata("thread_sort_index", pid, GIL_TID, None, Some(0)));
    }
    for lane in &t.threads {
        let (pid, tid) = (interpreter_pid(lane.interpreter), thread_tid(lane.tid));
        events.push(metadata(
            "thread_name",
            pid,
            tid,
            Some(lane.label.clone()),
            None,
        ));
        events.push(metadata("thread_sort_index", pid, tid, None, Some(tid)));
    }
    // A mark whose thread has no lane still gets a named track.
    let mut orphans: Vec<(usize, usize)> = t
        .marks
        .iter()
        .filter(|m| !labels.contains_key(&m.tid))
        .map(|m| (m.interpreter, m.tid))
        .collect();
    orphans.sort_unstable();
    orphans.dedup();
    for (interpreter, lane) in orphans {
        let (pid, tid) = (interpreter_pid(interpreter), thread_tid(lane));
        events.push(metadata("thread_name", pid, tid, Some(label(lane)), None));
    }

    // Intervals and marks.
    for core in &t.cores {
        for iv in &core.intervals {
            let name = match iv.what {
                CoreUse::Thread(lane) => label(lane),
                CoreUse::Switching(lane) => format!("switching to {}", label(lane)),
            };
            events.push(complete(
                name,
                "core",
                iv.start,
                iv.end,
                MACHINE_PID,
                core.core,
            ));
        }
    }
    for gil in &t.gils {
        let pid = interpreter_pid(gil.interpreter);
        for iv in &gil.intervals {
            let name = format!("held by {}", label(iv.what));
            events.push(complete(name, "gil", iv.start, iv.end, pid, GIL_TID));
        }
    }
    for lane in &t.threads {
        let (pid, tid) = (interpreter_pid(lane.interpreter), thread_tid(lane.tid));
        let has_gil = t.gils.iter().any(|g| g.interpreter == lane.interpreter);
        for iv in &lane.intervals {
            let name = iv.what.label_in(has_gil).to_string();
            events.push(complete(name, "thread", iv.start, iv.end, pid, tid));
        }
    }
    for m in &t.marks {
        let name = match m.kind {
            MarkKind::DropRequest => "drop request",
            MarkKind::LostUpdate => "lost update: a stale write",
        };
        events.push(Event {
            name: name.to_string(),
            cat: Some("gil"),
            ph: "i",
            ts: Some(us(m.at)),
            dur: None,
            pid: interpreter_pid(m.interpreter),
            tid: thread_tid(m.tid),
            s: Some("t"),
            id: None,
            bp: None,
            args: None,
        });
    }
    task_spans(t, &mut events);

    let file = TraceFile {
        trace_events: events,
        display_time_unit: "ns",
        other_data: OtherData {
            scenario: scenario_name,
            generator: concat!("gilsim ", env!("CARGO_PKG_VERSION")),
            window_start_us: us(t.start),
            window_end_us: us(t.end),
            switch_interval_us: us(t.switch_interval),
        },
    };
    let mut out = serde_json::to_vec(&file).expect("trace events always serialize");
    out.push(b'\n');
    out
}
