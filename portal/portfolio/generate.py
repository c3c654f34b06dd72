"""Realistic portfolios for scale checks and the benchmark: `flask portal generate --clients N`.

People with French names (accents, hyphens, apostrophes), addresses of real communes, and
one to three quote versions each over every status the portal produces. Rows are inserted in
batches with Core INSERTs; no PDF, e-mail or event is produced (they are not what is measured).
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert

from ..auth.models import Firm, User
from ..catalog.loader import get_catalog
from ..catalog.pricing import Family, price
from ..clock import now, today
from ..extensions import db
from ..numbering import formatted, reserve
from ..quotes.models import Person, Quote, QuoteStatus
from ..quotes.service import search_name

LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
              "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
              "Morel", "Girard", "André", "Lefèbvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez",
              "Légaré", "Le Goff", "D'Almeida", "Saint-Hilaire", "Éluard", "Ødegaard", "Noël", "Bézier", "Gaël", "Chrétien")
FIRST_NAMES = ("Jean", "Marie", "Élodie", "Chloé", "Léa", "Hélène", "Jérôme", "François", "Zoé", "Anaïs", "Noël",
               "Gaëlle", "Loïc", "Benoît", "Cécile", "Thérèse", "Jean-Pierre", "Anne-Sophie", "Maël", "Inès")
STREETS = ("rue de la République", "avenue Victor Hugo", "rue des Écoles", "place de l'Église", "chemin des Vignes",
           "boulevard Gambetta", "rue du Général de Gaulle", "impasse des Lilas")
COMMUNES = (("16000", "Angoulême", "16015"), ("75011", "Paris 11e Arrondissement", "75111"), ("69003", "Lyon 3e Arrondissement", "69383"),
            ("33000", "Bordeaux", "33063"), ("13001", "Marseille 1er Arrondissement", "13201"), ("67000", "Strasbourg", "67482"),
            ("20000", "Ajaccio", "2A004"), ("97400", "Saint-Denis", "97411"), ("87000", "Limoges", "87085"))
STATUSES = (QuoteStatus.VALIDE, QuoteStatus.VALIDE, QuoteStatus.VALIDE, QuoteStatus.PROPOSE, QuoteStatus.EN_ATTENTE,
            QuoteStatus.ACCEPTE, QuoteStatus.SOUSCRIT, QuoteStatus.REFUSE, QuoteStatus.DECLINE, QuoteStatus.EXPIRE)
BATCH = 2000


def generate(firm: Firm, broker: User, clients: int, seed: int = 1) -> int:
    """Adds `clients` people and their quotes to `firm`; returns the number of quote rows."""
    rng = random.Random(seed)
    catalog = get_catalog()
    day, moment = today(), now()
    people, quotes, count = [], [], 0
    # Numbers are reserved once per product for the whole run, not one UPDATE per client.
    products = [rng.choice(catalog.products) for _ in range(clients)]
    numbers = {p.code: reserve(f"devis:{p.number_prefix}", sum(1 for c in products if c is p)) for p in catalog.products
               if any(c is p for c in products)}
    for index, product in enumerate(products):
        last, first = rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)
        if rng.random() < 0.3:  # more distinct names than the lists hold
            last = f"{last}-{rng.choice(LAST_NAMES)}"
        postcode, city, insee = rng.choice(COMMUNES)
        birth = date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
        local_part = "".join(c for c in search_name(first, last).lower().replace(" ", ".") if c.isalnum() or c in ".-")
        email = f"{local_part}.{index}@exemple.fr"
        people.append({"firm_id": firm.id, "civility": rng.choice(("Madame", "Monsieur")),
                       "last_name": last, "birth_name": "", "first_name": first, "search_name": search_name(last, first),
                       "birth_date": birth, "address": f"{rng.randint(1, 120)} {rng.choice(STREETS)}", "address2": "",
                       "postcode": postcode, "city": city, "country": "France",
                       "mobile": f"+336{rng.randint(10000000, 99999999)}", "email": email,
                       "created_at": moment, "updated_at": moment})
        number = formatted(product.number_prefix, numbers[product.code])
        numbers[product.code] += 1
        issued = day - timedelta(days=rng.randint(0, 60))
        effect = issued + timedelta(days=rng.randint(1, 60))
        family = Family(birth, effect, "general", "2")
        for version in range(1, rng.randint(1, 3) + 1):
            formula = rng.choice(product.formulas)
            try:
                monthly = price(product, formula.code, family).monthly
            except ValueError:
                monthly = Decimal("0.00")  # out of the tariff's ages: kept, as a refused dossier would be
            quotes.append({"firm_id": firm.id, "broker_id": broker.id, "person_id": len(people) - 1,
                           "product_code": product.code, "number": number, "version": version,
                           "status": rng.choice(STATUSES), "step": 3, "needs": {}, "effect_date": effect,
                           "regime": "general", "postcode": postcode, "commune_code": insee, "city": city,
                           "birth_date": birth, "has_spouse": False, "has_children": False, "children": 0,
                           "formula_code": formula.code, "options": [], "monthly": monthly, "annual": monthly * 12,
                           "civility": people[-1]["civility"], "last_name": last, "birth_name": "", "first_name": first,
                           "address": people[-1]["address"], "address2": "", "client_postcode": postcode,
                           "client_city": city, "country": "France", "mobile": people[-1]["mobile"], "email": email,
                           "without_email": False, "catalog_version": catalog.version, "created_at": moment,
                           "updated_at": moment, "issued_at": moment, "issued_on": issued,
                           "expires_on": issued + timedelta(days=catalog.quote_validity_days)})
        if len(people) >= BATCH:
            count += _flush(people, quotes)
    count += _flush(people, quotes)
    db.session.commit()
    return count


def _flush(people: list, quotes: list) -> int:
    """Inserts the batch; the quotes' person_id holds the person's index in the batch until then."""
    if people:
        ids = db.session.scalars(insert(Person).returning(Person.id, sort_by_parameter_order=True), people).all()
        for quote in quotes:
            quote["person_id"] = ids[quote["person_id"]]
        db.session.execute(insert(Quote), quotes)
    count = len(quotes)
    people.clear()
    quotes.clear()
    return count
