"""The local store's presigned URLs: PUT and GET of one object, authorised by a signed token.

Only used in the embedded mode (no S3): these routes are on the reviewed allow-list of the
route-coverage test because the token, not an API key, is the credential.
"""

from django.core import signing
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from apps.core.blobs import LocalBlobStore, blob_store, read_token
from apps.media.references import media_kind
from apps.media.services import UploadRejected, media_store_local_upload


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"message": message, "error": "MediaUploadError"}, status=status)


@csrf_exempt
@require_http_methods(["PUT", "GET", "HEAD"])
def media_blob(request: HttpRequest, token: str) -> HttpResponse:
    store = blob_store()
    if not isinstance(store, LocalBlobStore):
        return _error(404, "Not found")
    try:
        payload = read_token(token)
    except signing.BadSignature:
        return _error(403, "This link is invalid or has expired")
    if request.method == "PUT":
        if payload.get("op") != "put":
            return _error(403, "This link does not allow uploads")
        stream = request.META["wsgi.input"] if not request.META.get("CONTENT_LENGTH") else request
        try:
            media_store_local_upload(
                payload=payload,
                content_type=request.content_type or "",
                stream=stream,
                checksum_header=request.headers.get("x-amz-checksum-sha256"),
            )
        except UploadRejected as exc:
            return _error(exc.status, exc.message)
        return HttpResponse(status=200)
    if payload.get("op") != "get" or not store.exists(payload["k"]):
        return _error(404, "Not found")
    # Clients upload any type (HTML and SVG included) and this URL is on LangOps's own origin:
    # only images and audio are shown inline; everything else downloads, sandboxed and unsniffed.
    inline = media_kind(payload["ct"]) in ("image", "audio")
    response = FileResponse(
        open(store.path(payload["k"]), "rb"),  # noqa: SIM115 - FileResponse closes it
        content_type=payload["ct"],
        as_attachment=not inline,
        filename="" if inline else payload["k"].rsplit("/", 1)[-1],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
