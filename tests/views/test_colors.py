"""The run palette: readable on white, safe for colour-blind readers, the same run the same colour."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lossboard.views.colors import PALETTE, contrast_on_white, fnv1a, run_color, run_colors


@pytest.mark.parametrize("color", PALETTE)
def test_every_palette_colour_has_wcag_graphics_contrast_on_white(color: str) -> None:
    assert contrast_on_white(color) >= 3.0


def test_contrast_is_computed_as_wcag_defines_it() -> None:
    assert contrast_on_white("#000000") == pytest.approx(21.0)
    assert contrast_on_white("#FFFFFF") == pytest.approx(1.0)
    assert contrast_on_white("#F0E442") < 1.5  # Okabe-Ito yellow, the example: not in the palette
    assert "#F0E442" not in PALETTE


def test_fnv1a_is_the_published_32_bit_hash() -> None:
    # reference values of FNV-1a 32 (Fowler, Noll, Vo test vectors)
    assert fnv1a("") == 0x811C9DC5
    assert fnv1a("a") == 0xE40C292C
    assert fnv1a("foobar") == 0xBF9CF968


def test_a_run_has_the_same_colour_in_another_process() -> None:
    code = "from lossboard.views.colors import run_color; print(run_color('resnet50/seed-3'))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert other == run_color("resnet50/seed-3")


def test_runs_of_one_figure_get_distinct_colours_while_the_palette_lasts() -> None:
    names = [f"run-{i}" for i in range(len(PALETTE))]
    colors = run_colors(names)
    assert len(set(colors.values())) == len(PALETTE)
    assert run_colors(reversed(names)) == colors


def test_a_run_keeps_its_own_colour_when_no_other_run_wants_it() -> None:
    alone = {name: run_colors([name])[name] for name in ("a", "b", "baseline")}
    assert alone == {name: run_color(name) for name in alone}
