"""The model service as the try-it page uses it: one text to /classify, and the version
/model_info names."""

from dataclasses import dataclass

import httpx


class ModelUnavailable(RuntimeError):
    """The model service did not answer usefully; the message says what happened."""


@dataclass(frozen=True)
class Classification:
    label: int  # 1: trolling
    score: float  # probability of trolling
    model_version: str


class ModelClient:
    def __init__(self, base_url: str, timeout: float = 10):
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def classify(self, text: str) -> Classification:
        try:
            answer = self._http.post("/classify", json={"texts": [text]})
        except httpx.HTTPError as exc:
            raise ModelUnavailable(f"the model service did not answer ({exc})") from None
        if answer.status_code != 200:
            raise ModelUnavailable(
                f"the model service answered {answer.status_code}: {_error_of(answer)}"
            )
        (prediction,) = answer.json()
        return Classification(
            label=1 if prediction["label"] == "troll" else 0,
            score=float(prediction["score"]),
            model_version=self._version(),
        )

    def _version(self) -> str:
        # Asked after the answer: during a swap another worker may already serve the next
        # version, so this is the version serving now.
        try:
            info = self._http.get("/model_info").json()
        except (httpx.HTTPError, ValueError):
            return ""
        return str(info.get("version") or "")


def _error_of(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("error", answer.text[:200]))
    except ValueError:
        return answer.text[:200]
