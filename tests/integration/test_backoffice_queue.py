"""The back-office's work on a transmitted dossier: the queue, the dossier page (NIR and IBAN
masked until "Afficher", which is journaled), pieces validated or refused with a reason (the
client told by e-mail, the piece back to "En attente"), the adhesion created once every
mandatory piece is validated — and the administrator reading without acting."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.auth.models import Role
from portal.dossiers import management
from portal.dossiers.counts import piece_counts
from portal.dossiers.models import Piece, PieceStatus
from portal.auth.models import ClientAccount
from portal.extensions import db
from portal.journal.models import JournalEntry
from portal.messaging.models import Message
from portal.signature.models import Contract, Progress
from portal.subscription.models import Subscription
from tests.conftest import csrf_token
from tests.strategies import anything
from tests.integration.test_exports_and_daily import logged_in, read_csv

from .test_dossiers import a_jpeg, a_pdf, paper_contract, pieces, send
from .wizard import text

MANAGER = "gestion@mes-solutions-plus.fr"
ADMIN = "admin@mes-solutions-plus.fr"
MANDATORY = ("bia_signe", "mandat_signe", "identite", "rib", "attestation_ss", "kbis")


@pytest.fixture
def transmitted(client, signing_dossier) -> Contract:
    """Jean Dupont's contract signed by hand, its RIB and identity sent by the broker: "Dossier transmis"."""
    contract = paper_contract(signing_dossier)
    page = client.get(f"/contrats/{contract.id}")
    assert send(client, page, pieces()["rib"], "rib.jpg", a_jpeg()).status_code == 302
    assert send(client, page, pieces()["identite"], "identite.pdf", a_pdf()).status_code == 302
    db.session.expire_all()
    return db.session.get(Contract, contract.id)


@pytest.fixture
def manager(app, make_user):
    make_user(email=MANAGER, role=Role.BACKOFFICE, first_name="Gaëlle", last_name="Gestion")
    return logged_in(app, MANAGER)


@pytest.fixture
def administrator(app, make_user):
    make_user(email=ADMIN, role=Role.ADMIN, first_name="Alain", last_name="Admin")
    return logged_in(app, ADMIN)


def post(browser, page_url: str, url: str, **data):
    token = csrf_token(browser.get(page_url).get_data(as_text=True))
    return browser.post(url, data={"csrf_token": token, **data})


def send_all_mandatory(client, contract: Contract) -> None:
    page = client.get(f"/contrats/{contract.id}")
    for code in MANDATORY:
        if pieces()[code].status is PieceStatus.EN_ATTENTE:
            assert send(client, page, pieces()[code], f"{code}.pdf", a_pdf()).status_code == 302


def validate_all_received(manager, contract: Contract) -> None:
    for piece in pieces().values():
        if piece.status is PieceStatus.RECUE:
            assert post(manager, f"/gestion/dossiers/{contract.id}", f"/gestion/pieces/{piece.id}/valider").status_code == 302


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_queue_lists_the_transmitted_dossier_with_its_pieces_counted(transmitted, manager):
    assert transmitted.transmitted_at is not None
    page = manager.get("/gestion/dossiers")
    assert page.status_code == 200
    shown = text(page)
    assert "Dossiers transmis" in shown
    # Firm, product, client, number, date transmitted; 2 received, 0 validated, 4 mandatory missing.
    assert (f"Cabinet Démo Courtage SMAT ACTIVE TNS Monsieur DUPONT Jean {transmitted.number} 20/11/2026 2 0 4"
            in shown), shown
    assert f'href="/gestion/dossiers/{transmitted.id}"' in page.get_data(as_text=True)
    # The menu leads there.
    assert 'href="/gestion/dossiers"' in manager.get("/").get_data(as_text=True)


@pytest.mark.parametrize("query, listed", [
    ({"anciennete": "0"}, True), ({"anciennete": "1"}, False), ({"produit": "smat-active-tns"}, True),
    ({"produit": "smat-serenite"}, False), ({"cabinet": "1"}, True)])
def test_the_queue_filters(transmitted, manager, query, listed):
    if "cabinet" in query:
        query = {"cabinet": str(transmitted.firm_id)}
    assert (transmitted.number in text(manager.get("/gestion/dossiers", query_string=query))) is listed


@pytest.mark.parametrize("query, field, message", [
    ({"anciennete": "-3"}, "anciennete", "Indiquez un nombre de jours entier, de 0 à 3650."),
    ({"anciennete": "²"}, "anciennete", "Indiquez un nombre de jours entier, de 0 à 3650."),
    ({"produit": "inconnu"}, "produit", "Choisissez un produit de la liste."),
    ({"cabinet": "99999"}, "cabinet", "Choisissez un cabinet de la liste."),
    ({"cabinet": "99999999999999999999999"}, "cabinet", "Choisissez un cabinet de la liste.")])
def test_a_filter_not_understood_says_so_next_to_it_and_is_kept(transmitted, manager, query, field, message):
    page = manager.get("/gestion/dossiers", query_string=query)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'id="{field}-error"' in html and message in text(page)
    assert transmitted.number in text(page)  # the filter not understood is not applied
    if field == "anciennete":
        assert f'value="{query["anciennete"]}"' in html


def test_the_dossier_masks_the_nir_and_iban_until_afficher_which_is_journaled(transmitted, manager):
    subscription = db.session.get(Subscription, transmitted.subscription_id)
    nir, iban = subscription.nir, subscription.iban
    page = manager.get(f"/gestion/dossiers/{transmitted.id}")
    assert page.status_code == 200
    shown = text(page)
    assert f'Contrat "SMAT ACTIVE TNS" n° {transmitted.number}' in shown
    assert "Souscripteur" in shown and "DUPONT Jean" in shown and "Avancement Dossier transmis" in shown
    assert nir not in shown and iban not in shown and nir[-4:] in shown.replace(" ", "")
    # The file opens in a new tab through the broker's route, which the back-office may read.
    rib = pieces()["rib"]
    assert f'href="/pieces/fichiers/{rib.files[0].id}" target="_blank"' in page.get_data(as_text=True)
    assert manager.get(f"/pieces/fichiers/{rib.files[0].id}").data.startswith(b"%PDF")

    revealed = post(manager, f"/gestion/dossiers/{transmitted.id}", f"/gestion/dossiers/{transmitted.id}/afficher",
                    donnee="nir")
    assert revealed.status_code == 200 and nir in text(revealed) and iban not in text(revealed)
    revealed = post(manager, f"/gestion/dossiers/{transmitted.id}", f"/gestion/dossiers/{transmitted.id}/afficher",
                    donnee="iban")
    assert iban in text(revealed)
    rows = db.session.scalars(select(JournalEntry).where(JournalEntry.action == "Donnée protégée affichée")
                              .order_by(JournalEntry.id)).all()
    assert [(row.actor, row.detail) for row in rows] == [
        (MANAGER, f"NIR du contrat n° {transmitted.number}"), (MANAGER, f"IBAN du contrat n° {transmitted.number}")]
    # Anything else shows nothing and writes nothing; without the token, refused.
    odd = post(manager, f"/gestion/dossiers/{transmitted.id}", f"/gestion/dossiers/{transmitted.id}/afficher",
               donnee="mot_de_passe")
    assert odd.status_code == 302
    assert "Choisissez la donnée à afficher : NIR ou IBAN." in text(manager.get(odd.headers["Location"]))
    assert manager.post(f"/gestion/dossiers/{transmitted.id}/afficher", data={"donnee": "nir"}).status_code == 400
    assert count(JournalEntry, JournalEntry.action == "Donnée protégée affichée") == 2


def test_validating_a_piece_writes_the_journal_and_the_broker_s_agenda_once(transmitted, manager):
    rib = pieces()["rib"]
    answer = post(manager, f"/gestion/dossiers/{transmitted.id}", f"/gestion/pieces/{rib.id}/valider")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/gestion/dossiers/{transmitted.id}#piece-{rib.id}")
    assert f"Pièce « {rib.label} » validée." in text(manager.get(answer.headers["Location"]))
    rib = pieces()["rib"]
    assert rib.status is PieceStatus.VALIDEE and rib.validated_at is not None
    row = db.session.scalars(select(JournalEntry).where(JournalEntry.object_type == "piece",
                                                        JournalEntry.object_id == rib.id,
                                                        JournalEntry.to_status == "validee")).one()
    assert row.actor == MANAGER and row.from_status == "recue" and row.agenda_kind == "piece_validee"
    assert f"Contrat n° {transmitted.number}" == row.domain
    # The double click: the second is told, nothing written twice.
    again = post(manager, f"/gestion/dossiers/{transmitted.id}", f"/gestion/pieces/{rib.id}/valider")
    assert again.status_code == 302
    assert "Cette pièce a déjà été validée le 20/11/2026 par Gaëlle Gestion." in text(manager.get(again.headers["Location"]))
    assert count(JournalEntry, JournalEntry.object_type == "piece", JournalEntry.to_status == "validee") == 1
    # A piece without a file cannot be validated.
    kbis = pieces()["kbis"]
    refused = post(manager, f"/gestion/dossiers/{transmitted.id}", f"/gestion/pieces/{kbis.id}/valider")
    assert "Cette pièce n'a pas de fichier à examiner (statut « En attente »)." in text(manager.get(refused.headers["Location"]))
    assert pieces()["kbis"].status is PieceStatus.EN_ATTENTE


def test_refusing_a_piece_tells_the_client_and_puts_it_back_en_attente(transmitted, manager, client, outbox):
    before = len(outbox())
    identity = pieces()["identite"]
    answer = post(manager, f"/gestion/dossiers/{transmitted.id}", f"/gestion/pieces/{identity.id}/refuser",
                  motif="  Document illisible :\n la photo est floue.  ")
    assert answer.status_code == 302
    identity = pieces()["identite"]
    assert identity.status is PieceStatus.EN_ATTENTE
    assert identity.refusal_reason == "Document illisible : la photo est floue."
    assert identity.status_text == "En attente — refusée le 20/11/2026 : Document illisible : la photo est floue."
    # Shown next to the status, on the back-office's page and the broker's.
    assert "En attente — refusée le 20/11/2026 : Document illisible : la photo est floue." in text(
        manager.get(f"/gestion/dossiers/{transmitted.id}"))
    assert "En attente — refusée le 20/11/2026 : Document illisible : la photo est floue." in text(
        client.get(f"/contrats/{transmitted.id}"))
    # The journal: refused (its reason stays in the piece's encrypted row, the journal says where),
    # then waiting for another file; the agenda has the refusal.
    rows = db.session.scalars(select(JournalEntry).where(JournalEntry.object_type == "piece",
                                                         JournalEntry.object_id == identity.id)
                              .order_by(JournalEntry.id)).all()
    assert [(row.from_status, row.to_status) for row in rows[-2:]] == [("recue", "refusee"), ("refusee", "en_attente")]
    assert rows[-2].detail == f"{identity.label[:200]} — motif : voir la pièce" and rows[-2].agenda_kind == "piece_refusee"
    assert not any("illisible" in (row.detail or "") for row in db.session.scalars(select(JournalEntry)))
    # The e-mail: to the client, the broker in copy, which piece and why, the client space's login.
    messages = outbox()[before:]
    [mail] = messages
    assert mail.subject == "Mes Solutions Plus - Pièce justificative refusée"
    assert mail.to == "jean.dupont@exemple.fr" and mail.cc == "courtier@cabinet-demo.fr"
    assert f"la pièce justificative « {identity.label} »" in mail.body_text
    assert "Motif : Document illisible : la photo est floue." in mail.body_text
    # The client has not created its password yet (the adhesion's link may be dead): a new link to create it.
    assert "http://localhost/espace-client/mot-de-passe/" in mail.body_text
    assert "espace-client/mot-de-passe/" in mail.body_html and "espace-client/connexion" not in mail.body_text
    assert "Ce message est envoyé automatiquement" in mail.body_text and "Cabinet Démo Courtage" in mail.body_text
    # The same document again is refused; a new one makes it "Reçue" again.
    page = client.get(f"/contrats/{transmitted.id}")
    same = send(client, page, identity, "identite.pdf", a_pdf())
    assert same.status_code == 422
    assert "Ce document a été refusé par le service de gestion : envoyez-en un autre." in text(same)
    assert send(client, page, identity, "identite-2.jpg", a_jpeg()).status_code == 302
    assert pieces()["identite"].status is PieceStatus.RECUE
    # Once the client has its password, a refusal leads to the client space's login.
    db.session.get(ClientAccount, transmitted.client_account_id).password_hash = "défini"
    db.session.commit()
    assert post(manager, f"/gestion/dossiers/{transmitted.id}", f"/gestion/pieces/{identity.id}/refuser",
                motif="Toujours illisible.").status_code == 302
    [again] = outbox()[before + 1:]
    assert "http://localhost/espace-client/connexion" in again.body_text and "mot-de-passe" not in again.body_text


@pytest.mark.parametrize("reason, message", [
    ("", "Indiquez le motif du refus : il est envoyé au client."),
    ("   \n ", "Indiquez le motif du refus : il est envoyé au client."),
    ("x" * 501, "Le motif tient en 500 caractères au plus."),
    ("illisible\x00", "Le motif contient des caractères non autorisés (< > ou caractères de contrôle)."),
    ("<b>illisible</b>", "Le motif contient des caractères non autorisés (< > ou caractères de contrôle).")])
def test_a_refusal_needs_a_plain_reason_of_500_characters_at_most(transmitted, manager, outbox, reason, message):
    before = len(outbox())
    identity = pieces()["identite"]
    answer = post(manager, f"/gestion/dossiers/{transmitted.id}", f"/gestion/pieces/{identity.id}/refuser", motif=reason)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert message in text(answer) and f'id="motif-{identity.id}-error"' in html
    if reason.strip() and "\x00" not in reason:
        assert (reason if "<" not in reason else "&lt;b&gt;illisible&lt;/b&gt;") in html  # kept as typed
    assert pieces()["identite"].status is PieceStatus.RECUE
    assert len(outbox()) == before


def test_a_piece_refused_twice_is_refused_once(transmitted, manager, outbox):
    before = len(outbox())
    identity = pieces()["identite"]
    for _ in range(2):
        answer = post(manager, f"/gestion/dossiers/{transmitted.id}", f"/gestion/pieces/{identity.id}/refuser",
                      motif="Illisible")
        assert answer.status_code == 302
    assert ("Cette pièce a déjà été refusée le 20/11/2026 par Gaëlle Gestion : elle attend un nouveau fichier du client."
            in text(manager.get(answer.headers["Location"])))
    assert count(JournalEntry, JournalEntry.to_status == "refusee", JournalEntry.object_type == "piece") == 1
    assert len(outbox()) == before + 1


def test_the_adhesion_waits_for_every_mandatory_piece_then_is_created_once(transmitted, manager, client, outbox):
    page = text(manager.get(f"/gestion/dossiers/{transmitted.id}"))
    assert "Créer l'adhésion" in page
    assert "L'adhésion ne peut être créée que lorsque toutes les pièces obligatoires sont validées." in page
    assert 'disabled aria-describedby="adhesion-blocked"' in manager.get(f"/gestion/dossiers/{transmitted.id}").get_data(as_text=True)
    # Forced anyway: refused with the list of what is missing.
    early = post(manager, f"/gestion/dossiers/{transmitted.id}", f"/gestion/dossiers/{transmitted.id}/adhesion")
    assert early.status_code == 302
    told = text(manager.get(early.headers["Location"]))
    assert "À valider : Bulletin individuel d'adhésion daté et signé ;" in told
    assert db.session.get(Contract, transmitted.id).progress is Progress.DOSSIER_TRANSMIS

    send_all_mandatory(client, transmitted)
    validate_all_received(manager, transmitted)
    assert 'disabled aria-describedby' not in manager.get(f"/gestion/dossiers/{transmitted.id}").get_data(as_text=True)
    before = len(outbox())
    created = post(manager, f"/gestion/dossiers/{transmitted.id}", f"/gestion/dossiers/{transmitted.id}/adhesion")
    assert created.status_code == 302
    after = text(manager.get(created.headers["Location"]))
    assert "Adhésion créée : le client est prévenu par e-mail, son conseiller en copie." in after
    assert "Adhésion créée le 20/11/2026 11:00 par Gaëlle Gestion" in after and "Créer l'adhésion" not in after
    db.session.expire_all()
    contract = db.session.get(Contract, transmitted.id)
    assert contract.progress is Progress.ADHESION_CREEE and contract.adhesion_created_at is not None
    row = db.session.scalars(select(JournalEntry).where(JournalEntry.object_type == "contrat",
                                                        JournalEntry.to_status == "adhesion_creee")).one()
    assert row.actor == MANAGER and row.from_status == "dossier_transmis" and row.agenda_kind == "adhesion_creee"
    [mail] = outbox()[before:]
    assert mail.subject == "Mes Solutions Plus - Adhésion créée"
    assert mail.to == "jean.dupont@exemple.fr" and mail.cc == "courtier@cabinet-demo.fr"
    assert contract.number in mail.body_text and "http://localhost/espace-client/connexion" in mail.body_text
    # The broker sees it, with the event; the queue no longer lists it.
    broker_page = text(client.get(f"/contrats/{transmitted.id}"))
    assert "Avancement Adhésion créée" in broker_page and "adhésion créée par le service de gestion" in broker_page
    assert contract.number not in text(manager.get("/gestion/dossiers"))
    # The double click: told when and by whom, nothing twice.
    again = post(manager, f"/gestion/dossiers/{transmitted.id}", f"/gestion/dossiers/{transmitted.id}/adhesion")
    assert "L'adhésion a déjà été créée le 20/11/2026 à 11:00 par Gaëlle Gestion." in text(manager.get(again.headers["Location"]))
    assert count(JournalEntry, JournalEntry.to_status == "adhesion_creee") == 1
    assert count(Message, Message.subject == "Mes Solutions Plus - Adhésion créée") == 1


def test_the_administrator_reads_the_queue_and_the_dossier_but_takes_no_decision(transmitted, administrator):
    assert transmitted.number in text(administrator.get("/gestion/dossiers"))
    page = text(administrator.get(f"/gestion/dossiers/{transmitted.id}"))
    assert "Pièces justificatives" in page
    assert "Valider" not in page and "Refuser" not in page and "Créer l'adhésion" not in page
    identity = pieces()["identite"]
    url = f"/gestion/dossiers/{transmitted.id}"
    for action, data in ((f"/gestion/pieces/{identity.id}/valider", {}), (f"/gestion/pieces/{identity.id}/refuser",
                                                                          {"motif": "Illisible"}),
                         (f"{url}/adhesion", {})):
        assert post(administrator, url, action, **data).status_code == 403, action
    assert pieces()["identite"].status is PieceStatus.RECUE
    # Showing the NIR is a read: allowed, and journaled with who.
    assert post(administrator, url, f"{url}/afficher", donnee="nir").status_code == 200
    assert db.session.scalars(select(JournalEntry.actor).where(JournalEntry.action == "Donnée protégée affichée")).one() == ADMIN


def test_an_unknown_dossier_or_piece_is_404(transmitted, manager):
    assert manager.get("/gestion/dossiers/999999").status_code == 404
    assert post(manager, "/gestion/dossiers", "/gestion/pieces/999999/valider").status_code == 404
    assert post(manager, "/gestion/dossiers", "/gestion/dossiers/999999/adhesion").status_code == 404


def test_every_back_office_post_needs_its_csrf_token(transmitted, manager):
    identity = pieces()["identite"]
    for url in (f"/gestion/pieces/{identity.id}/valider", f"/gestion/pieces/{identity.id}/refuser",
                f"/gestion/dossiers/{transmitted.id}/adhesion", f"/gestion/dossiers/{transmitted.id}/afficher"):
        assert manager.post(url, data={"motif": "x", "donnee": "nir"}).status_code == 400, url
    assert pieces()["identite"].status is PieceStatus.RECUE


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reason=anything, what=st.one_of(anything, st.sampled_from(sorted(management.SENSITIVE))))
def test_any_reason_or_data_asked_answers_a_page_never_500(transmitted, manager, reason, what):
    identity = db.session.scalars(select(Piece).where(Piece.code == "identite")).one()
    url = f"/gestion/dossiers/{transmitted.id}"
    token = csrf_token(manager.get(url).get_data(as_text=True))
    try:
        management.check_reason(reason)
        reason_error = None
    except management.ManagementError as error:
        reason_error = error.message
    # A reason that cannot be sent is told next to the field while the piece is still to decide;
    # once decided (refused by an earlier example), any answer goes back to the dossier.
    to_decide = identity.status is PieceStatus.RECUE
    refused = manager.post(f"/gestion/pieces/{identity.id}/refuser", data={"csrf_token": token, "motif": reason})
    assert refused.status_code == (422 if to_decide and reason_error else 302)
    if refused.status_code == 422:
        assert reason_error in text(refused)
    shown = manager.post(f"{url}/afficher", data={"csrf_token": token, "donnee": what})
    assert shown.status_code == (200 if what in management.SENSITIVE else 302)


def test_the_queue_pages_by_50_oldest_first_with_each_page_s_counts(app, manager):
    from bench.backoffice import fill_queue

    fill_queue(200)
    waiting = db.session.execute(select(Contract.number, Contract.id).where(Contract.progress == Progress.DOSSIER_TRANSMIS)
                                 .order_by(Contract.transmitted_at, Contract.id)).all()
    assert len(waiting) > 100
    listed = []
    for number in (1, 2, 3):
        page = manager.get("/gestion/dossiers", query_string={"page": number})
        listed += re.findall(r'<a href="/gestion/dossiers/\d+">(BC-\d+)</a>', page.get_data(as_text=True))
        assert ("Page suivante" in text(page)) is (number * 50 < len(waiting))
    assert listed == [number for number, _ in waiting]
    # A row's counts are its pieces': received, validated, mandatory missing.
    first_id = waiting[0].id
    statuses = db.session.execute(select(Piece.status, Piece.mandatory).where(Piece.contract_id == first_id)).all()
    expected = (sum(s is PieceStatus.RECUE for s, _ in statuses), sum(s is PieceStatus.VALIDEE for s, _ in statuses),
                sum(m and s is PieceStatus.EN_ATTENTE for s, m in statuses))
    row = re.search(rf'{waiting[0].number}</a></td>\s*<td>[^<]*</td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>',
                    manager.get("/gestion/dossiers").get_data(as_text=True))
    assert tuple(int(n) for n in row.groups()) == expected


def test_once_the_adhesion_is_created_no_piece_nor_file_is_taken(transmitted, manager, client):
    send_all_mandatory(client, transmitted)
    validate_all_received(manager, transmitted)
    assert post(manager, f"/gestion/dossiers/{transmitted.id}", f"/gestion/dossiers/{transmitted.id}/adhesion").status_code == 302
    page = client.get(f"/contrats/{transmitted.id}")
    assert "Avancement Adhésion créée" in text(page)
    html = page.get_data(as_text=True)
    assert 'type="file"' not in html and "+ Nouvelle Pièce justificative" not in html
    before = count(Piece)
    added = client.post(f"/contrats/{transmitted.id}/pieces",
                        data={"csrf_token": csrf_token(html), "type": "Avis d'imposition 2025"})
    assert added.status_code == 422 and "L'adhésion est créée : le dossier est complet" in text(added)
    optional = pieces()["domicile"]
    sent = send(client, page, optional, "domicile.pdf", a_pdf())
    assert sent.status_code == 422 and "L'adhésion est créée : le dossier est complet" in text(sent)
    assert count(Piece) == before and pieces()["domicile"].files == [] and optional.status is PieceStatus.EN_ATTENTE


def test_the_queue_and_the_contracts_export_count_the_pieces_alike(transmitted, manager):
    identity = pieces()["identite"]
    assert post(manager, f"/gestion/dossiers/{transmitted.id}", f"/gestion/pieces/{identity.id}/refuser",
                motif="Document illisible").status_code == 302
    # The refused identity waits again: 1 received (the RIB), 0 validated, 5 mandatory missing.
    [counts] = piece_counts([transmitted.id], missing_types=True).values()
    missing = [piece.label for code, piece in pieces().items() if code in MANDATORY and code != "rib"]
    assert (counts.received, counts.validated, counts.missing) == (1, 0, 5)
    assert sorted(counts.missing_types) == sorted(missing)
    assert f"{transmitted.number} 20/11/2026 1 0 5" in text(manager.get("/gestion/dossiers"))
    [row] = read_csv(manager.get("/exports/contrats.csv"))[1:]
    assert row[9:] == ["1", "0", "5", " ; ".join(counts.missing_types)]
