"""Run colours: one fixed colour-blind-safe palette, picked by run name.

The palette is Okabe and Ito's ("Color Universal Design"), read on white: yellow ``#F0E442``
is dropped (1.3:1 against white) and orange and sky blue are darkened in lightness only, hue
kept, until they reach the 3:1 that WCAG asks of graphics. A run's colour depends on its name
alone (`run_color`), so the same run has the same colour in every figure, in the terminal and
in the web dashboard; `run_colors` only steps aside when two runs of one figure would share one.

The hash is 32-bit FNV-1a of the name's UTF-8 bytes (start at 0x811C9DC5; per byte, xor it
in and multiply by 0x01000193 modulo 2**32), a few lines in JavaScript too.

    >>> run_color("resnet50-baseline") == PALETTE[fnv1a("resnet50-baseline") % len(PALETTE)]
    True
"""

from __future__ import annotations

from collections.abc import Iterable

PALETTE = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#C28600",  # orange, darkened from #E69F00
    "#1D99E0",  # sky blue, darkened from #56B4E9
    "#000000",  # black
)
NEUTRAL = "#555555"  # what is not a run's own: resume markers of a single run


def fnv1a(text: str) -> int:
    """32-bit FNV-1a of ``text``'s UTF-8 bytes: stable across processes, unlike ``hash``."""
    value = 0x811C9DC5
    for byte in text.encode("utf-8", "surrogatepass"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def run_color(name: str) -> str:
    """The colour of the run called ``name``, the same wherever it is drawn."""
    return PALETTE[fnv1a(name) % len(PALETTE)]


def run_colors(names: Iterable[str]) -> dict[str, str]:
    """A colour per run: its own `run_color`, unless a run earlier in name order took it.

    Then it takes the next free palette colour; once all are taken, colours repeat.
    """
    colors: dict[str, str] = {}
    taken: set[int] = set()
    for name in sorted(set(names)):
        preferred = fnv1a(name) % len(PALETTE)
        index = preferred
        if len(taken) < len(PALETTE):
            while index in taken:
                index = (index + 1) % len(PALETTE)
        taken.add(index)
        colors[name] = PALETTE[index]
    return colors


def contrast_on_white(color: str) -> float:
    """WCAG 2 contrast ratio of ``#RRGGBB`` against white (1 to 21)."""
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)
