"""The SMS code: sent through the outbox, kept only as an HMAC, 10 minutes, 5 tries, 3 re-sends
60 s apart; each limit holds with parallel calls on PostgreSQL."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text, update

from portal.extensions import db
from portal.messaging.models import Channel
from portal.signature import codes
from portal.signature.codes import (CodeError, CodeExpired, ResendRefused, TooManyAttempts, WrongCode, mask_phone,
                                    resend_code, send_code, verify_code)
from portal.signature.models import SignatureCode

SUBJECT = "souscription:42"
PHONE = "06 12 34 56 78"
START = "2026-11-25 10:00:00"


def sms(outbox):
    return [m for m in outbox() if m.channel == Channel.SMS]


def last_code(outbox) -> str:
    match = re.fullmatch(r"Mes Solutions Plus : votre code de signature est (\d{6})\. Il expire dans 10 minutes\.",
                         sms(outbox)[-1].body_text)
    assert match, sms(outbox)[-1].body_text
    return match.group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** 6:06d}"


def test_the_code_goes_by_sms_and_is_stored_only_as_an_hmac(app, outbox):
    sent = send_code(SUBJECT, PHONE)
    assert sent.masked_phone == "06 •• •• •• 78"
    assert sent.resends_left == 3
    [message] = sms(outbox)
    assert message.to == "+33612345678"
    code = last_code(outbox)
    row = db.session.scalar(db.select(SignatureCode))
    assert row.subject == SUBJECT and row.status == "pending" and row.attempts == 0
    stored = " ".join(str(value) for value in db.session.execute(text("SELECT * FROM signature_code")).one())
    assert code not in stored
    assert len(row.code_hash) == 64


def test_a_second_click_on_sign_sends_no_second_code(app, outbox):
    send_code(SUBJECT, PHONE)
    again = send_code(SUBJECT, PHONE)
    assert again.masked_phone == "06 •• •• •• 78"
    assert len(sms(outbox)) == 1


def test_codes_are_random(app, outbox):
    for number in range(8):
        send_code(f"souscription:{number}", PHONE)
    assert len({last.body_text for last in sms(outbox)}) == 8


def test_the_right_code_is_accepted_once(app, outbox):
    send_code(SUBJECT, PHONE)
    code = last_code(outbox)
    verify_code(SUBJECT, code)
    assert db.session.scalar(db.select(SignatureCode.status)) == "verified"
    with pytest.raises(CodeError, match="déjà été utilisé"):
        verify_code(SUBJECT, code)
    with pytest.raises(CodeError, match="déjà signé"):
        send_code(SUBJECT, PHONE)


def test_five_wrong_codes_block_the_signature(app, outbox):
    send_code(SUBJECT, PHONE)
    code = last_code(outbox)
    for remaining in (4, 3, 2, 1):
        with pytest.raises(WrongCode) as raised:
            verify_code(SUBJECT, wrong(code))
        assert raised.value.remaining == remaining
    assert str(raised.value) == "Code incorrect. Il vous reste 1 essai."
    with pytest.raises(TooManyAttempts, match="5 codes incorrects"):
        verify_code(SUBJECT, wrong(code))
    with pytest.raises(TooManyAttempts):
        verify_code(SUBJECT, code)  # even the right one, now
    with pytest.raises(TooManyAttempts):
        resend_code(SUBJECT)
    assert db.session.scalar(db.select(SignatureCode.status)) == "blocked"


def test_the_right_code_at_the_fifth_try_signs(app, outbox):
    send_code(SUBJECT, PHONE)
    code = last_code(outbox)
    for _ in range(4):
        with pytest.raises(WrongCode):
            verify_code(SUBJECT, wrong(code))
    verify_code(SUBJECT, code)


def test_a_blocked_signature_can_start_again_with_a_new_code(app, outbox):
    send_code(SUBJECT, PHONE)
    first = last_code(outbox)
    for _ in range(5):
        with pytest.raises((WrongCode, TooManyAttempts)):
            verify_code(SUBJECT, wrong(first))
    send_code(SUBJECT, PHONE)
    assert len(sms(outbox)) == 2
    verify_code(SUBJECT, last_code(outbox))


def test_the_code_expires_after_ten_minutes(app, outbox):
    with freeze_time(START) as clock:
        send_code(SUBJECT, PHONE)
        code = last_code(outbox)
        clock.tick(timedelta(minutes=9, seconds=59))
        with pytest.raises(WrongCode):
            verify_code(SUBJECT, wrong(code))
        clock.tick(timedelta(seconds=1))
        with pytest.raises(CodeExpired, match="expiré"):
            verify_code(SUBJECT, code)
        # The expired challenge is replaced when the signer starts again.
        send_code(SUBJECT, PHONE)
        verify_code(SUBJECT, last_code(outbox))


def test_resending_waits_60_seconds_and_stops_after_three(app, outbox):
    with freeze_time(START) as clock:
        send_code(SUBJECT, PHONE)
        first = last_code(outbox)
        clock.tick(timedelta(seconds=30))
        with pytest.raises(ResendRefused, match="dans 30 secondes") as raised:
            resend_code(SUBJECT)
        assert raised.value.wait_seconds == 30
        clock.tick(timedelta(seconds=30))
        assert resend_code(SUBJECT).resends_left == 2
        second = last_code(outbox)
        if first != second:  # the previous code stops working
            with pytest.raises(WrongCode):
                verify_code(SUBJECT, first)
        clock.tick(timedelta(seconds=59))
        with pytest.raises(ResendRefused, match="dans 1 secondes"):
            resend_code(SUBJECT)
        clock.tick(timedelta(seconds=1))
        assert resend_code(SUBJECT).resends_left == 1
        clock.tick(timedelta(seconds=60))
        assert resend_code(SUBJECT).resends_left == 0
        clock.tick(timedelta(seconds=600))
        with pytest.raises(ResendRefused, match="3 nouveaux codes"):
            resend_code(SUBJECT)
        assert len(sms(outbox)) == 4
        # A re-sent code lives 10 minutes from its own sending.
        clock.tick(timedelta(seconds=-600 + 9 * 60))
        verify_code(SUBJECT, last_code(outbox))


def test_resending_without_a_code_says_so(app):
    with pytest.raises(CodeError, match="Aucun code"):
        resend_code("souscription:inconnue")
    with pytest.raises(CodeError, match="Aucun code"):
        verify_code("souscription:inconnue", "123456")


def test_a_landline_gets_no_code(app, outbox):
    with pytest.raises(ValueError, match="portable"):
        send_code(SUBJECT, "05 45 00 00 00")
    assert sms(outbox) == []


@pytest.mark.parametrize("phone, masked", [("+33761234509", "07 •• •• •• 09"), ("+447700900123", "•••••••••••23")])
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.one_of(st.text(), st.sampled_from(["１２３４５６", "١٢٣٤٥٦", "¹²³⁴⁵⁶", "12345６", "\U0010ffff" * 6,
                                                    str(2 ** 70), "-12345", " 1 2 3 4 5 6 "])))
def test_anything_typed_is_a_wrong_code_never_a_crash(app, outbox, typed):
    db.session.execute(db.delete(SignatureCode))
    db.session.commit()
    send_code(SUBJECT, PHONE)
    code = last_code(outbox)
    if "".join(typed.split()) == code:
        verify_code(SUBJECT, typed)
        return
    with pytest.raises(WrongCode):
        verify_code(SUBJECT, typed)


# Parallel calls, each thread with its own session, on PostgreSQL.

def postgresql_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the limits under parallel calls are proven on PostgreSQL (set TEST_DATABASE_URL); "
                    "SQLite serialises every writer")


def in_parallel(app, calls: list) -> list[str]:
    """Run each call in its own thread and application context, released together; return
    what each one gave: "ok" or the class name of the error it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[str] = []

    def run(call):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                call()
                results.append("ok")
            except CodeError as error:
                results.append(type(error).__name__)
            except Exception as error:  # noqa: BLE001  reported to the test
                results.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(results)


def test_parallel_wrong_codes_get_five_tries_between_them(app, outbox):
    postgresql_only()
    send_code(SUBJECT, PHONE)
    code = last_code(outbox)
    results = in_parallel(app, [lambda: verify_code(SUBJECT, wrong(code))] * 12)
    assert results.count("WrongCode") == 4 and results.count("TooManyAttempts") == 8, results
    db.session.expire_all()
    row = db.session.scalar(db.select(SignatureCode))
    assert (row.attempts, row.status) == (5, "blocked")


def test_the_right_code_sent_twice_in_parallel_signs_once(app, outbox):
    postgresql_only()
    send_code(SUBJECT, PHONE)
    code = last_code(outbox)
    results = in_parallel(app, [lambda: verify_code(SUBJECT, code)] * 8)
    assert results.count("ok") == 1 and results.count("CodeError") == 7, results


def test_parallel_resends_send_one_sms(app, outbox):
    postgresql_only()
    send_code(SUBJECT, PHONE)
    db.session.execute(update(SignatureCode).values(sent_at=codes.now() - timedelta(seconds=61)))
    db.session.commit()
    results = in_parallel(app, [lambda: resend_code(SUBJECT)] * 8)
    assert results.count("ok") == 1 and results.count("ResendRefused") == 7, results
    assert len(sms(outbox)) == 2


def test_parallel_first_sends_send_one_sms(app, outbox):
    postgresql_only()
    results = in_parallel(app, [lambda: send_code(SUBJECT, PHONE)] * 8)
    assert results == ["ok"] * 8
    assert len(sms(outbox)) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(SignatureCode)) == 1
