"""Traces, observations and sessions.

Rows are keyed by (project_id, id): ids come from the clients, so they are only unique within
a project. The ingestion writer owns every write to these tables (set-based SQL, see
apps.ingestion.writer); the ORM serves reads. `merge_state` holds, per field, the order key
of the event that last set it, so that events arriving out of order merge to the same row.
"""

from django.conf import settings
from django.db import models

from apps.core.ids import new_id
from apps.traces.search import SearchDocumentField

LEVELS = ["DEBUG", "DEFAULT", "WARNING", "ERROR"]
LEVEL_RANK = {name: rank for rank, name in enumerate(LEVELS)}


class TraceManager(models.Manager):
    def get_queryset(self):
        # The search document is only ever matched in SQL, never read: leave it in the database.
        return super().get_queryset().defer("search_document")


class Trace(models.Model):
    pk = models.CompositePrimaryKey("project_id", "id")
    project_id = models.CharField(max_length=30)
    id = models.CharField(max_length=800)
    timestamp = models.DateTimeField()
    name = models.CharField(max_length=1000, null=True)
    user_id = models.TextField(null=True)
    session_id = models.TextField(null=True)
    release = models.TextField(null=True)
    version = models.TextField(null=True)
    environment = models.CharField(max_length=40, default="default")
    public = models.BooleanField(default=False)
    bookmarked = models.BooleanField(default=False)
    external_id = models.TextField(null=True)
    tags = models.JSONField(default=list)
    metadata = models.JSONField(default=dict)
    input = models.JSONField(null=True)
    output = models.JSONField(null=True)
    merge_state = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # Aggregates over the trace's observations, kept by the writer (never joined at read time).
    observation_count = models.IntegerField(default=0)
    error_count = models.IntegerField(default=0)
    level_max = models.SmallIntegerField(default=0)  # LEVEL_RANK of the most severe observation
    total_cost = models.DecimalField(max_digits=24, decimal_places=12, null=True)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    total_tokens = models.BigIntegerField(default=0)
    start_time_min = models.DateTimeField(null=True)
    end_time_max = models.DateTimeField(null=True)
    # Full-text search (apps.traces.search): the writer marks a trace pending whenever it writes
    # it; a background job builds the document. The writer never reads or writes the document.
    search_pending = models.BooleanField(default=True, db_default=True)
    search_document = SearchDocumentField(null=True)

    objects = TraceManager()

    class Meta:
        indexes = [
            # Holds the table's order and key, so deep pages are an index-only scan (core.pagination).
            models.Index(fields=["project_id", "-timestamp", "-id"], name="trace_project_ts_id"),
            models.Index(fields=["updated_at"], condition=models.Q(search_pending=True), name="trace_search_pending"),
            models.Index(fields=["project_id", "session_id"], name="trace_project_session"),
            models.Index(fields=["project_id", "user_id"], name="trace_project_user"),
            models.Index(fields=["project_id", "environment"], name="trace_project_environment"),
        ]

    @property
    def latency(self) -> float | None:
        """Seconds from the first observation's start to the last one's end."""
        if self.start_time_min is None or self.end_time_max is None:
            return None
        return (self.end_time_max - self.start_time_min).total_seconds()


class Observation(models.Model):
    pk = models.CompositePrimaryKey("project_id", "id")
    project_id = models.CharField(max_length=30)
    id = models.CharField(max_length=800)
    trace_id = models.CharField(max_length=800)
    type = models.CharField(max_length=20, default="SPAN")
    parent_observation_id = models.CharField(max_length=800, null=True)
    name = models.TextField(null=True)
    start_time = models.DateTimeField()
    end_time = models.DateTimeField(null=True)
    completion_start_time = models.DateTimeField(null=True)
    level = models.CharField(max_length=10, default="DEFAULT")
    status_message = models.TextField(null=True)
    version = models.TextField(null=True)
    environment = models.CharField(max_length=40, default="default")
    model = models.TextField(null=True)
    model_parameters = models.JSONField(null=True)
    input = models.JSONField(null=True)
    output = models.JSONField(null=True)
    metadata = models.JSONField(default=dict)
    prompt_name = models.TextField(null=True)
    prompt_version = models.IntegerField(null=True)
    # What the client sent (legacy `usage` folded in); computed values live beside them.
    provided_usage_details = models.JSONField(default=dict)
    provided_cost_details = models.JSONField(default=dict)
    usage_details = models.JSONField(default=dict)
    cost_details = models.JSONField(default=dict)
    usage_unit = models.CharField(max_length=20, null=True)
    total_cost = models.DecimalField(max_digits=24, decimal_places=12, null=True)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    total_tokens = models.BigIntegerField(default=0)
    # How the cost was obtained: provided by the client, computed from a model's prices,
    # pending (usage must be tokenized first), unknown (no price for this model), none (no model).
    cost_status = models.CharField(max_length=10, default="none")
    model_id = models.CharField(max_length=60, null=True)
    pricing_tier_id = models.CharField(max_length=60, null=True)
    pricing_tier_name = models.CharField(max_length=100, null=True)
    merge_state = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["project_id", "trace_id"], name="obs_project_trace"),
            models.Index(fields=["project_id", "-start_time"], name="obs_project_start"),
            models.Index(
                fields=["updated_at"], condition=models.Q(cost_status="pending"), name="obs_pending_enrichment"
            ),
            # The errors view reads only failed steps: a small index, written only for them.
            models.Index(fields=["project_id", "-start_time"], condition=models.Q(level="ERROR"), name="obs_errors"),
        ]

    @property
    def latency(self) -> float | None:
        return (self.end_time - self.start_time).total_seconds() if self.end_time else None

    @property
    def time_to_first_token(self) -> float | None:
        if self.completion_start_time is None:
            return None
        return (self.completion_start_time - self.start_time).total_seconds()


class Session(models.Model):
    pk = models.CompositePrimaryKey("project_id", "id")
    project_id = models.CharField(max_length=30)
    id = models.CharField(max_length=800)
    environment = models.CharField(max_length=40, default="default")
    created_at = models.DateTimeField()


class SavedView(models.Model):
    """A named set of filters, sorting and columns of a console table (the page's query string).

    Personal to its owner unless shared with the project (sharing needs write access)."""

    id = models.CharField(primary_key=True, max_length=30, default=new_id)
    project_id = models.CharField(max_length=30)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    table = models.CharField(max_length=20)
    name = models.CharField(max_length=100)
    query = models.TextField()
    shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["project_id", "table"], name="savedview_project_table")]
        constraints = [
            models.UniqueConstraint(fields=["project_id", "owner", "table", "name"], name="savedview_unique_name")
        ]
