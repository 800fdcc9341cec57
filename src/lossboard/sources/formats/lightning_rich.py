"""Lightning's ``RichProgressBar``, what Lightning draws when ``rich`` is installed::

    Epoch 0/1  ━━━━╸━━━━━━━━━━━━━━━━━━ 4/32 0:00:00 • 0:00:04 9.31it/s v_num: 0.000 train_loss:
                                                                        0.594 train_acc_step: 0.750

Each redraw is a *frame*: the ``Epoch e/E`` bar line, then the indented lines its metrics
column wraps onto, a name and its value sometimes on two lines. In a terminal capture every
frame is kept: rich ends a frame's last row without a newline, erases and moves the cursor up
(``\r ESC[2K ESC[1A ESC[2K``) and draws the next frame over it, so those sequences end a row here
as a newline would. Redirected to a file, rich prints only the last frame.

A frame means exactly what a redraw of Lightning's tqdm bar means (same epoch, count, rate and
metrics), so each is written as that tqdm line and read by the `tqdm` format's parser: one set
of rules for both bars (``_step``/``_epoch`` names, validation values from a bar's final state,
``v_num`` dropped; see `lossboard.sources.formats.tqdm`). The frame's line goes to the tqdm
parser at the line number of its ``Epoch`` line, so problems point into the file.
``Sanity Checking`` and ``Validation`` bars carry no metrics in rich and are skipped.

Lightning computes an epoch's validation and ``_epoch`` values after that epoch's bar has drawn
its last frame: they first show in the next epoch's bar. So when a new epoch's bar starts, the
epoch-level values it shows (``val_*``, ``test_*``, ``*_epoch``) are first given to the previous
bar as its final state, where tqdm's rules look for them.
"""

from __future__ import annotations

import re

from lossboard.model import Item
from lossboard.sources.formats import tqdm
from lossboard.sources.formats._lines import LineParser, render
from lossboard.sources.formats.sniffers.lightning_rich import sniff as sniff

NAME = "lightning-rich"

_FRAME = re.compile(
    r"(?P<desc>Epoch \d+)/\d+ +[━╸╺ ]*? ?(?P<n>\d+)/(?P<total>\d+) +"
    r"(?P<elapsed>[\d:]+) • (?P<remaining>[-\d:]+) +(?P<rate>[\d.]+(?:it/s|s/it))(?P<metrics>.*)"
)
_PAIR = re.compile(r"([A-Za-z_][\w/.\-]*): +(\S+)")
_CONTINUATION = " " * 8  # the metrics column wraps onto lines indented this far at least
# erase the row and go up: rich's redraw, which also ends the row it was on
_REDRAW = re.compile(r"\r?\x1b\[2K(?:\x1b\[1A\x1b\[2K)*")


class Parser(LineParser):
    """Assembles frames row by row and hands each finished one to a tqdm parser."""

    raw_lines = True  # the redraw sequences end rows: split on them before rendering

    def __init__(self) -> None:
        super().__init__()
        self._bars = tqdm.Parser()
        self._fed = 0  # lines handed to the tqdm parser so far
        self._frame: tuple[int, re.Match[str]] | None = None  # its first line and bar
        self._wrapped: list[str] = []  # its metrics column's continuation lines
        self._last: dict[str, str] | None = None  # the previous frame's bar fields

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        for number, line in enumerate(lines, first):
            rows = _REDRAW.split(line) if "\x1b[2K" in line else [line]
            for row in map(render, rows):
                self._row(number, row, items)
        return items

    def _row(self, number: int, row: str, items: list[Item]) -> None:
        if self._frame is not None and row.startswith(_CONTINUATION) and row.strip():
            self._wrapped.append(row.strip())
            return
        self._flush(items)
        if row.startswith("Epoch "):
            match = _FRAME.match(row)
            if match is not None:
                self._frame = (number, match)

    def finish(self) -> list[Item]:
        items: list[Item] = []
        self._flush(items)
        items.extend(self._bars.close())
        return items

    def _flush(self, items: list[Item]) -> None:
        """The frame being assembled, as a tqdm line at its own line number."""
        if self._frame is None:
            return
        number, match = self._frame
        bar = match.groupdict()
        pairs = _PAIR.findall(" ".join([bar["metrics"].strip(), *self._wrapped]))
        self._frame, self._wrapped = None, []
        last, self._last = self._last, bar
        if last is not None and last["desc"] != bar["desc"]:
            finals = [(name, value) for name, value in pairs if _is_epoch_level(name)]
            if finals:
                self._feed(number, _tqdm_line(last, finals), items)
        self._feed(number, _tqdm_line(bar, pairs), items)

    def _feed(self, number: int, line: str, items: list[Item]) -> None:
        # blank lines keep the tqdm parser's line numbers those of this file
        items.extend(self._bars.feed("\n" * max(0, number - 1 - self._fed) + line + "\n"))
        self._fed = max(number, self._fed + 1)


def _is_epoch_level(name: str) -> bool:
    return name.startswith(("val_", "test_")) or name.endswith("_epoch")


def _tqdm_line(bar: dict[str, str], pairs: list[tuple[str, str]]) -> str:
    """The line Lightning's tqdm bar would draw for this state."""
    postfix = "".join(f", {name}={value}" for name, value in pairs)
    count = f"{bar['n']}/{bar['total']}"
    return f"{bar['desc']}: |{count}| {count} [{bar['elapsed']}<{bar['remaining']}, {bar['rate']}{postfix}]"
