"""Reading a device's registration answer (gatepost.simulator.credentials)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gatepost.security.device_mqtt import encode_key
from gatepost.simulator.credentials import (
    CredentialsError,
    identity_from_registration,
    load_identity,
)

TENANT, DEVICE = "a" * 32, "b" * 32
KEY = bytes(range(32))


def _answer(**changes: Any) -> dict[str, Any]:
    answer = {
        "id": DEVICE,
        "site_id": "c" * 32,
        "name": "Reader 1",
        "credential": "gpd_secret",
        "mqtt_username": f"{TENANT}.{DEVICE}",
        "mqtt_password": "pw",
        "mqtt_mac_key": encode_key(KEY),
    }
    answer.update(changes)
    return {k: v for k, v in answer.items() if v is not None}


def test_the_registration_answer_is_read_as_it_stands(tmp_path: Path) -> None:
    path = tmp_path / "device.json"
    path.write_text(json.dumps(_answer()))
    identity = load_identity(path)
    assert (identity.tenant_id, identity.device_id, identity.mac_key) == (TENANT, DEVICE, KEY)
    assert identity.credential == "gpd_secret" and "pw" not in repr(identity)


def test_https_needs_only_the_bearer_credential_and_the_ids() -> None:
    answer = _answer(mqtt_username=None, mqtt_password=None, mqtt_mac_key=None, tenant_id=TENANT)
    identity = identity_from_registration(answer, transport="https")
    assert identity.credential == "gpd_secret" and identity.mac_key == b""


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id": "nope"}, "id:"),
        ({"mqtt_username": f"{TENANT}.{'d' * 32}"}, "mqtt_username:"),
        ({"tenant_id": "e" * 32}, "tenant_id: does not match"),
        ({"mqtt_password": None}, "mqtt_password: missing"),
        ({"mqtt_mac_key": "short"}, "mqtt_mac_key:"),
    ],
)
def test_a_wrong_field_is_named_and_its_value_is_not(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(CredentialsError, match=field) as caught:
        identity_from_registration(_answer(**changes))
    assert "pw" not in str(caught.value) and "gpd_secret" not in str(caught.value)


def test_an_unreadable_file_is_a_credentials_error(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="cannot read"):
        load_identity(tmp_path / "absent.json")
