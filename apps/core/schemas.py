"""Schema pieces shared by public API modules."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import PlainSerializer


def iso_ms(value: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and Z, as JavaScript's Date#toJSON prints it."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


# A datetime that serialises the way Langfuse's clients expect.
IsoDateTime = Annotated[datetime, PlainSerializer(iso_ms, return_type=str, when_used="json")]
