"""Keras ``model.fit`` standard output, Keras 1 to 3, ``verbose=2`` and ``verbose=1``.

What it looks like. ``verbose=2`` prints one line per epoch after an ``Epoch k/N`` header
(1-based); callbacks print between the header and the epoch's metrics line::

    Epoch 9/10                                                   (Keras 1)
    Epoch 00008: early stopping
    3124s - loss: 0.0516 - acc: 0.9841 - val_loss: 0.0787 - val_acc: 0.9836
     - 3s - loss: 0.2 - acc: 0.9                                 (Keras 2.0 to 2.2)
    1563/1563 - 8s - loss: 1.5 - accuracy: 0.45 - 8s/epoch - 5ms/step      (TF 2.5+)
    10/10 - 1s - 66ms/step - accuracy: 0.5875 - loss: 0.6572 - val_accuracy: 0.6 (Keras 3)

``verbose=1`` redraws a progress bar (``\\b`` runs and ``\\r``, with ANSI colour in Keras 3)
on one physical line per epoch; every state shows running means since the epoch began::

      32/60000 [..............................] - ETA: 10:03 - loss: 2.3 - acc: 0.1
     1/10 ━━━━━━━━━━━━━━━━━━━━ 0s 64ms/step - accuracy: 0.5000 - loss: 0.5446

Records, on one step axis with the Keras callback's (docs/integrations.md, "One training,
one picture"): the step is the global bar position, the bar's units (steps or, in Keras 1
and 2.0-2.2, samples) counted across epochs and fit() calls. Intermediate bar states are
``train_batch/*`` points (cheap: one split per redraw state, which a file holds anyway) at
their position, epoch = fraction of epochs done. The epoch's final bar state (the one with
``val_*``, no ETA, position = total) or its ``verbose=2`` line gives epoch-level points at
the step where the epoch ended (the units of the epochs so far), epoch = the global epoch
number. A line with no counter (Keras 1 and 2.0-2.2 ``verbose=2``) tells no units: its
step is the global epoch number. Elapsed ``3083s`` and ``s/epoch`` become
``perf/epoch_time_s``, ``64ms/step`` ``perf/step_time_s``. A bar of another size after the
epoch's own, or any bar after its ``val_*`` state, is ``evaluate()``: ``test/*`` points
where training stands (a same-sized evaluate after a fit without validation cannot be told
apart).

Several ``fit()`` calls in one file restart at ``Epoch 1/N`` (or change N, or follow a
``Train on ... samples`` line); the epochs continue counting where the previous call
stopped and an ``Event("stage", text="fit() call 2")`` marks the start, at the step where
the previous call ended. Callback lines ``Epoch k: ...`` belong to the last header whatever
k says (Keras 1 prints it 0-based). Early stopping, checkpoint saves and ReduceLROnPlateau's
new rate are events at the step where their epoch ended (``verbose=2`` prints them before
the epoch's line, so they wait for it); LearningRateScheduler's at the step where its epoch
began. The new rate is an ``opt/lr`` point of the first epoch that runs at it, unless that
epoch prints its own.

Other lines. A line or bar state Keras did not print (a script's ``print``, an ``Epoch 3:
...`` line of a callback that is not Keras's, a ``logging`` record, a tqdm bar, text glued
right after a bar state with no newline between) goes to the line pipeline of mixed output
(`_pipeline.LinePipeline`) as a value of the epoch Keras is in, at the step where that
epoch ends (where Keras puts the epoch's own values), so ``val_f1: 0.93`` printed by an
``on_epoch_end`` callback lands beside ``val_loss``. Lines before the first header have no
epoch to go to and stay unread (a config printed before training).

A line of many redraws has its running states read at once by `_keras_fast`, and so does a
run of ``verbose=2`` epochs (headers each followed by its metrics line), from the file's bytes
(`Parser.feed_bytes`); what does not fit exactly is read line by line and state by state here
(``Parser(fast=False)`` always does).
"""

from __future__ import annotations

import codecs
import re

import numpy as np

from lossboard import tags
from lossboard.model import CHECKPOINT, EARLY_STOP, LR_CHANGE, Columns, Event, Item, Meta, Point, Problem
from lossboard.sources.formats import _keras_fast
from lossboard.sources.formats._keras_bar import EPOCH_HEADER, Bar, line_states, parse_bar
from lossboard.sources.formats._lines import LineParser
from lossboard.sources.formats._numbers import bad_number
from lossboard.sources.formats._numbers import number as parse_number
from lossboard.sources.formats._pipeline import LinePipeline
from lossboard.sources.formats.sniffers.keras_stdout import sniff as sniff

NAME = "keras-stdout"

STAGE = "stage"

_CALLBACK = re.compile(r"Epoch \d+: (.*)")
_TRAIN_ON = re.compile(r"Train (?:on|for) \d+ (?:samples|steps)")
_LR = re.compile(r"(?:reducing|setting)(?: \S+)? learning rate to (\S+?)\.?$")
# what Keras's own callbacks print after "Epoch k: " (EarlyStopping, ModelCheckpoint,
# ReduceLROnPlateau, LearningRateScheduler); any other "Epoch k: ..." line is a script's print
_KERAS_CALLBACK = re.compile(r"early stopping|saving model|improve|learning rate|[Rr]estoring model weights")


def _utf8(text: str) -> bytes | None:
    """``text`` as the bytes `_keras_fast` reads; None if it holds a lone surrogate (no file
    decoded by the reader does)."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return None


def _number(number: int, label: str, raw: str) -> float | Problem:
    """``raw`` as a float (``nan`` and ``inf`` included), or the Problem saying why not."""
    value = parse_number(raw)
    return bad_number(number, label, raw) if value is None else value


class Parser(LineParser):
    """Follows headers and fit() calls to number the epochs; see the module docstring."""

    raw_lines = True  # intermediate bar states are kept as batch-level points
    live_redraws = True  # a bar still being drawn is read as it goes (`lossboard run` gives Keras a terminal)

    def __init__(self, *, fast: bool = True) -> None:
        super().__init__()
        self._fast = fast  # False: every redraw state on its own (tests compare both paths)
        self._fits = 0  # fit() calls seen
        self._printed = (0, 0)  # (k, N) of the last "Epoch k/N" header
        self._offset = 0  # global epoch = offset + k
        self._epoch: int | None = None  # global epoch of the last header
        self._new_fit = False  # a "Train on ..." line announced the next fit()
        self._units_before = 0  # bar units (steps or samples) of the earlier epochs
        self._total: int | None = None  # this epoch's bar total, once seen
        self._position = 0  # furthest bar position seen in this epoch
        self._closed = False  # this epoch's final state with val_* was seen
        self._ended = False  # this epoch's final training state was seen: its end step is known
        self._last_end = 0  # global step at which the previous epoch ended
        # (kind, text) of callback lines about the end of this epoch, printed before its
        # metrics line in verbose=2, held until that line says at which step the epoch ended
        self._held: list[tuple[str, str]] = []
        self._lr: float | None = None
        # a callback's new rate by the epoch it is for, held until that epoch has run without
        # printing its own rate (an epoch that early stopping cancelled keeps only the event)
        self._pending_lr: dict[int, float] = {}
        self._last_total: int | None = None  # the bar total of the last epoch that showed one
        self._others = LinePipeline()  # the lines Keras did not print
        self._bar_names: tuple[str, ...] | None = None  # metric names of the last line read in bulk
        # lines for the pipeline printed in an epoch whose length is not yet known (verbose=2
        # shows it only on the epoch's line): (number, text), read once it is
        self._held_lines: list[tuple[int, str]] = []
        self._unread = b""  # `feed_bytes`: the bytes after the last complete line (or redraw) read

    def feed_bytes(self, data: bytes) -> list[Item]:
        """The file's bytes as read: each line of redraws (``\\b`` runs before ``\\r``) is read
        from them undecoded (`_redraws`), the lines between are decoded as the reader decodes
        (UTF-8, bad bytes replaced) and fed as text. What follows the last complete line waits
        as bytes, a bar's done redraws read first, so that the splitter holds nothing and the
        next line of redraws is read from the bytes too."""
        if self._unread:
            data, self._unread = self._unread + data, b""
        if not self._fast:
            return self._feed_text(data, 0)
        items: list[Item] = []
        at = 0
        if not self._splitter.is_at_line_start:  # it holds the start of a line: text to its end
            at = data.find(b"\n") + 1
            if not at:
                return self._feed_text(data, 0)
            items += self.feed(data[:at].decode("utf-8", "replace"))
        # a memchr for a backspace first: a log without redraws (verbose=2) skips the slower
        # search for the two bytes
        while data.find(b"\x08", at) >= 0 and (mark := data.find(b"\x08\r", at)) >= 0:
            start = data.rfind(b"\n", at, mark) + 1 or at
            end = data.find(b"\n", mark)
            if end < 0:
                break
            if start > at:
                self._text(data, at, start, items)
            if not self._bytes_line(data, start, end, items):
                items += self.feed(data[start : end + 1].decode("utf-8", "replace"))
            at = end + 1
        start = data.rfind(b"\n", at) + 1 or at
        if start > at:
            self._text(data, at, start, items)
        if start < len(data):
            items += self._unfinished(data, start)
        return items

    def _text(self, data: bytes, start: int, end: int, items: list[Item]) -> None:
        """The complete lines ``data[start:end]``: ``verbose=2`` epochs from the first header
        on read in bulk (`_epochs`) when they are only that, the rest decoded and fed as text."""
        first = start if data.startswith(b"Epoch ", start) else data.find(b"\nEpoch ", start, end) + 1
        if first <= start and not data.startswith(b"Epoch ", start):  # no header
            items += self.feed(data[start:end].decode("utf-8", "replace"))
            return
        if first > start:
            items += self.feed(data[start:first].decode("utf-8", "replace"))
        stop = data.rfind(b"\n", first, end - 1) + 1 or first  # the last line's start
        if not data.startswith(b"Epoch ", stop):  # a header last waits for its line in the text
            stop = end
        self._epoch_runs(data, first, stop, items)
        if stop < end:
            items += self.feed(data[stop:end].decode("utf-8", "replace"))

    def _epoch_runs(self, data: bytes, start: int, end: int, items: list[Item]) -> None:
        """``data[start:end]`` (from a header on) read in bulk by `_epochs`, or halved at a
        header until the lines that are not only epochs (a callback's, ``nan``, a print) go
        as text in pieces of at most four times `_keras_fast.MIN_STATES` lines."""
        if self._epochs(data, start, end, items):
            return
        middle = data.find(b"\nEpoch ", (start + end) // 2, end) + 1
        if middle and data.count(b"\n", start, end) > 4 * _keras_fast.MIN_STATES:
            self._epoch_runs(data, start, middle, items)
            self._epoch_runs(data, middle, end, items)
        else:
            items += self.feed(data[start:end].decode("utf-8", "replace"))

    def _epochs(self, data: bytes, start: int, end: int, items: list[Item]) -> bool:
        """``data[start:end]``, headers each followed by its epoch's ``verbose=2`` line (one
        layout), read at once: what `_start_epoch` and `_bar` do for each, over the run in numpy
        (epochs, end steps and fit() restarts as cumulative sums). False, with nothing
        changed, when the lines are not only that or an epoch holds something to release."""
        lines = _keras_fast.count(data, b"\n", start, end)
        if lines < 2 * _keras_fast.MIN_STATES or lines % 2:
            return False
        if self._held or self._held_lines or self._pending_lr or self._new_fit:
            return False  # an epoch's start releases these: line by line
        if data.find(b"\r", start, end) >= 0:  # CRLF (a pty's capture): no run fits, so none is tried
            return False
        read = _keras_fast.read_epochs(data, start, end, lines // 2)
        if read is None:
            return False
        names, table = read
        k, n, current, total = (table[:, column].astype(np.int64) for column in range(4))
        if (current != total).any() or (total <= 0).any():
            return False
        started = self._epoch is not None
        printed_k = np.concatenate(([self._printed[0]], k[:-1]))
        printed_n = np.concatenate(([self._printed[1]], n[:-1]))
        new_fit = (k <= printed_k) | (n != printed_n)
        step = np.diff(k, prepend=self._printed[0])
        step[new_fit] = 1  # a new fit() goes on from the epoch after the last
        if not started:
            new_fit[0], step[0] = False, 0
            items.append(Meta("framework", "keras"))
            self._fits = 1
        epoch = (self._epoch if started else self._offset + int(k[0])) + np.cumsum(step)
        units = self._units_before + max(self._total or 0, self._position)
        ends = units + np.cumsum(total)  # the step at which each epoch ended
        before_end = self._end_step() if started else self._last_end
        for at in np.flatnonzero(new_fit).tolist():
            self._fits += 1
            last_end, last_epoch = (int(ends[at - 1]), int(epoch[at - 1])) if at else (before_end, self._epoch)
            items.append(Event(STAGE, last_end, float(last_epoch), text=f"fit() call {self._fits}"))
        epochs = epoch.astype(np.float64)
        for column, name in enumerate(names, 6):
            tag = tags.canonical(name, tags.TRAIN)
            items.append(Columns(tag, name, ends, table[:, column], epochs))
            if tag == "opt/lr":
                self._lr = float(table[-1, column])
        items.append(Columns("perf/epoch_time_s", "epoch time", ends, table[:, 4] * 1.0, epochs))
        items.append(Columns("perf/step_time_s", "step time", ends, table[:, 5] * 1e-3, epochs))
        last = len(k) - 1
        self._last_end = int(ends[last - 1]) if last else before_end
        self._units_before = int(ends[last] - total[last])
        if not last and started:
            self._last_total = self._total or self._last_total  # an earlier epoch's is read only until a total
        self._printed = (int(k[last]), int(n[last]))
        self._epoch = int(epoch[last])
        self._offset = self._epoch - self._printed[0]
        self._total = self._position = int(total[last])
        self._ended, self._closed = True, any(name.startswith("val_") for name in names)
        self._splitter.skip(lines)
        return True

    def _bytes_line(self, data: bytes, start: int, end: int, items: list[Item]) -> bool:
        """The complete line ``data[start:end]`` read from the bytes if it is one of many
        redraws `_redraws` takes; False, with nothing changed, if not."""
        if data[end - 1 : end] == b"\r":  # CRLF: the "\r" ends the line, as the splitter reads it
            end -= 1
        redrawn = _keras_fast.count(data, b"\r", start, end)
        if redrawn < _keras_fast.MIN_STATES or end - start > self._splitter.max_line_chars:
            return False  # few states, or a stretch the splitter may have to cut
        if not self._redraws(self._splitter.next_line, data, start, end, redrawn, items):
            return False
        self._splitter.skip(1)
        return True

    def _unfinished(self, data: bytes, start: int) -> list[Item]:
        """The line after the last line break of ``data``: a bar's done redraws are read now
        (the line goes on, and no redraw of it depends on where it is cut), the rest waits."""
        limit = self._splitter.max_line_chars
        items: list[Item] = []
        if data.find(b"\x08\r", start) >= 0:
            # a "\r" at the very end may be half of a CRLF; a piece stays within the cap
            last = data.rfind(b"\r", start, min(len(data) - 1, start + limit))
            if last > start:
                redrawn = _keras_fast.count(data, b"\r", start, last + 1)
                if redrawn >= _keras_fast.MIN_STATES and self._redraws(
                    self._splitter.next_line, data, start, last + 1, redrawn, items
                ):
                    start = last
        if len(data) - start > limit:  # the splitter holds it (and cuts it) as it would in text
            return items + self._feed_text(data, start)
        self._unread = data[start:]
        return items

    def _feed_text(self, data: bytes, start: int) -> list[Item]:
        """``data[start:]`` decoded and fed; a character cut by the chunk's end waits."""
        text, used = codecs.utf_8_decode(data[start:], "replace", False)
        self._unread = data[start + used :]
        return self.feed(text)

    def close(self) -> list[Item]:
        items = self.feed(self._unread.decode("utf-8", "replace")) if self._unread else []
        self._unread = b""
        return items + super().close()

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        for number, raw in enumerate(lines, first):
            if self._fast and (redrawn := raw.count("\r")) >= _keras_fast.MIN_STATES:
                line = _utf8(raw)
                if line is not None and self._redraws(number, line, 0, len(line), redrawn, items):
                    continue
            states = line_states(raw)
            if not states:
                continue
            goes_on = raw.endswith("\r")  # the start of a line still being drawn: no state is its last
            for state in states if goes_on else states[:-1]:  # redrawn over: only running means count
                bar = parse_bar(state) if ": " in state else None
                if bar is None:
                    self._other(number, state, items)  # a tqdm bar of the script, a print
                    continue
                if bar.running:
                    self._bar(number, bar, items)
                if bar.glued:
                    self._other(number, bar.glued, items)
            if not goes_on:
                self._line(number, states[-1], items)
        return items

    def _redraws(self, number: int, raw: bytes, start: int, end: int, redrawn: int, items: list[Item]) -> bool:
        """A line of many redraws (``raw[start:end]``, its UTF-8, ``redrawn`` times ``\\r``) of
        this epoch's bar, its running states read in bulk (`_keras_fast`); False, with nothing
        changed, when they are not only that."""
        first, last = raw.find(b"\r", start, end), raw.rfind(b"\r", start, end)
        if self._epoch is None or self._closed or self._held_lines or raw[start:first].strip(b"\x08"):
            return False
        goes_on = last == end - 1  # the start of a line still being drawn: no last state yet
        # the line's last state goes the usual way
        tail = [] if goes_on else line_states(raw[last:end].decode("utf-8", "replace"))
        if not (tail or goes_on):
            return False
        # the names of the last line first: its pattern checks each state's names, so the
        # first state need only be drawn and read when they changed
        names = self._bar_names
        read = _keras_fast.read_states(raw, first, last + 1, names, redrawn - 1) if names else None
        if read is None:
            names = self._bar_names = _keras_fast.metric_names(_keras_fast.first_state(raw, first))
            read = _keras_fast.read_states(raw, first, last + 1, names, redrawn - 1) if names else None
            if read is None:
                return False
        table, has_eta = read
        current, total = table[:, 0], table[:, 1]
        size = int(total[0])
        if (total != size).any() or (self._total is not None and self._total != size):
            return False
        running = current < total
        if has_eta is not None:
            running |= has_eta
        every = bool(running.all())
        if every or running.any():
            done = current if every else current[running]
            self._total = size
            self._position = max(self._position, int(done.max()))
            steps = self._units_before + done.astype(np.int64)
            epochs = (self._epoch - 1) + done / size if size else None
            for column, name, tag in _keras_fast.batch_columns(names):
                items.append(Columns(tag, name, steps, table[:, column] if every else table[running, column], epochs))
        if tail:
            self._line(number, tail[-1], items)
        return True

    def _line(self, number: int, line: str, items: list[Item]) -> None:
        """The last state of a line: Keras's if its rules claim it, else the script's."""
        if line.startswith("Epoch "):
            if self._epoch_line(number, line.strip(), items):
                return
        elif ": " in line and " - " in line:
            bar = parse_bar(line)
            if bar is not None:
                self._bar(number, bar, items)
                if bar.glued:
                    self._other(number, bar.glued, items)
                return
        elif line.startswith("Train ") and self._epoch is not None and _TRAIN_ON.match(line):
            self._new_fit = True
            return
        self._other(number, line, items)

    def _other(self, number: int, line: str, items: list[Item]) -> None:
        """A line Keras did not print (a script's ``print``, a ``logging`` record, a tqdm bar):
        read by the line pipeline as a value of the epoch Keras is in, at the step where that
        epoch ends (where Keras puts the epoch's own values)."""
        if self._epoch is not None:
            units = self._total or self._last_total or self._position
            if not units and not self._ended:  # the epoch's length shows with its metrics
                self._held_lines.append((number, line))
                return
            others = self._others
            if others.context.epoch != self._epoch:
                others.context.see_epoch(self._epoch)
            step = self._units_before + units if units or self._units_before else self._epoch
            # Keras's bar is the training bar: a validation tqdm bar of the script sits there too
            others.context.step = others.progress.train_step = step
            others.progress.train_epoch = float(self._epoch)
        self._others.line(number, line, items)

    def _release_lines(self, items: list[Item]) -> None:
        """Read the lines held until the epoch's length was known (or the epoch ended)."""
        held, self._held_lines = self._held_lines, []
        for number, line in held:
            self._other(number, line, items)

    def _epoch_line(self, number: int, line: str, items: list[Item]) -> bool:
        """Read a header or a Keras callback's line; False for any other ``Epoch ...`` line."""
        header = EPOCH_HEADER.fullmatch(line)
        if header is not None:
            self._start_epoch(int(header[1]), int(header[2]), items)
            return True
        callback = _CALLBACK.fullmatch(line)
        if callback is None or self._epoch is None or _KERAS_CALLBACK.search(callback[1]) is None:
            return False
        text = callback[1]
        if text.startswith("early stopping"):
            self._at_epoch_end(EARLY_STOP, line, items)
        elif "saving model to " in text and not text.startswith("finished"):
            self._at_epoch_end(CHECKPOINT, line, items)
        elif "learning rate to " in text:
            found = _LR.search(text)
            if found is None:
                return True
            value = _number(number, "learning rate to ", found[1])
            if isinstance(value, Problem):
                items.append(value)
                return True
            if "LearningRateScheduler" in text:  # set as this epoch begins
                if self._lr is not None and value != self._lr:
                    items.append(Event(LR_CHANGE, self._last_end, float(self._epoch - 1), text=line))
                self._pending_lr[self._epoch] = value
            else:  # ReduceLROnPlateau, as this epoch ends: the next one runs at the new rate
                self._at_epoch_end(LR_CHANGE, line, items)
                self._pending_lr[self._epoch + 1] = value
            self._lr = value
        return True

    def _at_epoch_end(self, kind: str, text: str, items: list[Item]) -> None:
        """An event at the step where this epoch ended, once that step is known."""
        if self._ended:
            items.append(Event(kind, self._end_step(), float(self._epoch), text=text))
        else:
            self._held.append((kind, text))

    def _release_held(self, items: list[Item]) -> None:
        step, epoch = self._end_step(), float(self._epoch)
        items.extend(Event(kind, step, epoch, text=text) for kind, text in self._held)
        self._held.clear()

    def _end_step(self) -> int:
        """The global step at which the current epoch ended: the bar units (steps, or samples
        in old Keras) of the epochs so far. An epoch with no counter yet (cut short) ends where
        training stood; in a file with no counters at all (Keras 1 and 2.0-2.2 ``verbose=2``)
        the step is the global epoch number."""
        units = max(self._total or 0, self._position)
        if units or self._units_before:
            return self._units_before + units
        return self._epoch

    def finish(self) -> list[Item]:
        items: list[Item] = []
        if self._held:
            self._release_held(items)
        self._ended = True
        self._release_lines(items)
        self._others.finish(items)
        return items

    def _start_epoch(self, k: int, n: int, items: list[Item]) -> None:
        if self._epoch is None:
            self._fits = 1
            items.append(Meta("framework", "keras"))
        else:
            if self._held:
                self._release_held(items)
            if self._held_lines:
                self._ended = True  # cut short: its lines go where training stood
                self._release_lines(items)
            self._last_end = self._end_step()
            if self._new_fit or k <= self._printed[0] or n != self._printed[1]:
                self._fits += 1
                self._offset = self._epoch + 1 - k
                # where the new fit() began: after the last step of the previous one
                text = f"fit() call {self._fits}"
                items.append(Event(STAGE, self._last_end, float(self._epoch), text=text))
        self._units_before += max(self._total or 0, self._position)
        self._last_total = self._total or self._last_total
        self._printed = (k, n)
        self._epoch = self._offset + k
        self._new_fit = False
        self._total = None
        self._position = 0
        self._closed = False
        self._ended = False

    def _bar(self, number: int, bar: Bar, items: list[Item]) -> None:
        epoch = self._epoch
        if epoch is None or self._closed or self._other_total(bar.total):
            if not bar.running:  # evaluate(): its final state only, where training stands
                step = 0 if epoch is None else self._end_step()
                self._points(number, bar.metrics, tags.TEST, step, epoch, items)
            return
        if bar.total is not None:
            self._total = bar.total
        if bar.current is not None:
            self._position = max(self._position, bar.current)
        if self._held_lines and (self._total or self._position or not bar.running):
            if not bar.running:
                self._ended = True
            self._release_lines(items)
        if bar.running:
            if bar.current is not None:
                step = self._units_before + bar.current
                done = (epoch - 1 + bar.current / bar.total) if bar.total else None
                self._batch_points(number, bar.metrics, step, done, items)
            return
        step = self._end_step()
        self._points(number, bar.metrics, tags.TRAIN, step, epoch, items)
        for tag, source_tag, seconds in bar.times:
            items.append(Point(tag, source_tag, step, seconds, float(epoch)))
        self._ended = True
        if self._held:
            self._release_held(items)
        self._closed = any(name.startswith("val_") for name, _ in bar.metrics)

    def _other_total(self, total: int | None) -> bool:
        """A bar of another size than this epoch's: evaluate() after the last epoch."""
        return self._total is not None and total is not None and total != self._total

    def _points(
        self,
        number: int,
        metrics: list[tuple[str, str]],
        split: str,
        step: int,
        epoch: int | None,
        items: list[Item],
    ) -> None:
        at = None if epoch is None else float(epoch)
        pending = self._pending_lr.pop(epoch, None) if split == tags.TRAIN else None
        for name, raw in metrics:
            value = _number(number, f"{name}: ", raw)
            if isinstance(value, Problem):
                items.append(value)
                continue
            tag = tags.canonical(name, split)
            if tag == "opt/lr":
                self._lr, pending = value, None
            items.append(Point(tag, name, step, value, at))
        if pending is not None:  # the epoch ran at the new rate without printing it
            items.append(Point("opt/lr", "learning rate", step, pending, at))

    @staticmethod
    def _batch_points(
        number: int,
        metrics: list[tuple[str, str]],
        step: int,
        epoch: float | None,
        items: list[Item],
    ) -> None:
        for name, raw in metrics:
            tag = tags.canonical(name, tags.BATCH)
            if not tag.startswith("train_batch/"):  # lr, val_*: not running means
                continue
            value = _number(number, f"{name}: ", raw)
            if isinstance(value, Problem):
                items.append(value)
            else:
                items.append(Point(tag, name, step, value, epoch))
