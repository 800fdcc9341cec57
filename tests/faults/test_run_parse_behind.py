"""Issue 9, "`lossboard run` slows a command that prints 100 MB from 4.9 s to 49 s" and "one
200 MB line blocks it 330 s": the command's output never waits for the parser. A parser
that cannot move until the command's last byte has reached the terminal must not stop that
byte from getting there; one line of 8 MB goes through whole and is saved byte for byte."""

from __future__ import annotations

import io
import json
import sys
import threading
from pathlib import Path

from lossboard.log.live import LiveParser
from lossboard.log.run import OUTPUT_FILE, run_command

WAIT_S = 60  # a guard against a deadlock only: a passing run is released in well under a second
# mxnet-speedometer-new/mxnet-cls_train.log, line 31
LINE = b"INFO:root:Epoch[0] Batch [600]\tSpeed: 140.46 samples/sec\taccuracy=0.742188\n"
LINES = 20_000  # 1.5 MB: far more than any pipe holds


class StuckParser(LiveParser):
    """A parser that cannot feed anything until ``release`` is set (or the guard runs out)."""

    def __init__(self, release: threading.Event) -> None:
        super().__init__()
        self.release = release
        self.was_released: bool | None = None

    def feed(self, data: bytes) -> None:
        if self.was_released is None:
            self.was_released = self.release.wait(WAIT_S)
        super().feed(data)


class Terminal(io.BytesIO):
    """Where the command's output goes on to; sets ``done`` once it holds ``expected``."""

    def __init__(self, expected: int, done: threading.Event) -> None:
        super().__init__()
        self.expected, self.done = expected, done

    def write(self, data) -> int:
        written = super().write(data)
        if self.tell() >= self.expected:
            self.done.set()
        return written


def test_the_command_output_gets_out_while_the_parser_is_stuck(tmp_path: Path) -> None:
    release = threading.Event()
    parser = StuckParser(release)
    terminal = Terminal(len(LINE) * LINES, release)
    code = f"import sys; sys.stdout.buffer.write({LINE!r} * {LINES})"
    status = run_command([sys.executable, "-c", code], logdir=tmp_path, stdout=terminal, stderr=io.BytesIO(),
                         live=parser)
    assert status == 0
    assert parser.was_released  # by the terminal holding every byte, not by the guard
    assert terminal.getvalue() == LINE * LINES
    (run_dir,) = tmp_path.iterdir()
    record = json.loads((run_dir / "run.json").read_bytes())
    assert record["format"] == "mxnet" and record["series"]["train_batch/accuracy"]["points"] == LINES


def test_one_8_mb_line_goes_through_whole_and_is_saved(tmp_path: Path) -> None:
    line = b"step=1 loss=0.5 " * 500_000 + b"\n"  # 8 MB without a line break
    code = f"import sys; sys.stdout.buffer.write(b'step=0 loss=0.9\\n' + {line[:16]!r} * 500_000 + b'\\n')"
    terminal, errors = io.BytesIO(), io.BytesIO()
    status = run_command([sys.executable, "-c", code], logdir=tmp_path, stdout=terminal, stderr=errors)
    assert status == 0
    expected = b"step=0 loss=0.9\n" + line
    assert terminal.getvalue() == expected
    (run_dir,) = tmp_path.iterdir()
    assert (run_dir / OUTPUT_FILE).read_bytes() == expected
    record = json.loads((run_dir / "run.json").read_bytes())
    assert record["status"] == "finished" and record["problems"] == 1  # the cut line, named
