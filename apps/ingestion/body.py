"""Reading request bodies on the write path: size limits, gzip (bomb-safe) and chunked uploads."""

import zlib

from django.http import HttpRequest

from apps.core.errors import InvalidRequest, LangOpsError

_CHUNK = 64 * 1024


class PayloadTooLarge(LangOpsError):
    status = 413
    error = "PayloadTooLargeError"
    default_message = "Request body too large"


class UnsupportedEncoding(LangOpsError):
    status = 415
    error = "UnsupportedMediaTypeError"
    default_message = "Unsupported Content-Encoding"


def _read_raw(request: HttpRequest, limit: int) -> bytes:
    length = request.META.get("CONTENT_LENGTH")
    if length:
        if int(length) > limit:
            raise PayloadTooLarge(f"Request body exceeds the limit of {limit} bytes")
        return request.read()
    # Chunked upload (the JS OTLP exporter): Django sees no Content-Length and would read nothing;
    # the WSGI server has de-chunked the stream, so read it directly, up to the limit.
    stream = request.META.get("wsgi.input")
    if stream is None:
        return b""
    parts, size = [], 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"Request body exceeds the limit of {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


def drain_body(request: HttpRequest, *, limit: int) -> None:
    """Read and drop the body of a request whose content is ignored, so the connection stays usable
    for the client's next request (an unread body makes the server close it)."""
    _read_raw(request, limit)


def read_body(request: HttpRequest, *, limit: int) -> bytes:
    """The request body, decompressed, never larger than `limit` bytes (413 otherwise)."""
    raw = _read_raw(request, limit)
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "deflate", "x-gzip"):
        raise UnsupportedEncoding(f"Unsupported Content-Encoding: {encoding}")
    # wbits 47 accepts gzip and zlib headers; max_length stops a decompression bomb early.
    inflater = zlib.decompressobj(wbits=47)
    try:
        data = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise InvalidRequest(f"Invalid {encoding} body: {exc}") from exc
    if len(data) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge(f"Decompressed body exceeds the limit of {limit} bytes")
    return data
