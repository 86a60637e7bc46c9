"""Usage and cost of an observation row: the one place that applies Langfuse's precedence.

1. Any ingested cost wins wholesale. 2. Else a matched model's pricing tier prices the usage.
3. A matched model with no usage is tokenized later in the background (status "pending").
4. A model without prices gives "unknown", never 0.
"""

from typing import Any

from apps.costs.catalogue import Matcher
from apps.costs.pricing import compute_cost, select_tier
from apps.costs.tokenizers import count_tokens
from apps.costs.usage import provided_cost, with_total


def _usage_columns(usage: dict[str, int]) -> dict[str, Any]:
    return {
        "usage_details": usage,
        "input_tokens": usage.get("input", 0),
        "output_tokens": usage.get("output", 0),
        "total_tokens": usage.get("total", 0),
    }


def price_row(row: dict[str, Any], matcher: Matcher, *, tokenize: bool = False) -> None:
    """Set usage, cost, model and status columns of a merged observation row in place.

    With `tokenize` (background work only) missing usage is counted from input and output.
    """
    usage = with_total(row.get("provided_usage_details") or {})
    model = matcher.match(row.get("model"))
    row.update(
        _usage_columns(usage), model_id=model.id if model else None, pricing_tier_id=None, pricing_tier_name=None
    )
    costs = row.get("provided_cost_details") or {}
    if costs:
        row["cost_details"], row["total_cost"] = provided_cost(costs)
        row["cost_status"] = "provided"
        return
    row["cost_details"], row["total_cost"] = {}, None
    if model is None:
        row["cost_status"] = "unknown" if row.get("model") else "none"
        return
    if not usage:
        can_count = model.tokenizer_id and row.get("level") != "ERROR" and (row.get("input") or row.get("output"))
        if not can_count:
            row["cost_status"] = "unknown"
            return
        if not tokenize:
            row["cost_status"] = "pending"
            return
        counts = {
            key: count_tokens(row.get(key), tokenizer_id=model.tokenizer_id, config=model.tokenizer_config)
            for key in ("input", "output")
        }
        usage = with_total({k: v for k, v in counts.items() if v is not None})
        row.update(_usage_columns(usage))
        if not usage:
            row["cost_status"] = "unknown"
            return
    tier = select_tier(model, usage, row.get("model_parameters") or {}, row.get("metadata") or {})
    if tier is None:
        row["cost_status"] = "unknown"
        return
    row["cost_details"], row["total_cost"] = compute_cost(tier, usage)
    row["pricing_tier_id"], row["pricing_tier_name"] = tier.id, tier.name
    row["cost_status"] = "computed" if row["total_cost"] is not None else "unknown"
