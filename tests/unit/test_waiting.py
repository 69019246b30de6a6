"""model_service/waiting.py: a bounded wait for a server, then the server's own error."""

import logging

import pytest

from model_service.waiting import until_it_answers


class Server:
    """Refuses `refusals` connections, then answers."""

    def __init__(self, refusals: int) -> None:
        self.refusals, self.calls = refusals, 0

    def connect(self) -> None:
        self.calls += 1
        if self.calls <= self.refusals:
            raise ConnectionRefusedError(f"refused, attempt {self.calls}")


def test_a_server_that_comes_up_in_time_is_waited_for(caplog) -> None:
    server = Server(refusals=2)
    with caplog.at_level(logging.INFO):
        until_it_answers("the database", server.connect, seconds=5, interval=0.01)
    assert server.calls == 3
    assert "waiting for the database" in caplog.text and "refused, attempt 1" in caplog.text


def test_past_the_deadline_the_servers_own_error_propagates() -> None:
    server = Server(refusals=1000)
    with pytest.raises(ConnectionRefusedError, match="refused, attempt"):
        until_it_answers("the database", server.connect, seconds=0.05, interval=0.01)
    assert server.calls > 1


def test_zero_seconds_tries_once() -> None:
    server = Server(refusals=1)
    with pytest.raises(ConnectionRefusedError, match="attempt 1"):
        until_it_answers("the database", server.connect, seconds=0)
    assert server.calls == 1
