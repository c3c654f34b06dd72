"""`flask portal generate --clients N`: realistic portfolios for scale checks."""
from portal.extensions import db
from portal.quotes.models import Person, Quote, QuoteStatus


def test_generate_creates_people_with_accents_and_quotes_of_every_status(app, broker):
    result = app.test_cli_runner().invoke(args=["portal", "generate", "--clients", "300"])
    assert result.exit_code == 0, result.output
    assert "300 clients" in result.output and "Cabinet Démo Courtage" in result.output
    people = db.session.scalars(db.select(Person)).all()
    assert len(people) == 300 and all(p.firm_id == broker.firm_id for p in people)
    assert any(c in "".join(p.last_name + p.first_name for p in people) for c in "éèëïô")
    assert all(p.search_name == p.search_name.upper() for p in people)
    statuses = set(db.session.scalars(db.select(Quote.status).distinct()))
    assert statuses >= {QuoteStatus.VALIDE, QuoteStatus.SOUSCRIT, QuoteStatus.EXPIRE, QuoteStatus.DECLINE}
    numbers = db.session.scalars(db.select(Quote.number).where(Quote.version == 1)).all()
    assert len(numbers) == len(set(numbers)) == 300  # one number per client, versions under it


def test_generate_needs_a_firm_with_a_broker(app):
    result = app.test_cli_runner().invoke(args=["portal", "generate", "--clients", "5", "--firm", "Inconnu"])
    assert result.exit_code != 0 and "Aucun courtier pour le cabinet « Inconnu »" in result.output
