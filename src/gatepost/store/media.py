"""Blob storage for already-encrypted media objects.

Media (face crops, plate snapshots, exports) is encrypted before it reaches
this module; a blob store only keeps opaque bytes under a
``(tenant_id, object_id)`` address and never interprets them.

Two implementations satisfy the :class:`BlobStore` protocol:

* :class:`LocalBlobStore` keeps files under
  ``<root>/<tenant_id>/<object_id[:2]>/<object_id>`` with directories ``0700``
  and files ``0600``, written atomically (temp file, ``fsync``,
  ``os.replace``).
* :class:`S3BlobStore` keeps objects under ``<prefix><tenant_id>/<object_id>``
  in a private bucket on any S3-compatible server (AWS, SeaweedFS, ...).
  It never sets an ACL, so objects stay private to the bucket owner.

Both stores accept only ids matching ``[A-Za-z0-9_-]{8,64}`` and raise
``ValueError`` for anything else, so no id can escape its tenant's
namespace (no ``/``, ``..``, NUL or empty ids).

Errors raised here are plain exceptions; the store layer's error hierarchy
wraps them::

    LookupError
     └── BlobNotFound            no object under that tenant and id
    RuntimeError
     └── BlobStoreUnavailable    backend unreachable, refused or failed

:func:`blob_store_from_url` builds a store from a settings URL.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast
from urllib.parse import parse_qs, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.literals import BucketLocationConstraintType

__all__ = [
    "BlobNotFound",
    "BlobStore",
    "BlobStoreUnavailable",
    "LocalBlobStore",
    "S3BlobStore",
    "blob_store_from_url",
]

_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
_BUCKET_PATTERN = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_PREFIX_PATTERN = re.compile(r"(?:[A-Za-z0-9_.-]+/)*")
_DIR_MODE = 0o700
_FILE_MODE = 0o600
_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
_NO_BUCKET_CODES = frozenset({"404", "NoSuchBucket", "NotFound"})
_DELETE_BATCH = 1000


class BlobNotFound(LookupError):
    """No object is stored under this tenant and object id."""

    def __init__(self, *, tenant_id: str, object_id: str) -> None:
        super().__init__(f"blob {object_id} not found for tenant {tenant_id}")
        self.tenant_id = tenant_id
        self.object_id = object_id


class BlobStoreUnavailable(RuntimeError):
    """The storage backend cannot be reached or refused the operation."""


class BlobStore(Protocol):
    """Opaque, tenant-scoped storage for encrypted media objects."""

    def put(self, *, tenant_id: str, object_id: str, data: bytes) -> None:
        """Store ``data``, replacing any object with the same address."""
        ...

    def get(self, *, tenant_id: str, object_id: str) -> bytes:
        """Return the object's bytes or raise :class:`BlobNotFound`."""
        ...

    def delete(self, *, tenant_id: str, object_id: str) -> None:
        """Remove the object; removing a missing object is not an error."""
        ...

    def delete_tenant(self, *, tenant_id: str) -> int:
        """Remove every object of the tenant and return how many were removed."""
        ...

    def check(self) -> None:
        """Raise :class:`BlobStoreUnavailable` if the backend is not usable."""
        ...


def _validate_id(value: str, *, field: str) -> str:
    if not isinstance(value, str) or _ID_PATTERN.fullmatch(value) is None:
        raise ValueError(f"{field} must match [A-Za-z0-9_-]{{8,64}}")
    return value


class LocalBlobStore:
    """Blob store on the local filesystem, private to the service user."""

    def __init__(self, root: Path) -> None:
        self._root = Path(root)

    @property
    def root(self) -> Path:
        """Directory that holds one sub-directory per tenant."""
        return self._root

    def __repr__(self) -> str:
        return f"LocalBlobStore(root={str(self._root)!r})"

    def _tenant_dir(self, tenant_id: str) -> Path:
        return self._root / _validate_id(tenant_id, field="tenant_id")

    def _object_path(self, tenant_id: str, object_id: str) -> Path:
        tenant_dir = self._tenant_dir(tenant_id)
        object_id = _validate_id(object_id, field="object_id")
        return tenant_dir / object_id[:2] / object_id

    def _make_private_dir(self, path: Path) -> None:
        try:
            path.mkdir(mode=_DIR_MODE)
        except FileExistsError:
            if not path.is_dir() or path.is_symlink():
                raise NotADirectoryError(f"{path} is not a directory") from None
            return
        os.chmod(path, _DIR_MODE)  # mkdir's mode is filtered by the umask

    def _ensure_dirs(self, shard_dir: Path) -> None:
        if not self._root.is_dir():
            self._root.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        self._make_private_dir(shard_dir.parent)
        self._make_private_dir(shard_dir)

    def put(self, *, tenant_id: str, object_id: str, data: bytes) -> None:
        path = self._object_path(tenant_id, object_id)
        try:
            self._ensure_dirs(path.parent)
            fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot write under {self._root}") from exc
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), _FILE_MODE)
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, path)
        except BaseException as exc:
            Path(tmp_name).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise BlobStoreUnavailable(f"cannot write under {self._root}") from exc
            raise
        self._fsync_dir(path.parent)

    @staticmethod
    def _fsync_dir(path: Path) -> None:
        try:
            dir_fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass  # some filesystems cannot fsync directories
        finally:
            os.close(dir_fd)

    def get(self, *, tenant_id: str, object_id: str) -> bytes:
        path = self._object_path(tenant_id, object_id)
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(path, flags)
        except FileNotFoundError as exc:
            raise BlobNotFound(tenant_id=tenant_id, object_id=object_id) from exc
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot read under {self._root}") from exc
        with os.fdopen(fd, "rb") as handle:
            return handle.read()

    def delete(self, *, tenant_id: str, object_id: str) -> None:
        path = self._object_path(tenant_id, object_id)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot delete under {self._root}") from exc

    def delete_tenant(self, *, tenant_id: str) -> int:
        tenant_dir = self._tenant_dir(tenant_id)
        if not tenant_dir.is_dir() or tenant_dir.is_symlink():
            return 0
        count = sum(
            1
            for entry in tenant_dir.glob("*/*")
            if entry.is_file() and _ID_PATTERN.fullmatch(entry.name) is not None
        )
        try:
            shutil.rmtree(tenant_dir)
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot delete under {self._root}") from exc
        return count

    def check(self) -> None:
        try:
            self._root.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot create {self._root}") from exc
        if not self._root.is_dir() or not os.access(self._root, os.W_OK | os.X_OK):
            raise BlobStoreUnavailable(f"{self._root} is not a writable directory")


def _error_code(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return str(error.get("Code", ""))


class S3BlobStore:
    """Blob store on an S3-compatible server, in a private bucket."""

    def __init__(
        self,
        *,
        endpoint_url: str | None,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        prefix: str = "",
    ) -> None:
        if _BUCKET_PATTERN.fullmatch(bucket) is None:
            raise ValueError("bucket must be a valid S3 bucket name")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        if _PREFIX_PATTERN.fullmatch(prefix) is None or "/../" in f"/{prefix}":
            raise ValueError("prefix must be path segments of [A-Za-z0-9_.-]")
        if not access_key or not secret_key:
            raise ValueError("S3 media storage needs an access key and a secret key")
        self._endpoint_url = endpoint_url
        self._bucket = bucket
        self._region = region
        self._prefix = prefix
        self._bucket_ready = False
        self._lock = threading.Lock()
        config = Config(
            region_name=region,
            signature_version="s3v4",
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=2,
            read_timeout=10,
            s3={"addressing_style": "path" if endpoint_url else "auto"},
        )
        session = boto3.session.Session()
        self._client: S3Client = session.client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=region,
            config=config,
        )

    @property
    def bucket(self) -> str:
        """Name of the bucket that holds every tenant's objects."""
        return self._bucket

    @property
    def prefix(self) -> str:
        """Key prefix, empty or ending in ``/``, before ``<tenant_id>/``."""
        return self._prefix

    def __repr__(self) -> str:
        return (
            f"S3BlobStore(endpoint_url={self._endpoint_url!r}, "
            f"bucket={self._bucket!r}, prefix={self._prefix!r})"
        )

    def _tenant_prefix(self, tenant_id: str) -> str:
        return f"{self._prefix}{_validate_id(tenant_id, field='tenant_id')}/"

    def _key(self, tenant_id: str, object_id: str) -> str:
        tenant_prefix = self._tenant_prefix(tenant_id)
        return tenant_prefix + _validate_id(object_id, field="object_id")

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist yet (private, no ACL)."""
        if self._bucket_ready:
            return
        with self._lock:
            if self._bucket_ready:
                return
            try:
                self._client.head_bucket(Bucket=self._bucket)
            except ClientError as exc:
                if _error_code(exc) not in _NO_BUCKET_CODES:
                    raise BlobStoreUnavailable("S3 bucket is not accessible") from exc
                self._create_bucket()
            except BotoCoreError as exc:
                raise BlobStoreUnavailable("S3 endpoint is unreachable") from exc
            self._bucket_ready = True

    def _create_bucket(self) -> None:
        try:
            if self._region == "us-east-1":
                self._client.create_bucket(Bucket=self._bucket)
            else:
                self._client.create_bucket(
                    Bucket=self._bucket,
                    CreateBucketConfiguration={
                        "LocationConstraint": cast("BucketLocationConstraintType", self._region),
                    },
                )
        except ClientError as exc:
            if _error_code(exc) not in {"BucketAlreadyOwnedByYou"}:
                raise BlobStoreUnavailable("cannot create S3 bucket") from exc
        except BotoCoreError as exc:
            raise BlobStoreUnavailable("S3 endpoint is unreachable") from exc

    def put(self, *, tenant_id: str, object_id: str, data: bytes) -> None:
        key = self._key(tenant_id, object_id)
        self.ensure_bucket()
        try:
            self._client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=data,
                ContentType="application/octet-stream",
            )
        except (BotoCoreError, ClientError) as exc:
            raise BlobStoreUnavailable("cannot write S3 object") from exc

    def get(self, *, tenant_id: str, object_id: str) -> bytes:
        key = self._key(tenant_id, object_id)
        self.ensure_bucket()
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=key)
            with response["Body"] as body:
                data: bytes = body.read()
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND_CODES:
                raise BlobNotFound(tenant_id=tenant_id, object_id=object_id) from exc
            raise BlobStoreUnavailable("cannot read S3 object") from exc
        except BotoCoreError as exc:
            raise BlobStoreUnavailable("cannot read S3 object") from exc
        return data

    def delete(self, *, tenant_id: str, object_id: str) -> None:
        key = self._key(tenant_id, object_id)
        self.ensure_bucket()
        try:
            self._client.delete_object(Bucket=self._bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise BlobStoreUnavailable("cannot delete S3 object") from exc

    def delete_tenant(self, *, tenant_id: str) -> int:
        tenant_prefix = self._tenant_prefix(tenant_id)
        self.ensure_bucket()
        deleted = 0
        try:
            paginator = self._client.get_paginator("list_objects_v2")
            pages = paginator.paginate(
                Bucket=self._bucket,
                Prefix=tenant_prefix,
                PaginationConfig={"PageSize": _DELETE_BATCH},
            )
            for page in pages:
                keys = [item["Key"] for item in page.get("Contents", [])]
                if not keys:
                    continue
                response = self._client.delete_objects(
                    Bucket=self._bucket,
                    Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True},
                )
                if response.get("Errors"):
                    raise BlobStoreUnavailable("S3 refused to delete some objects")
                deleted += len(keys)
        except (BotoCoreError, ClientError) as exc:
            raise BlobStoreUnavailable("cannot delete S3 objects") from exc
        return deleted

    def check(self) -> None:
        self.ensure_bucket()


def _local_path(raw: str, data_dir: Path) -> Path:
    path = Path(raw)
    return path if path.is_absolute() else data_dir / path


def _s3_store_from_url(url: str, *, access_key: str | None, secret_key: str | None) -> S3BlobStore:
    parts = urlsplit(url)
    bucket = parts.netloc
    if not bucket or parts.fragment:
        raise ValueError("S3 media URL must look like s3://bucket/prefix?endpoint=...")
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
    unknown = sorted(set(query) - {"endpoint", "region"})
    if unknown:
        raise ValueError(f"unknown S3 media URL parameters: {', '.join(unknown)}")
    endpoint = query.get("endpoint", [""])[-1] or None
    if endpoint is not None and urlsplit(endpoint).scheme not in {"http", "https"}:
        raise ValueError("S3 endpoint must be an http:// or https:// URL")
    region = query.get("region", [""])[-1] or "us-east-1"
    if not access_key or not secret_key:
        raise ValueError(
            "S3 media storage requires an access key and a secret key; "
            "set both in the settings (anonymous access is not supported)"
        )
    return S3BlobStore(
        endpoint_url=endpoint,
        bucket=bucket,
        access_key=access_key,
        secret_key=secret_key,
        region=region,
        prefix=parts.path.lstrip("/"),
    )


def blob_store_from_url(
    url: str,
    *,
    data_dir: Path,
    access_key: str | None,
    secret_key: str | None,
) -> BlobStore:
    """Build the blob store named by ``url``.

    * ``""`` -> :class:`LocalBlobStore` at ``data_dir / "media"``.
    * ``"media"``, ``"/srv/media"``, ``"file:media"``, ``"file:///srv/media"``
      -> :class:`LocalBlobStore`; relative paths are resolved under
      ``data_dir``.
    * ``"s3://bucket/prefix?endpoint=http://127.0.0.1:8333&region=us-east-1"``
      -> :class:`S3BlobStore`; ``endpoint`` is omitted for AWS and
      ``region`` defaults to ``us-east-1``. Both keys are required.

    Raises ``ValueError`` for an unsupported scheme or a malformed URL.
    """
    url = url.strip()
    if not url:
        return LocalBlobStore(data_dir / "media")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "":
        return LocalBlobStore(_local_path(url, data_dir))
    if scheme == "file":
        if parts.netloc not in {"", "localhost"} or parts.query or parts.fragment:
            raise ValueError("file media URL must be file:relative or file:///abs")
        if not parts.path:
            raise ValueError("file media URL needs a path")
        return LocalBlobStore(_local_path(parts.path, data_dir))
    if scheme == "s3":
        return _s3_store_from_url(url, access_key=access_key, secret_key=secret_key)
    raise ValueError(f"unsupported media storage scheme: {scheme!r}")
