"""Issuing does not hold the number counter until it commits (PostgreSQL): an issue that is slow
after taking its number (a busy database, a large portfolio to match the client in) does not make
every other issue of the product wait for it."""
import threading

import pytest
from freezegun import freeze_time

from bench.setup import ready_draft
from portal.auth.models import User
from portal.extensions import db
from portal.quotes import service
from portal.quotes.models import Quote
from tests.integration.test_reliability import postgresql_only


def test_a_quote_is_issued_while_another_of_the_same_product_is_still_being_issued(app, broker, monkeypatch):
    postgresql_only()
    with freeze_time("2026-11-20 10:00:00"):
        slow_id, quick_id = ready_draft(broker).id, ready_draft(broker).id
    broker_id = broker.id
    rendering, finish = threading.Event(), threading.Event()
    real_person_for = service._person_for

    def person_for(quote):
        if quote.id == slow_id:  # the first issuer stops after taking its number, before its commit
            rendering.set()
            assert finish.wait(timeout=60)
        return real_person_for(quote)

    monkeypatch.setattr(service, "_person_for", person_for)
    errors = []

    def issue(quote_id):
        with app.app_context():
            try:
                with freeze_time("2026-11-20 10:00:00", ignore=["threading"]):
                    service.issue_quote(db.session.get(Quote, quote_id), db.session.get(User, broker_id))
            except Exception as error:  # reported to the test
                errors.append(repr(error))
            finally:
                db.session.remove()

    slow = threading.Thread(target=issue, args=(slow_id,))
    slow.start()
    try:
        assert rendering.wait(timeout=60)
        quick = threading.Thread(target=issue, args=(quick_id,))
        quick.start()
        # With the counter's row lock held until the slow issue commits, this one waited for it.
        quick.join(timeout=30)
        assert not quick.is_alive(), "the second issue waited for the first one to commit"
    finally:
        finish.set()
        slow.join(timeout=60)
    assert errors == []
    db.session.expire_all()
    assert (db.session.get(Quote, slow_id).number, db.session.get(Quote, quick_id).number) == (
        "RIS-0000000001", "RIS-0000000002")
