"""A stand-in for Harbor's API (named so: Harbor cannot run on the test machine, its
sources are not reachable), answering the calls the harbor chart's bootstrap makes as
Harbor's api/v2.0/swagger.yaml describes them: /ping, projects (HEAD by name, list, create)
and robots (list by project, create, get, refresh the secret). It checks the admin's
basic auth and keeps what it is asked to make, for the test to read back."""

import base64
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ADMIN = ("admin", "Harbor-stand-in-1")
API = "/api/v2.0"


@dataclass
class HarborState:
    projects: dict[str, dict] = field(default_factory=dict)
    robots: dict[int, dict] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def robot_named(self, full_name: str) -> dict | None:
        return next((r for r in self.robots.values() if r["name"] == full_name), None)


def handler_for(state: HarborState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            """Quiet: the test reads state.calls instead."""

        def answer(self, status: int, body=None) -> None:
            raw = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(raw)

        def body(self) -> dict:
            return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))

        def route(self) -> None:
            url = urlparse(self.path)
            path, query = url.path.removeprefix(API), parse_qs(url.query)
            state.calls.append(f"{self.command} {path}")
            if path == "/ping":  # Harbor answers it without a login
                return self.answer(200, "Pong")
            expected = "Basic " + base64.b64encode(":".join(ADMIN).encode()).decode()
            if self.headers.get("Authorization") != expected:
                return self.answer(401, {"errors": [{"code": "UNAUTHORIZED"}]})
            if path == "/projects":
                return self.projects(query)
            if path == "/robots":
                return self.robots(query)
            if path.startswith("/robots/"):
                return self.robot(int(path.rsplit("/", 1)[1]))
            return self.answer(404, {"errors": [{"code": "NOT_FOUND"}]})

        def projects(self, query: dict) -> None:
            if self.command == "HEAD":
                found = query.get("project_name", [""])[0] in state.projects
                return self.answer(200 if found else 404)
            if self.command == "GET":
                name = query.get("name", [""])[0]
                return self.answer(200, [p for p in state.projects.values() if name in p["name"]])
            wanted = self.body()
            if wanted["project_name"] in state.projects:
                return self.answer(409, {"errors": [{"code": "CONFLICT"}]})
            state.projects[wanted["project_name"]] = {
                "project_id": len(state.projects) + 1,
                "name": wanted["project_name"],
                "metadata": wanted.get("metadata", {}),
            }
            return self.answer(201)

        def robots(self, query: dict) -> None:
            if self.command == "GET":
                terms = dict(t.split("=", 1) for t in query.get("q", [""])[0].split(",") if t)
                project = int(terms.get("ProjectID", 0))
                listed = [r for r in state.robots.values() if r["project_id"] == project]
                return self.answer(
                    200, [{k: v for k, v in r.items() if k != "secret"} for r in listed]
                )
            wanted = self.body()
            [permission] = wanted["permissions"]
            project = state.projects.get(permission["namespace"])
            if not project:
                return self.answer(404, {"errors": [{"code": "NOT_FOUND"}]})
            full_name = f"robot${project['name']}+{wanted['name']}"
            if state.robot_named(full_name):
                return self.answer(409, {"errors": [{"code": "CONFLICT"}]})
            robot_id = max(state.robots, default=0) + 1
            state.robots[robot_id] = {
                "id": robot_id,
                "name": full_name,
                "level": wanted["level"],
                "project_id": project["project_id"],
                "permissions": wanted["permissions"],
                "secret": secrets.token_urlsafe(16),
            }
            robot = state.robots[robot_id]
            return self.answer(201, {k: robot[k] for k in ("id", "name", "secret")})

        def robot(self, robot_id: int) -> None:
            robot = state.robots.get(robot_id)
            if robot is None:
                return self.answer(404, {"errors": [{"code": "NOT_FOUND"}]})
            if self.command == "GET":
                return self.answer(200, {k: v for k, v in robot.items() if k != "secret"})
            robot["secret"] = self.body().get("secret") or secrets.token_urlsafe(16)
            return self.answer(200, {"secret": robot["secret"]})

        do_GET = do_HEAD = do_POST = do_PATCH = route

    return Handler


@contextmanager
def harbor_stand_in() -> Iterator[tuple[str, HarborState]]:
    """(its URL on 127.0.0.1, its state) while it serves; stopped on exit."""
    state = HarborState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
