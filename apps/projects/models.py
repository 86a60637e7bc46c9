from django.conf import settings
from django.db import models

from apps.core.ids import new_id
from apps.core.roles import ROLE_CHOICES


class Project(models.Model):
    id = models.CharField(primary_key=True, max_length=30, default=new_id, editable=False)
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=60)
    metadata = models.JSONField(default=dict, blank=True)
    retention_days = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Deletion is asynchronous: the row is hidden at once and purged by a task.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], condition=models.Q(deleted_at__isnull=True), name="uniq_project_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class PendingPurge(models.Model):
    """A project whose data is still to be purged. Written in the transaction that deletes the
    project (or its organization, which takes the project row at once) and removed by the purge
    when it is done, so the sweeper finds every purge whose message was lost, even when nothing
    else is left to name the project."""

    project_id = models.CharField(primary_key=True, max_length=30)
    requested_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.project_id


class ProjectMembership(models.Model):
    """A per-project override of a member's organization role."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="role_overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=10, choices=ROLE_CHOICES)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="uniq_project_membership")]
