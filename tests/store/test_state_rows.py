"""A planted ``sources.state`` row runs nothing (issue 9): on both backends the source is read
again from its start, the data come out as a plain load gives them, and a problem says why."""

from __future__ import annotations

import os
import pickle
import sqlite3
from pathlib import Path

import orjson
import pytest

from lossboard.store import parser_state
from lossboard.store.base import Store
from lossboard.store.indexer import Summary, index_paths
from lossboard.store.urls import open_store

from ._indexing import assert_store_equals_load, mxnet_epoch


class _Payload:
    """Unpickling this makes a directory: the proof that a state was executed."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (str(self.marker),)


def _set_states(url: str, blob: bytes) -> int:
    """Overwrite every source's saved state, as someone with write access to the store could."""
    if url.startswith("sqlite:///"):
        db = sqlite3.connect(url[len("sqlite://"):])
        count = db.execute("UPDATE sources SET state = ?", (blob,)).rowcount
        db.commit()
        db.close()
        return count
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("UPDATE lossboard.sources SET state = %s", (blob,)).rowcount


def _planted(marker: Path) -> dict[str, bytes]:
    valid = orjson.loads(
        parser_state.dump(parser_state.Saved("mxnet", __import__(
            "lossboard.sources.formats.mxnet", fromlist=["Parser"]).Parser(), (b"", 0), False, False, b""))
    )
    return {
        "pickle that makes a file": pickle.dumps(_Payload(marker)),
        "oversized": b"[" + b"0," * (parser_state.MAX_BYTES // 2) + b"0]",
        "wrong types": orjson.dumps({**valid, "decoder": [1, 2, 3], "closed": "no"}),
        "class outside the allow-list": orjson.dumps(
            {**valid, "parser": {"$object": "subprocess:Popen", "state": {"args": ["mkdir", str(marker)]}}}
        ),
    }


def _index_plant_and_grow(store_url: str, tmp_path: Path, blob: bytes) -> tuple[Store, Path, Summary]:
    """Index a 5-epoch MXNet log, replace its saved state by ``blob``, let the log grow by 4
    epochs and index again: the store, the log and what the second pass did."""
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "train.log"
    log.write_text("".join(mxnet_epoch(epoch, 0.5 + epoch / 100) for epoch in range(5)))
    store = open_store(store_url)
    index_paths(store, [logs])
    assert _set_states(store_url, blob) == 1
    with log.open("a") as file:
        file.write("".join(mxnet_epoch(epoch, 0.5 + epoch / 100) for epoch in range(5, 9)))
    return store, log, index_paths(store, [logs])


@pytest.mark.parametrize("kind", ["pickle that makes a file", "oversized", "wrong types",
                                  "class outside the allow-list"])
def test_a_planted_state_runs_nothing_and_the_source_is_read_again(
    store_url: str, tmp_path: Path, kind: str
) -> None:
    marker = tmp_path / "owned"
    store, log, summary = _index_plant_and_grow(store_url, tmp_path, _planted(marker)[kind])
    try:
        assert not marker.exists()
        assert summary.reset == ["logs"]
        assert_store_equals_load(store, log.parent)
        [(_, problem)] = list(store.read_problems(["logs"]))
        assert problem.path == str(log.absolute())
        assert "saved parser state cannot be used" in problem.message
        assert "read again from its start" in problem.message
    finally:
        store.close()


def test_a_state_saved_before_an_upgrade_is_read_again_without_a_problem(store_url: str, tmp_path: Path) -> None:
    """Parsers that changed since the state was saved read the file again from its start, as
    if new, and the user is not told of a problem that is none."""
    saved = orjson.loads(_planted(tmp_path / "unused")["wrong types"])
    document = {**saved, "decoder": {"$tuple": [{"$bytes": ""}, 0]}, "closed": False, "parsers": "an older version"}
    store, log, summary = _index_plant_and_grow(store_url, tmp_path, orjson.dumps(document))
    try:
        assert summary.reset == ["logs"]
        assert_store_equals_load(store, log.parent)
        assert list(store.read_problems(["logs"])) == []
    finally:
        store.close()
