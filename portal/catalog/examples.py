"""The worked reimbursement examples of "Exemples de remboursements", computed for a formula.

The rule is catalog.yaml's: the Sécurité sociale (RO) pays BR × rate − participation, never
below zero (nor above the expense). For the kinds guaranteed as a percentage of the BR (honoraires, prothèses) the
formula's limit includes the RO, so the complementary pays what is left of the expense up to
the limit minus the RO; for the kinds guaranteed as a flat amount (chambre particulière per
night, optique per equipment, audiologie per ear) the complementary pays what is left of the
expense after the RO, up to that amount. Neither is ever below zero; the rest is the insured's.
Every amount is rounded ROUND_HALF_UP to the cent.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .model import Catalog, FormulaGuarantees, ReimbursementExample
from .pricing import ZERO, to_cent

HUNDRED = Decimal(100)
#: Kinds whose guarantee is a percentage of the BR, RO included.
PERCENT_KINDS = ("honoraires", "protheses")
#: Kinds whose guarantee is a flat amount in euros paid on top of the RO.
FLAT_KINDS = ("chambre", "optique", "audiologie")


@dataclass(frozen=True)
class Reimbursement:
    example: ReimbursementExample
    expense: Decimal  # dépense
    ro: Decimal  # remboursement de la Sécurité sociale (régime obligatoire)
    complementary: Decimal  # remboursement de la complémentaire
    rest: Decimal  # reste à charge


def guarantee_percent(example: ReimbursementExample, guarantees: FormulaGuarantees) -> int:
    """The % of the BR the formula guarantees for a honoraires or prothèses example."""
    if example.kind == "honoraires":
        return guarantees.honoraires_optam if example.optam else guarantees.honoraires_non_optam
    if example.kind == "protheses":
        return guarantees.dentaire_protheses
    raise ValueError(f"{example.label} : la garantie « {example.kind} » n'est pas un pourcentage de la BR")


def guarantee_flat(example: ReimbursementExample, guarantees: FormulaGuarantees) -> Decimal:
    """The flat amount the formula pays at most for a chambre, optique or audiologie example."""
    amounts = {"chambre": guarantees.chambre_particuliere_jour, "optique": guarantees.optique_equipement,
               "audiologie": guarantees.audiologie_oreille}
    if example.kind not in amounts:
        raise ValueError(f"{example.label} : la garantie « {example.kind} » n'est pas un forfait")
    return amounts[example.kind]


def reimbursement(example: ReimbursementExample, guarantees: FormulaGuarantees) -> Reimbursement:
    expense = to_cent(example.expense)
    # Nobody is paid more than was spent: the RO, like the complementary, stops at the expense.
    ro = min(max(to_cent(example.br * example.ro_rate - example.participation), ZERO), expense)
    left = expense - ro  # what the RO leaves, before the complementary
    if example.kind in PERCENT_KINDS:
        limit = to_cent(example.br * guarantee_percent(example, guarantees) / HUNDRED)
        complementary = min(left, limit - ro)
    elif example.kind in FLAT_KINDS:
        complementary = min(left, guarantee_flat(example, guarantees))
    else:
        raise ValueError(f"{example.label} : type d'exemple inconnu « {example.kind} »")
    complementary = max(to_cent(complementary), ZERO)
    return Reimbursement(example, expense, ro, complementary, to_cent(expense - ro - complementary))


def examples_for(catalog: Catalog, formula_code: str) -> list[Reimbursement]:
    """Every worked example of the catalog for one formula; KeyError for an unknown formula."""
    guarantees = catalog.guarantees.by_formula[formula_code]
    return [reimbursement(example, guarantees) for example in catalog.reimbursement_examples]
