"""The SEPA direct-debit file (pain.008.001.02, written and checked against its schema by
sepaxml) of the contracts "Adhésion créée", for one collection date: the back-office hands it
to the insurer's bank.

A contract is in the file of a date when its client chose that day of the month (5, 10 or 15),
its effect date is on or before it, and its periodicity falls due that month, counted from
the month of the effect date (every 1, 3, 6 or 12 months). The amount is that periodicity's
instalment (catalog.pricing.instalment, as the mandate and the BIA print it). Every
collection is "RCUR": the EPC rulebook allows it for a first collection since November 2016,
and the portal keeps no history of collections that "FRST" would need.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app
from sepaxml import SepaDD
from sqlalchemy import select

from ..catalog.loader import get_catalog
from ..catalog.pricing import instalment
from ..clock import PARIS, as_utc
from ..extensions import db
from ..quotes.models import Quote
from ..signature.models import Contract, Progress
from ..subscription.models import Subscription
from ..subscription.steps import DEBIT_DAYS

SCHEMA = "pain.008.001.02"


class SepaError(ValueError):
    """A file that cannot be made, with the French message to show."""


@dataclass(frozen=True)
class DebitFile:
    xml: bytes
    payments: int
    total: Decimal


def debit_file(collection: date) -> DebitFile:
    """The pain.008 of `collection` (SepaError when the insurer's account is not configured or
    the day is not a debit day the clients may choose)."""
    if collection.day not in DEBIT_DAYS:
        raise SepaError(f"Les prélèvements ont lieu le {', le '.join(map(str, DEBIT_DAYS))} du mois.")
    catalog = get_catalog()
    iban, bic = current_app.config.get("SEPA_CREDITOR_IBAN", ""), current_app.config.get("SEPA_CREDITOR_BIC", "")
    if not (iban and bic):
        raise SepaError("Le compte de l'assureur pour les prélèvements n'est pas configuré "
                        "(SEPA_CREDITOR_IBAN et SEPA_CREDITOR_BIC).")
    sepa = SepaDD({"name": catalog.insurer.name, "IBAN": iban, "BIC": bic, "batch": True,
                   "creditor_id": catalog.insurer.sepa_creditor_id, "currency": "EUR"}, schema=SCHEMA)
    payments, total = 0, Decimal(0)
    rows = db.session.execute(
        select(Contract, Subscription, Quote).join(Subscription, Subscription.id == Contract.subscription_id)
        .join(Quote, Quote.id == Contract.quote_id)
        .where(Contract.progress == Progress.ADHESION_CREEE, Subscription.debit_day == collection.day,
               Quote.effect_date <= collection)
        .order_by(Contract.number))
    for contract, subscription, quote in rows:
        periodicity = contract.periodicity.capitalize()
        months = catalog.tariff.periodicities[periodicity]
        if _months_between(quote.effect_date, collection) % months:
            continue
        amount = instalment(quote.monthly, periodicity, catalog.tariff)
        payment = {"name": subscription.account_holder, "IBAN": subscription.iban, "amount": int(amount * 100),
                   "type": "RCUR", "collection_date": collection, "mandate_id": subscription.mandate_reference,
                   "mandate_date": as_utc(contract.signed_at).astimezone(PARIS).date(),
                   "description": f"{catalog.product(contract.product_code).name} contrat {contract.number} "
                                  f"echeance {collection:%m/%Y}",
                   "endtoend_id": f"{contract.number}-{collection:%Y%m%d}"}
        if subscription.bic:
            payment["BIC"] = subscription.bic
        sepa.add_payment(payment)
        payments += 1
        total += amount
    if not payments:
        raise SepaError(f"Aucun prélèvement le {collection:%d/%m/%Y} : aucun contrat « Adhésion créée » n'est "
                        "à prélever ce jour-là.")
    return DebitFile(sepa.export(validate=True), payments, total)


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month
