"""Checks of what people type, shared by every form: each raises ValueError with the French
message shown next to the field. Plain functions, so services and WTForms use the same rules.
"""
from __future__ import annotations

import re
from datetime import date

import phonenumbers
from email_validator import EmailNotValidError, validate_email

CONTROL_OR_MARKUP = re.compile(r"[<>\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NAME = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿŒœ]+(?:[ '’-][A-Za-zÀ-ÖØ-öø-ÿŒœ]+)*\.?")
EMAIL_MAX_LENGTH = 254
OLDEST_BIRTH_YEAR = 1900


def plain_text(value: str, label: str = "Ce champ") -> str:
    """No markup and no control characters in anything stored and printed later."""
    if CONTROL_OR_MARKUP.search(value):
        raise ValueError(f"{label} contient des caractères non autorisés (< > ou caractères de contrôle).")
    return value


def without_control(value: str) -> str:
    """`value` without control characters: what a search or a kept draft may hold (no keyboard
    types them, and PostgreSQL refuses a NUL byte)."""
    return CONTROL.sub("", value)


def person_name(value: str, label: str = "Le nom") -> str:
    """Letters (accents included), spaces, hyphens, apostrophes: "D'Artagnan", "Le Goff-Hervé"."""
    value = " ".join(value.split())
    plain_text(value, label)
    if not NAME.fullmatch(value):
        raise ValueError(f"{label} ne peut contenir que des lettres, des espaces, des tirets et des apostrophes.")
    return value


def parse_date(text: str) -> date:
    """jj/mm/aaaa as typed, or aaaa-mm-jj as a date picker sends it."""
    text = text.strip()
    match = re.fullmatch(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", text)
    if match:
        day_, month, year = (int(part) for part in match.groups())
    else:
        match = re.fullmatch(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", text)
        if not match:
            raise ValueError("Date invalide : saisissez-la au format jj/mm/aaaa.")
        year, month, day_ = (int(part) for part in match.groups())
    try:
        return date(year, month, day_)
    except ValueError:
        raise ValueError("Cette date n'existe pas dans le calendrier.") from None


def birth_date(text: str, today: date) -> date:
    value = parse_date(text)
    if value > today:
        raise ValueError("La date de naissance ne peut pas être dans le futur.")
    if value.year < OLDEST_BIRTH_YEAR:
        raise ValueError(f"La date de naissance doit être postérieure à {OLDEST_BIRTH_YEAR}.")
    return value


def email_address(text: str) -> str:
    """A syntactically valid address, normalised (domain lower-case); no DNS look-up."""
    text = text.strip()
    if len(text) > EMAIL_MAX_LENGTH:
        raise ValueError(f"L'adresse e-mail compte au plus {EMAIL_MAX_LENGTH} caractères.")
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError("Adresse e-mail invalide (exemple : prenom.nom@exemple.fr).") from None


def french_mobile(text: str) -> str:
    """A French mobile (06, 07, or +33 6 / +33 7) → E.164 "+33612345678"."""
    digits = re.sub(r"[\s.\-]", "", text)
    try:
        number = phonenumbers.parse(digits, "FR")
    except phonenumbers.NumberParseException:
        raise ValueError("Numéro de téléphone portable invalide (exemple : 06 12 34 56 78).") from None
    if (number.country_code != 33 or not phonenumbers.is_valid_number(number)
            or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE):
        raise ValueError("Saisissez un numéro de portable français (06 ou 07, exemple : 06 12 34 56 78).")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_mobile(e164: str) -> str:
    """"+33612345678" → "06 12 34 56 78"."""
    if len(e164) == 12 and e164.startswith("+33"):
        return f"0{e164[3]} {e164[4:6]} {e164[6:8]} {e164[8:10]} {e164[10:12]}"
    return e164
