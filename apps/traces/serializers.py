"""Traces, observations, scores and sessions in Langfuse's public API shapes (plain dicts).

Every key the OpenAPI document marks required is always present; nullable ones are None.
"""

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from apps.scores.models import Score
from apps.traces.models import Observation, Session, Trace


def _float(value: Any) -> float | None:
    return None if value is None else float(Decimal(str(value)))


def _seconds(start, end) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds()


def trace_dict(trace: Trace) -> dict[str, Any]:
    return {
        "id": trace.id,
        "timestamp": trace.timestamp,
        "name": trace.name,
        "input": trace.input,
        "output": trace.output,
        "sessionId": trace.session_id,
        "release": trace.release,
        "version": trace.version,
        "userId": trace.user_id,
        "metadata": trace.metadata,
        "tags": trace.tags,
        "public": trace.public,
        "environment": trace.environment,
        "bookmarked": trace.bookmarked,
        "externalId": trace.external_id,
        "projectId": trace.project_id,
        "createdAt": trace.created_at,
        "updatedAt": trace.updated_at,
    }


def trace_details(trace: Trace) -> dict[str, Any]:
    """The per-trace figures of TraceWithDetails: html path, latency (s), total cost.

    Numbers even for a trace without observations or prices (0), as Langfuse answers: the Python
    SDK 2.x that Dify pins declares both as floats, and one null fails its whole `fetch_traces()`.
    """
    return {
        "htmlPath": f"/project/{trace.project_id}/traces/{trace.id}",
        "latency": trace.latency or 0.0,
        "totalCost": _float(trace.total_cost) or 0.0,
    }


def observation_dict(observation: Observation, prices: dict[str, dict[str, Any]]) -> dict[str, Any]:
    usage = observation.usage_details or {}
    costs = observation.cost_details or {}
    model_prices = prices.get(observation.model_id or "", {})
    return {
        "id": observation.id,
        "traceId": observation.trace_id,
        "type": observation.type,
        "name": observation.name,
        "startTime": observation.start_time,
        "endTime": observation.end_time,
        "completionStartTime": observation.completion_start_time,
        "model": observation.model,
        "modelParameters": observation.model_parameters,
        "input": observation.input,
        "output": observation.output,
        "version": observation.version,
        "metadata": observation.metadata,
        "level": observation.level,
        "statusMessage": observation.status_message,
        "parentObservationId": observation.parent_observation_id,
        "promptId": None,
        "promptName": observation.prompt_name,
        "promptVersion": observation.prompt_version,
        "usageDetails": usage,
        "costDetails": {k: _float(v) for k, v in costs.items()},
        "environment": observation.environment,
        "usage": {
            "input": usage.get("input", 0),
            "output": usage.get("output", 0),
            "total": usage.get("total", 0),
            "unit": observation.usage_unit or ("TOKENS" if usage else None),
            "inputCost": _float(costs.get("input")),
            "outputCost": _float(costs.get("output")),
            "totalCost": _float(costs.get("total")),
        },
        "unit": observation.usage_unit,
        "promptTokens": usage.get("input", 0),
        "completionTokens": usage.get("output", 0),
        "totalTokens": usage.get("total", 0),
        "modelId": observation.model_id,
        "inputPrice": _float(model_prices.get("input")),
        "outputPrice": _float(model_prices.get("output")),
        "totalPrice": _float(model_prices.get("total")),
        "calculatedInputCost": _float(costs.get("input")),
        "calculatedOutputCost": _float(costs.get("output")),
        "calculatedTotalCost": _float(observation.total_cost),
        "costStatus": observation.cost_status,
        "latency": _seconds(observation.start_time, observation.end_time),
        "timeToFirstToken": _seconds(observation.start_time, observation.completion_start_time),
        "usagePricingTierName": observation.pricing_tier_name,
        "usagePricingTierId": observation.pricing_tier_id,
        "projectId": observation.project_id,
        "createdAt": observation.created_at,
        "updatedAt": observation.updated_at,
    }


def score_dict(score: Score) -> dict[str, Any]:
    """ScoreV1: discriminated by dataType; categorical and text values default to 0."""
    value = score.value if score.value is not None else 0.0
    out = {
        "id": score.id,
        "traceId": score.trace_id,
        "name": score.name,
        "source": score.source,
        "observationId": score.observation_id,
        "sessionId": score.session_id,
        "datasetRunId": score.dataset_run_id,
        "timestamp": score.timestamp,
        "createdAt": score.created_at,
        "updatedAt": score.updated_at,
        "authorUserId": None,
        "comment": score.comment,
        "metadata": score.metadata,
        "configId": score.config_id,
        "queueId": score.queue_id,
        "environment": score.environment,
        "dataType": score.data_type,
        "value": value,
    }
    if score.data_type != "NUMERIC":
        out["stringValue"] = score.string_value or ""
    return out


def session_dict(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "createdAt": session.created_at,
        "projectId": session.project_id,
        "environment": session.environment,
    }


# The export fields of each optional column of the traces table (apps.traces.table_spec); the
# scores column has none (a trace's scores are not part of its row).
_TRACE_COLUMN_FIELDS = {
    "user": ("userId",),
    "session": ("sessionId",),
    "tags": ("tags",),
    "environment": ("environment",),
    "release": ("release",),
    "version": ("version",),
    "latency": ("latency",),
    "tokens": ("totalTokens",),
    "cost": ("totalCost",),
    "observations": ("observationCount",),
    "level": ("errorCount",),
}


def trace_export_row(trace: Trace, columns: Collection[str]) -> dict[str, Any]:
    """One row of a traces export: the table's `columns` it shows, plus id, time, name, input,
    output and metadata."""
    row = {
        "id": trace.id,
        "timestamp": trace.timestamp,
        "name": trace.name,
        "userId": trace.user_id,
        "sessionId": trace.session_id,
        "tags": trace.tags,
        "environment": trace.environment,
        "release": trace.release,
        "version": trace.version,
        "latency": trace.latency,
        "totalTokens": trace.total_tokens,
        "totalCost": _float(trace.total_cost),
        "observationCount": trace.observation_count,
        "errorCount": trace.error_count,
        "input": trace.input,
        "output": trace.output,
        "metadata": trace.metadata,
    }
    for column, fields in _TRACE_COLUMN_FIELDS.items():
        if column not in columns:
            for name in fields:
                del row[name]
    return row
