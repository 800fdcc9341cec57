"""Issue 9, "`lossboard run` on a full disk leaves run.json as running and a temp file behind":
on a 256 KB file system filled by the command's output, the command still runs to its end
and shows all its output, lossboard says once that the output is no longer saved, run.json
records the end, and no temporary file is left.

The file system is a real tmpfs, mounted in a mount namespace of the test's own (``unshare``),
so nothing outside the test sees it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import lossboard

# keras-stdout/kanji_training_log.txt, lines 2-3 (Keras 1, verbose=2)
KERAS = (
    "Epoch 1/50\n"
    "224s - loss: 3.5508 - acc: 0.2966 - val_loss: 1.4529 - val_acc: 0.5808\n"
)
REPEATS = 8_000  # 660 KB of output for a 256 KB disk
RUNNER = "import sys; from lossboard.log.run import run_command; sys.exit(run_command(sys.argv[2:], logdir=sys.argv[1]))"
PRINTER = f"import sys; sys.stdout.write({KERAS!r} * {REPEATS})"


def _can_mount() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount(), reason="needs unshare and mount rights to make a small tmpfs")
def test_a_full_disk_still_records_the_end_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    disk, saved = tmp_path / "disk", tmp_path / "saved"
    disk.mkdir()
    script = (
        f"mount -t tmpfs -o size=256k tmpfs {disk} && cd {disk} && "
        f"{sys.executable} -c '{RUNNER}' runs {sys.executable} -c \"{PRINTER}\"; "
        f"status=$?; cp -r {disk}/runs {saved}; exit $status"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(lossboard.__file__).parents[1])}  # this lossboard, from any cwd
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == KERAS * REPEATS  # the command's output all got out
    assert done.stderr.count("No space left on device; the output is no longer saved") == 1
    (run_dir,) = saved.iterdir()
    assert sorted(p.name for p in run_dir.iterdir()) == ["output.log", "run.json"]
    record = json.loads((run_dir / "run.json").read_bytes())
    assert record["status"] == "finished" and record["exit_status"] == 0 and record["end_time"]
    output = (run_dir / "output.log").read_text()
    assert 0 < len(output) < len(KERAS * REPEATS) and (KERAS * REPEATS).startswith(output)
