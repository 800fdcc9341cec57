"""The index store against TensorBoard's loader on 20 runs x 10 tags x 20,000 steps (4 M points).

The same values are written as tfevents (TensorBoard's own tf-free writer, one value per event,
as torch's SummaryWriter writes them) and as lossboard event files (`lossboard.SummaryWriter`),
plus one run of a single 1 M-step series for the downsampling query. Then, each measurement in
its own subprocess, with peak RSS from that process's ``VmHWM`` (imports included):

* TensorBoard: ``EventMultiplexer.Reload()`` keeping every point, and with its default
  1,000-point reservoir per scalar tag; then 20 runs x 1 tag read from memory.
* lossboard, per store (SQLite; PostgreSQL with ``--postgres URL`` or ``LOSSBOARD_BENCH_PG``):
  cold index of each log directory into an empty store; warm start to first query (open the
  store, ``list_runs``, one ``read_series``); the 1 M-point series downsampled to 2,000 buckets
  and 20 runs x 1 tag raw, p50/p95 over ``--repeats``.

    .venv/bin/python bench/store.py                       # generate once (~4 min), then measure (~15 min)
    .venv/bin/python bench/store.py --postgres postgresql://postgres@localhost:5432/postgres
    .venv/bin/python bench/store.py --only lossboard      # skip the (slow) TensorBoard loads

``--scale`` measures instead how downsampled reads grow with the series: single series of 1 M,
4 M and 16 M points, one tag across 80 runs of 200,000 points (each to 2,000 buckets) and one
tag across 20 runs of 1 M points (to 1,500 buckets: the dashboard's chart request), written
straight into a store (`Store.apply`, no log files) once under bench/data/ (and reused): with
the summary levels, and reading every point exactly (what a store without summaries does) as
the peer, in the same child process; wall and CPU time per query (PostgreSQL: the client's and
its server process's together) and the load average.
``--versus`` runs the ``--scale`` reads on SQLite and PostgreSQL alternating request by request
in one process: the ratio of their CPU (PostgreSQL: client and server) under the same load, with
glibc's heap as by default and kept as the server keeps it, then PostgreSQL's client and server
each against SQLite's whole read.
``--served`` runs the dashboard's reads in the server's threads as `lossboard serve` does, with
glibc's heap kept between requests (`lossboard.store._heap`) and without, in turns.
``--dashboard`` times the whole chart request, `lossboard.server.api.series` and its body
(the page's raw columns, and JSON), on the 20 x 1 M runs, against the same request reading
every point.

    .venv/bin/python bench/store.py --scale [--postgres URL]
    .venv/bin/python bench/store.py --dashboard [--postgres URL]
    .venv/bin/python bench/store.py --versus --postgres URL
    .venv/bin/python bench/store.py --served
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from multiprocessing import Pool
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # lossboard importable without installing it
from _measure import peak_rss_mb  # noqa: E402  bench/ is on sys.path: it is the script's directory

DATA = HERE / "data" / "store"
STORE_DBS = HERE / "data" / "store-dbs"  # the SQLite stores and results: --store-dbs puts them elsewhere
RUNS, TAGS, STEPS = 20, 10, 20_000
BIG_STEPS = 1_000_000
TAG_NAMES = ["train/loss", "val/loss", "train/accuracy", "val/accuracy", "opt/lr"] + [
    f"train/metric_{i}" for i in range(5, TAGS)
]
BUCKETS = 2000
SCALE_SIZES = (1_000_000, 4_000_000, 16_000_000)
WIDE_RUNS, WIDE_STEPS = 80, 200_000
DASH_RUNS, DASH_STEPS, DASH_BUCKETS = 20, 1_000_000, 1_500  # issue 10's chart request
PEER_REPEATS = 3  # reading every point of 16 M takes seconds: fewer repeats for the peer
START = 1_700_000_000.0  # wall time of step 0


# -- the input ---------------------------------------------------------------------------


def values(run: int, tag: int, steps: int):
    """A noisy decaying curve with a spike every 997 steps: deterministic per (run, tag)."""
    import numpy as np

    rng = np.random.default_rng(run * 1000 + tag)
    step = np.arange(steps)
    curve = np.exp(-step / (steps / 4)) + 0.05 * rng.standard_normal(steps)
    curve[::997] += 10.0
    return curve.astype(np.float32).astype(np.float64)  # tfevents holds float32: keep both equal


def _write_tfevents_run(run: int) -> None:
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(DATA / "tfevents" / f"run-{run:02}"), max_queue_size=1000, flush_secs=1e9)
    series = [values(run, tag, STEPS).tolist() for tag in range(TAGS)]
    for step in range(STEPS):
        for tag, name in enumerate(TAG_NAMES):
            value = summary_pb2.Summary.Value(tag=name, simple_value=series[tag][step])
            writer.add_event(event_pb2.Event(wall_time=START + step * 0.1, step=step,
                                             summary=summary_pb2.Summary(value=[value])))
    writer.close()


def _write_lossboard_run(logdir: Path, run: int, tag_names: list[str], steps: int) -> None:
    from lossboard import SummaryWriter

    series = [values(run, tag, steps).tolist() for tag in range(len(tag_names))]
    with SummaryWriter(str(logdir)) as writer:
        add = writer.add_scalar
        for step in range(steps):
            wall = START + step * 0.1
            for tag, name in enumerate(tag_names):
                add(name, series[tag][step], step, wall)


def generate() -> None:
    """Write the three log directories under bench/data/store/, each once (reused when done)."""
    jobs = [
        ("tfevents", lambda: Pool(2).map(_write_tfevents_run, range(RUNS))),
        ("lossboard", lambda: [_write_lossboard_run(DATA / "lossboard" / f"run-{r:02}", r, TAG_NAMES, STEPS)
                               for r in range(RUNS)]),
        ("big", lambda: _write_lossboard_run(DATA / "big" / "run-1M", 0, TAG_NAMES[:1], BIG_STEPS)),
    ]
    for name, job in jobs:
        done = DATA / f"{name}.done"
        if done.exists():
            continue
        shutil.rmtree(DATA / name, ignore_errors=True)
        started = time.perf_counter()
        print(f"generating {DATA / name} ...", file=sys.stderr, flush=True)
        job()
        done.write_text(f"{time.perf_counter() - started:.1f} s\n")


# -- measurements, each in a child process ----------------------------------------------


def child_tensorboard(reservoir: str) -> dict:
    from tensorboard.backend.event_processing import plugin_event_multiplexer as pem
    from tensorboard.backend.event_processing.event_accumulator import TENSORS

    keep = 0 if reservoir == "keep-all" else 1000
    started = time.perf_counter()
    multiplexer = pem.EventMultiplexer(size_guidance={TENSORS: 10 if keep else 0},
                                       tensor_size_guidance={"scalars": keep})
    multiplexer.AddRunsFromDirectory(str(DATA / "tfevents"))
    multiplexer.Reload()
    seconds = time.perf_counter() - started
    runs = sorted(multiplexer.Runs())
    points = sum(len(multiplexer.Tensors(run, tag)) for run in runs for tag in TAG_NAMES)
    query = _repeat(lambda: [multiplexer.Tensors(run, "val/loss") for run in runs])
    return {"load_s": seconds, "points": points, "multi": query, "peak_mb": peak_rss_mb()}


def child_index(url: str, source: str) -> dict:
    from lossboard.store.indexer import index_paths
    from lossboard.store.urls import open_store

    store = open_store(url)
    started = time.perf_counter()
    index_paths(store, [str(DATA / source)])
    seconds = time.perf_counter() - started
    from lossboard.query import list_runs

    points = sum(info.points for info in list_runs(store))
    store.close()
    return {"index_s": seconds, "points": points, "peak_mb": peak_rss_mb()}


def child_warm(url: str) -> dict:
    started = time.perf_counter()
    from lossboard.query import list_runs, read_series
    from lossboard.store.urls import open_store

    store = open_store(url)
    runs = list_runs(store, name_regex="^run-")
    first = read_series(store, runs=[runs[0].name], tags=["val/loss"])
    seconds = time.perf_counter() - started
    points = sum(data.total_points for data in first.values())
    store.close()
    return {"warm_s": seconds, "points": points, "peak_mb": peak_rss_mb()}


def child_queries(url: str) -> dict:
    from lossboard.query import list_runs, read_series
    from lossboard.store.urls import open_store

    store = open_store(url)
    names = [info.name for info in list_runs(store, name_regex="^run-")]
    small = sorted(name for name in names if not name.startswith("run-1M"))
    big = next(name for name in names if name.startswith("run-1M"))
    m4 = _repeat(lambda: read_series(store, runs=[big], tags=["train/loss"], buckets=BUCKETS))
    (data,) = read_series(store, runs=[big], tags=["train/loss"], buckets=BUCKETS).values()
    multi = _repeat(lambda: read_series(store, runs=small, tags=["val/loss"]))
    points = sum(len(d.step) for d in read_series(store, runs=small, tags=["val/loss"]).values())
    store.close()
    return {"m4": m4, "m4_total": data.total_points, "m4_kept": len(data.step), "multi": multi,
            "multi_runs": len(small), "multi_points": points, "peak_mb": peak_rss_mb()}


def _repeat(query, repeats: int | None = None, server_ns=None) -> dict:
    """p50/p95 wall and p50 CPU time of ``query``; with ``server_ns`` (a PostgreSQL backend's CPU
    so far), CPU is the client's and that backend's together: what a request costs the machine,
    which a busy machine's wall time hides behind waits for the other process."""
    times, cpu = [], []
    for _ in range(repeats or int(os.environ.get("BENCH_REPEATS", "50"))):
        started, started_cpu = time.perf_counter(), time.process_time()
        started_server = server_ns() if server_ns else 0
        query()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu + ((server_ns() - started_server) / 1e9 if server_ns else 0))
    times.sort()
    return {"p50_ms": statistics.median(times) * 1e3, "p95_ms": times[int(len(times) * 0.95) - 1] * 1e3,
            "cpu_p50_ms": statistics.median(cpu) * 1e3}


def _backend_cpu(store):
    """For a PostgreSQL store, a function giving its server process's CPU time so far (ns, from
    /proc: the server runs on this machine); None for SQLite, whose reads run in this process."""
    connection = getattr(store, "_conn", None)  # the bench peeks at the store's one connection
    if connection is None:
        return None
    [(pid,)] = connection.execute("SELECT pg_backend_pid()").fetchall()
    stat = Path(f"/proc/{pid}/schedstat")
    return lambda: int(stat.read_text().split()[0])


def fill_scale(url: str, *, dash_only: bool = False) -> None:
    """The scale store, written once: ``big-<n>`` runs of one series each (`SCALE_SIZES`), the
    ``wide-NN`` and the ``dash-NN`` runs (only these with ``dash_only``: all --dashboard reads)."""
    import numpy as np

    from lossboard.store.base import Batch, Columns, SourceState
    from lossboard.store.urls import open_store

    store = open_store(url)
    have = {info.name: info.points for info in store.list_runs()}
    wanted = [(f"big-{n // 1_000_000}M", n) for n in SCALE_SIZES]
    wanted += [(f"wide-{run:02}", WIDE_STEPS) for run in range(WIDE_RUNS)]
    wanted += [(f"dash-{run:02}", DASH_STEPS) for run in range(DASH_RUNS)]
    for run, (name, points) in enumerate(wanted):
        if have.get(name) == points or (dash_only and not name.startswith("dash-")):
            continue
        rng = np.random.default_rng(run)
        for start in range(0, points, 1_000_000):
            step = np.arange(start, min(points, start + 1_000_000))
            value = np.exp(-step / (points / 4)) + 0.05 * rng.standard_normal(len(step))
            value[::997] += 10.0
            columns = Columns("val/loss", "val_loss", step, step / 1000.0, START + step * 0.1, value)
            store.apply(Batch(SourceState(f"/bench/{name}.csv", f"/bench/{name}", "csv", 0, 1, 1, 1, 1),
                              columns=[columns]))
    store.close()


def _scale_queries() -> dict[str, tuple[list[str], int]]:
    """The scale reads by name: runs (of tag ``val/loss``) and buckets."""
    queries = {f"{n // 1_000_000}M": ([f"big-{n // 1_000_000}M"], BUCKETS) for n in SCALE_SIZES}
    queries["80x200k"] = ([f"wide-{run:02}" for run in range(WIDE_RUNS)], BUCKETS)
    queries["20x1M"] = ([f"dash-{run:02}" for run in range(DASH_RUNS)], DASH_BUCKETS)
    return queries


def child_scale(url: str) -> dict:
    """Each size to 2,000 buckets, the 80 runs x 1 tag, and the 20 x 1 M runs to 1,500 buckets:
    with the summary levels, every column (``levels``), without wall times (``epochs``: what a
    chart against steps or epochs shows, its tooltip naming the epoch) and steps and values
    only (``chart``), and reading every point (no level but the points) as the peer."""
    from lossboard.query import read_series
    from lossboard.store import _levels
    from lossboard.store.urls import open_store

    store = open_store(url)
    server_ns = _backend_cpu(store)
    queries = _scale_queries()
    levels = _levels.LEVEL_POINTS
    readers = (("levels", levels, None, True), ("epochs", levels, None, "epoch"), ("chart", levels, None, False),
               ("every point", levels[:1], PEER_REPEATS, True))
    result: dict = {}
    for (reader, sizes, repeats, times), (name, (runs, buckets)) in itertools.product(readers, queries.items()):
        _levels.LEVEL_POINTS = sizes  # the peer: no summary level, every point read

        def query(runs=runs, buckets=buckets, times=times):
            return read_series(store, runs=runs, tags=["val/loss"], buckets=buckets, times=times)

        found = query()  # a warm-up pass; the repeats count
        result[f"{reader} {name}"] = {**_repeat(query, repeats, server_ns), "series": len(found),
                                      "points": sum(d.total_points for d in found.values()),
                                      "kept": sum(len(d.step) for d in found.values())}
    _levels.LEVEL_POINTS = levels
    store.close()
    result["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
    return result


def child_dashboard(url: str) -> dict:
    """The dashboard's chart request for the 20 x 1 M runs, as the app answers it: `api.series`
    to 1,500 buckets, then its body: raw columns (what the page asks for) or JSON (orjson,
    numpy columns); the peer reads every point."""
    import orjson

    from lossboard.server import api, columns
    from lossboard.store import _levels
    from lossboard.store.urls import open_store

    store = open_store(url)
    runs = [f"dash-{run:02}" for run in range(DASH_RUNS)]
    levels = _levels.LEVEL_POINTS
    result: dict = {}
    for reader, sizes, repeats in (("levels", levels, None), ("every point", levels[:1], PEER_REPEATS)):
        _levels.LEVEL_POINTS = sizes

        def series_only() -> list:
            return api.series(store, run_names=runs, tag_names=["val/loss"], width=DASH_BUCKETS)

        def request() -> bytes:
            return columns.encode(series_only())

        def as_json() -> bytes:
            return orjson.dumps({"series": series_only()}, option=orjson.OPT_SERIALIZE_NUMPY)

        for part, measured in (("api.series", series_only), ("request", request), ("json", as_json)):
            result[f"{reader} {part}"] = _repeat(measured, repeats)
        result[f"{reader} bytes"] = {"columns": len(request()), "json": len(as_json())}
    _levels.LEVEL_POINTS = levels
    store.close()
    result["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
    return result


VERSUS_TIMES = {"all columns": True, "no wall times": "epoch", "steps and values": False}


def child_versus(sqlite_url: str, postgres_url: str, heap: str) -> dict:
    """Each scale read on SQLite then PostgreSQL, alternating request by request in one process,
    CPU p50 (PostgreSQL: client and server process, and each apart, to show which side its time
    is on): both stores see the same load, and neither repeats its own read back to back, which
    spares a store what a dashboard's mixed requests pay (memory faulted in again, the CPU's
    caches refilled). ``heap`` as `child_served`'s."""
    from lossboard.query import read_series
    from lossboard.store._heap import keep_freed_memory
    from lossboard.store.urls import open_store

    if heap == "keep":
        keep_freed_memory()

    stores = {"SQLite": open_store(sqlite_url), "PostgreSQL": open_store(postgres_url)}
    server_ns = {kind: _backend_cpu(store) for kind, store in stores.items()}
    repeats = int(os.environ.get("BENCH_REPEATS", "50"))

    def cpu_s(kind: str) -> tuple[float, float]:
        """This process's CPU so far and the store's server process's (0 for SQLite)."""
        return time.process_time(), server_ns[kind]() / 1e9 if server_ns[kind] else 0.0

    def p50_ms(spent: list[float]) -> float:
        return statistics.median(spent) * 1e3

    result: dict = {}
    for (name, (runs, buckets)), (columns, times) in itertools.product(_scale_queries().items(), VERSUS_TIMES.items()):
        client: dict[str, list[float]] = {kind: [] for kind in stores}
        server: dict[str, list[float]] = {kind: [] for kind in stores}
        for turn in range(repeats + 1):  # the first turn warms up
            for kind, store in stores.items():
                started = cpu_s(kind)
                read_series(store, runs=runs, tags=["val/loss"], buckets=buckets, times=times)
                ended = cpu_s(kind)
                if turn:
                    client[kind].append(ended[0] - started[0])
                    server[kind].append(ended[1] - started[1])
        result[f"{name} {columns}"] = {
            **{kind: p50_ms([c + s for c, s in zip(client[kind], server[kind])]) for kind in stores},
            "PostgreSQL client": p50_ms(client["PostgreSQL"]), "PostgreSQL server": p50_ms(server["PostgreSQL"]),
        }
    for store in stores.values():
        store.close()
    result["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
    return result


def versus_table(by_heap: dict) -> str:
    lines = ["| read | heap | " + " | ".join(f"{columns}: SQLite | PostgreSQL | ratio" for columns in VERSUS_TIMES) + " |",
             "|---|---|" + "---:|" * 3 * len(VERSUS_TIMES)]
    for heap, result in by_heap.items():
        for name in _scale_queries():
            cells = []
            for columns in VERSUS_TIMES:
                cpu = result[f"{name} {columns}"]
                cells += [f"{cpu['SQLite']:.2f} ms", f"{cpu['PostgreSQL']:.2f} ms", f"{cpu['PostgreSQL'] / cpu['SQLite']:.2f}x"]
            lines.append(f"| {name} | {heap} | " + " | ".join(cells) + " |")
        lines.append(f"| load average at the end | {heap} | {' '.join(result['loadavg'])} |" + " |" * (3 * len(VERSUS_TIMES) - 1))
    return "\n".join(lines)


def versus_sides_table(by_heap: dict) -> str:
    """Where PostgreSQL's CPU goes: its client's and its server process's p50 each against
    SQLite's whole read (the server alone, sending the rows, is what no client change can cut)."""
    lines = ["| read | columns | heap | SQLite | PostgreSQL client | server | client / SQLite | server / SQLite |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    for heap, result in by_heap.items():
        for name, columns in itertools.product(_scale_queries(), VERSUS_TIMES):
            cpu = result[f"{name} {columns}"]
            client, server, sqlite = cpu["PostgreSQL client"], cpu["PostgreSQL server"], cpu["SQLite"]
            lines.append(f"| {name} | {columns} | {heap} | {sqlite:.2f} ms | {client:.2f} ms | {server:.2f} ms | "
                         f"{client / sqlite:.2f}x | {server / sqlite:.2f}x |")
    return "\n".join(lines)


SERVED = {"80x200k": ([f"wide-{run:02}" for run in range(WIDE_RUNS)], BUCKETS),  # the dashboard's charts
          "1M": (["big-1M"], BUCKETS), "20x1M": ([f"dash-{run:02}" for run in range(DASH_RUNS)], DASH_BUCKETS)}


def child_served(url: str, heap: str) -> dict:
    """The dashboard's reads (`SERVED`, with epochs, as its charts against steps ask) taking turns
    in the server's pool of 4 threads, each with its own store, as `lossboard serve` answers
    them: wall and the answering thread's CPU p50; ``heap`` ``keep``: with `keep_freed_memory`
    as the server sets it, ``default``: glibc's default."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from lossboard.query import read_series
    from lossboard.store._heap import keep_freed_memory
    from lossboard.store.urls import open_store

    if heap == "keep":
        keep_freed_memory()
    local = threading.local()

    def timed(runs: list[str], buckets: int) -> tuple[float, float]:
        if not hasattr(local, "store"):
            local.store = open_store(url)
        started, started_cpu = time.perf_counter(), time.thread_time()
        read_series(local.store, runs=runs, tags=["val/loss"], buckets=buckets, times="epoch")
        return time.perf_counter() - started, time.thread_time() - started_cpu

    spent: dict[str, list[tuple[float, float]]] = {name: [] for name in SERVED}
    with ThreadPoolExecutor(4) as pool:
        for turn in range(int(os.environ.get("BENCH_REPEATS", "50")) + 2):  # two turns warm up
            for name, (runs, buckets) in SERVED.items():
                took = pool.submit(timed, runs, buckets).result()
                spent[name] += [took] if turn >= 2 else []
    result: dict = {name: {"p50_ms": statistics.median(wall for wall, _ in took) * 1e3,
                           "cpu_p50_ms": statistics.median(cpu for _, cpu in took) * 1e3} for name, took in spent.items()}
    result["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
    return result


def served_table(rounds: list[dict]) -> str:
    lines = ["| round | heap | " + " | ".join(f"{name} p50 | CPU p50" for name in SERVED) + " | load average |",
             "|---|---|" + "---:|" * (2 * len(SERVED) + 1)]
    for number, by_heap in enumerate(rounds, 1):
        for heap, result in by_heap.items():
            cells = [f"{result[name][key]:.2f} ms" for name in SERVED for key in ("p50_ms", "cpu_p50_ms")]
            lines.append(f"| {number} | {heap} | " + " | ".join(cells) + f" | {' '.join(result['loadavg'])} |")
    return "\n".join(lines)


MANY = ((20, BUCKETS), (WIDE_RUNS, BUCKETS), (WIDE_RUNS, 100))  # runs x 1 tag, buckets


def child_many(url: str) -> dict:
    """The wide runs x 1 tag (`MANY`): one `read_series` a series (what `query.read_series`
    did) against `query.read_series` now (`Store.read_many`), in the same process."""
    from lossboard.query import read_series
    from lossboard.store.urls import open_store

    store = open_store(url)
    server_ns = _backend_cpu(store)

    def one_by_one(runs: list[str], buckets: int) -> dict:
        return {(i.run, i.tag, i.source_tag): store.read_series(i.run, i.tag, source_tag=i.source_tag, buckets=buckets)
                for i in store.list_tags(runs) if i.tag == "val/loss"}

    def at_once(runs: list[str], buckets: int) -> dict:
        return read_series(store, runs=runs, tags=["val/loss"], buckets=buckets)

    result: dict = {}
    for count, buckets in MANY:
        runs = [f"wide-{run:02}" for run in range(count)]
        for reader, read in (("per series", one_by_one), ("read_many", at_once)) * 2:
            found = read(runs, buckets)  # the first pass warms the caches for both readers; the second counts
            result[f"{reader} {count} {buckets}"] = {**_repeat(functools.partial(read, runs, buckets), None, server_ns), "series": len(found),
                                                     "kept": sum(len(d.step) for d in found.values())}
    store.close()
    result["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
    return result


def many_table(results: dict) -> str:
    lines = ["| 200 k points a run | store | read_many p50 | p95 | CPU p50 | per series p50 | ratio |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for store, rows in results.items():
        for count, buckets in MANY:
            ours, peer = rows[f"read_many {count} {buckets}"], rows[f"per series {count} {buckets}"]
            lines.append(f"| {count} runs x 1 tag, {buckets:,} buckets | {store} | {ours['p50_ms']:.2f} ms | "
                         f"{ours['p95_ms']:.2f} ms | {ours['cpu_p50_ms']:.2f} ms | {peer['p50_ms']:.2f} ms | "
                         f"{_ratio(peer['p50_ms'] / ours['p50_ms'])} |")
        lines.append(f"| load average at the end | {store} | {' '.join(rows['loadavg'])} | | | | |")
    return "\n".join(lines)


CHILDREN = {"tensorboard": child_tensorboard, "index": child_index, "warm": child_warm, "queries": child_queries,
            "scale": child_scale, "many": child_many, "dashboard": child_dashboard, "versus": child_versus,
            "served": child_served}


def in_child(name: str, *args: str, repeats: int) -> dict:
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "BENCH_REPEATS": str(repeats)}
    out = subprocess.run([sys.executable, __file__, "--child", name, *args], capture_output=True, text=True, env=env)
    if out.returncode:
        raise RuntimeError(f"{name} {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- stores ------------------------------------------------------------------------------


def fresh_sqlite(name: str) -> str:
    path = STORE_DBS / f"{name}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def fresh_postgres(server: str, name: str) -> str:
    """A new empty database ``lossboard_bench_<name>`` on the server of the URL given."""
    import psycopg
    from psycopg import sql

    database = f"lossboard_bench_{name}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(database)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    return urlsplit(server)._replace(path=f"/{database}").geturl()


# -- the report --------------------------------------------------------------------------


def measure_store(kind: str, fresh, repeats: int) -> dict:
    """Cold index from both sources, then warm start and queries on the lossboard index."""
    rows = {}
    for source in ("tfevents", "lossboard"):
        url = fresh(source)
        rows[f"index-{source}"] = in_child("index", url, source, repeats=repeats)
    in_child("index", url, "big", repeats=repeats)  # the 1 M-point run joins the lossboard index
    rows["warm"] = in_child("warm", url, repeats=repeats)
    rows["queries"] = in_child("queries", url, repeats=repeats)
    print(f"{kind}: {json.dumps(rows)}", file=sys.stderr, flush=True)
    return rows


def scale_sqlite() -> str:
    """The SQLite scale store: kept between runs (bench/data/store-dbs/scale.db)."""
    path = STORE_DBS / "scale.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def scale_postgres(server: str) -> str:
    """Database ``lossboard_bench_scale`` on the server of the URL given, created once."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(server, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = 'lossboard_bench_scale'").fetchone():
            connection.execute(sql.SQL("CREATE DATABASE lossboard_bench_scale"))
    return urlsplit(server)._replace(path="/lossboard_bench_scale").geturl()


def on_scale_stores(child: str, postgres: str | None, repeats: int) -> dict:
    """One child measurement on the scale store of each backend (filled first if need be: only
    the runs it reads)."""
    stores = {"SQLite": scale_sqlite()}
    if postgres:
        stores["PostgreSQL"] = scale_postgres(postgres)
    results: dict = {}
    for kind, url in stores.items():
        fill_scale(url, dash_only=child == "dashboard")
        results[kind] = in_child(child, url, repeats=repeats)
        print(f"{kind}: {json.dumps(results[kind])}", file=sys.stderr, flush=True)
    return results


def scale_table(results: dict) -> str:
    lines = [
        "| query | store | all columns p50 | p95 | CPU p50 | no wall times p50 | CPU p50 | steps and values p50 | CPU p50 "
        "| every point p50 | ratio | target |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {f"{n // 1_000_000}M": f"{n // 1_000_000} M points, 1 series, 2,000 buckets" for n in SCALE_SIZES}
    labels["80x200k"] = "80 runs x 200 k points, 1 tag, 2,000 buckets"
    labels["20x1M"] = "20 runs x 1 M points, 1 tag, 1,500 buckets"
    targets = {"16M": "<= 10 ms", "80x200k": "<= 30 ms"}
    for store, rows in results.items():
        for name, label in labels.items():
            ours, peer = rows[f"levels {name}"], rows[f"every point {name}"]
            lighter = "".join(f"{rows[f'{reader} {name}']['p50_ms']:.2f} ms | {rows[f'{reader} {name}']['cpu_p50_ms']:.2f} ms | "
                              for reader in ("epochs", "chart"))
            lines.append(
                f"| {label} | {store} | {ours['p50_ms']:.2f} ms | {ours['p95_ms']:.2f} ms | "
                f"{ours['cpu_p50_ms']:.2f} ms | {lighter}"
                f"{peer['p50_ms']:,.0f} ms | {_ratio(peer['p50_ms'] / ours['p50_ms'])} | {targets.get(name, '')} |"
            )
        lines.append(f"| load average at the end | {store} | {' '.join(rows['loadavg'])} | | | | | | | | | |")
    return "\n".join(lines)


def dashboard_table(results: dict) -> str:
    lines = ["| 20 runs x 1 M points -> 1,500 buckets | store | p50 | p95 | CPU p50 | every point p50 | ratio |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for store, rows in results.items():
        labels = {"api.series": "`api.series`", "request": "`api.series` + columns (the page's request)",
                  "json": "`api.series` + JSON"}
        for part, label in labels.items():
            ours, peer = rows[f"levels {part}"], rows[f"every point {part}"]
            lines.append(f"| {label} | {store} | {ours['p50_ms']:.2f} ms | {ours['p95_ms']:.2f} ms | "
                         f"{ours['cpu_p50_ms']:.2f} ms | {peer['p50_ms']:,.0f} ms | "
                         f"{_ratio(peer['p50_ms'] / ours['p50_ms'])} |")
        lines.append(f"| load average at the end | {store} | {' '.join(rows['loadavg'])} | | | | |")
    return "\n".join(lines)


def table(results: dict) -> str:
    tb = results.get("tensorboard", {})
    keep, sampled = tb.get("keep-all"), tb.get("reservoir")
    lines = [
        "| measure | store | lossboard | target | TensorBoard keep-all | ratio | TensorBoard 1,000/tag | ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]

    def row(measure: str, store: str, ours: float, unit: str, target: str, key: str | None) -> None:
        cells = []
        for theirs in (keep, sampled):
            value = theirs and key and _dig(theirs, key)
            cells += [f"{value:,.2f} {unit}", _ratio(value / ours)] if value else ["-", "-"]
        lines.append(f"| {measure} | {store} | {ours:,.2f} {unit} | {target} | " + " | ".join(cells) + " |")

    for store, rows in results.items():
        if store == "tensorboard":
            continue
        row("cold index from tfevents", store, rows["index-tfevents"]["index_s"], "s", "<= 4 s", "load_s")
        row("cold index from lossboard files", store, rows["index-lossboard"]["index_s"], "s", "<= 2 s", "load_s")
        row("warm start to first query", store, rows["warm"]["warm_s"], "s", "<= 0.5 s", "load_s")
        q = rows["queries"]
        row("1 M points -> 2,000 buckets, p50", store, q["m4"]["p50_ms"], "ms", "<= 20 ms", None)
        row("1 M points -> 2,000 buckets, p95", store, q["m4"]["p95_ms"], "ms", "", None)
        row("20 runs x 1 tag (raw), p50", store, q["multi"]["p50_ms"], "ms", "", "multi.p50_ms")
        peak = max(r["peak_mb"] for r in rows.values())
        row("peak RSS (every point kept)", store, peak, "MB", "<= 200 MB", "peak_mb")
    return "\n".join(lines)


def _ratio(ratio: float) -> str:
    """How many times lossboard is faster or smaller: ``226x``, ``2.4x``, ``0.41x``."""
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.2g}x"


def _dig(record: dict, key: str) -> float:
    for part in key.split("."):
        record = record[part]
    return record


def main() -> None:
    global STORE_DBS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("LOSSBOARD_BENCH_PG"), metavar="URL",
                        help="a PostgreSQL server to measure too (databases lossboard_bench_* are created)")
    parser.add_argument("--only", choices=["lossboard", "tensorboard"], default=None)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--scale", action="store_true", help="how reads grow with the series (1 M to 16 M points)")
    parser.add_argument("--many", action="store_true", help="many series in one request: read_many against one read each")
    parser.add_argument("--dashboard", action="store_true", help="the chart request for 20 runs x 1 M points")
    parser.add_argument("--versus", action="store_true",
                        help="the --scale reads on SQLite and PostgreSQL alternating in one process (needs --postgres)")
    parser.add_argument("--served", action="store_true",
                        help="the dashboard's reads in the server's threads, glibc's heap kept or not (SQLite)")
    parser.add_argument("--store-dbs", type=Path, default=STORE_DBS, metavar="DIR",
                        help="where the SQLite stores and the results go (a schema change needs its own: the "
                             "stores are kept between runs and migrated when opened)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    STORE_DBS = args.store_dbs
    if args.child:
        name, *rest = args.child
        print(json.dumps(CHILDREN[name](*rest)))
        return
    if args.served:
        url = scale_sqlite()
        fill_scale(url)
        rounds = [{heap: in_child("served", url, heap, repeats=args.repeats) for heap in ("default", "keep")}
                  for _ in range(3)]
        (STORE_DBS / "store-served-results.json").write_text(json.dumps(rounds, indent=1))
        print(served_table(rounds))
        return
    if args.versus:
        if not args.postgres:
            parser.error("--versus needs --postgres URL")
        stores = [scale_sqlite(), scale_postgres(args.postgres)]
        for url in stores:
            fill_scale(url)
        results = {heap: in_child("versus", *stores, heap, repeats=args.repeats) for heap in ("default", "keep")}
        (STORE_DBS / "store-versus-results.json").write_text(json.dumps(results, indent=1))
        print(versus_table(results))
        print()
        print(versus_sides_table(results))
        return
    for wanted, child, report in (("scale", "scale", scale_table), ("dashboard", "dashboard", dashboard_table),
                                  ("many", "many", many_table)):
        if getattr(args, wanted):
            results = on_scale_stores(child, args.postgres, args.repeats)
            (STORE_DBS / f"store-{child}-results.json").write_text(json.dumps(results, indent=1))
            print(report(results))
            return
    generate()
    results: dict = {}
    if args.only != "lossboard":
        results["tensorboard"] = {
            mode: in_child("tensorboard", mode, repeats=args.repeats) for mode in ("keep-all", "reservoir")
        }
        print(f"tensorboard: {json.dumps(results['tensorboard'])}", file=sys.stderr, flush=True)
    if args.only != "tensorboard":
        results["SQLite"] = measure_store("SQLite", fresh_sqlite, args.repeats)
        if args.postgres:
            results["PostgreSQL"] = measure_store("PostgreSQL", lambda n: fresh_postgres(args.postgres, n),
                                                  args.repeats)
    (STORE_DBS / "store-results.json").write_text(json.dumps(results, indent=1))
    print(table(results))


if __name__ == "__main__":
    main()
