"""The ``gilsim`` command installed with the package: the same command
line as the Rust binary, run in this process."""

from __future__ import annotations

import signal
import sys
from typing import List, Optional

from . import _gilsim


def main(argv: Optional[List[str]] = None) -> int:
    """Runs ``gilsim`` with ``argv`` (default ``sys.argv``, program name
    first) and exits with its exit code."""
    args = list(sys.argv if argv is None else argv)
    if args:
        args[0] = "gilsim"
    # Ctrl-C ends the command as it ends the binary: the simulation runs
    # in Rust, where Python's handler would never run. (SIGPIPE stays
    # ignored, as in the binary, which exits 0 on a closed pipe.)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.stdout.flush()
    sys.exit(_gilsim.cli_main(args))
