"""The token guard and the Host check: who may read the dashboard."""

from __future__ import annotations

import httpx
import pytest
from starlette.testclient import TestClient

from lossboard.server.app import create_app
from lossboard.server.launch import LOOPBACK_HOSTS
from lossboard.store.sqlite import SQLiteStore

TOKEN = "s3cret-token"


@pytest.fixture
def guarded(example_url: str) -> TestClient:
    app = create_app(lambda: SQLiteStore(example_url, create=False), token=TOKEN)
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("path", ["/", "/app.js", "/api/runs", "/api/live"])
def test_without_the_token_every_path_is_403(guarded: TestClient, path: str) -> None:
    answer = guarded.get(path)
    assert answer.status_code == 403
    assert "?token=" in answer.text


def test_a_wrong_token_is_403(guarded: TestClient) -> None:
    assert guarded.get("/api/runs", params={"token": "guess"}).status_code == 403
    assert guarded.get("/api/runs", headers={"authorization": "Bearer guess"}).status_code == 403


def test_the_token_in_the_url_sets_a_cookie_the_page_then_uses(guarded: TestClient) -> None:
    page = guarded.get("/", params={"token": TOKEN})
    assert page.status_code == 200
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"lossboard_token={TOKEN};") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert guarded.get("/api/runs").status_code == 200  # the client kept the cookie


def test_a_bearer_header_works_for_scripts(guarded: TestClient) -> None:
    assert guarded.get("/api/runs", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_a_loopback_server_refuses_other_host_names(example_url: str) -> None:
    """A page of another site that points its name at 127.0.0.1 (DNS rebinding) gets nothing."""
    app = create_app(lambda: SQLiteStore(example_url, create=False), allowed_hosts=LOOPBACK_HOSTS)
    with TestClient(app, base_url="http://127.0.0.1:6006") as client:
        assert client.get("/api/runs").status_code == 200
        assert client.get("/api/runs", headers={"host": "evil.example:6006"}).status_code == 400


def test_serve_beyond_loopback_prints_a_token_and_refuses_requests_without_it(serve, example_url: str) -> None:
    served = serve("--store", example_url, "--host", "0.0.0.0")
    assert "?token=" in served.url
    bare = served.url.split("?")[0].replace("0.0.0.0", "127.0.0.1")
    assert httpx.get(bare + "api/runs").status_code == 403
    assert httpx.get(served.url.replace("0.0.0.0", "127.0.0.1")).status_code == 200
