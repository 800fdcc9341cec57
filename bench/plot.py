"""Time `lossboard plot` against `lossboard.load` of the same log, and against drawing every point.

Inputs (made once under bench/data/ by `gen_mxnet_log.py`): the 100 MB new-style MXNet log
(756,360 batch lines, 7,640 epochs, ~3 M points), a 1 MB one (`-1mb`, what most plots are)
and 400 runs of ~100 KB each (one directory each) for the overlay. Every measurement runs in
its own subprocess; imports of lossboard are not timed, matplotlib's are (plotting pays them).

`plot` draws in a worker process that imports matplotlib during the load and forks a warm copy
to draw on the second core (`views/drawers.py`), so what a user waits for is its wall time; its
CPU adds the worker's and its copy's (reaped children).
`plot-serial` is the same command drawing in its own process, as before the workers.
`draw` is `plot` without its load (figures built, reduced and written from loaded runs).
Peak RSS is the main process's VmHWM, and the largest worker's.

    .venv/bin/python bench/plot.py                      # ~1 min, plus ~25 s for the every-point peer
    .venv/bin/python bench/plot.py --methods load,plot,plot-serial,load-1mb,plot-1mb,plot-serial-1mb --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
DATA = HERE / "data"
sys.path.insert(0, str(HERE.parent / "src"))  # lossboard importable without installing it
sys.path.insert(0, str(HERE))

from _measure import peak_rss_mb  # noqa: E402  bench/ is on sys.path: it is the script's directory

BIG = DATA / "mxnet-new-100MB.log"
SMALL = DATA / "fixed-mxnet-1MB.log"
MANY = DATA / "plot-400-runs"
WORKERS = int(os.environ.get("BENCH_PLOT_WORKERS", "2"))  # for plot-path: on how many cores the worker draws
METHODS = ("load", "plot", "plot-serial", "draw", "every-point", "load-1mb", "plot-1mb", "plot-serial-1mb",
           "load-400", "plot-400", "draw-400")


def run_load(path: Path) -> int:
    import lossboard

    return sum(len(s) for run in lossboard.load(path) for s in run.series.values())


def run_plot(path: Path) -> int:
    from lossboard.cli import main

    with tempfile.TemporaryDirectory() as out:
        main(["plot", str(path), "-o", out], standalone_mode=False)
        return len(list(Path(out).iterdir()))


def run_plot_path(path: Path) -> dict:
    """`plot` with each process's CPU clock read where it hands over (fork carries the readings'
    hooks into the workers): how long the command would take with a free core for each process,
    what the user waits for on an idle machine, whatever the neighbours do to the wall clock."""
    import multiprocessing

    import lossboard.views.drawers as drawers
    import lossboard.views.plot as plot

    readings = multiprocessing.get_context("fork").SimpleQueue()
    warm_up, write_figure, draw = plot.warm_up, plot.write_figure, drawers.Drawers.draw

    def timed_warm_up() -> None:
        warm_up()
        readings.put(("ready", time.process_time()))

    def timed_write_figure(*args, **kwargs):
        start = time.process_time()
        try:
            return write_figure(*args, **kwargs)
        finally:
            readings.put(("draw", os.getpid(), time.process_time() - start))

    def timed_draw(self, jobs, image_format):
        readings.put(("asked", time.process_time() - cpu_start))
        try:
            return draw(self, jobs, image_format)
        finally:
            readings.put(("answered", time.process_time() - cpu_start))

    plot.warm_up, plot.write_figure, drawers.Drawers.draw = timed_warm_up, timed_write_figure, timed_draw
    drawers.start_drawers = lambda: drawers.Drawers(WORKERS, start_method="fork")
    cpu_start = time.process_time()
    run_plot(path)
    end = time.process_time() - cpu_start
    got: dict[str, list] = {}
    while not readings.empty():
        kind, *values = readings.get()
        got.setdefault(kind, []).append(values)
    draws: dict[int, float] = {}
    for pid, seconds in got.get("draw", []):
        draws[pid] = draws.get(pid, 0.0) + seconds
    asked, answered = got["asked"][0][0], got["answered"][0][0]
    ready = max(values[0] for values in got.get("ready", [[0.0]]))
    workers = len(got.get("ready", []))
    # until the ask, the load shares the two cores with the workers' warming up
    before = max(asked, ready, (asked + workers * ready) / 2)
    return before + max(draws.values(), default=0.0) + (end - answered)


def run_plot_serial(path: Path) -> int:
    """`plot` drawing in its own process, as before the drawing workers."""
    import lossboard.views.drawers as drawers

    drawers.start_drawers = lambda: drawers.Drawers(0)
    return run_plot(path)


def prepare_draw(path: Path) -> list:
    import lossboard

    return lossboard.load(path)


def run_draw(runs: list) -> int:
    """`plot` without its load: building, reducing and drawing the figures of loaded runs."""
    from lossboard.views.figures import build_figures
    from lossboard.views.plot import COLUMNS, write_figures

    with tempfile.TemporaryDirectory() as out:
        return len(write_figures(build_figures(runs, columns=COLUMNS), out))


def run_every_point(path: Path) -> int:
    """What the plot did before pixel bounds, and what a user's own script does: hand every point
    to matplotlib, one figure per metric group, legend placed by "best"."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    import lossboard
    from lossboard.views.figures import role

    groups: dict[str, list] = {}
    for run in lossboard.load(path):
        for series in run.series.values():
            groups.setdefault(role(series.tag), []).append(series)
    with tempfile.TemporaryDirectory() as out:
        for key, members in groups.items():
            figure = Figure(figsize=(8, 5), dpi=150, layout="constrained")
            FigureCanvasAgg(figure)
            axes = figure.add_subplot()
            for series in members:
                axes.plot(series.epoch, series.value, label=series.tag)
            axes.legend(loc="best")
            figure.savefig(Path(out) / f"{key}.png")
    return len(groups)


def child(method: str, path: Path) -> None:
    import lossboard  # noqa: F401  (not timed)
    import lossboard.cli  # noqa: F401

    name = method.replace("-", "_").removesuffix("_400").removesuffix("_1mb")
    prepare = globals().get("prepare_" + name, lambda given: given)
    argument = prepare(path)  # not timed
    wall_start, cpu_start = time.perf_counter(), time.process_time() + _workers_cpu()
    count = globals()["run_" + name](argument)
    wall, cpu = time.perf_counter() - wall_start, time.process_time() + _workers_cpu() - cpu_start
    workers_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if name == "plot_path":  # the wall it would take with a core per process, in place of the clock's
        wall, count = count, 5
    print(json.dumps({"s": wall, "cpu_s": cpu, "rss_mb": peak_rss_mb(), "workers_rss_mb": workers_rss_mb,
                      "count": count}))


def _workers_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the drawing workers, once ended
    return usage.ru_utime + usage.ru_stime


def input_of(method: str) -> Path:
    return MANY if method.endswith("-400") else SMALL if method.endswith("-1mb") else BIG


def load_of(method: str) -> str:
    """The load measured against: of the same input."""
    return "load" + method[-4:] if method[-4:] in ("-400", "-1mb") else "load"


def measure(method: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", method, str(input_of(method))], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])  # `plot` prints the files it wrote first


def uptime() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def ensure_inputs() -> None:
    from gen_mxnet_log import write_log

    if not BIG.exists():
        write_log(BIG, "new", 100 * 10**6)
    if not (MANY / "run-399" / "train.log").exists():
        for index in range(400):
            write_log(MANY / f"run-{index:03d}" / "train.log", "new", 100 * 10**3, batches=200, seed=index)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--rounds", type=int, default=1, help="rounds of all methods, interleaved; medians shown")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    ensure_inputs()
    methods = args.methods.split(",")
    rounds: dict[str, list[dict]] = {method: [] for method in methods}
    for index in range(args.rounds):
        print(f"round {index + 1}: load average {uptime()}", file=sys.stderr)
        for method in methods:
            rounds[method].append(measure(method))
    results = {method: {key: statistics.median(result[key] for result in rounds[method]) for key in rounds[method][0]}
               for method in methods}
    print(f"load average at the end: {uptime()}; medians of {args.rounds} round(s)")
    print("| measure | wall s | CPU s | peak RSS MB (workers) | wall vs its load | CPU vs its load |")
    print("|---|---:|---:|---:|---:|---:|")
    for method, result in results.items():
        load = results.get(load_of(method))
        # plot-path's wall is each process's CPU on its own core: against the load's CPU, its wall on a free core
        load_wall = "cpu_s" if method.startswith("plot-path") else "s"
        wall_ratio, cpu_ratio = (f"{result[key] / load[against]:.2f}x" if load else "-"
                                 for key, against in (("s", load_wall), ("cpu_s", "cpu_s")))
        workers = f" ({result['workers_rss_mb']:.0f})" if result["workers_rss_mb"] else ""
        print(f"| {method} | {result['s']:.2f} | {result['cpu_s']:.2f} | {result['rss_mb']:.0f}{workers} "
              f"| {wall_ratio} | {cpu_ratio} |")


if __name__ == "__main__":
    main()
