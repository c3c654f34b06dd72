"""Whatever a browser posts to the signature pages, the answer is a page or a redirect, never a 500."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.extensions import db
from portal.signature.models import Contract

from tests.conftest import csrf_token

from .signing import fill_subscription

anything = st.one_of(st.text(max_size=300), st.sampled_from(
    ["", "\x00", "１２３４５６", "¹²³⁴⁵⁶", "١٢٣٤٥٦", "\U0010ffff" * 6, "9" * 40, str(2 ** 80), "-1", "<b>"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tentative=anything, document=anything, code=anything, index=st.integers(-2, 2 ** 70), consent=anything)
def test_any_input_on_the_signature_pages_answers_without_a_500(app, signing_dossier, quote_day, tentative, document, code,
                                                                index, consent):
    quote_id, prospect = signing_dossier
    if not getattr(prospect, "filled", False):
        fill_subscription(quote_id)
        prospect.filled = True
        prospect.token = csrf_token(prospect.get().get_data(as_text=True))
        prospect.begin()
    token = prospect.token
    answers = [
        prospect.client.post(prospect.base, data={"csrf_token": token, "tentative": tentative}),
        prospect.client.post(f"{prospect.base}/document/{index}", data={
            "csrf_token": token, "document": document, "consentement_1": consent, "consentement_2": "oui"}),
        prospect.client.get(f"{prospect.base}/document/{index}/page/{index}.png"),
        prospect.client.post(prospect.base + "/signer", data={"csrf_token": token, "code": code,
                                                              "condition_1": consent, "condition_2": "oui"}),
        prospect.client.post(prospect.base + "/renvoyer", data={"csrf_token": token}),
        prospect.client.get(f"{prospect.base}/fichiers/{index}"),
    ]
    for answer in answers:
        assert answer.status_code < 500, answer.status_code


@pytest.mark.parametrize("motif", ["\x00\x01", "\U0010ffff", "é" * 5000, "<script>alert(1)</script>", "   "])
def test_any_reason_to_refuse_is_kept_short_and_clean(app, signing_dossier, quote_day, motif):
    quote_id, prospect = signing_dossier
    fill_subscription(quote_id)
    prospect.begin()
    refused = prospect.post("/refuser", {"motif": motif}, page="/document/1")
    assert refused.status_code == 302
    failure = db.session.scalar(select(Contract.failure))
    assert failure.startswith("Vous avez refusé de signer.") and len(failure) <= 340
    assert "\x00" not in failure and "\x01" not in failure
