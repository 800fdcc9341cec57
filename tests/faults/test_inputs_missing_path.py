"""Issue 9, "index /nonexistent exits 0": every reading command given a path that is not
there exits 1 naming it, before any work (no store is created, no figure written)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults._cli import lossboard


@pytest.mark.parametrize(
    "command",
    [["inspect"], ["export"], ["plot", "-o", "{out}/figures"], ["index", "--store", "sqlite:///{out}/index.sqlite"]],
)
def test_a_missing_path_is_an_error_naming_it(tmp_path: Path, command: list[str]) -> None:
    args = [part.format(out=tmp_path) for part in command]
    missing = tmp_path / "runs" / "typo"
    done = lossboard(*args, str(missing))
    assert done.returncode == 1
    assert done.stderr == f"lossboard: {missing}: no such file or directory; check the spelling\n"
    assert list(tmp_path.iterdir()) == []
