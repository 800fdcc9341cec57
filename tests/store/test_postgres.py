"""What only the PostgreSQL store does: COPY chunks, advisory locks, URLs, server errors, schema
versions. The behaviours both backends share are in test_contract.py."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import numpy as np
import pytest

if not os.environ.get("CI"):  # in CI a missing driver must fail, not skip
    pytest.importorskip("psycopg", reason="psycopg is not installed: pip install 'lossboard[postgres]'")

import psycopg

from lossboard.errors import LossboardError
from lossboard.model import Event
from lossboard.store.base import CHUNK_POINTS, SCHEMA_VERSION, Batch, Columns, SourceState
from lossboard.store.postgres import PostgresStore, describe


@pytest.fixture
def store(postgres_url: str) -> Iterator[PostgresStore]:
    opened = PostgresStore(postgres_url, clock=lambda: 1_700_000_000.0)
    opened.drop_everything()
    yield opened
    opened.close()


@pytest.fixture
def empty_url(postgres_url: str) -> Iterator[str]:
    """A database of its own on the test server, with no lossboard schema in it yet."""
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS lossboard_empty")
        admin.execute("CREATE DATABASE lossboard_empty")
    yield postgres_url.rsplit("/", 1)[0] + "/lossboard_empty"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("DROP DATABASE lossboard_empty WITH (FORCE)")


def _batch(step: range, value: np.ndarray, *, resumes: list[Event] | None = None) -> Batch:
    steps = np.array(step, dtype=np.int64)
    source = SourceState("/logs/a/train.log", "a", "keyvalue", 0, 100, 7, 1, 100)
    columns = Columns("train/loss", "loss", steps, np.full(len(steps), np.nan), np.full(len(steps), np.nan), value)
    return Batch(source, [columns], resumes=resumes or [])


def _chunk_starts(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT first_step FROM lossboard.chunks ORDER BY first_step").fetchall()
    return [row[0] for row in rows]


def test_copy_writes_full_chunks_and_every_bit_comes_back(store: PostgresStore, postgres_url: str) -> None:
    value = np.arange(10_000, dtype=np.float64) / 3
    value[[5, 6, 7, 9_999]] = [np.nan, np.inf, -np.inf, -0.0]
    store.apply(_batch(range(10_000), value))

    assert _chunk_starts(postgres_url) == [0, CHUNK_POINTS, 2 * CHUNK_POINTS]
    data = store.read_series("a", "train/loss")
    assert data is not None and data.total_points == 10_000
    assert data.step.tolist() == list(range(10_000))
    assert data.value.tobytes() == value.tobytes()  # NaN, +-inf and -0.0 bit for bit


def test_append_fills_the_last_chunk_before_starting_another(store: PostgresStore, postgres_url: str) -> None:
    store.apply(_batch(range(4_000), np.zeros(4_000)))
    store.apply(_batch(range(4_000, 4_200), np.ones(200)))

    assert _chunk_starts(postgres_url) == [0, CHUNK_POINTS]
    (tag,) = store.list_tags(["a"])
    assert (tag.points, tag.first_step, tag.last_step, tag.last_value) == (4_200, 0, 4_199, 1.0)


def test_resume_rewrites_only_the_chunks_from_the_cut_on(store: PostgresStore, postgres_url: str) -> None:
    store.apply(_batch(range(10_000), np.zeros(10_000)))
    store.apply(_batch(range(9_000, 9_010), np.ones(10), resumes=[Event("resume", 9_000)]))

    assert _chunk_starts(postgres_url) == [0, CHUNK_POINTS, 2 * CHUNK_POINTS]
    data = store.read_series("a", "train/loss")
    assert data is not None and data.step[-1] == 9_009 and data.total_points == 9_010
    assert data.value[-10:].tolist() == [1.0] * 10


def test_advisory_lock_is_held_across_connections(postgres_url: str) -> None:
    first, second = PostgresStore(postgres_url), PostgresStore(postgres_url)
    try:
        with first.lock("index:/logs") as taken:
            assert taken
            with second.lock("index:/logs") as again, second.lock("index:/other") as other:
                assert (again, other) == (False, True)
        with second.lock("index:/logs") as after_release:
            assert after_release
    finally:
        first.close()
        second.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_server_names_where_but_not_the_password() -> None:
    port = _closed_port()
    with pytest.raises(LossboardError) as error:
        PostgresStore(f"postgresql://alice:s3cret-pw@127.0.0.1:{port}/team?connect_timeout=5")
    message = str(error.value)
    assert f"database 'team' on 127.0.0.1:{port} as alice" in message
    assert "s3cret-pw" not in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://alice:pw@db.example:5433/team", "database 'team' on db.example:5433 as alice"),
        ("postgres://db.example/team", "database 'team' on db.example:5432"),
        ("postgresql://bob@/", "database 'bob' on localhost:5432 as bob"),
        ("postgresql:///team?host=/run/postgresql&port=6000", "database 'team' on /run/postgresql:6000"),
    ],
)
def test_url_is_described_without_password(url: str, expected: str) -> None:
    assert describe(url) == expected


def test_a_malformed_url_is_refused_with_the_expected_form() -> None:
    with pytest.raises(LossboardError, match="expected postgresql://user@host:port/database"):
        describe("postgresql://db.example/team?colour=blue")


def test_empty_database_gets_the_current_schema(empty_url: str) -> None:
    PostgresStore(empty_url).close()
    with psycopg.connect(empty_url) as conn:
        assert conn.execute("SELECT version FROM lossboard.schema_version").fetchall() == [(SCHEMA_VERSION,)]


def test_newer_schema_is_refused_naming_both_versions(empty_url: str) -> None:
    PostgresStore(empty_url).close()
    with psycopg.connect(empty_url) as conn:
        conn.execute("UPDATE lossboard.schema_version SET version = %s, lossboard = '9.9'", (SCHEMA_VERSION + 1,))

    with pytest.raises(LossboardError) as error:
        PostgresStore(empty_url)
    message = str(error.value)
    assert f"schema version {SCHEMA_VERSION + 1}, written by lossboard 9.9" in message
    assert f"reads up to version {SCHEMA_VERSION}" in message
    assert "database 'lossboard_empty'" in message


def test_drop_everything_empties_the_index_and_keeps_the_schema(store: PostgresStore, postgres_url: str) -> None:
    store.apply(_batch(range(10), np.zeros(10)))
    store.drop_everything()
    assert store.list_runs() == [] and store.sources() == []
    PostgresStore(postgres_url).close()  # the schema version is still there: no migration, no error


def test_summary_rows_of_up_to_8_kb_are_kept_in_the_table(store: PostgresStore, postgres_url: str) -> None:
    # 13 chunks: the rows of levels 6 to 13 hold at most 52 records, 7 KB; the finer levels' rows
    # are larger and go out of line (but the short last chunk's level-1 row)
    store.apply(_batch(range(50_000), np.sin(np.arange(50_000) / 300.0)))
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute(
            "SELECT level, bool_and(pg_column_size(points) > octet_length(points)) FROM lossboard.summaries"
            " GROUP BY level ORDER BY level"
        ).fetchall()
    # an in-line blob's stored size adds its header to its bytes; an out-of-line one's is its bytes
    in_line = {level: kept for level, kept in rows}
    assert [level for level, kept in in_line.items() if kept] == [6, 7, 8, 9, 10, 11, 12, 13]
    assert not any(in_line[level] for level in range(1, 6))
