"""Validation of user-supplied values shared by console forms and the public API."""

import re

from apps.core.errors import InvalidRequest

HTML_CHARS = re.compile(r"[<>]")


def clean_name(value: object, *, label: str, min_length: int = 1, max_length: int = 60) -> str:
    """A display name: trimmed, within length, free of HTML. Raises InvalidRequest otherwise."""
    if not isinstance(value, str):
        raise InvalidRequest(f"{label} must be a string")
    name = " ".join(value.split())
    if len(name) < min_length or len(name) > max_length:
        raise InvalidRequest(f"{label} must be between {min_length} and {max_length} characters")
    if HTML_CHARS.search(name):
        raise InvalidRequest(f"{label} cannot contain HTML")
    return name


def clean_retention(value: object) -> int | None:
    """Retention in days: None or 0 (keep forever) or at least 3."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest("retention must be an integer number of days")
    if value != 0 and value < 3:
        raise InvalidRequest("retention must be 0 or at least 3 days")
    return value or None


def clean_metadata(value: object) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidRequest("metadata must be an object")
    return value
