"""Issue 9, "Crashes on values": a step beyond 64-bit integers is a problem on its line, never
an OverflowError that loses every other file; invalid UTF-8 inside a name never moves a value
to another series."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import lossboard
from lossboard.cli import main
from lossboard.model import Point
from lossboard.sources.collect import RunCollector


def test_a_csv_step_beyond_int64_is_a_problem_on_its_line_and_the_rest_loads(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "metrics.csv").write_text(
        "step,loss\n0,0.5\n9223372036854775807,0.4\n99999999999999999999,0.3\n2,0.2\n"
    )
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "metrics.csv").write_text("step,loss\n0,0.9\n1,0.8\n")
    runs = {run.name: run for run in lossboard.load(tmp_path)}
    a, b = runs["a"], runs["b"]
    assert a.series["train/loss"].step.tolist() == [0, 2] and b.series["train/loss"].step.tolist() == [0, 1]
    assert [(p.line, "64-bit" in p.message) for p in a.problems] == [(3, True), (4, True)]
    result = CliRunner().invoke(main, ["inspect", str(tmp_path)])
    assert result.exit_code == 0 and "metrics.csv:3:" in result.output


def test_a_point_beyond_int64_from_any_parser_is_skipped_not_a_crash() -> None:
    collector = RunCollector("log")
    collector.add([Point("train/loss", "loss", 2**63, 0.5), Point("train/loss", "loss", 3, 0.4)])
    assert collector.series()["train/loss"].step.tolist() == [3]
    (problem,) = collector.problems
    assert "outside 64-bit integers" in problem.message and "loss" in problem.message


def test_invalid_utf8_inside_a_name_keeps_the_value_under_that_name(tmp_path: Path) -> None:
    path = tmp_path / "train.log"
    path.write_bytes(b"step=1 lo\xffss=0.5 acc=0.9\nstep=2 lo\xffss=0.4 acc=0.8\n")
    (run,) = lossboard.load(path)
    names = {s.source_tag: s.value.tolist() for s in run.series.values()}
    assert names == {"lo\ufffdss": [0.5, 0.4], "acc": [0.9, 0.8]}
