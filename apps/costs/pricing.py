"""Cost of a generation from its usage and a matched model (Langfuse's precedence rules)."""

import re
from decimal import Decimal
from typing import Any

from apps.costs.catalogue import CatalogueModel, Tier
from apps.costs.usage import MAX_COST

_OPERATORS = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "eq": lambda a, b: a == b,
    "neq": lambda a, b: a != b,
}


def _condition_holds(condition: dict[str, Any], usage: dict[str, int], model_parameters: dict, metadata: dict) -> bool:
    if "usageDetailPattern" in condition:
        flags = 0 if condition.get("caseSensitive") else re.IGNORECASE
        try:
            pattern = re.compile(condition["usageDetailPattern"], flags)
        except re.error:
            return False
        total = sum(v for k, v in usage.items() if pattern.search(k))
        compare = _OPERATORS.get(condition.get("operator", ""))
        return bool(compare) and compare(total, float(condition.get("value", 0)))
    source = model_parameters if condition.get("source") == "model_parameters" else metadata
    value = (source or {}).get(condition.get("key"))
    return value is not None and str(value) in {str(v) for v in condition.get("values") or []}


def select_tier(model: CatalogueModel, usage: dict[str, int], model_parameters: dict, metadata: dict) -> Tier | None:
    """The first conditional tier (by priority) whose conditions all hold, else the default tier."""
    for tier in model.conditional_tiers:
        if all(_condition_holds(c, usage, model_parameters, metadata) for c in tier.conditions):
            return tier
    return model.default_tier


def compute_cost(tier: Tier, usage: dict[str, int]) -> tuple[dict[str, str], Decimal | None]:
    """cost[k] = price[k] x usage[k]; total is the priced `total` key, else the sum of the rest."""
    costs: dict[str, Decimal] = {}
    for key, units in usage.items():
        price = tier.unit_prices.get(key)
        if price is not None:
            costs[key] = price * units
    if not costs:
        return {}, None
    total = costs["total"] if "total" in costs else sum(costs.values(), Decimal(0))
    if max(total, *costs.values()) >= MAX_COST:  # no real usage costs that: not a price to store
        return {}, None
    costs["total"] = total
    return {k: str(v) for k, v in costs.items()}, total
