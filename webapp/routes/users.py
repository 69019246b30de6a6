"""Managing users (admins only): add, change role, set a password, delete."""

from fastapi import APIRouter, Form, Request

from webapp import accounts
from webapp.accounts import AccountError
from webapp.web import Admin, back_to, flash, render, state

router = APIRouter(prefix="/workbench/users")


@router.get("")
def user_list(request: Request, user: Admin):
    return render(
        request, "users.html", users=accounts.list_users(state(request).pool), roles=accounts.ROLES
    )


@router.post("")
def add_user(
    request: Request,
    user: Admin,
    username: str = Form(""),
    role: str = Form(""),
    password: str = Form(""),
):
    try:
        created = accounts.create(state(request).pool, username.strip(), role, password)
        flash(request, f"User {created.username} ({created.role}) added.")
    except AccountError as exc:
        flash(request, f"No user added: {exc}.", "error")
    return back_to("/workbench/users")


@router.post("/{user_id}/{action}")
def change_user(
    request: Request,
    user: Admin,
    *,
    user_id: int,
    action: str,
    role: str = Form(""),
    password: str = Form(""),
):
    pool = state(request).pool
    try:
        if action == "role":
            accounts.set_role(pool, user, user_id, role)
            done = f"now {role}"
        elif action == "password":
            accounts.set_password(pool, user_id, password)
            done = "has a new password; their sessions ended"
        elif action == "delete":
            accounts.delete(pool, user, user_id)
            done = "deleted"
        else:
            raise AccountError(f"unknown action {action[:20]!r}")
        flash(request, f"User {user_id} {done}.")
    except AccountError as exc:
        flash(request, f"User {user_id} unchanged: {exc}.", "error")
    if user_id == user.id and action == "password":
        # Their own password: this session is stale now, so sign in again.
        return back_to("/login")
    return back_to("/workbench/users")
