"""One store connection per server thread: SQLite connections may not cross threads.

Request handlers run in a thread pool, so each worker thread opens the store once and keeps
it (with its page cache) for the next request. A store that fails (file removed, database
down) is closed and dropped, so the next request opens it afresh instead of failing forever.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from lossboard.errors import LossboardError, UsageError
from lossboard.store.base import Store, StoreError


class StoreUnavailable(LossboardError):
    """The store cannot be opened or read right now."""


class ThreadStores:
    """Hands each thread its own store from ``open_store``, and closes them all at the end."""

    def __init__(self, open_store: Callable[[], Store]) -> None:
        self._open = open_store
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open_stores: list[Store] = []

    @contextmanager
    def store(self) -> Iterator[Store]:
        """This thread's store; a failure of the store itself becomes `StoreUnavailable`."""
        store = getattr(self._local, "store", None)
        if store is None:
            try:
                store = self._open()
            except UsageError:
                raise
            except (LossboardError, OSError, *_database_errors()) as error:
                raise StoreUnavailable(f"the store cannot be opened: {error}") from error
            self._local.store = store
            with self._lock:
                self._open_stores.append(store)
        try:
            yield store
        except (OSError, StoreError, *_database_errors()) as error:
            self._drop(store)
            raise StoreUnavailable(f"the store failed: {error}") from error

    def _drop(self, store: Store) -> None:
        self._local.store = None
        with self._lock:
            if store in self._open_stores:
                self._open_stores.remove(store)
        try:
            store.close()
        except (OSError, *_database_errors()):
            pass  # already broken; it is dropped either way

    def close(self) -> None:
        with self._lock:
            stores, self._open_stores = self._open_stores, []
        for store in stores:
            try:
                store.close()
            except sqlite3.ProgrammingError:
                pass  # opened in another thread: SQLite frees it when the thread's objects go


def _database_errors() -> tuple[type[BaseException], ...]:
    """SQLite's errors, and psycopg's when the PostgreSQL store is in use (never imported here)."""
    psycopg = sys.modules.get("psycopg")
    return (sqlite3.Error,) + ((psycopg.Error,) if psycopg is not None else ())
