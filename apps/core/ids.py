"""Identifiers for rows we create (organizations, projects, keys): short, random, URL-safe."""

import secrets
import string

_ALPHABET = string.ascii_lowercase + string.digits


def new_id() -> str:
    """25 lowercase alphanumerics starting with a letter, shaped like Langfuse's cuids."""
    return "c" + "".join(secrets.choice(_ALPHABET) for _ in range(24))
