"""What the console's traces table offers: its columns and the columns its filter builder knows.

The filter builder writes Langfuse's JSON filter grammar (apps.traces.queries.filters), the same
one the public API takes, so a filter means the same thing in the console and in the API.
"""

from django.utils.translation import gettext_lazy as _

from apps.traces.models import LEVELS

# (key, label); "time" and "name" are always shown: they link to the trace.
TABLE_COLUMNS = [
    ("user", _("User")),
    ("session", _("Session")),
    ("tags", _("Tags")),
    ("latency", _("Latency")),
    ("tokens", _("Tokens")),
    ("cost", _("Cost")),
    ("level", _("Level")),
    ("scores", _("Scores")),
    ("environment", _("Environment")),
    ("release", _("Release")),
    ("version", _("Version")),
    ("observations", _("Observations")),
]
DEFAULT_COLUMNS = ("user", "session", "tags", "latency", "tokens", "cost", "level", "scores")

_STRING_OPS = ["=", "contains", "does not contain", "starts with", "ends with"]
_NUMBER_OPS = [">=", "<=", ">", "<", "="]
OPERATORS = {
    "string": _STRING_OPS,
    "stringObject": _STRING_OPS,
    "number": _NUMBER_OPS,
    "numberObject": _NUMBER_OPS,
    "stringOptions": ["any of", "none of"],
    "arrayOptions": ["any of", "all of", "none of"],
}


def filter_columns() -> list[dict]:
    """The filter builder's columns: grammar column and type, label, and for keyed types a key label."""
    columns = [
        ("name", "string", _("Name"), None, None),
        ("userId", "string", _("User"), None, None),
        ("sessionId", "string", _("Session"), None, None),
        ("release", "string", _("Release"), None, None),
        ("version", "string", _("Version"), None, None),
        ("environment", "stringOptions", _("Environment"), None, None),
        ("tags", "arrayOptions", _("Tags"), None, None),
        ("metadata", "stringObject", _("Metadata"), _("key"), None),
        ("level", "stringOptions", _("Level"), None, LEVELS),
        ("latency", "number", _("Latency (seconds)"), None, None),
        ("totalTokens", "number", _("Tokens"), None, None),
        ("totalCost", "number", _("Cost (USD)"), None, None),
        ("errorCount", "number", _("Errors"), None, None),
        ("scores", "numberObject", _("Score (numeric)"), _("score name"), None),
        ("scores", "stringObject", _("Score (category)"), _("score name"), None),
    ]
    return [
        {
            "id": f"{column}:{kind}",
            "column": column,
            "type": kind,
            "label": str(label),
            "keyLabel": str(key_label) if key_label else None,
            "options": options,
            "operators": OPERATORS[kind],
        }
        for column, kind, label, key_label, options in columns
    ]


def chosen_columns(value: str) -> list[str]:
    """The optional columns to show, from the comma-separated `cols` parameter (default when empty)."""
    known = {key for key, _label in TABLE_COLUMNS}
    chosen = [c for c in value.split(",") if c in known]
    return chosen or list(DEFAULT_COLUMNS)
