"""`open_store`: which backend a URL names, the default location, and the errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lossboard.errors import UsageError
from lossboard.store.sqlite import SQLiteStore
from lossboard.store.urls import default_url, open_store


def test_the_default_is_a_cache_file_not_a_log_directory() -> None:
    assert default_url({"HOME": "/h", "XDG_CACHE_HOME": "/c"}) == "sqlite:///c/lossboard/index.sqlite"
    assert default_url({"LOSSBOARD_STORE": "postgresql://db/x", "XDG_CACHE_HOME": "/c"}) == "postgresql://db/x"
    home = str(Path("~").expanduser())
    assert default_url({"XDG_CACHE_HOME": "relative"}) == f"sqlite://{home}/.cache/lossboard/index.sqlite"


def test_an_sqlite_url_opens_that_file(tmp_path: Path) -> None:
    store = open_store(f"sqlite://{tmp_path}/index.sqlite")
    try:
        assert isinstance(store, SQLiteStore) and (tmp_path / "index.sqlite").is_file()
    finally:
        store.close()


def test_a_missing_index_is_an_error_for_readers(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="lossboard index"):
        open_store(f"sqlite://{tmp_path}/none.sqlite", create=False)


def test_an_unknown_scheme_lists_the_schemes_and_hides_the_password() -> None:
    with pytest.raises(UsageError) as error:
        open_store("mysql://me:secret@db/runs")
    assert "secret" not in str(error.value)
    assert "sqlite:///path" in str(error.value) and "postgresql://" in str(error.value)


def test_postgres_without_psycopg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now raises ImportError
    monkeypatch.delitem(sys.modules, "lossboard.store.postgres", raising=False)
    with pytest.raises(UsageError, match=r"pip install 'lossboard\[postgres\]'"):
        open_store("postgresql://me:secret@localhost/runs")
