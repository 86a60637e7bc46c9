"""Console: the ingestion health page of a project, with the connection doctor."""

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from apps.apikeys.models import ApiKey
from apps.core.views import ConsoleView
from apps.ingestion.doctor import diagnose
from apps.ingestion.health import project_summary
from apps.traces.models import Observation


class IngestionHealthView(ConsoleView):
    scope = "project"

    def get(self, request: HttpRequest, project_id: str) -> HttpResponse:
        project = self.access.project
        summary = project_summary(project_id=project.id, since=timezone.now() - timedelta(hours=24))
        keys = {k.id: k for k in ApiKey.objects.filter(project=project).order_by("-created_at")}
        pending = Observation.objects.filter(project_id=project.id, cost_status="pending").count()
        rows = []
        for key_id, key in keys.items():
            counts = summary["by_key"].get(key_id) or {}
            if key.revoked_at is None or counts:
                rows.append(
                    {
                        "key": key,
                        "accepted": counts.get("accepted", 0),
                        "rejected": counts.get("rejected", 0),
                        "rate_limited": counts.get("rate_limited", 0),
                        "oversize": counts.get("oversize", 0),
                        "refused": counts.get("auth_failed", 0) + counts.get("revoked_key", 0),
                    }
                )
        return render(
            request,
            "ingestion/health.html",
            {
                "summary": summary,
                "findings": diagnose(summary, keys_by_id={k: v.public_key for k, v in keys.items()}, pending=pending),
                "key_rows": rows,
                "pending": pending,
                "refused": summary["by_outcome"]["auth_failed"] + summary["by_outcome"]["revoked_key"],
            },
        )
