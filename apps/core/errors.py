"""Errors raised by services and selectors; the API layers map them to Langfuse's shapes."""

from django.conf import settings


class LangOpsError(Exception):
    status = 500
    error = "InternalServerError"

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message or self.default_message

    default_message = "Internal Server Error"

    @property
    def headers(self) -> dict[str, str]:
        """Response headers the API layers send with this error (none unless a subclass needs some)."""
        return {}


class InvalidRequest(LangOpsError):
    status = 400
    error = "InvalidRequestError"
    default_message = "Invalid request data"


class Unauthorized(LangOpsError):
    status = 401
    error = "UnauthorizedError"
    default_message = "Unauthorized. Confirm that you've configured the correct host."


class Forbidden(LangOpsError):
    status = 403
    error = "ForbiddenError"
    default_message = "Access denied - insufficient permissions for this endpoint"


class NotFound(LangOpsError):
    status = 404
    error = "LangfuseNotFoundError"
    default_message = "Not found within authorized scope"


class Conflict(LangOpsError):
    status = 409
    error = "LangfuseConflictError"
    default_message = "Conflict"


class ServiceUnavailable(LangOpsError):
    """A backend the request needs (the database) cannot answer now; the SDKs retry a 503."""

    status = 503
    error = "ServiceUnavailableError"
    default_message = "Service Unavailable"

    @property
    def headers(self) -> dict[str, str]:
        # The same delay as a write the database refused: both wait for the database to come back.
        return {"Retry-After": str(settings.INGESTION_RETRY_AFTER_SECONDS)}
