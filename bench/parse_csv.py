"""Reading CSV-family logs: `lossboard.load` against pandas, polars and the csv module.

Six generated ~50 MB files, one per table layout lossboard reads (`bench/data/table-*.csv`):

* ``csv``       a custom per-step logger: ``epoch,step,loss,accuracy,lr,val_loss,val_accuracy,time``
* ``tsv``       the same, tab-separated
* ``keras``     Keras ``CSVLogger``: ``epoch`` then sorted names, CRLF, floats in full repr
* ``lightning`` Lightning ``metrics.csv``: sparse rows (a batch row, an epoch row, a validation
                row, an lr row share one step now and then), sorted header, CRLF
* ``yolo``      ultralytics 8.0 ``results.csv``: every field padded to width 23, ``nan`` losses
* ``timm``      timm ``summary.csv``: ``epoch,train_loss,eval_loss,eval_top1,eval_top5,lr``

Methods, each in its own subprocess so that CPU time and peak RSS (VmHWM) are its own, after
one warm-up run of the same method on the file's first 256 KB (imports and first-use setup are
`load_fixed.py`'s measure, as in `parse_text.py`); detection and building the run's series count:

* ``lossboard``   `lossboard.load(path)`: sniff, parse (pyarrow block reader), collect, series
* ``parser-only`` the format's Parser fed the file's bytes as the reader feeds them, its records
                  counted and dropped: the parse's own memory (a load also holds every point)
* ``rows``        the same parse with ``Parser(fast=False)``: the row-by-row reader of before
* ``pandas``      ``pandas.read_csv(path)`` (C engine, its default)
* ``polars``      ``polars.read_csv(path)`` (skipped when polars is not installed)
* ``csv-module``  ``csv.reader`` and ``float()`` per non-empty cell: a user's ten-line script

    python bench/parse_csv.py                       # every file, every method (~2 min)
    python bench/parse_csv.py --files csv,lightning --methods lossboard,pandas --repeat 5
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _measure import peak_rss_mb, settle  # bench/ is on sys.path: it is the script's directory

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
FILES = ("csv", "tsv", "keras", "lightning", "yolo", "timm")
METHODS = ("lossboard", "parser-only", "rows", "pandas", "polars", "csv-module")
FORMAT = {"csv": "csv", "tsv": "csv", "keras": "keras-csv", "lightning": "lightning-csv", "yolo": "yolo", "timm": "csv"}
SIZE = 50_000_000


def _write_rows(path: Path, header: str, row, newline: str = "\n", size: int = SIZE) -> None:
    rng = random.Random(0)
    with open(path, "w", newline="") as out:
        out.write(header + newline)
        n = 0
        while out.tell() < size:
            out.write("".join(row(rng, n + k) + newline for k in range(1000)))
            n += 1000


def _step_row(sep: str):
    def row(rng: random.Random, n: int) -> str:
        r = rng.random
        return sep.join(
            (str(n // 1000), str(n), repr(r()), repr(r()), f"{r() / 10:.6g}", repr(r()), repr(r()), f"{n * 0.37:.3f}")
        )

    return row


def _keras_row(rng: random.Random, n: int) -> str:
    r = rng.random
    return f"{n},{r()!r},{r()!r},{r() / 100:.6g},{r()!r},{r()!r}"


def _lightning_row(rng: random.Random, n: int) -> str:
    epoch, step = divmod(n, 4)
    step = epoch * 50 + step * 12
    if n % 4 == 3:  # the epoch's end: mean train loss, then validation on the same step
        return f"{epoch},,{step},{rng.random()!r},,{rng.random()!r},{rng.random()!r}"
    if n % 4 == 2:
        return f"{epoch},{rng.random() / 100!r},{step},,,,"
    return f"{epoch},,{step},,{rng.random()!r},,"


def _yolo_row(rng: random.Random, n: int) -> str:
    r = rng.random
    losses = ("nan" if n % 997 == 0 else f"{r():.5g}" for _ in range(3))
    cells = [str(n), *losses, *(f"{r():.5g}" for _ in range(4)), *(f"{r():.5g}" for _ in range(3)),
             *(f"{r() / 10:.5g}" for _ in range(3))]
    return ",".join(cell.rjust(23) for cell in cells)


_YOLO_HEADER = ("epoch", "train/box_loss", "train/cls_loss", "train/dfl_loss", "metrics/precision(B)",
                "metrics/recall(B)", "metrics/mAP50(B)", "metrics/mAP50-95(B)", "val/box_loss", "val/cls_loss",
                "val/dfl_loss", "lr/pg0", "lr/pg1", "lr/pg2")


def _timm_row(rng: random.Random, n: int) -> str:
    r = rng.random
    return f"{n},{r() * 7:.6f},{r() * 7:.6f},{r() * 100:.5f},{r() * 100:.5f},{r() / 10:.8g}"


def write(name: str, path: Path, size: int = SIZE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if name in ("csv", "tsv"):
        sep = "," if name == "csv" else "\t"
        header = sep.join("epoch step loss accuracy lr val_loss val_accuracy time".split())
        _write_rows(path, header, _step_row(sep), size=size)
    elif name == "keras":
        _write_rows(path, "epoch,accuracy,loss,lr,val_accuracy,val_loss", _keras_row, "\r\n")
    elif name == "lightning":
        header = "epoch,lr-Adam,step,train_loss_epoch,train_loss_step,val_acc,val_loss"
        _write_rows(path, header, _lightning_row, "\r\n")
    elif name == "yolo":
        _write_rows(path, ",".join(h.rjust(23) for h in _YOLO_HEADER), _yolo_row)
    else:
        _write_rows(path, "epoch,train_loss,eval_loss,eval_top1,eval_top5,lr", _timm_row)


def run_lossboard(path: Path) -> int:
    import lossboard

    (run,) = lossboard.load(path)
    return sum(len(series) for series in run.series.values())


def run_parser_only(path: Path) -> int:
    from lossboard.model import Columns
    from lossboard.sources.formats import FORMATS

    module = FORMATS[FORMAT[path.stem.removeprefix("table-")]]
    parser = module.Parser()
    count = 0
    with open(path, "rb") as file:
        while data := file.read(module.CHUNK_BYTES):
            count += sum(len(item.step) if type(item) is Columns else 1 for item in parser.feed_bytes(data))
    return count + len(parser.close())


def run_rows(path: Path) -> int:
    """The parse and the series as `load` makes them, with the row-by-row reader."""
    from lossboard.sources.collect import RunCollector
    from lossboard.sources.formats import FORMATS

    name = FORMAT[path.stem.removeprefix("table-")]
    parser, collector = FORMATS[name].Parser(fast=False), RunCollector(str(path))
    with open(path, encoding="utf-8", errors="replace", newline="") as file:
        while text := file.read(1 << 20):
            collector.add(parser.feed(text))
    collector.add(parser.close())
    return sum(len(series) for series in collector.series().values())


def run_pandas(path: Path) -> int:
    import pandas

    frame = pandas.read_csv(path, sep="\t" if path.stem.endswith("tsv") else ",")
    return int(frame.count().sum())


def run_polars(path: Path) -> int:
    import polars

    frame = polars.read_csv(path, separator="\t" if path.stem.endswith("tsv") else ",")
    return frame.height * frame.width - sum(frame.null_count().row(0))


def run_csv_module(path: Path) -> int:
    import csv

    count = 0
    with open(path, newline="") as file:
        rows = csv.reader(file, delimiter="\t" if path.stem.endswith("tsv") else ",")
        next(rows)
        for row in rows:
            for cell in row:
                if cell.strip():
                    float(cell)
                    count += 1
    return count


def warm_up(function, path: Path) -> None:
    """Run the method once on the file's first 256 KB, under the same name (detection reads it):
    imports and first-use setup are the fixed cost `load_fixed.py` measures, not reading speed."""
    with open(path, "rb") as file:
        head = file.read(1 << 18)
    with tempfile.TemporaryDirectory() as folder:
        sample = Path(folder) / path.name
        sample.write_bytes(head[: head.rfind(b"\n") + 1])
        function(sample)
    settle()


def child(method: str, path: Path) -> None:
    """Run one method here and print its CPU seconds, wall seconds, peak RSS and count as JSON."""
    function = globals()["run_" + method.replace("-", "_")]
    warm_up(function, path)
    cpu, start = time.process_time(), time.perf_counter()
    count = function(path)
    cpu, seconds = time.process_time() - cpu, time.perf_counter() - start
    print(json.dumps({"cpu_s": cpu, "seconds": seconds, "rss_mb": peak_rss_mb(), "count": count}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", default=",".join(FILES))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each method, interleaved; the median is shown (the machine is shared)")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    has_polars = importlib.util.find_spec("polars") is not None
    methods = [m for m in args.methods.split(",") if m != "polars" or has_polars]
    print("| file | MB | method | CPU s (median) | CPU s (all runs) | MB/s of CPU | wall s | peak RSS MB | values "
          "| CPU vs pandas |")
    print("|---|---:|---|---:|---|---:|---:|---:|---:|---:|")
    for name in args.files.split(","):
        path = DATA / f"table-{name}.csv"
        if not path.exists():
            write(name, path)
        mb = path.stat().st_size / 1e6
        runs: dict[str, list[dict]] = {method: [] for method in methods}
        for _ in range(args.repeat):  # interleaved, so a busy minute hits every method alike
            for method in methods:
                out = subprocess.run([sys.executable, __file__, "--child", method, str(path)],
                                     capture_output=True, text=True, check=True)
                runs[method].append(json.loads(out.stdout))
        medians = {method: statistics.median(r["cpu_s"] for r in results) for method, results in runs.items()}
        base = medians.get("pandas")
        for method, results in runs.items():
            cpu = medians[method]
            ratio = f"{cpu / base:.2f}x" if base else ""
            every = ", ".join(f"{r['cpu_s']:.2f}" for r in results)
            wall = statistics.median(r["seconds"] for r in results)
            rss = max(r["rss_mb"] for r in results)
            print(f"| {name} | {mb:.0f} | {method} | {cpu:.2f} | {every} | {mb / cpu:.0f} | {wall:.2f} | {rss:.0f} "
                  f"| {results[0]['count']:,} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
