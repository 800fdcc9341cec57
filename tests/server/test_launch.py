"""`lossboard serve`: binding, the next free port, Ctrl-C, and what it says when misused."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx
import pytest
from click.testing import CliRunner

from lossboard.cli import main
from lossboard.errors import UsageError
from lossboard.server.launch import bind, is_loopback


def test_serve_without_logdirs_or_store_says_what_to_give() -> None:
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 1
    assert "give the LOGDIRS to index and serve, or --store URL" in result.output


def test_serve_without_the_server_extra_names_it() -> None:
    code = "import sys; sys.modules['starlette'] = None; from lossboard.cli import main; main(['serve', '.'])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "pip install 'lossboard[server]'" in done.stderr and "Traceback" not in done.stderr


def test_serve_of_a_missing_store_says_how_to_build_one(tmp_path) -> None:
    missing = tmp_path / "none.sqlite"
    result = CliRunner().invoke(main, ["serve", "--store", f"sqlite://{missing}", "--port", "0"])
    assert result.exit_code == 1
    assert f"{missing}: no lossboard index here" in result.output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True), ("127.1.2.3", True),
     ("0.0.0.0", False), ("192.168.1.5", False), ("::", False), ("example.org", False)],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_bind_takes_the_next_free_port() -> None:
    taken = bind("127.0.0.1", 0)
    port = taken.getsockname()[1]
    try:
        other = bind("127.0.0.1", port, tries=5)
        assert other.getsockname()[1] > port
        other.close()
    finally:
        taken.close()


def test_bind_says_when_no_port_is_free() -> None:
    taken = bind("127.0.0.1", 0)
    try:
        with pytest.raises(UsageError, match=r"no free port on 127\.0\.0\.1 from \d+ to \d+"):
            bind("127.0.0.1", taken.getsockname()[1], tries=1)
    finally:
        taken.close()


def test_serve_stops_cleanly_on_ctrl_c(serve, example_url: str) -> None:
    served = serve("--store", example_url)
    assert httpx.get(served.url + "api/runs").json()["runs"][0]["name"] == "alexnet-imagenet"
    status, rest = served.stop()
    assert status == 0
    assert rest.strip().endswith("stopped")
    assert "Traceback" not in rest


def test_serve_says_when_the_port_is_taken(serve, example_url: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        served = serve("--store", example_url, "--port", str(port))
        assert f"port {port} is taken; using " in "\n".join(served.lines)
        assert f":{port}/" not in served.url


def test_ctrl_c_right_after_the_url_is_shown_stops_the_server(serve, example_url: str) -> None:
    # the URL is shown once uvicorn answers and owns Ctrl-C; shown before, a Ctrl-C in between
    # could leave the server running
    for _ in range(3):
        status, rest = serve("--store", example_url).stop()
        assert status == 0
        assert rest.strip().endswith("stopped") and "Traceback" not in rest


def test_ctrl_c_ends_an_open_live_feed_instead_of_waiting_for_it(serve, example_url: str) -> None:
    served = serve("--store", example_url)
    with httpx.stream("GET", served.url + "api/live", timeout=30) as feed:
        lines = feed.iter_lines()
        assert next(lines) == "retry: 1000"
        status, rest = served.stop()
        assert list(lines)[-1:] in ([], [""])  # the server ended the stream
    assert status == 0
    assert rest.strip().endswith("stopped") and "Traceback" not in rest


def test_requests_cancelled_by_ctrl_c_are_counted_not_shown() -> None:
    """uvicorn logs each request it cancels at shutdown with a traceback; after Ctrl-C that is
    what the user asked for, so it is counted, while any other error still shows."""
    import asyncio
    import logging

    from lossboard.server.launch import QuietShutdown

    def record(message: str, error: BaseException | None = None) -> logging.LogRecord:
        exc_info = (type(error), error, None) if error else None
        return logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, message, (), exc_info)

    quiet = QuietShutdown()
    assert quiet.filter(record("Exception in ASGI application\n", asyncio.CancelledError()))  # not stopping yet
    quiet.stopping = True
    assert not quiet.filter(record("Exception in ASGI application\n", asyncio.CancelledError()))
    assert not quiet.filter(record("Cancel 3 running task(s), timeout graceful shutdown exceeded"))
    assert quiet.filter(record("Exception in ASGI application\n", ValueError("a real bug")))
    assert quiet.cancelled == 1
