"""Hugging Face Trainer console output: the logged dicts printed between tqdm bars.

What it looks like (transformers 5.x prints values as strings, older versions as numbers;
the ``\\r``-redrawn bar and the dict share one physical line; LLaMA-Factory puts a logging
prefix before the dict)::

    \\r 20%|##        | 6/30 [00:00<00:00, 68.11it/s]\\r{'loss': '0.5075', 'grad_norm': '1.138', 'learning_rate': '0.003833', 'epoch': '0.8'}
    {'eval_loss': '0.4276', 'eval_accuracy': '0.9375', 'eval_runtime': '0.0047', 'epoch': '1'}
    [INFO|2024-11-26 22:09:01] logging.py:157 >> {'loss': 2.2818, 'learning_rate': 2.5000e-06, 'epoch': 0.29}
    {'train_runtime': '0.3163', 'train_samples_per_second': '379.4', 'train_loss': '0.4169', 'epoch': '3'}

Steps: stdout never prints the global step; `_hf_steps` explains how it is found. In short,
a dict is held until the Trainer's bar (a bar with no description) is redrawn after it, and
takes the bar's count; with no bar, its epoch times the optimizer steps of an epoch (printed
by transformers 5's info block, or known from the summary at the end) gives it, exactly when
the printed digits allow and to the nearest step when not; with neither, the dicts are
numbered 1, 2, 3... The epoch is printed and kept.

Other lines (a script's ``print``, ``logging`` records, bars with values) go to the line
pipeline of mixed output (`_pipeline.LinePipeline`) at the step and epoch of the last Trainer
dict, once training has started (before it: dataset and config dumps, left unread). Bars
without values (``Map``, ``Writing model shards``) give nothing.

Restarts: when the epoch goes backwards before the Trainer printed its summary (a resume
from a checkpoint printed into the same file), the step goes back (to the bar's count, or the
first numbered dict at or after that epoch) and an `Event(RESUME)` there lets what follows win. A dict that goes back
*after* a summary starts another ``train()`` call (fine-tuning after pre-training, a second
model): its steps continue after the first call's last step, so both trainings are kept one
after the other, and an `Event(RESUME)` marks where the second one starts without dropping
anything (x = epoch overlays them, x = step shows them in order). An evaluation after the
summary at the same epoch (``trainer.evaluate()``) is just one more dict.

Not Trainer logs: dicts without an epoch or ``eval_`` names (a dataset sample), and dicts
behind ``=`` or ``(`` (``eval_results= {...}``, ``TrainOutput(..., metrics={...})``), which
echo values already printed. What each name becomes is in `_hf`; the dicts are read with a
regex (never ``eval``), which also accepts ``nan``, ``inf`` and ``np.float64(0.5)``.

Runs of lines that are only the bar redrawn and the next dict, most of a Trainer console, are
read at once from the file's bytes by `_hf_fast` (`Parser.feed_bytes`: numpy over a chunk's
lines and one orjson call, the run regex for a run with a line numpy cannot prove, `Columns`
per key; text given to `Parser.feed` is encoded and read the same way). The two lines of an
evaluation between two such runs (the training bar drawn alone, the evaluation's bars and dict)
join them into one (`_hf_runs`), its dict read by the layout the run's dicts are read with;
the lines between runs are decoded and read here, line by line. ``Parser(fast=False)`` reads every
line that way, and tests hold both to the same result.
"""

from __future__ import annotations

import codecs
import re
from array import array
from bisect import bisect_left
from functools import partial

import numpy as np

from lossboard.model import RESUME, Columns, Event, Item
from lossboard.sources.formats import _hf
from lossboard.sources.formats._hf_fast import (
    DictLayout,
    SteadyLines,
    bar_total,
    dict_layout,
    evaluation,
    lone_bar,
)
from lossboard.sources.formats._hf_runs import Run, joined_runs
from lossboard.sources.formats._hf_steps import (
    RATE_DECIMALS,
    RUNTIME_DECIMALS,
    TRAINER_INFO,
    max_steps,
    nearest_steps,
    per_epoch_from_summary,
    resolution,
    rounded,
    steps_from_epochs,
)
from lossboard.sources.formats._jsonlines import not_a_number
from lossboard.sources.formats._lines import _ANSI, LineParser, redraws
from lossboard.sources.formats._pipeline import LinePipeline
from lossboard.sources.formats.sniffers.hf_stdout import sniff as sniff
from lossboard.sources.formats.tqdm import match_bar

NAME = "hf-stdout"
# the reader's chunk: each chunk costs ~60 numpy calls and a line read line by line where it
# splits a run, whatever its size; at 4 MB a load takes a tenth less CPU than at 1 MB
CHUNK_BYTES = 4 << 20

# one flat printed dict whose first key is a quoted name
_DICT = re.compile(r"\{'[A-Za-z_][^'{}]*': [^{}]*\}")
_PAIR = re.compile(r"'([^']*)': (?:'([^']*)'|np\.float\d+\(([^()]*)\)|([^,}]*))")
_ECHO = re.compile(r"[=(]\s*$")  # "eval_results= {", "metrics={": a value shown again
_MIN_RUN = 4  # shorter runs of bar-and-dict lines are read line by line
# a run with a line that does not fit is tried again in halves down to this many lines: the
# regex passes over a run at most log2(lines / _MIN_HALF) times
_MIN_HALF = 32


def read_dict(text: str) -> dict[str, str]:
    """``{'loss': '0.5', 'epoch': 1.0}`` -> ``{"loss": "0.5", "epoch": "1.0"}``, values as text."""
    return {m[1]: m[2] if m[2] is not None else m[3] if m[3] is not None else m[4].strip()
            for m in _PAIR.finditer(text)}


def _is_eval(entry: dict[str, str]) -> bool:
    return any(name.startswith("eval_") for name in entry)


def _is_trainer_log(entry: dict[str, str]) -> bool:
    """Trainer dicts carry an epoch or eval_ names; other dicts a script printed do not."""
    return "epoch" in entry or _is_eval(entry)


class Parser(LineParser):
    """Places each Trainer dict at the Trainer's global step; see the module docstring."""

    raw_lines = True  # the dict is one of the redraw states of a tqdm line

    def __init__(self, *, fast: bool = True) -> None:
        super().__init__()
        self._fast = fast  # runs of bar-and-dict lines through `_hf_fast` (False: the reference)
        self._others = LinePipeline()  # lines the Trainer did not print
        # dicts waiting for their step, in order with the other lines printed after them (read
        # once the dicts before them are placed): [line, dict or text, quoted values]
        self._pending: list[list] = []
        self._held = False  # the last pending dict may still get the bar redrawn after it
        self._per_epoch: int | None = None  # optimizer steps per epoch, when printed
        self._epochs = array("d")  # epoch of each dict so far; numbering uses it
        self._start = 0  # index in _epochs of the first dict of the current train() call
        self._offset = 0  # steps of the train() calls before the current one
        self._top = 0  # the highest step given so far
        self._finished_at: float | None = None  # epoch of the current call's summary
        self._training = False  # a Trainer bar or dict was seen: other lines have a step
        self._bar_total: str | None = None  # the training bar's total: max_steps
        self._layout: tuple | None = None  # `DictLayout.key` of the last run read at once
        self._evaluation_layout: tuple | None = None  # and of the last evaluation joined to one
        self._unread = b""  # the bytes after the last complete line fed
        self._errors = "replace"  # how they are decoded: as the reader would, or back to the text fed

    def feed(self, text: str) -> list[Item]:
        """Text goes through `feed_bytes` as its UTF-8 (lone surrogates kept, as given)."""
        if not self._fast:
            return super().feed(text)
        self._errors = "surrogatepass"
        return self.feed_bytes(text.encode("utf-8", "surrogatepass"))

    def feed_bytes(self, data: bytes) -> list[Item]:
        """The file's bytes as read: runs of bar-and-dict lines are read from them by `_hf_fast`,
        the lines between decoded (UTF-8, bad bytes replaced, as the reader would) and read here."""
        if not self._fast:
            return self._decode_feed(self._unread + data if self._unread else data)
        end = data.rfind(b"\n") + 1
        splitter = self._splitter
        if not end:
            data = self._unread + data if self._unread else data
            if len(data) <= splitter.max_line_chars:
                self._unread = data  # no line ends yet: wait for one (the splitter would hold it too)
                return []
            return self._decode_feed(data)  # a line past the cap: the splitter cuts it
        # the line the last chunk left unfinished is read by the reference reading, so that a
        # chunk is never copied to join it; then complete lines only, so that the splitter holds
        # nothing after them and the fast path may skip the lines it reads (`LineSplitter.skip`)
        done = data.index(b"\n") + 1 if self._unread else 0
        items = self._decoded(self._unread + data[:done]) if done else []
        self._unread = data[end:]
        if not splitter.is_at_line_start:  # after a line past the cap
            return items + self._decoded(data[done:end])
        if done == end:
            return items
        steady = SteadyLines(data, done, end, splitter.max_line_chars)
        runs = joined_runs(steady.stretches(_MIN_RUN), partial(self._evaluation, data))
        runs.reverse()  # taken from the end: a run that does not fit puts its parts back
        while runs:
            run = runs.pop()
            lines, start, stop, evaluations = run
            items += self._decoded(data[done:start])
            if not self._holds_one_dict():  # the first line's bar places what waits, its dict is held
                line_end = data.index(b"\n", start) + 1
                items += self._decoded(data[start:line_end])
                run = run._replace(lines=lines - 1, start=line_end)
                lines, start = run.lines, run.start
            done = self._fast_run(steady, data, run, end, items) if self._holds_one_dict() else start
            if done == start and evaluations:  # each stretch on its own, the evaluations line by line
                runs += reversed(run.parts())
            elif done == start and lines >= 2 * _MIN_HALF:  # a line that does not fit: each half is tried again
                cut = data.find(b"\n", (start + stop) // 2, stop - 1) + 1
                if cut:
                    first_half = data.count(b"\n", start, cut)
                    runs += [Run(lines - first_half, cut, stop), Run(first_half, start, cut)]
        items += self._decoded(data[done:end])
        return items

    def close(self) -> list[Item]:
        items = self._decoded(self._unread, final=True) if self._unread else []
        self._unread = b""
        return items + super().close()

    def _decoded(self, data: bytes, final: bool = False) -> list[Item]:
        """Complete lines (or the file's end) for the reference reading."""
        return super().feed(codecs.utf_8_decode(data, self._errors, final)[0]) if data else []

    def _decode_feed(self, data: bytes) -> list[Item]:
        """``data`` for the reference reading but an unfinished character at its end, kept."""
        text, used = codecs.utf_8_decode(data, self._errors, False)
        self._unread = data[used:]
        return super().feed(text)

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        for at, line in enumerate(lines, first):
            self._line(at, line, items)
        return items

    def _line(self, number: int, line: str, items: list[Item]) -> None:
        """One physical line, redraw state by redraw state: the reference reading."""
        states = _states(line)
        last = len(states) - 1
        for at, state in enumerate(states):
            if "{'" in state and self._dicts(number, state, items):
                continue
            if at < last and not self._held and state.endswith("]"):
                continue  # a bar between bars: only the last of a line sets the step
            bar = match_bar(state) if "/" in state else None
            if bar is not None and not bar["desc"] and bar["n"] is not None:
                self._training = True  # the Trainer's bars have no description
                self._trainer_bar(int(bar["n"]), bar["total"], items)
                state = state[bar.end() :]  # a print glued to the bar, or nothing
                if not state or state.isspace():
                    continue
                bar = None
            if bar is not None and "=" not in bar["inner"]:
                continue  # a library's bar with no values (Map, Writing model shards)
            if " = " in state and (found := TRAINER_INFO.search(state)) is not None:
                if found[1] == "Num update steps per epoch":
                    self._no_bar(items)  # the dicts before belong to the call before
                    self._per_epoch = int(found[2].replace(",", ""))
                continue  # the Trainer's settings, not measurements
            if self._pending:
                self._pending.append([number, state, False])
            elif self._training:
                self._others.line(number, state, items)

    def finish(self) -> list[Item]:
        items: list[Item] = []
        self._no_bar(items)
        self._place_waiting(items, self._per_epoch, final=True)
        self._others.finish(items)
        return items

    def _dicts(self, number: int, state: str, items: list[Item]) -> bool:
        """Hold the Trainer dicts of one redraw state; False if it holds none."""
        found = False
        for match in _DICT.finditer(state):
            if _ECHO.search(state, 0, match.start()):
                found = True  # a value printed again: claimed, not read
                continue
            entry = read_dict(match[0])
            if _is_trainer_log(entry):
                found = self._training = True
                self._no_bar(items)  # two dicts with no bar between: no bar at all
                self._pending.append([number, entry, "'epoch': '" in match[0]])
                self._held = True
        return found

    # ---- steps ------------------------------------------------------------------------------

    def _trainer_bar(self, n: int, total: str, items: list[Item]) -> None:
        """The training bar's count is the global step (the evaluation bar has another total).
        After a summary, bars belong to an ``evaluate()`` or the next train() call, whose offset
        is known at its first dict: the step stays the summary's until then."""
        if self._held:  # the training bar, redrawn right after a dict
            self._bar_total = total
            self._place_held(n, items)
        elif self._bar_total is None:
            self._bar_total = total  # training starts before any evaluation
        if total == self._bar_total and self._finished_at is None:
            self._others.context.step = self._offset + n

    def _place_held(self, step: int, items: list[Item]) -> None:
        """The held dict at the bar's count, after the dicts before it that had no bar."""
        at = max(i for i, (_, payload, _) in enumerate(self._pending) if type(payload) is dict)
        held, after = self._pending[at], self._pending[at + 1 :]
        self._pending, self._held = self._pending[:at], False
        if self._pending:  # a summary's bar count is max_steps, and U = max_steps / epoch
            epoch = _printed_epoch(held[1], held[2]) if _hf.is_summary(held[1]) else None
            per_epoch = self._per_epoch or (epoch and per_epoch_from_summary(step, epoch[0]))
            self._place_waiting(items, per_epoch, final=True)
        items.extend(self._entry(held[0], held[1], step))
        self._replay(after, None, items)

    def _no_bar(self, items: list[Item]) -> None:
        """The held dict got no bar after it: the pending dicts' steps come from their epochs."""
        if not self._held:
            return
        self._held = False
        number, last, quoted = next(entry for entry in reversed(self._pending) if type(entry[1]) is dict)
        if not _hf.is_summary(last):
            self._place_waiting(items, self._per_epoch)
        else:  # the call is over: its summary knows the steps of an epoch if nothing printed them
            self._place_waiting(items, self._per_epoch or _per_epoch_of_summary(last, quoted), final=True)

    def _place_waiting(self, items: list[Item], per_epoch: int | None, final: bool = False) -> None:
        """Place the pending dicts by epoch once the steps of an epoch are known, or (at a
        summary or the end) by their number when they never are."""
        pending = self._pending
        if not pending or (per_epoch is None and not final):
            return
        dicts = [(entry, quoted) for _, entry, quoted in pending if type(entry) is dict]
        steps = None
        if per_epoch is not None:
            epochs = [_printed_epoch(entry, quoted) for entry, quoted in dicts]
            if None not in epochs:
                steps = steps_from_epochs(epochs, per_epoch) or nearest_steps(
                    [(epoch, _kind(entry)) for (epoch, _), (entry, _) in zip(epochs, dicts)], per_epoch
                )
        self._pending = []
        self._replay(pending, steps, items)

    def _replay(self, pending: list[list], steps: list[int] | None, items: list[Item]) -> None:
        """Dicts at ``steps`` (None: numbered), and the lines between them to the pipeline."""
        at = 0
        for number, payload, _ in pending:
            if type(payload) is dict:
                items.extend(self._entry(number, payload, None if steps is None else steps[at]))
                at += 1
            else:
                self._others.line(number, payload, items)

    def _entry(self, number: int, entry: dict[str, str], step: int | None) -> list[Item]:
        """The records of one dict at ``step`` of its train() call (None: number the dicts)."""
        epoch = _hf.epoch_of(entry)
        if "epoch" in entry and epoch is None:
            return [not_a_number(number, "epoch", entry["epoch"])]
        items: list[Item] = []
        last = self._epochs[-1] if len(self._epochs) > self._start else 0.0
        if epoch is not None and epoch < last:
            items.append(self._restart(epoch, step))
        self._epochs.append(last if epoch is None else epoch)
        if step is None:
            step = len(self._epochs) - self._start
        step += self._offset
        self._top = max(self._top, step)
        if _hf.is_summary(entry):
            self._finished_at = self._epochs[-1]
        context = self._others.context
        context.step = step
        if epoch is not None:
            context.see_epoch(int(epoch))
        items.extend(_hf.entry_items(entry, step, epoch, number))
        return items

    def _new_call(self) -> Event:
        """Another train() call after a summary: its steps continue after the last one."""
        self._start, self._finished_at = len(self._epochs), None
        self._offset, self._bar_total = self._top, None
        return Event(RESUME, self._top + 1, None, None, "train() called again")

    def _restart(self, epoch: float, step: int | None) -> Event:
        """The epoch went back: another train() call, or a resume inside this one."""
        if self._finished_at is not None:
            return self._new_call()
        del self._epochs[bisect_left(self._epochs, epoch, lo=self._start) :]
        if step is None:
            step = len(self._epochs) - self._start + 1
        # the epoch decides what a resume drops, unless an earlier train() call's dicts
        # would fall under it too; then the step does
        at_epoch = epoch if self._offset == 0 else None
        return Event(RESUME, self._offset + step, at_epoch, None, f"epoch back to {epoch:g}")

    # ---- fast path --------------------------------------------------------------------------

    def _fast_run(self, steady: SteadyLines, data: bytes, run: Run, end: int, items: list[Item]) -> int:
        """Read ``run``, lines that may be bar-and-dict lines (with the evaluations between
        them), at once (`_hf_fast`) as the line-by-line reading would: the first bar places
        the held dict, each line's dict is placed at the next line's bar, and the last one at
        the line after (before ``end``) when that line is the training bar alone, else it is
        held; the last dict before an evaluation at the evaluation's bar, its dict at the
        next line's first bar. Where it read up to: ``run.start``, with nothing done, when the
        run is short, a line is not such a line, the dicts do not share a layout or their
        epochs go back. Called when `_holds_one_dict`."""
        lines, start, stop, evaluations = run
        if lines < _MIN_RUN:
            return start
        last_dict = data[data.rindex(b"\r", start, stop) + 1 : stop - 1].decode("utf-8", self._errors)
        layout = self._layout_of(last_dict, self._layout)
        if layout is None:
            return start
        self._layout = layout.key
        if not run.evaluations_apart_from(layout.names):
            return start
        found = steady.run(layout, start, lines, stop)
        if found is None and not evaluations:  # the regex takes no evaluation
            found = layout.read_run(data, start, stop, lines)
        if found is None:
            return start
        counts, matrix = found
        after = data.find(b"\n", stop, end)
        closing = lone_bar(data, stop, after) if after >= 0 else None
        placed = lines if closing is not None else lines - 1  # dicts placed now
        epochs = train_epochs = matrix[:placed, layout.epoch_column]
        nexts = run.next_lines()
        if evaluations:  # the dicts' epochs in the order they are placed
            epochs = np.insert(train_epochs, nexts, [e.epoch for e in evaluations])
        held = _hf.epoch_of(self._pending[0][1])
        last = held if held is not None else self._epochs[-1] if len(self._epochs) > self._start else 0.0
        if epochs[0] < last or (epochs[1:] < epochs[:-1]).any():  # orjson reads no nan or inf
            return start
        self._trainer_bar(int(counts[0]), bar_total(data, start), items)
        steps = np.empty(placed, np.int64)  # each line's dict at the next line's count
        steps[: lines - 1] = counts[1:]
        if closing is not None:
            steps[-1] = closing[0]
        if evaluations:  # the last dict before an evaluation at its bar
            steps[nexts - 1] = [e.count for e in evaluations]
        steps += self._offset
        first = self._splitter.skip(lines + 2 * len(evaluations) + (closing is not None))
        items.extend(
            Columns(_hf.tag_of(name), name, steps, matrix[:placed, column], train_epochs)
            for column, name in enumerate(layout.names)
            if name not in _hf.POSITION
        )
        self._top = max(self._top, int(steps.max()))
        if evaluations:  # each at the next line's first bar
            items += run.evaluation_columns(counts[nexts] + self._offset)
            self._top = max(self._top, int(counts[nexts].max()) + self._offset)
        self._epochs.frombytes(epochs.tobytes())  # no float object each
        context = self._others.context
        context.see_epoch(int(epochs[0]))
        context.see_epoch(int(epochs[-1]))
        context.step = int(steps[-1])
        if closing is not None:  # the held dict was placed by the first bar: nothing waits
            self._bar_total = closing[1]
            return after + 1
        self._bar_total = bar_total(data, data.rindex(b"\n", start, stop - 1) + 1)
        self._pending = [[first + lines + 2 * len(evaluations) - 1, read_dict(last_dict), "'epoch': '" in last_dict]]
        self._held = True
        return stop

    def _evaluation(self, data: bytes, start: int, end: int) -> tuple[int, tuple[str, ...], tuple[float, ...], float] | None:
        """(bar count, names, values, epoch) of the `evaluation` at ``data[start:end]`` when the
        line by line reading holds its dict for the next line's bar: a Trainer dict, not a
        summary (which ends the call), whose values are numbers (a `DictLayout`'s: `float` reads
        them as `_hf.number` does); else None."""
        found = evaluation(data, start, end) if end - start <= self._splitter.max_line_chars else None
        if found is None:
            return None
        text = found[1].decode("utf-8", self._errors)
        layout = self._layout_of(text, self._evaluation_layout)
        values = layout.values(text) if layout is not None else None
        if values is None:
            return None
        self._evaluation_layout = layout.key
        epoch = float(values[layout.epoch_column])  # 1e999: infinite, and out of the run's order
        names = [(name, float(value)) for name, value in zip(layout.names, values) if name not in _hf.POSITION]
        return found[0], tuple(name for name, _ in names), tuple(value for _, value in names), epoch

    def _holds_one_dict(self) -> bool:
        """Whether a run can be read at once from here: one Trainer dict (not a summary) waits
        for the next bar, and nothing printed after it."""
        pending = self._pending
        return (self._held and len(pending) == 1 and self._finished_at is None
                and not _hf.is_summary(pending[0][1]))

    def _layout_of(self, sample: str, known: tuple | None) -> DictLayout | None:
        """The layout ``known`` (the `DictLayout.key` of the last run's dicts, or evaluation's)
        when ``sample`` has it, as most do; else the one learnt from ``sample``. None for a
        summary or a dict that is no layout."""
        if known is not None and (layout := dict_layout(*known)).fits(sample):
            return layout
        layout = DictLayout.learn(sample, _DICT, _PAIR)
        return None if layout is None or _hf.is_summary(layout.names) else layout


def _states(line: str) -> list[str]:
    """`redraws` of a line, split without drawing when nothing in it moves the cursor back once
    its escape codes are gone (as `redraws` drops them): an evaluation bar's cursor-up codes."""
    if "\r" not in line and "\x1b" not in line:
        return [line]
    if "\x1b" in line:
        plain = _ANSI.sub("", line)
        if "\x1b" in plain or "\b" in plain:
            return redraws(line)
        line = plain
    elif "\b" in line:
        return redraws(line)
    return [part.rstrip() for part in line.split("\r") if part.strip()]


def _printed(text: str | None, quoted: bool) -> tuple[float, float] | None:
    """A printed number with its resolution, or None when it is missing or not a number."""
    try:
        return float(text), resolution(text, quoted)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _kind(entry: dict[str, str]) -> str:
    return "summary" if _hf.is_summary(entry) else "eval" if _is_eval(entry) else "train"


def _printed_epoch(entry: dict[str, str], quoted: bool) -> tuple[float, float] | None:
    return _printed(entry.get("epoch"), quoted)


def _per_epoch_of_summary(entry: dict[str, str], quoted: bool) -> int | None:
    """Optimizer steps per epoch from a summary dict: ``max_steps / epoch``."""
    runtime = _printed(entry.get("train_runtime"), quoted)
    rate = _printed(entry.get("train_steps_per_second"), quoted)
    epoch = _printed_epoch(entry, quoted)
    if runtime is None or rate is None or epoch is None:
        return None
    steps = max_steps(rounded(*runtime, RUNTIME_DECIMALS), rounded(*rate, RATE_DECIMALS))
    return None if steps is None else per_epoch_from_summary(steps, epoch[0])
