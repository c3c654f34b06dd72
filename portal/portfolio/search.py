"""Portefeuille › Recherche: people by name, quotes by number and status, contracts by number,
product, "Avancement", signature state and client name.

Names are matched on Person.search_name ("DUPONT JEAN": upper case, accents removed) with a
range condition (`>= 'DUPONT' AND < 'DUPONU'`) rather than LIKE, so that the
(firm_id, search_name) index serves it on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select

from ..auth.scoping import scoped
from ..extensions import db
from ..formatting import folded
from ..parsing import DATABASE_ID_MAX, whole_number
from ..quotes.models import STATUS_LABELS, Person, Quote, QuoteStatus
from ..quotes.service import EXPIRING
from ..signature.models import Contract, Progress, SignatureState
from ..subscription.models import Subscription
from ..validators import without_control

PAGE_SIZE = 25
MAX_PAGE = 99_999
EVERYONE = "%"
MAX_QUERY = 100
LAST_CHARACTER = "\U0010ffff"
SURROGATES_START, SURROGATES_END = 0xD800, 0xDFFF
#: "Statut devis" beyond the quote's own statuses: the dossier signed, its pieces still awaited.
AWAITING_PIECES = "en_attente_pieces"
QUOTE_STATUS_CHOICES = {**{status.value: label for status, label in STATUS_LABELS.items()},
                        AWAITING_PIECES: "En attente de pièce(s)"}
#: "Signature électronique" in the order SPEC §8 lists them.
SIGNATURE_CHOICES = (SignatureState.SIGNE, SignatureState.EN_COURS, SignatureState.MANUSCRITE, SignatureState.ECHEC)


@dataclass(frozen=True)
class Page:
    items: list
    number: int  # 1-based
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def people(user, text: str, page: int = 1) -> Page | None:
    """None when nothing was asked; "%" lists the whole portfolio, by name."""
    text = without_control(text or "").strip()[:MAX_QUERY]
    if not text:
        return None
    stmt = scoped(select(Person), user)
    if text != EVERYONE:
        prefix = _name_prefix(text)
        if not prefix:
            return Page([], 1, False)
        stmt = _starting_with(stmt, Person.search_name, prefix)
    stmt = stmt.order_by(Person.search_name, Person.id)
    return _page(stmt, page)


def _name_prefix(text: str) -> str:
    """What a typed name is compared with: Person.search_name's form, without "%"."""
    return folded(without_control(text or "").strip()[:MAX_QUERY]).upper().replace("%", "")


def clients_among(people: list[Person]) -> set[int]:
    """Ids of those who are "Client" (a contract exists: a subscribed quote); the others are
    "Prospect". One query for the whole page."""
    if not people:
        return set()
    return set(db.session.scalars(select(Quote.person_id).distinct().where(
        Quote.person_id.in_([person.id for person in people]), Quote.status == QuoteStatus.SOUSCRIT)))


def quotes(user, identifier: str, statuses: list[str], today: date, page: int = 1) -> Page:
    """Quotes (every version) by number prefix ("RIS-00000000", "RIS-0000000034/2") and by
    status as the screens show it (an open quote past its date is "Expiré"); drafts only when
    "Incomplet" is asked."""
    stmt = scoped(select(Quote), user)
    identifier = without_control(identifier or "").strip().upper()[:MAX_QUERY]
    if identifier:
        number, _, version = identifier.partition("/")
        stmt = _starting_with(stmt, Quote.number, number)
        version_number = whole_number(version, 1, DATABASE_ID_MAX)
        if version_number is not None:
            stmt = stmt.where(Quote.version == version_number)
    wanted = [QuoteStatus(value) for value in statuses if value in {s.value for s in QuoteStatus}]
    if QuoteStatus.INCOMPLET not in wanted:  # drafts only when "Incomplet" is ticked
        stmt = stmt.where(Quote.status != QuoteStatus.INCOMPLET)
    conditions = [status_condition(status, today) for status in wanted]
    if AWAITING_PIECES in statuses:
        # Signed (electronically: "Souscrit"; on paper: "Accepté" until the BIA comes back)
        # and the contract still waiting for its first piece.
        conditions.append(Quote.id.in_(select(Contract.quote_id).where(Contract.progress == Progress.EN_ATTENTE_PIECES)))
    if conditions:
        stmt = stmt.where(or_(*conditions))
    stmt = stmt.order_by(Quote.number.desc(), Quote.version.desc())
    return _page(stmt, page)


def status_condition(status: QuoteStatus, today: date):
    """SQL for "shows as `status` today" (quotes.service.status_on, in SQL)."""
    past = and_(Quote.status.in_(EXPIRING), Quote.expires_on < today)
    if status is QuoteStatus.EXPIRE:
        return or_(Quote.status == QuoteStatus.EXPIRE, past)
    if status in EXPIRING:
        return and_(Quote.status == status, or_(Quote.expires_on.is_(None), Quote.expires_on >= today))
    return Quote.status == status


@dataclass(frozen=True)
class ContractCriteria:
    """What the "Contrat" search form asks, as typed; unknown choices are ignored."""
    number: str = ""
    product: str = ""
    progress: tuple[str, ...] = ()
    signature: tuple[str, ...] = ()
    name: str = ""


@dataclass(frozen=True)
class ContractRow:
    contract: Contract
    client: str  # "DUPONT Jean"
    person_id: int | None
    mobile: str  # E.164, decrypted for the rows of the page shown only


def contracts(user, criteria: ContractCriteria, product_codes: set[str], page: int = 1) -> Page:
    """Contracts by number prefix, product, "Avancement", signature state and client name
    prefix, the newest first; each row with the client's name and the mobile phone given
    at the subscription (to call the clients whose pieces are awaited)."""
    stmt = (scoped(select(Contract, Person.last_name, Person.first_name, Subscription.mobile), user)
            .join(Subscription, Subscription.id == Contract.subscription_id)
            .outerjoin(Person, Person.id == Contract.person_id))
    number = without_control(criteria.number or "").strip().upper()[:MAX_QUERY]
    stmt = _starting_with(stmt, Contract.number, number)
    if criteria.product in product_codes:
        stmt = stmt.where(Contract.product_code == criteria.product)
    progress = _chosen(Progress, criteria.progress)
    if progress:
        stmt = stmt.where(Contract.progress.in_(progress))
    signature = _chosen(SignatureState, criteria.signature)
    if signature:
        stmt = stmt.where(Contract.signature_state.in_(signature))
    # As for people, "%" (or nothing) is every client.
    stmt = _starting_with(stmt, Person.search_name, _name_prefix(criteria.name))
    found = _page(stmt.order_by(Contract.id.desc()), page, whole_rows=True)
    rows = [ContractRow(contract, f"{(last or '').upper()} {first or ''}".strip(), contract.person_id, mobile or "")
            for contract, last, first, mobile in found.items]
    return Page(rows, found.number, found.has_next)


def _chosen(choices: type[enum.Enum], values) -> list:
    known = {choice.value: choice for choice in choices}
    return [known[value] for value in values if value in known]


def _page(stmt, page: int, whole_rows: bool = False) -> Page:
    page = max(1, page)
    stmt = stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    rows = (db.session.execute(stmt) if whole_rows else db.session.scalars(stmt)).all()
    return Page(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)


def _starting_with(stmt, column, prefix: str):
    """`column` starts with `prefix`, as a range the index serves: >= prefix and < the next one."""
    if not prefix:
        return stmt
    stmt = stmt.where(column >= prefix)
    after = _next_prefix(prefix)
    return stmt if after is None else stmt.where(column < after)


def _next_prefix(prefix: str) -> str | None:
    """The smallest string after every string starting with `prefix`; None when there is none
    (the prefix is all U+10FFFF). Surrogates are skipped: no database encodes them."""
    kept = prefix.rstrip(LAST_CHARACTER)
    if not kept:
        return None
    following = ord(kept[-1]) + 1
    if SURROGATES_START <= following <= SURROGATES_END:
        following = SURROGATES_END + 1
    return kept[:-1] + chr(following)

