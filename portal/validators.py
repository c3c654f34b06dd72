"""Checks of what people type, shared by every form: each raises ValueError with the French
message shown next to the field. Plain functions, so services and WTForms use the same rules.
"""
from __future__ import annotations

import re
from datetime import date

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.exceptions import ValidationError
from stdnum.fr import nir as stdnum_nir

CONTROL_OR_MARKUP = re.compile(r"[<>\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NAME = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿŒœ]+(?:[ '’-][A-Za-zÀ-ÖØ-öø-ÿŒœ]+)*\.?")
EMAIL_MAX_LENGTH = 254
# A local part starting so is refused by mail systems and read as a formula by spreadsheets.
EMAIL_BAD_START = ("=", "+", "-", "@")
ASCII_DIGITS_AND_LETTERS = re.compile(r"[0-9A-Za-z]+")
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
    if text.startswith(EMAIL_BAD_START):
        raise ValueError("Une adresse e-mail ne peut pas commencer par =, +, - ou @.")
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError("Adresse e-mail invalide (exemple : prenom.nom@exemple.fr).") from None


# -- telephone -------------------------------------------------------------------------------

def _french_number(text: str, message: str) -> phonenumbers.PhoneNumber:
    """A valid number of the French plan (+33), or ValueError(message)."""
    if len(text) > 30:
        raise ValueError(message)
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        raise ValueError(message) from None
    if number.country_code != 33 or not phonenumbers.is_valid_number(number):
        raise ValueError(message)
    return number


def french_mobile(text: str) -> str:
    """A French mobile (06, 07, or +33 6 / +33 7) → E.164 "+33612345678". A landline is refused
    with its own message: the signature code is sent by SMS."""
    number = _french_number(text, "Saisissez un numéro de portable français (06 ou 07, exemple : 06 12 34 56 78).")
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise ValueError("Saisissez un numéro de portable français (06 ou 07) : ce numéro est un fixe, "
                         "qui ne peut pas recevoir le code de signature par SMS.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def french_phone(text: str) -> str:
    """Any French number, landline or mobile, in national display ("05 45 00 00 00")."""
    number = _french_number(text, "Numéro de téléphone français invalide (exemple : 05 45 00 00 00).")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


# A stored French number starting 06 or 07 is shown without parsing it (the parse costs 30 µs, half
# an export row's time): phonenumbers holds it valid exactly when it is in the library's own
# pattern of the mobile ranges (no other French type starts with 6 or 7; a test compares both ways).
_STORED_FRENCH_MOBILE = re.compile(r"\+33([67]\d{8})")
_FRENCH_MOBILE_RANGES = re.compile(phonenumbers.PhoneMetadata.metadata_for_region("FR").mobile.national_number_pattern)


def display_mobile(e164: str) -> str:
    """"+33612345678" → "06 12 34 56 78"; anything unreadable is shown as stored."""
    stored = _STORED_FRENCH_MOBILE.fullmatch(e164)
    if stored:
        digits = stored.group(1)
        if not _FRENCH_MOBILE_RANGES.fullmatch(digits):
            return e164
        return f"0{digits[0]} {digits[1:3]} {digits[3:5]} {digits[5:7]} {digits[7:9]}"
    try:
        number = phonenumbers.parse(e164, "FR")
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code != 33 or not phonenumbers.is_valid_number(number):
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


# -- NIR (numéro de sécurité sociale) ----------------------------------------------------------

NIR_SHAPE = re.compile(r"[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{8}")
# Sex digit: 1 and 2 for people born or registered in France; 3/4 for foreigners being
# registered and 7/8 for temporary numbers keep the same odd = man, even = woman reading.
NIR_SEX = {"1": "Monsieur", "3": "Monsieur", "7": "Monsieur", "2": "Madame", "4": "Madame", "8": "Madame"}
# Corsica was split into 2A and 2B on 1 January 1976: no number given since carries 20. The
# reverse is not refused: a number given before 1976 may have been rewritten with 2A/2B.
CORSICA_SPLIT = date(1976, 1, 1)


def _nir_month_is_unknown(month: int) -> bool:
    """INSEE codes a birth month it does not know as 20, 30-42 or 50-99: nothing to compare."""
    return month == 20 or 30 <= month <= 42 or 50 <= month <= 99


def nir(text: str, civility: str, born_on: date) -> str:
    """A NIR of 15 characters (key included) consistent with the person's civility and birth
    date → its compact form "178057511512345"."""
    compact = "".join(text.split()).replace(".", "").upper()
    if not NIR_SHAPE.fullmatch(compact):
        raise ValueError("Le numéro de sécurité sociale compte 15 caractères : 13 chiffres et la clé "
                         "(2A ou 2B pour la Corse), exemple : 1 78 05 75 115 123 45.")
    try:
        stdnum_nir.validate(compact)
    except ValidationError:
        raise ValueError("La clé du numéro de sécurité sociale ne correspond pas : vérifiez chaque chiffre.") from None
    sex = NIR_SEX.get(compact[0])
    if sex is None:
        raise ValueError("Le numéro de sécurité sociale commence par 1 (homme) ou 2 (femme).")
    if civility in ("Monsieur", "Madame") and sex != civility:  # a missing civility has its own message
        digit = "1" if civility == "Monsieur" else "2"
        raise ValueError(f"Le numéro de sécurité sociale ne correspond pas à la civilité ({civility} : "
                         f"il commence par {digit}).")
    if compact[1:3] != f"{born_on.year % 100:02d}":
        raise ValueError(f"L'année du numéro de sécurité sociale ({compact[1:3]}) ne correspond pas à la date "
                         f"de naissance ({born_on:%d/%m/%Y}).")
    month = int(compact[3:5])
    if not _nir_month_is_unknown(month) and month != born_on.month:
        raise ValueError(f"Le mois du numéro de sécurité sociale ({compact[3:5]}) ne correspond pas à la date "
                         f"de naissance ({born_on:%d/%m/%Y}).")
    departement = compact[5:7]
    if departement == "20" and born_on >= CORSICA_SPLIT:
        raise ValueError("Pour une naissance en Corse depuis 1976, le département du numéro est 2A ou 2B, pas 20.")
    if departement == "00":
        raise ValueError("Le département de naissance du numéro de sécurité sociale (00) n'existe pas.")
    if departement == "99" and compact[7:10] == "000":
        raise ValueError("Pour une naissance à l'étranger (99), le numéro porte ensuite le code du pays.")
    if compact[10:13] == "000":
        raise ValueError("Le numéro d'ordre du numéro de sécurité sociale ne peut pas être 000.")
    return compact


def masked(value: str, shown: int = 4) -> str:
    """All but the last `shown` characters hidden, in groups of four: "•••• •••• … 0189"."""
    hidden = "•" * max(len(value) - shown, 0) + value[-shown:]
    return " ".join(hidden[i:i + 4] for i in range(0, len(hidden), 4))


# -- bank details ----------------------------------------------------------------------------

def iban(text: str) -> str:
    """An IBAN of the SEPA area, key and length checked for its country → compact upper case."""
    compact = "".join(text.split()).upper()
    if not ASCII_DIGITS_AND_LETTERS.fullmatch(compact) or len(compact) > 34:
        raise ValueError("IBAN invalide : lettres et chiffres seulement (exemple : FR76 3000 6000 0112 3456 7890 189).")
    try:
        account = IBAN(compact)
    except SchwiftyException as error:
        raise ValueError(_iban_message(compact, error)) from None
    if not account.in_sepa_zone:
        raise ValueError("Le prélèvement SEPA demande un compte dans un pays de la zone SEPA.")
    return account.compact


def _iban_message(compact: str, error: SchwiftyException) -> str:
    name = type(error).__name__
    if name == "InvalidCountryCode":
        return f"IBAN invalide : « {compact[:2]} » n'est pas un code pays d'IBAN."
    if name == "InvalidLength":
        return "IBAN invalide : le nombre de caractères ne correspond pas au pays (27 pour la France)."
    if name == "InvalidChecksumDigits":
        return "IBAN invalide : la clé ne correspond pas, vérifiez chaque caractère."
    return "IBAN invalide : le format ne correspond pas au pays, vérifiez chaque caractère."


# French overseas banks have FR IBANs but may carry their territory's code in the BIC.
BIC_COUNTRIES_OF_IBAN = {"FR": {"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF"}}


def bic_for_iban(account: str) -> str | None:
    """The BIC of the IBAN's bank where the bank registry knows it (an offline table), else None."""
    try:
        found = IBAN(account).bic
    except SchwiftyException:
        return None
    return str(found) if found is not None else None


def bic(text: str, account: str | None = None) -> str:
    """A BIC of 8 or 11 characters whose country is the IBAN's → compact upper case."""
    compact = "".join(text.split()).upper()
    if not ASCII_DIGITS_AND_LETTERS.fullmatch(compact) or len(compact) not in (8, 11):
        raise ValueError("BIC invalide : 8 ou 11 lettres et chiffres (exemple : BNPAFRPP).")
    try:
        code = BIC(compact)
    except SchwiftyException:
        raise ValueError("BIC invalide : 4 caractères pour la banque, 2 lettres pour le pays (FR…), puis 2 ou 5 lettres ou chiffres.") from None
    if account is not None and code.country_code not in BIC_COUNTRIES_OF_IBAN.get(account[:2], {account[:2]}):
        raise ValueError(f"Le BIC ({code.country_code}) n'est pas du pays de l'IBAN ({account[:2]}).")
    return str(code.compact)
