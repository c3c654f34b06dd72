"""One autosave of step 1 (a request through the whole portal: session, CSRF, link, checks,
encryption, journal) against a bare SQLAlchemy Core UPDATE writing the same values to the same
subscription row, in the same process and database."""
from __future__ import annotations

import re
import statistics
import tempfile
import time

from sqlalchemy import update

from . import setup

# The reference family of setup.ready_draft: born 04/05/1978, a spouse born 29/02/1980, two children.
FORM = {"civilite": "Monsieur", "nom": "Dupont", "nom_naissance": "", "prenom": "Jean", "nir": "178051601512353",
        "mobile": "06 12 34 56 78", "tns": "on", "teletransmission": "on", "conjoint_prenom": "Marie",
        "conjoint_nom": "Dupont", "conjoint_nir": "280022A00401223", "enfant1_prenom": "Léa", "enfant1_nom": "Dupont",
        "enfant1_date_naissance": "01/07/2012", "enfant2_prenom": "Hugo", "enfant2_nom": "Dupont",
        "enfant2_date_naissance": "03/09/2015"}
COLUMNS = ("answers", "civility", "last_name", "birth_name", "first_name", "nir", "mobile", "tns_declared",
           "teletransmission", "prospecting_opt_out", "spouse", "children")


def measure(count: int) -> dict:
    from portal.clock import now
    from portal.extensions import db
    from portal.quotes.links import new_link
    from portal.quotes.service import issue_quote
    from portal.subscription.models import Subscription

    with tempfile.TemporaryDirectory() as directory:
        app = setup.make_app(directory)
        with app.app_context():
            user = setup.broker()
            quote = issue_quote(setup.ready_draft(user), user)
            token = new_link(quote)
            db.session.commit()
            birth = quote.birth_date.isoformat()
        client = app.test_client()
        base = f"/souscription/{token}"
        client.post(base, data={"csrf_token": _csrf(client.get(base)), "date_naissance": birth})
        csrf = _csrf(client.get(base + "/etape/1"))
        table = Subscription.__table__
        autosave, bare = [], []
        for run in range(count + 2):  # the first two runs warm the caches
            form = {**FORM, "csrf_token": csrf, "prenom": "Jean" if run % 2 else "Jeanne"}
            start = time.perf_counter()
            response = client.post(base + "/etape/1/enregistrer", data=form)
            saved = time.perf_counter() - start
            if response.status_code != 200 or response.get_json()["erreurs"]:
                raise RuntimeError(f"autosave refused: {response.get_data(as_text=True)[:500]}")
            with app.app_context():
                row = db.session.scalars(db.select(Subscription)).one()
                values = {column: getattr(row, column) for column in COLUMNS}
                db.session.rollback()
                start = time.perf_counter()
                db.session.execute(update(table).where(table.c.id == row.id).values(**values, updated_at=now()))
                db.session.commit()
                written = time.perf_counter() - start
            if run >= 2:
                autosave.append(saved)
                bare.append(written)
    return {"autosave_s": statistics.median(autosave), "bare_s": statistics.median(bare), "runs": count}


def _csrf(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)
