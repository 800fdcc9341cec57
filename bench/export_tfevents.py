"""Export to TensorBoard event files: ``lossboard export --format tfevents`` against what a user
would write instead.

The input is the store benchmark's lossboard event files (bench/store.py generates them once:
20 runs x 10 tags x 20,000 steps, 4 M points, wall times known). Each method runs in its own
subprocess, so its peak RSS (``VmHWM``, imports included) is its own; import time is not counted.

* ``lossboard``    `lossboard.load` + `write_tfevents`: what ``lossboard export DATA --format
                   tfevents -o DIR`` does. float64 tensors, exact.
* ``csv-loop``     the user's two steps: ``lossboard export --format csv -o runs.csv`` (load +
                   `write_csv`), then ``pandas.read_csv`` and, per run, tensorboard's
                   ``EventFileWriter`` fed one ``Event`` with a ``simple_value`` (float32) per row.
* ``torch``        `lossboard.load`, then per run torch's ``SummaryWriter.add_scalar(tag, value,
                   step, walltime)`` per point (float32 ``simple_value``).

The slow method (``torch``) exports the first ``--slow-runs`` runs only; compare per point.

    .venv/bin/python bench/export_tfevents.py                       # ~6 min once the data exists
    .venv/bin/python bench/export_tfevents.py --methods lossboard --runs 5
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # lossboard importable without installing it

from _measure import peak_rss_mb  # bench/ is on sys.path: it is the script's directory

from store import generate

DATA = HERE / "data" / "store" / "lossboard"
METHODS = ("lossboard", "csv-loop", "torch")
SLOW = ("torch",)


def run_lossboard(inputs: list[Path], out: Path) -> dict:
    import lossboard
    from lossboard.views.export_tfevents import write_tfevents

    start = time.perf_counter()
    runs = lossboard.load(*inputs)
    loaded = time.perf_counter()
    write_tfevents(runs, out)
    return {"points": sum(len(s) for run in runs for s in run.series.values()),
            "parts": {"load": loaded - start, "write": time.perf_counter() - loaded}}


def run_csv_loop(inputs: list[Path], out: Path) -> dict:
    import lossboard
    from lossboard.views.export import write_csv

    start = time.perf_counter()
    csv_path = out / "runs.csv"
    with open(csv_path, "wb") as file:  # step 1: lossboard export --format csv -o runs.csv
        write_csv(lossboard.load(*inputs), file)
    exported = time.perf_counter()

    import pandas  # step 2: the user's script
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    frame = pandas.read_csv(csv_path)
    for run, rows in frame.groupby("run", sort=False):
        writer = EventFileWriter(str(out / "tb" / str(run)))
        for tag, step, wall, value in zip(rows["tag"], rows["step"], rows["wall_time"], rows["value"]):
            summary = Summary(value=[Summary.Value(tag=tag, simple_value=value)])
            writer.add_event(Event(wall_time=wall, step=step, summary=summary))
        writer.close()
    return {"points": len(frame), "parts": {"csv export": exported - start,
                                            "read_csv + loop": time.perf_counter() - exported}}


def run_torch(inputs: list[Path], out: Path) -> dict:
    from torch.utils.tensorboard import SummaryWriter

    import lossboard

    start = time.perf_counter()
    runs = lossboard.load(*inputs)
    loaded = time.perf_counter()
    points = 0
    for run in runs:
        writer = SummaryWriter(str(out / run.name))
        for tag, series in run.series.items():
            for step, wall, value in zip(series.step.tolist(), series.wall_time.tolist(), series.value.tolist()):
                writer.add_scalar(tag, value, step, walltime=wall)
            points += len(series)
        writer.close()
    return {"points": points, "parts": {"load": loaded - start, "write": time.perf_counter() - loaded}}


def child(method: str, runs: int) -> None:
    """Run one method here and print seconds, peak RSS, points and bytes written as JSON."""
    import tensorboard.summary.writer.event_file_writer  # noqa: F401

    import lossboard.sources  # noqa: F401  (import time is not export time)
    import lossboard.views.export_tfevents  # noqa: F401

    if method == "csv-loop":
        import pandas  # noqa: F401
    if method == "torch":
        import torch.utils.tensorboard  # noqa: F401
    inputs = sorted(DATA.iterdir())[:runs]
    out = Path(tempfile.mkdtemp(prefix=f"bench-export-{method}-"))
    try:
        start = time.perf_counter()
        result = globals()["run_" + method.replace("-", "_")](inputs, out)
        seconds = time.perf_counter() - start
        written = sum(path.stat().st_size for path in out.rglob("*tfevents*") if path.is_file())
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(json.dumps({"seconds": seconds, "rss_mb": peak_rss_mb(), "bytes": written, **result}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--runs", type=int, default=20, help="runs exported by the fast methods (of 20)")
    parser.add_argument("--slow-runs", type=int, default=2, help="runs exported by torch")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "RUNS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    generate()  # once: reused when present
    results = {}
    for method in args.methods.split(","):
        runs = args.slow_runs if method in SLOW else args.runs
        out = subprocess.run([sys.executable, __file__, "--child", method, str(runs)], capture_output=True,
                             text=True, check=True)
        results[method] = {**json.loads(out.stdout), "runs": runs}
        print(f"{method}: {json.dumps(results[method])}", file=sys.stderr, flush=True)
    base = results.get("lossboard")
    base_us = base["seconds"] / base["points"] * 1e6 if base else None
    print("| method | runs | points | s | of which | µs/point | bytes/point | peak RSS MB | vs lossboard |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|")
    for method, r in results.items():
        us = r["seconds"] / r["points"] * 1e6
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in r["parts"].items())
        ratio = f"{us / base_us:.1f}x slower" if base_us and method != "lossboard" else ""
        print(f"| {method} | {r['runs']} | {r['points']:,} | {r['seconds']:.1f} | {parts} | {us:.1f} | "
              f"{r['bytes'] / r['points']:.1f} | {r['rss_mb']:.0f} | {ratio} |")


if __name__ == "__main__":
    main()
