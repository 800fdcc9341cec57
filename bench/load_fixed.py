"""The fixed cost of a load: `lossboard.load` of a 1 MB log against a ten-line regex reader.

Two 1 MB logs (`bench/data/fixed-*`): the new-style MXNet log of `gen_mxnet_log.py` and the
``csv`` table of `parse_csv.py`. Each method runs in a fresh interpreter, ``--repeat`` times,
and the least CPU time is kept (the machine is shared: the minimum is the run least disturbed).
The interpreter's own start is never counted; what a script pays after it is:

* ``import``         ``import lossboard`` alone (lazy: no numpy, no format table)
* ``numpy``          ``import numpy`` alone: the floor of any reader that hands back arrays
* ``machinery``      ``import lossboard.sources``: what every first load imports before its file's
                     format is known (numpy, the data model, the reader, detection and the sniffers)
* ``lossboard``      ``import lossboard`` + ``lossboard.load(path)``: imports, detection, parse, series
                     (minus ``machinery`` and ``lossboard-warm``: the format's parser imported on first use)
* ``lossboard-warm`` a second ``lossboard.load(path)`` in the same process: the cost without imports
* ``regex``          a user's ten-line reader: ``re`` (MXNet Speedometer lines) or ``str.split``
                     and ``float`` (CSV) per line

    python bench/load_fixed.py
    python bench/load_fixed.py --repeat 9
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
METHODS = ("import", "numpy", "machinery", "lossboard", "lossboard-warm", "regex")
LOGS = {"mxnet": DATA / "fixed-mxnet-1MB.log", "csv": DATA / "fixed-table-1MB.csv"}

_LINE = re.compile(r"Epoch\[(\d+)\] Batch \[(\d+)\]\tSpeed: ([\d.]+) samples/sec\t(.*)")
_PAIR = re.compile(r"([\w\-]+)=([\d.eE+\-naif]+)")


def regex_mxnet(path: Path) -> int:
    count = 0
    with open(path, encoding="utf-8") as file:
        for line in file:
            match = _LINE.search(line) if "Batch [" in line else None
            if match:
                count += 1 + len([float(v) for _, v in _PAIR.findall(match.group(4))])
    return count


def regex_csv(path: Path) -> int:
    count = 0
    with open(path, encoding="utf-8") as file:
        next(file)
        for line in file:
            count += len([float(cell) for cell in line.split(",")[2:]])
    return count


def child(method: str, path: Path) -> None:
    """One method in this fresh process; prints its CPU seconds and the modules it imported."""
    before = len(sys.modules)
    start = time.process_time()
    if method == "import":
        import lossboard  # noqa: F401
    elif method == "numpy":
        import numpy  # noqa: F401
    elif method == "machinery":
        import lossboard.sources  # noqa: F401
    elif method.startswith("lossboard"):
        import lossboard

        lossboard.load(path)
        if method == "lossboard-warm":
            start = time.process_time()
            lossboard.load(path)
    else:
        (regex_mxnet if path.suffix == ".log" else regex_csv)(path)
    cpu = time.process_time() - start
    print(json.dumps({"cpu_s": cpu, "modules": len(sys.modules) - before}))


def ensure_logs() -> None:
    sys.path.insert(0, str(HERE))
    if not LOGS["mxnet"].exists():
        from gen_mxnet_log import write_log

        write_log(LOGS["mxnet"], "new", 1_000_000)
    if not LOGS["csv"].exists():
        from parse_csv import write

        write("csv", LOGS["csv"], size=1_000_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    ensure_logs()
    print("| log (1 MB) | method | least CPU ms | modules imported | CPU vs regex |")
    print("|---|---|---:|---:|---:|")
    for name, path in LOGS.items():
        best = {}
        for _ in range(args.repeat):
            for method in METHODS:  # interleaved, so a busy moment hits every method alike
                out = subprocess.run([sys.executable, __file__, "--child", method, str(path)],
                                     capture_output=True, text=True, check=True)
                result = json.loads(out.stdout)
                if method not in best or result["cpu_s"] < best[method]["cpu_s"]:
                    best[method] = result
        for method, result in best.items():
            ratio = result["cpu_s"] / best["regex"]["cpu_s"]
            print(f"| {name} | {method} | {result['cpu_s'] * 1000:.0f} | {result['modules']} | {ratio:.2f}x |",
                  flush=True)


if __name__ == "__main__":
    main()
