"""CSRF protection: a synchronizer token kept in the signed session cookie, put into every
form as the hidden field `csrftoken` and required on every POST (OWASP's pattern).

Checked on the parsed form, so a multipart upload (the CSV import) is covered like any
form. The session cookie is SameSite=Lax besides, so other sites' forms arrive without it.
"""

import secrets

from fastapi import Request

FIELD = "csrftoken"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


# The largest request body read: the CSV import's limit and room for the form around it.
MAX_BODY_BYTES = 6 * 1024 * 1024


class CsrfRefused(Exception):
    """The form carried no token, or not this session's."""


class BodyTooLarge(Exception):
    """The request says it is longer than any form of this app."""


def token(request: Request) -> str:
    """This session's token, made on first use."""
    if FIELD not in request.session:
        request.session[FIELD] = secrets.token_urlsafe(32)
    return request.session[FIELD]


async def check(request: Request) -> None:
    """An app-wide dependency: every request that changes something must carry the token.
    Starlette keeps the parsed form, so the route reads it again for free."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(FIELD)
    if not expected:
        raise CsrfRefused  # no session token: refused before any body is read
    try:
        length = int(request.headers.get("content-length", "0"))
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise BodyTooLarge
    sent = request.headers.get("x-csrftoken")
    if sent is None:
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            sent = (await request.form()).get(FIELD)
    if not (isinstance(sent, str) and secrets.compare_digest(sent, expected)):
        raise CsrfRefused
