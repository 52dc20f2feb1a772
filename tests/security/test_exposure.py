"""Exposure: loopback by default, refusal of unsafe binds, a fresh install holds nothing,
and a one-time, expiring setup token (SECURITY.md 2, 3, 5)."""

from __future__ import annotations

import ipaddress
import re
import stat
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import create_engine, func, select, text

from gatepost.app import compose_app
from gatepost.domain.ports import FixedClock
from gatepost.errors import SetupError
from gatepost.services.container import Container, build_container
from gatepost.settings import Settings
from gatepost.store.tables import TenantKey, User
from tests.support.api import STRONG_PASSWORD, Actor
from tests.support.cli import run_cli_env
from tests.support.services import missing

ANY_ADDRESS = "0.0.0.0"  # noqa: S104 - the unsafe bind these tests refuse
_SETUP_TOKEN_HEAD = re.compile(r"gpt_[0-9a-f]{32}_")
_SECRET_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


# -- helpers ------------------------------------------------------------------------


def cli_env(data_dir: Path, db_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {
        "GATEPOST_DATA_DIR": str(data_dir),
        "GATEPOST_SECURITY__ARGON2_MEMORY_KIB": "19456",
        "GATEPOST_SECURITY__ARGON2_TIME_COST": "2",
    }
    if db_url is not None:
        env["GATEPOST_DB__URL"] = db_url
    env.update(extra)
    return env


def setup_token_from(output: str) -> str:
    """The setup token printed by `gatepost init`, even if the console folded it."""
    match = _SETUP_TOKEN_HEAD.search(output)
    assert match is not None, output
    secret = ""
    for char in output[match.end() :]:
        if len(secret) == 43:
            break
        if char in _SECRET_CHARS:
            secret += char
        elif not char.isspace():
            break
    assert len(secret) == 43, output
    return match.group(0) + secret


def _count(db_url: str, model: Any) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        engine.dispose()


@pytest.fixture
def no_uvicorn(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Records uvicorn.run calls instead of starting a server."""
    import uvicorn

    calls: list[dict[str, Any]] = []

    def fake_run(app: Any, **kwargs: Any) -> None:
        calls.append(kwargs)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    yield calls


@pytest.fixture
def fresh_dir(tmp_path: Path) -> Path:
    return tmp_path / "fresh-install"


def _fresh_container(data_dir: Path, db_url: str, clock: FixedClock) -> Container:
    settings = Settings(
        env="test",
        data_dir=data_dir,
        db={"url": db_url},
        security={"argon2_memory_kib": 19_456, "argon2_time_cost": 2},
        server={"allowed_hosts": ["testserver"]},
    )
    return build_container(settings, clock=clock)


def _setup_body(token: str, slug: str = "fresh") -> dict[str, str]:
    return {
        "token": token,
        "tenant_name": "Fresh Ltd",
        "tenant_slug": slug,
        "username": "admin",
        "password": STRONG_PASSWORD,
    }


# -- Settings.exposure_problems -----------------------------------------------------


def _settings(**server: Any) -> Settings:
    server.setdefault("allowed_hosts", ["gate.example.com"])
    return Settings(env="test", data_dir=Path("unused"), server=server)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_exposure_problems_none_when_bound_to_loopback(host: str) -> None:
    assert _settings(host=host).exposure_problems(admin_exists=False) == []


def test_serve_binds_loopback_by_default() -> None:
    assert Settings(data_dir=Path("unused")).server.host == "127.0.0.1"


@pytest.mark.parametrize("host", [ANY_ADDRESS, "::", "192.0.2.10", "gate.example.com"])
def test_exposure_problems_refuse_public_bind_without_tls_or_proxy(host: str) -> None:
    problems = _settings(host=host).exposure_problems(admin_exists=True)
    assert len(problems) == 1
    assert "tls" in problems[0] and "trusted_proxy" in problems[0]


def test_exposure_problems_refuse_tls_bind_before_an_administrator_exists() -> None:
    settings = _settings(host=ANY_ADDRESS, tls_certfile="cert.pem", tls_keyfile="key.pem")
    problems = settings.exposure_problems(admin_exists=False)
    assert len(problems) == 1
    assert "administrator" in problems[0]


def test_exposure_problems_refuse_proxy_bind_before_an_administrator_exists() -> None:
    settings = _settings(host=ANY_ADDRESS, trusted_proxy="10.0.0.2")
    assert len(settings.exposure_problems(admin_exists=False)) == 1


def test_exposure_problems_none_with_tls_and_administrator() -> None:
    settings = _settings(host=ANY_ADDRESS, tls_certfile="cert.pem", tls_keyfile="key.pem")
    assert settings.exposure_problems(admin_exists=True) == []


def test_exposure_problems_none_with_trusted_proxy_and_administrator() -> None:
    settings = _settings(host=ANY_ADDRESS, trusted_proxy="10.0.0.2")
    assert settings.exposure_problems(admin_exists=True) == []


def test_exposure_problems_refuse_everything_on_fresh_public_bind() -> None:
    assert len(_settings(host=ANY_ADDRESS).exposure_problems(admin_exists=False)) == 2


def test_exposure_problems_refuse_public_bind_answering_only_loopback_names() -> None:
    settings = _settings(
        host=ANY_ADDRESS,
        tls_certfile="cert.pem",
        tls_keyfile="key.pem",
        allowed_hosts=["127.0.0.1", "localhost", "[::1]"],
    )
    assert len(settings.exposure_problems(admin_exists=True)) == 1


# -- `gatepost serve` ---------------------------------------------------------------


def test_serve_refuses_public_bind_without_tls_before_starting(
    fresh_dir: Path, no_uvicorn: list[dict[str, Any]]
) -> None:
    started = time.monotonic()
    result = run_cli_env(["serve", "--host", ANY_ADDRESS], cli_env(fresh_dir))
    assert time.monotonic() - started < 30
    assert result.exit_code == 2, result.output
    assert "refused" in result.output
    assert no_uvicorn == [], "uvicorn was started despite the refusal"


def test_serve_refuses_tls_bind_before_setup(
    fresh_dir: Path, no_uvicorn: list[dict[str, Any]]
) -> None:
    env = cli_env(
        fresh_dir,
        GATEPOST_SERVER__TLS_CERTFILE=str(fresh_dir / "cert.pem"),
        GATEPOST_SERVER__TLS_KEYFILE=str(fresh_dir / "key.pem"),
        GATEPOST_SERVER__ALLOWED_HOSTS='["gate.example.com"]',
    )
    result = run_cli_env(["serve", "--host", ANY_ADDRESS], env)
    assert result.exit_code == 2, result.output
    assert "refused" in result.output and "administrator" in result.output
    assert no_uvicorn == []


def test_serve_binds_127_0_0_1_without_options(
    fresh_dir: Path, no_uvicorn: list[dict[str, Any]]
) -> None:
    result = run_cli_env(["serve"], cli_env(fresh_dir))
    assert result.exit_code == 0, result.output
    assert len(no_uvicorn) == 1
    assert no_uvicorn[0]["host"] == "127.0.0.1"
    assert no_uvicorn[0]["proxy_headers"] is False


def test_serve_starts_public_bind_with_tls_once_an_administrator_exists(
    fresh_dir: Path, no_uvicorn: list[dict[str, Any]], tmp_path: Path
) -> None:
    password_file = tmp_path / "password.txt"
    password_file.write_text(STRONG_PASSWORD + "\n")
    init = run_cli_env(
        [
            "init",
            "--tenant-name",
            "Fresh Ltd",
            "--tenant-slug",
            "fresh",
            "--admin",
            "admin",
            "--password-file",
            str(password_file),
        ],
        cli_env(fresh_dir),
    )
    assert init.exit_code == 0, init.output
    cert, key = fresh_dir / "cert.pem", fresh_dir / "key.pem"
    env = cli_env(
        fresh_dir,
        GATEPOST_SERVER__TLS_CERTFILE=str(cert),
        GATEPOST_SERVER__TLS_KEYFILE=str(key),
        GATEPOST_SERVER__ALLOWED_HOSTS='["gate.example.com"]',
    )
    result = run_cli_env(["serve", "--host", ANY_ADDRESS], env)
    assert result.exit_code == 0, result.output
    assert no_uvicorn[0]["host"] == ANY_ADDRESS
    assert no_uvicorn[0]["ssl_certfile"] == str(cert)
    assert no_uvicorn[0]["ssl_keyfile"] == str(key)


# -- a fresh install ----------------------------------------------------------------


def test_fresh_install_has_no_users_and_no_tenant_keys(fresh_dir: Path, db_url: str) -> None:
    result = run_cli_env(["init"], cli_env(fresh_dir, db_url))
    assert result.exit_code == 0, result.output
    assert _count(db_url, User) == 0
    assert _count(db_url, TenantKey) == 0
    setup_token_from(result.output)


def test_fresh_install_key_file_is_owner_only(fresh_dir: Path) -> None:
    result = run_cli_env(["init"], cli_env(fresh_dir))
    assert result.exit_code == 0, result.output
    key_file = fresh_dir / "keys" / "kek.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(fresh_dir.stat().st_mode) == 0o700
    # a second init keeps the key (never silently replaces it)
    before = key_file.read_bytes()
    again = run_cli_env(["init"], cli_env(fresh_dir))
    assert again.exit_code == 0, again.output
    assert key_file.read_bytes() == before


def test_init_prints_the_setup_token_on_one_line(fresh_dir: Path) -> None:
    """A folded token cannot be copied from an 80-column terminal or a log."""
    result = run_cli_env(["init"], cli_env(fresh_dir))
    assert result.exit_code == 0, result.output
    token = setup_token_from(result.output)
    assert any(token in line for line in result.output.splitlines()), (
        f"the setup token is folded across lines:\n{result.output}"
    )


def test_setup_token_works_once(fresh_dir: Path, db_url: str, clock: FixedClock) -> None:
    result = run_cli_env(["init"], cli_env(fresh_dir, db_url))
    assert result.exit_code == 0, result.output
    token = setup_token_from(result.output)
    container = _fresh_container(fresh_dir, db_url, clock)
    try:
        client = TestClient(compose_app(container), base_url="https://testserver")
        first = client.post("/api/v1/setup", json=_setup_body(token))
        assert first.status_code == 201, first.text
        second = client.post("/api/v1/setup", json=_setup_body(token, slug="again"))
        assert second.status_code == 409, second.text
        # Even with no active administrator left, the spent token stays spent.
        with container.db.engine.begin() as conn:
            conn.execute(text("UPDATE users SET disabled = :yes"), {"yes": True})
        assert container.setup.needed()
        third = client.post("/api/v1/setup", json=_setup_body(token, slug="third"))
        assert third.status_code == 409, third.text
        assert "token" in third.json()["error"]["message"]
    finally:
        container.close()


def test_setup_token_refused_after_30_minutes(
    fresh_dir: Path, db_url: str, clock: FixedClock
) -> None:
    result = run_cli_env(["init"], cli_env(fresh_dir, db_url))
    assert result.exit_code == 0, result.output
    expired = setup_token_from(result.output)
    container = _fresh_container(fresh_dir, db_url, clock)
    try:
        client = TestClient(compose_app(container), base_url="https://testserver")
        fresh = container.setup.issue_token()
        clock.advance(timedelta(minutes=30, seconds=5))
        for token in (expired, fresh):
            response = client.post("/api/v1/setup", json=_setup_body(token))
            assert response.status_code == 409, response.text
            assert response.json()["error"]["code"] == "setup_refused"
        assert _count(db_url, User) == 0
        just_in_time = container.setup.issue_token()
        clock.advance(timedelta(minutes=29, seconds=59))
        ok = client.post("/api/v1/setup", json=_setup_body(just_in_time))
        assert ok.status_code == 201, ok.text
    finally:
        container.close()


def test_setup_token_minutes_cannot_exceed_30() -> None:
    with pytest.raises(ValidationError):
        Settings(data_dir=Path("unused"), security={"setup_token_minutes": 31})
    with pytest.raises(ValidationError):
        Settings(data_dir=Path("unused"), security={"setup_token_minutes": 24 * 60})
    assert Settings(data_dir=Path("unused")).security.setup_token_minutes <= 30


def test_setup_token_minutes_above_30_refused_from_environment(fresh_dir: Path) -> None:
    env = cli_env(fresh_dir, GATEPOST_SECURITY__SETUP_TOKEN_MINUTES="90")
    result = run_cli_env(["init"], env)
    assert result.exit_code == 2, result.output
    assert not (fresh_dir / "keys" / "kek.key").exists()


def test_setup_after_completion_is_conflict(
    admin: Actor, client: TestClient, container: Container
) -> None:
    with pytest.raises(SetupError):
        container.setup.issue_token()
    forged = "gpt_" + "0" * 32 + "_" + "A" * 43
    response = client.post("/api/v1/setup", json=_setup_body(forged, slug="takeover"))
    assert response.status_code == 409, response.text
    assert client.get("/api/v1/setup").json() == {"needed": False}


# -- services started for the tests listen on loopback only --------------------------


def _listeners(port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    found: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for name, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            if state != "0A":  # LISTEN
                continue
            address_hex, port_hex = local.split(":")
            if int(port_hex, 16) != port or len(address_hex) != width:
                continue
            raw = bytes.fromhex(address_hex)
            # /proc stores each 32-bit word in host (little-endian) order
            ordered = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.append(ipaddress.ip_address(ordered))
    return found


@pytest.mark.parametrize(("port", "what"), [(5432, "PostgreSQL"), (8333, "SeaweedFS S3")])
def test_test_services_listen_on_loopback_only(port: int, what: str) -> None:
    if not Path("/proc/net/tcp").exists():
        missing("/proc/net/tcp (Linux)")
    listeners = _listeners(port)
    if not listeners:
        missing(f"{what} (nothing listening on port {port})")
    exposed = [str(a) for a in listeners if not a.is_loopback]
    assert exposed == [], f"{what} listens on non-loopback addresses {exposed}"


def test_listener_parser_reads_proc_addresses() -> None:
    """Control: the /proc parser decodes the address of a socket we bind ourselves."""
    import socket

    if not Path("/proc/net/tcp").exists():
        missing("/proc/net/tcp (Linux)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert ipaddress.ip_address("127.0.0.1") in _listeners(port)
