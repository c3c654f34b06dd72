"""The proof file's events are chained by hash: removing, changing or moving one is detected."""
from datetime import datetime, timezone

import pytest

from portal.signature.proof import GENESIS, ChainBroken, Event, chain, verify_chain

AT = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"
EVENTS = [
    Event("Document affiché", AT.replace(minute=1), "203.0.113.7", BROWSER, "Document 1 sur 3"),
    Event("Consentement coché", AT.replace(minute=2), "203.0.113.7", BROWSER, "J'ai lu le document"),
    Event("Code envoyé", AT.replace(minute=3), "203.0.113.7", BROWSER, "06 •• •• •• 78"),
    Event("Code vérifié", AT.replace(minute=4), "203.0.113.7", BROWSER, ""),
    Event("Signature", AT.replace(minute=5), "203.0.113.7", BROWSER, "3 documents scellés"),
]


def test_each_record_covers_the_previous_hash():
    records = chain(EVENTS)
    assert [r["index"] for r in records] == [1, 2, 3, 4, 5]
    assert records[0]["previous_hash"] == GENESIS == "0" * 64
    assert all(records[i]["previous_hash"] == records[i - 1]["hash"] for i in range(1, 5))
    assert records[2]["at"] == "2026-11-25T09:03:00+00:00"
    assert len({r["hash"] for r in records}) == 5
    verify_chain(records, head=records[-1]["hash"])


def test_the_hash_is_fixed_by_the_content():
    # sha256sum of the canonical JSON written out by hand: {"at":"2026-11-25T09:00:00+00:00","detail":"",
    # "index":1,"ip":"203.0.113.7","previous_hash":"000…0","step":"Signature","user_agent":"navigateur"}
    [record] = chain([Event("Signature", AT, "203.0.113.7", "navigateur", "")])
    assert record["hash"] == "f6b0ca5d7eceeb609278607b130a7425a7ca9082b67a0bd0464d9197d70cffb1"


def test_a_removed_event_is_detected():
    records = chain(EVENTS)
    with pytest.raises(ChainBroken, match="n° 3"):
        verify_chain(records[:2] + records[3:])


def test_an_event_cut_off_at_the_end_is_detected_by_the_sealed_head():
    records = chain(EVENTS)
    verify_chain(records[:-1])  # the chain alone cannot see it…
    with pytest.raises(ChainBroken, match="manquent"):
        verify_chain(records[:-1], head=records[-1]["hash"])  # …the sealed head does


def test_reordered_events_are_detected():
    records = chain(EVENTS)
    with pytest.raises(ChainBroken, match="n° 2"):
        verify_chain([records[0], records[2], records[1], *records[3:]])


def test_a_changed_event_is_detected():
    records = chain(EVENTS)
    records[3] = {**records[3], "ip": "198.51.100.1"}
    with pytest.raises(ChainBroken, match="n° 4 : son contenu a été modifié"):
        verify_chain(records)


def test_a_recomputed_event_breaks_the_next_link():
    records = chain(EVENTS)
    forged = chain([*EVENTS[:1], Event("Consentement coché", AT, "198.51.100.1", BROWSER, "")])[1]
    with pytest.raises(ChainBroken, match="n° 3"):
        verify_chain([records[0], forged, *records[2:]])
