"""Export throughput: `lossboard export` against `lossboard.load` of the same log, and pandas.

The issue's target is an export within 1.5x of the load it starts from. The peer is what a
user would otherwise write: the loaded run as a pandas DataFrame (`Run.to_pandas`), then
`DataFrame.to_csv` / `to_json(orient="records")` / `to_parquet`. Both sides start from the
same loaded runs; the load is timed beside them. CPU time is reported too, since the wall
clock of a shared 2-core machine says as much about its neighbours. With ``--repeat N`` the load
and every writer run N times, interleaved, and each keeps its least CPU (with that run's wall):
a single run's CPU moved by 2x at load average 1 on this machine.

    python bench/gen_mxnet_log.py new 100MB bench/data/mxnet-new-100MB.log
    python bench/export.py bench/data/mxnet-new-100MB.log --repeat 5
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of ``action``."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, interleaved; the least CPU is kept")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    import lossboard
    from lossboard.views.export import export

    runs = lossboard.load(args.log)
    points = sum(len(s) for run in runs for s in run.series.values())
    frame = runs[0].to_pandas()
    peers = {
        "csv": lambda path: frame.to_csv(path, index=False),
        "json": lambda path: frame.to_json(path, orient="records"),
        "parquet": lambda path: frame.to_parquet(path, index=False),
    }

    def write(fmt: str) -> None:
        with open(args.out / f"export.{fmt}", "wb") as out:
            export(runs, out, fmt=fmt)

    actions: dict[str, Callable[[], object]] = {"load": lambda: lossboard.load(args.log)}
    for fmt, peer in peers.items():
        actions[fmt] = lambda fmt=fmt: write(fmt)
        actions[f"pandas {fmt}"] = lambda fmt=fmt, peer=peer: peer(args.out / f"pandas.{fmt}")
    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.repeat):
        for name, action in actions.items():
            wall, cpu = timed(action)
            if name not in best or cpu < best[name][1]:
                best[name] = (wall, cpu)
    load_wall, load_cpu = best["load"]
    print(f"{args.log.name}: {args.log.stat().st_size / 1e6:.0f} MB, {points:,} points, "
          f"load {load_wall:.2f} s (cpu {load_cpu:.2f} s), least CPU of {args.repeat}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'format':8} {'lossboard s':>12} {'cpu s':>7} {'x load':>7} {'pandas s':>9} {'cpu s':>7} {'ratio':>6}")
    for fmt in peers:
        (wall, cpu), (peer_wall, peer_cpu) = best[fmt], best[f"pandas {fmt}"]
        print(f"{fmt:8} {wall:12.2f} {cpu:7.2f} {cpu / load_cpu:7.2f} {peer_wall:9.2f} {peer_cpu:7.2f} "
              f"{peer_cpu / cpu:6.2f}")

if __name__ == "__main__":
    main()
