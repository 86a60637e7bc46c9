"""SDK 5.x media uploads end to end: the local store (embedded mode) and an S3-compatible server."""

import urllib.request

import pytest

from apps.media.models import Media, MediaReference
from tests.compat.conftest import run_python_client
from tests.live import live_langops
from tests.s3 import s3_server

pytestmark = [pytest.mark.compat, pytest.mark.django_db(transaction=True)]


def _check(base: str, tenant, ids: dict) -> None:
    media = Media.objects.get(project_id=tenant.project.id, id=ids["media_id"])
    assert media.upload_http_status in (200, 201) and media.content_length == ids["size"]
    assert MediaReference.objects.filter(
        project_id=tenant.project.id, media_id=media.id, trace_id=ids["trace_id"]
    ).exists()
    request = urllib.request.Request(
        f"{base}/api/public/media/{media.id}", headers={"Authorization": tenant.project_key.header}
    )
    import json

    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.load(response)
    with urllib.request.urlopen(body["url"], timeout=10) as download:
        assert download.read() == bytes(range(256)) * 64


def test_media_upload_to_the_local_store(server, tenant):
    ids = run_python_client("langfuse5", "sdk5_media.py", server, tenant.project_key)
    _check(server, tenant, ids)


@pytest.mark.postgres("the live server shares the test database, which needs PostgreSQL")
def test_media_upload_to_s3(tenant, django_db_setup):
    with s3_server() as s3_env, live_langops(env=s3_env) as base:
        ids = run_python_client("langfuse5", "sdk5_media.py", base, tenant.project_key)
        _check(base, tenant, ids)
