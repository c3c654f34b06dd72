"""The journal: every transition of the quote table leaves its row (codes, integer id, who,
when), a refused one leaves none; the agenda, the quote page and the audit view read it."""
from datetime import date, datetime, timezone

import pytest
from freezegun import freeze_time

from portal.extensions import db
from portal.journal.models import JournalEntry
from portal.journal.service import AgendaNote, record
from portal.quotes.models import Quote, QuoteStatus
from portal.quotes.service import QuoteError, transition
from tests.conftest import csrf_token
from tests.integration.wizard import text

#: Every allowed change of a quote's status, written out by hand (SPEC §6).
ALLOWED = [
    ("incomplet", "valide"), ("incomplet", "propose"),
    ("propose", "accepte"), ("propose", "souscrit"), ("propose", "decline"), ("propose", "expire"),
    ("valide", "en_attente"), ("valide", "decline"), ("valide", "expire"),
    ("en_attente", "accepte"), ("en_attente", "souscrit"), ("en_attente", "refuse"), ("en_attente", "valide"),
    ("en_attente", "decline"), ("en_attente", "expire"),
    ("accepte", "souscrit"), ("accepte", "decline"), ("accepte", "expire"),
    ("refuse", "decline"),
]


def stored_quote(broker, status: str, **values) -> Quote:
    quote = Quote(firm_id=broker.firm_id, broker_id=broker.id, product_code="smat-active-tns",
                  status=QuoteStatus(status), **values)
    db.session.add(quote)
    db.session.commit()
    return quote


@pytest.mark.parametrize("start, end", ALLOWED)
def test_each_allowed_transition_writes_its_journal_row(broker, start, end):
    quote = stored_quote(broker, start)
    with freeze_time("2026-11-20 10:00:00"):
        transition(quote, QuoteStatus(end), broker, "Changement d'essai")
        db.session.commit()
    [row] = db.session.scalars(db.select(JournalEntry)).all()
    assert (row.object_type, row.object_id, row.from_status, row.to_status) == ("devis", quote.id, start, end)
    assert (row.actor, row.actor_user_id, row.firm_id) == ("courtier@cabinet-demo.fr", broker.id, broker.firm_id)
    assert (row.action, row.agenda_kind) == ("Changement d'essai", None)
    assert row.at.replace(tzinfo=timezone.utc) == datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
    assert db.session.scalar(db.select(Quote.status).where(Quote.id == quote.id)) == end


def test_a_refused_transition_writes_nothing(broker):
    quote = stored_quote(broker, "souscrit")
    with pytest.raises(QuoteError, match="Un devis « Souscrit » ne peut pas passer à « Validé »."):
        transition(quote, QuoteStatus.VALIDE, broker, "Changement d'essai")
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(JournalEntry)) == 0
    assert db.session.scalar(db.select(Quote.status).where(Quote.id == quote.id)) == "souscrit"


def test_a_status_outside_the_table_is_refused_by_the_database(broker):
    quote = stored_quote(broker, "valide")
    with pytest.raises(Exception, match="(?i)check"):
        db.session.execute(db.text("UPDATE quote SET status = 'perdu' WHERE id = :id"), {"id": quote.id})
    db.session.rollback()


def test_expired_reads_the_same_in_python_and_in_sql(broker):
    day = date(2026, 12, 21)
    cases = {  # status, expires_on → shown expired on 21/12/2026
        ("valide", date(2026, 12, 20)): True, ("valide", date(2026, 12, 21)): False,
        ("propose", date(2026, 12, 1)): True, ("en_attente", date(2026, 12, 1)): True,
        ("accepte", date(2026, 12, 1)): True, ("souscrit", date(2026, 12, 1)): False,
        ("decline", date(2026, 12, 1)): False, ("expire", date(2026, 12, 30)): True, ("incomplet", None): False,
    }
    ids = {key: stored_quote(broker, key[0], expires_on=key[1]).id for key in cases}
    in_sql = set(db.session.scalars(db.select(Quote.id).where(Quote.is_expired_on(day))))
    for key, expired in cases.items():
        assert (ids[key] in in_sql) is expired, key
        assert db.session.get(Quote, ids[key]).is_expired_on(day) is expired, key


def test_the_quote_page_shows_its_history(wizard, client):
    wizard.walk()
    page = text(client.get(f"/devis/{wizard.quote_id}"))
    assert "Historique" in page
    assert "20/11/2026 11:00 courtier@cabinet-demo.fr Devis commencé Incomplet" in page
    assert "20/11/2026 11:00 courtier@cabinet-demo.fr Devis envoyé au client Incomplet → Validé" in page


def test_the_audit_view_is_for_the_back_office_and_the_administrator(wizard, client, login, make_user):
    wizard.walk()
    assert client.get("/journal").status_code == 403  # a broker
    make_user(email="gestion@mes-solutions-plus.fr", role="backoffice")
    client.post("/deconnexion", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    login("gestion@mes-solutions-plus.fr")
    page = text(client.get("/journal"))
    assert f"courtier@cabinet-demo.fr devis {wizard.quote_id} Devis envoyé au client Incomplet → Validé" in page
    assert "Journal" in text(client.get("/"))  # in the menu
    assert client.get("/journal?page=²").status_code == 200
    assert client.get("/journal?page=99999999999999999999999").status_code == 200


def agenda_row(broker, description: str, created: str) -> None:
    with freeze_time(created):
        record(actor="système", object_type="devis", object_id=1, action="Essai", firm_id=broker.firm_id,
               agenda=AgendaNote(kind="essai", description=description, domain="Devis n° RIS-0000000001/1",
                                 effect_date=date(2026, 12, 1)))


def test_the_agenda_filter_searches_every_entry_of_the_firm_in_the_database(broker, client, login, make_firm):
    agenda_row(broker, "Pour le client : Mme ŒUVRAY Zoé, le plus ancien.", "2026-01-01 09:00:00")
    for index in range(1000):
        record(actor="système", object_type="devis", object_id=2, action="Essai", firm_id=broker.firm_id,
               agenda=AgendaNote(kind="essai", description=f"Événement récent {index}", domain="Devis n° RIS-2/1",
                                 effect_date=date(2026, 12, 1)))
    other = make_firm(name="Autre Cabinet", email="contact@autre-cabinet.fr")
    record(actor="système", object_type="devis", object_id=3, action="Essai", firm_id=other.id,
           agenda=AgendaNote(kind="essai", description="Pour le client : M. OEUVRAY Paul", domain="Devis n° TIS-3/1",
                             effect_date=date(2026, 12, 1)))
    db.session.commit()
    login(broker.email)
    page = text(client.get("/"))
    assert "Nombre d'événements chargés : 1000" in page and "ŒUVRAY" not in page
    assert "Seuls les 1000 événements les plus récents sont chargés" in page
    found = text(client.get("/?filtre=œuvray zoé"))
    assert "Nombre d'événements chargés : 1 " in found and "Mme ŒUVRAY Zoé, le plus ancien." in found
    assert "Nombre d'événements chargés : 1 " in text(client.get("/?filtre=01/01/2026 10:00"))  # "Créé le", Paris
    assert "Nombre d'événements chargés : 0 " in text(client.get("/?filtre=100%"))  # % is a character, not a wildcard
    assert "OEUVRAY Paul" not in text(client.get("/?filtre=paul"))  # another firm's


def test_an_expired_paper_proposal_still_downloads_as_the_bulletin(wizard, client):
    wizard.needs()
    wizard.choose("300")
    wizard.contact(email="", sans_email="oui")
    recap = client.get(f"/devis/{wizard.quote_id}/recapitulatif")
    client.post(f"/devis/{wizard.quote_id}/bulletin", data={"csrf_token": csrf_token(recap.get_data(as_text=True))})
    quote = db.session.get(Quote, wizard.quote_id)
    quote.status = QuoteStatus.EXPIRE
    db.session.commit()
    response = client.get(f"/devis/{quote.id}/document")
    assert response.status_code == 200
    assert "Bulletin%20individuel%20d%27adh%C3%A9sion.pdf" in response.headers["Content-Disposition"]
    assert "Bulletin individuel d'adhésion" in text(client.get(f"/devis/{quote.id}"))


def test_the_validity_written_in_the_email_and_the_pdf_is_the_catalog_s(wizard, outbox, monkeypatch):
    from dataclasses import replace

    import portal.quotes.service as service
    from portal.catalog.loader import get_catalog
    from tests.integration.test_quote_issuing import pdf_text

    longer = replace(get_catalog(), quote_validity_days=45)
    monkeypatch.setattr(service, "get_catalog", lambda: longer)
    wizard.walk()
    [message] = outbox()
    assert "Cette proposition est valable 45 jours à compter d'aujourd'hui (jusqu'au 04/01/2027)." in " ".join(
        message.body_text.split())
    devis = next(a for a in message.attachments if a.filename == "DEVIS.pdf")
    assert "valable 45 jours : jusqu'au 04/01/2027" in " ".join(pdf_text(devis.content).split())
