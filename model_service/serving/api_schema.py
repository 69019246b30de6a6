"""Request and response shapes of the HTTP API, with the input limits checked per request
(before BentoML merges requests into a batch, so one bad request never fails others)."""

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from model_service.settings import Settings


class Prediction(BaseModel):
    label: Literal["troll", "not_troll"]
    score: float = Field(description="probability that the text is trolling, 0 to 1")


class ModelInfo(BaseModel):
    ready: bool
    source: str = Field(description="where the model was loaded from")
    name: str | None = None
    version: str | None = None
    run_id: str | None = None
    error: str | None = Field(None, description="why the model is not loaded yet")


def texts_type(settings: Settings) -> Any:
    """The `texts` parameter: 1 to max_texts strings, each non-blank and at most
    max_text_chars long. Messages are ours; api_errors puts them in front."""

    def check_list(value: Any) -> Any:
        # Checked before the items, so a huge list is refused without validating it.
        if isinstance(value, list):
            if not value:
                raise ValueError("empty list: send at least one text")
            if len(value) > settings.max_texts:
                raise ValueError(f"{len(value)} items; at most {settings.max_texts} per request")
        return value

    def check_text(value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty or only whitespace")
        if len(value) > settings.max_text_chars:
            raise ValueError(
                f"text is {len(value)} characters long; the limit is {settings.max_text_chars}"
            )
        return value

    text = Annotated[str, Field(strict=True), AfterValidator(check_text)]
    return Annotated[
        list[text],
        BeforeValidator(check_list),
        Field(
            description=f"1 to {settings.max_texts} texts, each 1 to "
            f"{settings.max_text_chars} characters and not only whitespace",
            examples=[["Great write-up, thanks!", "Cope harder, nobody cares."]],
        ),
    ]
