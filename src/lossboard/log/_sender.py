"""The background thread of a `SummaryWriter`: encode batches and append them to the file.

The caller hands over jobs (functions returning encoded records) through a bounded queue;
when the disk is slower than the training loop and the queue is full, `send` blocks until
the thread catches up, so memory stays bounded and nothing is dropped. Jobs waiting
together are written with one ``write``. Errors never reach the thread's caller: they are
kept in `errors` (one per cause: the event file, media files, an encoding bug) for the
writer to report on the training thread; after the event file fails, jobs are dropped.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable

Job = Callable[[], bytes]
_STOP = object()


class Sender:
    """Owns the event file descriptor from construction until `stop`."""

    def __init__(self, fd: int, path: str, *, max_jobs: int) -> None:
        self.path = path
        self.errors: list[tuple[str, BaseException]] = []  # (what failed, why), not yet reported
        self._fd = fd
        self._causes: set[str] = set()
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, max_jobs))
        self._thread = threading.Thread(target=self._run, name=f"lossboard-writer {path}", daemon=True)
        self._thread.start()

    def send(self, job: Job) -> None:
        self._queue.put(job)

    def wait(self) -> None:
        """Return once everything sent so far is written (or has failed)."""
        done = threading.Event()
        self._queue.put(done)
        done.wait()

    def stop(self) -> None:
        """Write what is queued, end the thread and close the file."""
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        parts: list[bytes] = []
        while True:
            item = self._queue.get()
            # drain what else is waiting so that it goes out in one write
            items = [item]
            while item is not _STOP:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                items.append(item)
            for item in items:
                if isinstance(item, threading.Event):
                    self._write(parts)
                    item.set()
                elif item is _STOP:
                    self._write(parts)
                    self._close()
                    return
                elif self._fd >= 0:
                    parts.append(self._encode(item))
            self._write(parts)

    def _encode(self, job: Job) -> bytes:
        try:
            return job()
        except OSError as exc:  # a media file beside the event file
            self._fail("media", exc)
        except Exception as exc:  # a value the caller's checks let through: report, keep logging
            self._fail("encode", exc)
        return b""

    def _write(self, parts: list[bytes]) -> None:
        if not parts:
            return
        data = memoryview(b"".join(parts))
        parts.clear()
        try:
            while data and self._fd >= 0:
                data = data[os.write(self._fd, data) :]
        except OSError as exc:
            self._fail("events", exc)
            self._close()

    def _close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            try:
                os.close(fd)
            except OSError as exc:  # NFS reports some write errors only here
                self._fail("events", exc)

    def _fail(self, cause: str, exc: BaseException) -> None:
        if cause not in self._causes:
            self._causes.add(cause)
            self.errors.append((cause, exc))
