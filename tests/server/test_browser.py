"""The dashboard in a real Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Each test starts ``lossboard serve`` as a user would and looks at the page the way a user
does: charts drawn, smoothing changing the curve, a zoom bringing detail, a point logged by
another process arriving, hostile names shown as text, a token required off the loopback.
Screenshots of the main views go to build/screenshots/ ($LOSSBOARD_SCREENSHOTS to change it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server.conftest import EXAMPLE

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(os.environ.get("LOSSBOARD_SCREENSHOTS") or Path(__file__).parents[2] / "build" / "screenshots")
XSS = "<img src=x onerror=alert(1)>"


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def open_drawn(page, url: str) -> None:
    """Open the page and wait until every chart card has drawn its data."""
    page.goto(url)
    page.wait_for_function(
        "() => { const cards = document.querySelectorAll('article.card');"
        " return cards.length > 0 && [...cards].every(card => card.dataset.total !== undefined); }"
    )


def card(page, title: str):
    return page.locator("article.card", has=page.locator("h2", has_text=title))


def inked_pixels(page, title: str) -> int:
    """How many pixels of the chart's canvas are drawn on: zero for an empty chart."""
    return card(page, title).locator("canvas").evaluate(
        """canvas => {
            const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            let inked = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked++;
            return inked;
        }"""
    )


def canvas_image(page, title: str) -> str:
    return card(page, title).locator("canvas").evaluate("canvas => canvas.toDataURL()")


def write_run(logdir: Path, tag: str, values: list[float], *, first_step: int = 0) -> None:
    """Log ``values`` at consecutive steps with lossboard's SummaryWriter, in a process of its own."""
    code = (
        "import sys, json\n"
        "from lossboard import SummaryWriter\n"
        "logdir, tag, first, values = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.load(sys.stdin)\n"
        "with SummaryWriter(logdir) as writer:\n"
        "    for i, value in enumerate(values):\n"
        "        writer.add_scalar(tag, value, first + i)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(logdir), tag, str(first_step)], input=json.dumps(values),
                   text=True, check=True, timeout=120)


def test_the_example_run_draws_its_charts(serve, page) -> None:
    served = serve(str(EXAMPLE))
    open_drawn(page, served.url)
    titles = page.locator("article.card h2").all_text_contents()
    assert titles[:4] == ["Accuracy", "Loss", "Learning rate", "Throughput"]  # lr=0.01, 0.001, 0.0001 in the Namespace lines
    assert page.locator("#run-list .run-name").all_text_contents() == ["alexnet-imagenet"]
    for title in ("Accuracy", "Loss"):
        assert inked_pixels(page, title) > 2000
    legend = card(page, "Accuracy").locator(".u-legend").inner_text()
    assert "val/accuracy" in legend and "train/top_k_accuracy_5" in legend
    box = card(page, "Accuracy").locator(".u-over").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.999, box["y"] + box["height"] / 2)  # the last epoch
    hover = card(page, "Accuracy").locator(".u-legend").inner_text()
    assert "0.617909 @ step 99 · epoch 99" in hover  # Epoch[99] Validation-accuracy=0.617909
    assert page.errors == []
    shoot(page, "dashboard")


def test_the_learning_rate_holds_until_the_run_ends(serve, page) -> None:
    # the example's last rate is set at epoch 85 (step 935,000) and the run trains on to epoch 99:
    # its chart draws that rate on to where the loss chart ends, on either axis
    served = serve(str(EXAMPLE))
    open_drawn(page, served.url)
    end_of = lambda title: float(card(page, title).get_attribute("data-x-end"))  # noqa: E731
    assert page.locator("#x-axis").input_value() == "epoch"  # every series has epochs
    assert end_of("Learning rate") == end_of("Loss") > 99  # Epoch[99]'s batches
    with page.expect_response(lambda r: "api/series" in r.url and "x=step" in r.url and "ends=1" in r.url):
        page.select_option("#x-axis", "step")
    page.wait_for_function(
        "() => ['lr', 'loss'].every(key => document.querySelector(`article.card[data-group=${key}]`).dataset.xEnd > 1000)"
    )
    assert end_of("Learning rate") == end_of("Loss") == 1_099_000  # Epoch[99] Batch [10000]
    box = card(page, "Learning rate").locator(".u-over").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.999, box["y"] + box["height"] / 2)  # the run's end
    assert "0.0001 @ step 935,000 · epoch 85" in card(page, "Learning rate").locator(".u-legend").inner_text()
    assert page.errors == []


def test_smoothing_changes_the_drawn_path_and_keeps_the_raw_one(serve, page) -> None:
    served = serve(str(EXAMPLE))
    open_drawn(page, served.url)
    before = canvas_image(page, "Loss")
    with page.expect_response(lambda r: "api/series" in r.url and "smoothing=ema" in r.url):
        page.select_option("#smoothing", "ema")
    card(page, "Loss").locator(".u-legend .u-series[hidden]").first.wait_for(state="attached")  # redrawn
    assert canvas_image(page, "Loss") != before
    raw_rows = card(page, "Loss").locator(".u-legend .u-series[hidden]").all_text_contents()
    assert any("(raw)" in row for row in raw_rows)  # drawn faint, named once by its smoothed line
    assert "smoothing=ema" in page.url  # the view is in the URL
    shoot(page, "smoothing")


def test_time_weighted_smoothing_takes_a_half_life_in_steps(serve, page) -> None:
    """The first half-life is a 50th of the run's 1,099,000 steps, rounded down to 2 x 10^4."""
    served = serve(str(EXAMPLE))
    open_drawn(page, served.url)
    assert not page.locator("#half-life").is_visible()
    with page.expect_response(lambda r: "smoothing=time_ema" in r.url and "window=20000" in r.url):
        page.select_option("#smoothing", "time_ema")
    assert page.locator("#half-life").input_value() == "20000" and not page.locator("#weight").is_visible()
    assert "half_life=20000" in page.url
    before = canvas_image(page, "Loss")
    with page.expect_response(lambda r: "smoothing=time_ema" in r.url and "window=2&" in r.url + "&"):
        page.fill("#half-life", "2")
        page.locator("#half-life").dispatch_event("change")
    page.wait_for_function(
        """before => [...document.querySelectorAll("article.card")]
            .find(card => card.querySelector("h2").textContent === "Loss")
            .querySelector("canvas").toDataURL() !== before""",
        arg=before,
    )
    assert "half_life=2" in page.url
    page.reload()
    page.wait_for_function("() => document.querySelector('#half-life').value === '2'")


def test_zoom_fetches_more_points_and_the_badge_changes(serve, page, tmp_path: Path) -> None:
    count = 50_000
    write_run(tmp_path / "logs" / "long", "train/loss", [((i * 7919) % 1000) / 1000 + 1 / (1 + i / 5000) for i in range(count)])
    served = serve(str(tmp_path / "logs"))
    page.goto(served.url + "?x=step")
    badge = card(page, "Loss").locator(".badge")
    badge.wait_for()
    assert badge.inner_text().endswith(f"of {count:,} points")
    shown_before = int(card(page, "Loss").get_attribute("data-shown"))
    box = card(page, "Loss").locator(".u-over").bounding_box()
    with page.expect_response(lambda r: "api/series" in r.url and "from=" in r.url):
        page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
    page.wait_for_function(f"() => document.querySelector('article.card.zoomed')?.dataset.total < {count}")
    zoomed = card(page, "Loss")
    total, shown = int(zoomed.get_attribute("data-total")), int(zoomed.get_attribute("data-shown"))
    assert 0 < total < count / 10
    assert shown / total > shown_before / count  # more detail per step than before
    assert badge.inner_text() != f"{shown_before:,} of {count:,} points"
    shoot(page, "zoomed")
    assert "zoom=loss%3A" in page.url  # a copied link reopens the zoom
    page.reload()
    page.wait_for_function(f"() => document.querySelector('article.card.zoomed')?.dataset.total == {total}")
    with page.expect_response(lambda r: "api/series" in r.url and "from=" not in r.url):
        card(page, "Loss").locator(".u-over").dblclick()
    page.wait_for_function(f"() => document.querySelector('article.card').dataset.total == {count}")


def test_a_point_logged_by_another_process_appears_within_2_s(serve, page, tmp_path: Path) -> None:
    run = tmp_path / "logs" / "live"
    write_run(run, "train/loss", [1.0, 0.9, 0.8])
    served = serve(str(tmp_path / "logs"), "--interval-s", "0.2")
    page.goto(served.url + "?x=step")
    page.wait_for_function("() => document.querySelector('article.card')?.dataset.total == 3")
    write_run(run, "train/loss", [0.5], first_step=3)  # returns once the writer has closed its file
    page.wait_for_function("() => document.querySelector('article.card').dataset.total == 4", timeout=2000)


def test_a_held_learning_rate_follows_a_live_run_to_its_new_end(serve, page, tmp_path: Path) -> None:
    run = tmp_path / "logs" / "live"
    write_run(run, "lr", [0.1])  # set once, at step 0
    write_run(run, "train/loss", [1.0, 0.9, 0.8])
    served = serve(str(tmp_path / "logs"), "--interval-s", "0.2")
    page.goto(served.url + "?x=step")
    lr_end = "document.querySelector('article.card[data-group=\"lr\"]')?.dataset.xEnd"
    page.wait_for_function(f"() => {lr_end} == 2")
    write_run(run, "train/loss", [0.5, 0.4], first_step=3)  # the rate is not logged again
    page.wait_for_function(f"() => {lr_end} == 4", timeout=5000)


def test_hostile_names_render_as_text(serve, page, tmp_path: Path) -> None:
    write_run(tmp_path / "logs" / "<b onmouseover=alert(2)>run", XSS, [1.0, 2.0])
    served = serve(str(tmp_path / "logs"))
    open_drawn(page, served.url)
    assert page.locator("#run-list .run-name").all_text_contents() == ["<b onmouseover=alert(2)>run"]
    assert XSS in card(page, "").first.inner_text() + page.locator("body").inner_text()
    assert page.locator("img").count() == 0 and page.locator("#run-list b").count() == 0
    page.locator("#run-list .run-name").hover()
    assert page.dialogs == []
    svg = downloaded_svg(page, page.locator("article.card").first)
    assert XSS in ["".join(t.itertext()) for t in svg.iter(SVG + "text")]  # the legend names the tag, as text
    assert not list(svg.iter(SVG + "img")) and not list(svg.iter("img"))


def test_a_non_loopback_bind_without_the_token_answers_403(serve, page) -> None:
    served = serve(str(EXAMPLE), "--host", "0.0.0.0")
    local = served.url.replace("0.0.0.0", "127.0.0.1")
    bare = page.goto(local.split("?")[0])
    assert bare.status == 403 and "needs its token" in page.locator("body").inner_text()
    assert page.goto(local).status == 200
    page.wait_for_selector("article.card canvas")  # its own requests carry the token's cookie
    page.wait_for_function("() => document.querySelector('#live-status').textContent === 'live'")  # the feed too


def test_a_chart_downloads_the_points_it_shows_as_csv(serve, page) -> None:
    served = serve(str(EXAMPLE))
    open_drawn(page, served.url)
    accuracy = card(page, "Accuracy")
    with page.expect_download() as download:
        accuracy.get_by_role("button", name="CSV").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0] == "run,tag,source_tag,step,epoch,wall_time,value,smoothed"
    assert len(lines) - 1 == int(accuracy.get_attribute("data-shown"))
    assert "alexnet-imagenet,val/accuracy,Validation-accuracy,99,99,,0.617909," in lines


def test_a_chart_against_steps_downloads_its_wall_times_too(serve, page, tmp_path: Path) -> None:
    """The chart reads no wall times against steps (it does not draw them); its CSV still has them."""
    write_run(tmp_path / "logs" / "timed", "loss", [0.9, 0.7, 0.5])
    served = serve(str(tmp_path / "logs"))
    page.goto(served.url + "?x=step")
    page.wait_for_function("() => document.querySelector('article.card')?.dataset.total !== undefined")
    with page.expect_download() as download:
        page.locator("article.card").first.get_by_role("button", name="CSV").click()
    rows = [line.split(",") for line in Path(download.value.path()).read_text().splitlines()[1:]]
    assert [row[3] for row in rows] == ["0", "1", "2"]
    assert all(float(row[5]) > 1.7e9 for row in rows)  # the writer's wall times, seconds since 1970


def downloaded_svg(page, chart):
    """The chart's SVG download, parsed (a name that escaped badly would not parse)."""
    from xml.etree import ElementTree

    with page.expect_download() as download:
        chart.get_by_role("button", name="SVG").click()
    assert download.value.suggested_filename.endswith(".svg")
    return ElementTree.parse(download.value.path()).getroot()


SVG = "{http://www.w3.org/2000/svg}"


def test_a_chart_downloads_as_svg_with_its_lines_axes_and_legend(serve, page) -> None:
    """The y ticks place the validation line's last point at 0.617909 (Epoch[99] Validation-accuracy)."""
    served = serve(str(EXAMPLE))
    open_drawn(page, served.url)
    accuracy = card(page, "Accuracy")
    svg = downloaded_svg(page, accuracy)
    texts = ["".join(t.itertext()) for t in svg.iter(SVG + "text")]
    assert texts[0] == "Accuracy" and "epoch" in texts
    legend = accuracy.locator(".u-legend .u-series:not([hidden]) .u-label").all_text_contents()[1:]  # after the x axis
    assert [t for t in texts if t in legend] == legend and "val/accuracy" in legend
    lines = {path.get("data-label"): path for path in svg.iter(SVG + "path")}
    assert set(lines) == set(legend)
    ticks = [(float(t.get("y")) - 4, float(t.text)) for t in svg.iter(SVG + "text") if t.get("class") == "tick-y"]
    (y0, v0), (y1, v1) = ticks[0], ticks[-1]
    last_y = float(lines["val/accuracy"].get("d").rsplit("L", 1)[1].split()[1])
    assert v0 + (last_y - y0) * (v1 - v0) / (y1 - y0) == pytest.approx(0.617909, abs=(v1 - v0) / abs(y1 - y0))  # a pixel
    assert lines["val/accuracy"].get("stroke-dasharray") == "6 4" and lines["train/accuracy"].get("stroke-dasharray") is None


def test_ignoring_outliers_rescales_the_y_axis(serve, page) -> None:
    """The loss starts at 4.1 (Epoch[0] Train-cross-entropy=4.107250) and settles near 1."""
    served = serve(str(EXAMPLE))
    open_drawn(page, served.url)
    before = canvas_image(page, "Loss")
    page.check("#clip-y")
    assert "clip=1" in page.url
    page.wait_for_function(  # redrawn with another y range: fails after the default 30 s otherwise
        """before => [...document.querySelectorAll("article.card")]
            .find(card => card.querySelector("h2").textContent === "Loss")
            .querySelector("canvas").toDataURL() !== before""",
        arg=before,
    )


def test_two_series_under_one_label_are_drawn_and_named_apart(serve, page, tmp_path: Path) -> None:
    from lossboard import SummaryWriter

    with SummaryWriter(tmp_path / "logs" / "twin") as writer:
        for step in range(10):
            writer.add_scalar("Loss/train", 1.0 - step / 10, step)
            writer.add_scalar("train_loss", 2.0 - step / 10, step)
    served = serve(str(tmp_path / "logs"))
    page.goto(served.url + "?x=step")
    page.wait_for_function("() => document.querySelector('article.card')?.dataset.total !== undefined")
    legend = page.locator("article.card .u-legend").inner_text()
    assert "train/loss (Loss/train)" in legend and "train/loss (train_loss)" in legend
