"""The OpenAPI document the service serves, built in-process by the same code as
GET /docs.json: valid for the OpenAPI version it declares, the limits as schema keywords,
every answer documented, and docs/api/ generated from it."""

import re
import subprocess
import sys

import pytest
from openapi_spec_validator import validate

from devstack.paths import REPO_ROOT
from model_service.serving import api_document
from model_service.serving.api_schema import NOT_ONLY_WHITESPACE
from model_service.serving.service import SETTINGS, TrollClassifier


@pytest.fixture(scope="module")
def doc() -> dict:
    return TrollClassifier.openapi_spec.asdict()


def statuses(operation: dict) -> set[str]:
    return {str(status) for status in operation["responses"]}


def test_the_document_is_valid_for_the_openapi_version_it_declares(doc) -> None:
    assert doc["openapi"].startswith("3.0.")
    validate(doc)  # raises, naming the offending part


def test_the_request_limits_are_schema_keywords(doc) -> None:
    request = doc["paths"]["/classify"]["post"]["requestBody"]
    assert request["required"] is True
    texts = request["content"]["application/json"]["schema"]["properties"]["texts"]
    assert (texts["minItems"], texts["maxItems"]) == (1, SETTINGS.max_texts)
    text = doc["components"]["schemas"]["Text"]
    assert texts["items"] == {"$ref": "#/components/schemas/Text"}
    assert (text["minLength"], text["maxLength"]) == (1, SETTINGS.max_text_chars)
    assert text["pattern"] == NOT_ONLY_WHITESPACE


def test_every_answer_is_documented_with_its_body(doc) -> None:
    paths = doc["paths"]
    assert statuses(paths["/classify"]["post"]) == {"200", "400", "413", "415", "503", "default"}
    assert statuses(paths["/model_info"]["post"]) == {"200", "400", "413", "415", "default"}
    assert statuses(paths["/model_info"]["get"]) == {"200", "default"}
    assert statuses(paths["/readyz"]["get"]) == {"200", "503"}
    error = {"$ref": "#/components/schemas/ApiError"}
    for operation in (paths["/classify"]["post"], paths["/model_info"]["get"]):
        for status, response in operation["responses"].items():
            if status != "200":
                assert response["content"]["application/json"]["schema"] == error
    # BentoML's error bodies (detail as a string) and unused schemas are gone.
    assert set(doc["components"]["schemas"]) == {
        "ApiError",
        "Prediction",
        "Text",
        "ValidationIssue",
    }


def test_null_is_documented_where_it_is_sent(doc) -> None:
    info = doc["paths"]["/model_info"]["get"]["responses"]["200"]["content"]["application/json"]
    fields = info["schema"]["properties"]
    assert fields["error"] == {**fields["error"], "type": "string", "nullable": True}
    assert "nullable" not in fields["ready"]
    assert set(info["schema"]["required"]) == set(fields), "every field is always sent"
    detail = doc["components"]["schemas"]["ApiError"]["properties"]["detail"]
    assert detail["type"] == "array" and "nullable" not in detail


def test_a_wrong_document_fails_validation(doc) -> None:
    # The check can fail: pydantic's own JSON Schema for a nullable field is not OpenAPI 3.0.
    broken = api_document.as_spec(doc).asdict()
    info = broken["paths"]["/model_info"]["get"]["responses"]["200"]["content"]
    info["application/json"]["schema"]["properties"]["error"] = {
        "anyOf": [{"type": "string"}, {"type": "null"}]
    }
    with pytest.raises(Exception, match="null"):
        validate(broken)


def test_the_whitespace_class_is_what_python_calls_whitespace() -> None:
    # Validation in Python and the pattern in the document refuse the same texts.
    pattern = re.compile(NOT_ONLY_WHITESPACE)
    disagree = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if bool(pattern.fullmatch(chr(code))) == chr(code).isspace()
    ]
    assert not disagree


def test_the_api_reference_in_docs_is_generated_from_this_document() -> None:
    result = subprocess.run(
        [sys.executable, "toolchain/api_reference.py", "--check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
