"""Reading catalog.yaml into model objects, refusing any file the portal could misprice.

Every error names the file and the place in it ("catalog.yaml : produit smat-active-tns,
formule 300 : …") so that whoever edits the catalog can fix it without reading code; the
application validates the catalog at start-up and does not start with a broken one.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Hashable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable

import yaml
from stdnum.eu import at_02
from stdnum.fr import siren as stdnum_siren

from .model import (
    DEFAULT_ZONE,
    TOP_LEVEL,
    AgeBand,
    AgeLimits,
    Association,
    Catalog,
    Formula,
    FormulaGuarantees,
    Guarantees,
    Insurer,
    NeedAxis,
    Option,
    Product,
    Regime,
    ReimbursementExample,
    SupportingDocument,
    Tariff,
    Zone,
)

DEFAULT_PATH = Path(__file__).with_name("catalog.yaml")

DEPARTEMENT = re.compile(r"[0-9]{2}|2[AB]|97[0-9]")
DUE_DATE = re.compile(r"([0-9]{2})/([0-9]{2})")
NUMBER_PREFIX = re.compile(r"[A-Z]{2,5}")
DOCUMENT_CASES = ("always", "optional", "tns", "spouse", "children")
EXAMPLE_KINDS = ("honoraires", "chambre", "optique", "protheses", "audiologie")
GUARANTEE_PERCENTS = ("honoraires_optam", "honoraires_non_optam", "dentaire_protheses")
GUARANTEE_AMOUNTS = ("chambre_particuliere_jour", "optique_equipement", "audiologie_oreille")


class CatalogError(ValueError):
    """The catalog file is unreadable or inconsistent; the message says where and why."""


def load_catalog(path: str | Path) -> Catalog:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CatalogError(f"{path.name} : fichier illisible ({error.strerror})") from error
    try:
        data = yaml.load(raw, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as error:
        line = f" ligne {error.problem_mark.line + 1}" if error.problem_mark else ""
        raise CatalogError(f"{path.name} : YAML invalide{line} : {error.problem or error.context}") from error
    except yaml.YAMLError as error:
        raise CatalogError(f"{path.name} : YAML invalide : {error}") from error
    version = hashlib.sha256(raw).hexdigest()[:12]
    return _build_catalog(_Place(path.name), data, version)


@lru_cache(maxsize=1)
def get_catalog() -> Catalog:
    """The catalog shipped with the portal, read once per process."""
    return load_catalog(DEFAULT_PATH)


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key written twice in a table, which PyYAML would silently overwrite."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"clé en double « {key} »", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _Place:
    """Where the reader stands in the file, to prefix error messages."""

    def __init__(self, file: str, trail: tuple[str, ...] = ()):
        self.file = file
        self.trail = trail

    def at(self, step: str) -> _Place:
        return _Place(self.file, self.trail + (step,))

    def error(self, message: str) -> CatalogError:
        where = ", ".join(self.trail)
        return CatalogError(f"{self.file} : {where} : {message}" if where else f"{self.file} : {message}")


# -- small typed readers -------------------------------------------------------------------

def _mapping(place: _Place, value: Any, required: Iterable[str] = (), optional: Iterable[str] = ()) -> dict:
    """A mapping with exactly the expected keys: a typo in a key is an error, not a silent default."""
    if not isinstance(value, dict):
        raise place.error(f"une table de clés était attendue, pas {_shown(value)}")
    required = tuple(required)
    missing = [key for key in required if key not in value]
    if missing:
        raise place.error(f"clé manquante : {', '.join(missing)}")
    if required or optional:
        allowed = set(required) | set(optional)
        unknown = [str(key) for key in value if key not in allowed]
        if unknown:
            raise place.error(f"clé inconnue : {', '.join(unknown)}")
    return value


def _list(place: _Place, value: Any, allow_empty: bool = False) -> list:
    if not isinstance(value, list):
        raise place.error(f"une liste était attendue, pas {_shown(value)}")
    if not value and not allow_empty:
        raise place.error("la liste est vide")
    return value


def _text(place: _Place, value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise place.error(f"{what} : texte non vide attendu, pas {_shown(value)}")
    return value.strip()


def _code(place: _Place, value: Any, what: str = "code") -> str:
    """Codes may be written 300 or "300" in YAML; both mean the formula "300"."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(place, value, what)


def _integer(place: _Place, value: Any, what: str, minimum: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise place.error(f"{what} : nombre entier attendu, pas {_shown(value)}")
    if minimum is not None and value < minimum:
        raise place.error(f"{what} : au moins {minimum} attendu, pas {value}")
    return value


def _boolean(place: _Place, value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise place.error(f"{what} : true ou false attendu, pas {_shown(value)}")
    return value


def _decimal(place: _Place, value: Any, what: str) -> Decimal:
    """Amounts are written as strings ("113.73") so that YAML never turns them into floats."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise place.error(f"{what} : montant à écrire entre guillemets, par exemple \"12.50\", pas {_shown(value)}")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise place.error(f"{what} : montant invalide {_shown(value)} (écrire par exemple \"12.50\")") from None
    if not number.is_finite() or number < 0:
        raise place.error(f"{what} : montant positif attendu, pas {_shown(value)}")
    return number


def _money(place: _Place, value: Any, what: str) -> Decimal:
    amount = _decimal(place, value, what)
    if amount.as_tuple().exponent < -2:
        raise place.error(f"{what} : au plus deux décimales pour un montant en euros, pas {_shown(value)}")
    return amount.quantize(Decimal("0.01"))


def _factor(place: _Place, value: Any, what: str) -> Decimal:
    factor = _decimal(place, value, what)
    if factor == 0:
        raise place.error(f"{what} : coefficient strictement positif attendu")
    return factor


def _rate(place: _Place, value: Any, what: str) -> Decimal:
    rate = _decimal(place, value, what)
    if rate > 1:
        raise place.error(f"{what} : taux entre 0 et 1 attendu, pas {_shown(value)}")
    return rate


def _unique(place: _Place, codes: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise place.error(f"{what} en double : {code}")
        seen.add(code)


def _shown(value: Any) -> str:
    return f"« {value} »" if isinstance(value, str) else repr(value)


# -- sections --------------------------------------------------------------------------------

SECTIONS = ("insurer", "need_axes", "need_levels", "regimes", "zones", "age_factors", "pricing_rules",
            "products", "guarantees", "reimbursement_examples", "supporting_documents")


def _build_catalog(place: _Place, data: Any, version: str) -> Catalog:
    data = _mapping(place, data, required=SECTIONS)
    need_axes = _need_axes(place.at("need_axes"), data["need_axes"])
    need_levels = _need_levels(place.at("need_levels"), data["need_levels"])
    rules = _mapping(place.at("pricing_rules"), data["pricing_rules"],
                     required=("free_from_child", "quote_validity_days", "periodicities"))
    tariff = Tariff(
        age_bands=_age_bands(place.at("age_factors"), data["age_factors"]),
        zones=_zones(place.at("zones"), data["zones"]),
        regimes=_regimes(place.at("regimes"), data["regimes"]),
        free_from_child=_integer(place.at("pricing_rules"), rules["free_from_child"], "free_from_child", minimum=1),
        periodicities=_periodicities(place.at("pricing_rules").at("periodicities"), rules["periodicities"]),
    )
    axis_codes = tuple(axis.code for axis in need_axes)
    products = _products(place, data["products"], axis_codes, tariff)
    formula_codes = {formula.code for product in products for formula in product.formulas}
    option_codes = {option.code for product in products for option in product.options}
    return Catalog(
        version=version,
        insurer=_insurer(place.at("insurer"), data["insurer"]),
        need_axes=need_axes,
        need_levels=need_levels,
        tariff=tariff,
        quote_validity_days=_integer(place.at("pricing_rules"), rules["quote_validity_days"],
                                     "quote_validity_days", minimum=1),
        products=products,
        guarantees=_guarantees(place.at("guarantees"), data["guarantees"], formula_codes, option_codes),
        reimbursement_examples=_examples(place.at("reimbursement_examples"), data["reimbursement_examples"]),
        supporting_documents=_documents(place.at("supporting_documents"), data["supporting_documents"]),
    )


def _insurer(place: _Place, value: Any) -> Insurer:
    fields = ("name", "legal_form", "siren", "address", "regulator", "sepa_creditor_id")
    raw = _mapping(place, value, required=fields)
    texts = {name: _text(place, raw[name], name) for name in fields if name != "siren"}
    siren = _code(place, raw["siren"], "siren")
    if not re.fullmatch(r"[0-9]{9}", siren):
        raise place.error(f"siren : 9 chiffres attendus, pas {_shown(siren)}")
    if not stdnum_siren.is_valid(siren):
        raise place.error(f"siren : la clé de contrôle (Luhn) ne correspond pas, {_shown(siren)}")
    # The SEPA creditor identifier (ICS) printed on every mandate: FR, 2 check digits, the
    # business code (ZZZ when unused) and the 6 characters given by the Banque de France.
    creditor = texts["sepa_creditor_id"]
    if not (re.fullmatch(r"FR[0-9]{2}[0-9A-Z]{3}[0-9A-Z]{6}", creditor) and at_02.is_valid(creditor)):
        raise place.error("sepa_creditor_id : identifiant créancier SEPA (ICS) invalide, 13 caractères "
                          f"« FR » + clé + code activité + 6 caractères attendus, pas {_shown(creditor)}")
    return Insurer(siren=siren, **texts)


def _need_axes(place: _Place, value: Any) -> tuple[NeedAxis, ...]:
    axes = []
    for index, item in enumerate(_list(place, value), start=1):
        raw = _mapping(place.at(f"besoin n° {index}"), item, required=("code", "label"))
        axes.append(NeedAxis(_code(place, raw["code"]), _text(place, raw["label"], "label")))
    _unique(place, (axis.code for axis in axes), "besoin")
    return tuple(axes)


def _need_levels(place: _Place, value: Any) -> tuple[str, ...]:
    labels = tuple(_text(place, label, "niveau") for label in _list(place, value))
    if len(labels) != TOP_LEVEL:
        raise place.error(f"{TOP_LEVEL} niveaux attendus (1 à {TOP_LEVEL}), pas {len(labels)}")
    _unique(place, labels, "niveau")
    return labels


def _regimes(place: _Place, value: Any) -> MappingProxyType:
    regimes: dict[str, Regime] = {}
    for index, item in enumerate(_list(place, value), start=1):
        raw = _mapping(place.at(f"régime n° {index}"), item, required=("code", "label", "factor"))
        here = place.at(f"régime {_code(place, raw['code'])}")
        regime = Regime(_code(here, raw["code"]), _text(here, raw["label"], "label"),
                        _factor(here, raw["factor"], "factor"))
        if regime.code in regimes:
            raise place.error(f"régime en double : {regime.code}")
        regimes[regime.code] = regime
    return MappingProxyType(regimes)


def _zones(place: _Place, value: Any) -> MappingProxyType:
    zones: dict[str, Zone] = {}
    zone_of_departement: dict[str, str] = {}
    for key, item in _mapping(place, value).items():
        code = _code(place, key, "zone")
        here = place.at(f"zone {code}")
        if code in zones:
            raise place.error(f"zone en double : {code}")
        raw = _mapping(here, item, required=("factor", "departements"))
        departements = []
        for departement in _list(here, raw["departements"], allow_empty=True):
            departement = _code(here, departement, "département")
            if not DEPARTEMENT.fullmatch(departement):
                raise here.error(f"département invalide {_shown(departement)} (attendu : 16, 2A, 974…)")
            if departement in zone_of_departement:
                raise here.error(f"le département {departement} est déjà dans la zone {zone_of_departement[departement]}")
            zone_of_departement[departement] = code
            departements.append(departement)
        zones[code] = Zone(code, _factor(here, raw["factor"], "factor"), frozenset(departements))
    if DEFAULT_ZONE not in zones:
        raise place.error(f"la zone {DEFAULT_ZONE}, celle des départements non listés, est absente")
    return MappingProxyType(zones)


def _age_bands(place: _Place, value: Any) -> tuple[AgeBand, ...]:
    bands = []
    for index, item in enumerate(_list(place, value), start=1):
        here = place.at(f"tranche n° {index}")
        raw = _mapping(here, item, required=("from", "to", "factor"))
        band = AgeBand(_integer(here, raw["from"], "from", minimum=0), _integer(here, raw["to"], "to", minimum=0),
                       _factor(here, raw["factor"], "factor"))
        if band.start > band.end:
            raise here.error(f"tranche vide : de {band.start} à {band.end} ans")
        if bands and band.start <= bands[-1].end:
            raise here.error(f"la tranche {band.start}-{band.end} ans chevauche la tranche {bands[-1].start}-{bands[-1].end} ans")
        if bands and band.start > bands[-1].end + 1:
            missing = range(bands[-1].end + 1, band.start)
            ages = f"{missing[0]} ans" if len(missing) == 1 else f"{missing[0]} à {missing[-1]} ans"
            raise here.error(f"trou entre les tranches : aucun coefficient pour {ages}")
        bands.append(band)
    return tuple(bands)


def _periodicities(place: _Place, value: Any) -> MappingProxyType:
    raw = _mapping(place, value)
    if not raw:
        raise place.error("aucune modalité de paiement")
    return MappingProxyType({_code(place, name, "modalité"): _integer(place, months, str(name), minimum=1)
                             for name, months in raw.items()})


PRODUCT_KEYS = ("code", "name", "number_prefix", "audience", "tns_required", "madelin", "association",
                "age_limits", "main_due_date", "formulas", "options")


def _products(place: _Place, value: Any, axes: tuple[str, ...], tariff: Tariff) -> tuple[Product, ...]:
    products = []
    for index, item in enumerate(_list(place.at("products"), value), start=1):
        raw = _mapping(place.at(f"produit n° {index}"), item, required=PRODUCT_KEYS)
        products.append(_product(place.at(f"produit {_code(place, raw['code'])}"), raw, axes, tariff))
    _unique(place.at("products"), (product.code for product in products), "code produit")
    _unique(place.at("products"), (product.number_prefix for product in products), "préfixe de numéro")
    return tuple(products)


def _product(place: _Place, raw: dict, axes: tuple[str, ...], tariff: Tariff) -> Product:
    prefix = _text(place, raw["number_prefix"], "number_prefix")
    if not NUMBER_PREFIX.fullmatch(prefix):
        raise place.error(f"number_prefix : 2 à 5 lettres majuscules attendues, pas {_shown(prefix)}")
    limits_raw = _mapping(place.at("age_limits"), raw["age_limits"], required=("min", "max"))
    limits = AgeLimits(_integer(place, limits_raw["min"], "age_limits.min", minimum=0),
                       _integer(place, limits_raw["max"], "age_limits.max", minimum=0))
    if limits.min > limits.max:
        raise place.error(f"age_limits : min {limits.min} supérieur à max {limits.max}")
    if limits.min < tariff.min_age or limits.max > tariff.max_age:
        raise place.error(f"age_limits : {limits.min}-{limits.max} ans déborde des tranches d'âge "
                          f"du tarif ({tariff.min_age}-{tariff.max_age} ans)")
    due = _text(place, raw["main_due_date"], "main_due_date")
    match = DUE_DATE.fullmatch(due)
    if not match or not (1 <= int(match[2]) <= 12 and 1 <= int(match[1]) <= 28):
        raise place.error(f"main_due_date : jour/mois attendu, par exemple \"01/01\" (jour 1 à 28), pas {_shown(due)}")

    formulas = tuple(_formula(place, item, axes)
                     for item in _list(place.at("formulas"), raw["formulas"]))
    _unique(place, (formula.code for formula in formulas), "formule")
    formula_codes = [formula.code for formula in formulas]
    options = tuple(_option(place, item, axes, formula_codes)
                    for item in _list(place.at("options"), raw["options"], allow_empty=True))
    _unique(place, (option.code for option in options), "option")
    return Product(
        code=_code(place, raw["code"]),
        name=_text(place, raw["name"], "name"),
        number_prefix=prefix,
        audience=_text(place, raw["audience"], "audience"),
        tns_required=_boolean(place, raw["tns_required"], "tns_required"),
        madelin=_boolean(place, raw["madelin"], "madelin"),
        association=_association(place.at("association"), raw["association"]),
        age_limits=limits,
        main_due_date=due,
        formulas=formulas,
        options=options,
        tariff=tariff,
    )


def _association(place: _Place, value: Any) -> Association | None:
    if value is None:
        return None
    raw = _mapping(place, value, required=("name", "fee_monthly", "notice"))
    return Association(_text(place, raw["name"], "name"), _money(place, raw["fee_monthly"], "fee_monthly"),
                       _text(place, raw["notice"], "notice"))


def _formula(place: _Place, item: Any, axes: tuple[str, ...]) -> Formula:
    raw = _mapping(place.at("formule"), item, required=("code", "name", "base", "child", "levels"))
    here = place.at(f"formule {_code(place, raw['code'])}")
    levels = _mapping(here.at("levels"), raw["levels"])
    unknown = [str(axis) for axis in levels if axis not in axes]
    if unknown:
        raise here.error(f"besoin inconnu dans levels : {', '.join(unknown)} (besoins : {', '.join(axes)})")
    missing = [axis for axis in axes if axis not in levels]
    if missing:
        raise here.error(f"niveau manquant pour le besoin : {', '.join(missing)}")
    for axis in axes:
        level = _integer(here, levels[axis], f"niveau {axis}")
        if not 1 <= level <= TOP_LEVEL:
            raise here.error(f"niveau {level} hors de 1..{TOP_LEVEL} pour le besoin {axis}")
    return Formula(
        code=_code(here, raw["code"]),
        name=_text(here, raw["name"], "name"),
        base=_money(here, raw["base"], "base"),
        child=_money(here, raw["child"], "child"),
        levels=MappingProxyType({axis: levels[axis] for axis in axes}),
    )


def _option(place: _Place, item: Any, axes: tuple[str, ...], formula_codes: list[str]) -> Option:
    raw = _mapping(place.at("option"), item, required=("code", "name", "raises", "rates"))
    here = place.at(f"option {_code(place, raw['code'])}")
    raises = {}
    for axis, step in _mapping(here.at("raises"), raw["raises"]).items():
        if axis not in axes:
            raise here.error(f"besoin inconnu dans raises : {axis} (besoins : {', '.join(axes)})")
        raises[axis] = _integer(here, step, f"raises.{axis}", minimum=1)
    rates_raw = {_code(here, code, "formule"): rate for code, rate in _mapping(here.at("rates"), raw["rates"]).items()}
    for code in rates_raw:
        if code not in formula_codes:
            raise here.error(f"tarif pour une formule inconnue : {code}")
    rates = {}
    for code in formula_codes:
        if code not in rates_raw:
            raise here.at(f"formule {code}").error("tarif de l'option manquant")
        rates[code] = _money(here.at(f"formule {code}"), rates_raw[code], "tarif")
    return Option(_code(here, raw["code"]), _text(here, raw["name"], "name"),
                  MappingProxyType(raises), MappingProxyType(rates))


def _guarantees(place: _Place, value: Any, formula_codes: set[str], option_codes: set[str]) -> Guarantees:
    raw = _mapping(place, value, required=("by_formula", "always"), optional=option_codes)
    rows = {}
    for code, row in _mapping(place.at("by_formula"), raw["by_formula"]).items():
        here = place.at(f"formule {_code(place, code)}")
        row = _mapping(here, row, required=GUARANTEE_PERCENTS + GUARANTEE_AMOUNTS)
        rows[_code(place, code)] = FormulaGuarantees(
            **{key: _integer(here, row[key], key, minimum=0) for key in GUARANTEE_PERCENTS},
            **{key: _money(here, row[key], key) for key in GUARANTEE_AMOUNTS},
        )
    missing = sorted(formula_codes - rows.keys())
    if missing:
        raise place.at("by_formula").error(f"garanties manquantes pour la formule {', '.join(missing)}")
    return Guarantees(
        by_formula=MappingProxyType(rows),
        always=tuple(_text(place.at("always"), line, "ligne") for line in _list(place.at("always"), raw["always"])),
        option_texts=MappingProxyType({code: _text(place, raw[code], code) for code in sorted(option_codes) if code in raw}),
    )


def _examples(place: _Place, value: Any) -> tuple[ReimbursementExample, ...]:
    examples = []
    for index, item in enumerate(_list(place, value), start=1):
        here = place.at(f"exemple n° {index}")
        raw = _mapping(here, item, required=("label", "kind", "expense", "br", "ro_rate", "participation"),
                       optional=("optam",))
        kind = _text(here, raw["kind"], "kind")
        if kind not in EXAMPLE_KINDS:
            raise here.error(f"kind inconnu {_shown(kind)} (attendu : {', '.join(EXAMPLE_KINDS)})")
        if (kind == "honoraires") != ("optam" in raw):
            raise here.error("optam : à indiquer pour les honoraires, et seulement pour eux")
        examples.append(ReimbursementExample(
            label=_text(here, raw["label"], "label"),
            kind=kind,
            optam=_boolean(here, raw["optam"], "optam") if "optam" in raw else None,
            expense=_money(here, raw["expense"], "expense"),
            br=_money(here, raw["br"], "br"),
            ro_rate=_rate(here, raw["ro_rate"], "ro_rate"),
            participation=_money(here, raw["participation"], "participation"),
        ))
    return tuple(examples)


def _documents(place: _Place, value: Any) -> tuple[SupportingDocument, ...]:
    documents = []
    for index, item in enumerate(_list(place, value), start=1):
        here = place.at(f"pièce n° {index}")
        raw = _mapping(here, item, required=("code", "label", "when"))
        when = _text(here, raw["when"], "when")
        if when not in DOCUMENT_CASES:
            raise here.error(f"when inconnu {_shown(when)} (attendu : {', '.join(DOCUMENT_CASES)})")
        documents.append(SupportingDocument(_code(here, raw["code"]), _text(here, raw["label"], "label"), when))
    _unique(place, (document.code for document in documents), "pièce")
    return tuple(documents)
