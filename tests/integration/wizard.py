"""Drives the quote wizard through the test client as a broker's browser would."""
from __future__ import annotations

import re
from html import unescape

from tests.conftest import csrf_token

#: The SPEC's reference profile: born 04/05/1978, alone, Régime Général, 16000 Angoulême,
#: effect 01/12/2026; the needs of the SPEC's recommendation example.
REFERENCE_NEEDS = {
    "besoin_optique": "4", "besoin_dentaire": "2", "besoin_audiologie": "1", "besoin_hospitalisation": "1",
    "besoin_depassements": "4", "date_effet": "2026-12-01", "regime": "general", "code_postal": "16000",
    "ville": "16015", "date_naissance": "1978-05-04", "conjoint": "non", "enfants": "non",
}
REFERENCE_CONTACT = {
    "civilite": "Monsieur", "nom": "Dupont", "nom_naissance": "", "prenom": "Jean", "date_naissance": "1978-05-04",
    "adresse": "3 rue de Montmoreau", "adresse_complementaire": "", "code_postal": "16000", "ville": "16015",
    "pays": "France", "telephone_portable": "06 12 34 56 78", "email": "jean.dupont@exemple.fr",
}
#: "today" for the wizard tests: the reference effect date is inside the six-month window.
TODAY = "2026-11-20"


def text(response) -> str:
    """The page's visible text, tags removed and spaces collapsed, for the assertions on labels."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def quote_id_of(location: str) -> int:
    return int(re.search(r"/devis/(\d+)/", location).group(1))


class Wizard:
    def __init__(self, client, product="smat-active-tns"):
        self.client = client
        self.product = product
        self.quote_id: int | None = None

    def _post(self, url: str, data: dict, page_url: str | None = None):
        page = self.client.get(page_url or url)
        assert page.status_code == 200, page.status_code
        form = {"csrf_token": csrf_token(page.get_data(as_text=True)), **data}
        key = re.search(r'name="creation_key" value="([^"]*)"', page.get_data(as_text=True))
        if key and "creation_key" not in form:
            form["creation_key"] = key.group(1)
        return self.client.post(url, data=form)

    def needs(self, **changes):
        data = {**REFERENCE_NEEDS, **changes}
        data = {k: v for k, v in data.items() if v is not None}
        if self.quote_id is None:
            response = self._post(f"/vente-directe/{self.product}/devis", data)
            if response.status_code == 302:
                self.quote_id = quote_id_of(response.headers["Location"])
            return response
        return self._post(f"/devis/{self.quote_id}/besoins", data)

    def solutions_page(self):
        return self.client.get(f"/devis/{self.quote_id}/solutions")

    def choose(self, formula: str, options=()):
        return self._post(f"/devis/{self.quote_id}/solutions", {"formule": formula, "options": list(options),
                                                                 "action": "suivant"})

    def contact(self, **changes):
        data = {**REFERENCE_CONTACT, **changes}
        data = {k: v for k, v in data.items() if v is not None}
        return self._post(f"/devis/{self.quote_id}/coordonnees", {**data, "action": "suivant"})

    def recap(self):
        return self.client.get(f"/devis/{self.quote_id}/recapitulatif")

    def validate(self):
        return self._post(f"/devis/{self.quote_id}/valider", {}, page_url=f"/devis/{self.quote_id}/recapitulatif")

    def walk(self, formula="300", options=(), **contact):
        assert self.needs().status_code == 302
        assert self.choose(formula, options).status_code == 302
        assert self.contact(**contact).status_code == 302
        return self.validate()
