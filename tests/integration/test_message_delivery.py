"""After delivery a message keeps what an audit needs and nothing that opens an account or a
dossier; the quote page shows whether its e-mail left; a failed e-mail can be sent again by
its firm or the back-office, who are alerted of failures."""
from __future__ import annotations

import logging
import re
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text as sql

from portal.auth.models import Role
from portal.clock import now
from portal.extensions import db
from portal.messaging import worker
from portal.messaging.backends import DeliveryError
from portal.messaging.models import Attachment, Delivery, Message
from portal.messaging.service import delivery_states
from portal.messaging.worker import FAILED_RETENTION, deliver_due, scrub_old_failures
from portal.quotes.models import Quote
from tests.conftest import PASSWORD, IsolatedClient, csrf_token

from .wizard import text

LINK = re.compile(r"https?://\S+?(/souscription/[A-Za-z0-9_-]+)")


class RefusingBackend:
    def send(self, message):
        raise DeliveryError("SMTP relais:25: 550 boîte inconnue", permanent=True)


def issued(wizard, outbox) -> tuple[Quote, str]:
    assert wizard.walk().status_code == 302
    [message] = outbox()
    return db.session.get(Quote, wizard.quote_id), LINK.search(message.body_text).group(1)


def every_stored_value(connection) -> str:
    """Every value of every table, as the database returns it (what a database read gives)."""
    values = []
    for table in inspect(connection).get_table_names():
        for row in connection.execute(sql(f'SELECT * FROM "{table}"')):
            values.extend(bytes(v).decode("latin-1") if isinstance(v, (bytes, memoryview)) else str(v) for v in row)
    return "\n".join(values)


def test_after_delivery_no_token_is_readable_in_the_database(app, wizard, outbox):
    quote, path = issued(wizard, outbox)
    token = path.rsplit("/", 1)[1]
    assert deliver_due(app) == 1
    db.session.expire_all()
    with db.engine.connect() as connection:
        assert token not in every_stored_value(connection)
    message = db.session.scalars(db.select(Message)).one()
    # Even with the key: the text keeps its words, not its link; no HTML, no file contents.
    assert token not in message.body_text and "[lien retiré après l'envoi]" in message.body_text
    assert "Bonjour Monsieur DUPONT," in message.body_text
    assert message.body_html is None and message.scrubbed_at is not None
    assert (message.to, message.subject, message.status) == (
        "jean.dupont@exemple.fr", "Votre devis SMAT ACTIVE TNS proposé par Cabinet Démo Courtage", Delivery.SENT)
    devis = message.attachments[0]
    assert (devis.filename, devis.content) == ("DEVIS.pdf", None)
    assert devis.size > 1000 and len(devis.sha256) == 64
    # The customer's link still works: only its copy in the message is gone.
    assert wizard.client.get(path).status_code == 200


def test_the_local_viewer_still_shows_the_link_of_a_delivered_message(app, wizard, outbox, client):
    quote, path = issued(wizard, outbox)
    message_id = outbox()[0].id
    deliver_due(app)
    page = client.get(f"/dev/messages/{message_id}").get_data(as_text=True)
    assert path in page and "copie locale" in page
    assert path in client.get(f"/dev/messages/{message_id}/html").get_data(as_text=True)
    devis_id = db.session.scalars(db.select(Attachment.id).where(Attachment.message_id == message_id)).first()
    assert client.get(f"/dev/messages/{message_id}/pieces/{devis_id}").get_data().startswith(b"%PDF")


def test_without_the_viewer_the_outbox_keeps_no_copy(app, wizard, outbox):
    issued(wizard, outbox)
    copies = Path(app.instance_path) / "outbox"
    before = set(copies.glob("*.eml"))
    app.config["DEV_MESSAGES"] = False
    try:
        assert deliver_due(app) == 1
    finally:
        app.config["DEV_MESSAGES"] = True
    assert set(copies.glob("*.eml")) == before


def test_the_local_copy_is_the_owners_only(app, wizard, outbox):
    issued(wizard, outbox)
    deliver_due(app)
    copies = Path(app.instance_path) / "outbox"
    copy = max(copies.glob("*.eml"), key=lambda path: path.stat().st_mtime)
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600 and stat.S_IMODE(copy.parent.stat().st_mode) == 0o700


def test_the_quote_page_says_waiting_then_sent(app, wizard, outbox, client):
    quote, _ = issued(wizard, outbox)
    assert "En attente d'envoi" in text(client.get(f"/devis/{quote.id}"))
    deliver_due(app)
    page = text(client.get(f"/devis/{quote.id}"))
    assert "Envoyé le 20/11/2026 11:00" in page and "En attente d'envoi" not in page


def fail_for_good(app, monkeypatch, caplog) -> None:
    monkeypatch.setattr(worker, "backend_for", lambda app, channel: RefusingBackend())
    with caplog.at_level(logging.ERROR, logger="portal.messaging.worker"):
        assert deliver_due(app) == 0
    monkeypatch.undo()


def test_a_failure_for_good_is_shown_logged_and_can_be_sent_again(app, wizard, outbox, client, monkeypatch, caplog):
    quote, path = issued(wizard, outbox)
    fail_for_good(app, monkeypatch, caplog)
    assert f"about quote:{quote.id}) failed for good after 1 attempt(s): SMTP relais:25: 550 boîte inconnue" in caplog.text
    message = outbox()[0]
    assert message.status is Delivery.FAILED and message.failed_at is not None
    # Kept (encrypted) so that it can go again as written.
    assert path in message.body_text and message.scrubbed_at is None
    assert path not in db.session.execute(sql("SELECT body_text FROM message")).scalar_one()

    page = client.get(f"/devis/{quote.id}")
    assert "Échec : SMTP relais:25: 550 boîte inconnue — Renvoyer" in text(page)
    response = client.post(f"/messages/{message.id}/renvoyer",
                           data={"csrf_token": csrf_token(page.get_data(as_text=True)), "retour": f"/devis/{quote.id}"})
    assert response.status_code == 302 and response.headers["Location"] == f"/devis/{quote.id}"
    assert outbox()[0].status is Delivery.PENDING and outbox()[0].attempts == 0
    assert "En attente d'envoi" in text(client.get(f"/devis/{quote.id}"))
    assert deliver_due(app) == 1
    db.session.expire_all()
    assert [s.status for s in delivery_states(f"quote:{quote.id}")] == [Delivery.SENT]


def test_sending_again_a_message_that_is_not_failed_says_so(app, wizard, outbox, client, monkeypatch, caplog):
    quote, _ = issued(wizard, outbox)
    page = client.get(f"/devis/{quote.id}").get_data(as_text=True)
    response = client.post(f"/messages/{outbox()[0].id}/renvoyer", data={"csrf_token": csrf_token(page),
                                                                     "retour": "//ailleurs.exemple/x"},
                           follow_redirects=True)
    assert "Ce message n'est pas en échec : il n'y a rien à renvoyer." in text(response)
    assert response.request.path == "/"  # a foreign "retour" is ignored


def test_without_csrf_nothing_is_sent_again(app, wizard, outbox, client, monkeypatch, caplog):
    issued(wizard, outbox)
    fail_for_good(app, monkeypatch, caplog)
    assert client.post(f"/messages/{outbox()[0].id}/renvoyer", data={}).status_code == 400
    assert outbox()[0].status is Delivery.FAILED


def other_client(app, login_email: str):
    other = IsolatedClient(app, app.response_class, use_cookies=True)
    page = other.get("/connexion").get_data(as_text=True)
    other.post("/connexion", data={"csrf_token": csrf_token(page), "identifiant": login_email,
                                    "mot_de_passe": PASSWORD})
    return other


def test_another_firms_broker_cannot_send_it_again_the_back_office_can(app, wizard, outbox, monkeypatch, caplog,
                                                                     make_firm, make_user):
    issued(wizard, outbox)
    fail_for_good(app, monkeypatch, caplog)
    message_id = outbox()[0].id
    make_user(email="courtier@exemple-sud.fr", firm=make_firm(name="Courtage Exemple Sud", email="c@exemple-sud.fr"))
    make_user(email="gestion@mes-solutions-plus.fr", role=Role.BACKOFFICE)

    stranger = other_client(app, "courtier@exemple-sud.fr")
    token = csrf_token(stranger.get("/").get_data(as_text=True))
    assert stranger.post(f"/messages/{message_id}/renvoyer", data={"csrf_token": token}).status_code == 404
    assert stranger.get("/gestion/messages-en-echec").status_code == 403
    assert outbox()[0].status is Delivery.FAILED

    office = other_client(app, "gestion@mes-solutions-plus.fr")
    listing = office.get("/gestion/messages-en-echec")
    assert listing.status_code == 200
    shown = text(listing)
    assert "Messages en échec (1)" in shown and "jean.dupont@exemple.fr" in shown
    assert "SMTP relais:25: 550 boîte inconnue" in shown
    assert f'<a href="/devis/{wizard.quote_id}">Devis</a>' in listing.get_data(as_text=True)
    response = office.post(f"/messages/{message_id}/renvoyer", data={
        "csrf_token": csrf_token(listing.get_data(as_text=True)), "retour": "/gestion/messages-en-echec"},
        follow_redirects=True)
    assert "Le message est de nouveau en attente d'envoi." in text(response)
    assert "Messages en échec (0)" in text(response) and "Aucun message en échec." in text(response)
    audit = db.session.execute(sql("SELECT actor, action, detail FROM journal WHERE object_type = 'message'")).one()
    assert tuple(audit) == ("gestion@mes-solutions-plus.fr", "Message renvoyé après échec", f"quote:{wizard.quote_id}")


def test_a_failed_message_is_scrubbed_after_its_retention(app, wizard, outbox, monkeypatch, caplog, quote_day):
    _, path = issued(wizard, outbox)
    fail_for_good(app, monkeypatch, caplog)
    quote_day.tick(FAILED_RETENTION - timedelta(minutes=1))
    assert scrub_old_failures() == 0
    quote_day.tick(timedelta(minutes=2))
    assert scrub_old_failures() == 1
    message = outbox()[0]
    assert path not in message.body_text and message.body_html is None
    assert message.attachments[0].content is None
    [state] = delivery_states(f"quote:{wizard.quote_id}")
    assert state.status is Delivery.FAILED and state.can_retry is False


def test_messages_of_other_objects_are_not_shown(app, wizard, outbox):
    quote, _ = issued(wizard, outbox)
    assert delivery_states(f"quote:{quote.id + 1}") == []
    assert delivery_states(f"quote:{quote.id}")[0].recipients == "jean.dupont@exemple.fr, courtier@cabinet-demo.fr"


def test_the_viewer_says_when_a_delivered_message_has_no_local_copy(app, wizard, outbox, client):
    issued(wizard, outbox)
    app.config["DEV_MESSAGES"] = False
    try:
        deliver_due(app)
    finally:
        app.config["DEV_MESSAGES"] = True
    page = text(client.get(f"/dev/messages/{outbox()[0].id}"))
    assert "aucune copie locale de ce message" in page and "[lien retiré après l'envoi]" in page
    assert "/souscription/" not in page


def test_a_delivered_sms_keeps_no_signature_code(app):
    from portal.messaging.service import queue_sms

    queue_sms(to="+33612345678", text="Mes Solutions Plus : votre code de signature est 483920. Il expire dans 10 minutes.")
    db.session.commit()
    assert deliver_due(app) == 1
    db.session.expire_all()
    with db.engine.connect() as connection:
        assert "483920" not in every_stored_value(connection)
    message = db.session.scalars(db.select(Message)).one()
    assert message.body_text == ("Mes Solutions Plus : votre code de signature est [code retiré après l'envoi]. "
                                 "Il expire dans 10 minutes.")
