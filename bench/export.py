"""Export throughput: `lossboard export` against `lossboard.load` of the same log, and pandas.

The issue's target is an export within 1.5x of the load it starts from. The peer is what a
user would otherwise write: the loaded run as a pandas DataFrame (`Run.to_pandas`), then
`DataFrame.to_csv` / `to_json(orient="records")` / `to_parquet`. Both sides start from the
same loaded runs; the load is timed once and reported beside them. CPU time is reported too,
since the wall clock of a shared 2-core machine says as much about its neighbours.

    python bench/gen_mxnet_log.py new 100MB bench/data/mxnet-new-100MB.log
    python bench/export.py bench/data/mxnet-new-100MB.log
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
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    import lossboard
    from lossboard.views.export import export

    runs: list = []
    load_wall, load_cpu = timed(lambda: runs.extend(lossboard.load(args.log)))
    points = sum(len(s) for run in runs for s in run.series.values())
    frame = runs[0].to_pandas()
    print(f"{args.log.name}: {args.log.stat().st_size / 1e6:.0f} MB, {points:,} points, "
          f"load {load_wall:.2f} s (cpu {load_cpu:.2f} s), load average {os.getloadavg()[0]:.1f}")
    print(f"{'format':8} {'lossboard s':>12} {'cpu s':>7} {'x load':>7} {'pandas s':>9} {'cpu s':>7} {'ratio':>6}")
    peers = {
        "csv": lambda path: frame.to_csv(path, index=False),
        "json": lambda path: frame.to_json(path, orient="records"),
        "parquet": lambda path: frame.to_parquet(path, index=False),
    }
    for fmt, peer in peers.items():
        ours = args.out / f"export.{fmt}"

        def write(fmt: str = fmt, ours: Path = ours) -> None:
            with open(ours, "wb") as out:
                export(runs, out, fmt=fmt)

        wall, cpu = timed(write)
        peer_wall, peer_cpu = timed(lambda peer=peer, fmt=fmt: peer(args.out / f"pandas.{fmt}"))
        print(f"{fmt:8} {wall:12.2f} {cpu:7.2f} {cpu / load_cpu:7.2f} {peer_wall:9.2f} {peer_cpu:7.2f} "
              f"{peer_cpu / cpu:6.2f}")


if __name__ == "__main__":
    main()
