"""Small rules of the auth module: redirects, identifiants, phone numbers, password policy, lock times."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from portal.auth.passwords import hash_password, needs_rehash, policy_errors, verify_password
from portal.auth.throttling import _clock_time, normalize_identifiant, throttle_key
from portal.auth.views import safe_next


@pytest.mark.parametrize("target", ["/", "/portefeuille", "/vente-directe/SANTE?x=1", "/a/b#c"])
def test_safe_next_keeps_local_paths(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", [None, "", "//evil.com", "///evil.com", "https://evil.com", "http:/evil.com",
                                    "/\\evil.com", "\\\\evil.com", "javascript:alert(1)", "evil.com",
                                    "/\t/evil.com", "/\n/evil.com", "/ /evil.com", "/\x00"])
def test_safe_next_refuses_everything_else(target):
    assert safe_next(target) is None


def test_identifiants_are_normalised():
    assert normalize_identifiant("  Courtier@Cabinet-Demo.FR ") == "courtier@cabinet-demo.fr"
    assert normalize_identifiant("") is None
    assert normalize_identifiant(None) is None
    assert normalize_identifiant("a\x00b@c.fr") is None
    assert normalize_identifiant("a b@c.fr") is None
    assert normalize_identifiant("a" * 255) is None


def test_throttle_key_hides_the_identifiant_and_ignores_case():
    key = throttle_key("Courtier@Cabinet-Demo.fr ")
    assert key == throttle_key("courtier@cabinet-demo.fr")
    assert len(key) == 64 and "courtier" not in key
    assert throttle_key("a\x00") != throttle_key("a")



@pytest.mark.parametrize("password, broken", [
    ("Court-1a", ["12 caractères"]),
    ("sans-majuscule-2026", ["majuscule"]),
    ("SANS-MINUSCULE-2026", ["minuscule"]),
    ("Sans-Chiffre-Du-Tout", ["chiffre"]),
    ("Sans-Chiffre-Du-Tout²٣", ["chiffre"]),  # a superscript or another script's digit is no digit
    ("SansSpecial2026abc", ["caractère spécial"]),
    ("", ["12 caractères", "majuscule", "minuscule", "chiffre", "caractère spécial"]),
])
def test_policy_names_each_broken_rule(password, broken):
    errors = policy_errors(password)
    assert len(errors) == len(broken)
    for rule, error in zip(broken, errors):
        assert rule in error


def test_policy_accepts_a_strong_password():
    assert policy_errors("MesSolutions+2026") == []


def test_hashes_verify_and_refuse():
    digest = hash_password("MesSolutions+2026")
    assert digest.startswith("$argon2id$")
    assert verify_password(digest, "MesSolutions+2026")
    assert not verify_password(digest, "messolutions+2026")
    assert not verify_password(None, "MesSolutions+2026")
    assert not verify_password("pas un hash", "MesSolutions+2026")
    assert not needs_rehash(digest)


def test_production_hashes_use_argon2id_at_full_cost():
    from portal.auth import passwords

    previous = passwords.use_hasher(passwords.PRODUCTION_HASHER)
    try:
        digest = hash_password("MesSolutions+2026")
        # 64 MiB, 3 passes, 4 lanes: the cost an attacker pays per guess on a stolen hash.
        assert digest.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert verify_password(digest, "MesSolutions+2026")
        assert not needs_rehash(digest)
    finally:
        passwords.use_hasher(previous)
    # A hash made with the test suite's cheap parameters would be upgraded in production.
    assert passwords.PRODUCTION_HASHER.check_needs_rehash(hash_password("MesSolutions+2026"))


@pytest.mark.parametrize("utc, shown", [
    (datetime(2026, 3, 2, 9, 16, 0, tzinfo=timezone.utc), "10:16"),    # winter: UTC+1, on the minute
    (datetime(2026, 3, 2, 9, 16, 2, tzinfo=timezone.utc), "10:17"),    # never earlier than the real end
    (datetime(2026, 7, 1, 22, 59, 30, tzinfo=timezone.utc), "01:00"),  # summer: UTC+2, next day
    (datetime(2026, 3, 2, 9, 16, 0), "10:16"),                          # naive values read as UTC (SQLite)
])
def test_lock_end_is_shown_in_paris_time(utc, shown):
    assert _clock_time(utc) == shown
