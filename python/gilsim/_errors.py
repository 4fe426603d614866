"""The exceptions gilsim raises: bad input (``ScenarioError``,
``UsageError``, both ``ValueError``) and a failed run (``RunError``)."""

from __future__ import annotations

from typing import List, Optional


class ScenarioError(ValueError):
    """An invalid scenario: ``str(e)`` is the diagnostic ``gilsim check``
    prints (every error, each with its file, line, column and key);
    the attributes locate the first error.

    ``line`` and ``column`` are 1-based, and ``None`` when the error is not
    in the file (in a ``set=`` override, or the file cannot be read). For a
    scenario given as a dict, they refer to ``gilsim.to_toml(dict)``.
    """

    def __init__(
        self,
        message: str,
        file: str,
        line: Optional[int] = None,
        column: Optional[int] = None,
        key: Optional[str] = None,
        title: str = "",
        set_argument: Optional[str] = None,
        count: int = 1,
    ) -> None:
        super().__init__(message.rstrip("\n"))
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.title = title
        self.set_argument = set_argument
        self.count = count


class UsageError(ValueError):
    """A bad argument that is not in the scenario (``trace_point`` past the
    last point, an unknown model...): what the CLI exits with code 2 for."""

    def __init__(self, message: str) -> None:
        super().__init__(message.rstrip("\n"))


class RunError(RuntimeError):
    """A run that failed (what the CLI exits with code 1 for): a deadlock,
    whose ``blocked`` lists each blocked thread and what it waits for, or
    a limit reached (``blocked`` is empty then)."""

    def __init__(self, message: str, blocked: Optional[List[str]] = None) -> None:
        super().__init__(message.rstrip("\n"))
        self.blocked: List[str] = list(blocked or [])
