"""Parsing throughput on generated MXNet logs: lossboard against what a user would write.

Each method runs in its own subprocess, so its peak RSS (``ru_maxrss``) is its own:

* ``lossboard``       `lossboard.sources.reader.parse_file` + collector, what `lossboard.load` does
* ``parser-only``     the mxnet Parser fed 1 MB chunks, its values counted and dropped
* ``single-pass``     one regex per line over the file, values converted with float()
* ``seed``            the original blog script: for every epoch, one regex over the whole
                      text; quadratic, so run on the smallest log only and extrapolated
* ``polars``          a user's polars script: every line as one string column (``scan_csv`` with
                      a separator no line holds), the Speedometer lines picked with
                      ``str.contains``, cut with ``str.extract_groups`` and the ``name=value``
                      pairs with ``str.split``; skipped when polars is not installed
* ``grep``            ``grep -c Speed``, the floor for reading the bytes

Both wall and CPU seconds are given: polars runs on every core, so on the shared 2-core
machine the CPU ratio is the fair one.

    python bench/parse_mxnet.py                 # 10MB and 100MB, both styles
    python bench/parse_mxnet.py --sizes 10MB,100MB,1GB
    python bench/parse_mxnet.py --sizes 100MB --styles new --rounds 5 --against /work/main/src
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _measure import settle, values_fed  # bench/ is on sys.path: it is the script's directory

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
METHODS = ("lossboard", "parser-only", "single-pass", "polars", "seed", "grep")
CHUNK = 1 << 20

_LINE = re.compile(r"Epoch\[(\d+)\] Batch \[(\d+)\]\tSpeed: ([\d.]+) samples/sec\t(.*)")
_PAIR = re.compile(r"([\w\-]+)=([\d.eE+\-naif]+)")


def run_lossboard(path: Path) -> int:
    from lossboard.sources.reader import parse_file

    parsed = parse_file(path, "mxnet")
    return sum(len(s) for s in parsed.collector.series().values())


def run_parser_only(path: Path) -> int:
    from lossboard.sources.formats import mxnet

    return values_fed(mxnet.Parser(), path, CHUNK)


def run_single_pass(path: Path) -> int:
    count = 0
    with open(path, encoding="utf-8") as file:
        for line in file:
            if "Batch [" in line:
                match = _LINE.search(line)
                if match:
                    values = [float(match.group(3))] + [float(v) for _, v in _PAIR.findall(match.group(4))]
                    count += len(values)
    return count


def run_polars(path: Path) -> int:
    import polars as pl

    lines = pl.scan_csv(path, has_header=False, separator="\x1f", quote_char=None, new_columns=["line"],
                        schema_overrides={"line": pl.String}, truncate_ragged_lines=True)
    batch = (
        lines.filter(pl.col("line").str.contains("Speed: ", literal=True))
        .select(pl.col("line").str.extract_groups(_LINE.pattern).alias("m"))
        .unnest("m")
        .select(pl.col("1").cast(pl.Int64).alias("epoch"), pl.col("2").cast(pl.Int64).alias("batch"),
                pl.col("3").cast(pl.Float64).alias("speed"), pl.col("4").str.split("\t").alias("pair"))
        .explode("pair")
        .with_columns(pl.col("pair").str.split_exact("=", 1).struct.rename_fields(["name", "value"]))
        .unnest("pair")
        .with_columns(pl.col("value").cast(pl.Float64))
        .collect()
    )
    # per line: its speed once, each metric once (the single-pass count)
    return batch.height + batch.select(pl.struct("epoch", "batch", "speed").n_unique()).item()


def run_seed(path: Path) -> int:
    text = path.read_text()
    count = 0
    for epoch in sorted({int(e) for e in re.findall(r"Epoch\[(\d+)\] Batch", text)}):
        pattern = re.compile(rf"Epoch\[{epoch}\] Batch \[\d+\]\tSpeed: ([\d.]+) samples/sec\t(?:Train-)?accuracy=([\d.]+)")
        count += 2 * len([(float(a), float(b)) for a, b in pattern.findall(text)])
    return count


def run_grep(path: Path) -> int:
    out = subprocess.run(["grep", "-c", "Speed", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout)


def child(method: str, path: Path) -> None:
    """Run one method here and print seconds, peak RSS and the count as JSON."""
    function = globals()["run_" + method.replace("-", "_")]
    if method in ("lossboard", "parser-only"):
        import lossboard.sources.reader  # noqa: F401  (import time is not parsing time)
    elif method == "polars":
        import polars  # noqa: F401
    settle()
    who = resource.RUSAGE_CHILDREN if method == "grep" else resource.RUSAGE_SELF
    before = resource.getrusage(who)
    start = time.perf_counter()
    count = function(path)
    seconds = time.perf_counter() - start
    after = resource.getrusage(who)
    cpu_s = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(json.dumps({"seconds": seconds, "cpu_s": cpu_s, "rss_mb": after.ru_maxrss / 1024, "count": count}))


def measure(method: str, path: Path) -> dict:
    """One run of ``method`` in its own interpreter; ``lossboard@SRC`` is ``lossboard`` importing
    the lossboard found in SRC (another checkout, e.g. main's ``src``)."""
    method, _, src = method.partition("@")
    env = {**os.environ, "PYTHONPATH": src} if src else None
    out = subprocess.run(
        [sys.executable, __file__, "--child", method, str(path)], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(out.stdout)


def measure_rounds(methods: list[str], path: Path, rounds: int) -> dict[str, dict]:
    """Each method ``rounds`` times, the methods interleaved (the machine is shared: a busy
    minute then slows every method alike); the median of each figure."""
    runs: dict[str, list[dict]] = {method: [] for method in methods}
    for _ in range(rounds):
        for method in methods:
            runs[method].append(measure(method, path))
    return {method: {key: statistics.median(run[key] for run in found) for key in found[0]}
            for method, found in runs.items()}


def ensure_log(style: str, size_text: str) -> Path:
    sys.path.insert(0, str(HERE))
    from gen_mxnet_log import parse_size, write_log

    path = DATA / f"mxnet-{style}-{size_text}.log"
    if not path.exists():
        write_log(path, style, parse_size(size_text))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10MB,100MB", help="comma-separated, e.g. 10MB,100MB,1GB")
    parser.add_argument("--styles", default="old,new")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--rounds", type=int, default=1, help="runs of each method, interleaved; medians shown")
    parser.add_argument("--against", help="also run lossboard from this src directory (lossboard@SRC)")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    sizes = args.sizes.split(",")
    has_polars = importlib.util.find_spec("polars") is not None
    methods = [m for m in args.methods.split(",") if m != "polars" or has_polars]
    if args.against:
        methods.insert(1, f"lossboard@{args.against}")
    print("| log | MB | method | s | MB/s | CPU s | peak RSS MB | vs lossboard | CPU vs lossboard |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for style in args.styles.split(","):
        seed_rate = None
        for size_text in sizes:
            path = ensure_log(style, size_text)
            mb = path.stat().st_size / 1e6
            # the seed is quadratic: extrapolated below from the smallest log
            results = measure_rounds([m for m in methods if m != "seed" or size_text == sizes[0]], path, args.rounds)
            base = results.get("lossboard", {}).get("seconds")
            base_cpu = results.get("lossboard", {}).get("cpu_s")
            for method, result in results.items():
                ratio = f"{base / result['seconds']:.2f}x" if base else ""
                cpu_ratio = f"{base_cpu / max(result['cpu_s'], 1e-3):.2f}x" if base_cpu else ""
                rate = mb / result["seconds"]
                print(f"| {style} {size_text} | {mb:.0f} | {method} | {result['seconds']:.2f} | {rate:.1f} "
                      f"| {result['cpu_s']:.2f} | {result['rss_mb']:.0f} | {ratio} | {cpu_ratio} |", flush=True)
                if method == "seed":
                    seed_rate = (mb, result["seconds"])
            if "seed" in methods and seed_rate and size_text != sizes[0]:
                seconds = seed_rate[1] * (mb / seed_rate[0]) ** 2
                ratio = f"{base / seconds:.3f}x" if base else ""
                print(f"| {style} {size_text} | {mb:.0f} | seed (extrapolated, quadratic) | {seconds:.0f} | {mb / seconds:.2f} "
                      f"| - | - | {ratio} | |")


if __name__ == "__main__":
    main()
