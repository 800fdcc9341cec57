"""`lossboard serve` on 20 runs x 1 tag x 1 M points, and live: what the dashboard costs.

Measured in one run, each against what a user would otherwise get:

* **chart data request, server side**: `lossboard.server.api.series` for 20 runs x 1 tag to
  1,500 buckets (M4 from the store's block summaries), p50 over ``--repeats``, JSON encoding
  included; against the same request answered the naive way, every point read and sent
  (what a dashboard without downsampling does), and with EMA smoothing over every point.
* **first charts drawn**: headless Chromium opens the page of the example run and of the
  20-run store; time from navigation until every chart card has drawn its data.
* **server peak RSS** while serving those 20 M points to the page (VmHWM of the process).
* **live latency**: a `lossboard.SummaryWriter` in another process logs and flushes a point
  every 0.5 s; time from the flush until the page's chart holds it (p50 over ``--points``),
  with ``lossboard serve --interval-s 0.2``.

    .venv/bin/python bench/serve.py               # builds bench/data/serve/ once (~1 min)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # lossboard importable without installing it

DATA = HERE / "data" / "serve"
EXAMPLE = HERE.parent / "examples" / "alexnet-imagenet"
RUNS, STEPS, BUCKETS = 20, 1_000_000, 1500
TAG = "train/loss"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def build_store() -> str:
    """20 runs of one 1 M-point series, written through the store's own `apply` (reused)."""
    import numpy as np

    from lossboard.store.base import Batch, Columns, SourceState
    from lossboard.store.sqlite import SQLiteStore

    path = DATA / "20x1M.sqlite"
    url = "sqlite://" + str(path)
    if (DATA / "20x1M.done").exists():
        return url
    DATA.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with SQLiteStore(url) as store:
        step = np.arange(STEPS, dtype=np.int64)
        for run in range(RUNS):
            rng = np.random.default_rng(run)
            value = np.exp(-step / 250_000) + 0.05 * rng.standard_normal(STEPS)
            value[::997] += 10.0
            source = SourceState(f"/bench/run-{run:02}/events", f"run-{run:02}", "lossboard-events", 0, 0, 0, 0, 0)
            columns = Columns("loss", step, step / 10_000, 1.7e9 + step * 0.1, value)
            store.apply(Batch(source=source, columns={TAG: columns}))
    (DATA / "20x1M.done").write_text("done\n")
    return url


def measure_requests(url: str, repeats: int) -> dict[str, float]:
    import orjson

    from lossboard import query
    from lossboard.server import api
    from lossboard.store.sqlite import SQLiteStore

    runs = [f"run-{r:02}" for r in range(RUNS)]
    results = {}
    with SQLiteStore(url, create=False) as store:
        def ours() -> int:
            answer = api.series(store, run_names=runs, tag_names=[TAG], width=BUCKETS)
            return len(orjson.dumps(answer, option=orjson.OPT_SERIALIZE_NUMPY))

        def smoothed() -> int:
            answer = api.series(store, run_names=runs, tag_names=[TAG], width=BUCKETS, smoothing="ema")
            return len(orjson.dumps(answer, option=orjson.OPT_SERIALIZE_NUMPY))

        def naive() -> int:
            found = query.read_series(store, runs=runs, tags=[TAG])
            body = [{"step": d.step, "value": d.value} for d in found.values()]
            return len(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY))

        for name, job, count in (("m4", ours, repeats), ("ema", smoothed, max(3, repeats // 4)),
                                 ("naive", naive, max(3, repeats // 4))):
            job()  # warm the page cache
            times = []
            for _ in range(count):
                started = time.perf_counter()
                size = job()
                times.append(time.perf_counter() - started)
            results[name] = statistics.median(times) * 1000
            results[name + "_mb"] = size / 1e6
    return results


class Serve:
    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from lossboard.cli import main; main()", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(HERE.parent / "src"),
                                                    "PYTHONUNBUFFERED": "1"},
        )
        for line in self.process.stdout:
            if "dashboard at " in line:
                self.url = line.split("dashboard at ", 1)[1].split()[0]
                return
        raise SystemExit("lossboard serve did not start")

    def peak_rss_mb(self) -> float:
        """The server's peak RSS so far (VmHWM), indexing thread and page cache included."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.send_signal(2)
        self.process.wait(timeout=30)


def first_charts_ms(browser, url: str, cards: int) -> float:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_function(
        f"() => document.querySelectorAll('article.card[data-total]').length >= {cards}", timeout=60_000
    )
    elapsed = (time.perf_counter() - started) * 1000
    page.close()
    return elapsed


def live_latency_ms(browser, points: int) -> list[float]:
    import tempfile

    logdir = Path(tempfile.mkdtemp(prefix="lossboard-live-"))
    writer = subprocess.Popen(
        [sys.executable, "-c",
         "import sys\nfrom lossboard import SummaryWriter\n"
         f"w = SummaryWriter({str(logdir / 'live')!r})\n"
         "for line in sys.stdin:\n"
         "    step = int(line)\n    w.add_scalar('train/loss', 1.0 / (step + 1), step)\n    w.flush()\n"
         "    print('flushed', flush=True)\n"
         "w.close()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(HERE.parent / "src")},
    )
    send = lambda step: (writer.stdin.write(f"{step}\n"), writer.stdin.flush(), writer.stdout.readline())  # noqa: E731
    send(0)
    served = Serve(str(logdir), "--store", "sqlite://" + str(logdir / "index.sqlite"), "--interval-s", "0.2")
    page = browser.new_page()
    page.goto(served.url + "?x=step")
    page.wait_for_function("() => document.querySelector('article.card')?.dataset.total == 1", timeout=30_000)
    latencies = []
    for step in range(1, points + 1):
        time.sleep(0.5)
        started = time.perf_counter()
        send(step)
        page.wait_for_function(
            f"() => document.querySelector('article.card').dataset.total == {step + 1}", polling="raf", timeout=10_000
        )
        latencies.append((time.perf_counter() - started) * 1000)
    writer.stdin.close()
    writer.wait()
    served.stop()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--points", type=int, default=10)
    options = parser.parse_args()
    url = build_store()
    requests = measure_requests(url, options.repeats)
    print(f"chart data request, 20 runs x 1 tag x 1 M points to {BUCKETS} buckets, p50 server side:")
    print(f"  lossboard M4        {requests['m4']:8.1f} ms  {requests['m4_mb']:7.2f} MB of JSON")
    print(f"  lossboard EMA + M4  {requests['ema']:8.1f} ms  {requests['ema_mb']:7.2f} MB")
    print(f"  every point (naive) {requests['naive']:8.1f} ms  {requests['naive_mb']:7.2f} MB"
          f"  -> M4 is {requests['naive'] / requests['m4']:.0f}x faster, {requests['naive_mb'] / requests['m4_mb']:.0f}x smaller")

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        example = Serve(str(EXAMPLE), "--store", "sqlite://" + str(DATA / "example.sqlite"))
        drawn = [first_charts_ms(browser, example.url, 5) for _ in range(5)]
        example.stop()
        print(f"first charts drawn, example run (5 charts): p50 {statistics.median(drawn):.0f} ms")
        big = Serve("--store", url)
        drawn = [first_charts_ms(browser, big.url, 1) for _ in range(5)]
        rss = big.peak_rss_mb()
        big.stop()
        print(f"first charts drawn, 20 runs x 1 M points (1 chart): p50 {statistics.median(drawn):.0f} ms; "
              f"server peak RSS {rss:.0f} MB")
        latencies = live_latency_ms(browser, options.points)
        print(f"live latency, flush to drawn: p50 {statistics.median(latencies):.0f} ms, "
              f"max {max(latencies):.0f} ms over {len(latencies)} points")
        browser.close()


if __name__ == "__main__":
    main()
