"""The administrator's forms. Business checks (identity of a firm, e-mail, role) live in auth.accounts."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice

from ..auth.models import Role


def _strip(value):
    return value.strip() if isinstance(value, str) else value


ROLE_LABELS = {Role.BROKER.value: "Courtier", Role.BACKOFFICE.value: "Service de gestion",
               Role.ADMIN.value: "Administrateur"}


class FirmForm(FlaskForm):
    raison_sociale = StringField("Raison sociale", filters=[_strip])
    orias = StringField("Numéro ORIAS", filters=[_strip])
    telephone = StringField("Téléphone", filters=[_strip])
    adresse = StringField("Adresse", filters=[_strip])
    email = StringField("E-mail de contact", filters=[_strip])


class InviteForm(FlaskForm):
    email = StringField("E-mail professionnel", filters=[_strip])
    prenom = StringField("Prénom", filters=[_strip])
    nom = StringField("Nom", filters=[_strip])
    # Choices are checked by the service, with its French message, not by WTForms.
    role = SelectField("Rôle", choices=[SelectChoice(value, label) for value, label in ROLE_LABELS.items()],
                       validate_choice=False)
    cabinet = SelectField("Cabinet (courtiers)", validate_choice=False)


def show_errors(form, errors: dict[str, list[str]], fields: dict[str, str]) -> None:
    """Put each service error next to its field (`fields` maps service names to form fields)."""
    for name, messages in errors.items():
        field = getattr(form, fields.get(name, ""), None)
        if field is not None:
            field.errors = list(field.errors) + list(messages)
        else:
            form.form_errors = list(form.form_errors) + list(messages)
