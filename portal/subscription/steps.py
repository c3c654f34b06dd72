"""The fields of the four subscription steps (SPEC §6) and their checks: raw answers as typed
→ the values to store and the French message of each field that is wrong.

Checks read plain values only (the quote's frozen data through `Quoted`), so they can be
fuzzed alone. "Partial" checks are the autosave's: an empty field is not yet an error.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .. import validators
from .models import PERIODICITIES

ANSWER_MAX_LENGTH = 200  # per field: longer than any valid answer, so a message can still say why
CIVILITIES = ("Monsieur", "Madame")
DEBIT_DAYS = (5, 10, 15)
CHECKED = "on"
# Fields whose earlier value never goes back through the link: empty means "keep what is stored".
SECRET_FIELDS = ("nir", "conjoint_nir", "iban")

REQUIRED = "Ce champ est obligatoire."
TNS_REQUIRED = "Cochez cette case : ce produit est réservé aux travailleurs non salariés (TNS)."
ACKNOWLEDGEMENT_REQUIRED = ("Cochez la case pour confirmer que vous avez pris connaissance du Document "
                            "d'Information sur le Produit d'Assurance et de la notice.")


@dataclass(frozen=True)
class Quoted:
    """What the quote fixed and the steps do not change: who is covered, born when."""
    birth_date: date
    has_spouse: bool
    spouse_birth_date: date | None
    children: int
    tns_required: bool
    today: date


@dataclass(frozen=True)
class Stored:
    """The secret values already stored (valid ones), kept when their field comes back empty."""
    nir: str | None = None
    conjoint_nir: str | None = None
    iban: str | None = None


@dataclass
class Checked:
    values: dict = field(default_factory=dict)   # column → value (None when empty or wrong)
    errors: dict = field(default_factory=dict)   # field name → French message


def field_names(step: int, quoted: Quoted) -> tuple[str, ...]:
    if step == 1:
        names = ["civilite", "nom", "nom_naissance", "prenom", "nir", "mobile", "tns", "teletransmission",
                 "opposition_prospection"]
        if quoted.has_spouse:
            names += ["conjoint_prenom", "conjoint_nom", "conjoint_nir"]
        for index in range(1, quoted.children + 1):
            names += [f"enfant{index}_prenom", f"enfant{index}_nom", f"enfant{index}_date_naissance"]
        return tuple(names)
    if step == 2:
        return ("connaissance",)
    if step == 3:
        return ("titulaire", "iban", "bic", "periodicite", "jour_prelevement")
    return ()


def raw_answers(step: int, quoted: Quoted, form) -> dict[str, str]:
    """The step's fields as posted, bounded and without control characters; nothing else."""
    return {name: validators.without_control(str(form.get(name, "") or ""))[:ANSWER_MAX_LENGTH]
            for name in field_names(step, quoted)}


def check(step: int, raw: dict[str, str], quoted: Quoted, stored: Stored, *, partial: bool) -> Checked:
    checked = Checked()
    {1: _personal, 2: _contractual, 3: _payment}.get(step, lambda *args: None)(raw, quoted, stored, checked, partial)
    return checked


def _text(checked: Checked, raw: dict, name: str, column: str, parse, *, required: bool, partial: bool) -> None:
    """One field: its value in `column`, or its message under `name`."""
    text = raw.get(name, "").strip()
    checked.values[column] = None
    if not text:
        if required and not partial:
            checked.errors[name] = REQUIRED
        return
    try:
        checked.values[column] = parse(text)
    except ValueError as error:
        checked.errors[name] = str(error)


def _secret(checked: Checked, raw: dict, name: str, kept: str | None, parse, *, required: bool, partial: bool) -> None:
    """A NIR or an IBAN: typed again, it is checked; left empty, the stored one is checked again
    (the civility it must match may have changed) and kept."""
    text = raw.get(name, "").strip()
    if text:
        _text(checked, raw, name, name, parse, required=required, partial=partial)
        return
    checked.values[name] = None
    if kept:
        try:
            checked.values[name] = parse(kept)
        except ValueError as error:
            checked.errors[name] = str(error)
    elif required and not partial:
        checked.errors[name] = REQUIRED


def _one_of(choices):
    def parse(text: str):
        if text not in choices:
            raise ValueError(f"Choisissez parmi : {', '.join(choices)}.")
        return text
    return parse


def _name(label: str):
    def parse(text: str) -> str:
        if len(text) > 80:
            raise ValueError(f"{label} ne peut pas dépasser 80 caractères.")
        return validators.person_name(text, label)
    return parse


def _personal(raw, quoted: Quoted, stored: Stored, checked: Checked, partial: bool) -> None:
    _text(checked, raw, "civilite", "civility", _one_of(CIVILITIES), required=True, partial=partial)
    civility = checked.values["civility"] or ""
    _text(checked, raw, "nom", "last_name", _name("Le nom"), required=True, partial=partial)
    _text(checked, raw, "nom_naissance", "birth_name", _name("Le nom de naissance"), required=False, partial=partial)
    _text(checked, raw, "prenom", "first_name", _name("Le prénom"), required=True, partial=partial)
    _secret(checked, raw, "nir", stored.nir, lambda text: validators.nir(text, civility, quoted.birth_date),
            required=True, partial=partial)
    _text(checked, raw, "mobile", "mobile", validators.french_mobile, required=True, partial=partial)
    checked.values["tns_declared"] = raw.get("tns") == CHECKED
    if quoted.tns_required and not checked.values["tns_declared"] and not partial:
        checked.errors["tns"] = TNS_REQUIRED
    checked.values["teletransmission"] = raw.get("teletransmission") == CHECKED
    checked.values["prospecting_opt_out"] = raw.get("opposition_prospection") == CHECKED

    spouse = None
    if quoted.has_spouse:
        part = Checked()
        _text(part, raw, "conjoint_prenom", "first_name", _name("Le prénom"), required=True, partial=partial)
        _text(part, raw, "conjoint_nom", "last_name", _name("Le nom"), required=True, partial=partial)
        # The spouse's civility is not asked: its NIR is checked for all but the sex digit.
        _secret(part, raw, "conjoint_nir", stored.conjoint_nir,
                lambda text: validators.nir(text, "", quoted.spouse_birth_date), required=True, partial=partial)
        checked.errors.update(part.errors)
        spouse = {"first_name": part.values["first_name"], "last_name": part.values["last_name"],
                  "birth_date": quoted.spouse_birth_date.isoformat() if quoted.spouse_birth_date else None,
                  "nir": part.values["conjoint_nir"]}
    checked.values["spouse"] = spouse

    children = []
    for index in range(1, quoted.children + 1):
        part = Checked()
        prefix = f"enfant{index}_"
        _text(part, raw, prefix + "prenom", "first_name", _name("Le prénom"), required=True, partial=partial)
        _text(part, raw, prefix + "nom", "last_name", _name("Le nom"), required=True, partial=partial)
        _text(part, raw, prefix + "date_naissance", "birth_date",
              lambda text: validators.birth_date(text, quoted.today), required=True, partial=partial)
        checked.errors.update(part.errors)
        born = part.values["birth_date"]
        children.append({"first_name": part.values["first_name"], "last_name": part.values["last_name"],
                         "birth_date": born.isoformat() if born else None})
    checked.values["children"] = children if quoted.children else None


def _contractual(raw, quoted, stored, checked: Checked, partial: bool) -> None:
    checked.values["acknowledged"] = raw.get("connaissance") == CHECKED
    if not checked.values["acknowledged"] and not partial:
        checked.errors["connaissance"] = ACKNOWLEDGEMENT_REQUIRED


def _payment(raw, quoted, stored: Stored, checked: Checked, partial: bool) -> None:
    _text(checked, raw, "titulaire", "account_holder", _name("Le titulaire du compte"), required=True, partial=partial)
    _secret(checked, raw, "iban", stored.iban, validators.iban, required=True, partial=partial)
    account = checked.values["iban"]
    bic_text = raw.get("bic", "").strip()
    if bic_text:
        _text(checked, raw, "bic", "bic", lambda text: validators.bic(text, account), required=False, partial=partial)
    else:
        checked.values["bic"] = validators.bic_for_iban(account) if account else None
        if account and checked.values["bic"] is None and not partial:
            checked.errors["bic"] = "Indiquez le BIC de votre banque : il figure sur votre RIB."
    _text(checked, raw, "periodicite", "periodicity", _one_of(PERIODICITIES), required=True, partial=partial)
    _text(checked, raw, "jour_prelevement", "debit_day", _debit_day, required=True, partial=partial)


def _debit_day(text: str) -> int:
    if text not in {str(day) for day in DEBIT_DAYS}:
        raise ValueError("Le jour de prélèvement est le 5, le 10 ou le 15 du mois.")
    return int(text)
