"""Event snapshots through the API on both media stores: local directory and S3.

The S3 store is the SeaweedFS that `make test` starts (scripts/seaweedfs.sh).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import SecretStr
from sqlalchemy import func, select

from gatepost.app import compose_app
from gatepost.domain.ports import FixedClock
from gatepost.security.kek import create_key_file
from gatepost.services.container import Container, build_container
from gatepost.settings import Settings
from gatepost.store.tables import MediaObject
from tests.support.api import Actor, add_device, add_site, setup_platform
from tests.support.services import S3_ACCESS_KEY, S3_ENDPOINT, S3_SECRET_KEY, missing, port_open


def _jpeg() -> bytes:
    image = Image.new("RGB", (320, 240), (12, 200, 90))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture(params=["local", "s3"])
def media_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "local":
        return settings
    if not port_open("127.0.0.1", int(S3_ENDPOINT.rsplit(":", 1)[1])):
        missing("the S3 test store (scripts/seaweedfs.sh start)")
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    return _with_media(
        settings,
        f"s3://gatepost-test/{prefix}/?endpoint={S3_ENDPOINT}",
        S3_ACCESS_KEY,
        S3_SECRET_KEY,
    )


def _with_media(settings: Settings, url: str, access_key: str, secret_key: str) -> Settings:
    media = settings.media.model_copy(
        update={
            "url": url,
            "s3_access_key": SecretStr(access_key),
            "s3_secret_key": SecretStr(secret_key),
        }
    )
    return settings.model_copy(update={"media": media})


@pytest.fixture
def media_container(media_settings: Settings, clock: FixedClock) -> Iterator[Container]:
    create_key_file(media_settings.key_file)
    built = build_container(media_settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
def media_admin(media_container: Container) -> Iterator[Actor]:
    with TestClient(compose_app(media_container), base_url="https://testserver") as client:
        yield setup_platform(client, media_container)


def test_snapshot_round_trips_sealed_on_each_store(
    media_admin: Actor, media_container: Container
) -> None:
    device = add_device(media_admin, add_site(media_admin))
    image = _jpeg()
    uploaded = device.post(
        "/api/v1/device/snapshots", files={"file": ("f.jpg", image, "image/jpeg")}
    )
    assert uploaded.status_code == 201, uploaded.text
    media_id = uploaded.json()["id"]
    stored = media_container.blobs.get(tenant_id=media_admin.tenant_id, object_id=media_id)
    assert image not in stored and image[:64] not in stored and b"JFIF" not in stored
    posted = device.post(
        "/api/v1/device/events",
        json={
            "events": [
                {
                    "idempotency_key": "snap-1",
                    "kind": "plate.read",
                    "snapshot_id": media_id,
                    "occurred_at": datetime.now(UTC).isoformat(),
                }
            ]
        },
    )
    event_id = posted.json()[0]["event_id"]
    signed = media_admin.get(f"/api/v1/events/{event_id}/snapshot-url").json()
    fetched = media_admin.get(signed["url"])
    assert fetched.status_code == 200
    assert fetched.content == image
    assert fetched.headers["content-type"] == "image/jpeg"
    assert fetched.headers["cache-control"] == "no-store"


def test_upload_leaves_no_row_when_store_is_down(settings: Settings, clock: FixedClock) -> None:
    down = _with_media(settings, "s3://gatepost-test/x/?endpoint=http://127.0.0.1:1", "k", "s")
    create_key_file(down.key_file)
    container = build_container(down, clock=clock)
    try:
        with TestClient(compose_app(container), base_url="https://testserver") as client:
            admin = setup_platform(client, container)
            device = add_device(admin, add_site(admin))
            response = device.post(
                "/api/v1/device/snapshots", files={"file": ("f.jpg", _jpeg(), "image/jpeg")}
            )
            assert response.status_code == 503
            assert response.json()["error"]["code"] == "unavailable"
            assert "retry-after" in response.headers
        with container.db.session() as session:
            assert session.scalar(select(func.count()).select_from(MediaObject)) == 0
    finally:
        container.close()
