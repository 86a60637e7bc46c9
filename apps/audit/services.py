"""Writing the audit trail. Call from inside the service's transaction."""

from typing import Any

from apps.audit.models import AuditEntry
from apps.core.access import Access


def audit_record(
    *,
    access: Access,
    action: str,
    target_type: str,
    target_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    project_id: str | None = None,
) -> AuditEntry:
    """Append one audit entry attributed to the actor of `access`; never updates an old one."""
    if access.user is not None:
        actor_type = AuditEntry.ActorType.USER
    elif access.api_key is not None:
        actor_type = AuditEntry.ActorType.API_KEY
    else:
        actor_type = AuditEntry.ActorType.SYSTEM
    return AuditEntry.objects.create(
        organization_id=access.organization.id,
        project_id=project_id or (access.project.id if access.project else None),
        actor_type=actor_type,
        actor_user=access.user,
        actor_api_key_id=access.api_key.id if access.api_key else None,
        actor_label=access.actor_label,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before,
        after=after,
        ip=access.ip,
    )
