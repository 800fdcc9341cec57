"""What every benchmark measures the same way: a process's peak memory, and a parser fed a
file the way lossboard's reader feeds it.

Each benchmark runs its methods in child processes so that a method's peak RSS is its own;
`peak_rss_mb` is read in the child, at its end.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

# numpy's OpenBLAS starts a thread a core at import, which spins for ~0.1 s of CPU before it
# sleeps; more than this wall time after the import it is asleep
_BLAS_SPIN_S = 0.25


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


def values_fed(parser, path: Path, chunk: int = 1 << 20) -> int:
    """Feed ``path`` to ``parser`` in ``chunk``-sized pieces as the reader does: the file's bytes
    to a parser with ``feed_bytes``, else text without newline translation; how many values its
    records hold (a `Columns` block holds many).

    The records are kept until the end, as a load's collector keeps what it makes of them:
    dropped chunk by chunk, they leave the top of the heap free, glibc gives it back to the
    system, and the next chunk's buffers are faulted in again (a Caffe parse took 8,700 page
    faults against 5,500 and up to a fifth more CPU than the same parse keeping its records),
    which made the parser alone cost more than a whole load."""
    from lossboard.model import Columns

    kept: list[list] = []
    if hasattr(parser, "feed_bytes"):
        with open(path, "rb") as file:
            while data := file.read(chunk):
                kept.append(parser.feed_bytes(data))
    else:
        with open(path, encoding="utf-8", errors="replace", newline="") as file:
            while text := file.read(chunk):
                kept.append(parser.feed(text))
    kept.append(parser.close())
    return sum(len(item.step) if type(item) is Columns else 1 for items in kept for item in items)


def settle() -> None:
    """Wait until numpy's BLAS threads, started by the warm-up's imports, sleep. Their spin is
    CPU of the import, which `load_fixed.py` measures with the rest of a first load; counted in
    a parse right after a light import (lossboard's), it added 20-50 ms that a method with a
    slower import (pandas') had spent before its clock started."""
    time.sleep(_BLAS_SPIN_S)
