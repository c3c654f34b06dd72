"""Export of the unconverted quotes (shown "Validé", every version): the list a broker calls back.

Both formats stream: rows are read from the database in batches (a server-side cursor on
PostgreSQL) and written out as they come, so 100 000 rows neither time out nor sit in memory.
CSV is what French Excel opens directly: UTF-8 with a BOM, ";" separators, dd/mm/yyyy dates and
decimal commas. XLSX is written by openpyxl's write-only mode into a temporary file. In both,
text that a spreadsheet would run as a formula is made inert (`inert_text`).
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
from datetime import date
from typing import Iterator

from openpyxl import Workbook
from sqlalchemy import select

from ..auth.models import Firm, User
from ..auth.scoping import scoped
from ..catalog.loader import get_catalog
from ..extensions import db
from ..formatting import day, number
from ..quotes.models import Quote, QuoteStatus
from ..validators import display_mobile, without_control
from .search import status_condition

COLUMNS = ("Prospect", "E-mail", "Téléphone", "Devis n°", "Version", "Produit", "Formule", "Cotisation mensuelle",
           "Créé le", "Date de validité", "Vendeur")
BATCH = 2000
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TITLES = {"Madame": "Mme", "Monsieur": "M."}


def unconverted_rows(user, today: date, firm_id: int | None = None) -> Iterator[tuple]:
    """(prospect, e-mail, phone, number, version, product, formula, monthly, created, valid until,
    seller) of every quote shown "Validé" today, newest first; raw values (dates, Decimal)."""
    catalog = get_catalog()
    names = {p.code: p.name for p in catalog.products}
    formulas = {(p.code, f.code): f.name for p in catalog.products for f in p.formulas}
    stmt = (scoped(select(Quote.civility, Quote.last_name, Quote.first_name, Quote.email, Quote.mobile, Quote.number,
                          Quote.version, Quote.product_code, Quote.formula_code, Quote.monthly, Quote.issued_on,
                          Quote.expires_on, User.first_name, User.last_name), user, Quote.firm_id)
            .join(User, User.id == Quote.broker_id)
            .where(status_condition(QuoteStatus.VALIDE, today))
            .order_by(Quote.issued_on.desc(), Quote.id.desc())
            .execution_options(stream_results=True, yield_per=BATCH))
    if firm_id is not None:
        stmt = stmt.where(Quote.firm_id == firm_id)
    # Core rows, not ORM ones: nothing to track, a third of the time per row.
    for (civility, last, first, email, mobile, quote_number, version, product, formula, monthly, issued, expires,
         seller_first, seller_last) in db.session.connection().execute(stmt):
        title = TITLES.get(civility, "")
        prospect = f"{title} {(last or '').upper()} {first or ''}".strip()
        yield (prospect, email or "", display_mobile(mobile or ""), quote_number, version, names.get(product, product),
               formulas.get((product, formula), formula), monthly, issued, expires, f"{seller_first} {seller_last}".strip())


def csv_chunks(rows: Iterator[tuple]) -> Iterator[str]:
    """The CSV text in chunks of about BATCH rows, BOM and header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(COLUMNS)
    for count, row in enumerate(rows, 1):
        writer.writerow(_french(_inert(row)))
        if count % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_file(rows: Iterator[tuple]) -> str:
    """Path of a temporary .xlsx holding the rows (dates and amounts typed); the caller removes it."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Devis non transformés")
    sheet.append(COLUMNS)
    for row in rows:
        *head, monthly, issued, expires, seller = _inert(row)
        sheet.append([*head, float(monthly) if monthly is not None else None, issued, expires, seller])
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    workbook.save(path)
    return path


def firms() -> list[Firm]:
    return db.session.scalars(select(Firm).order_by(Firm.name)).all()


def inert_text(value: str) -> str:
    """A cell's text that no spreadsheet runs: one starting like a formula (=, +, -, @, tab,
    carriage return) gets a leading apostrophe, OWASP's rule against CSV injection, and the
    XLSX then stores it as text. Control characters, which XLSX cannot hold, are dropped."""
    value = without_control(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _inert(row: tuple) -> tuple:
    return tuple(inert_text(value) if isinstance(value, str) else value for value in row)


def _french(row: tuple) -> tuple:
    *head, monthly, issued, expires, seller = row
    return (*head, number(monthly) if monthly is not None else "", day(issued), day(expires), seller)
