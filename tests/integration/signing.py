"""A quote issued by the broker, its link opened by the prospect, the subscription filled
through the subscription's own service functions, and the electronic signature driven
through the HTTP pages as the prospect's browser would."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from freezegun import freeze_time

from portal.extensions import db
from portal.messaging.models import Channel
from portal.quotes.models import Quote
from portal.signature.certificate import SigningIdentity, local_identity
from portal.subscription import service as subscriptions
from tests.conftest import IsolatedClient, csrf_token

NIR = "178051601512353"  # M., born 05/1978, Charente
IBAN = "FR7630006000011234567890189"
PERSONAL = {"civilite": "Monsieur", "nom": "Dupont", "prenom": "Jean", "nir": NIR, "mobile": "06 12 34 56 78",
            "tns": "on"}
PAYMENT = {"titulaire": "Jean Dupont", "iban": IBAN, "periodicite": "mensuel", "jour_prelevement": "5"}


def identity_made_on(day: str, directory) -> SigningIdentity:
    """The portal's local certificates, made on `day`: valid on the tests' frozen days, which
    are before the real one.

    cryptography's Rust core keeps the datetime class it meets first; met first under
    freezegun, it would refuse every real datetime afterwards. One real datetime goes
    through it first."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "warm-up")])
    moment = datetime.now(timezone.utc)
    x509.CertificateRevocationListBuilder().issuer_name(name).last_update(moment) \
        .next_update(moment + timedelta(days=1)).sign(key, hashes.SHA256())
    with freeze_time(day):
        return local_identity(directory)


def link_of(message) -> str:
    return re.search(r"https?://[^/\s]+(/souscription/\S+)", message.body_text).group(1)


def fill_subscription(quote_id: int, choice: str = "electronique", **marks):
    quote = db.session.get(Quote, quote_id)
    subscription = subscriptions.subscription_for(quote, "client")
    for step, answers in ((1, PERSONAL), (2, {"connaissance": "on"}), (3, PAYMENT)):
        assert subscriptions.save_step(subscription, step, answers, "client", final=True) == {}
    subscriptions.choose_signature(subscription, choice, "client")
    for name, value in marks.items():
        setattr(subscription, name, value)
    db.session.commit()
    return subscription


class Prospect:
    """The prospect's browser on its link."""

    def __init__(self, app, link: str):
        self.client = IsolatedClient(app, app.response_class, use_cookies=True)
        self.link = link
        self.base = link + "/signature"

    def confirm_birth_date(self, value="1978-05-04"):
        page = self.client.get(self.link)
        response = self.client.post(self.link, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                     "date_naissance": value})
        assert response.status_code == 302, response.status_code
        return self

    def get(self, path=""):
        return self.client.get(self.base + path)

    def post(self, path: str, data: dict, page: str | None = None):
        """POST a form of the page `page` (default: the same path), with that page's CSRF token."""
        shown = self.client.get(self.base + (page if page is not None else path))
        token = csrf_token(shown.get_data(as_text=True))
        return self.client.post(self.base + path, data={"csrf_token": token, **data})

    def attempt(self) -> str:
        match = re.search(r'name="tentative" value="(\d+)"', self.get().get_data(as_text=True))
        return match.group(1) if match else "0"

    def begin(self):
        return self.post("", {"tentative": self.attempt()})

    def document_key(self, index: int) -> str:
        html = self.get(f"/document/{index}").get_data(as_text=True)
        return re.search(r'name="document" value="([0-9a-f]{64})"', html).group(1)

    def accept(self, index: int, consents=(1, 2, 3)):
        data = {"document": self.document_key(index), **{f"consentement_{n}": "oui" for n in consents}}
        return self.post(f"/document/{index}", data)

    def accept_all(self):
        for index in (1, 2, 3):
            response = self.accept(index)
            assert response.status_code == 302, (index, response.status_code)

    def sign(self, code: str, conditions=(1, 2)):
        return self.post("/signer", {"code": code, **{f"condition_{n}": "oui" for n in conditions}})


def last_code(outbox) -> str:
    texts = [m.body_text for m in outbox() if m.channel == Channel.SMS]
    return re.search(r"votre code de signature est (\d{6})", texts[-1]).group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** 6:06d}"
