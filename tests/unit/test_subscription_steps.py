"""The subscription steps' checks take anything typed: all of Unicode (other scripts' digits,
superscripts, the last code point), numbers past 64 bits, very long text. They answer values
and French messages, never an exception; and the messages are the fields' own."""
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.subscription import steps

QUOTED = steps.Quoted(birth_date=date(1978, 5, 4), has_spouse=True, spouse_birth_date=date(1980, 2, 29), children=2,
                      tns_required=True, today=date(2026, 11, 20))
STORED = steps.Stored(nir="178051601512353", conjoint_nir="180022A00401273", iban="FR7630006000011234567890189")
ODD = ["", " ", "²", "١٧٨٠٥١٦٠١٥١٢٣٥٣", "１７８０５", "\U0010ffff", "\x00", "<b>", str(2 ** 64 + 1), str(-2 ** 80),
       "1e308", "31/02/2012", "99999999999999999999/01/2000", "on", "mensuel", "10", "Monsieur", "é" * 500]
typed = st.one_of(st.text(alphabet=st.characters(), max_size=120), st.sampled_from(ODD),
                  st.integers(min_value=-2 ** 100, max_value=2 ** 100).map(str))


@settings(max_examples=150, deadline=None)
@given(step=st.sampled_from([1, 2, 3]), partial=st.booleans(), data=st.data())
def test_every_field_of_every_step_answers_values_and_messages_never_an_exception(step, partial, data):
    names = steps.field_names(step, QUOTED)
    form = data.draw(st.fixed_dictionaries({}, optional={name: typed for name in names}))
    raw = steps.raw_answers(step, QUOTED, form)
    assert set(raw) == set(names) and all(len(value) <= steps.ANSWER_MAX_LENGTH for value in raw.values())
    checked = steps.check(step, raw, QUOTED, STORED, partial=partial)
    assert set(checked.errors) <= set(names)
    assert all(isinstance(message, str) and message for message in checked.errors.values())


def test_a_full_valid_step_1_gives_the_values_to_store():
    form = {"civilite": "Monsieur", "nom": "Dupont", "prenom": "Jean", "nir": "1 78 05 16 015 123 53",
            "mobile": "06 12 34 56 78", "tns": "on", "conjoint_prenom": "Marie", "conjoint_nom": "Dupont",
            "conjoint_nir": "", "enfant1_prenom": "Léa", "enfant1_nom": "Dupont", "enfant1_date_naissance": "01/07/2012",
            "enfant2_prenom": "Hugo", "enfant2_nom": "Dupont", "enfant2_date_naissance": "2015-09-03"}
    checked = steps.check(1, steps.raw_answers(1, QUOTED, form), QUOTED, STORED, partial=False)
    assert checked.errors == {}
    assert checked.values["nir"] == "178051601512353" and checked.values["mobile"] == "+33612345678"
    assert checked.values["spouse"] == {"first_name": "Marie", "last_name": "Dupont", "birth_date": "1980-02-29",
                                        "nir": "180022A00401273"}
    assert checked.values["children"][1] == {"first_name": "Hugo", "last_name": "Dupont", "birth_date": "2015-09-03"}


def test_digits_of_other_scripts_and_superscripts_are_refused_with_the_field_s_message():
    raw = {"titulaire": "Jean Dupont", "iban": "FR76 ３０００ 6000 0112 3456 7890 189", "bic": "", "periodicite": "mensuel",
           "jour_prelevement": "١٠"}
    errors = steps.check(3, raw, QUOTED, steps.Stored(), partial=False).errors
    assert errors["iban"].startswith("IBAN invalide")
    assert errors["jour_prelevement"] == "Le jour de prélèvement est le 5, le 10 ou le 15 du mois."
    nir = steps.check(1, {"civilite": "Monsieur", "nir": "1780516015123⁵³"}, QUOTED, steps.Stored(), partial=True)
    assert nir.errors["nir"].startswith("Le numéro de sécurité sociale compte 15 caractères")


def test_the_autosave_does_not_ask_for_empty_fields_but_suivant_does():
    assert steps.check(3, {}, QUOTED, steps.Stored(), partial=True).errors == {}
    final = steps.check(3, {}, QUOTED, steps.Stored(), partial=False).errors
    assert final == {"titulaire": "Ce champ est obligatoire.", "iban": "Ce champ est obligatoire.",
                     "periodicite": "Ce champ est obligatoire.", "jour_prelevement": "Ce champ est obligatoire."}
