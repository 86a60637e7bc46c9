"""What kind of failure a status message describes: the errors view groups and filters by it.

Providers word the same failure differently ("429 Too Many Requests", "RateLimitError",
"Rate limit reached for gpt-4o", "レート制限"), so a kind is recognised by patterns; the first
kind whose pattern matches wins, and anything unrecognised is "other". The patterns are written
for both Python's `re` and PostgreSQL's regular expressions (no \\b, no lookarounds), so the
same kinds filter rows in the database (`iregex`) and label groups in Python.
"""

import re

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

KINDS: dict[str, tuple[str, re.Pattern]] = {
    kind: (label, re.compile(pattern, re.IGNORECASE))
    for kind, label, pattern in [
        (
            "context_length",
            _("Context length"),
            r"context[ _-]?(length|window)|maximum context|too many tokens|token limit|prompt is too long"
            r"|max_tokens|コンテキスト長",
        ),
        (
            "rate_limit",
            _("Rate limit (429)"),
            r"(^|[^0-9])429([^0-9]|$)|rate[ _-]?limit|too many requests|quota|throttl|レート制限",
        ),
        (
            "auth",
            _("Authentication (401/403)"),
            r"(^|[^0-9])40[13]([^0-9]|$)|unauthori[sz]ed|forbidden|invalid api[ _-]?key|authentication|permission denied|認証",
        ),
        ("timeout", _("Timeout"), r"time[ds]?[ _-]?out|deadline exceeded|(^|[^0-9])504([^0-9]|$)|タイムアウト"),
        (
            "server",
            _("Provider error (5xx)"),
            r"(^|[^0-9])5[0-9][0-9]([^0-9]|$)|internal server error|bad gateway|service unavailable|overloaded|server error",
        ),
        ("content_filter", _("Content filter"), r"content[ _-]?(filter|policy|management)|safety|moderation"),
    ]
}
OTHER = "other"
OTHER_LABEL = _("Other")


def condition(kind: str) -> Q:
    """Rows whose status message is of this kind (the first matching kind, as `classify` decides)."""
    earlier = list(KINDS) if kind == OTHER else list(KINDS)[: list(KINDS).index(kind)]
    q = Q(status_message__iregex=KINDS[kind][1].pattern) if kind in KINDS else Q()
    for other in earlier:
        q &= ~Q(status_message__iregex=KINDS[other][1].pattern) | Q(status_message__isnull=True)
    if kind == OTHER:
        q |= Q(status_message__isnull=True)
    return q


def classify(status_message: str | None) -> str:
    for kind, (_label, pattern) in KINDS.items():
        if status_message and pattern.search(status_message):
            return kind
    return OTHER


def label(kind: str) -> str:
    return str(KINDS[kind][0]) if kind in KINDS else str(OTHER_LABEL)


def choices() -> list[tuple[str, str]]:
    return [(kind, str(lbl)) for kind, (lbl, _pattern) in KINDS.items()] + [(OTHER, str(OTHER_LABEL))]
