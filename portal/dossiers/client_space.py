"""The client space: which dossiers belong to a client account, and the address it may correct.

Which dossiers are the account's: the contracts whose `client_account_id` names it. The link is
made when the contract is signed (electronically, or chosen on paper), to the account of the
address the adhesion e-mail goes to (signature/service.py), so it follows the address that
received the client-space link, not a guess afterwards. The person's e-mail is encrypted at
rest with a random nonce: it cannot be searched by value, and matching every person whose
address is the account's would also hand a client the dossiers of another firm's homonymous
record the day an address is reused. One address that is a client of two firms has one
account, which lists both firms' contracts. "Mes devis" are the quotes of those contracts (the
versions signed). Pieces and files belong through their contract. Anything else answers as
missing (None here, 404 for the views).
"""
from __future__ import annotations

from sqlalchemy import select

from ..auth.models import ClientAccount
from ..catalog.geo import Commune
from ..extensions import db
from ..journal.service import record
from ..quotes.models import Person, Quote
from ..quotes.wizard import checked_commune
from ..signature.models import Contract, Progress
from ..storage.models import StoredFile
from .. import validators
from .models import Piece, PieceFile, PieceStatus
from .service import pieces_of, sent_documents

ADDRESS_MAX_LENGTH = 120
CLIENT_ACTOR = "client"  # how the journal names a client acting in its space


def _own_contracts():
    return select(Contract).where(Contract.progress.is_not(None))


def contracts_of(account: ClientAccount) -> list[Contract]:
    """The account's signed contracts, the latest first."""
    return db.session.scalars(_own_contracts().where(Contract.client_account_id == account.id)
                              .order_by(Contract.created_at.desc(), Contract.id.desc())).all()


def own_contract(account: ClientAccount, contract_id: int) -> Contract | None:
    return db.session.scalar(_own_contracts().where(Contract.id == contract_id,
                                                    Contract.client_account_id == account.id))


def own_piece(account: ClientAccount, piece_id: int) -> Piece | None:
    return db.session.scalar(select(Piece).join(Contract, Contract.id == Piece.contract_id).where(
        Piece.id == piece_id, Contract.client_account_id == account.id, Contract.progress.is_not(None)))


def own_piece_file(account: ClientAccount, piece_file_id: int) -> PieceFile | None:
    return db.session.scalar(select(PieceFile).join(Piece, Piece.id == PieceFile.piece_id)
                             .join(Contract, Contract.id == Piece.contract_id).where(
        PieceFile.id == piece_file_id, Contract.client_account_id == account.id, Contract.progress.is_not(None)))


def quotes_of(account: ClientAccount) -> list[Quote]:
    return db.session.scalars(select(Quote).join(Contract, Contract.quote_id == Quote.id).where(
        Contract.client_account_id == account.id, Contract.progress.is_not(None))
        .order_by(Quote.issued_at.desc(), Quote.id.desc())).all()


def own_quote(account: ClientAccount, quote_id: int) -> Quote | None:
    return next((quote for quote in quotes_of(account) if quote.id == quote_id), None)


def own_document(account: ClientAccount, contract_id: int, stored_file_id: int) -> StoredFile | None:
    contract = own_contract(account, contract_id)
    if contract is None:
        return None
    return next((document for document in sent_documents(contract) if document.id == stored_file_id), None)


def pieces_by_contract(account: ClientAccount) -> list[tuple[Contract, list[Piece]]]:
    """"Vos pièces justificatives en attente": of each contract whose adhesion is not created yet,
    the pieces still expected from the client or being examined (validated ones are done); the
    contracts with none are left out. Built on this first read if they are not yet; the caller
    commits."""
    dossiers = []
    for contract in contracts_of(account):
        if contract.progress is Progress.ADHESION_CREEE:
            continue
        waiting = [piece for piece in pieces_of(contract) if piece.status is not PieceStatus.VALIDEE]
        if waiting:
            dossiers.append((contract, waiting))
    return dossiers


def person_of(account: ClientAccount) -> Person | None:
    """"Mes informations personnelles": the person the account was made for (its latest
    contract's when it has none)."""
    if account.person_id is not None:
        return db.session.get(Person, account.person_id)
    latest = next(iter(contracts_of(account)), None)
    return db.session.get(Person, latest.person_id) if latest and latest.person_id else None


def _persons_of(account: ClientAccount) -> list[Person]:
    """Every record of this client: the account's person and its contracts' (one per firm)."""
    ids = {account.person_id} | {contract.person_id for contract in contracts_of(account)}
    return db.session.scalars(select(Person).where(Person.id.in_(ids - {None})).order_by(Person.id)).all()


def _address_line(form, name: str, label: str, errors: dict, required: bool) -> str:
    text = " ".join(str(form.get(name) or "").split())
    if not text:
        if required:
            errors[name] = f"Saisissez {label[0].lower()}{label[1:]}."
        return text
    if len(text) > ADDRESS_MAX_LENGTH:
        errors[name] = f"{label} compte au plus {ADDRESS_MAX_LENGTH} caractères."
        return text
    try:
        return validators.plain_text(text, label)
    except ValueError as error:
        errors[name] = str(error)
        return text


def correct_address(account: ClientAccount, form) -> dict[str, str]:
    """The client corrects its address: checked as the quote's (a postcode with its commune,
    from the catalog's table), written to every record of the client, each change in the
    journal. Returns the errors by field (nothing is changed then). The caller commits."""
    errors: dict[str, str] = {}
    address = _address_line(form, "adresse", "L'adresse", errors, required=True)
    address2 = _address_line(form, "adresse_complementaire", "L'adresse complémentaire", errors, required=False)
    postcode, commune = checked_commune(form, "code_postal", "ville", errors)
    if errors:
        return errors
    for person in _persons_of(account):
        _move(person, address, address2, commune)
    return {}


def _move(person: Person, address: str, address2: str, commune: Commune) -> None:
    if (person.address, person.address2, person.postcode, person.city) == (address, address2, commune.postcode,
                                                                           commune.name):
        return
    moved_town = (person.postcode, person.city) != (commune.postcode, commune.name)
    person.address, person.address2, person.postcode, person.city = address, address2, commune.postcode, commune.name
    # The address itself is personal data, encrypted in its row: the journal says only what changed.
    record(actor=CLIENT_ACTOR, object_type="personne", object_id=person.id, firm_id=person.firm_id,
           action="Adresse corrigée par le client depuis son espace client",
           detail=f"nouvelle commune : {commune.postcode} {commune.name}" if moved_town else "même commune")
