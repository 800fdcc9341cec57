"""Issue 9, "One entry sinks the command": a dangling link, a link loop, a socket, a FIFO, a
file that vanishes or a tree 2,000 levels deep in a log directory is one skipped entry, named
with its reason; every other log is still read, and nothing hangs.

The log that must survive is the corpus's mxnet-speedometer-new/mxnet-cls_train.log, whose
validation accuracy runs 0.710788 (epoch 0) to 0.948918 (epoch 9) by its MANIFEST line.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import sys
import threading
from pathlib import Path

import pytest

from lossboard.store.indexer import Indexer
from lossboard.store.sqlite import SQLiteStore
from tests.faults._cli import lossboard

LOG = "mxnet-speedometer-new/mxnet-cls_train.log"


@pytest.fixture
def logdir(tmp_path: Path, corpus: Path):
    """A log directory holding one real log beside one entry of every bad kind."""
    root = tmp_path / "logs"
    (root / "cls").mkdir(parents=True)
    shutil.copy(corpus / LOG, root / "cls" / "train.log")
    (root / "gone.log").symlink_to(root / "deleted.log")
    (root / "self.log").symlink_to(root / "self.log")
    (root / "cls" / "up").symlink_to(root)
    os.mkfifo(root / "live.log")  # nobody writes: a read would block forever
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(root / "agent.sock"))
    yield root
    server.close()


BAD = ("gone.log", "self.log", "up", "live.log", "agent.sock")


def _validation(rows: list[dict[str, str]]) -> dict[int, float]:
    return {int(r["step"]): float(r["value"]) for r in rows if r["tag"] == "val/accuracy"}


@pytest.mark.corpus
def test_export_reads_the_log_and_names_each_bad_entry(logdir: Path) -> None:
    done = lossboard("export", str(logdir))
    assert done.returncode == 0, done.stderr
    validation = _validation(list(csv.DictReader(io.StringIO(done.stdout))))
    assert len(validation) == 10 and validation[0] == 0.710788 and validation[9] == 0.948918
    for name in BAD:
        assert f"{name}: " in done.stderr, name
    assert "loop" in done.stderr and "named pipe (FIFO)" in done.stderr and "socket" in done.stderr


@pytest.mark.corpus
@pytest.mark.parametrize("command", ["inspect", "index"])
def test_inspect_and_index_do_not_hang_on_a_fifo(logdir: Path, tmp_path: Path, command: str) -> None:
    store = ["--store", f"sqlite:///{tmp_path / 'index.sqlite'}"] if command == "index" else []
    done = lossboard(command, *store, str(logdir))
    assert done.returncode == 0, done.stderr
    assert f"{logdir / 'live.log'}: a named pipe (FIFO), not a regular file" in done.stderr
    if command == "index":
        assert "indexed 1 run" in done.stdout
    else:
        assert "val/accuracy" in done.stdout


@pytest.mark.corpus
def test_a_file_saved_over_again_and_again_does_not_stop_index_watch(tmp_path: Path, corpus: Path) -> None:
    """An editor or a checkpoint writer saves through temporary files that come and go while
    the watcher lists and reads the directory: twenty passes later the log is indexed whole."""
    shutil.copy(corpus / LOG, tmp_path / "cls.log")
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            for n in range(20):
                temporary = tmp_path / f"notes{n}.log.tmp"
                temporary.write_text("epoch=1 loss=0.5\n")
                temporary.replace(tmp_path / f"notes{n}.log")
            for n in range(20):
                (tmp_path / f"notes{n}.log").unlink()

    saver = threading.Thread(target=churn)
    store = SQLiteStore(":memory:")
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # interleave the saver and the watcher finely: the race comes soon
    saver.start()
    try:
        Indexer(store, [tmp_path]).watch(interval_s=0, sleep=lambda s: None, passes=30, report=lambda s: None)
    finally:
        stop.set()
        saver.join()
        sys.setswitchinterval(switching)
    (run,) = [r for r in store.list_runs() if r.name == "cls"]
    tags = {t.tag: t.points for t in store.list_tags([run.name])}
    assert tags["val/accuracy"] == 10
