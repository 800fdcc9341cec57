"""``lossboard report``: one HTML file that opens in Chromium with no network and draws the
charts and media of the runs, from data inlined and downsampled to the stated size.

Expected values are read from the logs: the example's ``Epoch[99] Validation-accuracy=0.617909``,
and the media run the test writes (test_media_api.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from lossboard.cli import main
from tests.server.conftest import EXAMPLE
from tests.server.test_browser import card, inked_pixels, shoot
from tests.server.test_media_api import STEPS, write_media_run


def report(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["report", *args])
    return result.exit_code, result.output


def inlined(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="lossboard-report">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found.group(1))


@pytest.fixture
def report_file(tmp_path: Path) -> Path:
    write_media_run(tmp_path / "logs" / "run1")
    out = tmp_path / "report.html"
    status, output = report(str(EXAMPLE), str(tmp_path / "logs"), "-o", str(out), "--points", "50")
    assert status == 0, output
    assert output.startswith(f"wrote {out}: 2 runs")
    return out


def test_the_report_inlines_downsampled_series_and_every_media_step(report_file: Path) -> None:
    html = report_file.read_text()
    data = inlined(html)
    assert sorted(run["name"] for run in data["runs"]) == ["alexnet-imagenet", "run1"]
    assert data["width"] == 50
    for series in data["series"]:
        assert len(series["value"]) <= 4 * 50
    batch = max(data["series"], key=lambda series: series["total_points"])
    assert batch["total_points"] > 4 * 50 > len(batch["step"])  # the badge says "N of total"
    val = next(s for s in data["series"] if s["run"] == "alexnet-imagenet" and s["source_tag"] == "Validation-accuracy")
    assert val["value"][val["epoch"].index(99.0)] == 0.617909  # Epoch[99] Validation-accuracy=0.617909
    images = [key for key in data["images"] if key.startswith("run1\0samples/input\0")]
    assert len(images) == len(STEPS) and all(data["images"][key].startswith("data:image/png;base64,") for key in images)
    assert [r["step"] for r in data["records"]["run1\0weights/fc"]] == STEPS
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)  # nothing to fetch from elsewhere
    assert 'src="app.js"' not in html and 'href="app.css"' not in html


@pytest.mark.browser
def test_the_report_opens_offline_and_draws_charts_and_media(report_file: Path, browser) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 2100}, offline=True)  # all of it: one screenshot
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(report_file.as_uri())
        page.wait_for_function(
            "() => { const cards = document.querySelectorAll('article.card[data-group]');"
            " return cards.length > 0 && [...cards].every(card => card.dataset.total !== undefined)"
            " && document.querySelector('.histogram-card[data-drawn]')"
            " && document.querySelector('.image-card img')?.complete; }"
        )
        assert inked_pixels(page, "Accuracy") > 2000
        assert int(card(page, "Accuracy").get_attribute("data-shown")) > 0
        assert page.locator(".image-card img").evaluate("img => img.naturalWidth") == 8
        slider = page.locator(".image-card input[type=range]")
        slider.fill("0")
        assert page.locator(".image-card output").inner_text() == f"step 0 (1 of {len(STEPS)})"
        assert page.locator(".text-card pre").inner_text() == "step 40 <b>bold</b>"
        assert page.locator("#live-status").inner_text().startswith("report of ")
        assert page.locator("#smoothing").is_disabled()
        details = page.locator("#run-list .run-detail").all_text_contents()  # the two runs' folders: in folder order
        assert sorted(details) == ["step 1,099,000", "step 40"]  # grep "Batch"
        assert page.locator("#run-list .status").all_text_contents() == ["", ""]  # not "running": a snapshot
        assert requested and [url for url in requested if not url.startswith(("file:", "data:"))] == []
        assert errors == []
        shoot(page, "report")
    finally:
        context.close()


def test_the_report_holds_a_finer_level_of_each_downsampled_series(report_file: Path) -> None:
    data = inlined(report_file.read_text())
    coarse = {(s["run"], s["tag"], s["source_tag"]): s for s in data["series"]}
    finer = {(s["run"], s["tag"], s["source_tag"]): s for s in data["finer"]}
    assert set(finer) == {key for key, s in coarse.items() if s["total_points"] > len(s["step"])} != set()
    for key, s in finer.items():
        assert len(coarse[key]["step"]) < len(s["step"]) <= 4 * 4 * 50 and s["total_points"] == coarse[key]["total_points"]


def test_the_finer_levels_stay_within_their_budget(example_url: str) -> None:
    from lossboard.server import api
    from lossboard.server.report import _finer
    from lossboard.store.sqlite import SQLiteStore

    with SQLiteStore(example_url, create=False) as store:
        tags = sorted({t["tag"] for t in api.tags(store, ["alexnet-imagenet"])["tags"]})
        overview = api.series(store, run_names=["alexnet-imagenet"], tag_names=tags, width=50)
        every = _finer(store, overview, 200, budget=10**9)
        assert len(every) >= 2 and _finer(store, overview, 200, budget=0) == []
        first = len(every[0]["step"])
        assert [s["source_tag"] for s in _finer(store, overview, 200, budget=first)] == [every[0]["source_tag"]]


@pytest.mark.browser
def test_a_zoom_in_the_report_draws_the_finer_level(report_file: Path, browser) -> None:
    """Zoomed to epochs 40-60, the batch lines show more points than the overview held there,
    and the badge says the range's count is estimated from the sample."""
    data = inlined(report_file.read_text())
    context = browser.new_context(viewport={"width": 1400, "height": 900}, offline=True)
    page = context.new_page()
    try:
        page.goto(report_file.as_uri() + "?run=alexnet-imagenet&zoom=accuracy:40:60")
        page.wait_for_function("() => document.querySelector('article.card.zoomed')?.dataset.total !== undefined")
        accuracy = card(page, "Accuracy")
        in_range = sum(40 <= e <= 60 for s in data["series"] if s["run"] == "alexnet-imagenet" and s["tag"].endswith("accuracy")
                       for e in s["epoch"] if e is not None)
        assert int(accuracy.get_attribute("data-shown")) > in_range
        assert " of about " in accuracy.locator(".badge").inner_text()
    finally:
        context.close()


def test_report_without_paths_or_store_says_what_to_give(tmp_path: Path) -> None:
    status, output = report("-o", str(tmp_path / "r.html"))
    assert status == 1 and "give the PATHS of logs to report on, or --store URL" in output


def test_report_on_a_missing_path_names_it(tmp_path: Path) -> None:
    status, output = report(str(tmp_path / "nope"), "-o", str(tmp_path / "r.html"))
    assert status == 1 and "nope" in output and not (tmp_path / "r.html").exists()


def test_report_from_a_store_takes_run_regexes(example_url: str, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    status, output = report("--store", example_url, "alexnet", "-o", str(out))
    assert status == 0, output
    assert [run["name"] for run in inlined(out.read_text())["runs"]] == ["alexnet-imagenet"]
    status, output = report("--store", example_url, "^nothing$", "-o", str(out))
    assert status == 1 and "no runs found in" in output
