//! Mutations of scenario text, shared by the CI slot (`fuzz_scenarios`)
//! and the cargo-fuzz target (`fuzz/fuzz_targets/scenario.rs`, which
//! includes this file by path). No dependency: a SplitMix64 stream picks
//! every mutation, so a seed reproduces a case.
//!
//! A mutation changes a value (boundary integers, units, wrong types),
//! renames a key, deletes, duplicates or swaps lines, splices lines of
//! another scenario, inserts a key line that asks for a lot (huge batches,
//! pools, sweeps, replications), or inserts random characters.

/// A SplitMix64 stream.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// One of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Values a mutation writes in place of another: boundaries, units, types.
const VALUES: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "7",
    "64",
    "4096",
    "4097",
    "65536",
    "4194304",
    "10000000",
    "4294967295",
    "4294967296",
    "1000000000000",
    "9223372036854775807",
    "18446744073709551615",
    "99999999999999999999999999",
    "-9223372036854775808",
    "0x10",
    "1.5",
    "-0.0",
    "1e300",
    "nan",
    "inf",
    "-inf",
    "true",
    "false",
    "\"\"",
    "\"0\"",
    "\"0ms\"",
    "\"1ns\"",
    "\"10us\"",
    "\"1ms\"",
    "\"10ms\"",
    "\"1s\"",
    "\"1000s\"",
    "\"99999999999s\"",
    "\"1e30s\"",
    "\"-5ms\"",
    "\"10mz\"",
    "\"ms\"",
    "\"1.5.5ms\"",
    "\"200/s\"",
    "\"0/s\"",
    "\"1e12/s\"",
    "\"1e-12/s\"",
    "\"5/ms\"",
    "\"30/min\"",
    "\"1B\"",
    "\"1KiB\"",
    "\"20MB\"",
    "\"1GiB\"",
    "\"18446744073709551615B\"",
    "\"1e25GiB\"",
    "\"per-task\"",
    "\"unlimited\"",
    "\"forever\"",
    "\"threads\"",
    "\"processes\"",
    "\"asyncio\"",
    "\"sequential\"",
    "\"subinterpreters\"",
    "\"pool\"",
    "\"executor\"",
    "\"fork\"",
    "\"spawn\"",
    "\"forkserver\"",
    "\"pipe\"",
    "\"shared_memory\"",
    "\"3.9\"",
    "\"3.11\"",
    "\"3.12\"",
    "\"3.13\"",
    "\"3.13t\"",
    "\"3.14\"",
    "\"free-threaded\"",
    "\"reference\"",
    "\"all\"",
    "\"jobs\"",
    "\"a\"",
    "\"../x\"",
    "\"é\"",
    "[]",
    "[1, 2]",
    "[\"a\", \"b\"]",
    "{}",
    "{ exp = \"1ms\" }",
    "{ uniform = [\"1ms\", \"2ms\"] }",
    "{ normal = \"1ms\", sd = \"5ms\" }",
    "{ lognormal = \"1ms\", sigma = 3.0 }",
    "[ { cpu = \"1ms\" } ]",
    "[ { io = \"1ms\" }, { cpu_nogil = \"10us\" } ]",
    "[ { lock = \"l\", steps = [ { cpu = \"1ms\" } ] } ]",
    "[ { to_thread = [ { cpu = \"1ms\" } ] } ]",
    "1979-05-27T07:32:00Z",
];

/// Keys a mutation renames another to.
const KEYS: &[&str] = &[
    "name",
    "seed",
    "duration",
    "warmup",
    "replications",
    "tasks",
    "rate",
    "repeat",
    "memory",
    "args_bytes",
    "result_bytes",
    "after",
    "queue",
    "channel",
    "model",
    "workers",
    "api",
    "chunksize",
    "start_method",
    "transfer",
    "cores",
    "version",
    "build",
    "switch_interval",
    "thread_rss",
    "process_rss",
    "pipe_buffer",
    "steps",
    "cpu",
    "io",
    "sleep",
    "lock",
    "semaphore",
    "wait",
    "set_event",
    "notify",
    "n",
    "x",
    "y",
    "series",
    "nme",
    "",
];

/// Lines a mutation inserts: what asks a run for a lot, and sections.
const LINES: &[&str] = &[
    "tasks = 1000000000000",
    "tasks = 18446744073709551615",
    "workers = 4000000000",
    "workers = 4194304",
    "workers = 100000",
    "workers = \"per-task\"",
    "rate = \"1e9/s\"",
    "rate = \"1/s\"",
    "repeat = \"forever\"",
    "duration = \"1000000s\"",
    "duration = \"10ms\"",
    "warmup = \"5ms\"",
    "replications = 10000",
    "replications = 2",
    "memory = \"1e25GiB\"",
    "args_bytes = \"18446744073709551615B\"",
    "result_bytes = \"1GiB\"",
    "chunksize = 4294967295",
    "queue = 1",
    "queue = 18446744073709551615",
    "after = \"jobs\"",
    "after = [\"a\", \"b\"]",
    "channel = \"pipe\"",
    "model = \"processes\"",
    "model = \"asyncio\"",
    "model = \"subinterpreters\"",
    "start_method = \"forkserver\"",
    "transfer = \"shared_memory\"",
    "cores = 4096",
    "switch_interval = \"1ns\"",
    "pipe_buffer = \"0B\"",
    "version = \"3.14\"",
    "build = \"free-threaded\"",
    "[machine]",
    "[python]",
    "[sweep]",
    "\"machine.cores\" = [1, 2, 3, 4, 5, 6, 7, 8]",
    "\"workload.jobs.run.workers\" = [1, 4000000000]",
    "\"replications\" = [1, 10000]",
    "[semaphores]\ns = 1",
    "[events]\ngo = {}",
    "[conditions]\nready = {}",
    "[[workload]]",
    "[workload.run]",
    "[[chart]]\nname = \"c\"\nx = \"machine.cores\"\ny = \"throughput\"",
    "steps = [ { semaphore = \"s\", steps = [ { cpu = \"1ms\" } ] } ]",
    "steps = [ { wait = \"go\" }, { set_event = \"go\" }, { notify = \"ready\", n = \"all\" } ]",
    "steps = [ { lock = \"a\", steps = [ { lock = \"a\", steps = [] } ] } ]",
    "steps = [ { sleep = { exp = \"1ms\" } }, { blocking_io = \"1ms\" } ]",
];

/// Characters a mutation inserts at random places.
const CHARS: &[&str] = &[
    "\"", "'", "[", "]", "{", "}", "=", ",", ".", "#", "\n", "\\", " ", "\t", "\u{0}", "é",
    "\u{feff}", "0", "9", "-", "_", "e", "\r\n",
];

/// Integers, durations, rates and sizes that keep a value's type: a
/// mutated scenario that still validates reaches the simulator.
const INTS: &[&str] = &[
    "1",
    "2",
    "3",
    "8",
    "64",
    "4096",
    "4097",
    "100000",
    "4194304",
    "10000000",
    "4294967295",
    "1000000000000",
    "18446744073709551615",
    "0",
    "-1",
];
const DURATIONS: &[&str] = &[
    "\"0ms\"",
    "\"1ns\"",
    "\"1us\"",
    "\"50us\"",
    "\"1ms\"",
    "\"5ms\"",
    "\"100ms\"",
    "\"1s\"",
    "\"100s\"",
    "\"1000000s\"",
    "\"18446744073s\"",
];
const RATES: &[&str] = &[
    "\"1/s\"",
    "\"200/s\"",
    "\"5/ms\"",
    "\"1e6/s\"",
    "\"1e9/s\"",
    "\"1e-9/s\"",
];
const SIZES: &[&str] = &[
    "\"0B\"",
    "\"1B\"",
    "\"64KiB\"",
    "\"1MB\"",
    "\"1GiB\"",
    "\"1TiB\"",
    "\"16EiB\"",
    "\"18446744073709551615B\"",
];

/// Applies mutations to `text` (mostly one, at most four); `donor` is
/// another scenario whose lines a splice may take.
pub fn mutate(text: &str, donor: &str, rng: &mut Rng) -> String {
    let mut out = text.to_string();
    let n = [1, 1, 1, 1, 1, 2, 2, 3, 4][rng.below(9)];
    for _ in 0..n {
        out = mutate_once(&out, donor, rng);
    }
    out
}

fn mutate_once(text: &str, donor: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        lines.push(String::new());
    }
    let at = rng.below(lines.len());
    match rng.below(12) {
        0..=2 => return replace_value(text, rng, false),
        3..=5 => return replace_value(text, rng, true),
        6 => return rename_key(text, rng),
        7 => {
            lines.remove(at);
        }
        8 => {
            let line = lines[at].clone();
            let to = rng.below(lines.len() + 1);
            lines.insert(to, line);
        }
        9 => {
            let other = rng.below(lines.len());
            lines.swap(at, other);
        }
        10 => {
            let donor: Vec<&str> = donor.lines().collect();
            if !donor.is_empty() {
                let from = rng.below(donor.len());
                let len = 1 + rng.below(8);
                let chunk: Vec<String> = donor[from..(from + len).min(donor.len())]
                    .iter()
                    .map(|l| l.to_string())
                    .collect();
                let to = rng.below(lines.len() + 1);
                lines.splice(to..to, chunk);
            }
        }
        _ if rng.below(3) > 0 => {
            let to = rng.below(lines.len() + 1);
            lines.insert(to, rng.pick(LINES).to_string());
        }
        _ => return insert_chars(text, rng),
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Byte offsets just after each `=` of `text` (a key's value starts there).
fn equals(text: &str) -> Vec<usize> {
    text.match_indices('=').map(|(i, _)| i + 1).collect()
}

/// Replaces the value after a random `=` (up to `,`, `}`, `]` or the end
/// of the line, or a whole bracketed value) with one of [`VALUES`], or
/// (`alike`) with a value of the same kind.
fn replace_value(text: &str, rng: &mut Rng, alike: bool) -> String {
    let eqs = equals(text);
    if eqs.is_empty() {
        return insert_chars(text, rng);
    }
    let start = eqs[rng.below(eqs.len())];
    let rest = &text[start..];
    let trimmed = rest.trim_start_matches([' ', '\t']);
    let skip = rest.len() - trimmed.len();
    let len = value_len(trimmed);
    let old = &trimmed[..len];
    let values = match old.as_bytes() {
        _ if !alike => VALUES,
        [b'0'..=b'9' | b'-', ..] => INTS,
        [b'"', ..] if old.contains('/') => RATES,
        [b'"', .., b'B', b'"'] => SIZES,
        [b'"', b'0'..=b'9', .., b's', b'"'] => DURATIONS,
        _ => VALUES,
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..start + skip]);
    out.push_str(rng.pick(values));
    out.push_str(&trimmed[len..]);
    out
}

/// Length of the value at the start of `text`: a bracketed value to its
/// matching bracket (on the same line), else up to a separator.
fn value_len(text: &str) -> usize {
    let mut depth = 0i32;
    let mut in_str = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_str = !in_str,
            '\n' => return i,
            '[' | '{' if !in_str => depth += 1,
            ']' | '}' if !in_str => {
                if depth == 0 {
                    return i;
                }
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            ',' if !in_str && depth == 0 => return i,
            _ => {}
        }
    }
    text.len()
}

/// Renames the key before a random `=` to one of [`KEYS`].
fn rename_key(text: &str, rng: &mut Rng) -> String {
    let eqs = equals(text);
    if eqs.is_empty() {
        return insert_chars(text, rng);
    }
    let eq = eqs[rng.below(eqs.len())] - 1;
    let before = text[..eq].trim_end_matches([' ', '\t']);
    let start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '"' || c == '.'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..start]);
    out.push_str(rng.pick(KEYS));
    out.push(' ');
    out.push_str(&text[eq..]);
    out
}

/// Inserts one to three characters of [`CHARS`] at random places.
fn insert_chars(text: &str, rng: &mut Rng) -> String {
    let mut out = text.to_string();
    for _ in 0..=rng.below(3) {
        let bounds: Vec<usize> = (0..=out.len())
            .filter(|&i| out.is_char_boundary(i))
            .collect();
        let at = bounds[rng.below(bounds.len())];
        out.insert_str(at, rng.pick(CHARS));
    }
    out
}
