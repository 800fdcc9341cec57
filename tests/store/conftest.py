"""The `store` fixture: every contract test runs once per backend, on a fresh, empty store.

A backend is one entry of ``params`` and one branch of `store_url`; a test that needs a second
connection (or a child process) opens `store_url` with `lossboard.store.urls.open_store`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lossboard.store.base import Store
from lossboard.store.urls import open_store


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store of each backend (``postgres_url``: tests/store/postgres_server.py)."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        store = open_store(url)
        store.drop_everything()  # type: ignore[attr-defined]
        store.close()
        return url
    return f"sqlite:///{tmp_path / 'index.db'}"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    yield opened
    opened.close()
