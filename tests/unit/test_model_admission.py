"""The admission middleware in front of the API, with an ASGI app that records what reaches
it (no server): methods, media types and body size are refused before the app reads."""

import asyncio
import json

import pytest

from model_service.serving.admission import POST, READ_ONLY, Admission

LIMIT = 100


class Recorder:
    """An ASGI app that reads the whole body and answers 200."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bytes, dict]] = []

    async def __call__(self, scope, receive, send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.seen.append((scope["method"], body, dict(scope["headers"])))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def call(method: str, path: str, headers: dict[str, str], chunks: list[bytes]):
    """(status, headers, body, what the app saw) for one request."""
    app = Recorder()
    gate = Admission(app, {"/classify": POST, "/model_info": READ_ONLY}, LIMIT)
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks or [b""])
    ]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    sent = []

    async def send(message) -> None:
        sent.append(message)

    asyncio.run(gate(scope, receive, send))
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], dict(start["headers"]), body, app.seen


JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    "headers",
    [JSON, {"content-type": "Application/JSON; charset=utf-8"}, {}],
    ids=["json", "json with charset", "no content type"],
)
def test_json_and_untyped_bodies_pass_unchanged(headers) -> None:
    status, _, _, seen = call("POST", "/classify", headers, [b'{"texts": ', b'["hi"]}'])
    assert status == 200
    assert seen[0][:2] == ("POST", b'{"texts": ["hi"]}')


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
        "application/vnd.bentoml+pickle",
    ],
)
def test_other_media_types_get_415_naming_the_type(content_type) -> None:
    status, _, body, seen = call("POST", "/classify", {"content-type": content_type}, [b"{}"])
    assert status == 415 and not seen
    assert json.loads(body)["error"] == (
        f"Content-Type {content_type} is not allowed: send application/json"
    )


def test_a_compressed_body_gets_415() -> None:
    status, _, body, _ = call("POST", "/classify", {**JSON, "content-encoding": "gzip"}, [b"x"])
    assert status == 415 and "Content-Encoding gzip is not supported" in json.loads(body)["error"]


def test_bodies_over_the_limit_get_413_declared_or_streamed() -> None:
    declared = {**JSON, "content-length": str(LIMIT + 1)}
    status, _, body, seen = call("POST", "/classify", declared, [b"x"])
    assert status == 413 and not seen
    assert (
        json.loads(body)["error"] == f"the body is over {LIMIT} bytes, more than any valid request"
    )
    status, _, _, seen = call("POST", "/classify", JSON, [b"x" * 60, b"x" * 60])
    assert status == 413 and not seen
    status, _, _, seen = call("POST", "/classify", JSON, [b"x" * LIMIT])
    assert status == 200 and seen


def test_a_method_a_route_does_not_take_gets_405_with_allow() -> None:
    status, headers, body, _ = call("GET", "/classify", {}, [])
    assert status == 405 and headers[b"allow"] == b"POST"
    assert json.loads(body)["error"] == "GET is not allowed on /classify; use POST"
    status, headers, _, _ = call("PUT", "/model_info", {}, [])
    assert status == 405 and headers[b"allow"] == b"GET, HEAD, POST"


def test_get_on_a_read_only_route_reaches_it_as_a_post_without_a_body() -> None:
    status, _, _, seen = call("GET", "/model_info", {"content-type": "text/plain"}, [b"ignored"])
    assert status == 200
    method, body, headers = seen[0]
    assert (method, body) == ("POST", b"") and b"content-type" not in headers


def test_other_paths_and_cors_preflights_pass_untouched() -> None:
    assert call("PUT", "/livez", {"content-type": "text/plain"}, [b"x" * 500])[0] == 200
    preflight = {"access-control-request-method": "POST", "origin": "http://example.test"}
    assert call("OPTIONS", "/classify", preflight, [])[0] == 200
