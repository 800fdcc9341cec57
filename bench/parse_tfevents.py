"""Parsing throughput on TensorBoard event files: lossboard against TensorBoard's own reader.

The input is the store benchmark's tfevents directory (bench/store.py generates it once: 20
runs x 10 tags x 20,000 steps, 196 MB, one scalar per event as torch's SummaryWriter writes
them). Each method runs in its own subprocess, so its peak RSS (``VmHWM``, imports included)
is its own:

* ``lossboard``       `lossboard.sources.reader.parse_file` per file + collector, what `lossboard.load` does
* ``parser-only``     the tfevents Parser fed 8 MB chunks (as `sources/tail.py` reads), values counted
* ``protobuf-path``   the same Parser with ``bulk=False``: every record through ``Event.FromString``,
                      values one by one (the parser before the bulk decoder)
* ``tensorboard``     tensorboard's ``EventFileLoader`` (``summary_iterator`` without TensorFlow), keeping
                      (tag, step, value, wall_time) of every simple_value and one-element tensor
* ``read``            the bytes read in 8 MB chunks, the floor

The slow methods (``protobuf-path``, ``tensorboard``) read the first ``--slow-runs`` runs only;
compare them per event. Timings are the best and the median of ``--repeats`` runs.

    .venv/bin/python bench/parse_tfevents.py                   # ~2 min after the data exists
    .venv/bin/python bench/parse_tfevents.py --methods lossboard,parser-only --repeats 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # lossboard importable without installing it

from _measure import peak_rss_mb  # bench/ is on sys.path: it is the script's directory

from store import generate

DATA = HERE / "data" / "store" / "tfevents"
METHODS = ("lossboard", "parser-only", "protobuf-path", "tensorboard", "read")
SLOW = ("protobuf-path", "tensorboard")
CHUNK = 8 << 20


def run_lossboard(paths: list[Path]) -> int:
    from lossboard.sources.reader import parse_file

    return sum(len(s) for path in paths for s in parse_file(path, "tfevents").collector.series().values())


def run_parser_only(paths: list[Path], bulk: bool = True) -> int:
    from lossboard.model import Columns
    from lossboard.sources.formats import tfevents

    count = 0
    for path in paths:
        parser = tfevents.Parser(bulk=bulk)
        with open(path, "rb") as file:
            while chunk := file.read(CHUNK):
                count += sum(len(item.step) for item in parser.feed(chunk) if type(item) is Columns)
        parser.close()
    return count


def run_protobuf_path(paths: list[Path]) -> int:
    return run_parser_only(paths, bulk=False)


def run_tensorboard(paths: list[Path]) -> int:
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.util import tensor_util

    rows = []
    for path in paths:
        for event in EventFileLoader(str(path)).Load():
            if not event.HasField("summary"):
                continue
            for value in event.summary.value:
                kind = value.WhichOneof("value")
                if kind == "simple_value":
                    rows.append((value.tag, event.step, value.simple_value, event.wall_time))
                elif kind == "tensor":
                    array = tensor_util.make_ndarray(value.tensor)
                    if array.size == 1:
                        rows.append((value.tag, event.step, float(array.reshape(())), event.wall_time))
    return len(rows)


def run_read(paths: list[Path]) -> int:
    count = 0
    for path in paths:
        with open(path, "rb") as file:
            while chunk := file.read(CHUNK):
                count += len(chunk)
    return count


def event_files(runs: int) -> list[Path]:
    return [path for run in sorted(DATA.iterdir())[:runs] for path in sorted(run.glob("events.out.tfevents.*"))]


def child(method: str, runs: int) -> None:
    """Run one method here and print seconds, peak RSS and the count as JSON."""
    function = globals()["run_" + method.replace("-", "_")]
    if method != "read":  # import time is not parsing time
        import tensorboard.backend.event_processing.event_file_loader  # noqa: F401

        import lossboard.sources.reader  # noqa: F401
        from lossboard.sources.formats import tfevents

        tfevents.Parser()
    paths = event_files(runs)
    start = time.perf_counter()
    count = function(paths)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "rss_mb": peak_rss_mb(), "count": count,
                      "mb": sum(path.stat().st_size for path in paths) / 1e6}))


def measure(method: str, runs: int, repeats: int) -> dict:
    results = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, __file__, "--child", method, str(runs)], capture_output=True,
                             text=True, check=True)
        results.append(json.loads(out.stdout))
    times = sorted(result["seconds"] for result in results)
    return {**results[0], "best": times[0], "median": statistics.median(times),
            "rss_mb": max(result["rss_mb"] for result in results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--runs", type=int, default=20, help="runs read by the fast methods (of 20)")
    parser.add_argument("--slow-runs", type=int, default=1, help="runs read by protobuf-path and tensorboard")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "RUNS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    generate()  # once: reused when present
    results = {}
    for method in args.methods.split(","):
        runs = args.slow_runs if method in SLOW else args.runs
        results[method] = measure(method, runs, args.repeats)
        print(f"{method}: {json.dumps(results[method])}", file=sys.stderr, flush=True)
    base = results.get("tensorboard")
    base_us = base["best"] / base["count"] * 1e6 if base else None
    print("| method | runs | MB | events | best s | median s | MB/s | µs/event | peak RSS MB | faster than tensorboard |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for method, r in results.items():
        runs = args.slow_runs if method in SLOW else args.runs
        speed = f"| {r['best']:.2f} | {r['median']:.2f} | {r['mb'] / r['best']:.0f} |"
        if method == "read":  # counts bytes, not events
            print(f"| {method} | {runs} | {r['mb']:.0f} | - {speed} - | {r['rss_mb']:.0f} | |")
            continue
        us = r["best"] / r["count"] * 1e6
        ratio = f"{base_us / us:.1f}x" if base_us else ""
        print(f"| {method} | {runs} | {r['mb']:.0f} | {r['count']:,} {speed} {us:.3f} | {r['rss_mb']:.0f} | {ratio} |")

if __name__ == "__main__":
    main()
