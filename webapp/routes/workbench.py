"""The data workbench (signed-in users): the labelled comments, the feedback, CSV import
and export, and the dataset's statistics."""

from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response

from webapp import comments, feedback
from webapp.comments import CommentError, parse_label
from webapp.csv_import import MAX_UPLOAD_BYTES, import_csv
from webapp.web import SignedIn, back_to, flash, form_int, render, state

router = APIRouter(prefix="/workbench")


@router.get("")
def home(user: SignedIn):
    return back_to("/workbench/comments")


@router.get("/comments")
def comment_list(
    request: Request,
    user: SignedIn,
    *,
    q: str = "",
    label: str = "",
    category: str = "",
    offset: str = "0",
):
    settings = state(request).settings
    errors = []
    try:
        wanted_label = parse_label(label)
    except CommentError as exc:
        errors.append(str(exc))
        wanted_label = None
    try:
        start = max(form_int(offset, "offset"), 0)
    except ValueError as exc:
        errors.append(str(exc))
        start = 0
    q = q[:200]
    page = comments.search(
        state(request).pool,
        query=q,
        label=wanted_label,
        category=category,
        offset=start,
        size=settings.page_size,
    )
    filters = {"q": q, "label": label if wanted_label is not None else "", "category": category}
    return render(
        request,
        "comments.html",
        status_code=422 if errors else 200,
        page=page,
        filters=filters,
        query_string=urlencode(filters),
        categories=comments.categories(state(request).pool),
        errors=errors,
    )


def _back_to_list(request: Request) -> str:
    # Back to the list as it was filtered (the form carries its query string).
    referer = request.headers.get("referer", "")
    path = referer.split("://", 1)[-1].split("/", 1)[-1] if referer else ""
    return "/" + path if path.startswith("workbench/comments") else "/workbench/comments"


@router.post("/comments/{comment_id}/relabel")
def relabel(
    request: Request,
    user: SignedIn,
    comment_id: int,
    label: str = Form(""),
    category: str = Form(""),
):
    try:
        new_label = parse_label(label)
        if new_label is None:
            raise CommentError("choose a label: 0 (not trolling) or 1 (trolling)")
        comments.relabel(state(request).pool, comment_id, new_label, category.strip()[:40])
        flash(request, f"Comment {comment_id} is now labelled {comments.LABEL_NAMES[new_label]}.")
    except CommentError as exc:
        flash(request, f"Comment {comment_id} was not changed: {exc}.", "error")
    return back_to(_back_to_list(request))


@router.post("/comments/{comment_id}/delete")
def delete(request: Request, comment_id: int, user: SignedIn):
    try:
        comments.delete(state(request).pool, comment_id)
        flash(request, f"Comment {comment_id} deleted.")
    except CommentError as exc:
        flash(request, f"Nothing deleted: {exc}.", "error")
    return back_to(_back_to_list(request))


@router.get("/feedback")
def feedback_list(request: Request, user: SignedIn, status: str = "open", q: str = ""):
    errors = []
    if status not in feedback.STATUSES:
        errors.append(f"status must be one of {', '.join(feedback.STATUSES)}")
        status = "open"
    rows = feedback.listing(state(request).pool, status, q[:200], 200)
    return render(
        request,
        "feedback.html",
        status_code=422 if errors else 200,
        rows=rows,
        status=status,
        statuses=feedback.STATUSES,
        q=q[:200],
        errors=errors,
    )


@router.post("/feedback/{feedback_id}/{action}")
def review_feedback(request: Request, user: SignedIn, feedback_id: int, action: str):
    if action not in ("accept", "dismiss"):
        flash(request, f"Unknown action {action[:20]!r}: accept or dismiss.", "error")
        return back_to("/workbench/feedback")
    try:
        accept = action == "accept"
        outcome = feedback.review(state(request).pool, feedback_id, accept, user.username)
        flash(request, f"Feedback {feedback_id}: {outcome}.")
    except CommentError as exc:
        flash(request, f"Feedback {feedback_id} unchanged: {exc}.", "error")
    return back_to("/workbench/feedback")


@router.get("/import")
def import_page(request: Request, user: SignedIn):
    return render(request, "import.html", limit_mib=MAX_UPLOAD_BYTES // (1024 * 1024))


@router.post("/import")
def import_upload(request: Request, user: SignedIn, file: UploadFile | None = None):
    # A plain (not async) route: parsing and inserting run in the thread pool, so a big
    # file does not hold up other requests.
    limit = MAX_UPLOAD_BYTES // (1024 * 1024)
    if file is None or not file.filename:
        return render(
            request, "import.html", 422, limit_mib=limit, error="Choose a CSV file to import."
        )
    raw = file.file.read(MAX_UPLOAD_BYTES + 1)
    max_chars = state(request).settings.max_text_chars
    result = import_csv(state(request).pool, file.filename, raw, max_chars)
    if result.ok:
        flash(request, f"Imported {result.imported} rows from {result.filename}.")
    return render(request, "import.html", 200 if result.ok else 422, limit_mib=limit, result=result)


@router.get("/export.csv")
def export(request: Request, user: SignedIn):
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Response(
        comments.export_csv(state(request).pool),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="labelled-comments-{stamp}.csv"'},
    )


@router.get("/stats")
def stats(request: Request, user: SignedIn):
    figures = comments.stats(state(request).pool)
    return render(
        request,
        "stats.html",
        stats=figures,
        open_feedback=feedback.open_count(state(request).pool),
        label_names=comments.LABEL_NAMES,
    )
