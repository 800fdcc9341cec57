"""The `lossboard ls` table."""

from __future__ import annotations

from lossboard.store.base import RunInfo
from lossboard.views.runs_table import age, format_runs


def info(name: str, **fields: object) -> RunInfo:
    defaults = dict(formats=("mxnet",), sources=("a.log",), meta={}, status="finished", tags=3,
                    points=12_345, first_step=0, last_step=99, updated=1_000.0)
    defaults.update(fields)
    return RunInfo(name=name, **defaults)  # type: ignore[arg-type]


def test_one_aligned_row_per_run_with_counts_and_age() -> None:
    text = format_runs([info("alexnet"), info("resnet-long-name", points=7, status="running",
                                             formats=("keras-stdout", "lossboard"))], now=1_090.0)
    header, first, second = text.splitlines()
    assert header.split() == ["name", "format", "tags", "points", "first", "step", "last", "step",
                              "last", "update", "status"]
    assert first.split() == ["alexnet", "mxnet", "3", "12,345", "0", "99", "1m", "ago", "finished"]
    assert second.split()[:4] == ["resnet-long-name", "keras-stdout,lossboard", "3", "7"]
    # numbers are right-aligned: the last digit of each points cell is in the same column
    assert first.index("12,345") + len("12,345") == second.index(" 7 ") + 2


def test_empty_index_says_how_to_fill_it() -> None:
    assert "lossboard index" in format_runs([], now=0.0)


def test_ages() -> None:
    assert [age(s) for s in (5, 120, 7300, 200_000, -3)] == ["5s ago", "2m ago", "2h ago", "2d ago", "0s ago"]


def test_runs_are_listed_in_natural_order() -> None:
    names = ["run100", "run10", "run2", "run1", "baseline"]
    text = format_runs([info(name) for name in names], now=1_090.0)
    assert [line.split()[0] for line in text.splitlines()[1:]] == ["baseline", "run1", "run2", "run10", "run100"]


def test_a_run_without_a_recorded_status_gets_one_from_its_data_recency() -> None:
    def shown(recorded: str, quiet_s: float) -> str:
        return format_runs([info("r", status=recorded, updated=1_000.0)], now=1_000.0 + quiet_s).split()[-1]

    assert shown("unknown", 30) == "running"
    assert shown("unknown", 20 * 60) == "stale"
    assert shown("unknown", 3 * 86400) == "finished"
    # recorded as running by `lossboard run` but silent for a day: killed before it could say so
    assert shown("running", 86400) == "stale" and shown("running", 30) == "running"
    assert shown("failed", 30) == "failed" and shown("finished", 30) == "finished"


def test_a_run_indexed_long_after_it_was_written_is_not_running() -> None:
    """The age is the data's (its files' newest modification), not the indexing's: an old log
    indexed a second ago is finished, not running."""
    old = info("old", status="unknown", updated=1_000_000.0, modified=1_000.0)
    assert format_runs([old], now=1_000_001.0).split()[-1] == "finished"
