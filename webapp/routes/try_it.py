"""The try-it page: classify a comment; "This is wrong" stores feedback."""

from fastapi import APIRouter, Form, Request

from webapp import feedback
from webapp.model_client import ModelUnavailable
from webapp.web import render, state

router = APIRouter()


def _check_text(request: Request, text: str) -> str | None:
    limit = state(request).settings.max_text_chars
    if not text.strip():
        return "Enter a comment to classify: the text is empty."
    if len(text) > limit:
        return f"The comment is {len(text)} characters long; the limit is {limit}."
    return None


def _page(request: Request, fragment: bool, status_code: int = 200, **context):
    # The page's script asks for the result alone (X-Fragment), a plain form post for all.
    name = "_result.html" if fragment else "try.html"
    return render(request, name, status_code=status_code, **context)


@router.get("/")
def try_page(request: Request):
    return render(request, "try.html", text="")


@router.post("/classify")
def classify(request: Request, text: str = Form("")):
    fragment = request.headers.get("x-fragment") == "1"
    problem = _check_text(request, text)
    if problem:
        return _page(request, fragment, 422, text=text, error=problem)
    try:
        result = state(request).model.classify(text)
    except ModelUnavailable as exc:
        return _page(request, fragment, 503, text=text, error=f"No answer from the model: {exc}")
    return _page(request, fragment, text=text, result=result)


@router.post("/feedback")
def send_feedback(
    request: Request,
    text: str = Form(""),
    predicted_label: str = Form(""),
    score: str = Form(""),
    model_version: str = Form(""),
):
    fragment = request.headers.get("x-fragment") == "1"
    problem = _check_text(request, text)
    try:
        label, probability = int(predicted_label), float(score)
        if label not in (0, 1) or not 0 <= probability <= 1:
            raise ValueError
    except ValueError:
        problem = problem or "The feedback form was altered: classify the comment again."
    if problem:
        return _page(request, fragment, 422, text=text, error=problem)
    feedback.record(state(request).pool, text, label, probability, model_version[:40])
    return _page(request, fragment, text=text, thanked=True)
