"""Template filters of the trace page: markdown rendering of stored strings."""

import json
from typing import Any

from django import template
from django.utils.safestring import SafeString

from apps.traces.rendering import looks_like_markdown, render_markdown

register = template.Library()


@register.filter
def is_markdown(value: Any) -> bool:
    return looks_like_markdown(value)


@register.filter
def markdown(value: str) -> SafeString:
    return render_markdown(value)


@register.filter
def json_text(value: Any) -> str:
    """Any value, strings included, as the JSON it is stored as."""
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)
