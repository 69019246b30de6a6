"""A plain HTTP client for the web app, as a browser without scripts would use it: it
keeps the session's cookies itself (the app marks them Secure, which a cookie jar would
not send over the tests' plain http://127.0.0.1, where browsers do), and fills in the
CSRF token from the last page it read."""

import html
import re
from http.cookies import SimpleCookie

import httpx

TOKEN = re.compile(r'name="csrftoken" value="([^"]+)"')


class WebClient:
    def __init__(self, base_url: str, client_address: str | None = None):
        # X-Forwarded-For: the app believes it from 127.0.0.1, so a test can stand for
        # another client's address (the login limit counts per address).
        headers = {"x-forwarded-for": client_address} if client_address else {}
        self.http = httpx.Client(base_url=base_url, timeout=60, headers=headers)
        self.cookies: dict[str, str] = {}
        self.set_cookie_headers: list[str] = []
        self.token = ""

    def close(self) -> None:
        self.http.close()

    def _remember(self, response: httpx.Response) -> httpx.Response:
        for header in response.headers.get_list("set-cookie"):
            self.set_cookie_headers.append(header)
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value or morsel.value == "null":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        found = (
            TOKEN.search(response.text)
            if "html" in response.headers.get("content-type", "")
            else None
        )
        if found:
            self.token = found.group(1)
        return response

    def cookie_header(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {"cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def get(self, path: str, follow_redirects: bool = False) -> httpx.Response:
        # Redirects are followed here, not by httpx, so that each hop sends the cookies.
        answer = self._remember(self.http.get(path, headers=self.cookie_header()))
        while follow_redirects and answer.status_code in (302, 303, 307):
            answer = self._remember(
                self.http.get(answer.headers["location"], headers=self.cookie_header())
            )
        return answer

    def post(self, path: str, data: dict | None = None, files=None, token: str | None = None):
        """POST a form with this session's CSRF token (or `token`, e.g. a wrong one)."""
        form = {"csrftoken": self.token if token is None else token, **(data or {})}
        if token == "":
            form.pop("csrftoken")
        return self._remember(
            self.http.post(path, data=form, files=files, headers=self.cookie_header())
        )

    def submit(self, path: str, data: dict | None = None) -> list[str]:
        """POST a form as a browser does: follow the redirect to the next page, and return
        the messages that page shows (or the refusal's, when there is no redirect)."""
        answer = self.post(path, data)
        if answer.status_code == 303:
            answer = self.get(answer.headers["location"], follow_redirects=True)
        return flashes(answer.text)

    def sign_in(self, username: str, password: str) -> httpx.Response:
        self.get("/login")
        answer = self.post("/login", {"username": username, "password": password})
        if answer.status_code == 303:
            # Signing in starts a new session: the next page carries its token.
            self.get(answer.headers["location"], follow_redirects=True)
        return answer


def flashes(page: str) -> list[str]:
    """The messages a page shows (role status or alert), as text."""
    return [
        html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m)).strip())
        for m in re.findall(r'role="(?:status|alert)"[^>]*>(.*?)</(?:p|div)>', page, re.S)
    ]
