"""The contracts export for management: its columns and pieces in CSV and XLSX, cells made inert,
a broker's own firm only, every firm or one for the back-office, and rows streamed in batches."""
from __future__ import annotations

import io
import tracemalloc
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, inspect, select

from portal.auth.models import Role
from portal.dossiers.models import Piece, PieceStatus
from portal.dossiers.service import pieces_of
from portal.extensions import db
from portal.portfolio import exports
from portal.quotes.models import Quote
from portal.signature.models import Contract, SignatureState
from portal.subscription.models import Subscription

from .test_exports_and_daily import logged_in, read_csv
from .test_reminders import e_signed_contract

HEADINGS = ["Contrat n°", "Cabinet", "Produit", "Formule", "Client", "Signature électronique", "Avancement", "Signé le",
            "Cotisation totale TTC", "Pièces reçues", "Pièces validées", "Pièces manquantes",
            "Types des pièces manquantes"]


@pytest.fixture
def contract(signing_dossier, outbox, quote_day) -> Contract:
    return e_signed_contract(signing_dossier, outbox)


def mandatory_pieces(contract: Contract) -> list[Piece]:
    return db.session.scalars(select(Piece).where(Piece.contract_id == contract.id, Piece.mandatory.is_(True))
                              .order_by(Piece.id)).all()


def rows_in_every_table() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def test_the_csv_lists_each_contract_with_its_avancement_and_pieces(client, contract):
    assert db.session.scalar(select(func.count()).select_from(Piece)) == 0  # nobody opened it
    before = rows_in_every_table()
    commits = []

    def committed(conn):
        commits.append(conn)

    event.listen(db.engine, "commit", committed)
    try:
        response = client.get("/exports/contrats.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        rows = read_csv(response)
    finally:
        event.remove(db.engine, "commit", committed)
    # A GET that writes nothing: the pieces are counted as the first read would build them.
    assert rows_in_every_table() == before and commits == []
    assert 'filename="contrats-2026-11-20.csv"' in response.headers["Content-Disposition"]
    assert rows[0] == HEADINGS
    pieces_of(contract)  # the contract opened: its pieces built
    db.session.commit()
    labels = [piece.label for piece in mandatory_pieces(contract)]
    annual = f"{contract.annual:.2f}".replace(".", ",")
    assert len(labels) >= 2 and rows[1:] == [
        [contract.number, "Cabinet Démo Courtage", "SMAT ACTIVE TNS", "SMAT ACTIVE TNS 300", "M. DUPONT Jean", "Signé",
         "En attente de pièces", "20/11/2026", annual, "0", "0", str(len(labels)), " ; ".join(labels)]]
    assert read_csv(client.get("/exports/contrats.csv")) == rows  # the same, read from the pieces built

    first, second, *others = mandatory_pieces(contract)
    first.status, second.status = PieceStatus.RECUE, PieceStatus.VALIDEE
    db.session.commit()
    [row] = read_csv(client.get("/exports/contrats.csv"))[1:]
    assert row[9:] == ["1", "1", str(len(others)), " ; ".join(piece.label for piece in others)]


def test_a_contract_signed_by_hand_counts_its_paper_pieces_before_it_is_opened(client, contract):
    contract.signature_state = SignatureState.MANUSCRITE
    db.session.commit()
    [unopened] = read_csv(client.get("/exports/contrats.csv"))[1:]
    assert db.session.scalar(select(func.count()).select_from(Piece)) == 0
    pieces_of(contract)
    db.session.commit()
    [opened] = read_csv(client.get("/exports/contrats.csv"))[1:]
    assert unopened == opened and opened[12].startswith("Bulletin individuel d'adhésion daté et signé ; ")


def test_the_xlsx_has_typed_dates_amounts_and_counts(client, contract):
    response = client.get("/exports/contrats.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True)["Contrats"]
    headings, row = list(sheet.iter_rows(values_only=True))
    assert list(headings) == HEADINGS
    assert row[0] == contract.number and row[7].date() == date(2026, 11, 20)
    pieces_of(contract)
    assert row[8] == pytest.approx(float(contract.annual)) and row[9:12] == (0, 0, len(mandatory_pieces(contract)))
    assert client.get("/exports/contrats.pdf").status_code == 404


def test_text_starting_like_a_formula_is_inert_in_both_formats(client, contract):
    contract.quote.last_name, contract.quote.first_name, contract.quote.civility = "=1+1", "", None
    contract.quote.firm.name = "@SUM(A1)"
    db.session.commit()
    pieces_of(contract)
    piece = mandatory_pieces(contract)[0]
    piece.label = "+cmd|' /C calc'!A0"
    db.session.commit()
    [row] = read_csv(client.get("/exports/contrats.csv"))[1:]
    assert row[1] == "'@SUM(A1)" and row[4] == "'=1+1" and row[12].startswith("'+cmd|")
    sheet = load_workbook(io.BytesIO(client.get("/exports/contrats.xlsx").data))["Contrats"]
    cells = list(sheet.iter_rows(min_row=2, max_row=2))[0]
    assert all(cell.data_type != "f" for cell in cells)
    assert (cells[1].value, cells[4].value) == ("'@SUM(A1)", "'=1+1") and cells[12].value.startswith("'+cmd|")


def test_a_broker_exports_its_firm_only_the_back_office_every_firm_or_one(app, client, contract, make_firm, make_user):
    other_firm = make_firm(name="Autre Cabinet", email="contact@autre-cabinet.fr")
    make_user(email="courtier@autre-cabinet.fr", firm=other_firm)
    make_user(email="gestion@mes-solutions-plus.fr", role=Role.BACKOFFICE)
    [moved] = copies_of(contract, 1)
    moved.firm_id = other_firm.id
    db.session.commit()
    numbers = lambda browser, query="": [row[0] for row in read_csv(browser.get(f"/exports/contrats.csv{query}"))[1:]]

    other_broker = logged_in(app, "courtier@autre-cabinet.fr")
    assert numbers(other_broker) == [moved.number]
    # Asking for another firm changes nothing for a broker.
    assert numbers(other_broker, f"?cabinet={contract.firm_id}") == [moved.number]
    assert numbers(client) == [contract.number]
    backoffice = logged_in(app, "gestion@mes-solutions-plus.fr")
    assert numbers(backoffice) == sorted([contract.number, moved.number], reverse=True)
    assert numbers(backoffice, f"?cabinet={other_firm.id}") == [moved.number]
    assert numbers(backoffice, "?cabinet=abc") == sorted([contract.number, moved.number], reverse=True)
    page = backoffice.get("/exports").get_data(as_text=True)
    assert "Exporter les contrats" in page and "/exports/contrats.xlsx" in page


def test_the_rows_stream_in_batches_from_the_database_to_the_csv(app, contract, monkeypatch):
    copies_of(contract, 5)
    db.session.commit()
    monkeypatch.setattr(exports, "BATCH", 2)
    piece_queries = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("SELECT piece.contract_id"):
            piece_queries.append(statement)

    taken = []

    def counted(rows):
        for row in rows:
            taken.append(row)
            yield row

    broker = db.session.get(Quote, contract.quote_id).broker
    chunks = exports.csv_chunks(exports.CONTRACTS, counted(exports.contract_rows(broker)))
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        first = next(chunks)
        # The first chunk left after two rows, the pieces of the first batch only read (counts, then
        # the missing ones' types).
        assert len(taken) == 2 and len(piece_queries) == 2
        assert first.count("\r\n") == 3
        rest = list(chunks)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert len(taken) == 6 and len(piece_queries) == 6
    assert sum(chunk.count("\r\n") for chunk in rest) == 4


def test_the_xlsx_writer_holds_no_more_than_a_row_at_a_time():
    """Written through openpyxl's write-only mode: 20 000 rows cost the writer a small part of
    what they would hold as a list."""
    def rows(count):
        for n in range(count):
            yield (f"RIS-{n:010d}", "Cabinet Démo Courtage", "SMAT ACTIVE TNS", "SMAT ACTIVE TNS 300",
                   f"M. DUPONT Jean {n}", "Signé", "En attente de pièces", date(2026, 11, 20), Decimal("1382.76"),
                   n % 3, n % 2, 2, "Copie de votre pièce d'identité ; Relevé d'identité bancaire")

    tracemalloc.start()
    try:
        held = list(rows(20_000))
        as_a_list = tracemalloc.get_traced_memory()[0]
        del held
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        path = exports.xlsx_file(exports.CONTRACTS, rows(20_000))
        writer_peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    sheet = load_workbook(path, read_only=True)["Contrats"]
    assert sum(1 for _ in sheet.iter_rows()) == 20_001
    assert writer_peak < as_a_list / 4, (writer_peak, as_a_list)


def copies_of(contract: Contract, count: int) -> list[Contract]:
    """`count` more contracts like `contract`, each with its own quote and subscription."""
    copies = []
    for n in range(1, count + 1):
        quote = clone(contract.quote, number=f"RIS-9{n:09d}", creation_key=None)
        db.session.flush()
        subscription = Subscription(quote_id=quote.id, firm_id=contract.firm_id)
        db.session.add(subscription)
        db.session.flush()
        copies.append(clone(contract, number=f"RIS-8{n:09d}", quote_id=quote.id, subscription_id=subscription.id))
    db.session.flush()
    return copies


def clone(row, **changes):
    model = type(row)
    values = {attr.key: getattr(row, attr.key) for attr in inspect(model).column_attrs if attr.key != "id"}
    copy = model(**{**values, **changes})
    db.session.add(copy)
    return copy
