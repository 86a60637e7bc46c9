"""Usage and cost as clients send them, normalised to Langfuse's usage-detail maps.

Pure functions: the ingestion mapping calls the `provided_*` ones per event, the writer calls
`finalize` on the merged observation row.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

USAGE_UNITS = {"TOKENS", "CHARACTERS", "MILLISECONDS", "SECONDS", "IMAGES", "REQUESTS"}
_CHAT = ("prompt_tokens", "completion_tokens", "total_tokens")
_RESPONSES = ("input_tokens", "output_tokens", "total_tokens")


# No real count comes near a trillion; bounded there, sums over a trace's observations stay far
# inside a BIGINT and priced counts inside the cost columns' range.
_MAX_COUNT = 10**12
MAX_COST = Decimal("1e12")  # what the cost columns hold (24 digits, 12 after the point)


def _int(value: Any) -> int | None:
    """A non-negative integer (that a BIGINT holds) from an int, an integral float or an integer string."""
    number = _int_any(value)
    return number if number is not None and number <= _MAX_COUNT else None


def _int_any(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer():
        return int(value) if value >= 0 else None
    if isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            return None
        return number if number >= 0 else None
    return None


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() and 0 <= number < MAX_COST else None


def _openai_shape(details: dict, keys: tuple[str, str, str], in_key: str, out_key: str) -> dict[str, int] | None:
    """OpenAI Chat/Responses usage -> input/output net of their detail buckets, plus the buckets."""
    prompt, completion, total = keys
    if prompt not in details or completion not in details:
        return None
    allowed = {prompt, completion, total, in_key, out_key}
    if set(details) - allowed:
        return None
    result: dict[str, int] = {}
    input_details = details.get(in_key) or {}
    output_details = details.get(out_key) or {}
    if not isinstance(input_details, dict) or not isinstance(output_details, dict):
        return None
    input_total = _int(details.get(prompt)) or 0
    output_total = _int(details.get(completion)) or 0
    for name, value in input_details.items():
        count = _int(value)
        if count is not None:
            result[f"input_{name}"] = count
            input_total -= count
    for name, value in output_details.items():
        count = _int(value)
        if count is not None:
            result[f"output_{name}"] = count
            output_total -= count
    result["input"] = max(input_total, 0)
    result["output"] = max(output_total, 0)
    total_value = _int(details.get(total))
    if total_value is not None:
        result["total"] = total_value
    return result


def usage_details_from(details: Any) -> dict[str, int]:
    """`usageDetails` in any of the three accepted shapes -> {key: non-negative int}."""
    if not isinstance(details, dict):
        return {}
    for shape in (
        (_CHAT, "prompt_tokens_details", "completion_tokens_details"),
        (_RESPONSES, "input_tokens_details", "output_tokens_details"),
    ):
        converted = _openai_shape(details, *shape)
        if converted is not None:
            return converted
    return {str(k): v for k, v in [(k, _int(v)) for k, v in details.items()] if v is not None}


def cost_details_from(details: Any) -> dict[str, str]:
    """`costDetails` -> {key: decimal string}, dropping anything that is not a non-negative number."""
    if not isinstance(details, dict):
        return {}
    return {str(k): str(v) for k, v in [(k, _number(v)) for k, v in details.items()] if v is not None}


def legacy_usage(usage: Any) -> tuple[dict[str, int], dict[str, str], str | None]:
    """Legacy `usage` ({input, output, total, unit, *Cost} or OpenAI camelCase) -> (usage, cost, unit)."""
    if not isinstance(usage, dict) or not usage:
        return {}, {}, None
    if any(k in usage for k in ("promptTokens", "completionTokens", "totalTokens")):
        usage = {
            "input": usage.get("promptTokens"),
            "output": usage.get("completionTokens"),
            "total": usage.get("totalTokens"),
            "unit": "TOKENS",
        }
    counts = {k: _int(usage.get(k)) for k in ("input", "output", "total")}
    costs = {k: _number(usage.get(f"{k}Cost")) for k in ("input", "output", "total")}
    unit = usage.get("unit") if usage.get("unit") in USAGE_UNITS else None
    return (
        {k: v for k, v in counts.items() if v is not None},
        {k: str(v) for k, v in costs.items() if v is not None},
        unit,
    )


def provided_usage(usage: Any, usage_details: Any) -> tuple[dict[str, int], dict[str, str], str | None]:
    """One event's provided usage and cost: legacy `usage` overlaid by `usageDetails`."""
    counts, costs, unit = legacy_usage(usage)
    details = usage_details_from(usage_details)
    if "total" not in counts and not details and ("input" in counts or "output" in counts):
        counts["total"] = counts.get("input", 0) + counts.get("output", 0)
    counts.update(details)
    return counts, costs, unit


def with_total(usage: dict[str, Any]) -> dict[str, int]:
    """Usage counts with `total` = the sum of the other keys when the client gave none."""
    counts = {k: int(v) for k, v in usage.items()}
    if counts and "total" not in counts:
        counts["total"] = sum(counts.values())
    return counts


def provided_cost(costs: dict[str, Any]) -> tuple[dict[str, str], Decimal | None]:
    """Ingested cost as given; total derived only from input/output (else left unset)."""
    values = {k: Decimal(str(v)) for k, v in costs.items()}
    if values and "total" not in values and set(values) <= {"input", "output"}:
        values["total"] = sum(values.values(), Decimal(0))
    return {k: str(v) for k, v in values.items()}, values.get("total")
