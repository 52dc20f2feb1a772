"""Integration tests for the media blob stores: local files and real S3.

The S3 cases run against the SeaweedFS started by ``scripts/seaweedfs.sh
start``. When it is not reachable they are skipped locally and fail in CI
(``CI=true``), so CI can never pass without exercising the real S3 store.
"""

from __future__ import annotations

import os
import socket
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gatepost.store.media import (
    BlobNotFound,
    BlobStore,
    BlobStoreUnavailable,
    LocalBlobStore,
    S3BlobStore,
    blob_store_from_url,
)
from tests.support.services import missing

S3_HOST = "127.0.0.1"
S3_PORT = int(os.environ.get("GATEPOST_TEST_S3_PORT", "8333"))
S3_ENDPOINT = os.environ.get("GATEPOST_TEST_S3_ENDPOINT", f"http://{S3_HOST}:{S3_PORT}")
# Local test store credentials only (see scripts/seaweedfs.sh); never real ones.
S3_ACCESS_KEY = os.environ.get("GATEPOST_TEST_S3_ACCESS_KEY", "gatepost-test")
S3_SECRET_KEY = os.environ.get(
    "GATEPOST_TEST_S3_SECRET_KEY", "gatepost-test-secret-not-for-production"
)
S3_BUCKET = "gatepost-test-media"

TENANT_A = "tenant-aaaaaaaa"
TENANT_B = "tenant-bbbbbbbb"
# A tenant id that has TENANT_A as a string prefix must stay separate.
TENANT_A_LONGER = TENANT_A + "-x"

BINARY = bytes(range(256)) * 64 + b"\x00\xff\x00"


def _new_id() -> str:
    return uuid.uuid4().hex


def _s3_store(prefix: str) -> S3BlobStore:
    return S3BlobStore(
        endpoint_url=S3_ENDPOINT,
        bucket=S3_BUCKET,
        access_key=S3_ACCESS_KEY,
        secret_key=S3_SECRET_KEY,
        prefix=prefix,
    )


@pytest.fixture(scope="session")
def s3_available() -> None:
    """Skip (or fail in CI) when the local SeaweedFS S3 is not running."""
    reason = ""
    try:
        with socket.create_connection((S3_HOST, S3_PORT), timeout=0.5):
            pass
        _s3_store("probe/").check()
    except OSError as exc:
        reason = f"nothing listening on {S3_HOST}:{S3_PORT} ({exc})"
    except BlobStoreUnavailable as exc:
        reason = f"S3 at {S3_ENDPOINT} unusable: {exc} ({exc.__cause__})"
    if reason:
        missing(f"the S3 test store ({reason}; run scripts/seaweedfs.sh start)")


@pytest.fixture(scope="session")
def s3_session_store(s3_available: None) -> S3BlobStore:
    """One client per run (building a boto3 client costs ~0.3 s)."""
    return _s3_store(f"test-{_new_id()}/")


@pytest.fixture
def s3_store(s3_session_store: S3BlobStore) -> Iterator[S3BlobStore]:
    """The S3 store on this run's own key prefix, emptied after each test."""
    yield s3_session_store
    for tenant_id in (TENANT_A, TENANT_B, TENANT_A_LONGER):
        s3_session_store.delete_tenant(tenant_id=tenant_id)


@pytest.fixture
def local_store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "media")


@pytest.fixture(params=["local", "s3"])
def blob_store(request: pytest.FixtureRequest) -> BlobStore:
    store: BlobStore = request.getfixturevalue(f"{request.param}_store")
    return store


def test_put_get_roundtrips_binary_data(blob_store: BlobStore) -> None:
    object_id = _new_id()
    blob_store.put(tenant_id=TENANT_A, object_id=object_id, data=BINARY)

    assert blob_store.get(tenant_id=TENANT_A, object_id=object_id) == BINARY


def test_put_replaces_existing_object(blob_store: BlobStore) -> None:
    object_id = _new_id()
    blob_store.put(tenant_id=TENANT_A, object_id=object_id, data=b"first")
    blob_store.put(tenant_id=TENANT_A, object_id=object_id, data=b"")

    assert blob_store.get(tenant_id=TENANT_A, object_id=object_id) == b""


def test_get_raises_not_found_when_missing(blob_store: BlobStore) -> None:
    object_id = _new_id()
    with pytest.raises(BlobNotFound) as caught:
        blob_store.get(tenant_id=TENANT_A, object_id=object_id)

    assert caught.value.object_id == object_id
    assert caught.value.tenant_id == TENANT_A


def test_get_raises_not_found_for_other_tenant(blob_store: BlobStore) -> None:
    object_id = _new_id()
    blob_store.put(tenant_id=TENANT_A, object_id=object_id, data=BINARY)

    with pytest.raises(BlobNotFound):
        blob_store.get(tenant_id=TENANT_B, object_id=object_id)


def test_delete_is_idempotent_when_repeated(blob_store: BlobStore) -> None:
    object_id = _new_id()
    blob_store.put(tenant_id=TENANT_A, object_id=object_id, data=BINARY)

    blob_store.delete(tenant_id=TENANT_A, object_id=object_id)
    blob_store.delete(tenant_id=TENANT_A, object_id=object_id)
    blob_store.delete(tenant_id=TENANT_A, object_id=_new_id())

    with pytest.raises(BlobNotFound):
        blob_store.get(tenant_id=TENANT_A, object_id=object_id)


def test_delete_tenant_removes_only_that_tenant(blob_store: BlobStore) -> None:
    a_ids = [_new_id() for _ in range(3)]
    for object_id in a_ids:
        blob_store.put(tenant_id=TENANT_A, object_id=object_id, data=object_id.encode())
    b_id, longer_id = _new_id(), _new_id()
    blob_store.put(tenant_id=TENANT_B, object_id=b_id, data=b"b")
    blob_store.put(tenant_id=TENANT_A_LONGER, object_id=longer_id, data=b"c")

    assert blob_store.delete_tenant(tenant_id=TENANT_A) == 3

    for object_id in a_ids:
        with pytest.raises(BlobNotFound):
            blob_store.get(tenant_id=TENANT_A, object_id=object_id)
    assert blob_store.get(tenant_id=TENANT_B, object_id=b_id) == b"b"
    assert blob_store.get(tenant_id=TENANT_A_LONGER, object_id=longer_id) == b"c"
    assert blob_store.delete_tenant(tenant_id=TENANT_A) == 0


@pytest.mark.parametrize(
    "bad_id",
    [
        "../x",
        "../../../../etc/passwd",
        "a/b",
        "abcdefgh/..",
        "..\\abcdefgh",
        "/abs/olute/path",
        "abcdefgh\x00",
        "abcdefgh\n",
        "short",
        "",
        "x" * 65,
        "abcdefg.",
        "ünïcödé-id",
    ],
)
def test_invalid_ids_are_rejected_for_every_operation(blob_store: BlobStore, bad_id: str) -> None:
    good = _new_id()
    with pytest.raises(ValueError):
        blob_store.put(tenant_id=bad_id, object_id=good, data=b"x")
    with pytest.raises(ValueError):
        blob_store.put(tenant_id=TENANT_A, object_id=bad_id, data=b"x")
    with pytest.raises(ValueError):
        blob_store.get(tenant_id=TENANT_A, object_id=bad_id)
    with pytest.raises(ValueError):
        blob_store.get(tenant_id=bad_id, object_id=good)
    with pytest.raises(ValueError):
        blob_store.delete(tenant_id=TENANT_A, object_id=bad_id)
    with pytest.raises(ValueError):
        blob_store.delete_tenant(tenant_id=bad_id)


def test_invalid_ids_write_nothing_when_local(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "media")
    for bad_id in ("../escape1", "a/b/c/d/e", "../../outside"):
        with pytest.raises(ValueError):
            store.put(tenant_id=TENANT_A, object_id=bad_id, data=b"x")
        with pytest.raises(ValueError):
            store.put(tenant_id=bad_id, object_id=_new_id(), data=b"x")

    assert list(tmp_path.rglob("*")) == []


def test_local_permissions_are_private_when_written(local_store: LocalBlobStore) -> None:
    object_id = _new_id()
    local_store.put(tenant_id=TENANT_A, object_id=object_id, data=BINARY)

    path = local_store.root / TENANT_A / object_id[:2] / object_id
    assert path.read_bytes() == BINARY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for directory in (local_store.root, path.parent, path.parent.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [object_id]  # no temp left


def test_local_check_raises_unavailable_when_root_is_a_file(tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.write_bytes(b"not a directory")

    with pytest.raises(BlobStoreUnavailable):
        LocalBlobStore(root).check()


def test_s3_rejects_anonymous_requests(s3_store: S3BlobStore) -> None:
    object_id = _new_id()
    s3_store.put(tenant_id=TENANT_A, object_id=object_id, data=BINARY)
    bucket_url = f"{S3_ENDPOINT}/{s3_store.bucket}"
    object_url = f"{bucket_url}/{s3_store.prefix}{TENANT_A}/{object_id}"

    with httpx.Client(trust_env=False, timeout=5) as client:
        responses = [
            client.get(object_url),
            client.head(object_url),
            client.get(bucket_url, params={"list-type": "2"}),
            client.get(f"{S3_ENDPOINT}/"),
            client.put(object_url, content=b"overwrite"),
            client.delete(object_url),
        ]

    assert [r.status_code for r in responses] == [403] * len(responses)
    assert BINARY not in responses[0].content
    assert s3_store.get(tenant_id=TENANT_A, object_id=object_id) == BINARY


def test_s3_rejects_wrong_secret(s3_available: None) -> None:
    store = S3BlobStore(
        endpoint_url=S3_ENDPOINT,
        bucket=S3_BUCKET,
        access_key=S3_ACCESS_KEY,
        secret_key="wrong-secret-wrong-secret",
    )

    with pytest.raises(BlobStoreUnavailable):
        store.put(tenant_id=TENANT_A, object_id=_new_id(), data=b"x")


def test_check_raises_unavailable_quickly_when_nothing_listens() -> None:
    store = S3BlobStore(
        endpoint_url="http://127.0.0.1:1",
        bucket=S3_BUCKET,
        access_key="unused-key",
        secret_key="unused-secret",
    )
    started = time.monotonic()

    with pytest.raises(BlobStoreUnavailable) as caught:
        store.check()

    assert time.monotonic() - started < 5
    assert caught.value.__cause__ is not None


def test_repr_hides_secret_key() -> None:
    store = S3BlobStore(
        endpoint_url="http://127.0.0.1:1",
        bucket=S3_BUCKET,
        access_key="visible-key",
        secret_key="super-secret-value",
    )

    assert "super-secret-value" not in repr(store)
    assert "super-secret-value" not in repr(vars(store))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "data/media"),
        ("  ", "data/media"),
        ("blobs", "data/blobs"),
        ("file:blobs/x", "data/blobs/x"),
        ("file:///srv/media", "/srv/media"),
        ("/srv/media", "/srv/media"),
    ],
)
def test_from_url_builds_local_store_for_paths(url: str, expected: str) -> None:
    store = blob_store_from_url(url, data_dir=Path("data"), access_key=None, secret_key=None)

    assert isinstance(store, LocalBlobStore)
    assert store.root == Path(expected)


def test_from_url_builds_s3_store_for_s3_url() -> None:
    store = blob_store_from_url(
        "s3://media-bucket/gp/prod?endpoint=http://127.0.0.1:8333&region=eu-west-1",
        data_dir=Path("data"),
        access_key="key-id",
        secret_key="secret",
    )

    assert isinstance(store, S3BlobStore)
    assert store.bucket == "media-bucket"
    assert store.prefix == "gp/prod/"


@pytest.mark.parametrize("keys", [(None, "secret"), ("key-id", None), ("", "")])
def test_from_url_raises_when_s3_keys_missing(keys: tuple[str | None, str | None]) -> None:
    with pytest.raises(ValueError, match="access key and a secret key"):
        blob_store_from_url(
            "s3://media-bucket?endpoint=http://127.0.0.1:8333",
            data_dir=Path("data"),
            access_key=keys[0],
            secret_key=keys[1],
        )


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/media",
        "s3://",
        "s3://Bad_Bucket",
        "s3://user:pw@bucket",
        "s3://media-bucket?endpoint=ftp://x",
        "s3://media-bucket?acl=public-read",
        "s3://media-bucket/../up",
        "file://remote-host/media",
    ],
)
def test_from_url_raises_for_bad_urls(url: str) -> None:
    with pytest.raises(ValueError):
        blob_store_from_url(url, data_dir=Path("data"), access_key="k", secret_key="s")
