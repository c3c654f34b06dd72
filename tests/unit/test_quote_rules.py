"""Quote statuses (the transition table, written out here by hand), expiry by date, and the
search key of names."""
from datetime import date

import pytest

from portal.quotes.models import STATUS_LABELS, TRANSITIONS, Quote, QuoteStatus
from portal.quotes.service import QuoteError, search_name, status_on, transition

#: The statuses of SPEC §6 and where each may go, as the specification reads.
ALLOWED = {
    "incomplet": {"valide", "propose"},
    "propose": {"accepte", "souscrit", "decline", "expire"},
    "valide": {"en_attente", "decline", "expire"},
    "en_attente": {"accepte", "souscrit", "refuse", "valide", "decline", "expire"},
    "accepte": {"souscrit", "decline", "expire"},
    "souscrit": set(),
    "refuse": {"decline"},
    "decline": set(),
    "expire": set(),
}


def test_every_status_has_its_screen_label():
    assert [STATUS_LABELS[s] for s in QuoteStatus] == [
        "Incomplet", "Proposé", "Validé", "En attente de validation", "Accepté", "Souscrit", "Refusé", "Décliné", "Expiré"]


def test_the_transition_table_is_the_specified_one():
    assert {start.value: {end.value for end in ends} for start, ends in TRANSITIONS.items()} == ALLOWED


@pytest.mark.parametrize("start, end, message", [
    ("souscrit", "valide", "Un devis « Souscrit » ne peut pas passer à « Validé »."),
    ("expire", "valide", "Un devis « Expiré » ne peut pas passer à « Validé »."),
    ("incomplet", "souscrit", "Un devis « Incomplet » ne peut pas passer à « Souscrit »."),
    ("decline", "valide", "Un devis « Décliné » ne peut pas passer à « Validé »."),
    ("valide", "propose", "Un devis « Validé » ne peut pas passer à « Proposé »."),
    ("refuse", "souscrit", "Un devis « Refusé » ne peut pas passer à « Souscrit »."),
])
def test_a_forbidden_transition_is_refused_and_changes_nothing(start, end, message):
    quote = Quote(status=QuoteStatus(start))
    with pytest.raises(QuoteError) as refused:
        transition(quote, QuoteStatus(end), "système", "test")
    assert refused.value.message == message
    assert quote.status is QuoteStatus(start)


def test_an_open_quote_expires_the_day_after_its_expiry_date():
    quote = Quote(status=QuoteStatus.VALIDE, expires_on=date(2026, 12, 20))
    assert status_on(quote, date(2026, 12, 20)) is QuoteStatus.VALIDE
    assert status_on(quote, date(2026, 12, 21)) is QuoteStatus.EXPIRE
    assert quote.is_expired_on(date(2026, 12, 21)) and not quote.is_expired_on(date(2026, 12, 20))
    subscribed = Quote(status=QuoteStatus.SOUSCRIT, expires_on=date(2026, 12, 20))
    assert status_on(subscribed, date(2027, 6, 1)) is QuoteStatus.SOUSCRIT
    written = Quote(status=QuoteStatus.EXPIRE, expires_on=date(2026, 12, 20))
    assert written.is_expired_on(date(2026, 12, 1))
    draft = Quote(status=QuoteStatus.INCOMPLET, expires_on=None)
    assert status_on(draft, date(2030, 1, 1)) is QuoteStatus.INCOMPLET


def test_search_names_drop_case_and_accents():
    assert search_name("Dupönt", "Éloïse") == "DUPONT ELOISE"
    assert search_name("  le  Goff-Hervé ", "Jean") == "LE GOFF-HERVE JEAN"
