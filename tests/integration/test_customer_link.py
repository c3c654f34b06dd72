"""The link of the quote e-mail: birth-date check, the quote, its documents, closed links."""
import re

import pytest

from portal.extensions import db
from portal.quotes.models import Quote, QuoteStatus
from portal.quotes.links import CustomerLink
from portal.quotes.service import new_version_draft
from tests.conftest import IsolatedClient, csrf_token
from tests.integration.wizard import Wizard, text


pytestmark = pytest.mark.usefixtures("quote_day")


@pytest.fixture
def link(client, broker, login, outbox):
    """The path of the link e-mailed for a freshly issued reference quote."""
    login(broker.email)
    Wizard(client).walk()
    return re.search(r"https?://[^/\s]+(/souscription/\S+)", outbox()[0].body_text).group(1)


@pytest.fixture
def prospect(app):
    """The prospect's phone: a browser with no broker session."""
    return IsolatedClient(app, app.response_class, use_cookies=True)


def confirm(client, path, birth_date):
    page = client.get(path)
    return client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "date_naissance": birth_date})


def test_the_link_asks_the_birth_date_before_showing_anything(prospect, link):
    page = text(prospect.get(link))
    assert "confirmez votre date de naissance" in page
    assert "DUPONT" not in page and "115,23" not in page
    assert prospect.get(link + "/devis.pdf").status_code == 302


def test_the_right_birth_date_opens_the_quote_and_its_documents(prospect, link):
    response = confirm(prospect, link, "04/05/1978")
    assert response.status_code == 302
    page = text(prospect.get(link))
    for expected in ("Votre devis SMAT ACTIVE TNS", "RIS-0000000001", "SMAT ACTIVE TNS 300", "115,23 € / mois",
                     "1 382,76 €", "Valable jusqu'au 20/12/2026", "Cabinet Démo Courtage", "05 45 00 00 00"):
        assert expected in page, expected
    devis = prospect.get(link + "/devis.pdf")
    assert devis.status_code == 200 and devis.data.startswith(b"%PDF")
    for kind in ("ipid", "regles_generales", "exemples", "plaquette", "garanties"):
        document = prospect.get(f"{link}/documents/{kind}")
        assert document.status_code == 200 and document.mimetype == "application/pdf", kind
    assert prospect.get(link + "/documents/inconnu").status_code == 404


def test_a_wrong_birth_date_says_how_many_tries_are_left_then_locks(prospect, link, quote_day):
    response = confirm(prospect, link, "05/05/1978")
    assert response.status_code == 422
    assert "Cette date de naissance ne correspond pas au devis. Il vous reste 4 essais." in text(response)
    for _ in range(3):
        confirm(prospect, link, "not a date")
    locked = text(confirm(prospect, link, "01/01/1970"))
    assert "Trop de dates de naissance erronées" in locked and "Réessayez après 11:15" in locked
    # Even the right answer waits for the end of the lock.
    assert "Trop de dates de naissance erronées" in text(confirm(prospect, link, "04/05/1978"))
    quote_day.tick(15 * 60 + 1)
    assert confirm(prospect, link, "04/05/1978").status_code == 302


def test_an_unknown_or_tampered_link_gets_a_clear_page(prospect, link):
    for path in ("/souscription/inconnu", link[:-1] + ("A" if link[-1] != "A" else "B"), "/souscription/" + "x" * 500):
        response = prospect.get(path)
        assert response.status_code == 404
        assert "Ce lien n'est pas reconnu" in text(response)


def test_the_link_closes_after_the_expiry_date(prospect, link, quote_day):
    confirm(prospect, link, "04/05/1978")
    quote_day.move_to("2026-12-20 22:00:00")  # 23:00 in Paris
    assert prospect.get(link).status_code == 200  # still valid on its last day
    quote_day.move_to("2026-12-21 08:00:00")
    response = prospect.get(link)
    assert response.status_code == 410
    page = text(response)
    assert "Ce devis a expiré" in page and "valable jusqu'au 20/12/2026" in page and "05 45 00 00 00" in page
    assert prospect.get(link + "/devis.pdf").status_code == 410


def test_a_declined_quote_s_link_says_so(prospect, link):
    quote = db.session.scalar(db.select(Quote))
    quote.status = QuoteStatus.DECLINE
    db.session.commit()
    assert "Ce devis a été classé sans suite" in text(prospect.get(link))


def test_only_the_hash_of_the_token_is_stored(link):
    token = link.rsplit("/", 1)[1]
    stored = db.session.scalar(db.select(CustomerLink))
    assert token not in stored.token_hash and len(stored.token_hash) == 64


def test_a_resend_replaces_the_earlier_link(prospect, link, client, outbox, quote_day):
    quote = db.session.scalar(db.select(Quote))
    quote_day.tick(61)
    page = client.get(f"/devis/{quote.id}").get_data(as_text=True)
    assert client.post(f"/devis/{quote.id}/renvoyer", data={"csrf_token": csrf_token(page)}).status_code == 302
    newer = re.search(r"https?://[^/\s]+(/souscription/\S+)", outbox()[1].body_text).group(1)
    response = prospect.get(link)
    assert response.status_code == 410
    assert "Ce lien a été remplacé" in text(response) and "Un lien plus récent" in text(response)
    assert "confirmez votre date de naissance" in text(prospect.get(newer))


def test_once_a_version_is_subscribed_every_version_s_link_closes(prospect, link, client, outbox, quote_day):
    first = db.session.scalar(db.select(Quote))
    draft = new_version_draft(first, first.broker, "Dupliquer")
    db.session.commit()
    wizard = Wizard(client)
    wizard.quote_id = draft.id
    wizard.needs()
    wizard.choose("200")
    wizard.contact()
    assert wizard.validate().status_code == 302
    second_link = re.search(r"https?://[^/\s]+(/souscription/\S+)", outbox()[1].body_text).group(1)
    second = db.session.get(Quote, draft.id)
    second.status = QuoteStatus.SOUSCRIT  # as the subscription will write it
    db.session.commit()
    for path in (link, second_link):
        response = prospect.get(path)
        assert response.status_code == 410 and "Ce devis a déjà été souscrit" in text(response), path
def test_the_customer_pages_have_their_own_communes_look_up_behind_the_verified_link(prospect, link):
    assert prospect.get("/api/communes?code_postal=16000").status_code == 302  # the broker's door: login
    refused = prospect.get(link + "/communes?code_postal=16000")
    assert refused.status_code == 403
    assert refused.get_json() == {"erreur": "Confirmez d'abord votre date de naissance."}
    confirm(prospect, link, "04/05/1978")
    assert prospect.get(link + "/communes?code_postal=16000").get_json() == {
        "communes": [{"code": "16015", "nom": "Angoulême"}]}
    assert prospect.get(link + "/communes?code_postal=20000").get_json()["communes"] == [
        {"code": "2A004", "nom": "Ajaccio"}, {"code": "2A139", "nom": "Lecci"}]
    for bad in ("1600", "²6000", "%F4%8F%BF%BF"):
        answer = prospect.get(link + "/communes?code_postal=" + bad)
        assert answer.status_code == 400
        assert answer.get_json() == {"erreur": "Code postal invalide : 5 chiffres attendus."}
    assert prospect.get("/souscription/inconnu/communes?code_postal=16000").status_code == 404


def test_a_closed_link_closes_its_communes_look_up(prospect, link):
    confirm(prospect, link, "04/05/1978")
    quote = db.session.scalar(db.select(Quote))
    quote.status = QuoteStatus.DECLINE
    db.session.commit()
    assert prospect.get(link + "/communes?code_postal=16000").status_code == 410
