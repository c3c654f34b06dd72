"""The forms of the login pages. Business checks (credentials, policy) live in the services (login.py, links.py)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length

from .passwords import MAX_LENGTH
from .throttling import EMAIL_MAX_LENGTH


def _strip(value):
    return value.strip() if isinstance(value, str) else value


# Long enough for any accepted password, short enough to keep hashing cheap for hostile input.
PASSWORD_FIELD_MAX = 4 * MAX_LENGTH


def _identifiant(label: str = "Identifiant", missing: str = "Saisissez votre identifiant (votre e-mail professionnel).") -> StringField:
    return StringField(label, filters=[_strip], validators=[
        DataRequired(missing),
        Length(max=EMAIL_MAX_LENGTH, message=f"L'identifiant compte au plus {EMAIL_MAX_LENGTH} caractères."),
    ])


def _password(label: str, required_message: str) -> PasswordField:
    return PasswordField(label, validators=[
        DataRequired(required_message),
        Length(max=PASSWORD_FIELD_MAX, message=f"Le mot de passe compte au plus {MAX_LENGTH} caractères."),
    ])


class LoginForm(FlaskForm):
    identifiant = _identifiant()
    mot_de_passe = _password("Mot de passe", "Saisissez votre mot de passe.")


class ClientLoginForm(FlaskForm):
    identifiant = _identifiant(missing="Saisissez votre identifiant (votre adresse e-mail).")
    mot_de_passe = _password("Mot de passe", "Saisissez votre mot de passe.")


def _email(label: str, missing: str, example: str) -> StringField:
    return StringField(label, filters=[_strip], validators=[
        DataRequired(missing),
        Length(max=EMAIL_MAX_LENGTH, message=f"L'adresse e-mail compte au plus {EMAIL_MAX_LENGTH} caractères."),
        Email(f"Adresse e-mail invalide (exemple : {example}).", check_deliverability=False),
    ])


class FirstConnectionForm(FlaskForm):
    email = _email("E-mail professionnel", "Saisissez votre adresse e-mail professionnelle.", "prenom.nom@cabinet.fr")


class ClientLinkForm(FlaskForm):
    email = _email("Adresse e-mail", "Saisissez votre adresse e-mail.", "prenom.nom@exemple.fr")


class InitPasswordForm(FlaskForm):
    nouveau_mot_de_passe = _password("Nouveau mot de passe", "Saisissez votre nouveau mot de passe.")
    confirmation = _password("Confirmation du mot de passe", "Saisissez à nouveau le nouveau mot de passe.")


class ChangePasswordForm(FlaskForm):
    identifiant = _identifiant()
    mot_de_passe_actuel = _password("Mot de passe actuel", "Saisissez votre mot de passe actuel.")
    nouveau_mot_de_passe = _password("Nouveau mot de passe", "Saisissez votre nouveau mot de passe.")
    confirmation = _password("Confirmation du mot de passe", "Saisissez à nouveau le nouveau mot de passe.")


def add_errors(field, messages) -> None:
    """Show business errors next to a field (after validate(), or without it)."""
    field.errors = list(field.errors) + list(messages)


def add_form_error(form, message: str) -> None:
    form.form_errors = list(form.form_errors) + [message]
