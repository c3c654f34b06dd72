"""Firm scoping: a broker sees its own firm's rows only; another firm's id is a plain 404."""
from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin, login_user
from werkzeug.exceptions import Forbidden, NotFound

from portal.auth.models import AuthToken, Firm, Role, User
from portal.auth.scoping import ensure_in_scope, get_scoped_or_404, roles_required, scoped
from portal.clock import now
from portal.extensions import db


@pytest.fixture
def two_firms(make_firm, make_user):
    firm_a = make_firm()
    firm_b = make_firm(name="Courtage Exemple Sud", email="contact@exemple-sud.fr", orias="07000002")
    people = {
        "a1": make_user(email="courtier@cabinet-demo.fr", firm=firm_a),
        "a2": make_user(email="associe@cabinet-demo.fr", firm=firm_a),
        "b1": make_user(email="courtier@exemple-sud.fr", firm=firm_b),
        "gestion": make_user(email="gestion@mes-solutions-plus.fr", role=Role.BACKOFFICE),
        "admin": make_user(email="admin@mes-solutions-plus.fr", role=Role.ADMIN),
    }
    return firm_a, firm_b, people


def emails(stmt) -> set[str]:
    return {user.email for user in db.session.scalars(stmt)}


def test_a_broker_sees_only_its_own_firm(two_firms):
    _, _, people = two_firms
    assert emails(scoped(User, people["b1"])) == {"courtier@exemple-sud.fr"}
    assert emails(scoped(User, people["a1"])) == {"courtier@cabinet-demo.fr", "associe@cabinet-demo.fr"}


def test_back_office_and_admin_see_every_firm(two_firms):
    _, _, people = two_firms
    everyone = {u.email for u in people.values()}
    assert emails(scoped(User, people["gestion"])) == everyone
    assert emails(scoped(User, people["admin"])) == everyone


def test_a_select_keeps_its_own_conditions(two_firms):
    _, _, people = two_firms
    stmt = db.select(User).where(User.email.like("courtier@%"))
    assert emails(scoped(stmt, people["b1"])) == {"courtier@exemple-sud.fr"}
    assert emails(scoped(stmt, people["gestion"])) == {"courtier@cabinet-demo.fr", "courtier@exemple-sud.fr"}


def test_another_firms_id_is_a_404_like_a_missing_one(two_firms):
    _, _, people = two_firms
    b1, a1 = people["b1"], people["a1"]
    assert get_scoped_or_404(User, b1.id, b1) is b1
    with pytest.raises(NotFound):
        get_scoped_or_404(User, a1.id, b1)
    with pytest.raises(NotFound):
        get_scoped_or_404(User, 999_999, b1)
    assert get_scoped_or_404(User, a1.id, people["gestion"]) is a1
    assert get_scoped_or_404(User, str(a1.id), people["admin"]) is a1


@pytest.mark.parametrize("ident", ["abc", "", None, "1; drop table user", 2**40, -(2**40), "9" * 30])
def test_malformed_or_out_of_range_ids_are_404(two_firms, ident):
    _, _, people = two_firms
    with pytest.raises(NotFound):
        get_scoped_or_404(User, ident, people["gestion"])


def test_nobody_else_sees_anything(two_firms, make_user):
    _, _, people = two_firms
    orphan = make_user(email="sans-cabinet@exemple.fr", role=Role.BROKER, firm=None)
    assert emails(scoped(User, orphan)) == set()
    assert emails(scoped(User, AnonymousUserMixin())) == set()
    assert emails(scoped(User, None)) == set()
    with pytest.raises(NotFound):
        get_scoped_or_404(User, people["a1"].id, orphan)


def test_firm_reached_through_a_join(two_firms):
    _, _, people = two_firms
    token = AuthToken(user=people["a1"], purpose="password_init", token_hash="f" * 64, expires_at=now())
    db.session.add(token)
    db.session.commit()
    stmt = db.select(AuthToken).join(AuthToken.user)
    assert db.session.scalars(scoped(stmt, people["b1"], User.firm_id)).all() == []
    assert db.session.scalars(scoped(stmt, people["a2"], User.firm_id)).all() == [token]
    with pytest.raises(NotFound):
        get_scoped_or_404(AuthToken, token.id, people["b1"], User.firm_id, joins=[AuthToken.user])
    assert get_scoped_or_404(AuthToken, token.id, people["a2"], User.firm_id, joins=[AuthToken.user]) is token


def test_a_model_without_firm_column_must_name_it(two_firms):
    _, _, people = two_firms
    with pytest.raises(TypeError):
        scoped(Firm, people["b1"])
    assert {f.name for f in db.session.scalars(scoped(Firm, people["b1"], Firm.id))} == {"Courtage Exemple Sud"}


def test_ensure_in_scope_for_loaded_objects(two_firms):
    firm_a, _, people = two_firms
    assert ensure_in_scope(people["a2"], people["a1"]) is people["a2"]
    with pytest.raises(NotFound):
        ensure_in_scope(people["a2"], people["b1"])
    with pytest.raises(NotFound):
        ensure_in_scope(None, people["gestion"])
    assert ensure_in_scope(firm_a, people["a1"], firm_id=firm_a.id) is firm_a
    with pytest.raises(NotFound):
        ensure_in_scope(firm_a, people["b1"], firm_id=firm_a.id)
    assert ensure_in_scope(people["a2"], people["gestion"]) is people["a2"]


def test_roles_required(app, two_firms):
    _, _, people = two_firms

    @roles_required(Role.BACKOFFICE, "admin")
    def back_office_page():
        return "ok"

    with app.test_request_context("/gestion"):
        response = back_office_page()
        assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")
    with app.test_request_context("/gestion"):
        login_user(people["b1"])
        with pytest.raises(Forbidden):
            back_office_page()
    for who in ("gestion", "admin"):
        with app.test_request_context("/gestion"):
            login_user(people[who])
            assert back_office_page() == "ok"
