"""Users, their roles and passwords (Argon2id through pwdlib), and the login limit:
failed attempts are counted in PostgreSQL, so every replica sees the same count."""

import re
import threading
from dataclasses import dataclass

from psycopg_pool import ConnectionPool
from pwdlib import PasswordHash

ROLES = ("admin", "labeller")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 256

_hasher = PasswordHash.recommended()
# Argon2id takes 64 MiB per hash: at most two at once, so a burst of sign-ins queues
# instead of running the pod out of memory.
_hashing = threading.BoundedSemaphore(2)
# Verified when the user name is unknown, so a wrong name costs as long as a wrong password.
_UNKNOWN_USER_HASH = _hasher.hash("no such user: this hash is only ever compared")


class AccountError(ValueError):
    """A request about users that cannot be done; the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    session_version: int

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def check_new_user(username: str, role: str, password: str) -> list[str]:
    problems = []
    if not USERNAME.match(username):
        problems.append(
            "user name: 2 to 32 characters, lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if role not in ROLES:
        problems.append(f"role must be one of {', '.join(ROLES)}")
    problems += check_password(password)
    return problems


def check_password(password: str) -> list[str]:
    if len(password) < MIN_PASSWORD_CHARS:
        return [f"password: at least {MIN_PASSWORD_CHARS} characters"]
    if len(password) > MAX_PASSWORD_CHARS:
        return [f"password: at most {MAX_PASSWORD_CHARS} characters"]
    return []


def _hash(password: str) -> str:
    with _hashing:
        return _hasher.hash(password)


def _user(row) -> User | None:
    return User(*row) if row else None


_COLUMNS = "id, username, role, session_version"


def get(pool: ConnectionPool, user_id: int) -> User | None:
    with pool.connection() as conn:
        row = conn.execute(f"SELECT {_COLUMNS} FROM webapp_users WHERE id = %s", (user_id,))
        return _user(row.fetchone())


def list_users(pool: ConnectionPool) -> list[User]:
    with pool.connection() as conn:
        rows = conn.execute(f"SELECT {_COLUMNS} FROM webapp_users ORDER BY username").fetchall()
    return [User(*row) for row in rows]


def create(pool: ConnectionPool, username: str, role: str, password: str) -> User:
    problems = check_new_user(username, role, password)
    if problems:
        raise AccountError("; ".join(problems))
    with pool.connection() as conn:
        row = conn.execute(
            f"INSERT INTO webapp_users (username, role, password_hash) VALUES (%s, %s, %s) "
            f"ON CONFLICT (username) DO NOTHING RETURNING {_COLUMNS}",
            (username, role, _hash(password)),
        ).fetchone()
    if row is None:
        raise AccountError(f"a user named {username!r} exists already")
    return User(*row)


def ensure_admin(pool: ConnectionPool, username: str, password: str) -> bool:
    """Create the first admin while there are no users at all; True when created. Never
    again after: an admin deleted later stays deleted, and a password changed since is
    not reset."""
    with pool.connection() as conn:
        if conn.execute("SELECT EXISTS (SELECT 1 FROM webapp_users)").fetchone()[0]:
            return False
    try:
        create(pool, username, "admin", password)
    except AccountError as exc:
        if "exists already" in str(exc):  # another replica made it meanwhile
            return False
        raise
    return True


def end_sessions(pool: ConnectionPool, user_id: int) -> None:
    """Signing out: every session of the user ends, a copied cookie's included."""
    with pool.connection() as conn:
        conn.execute(
            "UPDATE webapp_users SET session_version = session_version + 1 WHERE id = %s",
            (user_id,),
        )


def set_role(pool: ConnectionPool, actor: User, user_id: int, role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if user_id == actor.id and role != "admin":
        raise AccountError("you cannot remove your own admin role")
    _update(pool, user_id, "role = %s", (role,))


def set_password(pool: ConnectionPool, user_id: int, password: str) -> None:
    problems = check_password(password)
    if problems:
        raise AccountError("; ".join(problems))
    _update(pool, user_id, "password_hash = %s", (_hash(password),))


def delete(pool: ConnectionPool, actor: User, user_id: int) -> None:
    if user_id == actor.id:
        raise AccountError("you cannot delete your own account")
    with pool.connection() as conn:
        if conn.execute("DELETE FROM webapp_users WHERE id = %s", (user_id,)).rowcount == 0:
            raise AccountError(f"no user with id {user_id}")


def _update(pool: ConnectionPool, user_id: int, assignment: str, params: tuple) -> None:
    """Change a user and end their sessions (the version their cookies carry goes stale)."""
    with pool.connection() as conn:
        changed = conn.execute(
            f"UPDATE webapp_users SET {assignment}, session_version = session_version + 1 "
            "WHERE id = %s",
            (*params, user_id),
        ).rowcount
    if changed == 0:
        raise AccountError(f"no user with id {user_id}")


# --- login ------------------------------------------------------------------------------


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


def authenticate(
    pool: ConnectionPool,
    username: str,
    password: str,
    *,
    client: str,
    max_failures: int,
    window: int,
) -> User | None:
    """The user when the password is right; None when wrong. Raises TooManyAttempts, before
    looking at the password, once `max_failures` failed within `window` seconds.

    Each attempt is counted as a failure before the password is checked (and the count is
    taken under a lock per user name and address), so guesses sent at once cannot all
    slip under the limit; a right password then clears the count."""
    with pool.connection() as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{username}\n{client}",))
        conn.execute(
            "DELETE FROM login_failures WHERE failed_at < now() - make_interval(secs => %s)",
            (window,),
        )
        failures, oldest = conn.execute(
            "SELECT count(*), min(failed_at) FROM login_failures "
            "WHERE username = %s AND client = %s",
            (username, client),
        ).fetchone()
        if failures >= max_failures:
            wait = conn.execute(
                "SELECT ceil(extract(epoch FROM %s + make_interval(secs => %s) - now()))",
                (oldest, window),
            ).fetchone()[0]
            raise TooManyAttempts(max(int(wait), 1))
        conn.execute(
            "INSERT INTO login_failures (username, client) VALUES (%s, %s)", (username, client)
        )
        row = conn.execute(
            f"SELECT {_COLUMNS}, password_hash FROM webapp_users WHERE username = %s",
            (username,),
        ).fetchone()
    stored = row[-1] if row else _UNKNOWN_USER_HASH
    with _hashing:
        valid, new_hash = _hasher.verify_and_update(password, stored)
    if not (row and valid):
        return None
    with pool.connection() as conn:
        conn.execute(
            "DELETE FROM login_failures WHERE username = %s AND client = %s", (username, client)
        )
        if new_hash:  # the hashing parameters moved on since it was stored
            conn.execute(
                "UPDATE webapp_users SET password_hash = %s WHERE id = %s", (new_hash, row[0])
            )
    return User(*row[:-1])
