"""Every route that takes an id answers 404 to another firm's broker, exactly as for an id that
does not exist (SPEC §1), and every client-space route to another client. The routes are read
from the application's URL map, so a new route with an id is checked as soon as it exists.
A broker's session on a client-space route is refused with 403, whoever's the id."""
import pytest
from flask import url_for

from portal.dossiers.models import Piece, PieceFile
from portal.extensions import db
from portal.journal.models import JournalEntry
from portal.messaging.models import Message
from portal.quotes.models import Quote
from portal.storage import StoredFile
from tests.conftest import PASSWORD, csrf_token, run_jobs
from tests.integration.test_client_space import client_pieces, client_space, logged_in_client, make_client, upload  # noqa: F401
from tests.integration.test_dossiers import a_pdf, paper_contract, send
from tests.integration.wizard import Wizard

pytestmark = pytest.mark.usefixtures("quote_day")
CLIENT_SPACE = "client_space."


def test_another_firm_s_broker_gets_404_on_every_route_with_an_id(app, signing_dossier, client, make_firm, make_user,
                                                                  login):
    # Firm A (the demo broker): an issued quote, its client and event, a contract signed by
    # hand with a piece received, and a draft.
    contract = paper_contract(signing_dossier)
    run_jobs(app)  # the worker queues the quote e-mail
    page = client.get(f"/contrats/{contract.id}")
    piece = db.session.scalars(db.select(Piece).where(Piece.code == "rib")).one()
    assert send(client, page, piece, "rib.pdf", a_pdf()).status_code == 302
    issued = db.session.scalar(db.select(Quote).where(Quote.number.is_not(None)))
    ids = {"quote_id": issued.id, "person_id": issued.person_id,
           "event_id": db.session.scalar(db.select(JournalEntry.id).where(JournalEntry.agenda_kind.is_not(None))),
           "message_id": db.session.scalar(db.select(Message.id)),
           # positions inside a quote's pages: a subscription step, a document to sign, its page or file
           "step": 1, "index": 1, "number": 1,
           "contract_id": contract.id, "piece_id": piece.id,
           "piece_file_id": db.session.scalar(db.select(PieceFile.id)),
           "stored_file_id": db.session.scalar(db.select(StoredFile.id).where(StoredFile.owner_type == "contract"))}
    draft = Wizard(client)
    draft.needs()
    draft_id = draft.quote_id

    # Firm B's broker, in the same browser after logging out.
    other = make_user(email="courtier@autre-cabinet.fr", firm=make_firm(name="Autre Cabinet", email="contact@autre-cabinet.fr"))
    client.post("/deconnexion", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    login(other.email)
    token = csrf_token(client.get("/").get_data(as_text=True))

    checked = []
    for rule in app.url_map.iter_rules():
        taken = [name for name, converter in rule._converters.items() if type(converter).__name__ == "IntegerConverter"]
        if not taken or rule.endpoint.startswith("messaging."):
            continue  # /dev/messages is the local outbox viewer, refused in production
        if set(rule.arguments) - set(taken):
            continue  # a customer link's page: its token, not a firm's id, opens it
        if rule.rule.startswith("/gestion/"):
            continue  # the back-office's pages refuse every broker by its role (403): test_roles walks them
        for ids_used in (ids, {**ids, "quote_id": draft_id}):
            values = {name: ids_used[name] for name in taken}  # KeyError: a new kind of id to add above
            url = _build(app, rule, values)
            expected = 403 if rule.endpoint.startswith(CLIENT_SPACE) else 404
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
                assert response.status_code == expected, f"{method} {url} → {response.status_code}"
                checked.append(f"{method} {rule.rule}")
    assert len(set(checked)) >= 15, checked
    assert {"GET /contrats/<int:contract_id>", "POST /contrats/<int:contract_id>/pieces",
            "POST /pieces/<int:piece_id>/fichiers", "GET /pieces/fichiers/<int:piece_file_id>",
            "GET /contrats/<int:contract_id>/documents/<int:stored_file_id>"} <= set(checked)
    # Firm A's objects are untouched.
    db.session.expire_all()
    assert db.session.get(JournalEntry, ids["event_id"]).closed_at is None
    assert db.session.scalar(db.select(db.func.count()).select_from(PieceFile)) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Piece)) == 8
    assert db.session.scalar(db.select(db.func.count()).select_from(Quote).where(Quote.number.is_not(None))) == 1


def _build(app, rule, values):
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def test_another_client_gets_404_on_every_client_space_route_with_an_id(app, client_space):
    """Jean Dupont's contract, a file sent for a piece, its signed documents; another client
    logged in to its own space tries each by the URL map."""
    contract, jean = client_space
    piece = client_pieces()["rib"]
    assert upload(jean, piece, "rib.pdf", a_pdf()).status_code == 302
    ids = {"contract_id": contract.id, "piece_id": piece.id, "quote_id": contract.quote_id,
           "piece_file_id": db.session.scalar(db.select(PieceFile.id)),
           "stored_file_id": db.session.scalar(db.select(StoredFile.id).where(StoredFile.owner_type == "contract",
                                                                              StoredFile.kind == "preuve"))}
    missing = dict.fromkeys(ids, 987654)
    # Jean opens each of them (so a 404 below is the other client's, not a broken route).
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(CLIENT_SPACE) and "GET" in rule.methods and rule.arguments:
            assert jean.get(_build(app, rule, {name: ids[name] for name in rule.arguments})).status_code == 200, rule

    make_client("autre.client@exemple.fr")
    other = logged_in_client(app, "autre.client@exemple.fr", PASSWORD)
    token = csrf_token(other.get("/espace-client/").get_data(as_text=True))
    checked = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(CLIENT_SPACE) or not rule.arguments:
            continue
        for ids_used in (ids, missing):
            url = _build(app, rule, {name: ids_used[name] for name in rule.arguments})  # KeyError: add the new id
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = other.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
                assert response.status_code == 404, f"{method} {url} → {response.status_code}"
                checked.append(f"{method} {rule.rule}")
    assert {"GET /espace-client/pieces/fichiers/<int:piece_file_id>", "POST /espace-client/pieces/<int:piece_id>/fichiers",
            "GET /espace-client/devis/<int:quote_id>/document",
            "GET /espace-client/contrats/<int:contract_id>/documents/<int:stored_file_id>"} <= set(checked)
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(PieceFile)) == 1
