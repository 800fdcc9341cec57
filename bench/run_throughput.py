"""`lossboard run` against `cat` and `tee`: how fast the command's output gets out, and
`inspect` of one very long line.

The command is a Python child that prints a log, as a training script does (``print`` per
line, or per 80 characters of a single line, block-buffered into a pipe), and reports its
own elapsed time (the command's, not lossboard's start-up or its parse after the command
ended). It runs behind, in turn, `| cat > /dev/null`, `| tee FILE > /dev/null` and
`lossboard run -- CMD > /dev/null`, on 100 MB of short mxnet lines, 100 MB in a single line
and a 100 MB Keras ``\\r`` bar (a slow parse). Each way runs ``--repeats`` times and the best
is shown (an older checkout, which can take minutes, runs once); the peak RSS is the largest process's (the child holds its log in memory). Then
`lossboard inspect` reads a 200 MB single-line file (time, peak RSS). ``--before SRC`` runs
an older checkout's ``src`` too.

    python bench/run_throughput.py [--mb 100] [--inspect-mb 200] [--before /tmp/old/src]
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
# The command under test: prints argv[1], then writes its own elapsed seconds to argv[2].
CHILD = (
    "import sys, time\n"
    "text = open(sys.argv[1]).read()\n"
    "pieces = text.splitlines(keepends=True)\n"
    "if len(pieces) <= 2: pieces = [text[at:at + 80] for at in range(0, len(text), 80)]\n"
    "start = time.perf_counter()\n"
    "for piece in pieces: print(piece, end='')\n"
    "sys.stdout.flush()\n"
    "open(sys.argv[2], 'w').write(str(time.perf_counter() - start))\n"
)
LINE = "INFO:root:Epoch[{e}] Batch [{b}]\tSpeed: {s:.2f} samples/sec\taccuracy={a:.6f}"
# Keras 3 verbose=1 into a pipe: one epoch's bar redrawn with "\r", parsed state by state
BAR = "\r{n:>5}/99999 [..............................] - ETA: 1:23 - loss: {l:.4f} - accuracy: {a:.4f}"


def write_bar(path: Path, size_bytes: int) -> Path:
    """A Keras epoch header and one bar redrawn to ``size_bytes``, without a newline."""
    rng = random.Random(0)
    with open(path, "w") as file:
        file.write("Epoch 1/1\n")
        written, n = 0, 0
        while written < size_bytes:
            block = "".join(BAR.format(n=n + k, l=rng.random(), a=rng.random()) for k in range(10_000))
            file.write(block)
            written += len(block)
            n += 10_000
    return path


def write_log(path: Path, size_bytes: int, *, one_line: bool) -> Path:
    """mxnet Speedometer lines to ``size_bytes``: one per line, or all on one line."""
    rng = random.Random(0)
    end = "\t" if one_line else "\n"
    with open(path, "w") as file:
        written, i = 0, 0
        while written < size_bytes:
            block = "".join(
                LINE.format(e=(i + k) // 1000, b=(i + k) % 1000, s=rng.uniform(100, 200), a=rng.random()) + end
                for k in range(10_000)
            )
            file.write(block)
            written += len(block)
            i += 10_000
    return path


def timed(command: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a shell command and the processes it waited for."""
    start = time.perf_counter()
    process = subprocess.Popen(["sh", "-c", command], env=env)
    _, status, usage = os.wait4(process.pid, 0)
    if status:
        raise SystemExit(f"failed ({status}): {command}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def lossboard(src: Path) -> str:
    return f"PYTHONPATH={shlex.quote(str(src))} {shlex.quote(sys.executable)} -c 'from lossboard.cli import main; main()'"


def child_speed(log: Path, work: Path, srcs: dict[str, Path], repeats: int) -> None:
    child = work / "child.py"
    child.write_text(CHILD)
    seconds = work / "seconds"
    command = f"{shlex.quote(sys.executable)} {child} {log} {seconds}"
    ways = {"| cat": f"{command} | cat > /dev/null", "| tee": f"{command} | tee {work / 'tee.out'} > /dev/null"}
    for label, src in srcs.items():
        ways[f"lossboard run ({label})"] = f"{lossboard(src)} run --logdir {work / 'runs'} -- {command} > /dev/null 2>/dev/null"
    base = None
    print(f"\n{log.name}: {log.stat().st_size / 1e6:.0f} MB")
    print(f"  {'through':28} {'command s':>10} {'ratio':>6} {'wall s':>8} {'peak MB':>8}")
    for label, way in ways.items():
        own, wall, rss = float("inf"), float("inf"), 0.0
        for _ in range(1 if "before" in label else repeats):  # the best of a few: the machine is shared
            run_wall, run_rss = timed(way, dict(os.environ))
            own, wall, rss = min(own, float(seconds.read_text())), min(wall, run_wall), max(rss, run_rss)
        base = base or own
        print(f"  {label:28} {own:10.2f} {own / base:6.2f} {wall:8.2f} {rss:8.0f}")


def inspect(log: Path, srcs: dict[str, Path]) -> None:
    print(f"\ninspect {log.name}: {log.stat().st_size / 1e6:.0f} MB in one line")
    print(f"  {'lossboard':28} {'wall s':>8} {'peak MB':>8}")
    for label, src in srcs.items():
        wall, rss = timed(f"{lossboard(src)} inspect {log} > /dev/null 2>&1", dict(os.environ))
        print(f"  {label:28} {wall:8.2f} {rss:8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=100)
    parser.add_argument("--inspect-mb", type=float, default=200)
    parser.add_argument("--before", type=Path, help="an older checkout's src/ to compare with")
    parser.add_argument("--repeats", type=int, default=3, help="runs per way; the best is shown")
    args = parser.parse_args()
    srcs = {"this": SRC} | ({"before": args.before} if args.before else {})
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        size = int(args.mb * 1e6)
        for log in (
            write_log(work / "short_lines.log", size, one_line=False),
            write_log(work / "one_line.log", size, one_line=True),
            write_bar(work / "keras_bar.log", size),
        ):
            child_speed(log, work, srcs, args.repeats)
        for used in ("short_lines.log", "one_line.log", "keras_bar.log"):
            (work / used).unlink()
        inspect(write_log(work / "one_line_big.log", int(args.inspect_mb * 1e6), one_line=True), srcs)


if __name__ == "__main__":
    main()
