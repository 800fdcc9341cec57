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
    return page.locator("#run-list .run-group", has=page.locator(".group-name", has_text=name))


def test_runs_are_grouped_by_folder_naturally_sorted_and_selected_a_folder_at_a_time(serve, page, tmp_path: Path) -> None:
    write_runs(tmp_path / "logs")
    served = serve(str(tmp_path / "logs"))
    page.goto(served.url + "?x=step")
    page.wait_for_function("() => document.querySelector('article.card')?.dataset.total == 25")  # 5 runs x 5 steps
    assert page.locator("#run-list .group-name").all_text_contents() == ["projA", "projB"]
    assert group(page, "projA").locator(".run-name").all_text_contents() == ["projA/run1", "projA/run2", "projA/run10"]
    assert group(page, "projB").locator(".group-count").inner_text() == "2 of 2"
    legend = page.locator("article.card .u-legend .u-label").all_text_contents()[1:]  # after the x axis's
    assert legend == [f"{run}: train/loss" for run in RUNS]  # the chart's order is the list's

    group(page, "projB").locator(".group-header input").uncheck()
    page.wait_for_function("() => document.querySelector('article.card').dataset.total == 15")
    assert page.locator("#run-list li.run input:checked").count() == 3
    assert "run=projA%2Frun1" in page.url and "projB" not in page.url
    assert group(page, "projB").locator(".group-count").inner_text() == "0 of 2"

    page.fill("#run-filter", "run1$")  # the folder's box then acts on the runs shown only
    page.wait_for_url(lambda url: "runs=run1%24" in url)  # once typing pauses, the filter is in the link
    assert group(page, "projA").locator(".run-name:visible").all_text_contents() == ["projA/run1"]
    group(page, "projB").locator(".group-header input").check()
    page.wait_for_function("() => document.querySelector('article.card').dataset.total == 20")
    assert "projB%2Frun1" in page.url and "projB%2Frun3" not in page.url

    page.fill("#run-filter", "")
    header = group(page, "projA").locator(".group-header input")
    assert header.evaluate("box => box.indeterminate") is False and header.is_checked()
    assert group(page, "projB").locator(".group-header input").evaluate("box => box.indeterminate") is True
    shoot(page, "run-groups")
    group(page, "projA").locator(".fold").click()
    assert group(page, "projA").locator(".run-name:visible").count() == 0
    assert group(page, "projB").locator(".run-name:visible").count() == 2
    group(page, "projA").locator(".fold").click()
    assert group(page, "projA").locator(".run-name:visible").count() == 3
    assert page.errors == []
