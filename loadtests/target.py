"""The service under test: a loopback URL that answers its readiness probe."""

import ipaddress
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit


class TargetError(ValueError):
    pass


def check_url(url: str, allow_remote: bool = False) -> str:
    """The base URL without a trailing slash; refuses non-loopback hosts unless allowed.

    Load tests are meant for a service on this machine: a typo must not load a
    shared or production endpoint by accident.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(f"--host {url!r}: expected a URL like http://127.0.0.1:3000")
    if parts.query or parts.fragment:
        raise TargetError(f"--host {url!r}: give the base URL, without a query or fragment")
    if not allow_remote and not is_loopback(parts.hostname):
        raise TargetError(
            f"--host {url!r}: {parts.hostname} is not a loopback address; load tests target "
            "this machine only (pass --allow-remote to load another host on purpose)"
        )
    return url.rstrip("/")


def is_loopback(hostname: str) -> bool:
    """True when every address the name resolves to is a loopback address."""
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(hostname, None)
    except socket.gaierror:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def check_ready(base_url: str, timeout: float = 5.0) -> None:
    """Raise with a clear reason unless GET /readyz answers 200."""
    url = f"{base_url}/readyz"
    # No proxy: an http_proxy from the environment must not answer for the target.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise TargetError(f"cannot reach {url}: {reason}") from None
    if status != 200:
        raise TargetError(f"{url} answered {status}: the service is not ready")
