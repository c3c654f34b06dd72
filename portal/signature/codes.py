"""The SMS code of an electronic signature: 6 random digits, 10 minutes, 5 tries, re-sent at
most 3 times 60 s apart.

Every limit is one conditional UPDATE, so that parallel requests (a double click, two tabs)
cannot get past it: the database decides which request wins a try, a re-send or the
verification. The code is only in the SMS; the table keeps its HMAC, keyed by SECRET_KEY
and salted per challenge, so a copy of the database does not give it away.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..clock import as_utc, now
from ..extensions import db
from ..messaging.service import queue_sms
from ..validators import display_mobile, french_mobile
from .models import CodeStatus, SignatureCode

LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_RESENDS = 3
RESEND_DELAY = timedelta(seconds=60)
SMS_TEXT = "Mes Solutions Plus : votre code de signature est {code}. Il expire dans 10 minutes."


class CodeError(Exception):
    """A code that cannot be sent or accepted; the message is for the signer, in French."""


class WrongCode(CodeError):
    def __init__(self, remaining: int):
        self.remaining = remaining
        tries = "essai" if remaining == 1 else "essais"
        super().__init__(f"Code incorrect. Il vous reste {remaining} {tries}.")


class TooManyAttempts(CodeError):
    def __init__(self):
        super().__init__("Vous avez saisi 5 codes incorrects : la signature est bloquée.")


class CodeExpired(CodeError):
    def __init__(self):
        super().__init__("Ce code a expiré. Demandez un nouveau code.")


class ResendRefused(CodeError):
    def __init__(self, message: str, wait_seconds: int = 0):
        self.wait_seconds = wait_seconds
        super().__init__(message)


@dataclass(frozen=True)
class CodeSent:
    masked_phone: str       # "06 •• •• •• 12"
    expires_at: datetime
    resends_left: int


def mask_phone(e164: str) -> str:
    """"+33612345678" → "06 •• •• •• 78": enough for the signer to recognise the number."""
    shown = display_mobile(e164)
    groups = shown.split(" ")
    if len(groups) != 5:
        return "•" * max(len(shown) - 2, 0) + shown[-2:]
    return " ".join([groups[0], "••", "••", "••", groups[4]])


def _digest(salt: str, subject: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{salt}\x00{subject}\x00{code}".encode(), hashlib.sha256).hexdigest()


def _new_code(subject: str) -> tuple[str, dict]:
    code = f"{secrets.randbelow(10 ** 6):06d}"
    salt = secrets.token_hex(16)
    return code, {"code_hash": _digest(salt, subject, code), "salt": salt}


def _sent(row_phone: str, expires_at: datetime, resends: int) -> CodeSent:
    return CodeSent(mask_phone(row_phone), as_utc(expires_at), MAX_RESENDS - resends)


def send_code(subject: str, phone: str) -> CodeSent:
    """Send a code for `subject`, unless one is already waiting (a second click sends nothing).

    A challenge that expired or was blocked is replaced: the signature can start again.
    Commits: the SMS goes out with the challenge or not at all.
    """
    phone = french_mobile(phone)
    moment = now()
    code, secret = _new_code(subject)
    fresh = {**secret, "phone": phone, "status": CodeStatus.PENDING.value, "attempts": 0, "resends": 0,
             "sent_at": moment, "expires_at": moment + LIFETIME, "verified_at": None}
    replaced = db.session.execute(
        update(SignatureCode).where(
            SignatureCode.subject == subject,
            or_(SignatureCode.status == CodeStatus.BLOCKED.value,
                and_(SignatureCode.status == CodeStatus.PENDING.value, SignatureCode.expires_at <= moment)))
        .values(**fresh).execution_options(synchronize_session=False)
    ).rowcount
    if not replaced:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(SignatureCode).values(subject=subject, **fresh))
        except IntegrityError:
            # A challenge exists and is still running (or already verified): nothing to send.
            current = _current(subject)
            if current.status == CodeStatus.VERIFIED.value:
                raise CodeError("Ce document est déjà signé.") from None
            return _sent(current.phone, current.expires_at, current.resends)
    queue_sms(to=phone, text=SMS_TEXT.format(code=code))
    db.session.commit()
    return CodeSent(mask_phone(phone), moment + LIFETIME, MAX_RESENDS)


def _current(subject: str) -> SignatureCode:
    row = db.session.scalar(select(SignatureCode).where(SignatureCode.subject == subject)
                            .execution_options(populate_existing=True))
    if row is None:
        raise CodeError("Aucun code n'a été envoyé pour cette signature.")
    return row


def resend_code(subject: str) -> CodeSent:
    """A new code replaces the previous one (which stops working), for another 10 minutes.
    The tries already used stay used: re-sending does not give more guesses."""
    moment = now()
    code, secret = _new_code(subject)
    won = db.session.execute(
        update(SignatureCode).where(
            SignatureCode.subject == subject, SignatureCode.status == CodeStatus.PENDING.value,
            SignatureCode.resends < MAX_RESENDS, SignatureCode.sent_at <= moment - RESEND_DELAY)
        .values(**secret, resends=SignatureCode.resends + 1, sent_at=moment, expires_at=moment + LIFETIME)
        .returning(SignatureCode.phone, SignatureCode.resends).execution_options(synchronize_session=False)
    ).one_or_none()
    if won is None:
        current = _current(subject)
        if current.status == CodeStatus.VERIFIED.value:
            raise CodeError("Ce document est déjà signé.")
        if current.status == CodeStatus.BLOCKED.value:
            raise TooManyAttempts()
        if current.resends >= MAX_RESENDS:
            raise ResendRefused("Vous avez déjà demandé 3 nouveaux codes : vous ne pouvez plus en demander.")
        wait = max(1, int((as_utc(current.sent_at) + RESEND_DELAY - moment).total_seconds() + 0.999))
        raise ResendRefused(f"Vous pourrez demander un nouveau code dans {wait} secondes.", wait)
    phone, resends = won
    queue_sms(to=phone, text=SMS_TEXT.format(code=code))
    db.session.commit()
    return CodeSent(mask_phone(phone), moment + LIFETIME, MAX_RESENDS - resends)


def verify_code(subject: str, code: str) -> None:
    """Accept the right code once; raise WrongCode, TooManyAttempts, CodeExpired or CodeError.

    Each try is taken by one UPDATE (attempts < 5, not expired) before the comparison, so
    parallel guesses never get more than 5 tries between them; marking the challenge
    verified is a second conditional UPDATE, so the right code typed twice wins once.
    """
    moment = now()
    typed = "".join(code.split())
    taken = db.session.execute(
        update(SignatureCode).where(
            SignatureCode.subject == subject, SignatureCode.status == CodeStatus.PENDING.value,
            SignatureCode.attempts < MAX_ATTEMPTS, SignatureCode.expires_at > moment)
        .values(attempts=SignatureCode.attempts + 1)
        .returning(SignatureCode.id, SignatureCode.salt, SignatureCode.code_hash, SignatureCode.attempts)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if taken is None:
        current = _current(subject)
        if current.status == CodeStatus.VERIFIED.value:
            raise CodeError("Ce code a déjà été utilisé : le document est signé.")
        if current.status == CodeStatus.BLOCKED.value or current.attempts >= MAX_ATTEMPTS:
            raise TooManyAttempts()
        raise CodeExpired()
    row_id, salt, code_hash, attempts = taken
    right = (len(typed) == 6 and typed.isascii() and typed.isdigit()
             and hmac.compare_digest(_digest(salt, subject, typed), code_hash))
    if right:
        verified = db.session.execute(
            update(SignatureCode).where(SignatureCode.id == row_id, SignatureCode.status == CodeStatus.PENDING.value)
            .values(status=CodeStatus.VERIFIED.value, verified_at=moment).execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if not verified:
            raise CodeError("Ce code a déjà été utilisé : le document est signé.")
        return
    if attempts >= MAX_ATTEMPTS:
        db.session.execute(update(SignatureCode).where(SignatureCode.id == row_id,
                                                       SignatureCode.status == CodeStatus.PENDING.value)
                           .values(status=CodeStatus.BLOCKED.value).execution_options(synchronize_session=False))
        db.session.commit()
        raise TooManyAttempts()
    db.session.commit()
    raise WrongCode(MAX_ATTEMPTS - attempts)


def cancel_code(subject: str) -> None:
    """The signature stopped (failed, restarted, or the seal could not be applied): the code
    sent stops working, and the next send_code sends a new one. In the caller's transaction."""
    db.session.execute(update(SignatureCode).where(SignatureCode.subject == subject,
                                                   SignatureCode.status != CodeStatus.BLOCKED.value)
                       .values(status=CodeStatus.BLOCKED.value).execution_options(synchronize_session=False))
