"""GET /v2/observations: keyset (cursor) pagination and field groups, as Langfuse v4 serves it."""

import base64
import json
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.dateparse import parse_datetime

from apps.core.errors import InvalidRequest
from apps.traces.models import Observation, Trace
from apps.traces.queries import filters as filter_grammar
from apps.traces.queries.traces import model_prices

GROUPS = {"core", "basic", "time", "io", "metadata", "model", "usage", "prompt", "metrics", "trace_context"}
DEFAULT_GROUPS = {"core", "basic"}


def parse_fields(value: str | None) -> set[str]:
    if not value:
        return set(DEFAULT_GROUPS)
    groups = {g.strip() for g in value.split(",") if g.strip()}
    unknown = groups - GROUPS
    if unknown:
        raise InvalidRequest(f"unknown field groups: {', '.join(sorted(unknown))}")
    return groups | {"core"}


def encode_cursor(row: Observation) -> str:
    data = {"lastStartTimeTo": row.start_time.isoformat(), "lastTraceId": row.trace_id, "lastId": row.id}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
        moment = parse_datetime(data["lastStartTimeTo"])
        if moment is None:
            raise ValueError
        return moment, str(data["lastTraceId"]), str(data["lastId"])
    except (ValueError, KeyError, TypeError, json.JSONDecodeError):
        raise InvalidRequest("cursor is not a cursor this API returned") from None


def observation_page(
    *, project_id: str, limit: int, cursor: str | None, filters: dict[str, Any], filters_json: str | None = None
) -> tuple[list, str | None]:
    """One page newest first, plus the cursor of the next page (None on the last page)."""
    rows = Observation.objects.filter(project_id=project_id)
    for field in ("name", "type", "trace_id", "level", "parent_observation_id", "version"):
        if filters.get(field) is not None:
            rows = rows.filter(**{field: filters[field]})
    trace_scope = {k: filters[k] for k in ("user_id", "session_id") if filters.get(k) is not None}
    if trace_scope:
        rows = rows.filter(trace_id__in=Trace.objects.filter(project_id=project_id, **trace_scope).values("id"))
    if filters.get("is_root") is not None:
        rows = rows.filter(parent_observation_id__isnull=filters["is_root"])
    if filters.get("environments"):
        rows = rows.filter(environment__in=filters["environments"])
    if filters.get("from_start_time") is not None:
        rows = rows.filter(start_time__gte=filters["from_start_time"])
    if filters.get("to_start_time") is not None:
        rows = rows.filter(start_time__lt=filters["to_start_time"])
    rows = filter_grammar.apply(rows, filter_grammar.parse(filters_json), filter_grammar.OBSERVATION_COLUMNS)
    if cursor:
        start, trace_id, obs_id = decode_cursor(cursor)
        rows = rows.filter(
            Q(start_time__lt=start)
            | Q(start_time=start, trace_id__lt=trace_id)
            | Q(start_time=start, trace_id=trace_id, id__lt=obs_id)
        )
    page = list(rows.order_by("-start_time", "-trace_id", "-id")[: limit + 1])
    next_cursor = encode_cursor(page[limit - 1]) if len(page) > limit else None
    return page[:limit], next_cursor


def _raw(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _price(value: Any) -> str | None:
    return None if value is None else str(value)


def observation_v2_dicts(project_id: str, rows: list[Observation], groups: set[str]) -> list[dict[str, Any]]:
    traces = {t.id: t for t in Trace.objects.filter(project_id=project_id, id__in={r.trace_id for r in rows})}
    prices = model_prices(model_ids={r.model_id for r in rows if r.model_id}) if "model" in groups else {}
    out = []
    for row in rows:
        trace = traces.get(row.trace_id)
        item: dict[str, Any] = {
            "id": row.id,
            "traceId": row.trace_id,
            "startTime": row.start_time,
            "endTime": row.end_time,
            "projectId": row.project_id,
            "parentObservationId": row.parent_observation_id,
            "type": row.type,
            "modelId": None,
            "inputPrice": None,
            "outputPrice": None,
            "totalPrice": None,
        }
        if "basic" in groups:
            item.update(
                name=row.name,
                level=row.level,
                statusMessage=row.status_message,
                version=row.version,
                environment=row.environment,
                bookmarked=trace.bookmarked if trace else False,
                public=trace.public if trace else False,
                userId=trace.user_id if trace else None,
                sessionId=trace.session_id if trace else None,
                isRootObservation=row.parent_observation_id is None,
            )
        if "time" in groups:
            item.update(
                completionStartTime=row.completion_start_time, createdAt=row.created_at, updatedAt=row.updated_at
            )
        if "io" in groups:
            item.update(input=_raw(row.input), output=_raw(row.output))
        if "metadata" in groups:
            item["metadata"] = row.metadata
        if "model" in groups:
            model_price = prices.get(row.model_id or "", {})
            item.update(
                providedModelName=row.model,
                internalModelId=row.model_id,
                modelParameters=row.model_parameters,
                modelId=row.model_id,
                inputPrice=_price(model_price.get("input")),
                outputPrice=_price(model_price.get("output")),
                totalPrice=_price(model_price.get("total")),
            )
        if "usage" in groups:
            item.update(
                usageDetails=row.usage_details,
                costDetails={k: float(v) for k, v in row.cost_details.items()},
                totalCost=None if row.total_cost is None else float(row.total_cost),
                usagePricingTierName=row.pricing_tier_name,
            )
        if "prompt" in groups:
            item.update(promptId=None, promptName=row.prompt_name, promptVersion=row.prompt_version)
        if "metrics" in groups:
            item.update(
                latency=(row.end_time - row.start_time).total_seconds() if row.end_time else None,
                timeToFirstToken=(row.completion_start_time - row.start_time).total_seconds()
                if row.completion_start_time
                else None,
            )
        if "trace_context" in groups:
            item.update(
                traceName=trace.name if trace else None,
                tags=trace.tags if trace else [],
                release=trace.release if trace else None,
            )
        out.append(item)
    return out
