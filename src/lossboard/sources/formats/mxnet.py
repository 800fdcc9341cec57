"""MXNet and GluonCV training logs: Speedometer batch lines plus epoch-end lines.

What the logs look like (any of the prefixes ``INFO:root:``, ``2018-03-07 10:32:37,184 - ``
or none)::

    Epoch[73] Batch [500]\tSpeed: 1694.57 samples/sec\tTrain-accuracy=0.584035     <= 0.11
    Epoch[3] Batch [500]\tSpeed: 1997.40 samples/sec\taccuracy=0.013391\tcross-entropy=6.87
    Epoch[3] Batch [100-200]\tSpeed: 1997.40 samples/sec\taccuracy=0.013391      >= 1.3
    Epoch[0] Train-accuracy=0.671875      Epoch[0] Time cost=67.414
    Epoch[0] Validation-accuracy=0.710788
    Update[3751]: Change learning rate to 1.00000e-03
    Saved checkpoint to "models/img_cls-0001.params"
    [Epoch 0] train=0.467608 val=0.558900 loss=1.452417 time: 16.450441             GluonCV
    [Epoch 0] validation: acc-top1=41.395718 acc-top5=74.200370
    [Epoch 0][Batch 99], LR: 1.28E-04, Speed: 108.251 samples/sec, ObjLoss=415.712, ...  GluonCV
    [Epoch 0][Batch 99], Speed: 11.735 samples/sec, RPN_Conf=0.655,RPN_SmoothL1=0.050  detection
    [Epoch 0] Training cost: 602.907, ObjLoss=170.200, BoxCenterLoss=6.865
    [Epoch 0] Validation:                  then one "class=AP" line per class, then "mAP=0.0763"
    [Epoch 14] Set learning rate to 0.0001
    [Epoch 16] Saving parameters to faster_rcnn_resnet50_v1b_voc_0016_0.7831.params
    Iter[0] Batch [10000] \tloss 6.0081581, ppl 406.7334777                  LM examples
    Iter[0]\t\t CE loss 3.8857258, ppl 48.7022774. Eval duration = 541.87 seconds
    eval batch 19 : 8.5457629

Steps. Epoch-level values have ``step = epoch`` (0-based as printed). Batch-level values
(split ``train_batch``, and Speed as ``perf/samples_per_sec``) have ``step = e * N + b`` and
``epoch = e + b / N``, where ``N``, the batches per epoch, is estimated from the first epoch
the file shows completely (its last batch number plus the display interval); that epoch's
batch values wait until ``N`` is known, at the latest until `Parser.close`. A file resumed
at ``Epoch[65]`` thus gets the steps a file started at ``Epoch[0]`` would have. Learning-rate
changes and checkpoints are placed where they were printed, as batch steps when the file has
batch lines. An epoch counter that goes back (a restart inside one file) gives a ``resume``
event. An asctime prefix becomes ``wall_time``, read as local time of the machine parsing.

Starts. A ``Namespace(...)`` line is a (re)start; its ``lr=`` is the initial learning rate,
unless the start's first batch line prints the rate itself (then that line's is).
What a start prints before its first metric line (that lr, and the ``Update[N]`` lines of a
scheduler catching up after ``--load-epoch``) has no place in training of its own: it is
placed at the start of the epoch of the first metric line that follows, after the resume
that line may cause, so a resumed file never seems to start at epoch 0 and a restart inside
a file does not lose its lr to the cut. A start that reaches no metric line leaves nothing.

GluonCV detection prints 0-based batch indices (``[Batch 99]`` is the 100th batch), used as
printed, and ``LR:`` on batch lines (``opt/lr``, printed as ``LR``); its validation block
gives one ``val/<class>`` point per class and ``val/mAP``, all at the epoch of the header.

Other lines. A line none of the above claims (a script's ``print``, a ``logging`` record, a
tqdm bar) goes to the line pipeline of mixed output (`_pipeline.LinePipeline`), whose context
knows the epoch of the last MXNet line: ``val_loss: 0.31`` printed after ``Epoch[4]
Validation-accuracy=`` is a ``val/loss`` point at epoch 4.

Long runs of batch lines go through `_mxnet_fast` (all numbers of a run read at once), and the
one-value epoch-end lines between them are read a run at a time (`Parser._epoch_run`);
everything else, and any run that does not fit exactly, is parsed line by line here.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import partial

import numpy as np

from lossboard import tags
from lossboard.model import CHECKPOINT, LR_CHANGE, RESUME, Columns, Event, Item, Point
from lossboard.sources.formats._lines import LineParser
from lossboard.sources.formats._mxnet_fast import (
    SPEED_TAG,
    Layout,
    learn_layout,
    read_chunk,
    read_records,
    value_series,
)
from lossboard.sources.formats._mxnet_position import Position
from lossboard.sources.formats._numbers import bad_number
from lossboard.sources.formats._numbers import number as parse_number
from lossboard.sources.formats._pipeline import LinePipeline
from lossboard.sources.formats._plain_bytes import PlainBytesFeed, is_plain
from lossboard.sources.formats.sniffers.mxnet import sniff as sniff

NAME = "mxnet"

_BATCH = re.compile(r"(Epoch|Iter)\[(\d+)\]\s*Batch\s*\[(?:\d+-)?(\d+)\]\s*(.*)")
_EPOCH_LINE = re.compile(r"(?:Epoch|Iter)\[(\d+)\]\s*(.*)")
_EPOCH_VALUE = re.compile(r"([A-Za-z][\w\-]*(?: cost)?)\s*=\s*(\S*)")
_GLUON = re.compile(r"\[Epoch (\d+)\]\s*(?:((?i:training|validation)):)?\s*(.*)")
_GLUON_BATCH = re.compile(r"\[Epoch (\d+)\]\[Batch (\d+)\],?\s*(.*)")
_GLUON_VALUE = re.compile(r"([A-Za-z][\w\-]*(?: cost)?)(?:=|: )\s*([^\s,]*)")
_GLUON_SET_LR = re.compile(r"Set learning rate to ([^\s,]+)")
_GLUON_SAVE = re.compile(r"[Ss]aving (?:parameters )?to (\S+)")
_BLOCK_VALUE = re.compile(r"(?:INFO:root:)?([A-Za-z][^=]*)=(\S+)")  # "pottedplant=0.0"
_LR = re.compile(r"\bLR:\s*([^\s,]*)")
_SPEED = re.compile(r"Speed:?\s*([^\s,]*)")
_PAIR = re.compile(r"([^\s=,]+)=\s*([^\s,]*)")
_SPACED_PAIR = re.compile(r"([A-Za-z][\w\-]*) ([^\s,]+?)\.?(?=,|\s|$)")
_CE = re.compile(r"CE loss (\S+?),\s*ppl ([^\s,]+?)\.?(?=\s|$)")
_UPDATE = re.compile(
    r"Update\[(\d+)\]: (?:Change learning rate to|now learning rate arrived at) ([^\s,]+)"
)
_NAMESPACE_LR = re.compile(r"Namespace\(.*?\blr=([^\s,)]+)")
_CHECKPOINT = re.compile(r'Saved checkpoint to "([^"]*)"')
_EVAL_BATCH = re.compile(r"[Ee]val batch (\d+)(?: (\w+))? : (\S+)")
_ASCTIME = re.compile(r"(\d{4}-\d\d-\d\d \d\d):(\d\d):(\d\d),(\d{3})")
# "Epoch[3] Train-accuracy=0.71": the epoch-end line of one value, read in runs (`_epoch_run`)
_ONE_EPOCH_VALUE = re.compile(
    r"(?:INFO:root:|(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) - )?Epoch\[(\d+)\] ([A-Za-z][\w\-]*(?: cost)?)=(\S+)"
)

# GluonCV "[Epoch N] train=.. val=.. loss=.. time: .." and "speed: N samples/sec"
_GLUON_TAGS = {
    "train": "train/accuracy",
    "val": "val/accuracy",
    "loss": "train/loss",
    "time": "perf/epoch_time_s",
    "time cost": "perf/epoch_time_s",
    "Training cost": "perf/epoch_time_s",
    "speed": "perf/epoch_samples_per_sec",
}
_LR_TAG = "opt/lr"
_EVAL_TAG = "val_batch/loss"  # running loss over evaluation batches (LM examples)
_FAST_MIN_LINES = 16  # shorter runs are not worth learning a layout for
_ASCTIME_WIDTH = 23  # "2018-03-07 10:32:37,184"


class Parser(PlainBytesFeed, LineParser):
    """Feed chunks of any size; the result equals parsing the whole text at once.

    ``fast=False`` parses every line on its own (tests compare both paths). Fed bytes
    (`feed_bytes`, the reader's way), a chunk of plain lines whose records fit the layout
    learned is read without a ``str`` for each line (`read_plain`).
    """

    def __init__(self, *, fast: bool = True) -> None:
        super().__init__()
        self._fast = fast
        self._layout: Layout | None = None
        self._position = Position()
        self._block_epoch: int | None = None  # inside GluonCV's validation block of this epoch
        self._start_lr: partial | None = None  # the record of the last start's lr=, see `_start_line`
        self._eval_count = 0
        self._hours: dict[str, float] = {}  # "2018-03-07 10" -> its local timestamp
        self._others = LinePipeline()  # the lines MXNet did not print
        self._told_epoch: int | None = None  # the epoch last given to their context

    # ---- lines -------------------------------------------------------------------------

    def parse_lines(self, first: int, lines: list[str]) -> list[Item]:
        items: list[Item] = []
        start = 0
        position = self._position
        if self._fast and position.per_epoch is None:
            # line by line only until the first whole epoch gives its length, then in bulk: a
            # log of one chunk (1 MB) would otherwise never reach the fast path
            while start < len(lines) and position.per_epoch is None:
                items += self._line(first + start, lines[start])
                start += 1
        if self._fast and position.per_epoch is not None and start < len(lines):
            fast = self._fast_lines(first + start, lines[start:] if start else lines)
            if fast is not None:
                items += fast
                return items
        for number in range(start, len(lines)):
            items += self._line(first + number, lines[number])
        return items

    def read_plain(self, data: bytes, end: int) -> list[Item] | None:
        """The items of the plain lines ``data[:end]``, read from the bytes once the epoch's
        length and the layout are known, or None to read them decoded (`PlainBytesFeed`)."""
        layout = self._layout
        if not (self._fast and layout is not None and layout.reads_bytes and self._position.per_epoch is not None):
            return None
        # a "\r" (CRLF) would stay on the lines read from the bytes
        if data.find(b"\r", 0, end) >= 0 or not is_plain(data, end, self._splitter.max_line_chars):
            return None
        chunk = read_chunk(data, end, layout)
        lines = None if chunk is None else chunk.lines()
        if lines is None:
            return None
        return self._take(self._splitter.skip(chunk.count), lines, chunk.read, None)

    def finish(self) -> list[Item]:
        items = self._position.finish()
        self._others.finish(items)
        return items

    def _line(self, number: int, line: str) -> list[Item]:
        """Every record of one line; noise gives nothing."""
        if self._block_epoch is not None:
            match = _BLOCK_VALUE.fullmatch(line)
            if match is not None:
                return self._block_line(number, line, match)
            self._block_epoch = None
        if "Batch" in line:
            match = _BATCH.search(line)
            if match is not None:
                epoch, batch, rest = match.group(2, 3, 4)
                return self._batch_line(number, line, int(epoch), int(batch), rest)
        if "Epoch[" in line or "Iter[" in line:
            match = _EPOCH_LINE.search(line)
            if match is not None:
                return self._epoch_line(number, line, match)
        if "[Epoch " in line:
            if "][Batch " in line:
                match = _GLUON_BATCH.search(line)
                if match is not None:
                    epoch, batch, rest = match.groups()
                    return self._batch_line(number, line, int(epoch), int(batch), rest)
            match = _GLUON.search(line)
            if match is not None and "Start training from" not in line:
                return self._gluon_line(number, line, match)
        if "Namespace(" in line:
            return self._start_line(line)
        if "Update[" in line:
            match = _UPDATE.search(line)
            if match is not None:
                return self._lr_line(number, line, match)
        if "Saved checkpoint" in line:
            match = _CHECKPOINT.search(line)
            if match is not None:
                text = f"saved {match.group(1)}"
                return self._position.at_position(self._wall(line), partial(_checkpoint_at, text))
        if "val batch" in line:
            match = _EVAL_BATCH.search(line)
            if match is not None:
                return self._eval_line(number, line, match)
        return self._other_line(number, line)

    def _other_line(self, number: int, line: str) -> list[Item]:
        """A line MXNet did not print (a script's ``print``, a ``logging`` record, a tqdm bar):
        read by the line pipeline at the epoch the MXNet lines are in."""
        epoch = self._position.epoch
        if epoch is not None and epoch != self._told_epoch:
            self._told_epoch = epoch
            self._others.context.see_epoch(epoch)
        items: list[Item] = []
        self._others.line(number, line, items)
        return items

    def _batch_line(self, number: int, line: str, epoch: int, batch: int, rest: str) -> list[Item]:
        problems: list[Item] = []
        values: list[tuple[str, str, float]] = []
        lr = _LR.search(rest) if "LR:" in rest else None
        if lr is not None:
            value = parse_number(lr.group(1))
            if value is None:
                problems.append(bad_number(number, "LR:", lr.group(1)))
            else:
                values.append((_LR_TAG, "LR", value))
        if "Speed" in rest:
            speed = _SPEED.search(rest)
            value = parse_number(speed.group(1))
            if value is None:
                problems.append(bad_number(number, "Speed", speed.group(1)))
            else:
                values.append((SPEED_TAG, "Speed", value))
        if "=" in rest:
            pairs = _PAIR.findall(rest)
        else:
            pairs = [] if "Speed" in rest else _SPACED_PAIR.findall(rest)
        for name, text in pairs:
            value = parse_number(text)
            if value is None:
                problems.append(bad_number(number, f"{name}=", text))
            else:
                values.append((tags.canonical(name, tags.BATCH), name, value))
        if self._start_lr is not None and any(tag == _LR_TAG for tag, _, _ in values):
            self._position.discard(self._start_lr)
        items = self._position.enter_batch(epoch, batch) + problems
        if values:
            make = partial(_points_at, values)
            items.extend(self._position.at_batch(epoch, batch, self._wall(line), make))
        return items

    def _epoch_line(self, number: int, line: str, match: re.Match) -> list[Item]:
        epoch, rest = int(match.group(1)), match.group(2)
        if "CE loss" in rest:
            found = _CE.search(rest)
            if found is None:
                return []
            pairs = [("val/loss", "CE loss", found.group(1)), ("val/ppl", "ppl", found.group(2))]
        elif "=" in rest:
            found = _EPOCH_VALUE.findall(rest)
            pairs = [(tags.canonical(name), name, text) for name, text in found]
        else:
            pairs = []  # "Epoch[0] Resetting Data Iterator": the epoch is over, no value
        return self._epoch_values(number, line, epoch, pairs)

    def _gluon_line(self, number: int, line: str, match: re.Match) -> list[Item]:
        epoch, section, rest = int(match.group(1)), match.group(2), match.group(3)
        if section is None and "Set learning rate" in rest:
            found = _GLUON_SET_LR.search(rest)
            value = None if found is None else parse_number(found.group(1))
            if value is None:
                return [bad_number(number, "Set learning rate to", rest)]
            note = f"[Epoch {epoch}] learning rate {found.group(1)}"
            items = self._position.enter_epoch_start(epoch)
            return items + self._position.at_position(self._wall(line), partial(_lr_at, value, note))
        if section is None and "aving " in rest:
            # "Saving parameters to x_0019_0.7766.params", "mAP .. higher than current best
            # [..] saving to x_best.params": the numbers are a file name and a repeat of mAP
            saved = _GLUON_SAVE.search(rest)
            if saved is None:
                return []
            items = self._position.enter_epoch_end(epoch)
            make = partial(_checkpoint_at, f"saved {saved.group(1)}")
            return items + self._position.at_position(self._wall(line), make)
        section = section.lower() if section else None
        if section == "validation" and not rest:  # the header of a block of "name=value" lines
            items = self._position.enter_epoch_end(epoch)
            self._block_epoch = epoch
            return items
        split = tags.VAL if section == "validation" else tags.TRAIN
        found = []
        for name, text in _GLUON_VALUE.findall(rest):
            tag = _GLUON_TAGS.get(name) if section is None else None
            found.append((tag or tags.canonical(name, split), name, text))
        return self._epoch_values(number, line, epoch, found)

    def _block_line(self, number: int, line: str, match: re.Match) -> list[Item]:
        """One ``class=AP`` line of a validation block; ``mAP=`` ends the block."""
        name, text = match.group(1).strip(), match.group(2)
        epoch = self._block_epoch
        if name == "mAP":
            self._block_epoch = None
        return self._epoch_values(number, line, epoch, [(tags.canonical(name, tags.VAL), name, text)])

    def _start_line(self, line: str) -> list[Item]:
        """A (re)start: its initial lr, and what it prints next, wait for its first metric line.

        A script that prints the rate on its batch lines (GluonCV's ``LR:``, ``lr=``) has its
        initial rate there, after any warmup its arguments do not show: then the first batch
        line supersedes the ``lr=`` of the arguments."""
        self._position.start()
        self._start_lr = None
        match = _NAMESPACE_LR.search(line)
        value = None if match is None else parse_number(match.group(1))
        if value is None:
            return []
        self._start_lr = partial(_points_at, [(_LR_TAG, "lr", value)])
        return self._position.at_position(self._wall(line), self._start_lr)

    def _epoch_values(self, number: int, line: str, epoch: int, pairs: list) -> list[Item]:
        items = self._position.enter_epoch_end(epoch)
        wall = self._wall(line)
        for tag, name, text in pairs:
            value = parse_number(text)
            if value is None:
                items.append(bad_number(number, f"{name}=", text))
            else:
                items.append(Point(tag, name, epoch, value, float(epoch), wall))
        return items

    def _lr_line(self, number: int, line: str, match: re.Match) -> list[Item]:
        update, text = match.groups()
        value = parse_number(text)
        if value is None:
            return [bad_number(number, "Change learning rate to", text)]
        note = f"Update[{update}]: learning rate {text}"
        return self._position.at_position(self._wall(line), partial(_lr_at, value, note))

    def _eval_line(self, number: int, line: str, match: re.Match) -> list[Item]:
        value = parse_number(match.group(3))
        if value is None:
            return [bad_number(number, f"eval batch {match.group(1)} :", match.group(3))]
        step = self._eval_count
        self._eval_count += 1
        epoch = None if self._position.epoch is None else float(self._position.epoch)
        source = f"eval batch {match.group(2)}" if match.group(2) else "eval batch"
        return [Point(_EVAL_TAG, source, step, value, epoch, self._wall(line))]

    def _wall(self, line: str) -> float | None:
        """Seconds since the Unix epoch of an asctime prefix, read as local time."""
        if not line[:1].isdigit():
            return None
        match = _ASCTIME.match(line)
        if match is None:
            return None
        hour, minute, second, millis = match.groups()
        base = self._hours.get(hour)
        if base is None:
            base = self._hours[hour] = datetime.strptime(hour, "%Y-%m-%d %H").timestamp()
        return base + int(minute) * 60 + int(second) + int(millis) / 1000

    # ---- fast path ---------------------------------------------------------------------------

    def _fast_lines(self, first: int, lines: list[str]) -> list[Item] | None:
        """The records of ``lines`` with all their Speedometer lines read as one matrix (`_take`),
        or None to parse line by line. Everything is checked before any state changes, so
        giving up costs only time."""
        rows = [index for index, line in enumerate(lines) if " Batch [" in line]
        if len(rows) < _FAST_MIN_LINES:
            return None
        batch_lines = [lines[index] for index in rows]
        walls: np.ndarray | None = None
        if batch_lines[0][:1].isdigit():
            stamps = [self._wall(line) for line in batch_lines]
            if None in stamps:
                return None
            walls = np.array(stamps, dtype=np.float64)
            batch_lines = [line[_ASCTIME_WIDTH:] for line in batch_lines]
        read = read_records(rows, batch_lines, self._layout) if self._layout is not None else None
        if read is None:
            self._layout = learn_layout(batch_lines)
            read = read_records(rows, batch_lines, self._layout) if self._layout is not None else None
            if read is None:
                return None
        return self._take(first, lines, read, walls)

    def _take(self, first: int, lines: list[str], read: tuple, walls: np.ndarray | None) -> list[Item]:
        """The records of ``lines`` (the first numbered ``first``): what `_line` would give for
        each line in turn, the values of the Speedometer records ``read`` (`read_records`, with
        their asctime ``walls``) as one `Columns` block per series (cut where a restart needs
        what came before it to be out first); the other lines are parsed one by one in between
        (only they are looked at: `read_plain` leaves the record lines empty)."""
        layout = self._layout
        skip, matrix, counters, spans = read
        if walls is not None:
            walls = walls[skip : skip + len(matrix) * layout.lines_per_record]
        epochs, batches = counters
        n = self._position.per_epoch
        steps = epochs * n + batches
        positions = epochs + batches / n
        series = value_series(layout, walls)
        prints_lr = any(tag == _LR_TAG for _, tag, _, _ in series)
        items: list[Item] = []
        held = 0  # records from here on are not in `items` yet

        def release(upto: int) -> None:
            """Append the held records' values as one block per series."""
            nonlocal held
            if upto > held:
                items.extend(
                    Columns(
                        tag,
                        name,
                        steps[held:upto],
                        matrix[held:upto, column],
                        positions[held:upto],
                        None if wall is None else wall[held:upto],
                    )
                    for column, tag, name, wall in series
                )
                held = upto

        ends = _EpochEnds()

        def add(more: list[Item]) -> None:
            # only a resume cares what came before it: values before it must be out first; and
            # a series' own values keep their order
            if more and any(type(item) is Event and item.kind == RESUME for item in more):
                release(start)
                ends.release(items)
            elif more and ends.names and any(ends.holds(item) for item in more):
                ends.release(items)
            items.extend(more)

        done = 0  # lines before this index are parsed
        position = self._position
        for start, stop, first_line, end_line in spans:
            number = done
            while number < first_line:
                number = self._epoch_run(first, lines, number, first_line, add, ends, items)
                if number < first_line:
                    add(self._line(first + number, lines[number]))
                    number += 1
            if self._start_lr is not None and prints_lr:
                position.discard(self._start_lr)
            add(position.enter_batch(int(epochs[start]), int(batches[start])))
            position.pass_batch(int(batches[stop - 1]))
            done = end_line
        release(len(matrix))
        ends.release(items)
        for number in range(done, len(lines)):
            items.extend(self._line(first + number, lines[number]))
        return items


    def _epoch_run(
        self, first: int, lines: list[str], begin: int, end: int, add, ends: _EpochEnds, problems: list[Item]
    ) -> int:
        """Read the one-value epoch-end lines from ``begin`` on as `_line` would; where the
        first other line is. What entering an epoch's end gives goes to ``add`` (it may be a
        resume), the values to ``ends``, bad numbers to ``problems``.

        An epoch ends with several of them (``Train-``, ``Validation-``, ``Time cost``), each
        once a line: between short epochs' batch runs they were most of the lines read one by
        one. A run of one epoch enters its end once, which is what every line of it did.
        """
        if self._block_epoch is not None:
            return begin
        number = begin
        printed_epoch = None
        read = _ONE_EPOCH_VALUE.fullmatch
        held = ends.names
        while number < end:
            line = lines[number]
            match = read(line)
            if match is None:
                break
            stamp, printed, name, text = match.groups()
            if printed != printed_epoch:
                if len(printed) > _MAX_EPOCH_DIGITS:
                    break  # `_line` reads it: the collector says why its step is out of range
                printed_epoch, epoch = printed, int(printed)
                entered = self._position.enter_epoch_end(epoch)
                if entered:
                    add(entered)
                    held = ends.names  # a resume handed out what was held
            try:
                value = float(text)  # `parse_number` inline: most of a line's cost was calls
            except ValueError:
                problems.append(bad_number(first + number, f"{name}=", text))
            else:
                # `_EpochEnds.add` inline: a call a line was a fifth of a line's cost
                found = held.get(name)
                if found is None:
                    found = held[name] = ([], [], [])
                found[0].append(epoch)
                found[1].append(value)
                found[2].append(None if stamp is None else self._wall(line))
            number += 1
        return number


_MAX_EPOCH_DIGITS = 18  # fits an int64 step


class _EpochEnds:
    """The epoch-end values `Parser._epoch_run` reads in one `Parser._take` call, a list
    a printed name, handed out as one `Columns` block a series: the collector's work for a
    `Point` each was a third of reading them."""

    def __init__(self) -> None:
        self.names: dict[str, tuple[list, list, list]] = {}  # name -> epochs, values, wall times (None: unknown)

    def holds(self, item: Item) -> bool:
        """Whether ``item`` is a value of a series held here."""
        return (type(item) is Point or type(item) is Columns) and item.source_tag in self.names

    def release(self, items: list[Item]) -> None:
        """Append the held values to ``items``, one block a series."""
        for name, (epochs, values, walls) in self.names.items():
            known = None
            if walls.count(None) != len(walls):
                known = np.array([_NAN if wall is None else wall for wall in walls], dtype=np.float64)
            steps = np.array(epochs, dtype=np.int64)
            items.append(Columns(tags.canonical(name), name, steps, np.array(values, dtype=np.float64),
                                 steps.astype(np.float64), known))
        self.names = {}


_NAN = float("nan")


# Records of a line whose step is known only once the epoch length is: data, not closures,
# so a parser holding them back can be saved (the indexer stores parser state as data).
def _points_at(values: list, step: int, position: float, wall: float | None) -> list[Item]:
    return [Point(tag, name, step, value, position, wall) for tag, name, value in values]


def _lr_at(value: float, note: str, step: int, epoch: float, wall: float | None) -> list[Item]:
    return [Point(_LR_TAG, "lr", step, value, epoch, wall), Event(LR_CHANGE, step, epoch, wall, note)]


def _checkpoint_at(text: str, step: int, epoch: float, wall: float | None) -> list[Item]:
    return [Event(CHECKPOINT, step, epoch, wall, text)]
