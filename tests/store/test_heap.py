"""`keep_freed_memory`: a process that reads again finds the memory its last read freed,
instead of faulting it in afresh (each test in a child process: the setting is process-wide)."""

from __future__ import annotations

import subprocess
import sys

import pytest

# faults while filling a 16 MB array, the second time one is made after the first was freed
_REFILL = """
import resource, sys
import numpy as np
from lossboard.store._heap import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
np.ones(1 << 21).sum()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
np.ones(1 << 21).sum()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""

glibc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")


def _refill_faults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", _REFILL, mode], capture_output=True, text=True, check=True)
    return int(out.stdout)


@glibc
def test_a_kept_heap_refills_without_faulting() -> None:
    assert _refill_faults("keep") < 32  # the default: 500 and more


@glibc
def test_glibcs_default_faults_the_memory_in_again() -> None:
    assert _refill_faults("default") > 256


def test_keep_freed_memory_says_whether_it_could() -> None:
    expected = subprocess.run(
        [sys.executable, "-c", "from lossboard.store._heap import keep_freed_memory; print(keep_freed_memory())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert expected == ("True" if sys.platform.startswith("linux") else "False")
