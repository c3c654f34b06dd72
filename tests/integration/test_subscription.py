"""The subscription from the customer's link: the four steps, saved as typed, checked with
French messages next to each field, the quote "En attente de validation" at the first save,
the three documents to sign, the choice of signature, and the broker with its client."""
import io
import re

import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import select, text as sql

from portal.extensions import db
from portal.journal.models import JournalEntry
from portal.quotes.models import Quote, QuoteStatus
from portal.security import reencrypt_all
from portal.subscription.models import Subscription, SubscriptionStatus
from tests.conftest import IsolatedClient
from tests.integration.subscription import IBAN, NIR, STEP1, STEP3, Steps, confirm, link_of
from tests.integration.test_reliability import parallel_posts, postgresql_only
from tests.integration.wizard import Wizard, text

pytestmark = pytest.mark.usefixtures("quote_day")


@pytest.fixture
def link(client, broker, login, outbox):
    login(broker.email)
    Wizard(client).walk()
    return link_of(outbox)


@pytest.fixture
def prospect(app):
    return IsolatedClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def steps(prospect, link):
    confirm(prospect, link)
    return Steps(prospect, link)


def subscription() -> Subscription:
    db.session.expire_all()
    return db.session.scalars(select(Subscription)).one()


def test_the_quote_page_offers_souscrire_then_the_first_step_with_the_quote_s_details(prospect, link, steps):
    page = text(prospect.get(link))
    assert "Souscrire" in page
    first = text(prospect.get(steps.url(1)))
    for expected in ("Données personnelles", "Informations contractuelles", "Informations de paiement", "Confirmation",
                     "Merci de compléter vos coordonnées", "Civilité (*)", "Nom (*)", "Nom de naissance", "Prénom (*)",
                     "Date de naissance (*)", "Numéro de sécurité sociale (*)",
                     "Téléphone portable (*)", "Je déclare que j'ai le statut TNS.",
                     "Je souhaite que mes dépenses de santé soient transmises automatiquement à SMATIS FRANCE"):
        assert expected in first, expected
    html = prospect.get(steps.url(1)).get_data(as_text=True)
    assert 'value="04/05/1978" readonly' in html
    assert 'value="Dupont"' in html and 'value="06 12 34 56 78"' in html
    assert 'inputmode="tel"' in html and 'autocomplete="given-name"' in html


def test_a_later_step_is_not_reached_before_the_earlier_ones(steps):
    response = steps.client.get(steps.url(3))
    assert response.status_code == 302 and response.headers["Location"].endswith("/etape/1")
    token = steps.token(1)
    posted = steps.client.post(steps.url(3), data={"csrf_token": token, "action": "suivant", **STEP3})
    assert posted.status_code == 302 and posted.headers["Location"].endswith("/etape/1")
    saved = steps.client.post(steps.url(3) + "/enregistrer", data={"csrf_token": token, **STEP3})
    assert saved.status_code == 409 and "Complétez d'abord les étapes précédentes" in saved.json["erreur"]
    stored = subscription()
    assert stored.step == 1 and stored.iban is None and "3" not in stored.answers


@pytest.mark.parametrize("field, value, message", [
    ("nir", "178051601512354", "La clé du numéro de sécurité sociale ne correspond pas"),
    ("nir", "17805160151235", "Le numéro de sécurité sociale compte 15 caractères"),
    ("nir", "278051601512303", "ne correspond pas à la civilité (Monsieur : il commence par 1)"),
    ("nir", "178061601512369", "Le mois du numéro de sécurité sociale (06) ne correspond pas"),
    ("mobile", "05 45 00 00 00", "ce numéro est un fixe"),
    ("nom", "<script>", "caractères non autorisés"),
])
def test_each_wrong_field_of_step_1_gets_its_french_message_next_to_it(steps, field, value, message):
    response = steps.post(1, {**STEP1, field: value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(rf'<p class="error" id="{field}-error" role="alert">([^<]*)</p>', html)
    assert error is not None and message in error.group(1).replace("&#39;", "'"), html[-2000:]


@pytest.mark.parametrize("field, value, message", [
    ("iban", "FR7630006000011234567890188", "la clé ne correspond pas"),
    ("iban", "FR76300060000112345678901", "le nombre de caractères ne correspond pas"),
    ("bic", "AGRIFRP", "BIC invalide"),
    ("bic", "DEUTDEFF", "n'est pas du pays de l'IBAN"),
    ("jour_prelevement", "12", "le 5, le 10 ou le 15"),
])
def test_each_wrong_field_of_step_3_gets_its_french_message(steps, field, value, message):
    steps.fill(until=2)
    response = steps.post(3, {**STEP3, field: value})
    assert response.status_code == 422
    assert message in text(response)


def test_the_required_fields_and_the_acknowledgement_are_asked_on_suivant(steps):
    response = steps.post(1, {})
    assert response.status_code == 422
    page = text(response)
    assert page.count("Ce champ est obligatoire.") >= 4
    assert "ce produit est réservé aux travailleurs non salariés (TNS)" in page
    steps.post(1, STEP1)
    response = steps.post(2, {})
    assert response.status_code == 422
    assert "Cochez la case pour confirmer que vous avez pris connaissance" in text(response)


def test_the_first_save_of_step_1_puts_the_quote_en_attente_once_with_its_agenda_entry(steps):
    assert steps.autosave(1, {"nom": "Dupont"}).json == {"enregistre": True, "erreurs": {}}
    steps.autosave(1, {"nom": "Dupond"})
    quote = db.session.scalars(select(Quote)).one()
    db.session.refresh(quote)
    assert quote.status is QuoteStatus.EN_ATTENTE
    rows = db.session.scalars(select(JournalEntry).where(JournalEntry.object_type == "devis",
                                                         JournalEntry.to_status == "en_attente")).all()
    assert len(rows) == 1
    assert rows[0].actor == "client" and rows[0].agenda_kind == "souscription_commencee"
    assert "souscription commencée" in rows[0].description


def test_answers_typed_are_kept_invalid_ones_with_their_message_and_secrets_come_back_masked(steps, app):
    answer = steps.autosave(1, {**STEP1, "prenom": "J3an"})
    assert answer.status_code == 200
    assert "Le prénom ne peut contenir que des lettres" in answer.json["erreurs"]["prenom"]
    # Another browser, after a new birth-date check: the answers are there.
    other = IsolatedClient(app, app.response_class, use_cookies=True)
    confirm(other, steps.base)
    html = other.get(steps.url(1)).get_data(as_text=True)
    assert 'value="J3an"' in html
    assert "Le prénom ne peut contenir que des lettres" in html
    assert NIR not in html and "17805" not in html
    assert 'Déjà saisi : <span class="masked">•••• •••• •••2 353</span>' in html
    # Left empty, the stored NIR is kept.
    assert steps.post(1, {**STEP1, "nir": ""}).status_code == 302
    assert subscription().nir == NIR


def test_the_nir_and_the_iban_are_not_in_clear_in_the_database(steps):
    steps.fill(until=3)
    row = db.session.execute(sql("SELECT nir, iban, bic, answers, mobile FROM subscription")).one()
    for column in row:
        assert NIR not in column and IBAN not in column and "AGRIFRPP" not in column and "612345678" not in column
    stored = subscription()
    assert stored.nir == NIR and stored.iban == IBAN and stored.bic == "AGRIFRPPXXX"
    assert stored.mobile == "+33612345678" and stored.periodicity == "trimestriel" and stored.debit_day == 10


def test_step_2_shows_the_ipid_and_the_regles_generales_in_the_page(steps):
    steps.fill(until=1)
    page = steps.client.get(steps.url(2)).get_data(as_text=True)
    assert ("Merci de prendre connaissance du Document d'Information sur le Produit d'Assurance (IPID) et des règles "
            "générales SMAT ACTIVE TNS en le confirmant par la coche en bas de page.") in text(steps.client.get(steps.url(2)))
    frames = re.findall(r'<iframe[^>]*src="([^"]+)"', page)
    assert len(frames) == 2
    ipid = steps.client.get(frames[0])
    assert ipid.status_code == 200 and "Document d'information sur le Produit d'Assurance (IPID)" in text(ipid)
    assert ipid.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_step_3_shows_each_instalment_the_mandate_the_creditor_and_the_rum(steps):
    steps.fill(until=2)
    page = text(steps.client.get(steps.url(3)))
    for expected in ("Mensuel : 115,23 €", "Trimestriel : 345,69 €", "Semestriel : 691,38 €", "Annuel : 1 382,76 €",
                     "Jour de prélèvement (*)", "FR16ZZZ478126", "Signer le contrat", "Paiement récurrent"):
        assert expected in page, expected
    assert re.search(r"MSP-RIS0000000001-20261120-[A-Z2-9]{6}", page)


def test_the_three_documents_carry_the_subscriber_the_price_the_rum_and_the_masked_iban(steps):
    steps.fill(until=3)
    page = steps.client.get(steps.url(4))
    assert page.status_code == 200
    rum = subscription().mandate_reference
    texts = {}
    for kind in ("fiche", "bulletin", "mandat"):
        response = steps.client.get(f"{steps.base}/a-signer/{kind}")
        assert response.status_code == 200 and response.mimetype == "application/pdf", kind
        extracted = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
        texts[kind] = " ".join(extracted.split())
    assert "DUPONT" in texts["bulletin"] and "115,23" in texts["bulletin"] and "Trimestriel" in texts["bulletin"]
    assert "•••• •••• •••• •••• •••• •••0 189" in texts["mandat"] and rum in texts["mandat"] and "FR16ZZZ478126" in texts["mandat"]
    assert "Fiche d'information précontractuelle" in texts["fiche"]
    for content in texts.values():
        assert IBAN not in content.replace(" ", "") and NIR not in content.replace(" ", "")


def test_the_choice_of_signature_is_recorded_and_the_page_says_what_happens_next(steps, app):
    steps.fill(until=3)
    token = steps.token(4)
    response = steps.client.post(f"{steps.base}/signature-choisie", data={"csrf_token": token, "signature": "manuscrite"})
    assert response.status_code == 302
    stored = subscription()
    assert stored.signature_choice == "manuscrite" and stored.status is SubscriptionStatus.MANUSCRITE
    if "signature.start" not in app.view_functions:
        page = text(steps.client.get(steps.url(4)))
        assert "Vous avez choisi la signature manuscrite" in page
    wrong = steps.client.post(f"{steps.base}/signature-choisie", data={"csrf_token": steps.token(4), "signature": "x"})
    assert wrong.status_code == 422 and "Choisissez « Signature électronique » ou « Signature manuscrite »" in text(wrong)


def test_precedent_keeps_what_was_typed_even_invalid(steps):
    steps.fill(until=2)
    response = steps.post(3, {**STEP3, "titulaire": "", "iban": "FR76 pas bon"}, action="precedent")
    assert response.status_code == 302 and response.headers["Location"].endswith("/etape/2")
    html = steps.client.get(steps.url(3)).get_data(as_text=True)
    assert "IBAN invalide" in html and 'value="trimestriel" checked' in html


def test_an_expired_form_on_autosave_gets_a_clear_json_message(steps):
    response = steps.client.post(steps.url(1) + "/enregistrer", data={"csrf_token": "périmé", "nom": "Dupont"})
    assert response.status_code == 400
    assert "Votre session a expiré" in response.json["erreur"]


def test_a_second_tab_and_a_double_click_make_one_subscription(steps, app):
    other_tab = steps.token(1)
    steps.post(1, STEP1)
    again = steps.client.post(steps.url(1), data={"csrf_token": other_tab, "action": "suivant", **STEP1})
    assert again.status_code == 302
    assert db.session.scalar(sql("SELECT count(*) FROM subscription")) == 1


def test_closed_quotes_show_the_page_with_the_firm_s_phone(steps, quote_day):
    steps.fill(until=1)
    quote = db.session.scalars(select(Quote)).one()
    quote.status = QuoteStatus.SOUSCRIT
    db.session.commit()
    response = steps.client.get(steps.url(1))
    assert response.status_code == 410
    assert "Ce devis a déjà été souscrit" in text(response) and "05 45 00 00 00" in text(response)


def test_the_broker_subscribes_with_its_client_marked_in_the_journal(client, broker, login, outbox):
    login(broker.email)
    Wizard(client).walk()
    quote = db.session.scalars(select(Quote)).one()
    page = client.get(f"/devis/{quote.id}")
    assert "Souscrire avec le client" in text(page)
    from tests.conftest import csrf_token
    response = client.post(f"/devis/{quote.id}/souscrire",
                           data={"csrf_token": csrf_token(page.get_data(as_text=True)), "telephone": "on"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/devis/{quote.id}/souscription/etape/1")
    Steps(client, f"/devis/{quote.id}/souscription").fill(until=3)
    stored = subscription()
    assert stored.broker_id == broker.id and stored.telephone_sale is True
    rows = db.session.scalars(select(JournalEntry).where(JournalEntry.object_type == "devis",
                                                         JournalEntry.to_status == "en_attente")).all()
    assert rows[0].actor == broker.email and rows[0].actor_user_id == broker.id
    opened = db.session.scalars(select(JournalEntry).where(JournalEntry.object_type == "souscription")).all()
    assert opened[0].detail == "Souscription avec le client (vente à distance par téléphone)"


def test_simultaneous_first_saves_from_two_tabs_make_one_subscription_and_one_status_change(app, prospect, link):
    postgresql_only()
    page = prospect.get(link).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    prospect.post(link, data={"csrf_token": token, "date_naissance": "04/05/1978"})
    results = parallel_posts(app, prospect, f"{link}/etape/1/enregistrer", {"csrf_token": token, **STEP1}, 6)
    assert [status for status, _ in results] == [200] * 6
    db.session.expire_all()
    assert db.session.scalar(sql("SELECT count(*) FROM subscription")) == 1
    assert db.session.scalar(sql("SELECT count(*) FROM journal WHERE object_type = 'devis' "
                                 "AND to_status = 'en_attente'")) == 1
    assert db.session.scalar(sql("SELECT count(*) FROM journal WHERE object_type = 'souscription'")) == 1


def test_the_step_form_saves_itself_to_its_own_address(steps):
    html = steps.client.get(steps.url(1)).get_data(as_text=True)
    assert f'data-autosave="{steps.url(1)}/enregistrer"' in html


ODD = ["", "²", "١٢", "\U0010ffff", "\x00", "<script>", str(2 ** 64 + 1), "99999999999999999999/01/2000", "on", "é" * 300]
anything = st.one_of(st.text(alphabet=st.characters(), max_size=80), st.sampled_from(ODD),
                     st.integers(min_value=-2 ** 100, max_value=2 ** 100).map(str))
STEP_FIELDS = {1: list(STEP1) + ["opposition_prospection", "conjoint_nir"], 2: ["connaissance"], 3: list(STEP3)}
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(step=st.sampled_from([1, 2, 3]), action=st.sampled_from(["suivant", "precedent", "", "x" * 50]), data=st.data())
def test_no_step_answers_500_whatever_is_typed(steps, step, action, data):
    values = data.draw(st.fixed_dictionaries({}, optional={name: anything for name in STEP_FIELDS[step]}))
    token = steps.token(1)
    reached = subscription().step
    url = steps.url(min(step, reached))
    response = steps.client.post(url, data={"csrf_token": token, "action": action, **values})
    assert response.status_code in (302, 422), response.status_code
    saved = steps.client.post(url + "/enregistrer", data={"csrf_token": token, **values})
    assert saved.status_code == 200 and isinstance(saved.json["erreurs"], dict)
    choice = steps.client.post(f"{steps.base}/signature-choisie", data={"csrf_token": token, "signature": values.get("nom", "")})
    assert choice.status_code in (302, 422)
    assert steps.client.get(f"{steps.base}/a-signer/{values.get('nom', 'fiche')[:20]}").status_code in (200, 302, 404)


def test_a_key_rotation_rewrites_the_subscription_s_encrypted_answers_and_family(app, steps):
    steps.fill(until=3)
    new_key = Fernet.generate_key().decode()
    old_key = app.config["FIELD_ENCRYPTION_KEY"]
    app.config["FIELD_ENCRYPTION_KEY"] = f"{new_key},{old_key}"
    try:
        reencrypt_all(db.session, db.metadata)
        app.config["FIELD_ENCRYPTION_KEY"] = new_key  # the old key gone, every column still reads
        stored = subscription()
        assert stored.nir == NIR and stored.iban == IBAN and stored.answers["3"]["titulaire"] == "Jean Dupont"
        assert stored.children is None and stored.spouse is None  # the reference quote covers the client alone
    finally:
        app.config["FIELD_ENCRYPTION_KEY"] = old_key


def test_a_wrong_nir_left_untouched_keeps_its_message_through_later_saves(steps):
    steps.autosave(1, {**STEP1, "nir": "178051601512354"})
    steps.autosave(1, {**STEP1, "nir": "", "prenom": "Jean-Marc"})
    html = steps.client.get(steps.url(1)).get_data(as_text=True)
    assert "La clé du numéro de sécurité sociale ne correspond pas" in html
    assert 'Déjà saisi : <span class="masked">•••• •••• •••2 354</span>' in html
    response = steps.post(1, {**STEP1, "nir": ""})
    assert response.status_code == 422 and "La clé du numéro de sécurité sociale ne correspond pas" in text(response)
    assert steps.post(1, {**STEP1, "nir": NIR}).status_code == 302
    assert subscription().nir == NIR and subscription().answers["1"]["nir"] == ""
