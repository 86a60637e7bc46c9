"""Reading the audit trail of one organization."""

from datetime import datetime

from django.db.models import QuerySet

from apps.audit.models import AuditEntry
from apps.core.access import Access


def audit_entry_list(
    *,
    access: Access,
    action: str = "",
    actor: str = "",
    project_id: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    """Entries of the access's organization, newest first, narrowed by the given filters."""
    access.require("audit:read")
    entries = AuditEntry.objects.filter(organization_id=access.organization.id).select_related("actor_user")
    if action:
        entries = entries.filter(action__startswith=action)
    if actor:
        entries = entries.filter(actor_label__icontains=actor)
    if project_id:
        entries = entries.filter(project_id=project_id)
    if since:
        entries = entries.filter(created_at__gte=since)
    if until:
        entries = entries.filter(created_at__lt=until)
    return entries


def audit_action_names(*, access: Access) -> list[str]:
    """Distinct actions seen in the organization, for the filter menu."""
    access.require("audit:read")
    rows = AuditEntry.objects.filter(organization_id=access.organization.id).order_by("action")
    return list(rows.values_list("action", flat=True).distinct())
