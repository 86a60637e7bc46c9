"""Writes to model definitions and cost recomputation jobs; each audits and owns its transaction."""

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction

from apps.audit.services import audit_record
from apps.core import jobs
from apps.core.access import Access
from apps.core.errors import Conflict, InvalidRequest, NotFound
from apps.costs.catalogue import compile_pattern
from apps.costs.models import CostRecomputeJob, ModelDefinition, PricingTier
from apps.costs.usage import USAGE_UNITS

_OPERATORS = {"gt", "gte", "lt", "lte", "eq", "neq"}


def _price(value: Any, label: str) -> str:
    try:
        price = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidRequest(f"{label} must be a number") from None
    if not price.is_finite() or price < 0:
        raise InvalidRequest(f"{label} must be a non-negative number")
    return str(price)


def _condition(condition: Any) -> dict[str, Any]:
    if not isinstance(condition, dict):
        raise InvalidRequest("each condition must be an object")
    if "usageDetailPattern" in condition:
        try:
            re.compile(str(condition["usageDetailPattern"]))
        except re.error as exc:
            raise InvalidRequest(f"usageDetailPattern is not a valid regex: {exc}") from None
        if condition.get("operator") not in _OPERATORS:
            raise InvalidRequest("operator must be one of gt, gte, lt, lte, eq, neq")
        return {
            "usageDetailPattern": str(condition["usageDetailPattern"]),
            "operator": condition["operator"],
            "value": float(_price(condition.get("value", 0), "value")),
            "caseSensitive": bool(condition.get("caseSensitive", False)),
        }
    if condition.get("source") in ("model_parameters", "metadata") and condition.get("operator") == "in":
        values = condition.get("values")
        if not isinstance(values, list) or not values or not condition.get("key"):
            raise InvalidRequest("attribute conditions need a key and at least one value")
        return {
            "source": condition["source"],
            "key": str(condition["key"]),
            "operator": "in",
            "values": [str(v) for v in values],
        }
    raise InvalidRequest("a condition is either a usage condition or an attribute condition")


def _tiers(pricing_tiers: Any, input_price: Any, output_price: Any, total_price: Any) -> list[dict[str, Any]]:
    """Validated tiers: given explicitly, or one default tier from the flat (deprecated) prices."""
    if pricing_tiers:
        if any(p is not None for p in (input_price, output_price, total_price)):
            raise InvalidRequest("give either pricingTiers or the flat prices, not both")
        tiers = []
        for tier in pricing_tiers:
            prices = {str(k): _price(v, f"price of {k}") for k, v in (tier.get("prices") or {}).items()}
            if not prices:
                raise InvalidRequest("each pricing tier needs at least one price")
            tiers.append(
                {
                    "name": str(tier.get("name") or "").strip(),
                    "is_default": bool(tier.get("isDefault")),
                    "priority": int(tier.get("priority") or 0),
                    "conditions": [_condition(c) for c in tier.get("conditions") or []],
                    "prices": prices,
                }
            )
        defaults = [t for t in tiers if t["is_default"]]
        if len(defaults) != 1 or defaults[0]["priority"] != 0 or defaults[0]["conditions"]:
            raise InvalidRequest("exactly one default tier is needed, with priority 0 and no conditions")
        if len({t["name"] for t in tiers}) != len(tiers) or len({t["priority"] for t in tiers}) != len(tiers):
            raise InvalidRequest("tier names and priorities must be unique")
        if any(not t["name"] for t in tiers):
            raise InvalidRequest("every tier needs a name")
        return tiers
    if total_price is not None and (input_price is not None or output_price is not None):
        raise InvalidRequest("totalPrice cannot be combined with inputPrice or outputPrice")
    prices = {
        k: _price(v, f"{k}Price")
        for k, v in (("input", input_price), ("output", output_price), ("total", total_price))
        if v is not None
    }
    return (
        [{"name": "Standard", "is_default": True, "priority": 0, "conditions": [], "prices": prices}] if prices else []
    )


def model_create(
    *,
    access: Access,
    model_name: str,
    match_pattern: str,
    start_date: datetime | None = None,
    unit: str | None = None,
    input_price: Any = None,
    output_price: Any = None,
    total_price: Any = None,
    pricing_tiers: list | None = None,
    tokenizer_id: str | None = None,
    tokenizer_config: Any = None,
) -> ModelDefinition:
    """A project model definition; it takes precedence over managed ones matching the same names."""
    access.require("models:write")
    model_name = (model_name or "").strip()
    if not model_name or len(model_name) > 200:
        raise InvalidRequest("modelName must be 1-200 characters")
    try:
        compile_pattern(match_pattern)
    except (re.error, TypeError) as exc:
        raise InvalidRequest(f"matchPattern is not a valid regex: {exc}") from None
    if unit is not None and unit not in USAGE_UNITS:
        raise InvalidRequest(f"unit must be one of {', '.join(sorted(USAGE_UNITS))}")
    if tokenizer_id not in (None, "openai", "claude"):
        raise InvalidRequest("tokenizerId must be openai or claude")
    tiers = _tiers(pricing_tiers, input_price, output_price, total_price)
    try:
        with transaction.atomic():
            model = ModelDefinition.objects.create(
                project_id=access.project.id,
                model_name=model_name,
                match_pattern=match_pattern,
                start_date=start_date,
                unit=unit,
                tokenizer_id=tokenizer_id,
                tokenizer_config=tokenizer_config if isinstance(tokenizer_config, dict) else None,
            )
            PricingTier.objects.bulk_create([PricingTier(model=model, **tier) for tier in tiers])
            audit_record(
                access=access,
                action="model.create",
                target_type="model",
                target_id=model.id,
                after={"modelName": model_name, "matchPattern": match_pattern, "tiers": tiers},
            )
    except IntegrityError:
        raise Conflict(f"A model named '{model_name}' already exists in this project") from None
    return model


def model_delete(*, access: Access, model_id: str) -> None:
    """Delete one of the project's own model definitions (managed ones cannot be deleted)."""
    access.require("models:write")
    with transaction.atomic():
        model = ModelDefinition.objects.filter(project_id=access.project.id, id=model_id).first()
        if model is None:
            raise NotFound(f"Model {model_id} not found within authorized project")
        audit_record(
            access=access,
            action="model.delete",
            target_type="model",
            target_id=model.id,
            before={"modelName": model.model_name, "matchPattern": model.match_pattern},
        )
        model.delete()


def cost_recompute_start(*, access: Access, window_start: datetime, window_end: datetime) -> CostRecomputeJob:
    """Queue recomputing the costs of the project's generations that started in the window."""
    access.require("models:write")
    if window_end <= window_start:
        raise InvalidRequest("the end of the window must be after its start")
    from apps.costs.tasks import run_cost_recompute

    with transaction.atomic():
        job = CostRecomputeJob.objects.create(
            project_id=access.project.id, window_start=window_start, window_end=window_end, created_by=access.user
        )
        audit_record(
            access=access,
            action="model.cost_recompute",
            target_type="cost_recompute_job",
            target_id=job.id,
            after={"from": window_start.isoformat(), "to": window_end.isoformat()},
        )
        transaction.on_commit(lambda: jobs.dispatch(run_cost_recompute, job))
    return job
