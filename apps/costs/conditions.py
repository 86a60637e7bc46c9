"""Pricing-tier conditions (Langfuse's), compiled once per catalogue load into a predicate over a
row's usage, model parameters and metadata, rather than interpreted for every priced row."""

import re
from collections.abc import Callable
from typing import Any

from apps.core.javascript import js_string

Predicate = Callable[[dict[str, int], dict, dict], bool]

_OPERATORS = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "eq": lambda a, b: a == b,
    "neq": lambda a, b: a != b,
}


def _never(usage: dict[str, int], model_parameters: dict, metadata: dict) -> bool:
    return False


def _usage_condition(condition: dict[str, Any]) -> Predicate:
    """The usage of the keys matching a pattern, summed, compared with a value."""
    flags = 0 if condition.get("caseSensitive") else re.IGNORECASE
    try:
        pattern = re.compile(condition["usageDetailPattern"], flags)
    except re.error:
        return _never
    compare = _OPERATORS.get(condition.get("operator", ""))
    if compare is None:
        return _never

    def holds(usage: dict[str, int], model_parameters: dict, metadata: dict) -> bool:
        total = sum(v for k, v in usage.items() if pattern.search(k))
        return bool(compare(total, float(condition.get("value", 0))))

    return holds


def _value_condition(condition: dict[str, Any]) -> Predicate:
    """A model parameter (or else a metadata key) whose value, as text, is one of the values."""
    from_parameters = condition.get("source") == "model_parameters"
    key = condition.get("key")
    allowed = {js_string(v) for v in condition.get("values") or []}

    def holds(usage: dict[str, int], model_parameters: dict, metadata: dict) -> bool:
        value = ((model_parameters if from_parameters else metadata) or {}).get(key)
        return value is not None and js_string(value) in allowed

    return holds


def compile_conditions(conditions: list[dict[str, Any]]) -> Predicate:
    """One predicate: whether every condition holds (no conditions: always)."""
    predicates = tuple(_usage_condition(c) if "usageDetailPattern" in c else _value_condition(c) for c in conditions)
    if len(predicates) == 1:
        return predicates[0]

    def holds(usage: dict[str, int], model_parameters: dict, metadata: dict) -> bool:
        return all(p(usage, model_parameters, metadata) for p in predicates)

    return holds
