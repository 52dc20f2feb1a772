"""Canary: personal values never reach the database, media store or logs in the clear
(SECURITY.md 6), and the value objects that carry them never print them (SECURITY.md 25).
"""

from __future__ import annotations

import base64
import io
import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import text
from typer.testing import CliRunner

from gatepost.app import compose_app
from gatepost.cli import app as cli_app
from gatepost.cli.context import cli_state
from gatepost.domain.credentials import Credential, CredentialKind
from gatepost.domain.identities import IdentityKind, cn_resident_check_digit
from gatepost.domain.persons import Person, PersonKind, PersonStatus
from gatepost.domain.validity import ValidityWindow
from gatepost.domain.vehicles import VehicleView
from gatepost.security.crypto import TenantKeys, new_key
from gatepost.security.device_mqtt import encode_key, issue_mqtt_secrets
from gatepost.security.permissions import Role
from gatepost.security.policy import Principal, PrincipalKind
from gatepost.security.tokens import TokenKind, issue_token, parse_token
from gatepost.services.auth import LoginResult
from gatepost.services.container import Container
from gatepost.services.credentials import CredentialDraft, IssuedCredential
from gatepost.services.devices import IssuedDevice
from gatepost.services.persons import PersonDraft, PersonView, RevealedIdentity
from gatepost.services.two_step import TotpEnrolment
from gatepost.services.users import IssuedApiKey
from gatepost.services.vehicles import VehicleDraft
from gatepost.store.tables import ApiKey, Base, Device
from gatepost.vision.image_metadata import strip_metadata
from tests.support.api import Actor, add_device, add_site
from tests.support.leaks import remember

_FIRST17 = "44030519870715731"
CANARY_IDENTITY = _FIRST17 + cn_resident_check_digit(_FIRST17)
CANARY_NAME = "Canary Quokka Zephyrine 金丝雀"
CANARY_PHONE = "+8613907314159"
CANARY_NOTES = "Canary note: allergic to marmalade, badge Zephyrine-7731 金丝雀笔记"
CANARY_PIXELS = b"QuokkaSnapshotCanary-7f3a9c51e2d4"
CANARY_PLATE = "粤B7Q3K9"
CANARY_PLATE_LATIN = "QKZ7J41"
CANARY_CARD = "CAFE-F00D 7731 0042"
CANARY_PIN = "739152846031"

CANARIES = {
    "name": CANARY_NAME,
    "identity": CANARY_IDENTITY,
    "phone": CANARY_PHONE,
    "phone digits": CANARY_PHONE.lstrip("+"),
    "notes": CANARY_NOTES,
    "plate": CANARY_PLATE,
    "latin plate": CANARY_PLATE_LATIN,
    "card": CANARY_CARD,
    "card normalised": "CAFEF00D77310042",
    "card lower case": "cafef00d77310042",
    "pin": CANARY_PIN,
}


# -- searching ----------------------------------------------------------------------


def encodings(raw: bytes, text_value: str | None = None) -> dict[str, bytes]:
    """The forms a value may take at rest: text encodings, base64 and hex."""
    forms: dict[str, bytes] = {"utf-8": raw}
    if text_value is not None:
        forms["utf-16-le"] = text_value.encode("utf-16-le")
        forms["utf-16-be"] = text_value.encode("utf-16-be")
    forms["base64"] = base64.b64encode(raw)
    forms["base64url"] = base64.urlsafe_b64encode(raw).rstrip(b"=")
    for shift in (1, 2):
        # the same value base64-encoded at another offset inside a longer string
        shifted = base64.b64encode(b"\0" * shift + raw)
        forms[f"base64+{shift}"] = shifted[4:-4]
    for name in list(forms):
        if name.startswith(("utf-",)):
            forms[f"hex({name})"] = forms[name].hex().encode()
            forms[f"HEX({name})"] = forms[name].hex().upper().encode()
    return forms


def canary_forms() -> dict[str, bytes]:
    forms: dict[str, bytes] = {}
    for label, value in CANARIES.items():
        for kind, form in encodings(value.encode(), value).items():
            forms[f"{label} as {kind}"] = form
    for kind, form in encodings(CANARY_PIXELS).items():
        forms[f"snapshot pattern as {kind}"] = form
    forms["snapshot pattern as hex(utf-8)"] = CANARY_PIXELS.hex().encode()
    forms["snapshot pattern as HEX(utf-8)"] = CANARY_PIXELS.hex().upper().encode()
    return forms


def hits(haystack: bytes, forms: dict[str, bytes]) -> list[str]:
    return [label for label, form in forms.items() if form in haystack]


def test_encodings_find_a_planted_value_in_every_form() -> None:
    """Control for the search itself: each form of a value is found where planted."""
    value = "Planted Value 植入"
    forms = encodings(value.encode(), value)
    for label, form in forms.items():
        haystack = b"\x00junk" + form + b"junk\xff"
        assert hits(haystack, {label: form}) == [label]
    assert hits(b"\x00" * 64, forms) == []
    embedded = base64.b64encode(b"xy" + value.encode() + b"z")
    assert hits(embedded, {k: v for k, v in forms.items() if k.startswith("base64")})


# -- what lies at rest ---------------------------------------------------------------


def _sqlite_path(container: Container) -> Path:
    return Path(container.db.url.removeprefix("sqlite:///"))


def _sqlite_bytes(container: Container) -> bytes:
    path = _sqlite_path(container)
    chunks = []
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = path.with_name(path.name + suffix)
        if candidate.exists():
            chunks.append(candidate.read_bytes())
    return b"\n".join(chunks)


def _postgres_dump(container: Container) -> bytes:
    lines: list[str] = []
    with container.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            query = f'SELECT t::text FROM "{table.name}" t'  # noqa: S608 - our own table names
            lines.extend(row for (row,) in conn.execute(text(query)))
    return "\n".join(lines).encode()


def _media_bytes(container: Container) -> tuple[int, bytes]:
    root = container.settings.data_dir / "media"
    files = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
    return len(files), b"\n".join(p.read_bytes() for p in files)


def _canary_png() -> bytes:
    image = Image.new("RGB", (32, 24), (200, 120, 40))
    info = PngInfo()
    info.add_text("Comment", CANARY_PIXELS.decode())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def _enrol_canary(admin: Actor) -> tuple[str, str]:
    site_id = add_site(admin, "Canary Site")
    person = admin.post(
        "/api/v1/persons",
        json={
            "name": CANARY_NAME,
            "identity_kind": "cn_resident",
            "identity_number": CANARY_IDENTITY,
            "phone": CANARY_PHONE,
            "notes": CANARY_NOTES,
            "site_id": site_id,
        },
    )
    assert person.status_code == 201, person.text
    for plate in (CANARY_PLATE, CANARY_PLATE_LATIN):
        vehicle = admin.post(
            "/api/v1/vehicles",
            json={"plate": plate, "person_id": person.json()["id"], "site_id": site_id},
        )
        assert vehicle.status_code == 201, vehicle.text
    return person.json()["id"], site_id


def _issue_canary_credentials(admin: Actor, person_id: str) -> str:
    """A card and a PIN of the canaries, and a QR code: returns the QR code's text."""
    url = f"/api/v1/persons/{person_id}/credentials"
    for body in ({"kind": "card", "value": CANARY_CARD}, {"kind": "pin", "value": CANARY_PIN}):
        issued = admin.post(url, json=body)
        assert issued.status_code == 201, issued.text
    qr = admin.post(url, json={"kind": "qr"})
    assert qr.status_code == 201, qr.text
    qr_text: str = qr.json()["qr_text"]
    remember(qr_text)
    return qr_text


def test_canary_values_absent_from_database_media_and_logs(
    admin: Actor,
    container: Container,
    clock: Any,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    remember(*CANARIES.values())
    caplog.set_level(logging.DEBUG)
    # The test client's own request log (httpx) is not the system under test.
    monkeypatch.setattr(logging.getLogger("httpx"), "disabled", True)
    control_log = "canary-log-control-5b1e"
    logging.getLogger("gatepost.tests.canary").debug("control %s", control_log)

    person_id, site_id = _enrol_canary(admin)
    qr_text = _issue_canary_credentials(admin, person_id)
    device = add_device(admin, site_id, name="Canary Gate")
    png = _canary_png()
    assert CANARY_PIXELS in png  # the pattern is literally in the uploaded bytes
    snapshot = device.client.post(
        "/api/v1/device/snapshots",
        headers=device.headers,
        files={"file": ("frame.png", png, "image/png")},
    )
    assert snapshot.status_code == 201, snapshot.text
    event = device.post(
        "/api/v1/device/events",
        json={
            "events": [
                {
                    "idempotency_key": "canary-1",
                    "kind": "access.granted",
                    "occurred_at": clock.now().isoformat(),
                    "person_id": person_id,
                    "snapshot_id": snapshot.json()["id"],
                }
            ]
        },
    )
    assert event.status_code == 200, event.text
    # exercise the read paths too: exact search, reveal, read-back
    found = admin.post("/api/v1/persons/search", json={"identity_number": CANARY_IDENTITY})
    assert [p["id"] for p in found.json()["items"]] == [person_id]
    revealed = admin.post(f"/api/v1/persons/{person_id}/reveal", json={"reason": "canary check"})
    assert revealed.json()["identity_number"] == CANARY_IDENTITY
    assert admin.get(f"/api/v1/persons/{person_id}").json()["name"] == CANARY_NAME
    vehicles = admin.post("/api/v1/vehicles/search", json={"plate": CANARY_PLATE})
    assert [v["plate"] for v in vehicles.json()["items"]] == [CANARY_PLATE]

    forms = canary_forms()
    for kind, form in encodings(qr_text.encode(), qr_text).items():
        forms[f"QR code as {kind}"] = form

    # the database, read raw
    if container.db.is_sqlite:
        raw = _sqlite_bytes(container)
        with container.db.engine.connect() as conn:
            sealed = conn.execute(
                text("SELECT name_sealed FROM persons WHERE id = :id"), {"id": person_id}
            ).scalar_one()
        assert bytes(sealed) in raw, "control: the raw files hold the live rows"
        assert b"Canary Site" in raw, "control: plain text columns are found"
        assert hits(raw, forms) == []
        container.db.dispose()  # checkpoint the WAL into the main file, then look again
        raw = _sqlite_bytes(container)
        assert bytes(sealed) in raw
        assert hits(raw, forms) == []
    else:
        dump = _postgres_dump(container)
        assert b"Canary Site" in dump, "control: plain text columns are found"
        assert person_id.encode() in dump
        assert hits(dump, forms) == []

    # the media store
    count, media = _media_bytes(container)
    assert count >= 1, "control: the snapshot was stored under the media directory"
    # control: the whole image is there, sealed (its metadata, the comment, stripped)
    assert len(media) >= len(strip_metadata(png, "PNG"))
    assert hits(media, forms) == []

    # everything logged, at DEBUG, by every logger, and everything printed
    assert control_log in caplog.text, "control: DEBUG records are captured"
    logged = "\n".join(
        [caplog.text]
        + [record.getMessage() for record in caplog.records]
        + list(capsys.readouterr())
    ).encode()
    assert hits(logged, forms) == []


def test_canary_values_absent_from_served_access_log(
    admin: Actor, container: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`gatepost serve` runs uvicorn; what it logs for a person search must hold no PII."""
    import uvicorn

    remember(*CANARIES.values())
    _enrol_canary(admin)
    monkeypatch.setattr(logging.getLogger("httpx"), "disabled", True)  # the client's own log

    # The exact uvicorn arguments `gatepost serve` uses, captured instead of running.
    captured: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: captured.update(kw))
    env = {
        "GATEPOST_DATA_DIR": str(container.settings.data_dir),
        "GATEPOST_DB__URL": container.db.url,
        "GATEPOST_ENV": "test",
    }
    cli_state._settings = cli_state._container = None
    try:
        result = CliRunner().invoke(cli_app, ["serve"], env=env)
    finally:
        if cli_state._container is not None:
            cli_state._container.close()
        cli_state._settings = cli_state._container = None
        cli_state.data_dir = None
    assert result.exit_code == 0, result.output
    assert captured, "serve did not reach uvicorn.run"

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    with Served(container, captured) as (url, access_logger):
        # Again: uvicorn's dictConfig (disable_existing_loggers=False) re-enabled it.
        monkeypatch.setattr(logging.getLogger("httpx"), "disabled", True)
        keep = Keep()
        access_logger.addHandler(keep)
        try:
            response = httpx.get(
                f"{url}/api/v1/persons",
                params={"identity_number": CANARY_IDENTITY, "phone": CANARY_PHONE},
                headers={**admin.headers, "Host": "127.0.0.1"},
                timeout=10,
            )
            # Refused (personal values belong in the POST search), and still not logged.
            assert response.status_code == 422, response.text
            deadline = time.monotonic() + 5
            while not any("/api/v1/persons" in line for line in lines):
                assert time.monotonic() < deadline, "control: the access log line was written"
                time.sleep(0.02)
        finally:
            access_logger.removeHandler(keep)
    forms = {k: v for k, v in canary_forms().items() if "snapshot" not in k}
    assert hits("\n".join(lines).encode(), forms) == []


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Served:
    """Serve ``compose_app(container)`` with the given uvicorn.run arguments, on loopback."""

    _LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")

    def __init__(self, container: Container, run_kwargs: dict[str, Any]) -> None:
        self._saved = {
            name: (list(lg.handlers), lg.level, lg.propagate, lg.disabled)
            for name in self._LOGGERS
            for lg in [logging.getLogger(name)]
        }
        dropped = {"host", "port", "ssl_certfile", "ssl_keyfile"}
        kwargs = {k: v for k, v in run_kwargs.items() if k not in dropped}
        self.port = _free_port()
        config = uvicorn_config(compose_app(container), port=self.port, **kwargs)
        import uvicorn

        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> tuple[str, logging.Logger]:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return f"http://127.0.0.1:{self.port}", logging.getLogger("uvicorn.access")

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        for name, (handlers, level, propagate, disabled) in self._saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate
            logger.disabled = disabled


def uvicorn_config(app: Any, *, port: int, **kwargs: Any) -> Any:
    import uvicorn

    return uvicorn.Config(app, host="127.0.0.1", port=port, **kwargs)


# -- repr never shows personal values or secrets --------------------------------------


def test_reprs_hide_personal_values_and_secrets() -> None:
    now = datetime.now(UTC)
    token = issue_token(TokenKind.SESSION, "0" * 32)
    secret_part = token.split("_", 2)[2]
    keys = TenantKeys(
        tenant_id="1" * 32,
        data_keys={1: new_key()},
        active_generation=1,
        index_key=new_key(),
        mac_key=new_key(),
    )
    principal = Principal(
        kind=PrincipalKind.USER, id="2" * 32, tenant_id="1" * 32, role=Role.ADMIN, name="admin"
    )
    device_credential = issue_token(TokenKind.DEVICE, "1" * 32)
    mqtt = issue_mqtt_secrets()
    api_token = issue_token(TokenKind.API_KEY, "1" * 32)
    objects: list[object] = [
        PersonDraft(
            name=CANARY_NAME,
            identity_kind="cn_resident",
            identity_number=CANARY_IDENTITY,
            phone=CANARY_PHONE,
            notes=CANARY_NOTES,
        ),
        PersonView(
            id="3" * 32,
            kind="employee",
            site_id=None,
            name=CANARY_NAME,
            identity_kind="cn_resident",
            identity_masked=CANARY_IDENTITY[:4] + "*" * 10 + CANARY_IDENTITY[-4:],
            phone_masked="*" * 10 + CANARY_PHONE[-4:],
            notes=CANARY_NOTES,
            external_ref=None,
            status="active",
            created_at=now,
            updated_at=now,
        ),
        Person(
            tenant_id="1" * 32,
            id="3" * 32,
            kind=PersonKind.EMPLOYEE,
            status=PersonStatus.ACTIVE,
            site_id=None,
            name=CANARY_NAME,
            identity_kind=IdentityKind.CN_RESIDENT,
            identity_number=CANARY_IDENTITY,
            phone=CANARY_PHONE,
            notes=CANARY_NOTES,
            external_ref=None,
            created_at=now,
            updated_at=now,
        ),
        RevealedIdentity(id="3" * 32, identity_number=CANARY_IDENTITY, phone=CANARY_PHONE),
        CredentialDraft(kind=CredentialKind.PIN, value=CANARY_PIN),
        CredentialDraft(kind=CredentialKind.CARD, value=CANARY_CARD),
        IssuedCredential(
            Credential(
                tenant_id="1" * 32,
                id="7" * 32,
                person_id="3" * 32,
                kind=CredentialKind.QR,
                label=None,
                duress=False,
                validity=ValidityWindow(),
                created_at=now,
            ),
            qr_text="gpq1.QuokkaQrCanary0123456789abcdef",
        ),
        VehicleDraft(plate=CANARY_PLATE, description=CANARY_NOTES),
        VehicleView(
            id="6" * 32,
            plate=CANARY_PLATE,
            region="cn",
            list="allow",
            person_id=None,
            site_id=None,
            valid_from=None,
            valid_until=None,
            description=CANARY_NOTES,
            created_at=now,
            updated_at=now,
        ),
        LoginResult(
            token=token, csrf_token="csrf-" + secret_part, principal=principal, expires_at=now
        ),
        keys,
        parse_token(token),
        IssuedDevice(
            device=Device(id="4" * 32, name="Gate"),
            credential=device_credential,
            mqtt_username="1" * 32 + "." + "4" * 32,
            mqtt_password=mqtt.password,
            mac_key=encode_key(mqtt.mac_key),
        ),
        mqtt,
        IssuedApiKey(key=ApiKey(id="5" * 32, name="integration"), token=api_token),
        TotpEnrolment(secret="JBSWY3DPEHPK3PXPJBSWY3DP", uri="otpauth://totp/x?secret=JBSWY3DP"),
    ]
    secrets: list[str] = [
        *CANARIES.values(),
        "QuokkaQrCanary0123456789abcdef",
        token,
        secret_part,
        device_credential.split("_", 2)[2],
        mqtt.password,
        encode_key(mqtt.mac_key),
        mqtt.mac_key.hex(),
        api_token.split("_", 2)[2],
        "JBSWY3DP",
    ]
    key_forms: list[str] = []
    for key in (keys.data_keys[1], keys.index_key, keys.mac_key):
        key_forms += [repr(key), key.hex(), base64.b64encode(key).decode()]
    parsed = parse_token(token)
    assert parsed is not None
    key_forms += [repr(parsed.token_hash), parsed.token_hash.hex()]
    for obj in objects:
        for shown in (repr(obj), str(obj), f"{obj!r}", f"{obj}"):
            leaked = [s for s in secrets + key_forms if s in shown]
            assert leaked == [], f"{type(obj).__name__} shows {leaked[0][:6]}…: {shown[:80]}"
