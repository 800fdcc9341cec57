"""`inspect --unread`: which number-bearing lines of a log gave no value."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from lossboard.cli import main
from lossboard.sources import coverage
from lossboard.sources.coverage import run_coverage
from lossboard.sources.logdir import load_paths

MXNET_CLS = "mxnet-speedometer-new/mxnet-cls_train.log"


def coverage_of(path: Path):
    (run,) = load_paths([path]).runs
    (found,) = run_coverage(run)
    return found


@pytest.mark.corpus
def test_a_log_read_completely_has_no_unread_line(corpus: Path) -> None:
    found = coverage_of(corpus / MXNET_CLS)
    # 310 batch lines, 10 Train-accuracy, 10 Time cost, 10 validation lines, 10 checkpoints,
    # 2 Update lines: every line with a number gave a value or an event
    assert found.numbered >= 350 and found.unread == 0 and found.share_read == 1.0


@pytest.mark.corpus
def test_lines_no_grammar_knows_are_listed_by_shape_with_their_line_numbers(corpus: Path, tmp_path: Path) -> None:
    text = (corpus / MXNET_CLS).read_text()
    lines = text.splitlines()
    path = tmp_path / "train.log"
    extra = ["INFO:root:custom gradient norm 12.5", "INFO:root:custom gradient norm 9.25"]
    path.write_text("\n".join(lines[:40] + extra[:1] + lines[40:80] + extra[1:] + lines[80:]) + "\n")
    found = coverage_of(path)
    (shape,) = found.shapes.values()
    assert shape.count == 2 and shape.lines == [41, 82] and shape.example == extra[0]
    assert found.unread == 2


def test_timestamps_and_source_locations_are_not_measurements(tmp_path: Path) -> None:
    path = tmp_path / "train.log"
    path.write_text(
        "2018-03-07 10:33:26,319 - Start training\n"
        "I0711 14:22:23.153496  1274 net.cpp:156] Setting up mnist\n"
        "2018-03-07 10:33:27,319 - Epoch[0] Batch [20]\tSpeed: 100.5 samples/sec\taccuracy=0.25\n"
    )
    found = coverage_of(path)
    assert (found.numbered, found.read) == (1, 1)


@pytest.mark.corpus
def test_inspect_reports_the_share_read_and_lists_unread_lines(corpus: Path, tmp_path: Path) -> None:
    path = tmp_path / "train.log"
    path.write_text((corpus / MXNET_CLS).read_text() + "INFO:root:custom gradient norm 12.5\n")
    result = CliRunner().invoke(main, ["inspect", str(path)])
    assert result.exit_code == 0, result.output
    assert "lines with numbers" in result.output and "1 gave no value (see inspect --unread)" in result.output
    listed = CliRunner().invoke(main, ["inspect", "--unread", str(path)])
    assert f"{path}:" in listed.output and "unread x1" in listed.output
    assert "custom gradient norm 12.5" in listed.output


def test_a_header_that_sets_the_epoch_is_read(tmp_path: Path) -> None:
    path = tmp_path / "train.log"
    path.write_text("Epoch: 1\nTraining Loss: 0.9 | Acc: 61.5%\nEpoch: 2\nTraining Loss: 0.7 | Acc: 70.25%\n")
    found = coverage_of(path)
    assert (found.numbered, found.read) == (4, 4)


_PIECES = st.sampled_from(
    ["loss", "acc", " ", ": ", "=", "0.5", "12", "1e-3", "nan", "-inf", ".", "2023-06-09", "15:08:55", "12:30",
     "I0609 15:08:55.123 4242 solver.cpp:218]", "train.py:42", "hook.py[line:7]", "x.h", "a.cu:3", "é", "٣", "_7"]
)


@given(st.lists(_PIECES | st.text(max_size=4), max_size=12).map("".join))
def test_the_patterns_picked_for_a_line_match_what_the_full_patterns_match(line: str) -> None:
    # ASCII lines take `re.ASCII` patterns and lines naming no source file skip its alternative:
    # both only to save work, so both must find what the Unicode patterns with every alternative find
    full = coverage._NOT_MEASURED.any
    assert coverage._not_measured(line).sub(" ", line) == full.sub(" ", line)
    measured = full.sub(" ", line)
    assert coverage._NUMBER.on(line).findall(measured) == coverage._NUMBER.any.findall(measured)


def _other_digits(line: str, digits: list[str]) -> str:
    """``line`` with its ASCII digits replaced, in order, by ``digits`` (cycled)."""
    it = iter(digits * (len(line) + 1))
    return "".join(next(it) if char in "0123456789" else char for char in line)


@given(
    st.lists(_PIECES | st.text(max_size=4), max_size=12).map("".join),
    st.lists(st.sampled_from("0123456789"), min_size=1, max_size=8),
)
def test_lines_alike_but_for_their_digits_share_one_layout(line: str, digits: list[str]) -> None:
    # the scan matches the patterns once per layout (digits as zeros) and reuses the answer for
    # every line of it: that holds only while nothing in the answer depends on which digits
    other = _other_digits(line, digits)
    assert coverage._Layout.of(line) == coverage._Layout.of(other)


@given(st.lists(_PIECES | st.text(max_size=4), max_size=12).map("".join))
def test_a_layout_places_the_numbers_the_patterns_find_in_its_line(line: str) -> None:
    # the numbers are found in the line with its stamps blanked to their length, so their places
    # are the line's; they are the numbers found in the line with each stamp cut to one blank
    measured = coverage._not_measured(line).sub(" ", line)
    found = [line[start:end] for start, end in coverage._Layout.of(line).numbers]
    assert found == coverage._NUMBER.on(line).findall(measured)


def test_the_layout_table_holds_at_most_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(coverage, "_LAYOUTS_KEPT", 4)
    layouts: dict[bytes, coverage._Layout] = {}
    for width in range(1, 20):
        line = f"{'x' * width} loss: 0.5"
        assert coverage._layout(line, layouts) == coverage._Layout.of(line)
        assert len(layouts) <= 4
