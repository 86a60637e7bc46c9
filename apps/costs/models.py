"""Model definitions and their prices; cost recomputation jobs."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models

from apps.core.ids import new_id


class ModelDefinition(models.Model):
    """Matches a generation's `model` string (regex search) to prices and a tokenizer.

    `project_id` NULL marks a managed definition, seeded from the default price list.
    """

    id = models.CharField(primary_key=True, max_length=60, default=new_id, editable=False)
    project_id = models.CharField(max_length=30, null=True, blank=True)
    model_name = models.CharField(max_length=200)
    match_pattern = models.CharField(max_length=500)
    start_date = models.DateTimeField(null=True, blank=True)
    unit = models.CharField(max_length=20, null=True, blank=True)
    tokenizer_id = models.CharField(max_length=20, null=True, blank=True)
    tokenizer_config = models.JSONField(null=True, blank=True)
    source_updated_at = models.DateTimeField(null=True, blank=True)  # managed rows: the price list's updatedAt
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["project_id", "model_name"], name="model_project_name")]
        constraints = [
            models.UniqueConstraint(
                fields=["project_id", "model_name"],
                condition=models.Q(project_id__isnull=False),
                name="uniq_project_model_name",
            )
        ]

    def __str__(self) -> str:
        return self.model_name


class PricingTier(models.Model):
    id = models.CharField(primary_key=True, max_length=60, default=new_id, editable=False)
    model = models.ForeignKey(ModelDefinition, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(max_length=100)
    is_default = models.BooleanField(default=False)
    priority = models.IntegerField(default=0)
    conditions = models.JSONField(default=list)
    # {usage key: USD per unit as a decimal string}
    prices = models.JSONField(default=dict)

    class Meta:
        ordering = ["priority"]


class CostRecomputeJob(models.Model):
    """Recomputing stored costs of a project's generations in a time window, with progress."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    id = models.CharField(primary_key=True, max_length=30, default=new_id, editable=False)
    project_id = models.CharField(max_length=30, db_index=True)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.IntegerField(default=0)
    processed = models.IntegerField(default=0)
    updated = models.IntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Set whenever a run claims the job or reports progress: a running job whose heartbeat is old
    # lost its worker, and the sweeper starts it again.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    @property
    def window_last_moment(self) -> datetime:
        """The window's end is exclusive (the console's "to" day ends at the next midnight): its
        last moment is what the page shows."""
        return self.window_end - timedelta(microseconds=1)

    @property
    def percent(self) -> int:
        return 100 if self.status == self.Status.DONE else int(100 * self.processed / self.total) if self.total else 0

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
