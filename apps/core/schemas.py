"""Schema pieces shared by public API modules."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import PlainSerializer


def iso_ms(value: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and Z, as JavaScript's Date#toJSON prints it."""
    v = value.astimezone(UTC)  # strftime's %Y does not pad years before 1000, which clients refuse
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond // 1000:03d}Z"


# A datetime that serialises the way Langfuse's clients expect.
IsoDateTime = Annotated[datetime, PlainSerializer(iso_ms, return_type=str, when_used="always")]
