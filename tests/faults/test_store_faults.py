"""The store under faults (issue 9, item 5): each fault is one clear line naming the store, and
nothing else is lost. One test per fault."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from lossboard.cli import main
from lossboard.store.indexer import Indexer
from lossboard.store.urls import open_store
from tests.store._indexing import assert_store_equals_load, mxnet_epoch


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _log(path: Path, epochs: range) -> None:
    with path.open("a") as file:
        file.write("".join(mxnet_epoch(epoch, 0.5 + epoch / 100) for epoch in epochs))


def test_a_postgres_restart_during_watch_is_said_once_and_the_watch_goes_on(
    postgres_url: str, postgres_server, tmp_path: Path
) -> None:
    store = open_store(postgres_url)
    store.drop_everything()  # type: ignore[attr-defined]
    log = tmp_path / "logs" / "train.log"
    log.parent.mkdir()
    _log(log, range(3))
    said: list[str] = []
    reports: list[str] = []
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the outage happens while the watch waits
        waits.append(seconds)
        if len(waits) == 1:
            postgres_server.pause()
            _log(log, range(3, 6))
        elif len(waits) == 3:
            postgres_server.resume()

    try:
        Indexer(store, [tmp_path / "logs"], idle_s=0.0).watch(
            interval_s=0.01, sleep=sleep, passes=6, report=lambda s: reports.append(str(s)), say=said.append
        )
        assert len(said) == 1, said
        assert "PostgreSQL database 'lossboard_test' on 127.0.0.1" in said[0] and "trying again" in said[0]
        # pass 1, then the passes once the server is back (the first may still meet the dropped connection)
        assert len(reports) >= 2 and reports[-1].startswith("indexed 1 run"), reports
        assert waits[1] < waits[2]  # backing off while it is down
        assert_store_equals_load(store, tmp_path / "logs")  # every epoch, written before and after
    finally:
        if not (postgres_server.data / "postmaster.pid").exists():
            postgres_server.resume()
        store.close()


def test_a_corrupt_sqlite_index_is_one_line_naming_it(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    _log(logs / "train.log", range(3))
    index = tmp_path / "index.db"
    assert invoke("index", str(logs), "--store", f"sqlite://{index}")[0] == 0
    data = bytearray(index.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # the second page: a table's b-tree
    index.write_bytes(bytes(data))
    for command in (["ls"], ["export"], ["index", str(logs)]):
        code, _, stderr = invoke(*command, "--store", f"sqlite://{index}")
        assert code == 1, command
        [line] = stderr.splitlines()
        assert line.startswith(f"lossboard: {index}: the SQLite index is damaged"), line
        assert "run 'lossboard index' again" in line


def test_a_postgres_error_is_one_line_naming_the_database(postgres_url: str) -> None:
    import psycopg

    open_store(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE lossboard.tags RENAME TO tags_gone")
    try:
        code, _, stderr = invoke("ls", "--store", postgres_url)
        assert code == 1
        [line] = stderr.splitlines()
        assert line.startswith("lossboard: the PostgreSQL database 'lossboard_test' on 127.0.0.1:")
        assert 'relation "tags" does not exist' in line
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute("ALTER TABLE lossboard.tags_gone RENAME TO tags")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://alice:s3cr%zzet@db.example/team",
        "postgresql://alice:s3 cret@db.example/team",
        "postgresql://alice:s3cret@[::1/team",
        "postgresql://alice@db.example/team?password=s3%zzcret",
        "postgresql://alice:s3%20cret@127.0.0.1:1/team",
    ],
    ids=["bad percent", "space", "bad IPv6 host", "password parameter", "unreachable"],
)
def test_a_password_is_never_printed(url: str) -> None:
    code, stdout, stderr = invoke("ls", "--store", url)
    assert code == 1
    [line] = stderr.splitlines()
    assert "s3" not in line and "cret" not in line, line
    assert "***" in line or "PostgreSQL" in line


def test_a_stale_lock_whose_pid_is_reused_is_taken_over_after_its_lease(tmp_path: Path) -> None:
    import socket

    from lossboard.store.sqlite import LOCK_LEASE_S, SQLiteStore

    now = [1_000_000.0]
    with SQLiteStore(tmp_path / "index.db", clock=lambda: now[0]) as store:
        # left by an indexer killed in a container: same host name, its pid now another live process
        store._db.execute(
            "INSERT INTO locks (name, token, host, pid, acquired, renewed) VALUES ('index', 't', ?, 1, ?, ?)",
            (socket.gethostname(), now[0], now[0]),
        )
        with store.lock("index") as taken:
            assert not taken  # within its lease: respected
        now[0] += LOCK_LEASE_S + 1
        with store.lock("index") as taken:
            assert taken
            now[0] += 5
            store.apply(_empty_batch())
            [(renewed,)] = store._db.execute("SELECT renewed FROM locks WHERE name = 'index'").fetchall()
            assert renewed == now[0]  # a batch renews the lease of its holder


def _empty_batch():
    from lossboard.store.base import Batch, SourceState

    return Batch(SourceState("/logs/a.csv", "/logs", "csv", 0, 1, 1, 1, 1))


def test_an_index_that_cannot_be_written_is_read_read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from lossboard.store import sqlite as backend
    from lossboard.store.sqlite import SQLiteStore

    logs = tmp_path / "logs"
    logs.mkdir()
    _log(logs / "train.log", range(3))
    url = f"sqlite://{tmp_path / 'index.db'}"
    assert invoke("index", str(logs), "--store", url)[0] == 0
    # as on a read-only mount (root ignores file modes, so the check is what is faked)
    monkeypatch.setattr(backend.os, "access", lambda path, mode: mode != os.W_OK)
    with SQLiteStore(url, create=False) as store:
        assert store.read_only
        assert_store_equals_load(store, logs)
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store._db.execute("DELETE FROM runs")
    code, stdout, _ = invoke("ls", "--store", url)
    assert code == 0 and "logs" in stdout


def test_flipped_bytes_in_a_stored_chunk_are_detected_and_other_runs_still_read(tmp_path: Path) -> None:
    import struct

    for name, base in (("damaged", 0.3), ("intact", 0.7)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "train.log").write_text("".join(mxnet_epoch(e, base + e / 100) for e in range(4)))
    index = tmp_path / "index.db"
    url = f"sqlite://{index}"
    assert invoke("index", str(tmp_path / "damaged"), str(tmp_path / "intact"), "--store", url)[0] == 0
    data = index.read_bytes()
    pattern = struct.pack("<d", 0.31)  # the damaged run's epoch-1 Train-accuracy, little-endian as stored
    assert pattern in data
    index.write_bytes(data.replace(pattern, pattern[:-1] + bytes([pattern[-1] ^ 0x01])))
    for command in (["export"], ["export", "--format", "json"]):
        code, stdout, stderr = invoke(*command, "--store", url)
        assert code == 1
        [line] = stderr.splitlines()
        assert line.startswith(f"lossboard: {index}: a stored chunk of series 'train/accuracy' fails its checksum")
    code, stdout, _ = invoke("export", "--store", url, "^intact$")
    assert code == 0
    assert "0.71" in stdout and "0.31" not in stdout  # the other run, whole


def test_index_verify_names_each_damaged_series_and_exits_non_zero(tmp_path: Path) -> None:
    import struct

    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "train.log").write_text("".join(mxnet_epoch(e, 0.3 + e / 100) for e in range(4)))
    index = tmp_path / "index.db"
    url = f"sqlite://{index}"
    code, stdout, _ = invoke("index", str(logs), "--store", url, "--verify")
    assert code == 0 and stdout.startswith("verified: every stored point reads back intact")
    pattern = struct.pack("<d", 0.31)  # Train-accuracy of epoch 1
    index.write_bytes(index.read_bytes().replace(pattern, pattern[:-1] + bytes([pattern[-1] ^ 0x01])))
    code, _, stderr = invoke("index", str(logs), "--store", url, "--verify")
    assert code == 1
    lines = stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("lossboard: run 'logs', series 'train/accuracy' (Train-accuracy): ")
    assert "fails its checksum" in lines[0]
    assert lines[1] == "lossboard: 1 damaged series; move the index away and index again"
