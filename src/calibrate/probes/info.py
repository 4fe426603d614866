"""Probe: the interpreter's version and build."""
import sys
import sysconfig

from gilsim_probe import emit

emit({
    "version": sys.version,
    "major": sys.version_info[0],
    "minor": sys.version_info[1],
    "gil_disabled": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
    "executable": sys.executable,
    "has_affinity": hasattr(__import__("os"), "sched_getaffinity"),
    "affinity": sorted(__import__("os").sched_getaffinity(0)) if hasattr(__import__("os"), "sched_getaffinity") else [],
})
