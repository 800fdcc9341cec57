"""The live feed's one poller: a look at the store per interval, shared by every open page.

However many pages are open, the store sees one `list_runs` per interval (a small query), not
one per page; each page gets the same `lossboard.server.live` messages through a queue of its
own. The poller runs while some page listens and stops with the last one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from lossboard.server import live
from lossboard.server.stores import StoreUnavailable

Update = list[dict[str, Any]] | StoreUnavailable  # the changes of one look, or why it failed


class Feed:
    """Calls ``look`` (blocking; run in a worker thread) every ``interval_s`` while pages listen."""

    def __init__(self, look: Callable[[], live.Snapshot], *, interval_s: float) -> None:
        self._look = look
        self._interval_s = interval_s
        self._queues: set[asyncio.Queue[Update | None]] = set()
        self._poller: asyncio.Task[None] | None = None
        self._closing = False

    async def updates(self) -> AsyncIterator[Update]:
        """One item per look (an empty list when nothing changed), until `close`."""
        queue: asyncio.Queue[Update | None] = asyncio.Queue()
        self._queues.add(queue)
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll())
        try:
            while (update := await queue.get()) is not None:
                yield update
        finally:
            self._queues.discard(queue)

    def close(self) -> None:
        """End every page's feed at the next look. Only sets a flag: safe from a signal handler."""
        self._closing = True

    async def _poll(self) -> None:
        before: live.Snapshot | None = None
        try:
            while self._queues and not self._closing:
                try:
                    after = await run_in_threadpool(self._look)
                except StoreUnavailable as error:
                    self._send(error)
                else:
                    self._send(live.changes(before, after) if before is not None else [])
                    before = after
                await asyncio.sleep(self._interval_s)
            for queue in self._queues:
                queue.put_nowait(None)
        finally:
            self._poller = None

    def _send(self, update: Update) -> None:
        for queue in self._queues:
            queue.put_nowait(update)
