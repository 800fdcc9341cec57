"""The media views in a real Chromium: an image slider moving through every logged step,
histograms drawn over steps in both views, PR curves and text per step shown as text, and the hparams table
sorting and selecting runs. Runs are written by the real `SummaryWriter` (test_media_api.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lossboard import SummaryWriter
from tests.server.test_browser import shoot
from tests.server.test_media_api import AUDIO_RATE, STEPS, write_audio, write_media_run

pytestmark = pytest.mark.browser


def media_logs(tmp_path: Path) -> Path:
    logs = tmp_path / "logs"
    write_media_run(logs / "run1")
    rows, columns = np.mgrid[0:64, 0:64] / 63.0
    with SummaryWriter(logs / "run2") as writer:  # a second run: a better accuracy, a larger lr
        for step in STEPS:
            writer.add_scalar("train/loss", 2 / (1 + step), step)
            ring = np.exp(-((np.hypot(rows - 0.5, columns - 0.5) - step / 100) ** 2) / 0.005)
            writer.add_image("samples/generated", np.stack([ring, rows * (1 - ring), columns * 0.6]), step)
        for step in range(0, 200, 10):  # weights that spread and drift as training goes
            writer.add_histogram("weights/conv", np.random.default_rng(step).normal(step / 100, 0.2 + step / 200, 2000), step)
        write_audio(writer)
        writer.add_hparams({"lr": 0.5, "optimizer": "adam"}, {"hparam/accuracy": 0.95})
    return logs


def media_card(page, kind: str, tag: str):
    return page.locator(f".{kind}-card", has=page.locator("h2", has_text=tag))


def open_media(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("() => document.querySelectorAll('.histogram-card[data-drawn]').length > 0"
                           " && document.querySelector('.image-card img')?.complete"
                           " && document.querySelector('.hparams-card tr[data-run]')")


def image_red_columns(page) -> int:
    """How many of the shown 8x8 image's columns are red (the test logged step // 10 + 1)."""
    return media_card(page, "image", "samples/input").locator("img").evaluate(
        """img => {
            const canvas = document.createElement("canvas");
            canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
            const context = canvas.getContext("2d");
            context.drawImage(img, 0, 0);
            const row = context.getImageData(0, 0, canvas.width, 1).data;
            let red = 0;
            for (let i = 0; i < row.length; i += 4) if (row[i] > 128) red++;
            return red;
        }"""
    )


def test_the_image_slider_moves_through_every_step(serve, page, tmp_path: Path) -> None:
    served = serve(str(media_logs(tmp_path)))
    open_media(page, served.url)
    card = media_card(page, "image", "samples/input")
    assert card.locator("output").inner_text() == f"step 40 (5 of {len(STEPS)})"  # the latest first
    assert image_red_columns(page) == 5
    slider = card.locator("input[type=range]")
    for index, step in enumerate(STEPS):
        slider.fill(str(index))
        page.wait_for_function(
            "step => { const img = document.querySelector('.image-card[data-step] img[alt^=\"samples/input of\"]');"
            " return img.src.endsWith('step=' + step) && img.complete && img.naturalWidth > 0; }", arg=step)
        assert card.get_attribute("data-step") == str(step)
        assert image_red_columns(page) == step // 10 + 1
    assert page.errors == []
    page.locator("#run-list input").first.uncheck()  # run2 alone: its picture and histograms
    media_card(page, "histogram", "weights/conv").and_(page.locator("[data-drawn]")).wait_for()
    page.wait_for_function("() => [...document.querySelectorAll('.image-card img')].every(img => img.complete)")
    shoot(page, "media")


def test_the_audio_slider_plays_each_step(serve, page, tmp_path: Path) -> None:
    """Each step's sound is 800 + 8 * step samples at 8 kHz: the player's duration says which one it holds."""
    served = serve(str(media_logs(tmp_path)))
    open_media(page, served.url)
    card = media_card(page, "audio", "speech/sample")
    assert card.locator("output").inner_text() == f"step 40 (5 of {len(STEPS)})"
    slider = card.locator("input[type=range]")
    for index, step in enumerate(STEPS):
        slider.fill(str(index))
        page.wait_for_function(
            "step => { const card = document.querySelector('.audio-card[data-step]');"
            " return card.dataset.step == step && card.querySelector('audio').readyState >= 1"
            " && card.querySelector('audio').src.endsWith('step=' + step); }", arg=step)
        duration = float(card.locator("audio").evaluate("audio => audio.duration"))
        assert duration == pytest.approx((800 + 8 * step) / AUDIO_RATE, abs=1e-3)
    assert page.errors == []


def test_histograms_draw_in_both_views_and_text_stays_text(serve, page, tmp_path: Path) -> None:
    served = serve(str(media_logs(tmp_path)))
    open_media(page, served.url)
    histogram = media_card(page, "histogram", "weights/fc")
    assert histogram.get_attribute("data-drawn") == str(len(STEPS))
    offset = histogram.locator("canvas").evaluate("canvas => canvas.toDataURL()")
    histogram.get_by_role("button", name="overlay").click()
    assert histogram.get_attribute("data-mode") == "overlay"
    # the picture is compared once drawn: on a busy machine a card's canvas can be redrawn a frame later
    page.wait_for_function(
        "before => { const canvas = [...document.querySelectorAll('.histogram-card[data-mode=overlay] canvas')][0];"
        " return canvas && canvas.toDataURL() !== before; }", arg=offset)
    text = page.locator(".text-card")
    assert text.locator("pre").inner_text() == "step 40 <b>bold</b>"  # logged with the markup as text
    text.locator("input[type=range]").fill("1")
    assert text.locator("pre").inner_text() == "step 10 <b>bold</b>"
    assert page.locator(".text-card b").count() == 0
    pr = media_card(page, "pr", "pr/val")
    assert pr.locator("output").inner_text() == f"step 40 ({len(STEPS)} of {len(STEPS)})"
    curve = pr.locator("canvas").evaluate("canvas => canvas.toDataURL()")
    pr.locator("input[type=range]").fill("0")
    assert pr.get_attribute("data-step") == "0"
    assert pr.locator("canvas").evaluate("canvas => canvas.toDataURL()") == curve  # the same labels every step


def test_the_hparams_table_sorts_and_selects_runs(serve, page, tmp_path: Path) -> None:
    served = serve(str(media_logs(tmp_path)))
    open_media(page, served.url)
    table = page.locator(".hparams-card table")
    headings = table.locator("th").all_text_contents()
    assert headings[:3] == ["run", "lr", "optimizer"] and "hparam/accuracy" in "".join(headings)
    rows = lambda: table.locator("tr[data-run]").evaluate_all("rows => rows.map(row => row.dataset.run)")
    table.locator("th", has_text="hparam/accuracy").click()
    assert rows() == ["run1", "run2"]  # 0.9 before 0.95
    table.locator("th", has_text="hparam/accuracy").click()
    assert rows() == ["run2", "run1"]
    assert table.locator("tr[data-run='run2'] td").nth(1).inner_text() == "0.5"
    shoot(page, "hparams")
    table.locator("tr[data-run='run2']").click()  # deselect run2
    page.wait_for_function("() => !document.querySelector(\"tr[data-run='run2']\").classList.contains('selected')")
    assert "run=run1" in page.url
    assert page.locator("#run-list input:checked").count() == 1


def test_parallel_coordinates_draw_a_line_per_run_in_its_colour(serve, page, tmp_path: Path) -> None:
    served = serve(str(media_logs(tmp_path)))
    open_media(page, served.url)
    hparams = page.locator(".hparams-card")
    hparams.get_by_role("button", name="parallel").click()
    assert hparams.get_attribute("data-view") == "parallel" and hparams.get_attribute("data-lines") == "2"
    assert not hparams.locator("table").is_visible()
    colors = page.locator("#run-list .swatch").evaluate_all("swatches => swatches.map(s => getComputedStyle(s).backgroundColor)")
    found = hparams.locator("canvas").evaluate(
        """(canvas, colors) => {
            const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            const seen = new Set();
            for (let i = 0; i < data.length; i += 4) seen.add(`rgb(${data[i]}, ${data[i + 1]}, ${data[i + 2]})`);
            return colors.map(color => seen.has(color));
        }""",
        colors,
    )
    assert found == [True, True]  # both runs, selected, drawn at full strength in their colours
    shoot(page, "parallel")

