"""What only the SQLite backend does: its URLs, schema versions and migrations, stale locks."""

from __future__ import annotations

import socket
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

import lossboard
from lossboard.errors import LossboardError, UsageError
from lossboard.store import sqlite_schema as backend
from lossboard.store.base import SCHEMA_VERSION, Batch, Columns, SourceState
from lossboard.store.sqlite import SQLiteStore, path_of


def test_a_path_a_url_and_memory_name_the_file() -> None:
    assert path_of("/data/index.db") == "/data/index.db"
    assert path_of(Path("rel/index.db")) == "rel/index.db"
    assert path_of("sqlite:///data/index.db") == "/data/index.db"
    assert path_of(":memory:") == ":memory:"
    with pytest.raises(UsageError, match="sqlite:///"):
        path_of("postgresql://db/runs")
    with pytest.raises(UsageError, match="names no file"):
        path_of("sqlite://")


def test_one_migration_per_schema_version() -> None:
    assert len(backend.MIGRATIONS) == SCHEMA_VERSION


def test_a_new_file_is_created_in_wal_mode_with_the_current_schema(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "sub" / "index.db").close()
    db = sqlite3.connect(tmp_path / "sub" / "index.db")
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("SELECT version, lossboard FROM schema_version").fetchall() == [
        (SCHEMA_VERSION, lossboard.__version__)
    ]
    db.close()


def test_readers_do_not_create_an_index(tmp_path: Path) -> None:
    with pytest.raises(LossboardError, match="lossboard index"):
        SQLiteStore(tmp_path / "none.db", create=False)
    assert not (tmp_path / "none.db").exists()


def test_an_unopenable_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(LossboardError, match="cannot open the SQLite index"):
        SQLiteStore(tmp_path / "dir.db")


def test_a_newer_schema_is_refused_naming_the_lossboard_that_wrote_it(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_version SET version = ?, lossboard = '9.3.0'", (SCHEMA_VERSION + 1,))
    db.commit()
    db.close()
    with pytest.raises(
        LossboardError,
        match=rf"schema version {SCHEMA_VERSION + 1}, written by lossboard 9\.3\.0.*lossboard 9\.3\.0 or later",
    ):
        SQLiteStore(path)


def test_an_older_schema_is_migrated_forward(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    db = sqlite3.connect(path)  # version 0: a file from before the schema table existed
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, lossboard TEXT NOT NULL)")
    db.commit()
    db.close()
    with SQLiteStore(path) as store:
        assert store.list_runs() == []
    db = sqlite3.connect(path)
    assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    db.close()


def test_a_lock_of_another_host_is_respected_even_when_its_pid_is_free(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "index.db") as store:
        store._db.execute(
            "INSERT INTO locks (name, token, host, pid, acquired, renewed) VALUES ('index', 't', ?, 2147483647, 0, ?)",
            (socket.gethostname() + "-elsewhere", time.time()),
        )
        with store.lock("index") as taken:
            assert not taken


def test_list_tags_of_more_runs_than_sqlite_binds_at_once() -> None:
    with SQLiteStore(":memory:") as store:
        one = Columns("train/loss", "loss", np.array([1]), np.array([np.nan]), np.array([np.nan]), np.array([1.0]))
        for number in range(3):
            source = SourceState(f"run{number}.csv", f"run{number}", "csv", 0, 1, 1, 1, 1)
            store.apply(Batch(source, columns=[one]))
        names = [f"missing{number}" for number in range(2000)] + ["run2", "run0"]
        assert [info.run for info in store.list_tags(names)] == ["run2", "run0"]


def test_readers_open_and_read_while_a_writer_holds_its_transaction(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    SQLiteStore(path).close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO runs (path, name, display) VALUES ('/u', 'uncommitted', 'uncommitted')")
    try:
        with SQLiteStore(path) as reader:
            assert reader.list_runs() == []
    finally:
        writer.execute("ROLLBACK")
        writer.close()
