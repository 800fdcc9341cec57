"""What every request must bring and what every response carries.

`TokenGuard` answers 403 to a request without the dashboard's token (the URL's ``?token=``,
an ``Authorization: Bearer`` header, or the cookie the first good request sets, so the page's
own fetches need not repeat it). `lossboard serve` installs it whenever the server listens
beyond the loopback interface. `SecurityHeaders` adds a Content-Security-Policy that lets the
page load nothing but its own files, and the headers that keep it out of frames and keep the
token out of Referer headers.
"""

from __future__ import annotations

import hmac
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "lossboard_token"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-resource-policy": "same-origin",
}


class TokenGuard:
    """ASGI middleware: 403 unless the request carries ``token``."""

    def __init__(self, app: ASGIApp, *, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        good = [where for where, token in _given_tokens(scope).items() if self._matches(token)]
        if not good:
            response = PlainTextResponse(
                "lossboard: this dashboard needs its token; open the URL `lossboard serve` printed "
                "(it ends in ?token=...)",
                status_code=403,
            )
            await response(scope, receive, send)
            return
        if "cookie" in good:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.append("set-cookie", f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict")
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _matches(self, token: str) -> bool:
        return hmac.compare_digest(self.token.encode(), token.encode())  # in constant time


def _given_tokens(scope: Scope) -> dict[str, str]:
    """The tokens a request carries, by where they came from."""
    given = {}
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        given["query"] = query["token"][0]
    for name, value in scope["headers"]:
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            given["header"] = value[7:].decode("latin-1").strip()
        elif name == b"cookie":
            morsel = SimpleCookie(value.decode("latin-1")).get(COOKIE)
            if morsel is not None:
                given["cookie"] = morsel.value
    return given


class SecurityHeaders:
    """ASGI middleware: the Content-Security-Policy and friends on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
