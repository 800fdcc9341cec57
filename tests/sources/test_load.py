"""`lossboard.load`: runs from paths, warnings for what could not be read, pandas output."""

from __future__ import annotations

from pathlib import Path

import pytest

import lossboard
from lossboard.errors import LossboardError, LossboardWarning

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "alexnet-imagenet"


def test_a_bad_file_warns_and_the_good_ones_load(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.log"
    bad.write_bytes(b"\x00" * 64)
    with pytest.warns(LossboardWarning, match="garbage.log"):
        runs = lossboard.load(bad, EXAMPLE / "training_85.log")
    assert [run.name for run in runs] == ["training_85"]


def test_nothing_loadable_raises_with_every_reason(tmp_path: Path) -> None:
    with pytest.raises(LossboardError, match="nothing could be loaded") as info:
        lossboard.load(tmp_path / "a.log", tmp_path / "b.log")
    assert "a.log" in str(info.value) and "b.log" in str(info.value)


def test_stitch_false_keeps_every_file_apart() -> None:
    runs = lossboard.load(EXAMPLE, stitch=False)
    assert sorted(run.name for run in runs) == ["training_0", "training_65", "training_85"]


def test_to_pandas_gives_the_long_form() -> None:
    pytest.importorskip("pandas")
    (run,) = lossboard.load(EXAMPLE / "training_85.log")
    frame = run.to_pandas()
    assert list(frame.columns) == ["run", "tag", "source_tag", "step", "epoch", "wall_time", "value"]
    val = frame[frame.tag == "val/accuracy"]
    assert val.epoch.tolist() == [float(e) for e in range(85, 100)]
    assert len(frame) == sum(len(s) for s in run.series.values())
