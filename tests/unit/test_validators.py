"""The checks every form shares (SPEC §10): each bad value has its French message."""
from datetime import date

import pytest

from portal import validators

TODAY = date(2026, 11, 20)


@pytest.mark.parametrize("typed, expected", [("04/05/1978", date(1978, 5, 4)), ("4/5/1978", date(1978, 5, 4)),
                                             ("1978-05-04", date(1978, 5, 4)), (" 29/02/2024 ", date(2024, 2, 29))])
def test_dates_are_read_as_typed_or_as_a_date_picker_sends_them(typed, expected):
    assert validators.parse_date(typed) == expected


@pytest.mark.parametrize("typed, message", [
    ("30/02/2024", "Cette date n'existe pas dans le calendrier."),
    ("29/02/2023", "Cette date n'existe pas dans le calendrier."),
    ("1978-13-01", "Cette date n'existe pas dans le calendrier."),
    ("04-05-1978", "Date invalide : saisissez-la au format jj/mm/aaaa."),
    ("demain", "Date invalide : saisissez-la au format jj/mm/aaaa."),
    ("99999-01-01", "Date invalide : saisissez-la au format jj/mm/aaaa."),
])
def test_impossible_dates_are_refused(typed, message):
    with pytest.raises(ValueError, match=message):
        validators.parse_date(typed)


def test_birth_dates_are_in_the_past_and_after_1900():
    with pytest.raises(ValueError, match="ne peut pas être dans le futur"):
        validators.birth_date("21/11/2026", TODAY)
    with pytest.raises(ValueError, match="postérieure à 1900"):
        validators.birth_date("31/12/1899", TODAY)
    assert validators.birth_date("20/11/2026", TODAY) == TODAY


@pytest.mark.parametrize("typed, stored", [("06 12 34 56 78", "+33612345678"), ("07.81.23.45.67", "+33781234567"),
                                           ("+33 6 12 34 56 78", "+33612345678"), ("0033612345678", "+33612345678")])
def test_french_mobiles_are_stored_in_international_form(typed, stored):
    assert validators.french_mobile(typed) == stored
    assert validators.display_mobile(stored) == "0" + stored[3:4] + " " + " ".join(
        stored[4 + i:6 + i] for i in range(0, 8, 2))


@pytest.mark.parametrize("typed", ["01 23 45 67 89", "06 12 34 56", "+44 7700 900123", "abc", "0612345678901"])
def test_landlines_foreign_and_malformed_numbers_are_refused(typed):
    with pytest.raises(ValueError):
        validators.french_mobile(typed)


@pytest.mark.parametrize("name", ["Dupont", "D'Artagnan", "Le Goff-Hervé", "Éloïse", "Jean Marie", "Œdipe"])
def test_names_with_accents_hyphens_and_apostrophes_are_accepted(name):
    assert validators.person_name(name) == name


@pytest.mark.parametrize("name, message", [("<b>Dupont</b>", "caractères non autorisés"), ("Dup\x00ont", "caractères non autorisés"),
                                           ("Dupont2", "que des lettres"), ("--", "que des lettres")])
def test_markup_digits_and_control_characters_are_refused_in_names(name, message):
    with pytest.raises(ValueError, match=message):
        validators.person_name(name)


def test_emails_are_checked_and_normalised():
    assert validators.email_address(" Jean.Dupont@Exemple.FR ") == "Jean.Dupont@exemple.fr"
    for bad in ("jean", "jean@", "@exemple.fr", "jean dupont@exemple.fr", "a" * 250 + "@exemple.fr"):
        with pytest.raises(ValueError):
            validators.email_address(bad)
