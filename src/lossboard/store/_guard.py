"""A backend's database errors as one clear line that names the store, never a traceback.

Each public method of a backend is wrapped (`guard`): an error of the database driver becomes
the `lossboard.store.base.StoreError` its backend's ``explain`` writes (where the store is, what failed, what
to do), or `StoreUnavailable` when a later try may work (a server restarting, a busy file),
which `lossboard.store.indexer.Indexer.watch` waits out. Generator methods (reads that stream,
the lock) are wrapped around their iteration, where the queries run.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from lossboard.errors import LossboardError

F = TypeVar("F", bound=Callable[..., Any])


def guard(errors: type[Exception] | tuple[type[Exception], ...],
          explain: Callable[[Any, Exception], LossboardError]) -> Callable[[F], F]:
    """Wrap a method so ``errors`` raised in it become ``explain(store, error)``."""

    def decorate(method: F) -> F:
        if inspect.isgeneratorfunction(method):

            @functools.wraps(method)
            def generator(self: Any, *args: Any, **kwargs: Any) -> Any:
                try:
                    return (yield from method(self, *args, **kwargs))
                except errors as error:
                    raise explain(self, error) from None

            return generator  # type: ignore[return-value]

        @functools.wraps(method)
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except errors as error:
                raise explain(self, error) from None

        return call  # type: ignore[return-value]

    return decorate


def first_line(error: BaseException) -> str:
    """The driver's message, its first line only (PostgreSQL adds context lines)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
