"""The reminders of missing pieces run by `flask portal daily`: 7 and 14 days after the pieces
were asked, once each whatever the number of runs (in parallel too), a missed day caught up,
nothing for a complete dossier, a created adhesion or a signature that did not happen."""
from __future__ import annotations

from datetime import date, timedelta
import re
from html import unescape

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from portal.auth.models import ClientAccount
from portal.dossiers.models import Piece, PieceStatus
from portal.dossiers.reminders import SUBJECT, send_reminders
from portal.dossiers.service import pieces_of
from portal.extensions import db
from portal.journal.models import JournalEntry
from portal.messaging.models import Channel, Message
from portal.signature.models import Contract, Progress, SignatureState

from .signing import fill_subscription, last_code
from .test_client_space import set_password
from .test_dossiers import paper_contract
from .test_reliability import postgresql_only, run_in_threads

SIGNED_ON = date(2026, 11, 20)  # the signing dossier's day (quote_day)


def e_signed_contract(signing_dossier, outbox) -> Contract:
    """Jean Dupont's contract signed electronically on SIGNED_ON through the signature pages;
    nobody has opened it since, so its pieces are not built yet."""
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id)
    prospect.begin()
    prospect.accept_all()
    assert prospect.sign(last_code(outbox)).status_code == 302
    contract = db.session.scalar(select(Contract))
    assert contract.signature_state is SignatureState.SIGNE and contract.progress is Progress.EN_ATTENTE_PIECES
    return contract


def reminders(outbox) -> list[Message]:
    return [m for m in outbox() if m.channel == Channel.EMAIL and m.subject == SUBJECT]


def run_on(offset: int) -> dict[int, int]:
    """`flask portal daily`'s reminders, run at 03:00 on SIGNED_ON + offset days."""
    day = SIGNED_ON + timedelta(days=offset)
    with freeze_time(f"{day.isoformat()} 03:00:00"):
        return send_reminders(day)


def agenda_kinds() -> list[str]:
    return db.session.scalars(select(JournalEntry.agenda_kind).where(JournalEntry.agenda_kind.like("relance_pieces%"))
                              .order_by(JournalEntry.id)).all()


def test_d7_and_d14_reminders_once_each_over_repeated_runs(app, signing_dossier, outbox, quote_day):
    contract = e_signed_contract(signing_dossier, outbox)
    assert db.session.scalar(select(func.count()).select_from(Piece)) == 0
    assert run_on(6) == {7: 0, 14: 0}
    assert reminders(outbox) == []

    assert run_on(7) == {7: 1, 14: 0}
    [mail] = reminders(outbox)
    assert mail.to == "jean.dupont@exemple.fr" and mail.cc == "courtier@cabinet-demo.fr"
    # The pieces were built for the contract nobody opened; every mandatory one is listed.
    mandatory = db.session.scalars(select(Piece.label).where(Piece.contract_id == contract.id,
                                                             Piece.mandatory.is_(True))).all()
    optional = db.session.scalars(select(Piece.label).where(Piece.contract_id == contract.id,
                                                            Piece.mandatory.is_(False))).all()
    assert mandatory
    for label in mandatory:
        assert f"- {label}" in mail.body_text and f"<li>{label}</li>" in unescape(mail.body_html)
    for label in optional:
        assert label not in mail.body_text
    assert f"Votre demande d'adhésion au contrat SMAT ACTIVE TNS, n° {contract.number}" in mail.body_text
    # The account has no password yet and the adhesion e-mail's link is a week old: a new one,
    # which works, instead of the login page.
    link = re.search(r"http://localhost(/espace-client/mot-de-passe/\S+)", mail.body_text).group(1)
    assert f'href="http://localhost{link}"' in mail.body_html and "/espace-client/connexion" not in mail.body_text
    assert "Créez le mot de passe de votre espace client" in mail.body_text
    with freeze_time(f"{(SIGNED_ON + timedelta(days=8)).isoformat()} 09:00:00"):  # the adhesion's has expired
        assert set_password(app, link).status_code == 200
    assert db.session.scalar(select(ClientAccount.password_hash)) is not None
    assert "Bonjour Monsieur DUPONT" in mail.body_text
    assert "Votre conseiller Cabinet Démo Courtage" in mail.body_text
    assert "Ce message est envoyé automatiquement, merci de ne pas y répondre directement." in mail.body_text

    for offset in (7, 8, 13):
        assert run_on(offset) == {7: 0, 14: 0}
    assert run_on(14) == {7: 0, 14: 1}
    # The password is made now: the D+14 reminder leads to the login page.
    second = reminders(outbox)[-1]
    login_link = app.config["BASE_URL"] + "/espace-client/connexion"
    assert login_link in second.body_text and f'href="{login_link}"' in second.body_html
    assert "/espace-client/mot-de-passe/" not in second.body_text + second.body_html
    for offset in (14, 15, 30):
        assert run_on(offset) == {7: 0, 14: 0}
    assert len(reminders(outbox)) == 2
    assert agenda_kinds() == ["relance_pieces_j7", "relance_pieces_j14"]
    event = db.session.scalar(select(JournalEntry).where(JournalEntry.agenda_kind == "relance_pieces_j14"))
    assert event.domain == f"Contrat n° {contract.number}" and event.firm_id == contract.firm_id
    assert f"relance J+14 envoyée au client : {len(mandatory)} pièces justificatives manquantes" in event.description
    assert event.effect_date == SIGNED_ON + timedelta(days=14)


@pytest.mark.parametrize("first_run, sent", [(9, {7: 1, 14: 0}),    # D+7 missed: caught up at D+9
                                             (15, {7: 0, 14: 1}),   # both missed: the D+14 one only
                                             (20, {7: 0, 14: 1}),
                                             (21, {7: 0, 14: 0})])  # three weeks: the broker's call now
def test_a_missed_day_is_caught_up_on_the_next_run(app, signing_dossier, outbox, quote_day, first_run, sent):
    e_signed_contract(signing_dossier, outbox)
    assert run_on(first_run) == sent
    assert run_on(first_run) == {7: 0, 14: 0}
    assert len(reminders(outbox)) == sum(sent.values())


def test_a_piece_refused_or_waiting_is_missing_a_received_or_validated_one_is_not(app, signing_dossier, outbox,
                                                                                  quote_day):
    contract = e_signed_contract(signing_dossier, outbox)
    with freeze_time("2026-11-21 10:00:00"):
        pieces = [piece for piece in pieces_of(contract) if piece.mandatory]
        for piece in pieces:
            piece.status = PieceStatus.VALIDEE
        pieces[0].status = PieceStatus.RECUE
        pieces[-1].status = PieceStatus.REFUSEE
        db.session.commit()
    assert run_on(7) == {7: 1, 14: 0}
    [mail] = reminders(outbox)
    listed = [label for label in (p.label for p in pieces) if f"- {label}" in mail.body_text]
    assert listed == [pieces[-1].label]


def complete(contract: Contract) -> None:
    for piece in pieces_of(contract):
        if piece.mandatory:
            piece.status = PieceStatus.RECUE


def adhesion_created(contract: Contract) -> None:
    contract.progress = Progress.ADHESION_CREEE


def signature_failed(contract: Contract) -> None:
    contract.signature_state, contract.progress = SignatureState.ECHEC, None


@pytest.mark.parametrize("change", [complete, adhesion_created, signature_failed])
def test_nothing_for_a_complete_dossier_a_created_adhesion_or_a_failed_signature(app, signing_dossier, outbox,
                                                                                  quote_day, change):
    contract = e_signed_contract(signing_dossier, outbox)
    change(contract)
    db.session.commit()
    for offset in (7, 14):
        assert run_on(offset) == {7: 0, 14: 0}
    assert reminders(outbox) == [] and agenda_kinds() == []


def test_the_signature_by_hand_counts_from_the_paper_documents_sent(app, signing_dossier, outbox, quote_day):
    """Its signed_at waits for the signed BIA, which is itself a missing piece: the days count
    from the documents sent to sign."""
    contract = paper_contract(signing_dossier)
    assert contract.signed_at is None and contract.pieces_asked_at is not None
    assert run_on(6) == {7: 0, 14: 0}
    assert run_on(7) == {7: 1, 14: 0}
    [mail] = reminders(outbox)
    assert "- Bulletin individuel d'adhésion daté et signé" in mail.body_text
    assert "- Mandat de prélèvement SEPA daté et signé" in mail.body_text


def test_the_daily_command_says_what_it_did(app, signing_dossier, outbox, quote_day):
    e_signed_contract(signing_dossier, outbox)
    with freeze_time("2026-11-27 03:00:00"):
        result = app.test_cli_runner().invoke(args=["portal", "daily"])
    assert result.exit_code == 0, result.output
    assert "Devis expirés : 0" in result.output
    assert "Pièces justificatives manquantes : relances J+7 envoyées : 1 ; relances J+14 envoyées : 0." in result.output
    assert len(reminders(outbox)) == 1


def test_parallel_daily_runs_send_each_reminder_once(app, signing_dossier, outbox, quote_day):
    postgresql_only()
    contract = e_signed_contract(signing_dossier, outbox)
    day = SIGNED_ON + timedelta(days=7)
    sent = []

    def daily_run():
        sent.append(send_reminders(day)[7])

    with freeze_time(f"{day.isoformat()} 03:00:00"):
        assert run_in_threads(app, [daily_run] * 4) == []
    assert sorted(sent) == [0, 0, 0, 1]
    assert len(reminders(outbox)) == 1 and agenda_kinds() == ["relance_pieces_j7"]
    pieces = db.session.scalar(select(func.count()).select_from(Piece).where(Piece.contract_id == contract.id))
    assert pieces == len({p.code for p in db.session.scalars(select(Piece))})  # built once
