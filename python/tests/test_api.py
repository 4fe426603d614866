"""The Python API against the CLI of the same build: the same bytes for the
same scenario and seed, the same errors, and what the API adds (dicts,
set=, typed rows, DataFrames)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

import gilsim

ROOT = Path(__file__).resolve().parents[2]
CONVOY = ROOT / "scenarios" / "convoy.toml"
CPU_BATCH = ROOT / "scenarios" / "compare" / "cpu-batch.toml"

DEADLOCK = {
    "name": "deadlock",
    "workload": [
        {
            "name": "reentrant",
            "tasks": 2,
            "steps": [{"lock": "x", "steps": [{"lock": "x", "steps": [{"cpu": "1ms"}]}]}],
            "run": {"model": "threads", "workers": 2},
        }
    ],
}

SMALL = """\
name = "small"
seed = 11

[machine]
cores = 2

[[workload]]
name = "jobs"
tasks = 40
steps = [ { cpu = "2ms" }, { io = "3ms" } ]
[workload.run]
model = "threads"
workers = 4
"""

BAD = """\
name = "bad"

[machine]
cores = "four"

[[workload]]
name = "w"
tasks = 2
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "threads"
workers = 2
"""


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """The `gilsim` command of the installed package."""
    return subprocess.run(
        [sys.executable, "-m", "gilsim", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
    )


def cli_run(tmp_path: Path, scenario: Path, *args: str) -> Path:
    out = tmp_path / "cli"
    done = cli("run", str(scenario), "--out", str(out), "-q", *args)
    assert done.returncode == 0, done.stderr
    return out


def test_results_are_the_cli_results_byte_for_byte(tmp_path):
    out = cli_run(tmp_path, CONVOY)
    r = gilsim.run(CONVOY)
    assert r.files["results.csv"] == (out / "results.csv").read_bytes()
    for name in ("throughput", "latency", "io-throughput"):
        assert r.charts[name] == (out / f"{name}.svg").read_text(), name
    assert not any(n.endswith(".png") for n in r.files)
    assert r.manifest["runs"] == 6
    assert r.manifest["scenario"] == str(CONVOY)
    assert r.manifest["gilsim_version"] == gilsim.__version__


def test_rows_are_the_csv_with_numbers_as_numbers(tmp_path):
    out = cli_run(tmp_path, CONVOY)
    with open(out / "results.csv", newline="") as f:
        records = list(csv.DictReader(f))
    r = gilsim.run(str(CONVOY))
    assert len(r.rows) == len(records) == 12
    for row, record in zip(r.rows, records):
        assert list(row) == list(record)
        for key, text in record.items():
            value = row[key]
            if text == "":
                assert value is None, key
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                assert value == float(text), key
            else:
                assert value == text, key
    first = r.rows[0]
    assert isinstance(first["tasks_completed"], int)
    assert isinstance(first["throughput_per_s"], float)
    assert isinstance(first["machine.cores"], int)
    assert first["python.switch_interval"] == "5ms"
    assert first["workload"] == "io"


def test_seed_and_set_are_the_cli_flags(tmp_path):
    out = cli_run(
        tmp_path, CONVOY, "--seed", "5", "--set", "sweep.machine.cores=[1,4]", "--set",
        "python.switch_interval=1ms",
    )
    r = gilsim.run(
        CONVOY,
        seed=5,
        set={"sweep.machine.cores": [1, 4], "python.switch_interval": "1ms"},
    )
    assert r.files["results.csv"] == (out / "results.csv").read_bytes()
    assert {row["machine.cores"] for row in r.rows} == {1, 4}
    assert {row["seed"] for row in r.rows} == {5}
    as_list = gilsim.run(CONVOY, seed=5, set=["sweep.machine.cores=[1,4]", "python.switch_interval=1ms"])
    assert as_list.files["results.csv"] == r.files["results.csv"]


def test_a_scenario_as_text_or_dict_runs_as_the_file(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    from_file = gilsim.run(path)
    from_text = gilsim.run(SMALL)
    as_dict = {
        "name": "small",
        "seed": 11,
        "machine": {"cores": 2},
        "workload": [
            {
                "name": "jobs",
                "tasks": 40,
                "steps": [{"cpu": "2ms"}, {"io": "3ms"}],
                "run": {"model": "threads", "workers": 4},
            }
        ],
    }
    from_dict = gilsim.run(as_dict)
    assert from_text.files["results.csv"] == from_file.files["results.csv"]
    assert from_dict.files["results.csv"] == from_file.files["results.csv"]
    assert from_dict.manifest["scenario"] == "<dict>"
    assert from_text.manifest["scenario"] == "<string>"
    assert from_file.rows[0]["tasks_completed"] == 40


def test_jobs_do_not_change_the_results():
    one = gilsim.run(CONVOY, jobs=1)
    two = gilsim.run(CONVOY, jobs=2)
    assert one.files["results.csv"] == two.files["results.csv"]
    assert one.manifest["jobs"] == 1 and two.manifest["jobs"] == 2


def test_replications_give_the_cli_summary(tmp_path):
    out = cli_run(tmp_path, CONVOY, "--set", "replications=3", "--set", "sweep.machine.cores=[2]")
    r = gilsim.run(CONVOY, set={"replications": 3, "sweep.machine.cores": [2]})
    assert r.files["summary.csv"] == (out / "summary.csv").read_bytes()
    assert r.summary is not None and len(r.summary) > 0
    assert {row["replication"] for row in r.rows} == {0, 1, 2}
    assert gilsim.run(SMALL).summary is None


def test_a_bad_scenario_raises_the_cli_diagnostic(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    with pytest.raises(gilsim.ScenarioError) as caught:
        gilsim.run(str(path))
    e = caught.value
    assert (e.file, e.line, e.column, e.key) == (str(path), 4, 9, "machine.cores")
    assert isinstance(e, ValueError)
    done = cli("check", str(path))
    assert done.returncode == 2
    assert done.stderr == str(e) + "\n"
    assert f"{path}:4:9" in str(e)
    with pytest.raises(gilsim.ScenarioError) as again:
        gilsim.check(path)
    assert str(again.value) == str(e)


def test_errors_in_text_dict_and_set_are_located():
    with pytest.raises(gilsim.ScenarioError) as text:
        gilsim.run(BAD)
    assert (text.value.file, text.value.line, text.value.key) == ("<string>", 4, "machine.cores")
    bad = {"name": "bad", "machine": {"cores": "four"}, "workload": DEADLOCK["workload"]}
    with pytest.raises(gilsim.ScenarioError) as d:
        gilsim.run(bad)
    line = gilsim.to_toml(bad).splitlines()[d.value.line - 1]
    assert line == 'cores = "four"'
    with pytest.raises(gilsim.ScenarioError) as s:
        gilsim.run(CONVOY, set={"machine.cores": 0})
    assert s.value.line is None
    assert s.value.key == "machine.cores"
    assert s.value.set_argument == "machine.cores=0"
    with pytest.raises(TypeError, match="machine.cores"):
        gilsim.run(CONVOY, set={"machine.cores": None})
    with pytest.raises(gilsim.ScenarioError, match="cannot read"):
        gilsim.run("no/such/scenario.toml")


def test_a_deadlock_raises_run_error_with_the_blocked_threads():
    with pytest.raises(gilsim.RunError) as caught:
        gilsim.run(DEADLOCK)
    assert caught.value.blocked == [
        "thread 0 of workload `reentrant` waits for lock `x` held by thread 0",
        "thread 1 of workload `reentrant` waits for lock `x` held by thread 0",
    ]
    assert "deadlock" in str(caught.value)


def test_bad_arguments_raise_usage_error():
    with pytest.raises(gilsim.UsageError, match="trace-point 99"):
        gilsim.run(CONVOY, trace_point=99)
    with pytest.raises(gilsim.UsageError, match="trace_window"):
        gilsim.run(CONVOY, trace_window="50ms..10ms")
    with pytest.raises(gilsim.UsageError):
        gilsim.compare(CPU_BATCH, models=["green-threads"])
    with pytest.raises(TypeError):
        gilsim.run(42)  # type: ignore[arg-type]


def test_trace_gives_the_timeline_and_trace_json(tmp_path):
    out = cli_run(tmp_path, CONVOY, "--trace")
    r = gilsim.run(CONVOY, trace=True)
    assert r.charts["timeline"] == (out / "timeline.svg").read_text()
    assert r.files["trace.json"] == (out / "trace.json").read_bytes()
    assert r.trace is not None and len(r.trace["traceEvents"]) > 0
    assert gilsim.run(CONVOY).trace is None


def test_compare_is_the_cli_compare(tmp_path):
    out = tmp_path / "cmp"
    args = ["--models", "threads,processes", "--workers", "1,2", "--replications", "1"]
    done = cli("compare", str(CPU_BATCH), "--out", str(out), "-q", *args)
    assert done.returncode == 0, done.stderr
    c = gilsim.compare(CPU_BATCH, models=["threads", "processes"], workers=[1, 2], replications=1)
    assert c.files["compare.csv"] == (out / "compare.csv").read_bytes()
    assert c.charts["compare"] == (out / "compare.svg").read_text()
    assert done.stdout.startswith(c.text)
    assert {row["model"] for row in c.rows} == {"threads", "processes"}


def test_check_prints_what_the_cli_prints():
    c = gilsim.check(CONVOY, set={"sweep.machine.cores": [1, 2, 4]})
    done = cli("check", str(CONVOY), "--set", "sweep.machine.cores=[1,2,4]")
    assert done.returncode == 0, done.stderr
    assert str(c) == done.stdout
    assert c.points == 9 and c.workloads == ["io", "cpu"]
    assert c.sweep_keys == ["machine.cores", "python.switch_interval"]


def test_pandas_is_optional(monkeypatch):
    r = gilsim.run(SMALL)
    monkeypatch.setitem(sys.modules, "pandas", None)
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        r.to_pandas()
    with pytest.raises(ImportError, match="pip install polars"):
        r.to_polars()
    assert r.rows  # the rows need neither


def test_to_pandas_is_the_cli_csv_read_by_pandas(tmp_path):
    pd = pytest.importorskip("pandas")
    out = cli_run(tmp_path, CONVOY)
    r = gilsim.run(CONVOY)
    df = r.to_pandas()
    pd.testing.assert_frame_equal(df, pd.read_csv(out / "results.csv"))
    assert list(df.columns) == r.columns
    assert df["tasks_completed"].tolist() == [row["tasks_completed"] for row in r.rows]
    assert df["queue_len_max"].isna().all()
    replicated = gilsim.run(SMALL, set={"replications": 2})
    assert len(replicated.to_pandas(summary=True)) == len(replicated.summary)
    with pytest.raises(ValueError, match="one replication"):
        r.to_pandas(summary=True)


def test_a_version_stays_text():
    r = gilsim.run(SMALL, set={"sweep.python.version": ["3.10", "3.12"]})
    assert [row["python.version"] for row in r.rows] == ["3.10", "3.12"]
    pd = pytest.importorskip("pandas")
    assert r.to_pandas()["python.version"].tolist() == ["3.10", "3.12"]


def test_to_polars_is_the_rows():
    pl = pytest.importorskip("polars")
    r = gilsim.run(CONVOY)
    df = r.to_polars()
    assert df.columns == r.columns
    assert df["tasks_completed"].to_list() == [row["tasks_completed"] for row in r.rows]
    assert df["throughput_per_s"].to_list() == [row["throughput_per_s"] for row in r.rows]
    assert df["queue_len_max"].null_count() == len(r.rows)


def test_repr_html_shows_the_table_and_charts():
    r = gilsim.run(CONVOY)
    page = r._repr_html_()
    assert page.count("<tr>") == len(r.rows) + 1
    assert page.count("<svg") == len(r.charts) == 3
    assert "<?xml" not in page
    assert repr(r) == r.text and "per second" in r.text


def test_the_gilsim_command_is_installed_with_the_cli_exit_codes(tmp_path):
    command = Path(sys.executable).parent / "gilsim"
    assert command.exists()
    version = subprocess.run([str(command), "--version"], capture_output=True, text=True)
    assert version.returncode == 0
    assert version.stdout.strip() == f"gilsim {gilsim.__version__}"
    path = tmp_path / "dl.toml"
    path.write_text(gilsim.to_toml(DEADLOCK))
    dead = subprocess.run([str(command), "run", str(path), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True)
    assert dead.returncode == 1 and "deadlock" in dead.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD)
    assert subprocess.run([str(command), "check", str(bad)], capture_output=True).returncode == 2
    ok = subprocess.run([str(command), "run", str(CONVOY), "--out", str(tmp_path / "c")],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "results:" in ok.stdout


def test_validate_shells_out_and_raises_the_cli_error(tmp_path):
    with pytest.raises(gilsim.UsageError, match="cannot read profile"):
        gilsim.validate(profile=str(tmp_path / "missing.toml"), out=str(tmp_path / "v"))


def test_record_writes_a_scenario_that_check_reads_and_names_a_raising_call(tmp_path):
    (tmp_path / "jobs.py").write_text(
        "import time\n"
        "def items():\n    return [1, 2, 3]\n"
        "def work(x):\n    time.sleep(0.002)\n    return x\n"
        "def raises(x):\n    raise ValueError('bad item %d' % x)\n"
    )
    out = tmp_path / "work.toml"
    r = gilsim.record("jobs:work", "jobs:items", path=str(tmp_path), out=str(out))
    assert r["scenario"] == str(out)
    assert "recorded 3 call(s)" in r["report"]
    checked = gilsim.check(str(out))
    assert "scenario `record-work`" in str(checked)
    with pytest.raises(gilsim.UsageError, match=r"`jobs:raises` raised on item 0 \(of 3\): ValueError: bad item 1"):
        gilsim.record("jobs:raises", "jobs:items", path=str(tmp_path), out=str(tmp_path / "r.toml"))
