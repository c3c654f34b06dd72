"""The electronic signature through its pages: three documents accepted, the SMS code, the
seal, the proof, the contract, the statuses, the e-mails and the agenda; failure, refusal,
timeout and restart; double clicks and second tabs; the signature by hand; telephone sales."""
from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO

from pypdf import PdfReader
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import func, select, text

from portal.auth.models import ClientAccount, User
from portal.clock import now
from portal.extensions import db
from portal.journal.models import JournalEntry
from portal.messaging.models import Channel, Message
from portal.quotes.models import Quote, QuoteStatus
from portal.quotes.service import issue_quote, new_version_draft
from portal.signature import proof, service
from portal.signature.models import Contract, Progress, SignatureState, SignatureStep
from portal.signature.seal import SealError, Sealer, asn1_certificate
from portal.storage import files_of, get
from portal.subscription import service as subscriptions
from portal.subscription.models import Subscription, SubscriptionStatus
from tests.conftest import csrf_token

from .signing import Prospect, fill_subscription, last_code, link_of, wrong
from .test_signature_seal import validate_pdf_signature
from .wizard import text as page_text

SIGNED_FILES = ["Fiche d'information précontractuelle.pdf", "Bulletin individuel d'adhésion.pdf", "Mandat SEPA.pdf"]


def contract_row() -> Contract:
    db.session.expire_all()
    return db.session.scalar(select(Contract))


def emails(outbox, subject_part: str) -> list[Message]:
    return [m for m in outbox() if m.channel == Channel.EMAIL and subject_part in (m.subject or "")]


def validates(pdf: bytes, identity) -> bool:
    [signature] = PdfFileReader(BytesIO(pdf)).embedded_signatures
    context = ValidationContext(trust_roots=[asn1_certificate(identity.root)], crls=identity.crls(),
                                allow_fetching=False)
    status = validate_pdf_signature(signature, context)
    return (status.intact and status.valid and status.trusted and status.bottom_line
            and status.coverage == SignatureCoverageLevel.ENTIRE_FILE)


def test_the_full_electronic_signature(app, signing_dossier, outbox, signing_instance, quote_day):
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id)

    start = prospect.get()
    assert start.status_code == 200
    assert "Un code à 6 chiffres vous sera ensuite envoyé par SMS au 06 •• •• •• 78" in page_text(start)
    assert prospect.begin().headers["Location"].endswith("/signature/document/1")
    contract = contract_row()
    assert contract.number == "RIS-0000000001" and contract.signature_state is SignatureState.EN_COURS
    assert contract.progress is None

    first = prospect.get("/document/1")
    assert "Document 1 sur 3" in page_text(first) and "Fiche d'information précontractuelle" in page_text(first)
    assert "ACCEPTER LE DOCUMENT" in page_text(first)
    for consent in service.CONSENTS:
        assert consent in page_text(first)
    image = prospect.get("/document/1/page/1.png")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data[:4] == b"\x89PNG"
    assert prospect.get("/document/1/page/99.png").status_code == 404

    # A consent missing: the document stays, the message is next to the box.
    missing = prospect.accept(1, consents=(1, 2))
    assert missing.status_code == 422 and "Cochez cette case pour accepter le document." in page_text(missing)
    assert contract_row().accepted == 0
    # The SIGNER page is not reachable before the three documents.
    assert prospect.get("/signer").headers["Location"].endswith("/signature/document/1")

    prospect.accept_all()
    assert [m for m in outbox() if m.channel == Channel.SMS][0].to == "+33612345678"
    signer_page = prospect.get("/signer")
    shown = page_text(signer_page)
    assert "Vous vous apprêtez à signer :" in shown
    assert "Saisissez le code que vous venez de recevoir au 06 •• •• •• 78" in shown
    assert "Vous n'avez pas reçu le SMS ? Renvoyer" in shown
    assert "Refuser de signer" in shown and "Signer" in shown

    no_conditions = prospect.sign(last_code(outbox), conditions=())
    assert no_conditions.status_code == 422 and "Cochez cette case pour signer." in page_text(no_conditions)
    code = last_code(outbox)
    done = prospect.sign(code)
    assert done.headers["Location"].endswith("/signature/signee")
    assert "Vos documents sont signés" in page_text(prospect.get("/signee"))

    contract = contract_row()
    assert contract.signature_state is SignatureState.SIGNE and contract.progress is Progress.EN_ATTENTE_PIECES
    assert contract.state_label == "Signé" and contract.progress_label == "En attente de pièces"
    assert contract.annual == db.session.get(Quote, quote_id).annual and contract.signed_at is not None
    quote = db.session.get(Quote, quote_id)
    assert quote.status is QuoteStatus.SOUSCRIT
    assert db.session.scalar(select(Subscription)).status is SubscriptionStatus.SIGNEE

    # The e-mails: the signed documents and the proof; the adhesion with the client-space link.
    [signed_mail] = emails(outbox, "Vos documents signés")
    assert signed_mail.subject == "Mes Solutions Plus - Vos documents signés"
    assert signed_mail.to == "jean.dupont@exemple.fr" and signed_mail.cc == "courtier@cabinet-demo.fr"
    assert [a.filename for a in signed_mail.attachments] == SIGNED_FILES + ["Fichier de preuve.pdf"]
    [adhesion] = emails(outbox, "Votre adhésion")
    assert adhesion.subject == "Votre adhésion au contrat SMAT ACTIVE TNS proposé par Cabinet Démo Courtage"
    assert adhesion.cc == "courtier@cabinet-demo.fr"
    assert "transmettez vos pièces justificatives depuis votre espace client" in adhesion.body_text
    assert "Créez le mot de passe de votre espace client" in adhesion.body_text
    assert "remettez vos pièces justificatives à votre conseiller" not in adhesion.body_text
    password_link = re.search(r"http://localhost(/espace-client/mot-de-passe/\S+)", adhesion.body_text).group(1)
    assert db.session.scalar(select(ClientAccount)).email == "jean.dupont@exemple.fr"

    # Every sealed PDF validates against the portal's root; one byte changed does not.
    identity = signing_instance[1]
    for attachment in signed_mail.attachments:
        assert validates(attachment.content, identity), attachment.filename
    tampered = bytearray(signed_mail.attachments[1].content)
    position = len(tampered) // 3
    tampered[position] = (tampered[position] + 1) % 256
    assert not validates(bytes(tampered), identity)
    assert "Jean" in PdfReader(BytesIO(signed_mail.attachments[1].content)).pages[0].extract_text()

    # The proof: every step, the hashes before and after, never the code.
    proof_pdf = signed_mail.attachments[3].content
    data = proof.attached_json(proof_pdf)
    proof.verify_chain(data["events"], data["head"])
    steps = [event["step"] for event in data["events"]]
    assert steps[0] == "Signature commencée" and steps[-1] == "Signature"
    assert steps.count("Document accepté") == 3 and steps.count("Consentement coché") == 9
    assert "Code envoyé" in steps and "Code vérifié" in steps
    assert [d["name"] for d in data["documents"]] == SIGNED_FILES
    assert data["documents"][0]["sha256_after"] == proof.sha256(signed_mail.attachments[0].content)
    assert data["signer"] == {"name": "Jean DUPONT", "phone": "06 •• •• •• 78", "email": "jean.dupont@exemple.fr"}
    assert code not in proof_pdf.decode("latin-1") and code not in str(data)
    assert all(code not in (step.detail or "") for step in db.session.scalars(select(SignatureStep)))
    assert len(files_of(("contract", contract.id), "signe")) == 3
    assert get(contract.proof_key) == proof_pdf

    # The agenda entry and the journal rows.
    agenda = db.session.scalars(select(JournalEntry).where(JournalEntry.agenda_kind == "contrat_signe")).all()
    assert len(agenda) == 1
    assert agenda[0].description == ("Pour le client : M. DUPONT Jean, dossier SMAT ACTIVE TNS, SMAT ACTIVE TNS 300, "
                                     "Demande d'adhésion au contrat signée électroniquement.")
    assert agenda[0].domain == "Contrat n° RIS-0000000001"
    moves = db.session.execute(select(JournalEntry.object_type, JournalEntry.from_status, JournalEntry.to_status)
                               .where(JournalEntry.object_type.in_(["contrat", "devis"]))
                               .order_by(JournalEntry.id)).all()
    assert ("contrat", "en_cours", "signe") in moves and ("contrat", None, "en_attente_pieces") in moves
    assert ("devis", "en_attente", "souscrit") in moves

    # Afterwards, the same link shows the signed documents; the client creates its password.
    assert prospect.get("/fichiers/4").data == proof_pdf
    page = prospect.client.get(password_link)
    assert page.status_code == 200
    weak = prospect.client.post(password_link, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                     "nouveau_mot_de_passe": "court", "confirmation": "court"})
    assert "au moins 12 caractères" in weak.get_data(as_text=True)
    made = prospect.client.post(password_link, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                     "nouveau_mot_de_passe": "Adhérent+2026!", "confirmation": "Adhérent+2026!"})
    assert made.status_code == 200 and "Mot de passe enregistré" in made.get_data(as_text=True)
    assert 'href="/espace-client/connexion"' in made.get_data(as_text=True)  # on to the client login
    assert db.session.scalar(select(ClientAccount)).password_hash is not None
    assert prospect.client.get(password_link).status_code == 410  # single use


def test_five_wrong_codes_fail_the_signature_and_the_same_link_restarts_it(app, signing_dossier, outbox, quote_day):
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id)
    prospect.begin()
    prospect.accept_all()
    code = last_code(outbox)
    for remaining in (4, 3, 2, 1):
        answer = prospect.sign(wrong(code))
        assert answer.status_code == 422
        assert f"Il vous reste {remaining} essai" in page_text(answer)
    fifth = prospect.sign(wrong(code))
    assert fifth.status_code == 302
    failed = prospect.get()
    assert "La signature électronique a échoué. Vous avez saisi 5 codes erronés." in page_text(failed)
    assert "Recommencer la signature" in page_text(failed)
    assert contract_row().signature_state is SignatureState.ECHEC
    assert db.session.get(Quote, quote_id).status is QuoteStatus.VALIDE
    [failure] = emails(outbox, "Echec")
    assert failure.subject == "SMAT ACTIVE TNS - : Echec de signature électronique"
    assert ("Votre signature électronique a échoué. Veuillez recommencer votre devis ou contacter votre "
            "interlocuteur habituel.") in failure.body_text
    assert failure.cc == "courtier@cabinet-demo.fr"
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)
                             .where(JournalEntry.agenda_kind == "signature_echec")) == 1
    # The right code no longer works once blocked.
    assert prospect.get("/signer").headers["Location"].endswith("/signature")

    # The same link starts again: same contract, a new attempt, a new code, signed.
    quote_day.tick(timedelta(minutes=2))
    assert prospect.begin().headers["Location"].endswith("/signature/document/1")
    assert contract_row().attempt == 2 and contract_row().signature_state is SignatureState.EN_COURS
    assert db.session.get(Quote, quote_id).status is QuoteStatus.EN_ATTENTE
    prospect.accept_all()
    assert last_code(outbox) != code or len([m for m in outbox() if m.channel == Channel.SMS]) == 2
    assert prospect.sign(last_code(outbox)).headers["Location"].endswith("/signature/signee")
    assert db.session.scalar(select(func.count()).select_from(Contract)) == 1
    assert contract_row().number == "RIS-0000000001"
    # The proof lists the steps of the attempt that signed.
    steps = [s["step"] for s in proof.attached_json(get(contract_row().proof_key))["events"]]
    assert steps[0] == "Signature commencée" and "Code erroné" not in steps


def test_refusing_to_sign_with_a_reason(app, signing_dossier, outbox, quote_day):
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id)
    prospect.begin()
    prospect.accept_all()
    token = csrf_token(prospect.get("/signer").get_data(as_text=True))
    response = prospect.post("/refuser", {"motif": "Je préfère réfléchir\x00 encore."}, page="/signer")
    assert response.headers["Location"].endswith("/signature")
    assert db.session.get(Quote, quote_id).status is QuoteStatus.REFUSE
    contract = contract_row()
    assert contract.signature_state is SignatureState.ECHEC
    assert contract.failure.startswith("Vous avez refusé de signer. Motif : Je préfère réfléchir")
    assert len(emails(outbox, "Echec de signature électronique")) == 1
    page = prospect.get()
    assert "Vous avez refusé de signer cette proposition." in page_text(page)
    assert "Recommencer la signature" not in page_text(page)
    # A refused quote cannot be started again by a forged POST.
    again = prospect.client.post(prospect.base, data={"csrf_token": token, "tentative": "1"})
    assert again.status_code == 409
    assert contract_row().signature_state is SignatureState.ECHEC


def test_thirty_minutes_without_a_step_fail_the_signature(app, signing_dossier, outbox, quote_day):
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id)
    prospect.begin()
    prospect.accept(1)
    quote_day.tick(timedelta(minutes=29))
    assert prospect.accept(2).status_code == 302
    assert contract_row().signature_state is SignatureState.EN_COURS
    quote_day.tick(timedelta(minutes=31))
    late = prospect.get("/document/3")
    assert late.headers["Location"].endswith("/signature")
    assert "La signature n'a pas été terminée dans les 30 minutes." in page_text(prospect.get())
    assert contract_row().signature_state is SignatureState.ECHEC
    assert db.session.get(Quote, quote_id).status is QuoteStatus.VALIDE
    assert len(emails(outbox, "Echec de signature électronique")) == 1


def test_the_command_fails_abandoned_signatures_once(app, signing_dossier, outbox, quote_day):
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id)
    prospect.begin()
    quote_day.tick(timedelta(minutes=31))
    runner = app.test_cli_runner()
    assert "Signatures abandonnées : 1." in runner.invoke(args=["portal", "signatures"]).output
    assert "Signatures abandonnées : 0." in runner.invoke(args=["portal", "signatures"]).output
    assert len(emails(outbox, "Echec de signature électronique")) == 1
    assert db.session.scalar(select(JournalEntry.actor).where(JournalEntry.agenda_kind == "signature_echec")) == "système"


def test_double_clicks_second_tabs_and_the_back_button(app, signing_dossier, outbox, quote_day):
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id)
    page = prospect.get()
    token = csrf_token(page.get_data(as_text=True))
    first = prospect.client.post(prospect.base, data={"csrf_token": token, "tentative": "0"})
    second = prospect.client.post(prospect.base, data={"csrf_token": token, "tentative": "0"})
    assert first.status_code == second.status_code == 302
    assert contract_row().attempt == 1
    assert db.session.scalar(select(func.count()).select_from(Contract)) == 1

    # The same document accepted twice (double click), then the back button to document 1.
    key = prospect.document_key(1)
    form = {"csrf_token": token, "document": key, "consentement_1": "oui", "consentement_2": "oui",
            "consentement_3": "oui"}
    assert prospect.client.post(prospect.base + "/document/1", data=form).status_code == 302
    assert prospect.client.post(prospect.base + "/document/1", data=form).status_code == 302
    assert contract_row().accepted == 1
    back = prospect.get("/document/1")
    assert back.status_code == 200 and "Vous avez accepté ce document." in page_text(back)
    assert prospect.get("/document/3").headers["Location"].endswith("/signature/document/2")
    prospect.accept(2)
    last = {**form, "document": prospect.document_key(3)}
    assert prospect.client.post(prospect.base + "/document/3", data=last).status_code == 302
    assert prospect.client.post(prospect.base + "/document/3", data=last).status_code == 302
    assert len([m for m in outbox() if m.channel == Channel.SMS]) == 1  # one code

    # Two tabs: both post the right code; one signs, the other lands on the signed page.
    code = last_code(outbox)
    other_tab = Prospect(app, prospect.link)
    other_tab.client = prospect.client
    signing = {"csrf_token": token, "code": code, "condition_1": "oui", "condition_2": "oui"}
    one = prospect.client.post(prospect.base + "/signer", data=signing)
    two = other_tab.client.post(prospect.base + "/signer", data=signing)
    assert one.headers["Location"].endswith("/signee") and two.headers["Location"].endswith("/signee")
    assert len(emails(outbox, "Vos documents signés")) == 1 and len(emails(outbox, "Votre adhésion")) == 1
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)
                             .where(JournalEntry.agenda_kind == "contrat_signe")) == 1
    # The back button after signing: every signature page leads to the signed page.
    for path in ("", "/document/1", "/signer"):
        assert prospect.get(path).headers["Location"].endswith("/signature/signee"), path
    replayed = prospect.client.post(prospect.base, data={"csrf_token": token, "tentative": "1"})
    assert replayed.headers["Location"].endswith("/signature/signee")


def test_another_browser_without_the_birth_date_sees_nothing(app, signing_dossier, outbox, quote_day):
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id)
    stranger = Prospect(app, prospect.link)
    assert stranger.get().headers["Location"].endswith(prospect.link)
    assert stranger.client.get(prospect.base + "/document/1/page/1.png").status_code == 302
    assert stranger.client.get("/souscription/inconnu/signature").status_code == 404


def test_the_signature_by_hand(app, signing_dossier, outbox, quote_day):
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id, "manuscrite")
    page = prospect.get()
    assert "Recevoir les documents à signer" in page_text(page)
    token = csrf_token(page.get_data(as_text=True))
    for click in (1, 2):  # a double click
        assert prospect.client.post(prospect.base + "/manuscrite", data={"csrf_token": token}).status_code == 302
    contract = contract_row()
    assert contract.signature_state is SignatureState.MANUSCRITE and contract.progress is Progress.EN_ATTENTE_PIECES
    assert contract.state_label == "Manuscrite"
    assert db.session.get(Quote, quote_id).status is QuoteStatus.ACCEPTE
    [mail] = emails(outbox, "Votre adhésion")
    assert mail.subject == "Votre adhésion au contrat SMAT ACTIVE TNS proposé par Cabinet Démo Courtage"
    assert [a.filename for a in mail.attachments] == [
        "Bulletin Individuel d'adhésion.pdf", "Mandat SEPA.pdf", "Règles générales.pdf", "IPID SMAT ACTIVE TNS.pdf",
        "Exemples de remboursements.pdf"]
    assert "le Bulletin Individuel d'adhésion, daté et signé" in mail.body_text
    assert "le Mandat SEPA, daté et signé" in mail.body_text
    assert "Les documents de votre adhésion vous ont été envoyés par e-mail" in page_text(prospect.get())

    # The signed BIA arrives (an uploaded piece): the quote "Souscrit", once.
    service.signed_bulletin_received(contract, "client")
    service.signed_bulletin_received(contract, "client")
    db.session.commit()
    assert db.session.get(Quote, quote_id).status is QuoteStatus.SOUSCRIT
    assert db.session.scalar(select(Subscription)).status is SubscriptionStatus.SIGNEE
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)
                             .where(JournalEntry.agenda_kind == "bulletin_signe_recu")) == 1


def test_a_telephone_sale_is_signed_by_the_client_24_hours_after_the_documents(app, client, signing_dossier, outbox,
                                                                              quote_day):
    quote_id, prospect = signing_dossier
    subscription = fill_subscription(quote_id)
    token = csrf_token(prospect.get().get_data(as_text=True))
    subscription.telephone_sale, subscription.documents_sent_at = True, now()
    db.session.commit()
    waiting = prospect.get()
    assert "Vous pourrez signer à partir du 21/11/2026 à 11:00" in page_text(waiting)
    assert "Commencer la signature" not in page_text(waiting)
    forced = prospect.client.post(prospect.base, data={"csrf_token": token, "tentative": "0"})
    assert forced.status_code == 409 and contract_row() is None
    # The broker's session, even at the client's side, cannot sign for it.
    by_broker = client.get(f"/devis/{quote_id}/souscription/signature")
    assert "le client signe lui-même" in page_text(by_broker)
    quote_day.tick(timedelta(hours=24, minutes=1))
    prospect.confirm_birth_date()  # a day later, the browser's session has ended
    assert prospect.begin().headers["Location"].endswith("/signature/document/1")
    assert contract_row().signature_state is SignatureState.EN_COURS


def test_no_code_in_the_database_rows_or_messages_but_the_sms(app, signing_dossier, outbox, quote_day):
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id)
    prospect.begin()
    prospect.accept_all()
    code = last_code(outbox)
    prospect.sign(code)
    for table in ("signature_code", "signature_step", "journal", "contract"):
        for row in db.session.execute(text(f"SELECT * FROM {table}")).all():
            assert code not in " ".join(str(value) for value in row), table
    assert all(code not in (m.body_text or "") for m in outbox() if m.channel == Channel.EMAIL)


def test_the_broker_at_the_clients_side_and_another_firms_broker(app, client, signing_dossier, outbox, quote_day,
                                                                  make_firm, make_user, login):
    quote_id, _ = signing_dossier
    fill_subscription(quote_id)
    base = f"/devis/{quote_id}/souscription/signature"
    page = client.get(base)
    assert page.status_code == 200 and "Commencer la signature" in page_text(page)
    token = csrf_token(page.get_data(as_text=True))
    assert client.post(base, data={"csrf_token": token, "tentative": "0"}).headers["Location"].endswith(
        base + "/document/1")
    started = db.session.scalar(select(JournalEntry).where(JournalEntry.object_type == "contrat"))
    assert started.action == "Demande d'adhésion créée" and started.actor == "courtier@cabinet-demo.fr"
    for index in (1, 2, 3):
        html = client.get(f"{base}/document/{index}").get_data(as_text=True)
        key = re.search(r'name="document" value="([0-9a-f]{64})"', html).group(1)
        form = {"csrf_token": token, "document": key, "consentement_1": "oui", "consentement_2": "oui",
                "consentement_3": "oui"}
        assert client.post(f"{base}/document/{index}", data=form).status_code == 302
    signed = client.post(base + "/signer", data={"csrf_token": token, "code": last_code(outbox),
                                                 "condition_1": "oui", "condition_2": "oui"})
    assert signed.headers["Location"].endswith(base + "/signee")
    assert contract_row().signature_state is SignatureState.SIGNE

    other = app.test_client()
    make_user(email="autre@cabinet-voisin.fr", firm=make_firm(name="Cabinet Voisin", email="contact@cabinet-voisin.fr"))
    page = other.get("/connexion")
    other.post("/connexion", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                   "identifiant": "autre@cabinet-voisin.fr", "mot_de_passe": "MesSolutions+2026"})
    for path in ("", "/document/1", "/signer", "/signee", "/fichiers/1", "/document/1/page/1.png"):
        assert other.get(base + path).status_code == 404, path


def test_answers_changed_during_the_signature_send_it_back_to_the_start(app, signing_dossier, outbox, quote_day):
    quote_id, prospect = signing_dossier
    subscription = fill_subscription(quote_id)
    prospect.begin()
    prospect.accept_all()
    first_documents = contract_row().documents
    # The client goes back to step 3 in another tab and changes the periodicity, then chooses again.
    subscription = db.session.get(Subscription, subscription.id)
    subscriptions.save_step(subscription, 3, {**{"titulaire": "Jean Dupont", "iban": ""}, "periodicite": "annuel",
                                              "jour_prelevement": "5"}, "client", final=True)
    subscriptions.choose_signature(subscription, "electronique", "client")
    db.session.commit()
    # The old documents can no longer be signed, even with the code already sent.
    assert prospect.get("/signer").headers["Location"].endswith("/signature")
    page = prospect.get()
    assert "Vos informations ont changé depuis le début de la signature" in page_text(page)
    token = csrf_token(page.get_data(as_text=True))
    refused = prospect.client.post(prospect.base + "/signer", data={
        "csrf_token": token, "code": last_code(outbox), "condition_1": "oui", "condition_2": "oui"})
    assert refused.headers["Location"].endswith("/signature")
    assert contract_row().signature_state is SignatureState.EN_COURS
    assert prospect.begin().headers["Location"].endswith("/signature/document/1")
    assert contract_row().attempt == 2 and contract_row().documents != first_documents
    prospect.accept_all()
    assert prospect.sign(last_code(outbox)).headers["Location"].endswith("/signature/signee")
    bulletin = PdfReader(BytesIO(get(contract_row().signed_documents[1]["key"])))
    assert "Annuel" in " ".join(page.extract_text() for page in bulletin.pages)


def test_signing_one_version_closes_the_numbers_other_versions(app, signing_dossier, outbox, quote_day):
    quote_id, prospect = signing_dossier
    first = db.session.get(Quote, quote_id)
    broker = db.session.scalar(select(User))
    draft = new_version_draft(first, broker, "Dupliquer")
    draft.step = 3
    second = issue_quote(draft, broker)
    assert (second.number, second.version) == (first.number, 2)
    fill_subscription(quote_id)
    prospect.begin()
    prospect.accept_all()
    assert prospect.sign(last_code(outbox)).headers["Location"].endswith("/signature/signee")
    db.session.expire_all()
    assert db.session.get(Quote, quote_id).status is QuoteStatus.SOUSCRIT
    assert db.session.get(Quote, second.id).status is QuoteStatus.DECLINE
    closed = db.session.scalar(select(JournalEntry.action).where(JournalEntry.object_id == second.id,
                                                                 JournalEntry.to_status == "decline"))
    assert closed == "Version close : la version 1 est souscrite"


def test_a_seal_that_cannot_be_applied_leaves_nothing_half_done_and_sends_a_new_code(app, signing_dossier, outbox,
                                                                                       quote_day, monkeypatch):
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id)
    prospect.begin()
    prospect.accept_all()

    def timestamp_authority_down(self, pdf, signer_name, reason):
        raise SealError("Le service d'horodatage ne répond pas : la signature n'a pas été apposée, "
                                    "réessayez dans quelques minutes.")

    monkeypatch.setattr(Sealer, "seal", timestamp_authority_down)
    answer = prospect.sign(last_code(outbox))
    assert answer.status_code == 422
    assert "Le service d'horodatage ne répond pas" in page_text(answer)
    assert "Un nouveau code vous a été envoyé." in page_text(answer)
    contract = contract_row()
    assert contract.signature_state is SignatureState.EN_COURS and contract.signed_documents is None
    assert db.session.get(Quote, quote_id).status is QuoteStatus.EN_ATTENTE
    assert emails(outbox, "Vos documents signés") == [] and files_of(("contract", contract.id), "signe") == []
    assert len([m for m in outbox() if m.channel == Channel.SMS]) == 2
    monkeypatch.undo()
    assert prospect.sign(last_code(outbox)).headers["Location"].endswith("/signature/signee")


def test_a_telephone_sale_the_broker_sends_the_documents_and_the_client_signs_a_day_later(
        app, client, signing_dossier, outbox, quote_day):
    quote_id, prospect = signing_dossier
    subscription = fill_subscription(quote_id, telephone_sale=True)
    base = f"/devis/{quote_id}/souscription/signature"
    page = client.get(base)
    assert "le client signe lui-même" in page_text(page) and "Commencer la signature" not in page_text(page)
    token = csrf_token(page.get_data(as_text=True))
    for click in (1, 2):  # a double click sends once
        assert client.post(base + "/envoyer-documents", data={"csrf_token": token}).status_code == 302
    [sent] = emails(outbox, "Vos documents d'adhésion")
    assert sent.subject == "Mes Solutions Plus - Vos documents d'adhésion SMAT ACTIVE TNS"
    assert [a.filename for a in sent.attachments] == SIGNED_FILES
    assert "à partir du 21/11/2026 11:00" in sent.body_text
    assert "Documents envoyés au client le 20/11/2026 11:00" in page_text(client.get(base))
    db.session.expire_all()
    assert db.session.get(Subscription, subscription.id).documents_sent_at is not None
    # The client's new link (the e-mail's); the earlier one is replaced.
    new_link = link_of(sent)
    assert prospect.client.get(prospect.link).status_code == 410
    client_side = Prospect(app, new_link).confirm_birth_date()
    assert "Vous pourrez signer à partir du 21/11/2026 à 11:00" in page_text(client_side.get())
    quote_day.tick(timedelta(hours=24, minutes=1))
    client_side.confirm_birth_date()
    assert client_side.begin().headers["Location"].endswith("/signature/document/1")
    client_side.accept_all()
    assert client_side.sign(last_code(outbox)).headers["Location"].endswith("/signature/signee")


def test_a_client_who_chose_paper_may_still_sign_electronically(app, signing_dossier, outbox, quote_day):
    quote_id, prospect = signing_dossier
    subscription = fill_subscription(quote_id, "manuscrite")
    token = csrf_token(prospect.get().get_data(as_text=True))
    prospect.client.post(prospect.base + "/manuscrite", data={"csrf_token": token})
    assert db.session.get(Quote, quote_id).status is QuoteStatus.ACCEPTE
    subscriptions.choose_signature(db.session.get(Subscription, subscription.id), "electronique", "client")
    db.session.commit()
    assert "Commencer la signature" in page_text(prospect.get())
    prospect.begin()
    prospect.accept_all()
    assert prospect.sign(last_code(outbox)).headers["Location"].endswith("/signature/signee")
    assert contract_row().signature_state is SignatureState.SIGNE and contract_row().number == "RIS-0000000001"
    assert db.session.get(Quote, quote_id).status is QuoteStatus.SOUSCRIT


def test_the_signature_restarts_ten_times_at_most(app, signing_dossier, outbox, quote_day):
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id)
    prospect.begin()
    db.session.execute(text("UPDATE contract SET attempt = 10"))
    db.session.commit()
    token = csrf_token(prospect.get("/document/1").get_data(as_text=True))
    refused = prospect.client.post(prospect.base, data={"csrf_token": token, "tentative": "10"})
    assert refused.status_code == 409
    assert "La signature a été commencée 10 fois" in page_text(refused)
    assert contract_row().attempt == 10


def test_renvoyer_sends_a_new_code_a_minute_later_and_the_old_one_stops(app, signing_dossier, outbox, quote_day):
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id)
    prospect.begin()
    prospect.accept_all()
    first = last_code(outbox)
    too_soon = prospect.post("/renvoyer", {}, page="/signer")
    assert too_soon.status_code == 429 and "Vous pourrez demander un nouveau code dans" in page_text(too_soon)
    quote_day.tick(timedelta(seconds=61))
    again = prospect.post("/renvoyer", {}, page="/signer")
    assert again.status_code == 200
    assert "Un nouveau code vous a été envoyé au 06 •• •• •• 78." in page_text(again)
    second = last_code(outbox)
    if second != first:
        assert prospect.sign(first).status_code == 422
    assert prospect.sign(second).headers["Location"].endswith("/signature/signee")
    steps = [s["step"] for s in proof.attached_json(get(contract_row().proof_key))["events"]]
    assert "Code renvoyé" in steps


def test_the_client_space_link_lives_seven_days(app, signing_dossier, outbox, quote_day):
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id)
    prospect.begin()
    prospect.accept_all()
    prospect.sign(last_code(outbox))
    [adhesion] = emails(outbox, "Votre adhésion")
    password_link = re.search(r"http://localhost(/espace-client/mot-de-passe/\S+)", adhesion.body_text).group(1)
    quote_day.tick(timedelta(days=6, hours=23))
    assert prospect.client.get(password_link).status_code == 200
    quote_day.tick(timedelta(hours=2))
    expired = prospect.client.get(password_link)
    assert expired.status_code == 410 and "Ce lien n'est plus valable" in page_text(expired)
    assert prospect.client.get("/espace-client/mot-de-passe/" + "x" * 300).status_code == 410
