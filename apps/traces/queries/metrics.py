"""Daily metrics of a project: traces, observations, cost and usage per model, per day.

The one place that aggregates traces and observations for the metrics API; every query
starts from the project.
"""

from datetime import date
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate

from apps.traces.models import Observation, Trace


def daily_metrics(*, traces: QuerySet[Trace], project_id: str) -> list[dict[str, Any]]:
    """Per day (newest first) for the given traces of the project: counts, cost, usage by model."""
    traces = traces.filter(project_id=project_id).order_by()
    days: dict[date, dict[str, Any]] = {}
    for row in (
        traces.annotate(day=TruncDate("timestamp"))
        .values("day")
        .annotate(traces=Count("id"), observations=Sum("observation_count"), cost=Sum("total_cost"))
    ):
        days[row["day"]] = {
            "date": row["day"].isoformat(),
            "countTraces": row["traces"],
            "countObservations": row["observations"] or 0,
            "totalCost": float(row["cost"] or 0),
            "usage": [],
        }
    observations = Observation.objects.filter(
        project_id=project_id, trace_id__in=traces.values("id"), model__isnull=False
    ).order_by()
    for row in (
        observations.annotate(day=TruncDate("start_time"))
        .values("day", "model")
        .annotate(
            input=Sum("input_tokens"),
            output=Sum("output_tokens"),
            total=Sum("total_tokens"),
            count=Count("id"),
            trace_count=Count("trace_id", distinct=True),
            cost=Sum("total_cost"),
        )
        .order_by("day", "model")
    ):
        bucket = days.setdefault(
            row["day"],
            {"date": row["day"].isoformat(), "countTraces": 0, "countObservations": 0, "totalCost": 0.0, "usage": []},
        )
        bucket["usage"].append(
            {
                "model": row["model"],
                "inputUsage": row["input"] or 0,
                "outputUsage": row["output"] or 0,
                "totalUsage": row["total"] or 0,
                "countObservations": row["count"],
                "countTraces": row["trace_count"],
                "totalCost": float(row["cost"] or 0),
            }
        )
    return [days[day] for day in sorted(days, reverse=True)]
