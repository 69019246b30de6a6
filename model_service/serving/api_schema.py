"""Request and response shapes of the HTTP API. BentoML builds the OpenAPI document from
these types, so every limit a request is checked against is also a schema keyword there.

The document declares OpenAPI 3.0 (BentoML's choice), whose schemas differ from the JSON
Schema 2020-12 pydantic writes: null is `nullable: true` rather than a type, and a schema
has one `example` rather than a list of `examples`. The types here are written that way.
"""

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from typing_extensions import TypeAliasType

from model_service.settings import Settings

# "Not only whitespace", with whitespace as Python's str.isspace() knows it, spelled out so
# that every regex dialect reading the pattern (ECMA 262 in OpenAPI tools, Python's re,
# the Rust regex pydantic checks it with) agrees on each character. JSON Schema patterns
# search, so this matches any text holding one character outside the class.
NOT_ONLY_WHITESPACE = (
    r"[^\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)
_HAS_CONTENT = re.compile(NOT_ONLY_WHITESPACE)


def _nullable_for_openapi_30(schema: dict[str, Any]) -> None:
    """pydantic writes `X | None` as anyOf [X, {"type": "null"}]; OpenAPI 3.0 has no null
    type and says `nullable: true` instead."""
    for prop in schema.get("properties", {}).values():
        options = prop.get("anyOf", [])
        if len(options) == 2 and {"type": "null"} in options:
            del prop["anyOf"]
            (other,) = (option for option in options if option != {"type": "null"})
            # A $ref takes no sibling keywords in 3.0: wrap it.
            prop.update({"allOf": [other]} if "$ref" in other else other, nullable=True)


class ApiModel(BaseModel):
    # Every field is always sent, so the response schemas mark them all required.
    model_config = ConfigDict(
        json_schema_extra=_nullable_for_openapi_30,
        json_schema_serialization_defaults_required=True,
    )


class Prediction(ApiModel):
    label: Literal["troll", "not_troll"]
    score: float = Field(ge=0, le=1, description="probability that the text is trolling")


class ModelInfo(ApiModel):
    # BentoML serves a subclass named ModelInfoIODescriptor; the schema keeps this name.
    model_config = ConfigDict(title="ModelInfo")

    ready: bool = Field(description="whether the model is loaded and /classify answers")
    source: str = Field(description="where the model is loaded from")
    name: str | None = Field(None, description="registered model name, once loaded")
    version: str | None = Field(None, description="registered model version, once loaded")
    run_id: str | None = Field(None, description="MLflow run that trained it, once loaded")
    error: str | None = Field(None, description="why the model is not loaded yet, else null")
    loaded_at: str | None = Field(
        None, description="when the served model was loaded or swapped in (ISO 8601, UTC)"
    )
    refused: str | None = Field(
        None,
        description="the last new version of the alias that was refused (failed to load or "
        "warm up) and why; the served model went on serving",
    )


class ValidationIssue(ApiModel):
    """One problem found in the request body."""

    type: str = Field(description="kind of problem, e.g. missing, string_type, value_error")
    loc: list[str | int] = Field(description='where: field names and list indexes, ["texts", 2]')
    msg: str = Field(description="the problem in words")


class ApiError(ApiModel):
    """Every refused request and every failure is answered with this body."""

    # `detail` is left out by BentoML's own 5xx bodies, so it is not required.
    model_config = ConfigDict(json_schema_serialization_defaults_required=False)

    error: str = Field(description="what is wrong, naming the field (texts[2]: ...)")
    detail: list[ValidationIssue] = Field(
        default_factory=list,
        description="each problem of a body that failed validation; empty otherwise",
    )


def error_body(error: str, detail: list[dict[str, Any]] | None = None) -> bytes:
    """The JSON body of an error answer."""
    return ApiError(error=error, detail=detail or []).model_dump_json().encode()


def texts_type(settings: Settings) -> Any:
    """The `texts` parameter: 1 to max_texts strings, each 1 to max_text_chars characters and
    not only whitespace. The schema keywords state the limits; validators that run before
    them check the same limits first to word the message (api_errors puts it in front)."""

    def check_list(value: Any) -> Any:
        # Checked before the items, so a huge list is refused without validating it.
        if isinstance(value, list):
            if not value:
                raise ValueError("empty list: send at least one text")
            if len(value) > settings.max_texts:
                raise ValueError(f"{len(value)} items; at most {settings.max_texts} per request")
        return value

    def check_text(value: Any) -> Any:
        if isinstance(value, str):
            if not _HAS_CONTENT.search(value):
                raise ValueError("text is empty or only whitespace")
            if len(value) > settings.max_text_chars:
                raise ValueError(
                    f"text is {len(value)} characters long; the limit is {settings.max_text_chars}"
                )
        return value  # anything else fails the strict string check after this

    # A named type: BentoML re-annotates the items of a list parameter, which repeats their
    # validators and then leaves the length limits out of the schema; an alias it keeps whole.
    text = TypeAliasType(
        "Text",
        Annotated[
            str,
            Field(
                strict=True,
                min_length=1,
                max_length=settings.max_text_chars,
                pattern=NOT_ONLY_WHITESPACE,
                description="one text, not only whitespace",
            ),
            BeforeValidator(check_text),
        ],
    )
    return Annotated[
        list[text],
        Field(
            min_length=1,
            max_length=settings.max_texts,
            description=f"1 to {settings.max_texts} texts, each 1 to "
            f"{settings.max_text_chars} characters and not only whitespace",
            json_schema_extra={
                "example": ["Great write-up, thanks!", "Cope harder, nobody cares."]
            },
        ),
        BeforeValidator(check_list),
    ]


def largest_body_bytes(settings: Settings) -> int:
    """The most bytes a valid /classify body can take: every text at the length limit with
    each character written as the longest JSON escape (a surrogate pair, 12 bytes), plus
    quotes, separators and room for formatting. Longer bodies are refused unread (413)."""
    return settings.max_texts * (12 * settings.max_text_chars + 4) + 4096
