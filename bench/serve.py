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

And against `tensorboard --logdir` on the same TensorBoard event files (written by lossboard's
SummaryWriter: 20 runs x 10 tags x 20,000 steps, and 1,000 runs x 10 tags x 1,000 steps), one
dashboard after the other in the same headless Chromium: time to get ready (lossboard: index
into a fresh SQLite store and start `serve --store`; TensorBoard: until every run's last event
is loaded), time from opening the page until the first chart and every chart in the viewport
show their lines, one chart's data request (20 runs x 1 tag), the points each sends a series,
the server's peak RSS, and at 1,000 runs how long the run list takes to show a regex filter.

    .venv/bin/python bench/serve.py               # builds bench/data/serve/ once (~2 min)
    .venv/bin/python bench/serve.py --part compare --logdir small --only lossboard
"""

from __future__ import annotations

import argparse
import math
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


DASHBOARD = DATA / "dashboard"
LOGDIRS = {"small": (20, 20_000), "large": (1_000, 1_000)}  # runs, steps; 10 tags each
TAGS = ("train/loss", "val/loss", "train/accuracy", "val/accuracy", "train/lr", "train/throughput",
        "train/grad_norm", "train/weight_norm", "val/top5_accuracy", "val/f1")


def run_names(runs: int) -> list[str]:
    """A sweep's names: 20 seeds, or 10 learning rates x 10 batch sizes x 10 seeds."""
    if runs <= 20:
        return [f"seed-{seed:02}" for seed in range(runs)]
    return [f"lr{lr:g}-bs{bs}-s{seed}" for lr in (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1, 3)
            for bs in (8, 16, 32, 64, 96, 128, 192, 256, 384, 512) for seed in range(10)]


def build_logdir(size: str) -> Path:
    """The issue's logdir ``size`` as TensorBoard event files written by lossboard's SummaryWriter
    (built once): every run logs its 10 tags at every step, as a training loop does."""
    import numpy as np

    from lossboard import SummaryWriter

    root = DASHBOARD / size
    if (root / "done").exists():
        return root
    runs, steps = LOGDIRS[size]
    for number, name in enumerate(run_names(runs)):
        rng = np.random.default_rng(number)
        decay = np.exp(-np.arange(steps) / (steps / 4))
        values = decay[:, None] * rng.uniform(0.5, 2, len(TAGS)) + 0.05 * rng.standard_normal((steps, len(TAGS)))
        writer = SummaryWriter(root / name)
        for step, row in enumerate(values.tolist()):
            wall = 1.7e9 + step * 0.5
            for tag, value in zip(TAGS, row):
                writer.add_scalar(tag, value, step, wall)
        writer.close()
    (root / "done").write_text("done\n")
    return root


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


# --- lossboard serve against `tensorboard --logdir` on the same event files ---------------------

# Each dashboard's chart plotting area, its run filter, how many runs its list shows (lossboard's
# list is virtual: it says), and how to select every run.
LOSSBOARD_PAGE = {"chart": "article.card .u-over", "filter": "#run-filter",
                  "shown": "+document.getElementById('run-list').dataset.shown",
                  "select_all": "document.getElementById('select-all').click()"}
TENSORBOARD_PAGE = {"chart": "scalar-card line-chart .series-view", "filter": "runs-data-table tb-filter-input input",
                    "shown": "document.querySelectorAll('runs-data-table tb-data-table-content-row').length",
                    "select_all": "{ const box = document.querySelector('runs-data-table .header mat-checkbox input');"
                                  " if (!box.checked) box.click(); }"}
DRAW_TIMEOUT_S = 240
FILTERS = ((r"lr0\.01-bs64-", 10), (r"-s[0-4]$", 500), ("", 1000))  # regex, runs it leaves of 1,000

VISIBLE_BOXES = """selector => [...document.querySelectorAll(selector)].map(e => e.getBoundingClientRect())
    .filter(r => r.width > 20 && r.height > 20 && r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth)
    .map(r => [Math.max(0, Math.round(r.left)), Math.max(0, Math.round(r.top)),
               Math.min(innerWidth, Math.round(r.right)), Math.min(innerHeight, Math.round(r.bottom))])"""


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (TensorBoard runs its data server as a child)."""
    found, index = [pid], 0
    while index < len(found):
        for task in Path(f"/proc/{found[index]}/task").glob("*"):
            found += [int(child) for child in (task / "children").read_text().split()]
        index += 1
    return found


def tree_peak_rss_mb(pid: int) -> float:
    """Sum of the peak RSS (VmHWM) of ``pid`` and its descendants."""
    total = 0
    for member in process_tree(pid):
        for line in Path(f"/proc/{member}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total / 1024


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its descendants so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for member in process_tree(pid):
        fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def settle(pid: int, timeout_s: float = 60) -> None:
    """Wait until the server ``pid`` uses under a fifth of a core (TensorBoard reloads every 5 s)."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        before = tree_cpu_s(pid)
        time.sleep(1)
        if tree_cpu_s(pid) - before < 0.2:
            return


class TensorBoard:
    """`tensorboard --logdir` (its default fast loader), ready once every run's last event is loaded."""

    def __init__(self, logdir: Path, runs: list[str], steps: int) -> None:
        import httpx

        started = time.perf_counter()
        port = free_port()
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "tensorboard"), "--logdir", str(logdir), "--host", "127.0.0.1",
             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{port}/"
        client = httpx.Client(base_url=self.url, timeout=60)
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"tensorboard exited with {self.process.returncode}")
            if time.perf_counter() - started > 600:
                self.stop()
                raise SystemExit(f"tensorboard did not load {logdir} in 600 s")
            try:
                if self.loaded(client, runs, steps):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.ready_s = time.perf_counter() - started
        self.ready_cpu_s = tree_cpu_s(self.process.pid)
        client.close()

    @staticmethod
    def loaded(client, runs: list[str], steps: int) -> bool:
        """Every run has every tag, and the last tag written holds the last step (files are read in order)."""
        tags = client.get("data/plugin/scalars/tags").json()
        if any(len(tags.get(run, ())) < len(TAGS) for run in runs):
            return False
        last = client.post("data/plugin/scalars/scalars_multirun", data={"tag": TAGS[-1], "runs": runs}).json()
        return all(last.get(run) and last[run][-1][1] == steps - 1 for run in runs)

    def peak_rss_mb(self) -> float:
        return tree_peak_rss_mb(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def index_logdir(logdir: Path, url: str) -> tuple[float, float, float]:
    """`lossboard index` into a fresh store: wall seconds, CPU seconds, peak RSS in MB."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", "from lossboard.cli import main; main()", "index", "--store", url, str(logdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(HERE.parent / "src")},
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"lossboard index {logdir} exited with {process.returncode}")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def charts_drawn_ms(browser, url: str, page_kind: dict, select_all: int = 0) -> tuple[float, float] | None:
    """Milliseconds from opening ``url`` until the first chart, then every chart in the viewport,
    shows its lines on screen. Read from the screencast's frames (each stamped with the time it
    was drawn), since TensorBoard draws with WebGL in a worker where the DOM cannot tell: a chart
    is drawn when its plotting area holds coloured pixels (axes, grid and text are grey).
    ``select_all``: select every run once the run list shows that many (past 40 runs TensorBoard
    selects none, lossboard the 20 updated last). None when not every chart is drawn within
    `DRAW_TIMEOUT_S`."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    screen = page.context.new_cdp_session(page)
    frames: list[tuple[float, str]] = []

    def keep(frame: dict) -> None:
        frames.append((frame["metadata"]["timestamp"], frame["data"]))
        screen.send("Page.screencastFrameAck", {"sessionId": frame["sessionId"]})

    screen.on("Page.screencastFrame", keep)
    screen.send("Page.startScreencast", {"format": "jpeg", "quality": 60, "maxWidth": 700, "maxHeight": 450})
    started = time.time()
    page.goto(url, wait_until="commit")
    if select_all:
        page.wait_for_function(f"() => {page_kind['shown']} >= {select_all}", timeout=120_000)
        page.evaluate(f"() => {page_kind['select_all']}")
    boxes, done = [], 0
    while done < 2:  # every chart drawn on two looks 0.3 s apart: nothing left to come
        if time.time() - started > DRAW_TIMEOUT_S:
            screen.send("Page.stopScreencast")
            page.close()
            return None
        page.wait_for_timeout(300)
        boxes = page.evaluate(VISIBLE_BOXES, page_kind["chart"])
        done = done + 1 if boxes and frames and all(drawn_in(frames[-1][1], boxes)) else 0
    screen.send("Page.stopScreencast")
    page.close()
    looks = [(stamp, drawn_in(data, boxes)) for stamp, data in sorted(frames)]
    first = next(stamp for stamp, drawn in looks if any(drawn))
    every = next(stamp for index, (stamp, _) in enumerate(looks) if all(all(d) for _, d in looks[index:]))
    return (first - started) * 1000, (every - started) * 1000


def drawn_in(frame: str, boxes: list[list[int]]) -> list[bool]:
    """Which of ``boxes`` (page pixels) hold coloured lines in the screencast ``frame``."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(frame))).convert("RGB")
    scale = image.width / 1400
    pixels = np.asarray(image).astype(np.int16)
    colour = pixels.max(axis=2) - pixels.min(axis=2) > 40
    cut = lambda v: int(v * scale)  # noqa: E731
    return [colour[cut(top):cut(bottom), cut(left):cut(right)].sum() >= 100 * scale**2
            for left, top, right, bottom in boxes]


def filter_ms(browser, server, page_kind: dict, repeats: int) -> dict[str, float]:
    """Run list at 1,000 runs: from the regex landing in the filter box (one paste, then the key
    released) until the list shows the runs it matches, in the frame after; p50 per regex.
    Measured once the page has loaded its charts."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(server.url)
    page.wait_for_function(f"() => {page_kind['shown']} === 1000", timeout=120_000)
    settle(server.process.pid)
    page.wait_for_timeout(3000)  # the page draws what the server sent
    timings: dict[str, list[float]] = {regex: [] for regex, _ in FILTERS}
    for _ in range(repeats):
        for regex, expected in FILTERS:
            timings[regex].append(page.evaluate(
                """async ([input, regex, expected]) => {
                    const box = document.querySelector(input), frame = () => new Promise(requestAnimationFrame);
                    box.focus();
                    const started = performance.now();
                    box.value = regex;
                    box.dispatchEvent(new Event("input", { bubbles: true }));
                    box.dispatchEvent(new KeyboardEvent("keyup", { key: "Enter", bubbles: true }));
                    while (SHOWN !== expected) {
                        await frame();
                        if (performance.now() - started > 60000) return NaN;
                    }
                    await frame();
                    return performance.now() - started;
                }""".replace("SHOWN", page_kind["shown"]),
                [page_kind["filter"], regex, expected],
            ))
    page.close()
    return {regex: statistics.median(times) for regex, times in timings.items()}


def chart_request(server, tool: str, runs: list[str], repeats: int) -> tuple[float, float, int]:
    """One chart's data, 20 runs x 1 tag, as each page asks for it: p50 milliseconds over HTTP,
    the server's CPU milliseconds per request (TensorBoard's include its data server and its
    reload every 5 s), and the points sent for one series."""
    import httpx

    with httpx.Client(base_url=server.url, timeout=120) as client:
        def ask() -> int:
            if tool == "lossboard":
                series = client.get("api/series", params={"run": runs, "tag": TAG, "width": BUCKETS}).json()["series"]
                return len(series[0]["step"])
            found = client.post("data/plugin/scalars/scalars_multirun", data={"tag": TAG, "runs": runs}).json()
            return len(found[runs[0]])

        ask()
        times = []
        cpu = tree_cpu_s(server.process.pid)
        for _ in range(repeats):
            started = time.perf_counter()
            shown = ask()
            times.append((time.perf_counter() - started) * 1000)
        cpu = tree_cpu_s(server.process.pid) - cpu
    return statistics.median(times), cpu * 1000 / repeats, shown


def compare(browser, size: str, tools: list[str], repeats: int) -> dict[str, dict[str, object]]:
    """Both dashboards on the logdir ``size``, one after the other, in the same Chromium."""
    logdir = build_logdir(size)
    runs_count, steps = LOGDIRS[size]
    names = run_names(runs_count)
    results: dict[str, dict[str, object]] = {}
    for tool in tools:
        found: dict[str, object] = {}
        if tool == "lossboard":
            store = DASHBOARD / f"{size}.sqlite"
            for stale in DASHBOARD.glob(f"{size}.sqlite*"):
                stale.unlink()
            wall, cpu, found["index_rss"] = index_logdir(logdir, "sqlite://" + str(store))
            started = time.perf_counter()
            server = Serve("--store", "sqlite://" + str(store))
            found["ready"] = (wall + time.perf_counter() - started, cpu + tree_cpu_s(server.process.pid))
            page_kind = LOSSBOARD_PAGE
        else:
            server = TensorBoard(logdir, names, steps)
            found["ready"] = (server.ready_s, server.ready_cpu_s)
            page_kind = TENSORBOARD_PAGE
        try:
            drawn = []
            for _ in range(3):
                drawn.append(charts_drawn_ms(browser, server.url, page_kind, select_all=runs_count if runs_count > 40 else 0))
                settle(server.process.pid)  # a closed page's requests may still be running
                if drawn[-1] is None:
                    break  # not drawn in time: waiting again says nothing more
            found["first"] = None if None in drawn else statistics.median(first for first, _ in drawn)
            found["all"] = None if None in drawn else statistics.median(every for _, every in drawn)
            found["request"] = chart_request(server, tool, names[:20], repeats)
            if runs_count >= 1000:
                found["filter"] = filter_ms(browser, server, page_kind, max(3, repeats // 4))
            found["rss"] = server.peak_rss_mb()
        finally:
            server.stop()  # a TensorBoard left behind would reload its logdir every 5 s for good
        results[tool] = found
        print(f"  {size} {tool}: {found}", flush=True)
    return results


def comparison_table(size: str, results: dict[str, dict[str, object]]) -> str:
    """Markdown rows: measure | lossboard | TensorBoard | TensorBoard / lossboard (above 1: lossboard
    is faster or smaller)."""
    runs, steps = LOGDIRS[size]
    rows = [f"| {runs:,} runs x {len(TAGS)} tags x {steps:,} steps | lossboard | TensorBoard | ratio |",
            "|---|---|---|---|"]

    def row(label: str, pick, show, ratio: bool = True) -> None:
        values = [pick(results[tool]) if tool in results else None for tool in ("lossboard", "tensorboard")]
        cells = [show(value) if value is not None else "-" for value in values]
        finite = None not in values and math.inf not in values and values[0]
        ratio = f"{values[1] / values[0]:.1f}x" if ratio and finite else "-"
        rows.append(f"| {label} | {cells[0]} | {cells[1]} | {ratio} |")

    ms = lambda value: f"{value:,.0f} ms"  # noqa: E731
    drawn = lambda value: ms(value) if value < math.inf else f"not in {DRAW_TIMEOUT_S} s"  # noqa: E731
    row("ready: index + start / load, wall", lambda r: r["ready"][0], lambda v: f"{v:.1f} s")
    row("ready: CPU", lambda r: r["ready"][1], lambda v: f"{v:.1f} s")
    row("first chart drawn after opening the page, p50 of 3", lambda r: r["first"] or math.inf, drawn)
    row("every chart in the viewport drawn, p50 of 3", lambda r: r["all"] or math.inf, drawn)
    row("chart data request, 20 runs x 1 tag, p50 over HTTP", lambda r: r["request"][0], ms)
    row("chart data request: server CPU per request", lambda r: r["request"][1], ms)
    row("points sent per series (stored)", lambda r: r["request"][2],
        lambda v: f"{v:,} ({steps:,})", ratio=False)
    row("server peak RSS (lossboard: serving; index)", lambda r: r["rss"],
        lambda v: f"{v:,.0f} MB")
    if "index_rss" in results.get("lossboard", {}):
        rows[-1] = rows[-1].replace(" MB |", f" MB; {results['lossboard']['index_rss']:,.0f} MB |", 1)
    for regex, expected in FILTERS:
        label = f"run filter `{regex}` -> {expected:,} runs shown, p50" if regex else "filter cleared -> 1,000 runs"
        if any("filter" in found for found in results.values()):
            row(label, lambda r, regex=regex: r["filter"][regex], ms)
    return "\n".join(rows)


def measure_alone(browser, options: argparse.Namespace) -> None:
    """The 20 x 1 M store, the example run and live latency: lossboard against itself."""
    url = build_store()
    requests = measure_requests(url, options.repeats)
    print(f"chart data request, 20 runs x 1 tag x 1 M points to {BUCKETS} buckets, p50 server side:")
    print(f"  lossboard M4        {requests['m4']:8.1f} ms  {requests['m4_mb']:7.2f} MB of JSON")
    print(f"  lossboard EMA + M4  {requests['ema']:8.1f} ms  {requests['ema_mb']:7.2f} MB")
    print(f"  every point (naive) {requests['naive']:8.1f} ms  {requests['naive_mb']:7.2f} MB"
          f"  -> M4 is {requests['naive'] / requests['m4']:.0f}x faster, {requests['naive_mb'] / requests['m4_mb']:.0f}x smaller")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("alone", "compare", "all"), default="all",
                        help="alone: the 20 x 1 M store, the example and live latency; compare: against TensorBoard")
    parser.add_argument("--only", choices=("lossboard", "tensorboard"), help="compare: measure one dashboard")
    parser.add_argument("--logdir", choices=("small", "large"), help="compare: one logdir (default both)")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--points", type=int, default=10)
    options = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        if options.part in ("alone", "all"):
            measure_alone(browser, options)
        if options.part in ("compare", "all"):
            tools = [options.only] if options.only else ["lossboard", "tensorboard"]
            for size in [options.logdir] if options.logdir else list(LOGDIRS):
                print(comparison_table(size, compare(browser, size, tools, options.repeats)), flush=True)
        browser.close()
    print(f"load average: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}")


if __name__ == "__main__":
    main()
