"""Media attached to traces, observations and dataset items, stored once per content hash."""

from django.db import models


class Media(models.Model):
    pk = models.CompositePrimaryKey("project_id", "id")
    project_id = models.CharField(max_length=30)
    id = models.CharField(max_length=22)  # first 22 chars of the URL-safe base64 SHA-256
    sha256_hash = models.CharField(max_length=44)  # standard base64, as the SDKs send it
    content_type = models.CharField(max_length=100)
    content_length = models.BigIntegerField()
    storage_key = models.CharField(max_length=300)
    uploaded_at = models.DateTimeField(null=True)
    upload_http_status = models.IntegerField(null=True)
    upload_http_error = models.TextField(null=True)
    upload_time_ms = models.IntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    @property
    def is_uploaded(self) -> bool:
        return self.upload_http_status in (200, 201) and self.uploaded_at is not None


class MediaReference(models.Model):
    """Where a media object is used: a field of a trace, an observation or a dataset item."""

    project_id = models.CharField(max_length=30)
    media_id = models.CharField(max_length=22)
    trace_id = models.CharField(max_length=800, null=True)
    observation_id = models.CharField(max_length=800, null=True)
    dataset_id = models.CharField(max_length=800, null=True)
    dataset_item_id = models.CharField(max_length=800, null=True)
    field = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["project_id", "trace_id"], name="media_ref_project_trace")]
        constraints = [
            models.UniqueConstraint(
                fields=["project_id", "media_id", "trace_id", "observation_id", "dataset_item_id", "field"],
                name="uniq_media_reference",
            )
        ]
