"""The checks every form shares (SPEC §10): each bad value has its French message. Expected values
are written by hand (NIR keys worked out as 97 − the 13 first digits mod 97, Corsica as 19/18)."""
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal import validators
from portal.formatting import folded

TODAY = date(2026, 11, 20)
BORN = date(1978, 5, 4)


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
    ("٠٤/٠٥/١٩٧٨", "Date invalide : saisissez-la au format jj/mm/aaaa."),
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


# -- telephone -------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored, shown", [
    ("06 12 34 56 78", "+33612345678", "06 12 34 56 78"),
    ("07.81.23.45.67", "+33781234567", "07 81 23 45 67"),
    ("+33 6 12 34 56 78", "+33612345678", "06 12 34 56 78"),
    ("0033612345678", "+33612345678", "06 12 34 56 78"),
    ("0612345678", "+33612345678", "06 12 34 56 78"),
])
def test_french_mobiles_are_stored_in_international_form_and_shown_in_national_form(typed, stored, shown):
    assert validators.french_mobile(typed) == stored
    assert validators.display_mobile(stored) == shown


@pytest.mark.parametrize("typed", ["01 23 45 67 89", "05 45 00 00 00", "09 51 23 45 67"])
def test_a_landline_cannot_receive_the_signature_code(typed):
    message = (r"^Saisissez un numéro de portable français \(06 ou 07\) : ce numéro est un fixe, "
               r"qui ne peut pas recevoir le code de signature par SMS\.$")
    with pytest.raises(ValueError, match=message):
        validators.french_mobile(typed)


@pytest.mark.parametrize("typed", ["06 12 34 56", "+44 7700 900123", "abc", "0612345678901", "", "6" * 40])
def test_foreign_and_malformed_numbers_are_refused(typed):
    with pytest.raises(ValueError, match=r"^Saisissez un numéro de portable français \(06 ou 07, exemple : 06 12 34 56 78\)\.$"):
        validators.french_mobile(typed)


@pytest.mark.parametrize("typed, shown", [("0545000000", "05 45 00 00 00"), ("+33 1 23 45 67 89", "01 23 45 67 89"),
                                          ("06-12-34-56-78", "06 12 34 56 78")])
def test_any_french_number_is_shown_in_national_form(typed, shown):
    assert validators.french_phone(typed) == shown


@pytest.mark.parametrize("typed", ["05 45 00 00", "+1 202 555 0143", "téléphone"])
def test_a_phone_that_is_not_french_is_refused(typed):
    with pytest.raises(ValueError, match="^Numéro de téléphone français invalide"):
        validators.french_phone(typed)


def test_an_unreadable_stored_mobile_is_shown_as_stored():
    assert validators.display_mobile("") == ""
    assert validators.display_mobile("+4477009001") == "+4477009001"


# -- names and e-mails -------------------------------------------------------------------------

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
    for bad in ("jean", "jean@", "@exemple.fr", "jean dupont@exemple.fr", "a" * 250 + "@exemple.fr",
                "jean\x01@exemple.fr", "jean@exemple.fr\u200b", "jean@localhost"):
        with pytest.raises(ValueError, match="^(Adresse e-mail invalide|L'adresse e-mail compte au plus|Une adresse)"):
            validators.email_address(bad)


@pytest.mark.parametrize("address", ["=1+1@exemple.fr", "+33@exemple.fr", "-jean@exemple.fr", "@@exemple.fr"])
def test_an_address_that_a_spreadsheet_would_read_as_a_formula_is_refused(address):
    with pytest.raises(ValueError, match=r"^Une adresse e-mail ne peut pas commencer par =, \+, - ou @\.$"):
        validators.email_address(address)


# -- NIR ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, civility, born, stored", [
    ("1 78 05 75 115 123 19", "Monsieur", BORN, "178057511512319"),
    ("178057511512319", "Monsieur", BORN, "178057511512319"),
    ("2 95 09 99 126 111 77", "Madame", date(1995, 9, 12), "295099912611177"),       # born in Greece (99 126)
    ("2 76 02 2A 004 012 25", "Madame", date(1976, 2, 1), "276022A00401225"),        # Corse-du-Sud
    ("1 80 08 2b 033 012 05", "Monsieur", date(1980, 8, 30), "180082B03301205"),     # Haute-Corse, lower case
    ("1 53 07 20 004 012 91", "Monsieur", date(1953, 7, 14), "153072000401291"),     # Corsica before the split
    ("2 53 07 2B 073 004 70", "Madame", date(1953, 7, 2), "253072B07300470"),        # rewritten with 2B: kept
    ("1 78 30 75 115 123 31", "Monsieur", BORN, "178307511512331"),                  # month unknown (30)
    ("1 78 20 75 115 123 65", "Monsieur", BORN, "178207511512365"),                  # month unknown (20)
    ("7 78 05 75 115 123 10", "Monsieur", BORN, "778057511512310"),                  # temporary number, man
    ("8 78 05 75 115 123 57", "Madame", BORN, "878057511512357"),                    # temporary number, woman
])
def test_valid_nirs_are_accepted_in_compact_form(typed, civility, born, stored):
    assert validators.nir(typed, civility, born) == stored


@pytest.mark.parametrize("typed, civility, born, message", [
    ("1 78 05 75 115 123 18", "Monsieur", BORN, "La clé du numéro de sécurité sociale ne correspond pas"),
    ("1 78 05 75 115 123", "Monsieur", BORN, "Le numéro de sécurité sociale compte 15 caractères"),
    ("1 78 05 75 115 123 199", "Monsieur", BORN, "Le numéro de sécurité sociale compte 15 caractères"),
    ("1 78 05 2C 115 123 19", "Monsieur", BORN, "Le numéro de sécurité sociale compte 15 caractères"),
    ("2 78 05 75 115 123 66", "Monsieur", BORN,
     r"Le numéro de sécurité sociale ne correspond pas à la civilité \(Monsieur : il commence par 1\)"),
    ("1 78 05 75 115 123 19", "Madame", BORN,
     r"Le numéro de sécurité sociale ne correspond pas à la civilité \(Madame : il commence par 2\)"),
    ("5 78 05 75 115 123 13", "Monsieur", BORN, r"Le numéro de sécurité sociale commence par 1 \(homme\) ou 2 \(femme\)."),
    ("1 78 05 75 115 123 19", "Monsieur", date(1979, 5, 4),
     r"L'année du numéro de sécurité sociale \(78\) ne correspond pas à la date de naissance \(04/05/1979\)"),
    ("1 78 05 75 115 123 19", "Monsieur", date(1978, 6, 4),
     r"Le mois du numéro de sécurité sociale \(05\) ne correspond pas à la date de naissance \(04/06/1978\)"),
    ("2 76 02 20 004 012 95", "Madame", date(1976, 2, 1), "Pour une naissance en Corse depuis 1976, le département du numéro est 2A ou 2B, pas 20."),
    ("1 78 05 00 115 123 07", "Monsieur", BORN, r"Le département de naissance du numéro de sécurité sociale \(00\)"),
    ("1 78 05 75 115 000 45", "Monsieur", BORN, "Le numéro d'ordre du numéro de sécurité sociale ne peut pas être 000"),
    ("１ ７８ ０５ ７５ １１５ １２３ １９", "Monsieur", BORN, "Le numéro de sécurité sociale compte 15 caractères"),
])
def test_wrong_nirs_get_the_reason_in_french(typed, civility, born, message):
    with pytest.raises(ValueError, match="^" + message):
        validators.nir(typed, civility, born)


def test_an_unknown_birth_month_code_outside_insee_ranges_is_compared():
    # 13 is neither a month nor one of INSEE's unknown-month codes (20, 30-42, 50-99).
    with pytest.raises(ValueError, match=r"^Le mois du numéro de sécurité sociale \(13\)"):
        validators.nir("1 78 13 75 115 123 50", "Monsieur", BORN)


# -- IBAN and BIC ------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored", [
    ("FR76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"),
    ("fr7630006000011234567890189", "FR7630006000011234567890189"),
    ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ("FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606"),
])
def test_valid_ibans_are_stored_compact(typed, stored):
    assert validators.iban(typed) == stored


@pytest.mark.parametrize("typed, message", [
    ("FR76 3000 6000 0112 3456 7890 188", "IBAN invalide : la clé ne correspond pas, vérifiez chaque caractère."),
    ("FR76 3000 6000 0112 3456 7890 18", r"IBAN invalide : le nombre de caractères ne correspond pas au pays \(27 pour la France\)."),
    ("XX76 3000 6000 0112 3456 7890 189", "IBAN invalide : « XX » n'est pas un code pays d'IBAN."),
    ("FR76-3000-6000", "IBAN invalide : lettres et chiffres seulement"),
    ("", "IBAN invalide : lettres et chiffres seulement"),
    ("BR15 0000 0000 0000 1093 2840 814P 2", "Le prélèvement SEPA demande un compte dans un pays de la zone SEPA."),
])
def test_wrong_ibans_get_the_reason_in_french(typed, message):
    with pytest.raises(ValueError, match="^" + message):
        validators.iban(typed)


def test_the_bic_is_derived_from_the_iban_when_the_bank_is_known():
    assert validators.bic_for_iban("FR1420041010050500013M02606") == "PSSTFRPP"  # La Banque Postale
    assert validators.bic_for_iban("DE89370400440532013000") == "COBADEFFXXX"  # Commerzbank
    assert validators.bic_for_iban("FR7699999000011234567890152") is None  # no bank 99999 in the registry


@pytest.mark.parametrize("typed, account, stored", [("bnpa fr pp", "FR7630006000011234567890189", "BNPAFRPP"),
                                                     ("PSSTFRPPXXX", None, "PSSTFRPPXXX"),
                                                     ("BDAFGPGP", "FR7630006000011234567890189", "BDAFGPGP")])
def test_valid_bics_are_stored_compact(typed, account, stored):
    assert validators.bic(typed, account) == stored


@pytest.mark.parametrize("typed, account, message", [
    ("BNPAFRP", None, r"BIC invalide : 8 ou 11 lettres et chiffres \(exemple : BNPAFRPP\)."),
    ("BNPA FR PP X", None, r"BIC invalide : 8 ou 11 lettres et chiffres"),
    ("BNPA1RPP", None, r"BIC invalide : 4 caractères pour la banque, 2 lettres pour le pays \(FR…\)"),
    ("BNPAQQPP", None, r"BIC invalide : 4 caractères pour la banque, 2 lettres pour le pays \(FR…\)"),
    ("COBADEFF", "FR7630006000011234567890189", r"Le BIC \(DE\) n'est pas du pays de l'IBAN \(FR\)."),
])
def test_wrong_bics_get_the_reason_in_french(typed, account, message):
    with pytest.raises(ValueError, match="^" + message):
        validators.bic(typed, account)


def test_masked_values_show_only_their_last_four_characters():
    assert validators.masked("FR7630006000011234567890189") == "•••• •••• •••• •••• •••• •••0 189"
    assert validators.masked("178057511512319") == "•••• •••• •••2 319"


# -- accent folding ----------------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored", [("oeuvray", "Œuvray"), ("strasse", "Straße"), ("laetitia", "Lætitia"),
                                           ("dupont", "Dupönt"), ("jean marie", " Jean   Marie ")])
def test_searches_find_names_with_ligatures_and_accents(typed, stored):
    # Search keys are compared upper-cased.
    assert folded(typed).upper() == folded(stored).upper()


def test_folding_spells_ligatures_out():
    assert folded("Œuvray Æsop Straße") == "OEuvray AEsop Strasse"


# -- nothing but ValueError, whatever is typed -------------------------------------------------

ANY_TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=60) | st.sampled_from(
    ["²", "٠٦١٢٣٤٥٦٧٨", "０６１２３４５６７８", "\U0010FFFF", "FR76²", "1 78 05 75 115 123 1²", "BNPAFRP²", "ß" * 20,
     "=1+1@exemple.fr", "\udfff", "𝟎𝟔𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖"])


def _only_value_error(check, text):
    try:
        check(text)
    except ValueError:
        pass


@settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT)
def test_no_validator_raises_anything_but_value_error_on_any_text(text):
    for check in (validators.parse_date, lambda t: validators.birth_date(t, TODAY), validators.email_address,
                  validators.french_mobile, validators.french_phone, validators.person_name, validators.plain_text,
                  lambda t: validators.nir(t, "Madame", BORN), validators.iban, validators.bic,
                  lambda t: validators.bic("BNPAFRPP", t)):
        _only_value_error(check, text)
    assert isinstance(validators.display_mobile(text), str)
    assert validators.bic_for_iban(text) is None or len(validators.bic_for_iban(text)) in (8, 11)
    assert isinstance(folded(text), str)


def test_a_nir_typed_before_the_civility_is_checked_for_everything_else():
    assert validators.nir("2 78 05 75 115 123 66", "", BORN) == "278057511512366"
    with pytest.raises(ValueError, match="^La clé du numéro de sécurité sociale ne correspond pas"):
        validators.nir("2 78 05 75 115 123 67", "", BORN)


def _shown_by_the_library(e164: str) -> str:
    """display_mobile as it was, through phonenumbers for every number."""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, "FR")
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code != 33 or not phonenumbers.is_valid_number(number):
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


@settings(max_examples=3000)
@given(st.from_regex(r"\+33[0-9]{9}", fullmatch=True) | st.from_regex(r"\+33[67][0-9]{7,9}", fullmatch=True)
       | st.text(alphabet=st.characters(), max_size=16))
def test_the_fast_display_of_mobiles_shows_what_phonenumbers_shows(e164):
    assert validators.display_mobile(e164) == _shown_by_the_library(e164)


@pytest.mark.parametrize(("stored", "shown"), [
    ("+33612345678", "06 12 34 56 78"), ("+33798765432", "07 98 76 54 32"),
    ("+33700000000", "+33700000000"),  # 070 is no mobile range: shown as stored, as the library does
    ("+33639000000", "+33639000000"),
])
def test_mobiles_of_the_mobile_ranges_and_outside_them(stored, shown):
    assert validators.display_mobile(stored) == shown
