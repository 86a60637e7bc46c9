"""Values as JavaScript writes them: Langfuse, written in TypeScript, turns values into text with
String() or JSON.stringify(), and compares, counts and stores that text."""

import json
from typing import Any


def js_string(value: Any) -> str:
    """`String(value)`: true/false, null, 1 for 1.0, a list's items joined with commas."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join(js_string(item) for item in value)
    return str(value)


def js_json(value: Any) -> str:
    """`JSON.stringify(value)`: compact, non-ASCII characters as they are."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
