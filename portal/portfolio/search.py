"""Portefeuille › Recherche: people by name, quotes by number and status.

Names are matched on Person.search_name ("DUPONT JEAN": upper case, accents removed) with a
range condition (`>= 'DUPONT' AND < 'DUPONU'`) rather than LIKE, so that the
(firm_id, search_name) index serves it on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select

from ..auth.scoping import scoped
from ..extensions import db
from ..formatting import folded
from ..parsing import DATABASE_ID_MAX, whole_number
from ..quotes.models import Person, Quote, QuoteStatus
from ..quotes.service import EXPIRING
from ..validators import without_control

PAGE_SIZE = 25
MAX_PAGE = 99_999
EVERYONE = "%"
MAX_QUERY = 100
LAST_CHARACTER = "\U0010ffff"
SURROGATES_START, SURROGATES_END = 0xD800, 0xDFFF


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
        prefix = folded(text).upper().replace("%", "")
        if not prefix:
            return Page([], 1, False)
        stmt = _starting_with(stmt, Person.search_name, prefix)
    stmt = stmt.order_by(Person.search_name, Person.id)
    return _page(stmt, page)


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
    if wanted:
        stmt = stmt.where(or_(*(status_condition(status, today) for status in wanted)))
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


def _page(stmt, page: int) -> Page:
    page = max(1, page)
    rows = db.session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
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

