"""What `lossboard inspect` costs over a load: its second pass sorting number-bearing lines.

`inspect` loads a log, then streams it again to count the lines that carry a number and say
which of them gave no value (`lossboard.sources.coverage`). Per log of `bench/data` (the
`parse_text.py` logs, 20 MB by default), each in a fresh interpreter, interleaved, least CPU of
``--repeat`` (imports included in all three, warm `.pyc`):

* ``grep``      ``grep -c '[0-9]'``: the floor, counting the lines with a digit and nothing more
* ``load``      ``lossboard.load(path)``
* ``inspect``   ``lossboard inspect --unread path``: the load and the scan

    python bench/inspect_cost.py
    python bench/inspect_cost.py --size 50MB --log pytorch,caffe --repeat 7
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
LOGS = ("pytorch", "caffe", "mixed", "keras", "mmdet", "keyvalue")

_LOAD = "import sys, lossboard; lossboard.load(sys.argv[1])"
_INSPECT = "import sys; from lossboard.cli import main; sys.argv[0] = 'lossboard'; main()"


def command(method: str, path: Path) -> list[str]:
    if method == "grep":
        return ["grep", "-c", "[0-9]", str(path)]
    if method == "load":
        return [sys.executable, "-c", _LOAD, str(path)]
    return [sys.executable, "-c", _INSPECT, "inspect", "--unread", str(path)]


def cpu_of(argv: list[str]) -> float:
    """CPU seconds (user + system) of one run of ``argv``, its output thrown away."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="20MB")
    parser.add_argument("--log", default=",".join(LOGS), help="comma-separated names of bench/data logs")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    methods = ("grep", "load", "inspect")
    print("| log | grep -c s | load s | inspect s | inspect / load | inspect / grep |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in args.log.split(","):
        path = DATA / f"{name}-{args.size}.log"
        if not path.exists():
            print(f"| {name} | missing: run parse_text.py --size {args.size} first | | | | |")
            continue
        best = {method: float("inf") for method in methods}
        for _ in range(args.repeat):
            for method in methods:
                best[method] = min(best[method], cpu_of(command(method, path)))
        grep, load, inspect = (best[method] for method in methods)
        print(f"| {name} | {grep:.3f} | {load:.2f} | {inspect:.2f} | {inspect / load:.1f}x | {inspect / grep:.0f}x |")


if __name__ == "__main__":
    main()
