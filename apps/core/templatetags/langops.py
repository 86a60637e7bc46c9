import json

from django import template

from apps.core.roles import ROLE_LABELS, parse_role

register = template.Library()


@register.filter
def role_label(value: str) -> str:
    """Translated name of a role ("OWNER" -> "Owner" / "オーナー")."""
    role = parse_role(value)
    return str(ROLE_LABELS[role]) if role else ""


@register.filter
def compact_json(value: object) -> str:
    """A stored JSON value as one readable line (audit before/after)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@register.filter
def per_million(value: object) -> str:
    """A per-unit price shown per million units ("0.0000025" -> "2.5")."""
    from decimal import Decimal, InvalidOperation

    try:
        return format((Decimal(str(value)) * 1_000_000).normalize(), "f")
    except (InvalidOperation, ValueError):
        return ""
