"""The three documents the subscriber signs — "Fiche d'information précontractuelle", "Bulletin
individuel d'adhésion" and "Mandat de prélèvement SEPA" — rendered from plain data that the
subscription steps fill, so that rendering reads no database row and can be tested alone.

The NIR and the IBAN are carried in full (the insurer's systems need them) but every document
prints them masked but for their last characters: a PDF travels by e-mail.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..catalog.loader import get_catalog
from ..catalog.pricing import instalment
from ..documents.render import render_pdf
from ..validators import display_mobile, masked

PAYMENT_DAYS = (5, 10, 15)
# The SEPA mandate reference (RUM): at most 35 characters of the SEPA set; the portal writes
# MSP-<quote number without its dash>-<aaaammjj>-<6 random characters>, upper case, no space.
MANDATE_REFERENCE_MAX_LENGTH = 35
MANDATE_REFERENCE = re.compile(r"[A-Za-z0-9/?:().,'+-]{1,35}")
MANDATE_PREFIX = "MSP"
MANDATE_RANDOM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread on paper
MANDATE_RANDOM_LENGTH = 6

FICHE_CONSEIL = "fiche_conseil.html"
BULLETIN = "bia_adhesion.html"
MANDAT_SEPA = "mandat_sepa.html"


def mandate_reference(quote_number: str, on: date) -> str:
    """A new unique mandate reference ("RUM") for the quote numbered `quote_number` ("RIS-0000000001")."""
    number = re.sub(r"[^A-Z0-9]", "", quote_number.upper())
    random_part = "".join(secrets.choice(MANDATE_RANDOM_ALPHABET) for _ in range(MANDATE_RANDOM_LENGTH))
    reference = f"{MANDATE_PREFIX}-{number}-{on:%Y%m%d}-{random_part}"
    if not is_mandate_reference(reference):
        raise ValueError(f"Numéro de devis trop long pour une référence de mandat : {quote_number}")
    return reference


def is_mandate_reference(text: str) -> bool:
    """The SEPA rules for a RUM: 1 to 35 characters of the SEPA set, no space, not starting or
    ending with "/" and no "//"."""
    return (MANDATE_REFERENCE.fullmatch(text) is not None and not text.startswith("/")
            and not text.endswith("/") and "//" not in text)


@dataclass(frozen=True)
class FirmIdentity:
    name: str
    orias: str
    address: str
    phone: str
    email: str


@dataclass(frozen=True)
class Subscriber:
    civility: str
    last_name: str
    first_name: str
    birth_name: str | None
    birth_date: date
    nir: str
    address: str
    postcode: str
    city: str
    country: str
    mobile: str  # E.164, "+33612345678"
    email: str

    @property
    def nir_masked(self) -> str:
        return masked(self.nir)

    @property
    def mobile_display(self) -> str:
        return display_mobile(self.mobile)

    @property
    def full_name(self) -> str:
        return f"{self.civility} {self.last_name.upper()} {self.first_name}"


@dataclass(frozen=True)
class CoveredPerson:
    relation: str  # "Conjoint(e)" or "Enfant"
    last_name: str
    first_name: str
    birth_date: date
    nir: str | None = None  # the spouse's; children are on a parent's

    @property
    def nir_masked(self) -> str:
        return masked(self.nir) if self.nir else ""


@dataclass(frozen=True)
class NeedAnswer:
    label: str
    asked: str
    covered: str
    met: bool


@dataclass(frozen=True)
class PriceItem:
    label: str
    amount: Decimal


@dataclass(frozen=True)
class SubscriptionDocumentData:
    """Everything the three documents print, as the subscription steps collected it."""
    firm: FirmIdentity
    broker_name: str
    subscriber: Subscriber
    covered: tuple[CoveredPerson, ...]
    regime: str
    product_name: str
    formula_name: str
    option_names: tuple[str, ...]
    price_lines: tuple[PriceItem, ...]
    monthly: Decimal
    association_notice: str | None
    periodicity: str  # Mensuel, Trimestriel, Semestriel or Annuel
    payment_day: int
    account_holder: str
    iban: str
    bic: str
    mandate_reference: str
    quote_number: str
    quote_version: int
    effect_date: date
    made_on: date
    needs: tuple[NeedAnswer, ...]
    recommended: str | None  # the formula and options advised, as printed
    chosen: str
    tns_declared: bool
    teletransmission: bool
    prospecting_opt_out: bool
    pieces: tuple[str, ...]

    def __post_init__(self):
        if self.payment_day not in PAYMENT_DAYS:
            raise ValueError(f"Jour de prélèvement : {', '.join(map(str, PAYMENT_DAYS))} attendu.")
        if not is_mandate_reference(self.mandate_reference):
            raise ValueError("Référence de mandat SEPA invalide.")
        instalment(self.monthly, self.periodicity, get_catalog().tariff)  # an unknown periodicity raises

    @property
    def instalment(self) -> Decimal:
        return instalment(self.monthly, self.periodicity, get_catalog().tariff)

    @property
    def annual(self) -> Decimal:
        return self.monthly * 12

    @property
    def iban_masked(self) -> str:
        return masked(self.iban)

    @property
    def differs_from_advice(self) -> bool:
        return self.recommended is not None and self.recommended != self.chosen


def render_fiche_conseil(data: SubscriptionDocumentData) -> bytes:
    return render_pdf(FICHE_CONSEIL, _context(data))


def render_bulletin(data: SubscriptionDocumentData) -> bytes:
    return render_pdf(BULLETIN, _context(data))


def render_mandate(data: SubscriptionDocumentData) -> bytes:
    return render_pdf(MANDAT_SEPA, _context(data))


def _context(data: SubscriptionDocumentData) -> dict:
    """The data, and the names the paper BIA's shared parts (header, price table) read."""
    association = {"notice": data.association_notice} if data.association_notice else None
    return {
        "data": data, "insurer": get_catalog().insurer, "firm": data.firm,
        "broker": {"display_name": data.broker_name},
        "product": {"name": data.product_name, "association": association},
        "formula": {"name": data.formula_name}, "options": [{"name": name} for name in data.option_names],
        "price": {"lines": data.price_lines, "monthly": data.monthly, "annual": data.annual},
        "pieces": [{"label": label} for label in data.pieces],
    }
