"""The fast path of the PyTorch example's, mmengine's, mmcv's and detectron2's text logs (a
chunk's lines of one layout read at once, `_pair_runs`) gives exactly what the line-by-line
path (``Parser(fast=False)``) gives: on every corpus file of these formats, on the real torch
captures, and under hypothesis over generated lines (odd numbers, resumes, other lines between
them) and chunkings."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.model import RESUME, Columns, Event, Point
from lossboard.sources.formats import FORMATS, _pair_runs
from tests.sources.helpers import canonical, every, expand, parse_cut

DATA = Path(__file__).parent / "data" / "pytorch"


def _parse(name: str, text: str | bytes, *, fast: bool = True, chunk: int | None = None) -> list:
    return parse_cut(name, text, every(chunk, text), fast=fast)


def _same(name: str, text: str, chunk: int | None = None) -> list:
    """The fast parse, after checking it means what the general one means."""
    fast = _parse(name, text, fast=True, chunk=chunk)
    assert canonical(expand(fast)) == canonical(expand(_parse(name, text, fast=False, chunk=chunk)))
    return fast


CORPUS = [
    ("pytorch", "pytorch-imagenet/salientnet_ssanet50_imagenet.log"),
    ("pytorch", "pytorch-imagenet/akamaster-style_resnet20_cifar10_log_resnet20.log"),
    ("mmengine-log", "mmengine-log/mmdet3x_rtmdet_ear_20230607_222528.log"),
    ("mmengine-log", "mmengine-log/mmpose1x_rtmpose_ear_20230604_165733.log"),
    ("mmengine-log", "mmengine-log/mmpretrain1x_resnet50_fruit30_20230609_150855.log"),
]


@pytest.mark.parametrize(("name", "relative"), CORPUS)
def test_every_corpus_file_reads_the_same_on_both_paths(corpus: Path, name: str, relative: str) -> None:
    text = (corpus / relative).read_bytes().decode("utf-8", "replace")
    for chunk in (None, 65_536):
        items = _same(name, text, chunk)
    if "mmpose" not in relative:  # its runs of training lines are 6 long: line by line is as fast
        assert sum(len(item.step) for item in items if type(item) is Columns) > 1_000


@pytest.mark.parametrize("capture", ["imagenet_mixed_pipe.log", "imagenet_mixed_pty.log", "imagenet_style.log"])
def test_the_real_torch_captures_read_the_same_on_both_paths(capture: str) -> None:
    _same("pytorch", (DATA / capture).read_bytes().decode())


# numbers as printed, and a few that only float() reads (the fast path must give them up)
VALUES = st.one_of(
    st.floats(0, 1e4, allow_nan=False).map(lambda v: f"{v:.4f}"),
    st.floats(1e-8, 1e3, allow_nan=False).map(lambda v: f"{v:.4e}"),
    st.integers(0, 5000).map(str),
    st.sampled_from(["nan", "-0", "1.", "01", "inf", "-1.0000", "+2", ".5", "1e5"]),
)
ETAS = st.sampled_from(["0:10:00", "1 day, 2:03:04", "2 days, 2:47:25", "23:59:59"])
OTHER = st.sampled_from(["val_loss: 0.5", "grad_norm: 1.25", "print 3", "", "lr = 0.1"])


def _positions(draw, count: int) -> list[tuple[int, int]]:
    """(epoch, iteration within it) of ``count`` lines, mostly in order, sometimes going back."""
    epoch, it, out = 1, 0, []
    for _ in range(count):
        move = draw(st.sampled_from(["next", "next", "next", "epoch", "back"]))
        if move == "epoch":
            epoch, it = epoch + 1, 0
        elif move == "back":
            epoch, it = max(1, epoch - 1), 0
        it += 5
        out.append((epoch, it))
    return out


@st.composite
def logs(draw, kind: str) -> str:
    lines = []
    for epoch, it in _positions(draw, draw(st.integers(8, 40))):
        v = [draw(VALUES) for _ in range(4)]
        if kind == "pytorch":
            line = (f"Epoch: [{epoch - 1}][{it:>4}/{draw(st.sampled_from([200, 200, 7]))}]\tTime {v[0]} ({v[1]})"
                    f"\tLoss {v[2]} ({v[3]})\tAcc@1 {v[0]} ({v[1]})")
        elif kind == "mmengine-log":
            line = (f"2023/06/0{draw(st.integers(1, 9))} 1{draw(st.integers(0, 9))}:0{it % 10}:{it % 60:02d} - mmengine - INFO - "
                    f"Epoch(train) [{epoch:>3}][{it:>3}/200]  lr: {v[0]}  eta: {draw(ETAS)}  time: {v[1]}  loss: {v[2]}  loss_cls: {v[3]}")
        elif kind == "mmdet-log":
            line = (f"2021-03-04 12:{it % 60:02d}:00,{draw(st.integers(0, 999)):03d} - mmdet - INFO - Epoch [{epoch}][{it}/200]\t"
                    f"lr: {v[0]}, eta: {draw(ETAS)}, time: {v[1]}, loss_cls: {v[2]}, loss: {v[3]}")
        else:
            line = (f"[11/16 03:{it % 60:02d}:21] d2.utils.events INFO:  eta: {draw(ETAS)}  iter: {epoch * 1000 + it}  "
                    f"total_loss: {v[0]}  loss_cls: {v[1]}  lr: {v[2]}  max_mem: {draw(st.integers(1, 12000))}M")
        lines.append(line)
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(OTHER))
        if draw(st.integers(0, 14)) == 0:  # an evaluation: a block of its own lines, read in bulk too
            lines += _evaluation(draw, kind, epoch, it)
    return "\n".join(lines) + "\n"


def _evaluation(draw, kind: str, epoch: int, it: int) -> list[str]:
    """What a trainer prints when it evaluates: progress or metric lines, then a summary."""
    count = draw(st.integers(1, 12))
    v = [draw(VALUES) for _ in range(4)]
    if kind == "pytorch":
        return [f"Test: [{i * 10:>3}/{draw(st.sampled_from([196, 196, 0]))}]\tTime {v[0]} ({v[1]})\tLoss {draw(VALUES)} ({v[2]})"
                f"\tAcc@1 {draw(VALUES)} ({v[3]})" for i in range(count)] + [f" * Acc@1 {v[0]} Acc@5 {v[1]}"]
    if kind == "mmengine-log":
        stamp = f"2023/06/07 10:0{it % 10}:{it % 60:02d} - mmengine - INFO - "
        return [f"{stamp}Epoch(val) [{epoch}][{i * 10:>3}/100]    eta: {draw(ETAS)}  time: {draw(VALUES)}  "
                f"data_time: {v[1]}  memory: {draw(st.integers(1, 400))}" for i in range(count)] + [
                f"{stamp}Epoch(val) [{epoch}][100/100]    coco/bbox_mAP: {v[2]}  coco/bbox_mAP_50: {v[3]}  time: {v[0]}"]
    if kind == "detectron2-log":
        return [f"[11/16 03:{it % 60:02d}:21] d2.evaluation.evaluator INFO: Inference done {i * 120 + 11}/3334. "
                f"Dataloading: {v[0]} s/iter. Total: 0.0412 s/iter. ETA={draw(ETAS)}" for i in range(count)] + [
                f"[11/16 03:{it % 60:02d}:21] d2.evaluation.testing INFO: copypaste: {line}"
                for line in ("Task: bbox", "AP,AP50", f"{v[1]},{v[2]}")]
    return [f"2021-03-04 12:{it % 60:02d}:00,000 - mmdet - INFO - Epoch(val) [{epoch}][200]\tbbox_mAP: {v[0]}, "
            f"bbox_mAP_copypaste: {v[0]} {v[1]}"]


@pytest.mark.parametrize("kind", ["pytorch", "mmengine-log", "mmdet-log", "detectron2-log"])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_generated_lines_read_the_same_on_both_paths_whatever_the_chunks(kind: str, data) -> None:
    text = data.draw(logs(kind))
    chunk = data.draw(st.sampled_from([None, 100_000, 4_096, 700]))
    _same(kind, text, chunk)


# what a file's bytes may hold that a clean log does not: the reader hands them over undecoded
ODD_BYTES = st.sampled_from([b"caf\xc3\xa9 0.5", b"bad \xff byte", b"val_loss: 0.\xff5", b"print 3\rprint 4", b"\x1b[32mgreen\x1b[0m", b"x\x08y"])


@pytest.mark.parametrize("kind", ["pytorch", "mmengine-log", "mmdet-log", "detectron2-log"])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_the_files_bytes_read_as_their_decoded_text_whatever_the_chunks(kind: str, data) -> None:
    """`feed_bytes`, as the reader feeds a file: plain lines are read as bytes, and lines with
    a redraw, a colour code, a bad byte, a character of several bytes or a CRLF give what the
    general path gives for the text the reader would decode (a chunk may end inside a
    character)."""
    lines = data.draw(logs(kind)).encode().split(b"\n")
    for _ in range(data.draw(st.integers(0, 3))):
        lines.insert(data.draw(st.integers(0, len(lines) - 1)), data.draw(ODD_BYTES))
    ending = data.draw(st.sampled_from([b"\n", b"\n", b"\r\n"]))
    raw = ending.join(lines[:-1]) + ending + data.draw(st.sampled_from([b"", b"Epoch: [0][  5/200]"]))
    chunk = data.draw(st.sampled_from([100_000, 4_096, 701, 3]))
    expected = _parse(kind, raw.decode("utf-8", "replace"), fast=False)
    assert canonical(expand(_parse(kind, raw, chunk=chunk))) == canonical(expand(expected))


# a training line and an evaluation line of each kind, as a long run prints them
_TRAINING = {
    "pytorch": "Epoch: [{before}][{it:>4}/1000]\tTime {v} ({v})\tLoss {v} ({v})",
    "mmengine-log": "2023/06/07 10:00:{second:02d} - mmengine - INFO - Epoch(train) [{epoch:>3}][{it:>3}/1000]  "
                    "lr: {v}  eta: 1 day, 2:03:04  time: {v}  loss: {v}",
    "detectron2-log": "[11/16 03:00:21] d2.utils.events INFO:  eta: 0:10:00  iter: {step}  total_loss: {v}  lr: {v}  max_mem: 2345M",
    "mmdet-log": "2021-03-04 12:00:{second:02d},123 - mmdet - INFO - Epoch [{epoch}][{it}/1000]\tlr: {v}, "
                 "eta: 1 day, 2:03:04, time: {v}, loss_cls: {v}, loss: {v}",
}
_EVALUATION = {
    "pytorch": "Test: [{tens:>3}/100]\tTime 0.120 ( 0.250)\tLoss 1.2e+00 (1.1e+00)\tAcc@1  70.31 ( 72.00)",
    "mmengine-log": "2023/06/07 10:01:00 - mmengine - INFO - Epoch(val) [{epoch}][{tens:>3}/100]    "
                    "eta: 0:00:0{i}  time: 0.0589  data_time: 0.0026  memory: 300",
    "detectron2-log": "[11/16 03:01:21] d2.evaluation.evaluator INFO: Inference done {done}/3334. "
                      "Dataloading: 0.0015 s/iter. Total: 0.0412 s/iter. ETA=0:01:36",
    "mmdet-log": "2021-03-04 12:01:00,000 - mmdet - INFO - Epoch(val) [{epoch}][1000]\tbbox_mAP: 0.{i}00, bbox_mAP_50: 0.{i}10",
}


def _clean_log(kind: str, epochs: int = 3, lines_per_epoch: int = 40) -> str:
    """A log as a long run prints it: every line of a kind in one layout, plain numbers."""
    lines = []
    for epoch in range(1, epochs + 1):
        for it in range(5, 5 * lines_per_epoch + 1, 5):
            lines.append(_TRAINING[kind].format(
                before=epoch - 1, epoch=epoch, it=it, second=it % 60, step=epoch * 1000 + it,
                v=f"{(epoch * 1000 + it) / 997:.4f}"))
        lines += [_EVALUATION[kind].format(epoch=epoch, i=i, tens=i * 10, done=i * 120 + 11) for i in range(10)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("kind", ["pytorch", "mmengine-log", "detectron2-log"])
def test_every_value_of_a_clean_log_comes_in_blocks_whatever_the_chunks(kind: str) -> None:
    """Training and evaluation lines are both read in bulk: no line of them gives `Point`s,
    not even the first of a run (points made the collector's blocks short, and a load's memory
    grow). The lines detectron2's evaluator prints give nothing on either path."""
    text = _clean_log(kind)
    for chunk in (None, 4_096):
        items = _same(kind, text, chunk)
        assert not [item for item in items if type(item) is Point and "batch" in item.tag]
        assert sum(len(item.step) for item in items if type(item) is Columns) > 100


def test_lines_whose_marker_moves_once_in_a_chunk_still_come_in_blocks() -> None:
    """An ETA that loses a digit moves ``iter:`` one column to the left from that line on: the
    lines before and after are both read in bulk (`Chunk.holding` looks where the chunk's
    first and last line hold the marker), and mean what they mean line by line."""
    lines = [f"[11/16 03:00:21] d2.utils.events INFO:  eta: {timedelta(seconds=36_000 + 20 * (20 - i))}  "
             f"iter: {1000 + 20 * i}  total_loss: {i / 7:.4f}  lr: 0.02  max_mem: 2345M" for i in range(40)]
    assert lines[0].index("iter:") != lines[-1].index("iter:")
    items = _same("detectron2-log", "\n".join(lines) + "\n")
    assert not [item for item in items if type(item) is Point]
    assert [len(item.step) for item in items if type(item) is Columns and item.source_tag == "total_loss"] == [40]


def test_one_series_comes_in_one_block_per_chunk() -> None:
    """Runs of one chunk are joined (the collector holds large blocks as they come)."""
    items = _same("detectron2-log", _clean_log("detectron2-log", epochs=6))
    blocks = [item for item in items if type(item) is Columns and item.source_tag == "total_loss"]
    assert len(blocks) == 1 and len(blocks[0].step) == 240


def _read(layout: _pair_runs.Layout, lines: list[str]):
    """`Layout.read` of ``lines`` as a chunk gives them."""
    return layout.read(*_pair_runs.Chunk.of_lines(lines).joined(np.arange(len(lines))))


NAMES = st.text(alphabet="abcEe_/:,@()[]|-+.15 \t", min_size=1, max_size=12).filter(lambda name: name.strip())
NUMBERS = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.4f}"),
    st.floats(1e-9, 1e9).map(lambda v: f"{v:.3e}"),
    st.integers(-5, 10**6).map(str),
    st.just("-0"),  # float() gives -0.0, JSON the integer 0
)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_layout_reads_the_numbers_its_lines_hold_or_gives_up(data) -> None:
    """`Layout.read` over lines of one layout: whatever the text between the numbers (names with
    digits, letters and signs numbers use, commas, the separators of other pieces), it gives
    exactly the numbers printed, or None (then the lines are read one by one)."""
    names = data.draw(st.lists(NAMES, min_size=1, max_size=5))
    head = data.draw(st.sampled_from(["Epoch: [", "x ", "- INFO - Epoch(val) ["]))
    rows = data.draw(st.lists(st.lists(NUMBERS, min_size=len(names) + 1, max_size=len(names) + 1), min_size=1, max_size=6))
    lines = [head + row[0] + "".join(f"{name} {value}" for name, value in zip(names, row[1:])) for row in rows]
    sample, spans, at = lines[0], [], len(head)
    for value, name in zip(rows[0], ["", *names]):
        at += len(name) + (1 if name else 0)
        spans.append((at, at + len(value)))
        at += len(value)
    layout = _pair_runs.Layout.learn(sample, spans, names)
    read = None if layout is None else _read(layout, lines)
    if read is not None:  # compared as repr: -0.0 is not 0.0
        assert [[*map(repr, row)] for row in read[1].tolist()] == [[repr(float(v)) for v in row] for row in rows]


def test_names_holding_digits_letters_and_slashes_are_read_in_bulk() -> None:
    """mmengine's validation summary: the "/" of every name and the digits of "_50"."""
    lines = [f"- INFO - Epoch(val) [{e}][100/100]    coco/bbox_mAP: 0.{e}  coco/bbox_mAP_50: 1.5  data_time: 0.0{e}  time: 7"
             for e in range(1, 9)]
    head = re.search(r"\[(\d+)\]\[(\d+)/(\d+)\]", lines[0])
    spans = [head.span(1), head.span(2), head.span(3), *(m.span(1) for m in re.finditer(r": (\S+)", lines[0]))]
    layout = _pair_runs.Layout.learn(lines[0], spans, ["coco/bbox_mAP", "coco/bbox_mAP_50", "data_time", "time"])
    read = _read(layout, lines)
    assert read is not None
    assert read[1].tolist() == [[e, 100, 100, e / 10, 1.5, e / 100, 7.0] for e in range(1, 9)]


_MMENGINE_TRAINING = ("2023/06/07 10:00:{s:02d} - mmengine - INFO - Epoch(train) [{e:>3}][{it:>3}/{total}]  lr: 1.0000e-02  "
                      "eta: 1 day, 2:03:04  time: {v}  loss: {v}")


@pytest.mark.parametrize("chunk", [None, 1_000, 3_000, 7_000])
@pytest.mark.parametrize("totals", [(200, 200, 200), (200, 100, 100), (100, 100, 300)])
def test_training_that_goes_back_or_changes_its_length_reads_the_same_on_both_paths(chunk, totals) -> None:
    """A resume inside a run of training lines (its event, then the steps again), and an
    epoch length that shrinks from one run to the next (the clock keeps the longest): the
    steps of a run are sliced from the chunk's only where they are the clock's."""
    its = [(1, it, totals[0]) for it in range(5, 201, 5)] + [(2, it, totals[1]) for it in range(5, 101, 5)]
    its += [(2, it, totals[2]) for it in range(5, 61, 5)]
    text = "\n".join(_MMENGINE_TRAINING.format(s=i % 60, e=e, it=it, total=total, v=f"{(e * 1000 + it) / 997:.4f}")
                     for i, (e, it, total) in enumerate(its)) + "\n"
    items = _same("mmengine-log", text, chunk)
    if chunk:  # the runs of a chunk without the resume are read in bulk (one with it, line by line)
        assert sum(len(item.step) for item in items if type(item) is Columns) > len(its)


@st.composite
def _records(draw) -> list:
    """Rows of two layouts, points and resumes of two series, in any order, at steps that
    collide: what `blocks` joins must keep its place for the collector's later-wins rule."""
    matrix = np.array([[float(row), float(row) + 0.5] for row in range(20)])
    columns = {"a": ((0, "train/loss", "loss"),), "ab": ((0, "train/loss", "loss"), (1, "train/acc", "acc"))}
    items, at = [], 0
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["rows", "rows", "point", "point", "resume"]))
        step = draw(st.integers(0, 6))
        if kind == "rows" and at < 20:
            stop = min(20, at + draw(st.integers(1, 3)))
            steps = np.arange(step, step + stop - at, dtype=np.int64)
            items.append(_pair_runs.Rows(matrix, at, stop, columns[draw(st.sampled_from(["a", "ab"]))], steps))
            at = stop
        elif kind == "point":
            tag, name = draw(st.sampled_from([("train/loss", "loss"), ("train/acc", "acc")]))
            items.append(Point(tag, name, step, draw(st.floats(-5, 5)), draw(st.sampled_from([None, 1.0]))))
        else:
            items.append(Event(RESUME, step))
    return items


@settings(max_examples=300, deadline=None)
@given(items=_records())
def test_joined_blocks_mean_what_the_records_meant_one_by_one(items: list) -> None:
    """`blocks` joins Rows of one layout and Points of one series only where nothing between
    them touches their series: the collector makes of the blocks what it makes of the records
    taken one at a time."""
    one_by_one = [block for item in items for block in (
        _pair_runs._columns([item]) if type(item) is _pair_runs.Rows else [item])]
    assert canonical(_pair_runs.blocks(items)) == canonical(one_by_one)


@st.composite
def _respaced(draw, kind: str) -> str:
    """A generated log with a few lines' spacing changed: a space taken out (``Time100.500``,
    ``Epoch:[``, ``loss:0.3``) or put in (``0.3 5``, ``lo ss``, two after a colon) anywhere in
    them, the rest of the run as printed."""
    lines = _clean_log(kind, epochs=2, lines_per_epoch=draw(st.integers(8, 20))).split("\n")
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        line = lines[at]
        spaces = [i for i, char in enumerate(line) if char == " "]
        if spaces and draw(st.booleans()):
            cut = draw(st.sampled_from(spaces))
            lines[at] = line[:cut] + line[cut + 1 :]
        elif line:
            put = draw(st.integers(1, len(line) - 1))
            lines[at] = line[:put] + " " + line[put:]
    return "\n".join(lines)


@pytest.mark.parametrize("kind", ["pytorch", "mmengine-log", "mmdet-log", "detectron2-log"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_line_spaced_otherwise_reads_as_the_general_path_reads_it(kind: str, data) -> None:
    """The spaces between and inside ``name value`` pairs are the formats' own: a line whose
    text without spaces fits a run's layout but whose spacing the general path reads otherwise
    (a value touching its name, a space inside a number or a name) is read as that path reads
    it, its problem reported."""
    text = data.draw(_respaced(kind))
    _same(kind, text, data.draw(st.sampled_from([None, 4_096])))


_NUMBERED_NAMES = {
    "mmengine-log": "2023/06/07 10:00:{s:02d} - mmengine - INFO - Epoch(train) [1][{it:>3}/1000]  lr: {v}  time: {v}  "
                    "s0.loss: {v}  s1.loss: {w}",
    "detectron2-log": "[11/16 03:00:21] d2.utils.events INFO:  iter: {it}  s0.loss: {v}  s1.loss: {w}  lr: {v}",
    "mmdet-log": "2021-03-04 12:00:{s:02d},123 - mmdet - INFO - Epoch [1][{it}/1000]\tlr: {v}, s0.loss: {v}, s1.loss: {w}, loss: {v}",
    "pytorch": "Epoch: [0][{it}/1000]\tTime {v} ({w})\ts0.loss {v} ({w})\ts1.loss {w} ({v})",
}


@pytest.mark.parametrize("kind", sorted(_NUMBERED_NAMES))
@pytest.mark.parametrize("at", [0, 17, 39])
def test_a_line_whose_names_differ_only_in_digits_reads_as_the_general_path_reads_it(kind: str, at: int) -> None:
    """Names that differ only in a digit (a cascade's s0. and s1. losses) swapped on one line
    of a run: each value goes to the name printed beside it, wherever the line is."""
    lines = [_NUMBERED_NAMES[kind].format(s=i % 60, it=5 * i + 5, v=f"{(i * 7) % 13 / 3:.4f}", w=f"{i / 7:.4f}")
             for i in range(40)]
    as_printed = _same(kind, "\n".join(lines) + "\n")
    assert sum(len(item.step) for item in as_printed if type(item) is Columns) >= 40 * 3  # read in bulk
    lines[at] = lines[at].replace("s0.", "s#.").replace("s1.", "s0.").replace("s#.", "s1.")
    _same(kind, "\n".join(lines) + "\n")


def _with_tables(text: str, values: str) -> str:
    """A detectron2 log with a bbox and a segm copypaste table after each evaluation."""
    table = ("[11/16 03:01:22] d2.evaluation.testing INFO: copypaste: Task: {task}\n"
             "[11/16 03:01:22] d2.evaluation.testing INFO: copypaste: AP,AP50,APl\n"
             "[11/16 03:01:22] d2.evaluation.testing INFO: copypaste: {values}\n")
    tables = table.format(task="bbox", values=values) + table.format(task="segm", values="1.5,nan,3")
    return re.sub(r"(Inference done 1091/3334[^\n]*\n)", lambda match: match[1] + tables, text)


@pytest.mark.parametrize("values", ["40.2151,61.0234,43.8120", "40.2151, 61.0234,43.8120 ", "1.,.5,0x1", "1,2"])
def test_copypaste_tables_between_runs_read_as_the_general_path_reads_them(values: str) -> None:
    """detectron2's tables between runs read in bulk: each lands at the last iteration
    (a chunk's become one block per column), odd cells (``float`` reads ``1.`` but not
    ``0x1``) and a count that differs from the columns' give what the general path gives."""
    text = _with_tables(_clean_log("detectron2-log"), values)
    _same("detectron2-log", text, 4_096)
    items = _same("detectron2-log", text)
    if values.count(",") == 2 and "0x1" not in values:
        (block,) = [item for item in items if type(item) is Columns and item.tag == "val/segm/AP50"]
        assert len(block.step) == 3 and np.isnan(block.value).all()


def test_a_chunks_copypaste_tables_come_in_one_block_a_column() -> None:
    """Tables of two tasks after each evaluation, as a Mask R-CNN run prints them, are read in
    bulk (a chunk's tables of one task and header are one block a column), at the iteration
    the evaluation ran after, as the general path reads them whatever the chunks."""
    text = _clean_log("detectron2-log", epochs=12)
    tables = ("[11/16 03:01:22] d2.evaluation.testing INFO: copypaste: Task: {task}\n"
              "[11/16 03:01:22] d2.evaluation.testing INFO: copypaste: AP,AP50,APl\n"
              "[11/16 03:01:22] d2.evaluation.testing INFO: copypaste: {values}\n")
    text = re.sub(r"(Inference done 1091/3334[^\n]*\n)", lambda match: match[1] + "".join(
        tables.format(task=task, values=values) for task, values in (("bbox", "40.2151,61.0234,43.8120"), ("segm", "1.5,2,3e1"))
    ), text)
    for chunk in (None, 5_000, 20_000):
        _same("detectron2-log", text, chunk)
    items = _same("detectron2-log", text)
    assert not [item for item in items if type(item) is Point]
    (block,) = [item for item in items if type(item) is Columns and item.source_tag == "segm/APl"]
    assert block.step.tolist() == [epoch * 1000 + 200 for epoch in range(1, 13)] and set(block.value) == {30.0}


class _CountingTables(FORMATS["detectron2-log"].Parser):
    """detectron2's parser counting the copypaste lines it reads one by one."""

    def __init__(self) -> None:
        super().__init__()
        self.read_alone = 0

    def _copypaste(self, number: int, text: str) -> list:
        self.read_alone += 1
        return super()._copypaste(number, text)


_TABLE = "[11/16 03:01:22] d2.evaluation.testing INFO: copypaste: "


def _logged_tables(odd: dict[int, str] | None = None) -> str:
    """A metrics line and a bbox or segm table, twelve times; ``odd``: what lines (0 to 35)
    of the tables hold instead (after the time, or the whole line when it starts "copypaste")."""
    tables = [[f"Task: {task}", "AP,AP50", f"{40 + step / 7:.4f},{step / 99:.4f}"] for step, task in zip(range(12), ["bbox", "segm"] * 6)]
    lines = [f"{_TABLE}{line}" for table in tables for line in table]
    for line, instead in (odd or {}).items():
        lines[line] = instead if instead.startswith("copypaste") else _TABLE + instead
    metrics = [f"[11/16 03:00:21] d2.utils.events INFO:  eta: 0:10:00  iter: {step}  total_loss: 0.5" for step in range(20, 260, 20)]
    return "".join(f"{metric}\n{chr(10).join(lines[3 * at : 3 * at + 3])}\n" for at, metric in enumerate(metrics))


def test_every_copypaste_table_of_a_clean_log_is_read_in_bulk() -> None:
    parser = _CountingTables()
    text = _logged_tables()
    assert canonical(expand(parser.feed(text) + parser.close())) == canonical(expand(_parse("detectron2-log", text, fast=False)))
    assert parser.read_alone == 0


@pytest.mark.parametrize("after", ["loss: 0.5", "copypaste: AP,AP50", "[11/16 03:01:22] d2.evaluation.testing INFO: copypaste: AP,AP50"])
def test_the_next_chunk_reads_its_lines_where_a_chunk_read_at_once_left_them(after: str) -> None:
    """A chunk of metrics lines and tables read at once leaves what the general path leaves
    for the next chunk's lines: a print after the last table is a validation value at the
    iteration the evaluation ran after, and a table without its task line takes the last
    table's task."""
    text = _logged_tables()
    more = f"{after}\n{_TABLE}{'1.5,2.5' if 'AP50' in after else 'AP,AP50'}\n{_TABLE}3.5,4.5\n"
    general = canonical(expand(_parse("detectron2-log", text + more, fast=False)))
    for log in (text + more, (text + more).encode()):
        assert canonical(expand(_parse("detectron2-log", log, chunk=len(text)))) == general


@pytest.mark.parametrize("first", ["table", "metrics"])
def test_a_chunk_read_at_once_places_its_tables_at_the_iterations_they_ran_after(first: str) -> None:
    """Each table of a chunk read at once lands at the iteration of the metrics line before it,
    or, before any, at the last iteration of the chunk before (as the general path reads it)."""
    lines = []
    for step in range(20, 820, 20):
        lines += [f"[11/16 03:00:21] d2.utils.events INFO:  eta: 0:10:00  iter: {step}  total_loss: {step / 997:.4f}",
                  f"{_TABLE}Task: bbox", f"{_TABLE}AP,AP50", f"{_TABLE}{step / 7:.4f},{step / 99:.4f}"]
    cut = len(lines) // 2 + (0 if first == "metrics" else 1)  # the second chunk starts with a metrics line, or a table
    text = "\n".join(lines) + "\n"
    at = len("\n".join(lines[:cut])) + 1
    fast = parse_cut("detectron2-log", text.encode(), [at, len(text)])
    assert canonical(expand(fast)) == canonical(expand(_parse("detectron2-log", text, fast=False)))
    (ap,) = [item for item in fast if type(item) is Columns and item.source_tag == "bbox/AP" and item.step[-1] == 800]
    assert ap.step.tolist() == list(range(420, 820, 20)) and ap.value[0] == float(f"{420 / 7:.4f}")


def test_tables_of_two_prefixes_in_one_chunk_read_as_the_general_path_reads_them() -> None:
    """detectron2's console and ``log.txt`` prefix its copypaste lines otherwise: two kinds of
    table in one chunk, each read as the general path reads it."""
    console = _logged_tables().replace("] d2.evaluation.testing INFO: copypaste: ", " d2.evaluation.testing]: copypaste: ")
    lines = _logged_tables().splitlines(keepends=True)
    text = "".join(lines) + "".join(line.replace("iter: ", "iter: 9") for line in console.splitlines(keepends=True))
    assert _points(_same("detectron2-log", text)) == _points(_parse("detectron2-log", text, fast=False))


@pytest.mark.parametrize("cut", [1, 2])
def test_a_table_cut_by_a_chunks_end_leaves_the_other_tables_in_bulk(cut: int) -> None:
    """A chunk that ends after a table's task line, or its header, reads that table's lines
    one by one on both sides of the cut (the next chunk starts inside it), and every other
    table of both chunks in bulk, as the general path reads them."""
    lines = _logged_tables().splitlines(keepends=True)
    task = lines.index(f"{_TABLE}Task: segm\n", len(lines) // 2)
    text = "".join(lines)
    at = len("".join(lines[: task + cut]).encode())
    parser = _CountingTables()
    items = parser.feed_bytes(text[:at].encode()) + parser.feed_bytes(text[at:].encode()) + parser.close()
    assert canonical(expand(items)) == canonical(expand(_parse("detectron2-log", text, fast=False)))
    assert parser.read_alone == 3


@pytest.mark.parametrize("odd", [
    {17: "-0,1.5"},  # orjson's -0 is the integer 0; float("-0") is -0.0
    {16: "iter: 5  AP,AP50"},  # a metrics line to the general path
    {15: "Task: bbox\x1c"},  # white space to str.strip, not to bytes.strip
    {17: "Task: segm"}, {16: "Task: segm", 17: "1.5"},  # a task line in another's place
    {16: "AP"},  # fewer columns than values
    {16: "AP,AP50\nloss: 0.5"},  # another line between a table's, read in the table's split or not
    # a metrics line between a table's: its values land at that line's iteration
    {16: "AP,AP50\n[11/16 03:00:21] d2.utils.events INFO:  eta: 0:10:00  iter: 130  total_loss: 0.5"},
    {15: "copypaste: 0:21] d2.evaluation.testing INFO: copypaste: Task: bbox"},  # the general path takes the first
])
def test_an_odd_copypaste_table_among_clean_ones_reads_as_the_general_path_reads_it(odd: dict[int, str]) -> None:
    """One odd table leaves its chunk's tables to the general path; each, read otherwise in
    bulk, would mean something else."""
    text = _logged_tables(odd)
    fast = _same("detectron2-log", text)
    assert _points(fast) == _points(_parse("detectron2-log", text, fast=False))


TABLE_CELLS = st.one_of(VALUES, st.sampled_from([" 40.5", "40.5 ", "", "1 2", "0x1", "-0.0", "1e400", "12345678901234567890"]))
TABLE_LINES = st.sampled_from(["Task: bbox", " Task: segm ", "AP, AP50 ", "iter: 5  AP,AP50", "\x1cAP,AP50", "AP"])


@st.composite
def _tables_log(draw) -> str:
    """A detectron2 log whose evaluations print copypaste tables as detectron2 does, one in
    a few odd: a cell orjson and ``float`` read otherwise, a line left out, another line in a
    table's place (so a chunk's tables are mostly read in bulk, and one odd table in one)."""
    lines = []
    for step in range(20, 20 * draw(st.integers(10, 60)), 20):
        lines.append(f"[11/16 03:00:21] d2.utils.events INFO:  eta: 0:10:00  iter: {step}  total_loss: {step / 997:.4f}")
        if draw(st.booleans()):
            table = [f"Task: {draw(st.sampled_from(['bbox', 'segm']))}", "AP,AP50", f"{step / 99:.4f},{step / 7:.2f}"]
            odd = draw(st.integers(0, 15))
            if odd == 0:
                table[2] = f"{draw(TABLE_CELLS)},{draw(TABLE_CELLS)}"
            elif odd == 1:
                table[draw(st.integers(0, 2))] = draw(TABLE_LINES)
            elif odd == 2:
                del table[draw(st.integers(0, 2))]
            lines += [f"[11/16 03:00:21] d2.evaluation.testing INFO: copypaste: {line}" for line in table]
    return "\n".join(lines) + "\n"


def _points(items: list) -> Counter:
    """Each value as (name, step, its repr): -0.0 and 0.0 apart, as equality does not tell them."""
    return Counter((point.source_tag, point.step, repr(point.value)) for point in expand(items) if type(point) is Point)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_copypaste_tables_of_any_cells_read_as_the_general_path_reads_them(data) -> None:
    """Tables read in bulk give what the general path gives: cells ``float`` reads and orjson
    does not (``1.``, ``nan``, `` 40.5``) or reads otherwise (``-0``), counts that differ from
    the header's, a table without its task or header line, a task line where another should
    be, a metrics pair in a table's line."""
    text, chunk = data.draw(_tables_log()), data.draw(st.sampled_from([None, 4_096, 8_192]))
    fast = _same("detectron2-log", text, chunk)
    assert _points(fast) == _points(_parse("detectron2-log", text, fast=False, chunk=chunk))


@st.composite
def _digits_moved(draw, kind: str) -> str:
    """A log with a digit moved across the character after it on a few lines (``03:15:21``
    to ``03:1:521``, ``[11/16`` to ``[1/116``, ``0.35`` to ``0.3`` and a longer name),
    where the general path's patterns want so many digits or none."""
    lines = _clean_log(kind, epochs=2, lines_per_epoch=draw(st.integers(8, 20))).split("\n")
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines) - 2))
        line = lines[at]
        places = [i for i in range(len(line) - 2) if line[i].isdigit() and not line[i + 1].isdigit()]
        if places:
            i = draw(st.sampled_from(places))
            lines[at] = line[:i] + line[i + 1] + line[i] + line[i + 2 :]
    return "\n".join(lines)


@pytest.mark.parametrize("kind", ["pytorch", "mmengine-log", "mmdet-log", "detectron2-log"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_line_with_a_digit_moved_reads_as_the_general_path_reads_it(kind: str, data) -> None:
    """Lines alike but in how many digits each stretch holds are not alike to every pattern
    (a time's two digits, a number's leading digit): each reads as the general path reads it."""
    _same(kind, data.draw(_digits_moved(kind)), data.draw(st.sampled_from([None, 4_096])))


def test_a_padded_field_the_general_path_takes_no_padding_in_reads_as_it_reads_it() -> None:
    """A run read as columns lets padding stand for a number's leading digits; ``Test: [ *i/N]``
    takes none before ``N``: a line with ``/ 96]`` among ``/196]`` ones is no ``Test:`` line."""
    lines = [f"Test: [{i * 10:>3}/196]\tTime {0.1 + i / 100:6.3f} ( 0.250)\tLoss 1.2000e+00 (1.1000e+00)" for i in range(12)]
    items = _same("pytorch", "\n".join(lines) + "\n")
    assert sum(len(item.step) for item in items if type(item) is Columns) == 12 * 4  # in bulk as printed
    lines[5] = lines[5].replace("/196]", "/ 96]")
    _same("pytorch", "\n".join(lines) + "\n")


_ETA_LINES = {
    "detectron2-log": "[11/16 03:00:21] d2.utils.events INFO:  eta: {eta}  iter: {it}  total_loss: 0.{it}  lr: 0.001",
    "mmengine-log": "2023/06/07 10:00:21 - mmengine - INFO - Epoch(train) [1][{it:>3}/900]  lr: 1.0000e-02  eta: {eta}  "
                    "time: 0.3  loss: 0.{it}",
    "mmdet-log": "2021-03-04 12:00:00,123 - mmdet - INFO - Epoch [1][{it}/900]\tlr: 1.000e-02, eta: {eta}, loss: 0.{it}",
}
GOOD_ETAS = st.sampled_from(["0:10:00", "13:53:19", "1 day, 2:03:04", "12 days, 23:59:59", "123456:00:00", "1 days, 0:00:00"])
# ETAs the trainers' regex takes no part of, or not all, or that sit elsewhere in the line
ODD_ETAS = st.sampled_from(["1:2:03", "1 day,2:03:04", "1 dai, 2:03:04", "1:00:0", "1:00:0x", "00:00:00:00", "x1:00:00",
                            "eta: 1:00:00", "1:00:00 eta: 2:00:00", "", "1234567890123456789012345678:00:00", "1:00:00\x00"])


@pytest.mark.parametrize("kind", sorted(_ETA_LINES))
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_etas_of_any_shape_read_as_the_general_path_reads_them(kind: str, data) -> None:
    """The ETAs of a run are blanked by their columns where each line holds one at the first
    line's place and every shape of them is the trainers' (digits as 0): lines whose ETA is
    another shape, longer than the columns looked at, or printed twice read as the general
    path reads them."""
    etas = st.one_of(GOOD_ETAS, GOOD_ETAS, ODD_ETAS) if data.draw(st.booleans()) else GOOD_ETAS
    first = data.draw(st.sampled_from([5, 90, 100]))
    lines = [_ETA_LINES[kind].format(eta=data.draw(etas), it=it) for it in range(first, first + data.draw(st.integers(8, 30)))]
    _same(kind, "\n".join(lines) + "\n", data.draw(st.sampled_from([None, 2_048])))


@pytest.mark.parametrize("kind", sorted(_ETA_LINES))
def test_a_run_whose_etas_change_shape_or_place_comes_in_blocks(kind: str) -> None:
    """ETAs of every shape, and mmcv's moving with the iteration's width."""
    etas = ["1 day, 0:00:05", "23:59:59", "9:59:59", "10:00:00", "2 days, 0:00:00"] * 4
    lines = [_ETA_LINES[kind].format(eta=eta, it=it) for it, eta in enumerate(etas, 95)]
    items = _same(kind, "\n".join(lines) + "\n")
    assert sum(len(item.step) for item in items if type(item) is Columns and item.source_tag.endswith("loss")) == len(etas)


# what a detectron2 metrics line may print before its ETA: the general path reads nothing there
# but a first "iter: N" (which the fast path slices off by its columns)
D2_HEADS = st.sampled_from(["[11/16 03:00:21] d2.utils.events INFO: ", "[07/11 14:22:23 d2.utils.events]: ",
                            "[11/16 03:00:21] d2.utils.evente INFO: ", "[1/116 03:00:21] d2.utils.events INFO: ",
                            "[11/16 03:00:21] iter: 7 d2.events INFO: ", "[11/16 03:00:21] d2.utils.évents INFO:",
                            "[11/16 03:00:21] d2.utils.events iter: 12345 ", "", "eta: "])


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_detectron2_metrics_lines_whatever_they_print_before_their_eta(data) -> None:
    """A run's lines that differ before their ETA (another logger, a time of other digits or
    none, a character of several bytes, an "iter: N" of its own) read as the general path
    reads them, and a run that differs only there comes in blocks."""
    odd = data.draw(st.booleans())
    usual, eta = "[11/16 03:00:21] d2.utils.events INFO: ", data.draw(GOOD_ETAS)  # "iter:" at one place: a run
    lines = [f"{data.draw(D2_HEADS) if odd and data.draw(st.integers(0, 4)) == 0 else usual} eta: {eta}  "
             f"iter: {it}  total_loss: 0.{it}  lr: 0.001" for it in range(100, 100 + data.draw(st.integers(8, 30)))]
    chunk = data.draw(st.sampled_from([None, 2_048]))
    items = _same("detectron2-log", "\n".join(lines) + "\n", chunk)
    if not odd and chunk is None:  # a chunk's few last lines are read one by one
        assert sum(len(item.step) for item in items if type(item) is Columns and item.source_tag == "total_loss") == len(lines)


@pytest.mark.parametrize("odd", [("0:10:00  ", "0:10:00 x"), ("0:10:00  ", "0:10:00 \t"), ("d2.utils.events", "iter: 7 d2.even"),
                                 ("INFO:  eta", "iter: 8 ta")])
@pytest.mark.parametrize("at", [0, 6, 19])
def test_a_detectron2_line_whose_text_before_iter_could_be_read_reads_as_the_general_path_reads_it(odd, at: int) -> None:
    """The text before ``iter:`` is blanked, not read (the general path reads from the first
    ``iter: N`` after a word boundary): a line with a word character or a tab right before it,
    or an ``iter: N`` of its own before it, at the same place as the run's, is no line of the
    run, and the lines of a clean run all come in blocks."""
    lines = [f"[11/16 03:00:21] d2.utils.events INFO:  eta: 0:10:00  iter: {it}  total_loss: 0.{it}  lr: 0.001"
             for it in range(100, 120)]
    items = _same("detectron2-log", "\n".join(lines) + "\n")
    assert sum(len(item.step) for item in items if type(item) is Columns and item.source_tag == "total_loss") == len(lines)
    lines[at] = lines[at].replace(*odd)
    assert lines[at].index("iter: 1") == lines[0].index("iter: 1")
    _same("detectron2-log", "\n".join(lines) + "\n")


@pytest.mark.parametrize("inside", ["iter: 5  total_loss: 0.3 ", "copypaste: Task: bbox ", "val_loss: 0.5 ", "Inference "])
@pytest.mark.parametrize("at", [0, 5, 11])
def test_a_detectron2_progress_line_holding_more_reads_as_the_general_path_reads_it(inside: str, at: int) -> None:
    """detectron2's own lines give nothing and are read in bulk: one that holds a metrics
    pair or a copypaste table is no such line."""
    stamp = "[11/16 03:00:21]"
    lines = [f"{stamp} d2.utils.events INFO:  eta: 0:10:00  iter: {it}  total_loss: 0.{it}" for it in range(100, 110)]
    progress = [f"{stamp} d2.evaluation.evaluator INFO: Inference done {i * 120 + 11}/3334. Dataloading: 0.0015 s/iter. "
                "ETA=0:01:36" for i in range(12)]
    learned = "\n".join(lines + progress + lines) + "\n"  # the first chunk: progress lines learned one by one
    progress[at] = progress[at].replace("Dataloading", inside + "Dataloading")
    items = _same("detectron2-log", learned + "\n".join(progress + lines) + "\n", len(learned.encode()))
    if inside.startswith("iter"):  # a metrics line for the general path: iteration 5, whatever prints it
        assert any(type(point) is Point and point.step == 5 and point.source_tag == "total_loss" for point in expand(items))


class _CountingProgress(FORMATS["detectron2-log"].Parser):
    """detectron2's parser counting the lines of its evaluator it reads one by one."""

    def __init__(self) -> None:
        super().__init__()
        self.read_alone = 0

    def _one_by_one(self, first: int, lines: list[str], items: list) -> None:
        self.read_alone += sum("Inference done" in line for line in lines)
        super()._one_by_one(first, lines, items)


def test_a_first_chunks_progress_lines_after_its_first_metrics_line_are_read_in_bulk() -> None:
    """The first chunk learns its kinds from its own lines: detectron2's progress lines are
    one once a metrics line came before them (lines of its loggers before any, its dumps, are
    no kind worth learning), and then all of the chunk's are read in bulk, those before the
    metrics line too (they give nothing on either path)."""
    stamp = "[11/16 03:00:21]"
    metrics = [f"{stamp} d2.utils.events INFO:  eta: 0:10:00  iter: {it}  total_loss: 0.{it}" for it in range(100, 120)]
    progress = [f"{stamp} d2.evaluation.evaluator INFO: Inference done {i * 120 + 11}/3334. Dataloading: 0.0015 s/iter. "
                "ETA=0:01:36" for i in range(12)]
    text = "\n".join(progress + metrics[:10] + progress + metrics[10:]) + "\n"
    parser = _CountingProgress()
    items = parser.feed_bytes(text.encode()) + parser.close()
    assert canonical(expand(items)) == canonical(expand(_parse("detectron2-log", text, fast=False)))
    assert parser.read_alone == 0


@pytest.mark.parametrize("at", [0, 5, 11])
def test_a_line_holding_a_detectron2_loggers_text_after_another_prefix_reads_as_the_general_path_reads_it(at: int) -> None:
    """detectron2's own lines are told by their logger's text right after their time: a line
    holding that text further on has no logger's prefix, and the general path reads it (here
    its ``val_loss``) whether or not it is where a chunk's first or last such line is."""
    stamp = "[11/16 03:00:21]"
    lines = [f"{stamp} d2.utils.events INFO:  eta: 0:10:00  iter: {it}  total_loss: 0.{it}" for it in range(100, 130)]
    progress = [f"{stamp} d2.evaluation.evaluator INFO: Inference done {i * 120 + 11}/3334. Dataloading: 0.0015 s/iter. "
                "ETA=0:01:36" for i in range(12)]
    learned = "\n".join(lines[:10] + progress + lines[10:20]) + "\n"  # the first chunk: progress lines learned one by one
    progress[at] = progress[at].replace("] d2.", "] val_loss: 0.5 x] d2.")
    items = _same("detectron2-log", learned + "\n".join(progress + lines[20:]) + "\n", len(learned.encode()))
    assert [point.value for point in expand(items) if type(point) is Point and point.source_tag == "val_loss"] == [0.5]


def test_mmcv_lines_of_one_width_but_other_columns_read_as_the_general_path_reads_them() -> None:
    """mmcv pads neither epoch nor iteration: ``[9][100/900]`` and ``[10][10/900]`` are as
    wide, their columns elsewhere (as an ETA blanked in place moves them). Each shape's lines
    are read as columns on their own, every number in its line's place."""
    line = ("2021-03-04 12:00:00,123 - mmdet - INFO - Epoch [{epoch}][{it}/900]\tlr: 1.000e-02, eta: {eta}, "
            "time: {time:.4f}, loss: {loss:.4f}")
    counters = [(9, it) for it in range(100, 900, 50)] + [(10, it) for it in range(10, 100, 10)]
    lines = [line.format(epoch=epoch, it=it, eta="9:59:59" if it % 20 else "10:00:00", time=it / 1000, loss=epoch + it / 1000)
             for epoch, it in counters]
    items = _same("mmdet-log", "\n".join(lines) + "\n")
    assert sum(len(item.step) for item in items if type(item) is Columns and item.source_tag == "loss") == len(lines)


@pytest.mark.parametrize("kind", ["mmengine-log", "mmdet-log"])
def test_a_run_read_as_columns_names_a_line_of_each_shape_its_etas_and_stamps_included(kind: str) -> None:
    """A run read as columns, its stamps and ETAs blanked in place, names one line of each
    shape (digits as 0) for the general path to read (`RunParser._spaced_as_learned`): ETAs
    as wide as each other but of other shapes, and a date with other separators, among them."""
    etas = ["1 day, 10:00:05", "1 days, 0:00:05", "123456789:00:00", "12 day, 0:00:05"] * 3
    lines = [_ETA_LINES[kind].format(eta=eta, it=it) for it, eta in enumerate(etas, 100)]
    lines[5] = lines[5][:10].translate(str.maketrans("-/", "/-")) + lines[5][10:]  # 2023/06/07 <-> 2023-06-07
    layout, _ = FORMATS[kind].Parser()._layout_of(lines[0])
    read = layout.read(*_pair_runs.Chunk.of_lines(lines).joined(np.arange(len(lines))))
    assert read is not None and read[2] is not None  # read as columns

    def shape(line: str) -> str:
        return re.sub(r"\d", "0", line)

    assert {shape(lines[row]) for row in read[2]} == {shape(line) for line in lines}
