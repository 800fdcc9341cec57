"""The dashboard's run list at 1,000 runs x 10 tags x 1,000 steps: how long a filter takes.

The runs sit in 20 sweep folders of 50 (``sweep-07/lr-0.001-seed-3``), so the list shows 20
folder groups. Headless Chromium opens `lossboard serve` on the store, then types regular
expressions into the run filter a key at a time; each keystroke is timed from the input event
until the frame after the list has changed (``requestAnimationFrame`` then a task), p50 and max
over every keystroke. Also printed: the time until the first charts are drawn (a link without a
selection draws the 20 runs updated last).

    .venv/bin/python bench/run_list.py      # builds bench/data/run_list/ once (~2 min)
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from serve import ARGS, CHROMIUM, HERE, Serve, first_charts_ms

DATA = HERE / "data" / "run_list"
FOLDERS, PER_FOLDER, STEPS = 20, 50, 1000
TAGS = ["train/loss", "val/loss", "train/accuracy", "val/accuracy", "train/top5", "val/top5", "opt/lr",
        "train/grad_norm", "speed/samples_per_s", "train/weight_decay"]
TYPED = ["seed-3", "sweep-1[0-4]/", "lr-0\\.01-", "seed-(1|4)$", "nothing-matches"]  # each typed a key at a time
_TIME_KEYSTROKE = """async text => {
    const input = document.getElementById("run-filter");
    const started = performance.now();
    input.value = text;
    input.dispatchEvent(new Event("input"));
    const handled = performance.now() - started;
    await new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)));
    return [handled, performance.now() - started];
}"""


def build_store() -> str:
    """1,000 runs of 10 series of 1,000 points, written through the store's own `apply`."""
    import numpy as np

    from lossboard.model import Columns
    from lossboard.store.base import Batch, SourceState
    from lossboard.store.sqlite import SQLiteStore

    url = "sqlite://" + str(DATA / "1000runs.sqlite")
    if (DATA / "1000runs.done").exists():
        return url
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "1000runs.sqlite").unlink(missing_ok=True)
    step = np.arange(STEPS, dtype=np.int64)
    with SQLiteStore(url) as store:
        for folder in range(FOLDERS):
            for member in range(PER_FOLDER):
                lr, seed = (0.1, 0.01, 0.001, 0.0001, 0.00001)[member % 5], member // 5
                name = f"sweep-{folder:02}/lr-{lr:g}-seed-{seed}"
                rng = np.random.default_rng(folder * PER_FOLDER + member)
                columns = [Columns(tag, tag.rsplit("/", 1)[-1], step,
                                   np.exp(-step / (200 + 10 * index)) + 0.02 * rng.standard_normal(STEPS),
                                   step / 100, 1.7e9 + step * 0.5)
                           for index, tag in enumerate(TAGS)]
                source = SourceState(f"/bench/{name}/events", f"/bench/{name}", "lossboard-events", 0, 0, 0, 0, 0,
                                     run_name=name)
                store.apply(Batch(source=source, columns=columns))
    (DATA / "1000runs.done").write_text("done\n")
    return url


def keystroke_ms(page) -> list[list[float]]:
    """Every keystroke of every pattern in `TYPED`, then cleared: ms from input to the list
    updated (the page's own script), to the next frame (style, layout and paint too), and the
    CPU time of the page's main thread over the keystroke (Chromium's ThreadTime metric), which
    the machine's load does not inflate."""
    metrics = page.context.new_cdp_session(page)
    metrics.send("Performance.enable")

    def thread_time_ms() -> float:
        found = metrics.send("Performance.getMetrics")["metrics"]
        return next(m["value"] for m in found if m["name"] == "ThreadTime") * 1000

    times = []
    for pattern in TYPED:
        for text in [pattern[:end] for end in range(1, len(pattern) + 1)] + [""]:
            before = thread_time_ms()
            handled, framed = page.evaluate(_TIME_KEYSTROKE, text)
            times.append([handled, framed, thread_time_ms() - before])
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="times the page is opened and every pattern typed")
    options = parser.parse_args()
    started = time.process_time()
    url = build_store()
    print(f"store: {FOLDERS * PER_FOLDER:,} runs x {len(TAGS)} tags x {STEPS:,} steps "
          f"({time.process_time() - started:.1f} s CPU to build or find)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        served = Serve("--store", url)
        drawn, strokes = [], []
        for _ in range(options.rounds):
            drawn.append(first_charts_ms(browser, served.url, len(TAGS) // 2))
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(served.url)
            page.wait_for_function("() => document.querySelector('#run-list').dataset.shown === '1000'"
                                   " && [...document.querySelectorAll('article.card')].every(c => c.dataset.total)",
                                   timeout=60_000)  # the charts drawn: typing starts on a quiet page
            strokes += keystroke_ms(page)
            page.close()
        served.stop()
        browser.close()
    print(f"first charts drawn (20 runs of 1,000 selected): p50 {statistics.median(drawn):.0f} ms")
    handled, framed, cpu = ([s[i] for s in strokes] for i in range(3))
    print(f"run filter, {len(strokes)} keystrokes over 1,000 runs in {FOLDERS} folders, input to next frame: "
          f"p50 {statistics.median(framed):.1f} ms, p90 {statistics.quantiles(framed, n=10)[-1]:.1f} ms, "
          f"max {max(framed):.1f} ms; the page's script alone p50 {statistics.median(handled):.1f} ms")
    print(f"  main-thread CPU a keystroke: p50 {statistics.median(cpu):.1f} ms, p90 {statistics.quantiles(cpu, n=10)[-1]:.1f} ms, "
          f"max {max(cpu):.1f} ms")
    print(f"load average {os.getloadavg()[0]:.1f} (1 min), {os.getloadavg()[1]:.1f} (5 min)")


if __name__ == "__main__":
    main()
