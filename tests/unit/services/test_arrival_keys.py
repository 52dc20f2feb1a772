"""Idempotency keys on arrivals without a database (gatepost.services.arrival_keys): what
a digest covers, a reused key refused, and a face event's recognition kept for its
redelivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatepost.domain.arrivals import ArrivalKind
from gatepost.domain.decisions import Outcome, Reason
from gatepost.domain.devices import EventKind
from gatepost.domain.events import Event
from gatepost.domain.faces import FaceDecision
from gatepost.domain.faces import Outcome as FaceOutcome
from gatepost.security.crypto import TenantKeys
from gatepost.services.arrival_keys import (
    FrameKey,
    ReusedKey,
    earlier_decision,
    frame_digest,
    recognition_data,
    stored_recognition,
    value_digest,
)
from gatepost.services.recognition import Recognition

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _keys(tenant: str = "a" * 32, index: bytes = b"i" * 32) -> TenantKeys:
    return TenantKeys(
        tenant_id=tenant,
        data_keys={1: b"d" * 32},
        active_generation=1,
        index_key=index,
        mac_key=b"m" * 32,
    )


def test_a_frame_digest_covers_the_kind_the_frame_and_the_device_time() -> None:
    keys, key = _keys(), FrameKey("cam-1", T0)
    digest = frame_digest(keys, ArrivalKind.PLATE, b"frame", key)
    assert digest == frame_digest(keys, ArrivalKind.PLATE, b"frame", FrameKey("other", T0))
    others = {
        frame_digest(keys, ArrivalKind.FACE, b"frame", key),
        frame_digest(keys, ArrivalKind.PLATE, b"frame!", key),
        frame_digest(keys, ArrivalKind.PLATE, b"frame", FrameKey("cam-1", T0 + timedelta(1))),
        frame_digest(keys, ArrivalKind.PLATE, b"frame", FrameKey("cam-1")),
        frame_digest(_keys(index=b"j" * 32), ArrivalKind.PLATE, b"frame", key),
    }
    assert digest not in others and len(others) == 5


def test_a_value_digest_is_keyed_and_holds_no_value() -> None:
    digest = value_digest(_keys(), ArrivalKind.CARD, "04A2B3C4D5", T0)
    assert digest != value_digest(_keys(index=b"j" * 32), ArrivalKind.CARD, "04A2B3C4D5", T0)
    assert "04A2B3C4D5" not in digest and len(digest) == 32


def _event(data: dict[str, object], person_id: str | None = None) -> Event:
    return Event(
        tenant_id="a" * 32,
        id="e" * 32,
        site_id="s" * 32,
        device_id="d" * 32,
        kind=EventKind.ACCESS_DENIED,
        occurred_at=T0,
        received_at=T0,
        idempotency_key="cam-1",
        person_id=person_id,
        data=data,
    )


def test_the_stored_decision_answers_the_same_digest_and_another_is_refused() -> None:
    event = _event({"outcome": "deny", "reasons": "no_access_level", "digest": "abc"}, "p" * 32)
    decision = earlier_decision(event, "abc")
    assert (decision.outcome, decision.reasons) == (Outcome.DENY, (Reason.NO_ACCESS_LEVEL,))
    assert decision.person_id == "p" * 32
    with pytest.raises(ReusedKey):
        earlier_decision(event, "abd")
    with pytest.raises(ReusedKey):  # stored without a digest: not a keyed message
        earlier_decision(_event({"outcome": "deny", "reasons": "no_access_level"}), "abc")


def test_a_face_events_recognition_is_kept_for_its_redelivery() -> None:
    decision = FaceDecision(FaceOutcome.MATCH, 0.3125, 0.5, 3, 0.002, "within the threshold")
    recognition = Recognition(None, 1, [], decision, person_id="p" * 32)
    event = _event(recognition_data(recognition), "p" * 32)
    assert stored_recognition(event) == recognition
    stranger = Recognition(None, 2, [], FaceDecision(FaceOutcome.NO_MATCH, None, 0.5, 3, 0.0, "x"))
    assert stored_recognition(_event(recognition_data(stranger))) == stranger
