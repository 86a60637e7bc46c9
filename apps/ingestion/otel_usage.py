"""Usage, cost and model parameters of OTLP spans, read as Langfuse reads them: Langfuse's own
attributes first, then by framework (Genkit, the Vercel AI SDK, Pydantic AI, Vertex AI ADK),
then the generic `gen_ai.usage.*` and `llm.token_count.*` counts (langfuse-api.md 4.4).
"""

from typing import Any

from apps.core.javascript import js_json, js_string
from apps.costs.usage import cost_details_from, usage_details_from
from apps.ingestion.otel_attributes import (
    GENKIT_INPUT,
    GENKIT_OUTPUT,
    GENKIT_SCOPE,
    VERTEX_ADK_SCOPE,
    VERTEX_RESPONSE,
    Attributes,
    Keys,
    json_object,
    parse_json,
)

USAGE_DETAILS = Keys("langfuse.observation.usage_details")
COST_DETAILS = Keys("langfuse.observation.cost_details")
_COST_TOTAL = Keys("gen_ai.usage.cost", "llm.cost.total")
# Vercel AI SDK (scope "ai") usage beside its gen_ai.usage.* counts.
_VERCEL_TOTAL = Keys("ai.usage.tokens", "ai.usage.totalTokens")
_VERCEL_CACHED = Keys("ai.usage.cachedInputTokens")
_VERCEL_REASONING = Keys("ai.usage.reasoningTokens")
_VERCEL_PROVIDER_METADATA = "ai.response.providerMetadata"  # read, and still kept in the metadata
MODEL_PARAMETERS = Keys("langfuse.observation.model.parameters")
_INVOCATION_PARAMETERS = Keys("llm.invocation_parameters")  # OpenInference
_MODEL_CONFIG = Keys("model_config")


def span_usage(attrs: Attributes, scope_name: str) -> dict[str, int]:
    explicit = attrs.get(USAGE_DETAILS)
    if explicit is not None:
        return usage_details_from(json_object(explicit))
    if scope_name == GENKIT_SCOPE and (genkit := _genkit_usage(attrs)) is not None:
        return genkit
    gen_ai = attrs.prefixed("gen_ai.usage.")
    if scope_name == "ai":
        return _vercel_usage(attrs, gen_ai)
    if scope_name == "pydantic-ai" and (pydantic := _pydantic_ai_usage(gen_ai)) is not None:
        return pydantic
    usage = _generic_usage({**gen_ai, **attrs.prefixed("llm.token_count.")})
    if scope_name == VERTEX_ADK_SCOPE and VERTEX_RESPONSE in attrs.values and "input_cached_tokens" not in usage:
        _add_vertex_cached_tokens(usage, attrs.values[VERTEX_RESPONSE])
    return usage_details_from(usage)


def _genkit_usage(attrs: Attributes) -> dict[str, int] | None:
    """A Genkit model call's counts, from the `usage` of its response (`genkit:output`): the
    output without its thinking tokens, which count apart. None when the response has none."""
    counts = json_object(attrs.values.get(GENKIT_OUTPUT.keys[0])).get("usage")
    if not isinstance(counts, dict):
        return None
    given = {name: _count(counts.get(key)) for name, key in _GENKIT_USAGE_KEYS}
    thoughts = given["output_reasoning"] or 0
    if given["output"]:
        given["output"] = max(given["output"] - thoughts, 0)
    return usage_details_from({name: value for name, value in given.items() if value})


_GENKIT_USAGE_KEYS = (
    ("input", "inputTokens"),
    ("output", "outputTokens"),
    ("total", "totalTokens"),
    ("output_reasoning", "thoughtsTokens"),
)


def _add_vertex_cached_tokens(usage: dict[str, Any], response: Any) -> None:
    """Vertex AI ADK counts cached tokens in its prompt tokens and reports them only in the LLM
    response's `usage_metadata`: moved from the input to `input_cached_tokens`."""
    metadata = json_object(response).get("usage_metadata")
    cached = metadata.get("cached_content_token_count") if isinstance(metadata, dict) else None
    if isinstance(cached, bool) or not isinstance(cached, (int, float)) or not cached > 0:
        return
    usage["input_cached_tokens"] = int(cached)
    if isinstance(usage.get("input"), int):
        usage["input"] = max(usage["input"] - int(cached), 0)


def _generic_usage(raw: dict[str, Any]) -> dict[str, Any]:
    """`gen_ai.usage.*` and `llm.token_count.*` counts (`raw`, by the rest of their keys) in
    Langfuse's names: input and output without their cache, reasoning and audio parts, which
    count apart; any other key as it is (without a `details.` prefix)."""
    if not raw:
        return {}
    raw.pop("cost", None)
    usage: dict[str, Any] = {}
    # Langfuse's names of each count first (the OpenTelemetry GenAI ones among them), then others
    # that clients send for the same counts.
    cached = _first(
        raw,
        "cache_read.input_tokens",
        "cache_read_input_tokens",
        "cache_read_tokens",
        "details.cache_read_tokens",
        "details.cache_read_input_tokens",
        "prompt_details.cache_read",
        "input_cached_tokens",
        "input_tokens_details.cached_tokens",
        "cached_tokens",
        "cache_read",
    )
    created = _first(
        raw,
        "cache_creation.input_tokens",
        "cache_creation_input_tokens",
        "cache_write_tokens",
        "details.cache_write_tokens",
        "details.cache_creation_input_tokens",
        "prompt_details.cache_write",
        "input_cache_creation",
        "cache_write",
    )
    reasoning = _first(raw, "reasoning.output_tokens", "completion_details.reasoning", "reasoning_tokens")
    audio = _first(raw, "completion_details.audio")
    prompt = _first(raw, "prompt_tokens", "input_tokens", "prompt")
    completion = _first(raw, "completion_tokens", "output_tokens", "completion")
    total = _first(raw, "total_tokens", "total")
    if prompt is not None:
        usage["input"] = max(prompt - (cached or 0) - (created or 0), 0)
    if completion is not None:
        usage["output"] = max(completion - (reasoning or 0) - (audio or 0), 0)
    if total is not None:
        usage["total"] = total
    for key, value in (
        ("input_cached_tokens", cached),
        ("input_cache_creation", created),
        ("output_reasoning_tokens", reasoning),
        ("output_audio_tokens", audio),
    ):
        if value is not None:
            usage[key] = value
    for key, value in raw.items():
        usage.setdefault(key.removeprefix("details."), value)
    return usage


def _count(value: Any) -> int | None:
    """A token count as the frameworks send it: a number, its text, or `{"intValue": n}` JSON."""
    value = parse_json(value) if isinstance(value, str) else value
    if isinstance(value, dict):
        value = value.get("intValue")
    if isinstance(value, bool):
        return None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError, OverflowError):  # not a count (inf overflows)
        return None


def _vercel_usage(attrs: Attributes, gen_ai: dict[str, Any]) -> dict[str, int]:
    """The Vercel AI SDK's usage (langfuse-api.md 4.4): input and output from `gen_ai.usage.*`
    (zero without them: the SDK's outer spans repeat their model calls' `ai.usage.*` input and
    output counts, which are not counted again), the total from `ai.usage.tokens` (an embedding's
    only count), cache and reasoning counts from `ai.usage.*` and then from the provider metadata
    (OpenAI, Anthropic, Bedrock), and input and output without them."""
    prompt = _first(gen_ai, "prompt_tokens", "input_tokens")
    completion = _first(gen_ai, "completion_tokens", "output_tokens")
    usage: dict[str, int | None] = {
        "input": prompt,
        "output": completion,
        "total": _count(attrs.get(_VERCEL_TOTAL)),
        "input_cached_tokens": _count(attrs.get(_VERCEL_CACHED)),
        "output_reasoning_tokens": _count(attrs.get(_VERCEL_REASONING)),
    }
    providers = json_object(attrs.values.get(_VERCEL_PROVIDER_METADATA))
    openai, anthropic, bedrock = [providers.get(name) for name in ("openai", "anthropic", "bedrock")]
    found: dict[str, Any] = {}
    if isinstance(openai, dict):
        found.update(
            input_cached_tokens=openai.get("cachedPromptTokens"),
            accepted_prediction_tokens=openai.get("acceptedPredictionTokens"),
            rejected_prediction_tokens=openai.get("rejectedPredictionTokens"),
            output_reasoning_tokens=openai.get("reasoningTokens"),
        )
    if isinstance(anthropic, dict) and isinstance(anthropic.get("usage"), dict):
        counts = anthropic["usage"]
        found["input_cache_creation"] = counts.get("cache_creation_input_tokens")
        found["input_cached_tokens"] = found.get("input_cached_tokens") or counts.get("cache_read_input_tokens")
        by_ttl = counts.get("cache_creation")
        if isinstance(by_ttl, dict):  # the 5-minute and 1-hour parts, counted once
            found["input_cache_creation_5m"] = by_ttl.get("ephemeral_5m_input_tokens")
            found["input_cache_creation_1h"] = by_ttl.get("ephemeral_1h_input_tokens")
    if isinstance(bedrock, dict) and isinstance(bedrock.get("usage"), dict):
        counts = bedrock["usage"]
        found["input_cache_read"] = counts.get("cacheReadInputTokens")
        found["input_cache_write"] = counts.get("cacheWriteInputTokens")
        found["input_cache_creation"] = found.get("input_cache_creation") or counts.get("cacheCreationInputTokens")
    for key, value in found.items():
        if usage.get(key) is None:
            usage[key] = _count(value)
    parts = {key: usage.get(key) or 0 for key in ("input_cache_creation_5m", "input_cache_creation_1h")}
    if (creation := usage.get("input_cache_creation")) is not None and any(parts.values()):
        usage["input_cache_creation"] = max(creation - sum(parts.values()), 0)
    cached = ("input_cached_tokens", "input_cache_creation", *parts, "input_cache_read")
    usage["input"] = max((usage["input"] or 0) - sum(usage.get(key) or 0 for key in cached), 0)
    usage["output"] = max((usage["output"] or 0) - (usage["output_reasoning_tokens"] or 0), 0)
    return usage_details_from({key: value for key, value in usage.items() if value is not None})


def _pydantic_ai_usage(gen_ai: dict[str, Any]) -> dict[str, int] | None:
    """Pydantic AI reports its counts twice, summed (`gen_ai.usage.input_tokens`) and as the
    provider gave them (`gen_ai.usage.details.*`): only the details are read, so nothing is
    counted twice (langfuse-api.md 4.4). None when it sent no details (older releases)."""
    if "details.input_tokens" not in gen_ai and "details.output_tokens" not in gen_ai:
        return None
    cache_read = gen_ai.get("details.cache_read_input_tokens", gen_ai.get("details.cache_read_tokens"))
    cache_write = gen_ai.get("cache_write_tokens", gen_ai.get("details.cache_creation_input_tokens"))
    usage = {
        "input": _count(gen_ai.get("details.input_tokens")),
        "output": _count(gen_ai.get("details.output_tokens")),
        "input_cache_read": _count(cache_read),
        "input_cache_creation": _count(cache_write),
    }
    return usage_details_from({key: value for key, value in usage.items() if value is not None})


def _first(raw: dict[str, Any], *keys: str) -> int | None:
    """The count of the first of `keys` that has one. Every one of them is taken out of `raw`:
    they are names of one count, which must not also pass through as counts of their own."""
    found = None
    for key in keys:
        if key in raw:
            value = raw.pop(key)
            if found is None:
                try:
                    found = int(value)
                except (TypeError, ValueError, OverflowError):  # not a count (inf overflows)
                    pass
    return found


def span_cost(attrs: Attributes) -> dict[str, str]:
    explicit = attrs.get(COST_DETAILS)
    if explicit is not None:
        return cost_details_from(json_object(explicit))
    total = attrs.get(_COST_TOTAL)
    return cost_details_from({"total": total}) if total is not None else {}


# The Vercel AI SDK's settings shown as model parameters, in Langfuse's names.
_VERCEL_PARAMETERS = (
    ("maxSteps", Keys("ai.settings.maxSteps")),
    ("toolChoice", Keys("ai.prompt.toolChoice")),
    ("maxTokens", Keys("gen_ai.request.max_tokens")),
    ("finishReason", Keys("gen_ai.response.finish_reasons", "gen_ai.finishReason")),
    ("system", Keys("gen_ai.system", "ai.model.provider")),
    ("maxRetries", Keys("ai.settings.maxRetries")),
    ("mode", Keys("ai.settings.mode")),
    ("temperature", Keys("gen_ai.request.temperature")),
)


def span_model_parameters(attrs: Attributes, scope_name: str) -> dict[str, Any] | None:
    """Langfuse's own parameters, else by framework: Genkit's config, the Vercel AI SDK's settings
    (with Langfuse's on top), OpenInference's invocation parameters, `model_config`, and last
    every `gen_ai.request.*` and `llm.invocation_parameters.*` key but the model. A JSON object
    that does not parse gives way to the next source."""
    explicit = _parameters_object(attrs, MODEL_PARAMETERS)
    if scope_name == "ai":  # as text, a list joined with commas (as JavaScript prints them)
        settings = [(name, attrs.get(lookup)) for name, lookup in _VERCEL_PARAMETERS]
        parameters = {name: js_string(value) for name, value in settings if value is not None}
        if (tier := _vercel_service_tier(attrs)) is not None:
            parameters["service_tier"] = tier  # pricing tiers read it (e.g. OpenAI's priority processing)
        return {**parameters, **(explicit or {})} or None
    if explicit is not None:
        return explicit or None
    if scope_name == GENKIT_SCOPE and (config := _genkit_config(attrs)):
        return _parameter_values(config)
    for lookup in (_INVOCATION_PARAMETERS, _MODEL_CONFIG):
        if (found := _parameters_object(attrs, lookup)) is not None:
            return found or None
    flattened = attrs.prefixed("gen_ai.request.", parse=False)
    if invocation := attrs.prefixed("llm.invocation_parameters.", parse=False):
        flattened = {**flattened, **invocation}
    flattened.pop("model", None)
    return _parameter_values(flattened) or None


def _parameters_object(attrs: Attributes, lookup: Keys) -> dict[str, Any] | None:
    """Model parameters given as one JSON object (or a key-value list), as Langfuse keeps them;
    None without one, or when it does not parse to an object."""
    value = attrs.get(lookup)
    parsed = parse_json(value) if isinstance(value, str) else value
    return _parameter_values(parsed) if isinstance(parsed, dict) else None


def _vercel_service_tier(attrs: Attributes) -> str | None:
    """The service tier OpenAI answered with (provider metadata), else the one requested."""
    openai = json_object(attrs.values.get(_VERCEL_PROVIDER_METADATA)).get("openai")
    if isinstance(openai, dict) and isinstance(openai.get("serviceTier"), str):
        return openai["serviceTier"]
    requested = attrs.get(_SERVICE_TIER)
    return js_string(requested) if requested is not None else None


_SERVICE_TIER = Keys("gen_ai.request.service_tier")


def _genkit_config(attrs: Attributes) -> dict[str, Any] | None:
    """A Genkit model call's settings: its request's `config`, else the one its response repeats."""
    config = json_object(attrs.values.get(GENKIT_INPUT.keys[0])).get("config")
    if not isinstance(config, dict):
        request = json_object(attrs.values.get(GENKIT_OUTPUT.keys[0])).get("request")
        config = request.get("config") if isinstance(request, dict) else None
    return config if isinstance(config, dict) else None


def _parameter_values(parameters: dict[str, Any]) -> dict[str, Any]:
    """Model parameters as Langfuse keeps them: numbers and text as they are, anything else as its
    JSON text (as JavaScript writes it)."""
    return {
        key: value if isinstance(value, (str, int, float)) and not isinstance(value, bool) else js_json(value)
        for key, value in parameters.items()
    }
