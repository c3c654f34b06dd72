"""/dev/messages: the local outbox viewer a newcomer uses to follow the links of the e-mails."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from freezegun import freeze_time

from portal.extensions import db
from portal.messaging.models import Delivery
from portal.messaging.service import File, queue_email, queue_sms

LINK = "http://localhost/premiere-connexion/AbC-123_x?etape=1&source=mail"
REGLES = b"%PDF-1.7 regles generales"


def queue(subject="Mes Solutions Plus - Initialisation de votre mot de passe", to="claire.martin@cabinet-demo.fr",
          cc="", attachments=(), name="Claire"):
    message = queue_email(to=to, cc=cc, subject=subject, template="test_message", attachments=list(attachments),
                          context={"name": name, "link": LINK, "firm": None})
    db.session.commit()
    return message


@pytest.fixture
def messages(app):
    with freeze_time(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)) as clock:
        first = queue()
        clock.tick(timedelta(minutes=5))
        quote_mail = queue(subject="Votre devis SMAT Sérénité proposé par Cabinet Démo Courtage", to="jean.dupont@example.fr",
                           cc="claire.martin@cabinet-demo.fr",
                           attachments=[File("DEVIS.pdf", "application/pdf", b"%PDF devis"),
                                        File("Règles générales.pdf", "application/pdf", REGLES)])
        clock.tick(timedelta(minutes=5))
        sms = queue_sms(to="+33612345678", text="Mes Solutions Plus : votre code de signature est 123456. Il expire dans 10 minutes.")
        db.session.commit()
    return first, quote_mail, sms


def test_the_list_shows_every_message_newest_first(client, messages):
    first, quote_mail, sms = messages
    quote_mail.status, quote_mail.attempts = Delivery.PENDING, 2
    quote_mail.last_error = "SMTP relay:25: ConnectionRefusedError: [Errno 111] Connection refused"
    first.status, first.attempts = Delivery.SENT, 1
    db.session.commit()

    page = client.get("/dev/messages")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Messages envoyés" in html
    # Newest first: the SMS, then the quote, then the first-connection e-mail.
    positions = [html.index("votre code de signature est 123456"), html.index("Votre devis SMAT Sérénité"),
                 html.index("Initialisation de votre mot de passe")]
    assert positions == sorted(positions)
    assert "02/03/2026 10:05:00" in html  # Paris time
    assert "jean.dupont@example.fr" in html and "claire.martin@cabinet-demo.fr" in html
    assert "+33612345678" in html
    assert "Connection refused" in html
    assert "En attente" in html and "Envoyé" in html
    assert f'href="/dev/messages/{quote_mail.id}"' in html


def test_the_list_filters_by_recipient(client, messages):
    html = client.get("/dev/messages?destinataire=JEAN.dupont").get_data(as_text=True)
    assert "Votre devis SMAT Sérénité" in html
    assert "Initialisation de votre mot de passe" not in html
    assert "Aucun message pour « personne »" in client.get("/dev/messages?destinataire=personne").get_data(as_text=True)


def test_the_list_pages(client, app):
    for number in range(55):
        queue(subject=f"Message numéro {number:02d}")
    first_page = client.get("/dev/messages").get_data(as_text=True)
    assert "Message numéro 54" in first_page and "Message numéro 04" not in first_page
    assert "Page 1 sur 2" in first_page
    second_page = client.get("/dev/messages?page=2").get_data(as_text=True)
    assert "Message numéro 04" in second_page and "Message numéro 54" not in second_page


def test_the_detail_shows_the_text_with_clickable_links_and_the_html_in_a_sandbox(client, messages):
    _, quote_mail, _ = messages
    page = client.get(f"/dev/messages/{quote_mail.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Votre devis SMAT Sérénité proposé par Cabinet Démo Courtage" in html
    assert "Mes Solutions Plus &lt;noreply@mes-solutions-plus.fr&gt;" in html
    escaped = LINK.replace("&", "&amp;")
    assert f'<a href="{escaped}">{escaped}</a>' in html
    assert "merci de ne pas y répondre directement" in html
    assert f'src="/dev/messages/{quote_mail.id}/html"' in html
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in html
    assert quote_mail.message_id.replace("<", "&lt;").replace(">", "&gt;") in html
    pieces = {piece.filename: piece.id for piece in quote_mail.attachments}
    assert f'href="/dev/messages/{quote_mail.id}/pieces/{pieces["Règles générales.pdf"]}"' in html
    assert "Règles générales.pdf" in html


def test_the_html_body_is_served_with_its_own_restrictive_policy(client, messages):
    _, quote_mail, _ = messages
    page = client.get(f"/dev/messages/{quote_mail.id}/html")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    policy = page.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox ")
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "frame-ancestors 'self'" in policy
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    body = page.get_data(as_text=True)
    assert '<head><base target="_blank">' in body
    assert "Suivre le lien" in body


def test_markup_in_a_message_is_shown_as_text(client, app):
    message = queue(subject="<script>alert(1)</script>", name="<img src=x onerror=alert(1)>")
    html = client.get(f"/dev/messages/{message.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    listing = client.get("/dev/messages").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in listing


def test_a_link_followed_by_punctuation(app):
    from portal.messaging.views import linkify

    assert str(linkify("Voir https://exemple.fr/a?b=1&c=2. Puis (http://x.fr/y).")) == (
        'Voir <a href="https://exemple.fr/a?b=1&amp;c=2">https://exemple.fr/a?b=1&amp;c=2</a>. '
        'Puis (<a href="http://x.fr/y">http://x.fr/y</a>).')
    assert str(linkify("javascript:alert(1) <b>")) == "javascript:alert(1) &lt;b&gt;"


def test_an_sms_has_no_html_part(client, messages):
    _, _, sms = messages
    html = client.get(f"/dev/messages/{sms.id}").get_data(as_text=True)
    assert "votre code de signature est 123456" in html
    assert "<iframe" not in html
    assert client.get(f"/dev/messages/{sms.id}/html").status_code == 404


def test_an_attachment_downloads_with_its_name(client, messages):
    _, quote_mail, _ = messages
    piece = next(p for p in quote_mail.attachments if p.filename == "Règles générales.pdf")
    response = client.get(f"/dev/messages/{quote_mail.id}/pieces/{piece.id}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data == REGLES
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('Règles générales.pdf')}" in disposition


def test_unknown_messages_and_foreign_attachments_are_404(client, messages):
    first, quote_mail, _ = messages
    piece = quote_mail.attachments[0]
    assert client.get("/dev/messages/999999").status_code == 404
    assert client.get(f"/dev/messages/{first.id}/pieces/{piece.id}").status_code == 404
    assert client.get(f"/dev/messages/{quote_mail.id}/pieces/999999").status_code == 404


def test_nothing_is_reachable_when_the_viewer_is_off(app, client, messages):
    _, quote_mail, _ = messages
    piece = quote_mail.attachments[0]
    previous = app.config["DEV_MESSAGES"]
    app.config["DEV_MESSAGES"] = False
    try:
        for url in ("/dev/messages", f"/dev/messages/{quote_mail.id}", f"/dev/messages/{quote_mail.id}/html",
                    f"/dev/messages/{quote_mail.id}/pieces/{piece.id}"):
            response = client.get(url)
            assert response.status_code == 404, url
            assert "Page introuvable" in response.get_data(as_text=True)
            assert b"%PDF" not in response.data
    finally:
        app.config["DEV_MESSAGES"] = previous
