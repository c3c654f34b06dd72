"""Demonstration firms and accounts, for a fresh installation (never in production)."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from .accounts import create_firm, create_user
from .models import Firm, Role, User

DEMO_PASSWORD = "MesSolutions+2026"
DEMO_FIRMS = (
    {"name": "Cabinet Démo Courtage", "orias": "07000001", "phone": "05 45 92 10 10",
     "address": "12 rue de Périgueux, 16000 Angoulême", "email": "contact@cabinet-demo.fr"},
    {"name": "Courtage Exemple Sud", "orias": "07000002", "phone": "04 67 60 00 00",
     "address": "8 rue de la Loge, 34000 Montpellier", "email": "contact@exemple-sud.fr"},
)
DEMO_USERS = (
    {"email": "courtier@cabinet-demo.fr", "role": Role.BROKER, "firm_name": "Cabinet Démo Courtage",
     "first_name": "Claire", "last_name": "Martin"},
    {"email": "courtier@exemple-sud.fr", "role": Role.BROKER, "firm_name": "Courtage Exemple Sud",
     "first_name": "Julien", "last_name": "Roux"},
    {"email": "gestion@mes-solutions-plus.fr", "role": Role.BACKOFFICE, "firm_name": None,
     "first_name": "Nadia", "last_name": "Morel"},
    {"email": "admin@mes-solutions-plus.fr", "role": Role.ADMIN, "firm_name": None,
     "first_name": "Paul", "last_name": "Girard"},
)


def ensure_demo_data() -> list[str]:
    """Create the demonstration firms and accounts that are missing; never touch existing ones.

    Returns a line per created item (empty on a second run).
    """
    created = []
    for firm in DEMO_FIRMS:
        if db.session.scalar(select(Firm.id).where(Firm.name == firm["name"])) is None:
            create_firm(**firm)
            created.append(f"Cabinet « {firm['name']} »")
    for account in DEMO_USERS:
        if db.session.scalar(select(User.id).where(User.email == account["email"])) is None:
            create_user(password=DEMO_PASSWORD, **account)
            created.append(f"Compte {account['email']}")
    return created
