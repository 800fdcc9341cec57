"""Keep a long-lived reader's freed memory for its next read (glibc only).

A downsampled read allocates and frees a few MB of numpy arrays. By default glibc maps large
arrays afresh (from 128 KB, a bound it raises to the largest one freed) and gives the top of
its heap back to the system once 128 KB of it is free, so a process serving reads of different
sizes (a dashboard's charts) maps the same memory again on every request, a page fault for
each 4 KB (bench/README.md, "Store at scale": the dashboard's 80-run read). Only the dashboard
server calls this: it is a process-wide setting, not a library's to make on import.
"""

from __future__ import annotations

import ctypes
import ctypes.util

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
MMAP_BYTES = 32 << 20  # arrays below this come from the heap (glibc's own upper bound for its adaptive value)
TRIM_BYTES = 128 << 20  # the heap keeps this much free memory before giving any back
ARENAS = 1  # the server's threads share the one heap: with one each, half the faults remained


def keep_freed_memory() -> bool:
    """Have glibc reuse freed memory rather than give it back and map it again, in every thread
    started after this call; False where the C library is not glibc (nothing is changed)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # macOS, Windows, musl: their allocators differ
        return False
    # both, or neither helps: each setting alone turns off glibc's adaptation of the other
    settings = ((_M_MMAP_THRESHOLD, MMAP_BYTES), (_M_TRIM_THRESHOLD, TRIM_BYTES), (_M_ARENA_MAX, ARENAS))
    return all([bool(mallopt(parameter, value)) for parameter, value in settings])
