"""Text that every JSON entry point of the API cleans the same way."""

import re

# JSON may escape a UTF-16 surrogate on its own (backslash-u-d800), but that is no character: msgspec refuses
# the whole document, and no text column or jsonb value can hold one. Each lone one becomes the
# replacement character's escape; pairs, and text after an escaped backslash, stay as sent.
_HIGH = rb"\\u[dD][89abAB][0-9a-fA-F]{2}"
_LOW = rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}"
_SURROGATE_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)(?:(" + _HIGH + _LOW + rb")|" + _HIGH + rb"|" + _LOW + rb")")
_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def replace_lone_surrogates(body: bytes) -> bytes:
    """The JSON text with every lone surrogate escape replaced by U+FFFD's (unchanged when none)."""
    if not _MAYBE_SURROGATE.search(body):
        return body
    return _SURROGATE_ESCAPE.sub(lambda m: m.group(1) + (m.group(2) or rb"\ufffd"), body)
