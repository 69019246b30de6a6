"""Signing in and out. Failed attempts are limited per user name and client address."""

from fastapi import APIRouter, Form, Request

from webapp import accounts
from webapp.web import back_to, current_user, flash, render, state

router = APIRouter()


def _safe_next(target: str) -> str:
    # Only paths of this site: never an absolute or scheme-relative URL (browsers read a
    # backslash as a slash, so "/\\host" is one too).
    local = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if local else "/workbench"


@router.get("/login")
def login_page(request: Request, next: str = "/workbench"):
    return render(request, "login.html", next=_safe_next(next), username="")


@router.post("/login")
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/workbench"),
):
    settings = state(request).settings
    username = username.strip().lower()[:64]
    target = _safe_next(next)

    def refuse(message: str, status_code: int, headers: dict | None = None):
        response = render(
            request, "login.html", status_code, next=target, username=username, error=message
        )
        response.headers.update(headers or {})
        return response

    if not username or not password:
        return refuse("Enter your user name and password.", 422)
    client = request.client.host if request.client else "unknown"
    try:
        user = accounts.authenticate(
            state(request).pool,
            username,
            password[: accounts.MAX_PASSWORD_CHARS],
            client=client,
            max_failures=settings.login_max_failures,
            window=settings.login_window_seconds,
        )
    except accounts.TooManyAttempts as exc:
        return refuse(
            f"Too many failed sign-ins for this user name; try again in {exc.retry_after} s.",
            429,
            {"Retry-After": str(exc.retry_after)},
        )
    if user is None:
        return refuse("Wrong user name or password.", 401)
    # A new session on sign-in: nothing from before it carries over.
    request.session.clear()
    request.session.update({"uid": user.id, "ver": user.session_version})
    flash(request, f"Signed in as {user.username} ({user.role}).")
    return back_to(target)


@router.post("/logout")
def logout(request: Request):
    user = current_user(request)
    if user:
        accounts.end_sessions(state(request).pool, user.id)
    request.session.clear()
    flash(request, "Signed out (on every device).")
    return back_to("/")
