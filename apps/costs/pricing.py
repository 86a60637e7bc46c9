"""Cost of a generation from its usage and a matched model (Langfuse's precedence rules)."""

from decimal import Decimal

from apps.costs.catalogue import CatalogueModel, Tier
from apps.costs.usage import MAX_COST


def select_tier(model: CatalogueModel, usage: dict[str, int], model_parameters: dict, metadata: dict) -> Tier | None:
    """The first conditional tier (by priority) whose conditions all hold, else the default tier."""
    for tier in model.conditional_tiers:
        if tier.holds(usage, model_parameters, metadata):
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
