"""Cost of ``add_scalar``: lossboard.SummaryWriter against torch's and tensorboardX's writers.

Each writer logs ``--scalars`` values, 10 tags per step, into a fresh directory, and is
closed; the time includes ``close()`` (everything on disk). Each run is its own subprocess,
so peak RSS (``VmHWM``) is that writer's alone, imports included; import time is not counted.

    /work/fw-venv/bin/python bench/add_scalar.py                     # 200k and 1M scalars
    /work/fw-venv/bin/python bench/add_scalar.py --scalars 200000 --writers lossboard,torch
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
TAGS = [f"group{i % 3}/metric_{i}" for i in range(10)]
WRITERS = {
    "lossboard": "lossboard.log.writer",
    "torch": "torch.utils.tensorboard",
    "tensorboardX": "tensorboardX",
}


def run_one(name: str, scalars: int, logdir: str) -> dict:
    """In the child: import the writer, log, close; report seconds, peak RSS and bytes."""
    if name == "lossboard":
        sys.path.insert(0, str(SRC))  # importable without installing lossboard into this venv
    module = __import__(WRITERS[name], fromlist=["SummaryWriter"])
    writer_class = module.SummaryWriter
    steps = scalars // len(TAGS)
    start = time.perf_counter()
    writer = writer_class(logdir)
    add = writer.add_scalar
    for step in range(steps):
        value = 1.0 / (step + 1)
        for tag in TAGS:
            add(tag, value, step)
    writer.close()
    seconds = time.perf_counter() - start
    size = sum(f.stat().st_size for f in Path(logdir).rglob("*") if f.is_file())
    peak = _peak_rss_mb()
    return {"seconds": seconds, "peak_mb": peak, "bytes": size, "scalars": steps * len(TAGS)}


def _peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, it does not carry over across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def available(name: str) -> bool:
    if name == "lossboard":
        return True
    try:
        __import__(WRITERS[name])
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scalars", default="200000,1000000")
    parser.add_argument("--writers", default="lossboard,torch,tensorboardX")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, scalars, logdir = args.child
        print(json.dumps(run_one(name, int(scalars), logdir)))
        return
    print("| scalars | writer | µs/scalar | total s | peak RSS MB | bytes/scalar | vs lossboard |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for scalars in map(int, args.scalars.split(",")):
        base = None
        for name in args.writers.split(","):
            if not available(name):
                print(f"| {scalars:,} | {name} | not installed, skipped | | | | |")
                continue
            logdir = tempfile.mkdtemp(prefix=f"bench-{name}-")
            try:
                out = subprocess.run([sys.executable, __file__, "--child", name, str(scalars), logdir],
                                     check=True, capture_output=True, text=True,
                                     env={**os.environ, "PYTHONWARNINGS": "ignore"})
            finally:
                shutil.rmtree(logdir, ignore_errors=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            per = result["seconds"] / result["scalars"] * 1e6
            base = base or per
            print(f"| {result['scalars']:,} | {name} | {per:.2f} | {result['seconds']:.2f} | "
                  f"{result['peak_mb']:.0f} | {result['bytes'] / result['scalars']:.1f} | "
                  f"{per / base:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
