"""Fuzzing both write endpoints: whatever arrives, never a 5xx, and valid events in a mixed
batch are always stored."""

import json
import os
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.traces.models import Trace
from tests.ingestion.helpers import event

pytestmark = pytest.mark.core
# FUZZ_EXAMPLES=2000 for a longer hunt.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
# Well-formed times with and without offsets, and at the start of the range; `times` adds a bare date.
valid_times = st.sampled_from(
    ["2026-11-28T12:00:00Z", "2026-11-28T12:00:00", "2026-11-28T21:00:00.5+09:00", "0001-01-01T00:00:00"]
)
times = valid_times | st.just("2026-11-28")
event_types = st.sampled_from(
    [
        "trace-create",
        "span-create",
        "span-update",
        "generation-create",
        "generation-update",
        "event-create",
        "score-create",
        "sdk-log",
        "agent-create",
        "observation-create",
        "nonsense",
        "",
    ]
)
raw_events = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.text(max_size=20), st.integers(), st.none()),
        "type": event_types,
        "timestamp": st.one_of(times, st.text(max_size=30), st.integers()),
        "body": st.one_of(
            st.dictionaries(
                st.sampled_from(
                    [
                        "id",
                        "traceId",
                        "name",
                        "startTime",
                        "endTime",
                        "input",
                        "output",
                        "metadata",
                        "level",
                        "usage",
                        "usageDetails",
                        "costDetails",
                        "value",
                        "dataType",
                        "tags",
                        "model",
                        "promptName",
                        "promptVersion",
                        "sessionId",
                        "environment",
                        "timestamp",
                    ]
                ),
                json_values | times,
                max_size=8,
            ),
            json_values,
        ),
    },
)


def _post(api_client, header, payload: bytes, content_type="application/json", path="/api/public/ingestion"):
    return api_client.generic("POST", path, payload, content_type=content_type, HTTP_AUTHORIZATION=header)


@FUZZ
@given(batch=st.lists(raw_events, max_size=8))
def test_random_events_never_5xx_and_valid_ones_survive(batch, tenant, api_client):
    marker = f"valid-{uuid.uuid4()}"
    valid = event("trace-create", {"id": marker, "name": "keep me"})
    response = _post(api_client, tenant.project_key.header, json.dumps({"batch": [*batch, valid]}).encode())
    assert response.status_code == 207, response.content
    body = response.json()
    assert {"id": valid["id"], "status": 201} in body["successes"]
    assert len(body["successes"]) + len(body["errors"]) <= len(batch) + 1
    assert Trace.objects.filter(project_id=tenant.project.id, id=marker).exists()


@FUZZ
@given(
    batch=st.lists(
        st.tuples(
            st.sampled_from(["span-create", "generation-create", "span-update", "trace-create", "score-create"]),
            st.sampled_from(["o1", "o2", "o3"]),
            st.fixed_dictionaries(
                {}, optional={"startTime": valid_times, "endTime": valid_times, "completionStartTime": valid_times}
            ),
            st.one_of(st.none(), valid_times),
            valid_times,
        ),
        min_size=1,
        max_size=6,
    )
)
def test_times_of_every_form_in_one_batch_are_all_stored(batch, tenant, api_client):
    # Well-formed times with and without offsets, mixed in one batch, once failed it whole (a
    # naive time and an aware one do not compare): every event is stored, whatever their mix.
    events = []
    for kind, entity_id, fields, body_time, envelope_time in batch:
        if kind == "trace-create":
            body = {"id": "t1", "timestamp": body_time}
        elif kind == "score-create":
            body = {"name": "s", "value": 1, "traceId": "t1", "timestamp": body_time}
        else:
            body = {"id": entity_id, "traceId": "t1", **fields}
        events.append({**event(kind, body), "timestamp": envelope_time})
    response = _post(api_client, tenant.project_key.header, json.dumps({"batch": events}).encode())
    assert response.status_code == 207, response.content
    assert response.json()["errors"] == []


@FUZZ
@given(payload=st.binary(max_size=2000))
def test_garbage_bytes_never_5xx(payload, tenant, api_client):
    for path, content_type in (
        ("/api/public/ingestion", "application/json"),
        ("/api/public/otel/v1/traces", "application/x-protobuf"),
        ("/api/public/otel/v1/traces", "application/json"),
    ):
        response = _post(api_client, tenant.project_key.header, payload or b"x", content_type, path)
        assert response.status_code < 500, (path, response.content)


@FUZZ
@given(value=json_values)
def test_random_otlp_json_never_5xx(value, tenant, api_client):
    payload = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "ab" * 16,
                                "spanId": "cd" * 8,
                                "name": "fuzz",
                                "attributes": [
                                    {"key": "langfuse.observation.input", "value": {"stringValue": json.dumps(value)}},
                                    {
                                        "key": "random",
                                        "value": value if isinstance(value, dict) else {"stringValue": str(value)},
                                    },
                                ],
                            }
                        ]
                    }
                ]
            }
        ]
    }
    response = _post(
        api_client, tenant.project_key.header, json.dumps(payload).encode(), path="/api/public/otel/v1/traces"
    )
    assert response.status_code in (200, 400), response.content


def test_deep_nesting_and_huge_strings(tenant, api_client):
    header = tenant.project_key.header
    nested = '{"batch": [' + '{"a":' * 100000 + "1" + "}" * 100000 + "]}"
    response = _post(api_client, header, nested.encode())  # one element too deep to decode at all
    assert response.status_code == 207 and len(response.json()["errors"]) == 1
    deep_event = event("trace-create", {"id": "deep", "input": "DEEP"})
    text = json.dumps({"batch": [deep_event, event("trace-create", {"id": "fine"})]})
    text = text.replace('"DEEP"', '{"d":' * 3000 + '"bottom"' + "}" * 3000)  # too deep for json.dumps to build
    response = _post(api_client, header, text.encode())
    assert response.status_code == 207
    assert [e["id"] for e in response.json()["errors"]] == [deep_event["id"]]
    assert Trace.objects.filter(project_id=tenant.project.id, id="fine").exists()
    big = event("trace-create", {"id": "huge", "input": "x" * 3_000_000})
    assert _post(api_client, header, json.dumps({"batch": [big]}).encode()).status_code == 207
    invalid_utf8 = b'{"batch": [{"id": "\xff\xfe", "type": "trace-create"}]}'
    assert _post(api_client, header, invalid_utf8).status_code == 400


def test_nesting_limit_counts_every_level_down_to_the_leaf(tenant, api_client):
    """An event is its own first level; input nested to exactly the limit is kept, one more is not."""
    from apps.ingestion.events import MAX_DEPTH

    def nested(levels: int) -> dict:  # `levels` levels of objects, the innermost holding a scalar
        value: object = 1
        for _ in range(levels):
            value = {"d": value}
        return value

    # envelope (1) -> body (2) -> input (3 ...): the input's leaf sits MAX_DEPTH - 2 objects deeper
    at_limit = event("trace-create", {"id": "at-limit", "input": nested(MAX_DEPTH - 3)})
    over = event("trace-create", {"id": "over", "input": nested(MAX_DEPTH - 2)})
    response = _post(api_client, tenant.project_key.header, json.dumps({"batch": [at_limit, over]}).encode())
    assert [e["id"] for e in response.json()["errors"]] == [over["id"]]
    assert Trace.objects.filter(project_id=tenant.project.id, id="at-limit").exists()


def _known_attribute_keys() -> list[str]:
    import apps.ingestion.otel_mapping  # noqa: F401 - its lookups, and those of otel_usage, register on import
    from apps.ingestion.otel_attributes import _LOOKUPS_BY_KEY

    extra = ["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "llm.token_count.total"]
    extra += ["gen_ai.request.temperature", "langfuse.trace.metadata.k", "langfuse.observation.metadata.k"]
    extra += ["gen_ai.prompt.0.role", "gen_ai.prompt.0.content", "llm.output_messages.1.message.content"]
    extra += ["gen_ai.operation.name", "openinference.span.kind"]
    return sorted(_LOOKUPS_BY_KEY) + extra


otlp_scalars = (
    st.text(max_size=30)
    | st.sampled_from(["", "true", "generation", "LLM", "ERROR", '{"a": 1}', "[1, 2]", '"2026-13-01T00:00:00Z"'])
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
)
otlp_values = st.recursive(otlp_scalars, lambda children: st.lists(children, max_size=3), max_leaves=6)


@FUZZ
@given(attributes=st.dictionaries(st.sampled_from(_known_attribute_keys()), otlp_values, max_size=12))
def test_any_value_of_any_known_attribute_keeps_its_span(attributes, tenant, api_client):
    """Whatever type or value a client puts under a key the mapping reads, the span is stored."""
    from apps.traces.models import Observation
    from tests.ingestion.otlp import protobuf_request

    span_id = uuid.uuid4().hex[:16]
    span = {"trace_id": "ab" * 16, "span_id": span_id, "name": "fuzz", "attributes": attributes}
    response = _post(
        api_client,
        tenant.project_key.header,
        protobuf_request([span]),
        "application/x-protobuf",
        "/api/public/otel/v1/traces",
    )
    assert response.status_code == 200, response.content
    assert Observation.objects.filter(project_id=tenant.project.id, id=span_id).exists()
