"""Fixtures for the dashboard: an indexed example store, a TestClient, a real `lossboard serve`,
and a real Chromium (Playwright) with a fresh page per test."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the dashboard needs pip install 'lossboard[server]'")

from starlette.testclient import TestClient  # noqa: E402

from lossboard.server.app import create_app  # noqa: E402
from lossboard.store.indexer import index_paths  # noqa: E402
from lossboard.store.sqlite import SQLiteStore  # noqa: E402

EXAMPLE = Path(__file__).parents[2] / "examples" / "alexnet-imagenet"
RUN = "alexnet-imagenet"
_STARTUP_S = 30.0  # a first indexing pass and uvicorn's start, on a busy two-core machine


@pytest.fixture
def example_url(tmp_path: Path) -> str:
    """An SQLite store holding the bundled AlexNet example, indexed."""
    url = "sqlite://" + str(tmp_path / "index.sqlite")
    with SQLiteStore(url) as store:
        index_paths(store, [EXAMPLE])
    return url


@pytest.fixture
def client(example_url: str) -> Iterator[TestClient]:
    app = create_app(lambda: SQLiteStore(example_url, create=False))
    with TestClient(app) as test_client:
        yield test_client


class Served:
    """A ``lossboard serve`` child process: its URL, its console lines, Ctrl-C to stop it."""

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from lossboard.cli import main; main()", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self._wait_for_url()

    def _read(self) -> None:
        """Hands the console's lines over one by one (select() cannot see Python's own buffer)."""
        assert self.process.stdout is not None
        with self.process.stdout:
            for line in self.process.stdout:
                self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + _STARTUP_S
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
            if "dashboard at " in line:
                return line.split("dashboard at ", 1)[1].split()[0]
        self.process.kill()
        self.process.wait()
        raise AssertionError("lossboard serve did not start:\n" + "\n".join(self.lines))

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as a user would; the exit status and the rest of the console."""
        self.process.send_signal(signal.SIGINT)
        status = self.process.wait(timeout=_STARTUP_S)
        rest = []
        while (line := self._lines.get(timeout=_STARTUP_S)) is not None:
            rest.append(line)
        return status, "\n".join(rest)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator:
    """``serve(*args)`` starts ``lossboard serve`` (store in tmp_path unless given); stopped after."""
    started: list[Served] = []

    def start(*args: str) -> Served:
        if "--store" not in args:
            args = (*args, "--store", "sqlite://" + str(tmp_path / f"served-{len(started)}.sqlite"))
        served = Served([*args, "--port", "0"] if "--port" not in args else list(args))
        started.append(served)
        return served

    yield start
    for served in started:
        if served.process.poll() is None:
            served.stop()


CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    opened.dialogs = []  # any alert() would land here
    opened.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))
    opened.errors = []
    opened.on("pageerror", lambda error: opened.errors.append(str(error)))
    yield opened
    context.close()
