"""What every page shares: the templates, the signed-in user, flashed messages, the
CSRF token, and the refusals (sign in first, admins only) as responses."""

from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from webapp import accounts, csrf
from webapp.accounts import User

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


class LoginRequired(Exception):
    """The page needs a signed-in user."""


class AdminOnly(Exception):
    """The page or action is an admin's."""


def state(request: Request):
    return request.app.state


def current_user(request: Request) -> User | None:
    """The session's user, as long as the account exists and the session is not stale
    (a password or role change, or a deletion, ends the user's sessions)."""
    user_id, version = request.session.get("uid"), request.session.get("ver")
    if not isinstance(user_id, int):
        return None
    user = accounts.get(state(request).pool, user_id)
    if user is None or user.session_version != version:
        request.session.clear()
        return None
    return user


def require_user(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise LoginRequired
    return user


def require_admin(request: Request) -> User:
    user = require_user(request)
    if not user.is_admin:
        raise AdminOnly
    return user


# Route parameters: the signed-in user, or an admin, else the refusal.
SignedIn = Annotated[User, Depends(require_user)]
Admin = Annotated[User, Depends(require_admin)]


def flash(request: Request, message: str, kind: str = "info") -> None:
    request.session.setdefault("flash", []).append([kind, message])


def render(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
    context.setdefault("user", current_user(request))
    context["messages"] = request.session.pop("flash", [])
    context["csrftoken"] = csrf.token(request)
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def back_to(url: str) -> RedirectResponse:
    # 303: the browser follows with GET, so a reload does not post the form again.
    return RedirectResponse(url, status_code=303)


def form_int(raw: str | None, what: str) -> int:
    """An integer form field, or ValueError naming it."""
    try:
        return int(str(raw).strip())
    except ValueError:
        raise ValueError(f"{what} must be a whole number, got {str(raw)[:20]!r}") from None
