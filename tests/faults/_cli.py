"""Run the `lossboard` command in a child process, so a hang is a failed test, not a hung run."""

from __future__ import annotations

import subprocess
import sys

WAIT_S = 120  # a guard against a hang only: a passing command takes a second or two


def lossboard(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lossboard.cli", *args],
        capture_output=True, text=True, timeout=WAIT_S, cwd=cwd, stdin=subprocess.DEVNULL,
    )
