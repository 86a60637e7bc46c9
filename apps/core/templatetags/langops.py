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


@register.filter
def pretty_json(value: object) -> str:
    """Indented JSON for the console; strings stay as they are."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False, default=str)


@register.filter
def duration(seconds: object) -> str:
    """1.234 -> "1.23 s", 0.0123 -> "12 ms"."""
    if seconds is None:
        return "—"
    value = float(seconds)
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


@register.filter
def usd(value: object) -> str:
    if value is None:
        return "—"
    amount = float(value)
    return f"${amount:.6f}" if amount < 0.01 else f"${amount:.4f}"


@register.filter
def is_text(value: object) -> bool:
    return isinstance(value, str)
