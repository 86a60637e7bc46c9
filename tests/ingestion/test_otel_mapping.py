"""OTLP span -> entity event mapping, without a database: precedence rules the endpoint tests do not pin."""

from datetime import UTC, datetime

import pytest

from apps.ingestion.otel_decode import decode_protobuf
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


def test_flattened_prompt_messages_are_ordered_by_index_up_to_10000():
    spans = [
        _span(
            "1" * 16,
            {
                "gen_ai.prompt.10.role": "user",
                "gen_ai.prompt.10.content": "second",
                "gen_ai.prompt.2.message.role": "system",
                "gen_ai.prompt.2.message.content": '{"text": "first"}',
                "gen_ai.prompt.10001.content": "beyond",
                "gen_ai.completion.0.content": "answer",
            },
        )
    ]
    fields = _observations(spans, scope="my-app")["1" * 16]
    assert fields["input"] == [{"role": "system", "content": {"text": "first"}}, {"role": "user", "content": "second"}]
    assert fields["output"] == [{"content": "answer"}]
    assert fields["metadata"]["attributes"] == {"gen_ai.prompt.10001.content": "beyond"}
