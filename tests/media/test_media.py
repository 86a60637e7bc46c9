"""Media: ids from the content hash, presigned upload with the SDK's headers, signed download."""

import base64
import hashlib
from urllib.parse import urlparse

import pytest

from apps.media.models import Media, MediaReference

pytestmark = pytest.mark.core
CONTENT = b"\x89PNG\r\n\x1a\n" + b"pixels" * 100


def _hashes(content: bytes = CONTENT) -> tuple[str, str]:
    digest = hashlib.sha256(content).digest()
    return base64.b64encode(digest).decode(), base64.urlsafe_b64encode(digest).decode()[:22]


def _register(api_client, tenant, content=CONTENT, **overrides):
    sha, _ = _hashes(content)
    body = {
        "traceId": "t1",
        "observationId": "o1",
        "contentType": "image/png",
        "contentLength": len(content),
        "sha256Hash": sha,
        "field": "input",
        **overrides,
    }
    return api_client.post(
        "/api/public/media", body, content_type="application/json", HTTP_AUTHORIZATION=tenant.project_key.header
    )


def _put(api_client, url: str, content: bytes = CONTENT, content_type: str = "image/png", checksum: str | None = None):
    sha, _ = _hashes(content)
    return api_client.generic(
        "PUT",
        urlparse(url).path,
        content,
        content_type=content_type,
        HTTP_X_AMZ_CHECKSUM_SHA256=checksum or sha,
        HTTP_X_MS_BLOB_TYPE="BlockBlob",
    )


def test_full_upload_cycle(tenant, api_client):
    header = tenant.project_key.header
    response = _register(api_client, tenant)
    _, expected_id = _hashes()
    assert response.status_code == 200
    body = response.json()
    assert body["mediaId"] == expected_id and body["uploadUrl"]
    assert api_client.get(f"/api/public/media/{expected_id}", HTTP_AUTHORIZATION=header).status_code == 404

    assert _put(api_client, body["uploadUrl"]).status_code == 200
    patch = {"uploadedAt": "2026-11-28T12:00:00Z", "uploadHttpStatus": 200, "uploadTimeMs": 12}
    assert (
        api_client.patch(
            f"/api/public/media/{expected_id}", patch, content_type="application/json", HTTP_AUTHORIZATION=header
        ).status_code
        == 204
    )

    media = api_client.get(f"/api/public/media/{expected_id}", HTTP_AUTHORIZATION=header).json()
    assert media["contentType"] == "image/png" and media["contentLength"] == len(CONTENT)
    assert media["uploadedAt"].endswith("Z") and media["urlExpiry"].endswith("Z")
    download = api_client.get(urlparse(media["url"]).path)
    assert download.status_code == 200 and b"".join(download.streaming_content) == CONTENT

    again = _register(api_client, tenant, traceId="t2", observationId=None).json()
    assert again == {"mediaId": expected_id, "uploadUrl": None}  # same content: no second upload
    assert MediaReference.objects.filter(project_id=tenant.project.id, media_id=expected_id).count() == 2


def test_upload_must_match_what_was_registered(tenant, api_client):
    url = _register(api_client, tenant).json()["uploadUrl"]
    assert _put(api_client, url, content_type="image/jpeg").status_code == 400
    assert _put(api_client, url, content=CONTENT[:-1] + b"X").status_code == 400
    assert _put(api_client, url, content=CONTENT + b"more", checksum=_hashes()[0]).status_code == 413
    assert _put(api_client, url, checksum=base64.b64encode(b"x" * 32).decode()).status_code == 400
    assert _put(api_client, url).status_code == 200


def test_forged_or_wrong_operation_tokens_are_refused(tenant, api_client):
    url = _register(api_client, tenant).json()["uploadUrl"]
    path = urlparse(url).path
    assert api_client.generic("PUT", path[:-3] + "abc", CONTENT, content_type="image/png").status_code == 403
    assert api_client.get(path).status_code == 404  # an upload link does not download


@pytest.mark.parametrize(
    "overrides",
    [
        {"sha256Hash": "not base64!"},
        {"sha256Hash": base64.b64encode(b"short").decode()},
        {"contentType": "application/x-msdownload"},
        {"contentLength": 0},
        {"traceId": None, "observationId": None},
        {"traceId": None, "datasetItemId": "i1", "observationId": "o1"},
        {"field": ""},
    ],
)
def test_bad_registrations_are_refused(overrides, tenant, api_client):
    assert _register(api_client, tenant, **overrides).status_code == 400
    assert not Media.objects.exists()


def test_media_is_isolated_per_project(tenant, other_tenant, api_client):
    media_id = _register(api_client, tenant).json()["mediaId"]
    response = api_client.patch(
        f"/api/public/media/{media_id}",
        {"uploadedAt": "2026-11-28T12:00:00Z", "uploadHttpStatus": 200},
        content_type="application/json",
        HTTP_AUTHORIZATION=other_tenant.project_key.header,
    )
    assert response.status_code == 404


def test_uploaded_html_downloads_sandboxed_and_images_show_inline(tenant, api_client):
    """Uploads are served from LangOps's own origin: only images and audio render there."""
    header = tenant.project_key.header
    page = b"<html><script>alert(document.cookie)</script></html>"
    served = {}
    for content, content_type in ((page, "text/html"), (CONTENT, "image/png")):
        registered = _register(api_client, tenant, content=content, contentType=content_type).json()
        assert _put(api_client, registered["uploadUrl"], content=content, content_type=content_type).status_code == 200
        api_client.patch(
            f"/api/public/media/{registered['mediaId']}",
            {"uploadedAt": "2026-11-28T12:00:00Z", "uploadHttpStatus": 200},
            content_type="application/json",
            HTTP_AUTHORIZATION=header,
        )
        media = api_client.get(f"/api/public/media/{registered['mediaId']}", HTTP_AUTHORIZATION=header).json()
        served[content_type] = api_client.get(urlparse(media["url"]).path)
    html = served["text/html"]
    assert html["Content-Disposition"].startswith("attachment")
    assert html["X-Content-Type-Options"] == "nosniff" and "sandbox" in html["Content-Security-Policy"]
    image = served["image/png"]
    assert image["Content-Type"] == "image/png" and not image.get("Content-Disposition", "").startswith("attachment")


def test_a_local_link_lives_as_long_as_it_was_given(tenant, api_client, tmp_path):
    from datetime import timedelta

    from apps.core.blobs import LocalBlobStore

    store = LocalBlobStore(tmp_path)
    expired = store.presign_get("media/x", content_type="image/png", expires_in=timedelta(seconds=-1))
    assert api_client.get(urlparse(expired.url).path).status_code == 403
    live = store.presign_put(
        "media/x", content_type="image/png", content_length=1, sha256_b64="", expires_in=timedelta(seconds=300)
    )
    assert api_client.get(urlparse(live.url).path).status_code == 404  # valid, but an upload link: not for GET
