from django import template

from apps.core.roles import ROLE_LABELS, parse_role

register = template.Library()


@register.filter
def role_label(value: str) -> str:
    """Translated name of a role ("OWNER" -> "Owner" / "オーナー")."""
    role = parse_role(value)
    return str(ROLE_LABELS[role]) if role else ""
