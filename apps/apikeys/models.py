from django.conf import settings
from django.db import models

from apps.core.ids import new_id


class ApiKey(models.Model):
    """A key pair. Project keys have a project; organization keys do not.

    The secret is never stored: only a keyed hash (HMAC-SHA256) used for lookup, and a masked
    form for display. Revoked keys are kept (revoked_at) so the audit log and the connection
    doctor can tell a revoked key from an unknown one.
    """

    id = models.CharField(primary_key=True, max_length=30, default=new_id, editable=False)
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="api_keys")
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys"
    )
    public_key = models.CharField(max_length=100, unique=True)
    secret_hash = models.CharField(max_length=64, unique=True)
    display_secret_key = models.CharField(max_length=40)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "created_at"]), models.Index(fields=["organization", "created_at"])]

    @property
    def is_organization_key(self) -> bool:
        return self.project_id is None
