"""Per-project request rate limit on the write path (fixed one-minute windows in the shared cache)."""

import math
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from rest_framework.response import Response

from apps.core.access import Access
from apps.ingestion.health import record_outcomes


def _reset_text(moment: float) -> str:
    # Langfuse sends JavaScript's Date#toString(); clients only display it.
    return datetime.fromtimestamp(moment, tz=UTC).strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")


def check_rate_limit(access: Access) -> Response | None:
    """A 429 response when the project used up this minute's requests (counted in ingestion
    health); None otherwise, or when the limit is off."""
    limit = settings.INGESTION_RATE_LIMIT_PER_MINUTE
    if limit <= 0:
        return None
    project_id = access.project.id
    now = time.time()
    window = int(now // 60)
    key = f"ratelimit:ingestion:{project_id}:{window}"
    cache.add(key, 0, timeout=120)
    used = cache.incr(key)
    if used <= limit:
        return None
    record_outcomes(
        project_id=project_id,
        api_key_id=access.api_key.id if access.api_key else None,
        counts={("rate_limited", ""): 1},
    )
    reset = (window + 1) * 60
    retry_after = max(1, math.ceil(reset - now))
    reset_iso = datetime.fromtimestamp(reset, tz=UTC).isoformat().replace("+00:00", "Z")
    return Response(
        {
            "message": "Rate limit exceeded",
            "code": "rate_limited",
            "details": {"retryAfterSeconds": retry_after, "limit": limit, "remaining": 0, "resetAt": reset_iso},
        },
        status=429,
        headers={
            "Retry-After": str(retry_after),
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": _reset_text(reset),
        },
    )
