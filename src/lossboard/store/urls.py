"""Open a store from the URL a user gives: ``sqlite:///path`` or ``postgresql://...``.

``sqlite://`` is followed by the file's path, so ``sqlite:///data/index.sqlite`` is the
absolute ``/data/index.sqlite``. Without a URL the store is the SQLite file ``$LOSSBOARD_STORE``, else
``$XDG_CACHE_HOME/lossboard/index.sqlite`` (``~/.cache/lossboard/index.sqlite``): a cache
directory of the user, never a log directory, which may be read-only or shared.

    >>> store = open_store("sqlite:///tmp/runs.sqlite")  # doctest: +SKIP
    >>> store = open_store("postgresql://lossboard@db.lab/lossboard")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote

from lossboard.errors import UsageError
from lossboard.store.base import Store

ENV_VAR = "LOSSBOARD_STORE"
SCHEMES = ("sqlite:///path", "postgresql://user@host/database")


def default_url(environ: Mapping[str, str] | None = None) -> str:
    """``$LOSSBOARD_STORE``, else the SQLite file in the user's cache directory."""
    environ = os.environ if environ is None else environ
    if environ.get(ENV_VAR):
        return environ[ENV_VAR]
    cache = Path(environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser()
    if not cache.is_absolute():  # the XDG spec: a relative value is invalid and ignored
        cache = Path("~/.cache").expanduser()
    return "sqlite://" + str(cache / "lossboard" / "index.sqlite")


def open_store(url: str | None = None, *, create: bool = True) -> Store:
    """The store ``url`` names (see the module docstring for the default).

    ``create=False`` is for readers: a missing SQLite file is an error that says how to
    build one, not an empty index.
    """
    url = url or default_url()
    if url.startswith("sqlite://"):
        from lossboard.store.sqlite import SQLiteStore

        return SQLiteStore(url, create=create)
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from lossboard.store.postgres import PostgresStore
        except ImportError as exc:
            raise UsageError(
                f"{_hide_password(url)}: the PostgreSQL store needs psycopg: "
                "pip install 'lossboard[postgres]'"
            ) from exc
        return PostgresStore(url)
    raise UsageError(f"{_hide_password(url)}: not a store URL; use one of: " + ", ".join(SCHEMES))


def _hide_password(url: str) -> str:
    """``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``."""
    return redact(url, url)


def redact(text: str, url: str) -> str:
    """``text`` (a message about ``url``) with the URL's password replaced by ``***``, as
    written and as decoded, even in a URL too malformed to parse (a ``%`` or space in it)."""
    for secret in _passwords(url):
        text = text.replace(secret, "***")
    return text


def _passwords(url: str) -> list[str]:
    """The password text of ``url`` (``user:PASSWORD@`` or ``password=``), raw and decoded."""
    found = []
    _, sep, rest = url.partition("://")
    credentials, at, _ = rest.rpartition("@")
    if sep and at and ":" in credentials:
        found.append(credentials.split(":", 1)[1])
    found += re.findall(r"password=([^&#\s]*)", url)
    found = [secret for secret in found if secret]
    return sorted({*found, *(unquote(secret) for secret in found)} - {""}, key=len, reverse=True)
