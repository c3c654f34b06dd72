"""Who sees what: role checks, and the firm scoping every broker query goes through.

A broker sees the rows of its own firm only; back-office and admin users see every firm.
A row of another firm is answered exactly like a row that does not exist: 404.

    stmt = scoped(select(Quote).order_by(Quote.created_at), current_user)
    quote = get_scoped_or_404(Quote, quote_id, current_user)
    # firm reached through a join: name the column, and the join
    link = get_scoped_or_404(CustomerLink, link_id, current_user, Quote.firm_id, joins=[CustomerLink.quote])
"""
from __future__ import annotations

from functools import wraps
from typing import Any, Iterable

from flask import abort
from flask_login import current_user
from sqlalchemy import BigInteger, Select, false, select

from ..extensions import db, login_manager
from .models import Role, User

ALL_FIRMS_ROLES = frozenset({Role.BACKOFFICE, Role.ADMIN})


def roles_required(*roles: Role | str):
    """View decorator: staff login required, and 403 unless the user has one of `roles`."""
    allowed = frozenset(Role(role) for role in roles)

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not getattr(current_user, "is_staff", False) or current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


# The rules of the README roles table ("Comptes et connexion"), each defined once here and
# named by who passes; every staff view carries one of them.
#: Brokers: selling and acting on their firm's dossiers (quote wizard and actions, "Clôturer").
brokers_only = roles_required(Role.BROKER)
#: Every staff role: the agenda, portfolio, quotes, contracts, exports, product sheets, "Renvoyer" a message;
#: a broker within its firm (scoping), the back-office and the administrator across all firms.
staff_readers = roles_required(Role.BROKER, Role.BACKOFFICE, Role.ADMIN)
#: The back-office and the administrator: the queue, the management dossier, the journal, failed messages.
management_readers = roles_required(Role.BACKOFFICE, Role.ADMIN)
#: The back-office alone: deciding on pieces, creating the adhesion, the SEPA file.
management_only = roles_required(Role.BACKOFFICE)
#: The administrator alone: firms and accounts.
admin_only = roles_required(Role.ADMIN)


def sees_all_firms(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.role in ALL_FIRMS_ROLES)


def _firm_column(stmt: Select, firm_column):
    if firm_column is not None:
        return firm_column
    entity = stmt.column_descriptions[0].get("entity") if stmt.column_descriptions else None
    column = getattr(entity, "firm_id", None)
    if column is None:
        raise TypeError(f"{entity!r} has no firm_id column: pass firm_column (and join its table).")
    return column


def firm_condition(user: User | None, firm_column):
    """The WHERE condition limiting `firm_column` to what `user` may see (None: no limit)."""
    if sees_all_firms(user):
        return None
    if (user is not None and getattr(user, "is_authenticated", False) and user.role == Role.BROKER
            and user.firm_id is not None):
        return firm_column == user.firm_id
    return false()  # anonymous, a broker without a firm, an unknown role: nothing


def scoped(query: Select | type, user: User | None, firm_column=None) -> Select:
    """`query` (a select, or a model class) limited to the rows `user` may see.

    The firm column defaults to `<first entity>.firm_id`; pass `firm_column` when the firm
    is reached through another table (the query must then join it).
    """
    stmt = select(query) if isinstance(query, type) else query
    condition = firm_condition(user, _firm_column(stmt, firm_column))
    return stmt if condition is None else stmt.where(condition)


def _coerce_id(model, ident: Any):
    column = model.__mapper__.primary_key[0]
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return ident
    try:
        key = ident if isinstance(ident, python_type) else python_type(ident)
    except (TypeError, ValueError):
        return None
    if python_type is int:
        # Out of the column's range, the database would raise instead of finding nothing.
        limit = 2**63 if isinstance(column.type, BigInteger) else 2**31
        if not -limit <= key < limit:
            return None
    return key


def get_scoped_or_404(model, ident: Any, user: User | None, firm_column=None, *, joins: Iterable = ()):
    """The row of `model` with primary key `ident` if `user` may see it; otherwise 404.

    Another firm's row, a missing row and a malformed id all answer the same 404.
    """
    key = _coerce_id(model, ident)
    if key is None:
        abort(404)
    stmt = select(model)
    for target in joins:
        stmt = stmt.join(target)
    primary = model.__mapper__.primary_key[0]
    stmt = scoped(stmt.where(primary == key), user, firm_column)
    row = db.session.scalars(stmt).first()
    if row is None:
        abort(404)
    return row


def ensure_in_scope(obj, user: User | None, firm_id: int | None = ...):
    """An object already loaded: returned if `user` may see it, 404 otherwise.

    `firm_id` defaults to `obj.firm_id`; pass it when the firm is found elsewhere.
    """
    if obj is None:
        abort(404)
    if sees_all_firms(user):
        return obj
    owner = getattr(obj, "firm_id", None) if firm_id is ... else firm_id
    if (user is None or not getattr(user, "is_authenticated", False) or user.role != Role.BROKER
            or user.firm_id is None or owner != user.firm_id):
        abort(404)
    return obj
