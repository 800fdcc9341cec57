"""Runs joined across the evaluations between them (`_hf_runs`): the two lines an evaluation
prints (the training bar drawn alone, the evaluation's bars and dict) are read with the runs
around them, and give what the line-by-line reading gives; any other lines there, or an
evaluation it reads another way, leave the runs apart."""

from __future__ import annotations

import numpy as np
import pytest

from lossboard.model import Columns
from lossboard.sources.formats._hf_fast import DictLayout, SteadyLines
from lossboard.sources.formats._hf_runs import Run, joined_runs
from lossboard.sources.formats.hf_stdout import _DICT, _PAIR
from tests.sources.helpers import expand, points
from tests.sources.test_hf_fast import WIDTH, assert_same, bar

TOTAL = 300
EVALUATIONS = (60, 120, 180, 240)  # steps at which the Trainer evaluates


def train_line(n: int) -> str:
    """The bar redrawn, cleared and the dict logged at step n (epoch n / 60)."""
    return (f"\r{bar(n - 1, TOTAL)}\r{bar(n, TOTAL)}\r{' ' * WIDTH}\r"
            f"{{'loss': '{n / 1000:.4g}', 'learning_rate': '{n / 1e5:.4g}', 'epoch': '{n / 60:.4g}'}}")


def evaluation_lines(step: int) -> list[str]:
    """The training bar drawn alone at ``step``, then the evaluation's bars, the cursor moved
    up and its dict (as transformers 5 prints them through a pipe)."""
    bars = "\r".join(bar(k, 4) for k in range(0, 5, 2))
    return ["\r" + bar(step, TOTAL),
            f"\r{bars}\x1b[A\r{' ' * WIDTH}\r\x1b[A{{'eval_loss': '{step / 100:.4g}', "
            f"'eval_runtime': '0.25', 'epoch': '{step / 60:.4g}'}}"]


# a dict the Trainer printed without a bar at the end, with a value that is not a number: its
# Problem names its line, so every line before it must be counted
LAST = "{'loss': 'x', 'epoch': '5'}"


def log(replaced_in: int | None = None, old: str = "", new: str = "", *, first_bars: dict | None = None) -> str:
    """Steps 2, 4, ... 298 a line each, an evaluation at each of `EVALUATIONS`, then `LAST`; in
    the lines of evaluation ``replaced_in`` (its index, None: each), ``old`` replaced by ``new``;
    the line of step n drawn first at ``first_bars[n]``, not n - 1."""
    lines, first_bars = [], first_bars or {}
    for n in range(2, TOTAL, 2):
        lines.append(train_line(n).replace(bar(n - 1, TOTAL), bar(first_bars.get(n, n - 1), TOTAL), 1))
        if n in EVALUATIONS:
            block = evaluation_lines(n)
            if replaced_in is None or EVALUATIONS.index(n) == replaced_in:
                assert old in "\n".join(block)
                block = "\n".join(block).replace(old, new, 1).split("\n")
            lines += block
    return "\n".join([*lines, LAST]) + "\n"


def columns(items: list, tag: str) -> list[Columns]:
    return [i for i in items if type(i) is Columns and i.tag == tag]


def test_evaluations_between_runs_are_read_with_them():
    items = assert_same(log())
    # the dict before each evaluation at the bar drawn alone (its step), each other at the
    # next line's first bar; the evaluation's dict at the first bar after it
    expected_loss = [(n + 1 if n not in EVALUATIONS else n, n / 1000) for n in range(2, TOTAL - 2, 2)]
    assert [(p.step, p.value) for p in points(expand(items), "train/loss")][: len(expected_loss)] == expected_loss
    expected_eval = [(n + 1, n / 100, round(n / 60, 3)) for n in EVALUATIONS]
    found = [(p.step, p.value, round(p.epoch, 3)) for p in points(expand(items), "val/loss")]
    assert found == expected_eval
    # one run: one block a series
    assert len(columns(items, "train/loss")) == 1
    assert [len(c.step) for c in columns(items, "val/loss")] == [len(EVALUATIONS)]


@pytest.mark.parametrize(
    "old, new",
    [
        ("\x1b[A\r ", "\x1b[B\r "),  # another escape code
        ("\x1b[A{", "\x1b[A\b{"),  # a backspace
        ("it/s]\x1b[A", "it/s] {'eval_x': '1', 'epoch': '2'}]\x1b[A"),  # a dict inside a redraw
        ("it/s]\x1b[A", "it/s]\nnote ]\x1b[A"),  # a third line: the redraws go on after a line end
        ("it/s]\x1b[A", "it/s]\rstep 5: acc=0.25\x1b[A"),  # a redraw the reference reads as a print
        ("it/s]\x1b[A", "it/s] acc=0.25\x1b[A"),  # ends in a print, after a "]"
        ("\r" + " " * WIDTH, "\r  \x1b[A  "),  # a cursor code inside blanks
        ("'eval_runtime'", "'eval_runtime': '0.5', \r'eval_rate'"),  # a dict cut by a "\r"
        ("'eval_runtime'", "'eval_runtime': '0.5', \n'eval_rate'"),  # a dict over two lines
        ("'eval_loss'", "'eval_\x1b[Aloss'"),  # an escape code inside the dict
        ("'eval_loss'", "'eval_lossx\b'"),  # a backspace inside the dict
        ("'0.25'", "'nan'"),  # a value no layout reads
        ("'0.25'", "'0.25x'"),  # not a number: a Problem
        ("'eval_runtime'", "'loss'"),  # a series of the run's own
        ("'eval_runtime'", "'train_runtime'"),  # a summary: the train() call ends
        ("'eval_loss'", "'eval_loss': '0.1', 'eval_loss'"),  # a key twice
        ("'epoch': '2'", "'epoch': '1e999'"),  # an epoch that is no number
        ("'epoch': '2'", "'epoch': '0.5'"),  # the epoch goes back
        ("'epoch': '2'", "'epoch': '2.5'"),  # past the next dict's
        ("\r 40%|", "\r 40%:"),  # the training bar drawn alone is not a bar
        (f"{bar(120, TOTAL)}\n", f"{bar(120, TOTAL)}\nprinted\n"),  # a print between the two lines
        (f"{bar(120, TOTAL)}\n", f"{bar(120, TOTAL)}\r\n"),  # a CRLF
    ],
)
def test_an_evaluation_read_another_way_leaves_the_runs_apart(old, new):
    items = assert_same(log(1, old, new))
    loss = columns(items, "train/loss")
    assert sum(len(c.step) for c in loss) >= 50  # the run before it still read at once...
    assert not (len(loss) == 1 and len(loss[0].step) == len(range(4, TOTAL, 2)))  # ...but not as one


def test_an_evaluation_printed_another_way_is_read_with_its_own_layout():
    items = assert_same(log(1, "'0.25'", "np.float64(0.25)"))
    assert [len(c.step) for c in columns(items, "perf/eval_runtime_s")] == [len(EVALUATIONS)]


def test_evaluations_of_two_layouts_leave_the_runs_apart():
    text = log(2, "'eval_runtime': '0.25', ", "")
    items = assert_same(text)
    assert len(columns(items, "train/loss")) >= 2


def test_an_evaluation_with_the_runs_values_written_out():
    """The steps, values and epochs of the evaluation dicts as printed: eval_loss at each of
    `EVALUATIONS` / 100, eval_runtime 0.25, at the first bar after them."""
    items = assert_same(log())
    runtime = [(p.step, p.value) for p in points(expand(items), "perf/eval_runtime_s")]
    assert runtime == [(61, 0.25), (121, 0.25), (181, 0.25), (241, 0.25)]


def test_a_problem_after_a_joined_run_has_its_line_number():
    """The two lines of each evaluation are counted: a bad value after the run names its line."""
    text = log()
    (problem,) = [i for i in assert_same(text) if type(i).__name__ == "Problem"]
    assert problem.line == text.split("\n").index(LAST) + 1


def test_an_evaluation_of_the_runs_own_series_comes_between_its_values():
    """An evaluation dict that logs ``loss`` too: where the dict after it is placed at the same
    step (the bar not redrawn in between), the later one printed wins, as line by line."""
    after = {n + 4: n + 1 for n in EVALUATIONS}  # the second line after each at the first's count
    items = assert_same(log(None, "'eval_runtime'", "'loss'", first_bars=after))
    loss = dict((p.step, p.value) for p in points(expand(items), "train/loss"))
    assert [loss[n + 1] for n in EVALUATIONS] == [(n + 2) / 1000 for n in EVALUATIONS]


def test_a_run_is_proven_only_when_its_last_line_ends_where_it_stops():
    """`SteadyLines.run` counts ``lines`` lines from ``start``: when the last of them does not
    end at ``stop``, a line between was not counted (not a bar-and-dict line), and the run
    is refused."""
    data = log().encode()
    steady = SteadyLines(data, 0, len(data), 1 << 20)
    lines, start, stop = steady.stretches(4)[0]
    layout = DictLayout.learn(data[data.rindex(b"\r", start, stop) + 1 : stop - 1].decode(), _DICT, _PAIR)
    assert steady.run(layout, start, lines, stop) is not None
    last_line = data.rindex(b"\n", start, stop - 1) + 1
    assert steady.run(layout, start, lines - 1, last_line) is not None
    assert steady.run(layout, start, lines - 1, stop) is None


def test_joined_runs_put_back_their_stretches_in_order():
    stretches = [(5, 0, 10), (6, 20, 30), (7, 40, 50), (8, 60, 70)]
    found = {(10, 20): (9, ("eval_loss",), (0.5,), 1.0), (50, 60): (49, ("eval_loss",), (0.25,), 2.0)}
    runs = joined_runs(stretches, lambda start, end: found.get((start, end)))
    assert [(run.lines, run.start, run.stop) for run in runs] == [(11, 0, 30), (15, 40, 70)]
    assert [[e.later for e in run.evaluations] for run in runs] == [[6], [8]]
    assert [part for run in runs for part in run.parts()] == [Run(*stretch) for stretch in stretches]
    assert np.array_equal([e.count for run in runs for e in run.evaluations], [9, 49])
