"""The refusals of the auth services: each carries the French sentence to show."""
from __future__ import annotations

BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."
ACCOUNT_INACTIVE = "Ce compte est désactivé. Contactez votre administrateur."
LINK_INVALID = ("Ce lien n'est plus valable : il a expiré, a déjà servi ou a été remplacé par une demande "
                "plus récente. Demandez un nouveau lien.")


class AuthError(Exception):
    """A refusal, with the French sentence to show to the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadCredentials(AuthError):
    """Unknown identifiant, wrong password or no password yet: one answer for all three."""


class TooManyFailures(AuthError):
    """Too many failures: wait a little before the next attempt."""


class AccountLocked(TooManyFailures):
    """Locked for a while after repeated failures from the same address."""


class AccountInactive(AuthError):
    """The account has been deactivated."""


class InvalidLink(AuthError):
    """An unknown, expired, used or replaced password-initialisation link."""

    def __init__(self, message: str = LINK_INVALID):
        super().__init__(message)


class InvalidInput(AuthError):
    """Input refused, with the messages of each field (keys name the fields)."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = {name: list(messages) for name, messages in errors.items() if messages}
        super().__init__(" ".join(m for messages in self.errors.values() for m in messages))


class AlreadyExists(InvalidInput):
    """The only refusal is that the firm or account exists already: `existing` is that row."""

    def __init__(self, errors: dict[str, list[str]], existing):
        super().__init__(errors)
        self.existing = existing
