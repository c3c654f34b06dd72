"""The exports for management: the unconverted quotes (shown "Validé", every version), the list
a broker calls back; and the contracts with their "Avancement" and pieces.

Both stream through one writer (`csv_chunks`, `xlsx_file`) driven by the export's `Sheet`:
rows are read from the database in batches (a server-side cursor on PostgreSQL) and written
out as they come, so 100 000 rows neither time out nor sit in memory. CSV is what French
Excel opens directly: UTF-8 with a BOM, ";" separators, dd/mm/yyyy dates and decimal commas.
XLSX is written by openpyxl's write-only mode into a temporary file, dates and amounts typed.
In both, text that a spreadsheet would run as a formula is made inert (`inert_text`).
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterator

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import load_only

from ..auth.models import Firm, User
from ..auth.scoping import scoped
from ..catalog.loader import get_catalog
from ..clock import PARIS, as_utc
from ..dossiers.counts import PieceCounts, piece_counts
from ..dossiers.service import asked_pieces
from ..extensions import db
from ..formatting import day, number
from ..quotes.models import Quote, QuoteStatus
from ..signature.models import Contract
from ..validators import display_mobile, without_control
from .search import status_condition

BATCH = 2000
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TITLES = {"Madame": "Mme", "Monsieur": "M."}
MISSING_SEPARATOR = " ; "

# The kinds of cell, and how each is written in the CSV and in the XLSX (None: as it is).
TEXT, COUNT, AMOUNT, DATE = "text", "count", "amount", "date"
CSV_CELLS: dict[str, Callable | None] = {TEXT: None, COUNT: None, DATE: day,
                                         AMOUNT: lambda value: "" if value is None else number(value)}
XLSX_CELLS: dict[str, Callable | None] = {TEXT: None, COUNT: None, DATE: None,
                                          AMOUNT: lambda value: None if value is None else float(value)}


@dataclass(frozen=True)
class Sheet:
    """An export's shape: the XLSX sheet's title, and its columns as (heading, kind)."""
    title: str
    columns: tuple[tuple[str, str], ...]

    @property
    def headings(self) -> list[str]:
        return [heading for heading, _ in self.columns]

    def writer(self, cells: dict[str, Callable | None]) -> Callable[[tuple], list]:
        """The function that turns a row into the cells written: every str made inert, the
        other kinds converted by `cells`. Built once per export: rows are many."""
        converted = [(index, cells[kind]) for index, (_, kind) in enumerate(self.columns) if cells[kind] is not None]

        def write(row: tuple) -> list:
            out = [inert_text(value) if isinstance(value, str) else value for value in row]
            for index, convert in converted:
                out[index] = convert(out[index])
            return out
        return write


UNCONVERTED = Sheet("Devis non transformés", (
    ("Prospect", TEXT), ("E-mail", TEXT), ("Téléphone", TEXT), ("Devis n°", TEXT), ("Version", COUNT),
    ("Produit", TEXT), ("Formule", TEXT), ("Cotisation mensuelle", AMOUNT), ("Créé le", DATE),
    ("Date de validité", DATE), ("Vendeur", TEXT)))


def unconverted_rows(user, today: date, firm_id: int | None = None) -> Iterator[tuple]:
    """(prospect, e-mail, phone, number, version, product, formula, monthly, created, valid until,
    seller) of every quote shown "Validé" today, newest first; raw values (dates, Decimal)."""
    names, formulas = _catalog_names()
    stmt = (scoped(select(Quote.civility, Quote.last_name, Quote.first_name, Quote.email, Quote.mobile, Quote.number,
                          Quote.version, Quote.product_code, Quote.formula_code, Quote.monthly, Quote.issued_on,
                          Quote.expires_on, User.first_name, User.last_name), user, Quote.firm_id)
            .join(User, User.id == Quote.broker_id)
            .where(status_condition(QuoteStatus.VALIDE, today))
            .order_by(Quote.issued_on.desc(), Quote.id.desc()))
    if firm_id is not None:
        stmt = stmt.where(Quote.firm_id == firm_id)
    for (civility, last, first, email, mobile, quote_number, version, product, formula, monthly, issued, expires,
         seller_first, seller_last) in _stream(stmt):
        yield (_person(civility, last, first), email or "", display_mobile(mobile or ""), quote_number, version,
               names.get(product, product), formulas.get((product, formula), formula), monthly, issued, expires,
               f"{seller_first} {seller_last}".strip())


CONTRACTS = Sheet("Contrats", (
    ("Contrat n°", TEXT), ("Cabinet", TEXT), ("Produit", TEXT), ("Formule", TEXT), ("Client", TEXT),
    ("Signature électronique", TEXT), ("Avancement", TEXT), ("Signé le", DATE), ("Cotisation totale TTC", AMOUNT),
    ("Pièces reçues", COUNT), ("Pièces validées", COUNT), ("Pièces manquantes", COUNT),
    ("Types des pièces manquantes", TEXT)))


def contract_rows(user, firm_id: int | None = None) -> Iterator[tuple]:
    """(number, firm, product, formula, client, signature, Avancement, signed on, annual premium,
    pieces received, validated, missing, the missing ones' types) of every contract `user`
    sees (of `firm_id` only when given), newest number first.

    The rows stream from the first one, each batch of contracts reading its pieces' counts in
    SQL; a signed contract nobody has opened yet has no piece rows: its pieces are counted as
    its first read would build them, all missing, and nothing is written."""
    stmt = (scoped(select(Contract.id, Contract.number, Firm.name, Contract.product_code, Contract.formula_code,
                          Quote.civility, Quote.last_name, Quote.first_name, Contract.signature_state,
                          Contract.progress, Contract.signed_at, Contract.annual, Contract.quote_id),
                   user, Contract.firm_id)
            .join(Firm, Firm.id == Contract.firm_id).join(Quote, Quote.id == Contract.quote_id)
            .order_by(Contract.number.desc()))
    if firm_id is not None:
        stmt = stmt.where(Contract.firm_id == firm_id)
    return _contract_lines(stmt)


def _contract_lines(stmt) -> Iterator[tuple]:
    names, formulas = _catalog_names()
    for batch in _stream(stmt).partitions():
        pieces = piece_counts([row[0] for row in batch], missing_types=True)
        pieces.update(_unbuilt_counts(batch, pieces))
        for (contract_id, contract_number, firm, product, formula, civility, last, first, signature, progress,
             signed_at, annual, _) in batch:
            counts = pieces.get(contract_id, PieceCounts())
            yield (contract_number, firm, names.get(product, product), formulas.get((product, formula), formula),
                   _person(civility, last, first), signature.label, progress.label if progress else "",
                   as_utc(signed_at).astimezone(PARIS).date() if signed_at else None, annual, counts.received,
                   counts.validated, counts.missing, MISSING_SEPARATOR.join(counts.missing_types))


def _unbuilt_counts(batch, built: dict[int, PieceCounts]) -> dict[int, PieceCounts]:
    """The counts of the batch's signed contracts that have no piece rows yet, from what
    `asked_pieces` lists for them: nothing received, every mandatory one missing."""
    unbuilt = [row for row in batch if row.progress is not None and row.id not in built]
    if not unbuilt:
        return {}
    # Only what the catalog's list reads: no personal data to decrypt.
    quotes = {quote.id: quote for quote in db.session.scalars(
        select(Quote).options(load_only(Quote.has_spouse, Quote.children))
        .where(Quote.id.in_([row.quote_id for row in unbuilt])))}
    counts = {}
    for row in unbuilt:
        missing = tuple(label for _, label, mandatory in asked_pieces(quotes[row.quote_id], row.product_code,
                                                                      row.signature_state) if mandatory)
        counts[row.id] = PieceCounts(missing=len(missing), missing_types=missing)
    return counts


def _stream(stmt) -> Iterator[tuple]:
    """The statement's Core rows in batches of BATCH (a server-side cursor on PostgreSQL): not
    ORM ones, nothing to track, a third of the time per row."""
    return db.session.connection().execute(stmt.execution_options(stream_results=True, yield_per=BATCH))


def _catalog_names() -> tuple[dict, dict]:
    catalog = get_catalog()
    return ({p.code: p.name for p in catalog.products},
            {(p.code, f.code): f.name for p in catalog.products for f in p.formulas})


def _person(civility: str | None, last: str | None, first: str | None) -> str:
    """"M. DUPONT Jean", as the portfolio writes a client."""
    return f"{TITLES.get(civility, '')} {(last or '').upper()} {first or ''}".strip()


def csv_chunks(sheet: Sheet, rows: Iterator[tuple]) -> Iterator[str]:
    """The CSV text in chunks of about BATCH rows, BOM and header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(sheet.headings)
    cells = sheet.writer(CSV_CELLS)
    for count, row in enumerate(rows, 1):
        writer.writerow(cells(row))
        if count % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_file(sheet: Sheet, rows: Iterator[tuple]) -> str:
    """Path of a temporary .xlsx holding the rows (dates and amounts typed); the caller removes it."""
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet.title)
    worksheet.append(sheet.headings)
    cells = sheet.writer(XLSX_CELLS)
    for row in rows:
        worksheet.append(cells(row))
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
