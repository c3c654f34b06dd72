"""Quote statuses (the transition table), expiry by date, and the search key of names."""
from datetime import date

import pytest

from portal.quotes.models import STATUS_LABELS, TRANSITIONS, Quote, QuoteStatus
from portal.quotes.service import QuoteError, search_name, status_on, transition


def test_every_status_has_its_screen_label():
    assert [STATUS_LABELS[s] for s in QuoteStatus] == [
        "Incomplet", "Proposé", "Validé", "En attente de validation", "Accepté", "Souscrit", "Refusé", "Décliné", "Expiré"]


@pytest.mark.parametrize("start, end", [(s, e) for s, targets in TRANSITIONS.items() for e in targets])
def test_every_allowed_transition_is_recorded(monkeypatch, start, end):
    recorded = []
    monkeypatch.setattr("portal.quotes.service.record", lambda **kw: recorded.append(kw))
    quote = Quote(status=start, number="RIS-0000000001", version=1)
    transition(quote, end, "système", "test")
    assert quote.status is end
    assert (recorded[0]["from_status"], recorded[0]["to_status"]) == (start.label, end.label)


@pytest.mark.parametrize("start, end", [(QuoteStatus.SOUSCRIT, QuoteStatus.VALIDE), (QuoteStatus.EXPIRE, QuoteStatus.VALIDE),
                                        (QuoteStatus.INCOMPLET, QuoteStatus.SOUSCRIT), (QuoteStatus.DECLINE, QuoteStatus.VALIDE)])
def test_a_forbidden_transition_is_refused_and_changes_nothing(monkeypatch, start, end):
    monkeypatch.setattr("portal.quotes.service.record", lambda **kw: pytest.fail("nothing recorded"))
    quote = Quote(status=start)
    with pytest.raises(QuoteError, match=f"ne peut pas passer à « {end.label} »"):
        transition(quote, end, "système", "test")
    assert quote.status is start


def test_an_open_quote_expires_the_day_after_its_expiry_date():
    quote = Quote(status=QuoteStatus.VALIDE, expires_on=date(2026, 12, 20))
    assert status_on(quote, date(2026, 12, 20)) is QuoteStatus.VALIDE
    assert status_on(quote, date(2026, 12, 21)) is QuoteStatus.EXPIRE
    subscribed = Quote(status=QuoteStatus.SOUSCRIT, expires_on=date(2026, 12, 20))
    assert status_on(subscribed, date(2027, 6, 1)) is QuoteStatus.SOUSCRIT


def test_search_names_drop_case_and_accents():
    assert search_name("Dupönt", "Éloïse") == "DUPONT ELOISE"
    assert search_name("  le  Goff-Hervé ", "Jean") == "LE GOFF-HERVE JEAN"
