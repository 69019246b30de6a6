"""One clear error message for every refused request.

BentoML answers bad input with 400 and pydantic's error list under a generic headline, and
wraps other 4xx bodies in a list. This middleware rewrites 4xx JSON bodies of the API to the
documented error body (api_schema.ApiError): {"error": "<what is wrong, naming the field>",
"detail": [...]}. BentoML hides every 5xx message; a 503 (model still loading, or load shed
by the batcher) gets a message and a Retry-After header, other 5xx are left alone.
"""

import json
from typing import Any

from model_service.serving.api_schema import error_body

# pydantic error types -> messages that name the problem in the request's terms.
_MESSAGES = {
    "json_invalid": "the body is not valid JSON",
    "missing": "missing field",
    "list_type": "must be a list of strings",
    "string_type": "must be a string",
    "model_type": 'the body must be a JSON object like {"texts": ["..."]}',
    "model_attributes_type": 'the body must be a JSON object like {"texts": ["..."]}',
    "dict_type": 'the body must be a JSON object like {"texts": ["..."]}',
}


def location(loc: list[Any]) -> str:
    """["texts", 2] -> "texts[2]"."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def explain(errors: list[dict[str, Any]]) -> str:
    """A one-line message for pydantic errors (as BentoML returns them)."""
    parts = []
    for error in errors[:5]:
        where = location(error.get("loc") or [])
        kind = error.get("type", "")
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        if kind == "json_invalid":
            message = f"{_MESSAGES[kind]} ({message.removeprefix('Invalid JSON: ')})"
        elif kind in _MESSAGES:
            message = _MESSAGES[kind]
        parts.append(f"{where}: {message}" if where else message)
    if len(errors) > 5:
        parts.append(f"and {len(errors) - 5} more")
    return "; ".join(parts) or "invalid request"


UNAVAILABLE = (
    "service unavailable: the model is still loading or the server is overloaded; retry later"
)


def rewrite(body: bytes) -> bytes | None:
    """The new body for a 4xx JSON body, or None to keep it."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
        data = data[0]  # BentoML 1.4 returns ({"error": ...},) for its own 4xx
    if not isinstance(data, dict):
        return None
    detail = data.get("detail")
    if isinstance(detail, list) and detail and all(isinstance(e, dict) for e in detail):
        # Only the documented keys, each present, so building the body cannot fail.
        issues = [
            {
                "type": str(e.get("type", "")),
                "loc": [
                    part if isinstance(part, int) else str(part) for part in e.get("loc") or []
                ],
                "msg": str(e.get("msg", "")),
            }
            for e in detail
        ]
        return error_body(explain(detail), issues)
    if isinstance(data.get("error"), str):
        return error_body(data["error"])
    return None


class ClearErrors:
    """ASGI middleware applying `rewrite` to 4xx JSON responses."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                is_json = headers.get(b"content-type", b"").startswith(b"application/json")
                if (400 <= message["status"] < 500 or message["status"] == 503) and is_json:
                    held["start"] = message
                    return
            elif message["type"] == "http.response.body" and "start" in held:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = b"".join(chunks)
                start = held.pop("start")
                headers = [
                    (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
                ]
                if start["status"] == 503:
                    body = error_body(UNAVAILABLE)
                    headers.append((b"retry-after", b"5"))
                else:
                    body = rewrite(body) or body
                headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, capture)
