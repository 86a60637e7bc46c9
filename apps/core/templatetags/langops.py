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
