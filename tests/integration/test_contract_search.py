"""Portefeuille › Recherche, objet "Contrat": by number, product, "Avancement", signature state
and client name; the firm's own contracts only for a broker, every firm's for the back-office;
25 a page; and "Statut devis" › "En attente de pièce(s)"."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.auth.models import Role
from portal.extensions import db
from portal.quotes.models import Person, Quote, QuoteStatus
from portal.quotes.service import search_name
from portal.signature.models import Contract, Progress, SignatureState
from portal.subscription.models import Subscription
from tests.conftest import csrf_token
from tests.integration.wizard import text

from .signing import fill_subscription
from .test_dossiers import a_jpeg, pieces, send

pytestmark = pytest.mark.usefixtures("quote_day")
SEARCH = "/portefeuille?objet=contrat&rechercher=1"


@dataclass
class Dossier:
    last_name: str
    number: int
    product: str = "smat-active-tns"
    progress: Progress | None = Progress.EN_ATTENTE_PIECES
    state: SignatureState = SignatureState.SIGNE
    mobile: str = "+33612345678"


def make_contracts(firm, broker, dossiers: list[Dossier]) -> list[Contract]:
    """Signed dossiers as the signature leaves them: a person, its quote, the subscription
    (with the mobile phone given at step 1) and the contract."""
    made = []
    for dossier in dossiers:
        prefix = "RIS" if dossier.product == "smat-active-tns" else "TIS"
        person = Person(firm_id=firm.id, civility="Madame", last_name=dossier.last_name, first_name="Anne",
                        search_name=search_name(dossier.last_name, "Anne"), birth_date=date(1980, 1, 1),
                        address="1 rue de la Paix", postcode="16000", city="Angoulême", country="France")
        db.session.add(person)
        db.session.flush()
        quote = Quote(firm_id=firm.id, broker_id=broker.id, person_id=person.id, product_code=dossier.product,
                      number=f"{prefix}-{dossier.number:010d}", version=1, status=QuoteStatus.SOUSCRIT, step=3,
                      formula_code="300", last_name=dossier.last_name, first_name="Anne", civility="Madame")
        db.session.add(quote)
        db.session.flush()
        subscription = Subscription(quote_id=quote.id, firm_id=firm.id, mobile=dossier.mobile)
        db.session.add(subscription)
        db.session.flush()
        signed = dossier.state in (SignatureState.SIGNE, SignatureState.MANUSCRITE)
        contract = Contract(number=f"{prefix}-{dossier.number:010d}", subscription_id=subscription.id,
                            quote_id=quote.id, firm_id=firm.id, person_id=person.id, product_code=dossier.product,
                            formula_code="300", signature_state=dossier.state, progress=dossier.progress,
                            annual=Decimal("1200.00"),
                            signed_at=datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc) if signed else None)
        db.session.add(contract)
        made.append(contract)
    db.session.commit()
    return made


def numbers_in(page: str) -> list[str]:
    """The numbers listed, in order, each once (a row names its number twice: link and arrow)."""
    return list(dict.fromkeys(re.findall(r"[RT]IS-\d{10}", page)))


@pytest.fixture
def portfolio(wizard, broker):
    """Four dossiers of the broker's firm, one of each state a broker meets."""
    return make_contracts(broker.firm, broker, [
        Dossier("Dupont", 1),
        Dossier("Durand", 2, progress=Progress.DOSSIER_TRANSMIS),
        Dossier("Martin", 3, product="smat-serenite", progress=Progress.ADHESION_CREEE, state=SignatureState.MANUSCRITE),
        Dossier("Lefèvre", 4, progress=None, state=SignatureState.EN_COURS),
    ])


def test_the_contract_object_is_offered_with_its_criteria(wizard, client):
    page = text(client.get("/portefeuille?objet=contrat"))
    for label in ("Contrat", "N° contrat", "Produit Tous les produits SMAT ACTIVE TNS SMAT SERENITE", "Nom du client",
                  "Avancement En attente de pièces Dossier transmis Adhésion créée",
                  "Signature électronique Signé En cours Manuscrite Échec Rechercher"):
        assert label in page, label
    assert "Résultats" not in page  # nothing listed before "Rechercher"
    assert 'value="contrat"' in client.get("/portefeuille").get_data(as_text=True)  # from the other forms too


def test_the_awaited_dossiers_are_listed_with_the_phone_to_call_and_the_contract_link(client, portfolio):
    dupont = portfolio[0]
    response = client.get(f"{SEARCH}&avancement=en_attente_pieces")
    page = text(response)
    assert numbers_in(page) == ["RIS-0000000001"]
    for column in ("N° contrat", "Client", "Téléphone portable", "Produit", "Formule", "Signature électronique",
                   "Avancement", "Signé le"):
        assert column in page, column
    assert ("RIS-0000000001 DUPONT Anne 06 12 34 56 78 SMAT ACTIVE TNS SMAT ACTIVE TNS 300 Signé "
            "En attente de pièces 20/11/2026") in page
    html = response.get_data(as_text=True)
    assert f'class="row-arrow" href="/contrats/{dupont.id}"' in html
    assert 'href="tel:+33612345678"' in html and f'href="/clients/{dupont.person_id}"' in html
    assert client.get(f"/contrats/{dupont.id}").status_code == 200


@pytest.mark.parametrize("query, expected", [
    ("", ["RIS-0000000004", "TIS-0000000003", "RIS-0000000002", "RIS-0000000001"]),
    ("&numero=ris-000000000", ["RIS-0000000004", "RIS-0000000002", "RIS-0000000001"]),
    ("&numero=RIS-0000000002", ["RIS-0000000002"]),
    ("&numero=RIS-00000000021", []),
    ("&produit=smat-serenite", ["TIS-0000000003"]),
    ("&produit=inconnu", ["RIS-0000000004", "TIS-0000000003", "RIS-0000000002", "RIS-0000000001"]),
    ("&avancement=dossier_transmis&avancement=adhesion_creee", ["TIS-0000000003", "RIS-0000000002"]),
    ("&signature=en_cours", ["RIS-0000000004"]),
    ("&signature=manuscrite&signature=echec", ["TIS-0000000003"]),
    ("&signature=signe&avancement=dossier_transmis", ["RIS-0000000002"]),
    ("&nom=dur", ["RIS-0000000002"]),
    ("&nom=LEFEVRE", ["RIS-0000000004"]),
    ("&nom=%25", ["RIS-0000000004", "TIS-0000000003", "RIS-0000000002", "RIS-0000000001"]),
    ("&nom=du&produit=smat-active-tns&avancement=en_attente_pieces", ["RIS-0000000001"]),
    ("&nom=zz", []),
])
def test_each_criterion_narrows_the_list(client, portfolio, query, expected):
    page = text(client.get(SEARCH + query))
    assert numbers_in(page.split("Résultats", 1)[1]) == expected
    if not expected:
        assert "Pas de résultat" in page


def test_the_criteria_are_kept_in_the_form(client, portfolio):
    html = client.get(f"{SEARCH}&numero=RIS-0&produit=smat-serenite&avancement=dossier_transmis&signature=echec"
                      "&nom=Dur").get_data(as_text=True)
    assert 'value="RIS-0"' in html and 'value="Dur"' in html
    assert re.search(r'value="smat-serenite"\s+selected', html)
    assert re.search(r'value="dossier_transmis"\s+checked', html) and re.search(r'value="echec"\s+checked', html)
    assert not re.search(r'value="en_attente_pieces"\s+checked', html)


def test_another_firm_s_contracts_are_never_listed_but_the_back_office_reads_every_firm(
        client, portfolio, broker, make_firm, make_user, login):
    other_firm = make_firm(name="Autre Cabinet", email="contact@autre-cabinet.fr")
    other_broker = make_user(email="courtier@autre-cabinet.fr", firm=other_firm)
    [other] = make_contracts(other_firm, other_broker, [Dossier("Dupont", 9)])
    for query in ("", "&nom=dupont", "&numero=RIS-0000000009", "&avancement=en_attente_pieces"):
        assert "RIS-0000000009" not in text(client.get(SEARCH + query)), query
    assert client.get(f"/contrats/{other.id}").status_code == 404
    client.post("/deconnexion", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    login(make_user(email="gestion@mes-solutions-plus.fr", role=Role.BACKOFFICE).email)
    page = text(client.get(f"{SEARCH}&nom=dupont"))
    assert numbers_in(page.split("Résultats", 1)[1]) == ["RIS-0000000009", "RIS-0000000001"]


def test_the_list_is_paginated_25_a_page_with_the_criteria_kept(wizard, client, broker):
    make_contracts(broker.firm, broker, [Dossier(f"Nom{index:02d}", index) for index in range(1, 31)]
                   + [Dossier("Autre", 31, progress=Progress.DOSSIER_TRANSMIS)])
    first = client.get(f"{SEARCH}&avancement=en_attente_pieces")
    listed = numbers_in(text(first).split("Résultats", 1)[1])
    assert listed == [f"RIS-{n:010d}" for n in range(30, 5, -1)] and "Page suivante" in text(first)
    next_page = re.search(r'href="([^"]+page=2[^"]*)"', first.get_data(as_text=True)).group(1).replace("&amp;", "&")
    assert "avancement=en_attente_pieces" in next_page and "objet=contrat" in next_page
    second = text(client.get(next_page))
    assert numbers_in(second.split("Résultats", 1)[1]) == [f"RIS-{n:010d}" for n in range(5, 0, -1)]
    assert "Page précédente" in second and "Page suivante" not in second


def test_the_quote_status_en_attente_de_pieces_selects_the_quotes_whose_dossier_awaits_its_pieces(client, portfolio):
    html = client.get("/portefeuille?objet=devis&statut=en_attente_pieces").get_data(as_text=True)
    assert re.search(r'name="statut" value="en_attente_pieces"\s+checked> En attente de pièce\(s\)', html)
    assert re.search(r'name="statut" value="souscrit"\s+> Souscrit', html)
    found = text(client.get("/portefeuille?objet=devis&statut=en_attente_pieces&rechercher=1"))
    assert numbers_in(found.split("Résultats", 1)[1]) == ["RIS-0000000001"]
    with_another = text(client.get("/portefeuille?objet=devis&statut=en_attente_pieces&statut=incomplet&rechercher=1"))
    assert numbers_in(with_another.split("Résultats", 1)[1]) == ["RIS-0000000001"]
    every_souscrit = text(client.get("/portefeuille?objet=devis&statut=souscrit&rechercher=1"))
    assert len(numbers_in(every_souscrit.split("Résultats", 1)[1])) == 4


def test_a_dossier_signed_by_hand_is_found_awaiting_its_pieces_until_the_first_one_arrives(client, signing_dossier):
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id, "manuscrite")
    token = csrf_token(prospect.get().get_data(as_text=True))
    assert prospect.client.post(prospect.base + "/manuscrite", data={"csrf_token": token}).status_code == 302
    contract = db.session.scalars(select(Contract)).one()
    page = text(client.get(f"{SEARCH}&avancement=en_attente_pieces&signature=manuscrite&nom=dupont"))
    assert f"{contract.number} DUPONT Jean" in page and "Manuscrite En attente de pièces" in page
    quotes = text(client.get("/portefeuille?objet=devis&statut=en_attente_pieces&rechercher=1"))
    assert "RIS-0000000001" in quotes.split("Résultats", 1)[1]  # "Accepté" until the signed BIA comes back
    contract_page = client.get(f"/contrats/{contract.id}")
    assert send(client, contract_page, pieces()["rib"], "rib.jpg", a_jpeg()).status_code == 302
    assert "Pas de résultat" in text(client.get(f"{SEARCH}&avancement=en_attente_pieces"))
    assert contract.number in text(client.get(f"{SEARCH}&avancement=dossier_transmis"))
