"""Bad input on every wizard field (SPEC §10): a French message next to the field, the form
kept as typed, never a 500 and nothing saved."""
import re
from html import unescape

import pytest

from portal.extensions import db
from portal.quotes.models import Quote


pytestmark = pytest.mark.usefixtures("quote_day")


def error_of(response, field: str) -> str:
    html = response.get_data(as_text=True)
    match = re.search(rf'<p class="error" id="{field}-error" role="alert">([^<]*)</p>', html)
    assert match, f"no error next to {field}"
    return unescape(match.group(1))


NEEDS_CASES = [
    ("besoin_optique", "", "Choisissez un niveau de prise en charge pour ce besoin."),
    ("besoin_dentaire", "5", "Choisissez un niveau de prise en charge pour ce besoin."),
    ("besoin_audiologie", "<script>", "Choisissez un niveau de prise en charge pour ce besoin."),
    ("date_effet", "", "Saisissez la date d'effet souhaitée."),
    ("date_effet", "31/11/2026", "Cette date n'existe pas dans le calendrier."),
    ("date_effet", "demain", "Date invalide : saisissez-la au format jj/mm/aaaa."),
    ("date_effet", "٠١/١٢/٢٠٢٦", "Date invalide : saisissez-la au format jj/mm/aaaa."),
    ("date_effet", "2026-11-19", "La date d'effet du 19/11/2026 est déjà passée."),
    ("regime", "", "Choisissez votre régime de sécurité sociale."),
    ("regime", "inconnu", "Choisissez votre régime de sécurité sociale."),
    ("code_postal", "", "Saisissez le code postal."),
    ("code_postal", "1600", "Code postal invalide : 5 chiffres attendus."),
    ("code_postal", "99999", "Aucune commune ne correspond à ce code postal."),
    ("ville", "75101", "Cette ville ne correspond pas au code postal : choisissez-la dans la liste."),
    ("date_naissance", "", "Saisissez la date de naissance."),
    ("date_naissance", "2030-01-01", "La date de naissance ne peut pas être dans le futur."),
    ("date_naissance", "1850-01-01", "La date de naissance doit être postérieure à 1900."),
    ("date_naissance", "2010-01-01", "L'assuré principal aura 16 ans à la date d'effet"),
    ("conjoint", "", "Indiquez si vous souhaitez couvrir votre conjoint(e)."),
    ("conjoint", "peut-être", "Indiquez si vous souhaitez couvrir votre conjoint(e)."),
    ("enfants", "", "Indiquez si vous souhaitez couvrir vos enfants."),
]


@pytest.mark.parametrize("field, value, message", NEEDS_CASES, ids=[f"{c[0]}={c[1]!r}" for c in NEEDS_CASES])
def test_each_bad_need_answer_is_refused_next_to_its_field(wizard, field, value, message):
    response = wizard.needs(**{field: value})
    assert response.status_code == 422
    assert error_of(response, field).startswith(message)
    # What was typed elsewhere is kept.
    assert 'value="1978-05-04"' in response.get_data(as_text=True) or field == "date_naissance"
    assert db.session.scalar(db.select(db.func.count()).select_from(Quote)) == 0


@pytest.mark.parametrize("count, message", [("", "Indiquez le nombre d'enfants à couvrir."),
                                            ("0", "Indiquez un nombre d'enfants entre 1 et 10."),
                                            ("11", "Indiquez un nombre d'enfants entre 1 et 10."),
                                            ("deux", "Indiquez un nombre d'enfants entre 1 et 10."),
                                            ("-1", "Indiquez un nombre d'enfants entre 1 et 10."),
                                            ("9" * 400, "Indiquez un nombre d'enfants entre 1 et 10."),
                                            # "²".isdigit() is true and int("²") raised: a 500.
                                            ("²", "Indiquez un nombre d'enfants entre 1 et 10."),
                                            # int("٣") is 3: only ASCII digits are a number here.
                                            ("٣", "Indiquez un nombre d'enfants entre 1 et 10."),
                                            ("1" + "0" * 20, "Indiquez un nombre d'enfants entre 1 et 10.")])
def test_the_number_of_children_is_between_1_and_10(wizard, count, message):
    response = wizard.needs(enfants="oui", nombre_enfants=count)
    assert response.status_code == 422 and error_of(response, "nombre_enfants") == message


def test_a_spouse_needs_a_birth_date_within_the_ages(wizard):
    response = wizard.needs(conjoint="oui", date_naissance_conjoint="")
    assert error_of(response, "date_naissance_conjoint") == "Saisissez la date de naissance du (de la) conjoint(e)."
    response = wizard.needs(conjoint="oui", date_naissance_conjoint="1940-06-01")
    assert error_of(response, "date_naissance_conjoint").startswith("Le (la) conjoint(e) aura 86 ans à la date d'effet")


def test_ten_children_and_a_spouse_are_priced(wizard):
    assert wizard.needs(conjoint="oui", date_naissance_conjoint="1980-02-29", enfants="oui", nombre_enfants="10").status_code == 302
    assert wizard.solutions_page().status_code == 200


CONTACT_CASES = [
    ("civilite", "", "Choisissez la civilité : Madame ou Monsieur."),
    ("civilite", "Docteur", "Choisissez la civilité : Madame ou Monsieur."),
    ("nom", "", "Saisissez le nom."),
    ("nom", "Dupont<script>", "Le nom contient des caractères non autorisés (< > ou caractères de contrôle)."),
    ("nom", "Dupont\x07", "Le nom contient des caractères non autorisés (< > ou caractères de contrôle)."),
    ("nom", "R2D2", "Le nom ne peut contenir que des lettres, des espaces, des tirets et des apostrophes."),
    ("nom", "A" * 81, "Le nom compte au plus 80 caractères."),
    ("nom_naissance", "X Æ A-12", "Le nom de naissance ne peut contenir que des lettres"),
    ("prenom", "", "Saisissez le prénom."),
    ("prenom", "<b>Jean</b>", "Le prénom contient des caractères non autorisés"),
    ("date_naissance", "", "Saisissez la date de naissance."),
    ("date_naissance", "31/02/1978", "Cette date n'existe pas dans le calendrier."),
    ("adresse", "", "Saisissez l'adresse."),
    ("adresse", "3 rue <img src=x>", "L'adresse contient des caractères non autorisés"),
    ("adresse", "x" * 121, "L'adresse compte au plus 120 caractères."),
    ("adresse_complementaire", "y" * 121, "L'adresse complémentaire compte au plus 120 caractères."),
    ("code_postal", "ABCDE", "Code postal invalide : 5 chiffres attendus."),
    ("ville", "", "Choisissez la ville dans la liste."),
    ("pays", "", "Saisissez le pays."),
    ("pays", "Belgique", "Ce produit est réservé aux personnes résidant en France"),
    ("telephone_portable", "01 45 00 00 00", "Saisissez un numéro de portable français"),
    ("telephone_portable", "06 12", "Saisissez un numéro de portable français"),
    ("email", "", "Saisissez l'adresse e-mail du client."),
    ("email", "jean.dupont@", "Adresse e-mail invalide (exemple : prenom.nom@exemple.fr)."),
    ("email", "a" * 250 + "@exemple.fr", "L'adresse e-mail compte au plus 254 caractères."),
]


@pytest.mark.parametrize("field, value, message", CONTACT_CASES, ids=[f"{c[0]}={c[1][:12]!r}" for c in CONTACT_CASES])
def test_each_bad_contact_answer_is_refused_next_to_its_field(wizard, field, value, message):
    wizard.needs()
    wizard.choose("300")
    changes = {field: value}
    if field == "code_postal":
        changes["ville"] = ""
    if field == "ville":
        changes["code_postal"] = "20000"  # two communes: the broker must choose
    response = wizard.contact(**changes)
    assert response.status_code == 422
    assert error_of(response, field).startswith(message)
    html = response.get_data(as_text=True)
    assert 'value="jean.dupont@exemple.fr"' in html or field == "email"
    assert db.session.get(Quote, wizard.quote_id).step == 2  # nothing saved from this screen


def test_an_unknown_formula_or_option_is_refused(wizard, client):
    wizard.needs()
    response = wizard.choose("999")
    assert response.status_code == 422 and error_of(response, "formule") == "Choisissez une formule."
    response = wizard.choose("300", ["inconnue"])
    assert response.status_code == 422 and "Option inconnue pour ce produit." in response.get_data(as_text=True)


def test_a_stale_form_gets_a_clear_page_not_a_500(wizard, client):
    wizard.needs()
    response = client.post(f"/devis/{wizard.quote_id}/besoins", data={"csrf_token": "périmé"})
    assert response.status_code == 400
    assert "formulaire" in response.get_data(as_text=True).lower()


def test_ids_that_do_not_exist_are_404(wizard, client):
    for path in ("/devis/999999", "/devis/999999/besoins", "/devis/999999/document"):
        assert client.get(path).status_code == 404
