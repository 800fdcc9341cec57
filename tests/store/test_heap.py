"""`keep_freed_memory`: a process that reads again finds the memory its last read freed,
instead of faulting it in afresh (each test in a child process: the setting is process-wide)."""

from __future__ import annotations

import subprocess
import sys

import pytest

# faults while filling a 16 MB array, the second time one is made after the first was freed
# (in a thread of its own with ``thread``: the server answers in threads)
_REFILL = """
import resource, sys, threading
import numpy as np
from lossboard.store._heap import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
def refill():
    np.ones(1 << 21).sum()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    np.ones(1 << 21).sum()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
if sys.argv[2] == "thread":
    threading.Thread(target=refill).start()
else:
    refill()
"""

glibc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")


def _refill_faults(heap: str, where: str) -> int:
    out = subprocess.run([sys.executable, "-c", _REFILL, heap, where], capture_output=True, text=True, check=True)
    return int(out.stdout)


@glibc
@pytest.mark.parametrize("where", ["main", "thread"])
def test_a_kept_heap_refills_without_faulting(where: str) -> None:
    assert _refill_faults("keep", where) < 32  # the default: 500 and more


@glibc
@pytest.mark.parametrize("where", ["main", "thread"])
def test_glibcs_default_faults_the_memory_in_again(where: str) -> None:
    assert _refill_faults("default", where) > 256


def test_keep_freed_memory_says_whether_it_could() -> None:
    expected = subprocess.run(
        [sys.executable, "-c", "from lossboard.store._heap import keep_freed_memory; print(keep_freed_memory())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert expected == ("True" if sys.platform.startswith("linux") else "False")
