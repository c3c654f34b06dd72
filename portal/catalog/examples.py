"""The worked reimbursement examples of "Exemples de remboursements", computed for a formula.

The rule is catalog.yaml's: the Sécurité sociale (RO) pays BR × rate − participation; the
complementary pays what is left up to the formula's limit for that kind of expense, RO
deducted, never below zero; the rest is the insured's.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .model import Catalog, FormulaGuarantees, ReimbursementExample
from .pricing import ZERO, to_cent

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Reimbursement:
    example: ReimbursementExample
    expense: Decimal
    ro: Decimal  # Sécurité sociale
    complementary: Decimal
    rest: Decimal  # reste à charge


def reimbursement(example: ReimbursementExample, guarantees: FormulaGuarantees) -> Reimbursement:
    ro = max(to_cent(example.br * example.ro_rate - example.participation), ZERO)
    left = max(example.expense - ro, ZERO)
    if example.kind == "honoraires":
        rate = guarantees.honoraires_optam if example.optam else guarantees.honoraires_non_optam
        complementary = max(min(left, to_cent(example.br * rate / HUNDRED) - ro), ZERO)
    elif example.kind == "protheses":
        complementary = max(min(left, to_cent(example.br * guarantees.dentaire_protheses / HUNDRED) - ro), ZERO)
    else:
        flat = {"chambre": guarantees.chambre_particuliere_jour, "optique": guarantees.optique_equipement,
                "audiologie": guarantees.audiologie_oreille}[example.kind]
        complementary = min(left, flat)
    complementary = to_cent(complementary)
    return Reimbursement(example, example.expense, ro, complementary, example.expense - ro - complementary)


def examples_for(catalog: Catalog, formula_code: str) -> list[Reimbursement]:
    guarantees = catalog.guarantees.by_formula[formula_code]
    return [reimbursement(example, guarantees) for example in catalog.reimbursement_examples]
