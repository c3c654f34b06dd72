"""Rate limits of the login pages, under a clock that moves.

Flask-Limiter's memory storage forgets its counters on a background thread, which freezegun
leaves on the real clock: under a clock frozen in the past every counter is forgotten at
once and no limit ever fires. These tests move the limiter's own clock instead.
"""
from __future__ import annotations

import limits.storage.memory
import pytest

from tests.integration.test_auth_first_connection import ask_link, newcomer  # noqa: F401  fixture
from tests.integration.test_auth_login import WRONG, post_login, text


class MovingClock:
    def __init__(self, start: float):
        self.now = start

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def limiter_clock(monkeypatch):
    clock = MovingClock(limits.storage.memory.time.time())
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    return clock


def test_fifteen_logins_in_a_minute_give_ten_answers_and_five_refusals(client, limiter_clock):
    codes = []
    for number in range(15):
        codes.append(post_login(client, f"essai{number}@exemple.fr", WRONG).status_code)
        limiter_clock.advance(2)
    assert codes == [200] * 10 + [429] * 5
    response = post_login(client, "encore@exemple.fr", WRONG)
    assert response.status_code == 429
    assert "Trop de tentatives" in text(response)
    assert '<html lang="fr">' in text(response)
    limiter_clock.advance(61)
    assert post_login(client, "encore@exemple.fr", WRONG).status_code == 200


def test_failed_logins_are_limited_per_identifiant_and_address_not_per_identifiant(client, limiter_clock):
    for _ in range(30):
        assert post_login(client, "cible@exemple.fr", WRONG).status_code == 200
        limiter_clock.advance(61)  # under the 10 a minute of the address
    assert post_login(client, "cible@exemple.fr", WRONG).status_code == 429
    # Whoever guesses from one address does not shut the owner's address out.
    owner = {"REMOTE_ADDR": "10.9.9.9"}
    assert post_login(client, "cible@exemple.fr", WRONG, environ_base=owner).status_code == 200
    assert post_login(client, "autre@exemple.fr", WRONG).status_code == 200
    limiter_clock.advance(3600)
    assert post_login(client, "cible@exemple.fr", WRONG).status_code == 200


def test_first_connection_requests_are_limited_per_minute_and_per_hour(client, limiter_clock, outbox):
    codes = [ask_link(client, f"personne{n}@exemple.fr").status_code for n in range(6)]
    assert codes == [302] * 5 + [429]
    for minute in range(3):
        limiter_clock.advance(61)
        codes = [ask_link(client, f"p{minute}-{n}@exemple.fr").status_code for n in range(6)]
        assert codes == [302] * 5 + [429]
    limiter_clock.advance(61)
    assert ask_link(client, "encore@exemple.fr").status_code == 429  # 20 in the hour
    limiter_clock.advance(3600)
    assert ask_link(client, "encore@exemple.fr").status_code == 302


def test_first_connection_requests_are_limited_per_email_and_address(client, newcomer, limiter_clock, outbox):
    for number in range(5):
        email = newcomer.email if number % 2 == 0 else newcomer.email.upper()
        assert ask_link(client, email).status_code == 302
        limiter_clock.advance(61)  # under the 5 a minute of the address
    assert ask_link(client, newcomer.email).status_code == 429
    # Whoever asks for someone else's link does not stop its owner, at its own address, asking.
    owner = {"REMOTE_ADDR": "10.1.0.99"}
    assert ask_link(client, newcomer.email, environ_base=owner).status_code == 302
    assert len(outbox()) == 1  # and the mailbox receives one link per 5 minutes, however many ask
