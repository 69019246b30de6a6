"""A stand-in HTTP server for testing the load-test RUNNER, not the model.

It speaks the inference contract (POST /classify, GET /readyz /livez /metrics)
with canned answers, so the runner's own tests need no model. Run as a script:
    python tests/load/runner_stand_in.py --port 8123 [--delay-ms 2] [--wrong-shape]
"""

import argparse
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_CHARS = 2000


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Locust's clients expect
    delay = 0.0
    wrong_shape = False

    def do_GET(self) -> None:
        if self.path in ("/readyz", "/livez"):
            self._send(200, "text/plain", b"ok\n")
        elif self.path == "/metrics":
            self._send(200, "text/plain", b"# runner stand-in: no metrics\n")
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path != "/classify":
            self._json(404, {"error": "not found"})
            return
        texts = _texts(body)
        if texts is None:
            self._json(422, {"error": f"expected {{'texts': [1..64 strings <= {MAX_CHARS}]}}"})
            return
        # Stands for model time, and keeps latency measurably above zero.
        time.sleep(self.delay)
        if self.wrong_shape:
            self._json(200, {"label": "ok"})
            return
        answers = [{"label": "troll" if "!" in t else "ok", "score": 0.5} for t in texts]
        self._json(200, answers)

    def log_message(self, *args) -> None:
        pass  # thousands of requests: keep the test output readable

    def _json(self, status: int, value: object) -> None:
        self._send(status, "application/json", json.dumps(value).encode())

    def _send(self, status: int, content_type: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def _texts(body: bytes) -> list[str] | None:
    try:
        texts = json.loads(body).get("texts")
    except (ValueError, AttributeError):
        return None
    if not isinstance(texts, list) or not 1 <= len(texts) <= 64:
        return None
    if not all(isinstance(t, str) and 0 < len(t) <= MAX_CHARS for t in texts):
        return None
    return texts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=2.0)
    parser.add_argument("--wrong-shape", action="store_true", help="answer 200 with a bad body")
    args = parser.parse_args()
    Handler.delay = args.delay_ms / 1000
    Handler.wrong_shape = args.wrong_shape
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
