"""Writers that die, crowd one directory or hit a full disk: what was flushed still reads back.

Each scenario runs in one fresh interpreter (this file run as a script) that forks the writer
processes itself: the scenario's parent never starts a thread, so forking it is safe, and a
fork costs milliseconds where an interpreter start costs a second on a busy machine.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

KILLS = 20
CROWD = 32
PER_WRITER = 2_000


def run_scenario(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_sigkill_at_random_moments_loses_only_what_was_not_flushed(tmp_path):
    import lossboard

    flushed = run_scenario("kill", str(tmp_path))
    assert len(flushed) == KILLS
    for name, steps_flushed in flushed.items():
        (run,) = lossboard.load(tmp_path / name)
        loss = run.series["train/loss"]
        # everything flushed is there; what came after is a whole prefix, never garbage
        assert len(loss) >= steps_flushed
        assert loss.step.tolist() == list(range(len(loss)))
        assert loss.value.tolist() == [step * 0.5 for step in range(len(loss))]
        assert len(run.series["train/accuracy"]) >= steps_flushed
        assert all("incomplete" in p.message for p in run.problems), run.problems
        assert _tensorboard_steps(tmp_path / name, "loss") == loss.step.tolist()  # it reads the torn file too
        images = [m for m in run.media if m.step < steps_flushed]
        assert len(images) == steps_flushed // 50
        assert all((m.data["height"], m.data["width"]) == (4, 4) for m in images)


def test_thirty_two_processes_in_one_directory_lose_nothing(tmp_path):
    import lossboard

    run_scenario("crowd", str(tmp_path))
    files = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("events.out.tfevents."))
    assert len(files) == CROWD
    runs = lossboard.load(tmp_path, stitch=False)
    series = {s.source_tag: s for run in runs for s in run.series.values()}
    assert sorted(series) == sorted(f"rank{rank}/loss" for rank in range(CROWD))
    for rank in range(CROWD):
        got = series[f"rank{rank}/loss"]
        assert got.step.tolist() == list(range(PER_WRITER))
        assert got.value.tolist() == [rank * 10_000 + step for step in range(PER_WRITER)]  # exact in float32
    images = [m for run in runs for m in run.media if m.tag == "sample"]
    assert len(images) == CROWD  # same tag and step in every process, none lost
    assert not [p for run in runs for p in run.problems]
    (together,) = lossboard.load(tmp_path)  # one run, as TensorBoard shows the directory
    assert sorted(s.source_tag for s in together.series.values()) == sorted(series)


def test_a_full_disk_is_one_warning_and_training_goes_on(tmp_path):
    import lossboard

    result = run_scenario("full", str(tmp_path))
    assert result["steps"] == 50_000  # the loop ran to the end
    assert len(result["warnings"]) == 1
    assert result["path"] in result["warnings"][0] and "File too large" in result["warnings"][0]
    (run,) = lossboard.load(tmp_path)
    loss = run.series["train/loss"]
    assert 0 < len(loss) < 50_000 and loss.value.tolist() == [float(s) for s in loss.step.tolist()]


def test_an_unwritable_log_dir_warns_once_and_logging_goes_on(tmp_path):
    """We run as root, so no chmod stops us: the log dir's parent is a regular file."""
    import numpy as np
    import pytest

    from lossboard.errors import LossboardWarning
    from lossboard.log.writer import SummaryWriter

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.warns(LossboardWarning) as caught:
        writer = SummaryWriter(blocker / "run")
        for step in range(10_000):
            writer.add_scalar("loss", 1.0, step)
        writer.add_image("x", np.zeros((1, 1, 1)))
        writer.flush()
        writer.close()
    assert len(caught) == 1
    assert str(blocker / "run") in str(caught[0].message)


def _tensorboard_steps(logdir: Path, tag: str) -> list[int]:
    from tensorboard.backend.event_processing import event_accumulator

    accumulator = event_accumulator.EventAccumulator(str(logdir), size_guidance={event_accumulator.SCALARS: 0})
    return [event.step for event in accumulator.Reload().Scalars(tag)]


# --- the scenarios, run in a child interpreter --------------------------------------------


def _kill(root: Path) -> dict:
    rng = random.Random(3)
    flushed = {}
    for attempt in range(KILLS):
        logdir = root / f"run{attempt}"
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            _endless_writer(logdir, write_end)
        os.close(write_end)
        reports = os.fdopen(read_end)
        last = 0
        for _ in range(rng.randint(1, 6)):
            last = int(reports.readline())
        os.kill(pid, signal.SIGKILL)  # the child is mid-way through its next batch
        os.waitpid(pid, 0)
        reports.close()
        flushed[logdir.name] = last
    return flushed


def _endless_writer(logdir: Path, report: int) -> None:
    try:
        import numpy as np

        from lossboard.log.writer import SummaryWriter

        writer = SummaryWriter(logdir)
        step = 0
        while True:
            writer.add_scalar("loss", step * 0.5, step)
            writer.add_scalar("acc", 1.0, step)
            step += 1
            if step % 50 == 0:
                writer.add_image("sample", np.full((4, 4), step % 256, np.uint8), step - 1, dataformats="HW")
                writer.flush()
                os.write(report, f"{step}\n".encode())
    finally:
        os._exit(1)


def _crowd(root: Path) -> dict:
    children = []
    for rank in range(CROWD):
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                import numpy as np

                from lossboard.log.writer import SummaryWriter

                with SummaryWriter(root) as writer:
                    for step in range(PER_WRITER):
                        writer.add_scalar(f"rank{rank}/loss", rank * 10_000 + step, step)
                    writer.add_image("sample", np.zeros((2, 2), np.uint8), 0, dataformats="HW")
                status = 0
            finally:
                os._exit(status)
        children.append(pid)
    statuses = [os.waitpid(pid, 0)[1] for pid in children]
    return {"statuses": statuses} if any(statuses) else {}


def _full(root: Path) -> dict:
    import resource
    import warnings

    from lossboard.log.writer import SummaryWriter

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        writer = SummaryWriter(root)
        for step in range(50_000):
            writer.add_scalar("loss", float(step), step)
            if step % 10_000 == 0:
                writer.flush()
        writer.close()
    return {"steps": step + 1, "path": writer.path, "warnings": [str(w.message) for w in caught]}


if __name__ == "__main__":
    scenario, directory = sys.argv[1:3]
    result = {"kill": _kill, "crowd": _crowd, "full": _full}[scenario](Path(directory))
    print(json.dumps(result))
    sys.exit(1 if scenario == "crowd" and result else 0)
