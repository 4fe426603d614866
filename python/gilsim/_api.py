"""``gilsim.run``, ``compare``, ``check`` (in this process, through the
extension module) and ``calibrate``, ``validate`` (the CLI in a child
process: they run real Python workloads for minutes)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _gilsim
from ._errors import RunError, UsageError
from ._results import CheckResult, CompareResults, Results, parse_csv

Scenario = Union[str, "os.PathLike[str]", Mapping[str, Any]]
Overrides = Union[None, str, Mapping[str, Any], Iterable[str]]


def to_toml(scenario: Mapping[str, Any]) -> str:
    """The TOML document of a scenario given as a dict: what ``run`` reads
    for it, and what a ``ScenarioError``'s line and column refer to."""
    return _gilsim.to_toml(scenario)


def _source(scenario: Scenario) -> Tuple[str, Optional[str]]:
    """(the name in messages, the TOML text or ``None`` to read the file)."""
    if isinstance(scenario, Mapping):
        return "<dict>", _gilsim.to_toml(dict(scenario))
    if isinstance(scenario, os.PathLike):
        return os.fspath(scenario), None
    if isinstance(scenario, str):
        # A path has no newline; TOML text of a scenario has one, or at
        # least a `key = value`.
        if "\n" in scenario or ("=" in scenario and not os.path.exists(scenario)):
            return "<string>", scenario
        return scenario, None
    raise TypeError(
        f"scenario: expected a path, TOML text or a dict, found {type(scenario).__name__}"
    )


def _overrides(set: Overrides) -> List[str]:
    """``set=`` as ``--set KEY=VALUE`` arguments: a dict (values as TOML,
    a str as it would be typed after ``--set KEY=``), one ``"KEY=VALUE"``
    string, or a list of them."""
    if set is None:
        return []
    if isinstance(set, str):
        return [set]
    if isinstance(set, Mapping):
        return [
            f"{k}={v if isinstance(v, str) else _gilsim.toml_inline(k, v)}"
            for k, v in set.items()
        ]
    out = list(set)
    for a in out:
        if not isinstance(a, str):
            raise TypeError(f"set: expected 'KEY=VALUE' strings, found {a!r}")
    return out


def _csv_list(value: Union[None, str, Sequence[Any]]) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    return ",".join(str(v) for v in value)


def run(
    scenario: Scenario,
    *,
    set: Overrides = None,
    seed: Optional[int] = None,
    jobs: Optional[int] = None,
    trace: bool = False,
    trace_window: Optional[str] = None,
    trace_point: Optional[int] = None,
) -> Results:
    """Simulates every point and replication of ``scenario`` (a path, TOML
    text or a dict), as ``gilsim run`` does, and returns the results in
    memory: the same numbers as the CLI's ``results.csv`` for the same
    scenario and seed. Nothing is written.

    ``set``: overrides like ``--set`` (``{"machine.cores": 4}`` or
    ``["machine.cores=4"]``; ``{"sweep.machine.cores": [1, 2, 4]}`` sweeps);
    ``seed``: the scenario's seed replaced; ``jobs``: runs in parallel
    (default one per core; the results do not depend on it); ``trace``:
    draw the timeline chart and keep ``trace.json`` of one run
    (``trace_window`` such as ``"0ms..50ms"``, ``trace_point`` the sweep
    point).

    Raises ``ScenarioError`` for an invalid scenario, ``UsageError`` for a
    bad argument, ``RunError`` for a run that failed (a deadlock: its
    ``blocked`` threads).
    """
    file, text = _source(scenario)
    args = ["gilsim.run", file] + [f"--set={a}" for a in _overrides(set)]
    if seed is not None:
        args.append(f"--seed={seed}")
    files, table = _gilsim.run(
        file,
        text,
        _overrides(set),
        seed,
        jobs,
        trace,
        trace_window,
        trace_point,
        args,
    )
    return Results(files, table)


def compare(
    scenario: Scenario,
    *,
    set: Overrides = None,
    workload: Optional[str] = None,
    models: Union[None, str, Sequence[str]] = None,
    workers: Union[None, str, Sequence[int]] = None,
    cores: Optional[int] = None,
    replications: Optional[int] = None,
    goal: str = "throughput",
    jobs: Optional[int] = None,
) -> CompareResults:
    """Simulates a workload of ``scenario`` under every model and worker
    count and ranks them, as ``gilsim compare`` does; nothing is written.
    ``models`` and ``workers`` are lists (or the CLI's comma-separated
    text); ``goal`` is ``"throughput"``, ``"latency"`` or ``"memory"``.
    Raises like ``run``."""
    file, text = _source(scenario)
    files, report = _gilsim.compare(
        file,
        text,
        _overrides(set),
        workload,
        _csv_list(models),
        _csv_list(workers),
        cores,
        replications,
        goal,
        jobs,
    )
    return CompareResults(files, report)


def check(scenario: Scenario, *, set: Overrides = None) -> CheckResult:
    """Validates ``scenario`` without running it, as ``gilsim check`` does:
    returns what it contains, or raises ``ScenarioError``."""
    file, text = _source(scenario)
    return CheckResult(_gilsim.check(file, text, _overrides(set)))


def _cli(args: List[str]) -> str:
    """Runs the ``gilsim`` command in a child process (its progress on
    this process's standard error) and returns what it printed; raises as
    ``run`` does on failure."""
    done = subprocess.run(
        [sys.executable, "-m", "gilsim"] + args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if done.returncode == 2:
        raise UsageError(done.stderr)
    if done.returncode != 0:
        raise RunError(done.stderr or f"gilsim exited with code {done.returncode}")
    return done.stdout


def record(
    function: str,
    items: str,
    *,
    path: Optional[str] = None,
    limit: Optional[int] = None,
    python: Optional[str] = None,
    out: Optional[str] = None,
    profile: Optional[str] = None,
    check: bool = False,
    repeats: int = 3,
) -> Dict[str, str]:
    """Measures ``function`` (``"MODULE:FUNCTION"``) over the items that
    ``items`` (``"MODULE:FUNCTION"``, called with no arguments) returns,
    with ``gilsim record`` (a child process), and writes its scenario.
    Returns ``{"scenario": path written, "report": what the command
    printed}`` (with ``check``, the table of real against predicted pool
    makespans). A module that does not import, a missing function or a
    call that raises is a ``UsageError`` naming it."""
    args = ["record", function, "--items", items]
    for flag, value in (
        ("--path", path),
        ("--limit", limit),
        ("--python", python),
        ("--out", out),
        ("--profile", profile),
    ):
        if value is not None:
            args += [flag, str(value)]
    if check:
        args += ["--check", "--repeats", str(repeats)]
    report = _cli(args)
    written = [l[len("wrote "):] for l in report.splitlines() if l.startswith("wrote ")]
    return {"scenario": written[0] if written else "", "report": report}


def calibrate(
    *,
    python: Optional[str] = None,
    quick: bool = False,
    cores: Optional[str] = None,
    out: str = "output/calibration/profile.toml",
) -> str:
    """Measures this machine and a Python with ``gilsim calibrate`` (a
    child process: a minute with ``quick``, longer without) and returns the
    path of the profile written, for ``[python] profile = ...``."""
    args = ["calibrate", "--out", out]
    if python is not None:
        args += ["--python", python]
    if quick:
        args.append("--quick")
    if cores is not None:
        args += ["--cores", cores]
    _cli(args)
    return out


def validate(
    *,
    profile: str = "output/calibration/profile.toml",
    python: Optional[str] = None,
    quick: bool = False,
    scale_cpu: bool = False,
    out: str = "output/validation",
) -> List[Dict[str, Any]]:
    """Runs ``gilsim validate`` (a child process) and returns the rows of
    the ``validation.csv`` it wrote into ``out``."""
    args = ["validate", "--profile", profile, "--out", out]
    if python is not None:
        args += ["--python", python]
    if quick:
        args.append("--quick")
    if scale_cpu:
        args.append("--scale-cpu")
    _cli(args)
    with open(os.path.join(out, "validation.csv"), "rb") as f:
        return parse_csv(f.read())[1]
