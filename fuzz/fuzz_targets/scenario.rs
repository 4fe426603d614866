//! cargo-fuzz target over scenario text (docs/FUZZING.md): read, check and
//! run under an event budget, as `tests/it/fuzz_scenarios.rs` does, with
//! libFuzzer's byte mutations and the scenario-aware ones of the CI slot.
#![no_main]

#[path = "../../tests/it/fuzz_scenarios/harness.rs"]
mod harness;
#[path = "../../tests/it/fuzz_scenarios/mutate.rs"]
mod mutate;

use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        harness::exercise(text);
    }
});

/// Half the time a scenario-aware mutation (values, keys, lines, splices
/// of the seeds), half libFuzzer's own on bytes.
const DONORS: &[&str] = &[
    include_str!("../../scenarios/convoy.toml"),
    include_str!("../../scenarios/three-stage-pipeline.toml"),
    include_str!("../../scenarios/chunksize.toml"),
    include_str!("../../scenarios/asyncio-to-thread.toml"),
    include_str!("../../scenarios/event-herd.toml"),
    include_str!("../../scenarios/start-methods.toml"),
];

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    let mut rng = mutate::Rng(u64::from(seed));
    let text = std::str::from_utf8(&data[..size]).ok();
    match text {
        Some(text) if rng.below(2) == 0 => {
            let donor = DONORS[rng.below(DONORS.len())];
            let out = mutate::mutate(text, donor, &mut rng);
            if out.len() <= max_size {
                data[..out.len()].copy_from_slice(out.as_bytes());
                return out.len();
            }
            fuzzer_mutate(data, size, max_size)
        }
        _ => fuzzer_mutate(data, size, max_size),
    }
});
