"""What every benchmark measures the same way: a process's peak memory.

Each benchmark runs its methods in child processes so that a method's peak RSS is its own;
`peak_rss_mb` is read in the child, at its end.
"""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak RSS in MB: VmHWM, which unlike ru_maxrss does not carry over from the
    process that exec'd it; ru_maxrss where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
