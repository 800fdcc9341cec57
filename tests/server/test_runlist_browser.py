"""The run list in a real Chromium: runs grouped by the folder they sit in, sorted naturally
within it, a folder folded away and a folder selected or deselected with one box."""

from __future__ import annotations

from pathlib import Path

import pytest

from lossboard import SummaryWriter
from tests.server.test_browser import shoot

pytestmark = pytest.mark.browser

RUNS = ["projA/run1", "projA/run2", "projA/run10", "projB/run1", "projB/run3"]


def write_runs(logs: Path) -> None:
    for index, run in enumerate(RUNS):
        with SummaryWriter(logs / run) as writer:
            for step in range(5):
                writer.add_scalar("train/loss", (index + 1) / (step + 1), step)


def group(page, name: str):
    """The header row of the folder ``name``."""
    return page.locator("#run-list .run-group", has=page.locator(".group-name", has_text=name))


def runs_in(page, name: str):
    """The rows of the runs in the folder ``name``."""
    return page.locator(f"#run-list li.run[data-folder$='/{name}'] .run-name")


def test_runs_are_grouped_by_folder_naturally_sorted_and_selected_a_folder_at_a_time(serve, page, tmp_path: Path) -> None:
    write_runs(tmp_path / "logs")
    served = serve(str(tmp_path / "logs"))
    page.goto(served.url + "?x=step")
    page.wait_for_function("() => document.querySelector('article.card')?.dataset.total == 25")  # 5 runs x 5 steps
    assert page.locator("#run-list .group-name").all_text_contents() == ["projA", "projB"]
    assert runs_in(page, "projA").all_text_contents() == ["projA/run1", "projA/run2", "projA/run10"]
    assert group(page, "projB").locator(".group-count").inner_text() == "2 of 2"
    legend = page.locator("article.card .u-legend .u-label").all_text_contents()[1:]  # after the x axis's
    assert legend == [f"{run}: train/loss" for run in RUNS]  # the chart's order is the list's

    group(page, "projB").locator("input").uncheck()
    page.wait_for_function("() => document.querySelector('article.card').dataset.total == 15")
    assert page.locator("#run-list li.run input:checked").count() == 3
    assert "run=projA%2Frun1" in page.url and "projB" not in page.url
    assert group(page, "projB").locator(".group-count").inner_text() == "0 of 2"

    page.fill("#run-filter", "run1$")  # the folder's box then acts on the runs shown only
    page.wait_for_url(lambda url: "runs=run1%24" in url)  # once typing pauses, the filter is in the link
    assert runs_in(page, "projA").all_text_contents() == ["projA/run1"]
    group(page, "projB").locator("input").check()
    page.wait_for_function("() => document.querySelector('article.card').dataset.total == 20")
    assert "projB%2Frun1" in page.url and "projB%2Frun3" not in page.url

    page.fill("#run-filter", "")
    header = group(page, "projA").locator("input")
    assert header.evaluate("box => box.indeterminate") is False and header.is_checked()
    assert group(page, "projB").locator("input").evaluate("box => box.indeterminate") is True
    shoot(page, "run-groups")
    group(page, "projA").locator(".fold").click()
    assert runs_in(page, "projA").count() == 0
    assert runs_in(page, "projB").count() == 2
    group(page, "projA").locator(".fold").click()
    assert runs_in(page, "projA").count() == 3
    assert page.errors == []


def store_of_many_runs(url: str, count: int) -> None:
    """``count`` runs of one 3-point series, ``sweep/run-0`` ... (written straight into the store:
    what is tested is the list, not the reading of logs)."""
    import numpy as np

    from lossboard.model import Columns
    from lossboard.store.base import Batch, SourceState
    from lossboard.store.sqlite import SQLiteStore

    with SQLiteStore(url) as store:
        for index in range(count):
            name = f"sweep/run-{index}"
            source = SourceState(f"/runs/{name}/events", f"/runs/{name}", "lossboard-events", 0, 0, 0, 0, 0, run_name=name)
            step = np.arange(3, dtype=np.int64)
            store.apply(Batch(source=source, columns=[Columns("train/loss", "loss", step, 1.0 / (1 + step + index))]))


def test_a_long_run_list_keeps_only_the_rows_in_view_in_the_page(serve, page, tmp_path: Path) -> None:
    url = "sqlite://" + str(tmp_path / "many.sqlite")
    store_of_many_runs(url, 300)
    served = serve("--store", url)
    page.goto(served.url + "?x=step")
    page.wait_for_function("() => document.querySelector('#run-list').dataset.shown === '300'")
    assert page.locator("#run-note").inner_text().startswith("300 runs: the 20 updated last are drawn")
    assert len(page.url.split("run=")) - 1 == 20
    in_page = page.locator("#run-list li.run").count()
    assert 0 < in_page < 60  # a screenful and some to spare, not 300
    assert page.locator("#run-list .run-name").first.inner_text() == "sweep/run-0"
    page.locator("aside.runs").evaluate("list => list.scrollTo(0, list.scrollHeight)")
    page.wait_for_function("() => [...document.querySelectorAll('#run-list .run-name')].some(n => n.textContent === 'sweep/run-299')")
    assert page.locator("#run-list li.run").count() < 60
    page.fill("#run-filter", "run-29[0-9]$")
    page.wait_for_function("() => document.querySelector('#run-list').dataset.shown === '10'")
    assert page.locator("#run-list .run-name").all_text_contents() == [f"sweep/run-{i}" for i in range(290, 300)]
    assert page.errors == []
