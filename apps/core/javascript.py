"""Values as JavaScript writes them: Langfuse, written in TypeScript, turns values into text with
String(), and compares and stores that text."""

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
