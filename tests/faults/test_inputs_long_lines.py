"""Issue 9, "Quadratic on long lines": a line of several megabytes is cut at 1 MB and named
as a problem with its line number; every other line of the file is read as before."""

from __future__ import annotations

from pathlib import Path

import pytest

import lossboard

LOG = "mxnet-speedometer-new/mxnet-cls_train.log"


@pytest.mark.corpus
def test_a_3_mb_line_in_a_real_log_is_cut_and_named_and_the_rest_read(tmp_path: Path, corpus: Path) -> None:
    lines = (corpus / LOG).read_text().splitlines(keepends=True)
    damaged = tmp_path / "cls.log"
    # a dump of 3 MB without a newline after line 40 (the last of epoch 0), so it is line 41
    damaged.write_text("".join(lines[:40]) + "x=" + "9" * 3_000_000 + "\n" + "".join(lines[40:]))
    (clean,) = lossboard.load(corpus / LOG)
    (run,) = lossboard.load(damaged)
    assert [(p.line, p.message) for p in run.problems] == [
        (41, "longer than 1,048,576 characters without a line break; cut there")
    ]
    assert str(run.problems[0]).startswith(f"{damaged}:41: ")
    assert sorted(run.tags) == sorted(clean.tags)
    assert run.series.keys() == clean.series.keys()
    for key, series in clean.series.items():
        again = run.series[key]
        assert again.step.tolist() == series.step.tolist() and again.value.tolist() == series.value.tolist()
