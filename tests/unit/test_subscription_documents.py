"""The three documents the subscriber signs, read back from the PDF with pypdf: the subscriber's
data, the price, the mandate reference and the masked IBAN are printed; the full IBAN and NIR never."""
import io
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from portal.subscription.documents import (
    CoveredPerson, FirmIdentity, NeedAnswer, PriceItem, Subscriber, SubscriptionDocumentData, is_mandate_reference,
    mandate_reference, render_bulletin, render_fiche_conseil, render_mandate)

IBAN = "FR7630006000011234567890189"
NIR = "278051601512303"
RUM = "MSP-RIS0000000001-20261125-K7QM2X"

DATA = SubscriptionDocumentData(
    firm=FirmIdentity(name="Cabinet Démo Courtage", orias="12345678", address="1 place du Champ de Mars, 16000 Angoulême",
                      phone="05 45 00 00 00", email="contact@cabinet-demo.fr"),
    broker_name="Paul Martin",
    subscriber=Subscriber(civility="Madame", last_name="Lefèvre", first_name="Élodie", birth_name=None,
                          birth_date=date(1978, 5, 4), nir=NIR, address="3 rue de Montmoreau", postcode="16000",
                          city="Angoulême", country="France", mobile="+33612345678", email="elodie.lefevre@exemple.fr"),
    covered=(CoveredPerson("Conjoint(e)", "Lefèvre", "Marc", date(1980, 2, 29), nir="180022A00401273"),
             CoveredPerson("Enfant", "Lefèvre", "Zoé", date(2012, 7, 1))),
    regime="Régime Général",
    product_name="SMAT ACTIVE TNS", formula_name="SMAT ACTIVE TNS 300", option_names=(),
    price_lines=(PriceItem("Adhérent", Decimal("70.10")), PriceItem("Conjoint(e)", Decimal("45.13"))),
    monthly=Decimal("115.23"), association_notice=None,
    periodicity="Trimestriel", payment_day=10,
    account_holder="Élodie Lefèvre", iban=IBAN, bic="AGRIFRPPXXX", mandate_reference=RUM,
    quote_number="RIS-0000000001", quote_version=1, effect_date=date(2026, 12, 1), made_on=date(2026, 11, 25),
    needs=(NeedAnswer("Optique (lunettes, lentilles...)", "Supplément", "Renforcé", False),
           NeedAnswer("Dentaire (prothèses, soins...)", "Médian", "Renforcé", True)),
    recommended="SMAT ACTIVE TNS 375", chosen="SMAT ACTIVE TNS 300",
    tns_declared=True, teletransmission=True, prospecting_opt_out=False,
    pieces=("Copie de la carte d'identité", "Relevé d'identité bancaire"),
)


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())  # line breaks and non-breaking spaces as plain spaces


@pytest.fixture(scope="module")
def documents() -> dict[str, str]:
    return {"fiche": text_of(render_fiche_conseil(DATA)), "bia": text_of(render_bulletin(DATA)),
            "mandat": text_of(render_mandate(DATA))}


def test_no_document_prints_the_full_iban_or_nir(documents):
    for name, text in documents.items():
        flat = re.sub(r"\s", "", text)
        for secret in (IBAN, "FR76 3000", "30006000", NIR, "2 78 05 16", "A00401273"):
            assert secret not in text and secret.replace(" ", "") not in flat, (name, secret)


def test_the_fiche_d_information_shows_needs_advice_choice_and_the_duty_to_advise(documents):
    text = documents["fiche"]
    for expected in ("Fiche d'information précontractuelle", "Madame LEFÈVRE Élodie", "RIS-0000000001",
                     "Optique (lunettes, lentilles...)", "Supplément", "Renforcé (inférieur)",
                     "nous vous conseillons : SMAT ACTIVE TNS 375", "Votre choix : SMAT ACTIVE TNS 300",
                     "115,23 € / mois", "ORIAS sous le n° 12345678",
                     "Vous avez choisi une formule différente de celle que nous vous conseillons"):
        assert expected in text, expected


def test_the_fiche_has_no_duty_to_advise_sentence_when_the_advice_was_followed():
    followed = text_of(render_fiche_conseil(replace(DATA, recommended="SMAT ACTIVE TNS 300")))
    assert "Votre choix : SMAT ACTIVE TNS 300" in followed
    assert "formule différente" not in followed


def test_the_bulletin_carries_every_datum_the_price_and_the_renunciation_right(documents):
    text = documents["bia"]
    for expected in ("Bulletin individuel d'adhésion — SMAT ACTIVE TNS", "Madame LEFÈVRE Élodie", "04/05/1978",
                     "•••• •••• •••2 303", "3 rue de Montmoreau, 16000 Angoulême, France", "06 12 34 56 78",
                     "elodie.lefevre@exemple.fr", "Régime Général", "LEFÈVRE Marc", "29/02/1980", "•••• •••• •••1 273",
                     "LEFÈVRE Zoé", "01/07/2012", "SMAT ACTIVE TNS 300", "70,10 €", "45,13 €", "115,23 € / mois",
                     "1 382,76 €", "Trimestriel : 345,69 € par échéance", "le 10 du mois", "•••• •••• •••• •••• •••• •••0 189",
                     "AGRIFRPPXXX", RUM, "Je déclare que j'ai le statut TNS.", "01/12/2026",
                     "Copie de la carte d'identité", "14 jours calendaires révolus", "Modèle de lettre de renonciation",
                     "déclare renoncer à mon adhésion au contrat SMAT ACTIVE TNS"):
        assert expected in text, expected


def test_the_sepa_mandate_has_the_mandatory_content(documents):
    text = documents["mandat"]
    for expected in ("Mandat de prélèvement SEPA", RUM, "FR16ZZZ478126", "SMATIS FRANCE",
                     "6, rue du Piave – CS 90000 – 16920 ANGOULÊME CEDEX 9", "Élodie Lefèvre",
                     "•••• •••• •••• •••• •••• •••0 189", "AGRIFRPPXXX", "Paiement récurrent / répétitif",
                     "345,69 € par échéance", "25/11/2026", "Signature du débiteur",
                     "dans les 8 semaines suivant la date de débit"):
        assert expected in text, expected


@pytest.mark.parametrize("field, value, message", [
    ("payment_day", 12, "Jour de prélèvement : 5, 10, 15 attendu."),
    ("mandate_reference", "MSP 0001", "Référence de mandat SEPA invalide."),
    ("periodicity", "Hebdomadaire", "Modalité de paiement inconnue : Hebdomadaire"),
])
def test_document_data_refuses_what_no_document_may_print(field, value, message):
    with pytest.raises(ValueError, match=message):
        replace(DATA, **{field: value})


def test_mandate_references_follow_the_sepa_rules():
    reference = mandate_reference("RIS-0000000001", date(2026, 11, 25))
    assert re.fullmatch(r"MSP-RIS0000000001-20261125-[A-HJ-NP-Z2-9]{6}", reference)
    longest = mandate_reference("ABCDE-0000000001", date(2026, 11, 25))
    assert len(longest) == 35
    with pytest.raises(ValueError, match="trop long"):
        mandate_reference("ABCDEF-0000000001", date(2026, 11, 25))
    assert len({mandate_reference("RIS-0000000001", date(2026, 11, 25)) for _ in range(2000)}) == 2000


@pytest.mark.parametrize("text, valid", [
    ("MSP-RIS0000000001-20261125-K7QM2X", True), ("A", True), ("a/b?c:d(e).f,g'h+i-j", True), ("X" * 35, True),
    ("X" * 36, False), ("", False), ("MSP 0001", False), ("/MSP", False), ("MSP/", False), ("MS//P", False),
    ("MSP_0001", False), ("MSPé", False), ("MSP²", False),
])
def test_what_a_mandate_reference_may_hold(text, valid):
    assert is_mandate_reference(text) is valid
