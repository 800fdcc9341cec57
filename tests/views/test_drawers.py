"""Figures drawn in a worker process and its forked copies: the same files and errors as drawn here, and no
process left behind."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.image import imread

import lossboard
import lossboard.views.drawers as drawers_module
from lossboard.views.drawers import Drawers, draw_forked, start_drawers
from lossboard.views.figures import FigureSpec, Line, build_figures
from lossboard.views.plot import COLUMNS, FigureError, write_figures

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "alexnet-imagenet"
SRC = Path(__file__).parent.parent.parent / "src"
START_METHODS = [method for method in ("fork", "spawn") if method in multiprocessing.get_all_start_methods()]


@pytest.fixture(scope="module")
def figures() -> list[FigureSpec]:
    return build_figures(lossboard.load(EXAMPLE), columns=COLUMNS)


def a_bad_and_a_good_figure() -> list[FigureSpec]:
    good = Line("r", "train", "loss", np.arange(3.0), np.ones(3), "#0072B2", "solid")
    bad = Line("r", "train", "acc", np.arange(3.0), np.ones(3), "not a colour", "solid")
    return [FigureSpec("accuracy", "Accuracy", "epoch", "accuracy", [bad]),
            FigureSpec("loss", "Loss", "epoch", "loss", [good])]


@pytest.mark.parametrize("start_method", START_METHODS)
def test_figures_drawn_by_workers_are_the_figures_drawn_here(
    figures: list[FigureSpec], start_method: str, tmp_path: Path
) -> None:
    here = write_figures(figures, tmp_path / "here")
    with Drawers(2, start_method=start_method) as drawers:
        there = write_figures(figures, tmp_path / "there", drawers=drawers)
    assert [path.name for path in there] == [path.name for path in here] == [
        "accuracy.png", "loss.png", "lr.png", "throughput.png", "epoch_time_s.png"]
    for ours, theirs in zip(here, there):
        assert np.array_equal(imread(ours), imread(theirs)), ours.name
    assert not multiprocessing.active_children()


@pytest.mark.parametrize("start_method", START_METHODS)
@pytest.mark.parametrize("cores", [1, 2])
def test_a_figure_that_fails_in_a_worker_fails_as_it_does_here(start_method: str, cores: int, tmp_path: Path) -> None:
    with pytest.raises(FigureError) as here:
        write_figures(a_bad_and_a_good_figure(), tmp_path / "here")
    with Drawers(cores, start_method=start_method) as drawers, pytest.raises(FigureError) as there:
        write_figures(a_bad_and_a_good_figure(), tmp_path / "there", drawers=drawers)
    assert str(there.value) == str(here.value).replace(str(tmp_path / "here"), str(tmp_path / "there"))
    assert there.value.written == [tmp_path / "there" / "loss.png"] and there.value.written[0].is_file()


def test_the_figures_of_a_worker_that_died_are_drawn_here(figures: list[FigureSpec], tmp_path: Path) -> None:
    with Drawers(2) as drawers:
        victim = multiprocessing.active_children()[0]
        os.kill(victim.pid, signal.SIGKILL)
        victim.join()
        written = write_figures(figures, tmp_path, drawers=drawers)
    assert [path.name for path in written] == [
        "accuracy.png", "loss.png", "lr.png", "throughput.png", "epoch_time_s.png"]
    assert all(path.stat().st_size > 0 for path in written)


@pytest.mark.skipif(sys.platform != "linux", reason="copies are forked on Linux only")
def test_the_figures_are_shared_between_this_process_and_a_forked_copy(
    figures: list[FigureSpec], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each figure is drawn once, by this process or by the copy: both draw."""
    monkeypatch.setattr("lossboard.views.plot.write_figure", lambda spec, path, image_format, blank: f"{os.getpid()}")
    drawn_by = draw_forked([(spec, tmp_path / spec.key) for spec in figures], "png", 2, [])
    assert len(drawn_by) == 5 and len(set(drawn_by)) == 2 and str(os.getpid()) in drawn_by


@pytest.mark.skipif("fork" not in START_METHODS, reason="the broken copy is handed over by fork")
def test_the_share_of_a_copy_that_fails_is_drawn_by_the_worker(
    figures: list[FigureSpec], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fork = drawers_module._fork
    monkeypatch.setattr(drawers_module, "_fork", lambda work: fork(lambda: os._exit(1)))
    with Drawers(2, start_method="fork") as drawers:
        monkeypatch.undo()  # this process draws as usual
        written = write_figures(figures, tmp_path, drawers=drawers)
    assert len(written) == 5 and all(path.stat().st_size > 0 for path in written)


@pytest.mark.skipif("fork" not in START_METHODS, reason="the broken matplotlib is handed over by fork")
def test_a_worker_that_cannot_draw_at_all_leaves_its_figures_to_be_drawn_here(
    figures: list[FigureSpec], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise ImportError("no matplotlib in this worker")

    monkeypatch.setattr("lossboard.views.plot.warm_up", broken)
    with Drawers(2, start_method="fork") as drawers:
        monkeypatch.undo()  # this process draws as usual
        written = write_figures(figures, tmp_path, drawers=drawers)
    assert len(written) == 5 and all(path.stat().st_size > 0 for path in written)


@pytest.mark.skipif("fork" not in START_METHODS, reason="the reporting write_figure is handed over by fork")
def test_the_worker_and_its_copy_draw_each_figure_on_a_blank_of_its_own(
    figures: list[FigureSpec], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def report(spec: FigureSpec, path: Path, image_format: str, blank: tuple[Any, Any] | None) -> str:
        return f"{os.getpid()}: {id(blank[0]) if blank else None}"

    monkeypatch.setattr("lossboard.views.plot.write_figure", report)
    monkeypatch.setattr(drawers_module, "_blanks_until_asked", lambda connection, make: [make() for _ in range(3)])
    with Drawers(2, start_method="fork") as drawers:
        drawn_on = drawers.draw([(spec, tmp_path / spec.key) for spec in figures], "png")
    assert len(set(drawn_on)) == 5 and not any(report.endswith("None") for report in drawn_on)
    assert len({report.split(":")[0] for report in drawn_on}) == 2


@pytest.mark.skipif("fork" not in START_METHODS, reason="the reporting write_figure is handed over by fork")
def test_the_worker_and_its_copy_draw_with_matplotlib_frozen_out_of_their_collections(
    figures: list[FigureSpec], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the worker made before it was asked lives as long as it does: no collection walks it again."""
    monkeypatch.setattr("lossboard.views.plot.write_figure",
                        lambda spec, path, image_format, blank: f"{os.getpid()}: {gc.get_freeze_count()}")
    with Drawers(2, start_method="fork") as drawers:
        drawn_by = drawers.draw([(spec, tmp_path / spec.key) for spec in figures], "png")
    assert len({report.split(":")[0] for report in drawn_by}) == 2
    assert all(int(report.split(":")[1]) > 1000 for report in drawn_by), drawn_by  # matplotlib's objects


def test_what_the_worker_makes_before_it_is_asked_is_left_out_of_collections() -> None:
    """matplotlib's import and warm-up, and the blanks: no collection while they are made, nor after."""
    collections: list[str] = []

    def count(phase: str, _: dict) -> None:
        collections.append(phase)

    gc.callbacks.append(count)
    try:
        with drawers_module._uncollected():
            made = [[index] for index in range(100_000)]  # as many objects as would start collections
        assert collections == [] and gc.isenabled()
        assert gc.get_freeze_count() >= len(made)
    finally:
        gc.callbacks.remove(count)
        gc.unfreeze()


def test_blanks_are_made_only_until_the_figures_are_asked_for() -> None:
    waiting, asking = multiprocessing.Pipe()
    try:
        assert len(drawers_module._blanks_until_asked(waiting, lambda: ("figure", "axes"))) == drawers_module._BLANKS
        asking.send("the figures")
        assert drawers_module._blanks_until_asked(waiting, lambda: ("figure", "axes")) == []
    finally:
        waiting.close()
        asking.close()


@pytest.mark.parametrize(("cores", "load", "workers"), [(2, 0.2, 1), (2, 0.9, 1), (2, 1.6, 0), (8, 3.0, 1), (1, 0.0, 0)])
def test_there_is_a_worker_when_a_core_is_idle(
    cores: int, load: float, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a busy machine a worker's import of matplotlib is CPU taken from the load: none then."""
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    with start_drawers():
        assert len(multiprocessing.active_children()) == workers


def test_leaving_early_ends_the_workers(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), Drawers(2):
        assert len(multiprocessing.active_children()) == 1
        raise KeyboardInterrupt  # as a Ctrl-C during the load
    assert not multiprocessing.active_children()


@pytest.mark.skipif(sys.platform != "linux", reason="reads processes from /proc")
@pytest.mark.parametrize("start_method", START_METHODS)
def test_ctrl_c_during_the_load_stops_the_plot_cleanly_and_leaves_no_process(start_method: str, tmp_path: Path) -> None:
    """Ctrl-C goes to every process of the terminal's group: the workers ignore it, the command
    says "Aborted!" and ends them."""
    script = textwrap.dedent(f"""
        import os, signal, time
        import lossboard.cli as cli
        import lossboard.views.drawers as drawers

        drawers.start_drawers = lambda: drawers.Drawers(2, start_method={start_method!r})

        def interrupted_load(*_):
            time.sleep(1.0)  # the workers are importing matplotlib
            os.killpg(0, signal.SIGINT)
            time.sleep(60)

        cli._load = interrupted_load
        if __name__ == "__main__":
            cli.main(["plot", "any.log", "-o", {str(tmp_path)!r}])
    """)
    (tmp_path / "interrupted.py").write_text(script)
    child = subprocess.Popen([sys.executable, str(tmp_path / "interrupted.py")], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True,
                             env={**os.environ, "PYTHONPATH": str(SRC)})
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 1 and stderr.strip() == "Aborted!", stderr  # no worker's traceback
    assert not in_session(child.pid)  # its session: the command and every process it started


@pytest.mark.skipif(sys.platform != "linux", reason="reads processes from /proc")
@pytest.mark.parametrize("start_method", START_METHODS)
def test_workers_end_by_themselves_when_the_plot_is_killed(start_method: str, tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import multiprocessing, os, signal
        from lossboard.views.drawers import Drawers, start_drawers

        if __name__ == "__main__":
            drawers = Drawers(2, start_method={start_method!r})
            print(" ".join(str(process.pid) for process in multiprocessing.active_children()), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)  # no clean-up of any kind
    """)
    (tmp_path / "killed.py").write_text(script)
    child = subprocess.run([sys.executable, str(tmp_path / "killed.py")], capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(SRC)}, timeout=60)
    assert child.returncode == -signal.SIGKILL
    pids = [int(pid) for pid in child.stdout.split()]
    assert len(pids) == 1
    deadline = time.monotonic() + 60  # they notice once matplotlib is imported
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in pids)


PF_EXITING = 0x4  # the kernel's flag of a process that is releasing what it held


def alive(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended: not a zombie (its parent is gone) and not
    exiting (its last moment, with its memory already released)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z" and not int(fields[6]) & PF_EXITING


def in_session(session: int) -> list[int]:
    """Processes of ``session`` that have not ended."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[3]) == session:
                found.append(int(entry.name))
        except (OSError, IndexError):
            continue
    return [pid for pid in found if alive(pid)]
