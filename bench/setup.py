"""A throw-away portal database for the benchmark: one firm, one broker, drafts ready to issue."""
from __future__ import annotations

from datetime import timedelta

from portal import create_app
from portal.auth.models import Firm, Role, User
from portal.auth.passwords import hash_password
from portal.catalog.loader import get_catalog
from portal.clock import today
from portal.extensions import db
from portal.quotes import wizard
from portal.quotes.models import Quote, QuoteStatus

PASSWORD = "Benchmark+2026!"
BROKER_EMAIL = "courtier@bench.example"


def make_app(directory: str):
    """The portal on a fresh SQLite database in `directory` (the same settings serve gunicorn)."""
    app = create_app({"INSTANCE_PATH": directory, "SQLALCHEMY_DATABASE_URI": database_url(directory)})
    with app.app_context():
        db.create_all()
    return app


def database_url(directory: str) -> str:
    return f"sqlite:///{directory}/bench.db"


def broker() -> User:
    user = db.session.scalar(db.select(User).where(User.email == BROKER_EMAIL))
    if user is not None:
        return user
    firm = Firm(name="Cabinet Banc d'Essai", orias="07000099", phone="05 45 00 00 99", address="1 rue du Banc, 16000 Angoulême",
                email="contact@bench.example")
    user = User(email=BROKER_EMAIL, role=Role.BROKER, firm=firm, first_name="Banc", last_name="Essai",
                password_hash=hash_password(PASSWORD))
    db.session.add_all([firm, user])
    db.session.commit()
    return user


def ready_draft(user: User, screen: int = 3, formula: str = "300") -> Quote:
    """A draft of the reference profile filled up to `screen` (1: needs, 2: formula, 3: contact)."""
    product = get_catalog().product("smat-active-tns")
    quote = Quote(firm_id=user.firm_id, broker_id=user.id, product_code=product.code, status=QuoteStatus.INCOMPLET, step=0)
    db.session.add(quote)
    effect = (today().replace(day=1) + timedelta(days=32)).replace(day=1)
    form = {"besoin_optique": "4", "besoin_dentaire": "2", "besoin_audiologie": "1", "besoin_hospitalisation": "1",
            "besoin_depassements": "4", "date_effet": effect.isoformat(), "regime": "general", "code_postal": "16000",
            "ville": "16015", "date_naissance": "1978-05-04", "conjoint": "oui", "date_naissance_conjoint": "1980-02-29",
            "enfants": "oui", "nombre_enfants": "2"}
    needs, errors = wizard.check_needs(form, product, today())
    assert not errors, errors
    wizard.save_needs(quote, needs)
    if screen >= 2:
        wizard.save_solution(quote, product, formula, ())
    if screen >= 3:
        contact, errors = wizard.check_contact({
            "civilite": "Madame", "nom": "Lefèvre", "prenom": "Élodie", "date_naissance": "1978-05-04",
            "adresse": "3 rue de Montmoreau", "code_postal": "16000", "ville": "16015", "pays": "France",
            "telephone_portable": "06 12 34 56 78", "email": "elodie.lefevre@exemple.fr"}, quote, user, today())
        assert not errors, errors
        wizard.save_contact(quote, contact)
    db.session.commit()
    return quote


