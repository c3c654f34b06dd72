"""The back-office's queue ("Dossiers transmis") with 100 000 contracts against 1 000: the same
pages (the first page, filtered by firm, by product, by age), timed in the same process."""
from __future__ import annotations

import random
import re
import statistics
import tempfile
import time
from datetime import timedelta
from decimal import Decimal

from . import setup

FIRMS = 20
MANAGER_EMAIL = "gestion@bench.example"
#: What a contract's Avancement is, in these proportions: most wait in the queue.
PROGRESS_SHARE = (("en_attente_pieces", 0.2), ("dossier_transmis", 0.6), ("adhesion_creee", 0.2))
PIECES = (("identite", "Copie de la pièce d'identité", True), ("rib", "RIB", True),
          ("attestation_ss", "Attestation de sécurité sociale", True), ("domicile", "Justificatif de domicile", False))
BATCH = 5_000


def queue_db(directory: str, contracts: int):
    """The bench app with `contracts` contracts (fill_queue) and a back-office account."""
    from portal.auth.models import Role, User
    from portal.auth.passwords import hash_password
    from portal.extensions import db

    app = setup.make_app(directory)
    with app.app_context():
        db.session.add(User(email=MANAGER_EMAIL, role=Role.BACKOFFICE, first_name="Gestion", last_name="Banc",
                            password_hash=hash_password(setup.PASSWORD)))
        fill_queue(contracts)
        db.session.execute(db.text("ANALYZE"))  # the planner's statistics, as a running database has them
        db.session.commit()
    return app


def fill_queue(contracts: int, seed: int = 1) -> None:
    """`contracts` signed contracts spread over FIRMS firms, in the PROGRESS_SHARE proportions,
    transmitted over the last 90 days, with their pieces; inserted in batches and committed."""
    from portal.auth.models import Firm
    from portal.catalog.loader import get_catalog
    from portal.clock import now, today
    from portal.dossiers.models import Piece
    from portal.extensions import db
    from portal.quotes.models import Quote
    from portal.signature.models import Contract
    from portal.subscription.models import Subscription

    rng = random.Random(seed)
    broker = setup.broker()
    firms = [broker.firm_id] + [
        db.session.scalars(db.insert(Firm).returning(Firm.id), [{
            "name": f"Cabinet {n:02d}", "orias": f"070001{n:02d}", "phone": "05 45 00 00 00",
            "address": "1 rue du Banc, 16000 Angoulême", "email": f"cabinet{n}@bench.example",
            "created_at": now()}]).one() for n in range(1, FIRMS)]
    products = get_catalog().products
    moment, day = now(), today()
    shares = [share for _, share in PROGRESS_SHARE]
    for start in range(0, contracts, BATCH):
        size = min(BATCH, contracts - start)
        chosen = [(rng.choice(firms), rng.choice(products), rng.choices(PROGRESS_SHARE, shares)[0][0])
                  for _ in range(size)]
        quotes = db.session.scalars(db.insert(Quote).returning(Quote.id, sort_by_parameter_order=True), [{
            "firm_id": firm, "broker_id": broker.id, "product_code": product.code, "status": "souscrit", "step": 3,
            "number": f"BQ-{start + n:010d}", "version": 1, "civility": "Madame", "last_name": f"Nom{start + n}",
            "first_name": "Élodie", "children": 0, "without_email": False, "created_at": moment,
            "updated_at": moment} for n, (firm, product, _) in enumerate(chosen)]).all()
        subscriptions = db.session.scalars(
            db.insert(Subscription).returning(Subscription.id, sort_by_parameter_order=True), [{
                "quote_id": quote_id, "firm_id": firm, "status": "signee", "step": 4, "telephone_sale": False,
                "created_at": moment, "updated_at": moment}
                for quote_id, (firm, _, _) in zip(quotes, chosen)]).all()
        contract_ids = db.session.scalars(db.insert(Contract).returning(Contract.id, sort_by_parameter_order=True), [{
            "number": f"BC-{start + n:010d}", "subscription_id": subscriptions[n], "quote_id": quotes[n],
            "firm_id": firm, "product_code": product.code, "formula_code": product.formulas[0].code,
            "signature_state": "signe", "progress": progress, "annual": Decimal("1200.00"), "attempt": 1,
            "accepted": 3, "created_at": moment, "signed_at": moment,
            "transmitted_at": None if progress == "en_attente_pieces" else moment - timedelta(
                days=rng.randint(0, 90), minutes=rng.randint(0, 1440))}
            for n, (firm, product, progress) in enumerate(chosen)]).all()
        db.session.execute(db.insert(Piece), [{
            "contract_id": contract_id, "firm_id": firm, "code": code, "label": label, "mandatory": mandatory,
            "status": rng.choice(("en_attente", "recue", "validee")) if progress == "dossier_transmis" else
            ("validee" if progress == "adhesion_creee" else "en_attente"), "requested_on": day}
            for contract_id, (firm, _, progress) in zip(contract_ids, chosen) for code, label, mandatory in PIECES])
    db.session.commit()


def queue_latency(contracts: int, rounds: int) -> float:
    """Median seconds of a queue page: the first page, then filtered by firm, product and age."""
    with tempfile.TemporaryDirectory() as directory:
        app = queue_db(directory, contracts)
        client = app.test_client()
        page = client.get("/connexion").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        client.post("/connexion", data={"csrf_token": token, "identifiant": MANAGER_EMAIL,
                                        "mot_de_passe": setup.PASSWORD})
        queries = ({}, {"cabinet": "2"}, {"produit": "smat-active-tns"}, {"anciennete": "30"},
                   {"cabinet": "3", "produit": "smat-serenite", "anciennete": "10"}, {"page": "3"})
        timings = []
        for _ in range(rounds):
            for query in queries:
                start = time.perf_counter()
                response = client.get("/gestion/dossiers", query_string=query)
                timings.append(time.perf_counter() - start)
                assert response.status_code == 200 and "Pas de résultat" not in response.get_data(as_text=True)
        return statistics.median(timings[len(queries):])  # the first round warms the caches
