"""Request validation and the error bodies clients see (no server: the same types and
middleware the service uses)."""

import asyncio
import json

import pytest
from pydantic import BaseModel, ValidationError

from model_service.serving.api_errors import ClearErrors, explain, location, rewrite
from model_service.serving.api_schema import texts_type
from model_service.settings import Settings


class Request(BaseModel):
    texts: texts_type(Settings(max_texts=3, max_text_chars=10))


def error_message(body: str) -> str:
    with pytest.raises(ValidationError) as caught:
        Request.model_validate_json(body)
    return explain(caught.value.errors(include_context=False, include_input=False))


def test_valid_requests_pass() -> None:
    assert Request.model_validate_json('{"texts": ["hi", " ok "]}').texts == ["hi", " ok "]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"texts": []}', "texts: empty list: send at least one text"),
        ('{"texts": ["a","b","c","d"]}', "texts: 4 items; at most 3 per request"),
        ('{"texts": ["ok", ""]}', "texts[1]: text is empty or only whitespace"),
        ('{"texts": [" \\n\\t "]}', "texts[0]: text is empty or only whitespace"),
        ('{"texts": ["12345678901"]}', "texts[0]: text is 11 characters long; the limit is 10"),
        ('{"texts": ["ok", 5]}', "texts[1]: must be a string"),
        ('{"texts": [null]}', "texts[0]: must be a string"),
        ('{"texts": "just one"}', "texts: must be a list of strings"),
        ("{}", "texts: missing field"),
        ('["hi"]', 'the body must be a JSON object like {"texts": ["..."]}'),
        ('{"texts": ["a"', "the body is not valid JSON (EOF while parsing a list at line 1 "),
    ],
)
def test_each_bad_request_gets_a_message_naming_the_problem(body: str, message: str) -> None:
    assert error_message(body).startswith(message)


def test_location_and_long_error_lists() -> None:
    assert location(["texts", 2]) == "texts[2]"
    assert location(["a", "b", 0]) == "a.b[0]"
    errors = [
        {"loc": ["texts", i], "msg": "Value error, bad", "type": "value_error"} for i in range(7)
    ]
    assert explain(errors).endswith("texts[4]: bad; and 2 more")


def test_rewrite_unwraps_bentoml_bodies_and_keeps_unknown_ones() -> None:
    assert json.loads(rewrite(b'[{"error": "not allowed"}]')) == {
        "error": "not allowed",
        "detail": [],
    }
    pydantic_body = {
        "error": "1 validation error for Input",
        "detail": [
            {"type": "missing", "loc": ["texts"], "msg": "Field required", "url": "https://x"}
        ],
    }
    # The documented body (api_schema.ApiError): pydantic's links to its docs are left out.
    assert json.loads(rewrite(json.dumps(pydantic_body).encode())) == {
        "error": "texts: missing field",
        "detail": [{"type": "missing", "loc": ["texts"], "msg": "Field required"}],
    }
    odd = {"detail": [{"loc": ("texts", 0, None)}, {"type": "x", "msg": 5}]}
    assert json.loads(rewrite(json.dumps(odd).encode()))["detail"] == [
        {"type": "", "loc": ["texts", 0, "None"], "msg": ""},
        {"type": "x", "loc": [], "msg": "5"},
    ]
    assert rewrite(b"plain text") is None
    assert rewrite(b'{"something": "else"}') is None


def run_through_middleware(status: int, body: bytes, content_type: bytes) -> list[dict]:
    async def app(scope, receive, send) -> None:
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body[:5], "more_body": True})
        await send({"type": "http.response.body", "body": body[5:]})

    sent: list[dict] = []

    async def send(message) -> None:
        sent.append(message)

    asyncio.run(ClearErrors(app)({"type": "http"}, None, send))
    return sent


def test_middleware_rewrites_4xx_json_and_fixes_the_length() -> None:
    sent = run_through_middleware(400, b'[{"error": "bad thing"}]', b"application/json")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert json.loads(body) == {"error": "bad thing", "detail": []}
    assert dict(sent[0]["headers"])[b"content-length"] == str(len(body)).encode()


def test_middleware_explains_503_and_asks_to_retry() -> None:
    sent = run_through_middleware(503, b'{"error": "An unexpected error"}', b"application/json")
    assert json.loads(sent[1]["body"])["error"].startswith("service unavailable: the model is")
    assert dict(sent[0]["headers"])[b"retry-after"] == b"5"


@pytest.mark.parametrize(
    ("status", "content_type"),
    [(200, b"application/json"), (500, b"application/json"), (404, b"text/plain")],
)
def test_middleware_passes_everything_else_through(status: int, content_type: bytes) -> None:
    sent = run_through_middleware(status, b'[{"error": "x"}]', content_type)
    assert [m.get("body") for m in sent[1:]] == [b'[{"er', b'ror": "x"}]']
