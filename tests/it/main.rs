//! gilsim's integration tests, built as one test binary (`cargo test --test it`).
//!
//! Each module below is one behaviour and was once its own file under `tests/`:
//! the laws (`law_*`), the layering of `src/` (`architecture`), golden results, determinism, bad input, timelines,
//! properties (`proptest_*`), calibration and the command line. Shared helpers
//! live in `common`. Run one behaviour with a filter, e.g.
//! `cargo test --release --test it law_convoy`.
//!
//! Proptest keeps failing seeds in `tests/proptest-regressions/MODULE.txt`:
//! its default path next to the directory holding the crate root `main.rs`,
//! not beside the module's file.

mod common;

mod architecture;
mod bad_input;
mod calibrate_costs;
mod calibrate_fit;
mod calibrate_profile;
mod calibrate_smoke;
mod capacity_cli;
mod chrome_trace;
mod cli_bad_input;
mod cli_closed_stdout;
mod compare_cli;
mod compare_sentences;
mod deadlock;
mod determinism;
mod equal_times;
mod events_errors;
mod every_value_checked;
mod faults;
mod fuzz_scenarios;
mod gil_voluntary_drop;
mod golden;
mod law_asyncio_bad_input;
mod law_asyncio_blocking;
mod law_asyncio_cpu_handler;
mod law_asyncio_events;
mod law_asyncio_loop_order;
mod law_asyncio_queues;
mod law_asyncio_queues_bad_input;
mod law_asyncio_sleep_fanout;
mod law_asyncio_to_thread;
mod law_asyncio_with_threads;
mod law_asyncio_workers;
mod law_batch_window;
mod law_condition;
mod law_conservation;
mod law_convoy;
mod law_cpu_bound;
mod law_eevdf;
mod law_event_flag;
mod law_event_herd;
mod law_events_on_change;
mod law_gil_alone;
mod law_gil_requester_race;
mod law_one_thread;
mod law_overload;
mod law_pipeline_flow;
mod law_pipeline_mp_queues;
mod law_pipeline_queues;
mod law_processes_chunksize;
mod law_processes_conservation;
mod law_processes_fork_memory;
mod law_processes_parent;
mod law_processes_payload;
mod law_processes_pool_import;
mod law_processes_scale;
mod law_processes_shared_memory;
mod law_processes_start;
mod law_races;
mod law_request_mix;
mod law_semaphore;
mod law_shapes;
mod law_subinterpreters;
mod limits;
mod pitfalls;
mod proptest_asyncio;
mod proptest_limits;
mod proptest_pipelines;
mod proptest_pipelines_processes;
mod proptest_processes;
mod proptest_threads;
mod readme_parameters;
mod record;
mod render_in_memory;
mod run_assert;
mod run_outputs;
mod shards;
mod slurm;
mod step_repeat_name;
mod study_parallel;
mod sweep_errors;
mod sweep_zip;
mod terminal_table;
mod timeline;
mod timeline_asyncio;
mod timeline_convoy;
mod timeline_events;
mod timeline_no_effect;
mod timeline_processes;
mod trace_tasks;
