"""The alert and notification pieces that need no database: notification bodies hold
ids and codes only (never an acknowledgement's note), acknowledgement notes are
checked, and the notifier connects to the address it checked while still sending the
endpoint's host name (Host header, TLS server name)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from gatepost.domain.alerts import AlertRecord
from gatepost.domain.arrivals import ArrivalKind
from gatepost.domain.decisions import (
    Alert,
    AlertKind,
    Command,
    CommandKind,
    Decision,
    Outcome,
    Reason,
    Severity,
)
from gatepost.errors import ValidationFailed
from gatepost.services.alerts import NOTE_MAX, _checked_note
from gatepost.services.notifications import access_decided_data, alert_data
from gatepost.services.webhook_dispatch import _pinned

AT = datetime(2030, 5, 1, 8, 30, tzinfo=UTC)
ID = "a" * 32


def _alert(**changes: object) -> AlertRecord:
    values: dict[str, object] = {
        "tenant_id": "t" * 32,
        "id": ID,
        "site_id": "s" * 32,
        "access_point_id": "p" * 32,
        "event_id": "e" * 32,
        "kind": AlertKind.DURESS,
        "severity": Severity.CRITICAL,
        "silent": True,
        "person_id": "f" * 32,
        "vehicle_id": None,
        "raised_at": AT,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "acknowledged_note": None,
    }
    return AlertRecord(**(values | changes))  # type: ignore[arg-type]


def test_alert_bodies_carry_ids_and_codes_and_never_the_note() -> None:
    raised = alert_data(_alert())
    assert raised["kind"] == "duress" and raised["silent"] is True
    assert raised["raised_at"] == "2030-05-01T08:30:00Z"
    assert "acknowledged_at" not in raised
    acked = alert_data(
        _alert(acknowledged_at=AT, acknowledged_by="user:x", acknowledged_note="Ada is fine")
    )
    assert acked["acknowledged_by"] == "user:x"
    assert "Ada" not in json.dumps(acked) and "note" not in json.dumps(acked)


def test_access_decided_bodies_name_the_decision_by_its_codes() -> None:
    decision = Decision(
        Outcome.GRANT,
        (Reason.GRANTED, Reason.DURESS),
        (
            Command(CommandKind.OPEN, "p" * 32, display="Welcome"),
            Alert(AlertKind.DURESS, Severity.CRITICAL, "p" * 32, AT, "f" * 32, silent=True),
        ),
        person_id="f" * 32,
    )
    data = access_decided_data(
        event_id="e" * 32,
        site_id="s" * 32,
        device_id="d" * 32,
        access_point_id="p" * 32,
        decision=decision,
        arrival=ArrivalKind.PIN.value,
        occurred_at=AT,
    )
    assert data["outcome"] == "grant" and data["reasons"] == ["granted", "duress"]
    assert data["alerts"] == ["duress"] and data["arrival"] == "pin"
    assert "Welcome" not in json.dumps(data)  # the device's text is not a notification's


@pytest.mark.parametrize("note", ["", "   ", "x" * (NOTE_MAX + 1)])
def test_acknowledgement_notes_are_required_and_bounded(note: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _checked_note(note)
    assert refused.value.field == "note"


def test_notes_are_trimmed() -> None:
    assert _checked_note("  called the site  ") == "called the site"


@pytest.mark.parametrize(
    ("url", "address", "pinned", "host", "sni"),
    [
        (
            "https://hooks.example.com/in?x=1",
            "93.184.216.34",
            "https://93.184.216.34/in?x=1",
            "hooks.example.com",
            "hooks.example.com",
        ),
        (
            "https://hooks.example.com:8443",
            "2606:4700::1",
            "https://[2606:4700::1]:8443/",
            "hooks.example.com:8443",
            "hooks.example.com",
        ),
        ("http://127.0.0.1:9000/h", "127.0.0.1", "http://127.0.0.1:9000/h", "127.0.0.1:9000", None),
    ],
)
def test_the_notifier_connects_to_the_checked_address_under_the_host_name(
    url: str, address: str, pinned: str, host: str, sni: str | None
) -> None:
    assert _pinned(url, address) == (pinned, host, sni)
