"""Which HTTP requests reach the API: method, media type and size, checked before BentoML
reads a body, so that no request's fault can end in a 5xx.

BentoML hands any media type it has no parser for to its JSON parser, sends
multipart/form-data and form-urlencoded bodies to a form parser that fails with a 500 when
the boundary is missing, and reads a body of any size. The API speaks JSON only:

- Content-Type must be application/json (parameters such as charset=utf-8 are fine; a
  request without one is read as JSON). Anything else is 415, text/plain carrying JSON
  included: browsers send text/plain across origins without asking the server first, so
  refusing it keeps other web pages from posting to the API.
- A compressed body (Content-Encoding other than identity) is 415.
- A body longer than any valid request could be is 413, refused before it is read.
- Methods a route does not take are 405 with an Allow header. BentoML routes an API for
  POST only; a read-only API is also answered on GET (and HEAD) by passing the request to
  the same route as a POST without a body.
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from model_service.serving.api_schema import error_body

JSON = b"application/json"
POST = frozenset({"POST"})
READ_ONLY = frozenset({"GET", "HEAD", "POST"})


def media_type(headers: Mapping[bytes, bytes]) -> bytes:
    """b"Application/JSON; charset=utf-8" -> b"application/json"; b"" when absent."""
    return headers.get(b"content-type", b"").split(b";")[0].strip().lower()


async def answer(send, status: int, message: str, headers: list | None = None) -> None:
    body = error_body(message)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", JSON),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def replay(body: bytes, receive: Callable[[], Awaitable[dict]]) -> Callable[[], Awaitable[dict]]:
    """A `receive` that gives the app the body already read, then waits as the server's."""
    sent = False

    async def replayed() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


class Admission:
    """ASGI middleware: `methods` maps each API route to the methods it takes (POST, or
    READ_ONLY); other paths pass untouched. `max_body_bytes` bounds every body."""

    def __init__(self, app, methods: Mapping[str, frozenset[str]], max_body_bytes: int) -> None:
        self.app = app
        self.methods = methods
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope, receive, send) -> None:
        allowed = self.methods.get(scope.get("path", "")) if scope["type"] == "http" else None
        if allowed is None:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        headers = dict(scope["headers"])
        if method == "OPTIONS" and b"access-control-request-method" in headers:
            await self.app(scope, receive, send)  # a CORS preflight, when CORS is configured
        elif method not in allowed:
            allow = ", ".join(sorted(allowed))
            await answer(
                send,
                405,
                f"{method} is not allowed on {scope['path']}; use {allow}",
                [(b"allow", allow.encode())],
            )
        elif method in ("GET", "HEAD"):
            as_post = [
                (k, v) for k, v in scope["headers"] if k not in (b"content-type", b"content-length")
            ]
            await self.app(
                {**scope, "method": "POST", "headers": as_post}, replay(b"", receive), send
            )
        elif problem := self.refusal(headers):
            await answer(send, *problem)
        else:
            body = await self.read_body(receive)
            if body is None:
                await answer(send, 413, self.too_large())
            else:
                await self.app(scope, replay(body, receive), send)

    def refusal(self, headers: Mapping[bytes, bytes]) -> tuple[int, str] | None:
        """(status, message) for a request refused on its headers alone."""
        kind = media_type(headers)
        if kind not in (b"", JSON):
            shown = headers[b"content-type"].decode("latin-1")
            return 415, f"Content-Type {shown} is not allowed: send application/json"
        coding = headers.get(b"content-encoding", b"identity").strip().lower()
        if coding not in (b"", b"identity"):
            shown = coding.decode("latin-1")
            return 415, f"Content-Encoding {shown} is not supported: send the body uncompressed"
        length = headers.get(b"content-length", b"0")
        if length.isdigit() and int(length) > self.max_body_bytes:
            return 413, self.too_large()
        return None

    async def read_body(self, receive) -> bytes | None:
        """The whole body, or None once it grows past the limit."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    def too_large(self) -> str:
        return f"the body is over {self.max_body_bytes} bytes, more than any valid request"
