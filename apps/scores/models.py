"""Scores: evaluations attached to a trace, an observation, a session or a dataset run."""

from django.db import models

from apps.core.ids import new_id


class Score(models.Model):
    DATA_TYPES = ["NUMERIC", "CATEGORICAL", "BOOLEAN", "TEXT", "CORRECTION"]
    SOURCES = ["API", "EVAL", "ANNOTATION"]

    pk = models.CompositePrimaryKey("project_id", "id")
    project_id = models.CharField(max_length=30)
    id = models.CharField(max_length=800)
    timestamp = models.DateTimeField()
    name = models.TextField()
    value = models.FloatField(null=True)
    string_value = models.TextField(null=True)
    data_type = models.CharField(max_length=12, default="NUMERIC")
    source = models.CharField(max_length=12, default="API")
    trace_id = models.CharField(max_length=800, null=True)
    observation_id = models.CharField(max_length=800, null=True)
    session_id = models.CharField(max_length=800, null=True)
    dataset_run_id = models.CharField(max_length=800, null=True)
    config_id = models.TextField(null=True)
    queue_id = models.TextField(null=True)
    comment = models.TextField(null=True)
    metadata = models.JSONField(default=dict)
    environment = models.CharField(max_length=40, default="default")
    merge_state = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["project_id", "trace_id"], name="score_project_trace"),
            models.Index(fields=["project_id", "session_id"], name="score_project_session"),
            models.Index(fields=["project_id", "-timestamp"], name="score_project_ts"),
        ]


class Comment(models.Model):
    """A comment on a trace, observation, session or prompt."""

    OBJECT_TYPES = ["TRACE", "OBSERVATION", "SESSION", "PROMPT"]

    id = models.CharField(primary_key=True, max_length=30, default=new_id, editable=False)
    project_id = models.CharField(max_length=30)
    object_type = models.CharField(max_length=12)
    object_id = models.CharField(max_length=800)
    content = models.TextField()
    author_user_id = models.CharField(max_length=30, null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["project_id", "object_type", "object_id"], name="comment_project_object")]
