"""Every place that takes a new password applies the one rule (SECURITY.md 16, 63B).

The reviewer's four examples (issue 9, item 1) are refused with 422 naming the field
at each entry point of the API and by ``gatepost init``, and nothing is stored; a good
passphrase still goes through. The rule itself is tested in
tests/unit/security/test_password_policy.py; the setup form in
tests/e2e/test_web_password_rule.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gatepost.services.container import Container
from gatepost.settings import Settings
from tests.support.api import STRONG_PASSWORD, Actor, login
from tests.support.cli import run_cli
from tests.support.leaks import remember

USERNAME = "lighthouse-keeper"
# The reviewer's examples: each was answered 201 before the rule was tightened.
WEAK = ["123456789012", "iloveyou1234", "Password1234!", USERNAME + "12"]
GOOD = "Violet-Canal-Bicycle-Anthem"
remember(GOOD)


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "weak_password"
    assert error["field"] == field
    assert error["message"].startswith(field.replace("_", " ") + " ")


def _setup_body(token: str, password: str) -> dict[str, str]:
    return {
        "token": token,
        "tenant_name": "Fresh Ltd",
        "tenant_slug": "fresh",
        "username": USERNAME,
        "password": password,
    }


# -- user creation -------------------------------------------------------------------


@pytest.mark.parametrize("password", WEAK)
def test_user_create_refuses_weak_password(admin: Actor, password: str) -> None:
    response = admin.post(
        "/api/v1/users", json={"username": USERNAME, "password": password, "role": "operator"}
    )
    _refused(response, "password")
    users = admin.get("/api/v1/users").json()["items"]
    assert USERNAME not in {user["username"] for user in users}


def test_user_create_accepts_good_passphrase(admin: Actor, client: TestClient) -> None:
    response = admin.post(
        "/api/v1/users", json={"username": USERNAME, "password": GOOD, "role": "operator"}
    )
    assert response.status_code == 201, response.text
    assert login(client, "acme", USERNAME, GOOD)


def test_user_create_refuses_the_organisation_name(admin: Actor) -> None:
    response = admin.post(
        "/api/v1/users", json={"username": USERNAME, "password": "AcmeLtd-2024!", "role": "guard"}
    )
    _refused(response, "password")
    assert "organisation" in response.json()["error"]["message"]


# -- first-run setup -----------------------------------------------------------------


@pytest.mark.parametrize("password", WEAK)
def test_setup_refuses_weak_password_and_keeps_the_token(
    client: TestClient, container: Container, password: str
) -> None:
    token = container.setup.issue_token()
    _refused(client.post("/api/v1/setup", json=_setup_body(token, password)), "password")
    assert container.setup.needed()
    done = client.post("/api/v1/setup", json=_setup_body(token, GOOD))
    assert done.status_code == 201, done.text


# -- password change -----------------------------------------------------------------


@pytest.mark.parametrize("password", WEAK)
def test_password_change_refuses_weak_password(
    admin: Actor, client: TestClient, password: str
) -> None:
    created = admin.post(
        "/api/v1/users", json={"username": USERNAME, "password": GOOD, "role": "operator"}
    )
    assert created.status_code == 201, created.text
    token = login(client, "acme", USERNAME, GOOD)
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post(
        "/api/v1/auth/password",
        headers=headers,
        json={"current_password": GOOD, "new_password": password},
    )
    _refused(response, "new_password")
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200  # not revoked
    assert login(client, "acme", USERNAME, GOOD)  # the old password still works


def test_password_change_accepts_good_passphrase(admin: Actor, client: TestClient) -> None:
    response = admin.post(
        "/api/v1/auth/password",
        json={"current_password": STRONG_PASSWORD, "new_password": GOOD},
    )
    assert response.status_code == 204, response.text
    assert login(client, "acme", "admin", GOOD)


# -- gatepost init -------------------------------------------------------------------


def _init(settings: Settings, password_file: Path) -> Any:
    return run_cli(
        settings,
        "init",
        "--tenant-name",
        "Fresh Ltd",
        "--tenant-slug",
        "fresh",
        "--admin",
        USERNAME,
        "--password-file",
        str(password_file),
    )


@pytest.mark.parametrize("password", WEAK)
def test_init_refuses_weak_password(
    settings: Settings, container: Container, tmp_path: Path, password: str
) -> None:
    password_file = tmp_path / "password.txt"
    password_file.write_text(password + "\n")
    result = _init(settings, password_file)
    assert result.exit_code != 0, result.output
    assert "error:" in result.output and "password " in result.output, result.output
    assert container.setup.needed(), "a weak password created the administrator"


def test_init_accepts_good_passphrase(
    settings: Settings, container: Container, tmp_path: Path
) -> None:
    password_file = tmp_path / "password.txt"
    password_file.write_text(GOOD + "\n")
    result = _init(settings, password_file)
    assert result.exit_code == 0, result.output
    assert not container.setup.needed()
