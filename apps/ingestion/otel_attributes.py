"""Span attributes as the OTLP mapping reads them: lookups of alternative keys, and what a key
list alone decides, worked out once per distinct key list.

Speed: a request carries up to hundreds of spans, and nearly all of them share a few attribute
key lists. What depends on the keys alone (which of the known keys a span has, which keys fall
under a prefix, which are flattened messages) is worked out once per distinct key list and
cached as a `_Plan`; per span only the values of keys it actually has are looked at.
"""

import re
from dataclasses import dataclass
from typing import Any

import msgspec

from apps.ingestion.events import MAX_DEPTH, too_deep
from apps.ingestion.otel_decode import OtelSpan

MODEL_KEYS = (
    "langfuse.observation.model.name",
    "gen_ai.response.model",
    "ai.model.id",
    "gen_ai.request.model",
    "llm.response.model",
    "llm.model_name",
    "model",
)


# The model keys that make a span without a declared type a generation (langfuse-api.md 4.5, rule
# 10): all but `ai.model.id`, which the Vercel AI SDK also puts on its outer spans (their
# `doGenerate`/`doStream` children are the generations), and `llm.response.model`.
GENERATION_MODEL_KEYS = tuple(key for key in MODEL_KEYS if key not in ("ai.model.id", "llm.response.model"))


TOOL_KEYS = ("gen_ai.tool.name", "gen_ai.tool.call.id")


# The compatibility keys of user, session and tags: metadata keys that older SDK integrations
# (LangChain callbacks, Vercel AI telemetry) used for them.
COMPAT_USER_KEYS = (
    "langfuse.observation.metadata.langfuse_user_id",
    "langfuse.trace.metadata.langfuse_user_id",
    "ai.telemetry.metadata.userId",
)


COMPAT_SESSION_KEYS = (
    "langfuse.observation.metadata.langfuse_session_id",
    "langfuse.trace.metadata.langfuse_session_id",
    "ai.telemetry.metadata.sessionId",
)


COMPAT_TAG_KEYS = (
    "langfuse.observation.metadata.langfuse_tags",
    "langfuse.trace.metadata.langfuse_tags",
    "ai.telemetry.metadata.tags",
)


_TRACE_LEVEL_KEYS = (
    "langfuse.trace.name",
    "langfuse.trace.input",
    "langfuse.trace.output",
    "langfuse.trace.tags",
    "langfuse.trace.public",
    "user.id",
    "session.id",
    "langfuse.user.id",
    "langfuse.session.id",
    "tag.tags",
    *COMPAT_USER_KEYS,
    *COMPAT_SESSION_KEYS,
    *COMPAT_TAG_KEYS,
)


_FLATTENED = re.compile(r"^(gen_ai\.(prompt|completion)|llm\.(input|output)_messages)\.(\d+)\.(.+)$")


_FLATTENED_STARTS = ("gen_ai.prompt.", "gen_ai.completion.", "llm.input_messages.", "llm.output_messages.")


# The family `_messages` is asked for, by the regex's first group.
_MESSAGE_FAMILY = {
    "gen_ai.prompt": "gen_ai.prompt",
    "gen_ai.completion": "gen_ai.completion",
    "llm.input_messages": "llm.input",
    "llm.output_messages": "llm.output",
}


_PREFIXES = (
    "gen_ai.usage.",
    "llm.token_count.",
    "gen_ai.request.",
    "llm.invocation_parameters.",
    "langfuse.trace.metadata.",
    "langfuse.observation.metadata.",
    "langfuse.metadata.",
    "ai.telemetry.metadata.",
)


class Keys:
    """Alternative attribute keys for one value, in precedence order: the first with a value wins.

    Hashed by identity, so a plan indexes its lookups cheaply; each instance registers itself
    under its keys in `_LOOKUPS_BY_KEY`, so every plan covers every lookup.
    """

    __slots__ = ("keys",)

    def __init__(self, *keys: str) -> None:
        self.keys = keys
        for key in keys:
            _LOOKUPS_BY_KEY.setdefault(key, []).append(self)


_LOOKUPS_BY_KEY: dict[str, list["Keys"]] = {}


@dataclass(slots=True, frozen=True)
class _Plan:
    """What a span's attribute keys alone decide, worked out once per distinct key list."""

    # Lookup -> the keys of it that the span has, in precedence order (lookups it has none of are absent).
    present: dict[Keys, tuple[str, ...]]
    # Prefix -> (key, key without the prefix) for the span's keys longer than the prefix, in span order.
    prefixed: dict[str, list[tuple[str, str]]]
    # Message family -> (key, index digits, field) of its flattened keys, in span order.
    flattened: dict[str, list[tuple[str, str, str]]]
    # The observation type when no attribute value names one: from which keys are present.
    fallback_type: str
    # Whether any trace-level key is present (a non-root span then also updates its trace).
    has_trace_keys: bool


def _build_plan(keys: tuple[str, ...]) -> _Plan:
    """One pass over the keys (built for every span whose key list is new, so kept cheap)."""
    key_set = set(keys)
    lookups = {lookup for key in key_set.intersection(_LOOKUPS_BY_KEY) for lookup in _LOOKUPS_BY_KEY[key]}
    present = {lookup: tuple(key for key in lookup.keys if key in key_set) for lookup in lookups}
    prefixed: dict[str, list[tuple[str, str]]] = {}
    flattened: dict[str, list[tuple[str, str, str]]] = {}
    for key in keys:
        if key.startswith(_PREFIXES):
            for prefix in _PREFIXES:
                if key.startswith(prefix) and len(key) > len(prefix):
                    prefixed.setdefault(prefix, []).append((key, key[len(prefix) :]))
        elif key.startswith(_FLATTENED_STARTS) and (match := _FLATTENED.match(key)):
            family = _MESSAGE_FAMILY[match.group(1)]
            flattened.setdefault(family, []).append((key, match.group(4), match.group(5)))
    if any(key in key_set for key in TOOL_KEYS):
        fallback_type = "TOOL"
    elif any(key in key_set for key in GENERATION_MODEL_KEYS):
        fallback_type = "GENERATION"
    else:
        fallback_type = "SPAN"
    return _Plan(
        present=present,
        prefixed=prefixed,
        flattened=flattened,
        fallback_type=fallback_type,
        has_trace_keys=any(key in key_set for key in _TRACE_LEVEL_KEYS),
    )


# Plans by key list. Bounded in count and in key size, so arbitrary keys cannot grow memory.
_PLANS: dict[tuple[str, ...], _Plan] = {}


_MAX_PLANS = 512


_MAX_CACHED_KEY_CHARS = 4096


def _plan_for(attributes: dict[str, Any]) -> _Plan:
    """The plan of these attributes' key list (in order: it orders prefixed and flattened keys)."""
    keys = tuple(attributes)
    plan = _PLANS.get(keys)
    if plan is None:
        plan = _build_plan(keys)
        if sum(map(len, keys)) <= _MAX_CACHED_KEY_CHARS:
            if len(_PLANS) >= _MAX_PLANS:
                _PLANS.clear()
            _PLANS[keys] = plan
    return plan


# What JSON text can start with (after whitespace). Plain text like a model name starts otherwise,
# and is returned at once instead of through a DecodeError, which costs more than a decoding.
_JSON_STARTS = frozenset(' \t\n\r-0123456789ftn"[{')


def parse_json(value: Any) -> Any:
    """JSON text parsed when it parses (and nests sanely); anything else unchanged."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] not in _JSON_STARTS and value.isascii():  # ASCII: nothing but a DecodeError to expect
        return value
    try:
        parsed = msgspec.json.decode(value)
    except (msgspec.DecodeError, RecursionError):
        return value
    # Nesting deeper than the limit needs at least that many brackets: count before walking.
    if value.count("{") + value.count("[") > MAX_DEPTH and too_deep(parsed):
        return value
    return parsed


# Below this size a document is parsed: the saving is too small to matter.
_PASSTHROUGH_MIN_CHARS = 200


def json_document(value: Any) -> Any:
    """An input or output given as JSON text: an array or object kept as its text
    (`msgspec.Raw`), else `parse_json(value)`.

    Parsing a message list only to encode it again for the write was about a tenth of the web CPU
    of an OTLP request. PostgreSQL parses the text into jsonb anyway, so it is the one that
    checks it: text it refuses makes the writer redo the write the careful way, which parses
    every such text and keeps what does not parse as a string, as `parse_json` would
    (`apps.ingestion.writer.parsed_document`). Fewer brackets than MAX_DEPTH: it cannot nest deeper.
    """
    if (
        isinstance(value, str)
        and len(value) >= _PASSTHROUGH_MIN_CHARS
        and value[0] in "[{"
        and value.count("{") + value.count("[") <= MAX_DEPTH
    ):
        return msgspec.Raw(value.encode())
    return parse_json(value)


class Attributes:
    """Span attributes with the keys read so far remembered, so the rest can go to metadata.

    A value that is None or an empty string counts as absent (its key is not consumed either).
    """

    __slots__ = ("values", "resource", "plan", "present", "used")

    def __init__(self, span: OtelSpan) -> None:
        self.values = span.attributes
        self.resource = span.resource
        self.plan = _plan_for(span.attributes)
        self.present = self.plan.present  # read by every get()
        self.used: set[str] = set()

    def get(self, lookup: Keys) -> Any:
        """The value of the lookup's first key that has one; that key is consumed."""
        keys = self.present.get(lookup)
        if keys is None:
            return None
        values = self.values
        for key in keys:
            value = values[key]
            if value is not None and value != "":
                self.used.add(key)
                return value
        return None

    def get_or_resource(self, lookup: Keys) -> Any:
        """Key by key, the span's value and then the resource's (a resource value consumes nothing)."""
        if lookup not in self.present:
            resource = self.resource
            for key in lookup.keys:
                value = resource.get(key)
                if value is not None and value != "":
                    return value
            return None
        values, resource = self.values, self.resource
        for key in lookup.keys:
            value = values.get(key)
            if value is not None and value != "":
                self.used.add(key)
                return value
            value = resource.get(key)
            if value is not None and value != "":
                return value
        return None

    def prefixed(self, prefix: str, *, parse: bool = True) -> dict[str, Any]:
        """Every key under `prefix` (consumed, whatever its value), by the rest of the key, JSON
        parsed unless `parse` is false."""
        entries = self.plan.prefixed.get(prefix)
        if entries is None:
            return {}
        values, used = self.values, self.used
        found = {}
        for key, name in entries:
            used.add(key)
            found[name] = parse_json(values[key]) if parse else values[key]
        return found

    def rest(self) -> dict[str, Any]:
        used = self.used
        if len(used) == len(self.values):  # every key consumed (the common case for Langfuse SDK spans)
            return {}
        return {k: v for k, v in self.values.items() if k not in used}


def json_object(value: Any) -> dict[str, Any]:
    parsed = parse_json(value)
    return parsed if isinstance(parsed, dict) else {}


# Instrumentation scopes and keys that more than one part of the mapping reads.
GENKIT_SCOPE = "genkit-tracer"
GENKIT_INPUT = Keys("genkit:input")
GENKIT_OUTPUT = Keys("genkit:output")
VERTEX_ADK_SCOPE = "gcp.vertex.agent"
VERTEX_RESPONSE = "gcp.vertex.agent.llm_response"
