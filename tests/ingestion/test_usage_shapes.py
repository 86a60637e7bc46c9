"""Usage as clients send it on /api/public/ingestion, normalised as Langfuse does (its §3.2, §3.4, §5.3):
the stored usage map and the input/output/total token columns read from it."""

import pytest

from apps.traces.models import Observation
from tests.ingestion.helpers import event, post_batch

pytestmark = pytest.mark.core

CASES = {
    # OpenAI Responses: the detail buckets move out of input/output into input_<k>/output_<k>.
    "openai-responses": (
        {
            "usageDetails": {
                "input_tokens": 100,
                "output_tokens": 40,
                "total_tokens": 140,
                "input_tokens_details": {"cached_tokens": 30},
                "output_tokens_details": {"reasoning_tokens": 10},
            }
        },
        {"input": 70, "output": 30, "total": 140, "input_cached_tokens": 30, "output_reasoning_tokens": 10},
        None,
    ),
    # OpenAI Chat: same, several buckets, a null bucket skipped, a zero bucket kept.
    "openai-chat": (
        {
            "usageDetails": {
                "prompt_tokens": 100,
                "completion_tokens": 40,
                "total_tokens": 140,
                "prompt_tokens_details": {"cached_tokens": 30, "audio_tokens": 5},
                "completion_tokens_details": {
                    "reasoning_tokens": 10,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": None,
                },
            }
        },
        {
            "input": 65,
            "output": 30,
            "total": 140,
            "input_cached_tokens": 30,
            "input_audio_tokens": 5,
            "output_reasoning_tokens": 10,
            "output_audio_tokens": 0,
        },
        None,
    ),
    "openai-chat-buckets-larger-than-the-prompt-floor-at-zero": (
        {
            "usageDetails": {
                "prompt_tokens": 10,
                "completion_tokens": 3,
                "total_tokens": 13,
                "prompt_tokens_details": {"cached_tokens": 25},
            }
        },
        {"input": 0, "output": 3, "total": 13, "input_cached_tokens": 25},
        None,
    ),
    # Langfuse's strict schema also wants total_tokens and would keep this map as sent (unpriced);
    # OpenAI-compatible servers that leave it out still get input and output, priced.
    "openai-chat-without-total-is-still-normalised": (
        {"usageDetails": {"prompt_tokens": 10, "completion_tokens": 4}},
        {"input": 10, "output": 4, "total": 14},
        None,
    ),
    # Free map: every key its own, integers and integer strings kept, anything else dropped.
    "free-keys": (
        {
            "usageDetails": {
                "input": 100,
                "output": 20,
                "cache_read_input_tokens": 30,
                "cache_creation_input_tokens": "5",
                "negative": -1,
                "fraction": 1.5,
                "text": "many",
                "nested": {"x": 1},
            }
        },
        {"input": 100, "output": 20, "cache_read_input_tokens": 30, "cache_creation_input_tokens": 5, "total": 155},
        None,
    ),
    "legacy-openai-camel-case": (
        {"usage": {"promptTokens": 12, "completionTokens": 8, "totalTokens": 20}},
        {"input": 12, "output": 8, "total": 20},
        "TOKENS",
    ),
    "legacy-input-output-total-unit": (
        {"usage": {"input": 300, "output": 50, "total": 350, "unit": "CHARACTERS"}},
        {"input": 300, "output": 50, "total": 350},
        "CHARACTERS",
    ),
    "legacy-without-total-sums-input-and-output": (
        {"usage": {"input": 3, "output": 4, "unit": "TOKENS"}},
        {"input": 3, "output": 4, "total": 7},
        "TOKENS",
    ),
    # usageDetails overlays the legacy usage key by key; total is then the sum of every key.
    "legacy-overlaid-by-usage-details": (
        {"usage": {"input": 10, "output": 5}, "usageDetails": {"input": 8, "input_cached_tokens": 2}},
        {"input": 8, "output": 5, "input_cached_tokens": 2, "total": 15},
        None,
    ),
}


@pytest.mark.parametrize(("fields", "usage", "unit"), CASES.values(), ids=CASES.keys())
def test_usage_is_normalised_into_the_stored_usage_and_token_columns(fields, usage, unit, tenant, api_client):
    body = {"id": "g1", "traceId": "t1", "name": "llm", **fields}  # no model: nothing priced or tokenized
    response = post_batch(api_client, tenant.project_key.header, [event("generation-create", body)])
    assert response.status_code == 207 and response.json()["errors"] == [], response.content
    stored = Observation.objects.get(project_id=tenant.project.id, id="g1")
    assert stored.usage_details == usage
    assert (stored.input_tokens, stored.output_tokens, stored.total_tokens) == (
        usage.get("input", 0),
        usage.get("output", 0),
        usage["total"],
    )
    assert stored.usage_unit == unit
