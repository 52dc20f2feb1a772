"""Schemathesis over the app's own OpenAPI: no 5xx and no schema violations (SECURITY.md 32).

Every documented operation is called with generated data (valid and invalid) as a logged-in
administrator (device routes as a device). Each response must not be a server error,
must match the schema documented for its status and content type, and every error must
use the API's single error envelope with a status from the documented error set. The
run is derandomised and bounded so it is repeatable and quick; it uses SQLite only,
since it checks the API contract, not the database.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from gatepost.app import compose_app
from gatepost.domain.ports import SystemClock
from gatepost.security.kek import create_key_file
from gatepost.services.container import Container, build_container
from tests.support.api import STRONG_PASSWORD, Actor, add_device, add_site, setup_platform
from tests.support.routes import BASE_URL
from tests.support.settings import test_settings

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 10
# Error statuses the API documents through its error envelope (see api/errors.py).
ERROR_STATUSES = {400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 429, 503}


@dataclass
class Api:
    app: FastAPI
    container: Container
    admin: Actor
    device: Actor
    spec: dict[str, Any]

    def headers_for(self, case: Case) -> dict[str, str]:
        if case.path.startswith("/api/v1/device/"):
            return self.device.headers
        if case.path.endswith("/logout"):
            # Signing out must not end the session the rest of the run uses.
            result = self.container.auth.login(
                tenant_slug="acme",
                username="admin",
                password=STRONG_PASSWORD,
                totp_code=None,
                client="schemathesis-sign-out",
            )
            return {"Authorization": f"Bearer {result.token}"}
        return self.admin.headers


@pytest.fixture
def api(tmp_path: Path, sqlite_template: Path) -> Iterator[Api]:
    """Its own SQLite app: the contract does not depend on the database."""
    path = tmp_path / "gatepost.db"
    shutil.copy(sqlite_template, path)
    settings_ = test_settings(tmp_path / "data", f"sqlite:///{path}", allowed_hosts=["testserver"])
    create_key_file(settings_.key_file)
    container = build_container(settings_, clock=SystemClock())
    app = compose_app(container)
    with TestClient(app, base_url=BASE_URL) as client:
        admin = setup_platform(client, container)
        device = add_device(admin, add_site(admin))
        spec = admin.get("/api/openapi.json").json()
        yield Api(app, container, admin, device, spec)
    container.close()


SEEN: dict[int, int] = {}


def tally(ctx: Any, response: Any, case: Case) -> bool | None:
    """Counts statuses, so the test can tell that the app was really exercised."""
    SEEN[response.status_code] = SEEN.get(response.status_code, 0) + 1
    return None


def error_envelope(ctx: Any, response: Any, case: Case) -> bool | None:
    """Errors use one documented shape: {"error": {"code", "message", ...}}."""
    if response.status_code < 400:
        return None
    assert response.status_code in ERROR_STATUSES, f"undocumented status {response.status_code}"
    body = response.json()
    assert set(body) == {"error"}, f"not the error envelope: {body}"
    assert isinstance(body["error"].get("code"), str) and body["error"]["code"]
    assert isinstance(body["error"].get("message"), str) and body["error"]["message"]
    return True


CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _run(api: Api, operation: Any, mode: GenerationMode) -> str | None:
    strategy = operation.as_strategy(generation_mode=mode)

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Case) -> None:
        case.call_and_validate(
            app=api.app,
            headers=api.headers_for(case),
            checks=CHECKS,
            additional_checks=[error_envelope, tally],
        )

    try:
        check()
    except Unsatisfiable:
        return None  # nothing invalid can be generated for an operation without inputs
    except Exception as exc:  # noqa: BLE001 - every failure is reported together
        lines = [line for line in str(exc).splitlines() if line.strip()][:12]
        return f"{operation.label} [{mode.value}]:\n    " + "\n    ".join(lines)
    return None


def test_schemathesis_finds_no_server_errors_or_schema_violations(api: Api) -> None:
    schema = schemathesis.openapi.from_dict(api.spec)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    SEEN.clear()
    failures = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = _run(api, operation, mode)
            if failure:
                failures.append(failure)
    assert failures == [], "\n".join(failures)
    calls = sum(SEEN.values())
    assert calls >= len(operations) * MAX_EXAMPLES // 2, SEEN
    assert {200, 201, 404, 422} <= set(SEEN), SEEN
    # The run did not lock the administrator out of its own session.
    assert api.admin.get("/api/v1/auth/me").status_code == 200
