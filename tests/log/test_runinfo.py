"""run.json: git state from git itself, atomic writes, how an ending is recorded."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from lossboard.log.runinfo import RUN_FILE, git_state, start_info, write_info

START = datetime(2025, 3, 7, 14, 2, 11, tzinfo=timezone.utc)
LIVE = {
    "format": "mxnet",
    "problems": 0,
    "parse_failure": None,
    "series": {"val/accuracy": {"points": 1, "last": 0.710788, "last_step": 0}},
}

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
    return subprocess.run(command, cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "train.py").write_text("print('epoch 1')\n")
    git(root, "add", "train.py")
    git(root, "commit", "-q", "-m", "first")
    return root


@needs_git
def test_git_state_of_a_clean_work_tree(repo: Path) -> None:
    state = git_state(repo)
    assert state == {
        "commit": git(repo, "rev-parse", "HEAD"),
        "branch": "main",
        "dirty": False,
        "root": str(repo.resolve()),
    }


@needs_git
def test_a_changed_tracked_file_makes_it_dirty(repo: Path) -> None:
    (repo / "train.py").write_text("print('epoch 2')\n")
    assert git_state(repo)["dirty"] is True


@needs_git
def test_an_untracked_file_does_not_make_it_dirty(repo: Path) -> None:
    (repo / "notes.txt").write_text("scratch\n")
    assert git_state(repo)["dirty"] is False


@needs_git
def test_no_git_state_outside_a_repository(tmp_path: Path) -> None:
    assert git_state(tmp_path) is None


@needs_git
def test_start_info_records_where_and_what(repo: Path) -> None:
    info = start_info(["python", "train.py"], cwd=str(repo), start=START)
    assert info.command == ["python", "train.py"]
    assert info.cwd == str(repo)
    assert info.git["commit"] == git(repo, "rev-parse", "HEAD")
    assert info.start_time == "2025-03-07T14:02:11+00:00"
    assert info.status == "running" and info.end_time is None and info.exit_status is None


def test_write_info_replaces_the_record_whole(tmp_path: Path) -> None:
    info = start_info(["python", "train.py"], cwd=str(tmp_path), start=START)
    write_info(tmp_path, info)
    assert json.loads((tmp_path / RUN_FILE).read_bytes())["status"] == "running"

    info.finish(0, end=START + timedelta(hours=2), live=LIVE)
    write_info(tmp_path, info)
    written = json.loads((tmp_path / RUN_FILE).read_bytes())
    assert written["status"] == "finished" and written["exit_status"] == 0
    assert written["end_time"] == "2025-03-07T16:02:11+00:00"
    assert written["series"] == LIVE["series"] and written["format"] == "mxnet"
    assert [p.name for p in tmp_path.iterdir()] == [RUN_FILE]  # no temporary file left


@pytest.mark.parametrize(
    ("returncode", "status", "exit_status", "name"),
    [(0, "finished", 0, None), (3, "failed", 3, None), (-signal.SIGTERM, "killed", 143, "SIGTERM")],
)
def test_finish_records_how_it_ended(
    returncode: int, status: str, exit_status: int, name: str | None
) -> None:
    info = start_info(["x"], cwd="/", start=START)
    assert info.finish(returncode, end=START, live=LIVE) == exit_status
    assert (info.status, info.exit_status, info.signal) == (status, exit_status, name)


def test_a_record_that_cannot_be_written_raises_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    """We run as root, so no chmod stops a write: run.json being a directory does."""
    (tmp_path / RUN_FILE).mkdir()
    info = start_info(["python", "train.py"], cwd=str(tmp_path), start=START)
    with pytest.raises(OSError):
        write_info(tmp_path, info)
    assert sorted(p.name for p in tmp_path.iterdir()) == [RUN_FILE]
