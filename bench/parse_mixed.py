"""Parsing throughput on generated logs of tqdm redraws, logging records and prints: the
``prints`` and ``tqdm`` formats against what a user would write for each.

``--log mixed`` (``prints``) repeats, per epoch: an ``Epoch [e]`` header, a tqdm bar redrawn 250 times with ``\\r``
on one physical line (postfix ``loss=``), 25 ``INFO:root:Epoch [e/E], Step [s/500], Loss: x``
lines, a ``asctime - name - INFO - Epoch [e/E], Training Loss: …, Validation Loss: …,
Accuracy: …%`` record, ``Train Loss: … | Dice: …`` / ``Val Loss: …`` prints and a checkpoint
line with no value, as corpus files 41, 43 and 44 do. ``--log tqdm`` (``tqdm``) is one bar per
epoch redrawn 250 times with ``\\r`` (postfix ``loss=``, ``acc=``), as ``tqdm`` writes to a file.

Each method runs in its own subprocess, so its peak RSS (``ru_maxrss``) and CPU time are its
own; MB/s is over CPU time, which a busy shared machine disturbs far less than the wall clock:

* ``lossboard``     `lossboard.sources.reader.parse_file(path, format)` + collector
* ``parser-only``   the format's Parser fed 1 MB chunks, its records counted and dropped
* ``general``       the same with ``Parser(fast=False)``: every bar redraw read on its own
* ``single-pass``   a user's script: per line, the bar's ``\\r`` states split and one regex per
                    kind of line, ``float()`` on the values
* ``grep``          ``grep -c Loss`` (``grep -c it/s``), the floor for reading the bytes

    python bench/parse_mixed.py                # mixed, 50MB
    python bench/parse_mixed.py --log tqdm --size 10MB
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from _measure import values_fed  # bench/ is on sys.path: it is the script's directory

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
METHODS = ("lossboard", "parser-only", "general", "single-pass", "grep")
FORMATS = {"mixed": "prints", "tqdm": "tqdm"}
CHUNK = 1 << 20
BATCHES = 500
EPOCHS_PLANNED = 10_000

_BAR = re.compile(r"\| (\d+)/(\d+) \[[^\]]*?loss=([-\d.e+naif]+)\]")
_STEP = re.compile(r"Epoch \[(\d+)/\d+\], Step \[(\d+)/\d+\], Loss: ([-\d.e+naif]+)")
_EPOCH = re.compile(r"Epoch \[(\d+)/\d+\], Training Loss: ([\d.]+), Validation Loss: ([\d.]+), Accuracy: ([\d.]+)%")
_PHASE = re.compile(r"^(Train|Val) Loss:\s+([\d.]+) \| Dice: ([\d.]+)")
_TQDM_STATE = re.compile(r"\| (\d+)/(\d+) \[[^\]]*?, ([\d.]+)it/s, loss=([-\d.e+naif]+), acc=([-\d.e+naif]+)\]")


def write_tqdm(path: Path, size: int) -> None:
    rng = random.Random(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as out:
        epoch = 0
        while out.tell() < size:
            loss = 2.0 / (epoch + 1) ** 0.3
            redraws = []
            for n in range(0, BATCHES + 1, 2):
                pct = n * 100 // BATCHES
                redraws.append(
                    f"Epoch {epoch}: {pct:3d}%|{'#' * (pct // 10):<10}| {n}/{BATCHES} [00:{n // 20:02d}<00:10, "
                    f"{19 + rng.random():5.2f}it/s, loss={loss * (1 + rng.random() / 10):.4f}, acc={1 - loss / 3:.3f}]"
                )
            out.write("\r".join(redraws) + "\n")
            epoch += 1


def write_mixed(path: Path, size: int) -> None:
    rng = random.Random(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as out:
        epoch = 0
        while out.tell() < size:
            epoch += 1
            out.write(f"\nEpoch [{epoch}]\n\n")
            loss = 2.0 / epoch ** 0.3
            redraws = []
            for n in range(0, BATCHES + 1, 2):
                pct = n * 100 // BATCHES
                redraws.append(
                    f"Epoch {epoch}/{EPOCHS_PLANNED} [Train]: {pct:3d}%|{'#' * (pct // 10):<10}| {n}/{BATCHES} "
                    f"[00:{n // 20:02d}<00:10, 19.{n % 10}it/s, loss={loss * (1 + rng.random() / 10):.4f}]"
                )
            out.write("\r" + "\r".join(redraws) + "\n")
            for step in range(20, BATCHES + 1, 20):
                out.write(f"INFO:root:Epoch [{epoch}/{EPOCHS_PLANNED}], Step [{step}/{BATCHES}], Loss: {loss * rng.random():.4f}\n")
            out.write(
                f"2025-05-14 16:02:53,777 - train - INFO - Epoch [{epoch}/{EPOCHS_PLANNED}], Training Loss: {loss:.4f}, "
                f"Validation Loss: {loss * 1.1:.4f}, Accuracy: {100 - 50 * loss:.2f}%\n"
            )
            out.write(f"Train Loss: {loss:.4f} | Dice: {1 - loss / 3:.4f}\nVal Loss:   {loss * 1.1:.4f} | Dice: {1 - loss / 2.5:.4f}\n")
            out.write(f"2025-05-14 16:02:53,778 - train - INFO - Checkpoint saved to checkpoint/model_{epoch}.pth\n")


def _format(path: Path) -> str:
    return FORMATS[path.name.partition("-")[0]]


def run_lossboard(path: Path) -> int:
    from lossboard.sources.reader import parse_file

    parsed = parse_file(path, _format(path))
    return sum(len(s) for s in parsed.collector.series().values())


def run_parser_only(path: Path, fast: bool = True) -> int:
    from lossboard.sources.formats import FORMATS as PARSERS

    return values_fed(PARSERS[_format(path)].Parser(fast=fast), path, CHUNK)


def run_general(path: Path) -> int:
    return run_parser_only(path, fast=False)


def run_single_pass(path: Path) -> int:
    return (_single_pass_tqdm if _format(path) == "tqdm" else _single_pass_mixed)(path)


def _single_pass_tqdm(path: Path) -> int:
    count = 0
    with open(path, encoding="utf-8", newline="") as file:
        for line in file:
            for state in line.split("\r"):
                match = _TQDM_STATE.search(state)
                if match:
                    count += (float(match[3]) >= 0) + (float(match[4]) >= 0) + (float(match[5]) >= 0)
    return count


def _single_pass_mixed(path: Path) -> int:
    count = 0
    with open(path, encoding="utf-8", newline="") as file:
        for line in file:
            if "\r" in line:
                for state in line.split("\r"):
                    match = _BAR.search(state)
                    if match:
                        count += float(match[3]) >= 0
                continue
            if "Step [" in line:
                match = _STEP.search(line)
                count += bool(match) and float(match[3]) >= 0
            elif "Training Loss" in line:
                match = _EPOCH.search(line)
                count += 3 * (bool(match) and float(match[2]) >= 0)
            elif " Loss:" in line:
                match = _PHASE.match(line)
                count += 2 * (bool(match) and float(match[2]) >= 0)
    return count


def run_grep(path: Path) -> int:
    word = "it/s" if _format(path) == "tqdm" else "Loss"
    out = subprocess.run(["grep", "-c", word, str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout)


def child(method: str, path: Path) -> None:
    """Run one method here and print seconds, peak RSS and the count as JSON."""
    function = globals()["run_" + method.replace("-", "_")]
    if method in ("lossboard", "parser-only", "general"):
        import lossboard.sources.reader  # noqa: F401  (import time is not parsing time)
    who = resource.RUSAGE_CHILDREN if method == "grep" else resource.RUSAGE_SELF
    before = resource.getrusage(who)
    start = time.perf_counter()
    count = function(path)
    seconds = time.perf_counter() - start
    after = resource.getrusage(who)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(json.dumps({"seconds": seconds, "cpu_s": cpu, "rss_mb": after.ru_maxrss / 1024, "count": count}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="50MB", help="e.g. 10MB, 50MB")
    parser.add_argument("--log", choices=sorted(FORMATS), default="mixed")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    path = DATA / f"{args.log}-{args.size}.log"
    if not path.exists():
        write = write_tqdm if args.log == "tqdm" else write_mixed
        write(path, int(args.size.removesuffix("MB")) * 1_000_000)
    mb = path.stat().st_size / 1e6
    print("| log | MB | method | wall s | CPU s | MB/s of CPU | peak RSS MB | vs lossboard (CPU) |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    results = {}
    for method in args.methods.split(","):
        out = subprocess.run([sys.executable, __file__, "--child", method, str(path)],
                             capture_output=True, text=True, check=True)
        results[method] = json.loads(out.stdout)
    # CPU time, not wall time: on a shared machine the wall clock mostly measures the neighbours
    base = results.get("lossboard", {}).get("cpu_s")
    for method, result in results.items():
        cpu = max(result["cpu_s"], 1e-3)
        ratio = f"{base / cpu:.2f}x" if base else ""
        print(f"| {args.log} {args.size} | {mb:.0f} | {method} | {result['seconds']:.2f} | {cpu:.2f} | {mb / cpu:.1f} "
              f"| {result['rss_mb']:.0f} | {ratio} |")


if __name__ == "__main__":
    main()
