"""A worker process that imports matplotlib while `lossboard plot` loads its runs, then draws.

matplotlib's fixed cost (its import and first use: ~0.5 s) is half the load of a 100 MB log
and most of a small log's plot. Started before the load, the worker pays it on another core;
once the runs are loaded only the drawing is left. To draw on two cores it forks a copy of
itself then, warm already, rather than a second worker importing matplotlib beside the load:
three processes on two cores slowed the load by a third.

Only plain data crosses: figure specs (lines already reduced to pixel columns) and paths in,
each figure's failure or None out. Any other trouble in a worker (it died, was killed, could
not import matplotlib) is not reported from there: its figures are drawn here instead, as
they would be without a worker, so whatever goes wrong reads the same. Workers ignore Ctrl-C
(this process handles it and ends them) and end by themselves if this process dies.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from lossboard.views.figures import FigureSpec

Job = tuple["FigureSpec", Path]
Blank = tuple["Figure", "Axes"]
_BLANKS = 3  # blank figures made ahead (`plot.blank_figure`): a process's share of the five standard figures
_FIGURE_POINTS = 5000  # what a figure's text, ticks and PNG cost, in points of its lines (for sharing out)


def start_drawers() -> Drawers:
    """The drawers of one `lossboard plot`: a worker if a core is idle, drawing on two cores
    once the runs are loaded (this process then waits, its core free). The worker shortens the
    plot only on a core of its own: on a busy machine, or a single core, its import is CPU taken
    from the load, so there is none and the figures are drawn here."""
    cores = os.cpu_count() or 1
    return Drawers(min(2, cores) if cores > 1 and round(idle_cores()) >= 1 else 0)


def idle_cores() -> float:
    """Cores not busy over the last minute (the load average); all of them where it is unknown."""
    cores = os.cpu_count() or 1
    try:
        return cores - os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has no load average
        return float(cores)


class Drawers:
    """Drawing on ``cores`` processes other than this one: a worker started now, which forks
    the others once asked (on Linux; elsewhere it draws alone). A context manager that ends
    the worker on leaving.

    With none, figures are drawn in this process. ``start_method`` is multiprocessing's
    ("fork", "spawn", "forkserver"; None for the platform's default: spawn on Windows and macOS).
    """

    def __init__(self, cores: int, *, start_method: str | None = None) -> None:
        self._worker: tuple[Any, Connection] | None = None
        if cores < 1:
            return
        context = multiprocessing.get_context(start_method)
        ours, theirs = context.Pipe()
        with _ctrl_c_ignored():  # inherited through fork and exec: the worker is born ignoring it
            process = context.Process(target=_serve, args=(theirs, cores), name="lossboard-drawer", daemon=True)
            process.start()
        theirs.close()  # the worker's copy is then the only one: its end closing is our EOF
        self._worker = (process, ours)

    def __enter__(self) -> Drawers:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def draw(self, jobs: Sequence[Job], image_format: str) -> list[str | None]:
        """Write each figure to its path: per job, why it could not be drawn, or None.

        The figures come back with the worker's answer, or are drawn here if it has none.
        """
        answer = None
        if self._worker is not None:
            _, connection = self._worker
            try:
                connection.send((list(jobs), image_format))
                answer = connection.recv()
            except (EOFError, OSError, ValueError):  # the worker is gone, or died before answering
                answer = None
        if answer is None or len(answer) != len(jobs):
            return draw_here(jobs, image_format)
        return answer

    def close(self) -> None:
        """End the worker now (one that answered is ending already) and wait for it."""
        if self._worker is None:
            return
        process, connection = self._worker
        connection.close()
        if process.is_alive():
            process.terminate()
        process.join()
        self._worker = None


def draw_here(jobs: Sequence[Job], image_format: str, blanks: list[Blank] | None = None) -> list[str | None]:
    """Each figure drawn in this process, on a figure taken from ``blanks`` while there are
    any (`plot.blank_figure`): per job, why it could not be drawn, or None."""
    from lossboard.views.plot import write_figure

    return [write_figure(spec, path, image_format=image_format, blank=blanks.pop() if blanks else None)
            for spec, path in jobs]


def draw_forked(jobs: Sequence[Job], image_format: str, cores: int, blanks: list[Blank]) -> list[str | None]:
    """Each figure drawn on ``cores`` processes: this one and copies of it forked now, each a
    share of about the same cost, on ``blanks`` (each copy on its own copy of them). A copy that
    fails to answer has its share drawn here."""
    shares = _shares([spec for spec, _ in jobs], cores if _can_fork() else 1)
    children = [_fork(lambda share=share: draw_here([jobs[i] for i in share], image_format, blanks))
                for share in shares[1:]]
    failures: list[str | None] = [None] * len(jobs)
    for i, failure in zip(shares[0], draw_here([jobs[i] for i in shares[0]], image_format, blanks)):
        failures[i] = failure
    for share, child in zip(shares[1:], children):
        answer = _child_answer(child)
        if answer is None or len(answer) != len(share):
            answer = draw_here([jobs[i] for i in share], image_format, blanks)
        for i, failure in zip(share, answer):
            failures[i] = failure
    return failures


def _can_fork() -> bool:
    """Whether a warm copy may be forked: on Linux (macOS's system libraries are not fork-safe)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def _shares(specs: Sequence[FigureSpec], count: int) -> list[list[int]]:
    """Figure indexes per process, costliest first to the least loaded, so that they end together."""
    shares: list[list[int]] = [[] for _ in range(count)]
    loads = [0] * count
    costs = [_FIGURE_POINTS + sum(len(line.x) for line in spec.lines) for spec in specs]
    for i in sorted(range(len(specs)), key=costs.__getitem__, reverse=True):
        least = loads.index(min(loads))
        shares[least].append(i)
        loads[least] += costs[i]
    return shares


def _fork(work: Callable[[], object]) -> tuple[int, int]:
    """A child running ``work()`` and writing its pickled result to a pipe: (pid, read end)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as pipe:
                pickle.dump(work(), pipe)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _child_answer(child: tuple[int, int]) -> Any:
    """What a forked child wrote, or None if it wrote nothing whole (it failed or was killed)."""
    pid, read_end = child
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    try:
        return pickle.loads(data)
    except (pickle.UnpicklingError, EOFError):
        return None


@contextmanager
def _ctrl_c_ignored() -> Iterator[None]:
    """SIGINT ignored meanwhile (only the main thread may set it; elsewhere `_serve` does)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _blanks_until_asked(connection: Connection, make: Callable[[], Blank]) -> list[Blank]:
    """Up to `_BLANKS` blank figures, made while nothing has come from ``connection``: a blank
    saves a figure's draw about what it costs to make, so only idle time is spent on them (a
    small log's load ends before the warm-up: then there are none)."""
    blanks: list[Blank] = []
    while len(blanks) < _BLANKS and not connection.poll():
        blanks.append(make())
    return blanks


@contextmanager
def _uncollected() -> Iterator[None]:
    """What is made meanwhile (matplotlib's import and warm-up, the blanks: ~150k objects) lives as
    long as the worker: no collection walks it then (its import ran ~90 ms of them), nor while
    drawing, here or in a forked copy (whose pages each walk would write to)."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _serve(connection: Connection, cores: int) -> None:
    """The worker: warm matplotlib up, wait for the figures, draw them on ``cores``, answer.

    The answer is None when anything but a figure's own failure went wrong: the parent then
    draws the figures itself and meets the error as it would have without a worker.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it ends the worker
    parent = multiprocessing.parent_process()
    answer: list[str | None] | None = None
    try:
        with _uncollected():
            from lossboard.views.plot import blank_figure, warm_up

            warm_up()
            blanks = _blanks_until_asked(connection, blank_figure)
        if parent is not None and connection not in wait([connection, parent.sentinel]):
            return  # the parent died without asking
        jobs, image_format = connection.recv()
        answer = draw_forked(jobs, image_format, cores, blanks)
    except EOFError:  # the parent closed without asking: its load failed or was interrupted
        return
    except Exception:  # noqa: BLE001  (the parent draws the figures itself and reports what goes wrong)
        answer = None
    try:
        connection.send(answer)
    except OSError:  # the parent is gone
        pass
