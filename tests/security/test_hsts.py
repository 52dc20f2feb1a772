"""HSTS on HTTPS only: when the server terminates TLS, or the trusted proxy says the
request came over HTTPS; never on plain HTTP from anyone else (docs/security.md).

Runs the real app under uvicorn with the transport options ``gatepost serve`` uses
(TLS with a real certificate; proxy headers believed from ``server.trusted_proxy``
only), and talks to it over real sockets.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient

from gatepost.app import compose_app
from gatepost.cli.serve import transport_options
from gatepost.security.kek import create_key_file
from gatepost.services.container import build_container
from tests.support.settings import test_settings

HSTS = "max-age=31536000; includeSubDomains"
PATHS = ["/api/v1/health", "/ui/login", "/api/v1/auth/me"]  # public, UI page, and a 401

Serve = Callable[..., Any]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = directory / "cert.pem", directory / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certfile, keyfile


@pytest.fixture
def serve(tmp_path: Path, sqlite_template: Path) -> Iterator[Serve]:
    """Start the app under uvicorn with given ``server`` settings; yields its base URL."""
    stack: list[tuple[uvicorn.Server, threading.Thread, Any]] = []

    def start(**server: Any) -> str:
        path = tmp_path / f"hsts{len(stack)}.db"
        shutil.copy(sqlite_template, path)
        settings = test_settings(
            tmp_path / f"data{len(stack)}", f"sqlite:///{path}", allowed_hosts=["127.0.0.1"]
        )
        port = _free_port()
        update = {"host": "127.0.0.1", "port": port, **server}
        settings = settings.model_copy(update={"server": settings.server.model_copy(update=update)})
        create_key_file(settings.key_file)
        container = build_container(settings)
        config = uvicorn.Config(
            compose_app(container),
            host="127.0.0.1",
            port=port,
            log_config=None,
            lifespan="off",
            **transport_options(settings),
        )
        server_ = uvicorn.Server(config)
        thread = threading.Thread(target=server_.run, name="uvicorn-hsts", daemon=True)
        thread.start()
        stack.append((server_, thread, container))
        deadline = time.monotonic() + 15
        while not server_.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("the server did not start")
            time.sleep(0.05)
        scheme = "https" if settings.server.tls_certfile else "http"
        return f"{scheme}://127.0.0.1:{port}"

    yield start
    for server_, thread, container in stack:
        server_.should_exit = True
        thread.join(timeout=10)
        container.close()


def _hsts(url: str, *, verify: ssl.SSLContext | bool = True, **headers: str) -> list[str | None]:
    with httpx.Client(base_url=url, verify=verify) as http:
        return [
            http.get(p, headers=headers).headers.get("strict-transport-security") for p in PATHS
        ]


def test_hsts_when_the_server_terminates_tls(serve: Serve, tmp_path: Path) -> None:
    certfile, keyfile = _self_signed(tmp_path)
    url = serve(tls_certfile=certfile, tls_keyfile=keyfile)
    assert url.startswith("https://")
    trusted = ssl.create_default_context(cafile=str(certfile))
    assert _hsts(url, verify=trusted) == [HSTS] * len(PATHS)


def test_hsts_when_the_trusted_proxy_says_https(serve: Serve) -> None:
    url = serve(trusted_proxy="127.0.0.1")
    assert url.startswith("http://")
    assert _hsts(url, **{"X-Forwarded-Proto": "https"}) == [HSTS] * len(PATHS)
    assert _hsts(url, **{"X-Forwarded-Proto": "http"}) == [None] * len(PATHS)
    assert _hsts(url) == [None] * len(PATHS)


def test_no_hsts_on_plain_http_when_an_untrusted_client_says_https(serve: Serve) -> None:
    for server in ({}, {"trusted_proxy": "10.0.0.2"}):  # no proxy; a proxy that is not us
        url = serve(**server)
        assert _hsts(url, **{"X-Forwarded-Proto": "https"}) == [None] * len(PATHS), server
        assert _hsts(url) == [None] * len(PATHS), server


def test_hsts_by_scheme_in_process(client: TestClient) -> None:
    """The same rule without a server: the ASGI scheme decides (TestClient sets it)."""
    assert client.get("/api/v1/health").headers["strict-transport-security"] == HSTS
    plain = client.get("http://testserver/api/v1/health", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in plain.headers
