"""Cost of ``add_scalar``: lossboard.SummaryWriter against torch's and tensorboardX's writers.

Each writer logs ``--scalars`` values, 10 tags per step, into a fresh directory, and is
closed (trackio, which has no SummaryWriter, logs one ``trackio.log`` dict per step, as its users
do: see `TrackioWriter`). Three costs per scalar: the calling thread's CPU during the loop (``thread_time``:
what training waits for), the process's CPU for loop and ``close()`` together
(``process_time``: every thread's encoding and writing, everything on disk), and wall time.
Each run is its own subprocess, so peak RSS (``VmHWM``) is that writer's alone, imports
included; import time is not counted. ``lossboard`` writes TensorBoard files (the default),
``lossboard-own`` lossboard's own (``format="lossboard"``).

    .venv/bin/python bench/add_scalar.py                     # 200k and 1M scalars
    .venv/bin/python bench/add_scalar.py --scalars 200000 --writers lossboard,torch
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _measure import peak_rss_mb  # bench/ is on sys.path: it is the script's directory

SRC = Path(__file__).resolve().parent.parent / "src"
TAGS = [f"group{i % 3}/metric_{i}" for i in range(10)]
WRITERS = {
    "lossboard": "lossboard.log.writer",
    "lossboard-own": "lossboard.log.writer",
    "torch": "torch.utils.tensorboard",
    "tensorboardX": "tensorboardX",
    "trackio": "trackio",
}


class TrackioWriter:
    """trackio the way its users log: one ``trackio.log`` dict per step, here the step's tags
    (gathered until the step changes), images and histograms as its own media objects. Its
    files go to ``TRACKIO_DIR``, which `run_child` sets to the run's directory."""

    def __init__(self, logdir: str) -> None:
        import trackio

        self._trackio = trackio
        self._run = trackio.init(project="bench", name=os.path.basename(logdir), embed=False)
        self._step: int | None = None
        self._row: dict = {}

    def add_scalar(self, tag: str, value: float, step: int) -> None:
        if step != self._step:
            self._flush()
            self._step = step
        self._row[tag] = value

    def add_image(self, tag: str, image, step: int) -> None:
        self._trackio.log({tag: self._trackio.Image(image.transpose(1, 2, 0))}, step=step)  # CHW -> HWC

    def add_histogram(self, tag: str, values, step: int) -> None:
        self._trackio.log({tag: self._trackio.Histogram(values)}, step=step)

    def close(self) -> None:
        self._flush()
        self._trackio.finish()

    def _flush(self) -> None:
        if self._row:
            self._trackio.log(self._row, step=self._step)
            self._row = {}


def make_writer(name: str, logdir: str):
    if name.startswith("lossboard"):
        sys.path.insert(0, str(SRC))  # importable without installing lossboard into this venv
    if name == "trackio":
        return TrackioWriter(logdir)
    module = __import__(WRITERS[name], fromlist=["SummaryWriter"])
    if name == "lossboard-own":
        return module.SummaryWriter(logdir, format="lossboard")
    return module.SummaryWriter(logdir)


def run_one(name: str, scalars: int, logdir: str) -> dict:
    """In the child: import the writer, log, close; report the costs, peak RSS and bytes."""
    make_writer(name, tempfile.mkdtemp()).close()  # imports and first-use setup, not counted
    steps = scalars // len(TAGS)
    writer = make_writer(name, logdir)
    add = writer.add_scalar
    wall, cpu, caller = time.perf_counter(), time.process_time(), time.thread_time()
    for step in range(steps):
        value = 1.0 / (step + 1)
        for tag in TAGS:
            add(tag, value, step)
    caller = time.thread_time() - caller
    writer.close()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    size = sum(f.stat().st_size for f in Path(logdir).rglob("*") if f.is_file())
    return {"caller": caller, "cpu": cpu, "wall": wall, "peak_mb": peak_rss_mb(), "bytes": size,
            "scalars": steps * len(TAGS)}


def available(name: str) -> bool:
    if name.startswith("lossboard"):
        return True
    try:
        __import__(WRITERS[name])
    except ImportError:
        return False
    return True


def run_child(script: str, *args: str) -> dict:
    """Run ``script --child args... logdir`` in a fresh interpreter and a fresh directory."""
    logdir = tempfile.mkdtemp(prefix="bench-writer-")
    try:
        out = subprocess.run([sys.executable, script, "--child", *args, logdir], check=True, capture_output=True,
                             text=True, env={**os.environ, "PYTHONWARNINGS": "ignore", "TRACKIO_DIR": logdir})
    finally:
        shutil.rmtree(logdir, ignore_errors=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scalars", default="200000,1000000")
    parser.add_argument("--writers", default="lossboard,lossboard-own,torch,tensorboardX,trackio")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, scalars, logdir = args.child
        print(json.dumps(run_one(name, int(scalars), logdir)))
        return
    print("| scalars | writer | caller µs/scalar | total CPU µs/scalar | wall µs/scalar | peak RSS MB "
          "| bytes/scalar | CPU vs lossboard |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for scalars in map(int, args.scalars.split(",")):
        base = None
        for name in args.writers.split(","):
            if not available(name):
                print(f"| {scalars:,} | {name} | not installed, skipped | | | | | |")
                continue
            result = run_child(__file__, name, str(scalars))
            count = result["scalars"]
            caller, cpu, wall = (result[key] / count * 1e6 for key in ("caller", "cpu", "wall"))
            base = base or cpu
            print(f"| {count:,} | {name} | {caller:.2f} | {cpu:.2f} | {wall:.2f} | {result['peak_mb']:.0f} | "
                  f"{result['bytes'] / count:.1f} | {cpu / base:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
