"""Writing agenda events, in the transaction of the change they record."""
from __future__ import annotations

from ..extensions import db
from .models import Event


def description(*, client_name: str, product_name: str, formula_name: str | None, what: str) -> str:
    """"Pour le client : M. DUPONT Jean, dossier SMAT ACTIVE TNS, SMAT ACTIVE TNS 300, <what>."""
    parts = [f"Pour le client : {client_name}", f"dossier {product_name}"]
    if formula_name:
        parts.append(formula_name)
    return ", ".join(parts) + f", {what.rstrip('.')}."


def record_quote_event(quote, *, kind: str, what: str, product_name: str, formula_name: str | None) -> Event:
    event = Event(
        firm_id=quote.firm_id,
        kind=kind,
        effect_date=quote.effect_date,
        description=description(client_name=quote.client_name, product_name=product_name,
                                formula_name=formula_name, what=what),
        domain=f"Devis n° {quote.reference}",
        person_id=quote.person_id,
        quote_id=quote.id,
    )
    db.session.add(event)
    return event
