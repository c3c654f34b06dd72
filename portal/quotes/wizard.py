"""The four screens of the quote wizard: checking what the broker typed, saving it to the draft.

Each `check_*` takes the raw form (a mapping of strings) and returns the clean values and the
errors by field name, in French; nothing is saved unless there is no error. The screens are
saved to the draft quote ("Incomplet") as they are passed, so a broker can leave and resume.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Mapping

from ..catalog import eligibility
from ..catalog.geo import communes_for, find_commune, is_valid_postcode, zone_of_commune
from ..catalog.loader import get_catalog
from ..catalog.model import Product
from ..catalog.pricing import MONTHS_PER_YEAR, Family, Price, price
from ..catalog.recommend import FormulaQuote, Recommendation, price_all, recommend
from ..extensions import db
from ..parsing import whole_number
from .. import validators
from .models import Quote, QuoteStatus

MAX_CHILDREN = 10
SCREENS = ("besoins", "solutions", "coordonnees", "recapitulatif")
YES_NO = {"oui": True, "non": False}
CIVILITIES = ("Madame", "Monsieur")
COUNTRY = "France"
TEXT_MAX = {"nom": 80, "nom_naissance": 80, "prenom": 80, "adresse": 120, "adresse_complementaire": 120}
RAW_INPUT_MAX = 254  # a pending answer is kept up to this length (an e-mail's): more is not a real answer
# The fields a screen left by "Précédent" keeps, and those that are lists (checkboxes).
PENDING_FIELDS = {
    "solutions": ("formule", "options"),
    "coordonnees": ("civilite", "nom", "nom_naissance", "prenom", "date_naissance", "adresse", "adresse_complementaire",
                    "code_postal", "ville", "pays", "telephone_portable", "email", "sans_email"),
}
LISTS = {"options"}
MAX_LISTED = 20  # more checkboxes than any product has options

Errors = dict[str, str]


class WizardError(Exception):
    """A screen cannot be used yet (an earlier one is not filled in) or the quote is not a draft."""

    def __init__(self, message: str, screen: str | None = None):
        super().__init__(message)
        self.message = message
        self.screen = screen


# ---------------------------------------------------------------------------------------
# Screen 1 — Vos besoins


@dataclass(frozen=True)
class Needs:
    needs: dict[str, int]
    effect_date: date
    regime: str
    postcode: str
    commune_code: str
    city: str
    birth_date: date
    has_spouse: bool
    spouse_birth_date: date | None
    has_children: bool
    children: int

    def family(self, zone: str) -> Family:
        return Family(self.birth_date, self.effect_date, self.regime, zone, self.spouse_birth_date, self.children)


def check_needs(form: Mapping[str, str], product: Product, today: date) -> tuple[Needs | None, Errors]:
    catalog = get_catalog()
    errors: Errors = {}
    needs = {}
    for axis in catalog.need_axes:
        value = _text(form, f"besoin_{axis.code}")
        if value not in {str(level) for level in range(1, len(catalog.need_levels) + 1)}:
            errors[f"besoin_{axis.code}"] = "Choisissez un niveau de prise en charge pour ce besoin."
        else:
            needs[axis.code] = int(value)

    effect_date = _date(form, "date_effet", errors, "Saisissez la date d'effet souhaitée.", validators.parse_date)
    regime = _text(form, "regime")
    if regime not in catalog.tariff.regimes:
        errors["regime"] = "Choisissez votre régime de sécurité sociale."
    postcode, commune = checked_commune(form, "code_postal", "ville", errors)
    birth = _date(form, "date_naissance", errors, "Saisissez la date de naissance.",
                  lambda text: validators.birth_date(text, today))

    has_spouse = _yes_no(form, "conjoint", errors, "Indiquez si vous souhaitez couvrir votre conjoint(e).")
    spouse_birth = None
    if has_spouse:
        spouse_birth = _date(form, "date_naissance_conjoint", errors, "Saisissez la date de naissance du (de la) conjoint(e).",
                             lambda text: validators.birth_date(text, today))
    has_children = _yes_no(form, "enfants", errors, "Indiquez si vous souhaitez couvrir vos enfants.")
    children = 0
    if has_children:
        text = _text(form, "nombre_enfants")
        count = whole_number(text, 1, MAX_CHILDREN)
        if not text:
            errors["nombre_enfants"] = "Indiquez le nombre d'enfants à couvrir."
        elif count is None:
            errors["nombre_enfants"] = f"Indiquez un nombre d'enfants entre 1 et {MAX_CHILDREN}."
        else:
            children = count
    if errors:
        return None, errors

    result = Needs(needs, effect_date, regime, postcode, commune.insee_code, commune.name, birth,
                   bool(has_spouse), spouse_birth, bool(has_children), children)
    zone = zone_of_commune(catalog, commune.insee_code).code
    field_of_rule = {"age_assure": "date_naissance", "age_conjoint": "date_naissance_conjoint", "date_effet": "date_effet"}
    for problem in eligibility.check(product, result.family(zone), today, catalog):
        errors[field_of_rule[problem.rule]] = f"{problem.reason} {problem.advice}"
    return (None, errors) if errors else (result, {})


def save_needs(quote: Quote, needs: Needs) -> None:
    _ensure_draft(quote)
    quote.needs = dict(needs.needs)
    for name in ("effect_date", "regime", "postcode", "commune_code", "city", "birth_date", "has_spouse",
                 "spouse_birth_date", "has_children", "children"):
        setattr(quote, name, getattr(needs, name))
    # The family or the needs may have changed: the choice of screen 2 is made again on the new prices.
    quote.formula_code = quote.recommended_formula_code = None
    quote.options = quote.recommended_options = None
    quote.monthly = quote.annual = None
    _passed(quote, 1)


# ---------------------------------------------------------------------------------------
# Screen 2 — Vos solutions


@dataclass(frozen=True)
class Solutions:
    """Everything the formula screen shows: every card priced, the advice, the current choice."""

    product: Product
    quotes: tuple[FormulaQuote, ...]  # every formula alone then with each option (recommend.price_all)
    recommendation: Recommendation
    formula_code: str
    options: tuple[str, ...]
    price: Price

    def alone(self) -> list[FormulaQuote]:
        return [quote for quote in self.quotes if not quote.options]

    def option_amount(self, formula_code: str, option_code: str) -> Decimal:
        """What the option adds to this formula's month for this family."""
        for quote in self.quotes:
            if quote.formula.code == formula_code and quote.options == (option_code,):
                return quote.price.option_amount(option_code)
        raise KeyError(f"option {option_code!r} non tarifée pour la formule {formula_code!r}")

    def option_annual(self, formula_code: str, option_code: str) -> Decimal:
        """The option's "Tarif annuel TTC" for this formula and family."""
        return self.option_amount(formula_code, option_code) * MONTHS_PER_YEAR


def family_of(quote: Quote) -> Family:
    zone = zone_of_commune(get_catalog(), quote.commune_code).code
    return Family(quote.birth_date, quote.effect_date, quote.regime, zone, quote.spouse_birth_date, quote.children)


def solutions(quote: Quote, product: Product, formula_code: str | None = None,
              options: tuple[str, ...] | None = None) -> Solutions:
    """The screen for this draft: the broker's choice if any, else the recommended one."""
    require_screen(quote, "solutions")
    family = family_of(quote)
    priced = price_all(product, family)
    advice = recommend(product, quote.needs, family, priced)
    if formula_code is None:
        formula_code = quote.formula_code or advice.formula_code
        options = tuple(quote.options) if quote.formula_code else advice.options
    options = tuple(options or ())
    chosen = next((q.price for q in priced if q.formula.code == formula_code and q.options == options), None)
    return Solutions(product, priced, advice, formula_code, options,
                     chosen or price(product, formula_code, family, options))


def check_solution(form, product: Product) -> tuple[tuple[str, tuple[str, ...]] | None, Errors]:
    """`form` is a werkzeug MultiDict (the options are a list of checkboxes)."""
    formula = (form.get("formule") or "").strip()
    codes = {f.code for f in product.formulas}
    if formula not in codes:
        return None, {"formule": "Choisissez une formule."}
    chosen = form.getlist("options") if hasattr(form, "getlist") else []
    known = [option.code for option in product.options]
    if any(code not in known for code in chosen):
        return None, {"options": "Option inconnue pour ce produit."}
    return (formula, tuple(code for code in known if code in chosen)), {}


def save_solution(quote: Quote, product: Product, formula_code: str, options: tuple[str, ...]) -> Solutions:
    _ensure_draft(quote)
    chosen = solutions(quote, product, formula_code, options)
    quote.formula_code, quote.options = formula_code, list(options)
    quote.recommended_formula_code = chosen.recommendation.formula_code
    quote.recommended_options = list(chosen.recommendation.options)
    quote.monthly, quote.annual = chosen.price.monthly, chosen.price.annual
    quote.catalog_version = get_catalog().version
    _passed(quote, 2)
    return chosen


# ---------------------------------------------------------------------------------------
# Screen 3 — Vos coordonnées


@dataclass(frozen=True)
class Contact:
    civility: str
    last_name: str
    birth_name: str
    first_name: str
    address: str
    address2: str
    postcode: str
    commune_code: str
    city: str
    country: str
    mobile: str
    email: str
    without_email: bool


def check_contact(form: Mapping[str, str], quote: Quote, broker, today: date) -> tuple[Contact | None, Errors]:
    errors: Errors = {}
    civility = _text(form, "civilite")
    if civility not in CIVILITIES:
        errors["civilite"] = "Choisissez la civilité : Madame ou Monsieur."
    last_name = _name(form, "nom", errors, "Le nom", required=True)
    birth_name = _name(form, "nom_naissance", errors, "Le nom de naissance", required=False)
    first_name = _name(form, "prenom", errors, "Le prénom", required=True)
    birth = _date(form, "date_naissance", errors, "Saisissez la date de naissance.",
                  lambda text: validators.birth_date(text, today))
    if "date_naissance" not in errors and birth != quote.birth_date:
        errors["date_naissance"] = ("La date de naissance diffère de celle qui a servi au tarif "
                                    f"({quote.birth_date:%d/%m/%Y}) : corrigez-la à l'étape « Vos besoins ».")
    address = _free_text(form, "adresse", errors, "L'adresse", required=True)
    address2 = _free_text(form, "adresse_complementaire", errors, "L'adresse complémentaire", required=False)
    postcode, commune = checked_commune(form, "code_postal", "ville", errors)
    if commune is not None and quote.commune_code:
        catalog = get_catalog()
        if zone_of_commune(catalog, commune.insee_code) != zone_of_commune(catalog, quote.commune_code):
            errors["code_postal"] = ("Cette commune n'est pas dans la même zone de tarif que celle du devis "
                                     f"({quote.city}) : modifiez le code postal à l'étape « Vos besoins ».")
    country = " ".join(_text(form, "pays").split())
    if not country:
        errors["pays"] = "Saisissez le pays."
    elif country.casefold() != COUNTRY.casefold():
        errors["pays"] = "Ce produit est réservé aux personnes résidant en France : l'adresse doit être en France."
    mobile = _text(form, "telephone_portable")
    if mobile:
        try:
            mobile = validators.french_mobile(mobile)
        except ValueError as error:
            errors["telephone_portable"] = str(error)
    without_email = form.get("sans_email") == "oui"
    email = _text(form, "email")
    if without_email:
        if email:
            errors["email"] = ("Vous avez indiqué que le client n'a pas d'adresse e-mail : "
                               "videz ce champ ou décochez la case.")
    elif not email:
        errors["email"] = "Saisissez l'adresse e-mail du client."
    else:
        try:
            email = validators.email_address(email)
        except ValueError as error:
            errors["email"] = str(error)
        else:
            domain = email.rsplit("@", 1)[1].lower()
            if email.lower() == broker.email.lower():
                errors["email"] = "Saisissez l'adresse e-mail du client, pas la vôtre."
            elif broker.firm is not None and domain == broker.firm.email_domain:
                errors["email"] = (f"Une adresse de votre cabinet (@{domain}) ne peut pas être celle du client : "
                                   "saisissez l'adresse personnelle du client.")
    if errors:
        return None, errors
    return Contact(civility, last_name, birth_name, first_name, address, address2, postcode, commune.insee_code,
                   commune.name, COUNTRY, mobile, email, without_email), {}


def save_contact(quote: Quote, contact: Contact) -> None:
    _ensure_draft(quote)
    quote.civility, quote.last_name, quote.birth_name = contact.civility, contact.last_name, contact.birth_name
    quote.first_name, quote.address, quote.address2 = contact.first_name, contact.address, contact.address2
    quote.client_postcode, quote.client_city = contact.postcode, contact.city
    quote.country, quote.mobile, quote.email = contact.country, contact.mobile, contact.email
    quote.without_email = contact.without_email
    _passed(quote, 3)


# ---------------------------------------------------------------------------------------
# Screens in order, drafts, answers kept by "Précédent"


def require_screen(quote: Quote, screen: str) -> None:
    """A screen opens once every screen before it is filled in; WizardError names the first missing."""
    index = SCREENS.index(screen)
    reached = quote.step
    if index >= 1 and reached < 1:
        raise WizardError("Complétez d'abord vos besoins.", "besoins")
    if index >= 2 and (reached < 2 or not quote.formula_code):
        raise WizardError("Choisissez d'abord une formule.", "solutions")
    if index >= 3 and reached < 3:
        raise WizardError("Complétez d'abord les coordonnées du client.", "coordonnees")


def keep_pending(quote: Quote, screen: str, form) -> None:
    """Remember the answers of a screen left by "Précédent" before it was complete: only the
    screen's own fields, each cut to RAW_INPUT_MAX, so a forged form cannot fill the draft."""
    answers = {}
    for key in PENDING_FIELDS[screen]:
        values = form.getlist(key) if hasattr(form, "getlist") else [form[key]] if key in form else []
        values = [validators.without_control(value)[:RAW_INPUT_MAX] for value in values[:MAX_LISTED]]
        if key in LISTS:
            answers[key] = values
        elif values:
            answers[key] = values[0]
    pending = dict(quote.pending_inputs or {})
    pending[screen] = answers
    quote.pending_inputs = pending


def pending(quote: Quote, screen: str) -> dict | None:
    return (quote.pending_inputs or {}).get(screen)


def clear_pending(quote: Quote, screen: str) -> None:
    if quote.pending_inputs and screen in quote.pending_inputs:
        remaining = dict(quote.pending_inputs)
        remaining.pop(screen)
        quote.pending_inputs = remaining or None


def _ensure_draft(quote: Quote) -> None:
    if quote.status is not QuoteStatus.INCOMPLET:
        raise WizardError("Ce devis a déjà été émis : il ne peut plus être modifié. Utilisez « Dupliquer ».")


def _passed(quote: Quote, screen_number: int) -> None:
    # New needs are priced again: the broker goes through screens 2 and 3 again (still filled in).
    quote.step = 1 if screen_number == 1 else max(quote.step, screen_number)
    db.session.add(quote)


# ---------------------------------------------------------------------------------------
# Field helpers


def _text(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _date(form, name: str, errors: Errors, missing: str, parse) -> date | None:
    text = _text(form, name)
    if not text:
        errors[name] = missing
        return None
    try:
        return parse(text)
    except ValueError as error:
        errors[name] = str(error)
        return None


def _yes_no(form, name: str, errors: Errors, missing: str) -> bool | None:
    value = YES_NO.get(_text(form, name))
    if value is None:
        errors[name] = missing
    return value


def checked_commune(form, postcode_field: str, city_field: str, errors: Errors):
    postcode = _text(form, postcode_field)
    if not postcode:
        errors[postcode_field] = "Saisissez le code postal."
        return postcode, None
    if not is_valid_postcode(postcode):
        errors[postcode_field] = "Code postal invalide : 5 chiffres attendus."
        return postcode, None
    communes = communes_for(postcode)
    if not communes:
        errors[postcode_field] = "Aucune commune ne correspond à ce code postal."
        return postcode, None
    code = _text(form, city_field)
    if not code and len(communes) == 1:
        return postcode, communes[0]
    if not code:
        errors[city_field] = "Choisissez la ville dans la liste."
        return postcode, None
    commune = find_commune(postcode, code)
    if commune is None:
        errors[city_field] = "Cette ville ne correspond pas au code postal : choisissez-la dans la liste."
    return postcode, commune


def _name(form, name: str, errors: Errors, label: str, required: bool) -> str:
    return _checked_text(form, name, errors, label, required, validators.person_name)


def _free_text(form, name: str, errors: Errors, label: str, required: bool) -> str:
    return _checked_text(form, name, errors, label, required, validators.plain_text)


def _checked_text(form, name: str, errors: Errors, label: str, required: bool, check) -> str:
    """The text with its spaces collapsed, or "" and an error; what was typed is kept on error."""
    text = " ".join(_text(form, name).split())
    if not text:
        if required:
            errors[name] = f"Saisissez {label[0].lower()}{label[1:]}."
        return ""
    if len(text) > TEXT_MAX[name]:
        errors[name] = f"{label} compte au plus {TEXT_MAX[name]} caractères."
        return text
    try:
        return check(text, label)
    except ValueError as error:
        errors[name] = str(error)
        return text
