"""Worker processes that import matplotlib while `lossboard plot` loads its runs, then draw.

matplotlib's fixed cost (its import and first use: ~0.5 s) is half the load of a 100 MB log
and most of a small log's plot. Started before the load, the workers pay it on another core;
once the runs are loaded only the drawing is left, split between them.

Only plain data crosses: figure specs (lines already reduced to pixel columns) and paths in,
each figure's failure or None out. Any other trouble in a worker (it died, was killed, could
not import matplotlib) is not reported from there: its figures are drawn here instead, as
they would be without workers, so whatever goes wrong reads the same. Workers ignore Ctrl-C
(this process handles it and ends them) and end by themselves if this process dies.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lossboard.views.figures import FigureSpec

Job = tuple["FigureSpec", Path]
_FIGURE_POINTS = 5000  # what a figure's text, ticks and PNG cost, in points of its lines (for sharing out)


def start_drawers() -> Drawers:
    """The drawers of one `lossboard plot`: one per idle core, at most two (each then draws
    about half the figures after the load). A worker shortens the plot only on a core of its
    own: on a busy machine, or a single core, its import is CPU taken from the load, so there
    are none and the figures are drawn here."""
    return Drawers(max(0, min(2, round(idle_cores()))) if (os.cpu_count() or 1) > 1 else 0)


def idle_cores() -> float:
    """Cores not busy over the last minute (the load average); all of them where it is unknown."""
    cores = os.cpu_count() or 1
    try:
        return cores - os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has no load average
        return float(cores)


class Drawers:
    """``count`` drawing processes, started now; a context manager that ends them on leaving.

    With none, figures are drawn in this process. ``start_method`` is multiprocessing's
    ("fork", "spawn", "forkserver"; None for the platform's default: spawn on Windows and macOS).
    """

    def __init__(self, count: int, *, start_method: str | None = None) -> None:
        context = multiprocessing.get_context(start_method)
        self._workers: list[tuple[Any, Connection]] = []
        try:
            with _ctrl_c_ignored():  # inherited through fork and exec: workers are born ignoring it
                for _ in range(count):
                    ours, theirs = context.Pipe()
                    process = context.Process(target=_serve, args=(theirs,), name="lossboard-drawer", daemon=True)
                    process.start()
                    theirs.close()  # the worker's copy is then the only one: its end closing is our EOF
                    self._workers.append((process, ours))
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Drawers:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def draw(self, jobs: Sequence[Job], image_format: str) -> list[str | None]:
        """Write each figure to its path: per job, why it could not be drawn, or None.

        Each worker gets a share of about the same cost; a share comes back with the worker's
        answer, or is drawn here if the worker has none.
        """
        from lossboard.views.plot import write_figure

        if not self._workers:
            return [write_figure(spec, path, image_format=image_format) for spec, path in jobs]
        shares = _shares([spec for spec, _ in jobs], len(self._workers))
        asked = [_ask(connection, [jobs[i] for i in share], image_format)
                 for (_, connection), share in zip(self._workers, shares)]
        failures: list[str | None] = [None] * len(jobs)
        for (_, connection), share, was_asked in zip(self._workers, shares, asked):
            answer = _answer(connection) if was_asked else None
            if answer is None or len(answer) != len(share):
                answer = [write_figure(*jobs[i], image_format=image_format) for i in share]
            for i, failure in zip(share, answer):
                failures[i] = failure
        return failures

    def close(self) -> None:
        """End every worker now (one that answered is ending already) and wait for it."""
        for process, connection in self._workers:
            connection.close()
            if process.is_alive():
                process.terminate()
            process.join()
        self._workers = []


def _shares(specs: Sequence[FigureSpec], count: int) -> list[list[int]]:
    """Figure indexes per worker, costliest first to the least loaded, so that they end together."""
    shares: list[list[int]] = [[] for _ in range(count)]
    loads = [0] * count
    costs = [_FIGURE_POINTS + sum(len(line.x) for line in spec.lines) for spec in specs]
    for i in sorted(range(len(specs)), key=costs.__getitem__, reverse=True):
        least = loads.index(min(loads))
        shares[least].append(i)
        loads[least] += costs[i]
    return shares


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


def _ask(connection: Connection, share: list[Job], image_format: str) -> bool:
    try:
        connection.send((share, image_format))
    except (OSError, ValueError):  # the worker is gone (a broken pipe)
        return False
    return True


def _answer(connection: Connection) -> list[str | None] | None:
    try:
        return connection.recv()
    except (EOFError, OSError):  # the worker died before answering
        return None


def _serve(connection: Connection) -> None:
    """A worker: warm matplotlib up, wait for one share of figures, draw it, answer.

    The answer is None when anything but a figure's own failure went wrong: the parent then
    draws the share itself and meets the error as it would have without workers.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it ends the workers
    parent = multiprocessing.parent_process()
    answer: list[str | None] | None = None
    try:
        from lossboard.views.plot import warm_up, write_figure

        warm_up()
        if parent is not None and connection not in wait([connection, parent.sentinel]):
            return  # the parent died without asking
        share, image_format = connection.recv()
        answer = [write_figure(spec, path, image_format=image_format) for spec, path in share]
    except EOFError:  # the parent closed without asking: its load failed or was interrupted
        return
    except Exception:  # noqa: BLE001  (the parent draws the share itself and reports what goes wrong)
        answer = None
    try:
        connection.send(answer)
    except OSError:  # the parent is gone
        pass
