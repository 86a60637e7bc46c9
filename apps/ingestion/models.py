"""Ingestion health: per project and API key, what arrived and what happened to it."""

from django.db import models


class IngestionCounter(models.Model):
    """Events per hour, key and outcome (and reason, for rejections); incremented by upsert."""

    OUTCOMES = ["accepted", "rejected", "rate_limited", "oversize", "auth_failed", "revoked_key", "wrong_path"]

    project_id = models.CharField(max_length=30)
    api_key_id = models.CharField(max_length=30, default="")  # "" when no key could be told
    hour = models.DateTimeField()
    outcome = models.CharField(max_length=20)
    reason = models.CharField(max_length=200, default="")
    count = models.BigIntegerField(default=0)
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project_id", "api_key_id", "hour", "outcome", "reason"], name="uniq_ingestion_counter"
            )
        ]
        indexes = [models.Index(fields=["project_id", "-hour"], name="ingestion_counter_recent")]


class IngestionRejection(models.Model):
    """The last few rejected events of a project, with why and what they looked like."""

    project_id = models.CharField(max_length=30)
    api_key_id = models.CharField(max_length=30, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=20)
    status = models.IntegerField()
    reason = models.TextField()
    envelope_id = models.CharField(max_length=800, default="")
    event_type = models.CharField(max_length=60, default="")
    path = models.CharField(max_length=300, default="")
    sample = models.TextField(default="")

    class Meta:
        indexes = [models.Index(fields=["project_id", "-created_at"], name="ingestion_rejection_recent")]


class Heartbeat(models.Model):
    """When a background process last made progress (the health endpoint reads it)."""

    name = models.CharField(primary_key=True, max_length=60)
    at = models.DateTimeField()
