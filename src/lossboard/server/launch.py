"""Run the dashboard: index the log directories, keep following them, serve until Ctrl-C.

The indexer runs in a thread of its own with its own store connection (a store is bound to
the thread that opened it); uvicorn serves the app from the main thread and handles Ctrl-C,
after which the indexer is stopped between two passes. The port is the first free one from
the one asked for, bound here so that there is no race between choosing and listening.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
import socket
import threading
import webbrowser
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import uvicorn

from lossboard.errors import UsageError
from lossboard.store._heap import keep_freed_memory
from lossboard.store.base import Store
from lossboard.store.indexer import Indexer, Summary

PORT_TRIES = 100
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int, *, tries: int = PORT_TRIES) -> socket.socket:
    """A listening socket on ``port``, or on the next free port after it (``0``: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    last_error: OSError | None = None
    for candidate in range(port, min(port + tries, 65536)):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), candidate))
        except OSError as error:
            sock.close()
            last_error = error
            continue
        sock.listen(128)
        return sock
    raise UsageError(f"no free port on {host} from {port} to {port + tries - 1}: {last_error}")


class BackgroundIndexer:
    """Indexes ``paths`` into a store once, then follows them every ``interval_s`` in a thread."""

    def __init__(
        self,
        open_store: Callable[[], Store],
        paths: Sequence[str | Path],
        *,
        format: str | None = None,
        interval_s: float = 0.5,
        idle_s: float = 5.0,
        report: Callable[[Summary], None],
    ) -> None:
        self._open_store = open_store
        self._paths = list(paths)
        self._options: dict[str, Any] = {"format": format, "idle_s": idle_s}
        self._interval_s = interval_s
        self._report = report
        self._stop = threading.Event()
        self._first_pass = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._follow, name="lossboard-indexer", daemon=True)

    def start(self) -> None:
        """Start, and return once the first pass is committed (raising what stopped it)."""
        self._thread.start()
        self._first_pass.wait()
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _follow(self) -> None:
        try:
            store = self._open_store()
        except BaseException as error:  # handed to start(), which raises it in the main thread
            self._error = error
            self._first_pass.set()
            return
        try:
            indexer = Indexer(store, self._paths, **self._options)
            try:
                self._report(indexer.run_pass(final=False))
            except BaseException as error:
                self._error = error
                return
            finally:
                self._first_pass.set()
            while not self._stop.wait(self._interval_s):
                self._report(indexer.run_pass(final=False))
        finally:
            store.close()


class QuietShutdown(logging.Filter):
    """After Ctrl-C uvicorn cancels the requests still being answered and logs each with a
    traceback; the user asked to stop, so once stopping they are counted instead of shown."""

    def __init__(self) -> None:
        super().__init__()
        self.stopping = False
        self.cancelled = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.stopping:
            return True
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, asyncio.CancelledError):
            self.cancelled += 1
            return False
        return "timeout graceful shutdown exceeded" not in record.getMessage()


class _Server(uvicorn.Server):
    """uvicorn's server, which says it is ready only once it answers and Ctrl-C is its own (a
    Ctrl-C between the two once left it running), on Ctrl-C also ends the live feeds, so no open
    page delays the exit, and quiets the cancellation of requests still running."""

    def __init__(
        self,
        config: uvicorn.Config,
        *,
        on_ready: Callable[[], None],
        on_exit: Callable[[], None],
        quiet: QuietShutdown,
    ) -> None:
        super().__init__(config)
        self._on_ready = on_ready
        self._on_exit = on_exit
        self._quiet = quiet

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_ready()

    def handle_exit(self, sig: int, frame: Any) -> None:
        self._quiet.stopping = True
        self._on_exit()
        super().handle_exit(sig, frame)


def serve(
    app_factory: Callable[..., Any],
    *,
    host: str,
    port: int,
    token: str | None,
    open_browser: bool,
    echo: Callable[[str], None],
    indexer: BackgroundIndexer | None = None,
) -> None:
    """Serve ``app_factory(token=..., allowed_hosts=...)`` until Ctrl-C; ``indexer`` runs meanwhile.

    Beyond the loopback interface a token is required: ``token``, or a new random one.
    """
    keep_freed_memory()  # each request's arrays reuse the last one's memory (store/_heap.py)
    loopback = is_loopback(host)
    if not loopback and token is None:
        token = secrets.token_urlsafe(24)
    app = app_factory(token=token, allowed_hosts=LOOPBACK_HOSTS if loopback else None)
    sock = bind(host, port)
    bound_port = sock.getsockname()[1]
    shown_host = f"[{host.strip('[]')}]" if ":" in host else host
    url = f"http://{shown_host}:{bound_port}/" + (f"?token={token}" if token else "")
    if indexer is not None:
        indexer.start()
    try:
        if port and bound_port != port:
            echo(f"port {port} is taken; using {bound_port}")

        def ready() -> None:
            echo(f"lossboard dashboard at {url}  (Ctrl-C to stop)")
            if open_browser:
                webbrowser.open(url)

        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2, lifespan="on")
        quiet = QuietShutdown()
        uvicorn_log = logging.getLogger("uvicorn.error")
        uvicorn_log.addFilter(quiet)
        try:
            _Server(config, on_ready=ready, on_exit=app.state.close_feeds, quiet=quiet).run(sockets=[sock])
        except KeyboardInterrupt:  # uvicorn shuts down on Ctrl-C, then raises it again for us
            pass
        finally:
            uvicorn_log.removeFilter(quiet)
        if quiet.cancelled:
            echo(f"{quiet.cancelled} request(s) still being answered were cancelled")
    finally:
        sock.close()
        if indexer is not None:
            indexer.stop()
