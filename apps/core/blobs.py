"""Blob storage behind one small interface: a local folder (embedded mode) or S3-compatible storage.

Clients never stream blobs through our API process when S3 is configured: they get presigned
URLs. In the embedded mode the "presigned" URLs point at LangOps itself, carrying a signed,
expiring token that names exactly one object and one operation.
"""

import os
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core import signing

_SALT = "langops.blobs"


@dataclass(frozen=True)
class PresignedUrl:
    url: str
    expires_in: timedelta


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        target = (self.root / key).resolve()
        if self.root.resolve() not in target.parents:
            raise ValueError("blob key escapes the storage folder")
        return target

    def _token_url(self, key: str, operation: str, extra: dict, expires_in: timedelta) -> str:
        # The expiry travels in the signed payload: each URL lives exactly as long as it was given.
        expires = int(time.time() + expires_in.total_seconds())
        token = signing.dumps({"k": key, "op": operation, "exp": expires, **extra}, salt=_SALT, compress=True)
        return f"{settings.LANGOPS_PUBLIC_URL}/api/public/media/blob/{token}"

    def presign_put(
        self, key: str, *, content_type: str, content_length: int, sha256_b64: str, expires_in: timedelta
    ) -> PresignedUrl:
        extra = {"ct": content_type, "len": content_length, "sha": sha256_b64}
        return PresignedUrl(self._token_url(key, "put", extra, expires_in), expires_in)

    def presign_get(self, key: str, *, content_type: str, expires_in: timedelta) -> PresignedUrl:
        return PresignedUrl(self._token_url(key, "get", {"ct": content_type}, expires_in), expires_in)

    def staging_file(self) -> BinaryIO:
        """A temporary file on the store's own filesystem, so `adopt` is an atomic rename."""
        folder = self.root / ".incoming"
        folder.mkdir(parents=True, exist_ok=True)
        return tempfile.NamedTemporaryFile(dir=folder, delete=False)  # noqa: SIM115

    def adopt(self, key: str, staged: Path, *, content_type: str = "application/octet-stream") -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


class S3BlobStore:
    def __init__(self, bucket: str, *, endpoint_url: str | None, region: str | None) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    def presign_put(
        self, key: str, *, content_type: str, content_length: int, sha256_b64: str, expires_in: timedelta
    ) -> PresignedUrl:
        # Signing the checksum makes the store itself refuse bytes that do not match the hash.
        url = self.client.generate_presigned_url(
            "put_object",
            Params={"Bucket": self.bucket, "Key": key, "ContentType": content_type, "ChecksumSHA256": sha256_b64},
            ExpiresIn=int(expires_in.total_seconds()),
        )
        return PresignedUrl(url, expires_in)

    def presign_get(self, key: str, *, content_type: str, expires_in: timedelta) -> PresignedUrl:
        url = self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key, "ResponseContentType": content_type},
            ExpiresIn=int(expires_in.total_seconds()),
        )
        return PresignedUrl(url, expires_in)

    def staging_file(self) -> BinaryIO:
        """A local temporary file; `adopt` uploads it (multipart for big files) and removes it."""
        return tempfile.NamedTemporaryFile(delete=False)  # noqa: SIM115

    def adopt(self, key: str, staged: Path, *, content_type: str = "application/octet-stream") -> None:
        try:
            self.client.upload_file(str(staged), self.bucket, key, ExtraArgs={"ContentType": content_type})
        finally:
            os.unlink(staged)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError:
            return False
        return True


@lru_cache(maxsize=1)
def blob_store() -> LocalBlobStore | S3BlobStore:
    """The configured store: S3-compatible when LANGOPS_S3_BUCKET is set, else the data folder."""
    if settings.LANGOPS_S3_BUCKET:
        return S3BlobStore(
            settings.LANGOPS_S3_BUCKET, endpoint_url=settings.LANGOPS_S3_ENDPOINT_URL, region=settings.LANGOPS_S3_REGION
        )
    return LocalBlobStore(Path(settings.DATA_DIR) / "blobs")


def read_token(token: str) -> dict:
    """The payload of a local presigned URL; raises signing.BadSignature when forged or expired."""
    payload = signing.loads(token, salt=_SALT)
    if not isinstance(payload.get("exp"), int) or payload["exp"] < time.time():
        raise signing.SignatureExpired("This link has expired")
    return payload
