"""Cost of ``add_image`` and ``add_histogram``: lossboard.SummaryWriter, torch's, tensorboardX's, trackio.

Each writer logs ``--count`` images (3 x 64 x 64 uint8, CHW, as a training loop logs a sample)
and as many histograms (10,000 float32 weights each), then is closed. As in add_scalar.py:
the calling thread's CPU during the loop, the process's CPU including ``close()``, wall time,
per call, each writer in its own subprocess, imports not counted.

    .venv/bin/python bench/add_media.py
    .venv/bin/python bench/add_media.py --count 100 --writers lossboard,torch
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from add_scalar import available, make_writer, peak_rss_mb, run_child  # noqa: E402


def run_one(name: str, kind: str, count: int, logdir: str) -> dict:
    import numpy as np

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (8, 3, 64, 64), dtype=np.uint8)
    weights = rng.normal(size=(8, 10_000)).astype(np.float32)
    make_writer(name, tempfile.mkdtemp()).close()  # imports and first-use setup, not counted
    writer = make_writer(name, logdir)
    wall, cpu, caller = time.perf_counter(), time.process_time(), time.thread_time()
    for step in range(count):
        if kind == "image":
            writer.add_image("sample", images[step % 8], step)
        else:
            writer.add_histogram("weights", weights[step % 8], step)
    caller = time.thread_time() - caller
    writer.close()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    size = sum(f.stat().st_size for f in Path(logdir).rglob("*") if f.is_file())
    return {"caller": caller, "cpu": cpu, "wall": wall, "peak_mb": peak_rss_mb(), "bytes": size, "count": count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--writers", default="lossboard,lossboard-own,torch,tensorboardX,trackio")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, kind, count, logdir = args.child
        print(json.dumps(run_one(name, kind, int(count), logdir)))
        return
    print("| call | writer | caller µs/call | total CPU µs/call | wall µs/call | peak RSS MB | bytes/call "
          "| CPU vs lossboard |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for kind in ("image", "histogram"):
        base = None
        for name in args.writers.split(","):
            if not available(name):
                print(f"| add_{kind} | {name} | not installed, skipped | | | | | |")
                continue
            result = run_child(__file__, name, kind, str(args.count))
            caller, cpu, wall = (result[key] / result["count"] * 1e6 for key in ("caller", "cpu", "wall"))
            base = base or cpu
            print(f"| add_{kind} | {name} | {caller:.0f} | {cpu:.0f} | {wall:.0f} | {result['peak_mb']:.0f} | "
                  f"{result['bytes'] / result['count']:.0f} | {cpu / base:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
