"""OTLP span -> entity event mapping, without a database: precedence rules the endpoint tests do not pin."""

import json
from datetime import UTC, datetime

import pytest

from apps.ingestion.otel_decode import _millis_datetime, decode_protobuf
from apps.ingestion.otel_mapping import spans_to_events
from tests.ingestion.otlp import protobuf_request

pytestmark = pytest.mark.core

TRACE = "0af7651916cd43dd8448eb211c80319c"
RECEIVED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _span(span_id: str, attributes: dict, **extra) -> dict:
    return {"trace_id": TRACE, "span_id": span_id, "parent": "f" * 16, "attributes": attributes, **extra}


def _observations(spans: list[dict], **request) -> dict[str, dict]:
    events, failed = spans_to_events(decode_protobuf(protobuf_request(spans, **request)), received=RECEIVED)
    assert failed == []
    return {e.id: e.fields for e in events if e.kind == "observation"}


def test_environment_is_looked_up_key_by_key_on_the_span_then_the_resource():
    """Langfuse checks each environment key on the span and then on the resource before the next key,
    so a resource's `langfuse.environment` beats a span's `deployment.environment.name`."""
    spans = [
        _span("1" * 16, {"deployment.environment.name": "span-env"}),
        _span("2" * 16, {"langfuse.environment": "", "deployment.environment.name": "span-env"}),
        _span("3" * 16, {"langfuse.environment": "Own-Env"}),
    ]
    observations = _observations(spans, resource={"langfuse.environment": "resource-env"})
    assert [observations[s["span_id"]]["environment"] for s in spans] == ["resource-env", "resource-env", "own-env"]
    assert _observations(spans[:1], resource={"deployment.environment": "other"})["1" * 16]["environment"] == "span-env"


def test_an_empty_value_is_absent_and_its_key_stays_in_the_metadata():
    """Two spans with the same keys: what is consumed depends on the values, not on the key list."""
    keys = ("langfuse.observation.input", "input.value", "custom.flag")
    spans = [
        _span("1" * 16, dict(zip(keys, ["", "from-openinference", True], strict=True))),
        _span("2" * 16, dict(zip(keys, ["from-langfuse", "unused", True], strict=True))),
    ]
    observations = _observations(spans, scope="my-app")
    first, second = observations["1" * 16], observations["2" * 16]
    assert first["input"] == "from-openinference"
    assert first["metadata"]["attributes"] == {"langfuse.observation.input": "", "custom.flag": True}
    assert second["input"] == "from-langfuse"
    assert second["metadata"]["attributes"] == {"input.value": "unused", "custom.flag": True}


def test_response_model_beats_request_model_which_is_not_a_parameter():
    spans = [
        _span(
            "1" * 16,
            {
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.response.model": "gpt-4o-2024-08-06",
                "gen_ai.request.temperature": 0.1,
                "gen_ai.request.stop_sequences": ["\n"],
            },
        )
    ]
    fields = _observations(spans, scope="my-app")["1" * 16]
    assert fields["type"] == "GENERATION" and fields["model"] == "gpt-4o-2024-08-06"
    assert fields["model_parameters"] == {"temperature": 0.1, "stop_sequences": '["\\n"]'}
    assert "attributes" not in fields["metadata"]


def test_flattened_messages_are_rebuilt_as_langfuse_rebuilds_them():
    """By index, values as sent, missing indexes null, nested paths (tool calls) as nested lists
    and objects, OpenInference's `message.` level kept; an index past the slots left stays in the
    metadata."""
    spans = [
        _span(
            "1" * 16,
            {
                "gen_ai.prompt.2.role": "user",
                "gen_ai.prompt.2.content": "second",
                "gen_ai.prompt.0.message.role": "system",
                "gen_ai.prompt.0.message.content": '{"text": "first"}',
                "gen_ai.prompt.10001.content": "beyond",
                "gen_ai.completion.0.role": "assistant",
                "gen_ai.completion.0.tool_calls.0.name": "weather",
                "gen_ai.completion.0.tool_calls.0.arguments": '{"city": "Tokyo"}',
                "gen_ai.completion.0.tool_calls.1.name": "clock",
            },
        )
    ]
    fields = _observations(spans, scope="my-app")["1" * 16]
    assert fields["input"] == [
        {"message": {"role": "system", "content": '{"text": "first"}'}},
        None,
        {"role": "user", "content": "second"},
    ]
    assert fields["output"] == [
        {"role": "assistant", "tool_calls": [{"name": "weather", "arguments": '{"city": "Tokyo"}'}, {"name": "clock"}]}
    ]
    assert fields["metadata"]["attributes"] == {"gen_ai.prompt.10001.content": "beyond"}


def _events(spans: list[dict], **request) -> tuple[dict[str, dict], dict[str, dict]]:
    """(observation fields by span id, trace event fields by span id) of the spans."""
    events, failed = spans_to_events(decode_protobuf(protobuf_request(spans, **request)), received=RECEIVED)
    assert failed == []
    by_kind: dict[str, dict[str, dict]] = {"observation": {}, "trace": {}}
    for event in events:
        by_kind[event.kind][event.envelope_id] = event.fields
    return by_kind["observation"], by_kind["trace"]


def test_the_app_root_span_names_the_trace_and_gives_its_io_even_under_an_unexported_parent():
    """SDK v5 sends no `langfuse.trace.input/output`; its outermost span (`is_app_root`) carries
    them, and under a web framework's request span it has a parent that is never exported."""
    io = {"langfuse.observation.input": '{"q": "hi"}', "langfuse.observation.output": '"hello"'}
    spans = [
        _span("1" * 16, {**io, "langfuse.internal.is_app_root": True}, name="chat-handler"),
        _span("2" * 16, dict(io), name="inner"),
    ]
    _, traces = _events(spans)
    assert traces["1" * 16]["name"] == "chat-handler"
    assert traces["1" * 16]["input"] == {"q": "hi"} and traces["1" * 16]["output"] == "hello"
    assert "2" * 16 not in traces  # a plain child carries no trace data


def test_as_root_makes_a_child_span_the_trace_root():
    _, traces = _events([_span("1" * 16, {"langfuse.internal.as_root": "true"}, name="root-by-flag")])
    assert traces["1" * 16]["name"] == "root-by-flag"


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        (
            {
                "langfuse.observation.metadata.langfuse_user_id": "u-1",
                "langfuse.observation.metadata.langfuse_session_id": "s-1",
                "langfuse.observation.metadata.langfuse_tags": '["a", "b"]',
            },
            {"user_id": "u-1", "session_id": "s-1", "tags": ["a", "b"]},
        ),
        (
            {"langfuse.trace.metadata.langfuse_user_id": "u-2", "langfuse.trace.metadata.langfuse_session_id": "s-2"},
            {"user_id": "u-2", "session_id": "s-2"},
        ),
        (
            {"ai.telemetry.metadata.userId": "u-3", "ai.telemetry.metadata.sessionId": "s-3"},
            {"user_id": "u-3", "session_id": "s-3"},
        ),
        ({"ai.telemetry.metadata.tags": ["x"]}, {"tags": ["x"]}),
        ({"tag.tags": ["openinference"]}, {"tags": ["openinference"]}),
        ({"user.id": "u-4", "langfuse.observation.metadata.langfuse_user_id": "ignored"}, {"user_id": "u-4"}),
    ],
)
def test_compatibility_keys_of_user_session_and_tags_update_the_trace_from_a_child_span(attributes, expected):
    _, traces = _events([_span("1" * 16, attributes)], scope="my-app")
    assert {name: traces["1" * 16].get(name) for name in expected} == expected


def test_vercel_ai_telemetry_metadata_goes_to_the_metadata_except_what_is_read_as_fields():
    attributes = {
        "gen_ai.request.model": "gpt-4o",
        "ai.telemetry.metadata.userId": "u-1",
        "ai.telemetry.metadata.tenant": "acme",
        "ai.telemetry.metadata.langfusePrompt": '{"name": "greeting", "version": 3}',
    }
    observations, _ = _events([_span("1" * 16, attributes)], scope="ai")
    fields = observations["1" * 16]
    assert fields["metadata"]["tenant"] == "acme"
    assert not {"userId", "langfusePrompt"} & set(fields["metadata"])
    assert "attributes" not in fields["metadata"]  # every key was consumed
    assert (fields["prompt_name"], fields["prompt_version"]) == ("greeting", 3)


def test_a_prompt_is_linked_to_generations_only():
    link = {"langfuse.observation.prompt.name": "p", "langfuse.observation.prompt.version": 2}
    observations, _ = _events(
        [
            _span("1" * 16, {**link, "langfuse.observation.type": "generation"}),
            _span("2" * 16, {**link, "langfuse.observation.type": "span"}),
        ]
    )
    assert (observations["1" * 16]["prompt_name"], observations["1" * 16]["prompt_version"]) == ("p", 2)
    assert "prompt_name" not in observations["2" * 16]


LLM = {"langfuse.observation.type": "generation"}


def test_model_parameters_fall_back_to_model_config_then_flattened_invocation_parameters():
    observations, _ = _events(
        [
            _span("1" * 16, {**LLM, "model_config": '{"temperature": 0.2}', "llm.invocation_parameters.top_p": 0.9}),
            _span("2" * 16, {**LLM, "llm.invocation_parameters.top_p": 0.9, "llm.invocation_parameters.model": "x"}),
        ],
        scope="my-app",
    )
    assert observations["1" * 16]["model_parameters"] == {"temperature": 0.2}
    assert observations["2" * 16]["model_parameters"] == {"top_p": 0.9}


@pytest.mark.parametrize(
    ("events", "expected_in", "expected_out"),
    [
        (
            [
                {
                    "name": "gen_ai.client.inference.operation.details",
                    "attributes": {
                        "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]',
                        "gen_ai.output.messages": '[{"role": "assistant", "parts": []}]',
                        "gen_ai.system_instructions": '[{"type": "text", "content": "be brief"}]',
                    },
                },
                {"name": "gen_ai.user.message", "attributes": {"content": "ignored: details come first"}},
            ],
            [
                {"role": "system", "content": "be brief"},  # the parts' text, as Langfuse shows it
                {"role": "user", "parts": [{"type": "text", "content": "hi"}]},
            ],
            [{"role": "assistant", "parts": []}],
        ),
        (
            [
                {"name": "gen_ai.system.message", "attributes": {"content": "sys"}},
                {"name": "gen_ai.user.message", "attributes": {"content": "question"}},
                {"name": "gen_ai.choice", "attributes": {"index": 0, "message": '{"content": "answer"}'}},
            ],
            [{"role": "system", "content": "sys"}, {"role": "user", "content": "question"}],
            {"index": 0, "message": {"content": "answer"}},
        ),
        (
            [
                {
                    "name": "gen_ai.content.prompt",
                    "attributes": {"gen_ai.prompt": '[{"role": "user", "content": "q"}]'},
                },
                {"name": "gen_ai.content.completion", "attributes": {"gen_ai.completion": '"a"'}},
            ],
            [{"role": "user", "content": "q"}],
            "a",
        ),
    ],
)
def test_generation_io_from_span_events(events, expected_in, expected_out):
    observations, _ = _events([_span("1" * 16, {"gen_ai.request.model": "m"}, events=events)], scope="my-app")
    fields = observations["1" * 16]
    assert (fields["input"], fields["output"]) == (expected_in, expected_out)
    assert "events" not in fields["metadata"]  # GenAI message events are read, not kept


def test_other_span_events_such_as_exceptions_are_kept_in_the_metadata():
    exception = {"exception.type": "ValueError", "exception.message": "bad input"}
    spans = [_span("1" * 16, {}, events=[{"name": "exception", "time_ms": 5, "attributes": exception}])]
    fields = _observations(spans, scope="my-app")["1" * 16]
    (event,) = fields["metadata"]["events"]
    assert event["name"] == "exception" and event["attributes"] == exception
    assert event["time"] == "2026-11-28T10:50:32.620000+00:00"  # the span's start + 5 ms


def test_input_attributes_win_over_span_events():
    events = [{"name": "gen_ai.user.message", "attributes": {"content": "from-event"}}]
    spans = [_span("1" * 16, {"gen_ai.input.messages": '[{"role": "user", "content": "attr"}]'}, events=events)]
    assert _observations(spans, scope="my-app")["1" * 16]["input"] == [{"role": "user", "content": "attr"}]


def test_system_instructions_are_prepended_to_input_messages():
    attributes = {"gen_ai.input.messages": '[{"role": "user", "content": "q"}]', "gen_ai.system_instructions": "sys"}
    fields = _observations([_span("1" * 16, attributes)], scope="my-app")["1" * 16]
    assert fields["input"] == [{"role": "system", "content": "sys"}, {"role": "user", "content": "q"}]


@pytest.mark.parametrize(
    ("declared", "status_error", "expected"),
    [
        ("TRACE", False, "DEBUG"),
        ("verbose", False, "DEBUG"),
        ("INFO", False, "DEFAULT"),
        ("ok", False, "DEFAULT"),
        ("WARN", False, "WARNING"),
        ("FATAL", False, "ERROR"),
        ("critical", False, "ERROR"),
        ("nonsense", True, "ERROR"),
        (None, True, "ERROR"),
        (None, False, "DEFAULT"),
    ],
)
def test_level_aliases_then_the_span_status(declared, status_error, expected):
    attributes = {"langfuse.observation.level": declared} if declared else {}
    spec = _span("1" * 16, attributes, **({"error": "boom"} if status_error else {}))
    assert _observations([spec])["1" * 16]["level"] == expected


def test_completion_start_is_kept_to_the_millisecond_like_the_span_times():
    attributes = {**LLM, "langfuse.observation.completion_start_time": '"2026-11-28T10:50:32.625999Z"'}
    fields = _observations([_span("1" * 16, attributes)])["1" * 16]
    assert fields["completion_start_time"].isoformat() == "2026-11-28T10:50:32.625000+00:00"


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"gen_ai.request.model": "gpt-4o"}, "GENERATION"),
        ({"llm.model_name": "gpt-4o"}, "GENERATION"),
        ({"ai.model.id": "gpt-4o", "ai.operationId": "ai.generateText"}, "SPAN"),  # Vercel's outer span
        ({"gen_ai.tool.name": "search", "gen_ai.request.model": "gpt-4o"}, "TOOL"),
        ({}, "SPAN"),
    ],
)
def test_the_type_of_a_span_without_a_declared_type_comes_from_its_keys(attributes, expected):
    fields = _observations([_span("1" * 16, attributes)], scope="my-app")["1" * 16]
    assert fields["type"] == expected
    if expected == "SPAN":  # as in Langfuse, a span has no model: it is neither tokenized nor priced
        assert "model" not in fields


def test_only_the_root_spans_trace_event_carries_resource_and_scope():
    spans = [
        _span("1" * 16, {"langfuse.trace.metadata.team": "web"}, parent=None),
        _span("2" * 16, {"langfuse.trace.metadata.team": "web"}),  # a child with trace data
    ]
    _, traces = _events(spans, resource={"service.name": "api"}, scope="my-app")
    assert traces["1" * 16]["metadata"] == {
        "team": "web",
        "resourceAttributes": {"service.name": "api"},
        "scope": {"name": "my-app", "version": "5.0.4", "attributes": {}},
    }
    assert traces["2" * 16]["metadata"] == {"team": "web"}


@pytest.mark.parametrize(
    ("attributes", "expected_in", "expected_out"),
    [
        (  # Vercel AI SDK, a doGenerate span
            {
                "ai.prompt.messages": '[{"role": "user", "content": [{"type": "text", "text": "hi"}]}]',
                "ai.response.text": "hello",
                "gen_ai.request.model": "gpt-4o",
            },
            [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
            "hello",
        ),
        (  # Vercel AI SDK: a tool call answered by tool calls, and a tool span
            {"ai.prompt": '{"prompt": "weather?"}', "ai.response.toolCalls": '[{"toolName": "weather"}]'},
            {"prompt": "weather?"},
            [{"toolName": "weather"}],
        ),
        ({"ai.toolCall.args": '{"city": "Tokyo"}', "ai.toolCall.result": '"sunny"'}, {"city": "Tokyo"}, "sunny"),
        ({"pydantic_ai.all_messages": '[{"role": "user"}]', "final_result": '"done"'}, [{"role": "user"}], "done"),
        ({"tool_arguments": '{"x": 1}', "tool_response": "ok"}, {"x": 1}, "ok"),
        (  # Langfuse's own keys win over any framework's
            {"langfuse.observation.input": '"mine"', "ai.prompt.messages": "[]", "ai.response.text": "theirs"},
            "mine",
            "theirs",
        ),
    ],
)
def test_framework_input_and_output_keys(attributes, expected_in, expected_out):
    fields = _observations([_span("1" * 16, attributes)], scope="ai")["1" * 16]
    assert (fields.get("input"), fields.get("output")) == (expected_in, expected_out)


def test_vercel_ai_sdk_names_and_time_to_first_chunk():
    attributes = {
        "ai.telemetry.functionId": "support-chat",
        "ai.operationId": "ai.streamText.doStream",
        "ai.response.msToFirstChunk": 250.7,
        "gen_ai.request.model": "gpt-4o",
    }
    fields = _observations([_span("1" * 16, attributes, start_ms=0)], scope="ai")["1" * 16]
    assert fields["name"] == "support-chat:ai.streamText.doStream"
    assert (fields["completion_start_time"] - fields["start_time"]).total_seconds() == 0.251  # rounded up
    others = [
        _span("2" * 16, {**LLM, "ai.stream.msToFirstChunk": "not a number", "ai.operationId": "ai.streamText"}),
        _span("3" * 16, {**LLM, "ai.stream.msToFirstChunk": 0}),  # no first chunk
    ]
    found = _observations(others, scope="ai")
    assert "completion_start_time" not in found["2" * 16] and "completion_start_time" not in found["3" * 16]
    assert found["2" * 16]["name"] == "ai.streamText"  # the operation alone without a function id


def test_version_and_level_as_langfuse_reads_them():
    spans = [
        _span("1" * 16, {"langfuse.observation.level": " warning "}),
        _span("2" * 16, {"service.version": "span-version"}),
        _span("3" * 16, {"langfuse.version": "v2"}),
    ]
    found = _observations(spans, resource={"service.version": "1.4", "langfuse.version": "resource"})
    assert found["1" * 16]["level"] == "WARNING"
    assert [found[c * 16]["version"] for c in "123"] == ["1.4", "1.4", "v2"]


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"genkit:metadata:subtype": "model"}, "GENERATION"),
        ({"genkit:metadata:subtype": "embedder"}, "EMBEDDING"),
        ({"genkit:metadata:subtype": "tool.v2"}, "TOOL"),
        ({"genkit:metadata:subtype": "retriever"}, "RETRIEVER"),
        ({"ai.operationId": "ai.streamText.doStream", "ai.model.id": "gpt-4o"}, "GENERATION"),
        ({"ai.operationId": "ai.generateText.doGenerate"}, "SPAN"),  # no model named: not the model call
        ({"operation.name": "ai.embedMany.doEmbed my-fn", "ai.model.id": "text-embedding-3-small"}, "EMBEDDING"),
        ({"operation.name": "ai.embedMany.doEmbed"}, "SPAN"),  # no model named, as in Langfuse
        ({"operation.name": "ai.toolCall weather"}, "TOOL"),  # the function id appended
        ({"ai.toolCall.name": "weather"}, "SPAN"),  # without its operation
        ({"gen_ai.request.model": "", "gen_ai.tool.name": ""}, "SPAN"),  # empty values say nothing
        ({"ai.operationId": "ai.toolCall"}, "TOOL"),
        ({"ai.operationId": "ai.generateText", "ai.model.id": "gpt-4o"}, "SPAN"),  # the outer span
        ({"langfuse.observation.type": "agent", "ai.operationId": "ai.toolCall"}, "AGENT"),  # declared wins
    ],
)
def test_genkit_and_vercel_ai_sdk_types(attributes, expected):
    assert _observations([_span("1" * 16, attributes)], scope="ai")["1" * 16]["type"] == expected


def test_vercel_ai_sdk_agent_spans_carry_no_model_usage_or_cost_so_nothing_is_counted_twice():
    attributes = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 120,
        "gen_ai.usage.cost": 0.5,
    }
    agent = _observations([_span("1" * 16, attributes)], scope="ai")["1" * 16]
    assert agent["type"] == "AGENT"
    assert not {"model", "provided_usage_details", "provided_cost_details"} & set(agent)
    other = _observations([_span("2" * 16, attributes)], scope="my-agents")["2" * 16]  # not Vercel's
    assert other["model"] == "gpt-4o" and other["provided_usage_details"] == {"input": 120}


def test_nan_and_infinite_doubles_are_kept_as_javascript_prints_them():
    from apps.ingestion.otel_decode import decode_json

    attributes = [
        {"key": "score.nan", "value": {"doubleValue": "NaN"}},
        {"key": "score.inf", "value": {"doubleValue": "-Infinity"}},
        {"key": "score.ok", "value": {"doubleValue": 0.5}},
    ]
    body = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "scope": {"name": "my-app"},
                        "spans": [
                            {
                                "traceId": TRACE,
                                "spanId": "1" * 16,
                                "name": "s",
                                "startTimeUnixNano": "1795863032615000000",
                                "attributes": attributes,
                            }
                        ],
                    }
                ]
            }
        ]
    }
    (span,) = decode_json(json.dumps(body).encode())
    assert span.attributes == {"score.nan": "NaN", "score.inf": "-Infinity", "score.ok": 0.5}
    pb = decode_protobuf(protobuf_request([_span("2" * 16, {"x": float("nan"), "y": float("inf")})]))
    assert pb[0].attributes == {"x": "NaN", "y": "Infinity"}


def _usage(attributes: dict, scope: str, observation_type: str | None = "generation") -> dict | None:
    """The usage of a span of `observation_type` (None: the type its keys give it)."""
    if observation_type is not None:
        attributes = {"langfuse.observation.type": observation_type, **attributes}
    return _observations([_span("1" * 16, attributes)], scope=scope)["1" * 16].get("provided_usage_details")


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        # AI SDK 4: prompt/completion names; the total from ai.usage.tokens.
        (
            {"gen_ai.usage.prompt_tokens": 120, "gen_ai.usage.completion_tokens": 40, "ai.usage.tokens": 160},
            {"input": 120, "output": 40, "total": 160},
        ),
        # AI SDK 5: cached and reasoning counts come off input and output.
        (
            {
                "gen_ai.usage.input_tokens": 1000,
                "gen_ai.usage.output_tokens": 300,
                "ai.usage.cachedInputTokens": 800,
                "ai.usage.reasoningTokens": '{"intValue": 100}',
            },
            {"input": 200, "output": 200, "input_cached_tokens": 800, "output_reasoning_tokens": 100},
        ),
        # OpenAI provider metadata, where ai.usage.* says nothing.
        (
            {
                "gen_ai.usage.input_tokens": 500,
                "gen_ai.usage.output_tokens": 50,
                "ai.response.providerMetadata": json.dumps(
                    {"openai": {"cachedPromptTokens": 300, "reasoningTokens": 20, "acceptedPredictionTokens": 5}}
                ),
            },
            {
                "input": 200,
                "output": 30,
                "input_cached_tokens": 300,
                "output_reasoning_tokens": 20,
                "accepted_prediction_tokens": 5,
            },
        ),
        # Anthropic: cache reads and writes, the writes split by time to live and counted once.
        (
            {
                "gen_ai.usage.input_tokens": 18495,
                "gen_ai.usage.output_tokens": 445,
                "ai.response.providerMetadata": json.dumps(
                    {
                        "anthropic": {
                            "usage": {
                                "cache_creation_input_tokens": 2089,
                                "cache_read_input_tokens": 16399,
                                "cache_creation": {"ephemeral_5m_input_tokens": 2000, "ephemeral_1h_input_tokens": 89},
                            }
                        }
                    }
                ),
            },
            {
                "input": 7,
                "output": 445,
                "input_cached_tokens": 16399,
                "input_cache_creation": 0,
                "input_cache_creation_5m": 2000,
                "input_cache_creation_1h": 89,
            },
        ),
        # Bedrock.
        (
            {
                "gen_ai.usage.input_tokens": 5000,
                "gen_ai.usage.output_tokens": 10,
                "ai.response.providerMetadata": json.dumps(
                    {"bedrock": {"usage": {"cacheReadInputTokens": 4482, "cacheWriteInputTokens": 7}}}
                ),
            },
            {"input": 518, "output": 10, "input_cache_read": 4482, "input_cache_write": 7},
        ),
        # Input and output are gen_ai.usage's only (outer spans repeat their calls' ai.usage.* counts):
        # without them zero, and the total from ai.usage.tokens (an embedding's only count).
        (
            {"ai.usage.promptTokens": 120, "ai.usage.completionTokens": 40, "ai.usage.tokens": 160},
            {"input": 0, "output": 0, "total": 160},
        ),
    ],
)
def test_vercel_ai_sdk_usage(attributes, expected):
    assert _usage(attributes, "ai") == expected


def test_vercel_ai_sdk_outer_spans_are_not_priced_and_embeddings_are():
    """The outer span of a call repeats its model call's usage: a span, without model or usage (as
    in Langfuse), so the call is priced once. An embedding's total prices it."""
    outer = {"ai.operationId": "ai.generateText", "ai.model.id": "gpt-4o", "ai.usage.tokens": 160}
    outer |= {"gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 40, "ai.prompt": '{"prompt": "hi"}'}
    fields = _observations([_span("1" * 16, outer)], scope="ai")["1" * 16]
    assert fields["type"] == "SPAN" and fields["input"] == {"prompt": "hi"}
    assert not {"model", "provided_usage_details", "model_parameters"} & set(fields)
    embed = {"ai.operationId": "ai.embed.doEmbed", "ai.model.id": "text-embedding-3-small", "ai.usage.tokens": 8}
    fields = _observations([_span("2" * 16, embed)], scope="ai")["2" * 16]
    assert fields["type"] == "EMBEDDING" and fields["model"] == "text-embedding-3-small"
    assert fields["provided_usage_details"] == {"input": 0, "output": 0, "total": 8}


def test_vercel_ai_sdk_usage_keys_are_read_only_from_its_own_scope():
    attributes = {
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 300,
        "ai.usage.cachedInputTokens": 800,
    }
    assert _usage(attributes, "my-instrumentation") == {"input": 1000, "output": 300}


def test_pydantic_ai_usage_reads_the_details_only_so_nothing_is_counted_twice():
    attributes = {
        "gen_ai.usage.input_tokens": 1200,  # the sum of the details below
        "gen_ai.usage.output_tokens": 80,
        "gen_ai.usage.details.input_tokens": 200,
        "gen_ai.usage.details.output_tokens": 80,
        "gen_ai.usage.details.cache_read_input_tokens": 900,
        "gen_ai.usage.details.cache_creation_input_tokens": 100,
    }
    expected = {"input": 200, "output": 80, "input_cache_read": 900, "input_cache_creation": 100}
    assert _usage(attributes, "pydantic-ai") == expected
    # An older release sends no details: the summed counts are read as any other span's.
    assert _usage({"gen_ai.usage.input_tokens": 1200, "gen_ai.usage.output_tokens": 80}, "pydantic-ai") == {
        "input": 1200,
        "output": 80,
    }


@pytest.mark.parametrize(
    ("scope_version", "language", "attributes", "expected"),
    [
        ("3.2.1", "python", {"langfuse.observation.model.name": "gpt-4o"}, "GENERATION"),
        ("3.3.0", "python", {"langfuse.observation.usage_details": '{"input": 3}'}, "GENERATION"),
        ("", "python", {"langfuse.observation.prompt.name": "p"}, "GENERATION"),  # no version: as Langfuse
        ("3.4.0", "python", {"langfuse.observation.model.name": "gpt-4o"}, "SPAN"),  # fixed there
        ("3.2.1", "python", {"langfuse.observation.input": "hi"}, "SPAN"),  # nothing of a generation
        ("3.2.1", "javascript", {"langfuse.observation.model.name": "gpt-4o"}, "SPAN"),  # Python's bug only
    ],
)
def test_python_sdk_up_to_3_3_sent_generations_typed_span(scope_version, language, attributes, expected):
    spans = [_span("1" * 16, {"langfuse.observation.type": "span", **attributes})]
    request = protobuf_request(spans, resource={"telemetry.sdk.language": language}, scope_version=scope_version)
    events, _ = spans_to_events(decode_protobuf(request), received=RECEIVED)
    assert events[0].fields["type"] == expected


def test_livekit_agent_span_names_give_types_and_internal_steps_debug_level():
    spans = [
        _span("1" * 16, {}, name="agent_turn"),
        _span("2" * 16, {}, name="function_tool"),
        _span("3" * 16, {}, name="tts_node"),
        _span("4" * 16, {}, name="tts_node", error="tts failed"),
        _span("5" * 16, {"langfuse.observation.level": "WARNING"}, name="eou_detection"),
    ]
    found = _observations(spans, scope="livekit-agents")
    assert [found[c * 16]["type"] for c in "12345"] == ["AGENT", "TOOL", "SPAN", "SPAN", "SPAN"]
    assert [found[c * 16]["level"] for c in "12345"] == ["DEFAULT", "DEFAULT", "DEBUG", "ERROR", "WARNING"]
    other = _observations([_span("6" * 16, {}, name="agent_turn")], scope="my-app")["6" * 16]
    assert (other["type"], other["level"]) == ("SPAN", "DEFAULT")  # LiveKit's names, in LiveKit's scope only


@pytest.mark.parametrize(
    ("attributes", "expected_in", "expected_out"),
    [
        # Vertex AI ADK: an LLM call, then a tool call (which also carries empty LLM request/response).
        (
            {
                "gcp.vertex.agent.llm_request": '{"contents": [{"role": "user"}]}',
                "gcp.vertex.agent.llm_response": '{"content": "ok"}',
            },
            {"contents": [{"role": "user"}]},
            {"content": "ok"},
        ),
        (
            {
                "gcp.vertex.agent.llm_request": "{}",
                "gcp.vertex.agent.llm_response": "{}",
                "gcp.vertex.agent.tool_call_args": '{"city": "Tokyo"}',
                "gcp.vertex.agent.tool_response": '{"temperature": 21}',
            },
            {"city": "Tokyo"},
            {"temperature": 21},
        ),
        # Logfire.
        (
            {"prompt": "What is 2+2?", "all_messages_events": '[{"role": "assistant"}]'},
            "What is 2+2?",
            [{"role": "assistant"}],
        ),
        (
            {
                "events": json.dumps(
                    [
                        {"event.name": "gen_ai.user.message", "content": "hi"},
                        {"event.name": "gen_ai.choice", "message": {"content": "hello"}},
                    ]
                )
            },
            [{"event.name": "gen_ai.user.message", "content": "hi"}],
            {"event.name": "gen_ai.choice", "message": {"content": "hello"}},
        ),
        # LiveKit Agents.
        ({"lk.user_transcript": "book a table", "lk.response.text": "done"}, "book a table", "done"),
        ({"lk.input_text": "call it", "lk.function_tool.output": '{"ok": true}'}, "call it", {"ok": True}),
        # The AI SDK before 4.0.
        ({"ai.prompt": "p", "ai.result.object": '{"a": 1}'}, "p", {"a": 1}),
    ],
)
def test_more_framework_input_and_output_keys(attributes, expected_in, expected_out):
    fields = _observations([_span("1" * 16, attributes)], scope="x")["1" * 16]
    assert (fields.get("input"), fields.get("output")) == (expected_in, expected_out)


def test_an_events_attribute_that_is_not_genai_events_stays_in_the_metadata():
    fields = _observations([_span("1" * 16, {"events": "3 retries"})], scope="x")["1" * 16]
    assert "input" not in fields and fields["metadata"]["attributes"] == {"events": "3 retries"}


def test_vercel_ai_sdk_settings_are_its_model_parameters():
    attributes = {
        "ai.operationId": "ai.generateText.doGenerate",
        "ai.model.id": "gpt-4o",
        "ai.model.provider": "openai.chat",
        "ai.settings.maxRetries": 2,
        "ai.settings.maxSteps": 5,
        "gen_ai.request.temperature": 0.7,
        "gen_ai.request.top_p": 0.9,  # not one of the SDK's settings Langfuse shows
        "gen_ai.response.finish_reasons": ["stop", "length"],
    }
    fields = _observations([_span("1" * 16, attributes)], scope="ai")["1" * 16]
    assert fields["model_parameters"] == {
        "maxSteps": "5",
        "finishReason": "stop,length",
        "system": "openai.chat",
        "maxRetries": "2",
        "temperature": "0.7",
    }
    assert (
        _observations([_span("2" * 16, {"ai.operationId": "ai.toolCall"})], scope="ai")["2" * 16].get(
            "model_parameters"
        )
        is None
    )
    # Another scope's gen_ai.request.* keys stay flattened parameters, as before.
    other = _observations([_span("3" * 16, attributes)], scope="x")["3" * 16]["model_parameters"]
    assert other == {"temperature": 0.7, "top_p": 0.9}


GENKIT_MODEL_SPAN = {
    "genkit:type": "action",
    "genkit:name": "googleai/gemini-2.5-flash",
    "genkit:metadata:subtype": "model",
    "genkit:input": json.dumps(
        {
            "messages": [{"role": "user", "content": [{"text": "hi"}]}],
            "config": {"temperature": 0.2, "stopSequences": ["END"], "safe": True},
        }
    ),
    "genkit:output": json.dumps(
        {
            "message": {"role": "model", "content": [{"text": "hello"}]},
            "finishReason": "stop",
            "usage": {"inputTokens": 42, "outputTokens": 17, "totalTokens": 59, "thoughtsTokens": 3},
        }
    ),
}


def test_genkit_model_span_is_a_generation_with_messages_model_settings_and_usage():
    """Genkit (scope "genkit-tracer"): a model span's input is its request's messages and its output
    the answer's message; its model is `genkit:name`, its settings the request's config (values
    that are neither text nor number as JSON text) and its usage the response's, the thinking
    tokens apart from the output (as Langfuse reads them)."""
    fields = _observations([_span("1" * 16, GENKIT_MODEL_SPAN)], scope="genkit-tracer")["1" * 16]
    assert fields["type"] == "GENERATION"
    assert fields["input"] == [{"role": "user", "content": [{"text": "hi"}]}]
    assert fields["output"] == {"role": "model", "content": [{"text": "hello"}]}
    assert fields["model"] == "googleai/gemini-2.5-flash"
    assert fields["model_parameters"] == {"temperature": 0.2, "stopSequences": '["END"]', "safe": "true"}
    assert fields["provided_usage_details"] == {"input": 42, "output": 14, "total": 59, "output_reasoning": 3}
    assert "attributes" not in fields["metadata"] or not {"genkit:input", "genkit:output"} & set(
        fields["metadata"]["attributes"]
    )


def test_genkit_flow_span_keeps_whole_values_and_genkit_keys_mean_nothing_elsewhere():
    flow = {"genkit:type": "action", "genkit:name": "supportFlow", "genkit:metadata:subtype": "flow"}
    flow |= {"genkit:input": '{"q": 1}', "genkit:output": '{"a": 2}'}
    fields = _observations([_span("1" * 16, flow)], scope="genkit-tracer")["1" * 16]
    assert (fields["input"], fields["output"], fields.get("model")) == ({"q": 1}, {"a": 2}, None)
    # Without a usage in its response, a model span's counts are read as any span's.
    counted = {**GENKIT_MODEL_SPAN, "genkit:output": '{"message": {}}', "gen_ai.usage.input_tokens": 7}
    assert _usage(counted, "genkit-tracer") == {"input": 7}
    # Another scope's span with Genkit's keys: they are not its input, output, settings or usage.
    other = _observations([_span("2" * 16, GENKIT_MODEL_SPAN)], scope="my-app")["2" * 16]
    assert (other.get("input"), other.get("output"), other.get("model_parameters")) == (None, None, None)
    assert other.get("provided_usage_details") is None
    assert other["metadata"]["attributes"]["genkit:input"] == GENKIT_MODEL_SPAN["genkit:input"]


def test_genkit_settings_from_the_response_when_the_request_has_none():
    span = {
        **GENKIT_MODEL_SPAN,
        "genkit:input": '{"messages": []}',
        "genkit:output": '{"request": {"config": {"maxOutputTokens": 100}}}',
    }
    fields = _observations([_span("1" * 16, span)], scope="genkit-tracer")["1" * 16]
    assert fields["model_parameters"] == {"maxOutputTokens": 100}
    assert fields["input"] == []


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        (  # the prompt tokens include the cached ones, reported only in the response
            {
                "gen_ai.usage.input_tokens": 1000,
                "gen_ai.usage.output_tokens": 50,
                "gcp.vertex.agent.llm_response": '{"usage_metadata": {"cached_content_token_count": 600}}',
            },
            {"input": 400, "output": 50, "input_cached_tokens": 600},
        ),
        (  # counted in the attributes already: taken as they are
            {
                "gen_ai.usage.input_tokens": 1000,
                "gen_ai.usage.cached_tokens": 300,
                "gcp.vertex.agent.llm_response": '{"usage_metadata": {"cached_content_token_count": 600}}',
            },
            {"input": 700, "input_cached_tokens": 300},
        ),
        (  # nothing cached
            {"gen_ai.usage.input_tokens": 10, "gcp.vertex.agent.llm_response": '{"usage_metadata": {}}'},
            {"input": 10},
        ),
    ],
)
def test_vertex_ai_adk_usage_moves_cached_tokens_out_of_the_input(attributes, expected):
    assert _usage(attributes, "gcp.vertex.agent") == expected
    if "gen_ai.usage.cached_tokens" not in attributes and expected.get("input_cached_tokens"):
        assert _usage(attributes, "my-app") == {"input": 1000, "output": 50}  # Vertex's scope only


@pytest.mark.parametrize(
    ("attributes", "expected_type", "expected_in", "expected_out"),
    [
        (  # a tool call
            {"flue.tool.name": "lookup_weather", "flue.tool.arguments": '{"city": "Tokyo"}', "flue.tool.result": "21C"},
            "TOOL",
            {"city": "Tokyo"},
            "21C",
        ),
        (  # a delegated task: a sub-agent
            {"flue.task.id": "t1", "flue.task.prompt": "summarise", "flue.task.result": '{"summary": "ok"}'},
            "AGENT",
            "summarise",
            {"summary": "ok"},
        ),
        ({"flue.workflow.payload": '{"order": 7}', "flue.operation.result": '"done"'}, "SPAN", {"order": 7}, "done"),
    ],
)
def test_flue_spans(attributes, expected_type, expected_in, expected_out):
    fields = _observations([_span("1" * 16, attributes)], scope="@flue/opentelemetry")["1" * 16]
    assert (fields["type"], fields.get("input"), fields.get("output")) == (expected_type, expected_in, expected_out)


def test_tool_keys_come_before_flue_and_livekit_names():
    """Langfuse's type rules in order: `gen_ai.tool.*` (7) before Flue (8) before LiveKit's span names (9)."""
    spans = [
        _span("1" * 16, {"gen_ai.tool.name": "search", "flue.task.id": "t1"}),
        _span("2" * 16, {"gen_ai.tool.call.id": "c1"}, name="agent_turn"),
    ]
    assert _observations(spans[:1], scope="@flue/opentelemetry")["1" * 16]["type"] == "TOOL"
    assert _observations(spans[1:], scope="livekit-agents")["2" * 16]["type"] == "TOOL"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        # The OpenTelemetry GenAI names of cache reads and writes: out of the input.
        ({"cache_read.input_tokens": 20}, {"input": 80, "output": 50, "input_cached_tokens": 20}),
        ({"cache_creation.input_tokens": 30}, {"input": 70, "output": 50, "input_cache_creation": 30}),
        (
            {"cache_read_tokens": 20, "cache_write_tokens": 5},
            {"input": 75, "output": 50, "input_cached_tokens": 20} | {"input_cache_creation": 5},
        ),
        # Two names of one count: counted once, not also passed through (which doubled the total).
        ({"prompt_tokens": 100}, {"input": 100, "output": 50}),
        (
            {"cache_read_input_tokens": 20, "input_cached_tokens": 20},
            {"input": 80, "output": 50} | {"input_cached_tokens": 20},
        ),
        # A name that is no count of its own passes through.
        ({"details.thinking": 4}, {"input": 100, "output": 50, "thinking": 4}),
    ],
)
def test_generic_usage_names(extra, expected):
    attributes = {"gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 50}
    attributes |= {f"gen_ai.usage.{key}": value for key, value in extra.items()}
    assert _usage(attributes, "my-app") == expected


def test_vercel_ai_sdk_text_and_tool_calls_are_one_assistant_message():
    calls = '[{"toolCallId": "c1", "toolName": "weather", "input": {"city": "Tokyo"}}]'
    spans = [
        _span("1" * 16, {"ai.response.text": "Let me check.", "ai.response.toolCalls": calls}),
        _span("2" * 16, {"ai.response.text": "", "ai.response.toolCalls": calls}),
        _span("3" * 16, {"ai.response.toolCalls": calls}),
    ]
    found = _observations(spans, scope="ai")
    tool_calls = json.loads(calls)
    assert found["1" * 16]["output"] == {"role": "assistant", "content": "Let me check.", "tool_calls": tool_calls}
    assert found["2" * 16]["output"] == {"role": "assistant", "content": "", "tool_calls": tool_calls}
    assert found["3" * 16]["output"] == tool_calls
    assert "attributes" not in found["1" * 16]["metadata"]  # both keys read


def test_vercel_ai_sdk_service_tier_is_a_model_parameter_for_pricing_tiers():
    base = {"gen_ai.request.model": "gpt-4o", "ai.operationId": "ai.generateText.doGenerate"}
    answered = {**base, "ai.response.providerMetadata": '{"openai": {"serviceTier": "priority"}}'}
    requested = {**base, "gen_ai.request.service_tier": "flex", "langfuse.observation.model.parameters": '{"a": 1}'}
    found = _observations([_span("1" * 16, answered), _span("2" * 16, requested)], scope="ai")
    assert found["1" * 16]["model_parameters"]["service_tier"] == "priority"
    assert found["2" * 16]["model_parameters"] == {"service_tier": "flex", "a": 1}  # Langfuse's own keys on top


WEATHER = {"type": "function", "name": "weather", "parameters": {"type": "object"}}


@pytest.mark.parametrize(
    ("attributes", "scope", "expected_input", "left"),
    [
        (  # Vercel AI SDK: its tools (JSON text each), a provider tool without a name among them
            {
                "ai.prompt.messages": '[{"role": "user", "content": "hi"}]',
                "ai.prompt.tools": [json.dumps(WEATHER), '{"type": "provider-defined"}'],
                "ai.operationId": "ai.generateText.doGenerate",
            },
            "ai",
            {"messages": [{"role": "user", "content": "hi"}], "tools": [WEATHER, {"type": "provider-defined"}]},
            None,
        ),
        (  # OpenInference: indexed schemas, in index order; text input becomes the prompt
            {
                "input.value": "What is the weather?",
                "llm.tools.1.tool.json_schema": '{"name": "b"}',
                "llm.tools.0.tool.json_schema": '{"name": "a"}',
            },
            "openinference",
            {"prompt": "What is the weather?", "tools": [{"name": "a"}, {"name": "b"}]},
            None,
        ),
        (  # GenAI conventions; an input object gains the tools, deduplicated by name
            {
                "input.value": json.dumps({"question": "q", "tools": [WEATHER]}),
                "gen_ai.tool.definitions": json.dumps([WEATHER, {"name": "clock"}]),
            },
            "my-app",
            {"question": "q", "tools": [WEATHER, {"name": "clock"}]},
            None,
        ),
        (  # Pydantic AI: its function tools leave the request parameters, which keep the rest
            {
                "input.value": "[]",
                "model_request_parameters": json.dumps({"function_tools": [{"name": "f"}], "allow_text": True}),
            },
            "pydantic-ai",
            {"messages": [], "tools": [{"name": "f"}]},
            {"model_request_parameters"},
        ),
        (  # a list with anything but tools in it is not moved
            {"input.value": "hi", "gen_ai.tool.definitions": '[{"name": "a"}, 3]'},
            "my-app",
            "hi",
            {"gen_ai.tool.definitions"},
        ),
        (  # an input that cannot hold them keeps them where they were
            {"input.value": "42", "gen_ai.tool.definitions": '[{"name": "a"}]'},
            "my-app",
            42,
            {"gen_ai.tool.definitions"},
        ),
    ],
)
def test_tool_definitions_join_the_input(attributes, scope, expected_input, left):
    """As Langfuse: the tools a call could use are shown with its input, and leave its metadata."""
    spans = [_span("1" * 16, {"langfuse.observation.type": "generation", **attributes})]
    fields = _observations(spans, scope=scope)["1" * 16]
    assert fields["input"] == expected_input
    assert set(fields["metadata"].get("attributes", {})) == (left or set())
    if "model_request_parameters" in (left or ()):
        assert json.loads(fields["metadata"]["attributes"]["model_request_parameters"]) == {"allow_text": True}


def test_tools_in_the_metadata_join_the_input_and_the_trace_input_stays():
    attributes = {
        "langfuse.observation.type": "generation",
        "langfuse.observation.input": '[{"role": "user", "content": "hi"}]',
        "langfuse.observation.metadata.tools": json.dumps([WEATHER]),
        "langfuse.observation.metadata.team": "web",
    }
    events, _ = spans_to_events(
        decode_protobuf(protobuf_request([_span("1" * 16, attributes, parent=None)])), received=RECEIVED
    )
    observation, trace = (e.fields for e in events)
    assert observation["input"] == {"messages": [{"role": "user", "content": "hi"}], "tools": [WEATHER]}
    assert "tools" not in observation["metadata"] and observation["metadata"]["team"] == "web"
    assert trace["input"] == [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"llm.invocation_parameters": '{"stream": false, "stop": ["x"]}'}, {"stream": "false", "stop": '["x"]'}),
        ({"langfuse.observation.model.parameters": '{"json": true, "n": 2}'}, {"json": "true", "n": 2}),
        # An object that does not parse gives way to the next source.
        ({"llm.invocation_parameters": "{oops", "gen_ai.request.temperature": 0.5}, {"temperature": 0.5}),
        ({"langfuse.observation.model.parameters": "{oops", "model_config": '{"top_k": 3}'}, {"top_k": 3}),
        # Flattened keys keep their values: text stays text.
        (
            {"gen_ai.request.seed": "42", "gen_ai.request.stop_sequences": ["a"]},
            {"seed": "42", "stop_sequences": '["a"]'},
        ),
    ],
)
def test_model_parameters_are_kept_as_langfuse_keeps_them(attributes, expected):
    fields = _observations([_span("1" * 16, {**LLM, **attributes})], scope="my-app")["1" * 16]
    assert fields["model_parameters"] == expected


@pytest.mark.parametrize(
    ("attributes", "scope", "expected_in"),
    [
        (  # GenAI messages take the instructions as a system message with their text
            {"gen_ai.input.messages": '[{"role": "user"}]', "gen_ai.system_instructions": "Be nice"},
            "my-app",
            [{"role": "system", "content": "Be nice"}, {"role": "user"}],
        ),
        (  # not when they have a system message already
            {"gen_ai.input.messages": '[{"role": "system", "content": "x"}]', "gen_ai.system_instructions": "y"},
            "my-app",
            [{"role": "system", "content": "x"}],
        ),
        (  # Pydantic AI's messages, in its scope
            {"pydantic_ai.all_messages": '[{"role": "user"}]', "gen_ai.system_instructions": '[{"content": "a"}, "b"]'},
            "pydantic-ai",
            [{"role": "system", "content": "a\nb"}, {"role": "user"}],
        ),
        (  # any other input is left as it is
            {"input.value": '[{"role": "user"}]', "gen_ai.system_instructions": "Be nice"},
            "my-app",
            [{"role": "user"}],
        ),
    ],
)
def test_system_instructions_are_prepended_where_langfuse_prepends_them(attributes, scope, expected_in):
    fields = _observations([_span("1" * 16, {**LLM, **attributes})], scope=scope)["1" * 16]
    assert fields["input"] == expected_in
    assert "gen_ai.system_instructions" not in fields["metadata"].get("attributes", {})


def test_trace_metadata_as_langfuse_composes_it():
    """A root span's trace shows its observation metadata too, and every trace event the shared
    `langfuse.metadata.*` and Vercel telemetry metadata; metadata set on the resource reaches every
    observation and trace of it. A span with shared metadata only does not update its trace."""
    root = {
        "ai.telemetry.metadata.foo": "bar",
        "ai.telemetry.metadata.userId": "u1",  # read as the user, not metadata
        "langfuse.observation.metadata.k": "v",
    }
    child = {"user.id": "u2", "langfuse.metadata.x": "y"}
    quiet = {"langfuse.metadata.z": "1"}
    spans = [_span("1" * 16, root, parent=None), _span("2" * 16, child), _span("3" * 16, quiet)]
    resource = {"service.name": "api", "langfuse.trace.metadata.team": "web"}
    observations, traces = _events(spans, resource=resource, scope="ai")
    assert traces["1" * 16]["metadata"] | {"scope": None} == {
        "team": "web",
        "foo": "bar",
        "k": "v",
        "resourceAttributes": resource,
        "scope": None,
    }
    assert traces["2" * 16]["metadata"] == {"team": "web", "x": "y"}
    assert "3" * 16 not in traces
    assert observations["3" * 16]["metadata"]["team"] == "web" and observations["3" * 16]["metadata"]["z"] == 1
    assert observations["1" * 16]["metadata"]["foo"] == "bar"


def test_span_times_are_truncated_to_the_millisecond_and_booleans_written_as_langfuse_writes_them():
    moment = _millis_datetime(1_764_327_032_615_999_700)
    assert moment.isoformat() == "2025-11-28T10:50:32.615000+00:00"  # a float rounded it up to .616
    assert _millis_datetime(1_764_327_032_999_999_999).isoformat() == "2025-11-28T10:50:32.999000+00:00"
    _, traces = _events([_span("1" * 16, {"user.id": True}, parent=None)], scope="my-app")
    assert traces["1" * 16]["user_id"] == "true"
