"""The dashboard's ASGI app: the route table, argument checks, and errors as JSON.

Handlers only parse and check a request, then call `lossboard.server.api`; they run in
Starlette's thread pool, each thread with its own store (`ThreadStores`). The live feed is a
Server-Sent Events stream of `lossboard.server.live` messages from one shared poller (`Feed`). docs/server-api.md has an
example answer of every route.

    >>> from lossboard.store.sqlite import SQLiteStore
    >>> app = create_app(lambda: SQLiteStore("index.sqlite", create=False))  # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from lossboard import query
from lossboard.errors import UsageError
from lossboard.server import api, columns, live
from lossboard.server.feed import Feed
from lossboard.server.media import FILE_KINDS, MediaMissing
from lossboard.server.security import SecurityHeaders, TokenGuard
from lossboard.server.stores import StoreUnavailable, ThreadStores
from lossboard.store.base import Store

STATIC = Path(__file__).parent / "static"
MAX_WIDTH = 20_000  # buckets a chart may ask for: far more pixels than any screen has
# requests answered at once: each thread holds a store connection (SQLite: its own page cache
# of up to 64 MB), and a few cores answer no faster with more (anyio's default is 40)
REQUEST_THREADS = 4
_HEARTBEAT_S = 15.0  # an SSE comment this often keeps proxies from closing an idle feed


class BadRequest(UsageError):
    """A query argument is missing or malformed."""


class JSON(JSONResponse):
    """orjson: numpy columns as lists, NaN and infinities as null."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


def create_app(
    open_store: Callable[[], Store],
    *,
    token: str | None = None,
    allowed_hosts: Sequence[str] | None = None,
    live_interval_s: float = 0.25,
    static_dir: Path = STATIC,
) -> Starlette:
    """The dashboard over the store ``open_store`` opens (once per thread).

    ``token``: every request must carry it (`TokenGuard`). ``allowed_hosts``: Host headers to
    accept, which keeps a page from another site (DNS rebinding) out of a loopback server.
    ``app.state.close_feeds()`` ends the live feeds (open forever otherwise) before a shutdown.
    """
    stores = ThreadStores(open_store)

    def call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> JSON:
        with stores.store() as store:
            return JSON(function(store, *args, **kwargs))

    def list_runs(request: Request) -> JSON:
        return call(lambda store: {"runs": api.runs(store, now=time.time())})

    def list_tags(request: Request) -> JSON:
        return call(api.tags, _runs(request))

    def read_series(request: Request) -> Response:
        params = request.query_params
        first, last = _float(params, "from"), _float(params, "to")
        x_range = None
        if first is not None or last is not None:
            x_range = (first if first is not None else -math.inf, last if last is not None else math.inf)
        layout = params.get("format", "json")
        if layout not in ("json", "columns"):
            raise BadRequest(f"format must be json or columns, not {layout!r}")

        def read(store: Store) -> list[dict[str, Any]]:
            return api.series(
                store,
                run_names=_runs(request),
                tag_names=_required(params.getlist("tag"), "tag"),
                width=_int(params, "width", default=1000, low=1, high=MAX_WIDTH),
                x=params.get("x", "step"),
                x_range=x_range,
                smoothing=params.get("smoothing", "none"),
                weight=_float(params, "weight", default=0.6),
                window=_int(params, "window", default=10, low=1, high=1_000_000),
                times=params.get("times", "all"),
                ends=bool(_int(params, "ends", default=0, low=0, high=1)),
            )

        if layout == "columns":  # what the page asks for (`lossboard.server.columns`)
            with stores.store() as store:
                return Response(columns.encode(read(store)), media_type=columns.MEDIA_TYPE)
        return call(lambda store: {"series": read(store)})

    def read_events(request: Request) -> JSON:
        return call(lambda store: {"events": api.events(store, _runs(request))})

    def list_media(request: Request) -> JSON:
        params = request.query_params
        return call(lambda store: {"media": api.media(store, _runs(request), tag=params.get("tag") or None,
                                                      kind=params.get("kind") or None)})

    def read_media_item(request: Request) -> Response:
        params = request.query_params
        run, tag = _one(params, "run"), _one(params, "tag")
        step = _int(params, "step")
        if step is None:
            raise BadRequest("give the step: ?step=...")
        with stores.store() as store:
            record = api.media_record(store, run, tag, step)
            if record.kind in FILE_KINDS:
                data, content_type = api.media_file_of(store, run, record)
                return Response(data, media_type=content_type, headers={"cache-control": "private, max-age=3600"})
            return JSON(api.media_item(store, run, tag, step))

    def read_media_records(request: Request) -> JSON:
        params = request.query_params
        return call(lambda store: {"records": api.media_records(store, _one(params, "run"), _one(params, "tag"))})

    def list_hparams(request: Request) -> JSON:
        return call(api.hparams, _runs(request))

    def snapshot() -> live.Snapshot:
        with stores.store() as store:
            return live.snapshot(query.list_runs(store))

    feed = Feed(snapshot, interval_s=live_interval_s)

    async def follow(request: Request) -> StreamingResponse:
        await run_in_threadpool(snapshot)  # a store that is gone fails here, as JSON

        async def messages() -> AsyncIterator[bytes]:
            yield b"retry: 1000\n\n"
            quiet = 0.0
            async for update in feed.updates():
                if isinstance(update, StoreUnavailable):
                    yield b"event: error\ndata: " + orjson.dumps({"error": str(update)}) + b"\n\n"
                    continue
                for message in update:
                    yield b"data: " + orjson.dumps(message) + b"\n\n"
                quiet = 0.0 if update else quiet + live_interval_s
                if quiet >= _HEARTBEAT_S:
                    quiet = 0.0
                    yield b": still here\n\n"

        return StreamingResponse(messages(), media_type="text/event-stream", headers={"cache-control": "no-store"})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
        yield
        stores.close()

    middleware = [Middleware(SecurityHeaders)]
    if allowed_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    if token is not None:
        middleware.append(Middleware(TokenGuard, token=token))
    routes = [
        Route("/api/runs", list_runs),
        Route("/api/tags", list_tags),
        Route("/api/series", read_series),
        Route("/api/events", read_events),
        Route("/api/media", list_media),
        Route("/api/media/item", read_media_item),
        Route("/api/media/records", read_media_records),
        Route("/api/hparams", list_hparams),
        Route("/api/live", follow),
        Mount("/", StaticFiles(directory=static_dir, html=True)),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={
            api.UnknownRun: _error(404),
            api.UnknownMedia: _error(404),
            MediaMissing: _error(410),
            UsageError: _error(400),
            StoreUnavailable: _error(503),
        },
    )
    app.state.close_feeds = feed.close
    return app


def _error(status: int) -> Callable[[Request, Exception], Any]:
    def handle(request: Request, error: Exception) -> JSON:
        return JSON({"error": str(error)}, status_code=status)

    return handle


def _runs(request: Request) -> list[str]:
    return _required(request.query_params.getlist("run"), "run")


def _one(params: Any, name: str) -> str:
    value = params.get(name)
    if not value:
        raise BadRequest(f"give the {name}: ?{name}=...")
    return value


def _required(values: list[str], name: str) -> list[str]:
    if not values:
        raise BadRequest(f"give at least one {name}: ?{name}=...")
    return values


def _int(params: Any, name: str, *, default: int | None = None, low: int | None = None,
         high: int | None = None) -> Any:
    text = params.get(name)
    if text is None or text == "":
        return default
    try:
        number = int(text)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, not {text!r}") from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise BadRequest(f"{name} must be between {low} and {high}, not {number}")
    return number


def _float(params: Any, name: str, *, default: float | None = None) -> Any:
    text = params.get(name)
    if text is None or text == "":
        return default
    try:
        number = float(text)
    except ValueError:
        raise BadRequest(f"{name} must be a number, not {text!r}") from None
    if math.isnan(number):
        raise BadRequest(f"{name} must be a number, not NaN")
    return number
