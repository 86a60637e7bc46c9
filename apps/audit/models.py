from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One change to an organization's governance data, written in the change's transaction."""

    class ActorType(models.TextChoices):
        USER = "user", _("User")
        API_KEY = "api_key", _("API key")
        SYSTEM = "system", _("System")

    # Plain ids, not foreign keys: the trail must outlive the project or key it mentions.
    organization_id = models.CharField(max_length=30, db_index=True)
    project_id = models.CharField(max_length=30, null=True, blank=True)
    actor_type = models.CharField(max_length=10, choices=ActorType.choices)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_api_key_id = models.CharField(max_length=30, null=True, blank=True)
    actor_label = models.CharField(max_length=254)
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=100)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization_id", "-created_at"]),
            models.Index(fields=["organization_id", "action"]),
        ]
        ordering = ["-created_at", "-id"]
