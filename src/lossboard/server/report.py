"""``lossboard report``: the dashboard as one HTML file that works offline, data inlined.

The page is the served one (static/index.html, app.js and app.css inlined): its API client
finds the answers in the file instead of asking a server (frontend/src/report.js). The answers
are those of `lossboard.server.api`, computed once here for every run: each series M4-
downsampled to ``width`` buckets (at most ``4 * width`` points, extremes kept), and a second,
finer level (``FINER`` times the buckets) of the series that were downsampled, as long as the finer
levels stay within ``FINER_BUDGET`` points in all: a zoom draws from it, so it shows 4x the
detail the overview does, and its badge says how many points the range held. Histograms
and text at every step, images and sounds as ``data:`` URIs at up to ``max_images`` steps a tag
(evenly spread, first and last kept). Smoothing needs every point, so a report has none.

    >>> html = render_report(store, ["resnet-1"], width=1000)  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

from lossboard.server import api
from lossboard.server.app import STATIC
from lossboard.server.media import FILE_KINDS, MediaMissing
from lossboard.store.base import Store

WIDTH = 1000  # buckets a series keeps: at most 4,000 points, about as many pixels as a wide chart has
MAX_IMAGES = 50  # steps a tag's images are inlined at
FINER = 4  # a zoom draws from a level with this many times the overview's buckets
# points the finer levels may add in all: about 10 MB of inlined JSON (50-60 bytes a point with
# wall times), a dozen series' worth of 16,000 points at the default 1,000 buckets
FINER_BUDGET = 200_000
_STYLESHEET = re.compile(r'<link rel="stylesheet" href="app\.css">')
_SCRIPT = re.compile(r'<script type="module" src="app\.js"></script>')


def render_report(store: Store, run_names: Sequence[str], *, width: int = WIDTH, max_images: int = MAX_IMAGES,
                  now: float | None = None) -> str:
    """The HTML of a report on ``run_names`` of ``store``."""
    return _page(_data(store, run_names, width=width, max_images=max_images,
                       now=time.time() if now is None else now))


def _data(store: Store, run_names: Sequence[str], *, width: int, max_images: int, now: float) -> dict[str, Any]:
    wanted = set(run_names)
    # a snapshot: "running" or "updated 2 s ago" would be wrong when read; keep what the run itself recorded
    runs = [{**run, "status": run["recorded_status"], "updated": None}
            for run in api.runs(store, now=now) if run["name"] in wanted]
    names = [run["name"] for run in runs]
    tags = api.tags(store, names)
    series = api.series(store, run_names=names, tag_names=sorted({t["tag"] for t in tags["tags"]}), width=width,
                        ends=True)
    finer = _finer(store, series, width * FINER, FINER_BUDGET)
    media = api.media(store, names)
    records: dict[str, list[dict[str, Any]]] = {}
    images: dict[str, str] = {}
    for item in media:
        if item["kind"] in FILE_KINDS:
            item["steps"] = _spread(item["steps"], max_images)
            for step in item["steps"]:
                images[f"{item['run']}\0{item['tag']}\0{step}"] = _data_uri(store, item["run"], item["tag"], step)
        elif item["kind"] in ("histogram", "text", "pr_curve"):
            records[f"{item['run']}\0{item['tag']}"] = api.media_records(store, item["run"], item["tag"])
    return {"generated": now, "width": width, "runs": runs, "tags": tags, "series": series, "finer": finer,
            "events": api.events(store, names), "media": media, "records": records, "images": images,
            "hparams": api.hparams(store, names)}


def _finer(store: Store, series: list[dict[str, Any]], width: int, budget: int) -> list[dict[str, Any]]:
    """The series the overview downsampled, again at ``width`` buckets, in chart order while
    they fit in ``budget`` points (one that does not fit is left to its overview)."""
    finer = []
    for coarse in series:
        if coarse["total_points"] <= len(coarse["step"]):
            continue  # every point is in the overview already
        (again,) = [found for found in api.series(store, run_names=[coarse["run"]], tag_names=[coarse["tag"]],
                                                  width=width, ends=True)
                    if found["source_tag"] == coarse["source_tag"]]
        if len(again["step"]) <= budget:
            budget -= len(again["step"])
            finer.append(again)
    return finer


def _spread(steps: list[int], count: int) -> list[int]:
    """``count`` of ``steps``, evenly spread, the first and the last among them."""
    if len(steps) <= count:
        return steps
    return [steps[i] for i in sorted(set(np.linspace(0, len(steps) - 1, count).round().astype(int).tolist()))]


def _data_uri(store: Store, run: str, tag: str, step: int) -> str:
    try:
        data, content_type = api.media_file(store, run, tag, step)
    except MediaMissing:
        return ""  # the page shows the card without the picture or sound; the rest of the report stands
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"


def _page(data: dict[str, Any]) -> str:
    """The served page with its script, style and ``data`` inlined; nothing loads from elsewhere."""
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    style = (STATIC / "app.css").read_text(encoding="utf-8")
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    # "</" ends a <script> or <style> element early wherever it appears; "<\/" means the same to JS and JSON
    inline = orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY).decode("utf-8").replace("</", "<\\/")
    script = script.replace("</script", "<\\/script")
    style = style.replace("</style", "<\\/style")
    page, styles = _STYLESHEET.subn(lambda _: f"<style>{style}</style>", page, count=1)
    page, scripts = _SCRIPT.subn(lambda _: f'<script type="application/json" id="lossboard-report">{inline}</script>\n'
                                           f'  <script type="module">{script}</script>', page, count=1)
    if (styles, scripts) != (1, 1):  # a report that loads app.js from beside it would open blank when mailed
        raise RuntimeError(f"{STATIC / 'index.html'} no longer links app.css and app.js as report.py expects")
    return page.replace("<title>lossboard</title>", "<title>lossboard report</title>", 1)
