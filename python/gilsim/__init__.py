"""gilsim: a deterministic simulator of how CPython runs work concurrently
(cores and the OS scheduler, the GIL, threads, locks, processes, asyncio).

    import gilsim
    r = gilsim.run("scenarios/convoy.toml", set={"machine.cores": 4})
    r.to_pandas()          # results.csv as a DataFrame
    r.charts["throughput"] # SVG text

``run``, ``compare`` and ``check`` run in this process (no files, no
child process); ``calibrate``, ``validate`` and ``record`` run the
``gilsim`` command.
"""

from ._api import calibrate, check, compare, record, run, to_toml, validate
from ._errors import RunError, ScenarioError, UsageError
from ._gilsim import __version__
from ._results import CheckResult, CompareResults, Results

__all__ = [
    "run",
    "compare",
    "check",
    "calibrate",
    "validate",
    "record",
    "to_toml",
    "Results",
    "CompareResults",
    "CheckResult",
    "ScenarioError",
    "UsageError",
    "RunError",
    "__version__",
]
