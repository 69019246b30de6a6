"""Target URL rules: loopback only unless a remote host is allowed on purpose."""

import pytest

from loadtests import target


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:3000",
        "http://127.0.0.1:3000/",
        "http://localhost:8080",
        "http://[::1]:3000",
    ],
)
def test_loopback_urls_are_accepted(url: str) -> None:
    assert target.check_url(url) == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://10.0.0.5:3000", "https://192.168.1.20", "http://8.8.8.8"])
def test_non_loopback_is_refused_unless_allowed(url: str) -> None:
    with pytest.raises(target.TargetError, match="not a loopback address.*--allow-remote"):
        target.check_url(url)
    assert target.check_url(url, allow_remote=True) == url


def test_unresolvable_names_count_as_remote() -> None:
    assert not target.is_loopback("no-such-host.invalid")


@pytest.mark.parametrize(
    "url", ["127.0.0.1:3000", "ftp://127.0.0.1", "http://", "http://127.0.0.1:3000/?x=1"]
)
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(target.TargetError, match="--host"):
        target.check_url(url)
