"""Normalisations shared by every ingestion path (batch events, legacy endpoints, OTLP)."""

import re
from datetime import UTC, datetime
from functools import lru_cache

_ENV_PREFIX = re.compile(r"^(langfuse[-_]?)+")
_ENV_VALID = re.compile(r"^[a-z0-9_-]+$")
MAX_ID_LENGTH = 800


def environment(value: object) -> str:
    """Lower-case, strip leading `langfuse` prefixes, at most 40 chars; anything else is `default`."""
    if not isinstance(value, str):
        return "default"
    env = _ENV_PREFIX.sub("", value.strip().lower())[:40]
    return env if env and _ENV_VALID.match(env) else "default"


def valid_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH and "\r" not in value


def aware(moment: datetime) -> datetime:
    """A timezone-aware UTC datetime; a naive one is taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def order_key(moment: datetime, *, update: bool, envelope_id: str, weak: bool = False) -> str:
    """A string that sorts events the way Langfuse merges them: by time, creates before updates.

    `weak` keys (defaults and implied rows) sort after every explicit one, so an explicit value
    always beats a default regardless of arrival order.
    """
    return f"{'~' if weak else ''}{_stamp(moment)}|{'1' if update else '0'}|{envelope_id}"


def is_update(key: str) -> bool:
    """Whether an order key is an update's (its middle part, after the stamp, which has no '|')."""
    return key.split("|", 2)[1] == "1"


@lru_cache(maxsize=4096)
def _stamp(moment: datetime) -> str:
    # A batch's events share few distinct moments (an OTLP request: one receive time for all).
    moment = aware(moment)
    if moment.year < 1000:  # strftime does not pad the year; keys already stored keep that form
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds")  # the same text, faster
