"""Background exports of console tables: what was asked, how far it got, where the file is."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.ids import new_id


class ExportJob(models.Model):
    """One table exported to a file in the blob store, with progress; deleted (with its file) when it expires."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.CharField(primary_key=True, max_length=30, default=new_id, editable=False)
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    table = models.CharField(max_length=30)
    format = models.CharField(max_length=10)
    params = models.JSONField(default=dict)  # the table's filter parameters, as the page's query string had them
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_done = models.BigIntegerField(default=0)
    rows_estimated = models.BigIntegerField(null=True, blank=True)
    rows_skipped = models.BigIntegerField(default=0)
    file_key = models.CharField(max_length=300, blank=True)
    file_bytes = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when a run claims the job and with each progress report (apps.core.jobs).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["project", "-created_at"], name="export_project_created")]

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_estimated:
            return 0
        return min(99, int(100 * self.rows_done / self.rows_estimated))

    @property
    def table_label(self) -> str:
        from apps.traces.export_tables import TABLES

        table = TABLES.get(self.table)
        return str(table.label) if table else self.table

    @property
    def filename(self) -> str:
        return f"{self.table}-{self.project_id}-{self.id}.{self.format}"
