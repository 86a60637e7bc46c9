"""GET /api/public/health: liveness for load balancers and the SDKs, without auth."""

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest
from ninja import Schema, Status

from apps.core.api import PUBLIC, TenantRouter

router = TenantRouter(tags=["Health"])


class HealthResponse(Schema):
    status: str
    version: str


@router.get("/health", scope=PUBLIC, response={200: HealthResponse, 503: HealthResponse})
def health(request: HttpRequest):
    """OK when the database answers and the ingestion pipeline keeps up; 503 with the reason otherwise."""
    from apps.ingestion.health import pipeline_problems

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        problems = pipeline_problems()
    except DatabaseError:
        return Status(503, {"status": "Database unavailable", "version": settings.LANGOPS_VERSION})
    if problems:
        return Status(503, {"status": "Unhealthy: " + "; ".join(problems), "version": settings.LANGOPS_VERSION})
    return Status(200, {"status": "OK", "version": settings.LANGOPS_VERSION})
