"""Drives the subscription steps through the test client as the customer's phone would."""
from __future__ import annotations

import re

from tests.conftest import csrf_token

NIR = "178051601512353"          # Monsieur, born 05/1978 in Charente: the reference client's
IBAN = "FR7630006000011234567890189"
STEP1 = {"civilite": "Monsieur", "nom": "Dupont", "nom_naissance": "", "prenom": "Jean", "nir": NIR,
         "mobile": "06 12 34 56 78", "tns": "on", "teletransmission": "on"}
STEP2 = {"connaissance": "on"}
STEP3 = {"titulaire": "Jean Dupont", "iban": IBAN, "bic": "", "periodicite": "trimestriel", "jour_prelevement": "10"}
ANSWERS = {1: STEP1, 2: STEP2, 3: STEP3}


def link_of(outbox) -> str:
    return re.search(r"https?://[^/\s]+(/souscription/\S+)", outbox()[0].body_text).group(1)


class Steps:
    """The steps of one subscription: `base` is "/souscription/<token>" or "/devis/<id>/souscription"."""

    def __init__(self, client, base: str):
        self.client, self.base = client, base

    def url(self, step: int) -> str:
        return f"{self.base}/etape/{step}"

    def token(self, step: int) -> str:
        page = self.client.get(self.url(step))
        assert page.status_code == 200, (step, page.status_code)
        return csrf_token(page.get_data(as_text=True))

    def post(self, step: int, data: dict, action="suivant"):
        return self.client.post(self.url(step), data={"csrf_token": self.token(step), "action": action, **data})

    def autosave(self, step: int, data: dict):
        return self.client.post(self.url(step) + "/enregistrer", data={"csrf_token": self.token(step), **data})

    def fill(self, until: int = 3):
        for step in range(1, until + 1):
            response = self.post(step, ANSWERS[step])
            assert response.status_code == 302, (step, response.status_code, response.get_data(as_text=True)[-3000:])


def confirm(client, link: str, birth_date: str = "04/05/1978"):
    page = client.get(link)
    response = client.post(link, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "date_naissance": birth_date})
    assert response.status_code == 302
