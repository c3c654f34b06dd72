"""The contract's two statuses (tables written out here by hand), each refused move, and the
journal telling one column from the other."""
import pytest

from portal.journal.service import TransitionRefused, label, transition
from portal.signature.models import (PROGRESS_TRANSITIONS, SIGNATURE_TRANSITIONS, Contract, Progress,
                                     SignatureState)

SIGNATURE = {
    "en_cours": {"signe", "echec", "manuscrite"},
    "echec": {"en_cours", "manuscrite"},
    "manuscrite": {"en_cours"},
    "signe": set(),
}
PROGRESS = {
    "en_attente_pieces": {"dossier_transmis"},
    "dossier_transmis": {"adhesion_creee"},
    "adhesion_creee": set(),
}


def as_codes(table) -> dict:
    return {start.value: {end.value for end in ends} for start, ends in table.items()}


def test_the_tables_are_the_specified_ones():
    assert as_codes(SIGNATURE_TRANSITIONS) == SIGNATURE
    assert as_codes(PROGRESS_TRANSITIONS) == PROGRESS


def test_labels_as_the_contract_page_writes_them():
    assert [s.label for s in SignatureState] == ["En cours", "Signé", "Manuscrite", "Échec"]
    assert [p.label for p in Progress] == ["En attente de pièces", "Dossier transmis", "Adhésion créée"]
    # The journal finds the label of either column's code under the one object type.
    assert label("signe", "contrat") == "Signé" and label("dossier_transmis", "contrat") == "Dossier transmis"


@pytest.mark.parametrize("signature, progress, target, message", [
    ("signe", "en_attente_pieces", SignatureState.ECHEC, "« Signé » ne peut pas passer à « Échec »."),
    ("echec", None, SignatureState.SIGNE, "« Échec » ne peut pas passer à « Signé »."),
    ("signe", "en_attente_pieces", Progress.ADHESION_CREEE,
     "« En attente de pièces » ne peut pas passer à « Adhésion créée »."),
    ("signe", "adhesion_creee", Progress.DOSSIER_TRANSMIS,
     "« Adhésion créée » ne peut pas passer à « Dossier transmis »."),
])
def test_a_forbidden_move_is_refused_and_changes_neither_column(signature, progress, target, message):
    contract = Contract(signature_state=SignatureState(signature), progress=Progress(progress) if progress else None)
    with pytest.raises(TransitionRefused) as refused:
        transition(contract, target, actor="système", action="test")
    assert refused.value.message == message
    assert contract.signature_state is SignatureState(signature)
    assert contract.progress == (Progress(progress) if progress else None)
