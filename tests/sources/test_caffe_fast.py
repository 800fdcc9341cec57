"""Caffe's fast path (`_caffe_fast`: display records read as one matrix) gives exactly what the
line-by-line path gives: on the corpus log cut into chunks of several sizes, with CRLF line
ends and read in small pieces, and under hypothesis on generated logs with the things that
must send records back to the line-by-line path (restarts, a new year, ``nan``, a print or a
test block inside a run, other outputs, text that is not ASCII); test blocks have a fast path
of their own. Each is fed as text (`feed`) and as the file's bytes (`feed_bytes`, the reader's
path, which reads plain lines undecoded), bad UTF-8 and characters cut by a chunk included."""

from __future__ import annotations

import re
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossboard.model import Columns, Item
from lossboard.sources.formats import caffe
from tests.sources.helpers import canonical, expand, parse_cut, points, problems, with_lines_after

LENET = "caffe/mnist_lenet_train.log"


def _assert_same(text: str, cuts: list[int]) -> list[Item]:
    """Both paths agree, fed text or its UTF-8 bytes (cut at the same offsets, so some cuts
    fall inside a character); the fast path's records as fed text."""
    fast = parse_cut("caffe", text, cuts)
    expected = canonical(parse_cut("caffe", text, cuts, fast=False))
    assert canonical(fast) == expected
    assert canonical(parse_cut("caffe", text.encode(), cuts)) == expected
    return fast


@pytest.mark.parametrize("chunk", [None, 4_000, 20_000])
def test_the_corpus_log_reads_the_same_on_both_paths(corpus: Path, chunk: int | None) -> None:
    text = (corpus / LENET).read_text()
    cuts = list(range(0, len(text), chunk)) if chunk else []
    fast = _assert_same(text, cuts)
    blocks = {item.tag for item in fast if type(item) is Columns}
    if chunk != 4_000:  # chunks of ~40 lines are too short for the fast path
        assert "train/loss" in blocks, "the fast path did not run"
    if chunk is None:  # its 21 test blocks in one piece: enough to read them in bulk too
        assert "val/accuracy" in blocks, "the test blocks were not read in bulk"


@pytest.mark.parametrize("piece", [7_000, 12_000])
def test_the_corpus_log_read_in_small_pieces_reads_the_same(corpus: Path, piece: int) -> None:
    text = (corpus / LENET).read_text()
    with patch.object(caffe, "_PIECE_BYTES", piece), patch.object(caffe, "_FAST_MIN_TESTS", 1):
        fast = _assert_same(text, list(range(0, len(text), 20_000)))  # pieces cut before a loss line
    blocks = {item.tag for item in fast if type(item) is Columns}
    assert {"train/loss", "val/accuracy"} <= blocks, "the fast path did not read records and test blocks"


def test_the_corpus_log_fed_as_bytes_is_read_in_bulk(corpus: Path) -> None:
    data = (corpus / LENET).read_bytes()
    items = parse_cut("caffe", data, list(range(0, len(data), 20_000)))
    assert canonical(items) == canonical(parse_cut("caffe", data.decode(), [], fast=False))
    assert "train/loss" in {item.tag for item in items if type(item) is Columns}, "the bytes did not reach the fast path"


def test_lines_before_the_first_glog_line_fed_as_bytes_read_as_the_reader_decodes_them(corpus: Path) -> None:
    """A wrapper's lines before Caffe's first glog line (CRLF, a byte that is not UTF-8) and a
    first glog line whose loss is no number are read one by one from the bytes, numbered and
    decoded as the text path would; the records after them from the same chunk in bulk."""
    head = (
        b"WARNING: Logging before InitGoogleLogging() is written to STDERR\r\n"
        b"solver: lenet_solver.prototxt \xff\r\n"
        b"I0711 14:22:22.700000  1274 solver.cpp:228] Iteration 0, loss = oops\r\n"
    )
    data = head + (corpus / LENET).read_bytes()
    for cuts in ([], [40, 20_000]):
        items = parse_cut("caffe", data, cuts)
        assert canonical(items) == canonical(parse_cut("caffe", data.decode("utf-8", "replace"), [], fast=False))
        assert [(problem.line, 'found "oops"' in problem.message) for problem in problems(items)] == [(3, True)]
        assert "train/loss" in {item.tag for item in items if type(item) is Columns}, "the bytes did not reach the fast path"


def test_a_bad_line_among_records_loses_only_itself_and_the_rest_is_read_in_bulk(corpus: Path, tmp_path: Path) -> None:
    """A line in no record (here an output with no number, after the lr line of iteration
    3000, line 631) is parsed on its own between the stretches of records read in bulk."""
    bad = "I0711 14:23:17.232900  1274 solver.cpp:244]     Train net output #1: accuracy = n/a"
    log = with_lines_after(corpus / LENET, tmp_path / "lenet.log", {"Iteration 3000, lr = 0.00821377": [bad]})
    data = log.read_bytes()
    with patch.object(caffe, "_FAST_MIN_TESTS", 1):  # pieces of ~200 lines: their 11 test blocks read in bulk too
        items = parse_cut("caffe", data, list(range(0, len(data), 20_000)))
    assert canonical(items) == canonical(parse_cut("caffe", data.decode(), [], fast=False))
    assert [(problem.line, "n/a" in problem.message) for problem in problems(items)] == [(632, True)]
    loss = {point.step: point.value for point in points(expand(items), "train/loss")}
    assert (len(loss), loss[3000], loss[3100]) == (101, 0.0136744, 0.010175)
    assert "train/loss" in {item.tag for item in items if type(item) is Columns}, "the records were not read in bulk"


def test_a_record_with_another_literal_after_its_first_number_is_read_line_by_line(corpus: Path) -> None:
    """The fast path finds the literal after a line's first number by position: a line with a
    record's head but other text there (``, gain = `` for ``, loss = ``, the same length) is
    no loss; the line-by-line path reads nothing from it."""
    text = (corpus / LENET).read_text().replace("Iteration 3000, loss = ", "Iteration 3000, gain = ")
    items = _assert_same(text, [])
    loss = {point.step: point.value for point in points(expand(items), "train/loss")}
    assert (len(loss), 3000 in loss, loss[3100]) == (100, False, 0.010175)
    assert "train/loss" in {item.tag for item in items if type(item) is Columns}, "the records were not read in bulk"


def test_weighted_values_that_are_no_numbers_are_read_by_neither_path(corpus: Path) -> None:
    """The line-by-line path reads an output's first value (``loss = X``) and nothing of the
    weighted one after it (``(* 1 = Xw loss)``); the fast path copies a line up to there, so
    records whose weighted values are ``nan`` or text are still read in bulk."""
    text = (corpus / LENET).read_text()
    for weighted in ("nan", "n/a"):
        odd = re.sub(r"\(\* 1 = \S+ loss\)", f"(* 1 = {weighted} loss)", text)
        assert odd != text
        items = _assert_same(odd, [])
        loss = {point.step: point.value for point in points(expand(items), "train_batch/loss")}
        assert (len(loss), loss[100], loss[3100]) == (100, 0.232917, 0.0101749)  # log lines 525 and 633
        blocks = {item.tag for item in items if type(item) is Columns}
        assert {"train_batch/loss", "val/loss"} <= blocks, "the records were not read in bulk"


def test_a_value_longer_than_the_padding_is_read_on_its_own_and_the_rest_in_bulk(corpus: Path) -> None:
    """A record line's numbers are copied into rows inside the block's padding: a loss printed
    with 300 digits is more than that, so its record is parsed line by line; the others in bulk."""
    text = (corpus / LENET).read_text().replace("Iteration 3000, loss = 0.0136744", "Iteration 3000, loss = " + "3" * 300)
    items = _assert_same(text, [])
    loss = {point.step: point.value for point in points(expand(items), "train/loss")}
    assert (len(loss), loss[3000], loss[3100]) == (101, float("3" * 300), 0.010175)
    assert "train/loss" in {item.tag for item in items if type(item) is Columns}, "the records were not read in bulk"


@pytest.mark.parametrize("odd", ["Iteration 0x, loss = 2.3", "Iteration 0\ufffd, lr = 0.01"])
def test_a_record_learned_from_is_one_the_line_by_line_path_reads(odd: str) -> None:
    """The layout is learned from the first record: one whose loss or lr line has text after
    the iteration (a bad byte the reader replaced) is no record for the line-by-line path, so
    no layout may be learned from it. Found by hypothesis: the lr line gave a value. (Its
    piece is read line by line: orjson refuses the first number of the odd line.)"""
    lines = [_glog(1, 1, 0, "caffe.cpp:219", "Starting Optimization")]
    for iteration in range(0, 4000, 100):
        loss = odd if odd.endswith("loss = 2.3") and not iteration else f"Iteration {iteration}, loss = 2.3"
        lr = odd if odd.endswith("lr = 0.01") and not iteration else f"Iteration {iteration}, lr = 0.01"
        lines.append(_glog(1, 1, iteration / 100, "solver.cpp:218", loss))
        lines.append(_glog(1, 1, iteration / 100, "solver.cpp:237", "    Train net output #0: loss = 2.25 (* 1 = 2.25 loss)"))
        lines.append(_glog(1, 1, iteration / 100, "sgd_solver.cpp:105", lr))
    items = _assert_same("".join(lines), [])
    steps = {tag: sorted(point.step for point in points(expand(items), tag)) for tag in ("train/loss", "opt/lr")}
    assert steps["train/loss" if "loss" in odd else "opt/lr"][0] == 100


@pytest.mark.parametrize("line", ["loss", "lr", "testing"])
@pytest.mark.parametrize("shown", ["300.0", "3e2", "-300", "9007199254740993"])
def test_an_iteration_that_is_not_digits_only_is_no_iteration_on_the_fast_path_either(line: str, shown: str) -> None:
    """The line-by-line path reads an iteration as digits only (``Iteration (\\d+)``): a loss,
    lr or ``Testing net`` line printed with ``Iteration 300.0`` gives nothing. orjson reads
    "300.0" and "3e2" as 300, so the fast path took them as records at step 300 (found
    2026-12-04 on main); now the record is read line by line and the rest in bulk. An
    iteration past 2**53 (the last record's) is read line by line too: a float64 would round it."""
    at = 3900 if len(shown) > 15 else 300
    lines = [_glog(1, 1, 0, "caffe.cpp:219", "Starting Optimization")]
    for iteration in range(0, 4000, 100):
        odd = shown if iteration == at else str(iteration)
        second = iteration / 100
        lines.append(_glog(1, 1, second, "solver.cpp:218", f"Iteration {odd if line == 'loss' else iteration}, loss = 2.3"))
        lines.append(_glog(1, 1, second, "solver.cpp:237", "    Train net output #0: loss = 2.25 (* 1 = 2.25 loss)"))
        lines.append(_glog(1, 1, second, "sgd_solver.cpp:105", f"Iteration {odd if line == 'lr' else iteration}, lr = 0.01"))
        lines.append(_glog(1, 1, second, "solver.cpp:330", f"Iteration {odd if line == 'testing' else iteration}, Testing net (#0)"))
        lines.append(_glog(1, 1, second, "solver.cpp:397", "    Test net output #0: accuracy = 0.5"))
    with patch.object(caffe, "_FAST_MIN_TESTS", 1):
        items = _assert_same("".join(lines), [])
    tag = {"loss": "train/loss", "lr": "opt/lr", "testing": "val/accuracy"}[line]
    steps = sorted(point.step for point in points(expand(items), tag))
    if at == 300:
        assert steps[2:4] == [200, 400] and len(steps) == 39
    else:  # a loss or lr at that step, or the test's values
        assert steps[-2:] == [3800, int(shown)] and len(steps) == 40
    assert {"train/loss", "opt/lr"} <= {item.tag for item in items if type(item) is Columns}, "not read in bulk"


def test_numbers_the_digits_cannot_give_are_read_by_orjson_and_the_rest_from_their_digits(corpus: Path) -> None:
    """A record's numbers are read from their digits where they are plain decimals; the others
    (an lr printed with an exponent, as iostreams print ``1e-05``; a loss of 16 digits) by
    orjson, in the same bulk read, and what orjson refuses (``nan``) sends the piece line by line."""
    text = (corpus / LENET).read_text()
    exponents = re.sub(r"lr = (\S+)", lambda lr: f"lr = {float(lr[1]):.5e}", text)
    long_loss = exponents.replace("Iteration 3000, loss = 0.0136744", "Iteration 3000, loss = 0.01367440000000001")
    for changed in (exponents, long_loss):
        items = _assert_same(changed, [])
        lrs = {point.step: point.value for point in points(expand(items), "opt/lr")}
        assert lrs[100] == float("9.92565e-03") and len(lrs) == 100
        assert {"train/loss", "opt/lr"} <= {item.tag for item in items if type(item) is Columns}, "not read in bulk"
    loss = {point.step: point.value for point in points(expand(_assert_same(long_loss, [])), "train/loss")}
    assert loss[3000] == 0.01367440000000001
    refused = exponents.replace("lr = 9.92565e-03", "lr = nan")
    assert {point.step for point in points(expand(_assert_same(refused, [])), "opt/lr")} == set(lrs)


def test_records_with_literals_between_later_numbers_are_cut_and_read_in_bulk(corpus: Path) -> None:
    """Caffe 1.0's loss line has three numbers between the iteration and the loss (``(4.6 iter/s,
    21.7s/100 iters)``): no seam places those, so such records are cut, their literals replaced,
    and read by orjson, still in bulk."""
    text = re.sub(r"Iteration (\d+), loss = ", r"Iteration \1 (4.60829 iter/s, 21.701s/100 iters), loss = ", (corpus / LENET).read_text())
    items = _assert_same(text, [])
    speeds = {point.step: point.value for point in points(expand(items), "perf/iters_per_sec")}
    assert (len(speeds), speeds[3100]) == (101, 4.60829)
    assert {"train/loss", "perf/iters_per_sec"} <= {item.tag for item in items if type(item) is Columns}, "not read in bulk"


def test_crlf_line_ends_read_the_same(corpus: Path) -> None:
    text = (corpus / LENET).read_text().replace("\n", "\r\n")
    fast = _assert_same(text, list(range(0, len(text), 20_001)))  # some cuts fall inside a CRLF
    assert any(type(item) is Columns for item in fast), "the fast path did not run"


def _glog(month: int, day: int, second: float, source: str, message: str) -> str:
    return f"I{month:02d}{day:02d} 10:{int(second) // 60 % 60:02d}:{second % 60:09.6f}  4242 {source}] {message}\n"


# after the first four: what the digit reader leaves to orjson (an exponent, 16 digits) or reads
# where orjson would not ("007", "1."), and float's own ("1_0"); the last ones are not numbers
# where the fast path finds a literal by position: empty, text after the digits, a comma
# inside, longer than it looks for a literal's start, longer than the padding a line's
# numbers are copied with
_VALUES = [
    "0.232917", "1.5e-05", "2", "0.00992565", "-0.5", "-0", ".5", "007", "99999999999999.9", "9007199254740993",
    "1_0", "nan", "-nan", "inf", "1.", "", "0.5x", "1,5", "1" * 40, "2" * 300,
]


@st.composite
def _log(draw) -> str:
    outputs = draw(st.sampled_from([["loss"], ["loss", "accuracy"], [], ["loss2/loss1"]]))
    speed = draw(st.booleans())
    month, day, second, iteration = 12, 31, 0.0, draw(st.integers(0, 3)) * 100
    lines = [_glog(month, day, 0, "caffe.cpp:219", "Starting Optimization")]
    for _ in range(draw(st.integers(0, 60))):
        value = draw(st.sampled_from(_VALUES[:4] * 20 + _VALUES))
        timing = " (2.3 iter/s, 43.4s/100 iters)" if speed else ""
        word = draw(st.sampled_from(["loss"] * 30 + ["gain"]))  # "gain": the record's head, another literal
        lines.append(_glog(month, day, second, "solver.cpp:218", f"Iteration {iteration}{timing}, {word} = {value}"))
        weighted = draw(st.sampled_from([value] * 8 + _VALUES))  # read by neither path
        for index, name in enumerate(outputs):
            weight = f" (* 1 = {weighted} loss)" if name != "accuracy" else ""
            lines.append(_glog(month, day, second, "solver.cpp:237", f"    Train net output #{index}: {name} = {value}{weight}"))
        lines.append(_glog(month, day, second, "sgd_solver.cpp:105", f"Iteration {iteration}, lr = 0.01"))
        event = draw(st.sampled_from(["", ""] * 12 + ["test"] * 8 + ["restart", "print", "new year", "other output", "cut", "accents"]))
        if event == "restart":
            iteration = max(0, iteration - 300)
        elif event == "test":  # mostly one layout, so runs of test blocks form; now and then another
            net = draw(st.sampled_from([0] * 8 + [1]))
            at = iteration + draw(st.sampled_from([100] * 8 + [-300]))  # -300: a restart in a test block
            lines.append(_glog(month, day, second, "solver.cpp:330", f"Iteration {max(0, at)}, Testing net (#{net})"))
            lines.append(_glog(month, day, second, "solver.cpp:397", f"    Test net output #0: accuracy = {value}"))
            if draw(st.sampled_from([True] * 8 + [False])):
                weighted_line = f"    Test net output #1: loss = {value} (* 1 = {weighted} loss)"
                lines.append(_glog(month, day, second + 0.1, "solver.cpp:397", weighted_line))
        elif event == "print":
            lines.append("grad_norm: 1.25\n")
        elif event == "new year" and month == 12:
            month, day = 1, 1
        elif event == "other output":
            outputs = [*outputs, "extra"]
        elif event == "cut":
            lines.append(lines[-1][: draw(st.integers(0, 60))] + "\n")
        elif event == "accents":  # bytes and characters no longer line up
            lines.append("précision: 0.93 ✓\n")
        iteration += 100
        second += 0.5
    text = "".join(lines)
    return text.replace("\n", "\r\n") if draw(st.integers(0, 9)) == 0 else text


@settings(max_examples=120, deadline=None)
@given(
    text=_log(),
    cuts=st.lists(st.integers(min_value=0, max_value=30_000), max_size=4),
    piece=st.sampled_from([300, 7_000, 1 << 20]),
    tests=st.sampled_from([1, 2, 16]),
)
def test_generated_logs_cut_anywhere_read_the_same_on_both_paths(text: str, cuts: list[int], piece: int, tests: int) -> None:
    with patch.object(caffe, "_PIECE_BYTES", piece), patch.object(caffe, "_FAST_MIN_TESTS", tests):
        _assert_same(text, cuts)


@settings(max_examples=60, deadline=None)
@given(
    text=_log(),
    bad=st.lists(st.tuples(st.floats(0, 1), st.sampled_from(
        [b"\xff", b"\xc3", b"\xe2\x9c", b"\x00", b"\r", b"\x1b[0m", b"\x08"])), max_size=3),  # and what the splitter renders
    cuts=st.lists(st.integers(min_value=0, max_value=30_000), max_size=4),
    piece=st.sampled_from([300, 7_000, 1 << 20]),
)
def test_bad_utf8_fed_as_bytes_reads_as_the_reader_decodes_it(
    text: str, bad: list[tuple[float, bytes]], cuts: list[int], piece: int
) -> None:
    """Bytes that are not UTF-8 anywhere (in a number, a head, a date, between records) come
    out as the reader's decoder gives them to the line-by-line path: U+FFFD, the rest kept;
    a redraw, colour code or backspace keeps its lines off the byte path."""
    data = text.encode()
    for where, junk in bad:
        at = int(where * len(data))
        data = data[:at] + junk + data[at:]
    with patch.object(caffe, "_PIECE_BYTES", piece), patch.object(caffe, "_FAST_MIN_TESTS", 1):
        fed = parse_cut("caffe", data, cuts)
    assert canonical(fed) == canonical(parse_cut("caffe", data.decode("utf-8", "replace"), [], fast=False))
