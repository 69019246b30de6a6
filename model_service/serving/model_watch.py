"""Hot model swap. A server that serves a registry alias polls it; when the alias moves,
the new version is loaded beside the served one, warmed and checked, then swapped in. The
served model answers until then. A version that fails to load or warm is refused, not
tried again, and the served one goes on."""

import logging
import threading
import time
from collections.abc import Callable

from model_service import registry
from model_service.serving import model_source

log = logging.getLogger("bentoml.troll_classifier")


class ModelWatch:
    """Polls `alias_uri` every `interval` seconds in a daemon thread of its own.

    serving: the model served now; swap: hands over a warmed new one; refuse: told the
    version and the reason when a new version fails."""

    def __init__(
        self,
        alias_uri: str,
        interval: float,
        serving: Callable[[], model_source.Loaded],
        swap: Callable[[model_source.Loaded], None],
        refuse: Callable[[str, str], None],
    ) -> None:
        self.alias_uri = alias_uri
        self.interval = interval
        self._serving, self._swap, self._refuse = serving, swap, refuse
        self.refused: str | None = None

    def start(self) -> "ModelWatch":
        threading.Thread(target=self._run, name="model-watch", daemon=True).start()
        return self

    def _run(self) -> None:  # for the life of the worker process
        while True:
            time.sleep(self.interval)
            self.check()

    def check(self) -> None:
        """One poll: swap in the alias' version if it is new and works."""
        served = self._serving()
        try:
            found = registry.resolve(self.alias_uri)
        except Exception as exc:  # the registry away for a while: keep serving, ask again
            log.warning(
                "cannot read %s (%s); still serving version %s", self.alias_uri, exc, served.version
            )
            return
        if found is None or found.version in (served.version, self.refused):
            return
        log.info(
            "%s moved to version %s: loading it beside version %s",
            self.alias_uri,
            found.version,
            served.version,
        )
        try:
            candidate = model_source.load(found.uri)
            model_source.warm(candidate)
        except Exception as exc:
            self.refused = found.version
            reason = f"{type(exc).__name__}: {exc}"
            log.error(
                "refused version %s (%s); still serving version %s",
                found.version,
                reason,
                served.version,
            )
            self._refuse(found.version, reason)
            return
        self._swap(candidate)
        log.info("now serving version %s (was %s)", candidate.version, served.version)
