"""Pricing-tier conditions compiled into one predicate: Langfuse's semantics, checked case by case."""

import pytest

from apps.costs.conditions import compile_conditions

pytestmark = pytest.mark.core

LONG_INPUT = {"usageDetailPattern": "^input", "operator": "gt", "value": 200000}
PRIORITY = {"source": "model_parameters", "key": "service_tier", "values": ["fast", "priority"]}
REGION = {"source": "metadata", "key": "region", "values": ["eu", 1]}


@pytest.mark.parametrize(
    ("conditions", "usage", "parameters", "metadata", "expected"),
    [
        ([], {}, {}, {}, True),
        ([LONG_INPUT], {"input": 150000, "input_cached": 60000}, {}, {}, True),  # matching keys are summed
        ([LONG_INPUT], {"input": 150000, "output": 60000}, {}, {}, False),
        ([dict(LONG_INPUT, usageDetailPattern="^INPUT")], {"input": 300000}, {}, {}, True),  # case-insensitive
        ([dict(LONG_INPUT, usageDetailPattern="^INPUT", caseSensitive=True)], {"input": 300000}, {}, {}, False),
        ([dict(LONG_INPUT, operator="lte", value=10)], {"input": 10}, {}, {}, True),
        ([dict(LONG_INPUT, operator="between")], {"input": 300000}, {}, {}, False),  # unknown operator: never
        ([dict(LONG_INPUT, usageDetailPattern="(")], {"input": 300000}, {}, {}, False),  # bad pattern: never
        ([PRIORITY], {}, {"service_tier": "priority"}, {}, True),
        ([PRIORITY], {}, {"service_tier": "default"}, {}, False),
        ([PRIORITY], {}, {}, {"service_tier": "priority"}, False),  # the model parameters, not metadata
        ([REGION], {}, {}, {"region": "1"}, True),  # compared as text
        ([REGION], {}, {}, None, False),
        # As JavaScript writes values: a boolean true is "true", a float 1.0 is "1".
        ([dict(REGION, values=["true"])], {}, {}, {"region": True}, True),
        ([dict(REGION, values=[True])], {}, {}, {"region": "true"}, True),
        ([REGION], {}, {}, {"region": 1.0}, True),
        ([LONG_INPUT, PRIORITY], {"input": 300000}, {"service_tier": "fast"}, {}, True),  # every one must hold
        ([LONG_INPUT, PRIORITY], {"input": 300000}, {"service_tier": "slow"}, {}, False),
        ([LONG_INPUT, PRIORITY], {"input": 3}, {"service_tier": "fast"}, {}, False),
    ],
)
def test_a_tier_applies_when_every_condition_holds(conditions, usage, parameters, metadata, expected):
    assert compile_conditions(conditions)(usage, parameters, metadata) is expected
